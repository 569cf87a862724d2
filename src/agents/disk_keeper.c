/*
 * disk_keeper.c -- the keeper of an online Physical Disk and the fence.
 *
 * The start op forks one keeper per disk, detached in its own session.  It
 * renews the on-disk lease every L/3, takes heartbeats from wolfpackd
 * through a FIFO, and fences (wp_disk_fence_now) when:
 *   - its deadline (start of the last good renewal + L - L/4) has come, on
 *     its own monotonic clock -- checked before every write, so a keeper
 *     that was frozen and is continued fences instead of writing;
 *   - no heartbeat came for L/2 (the daemon is frozen or lost quorum);
 *   - wolfpackd asks ('f' in the FIFO);
 *   - the record on disk is no longer its claim (someone took the disk).
 * SIGTERM ends it without fencing: the stop op unmounts first and then
 * releases the lease itself.  It locks its memory and runs SCHED_RR
 * (src/lib/rt.h), so a CPU hog or memory pressure does not make a healthy
 * keeper miss its deadline (docs/DISK.md, "Under load").
 *
 * The daemon side (wp_disk_keeper_heartbeat) also watches the keeper's
 * published deadline and fences in the keeper's place when it is stuck.
 */
#include "disk.h"
#include "../lib/clock.h"
#include "../lib/fs.h"
#include "../lib/proc.h"
#include "../lib/rt.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WP_FS_IOC_SHUTDOWN _IOR('X', 125, uint32_t) /* ext4, xfs, f2fs */
#define WP_FS_SHUTDOWN_NOLOGFLUSH 0x2

static const char *rdir(const char *run_dir)
{
    return wp_agent_run_dir(run_dir);
}

static void logf_fd(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_fd(int fd, const char *fmt, ...)
{
    if (fd < 0)
        return;
    char buf[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    dprintf(fd, "wolfpack disk: %s\n", buf);
}

/* ---- who holds the file system ---------------------------------------------- */

static bool same_mnt_ns(const char *pid, const struct stat *self_ns)
{
    char path[300];
    struct stat st;
    snprintf(path, sizeof path, "/proc/%s/ns/mnt", pid);
    return stat(path, &st) == 0 && st.st_ino == self_ns->st_ino && st.st_dev == self_ns->st_dev;
}

static bool path_on_dev(const char *path, dev_t dev)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == dev;
}

static bool maps_on_dev(const char *pid, dev_t dev)
{
    char path[300], line[1024];
    snprintf(path, sizeof path, "/proc/%s/maps", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool hit = false;
    while (!hit && fgets(line, sizeof line, f)) {
        unsigned maj, min;
        if (sscanf(line, "%*s %*s %*s %x:%x", &maj, &min) == 2)
            hit = maj == major(dev) && min == minor(dev) && (maj || min);
    }
    fclose(f);
    return hit;
}

static bool proc_holds(const char *pid, dev_t dev)
{
    char path[600];
    snprintf(path, sizeof path, "/proc/%s/cwd", pid);
    if (path_on_dev(path, dev))
        return true;
    snprintf(path, sizeof path, "/proc/%s/root", pid);
    if (path_on_dev(path, dev))
        return true;
    snprintf(path, sizeof path, "/proc/%s/fd", pid);
    DIR *d = opendir(path);
    bool hit = false;
    struct dirent *e;
    while (d && !hit && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/%s/fd/%s", pid, e->d_name);
        hit = path_on_dev(path, dev);
    }
    if (d)
        closedir(d);
    return hit || maps_on_dev(pid, dev);
}

/* One pass over /proc: SIGKILL every holder of dev not in killed[]; adds
 * them to killed[] (up to cap) and returns how many were new. */
static int kill_holders_pass(dev_t dev, pid_t *killed, int *n_killed, int cap, int log_fd)
{
    struct stat self_ns;
    if (stat("/proc/self/ns/mnt", &self_ns) != 0)
        return 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int fresh = 0;
    pid_t self = getpid();
    struct dirent *e;
    while ((e = readdir(d))) {
        pid_t pid = (pid_t)atoi(e->d_name);
        if (!isdigit((unsigned char)e->d_name[0]) || pid == self)
            continue;
        bool known = false;
        for (int i = 0; i < *n_killed && !known; i++)
            known = killed[i] == pid;
        if (known || !same_mnt_ns(e->d_name, &self_ns) || !proc_holds(e->d_name, dev))
            continue;
        char comm[64] = "?", path[300];
        snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
        FILE *f = fopen(path, "re");
        if (f) {
            if (fgets(comm, sizeof comm, f))
                comm[strcspn(comm, "\n")] = 0;
            fclose(f);
        }
        if (kill(pid, SIGKILL) == 0) {
            fresh++;
            if (*n_killed < cap)
                killed[(*n_killed)++] = pid;
            logf_fd(log_fd, "killed process %s (%s): it held the shared disk", e->d_name, comm);
        }
    }
    closedir(d);
    return fresh;
}

/* Passes until one finds no holder it has not already killed: a holder may
 * fork, or pass a descriptor on, between the scan and its SIGKILL.  Once a
 * pass finds nothing new, every process that holds the disk has SIGKILL
 * pending, and a process with SIGKILL pending never returns to user space:
 * whatever its fsync says, it cannot acknowledge anything any more. */
int wp_disk_kill_holders(dev_t dev, int log_fd)
{
    enum { CAP = 1024, MAX_PASSES = 16 };
    pid_t killed[CAP];
    int n_killed = 0, total = 0;
    for (int pass = 0; pass < MAX_PASSES; pass++) {
        int fresh = kill_holders_pass(dev, killed, &n_killed, CAP, log_fd);
        total += fresh;
        if (fresh == 0)
            break;
    }
    return total;
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void unescape(char *s)
{
    char *o = s;
    for (char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] && p[3]) {
            *o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
            p += 3;
        } else {
            *o++ = *p;
        }
    }
    *o = 0;
}

bool wp_disk_mounted(dev_t dev, const char *mountpoint)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return false;
    char line[4096], mp[4096];
    bool hit = false;
    while (!hit && fgets(line, sizeof line, f)) {
        unsigned maj, min;
        if (sscanf(line, "%*d %*d %u:%u %*s %4095s", &maj, &min, mp) != 3)
            continue;
        unescape(mp);
        hit = maj == major(dev) && min == minor(dev) && strcmp(mp, mountpoint) == 0;
    }
    fclose(f);
    return hit;
}

