/*
 * disk_pr.c -- SCSI-3 persistent reservations for a Physical Disk, where
 * the device has them (Linux's block-layer PR ioctls, linux/pr.h).
 *
 * They back the on-disk lease, they do not replace it.  Each node's key is
 * derived from its node name, so a taker knows the previous owner's key
 * from the lease record and preempts it after winning the lease: from then
 * on the device itself refuses the old owner's writes (Write Exclusive,
 * Registrants Only), which is the hardware fence the lease cannot give.
 * Devices without PR (loop devices answer ENOTTY or EOPNOTSUPP, as does
 * everything on the test machines) are skipped silently: the start logs it
 * once.  docs/DISK.md.
 */
#include "disk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/pr.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

uint64_t wp_disk_pr_key(const char *node)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)node; *p; p++) {
        h ^= *p;
        h *= 1099511628211ull;
    }
    return h | 1; /* never 0: 0 means "no key" */
}

static bool unsupported(int e)
{
    return e == ENOTTY || e == EOPNOTSUPP || e == EINVAL || e == ENOSYS;
}

wp_disk_pr_result wp_disk_pr_take(int fd, const char *me, const char *previous, wp_err *err)
{
    uint64_t key = wp_disk_pr_key(me);
    struct pr_registration reg = {.old_key = 0, .new_key = key, .flags = PR_FL_IGNORE_KEY};
    if (ioctl(fd, IOC_PR_REGISTER, &reg) != 0) {
        if (unsupported(errno))
            return WP_DISK_PR_UNSUPPORTED;
        wp_errf(err, WP_E_IO, "cannot register a persistent reservation key");
        wp_err_why(err, "IOC_PR_REGISTER: %s", strerror(errno));
        wp_err_todo(err, "check the device's persistent reservations (sg_persist)");
        return WP_DISK_PR_FAILED;
    }
    int rc;
    if (previous && previous[0] && strcmp(previous, me) != 0) {
        struct pr_preempt pre = {.old_key = wp_disk_pr_key(previous),
                                 .new_key = key,
                                 .type = PR_WRITE_EXCLUSIVE_REG_ONLY};
        rc = ioctl(fd, IOC_PR_PREEMPT, &pre);
        if (rc != 0) { /* the old owner held no reservation: reserve */
            struct pr_reservation res = {.key = key, .type = PR_WRITE_EXCLUSIVE_REG_ONLY};
            rc = ioctl(fd, IOC_PR_RESERVE, &res);
        }
    } else {
        struct pr_reservation res = {.key = key, .type = PR_WRITE_EXCLUSIVE_REG_ONLY};
        rc = ioctl(fd, IOC_PR_RESERVE, &res);
    }
    if (rc != 0) {
        wp_errf(err, WP_E_CONFLICT, "the device refused our persistent reservation");
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "another initiator holds it: check with sg_persist -r DEVICE");
        return WP_DISK_PR_FAILED;
    }
    return WP_DISK_PR_OK;
}

void wp_disk_pr_drop(int fd, const char *me)
{
    uint64_t key = wp_disk_pr_key(me);
    struct pr_reservation res = {.key = key, .type = PR_WRITE_EXCLUSIVE_REG_ONLY};
    if (ioctl(fd, IOC_PR_RELEASE, &res) != 0 && unsupported(errno))
        return;
    struct pr_registration reg = {.old_key = key, .new_key = 0, .flags = 0};
    if (ioctl(fd, IOC_PR_REGISTER, &reg) != 0) {
        /* nothing more to do: the next owner preempts our key anyway */
    }
}
