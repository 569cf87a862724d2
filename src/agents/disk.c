/*
 * disk.c -- the "Physical Disk" agent: a shared block device with a file
 * system, arbitrated by the on-disk lease of disk_lease.c and kept by the
 * keeper process of disk_keeper.c.  Also the operator helpers behind
 * `wolfpack disk prepare` and `wolfpack disk release --force`.
 *
 *   validate  block device (never the one holding this node's own system:
 *             wp_disk_not_system), lease area with a readable header, the
 *             file system ends before the lease area, the fstype matches
 *   start     arbitrate: watch the lease until it is free or unchanged for
 *             more than L, claim it (write, settle, read back), start the
 *             keeper, fsck (e2fsck -p), mount in this mount namespace
 *   stop      kill what still holds the mount (logged), unmount, stop the
 *             keeper, write the lease released
 *   quick     mounted, writable, keeper alive
 *   thorough  quick + a marker file written, fsync'd and read back + the
 *             lease record on disk is still our claim
 *
 * Where the device has SCSI-3 persistent reservations they are taken too
 * after the lease (disk_pr.c); loop devices have none and are skipped.
 * The lease watcher of a possible owner is disk_watch.c (docs/DISK.md).
 */
#include "disk.h"
#include "../lib/clock.h"
#include "../lib/proc.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WP_DISK_SETTLE_MIN_MS 30

/* What every op needs. */
typedef struct disk_res {
    const char *name;
    const char *run_dir;
    const char *device;
    const char *mountpoint;
    const char *fstype;
    const char *options;
    int log_fd;
} disk_res;

static disk_res res_of(const wp_agent_ctx *ctx)
{
    disk_res r = {
        .name = ctx->name,
        .run_dir = wp_agent_run_dir(ctx->run_dir),
        .device = wp_agent_prop(ctx, "device"),
        .mountpoint = wp_agent_prop(ctx, "mountpoint"),
        .fstype = wp_agent_prop(ctx, "fstype"),
        .options = wp_agent_prop(ctx, "mount_options"),
        .log_fd = ctx->log_fd,
    };
    return r;
}

static void logmsg(const disk_res *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logmsg(const disk_res *r, const char *fmt, ...)
{
    if (r->log_fd < 0)
        return;
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    dprintf(r->log_fd, "wolfpack disk %s: %s\n", r->name, buf);
}

bool wp_disk_node_name(char out[WP_DISK_OWNER_MAX], wp_err *err)
{
    struct utsname u;
    if (uname(&u) != 0 || !u.nodename[0] || strlen(u.nodename) >= WP_DISK_OWNER_MAX) {
        wp_errf(err, WP_E_IO, "cannot tell this node's name");
        wp_err_why(err, "uname gave no usable host name");
        wp_err_todo(err, "set the host name of this node");
        return false;
    }
    snprintf(out, WP_DISK_OWNER_MAX, "%s", u.nodename);
    return true;
}

/* ---- keeper state ------------------------------------------------------------ */

typedef struct keeper_state {
    pid_t pid;
    unsigned long long start;
    uint64_t nonce;
    bool alive;
} keeper_state;

static void state_path(const disk_res *r, const char *suffix, char *out, size_t n)
{
    snprintf(out, n, "%s/%s.disk%s", r->run_dir, r->name, suffix);
}

static bool keeper_read(const disk_res *r, keeper_state *k)
{
    memset(k, 0, sizeof *k);
    char path[4096], line[4096 + 32];
    state_path(r, "", path, sizeof path);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;
        if (sscanf(line, "pid=%llu", &v) == 1)
            k->pid = (pid_t)v;
        else if (sscanf(line, "start=%llu", &v) == 1)
            k->start = v;
        else if (sscanf(line, "nonce=%llu", &v) == 1)
            k->nonce = v;
    }
    fclose(f);
    k->alive = k->pid > 0 && wp_proc_start_time(k->pid) == k->start;
    return k->pid > 0;
}

static void keeper_files_remove(const disk_res *r)
{
    const char *suffixes[] = {"", ".hb", ".deadline"};
    char path[4096];
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        state_path(r, suffixes[i], path, sizeof path);
        unlink(path);
    }
}

/* SIGTERM the keeper and wait until it is gone (SIGKILL after 2 s, given
 * up after 4 s).  Looks again after 1, 2, 4, 8, then every 10 ms: a keeper
 * that leaves at once costs a planned move ~1 ms, not 10. */
static void keeper_stop(const disk_res *r, const keeper_state *k)
{
    if (!k->alive)
        return;
    kill(k->pid, SIGTERM);
    int64_t start = wp_clock_ms();
    bool killed = false;
    for (int64_t gap = 1; wp_clock_ms() - start < 4000; gap = gap < 5 ? gap * 2 : 10) {
        if (wp_proc_start_time(k->pid) != k->start)
            return;
        if (!killed && wp_clock_ms() - start >= 2000) {
            logmsg(r, "keeper %d ignored SIGTERM: SIGKILL", (int)k->pid);
            kill(k->pid, SIGKILL);
            killed = true;
        }
        wp_clock_sleep_ms(gap);
    }
}

/* ---- device helpers ---------------------------------------------------------- */