/* Is the top mount at mountpoint our fence placeholder? */
static bool placeholder_on(const char *mountpoint)
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return false;
    char line[4096], mp[4096], fstype[64], source[256];
    bool top = false; /* the last entry for mountpoint is the top one */
    while (fgets(line, sizeof line, f)) {
        const char *sep = strstr(line, " - ");
        if (sscanf(line, "%*d %*d %*s %*s %4095s", mp) != 1 || !sep ||
            sscanf(sep + 3, "%63s %255s", fstype, source) != 2)
            continue;
        unescape(mp);
        if (strcmp(mp, mountpoint) == 0)
            top = strcmp(fstype, "tmpfs") == 0 && strcmp(source, WP_DISK_PLACEHOLDER) == 0;
    }
    fclose(f);
    return top;
}

void wp_disk_placeholder_drop(const char *mountpoint)
{
    for (int i = 0; i < 8 && placeholder_on(mountpoint); i++)
        if (umount2(mountpoint, 0) != 0 && umount2(mountpoint, MNT_DETACH) != 0)
            break;
}

/* An empty read-only tmpfs on the mount point: start puts it *under* the
 * disk's mount, so that the fence's unmount reveals it at once, and a
 * process that survived the fence (it had no file open on the disk: a
 * server that opens its data file per request) gets EROFS instead of
 * writing into the directory under the mount point, on this node's own
 * disk, and acknowledging data the cluster will never see.  (Mounted after
 * the unmount instead, it left a window of a few ms: one acknowledged
 * record in ~10 kills was lost so.) */
