/*
 * wpdiskwatch.c -- the independent observer of a shared disk, and a
 * stand-in for wolfpackd's heartbeat to a disk keeper (tests only).
 *
 *   wpdiskwatch watch --dev DEV [--dev DEV ...] --pid PID [--pid PID ...]
 *                     [--lease DEV] [--every MS]
 *       Every MS (default 2) reads /proc/PID/mountinfo of one process in
 *       each node's mount namespace and counts the nodes that have a file
 *       system of any DEV (the block devices that show the shared image)
 *       mounted; with --lease it also reads the lease record.  Any sample
 *       with two or more nodes mounting is an overlap.  Runs until SIGTERM
 *       or SIGINT, then prints "samples N mount-changes N lease-changes N
 *       overlaps N overlap-ms N" and exits 1 if there was an overlap.  A
 *       PID that is gone counts as a node without mounts.
 *
 *   wpdiskwatch feed --resource NAME [--run-dir DIR] [--every MS] [--device DEV]
 *       Calls wp_disk_keeper_heartbeat every MS (default 100) until
 *       SIGTERM, as wolfpackd does while it is quorate.  Run it in the
 *       node's mount namespace: when the keeper is stuck past its deadline
 *       the heartbeat fences in its place.  With --device it also keeps the
 *       node's lease watcher running (wp_disk_watcher_ensure) and stops it
 *       on SIGTERM (SIGKILL leaves it: it stops when its record goes).
 *       --all yes feeds every keeper of the run directory
 *       (wp_disk_keepers_heartbeat_all) instead of NAME's only.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "../../src/agents/disk.h"
#include "../../src/lib/clock.h"

#define MAX_ITEMS 16

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static int usage(const char *why)
{
    fprintf(stderr,
            "wpdiskwatch: %s\n"
            "usage: wpdiskwatch watch --dev DEV ... --pid PID ... [--lease DEV] [--every MS]\n"
            "       wpdiskwatch feed --resource NAME [--run-dir DIR] [--every MS] [--device DEV] "
            "[--all yes]\n",
            why);
    return 2;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Does /proc/PID/mountinfo show a mount of one of devs? */
static bool pid_mounts(int pid, const dev_t *devs, int ndev)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/mountinfo", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    bool hit = false;
    while (!hit && fgets(line, sizeof line, f)) {
        unsigned maj, min;
        if (sscanf(line, "%*d %*d %u:%u", &maj, &min) != 2)
            continue;
        for (int i = 0; i < ndev && !hit; i++)
            hit = maj == major(devs[i]) && min == minor(devs[i]);
    }
    fclose(f);
    return hit;
}

static int watch(int argc, char **argv)
{
    dev_t devs[MAX_ITEMS];
    int pids[MAX_ITEMS], ndev = 0, npid = 0;
    const char *lease_dev = NULL;
    long every = 2;
    for (int i = 0; i < argc; i++) {
        if (i + 1 >= argc)
            return usage("an option lacks its value");
        if (strcmp(argv[i], "--dev") == 0 && ndev < MAX_ITEMS) {
            struct stat st;
            if (stat(argv[++i], &st) != 0 || !S_ISBLK(st.st_mode))
                return usage("--dev wants a block device");
            devs[ndev++] = st.st_rdev;
        } else if (strcmp(argv[i], "--pid") == 0 && npid < MAX_ITEMS) {
            pids[npid++] = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--lease") == 0) {
            lease_dev = argv[++i];
        } else if (strcmp(argv[i], "--every") == 0) {
            every = atol(argv[++i]);
        } else {
            return usage("unknown option");
        }
    }
    if (!ndev || !npid || every < 1)
        return usage("watch needs --dev and --pid");
    long samples = 0, mount_changes = 0, lease_changes = 0, overlaps = 0;
    int64_t overlap_ms = 0, overlap_since = -1;
    bool last[MAX_ITEMS] = {false};
    wp_disk_lease prev = {0};
    bool have_prev = false;
    int fd = lease_dev ? wp_disk_open(lease_dev, false, NULL) : -1;
    while (!stop_flag) {
        int64_t now = wp_clock_ms();
        int mounted = 0;
        for (int i = 0; i < npid; i++) {
            bool m = pid_mounts(pids[i], devs, ndev);
            if (m != last[i]) {
                mount_changes++;
                printf("%lld node %d (pid %d) %s\n", (long long)now, i, pids[i],
                       m ? "mounted" : "unmounted");
                last[i] = m;
            }
            mounted += m;
        }
        if (mounted >= 2 && overlap_since < 0) {
            overlaps++;
            overlap_since = now;
            printf("%lld OVERLAP: %d nodes have the disk mounted\n", (long long)now, mounted);
        } else if (mounted < 2 && overlap_since >= 0) {
            overlap_ms += now - overlap_since;
            overlap_since = -1;
        }
        wp_disk_lease l;
        bool valid;
        if (fd >= 0 && wp_disk_read_lease(fd, lease_dev, &l, &valid, NULL) && valid &&
            (!have_prev || strcmp(l.owner, prev.owner) || l.generation != prev.generation ||
             l.flags != prev.flags)) {
            lease_changes++;
            printf("%lld lease: owner \"%s\" generation %llu flags %u\n", (long long)now, l.owner,
                   (unsigned long long)l.generation, l.flags);
            prev = l;
            have_prev = true;
        }
        fflush(stdout);
        samples++;
        sleep_ms(every);
    }
    if (overlap_since >= 0)
        overlap_ms += wp_clock_ms() - overlap_since;
    printf("samples %ld mount-changes %ld lease-changes %ld overlaps %ld overlap-ms %lld\n",
           samples, mount_changes, lease_changes, overlaps, (long long)overlap_ms);
    if (fd >= 0)
        close(fd);
    return overlaps ? 1 : 0;
}

static int feed(int argc, char **argv)
{
    const char *run_dir = NULL, *resource = NULL, *device = NULL;
    long every = 100;
    bool all = false;
    for (int i = 0; i < argc; i++) {
        if (i + 1 >= argc)
            return usage("an option lacks its value");
        if (strcmp(argv[i], "--resource") == 0)
            resource = argv[++i];
        else if (strcmp(argv[i], "--run-dir") == 0)
            run_dir = argv[++i];
        else if (strcmp(argv[i], "--every") == 0)
            every = atol(argv[++i]);
        else if (strcmp(argv[i], "--device") == 0)
            device = argv[++i];
        else if (strcmp(argv[i], "--all") == 0 && ++i) /* --all yes */
            all = strcmp(argv[i], "yes") == 0;
        else
            return usage("unknown option");
    }
    if (!resource || every < 1)
        return usage("feed needs --resource");
    if (device && wp_disk_watcher_ensure(run_dir, resource, device, NULL) < 0)
        return usage("cannot start the lease watcher");
    while (!stop_flag) {
        if (all)
            wp_disk_keepers_heartbeat_all(run_dir);
        else
            wp_disk_keeper_heartbeat(run_dir, resource);
        sleep_ms(every);
    }
    if (device)
        wp_disk_watcher_stop(run_dir, resource);
    return 0;
}

int main(int argc, char **argv)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    if (argc < 2)
        return usage("missing mode");
    if (strcmp(argv[1], "watch") == 0)
        return watch(argc - 2, argv + 2);
    if (strcmp(argv[1], "feed") == 0)
        return feed(argc - 2, argv + 2);
    return usage("unknown mode");
}