static bool device_rdev(const disk_res *r, dev_t *dev, wp_err *err)
{
    struct stat st;
    if (stat(r->device, &st) != 0) {
        wp_errf(err, errno == ENOENT ? WP_E_NOTFOUND : WP_E_IO, "cannot use %s", r->device);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check that the shared disk is attached to this node");
        return false;
    }
    if (!S_ISBLK(st.st_mode)) {
        wp_errf(err, WP_E_INVALID, "%s is not a block device", r->device);
        wp_err_why(err, "a Physical Disk is a shared block device (a LUN, a loop device)");
        wp_err_todo(err, "set the device property to the shared block device");
        return false;
    }
    *dev = st.st_rdev;
    return wp_disk_not_system(r->device, st.st_rdev, err);
}

/* The device number in the sysfs file PATH ("MAJ:MIN\n"). */
static bool read_devnum(const char *path, dev_t *out)
{
    unsigned maj, min;
    FILE *f = fopen(path, "r");
    bool ok = f && fscanf(f, "%u:%u", &maj, &min) == 2;
    if (f)
        fclose(f);
    if (ok)
        *out = makedev(maj, min);
    return ok;
}

/* Is rdev the device dev, the whole disk dev is a partition of, or (one
 * level of device-mapper/md below) a device dev is built on or the disk of
 * such a device? */
static bool backs_device(dev_t rdev, dev_t dev, int depth)
{
    char sys[96], real[PATH_MAX], path[PATH_MAX + 32];
    dev_t other;
    if (rdev == dev)
        return true;
    snprintf(sys, sizeof sys, "/sys/dev/block/%u:%u", major(dev), minor(dev));
    if (!realpath(sys, real))
        return false;
    snprintf(path, sizeof path, "%s/partition", real);
    if (access(path, F_OK) == 0) {
        snprintf(path, sizeof path, "%s/../dev", real);
        if (read_devnum(path, &other) && other == rdev)
            return true;
    }
    if (depth > 0)
        return false;
    snprintf(path, sizeof path, "%s/slaves", real);
    DIR *d = opendir(path);
    bool found = false;
    for (struct dirent *e; d && !found && (e = readdir(d));) {
        char dev_file[PATH_MAX + 300];
        if (e->d_name[0] == '.')
            continue;
        snprintf(dev_file, sizeof dev_file, "%s/slaves/%s/dev", real, e->d_name);
        found = read_devnum(dev_file, &other) && backs_device(rdev, other, depth + 1);
    }
    if (d)
        closedir(d);
    return found;
}

bool wp_disk_not_system(const char *device, dev_t rdev, wp_err *err)
{
    static const char *const dirs[] = {"/", "/usr", "/var", "/boot", "/etc"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        struct stat st;
        if (stat(dirs[i], &st) != 0 || !backs_device(rdev, st.st_dev, 0))
            continue;
        wp_errf(err, WP_E_INVALID, "%s is the disk that holds this node's %s", device, dirs[i]);
        wp_err_why(err, "a Physical Disk is a shared disk that moves between nodes; the disk of "
                        "the node's own system must never be taken, fenced or mounted by "
                        "wolfpack");
        wp_err_todo(err, "set the device property to the shared disk (a LUN or a loop device "
                         "attached to every node)");
        return false;
    }
    return true;
}

/* wp_disk_not_system for a path (a path that is no block device is left
 * to the caller's own checks). */
static bool path_not_system(const char *device, wp_err *err)
{
    struct stat st;
    return stat(device, &st) != 0 || !S_ISBLK(st.st_mode) ||
           wp_disk_not_system(device, st.st_rdev, err);
}

/* Header of the device, checked against the properties. */
static bool header_check(const disk_res *r, int fd, wp_disk_header *h, wp_err *err)
{
    uint64_t size;
    if (!wp_disk_read_header(fd, r->device, h, err) || !wp_disk_size(fd, r->device, &size, err))
        return false;
    if (h->fs_bytes != wp_disk_area_offset(size)) {
        wp_errf(err, WP_E_CORRUPT, "the lease area of %s is not where it was prepared", r->device);
        wp_err_why(err,
                   "prepared for a file system of %llu bytes, the device now puts the "
                   "area at %llu (was the device resized?)",
                   (unsigned long long)h->fs_bytes, (unsigned long long)wp_disk_area_offset(size));
        wp_err_todo(err, "prepare the disk again (this erases it), or restore its size");
        return false;
    }
    if (r->fstype && strcmp(h->fstype, r->fstype) != 0) {
        wp_errf(err, WP_E_INVALID, "%s holds %s, the resource says %s", r->device, h->fstype,
                r->fstype);
        wp_err_why(err, "`wolfpack disk prepare` made a %s file system on it", h->fstype);
        wp_err_todo(err, "set the resource's fstype to %s", h->fstype);
        return false;
    }
    return true;
}

