/*
 * wpfenceorder.c -- does a disk fence lose acknowledged writes?  A test of
 * the fence's order without a cluster (tests/integration/test_fence_order.sh
 * runs it; docs/DISK.md, "The fence").
 *
 *   wpfenceorder DEV_A DEV_B DIR ROUNDS new|old [--until-loss]
 *
 * DEV_A and DEV_B are two loop devices over one ext4 image (two "nodes"
 * seeing one shared disk); DIR is a scratch directory; run it in a private
 * mount namespace.  Each round mounts DEV_A on DIR/a (over the read-only
 * placeholder, as the Physical Disk agent does), forks four writers that
 * each append numbered records to a file of their own (DIR/a/records.W),
 * fsync and only then acknowledge the number on a pipe, as a database server
 * does, and fences the disk a few
 * milliseconds later: with "new", wolfpack's own wp_disk_fence_now; with
 * "old", the order the fence had before (device read-only, file system shut
 * down, then the holders killed, then unmounted).  Then DEV_B mounts the
 * image (replaying the journal, as the next owner does) on DIR/b and each
 * writer's last acknowledged record must be there.
 *
 * Prints one line per lost round and a tally "order O: R rounds, L lost";
 * --until-loss stops at the first loss (to show the hazard quickly).  Exit
 * status 0 when it ran (the caller judges the tally), 2 on a setup error.
 */
#include "../../src/agents/disk.h"

#include <errno.h>
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RECORD_SIZE 64
#define WRITERS 4 /* more writers, more fsyncs in flight when the fence comes */
#define OLD_SHUTDOWN _IOR('X', 125, uint32_t)
#define OLD_NOLOGFLUSH 0x2

typedef struct fence_test {
    const char *dev_a, *dev_b;
    char dir_a[4096], dir_b[4096];
    bool old_order;
    unsigned next_seq[WRITERS];
} fence_test;

typedef struct ack {
    unsigned writer, seq;
} ack;

static _Noreturn void die(const char *what)
{
    fprintf(stderr, "wpfenceorder: %s: %s\n", what, strerror(errno));
    exit(2);
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Drop a block device's cached blocks (the other device wrote the image
 * under it) and make it writable again after a fence's BLKROSET. */
