/*
 * disk_watch.c -- the lease watcher of a Physical Disk on a node that may
 * take it over.
 *
 * A taker must see the lease unchanged for more than L before it claims.
 * Paying L at takeover would add L to every failover, so every possible
 * owner runs a small watcher (one process per disk, detached like the
 * keeper) that reads the lease every L/4 and publishes, in
 * RUN_DIR/<resource>.disk.obs, the record it saw and the time (its own
 * monotonic clock) it first saw it.  The start op seeds its observer from
 * that file when it is fresh, so at takeover it only waits what remains of
 * L since the last change it was told about; with L below Corosync's
 * detection time that is normally nothing (docs/DISK.md).
 *
 * wolfpackd calls wp_disk_watcher_ensure() for every Physical Disk this
 * node may own (and wp_disk_watcher_stop() when that changes); a watcher
 * costs one 4 KiB O_DIRECT read every L/4.
 */
#include "disk.h"
#include "../lib/clock.h"
#include "../lib/fs.h"
#include "../lib/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *rdir(const char *run_dir)
{
    return wp_agent_run_dir(run_dir);
}

static void wpath(char *out, size_t n, const char *run_dir, const char *res, const char *suffix)
{
    snprintf(out, n, "%s/%s.disk%s", rdir(run_dir), res, suffix);
}

/* The recorded watcher, if it still runs. */
static pid_t watcher_alive(const char *run_dir, const char *resource)
{
    char path[4096], text[128];
    wpath(path, sizeof path, run_dir, resource, ".watch");
    long pid = 0;
    unsigned long long start = 0;
    if (!wp_fs_read_small(path, text, sizeof text) || sscanf(text, "%ld %llu", &pid, &start) != 2 ||
        pid <= 0 || wp_proc_start_time((pid_t)pid) != start)
        return 0;
    return (pid_t)pid;
}

static void publish(const char *path, const wp_disk_observer *obs)
{
    char text[256];
    snprintf(text, sizeof text, "%lld %lld %d %llu %llu %llu %u %s\n", (long long)obs->sampled_ms,
             (long long)obs->changed_ms, obs->valid ? 1 : 0, (unsigned long long)obs->last.nonce,
             (unsigned long long)obs->last.generation, (unsigned long long)obs->last.counter,
             obs->last.flags, obs->last.owner[0] ? obs->last.owner : "-");
    wp_fs_publish(path, text, strlen(text), 0644, NULL);
}

static _Noreturn void watcher_main(const char *run_dir, const char *resource, const char *device)
{
    setsid();
    if (chdir("/") != 0) {
    }
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    char obs_path[4096];
    wpath(obs_path, sizeof obs_path, run_dir, resource, ".obs");
    pid_t me = getpid();
    wp_disk_observer obs = {0};
    int fd = -1;
    int64_t lease_ms = WP_DISK_DEFAULT_LEASE_MS;
    /* runs until another watcher (or none) is recorded for the resource */
    while (watcher_alive(run_dir, resource) == me) {
        wp_disk_header h;
        wp_disk_lease l;
        bool valid;
        if (fd < 0 && (fd = wp_disk_open(device, false, NULL)) >= 0) {
            if (wp_disk_read_header(fd, device, &h, NULL))
                lease_ms = h.lease_ms;
        }
        if (fd >= 0 && wp_disk_read_lease(fd, device, &l, &valid, NULL)) {
            wp_disk_observe(&obs, &l, valid, wp_clock_ms());
            publish(obs_path, &obs);
        } else {
            unlink(obs_path); /* nothing trustworthy to tell */
            if (fd >= 0)
                close(fd);
            fd = -1;
            memset(&obs, 0, sizeof obs);
        }
        wp_clock_sleep_ms(wp_disk_observe_ms(lease_ms));
    }
    _exit(0);
}

pid_t wp_disk_watcher_ensure(const char *run_dir, const char *resource, const char *device,
                             wp_err *err)
{
    pid_t running = watcher_alive(run_dir, resource);
    if (running)
        return running;
    if (mkdir(rdir(run_dir), 0755) != 0 && errno != EEXIST) {
        wp_errf(err, WP_E_IO, "cannot create the run directory %s", rdir(run_dir));
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check /run on this node");
        return -1;
    }
    int p[2];
    char what[160];
    snprintf(what, sizeof what, "the lease watcher of %s", resource);
    pid_t pid = wp_proc_fork_piped(p, what, err);
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(p[1]);
        char c;
        while (read(p[0], &c, 1) < 0 && errno == EINTR) {
        }
        close(p[0]);
        int null = open("/dev/null", O_RDWR);
        for (int fd = 0; fd < 3; fd++)
            dup2(null, fd);
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        watcher_main(run_dir, resource, device);
    }
    /* record it before it runs, so that it finds itself recorded */
    char path[4096], text[64];
    wpath(path, sizeof path, run_dir, resource, ".watch");
    unsigned long long start = 0;
    for (int i = 0; i < 100 && !(start = wp_proc_start_time(pid)); i++)
        wp_clock_sleep_ms(1);
    snprintf(text, sizeof text, "%d %llu\n", (int)pid, start);
    wp_fs_publish(path, text, strlen(text), 0644, NULL);
    close(p[0]);
    if (write(p[1], "g", 1) != 1) {
    }
    close(p[1]);
    return pid;
}

void wp_disk_watcher_stop(const char *run_dir, const char *resource)
{
    pid_t pid = watcher_alive(run_dir, resource);
    char path[4096];
    wpath(path, sizeof path, run_dir, resource, ".watch");
    unlink(path);
    wpath(path, sizeof path, run_dir, resource, ".obs");
    unlink(path);
    if (pid > 0)
        kill(pid, SIGTERM);
}

bool wp_disk_watch_seed(const char *run_dir, const char *resource, int64_t lease_ms,
                        wp_disk_observer *obs)
{
    char path[4096], text[256], owner[WP_DISK_OWNER_MAX];
    wpath(path, sizeof path, run_dir, resource, ".obs");
    long long sampled, changed;
    int valid;
    unsigned long long nonce, gen, counter;
    unsigned flags;
    if (!watcher_alive(run_dir, resource) || !wp_fs_read_small(path, text, sizeof text) ||
        sscanf(text, "%lld %lld %d %llu %llu %llu %u %63s", &sampled, &changed, &valid, &nonce,
               &gen, &counter, &flags, owner) != 8)
        return false;
    int64_t now = wp_clock_ms();
    /* fresh: the watcher sampled within two of its periods */
    if (now - sampled > 2 * wp_disk_observe_ms(lease_ms) + 50 || changed > sampled || !valid)
        return false;
    memset(obs, 0, sizeof *obs);
    obs->seen = true;
    obs->valid = true;
    snprintf(obs->last.owner, sizeof obs->last.owner, "%s", strcmp(owner, "-") ? owner : "");
    obs->last.nonce = nonce;
    obs->last.generation = gen;
    obs->last.counter = counter;
    obs->last.flags = flags;
    obs->changed_ms = changed;
    obs->sampled_ms = sampled;
    return true;
}