/* Clear the read-only flag a fence left on this node's device. */
static void clear_ro(const disk_res *r)
{
    int fd = open(r->device, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    int ro = 0, zero = 0;
    if (ioctl(fd, BLKROGET, &ro) == 0 && ro) {
        logmsg(r, "%s is read-only here (an earlier fence): made writable for the claim",
               r->device);
        if (ioctl(fd, BLKROSET, &zero) != 0)
            logmsg(r, "cannot clear read-only on %s: %s", r->device, strerror(errno));
    }
    close(fd);
}

/* Drop what this node's page cache holds of the device: another node wrote
 * it since (a watcher or keeper holding the device open keeps the cache
 * alive across mounts), and fsck or mount must read the disk, not stale
 * blocks. */
static bool drop_cache(const disk_res *r, wp_err *err)
{
    int fd = open(r->device, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ioctl(fd, BLKFLSBUF, 0) != 0) {
        wp_errf(err, WP_E_IO, "cannot drop the cached blocks of %s", r->device);
        wp_err_why(err, "BLKFLSBUF: %s", strerror(errno));
        wp_err_todo(err, "check the device");
        if (fd >= 0)
            close(fd);
        return false;
    }
    close(fd);
    return true;
}

/* ---- arbitration --------------------------------------------------------------- */

static int64_t settle_ms(int64_t lease_ms)
{
    return lease_ms / 20 > WP_DISK_SETTLE_MIN_MS ? lease_ms / 20 : WP_DISK_SETTLE_MIN_MS;
}

static void owner_text(const wp_disk_lease *l, bool valid, char *out, size_t n)
{
    if (!valid)
        snprintf(out, n, "a damaged record");
    else
        snprintf(out, n, "node \"%s\" (generation %llu, counter %llu)", l->owner,
                 (unsigned long long)l->generation, (unsigned long long)l->counter);
}

/* Write our claim after a fresh read, wait, read back.  true: it is ours. */
static bool claim(const disk_res *r, int fd, const wp_disk_header *h, const wp_disk_lease *seen,
                  const char *me, wp_disk_lease *mine, wp_err *err)
{
    memset(mine, 0, sizeof *mine);
    memcpy(mine->uuid, h->uuid, 16);
    snprintf(mine->owner, sizeof mine->owner, "%s", me);
    if (getrandom(&mine->nonce, sizeof mine->nonce, 0) != sizeof mine->nonce)
        mine->nonce = ((uint64_t)getpid() << 32) ^ (uint64_t)wp_clock_ms();
    mine->generation = seen->generation + 1;
    mine->counter = seen->counter + 1;
    mine->lease_ms = h->lease_ms;
    mine->wall_ms = wp_clock_wall_ms();
    if (!wp_disk_write_lease(fd, r->device, mine, err)) {
        /* a fence of an earlier incarnation may have set read-only since */
        clear_ro(r);
        if (!wp_disk_write_lease(fd, r->device, mine, err))
            return false;
    }
    wp_clock_sleep_ms(settle_ms(h->lease_ms));
    wp_disk_lease back;
    bool valid;
    if (!wp_disk_read_lease(fd, r->device, &back, &valid, err))
        return false;
    if (!valid || !wp_disk_lease_is_mine(&back, me, mine->nonce)) {
        char who[160];
        owner_text(&back, valid, who, sizeof who);
        wp_errf(err, WP_E_CONFLICT, "another node claimed %s at the same time", r->device);
        wp_err_why(err, "after writing our claim the lease area shows %s", who);
        wp_err_todo(err, "let the cluster decide the owner; start the resource again later");
        return false;
    }
    return true;
}

/* Watch the lease until it may be claimed, then claim it.  *claim_start is
 * the monotonic time just before the claim was written. */
static bool arbitrate(const disk_res *r, int fd, const wp_disk_header *h, const char *me,
                      int64_t budget_ms, wp_disk_lease *mine, int64_t *claim_start,
                      char previous[WP_DISK_OWNER_MAX], wp_err *err)
{
    int64_t L = h->lease_ms, begin = wp_clock_ms();
    wp_disk_observer obs = {0};
    if (wp_disk_watch_seed(r->run_dir, r->name, L, &obs))
        logmsg(r, "the lease watcher last saw a change %lld ms ago",
               (long long)(begin - obs.changed_ms));
    for (;;) {
        wp_disk_lease rec;
        bool valid;
        if (!wp_disk_read_lease(fd, r->device, &rec, &valid, err))
            return false;
        int64_t now = wp_clock_ms();
        wp_disk_observe(&obs, &rec, valid, now);
        int64_t wait = wp_disk_takeover_wait_ms(&obs, L, now);
        if (wait == 0) {
            if (wp_clock_ms() - now > settle_ms(L) / 2)
                continue; /* too long since the read: read again (Fischer's bound) */
            logmsg(r, "claiming %s after %lld ms (last seen: %s \"%s\" generation %llu)", r->device,
                   (long long)(now - begin), wp_disk_lease_free(&rec) ? "free" : "held", rec.owner,
                   (unsigned long long)rec.generation);
            *claim_start = wp_clock_ms();
            snprintf(previous, WP_DISK_OWNER_MAX, "%s", valid ? rec.owner : "");
            return claim(r, fd, h, &rec, me, mine, err);
        }
        if (now - begin > 2 * L && now - obs.changed_ms < L) {
            char who[160];
            owner_text(&rec, valid, who, sizeof who);
            wp_errf(err, WP_E_CONFLICT, "%s is held by another node", r->device);
            wp_err_why(err,
                       "its lease is held by %s, which renewed it within the last %lld ms "
                       "(L = %lld ms)",
                       who, (long long)(now - obs.changed_ms), (long long)L);
            wp_err_todo(err, "take the group offline on that node first; if that node is "
                             "known to be dead and its lease still moves, check for a third "
                             "machine using the disk");
            return false;
        }
        if (now - begin > budget_ms) {
            wp_errf(err, WP_E_CONFLICT, "gave up waiting for the lease of %s", r->device);
            wp_err_why(err, "the operation's time ran out after %lld ms", (long long)(now - begin));
            wp_err_todo(err, "give the resource a longer pending timeout");
            return false;
        }
        int64_t obs_ms = wp_disk_observe_ms(L);
        wp_clock_sleep_ms(wait < obs_ms ? wait : obs_ms);
    }
}

/* Write the lease released if it is still the claim (owner, nonce). */
static void release_lease(const disk_res *r, const char *me, uint64_t nonce)
{
    wp_err err;
    int fd = wp_disk_open(r->device, true, &err);
    if (fd < 0) {
        logmsg(r, "cannot release the lease: %s: %s", err.what, err.why);
        return;
    }
    wp_disk_lease cur;
    bool valid;
    if (wp_disk_read_lease(fd, r->device, &cur, &valid, &err) && valid &&
        !wp_disk_lease_free(&cur) && strcmp(cur.owner, me) == 0 && (!nonce || cur.nonce == nonce)) {
        cur.flags = WP_DISK_F_RELEASED;
        cur.generation++;
        cur.counter++;
        cur.wall_ms = wp_clock_wall_ms();
        if (wp_disk_write_lease(fd, r->device, &cur, &err))
            logmsg(r, "released the lease of %s", r->device);
        else
            logmsg(r, "cannot release the lease: %s: %s", err.what, err.why);
    }
    close(fd);
}

/* ---- fsck and mount ------------------------------------------------------------- */

static bool fsck(const disk_res *r, wp_err *err)
{
    if (strncmp(r->fstype, "ext", 3) != 0)
        return true; /* xfs, btrfs replay their log at mount; vfat: none */
    char *argv[] = {"/sbin/e2fsck", "-p", (char *)r->device, NULL};
    int status;
    if (!wp_agent_exec(argv, wp_agent_base_env, r->log_fd, &status, err))
        return false;
    if (WIFEXITED(status) && WEXITSTATUS(status) < 4) {
        if (WEXITSTATUS(status))
            logmsg(r, "e2fsck repaired %s (exit %d)", r->device, WEXITSTATUS(status));
        return true;
    }
    char how[128];
    wp_agent_status_text(status, how, sizeof how);
    wp_errf(err, WP_E_CORRUPT, "the file system on %s needs a manual repair", r->device);
    wp_err_why(err, "e2fsck -p %s", how);
    wp_err_todo(err, "run e2fsck %s by hand on this node (its output is in the agent log)",
                r->device);
    return false;
}

/* "noatime,nodev,data=ordered" -> flags + the file-system-specific rest. */
static unsigned long mount_flags(const char *options, char *data, size_t n)
{
    static const struct {
        const char *name;
        unsigned long flag;
    } known[] = {
        {"ro", MS_RDONLY},
        {"noatime", MS_NOATIME},
        {"nodiratime", MS_NODIRATIME},
        {"relatime", MS_RELATIME},
        {"nodev", MS_NODEV},
        {"nosuid", MS_NOSUID},
        {"noexec", MS_NOEXEC},
        {"sync", MS_SYNCHRONOUS},
        {"dirsync", MS_DIRSYNC},
        {"lazytime", MS_LAZYTIME},
        {"strictatime", MS_STRICTATIME},
    };
    unsigned long flags = 0;
    data[0] = 0;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", options ? options : "");
    char *save = NULL;
    for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
        bool hit = strcmp(o, "defaults") == 0 || strcmp(o, "rw") == 0;
        for (size_t i = 0; !hit && i < sizeof known / sizeof known[0]; i++) {
            if (strcmp(o, known[i].name) == 0) {
                flags |= known[i].flag;
                hit = true;
            }
        }
        if (!hit) {
            size_t len = strlen(data);
            snprintf(data + len, n - len, "%s%s", len ? "," : "", o);
        }
    }
    return flags;
}