bool wp_disk_placeholder_mount(const char *mountpoint, int log_fd)
{
    if (placeholder_on(mountpoint))
        return true;
    if (mount(WP_DISK_PLACEHOLDER, mountpoint, "tmpfs",
              MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") != 0) {
        logf_fd(log_fd, "cannot put a read-only placeholder on %s: %s", mountpoint,
                strerror(errno));
        return false;
    }
    return true;
}

/* The file system on dev, mounted at mountpoint, goes away for good: it is
 * detached from the tree (new path lookups meet the read-only placeholder
 * under it), every holder gets SIGKILL (again until none is new), and only
 * then is it shut down without a log flush; the descriptor kept on it is
 * the last reference, so closing it ends the (shut down) mount without a
 * write.  The order is the point: a writer whose fsync is in flight when the
 * journal is aborted may see success for a transaction that never commits
 * (notes/TESTBED.md); with SIGKILL already pending it dies before it can
 * acknowledge that write.  See docs/DISK.md, "The fence". */
static void fence_mounted(dev_t dev, const char *mountpoint, int log_fd)
{
    int mfd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (mfd >= 0 && (fstat(mfd, &st) != 0 || st.st_dev != dev)) {
        close(mfd); /* something else is on top: do not shut that down */
        mfd = -1;
    }
    if (umount2(mountpoint, MNT_DETACH) != 0)
        logf_fd(log_fd, "fence: cannot detach %s: %s", mountpoint, strerror(errno));
    wp_disk_kill_holders(dev, log_fd);
    uint32_t how = WP_FS_SHUTDOWN_NOLOGFLUSH;
    if (mfd >= 0 && ioctl(mfd, WP_FS_IOC_SHUTDOWN, &how) != 0)
        logf_fd(log_fd, "fence: cannot shut down the file system on %s: %s", mountpoint,
                strerror(errno));
    wp_disk_kill_holders(dev, log_fd); /* nobody, unless it came in by a path we missed */
    if (mfd >= 0)
        close(mfd);
}

void wp_disk_fence_now(int dev_fd, const char *device, const char *mountpoint, bool late,
                       int log_fd)
{
    int one = 1;
    if (dev_fd >= 0 && ioctl(dev_fd, BLKROSET, &one) != 0)
        logf_fd(log_fd, "fence: cannot set %s read-only: %s", device, strerror(errno));
    struct stat st;
    dev_t dev = 0;
    if (stat(device, &st) == 0)
        dev = st.st_rdev;
    else if (dev_fd >= 0 && fstat(dev_fd, &st) == 0)
        dev = st.st_rdev;
    if (late) {
        if (dev)
            wp_disk_kill_holders(dev, log_fd);
        logf_fd(log_fd,
                "%s of %s (%s): read-only, holders killed, LEFT MOUNTED: a shutdown or "
                "unmount could write stale metadata over the new owner's; reboot this node",
                WP_DISK_LATE_TAG, device, mountpoint);
        return;
    }
    if (dev && wp_disk_mounted(dev, mountpoint))
        fence_mounted(dev, mountpoint, log_fd);
    else if (dev)
        wp_disk_kill_holders(dev, log_fd);
    wp_disk_placeholder_mount(mountpoint, log_fd); /* normally there already, under it */
    logf_fd(log_fd,
            "fenced %s (%s): read-only, detached, holders killed, shut down, read-only "
            "placeholder on it",
            device, mountpoint);
}

/* ---- files of the run directory -------------------------------------------- */

static void file_path(char *out, size_t n, const char *run_dir, const char *res, const char *suffix)
{
    snprintf(out, n, "%s/%s.disk%s", rdir(run_dir), res, suffix);
}

static void publish_deadline(const char *run_dir, const char *res, int64_t deadline,
                             int64_t lease_ms)
{
    char path[4096], text[64];
    file_path(path, sizeof path, run_dir, res, ".deadline");
    snprintf(text, sizeof text, "%lld %lld\n", (long long)deadline, (long long)lease_ms);
    wp_fs_publish(path, text, strlen(text), 0644, NULL);
}

static void record_fence(const char *run_dir, const char *res, bool late, const char *why)
{
    char path[4096], text[1024];
    file_path(path, sizeof path, run_dir, res, ".fenced");
    time_t t = time(NULL);
    struct tm tm;
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    snprintf(text, sizeof text, "%s fenced: %s%s\n", when, why,
             late ? " (" WP_DISK_LATE_TAG ": the mount is left in place, quarantined; reboot "
                    "this node before it uses the disk again)"
                  : "");
    wp_fs_publish(path, text, strlen(text), 0644, NULL);
}

static void write_state(const wp_disk_keeper_args *a, pid_t pid)
{
    char path[4096], text[4096 + 512];
    file_path(path, sizeof path, a->run_dir, a->resource, "");
    snprintf(text, sizeof text,
             "pid=%d\nstart=%llu\nnonce=%llu\ngeneration=%llu\nowner=%s\ndevice=%s\n"
             "mountpoint=%s\n",
             (int)pid, wp_proc_start_time(pid), (unsigned long long)a->lease.nonce,
             (unsigned long long)a->lease.generation, a->lease.owner, a->device, a->mountpoint);
    wp_fs_publish(path, text, strlen(text), 0644, NULL);
}

/* ---- the keeper loop ------------------------------------------------------- */

typedef struct keeper {
    const wp_disk_keeper_args *a;
    wp_disk_lease lease;
    wp_disk_keeper_clock clock;
    int fifo;
    int sigfd;
} keeper;

static _Noreturn void keeper_fence(keeper *k, const char *why)
{
    const wp_disk_keeper_args *a = k->a;
    logf_fd(a->log_fd, "keeper of %s (%s): fencing: %s", a->resource, a->device, why);
    char path[4096];
    file_path(path, sizeof path, a->run_dir, a->resource, ".deadline");
    unlink(path); /* the fence is ours: the heartbeat side must not repeat it */
    bool late = wp_disk_fence_late(k->clock.deadline_ms, k->clock.lease_ms, wp_clock_ms());
    wp_disk_fence_now(a->dev_fd, a->device, a->mountpoint, late, a->log_fd);
    record_fence(a->run_dir, a->resource, late, why);
    _exit(3);
}

/* Read, check it is still ours, check the clock, write.  Fences on any doubt. */
static void keeper_renew(keeper *k)
{
    const wp_disk_keeper_args *a = k->a;
    int64_t start = wp_clock_ms();
    wp_disk_lease cur;
    bool valid;
    wp_err err;
    char why[1024];
    if (!wp_disk_read_lease(a->dev_fd, a->device, &cur, &valid, &err)) {
        snprintf(why, sizeof why, "cannot read the lease: %s: %s", err.what, err.why);
        if (wp_clock_ms() >= k->clock.deadline_ms)
            keeper_fence(k, why);
        logf_fd(a->log_fd, "keeper of %s: %s (retrying)", a->resource, why);
        k->clock.next_renew_ms = wp_clock_ms() + 20;
        return;
    }
    if (!valid || !wp_disk_lease_is_mine(&cur, k->lease.owner, k->lease.nonce)) {
        snprintf(why, sizeof why, "the lease is no longer ours (held by \"%s\", generation %llu)",
                 valid ? cur.owner : "damaged record", (unsigned long long)cur.generation);
        keeper_fence(k, why);
    }
    wp_disk_action act = wp_disk_keeper_decide(&k->clock, wp_clock_ms());
    if (act == WP_DISK_FENCE_LEASE)
        keeper_fence(k, "the lease deadline passed before the renewal could be written");
    k->lease.counter = cur.counter + 1;
    k->lease.wall_ms = wp_clock_wall_ms();
    if (!wp_disk_write_lease(a->dev_fd, a->device, &k->lease, &err)) {
        snprintf(why, sizeof why, "cannot renew the lease: %s: %s", err.what, err.why);
        if (wp_clock_ms() >= k->clock.deadline_ms)
            keeper_fence(k, why);
        logf_fd(a->log_fd, "keeper of %s: %s (retrying)", a->resource, why);
        k->clock.next_renew_ms = wp_clock_ms() + 20;
        return;
    }
    int64_t end = wp_clock_ms();
    if (end >= k->clock.deadline_ms)
        keeper_fence(k, "the renewal finished after the lease deadline");
    wp_disk_keeper_renewed(&k->clock, start, end);
    publish_deadline(a->run_dir, a->resource, k->clock.deadline_ms, k->clock.lease_ms);
}

static void keeper_read_fifo(keeper *k)
{
    char buf[256];
    ssize_t n;
    while ((n = read(k->fifo, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == 'f')
                keeper_fence(k, "wolfpackd asked to fence (quorum lost)");
            if (buf[i] == 'h')
                k->clock.last_hb_ms = wp_clock_ms();
        }
    }
}

static _Noreturn void keeper_loop(keeper *k)
{
    for (;;) {
        switch (wp_disk_keeper_decide(&k->clock, wp_clock_ms())) {
        case WP_DISK_FENCE_LEASE:
            keeper_fence(k, "the lease could not be renewed in time (deadline passed)");
        case WP_DISK_FENCE_HB:
            keeper_fence(k, "no heartbeat from wolfpackd within L/2");
        case WP_DISK_RENEW:
            keeper_renew(k);
            continue;
        case WP_DISK_WAIT:
            break;
        }
        int64_t wait = wp_disk_keeper_next(&k->clock) - wp_clock_ms();
        struct pollfd p[2] = {{k->fifo, POLLIN, 0}, {k->sigfd, POLLIN, 0}};
        poll(p, 2, wait < 0 ? 0 : (int)wait);
        if (p[1].revents & POLLIN) {
            logf_fd(k->a->log_fd, "keeper of %s: stopped", k->a->resource);
            _exit(0);
        }
        if (p[0].revents & POLLIN)
            keeper_read_fifo(k);
    }
}

/* In the forked keeper: detach, open the FIFO, publish state, tell the
 * parent through ready_fd, run. */
static _Noreturn void keeper_main(const wp_disk_keeper_args *a, int ready_fd)
{
    setsid();
    if (chdir("/") != 0) { /* never hold the mount point itself */
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    keeper k = {.a = a, .lease = a->lease, .clock = a->clock, .fifo = -1, .sigfd = -1};
    k.sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    char path[4096];
    file_path(path, sizeof path, a->run_dir, a->resource, ".hb");
    unlink(path);
    if (mkfifo(path, 0600) == 0)
        k.fifo = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (k.fifo < 0 || k.sigfd < 0) {
        dprintf(ready_fd, "cannot create the heartbeat FIFO %s: %s", path, strerror(errno));
        _exit(1);
    }
    /* Keep only what we need: stdio to the log, the device, FIFO, signalfd. */
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(a->log_fd >= 0 ? a->log_fd : null, 1);
    dup2(a->log_fd >= 0 ? a->log_fd : null, 2);
    wp_disk_keeper_args mine = *a;
    mine.log_fd = 2;
    k.a = &mine;
    for (int fd = 3; fd < 1024; fd++)
        if (fd != mine.dev_fd && fd != k.fifo && fd != k.sigfd && fd != ready_fd)
            close(fd);
    write_state(&mine, getpid());
    publish_deadline(a->run_dir, a->resource, k.clock.deadline_ms, k.clock.lease_ms);
    if (write(ready_fd, "", 0) < 0) {
    }
    close(ready_fd);
    char rt[400];
    bool hard = wp_rt_harden(WP_RT_PRIO_KEEPER, true, rt, sizeof rt);
    logf_fd(2, "keeper of %s (%s) running, pid %d, L = %u ms; %s%s", a->resource, a->device,
            (int)getpid(), a->lease.lease_ms, rt,
            hard ? "" : " (a CPU or memory shortage may make it miss its deadline: a false fence)");
    keeper_loop(&k);
}

pid_t wp_disk_keeper_spawn(const wp_disk_keeper_args *a, wp_err *err)
{
    int p[2];
    pid_t pid = wp_proc_fork_piped(p, "the disk keeper", err);
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(p[0]);
        keeper_main(a, p[1]);
    }
    close(p[1]);
    char msg[512] = "";
    ssize_t n;
    while ((n = read(p[0], msg, sizeof msg - 1)) < 0 && errno == EINTR) {
    }
    close(p[0]);
    if (n > 0) {
        msg[n] = 0;
        wp_errf(err, WP_E_IO, "the disk keeper of %s could not start", a->resource);
        wp_err_why(err, "%s", msg);
        wp_err_todo(err, "check the run directory %s", rdir(a->run_dir));
        kill(pid, SIGKILL);
        return -1;
    }
    return pid;
}

/* ---- the daemon's side ------------------------------------------------------- */

static bool fifo_send(const char *run_dir, const char *resource, char c)
{
    char path[4096];
    file_path(path, sizeof path, run_dir, resource, ".hb");
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return false;
    bool ok = write(fd, &c, 1) == 1 || errno == EAGAIN;
    close(fd);
    return ok;
}

/* A value "key=..." of the keeper state text, copied into out. */
static bool state_get(const char *text, const char *key, char *out, size_t n)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) == 0 && p[kl] == '=') {
            size_t len = strcspn(p + kl + 1, "\n");
            if (len >= n)
                return false;
            memcpy(out, p + kl + 1, len);
            out[len] = 0;
            return true;
        }
    }
    return false;
}

