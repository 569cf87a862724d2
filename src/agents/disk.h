/*
 * disk.h -- the Physical Disk agent's public pieces beyond agent.h: the
 * keeper contract for wolfpackd (heartbeat, fence), and the operator
 * helpers behind `wolfpack disk` (prepare, release).
 *
 * The keeper is a small process the start op forks for each online disk
 * (disk_keeper.c).  It renews the on-disk lease (disk_lease.h) and fences
 * the disk when it can no longer prove it owns it.  wolfpackd feeds it:
 *
 *   while the node is quorate AND its CPG traffic flows (a message delivered
 *   within the last second), call wp_disk_keeper_heartbeat() for every disk
 *   resource online on the node (or wp_disk_keepers_heartbeat_all(run_dir)
 *   once) at least every L/4 (300 ms at the default L = 1200 ms; every
 *   100 ms is fine).  When quorum is lost, call wp_disk_keeper_fence() (or
 *   wp_disk_keepers_fence_all) at once.  Without heartbeats a keeper fences
 *   its disk L/2 after the start.
 *
 * A keeper that gets no heartbeat for L/2 fences itself.  Files in the run
 * directory (RUN_DIR, /run/wolfpack/agents by default):
 *
 *   <resource>.disk          keeper state: pid, start time, nonce, device ...
 *   <resource>.disk.hb       FIFO: 'h' heartbeat, 'f' fence now
 *   <resource>.disk.deadline the keeper's current deadline (monotonic ms)
 *   <resource>.disk.fenced   why the disk was fenced (left for a person)
 *   <resource>.disk.watch    the watcher's "pid start" (disk_watch.c)
 *   <resource>.disk.obs      what the watcher saw and when it last changed
 */
#ifndef WP_DISK_H
#define WP_DISK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "agent.h"
#include "disk_lease.h"

/* False (err filled) when the block device rdev (named device in the
 * message) holds this node's own system: the file system of /, /usr, /var,
 * /boot or /etc, the whole disk of such a partition, or a disk under such a
 * device-mapper/md device.  Checked wherever a Physical Disk's device is
 * used (docs/SECURITY.md, "Values refused"). */
bool wp_disk_not_system(const char *device, dev_t rdev, wp_err *err);

/* Feed the keeper of `resource` (run_dir NULL = wp_agent_run_dir).  Never
 * blocks.  false: no keeper listens (the disk is not online here).  When the
 * keeper is stuck past its deadline (frozen), this fences the disk itself
 * and kills the keeper, and returns false. */
bool wp_disk_keeper_heartbeat(const char *run_dir, const char *resource);
/* Tell the keeper to fence now (quorum lost).  false: no keeper listens. */
bool wp_disk_keeper_fence(const char *run_dir, const char *resource);
/* The same for every keeper of the run directory (found by their FIFOs),
 * so a timer needs no list of resources; return how many listened. */
int wp_disk_keepers_heartbeat_all(const char *run_dir);
int wp_disk_keepers_fence_all(const char *run_dir);

/* The lease watcher (disk_watch.c) of a node that may take the disk over:
 * wolfpackd ensures one per Physical Disk this node is a possible owner of,
 * so a takeover only waits what remains of L since the last change the
 * watcher saw.  Returns its pid (an existing one is kept), -1 with err. */
pid_t wp_disk_watcher_ensure(const char *run_dir, const char *resource, const char *device,
                             wp_err *err);
void wp_disk_watcher_stop(const char *run_dir, const char *resource);
/* Seed an observer from a live, fresh watcher's file; false: none usable. */
bool wp_disk_watch_seed(const char *run_dir, const char *resource, int64_t lease_ms,
                        wp_disk_observer *obs);

/* SCSI-3 persistent reservations, where the device has them (disk_pr.c). */
typedef enum wp_disk_pr_result {
    WP_DISK_PR_OK = 0,
    WP_DISK_PR_UNSUPPORTED, /* loop devices and the like: skipped */
    WP_DISK_PR_FAILED,      /* err set: the device refused */
} wp_disk_pr_result;
/* This node's key (never 0). */
uint64_t wp_disk_pr_key(const char *node);
/* Register our key and reserve (Write Exclusive, Registrants Only),
 * preempting the previous owner's key when there was one. */
wp_disk_pr_result wp_disk_pr_take(int fd, const char *me, const char *previous, wp_err *err);
/* Release the reservation and unregister (stop). */
void wp_disk_pr_drop(int fd, const char *me);

/* `wolfpack disk prepare`: make the file system (fs_bytes = the area offset)
 * and write a fresh header and a free lease.  Refuses a device that holds a
 * file system or a lease unless force.  Programs' output to log_fd. */
typedef struct wp_disk_prepare_opts {
    const char *device;
    const char *fstype; /* ext4 (default), ext3, ext2 */
    bool mmp;
    bool force;
    uint32_t lease_ms; /* 0 = WP_DISK_DEFAULT_LEASE_MS */
    int log_fd;
} wp_disk_prepare_opts;
bool wp_disk_prepare(const wp_disk_prepare_opts *o, wp_disk_header *out, wp_err *err);

/* `wolfpack disk release --force`: mark the lease released (forced). */
bool wp_disk_release_forced(const char *device, const char *by, wp_disk_lease *before, wp_err *err);

/* This node's name as the lease records it (uname nodename). */
bool wp_disk_node_name(char out[WP_DISK_OWNER_MAX], wp_err *err);

/* ---- shared by disk.c and disk_keeper.c ------------------------------------ */

typedef struct wp_disk_keeper_args {
    const char *run_dir;
    const char *resource;
    const char *device;
    const char *mountpoint;
    int dev_fd;          /* O_RDWR | O_DIRECT, the keeper takes it over */
    wp_disk_lease lease; /* our claim as written */
    wp_disk_keeper_clock clock;
    int log_fd;
} wp_disk_keeper_args;

/* Fork the detached keeper; returns its pid once it has written its state
 * file, or -1 with err. */
pid_t wp_disk_keeper_spawn(const wp_disk_keeper_args *a, wp_err *err);

/* Stop the disk being used on this node: device read-only (BLKROSET), the
 * mount detached, SIGKILL to every process of this mount namespace holding
 * it (repeated until none is new), and only then the file system shut down
 * without log flush and released.  Killing before the shutdown is what keeps
 * a fsync that the shutdown cuts off from being acknowledged (docs/DISK.md).
 * A late fence (wp_disk_fence_late) only sets read-only and kills the
 * holders: the mount stays, quarantined, since shutting down or unmounting
 * writes journal metadata that may land over the new owner's.  Logs to
 * log_fd. */
void wp_disk_fence_now(int dev_fd, const char *device, const char *mountpoint, bool late,
                       int log_fd);
#define WP_DISK_LATE_TAG "late fence"
/* An empty read-only tmpfs of this source name lies under the disk's mount
 * (start mounts it first), so that after a fence's unmount a surviving
 * process cannot write under the mount point; stop and the next start
 * remove it. */
#define WP_DISK_PLACEHOLDER "wolfpack-fenced"
bool wp_disk_placeholder_mount(const char *mountpoint, int log_fd);
void wp_disk_placeholder_drop(const char *mountpoint);
/* SIGKILL every process of this mount namespace with a file, directory or
 * mapping on the file system of device `dev`, pass after pass until a pass
 * finds none it has not killed; returns how many. */
int wp_disk_kill_holders(dev_t dev, int log_fd);
/* Is the file system of device number dev mounted at mountpoint here? */
bool wp_disk_mounted(dev_t dev, const char *mountpoint);

#endif