static bool do_mount(const disk_res *r, wp_err *err)
{
    if (mkdir(r->mountpoint, 0755) != 0 && errno != EEXIST) {
        wp_errf(err, WP_E_IO, "cannot create the mount point %s", r->mountpoint);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "create it, or choose another mountpoint");
        return false;
    }
    wp_disk_placeholder_drop(r->mountpoint); /* an earlier fence's */
    if (!wp_disk_placeholder_mount(r->mountpoint, r->log_fd)) {
        wp_errf(err, WP_E_IO, "cannot put the read-only placeholder under %s", r->mountpoint);
        wp_err_why(err, "mount(2) of a tmpfs failed (see the agents' log)");
        wp_err_todo(err, "check the mount point and the node's mount table");
        return false;
    }
    char data[1024];
    unsigned long flags = mount_flags(r->options, data, sizeof data);
    if (mount(r->device, r->mountpoint, r->fstype, flags, data[0] ? data : NULL) != 0) {
        wp_disk_placeholder_drop(r->mountpoint);
        wp_errf(err, WP_E_IO, "cannot mount %s on %s", r->device, r->mountpoint);
        wp_err_why(err, "mount(2) as %s with \"%s\": %s", r->fstype, r->options ? r->options : "",
                   strerror(errno));
        wp_err_todo(err, "check the kernel log (dmesg) and the mount options");
        return false;
    }
    return true;
}

