/*
 * watchdog.c -- the kernel's watchdog API (watchdog.h): open, set the
 * timeout, keepalive, magic close.  Tiny on purpose: everything that
 * decides whether to pet lives in wolfpackd (src/daemon/wdog.c).
 */
#include "watchdog.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/watchdog.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

struct wp_watchdog {
    int fd;
    bool is_device; /* the ioctls work */
};

wp_watchdog *wp_watchdog_open(const char *path, int timeout, int *actual, bool *is_device,
                              wp_err *err)
{
    if (timeout < WP_WATCHDOG_TIMEOUT_MIN || timeout > WP_WATCHDOG_TIMEOUT_MAX) {
        wp_errf(err, WP_E_INVALID, "watchdog timeout %d s is out of range", timeout);
        wp_err_why(err, "it must be %d to %d seconds", WP_WATCHDOG_TIMEOUT_MIN,
                   WP_WATCHDOG_TIMEOUT_MAX);
        wp_err_todo(err, "give --watchdog-timeout a value in that range");
        return NULL;
    }
    wp_watchdog *w = calloc(1, sizeof *w);
    if (!w) {
        wp_errf(err, WP_E_INTERNAL, "cannot open the watchdog %s", path);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free some memory");
        return NULL;
    }
    w->fd = open(path, O_WRONLY | O_CLOEXEC | O_NONBLOCK);
    if (w->fd < 0) {
        wp_errf(err, WP_E_IO, "cannot open the watchdog %s", path);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check the path given to --watchdog (a watchdog device such as "
                         "/dev/watchdog0, its driver loaded) and that no other program "
                         "(wdmd, sbd, watchdog) holds it");
        free(w);
        return NULL;
    }
    int t = timeout;
    w->is_device = ioctl(w->fd, WDIOC_SETTIMEOUT, &t) == 0;
    if (w->is_device && ioctl(w->fd, WDIOC_GETTIMEOUT, &t) == 0 && t > 0)
        timeout = t;
    *actual = timeout;
    *is_device = w->is_device;
    return w;
}

static bool write_byte(int fd, char c)
{
    for (;;) {
        ssize_t n = write(fd, &c, 1);
        if (n == 1)
            return true;
        if (n < 0 && errno == EINTR)
            continue;
        return false;
    }
}

bool wp_watchdog_pet(wp_watchdog *w, wp_err *err)
{
    int dummy = 0;
    if (w->is_device && ioctl(w->fd, WDIOC_KEEPALIVE, &dummy) == 0)
        return true;
    if (write_byte(w->fd, '.')) /* any byte but 'V' is a keepalive */
        return true;
    wp_errf(err, WP_E_IO, "cannot pet the watchdog");
    wp_err_why(err, "%s", strerror(errno));
    wp_err_todo(err, "the watchdog will reset this node unless the next keepalive works");
    return false;
}

void wp_watchdog_close(wp_watchdog *w, bool disarm)
{
    if (!w)
        return;
    if (disarm)
        (void)write_byte(w->fd, 'V');
    close(w->fd);
    free(w);
}