bool wp_disk_keeper_heartbeat(const char *run_dir, const char *resource)
{
    bool sent = fifo_send(run_dir, resource, 'h');
    char path[4096], text[4096 + 512], num[64];
    file_path(path, sizeof path, run_dir, resource, ".deadline");
    if (!wp_fs_read_small(path, num, sizeof num))
        return sent;
    long long deadline = 0, lease_ms = 0;
    if (sscanf(num, "%lld %lld", &deadline, &lease_ms) != 2 || deadline <= 0 ||
        wp_clock_ms() < deadline + 20)
        return sent;
    /* Claim the fence first: only one heartbeat does it, once. */
    char claimed[4200];
    snprintf(claimed, sizeof claimed, "%s.fencing", path);
    if (rename(path, claimed) != 0)
        return false;
    unlink(claimed);
    /* The keeper missed its own deadline: it is frozen or stuck.  Fence in
     * its place, and make sure it never writes again. */
    file_path(path, sizeof path, run_dir, resource, "");
    char pid[32] = "", start[32] = "", device[4096] = "", mp[4096] = "";
    if (!wp_fs_read_small(path, text, sizeof text) || !state_get(text, "pid", pid, sizeof pid) ||
        !state_get(text, "start", start, sizeof start) ||
        !state_get(text, "device", device, sizeof device) ||
        !state_get(text, "mountpoint", mp, sizeof mp))
        return false;
    pid_t kp = (pid_t)atoi(pid);
    if (kp > 0 && wp_proc_start_time(kp) == strtoull(start, NULL, 10))
        kill(kp, SIGKILL);
    bool late = wp_disk_fence_late(deadline, lease_ms, wp_clock_ms());
    int fd = open(device, O_RDONLY | O_CLOEXEC);
    wp_disk_fence_now(fd, device, mp, late, 2);
    if (fd >= 0)
        close(fd);
    record_fence(run_dir, resource, late,
                 "the keeper missed its lease deadline (frozen?); fenced by wolfpackd");
    return false;
}

bool wp_disk_keeper_fence(const char *run_dir, const char *resource)
{
    return fifo_send(run_dir, resource, 'f');
}

/* Every keeper of the run directory: "<resource>.disk.hb" FIFOs. */
static int for_each_keeper(const char *run_dir, bool (*fn)(const char *, const char *))
{
    DIR *d = opendir(rdir(run_dir));
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len <= 8 || strcmp(e->d_name + len - 8, ".disk.hb") != 0 || len - 8 >= 256)
            continue;
        char res[256];
        memcpy(res, e->d_name, len - 8);
        res[len - 8] = 0;
        n += fn(run_dir, res) ? 1 : 0;
    }
    closedir(d);
    return n;
}

int wp_disk_keepers_heartbeat_all(const char *run_dir)
{
    return for_each_keeper(run_dir, wp_disk_keeper_heartbeat);
}

int wp_disk_keepers_fence_all(const char *run_dir)
{
    return for_each_keeper(run_dir, wp_disk_keeper_fence);
}