/* Unmount (killing what still holds it); false only when it stays mounted. */
static bool do_umount(const disk_res *r, dev_t dev, wp_err *err)
{
    for (int attempt = 0; attempt < 5 && wp_disk_mounted(dev, r->mountpoint); attempt++) {
        if (umount2(r->mountpoint, 0) == 0)
            break;
        if (errno != EBUSY)
            break;
        int n = wp_disk_kill_holders(dev, r->log_fd);
        logmsg(r, "%s was busy: killed %d process(es) still using it", r->mountpoint, n);
        wp_clock_sleep_ms(50);
    }
    if (wp_disk_mounted(dev, r->mountpoint) && umount2(r->mountpoint, MNT_DETACH) != 0) {
        wp_errf(err, WP_E_IO, "cannot unmount %s", r->mountpoint);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "find what holds it (fuser -m %s) and stop it", r->mountpoint);
        return false;
    }
    return true;
}

/* After a late fence the mount stays, quarantined: nothing may unmount or
 * remount it (docs/DISK.md).  true (err set) when that is the case. */
static bool quarantined(const disk_res *r, dev_t dev, wp_err *err)
{
    char path[4096], why[1024] = "";
    state_path(r, ".fenced", path, sizeof path);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    if (!fgets(why, sizeof why, f))
        why[0] = 0;
    fclose(f);
    if (!strstr(why, WP_DISK_LATE_TAG) || !wp_disk_mounted(dev, r->mountpoint))
        return false;
    why[strcspn(why, "\n")] = 0;
    wp_errf(err, WP_E_CONFLICT, "%s is quarantined on this node", r->device);
    wp_err_why(err, "%s", why);
    wp_err_todo(err,
                "reboot this node; only if you know no other node uses the disk, "
                "unmount %s by hand",
                r->mountpoint);
    return true;
}

/* ---- operations ------------------------------------------------------------------- */

static wp_agent_rc disk_validate(const wp_agent_ctx *ctx, wp_err *err)
{
    disk_res r = res_of(ctx);
    dev_t dev;
    if (!device_rdev(&r, &dev, err))
        return WP_AGENT_FAILED;
    int fd = wp_disk_open(r.device, false, err);
    if (fd < 0)
        return WP_AGENT_FAILED;
    wp_disk_header h;
    wp_disk_lease l;
    bool valid;
    bool ok = header_check(&r, fd, &h, err) && wp_disk_read_lease(fd, r.device, &l, &valid, err);
    close(fd);
    if (!ok)
        return WP_AGENT_FAILED;
    if (!valid) {
        wp_errf(err, WP_E_CORRUPT, "the lease record of %s cannot be read", r.device);
        wp_err_why(err, "its checksum or contents are wrong");
        wp_err_todo(err,
                    "if no node uses the disk, clear it with `wolfpack disk release %s "
                    "--force`",
                    r.device);
        return WP_AGENT_FAILED;
    }
    if (r.mountpoint[0] != '/') {
        wp_errf(err, WP_E_INVALID, "the mountpoint \"%s\" is not absolute", r.mountpoint);
        wp_err_why(err, "a mount point must be an absolute path");
        wp_err_todo(err, "set mountpoint to an absolute path");
        return WP_AGENT_FAILED;
    }
    return WP_AGENT_OK;
}

/* Start after the claim: keeper, fsck, mount.  Undo on failure. */
/* Persistent reservations after the lease is ours; unsupported is fine. */
static bool take_reservation(const disk_res *r, int fd, const wp_disk_lease *mine,
                             const char *previous, wp_err *err)
{
    switch (wp_disk_pr_take(fd, mine->owner, previous, err)) {
    case WP_DISK_PR_OK:
        logmsg(r, "persistent reservation of %s taken (key %016llx)", r->device,
               (unsigned long long)wp_disk_pr_key(mine->owner));
        return true;
    case WP_DISK_PR_UNSUPPORTED:
        logmsg(r, "%s has no persistent reservations: the lease alone arbitrates", r->device);
        return true;
    case WP_DISK_PR_FAILED:
        break;
    }
    return false;
}

static wp_agent_rc start_claimed(const disk_res *r, int fd, const wp_disk_lease *mine,
                                 const char *previous, int64_t claim_start, wp_err *err)
{
    if (!take_reservation(r, fd, mine, previous, err)) {
        release_lease(r, mine->owner, mine->nonce);
        return WP_AGENT_FAILED;
    }
    wp_disk_keeper_args a = {
        .run_dir = r->run_dir,
        .resource = r->name,
        .device = r->device,
        .mountpoint = r->mountpoint,
        .dev_fd = fd,
        .lease = *mine,
        .log_fd = r->log_fd,
    };
    int64_t now = wp_clock_ms();
    a.clock.lease_ms = mine->lease_ms;
    a.clock.last_hb_ms = now; /* the start itself is the first heartbeat */
    wp_disk_keeper_renewed(&a.clock, claim_start, now);
    pid_t pid = wp_disk_keeper_spawn(&a, err);
    if (pid < 0) {
        release_lease(r, mine->owner, mine->nonce);
        return WP_AGENT_FAILED;
    }
    dev_t dev = 0;
    if (drop_cache(r, err) && fsck(r, err) && drop_cache(r, err) && device_rdev(r, &dev, err) &&
        do_mount(r, err)) {
        logmsg(r, "mounted %s on %s (generation %llu, keeper %d)", r->device, r->mountpoint,
               (unsigned long long)mine->generation, (int)pid);
        return WP_AGENT_OK;
    }
    keeper_state k;
    if (keeper_read(r, &k))
        keeper_stop(r, &k);
    keeper_files_remove(r);
    release_lease(r, mine->owner, mine->nonce);
    return WP_AGENT_FAILED;
}