static void refresh_device(const char *dev)
{
    int fd = open(dev, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die(dev);
    int zero = 0;
    if (ioctl(fd, BLKROSET, &zero) != 0 || ioctl(fd, BLKFLSBUF, 0) != 0)
        die("BLKROSET/BLKFLSBUF");
    close(fd);
}

/* Writer w: append record n to DIR/a/records.w, fsync, acknowledge (w, n);
 * forever.  On an error it stops acknowledging and waits, alive, as a
 * server would. */
static _Noreturn void writer(const char *dir, unsigned w, unsigned seq, int ack_fd)
{
    if (chdir("/") != 0)
        _exit(2);
    char path[4200];
    snprintf(path, sizeof path, "%s/records.%u", dir, w);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        _exit(2);
    for (;; seq++) {
        char rec[RECORD_SIZE];
        memset(rec, '.', sizeof rec);
        int n = snprintf(rec, sizeof rec, "record %010u", seq);
        rec[n] = ' ';
        rec[RECORD_SIZE - 1] = '\n';
        if (write(fd, rec, sizeof rec) != (ssize_t)sizeof rec || fsync(fd) != 0)
            break;
        ack a = {w, seq};
        if (write(ack_fd, &a, sizeof a) != (ssize_t)sizeof a)
            break;
    }
    for (;;)
        pause();
}

/* The fence as it was before: read-only, shut down, then kill, unmount. */
static void old_fence(int dev_fd, const char *device, const char *mountpoint)
{
    int one = 1;
    ioctl(dev_fd, BLKROSET, &one);
    struct stat st;
    if (stat(device, &st) != 0)
        die(device);
    int mfd = open(mountpoint, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    uint32_t how = OLD_NOLOGFLUSH;
    if (mfd >= 0) {
        ioctl(mfd, OLD_SHUTDOWN, &how);
        close(mfd);
    }
    wp_disk_kill_holders(st.st_rdev, -1);
    if (umount2(mountpoint, 0) != 0)
        umount2(mountpoint, MNT_DETACH);
    wp_disk_placeholder_mount(mountpoint, -1);
}

static void mount_a(fence_test *t)
{
    refresh_device(t->dev_a);
    if (!wp_disk_placeholder_mount(t->dir_a, 2))
        exit(2);
    if (mount(t->dev_a, t->dir_a, "ext4", 0, NULL) != 0)
        die("mount DEV_A");
}

/* Highest record number in one file of DEV_B (mounted on dir_b). */
static long long last_in(const char *dir, unsigned w)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/records.%u", dir, w);
    long long last = -1;
    FILE *f = fopen(path, "re");
    char rec[RECORD_SIZE + 1];
    while (f && fread(rec, 1, RECORD_SIZE, f) == RECORD_SIZE) {
        unsigned seq;
        rec[RECORD_SIZE] = 0;
        if (sscanf(rec, "record %10u", &seq) == 1 && rec[RECORD_SIZE - 1] == '\n')
            last = seq;
    }
    if (f)
        fclose(f);
    return last;
}

/* The highest record of every writer on DEV_B, after its journal replay. */
static void last_on_b(fence_test *t, long long last[WRITERS])
{
    refresh_device(t->dev_b);
    if (mount(t->dev_b, t->dir_b, "ext4", 0, NULL) != 0)
        die("mount DEV_B (journal replay)");
    for (unsigned w = 0; w < WRITERS; w++)
        last[w] = last_in(t->dir_b, w);
    if (umount2(t->dir_b, 0) != 0)
        die("umount DEV_B");
}

/* One round; true when every writer's last acknowledged record survived. */
static bool round_ok(fence_test *t, int round)
{
    mount_a(t);
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        die("pipe");
    pid_t pids[WRITERS];
    for (unsigned w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        if (pids[w] < 0)
            die("fork");
        if (pids[w] == 0) {
            close(p[0]);
            writer(t->dir_a, w, t->next_seq[w], p[1]);
        }
    }
    close(p[1]);
    unsigned jitter;
    if (getrandom(&jitter, sizeof jitter, 0) != sizeof jitter)
        jitter = (unsigned)round * 7919u;
    sleep_us(3000 + (long)(jitter % 25000));
    int dev_fd = open(t->dev_a, O_RDONLY | O_CLOEXEC);
    if (t->old_order)
        old_fence(dev_fd, t->dev_a, t->dir_a);
    else
        wp_disk_fence_now(dev_fd, t->dev_a, t->dir_a, false, -1);
    close(dev_fd);
    long long acked[WRITERS];
    for (unsigned w = 0; w < WRITERS; w++)
        acked[w] = -1;
    ack a;
    while (read(p[0], &a, sizeof a) == (ssize_t)sizeof a)
        if (a.writer < WRITERS)
            acked[a.writer] = a.seq; /* EOF once every writer is dead */
    close(p[0]);
    for (unsigned w = 0; w < WRITERS; w++) {
        kill(pids[w], SIGKILL); /* dead already unless a fence failed */
        waitpid(pids[w], NULL, 0);
    }
    wp_disk_placeholder_drop(t->dir_a);
    long long last[WRITERS];
    last_on_b(t, last);
    bool ok = true;
    for (unsigned w = 0; w < WRITERS; w++) {
        if (acked[w] > last[w]) {
            printf("round %d: writer %u's record %lld was acknowledged, its file ends at %lld\n",
                   round, w, acked[w], last[w]);
            ok = false;
        }
        long long high = acked[w] > last[w] ? acked[w] : last[w];
        t->next_seq[w] = (unsigned)(high + 1);
    }
    return ok;
}

int main(int argc, char **argv)
{
    if (argc < 6 || (strcmp(argv[5], "new") != 0 && strcmp(argv[5], "old") != 0)) {
        fprintf(stderr, "usage: wpfenceorder DEV_A DEV_B DIR ROUNDS new|old [--until-loss]\n");
        return 2;
    }
    fence_test t = {.dev_a = argv[1], .dev_b = argv[2], .old_order = argv[5][0] == 'o'};
    snprintf(t.dir_a, sizeof t.dir_a, "%s/a", argv[3]);
    snprintf(t.dir_b, sizeof t.dir_b, "%s/b", argv[3]);
    mkdir(t.dir_a, 0755);
    mkdir(t.dir_b, 0755);
    int rounds = atoi(argv[4]), lost = 0, done = 0;
    bool until_loss = argc > 6 && strcmp(argv[6], "--until-loss") == 0;
    signal(SIGPIPE, SIG_IGN);
    for (int r = 1; r <= rounds && !(until_loss && lost > 0); r++, done++)
        lost += round_ok(&t, r) ? 0 : 1;
    printf("order %s: %d rounds, %d lost\n", argv[5], done, lost);
    return 0;
}
