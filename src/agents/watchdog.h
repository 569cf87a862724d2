/*
 * watchdog.h -- the kernel's watchdog API, as wolfpackd's self-fencing
 * uses it (docs/FENCING.md, "Watchdog self-fencing"; SBD does the same):
 *
 *   open(PATH)            arms the watchdog: from now on it resets the
 *                         machine unless petted within its timeout;
 *   WDIOC_SETTIMEOUT      sets the timeout (the driver may round it:
 *                         WDIOC_GETTIMEOUT reads back what it took);
 *   WDIOC_KEEPALIVE, or a write of any byte but 'V'   pets it;
 *   a write of 'V', then close     the "magic close": disarms it (a driver
 *                         built with nowayout ignores it and resets anyway).
 *
 * The path is whatever the operator configured (/dev/watchdog0 on real
 * hardware; the test cluster gives each node a FIFO whose reader is an
 * emulated watchdog, tools/testcluster).  On a path that is not a device
 * the ioctls fail with ENOTTY: that is tolerated (a log line by the
 * caller), the timeout is then the one configured out of band, and every
 * pet is a write.  Nothing here is specific to wolfpackd: no loop, no
 * logging; tests/unit/test_watchdog.c drives it with a FIFO and a file.
 * This code never opens /dev/watchdog by itself: only the path given.
 */
#ifndef WP_WATCHDOG_H
#define WP_WATCHDOG_H

#include <stdbool.h>

#include "../lib/err.h"

#define WP_WATCHDOG_TIMEOUT_MIN 2
#define WP_WATCHDOG_TIMEOUT_MAX 300

typedef struct wp_watchdog wp_watchdog;

/* Open (arm) the watchdog at path and ask for timeout seconds.  On
 * success *actual is the timeout in force (the driver's answer, else
 * timeout) and *is_device tells whether the ioctls worked; NULL: err. */
wp_watchdog *wp_watchdog_open(const char *path, int timeout, int *actual, bool *is_device,
                              wp_err *err);
/* One keepalive: the ioctl on a device, a write otherwise (a device whose
 * ioctl fails is written to as well).  false: err (the watchdog may fire). */
bool wp_watchdog_pet(wp_watchdog *w, wp_err *err);
/* Close it; disarm: the magic close ('V' first).  Frees w. */
void wp_watchdog_close(wp_watchdog *w, bool disarm);

#endif