static wp_agent_rc disk_start(const wp_agent_ctx *ctx, wp_err *err)
{
    disk_res r = res_of(ctx);
    char me[WP_DISK_OWNER_MAX];
    dev_t dev;
    if (!wp_disk_node_name(me, err) || !device_rdev(&r, &dev, err))
        return WP_AGENT_FAILED;
    if (mkdir(r.run_dir, 0755) != 0 && errno != EEXIST) {
        wp_errf(err, WP_E_IO, "cannot create the run directory %s", r.run_dir);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check /run on this node");
        return WP_AGENT_FAILED;
    }
    keeper_state k;
    if (keeper_read(&r, &k) && k.alive) {
        if (wp_disk_mounted(dev, r.mountpoint))
            return WP_AGENT_OK;
        return do_mount(&r, err) ? WP_AGENT_OK : WP_AGENT_FAILED;
    }
    if (quarantined(&r, dev, err))
        return WP_AGENT_FAILED;
    keeper_files_remove(&r);
    char fenced[4096];
    state_path(&r, ".fenced", fenced, sizeof fenced);
    unlink(fenced);
    /* No keeper of ours runs: a read-only flag is what an earlier fence
     * left; the claim below needs the device writable. */
    clear_ro(&r);
    int fd = wp_disk_open(r.device, true, err);
    if (fd < 0)
        return WP_AGENT_FAILED;
    wp_disk_header h;
    wp_disk_lease mine;
    int64_t claim_start = 0;
    int64_t budget = wp_agent_timeout_ms(ctx) - 5000;
    char previous[WP_DISK_OWNER_MAX] = "";
    if (!header_check(&r, fd, &h, err) || !arbitrate(&r, fd, &h, me, budget > 1000 ? budget : 1000,
                                                     &mine, &claim_start, previous, err)) {
        close(fd);
        return WP_AGENT_FAILED;
    }
    wp_agent_rc rc = start_claimed(&r, fd, &mine, previous, claim_start, err);
    close(fd);
    return rc;
}

static wp_agent_rc disk_stop(const wp_agent_ctx *ctx, wp_err *err)
{
    disk_res r = res_of(ctx);
    char me[WP_DISK_OWNER_MAX];
    dev_t dev;
    if (!wp_disk_node_name(me, err) || !device_rdev(&r, &dev, err))
        return WP_AGENT_FAILED;
    if (quarantined(&r, dev, err))
        return WP_AGENT_FAILED;
    /* The keeper goes on renewing while we unmount: the lease must not lapse
     * while the file system is still mounted here. */
    if (!do_umount(&r, dev, err))
        return WP_AGENT_FAILED;
    wp_disk_placeholder_drop(r.mountpoint);
    keeper_state k;
    bool had = keeper_read(&r, &k);
    keeper_stop(&r, &k);
    keeper_files_remove(&r);
    int fd = open(r.device, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        wp_disk_pr_drop(fd, me);
        close(fd);
    }
    release_lease(&r, me, had ? k.nonce : 0);
    return WP_AGENT_OK;
}

static wp_agent_rc fenced_error(const disk_res *r, wp_err *err)
{
    char path[4096], why[400] = "";
    state_path(r, ".fenced", path, sizeof path);
    FILE *f = fopen(path, "re");
    if (!f)
        return WP_AGENT_NOT_RUNNING;
    if (!fgets(why, sizeof why, f))
        why[0] = 0;
    fclose(f);
    why[strcspn(why, "\n")] = 0;
    wp_errf(err, WP_E_CONFLICT, "%s was fenced on this node", r->device);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "the cluster moves the group; see the agent log for what was killed");
    return WP_AGENT_FAILED;
}

static wp_agent_rc disk_quick(const wp_agent_ctx *ctx, wp_err *err)
{
    disk_res r = res_of(ctx);
    dev_t dev;
    if (!device_rdev(&r, &dev, err))
        return WP_AGENT_FAILED;
    keeper_state k;
    bool have = keeper_read(&r, &k);
    bool mounted = wp_disk_mounted(dev, r.mountpoint);
    if (!have && !mounted)
        return fenced_error(&r, err);
    if (!k.alive) {
        if (fenced_error(&r, err) == WP_AGENT_FAILED)
            return WP_AGENT_FAILED;
        wp_errf(err, WP_E_CONFLICT, "the lease keeper of %s is not running", r.device);
        wp_err_why(err, "%s",
                   mounted ? "the disk is mounted but nobody renews its lease"
                           : "it ended (fenced or killed)");
        wp_err_todo(err, "stop and start the resource");
        return have || mounted ? WP_AGENT_FAILED : WP_AGENT_NOT_RUNNING;
    }
    struct statvfs sv;
    if (!mounted || statvfs(r.mountpoint, &sv) != 0 || (sv.f_flag & ST_RDONLY) ||
        access(r.mountpoint, W_OK) != 0) {
        wp_errf(err, WP_E_IO, "%s is not mounted writable on %s", r.device, r.mountpoint);
        wp_err_why(err, "%s",
                   mounted ? "the file system is read-only or not writable"
                           : "it is not in this node's mount table");
        wp_err_todo(err, "look at the kernel log (dmesg); stop and start the resource");
        return WP_AGENT_FAILED;
    }
    return WP_AGENT_OK;
}

static bool marker_check(const disk_res *r, wp_err *err)
{
    char path[4200], text[128], back[128] = "";
    snprintf(path, sizeof path, "%s/.wolfpack-check", r->mountpoint);
    snprintf(text, sizeof text, "wolfpack %s %lld\n", r->name, (long long)wp_clock_ms());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) && fsync(fd) == 0 &&
              pread(fd, back, sizeof back - 1, 0) == (ssize_t)strlen(text) &&
              memcmp(back, text, strlen(text)) == 0;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (!ok) {
        wp_errf(err, WP_E_IO, "cannot write and read back %s", path);
        wp_err_why(err, "%s", fd < 0 || e ? strerror(e) : "the data read back differs");
        wp_err_todo(err, "look at the kernel log (dmesg) for I/O errors");
    }
    return ok;
}

static wp_agent_rc disk_thorough(const wp_agent_ctx *ctx, wp_err *err)
{
    wp_agent_rc rc = disk_quick(ctx, err);
    if (rc != WP_AGENT_OK)
        return rc;
    disk_res r = res_of(ctx);
    if (!marker_check(&r, err))
        return WP_AGENT_FAILED;
    char me[WP_DISK_OWNER_MAX];
    keeper_state k;
    wp_disk_header h;
    wp_disk_lease l;
    bool valid;
    if (!wp_disk_node_name(me, err) || !keeper_read(&r, &k) ||
        !wp_disk_inspect(r.device, &h, &l, &valid, err))
        return WP_AGENT_FAILED;
    if (!valid || !wp_disk_lease_is_mine(&l, me, k.nonce)) {
        char who[160];
        owner_text(&l, valid, who, sizeof who);
        wp_errf(err, WP_E_CONFLICT, "the lease of %s is not ours any more", r.device);
        wp_err_why(err, "the lease area shows %s", who);
        wp_err_todo(err, "the keeper fences the disk; the cluster moves the group");
        return WP_AGENT_FAILED;
    }
    return WP_AGENT_OK;
}

const wp_agent_type wp_agent_disk = {
    .name = "Physical Disk",
    .ops =
        {
            [WP_OP_VALIDATE] = disk_validate,
            [WP_OP_START] = disk_start,
            [WP_OP_STOP] = disk_stop,
            [WP_OP_QUICK_CHECK] = disk_quick,
            [WP_OP_THOROUGH_CHECK] = disk_thorough,
        },
};

/* ---- operator helpers ------------------------------------------------------------- */

/* Does the device hold a file system or anything blkid knows? */
static bool has_signature(const char *device, int log_fd)
{
    char *argv[] = {"/sbin/blkid", "-p", (char *)device, NULL};
    int status;
    wp_err ignored;
    if (!wp_agent_exec(argv, wp_agent_base_env, log_fd, &status, &ignored))
        return false;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static bool prepare_check(const wp_disk_prepare_opts *o, int fd, uint64_t *area, wp_err *err)
{
    uint64_t size;
    if (!wp_disk_size(fd, o->device, &size, err))
        return false;
    *area = wp_disk_area_offset(size);
    if (!*area) {
        wp_errf(err, WP_E_INVALID, "%s is too small for a shared disk", o->device);
        wp_err_why(err, "it holds %llu bytes; at least 8 MiB are needed", (unsigned long long)size);
        wp_err_todo(err, "use a larger device");
        return false;
    }
    if (o->force)
        return true;
    wp_disk_header h;
    wp_err e;
    if (wp_disk_read_header(fd, o->device, &h, &e)) {
        wp_errf(err, WP_E_EXISTS, "%s is already prepared for the cluster", o->device);
        wp_err_why(err, "it holds a wolfpack lease area");
        wp_err_todo(err, "add --force to erase it and everything on it");
        return false;
    }
    if (has_signature(o->device, o->log_fd)) {
        wp_errf(err, WP_E_EXISTS, "%s already holds a file system or other data", o->device);
        wp_err_why(err, "blkid found a signature on it");
        wp_err_todo(err, "add --force to erase it and everything on it");
        return false;
    }
    return true;
}

/* An operator's --force also overrides a read-only flag an earlier fence
 * left on this node's device. */
static void force_writable(const char *device, int log_fd)
{
    int fd = open(device, O_RDONLY | O_CLOEXEC);
    int ro = 0, zero = 0;
    if (fd >= 0 && ioctl(fd, BLKROGET, &ro) == 0 && ro && ioctl(fd, BLKROSET, &zero) == 0 &&
        log_fd >= 0)
        dprintf(log_fd, "note: %s was read-only on this node (fenced); made writable (--force)\n",
                device);
    if (fd >= 0)
        close(fd);
}

bool wp_disk_prepare(const wp_disk_prepare_opts *o, wp_disk_header *out, wp_err *err)
{
    const char *fstype = o->fstype ? o->fstype : "ext4";
    if (strcmp(fstype, "ext4") && strcmp(fstype, "ext3") && strcmp(fstype, "ext2")) {
        wp_errf(err, WP_E_INVALID, "cannot prepare a %s file system", fstype);
        wp_err_why(err, "prepare makes ext2, ext3 or ext4 (sized to end before the lease area)");
        wp_err_todo(err, "use --fstype ext4");
        return false;
    }
    uint32_t L = o->lease_ms ? o->lease_ms : WP_DISK_DEFAULT_LEASE_MS;
    if (L < WP_DISK_MIN_LEASE_MS || L > WP_DISK_MAX_LEASE_MS) {
        wp_errf(err, WP_E_INVALID, "a lease of %u ms is out of range", L);
        wp_err_why(err, "it must be %d..%d ms", WP_DISK_MIN_LEASE_MS, WP_DISK_MAX_LEASE_MS);
        wp_err_todo(err, "choose L below Corosync's failure detection time (docs/DISK.md)");
        return false;
    }
    if (o->mmp && strcmp(fstype, "ext4") != 0) {
        wp_errf(err, WP_E_INVALID, "multi-mount protection needs ext4");
        wp_err_why(err, "mmp is an ext4 feature");
        wp_err_todo(err, "use --fstype ext4 or --no-mmp");
        return false;
    }
    if (!path_not_system(o->device, err))
        return false;
    if (o->force)
        force_writable(o->device, o->log_fd);
    int fd = wp_disk_open(o->device, true, err);
    if (fd < 0)
        return false;
    uint64_t area;
    if (!prepare_check(o, fd, &area, err)) {
        close(fd);
        return false;
    }
    char size[32];
    snprintf(size, sizeof size, "%lluk", (unsigned long long)(area / 1024));
    char *argv[16];
    int n = 0;
    argv[n++] = "/sbin/mke2fs";
    argv[n++] = "-q";
    argv[n++] = "-F";
    argv[n++] = "-t";
    argv[n++] = (char *)fstype;
    /* no background initialisation: a node must not write after its fence */
    argv[n++] = "-E";
    argv[n++] = "lazy_itable_init=0,lazy_journal_init=0";
    if (o->mmp) {
        argv[n++] = "-O";
        argv[n++] = "mmp";
    }
    argv[n++] = (char *)o->device;
    argv[n++] = size;
    argv[n] = NULL;
    int status;
    if (!wp_agent_exec(argv, wp_agent_base_env, o->log_fd, &status, err)) {
        close(fd);
        return false;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char how[128];
        wp_agent_status_text(status, how, sizeof how);
        wp_errf(err, WP_E_IO, "cannot make the file system on %s", o->device);
        wp_err_why(err, "mke2fs %s", how);
        wp_err_todo(err, "read mke2fs's message above");
        close(fd);
        return false;
    }
    wp_disk_header h = {.version = WP_DISK_VERSION,
                        .lease_ms = L,
                        .fs_bytes = area,
                        .created = (int64_t)time(NULL),
                        .mmp = o->mmp};
    snprintf(h.fstype, sizeof h.fstype, "%s", fstype);
    if (getrandom(h.uuid, sizeof h.uuid, 0) != sizeof h.uuid) {
        close(fd);
        wp_errf(err, WP_E_IO, "cannot make a disk UUID");
        wp_err_why(err, "getrandom: %s", strerror(errno));
        wp_err_todo(err, "try again");
        return false;
    }
    h.uuid[6] = (uint8_t)((h.uuid[6] & 0x0f) | 0x40);
    h.uuid[8] = (uint8_t)((h.uuid[8] & 0x3f) | 0x80);
    wp_disk_lease l = {.lease_ms = L, .wall_ms = wp_clock_wall_ms()};
    memcpy(l.uuid, h.uuid, 16);
    bool ok =
        wp_disk_write_lease(fd, o->device, &l, err) && wp_disk_write_header(fd, o->device, &h, err);
    close(fd);
    if (ok && out)
        *out = h;
    return ok;
}

bool wp_disk_release_forced(const char *device, const char *by, wp_disk_lease *before, wp_err *err)
{
    force_writable(device, 2);
    if (!path_not_system(device, err))
        return false;
    int fd = wp_disk_open(device, true, err);
    if (fd < 0)
        return false;
    wp_disk_header h;
    wp_disk_lease l;
    bool valid;
    bool ok =
        wp_disk_read_header(fd, device, &h, err) && wp_disk_read_lease(fd, device, &l, &valid, err);
    if (ok) {
        if (before)
            *before = l;
        if (!valid) {
            memset(&l, 0, sizeof l);
            memcpy(l.uuid, h.uuid, 16);
        }
        snprintf(l.owner, sizeof l.owner, "%s", by);
        l.nonce = 0;
        l.generation++;
        l.counter++;
        l.lease_ms = h.lease_ms;
        l.flags = WP_DISK_F_RELEASED | WP_DISK_F_FORCED;
        l.wall_ms = wp_clock_wall_ms();
        ok = wp_disk_write_lease(fd, device, &l, err);
    }
    close(fd);
    return ok;
}
