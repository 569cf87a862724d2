/*
 * disk_lease.h -- the on-disk lease that arbitrates a Physical Disk.
 *
 * A prepared shared disk keeps its file system first and a 1 MiB lease area
 * at its very end (docs/DISK.md):
 *
 *   offset 0 .. fs_bytes            the file system (made smaller by prepare)
 *   area + 0      (4096 bytes)      header: magic, version, disk UUID, L
 *   area + 4096   (4096 bytes)      lease record: owner, nonce, generation,
 *                                   counter, L, flags, SHA-256
 *   area = device size - 1 MiB (rounded down to 4096)
 *
 * Every record is 512 bytes at the start of its own 4096-byte block and is
 * written as one aligned block with O_DIRECT | O_SYNC, so it never straddles
 * a sector and every node reads what the others wrote through its own block
 * device (no page cache in between).  A damaged record fails its checksum
 * and is never taken for a valid one.
 *
 * The pure half (encode/decode, the observer, the takeover wait, the
 * keeper's decision) takes the time as a parameter and is unit tested with a
 * fake clock; the I/O half opens, reads and writes the device.
 */
#ifndef WP_DISK_LEASE_H
#define WP_DISK_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

#define WP_DISK_AREA_BYTES (1024 * 1024) /* the lease area at the end */
#define WP_DISK_BLOCK 4096               /* I/O unit and alignment */
#define WP_DISK_REC_BYTES 512            /* one record, one sector */
#define WP_DISK_VERSION 1
#define WP_DISK_DEFAULT_LEASE_MS 1200 /* L: fits token 1000 (docs/DISK.md) */
#define WP_DISK_MIN_LEASE_MS 200
#define WP_DISK_MAX_LEASE_MS 600000
#define WP_DISK_OWNER_MAX 64 /* node name, NUL included */

#define WP_DISK_F_RELEASED 0x1u /* the owner let go (or an operator forced it) */
#define WP_DISK_F_FORCED 0x2u   /* released by `wolfpack disk release --force` */

typedef struct wp_disk_header {
    uint32_t version;
    uint8_t uuid[16];
    uint32_t lease_ms; /* L, the same for every node */
    uint64_t fs_bytes; /* the file system must end here (= area offset) */
    int64_t created;   /* unix seconds, informational */
    char fstype[16];
    uint32_t mmp; /* prepared with ext4 multi-mount protection */
} wp_disk_header;

typedef struct wp_disk_lease {
    uint8_t uuid[16];              /* must match the header's */
    char owner[WP_DISK_OWNER_MAX]; /* node name; "" = never claimed */
    uint64_t nonce;                /* random, new on every claim */
    uint64_t generation;           /* +1 on every claim (and release) */
    uint64_t counter;              /* +1 on every write */
    uint32_t lease_ms;             /* L the writer used */
    uint32_t flags;                /* WP_DISK_F_* */
    int64_t wall_ms;               /* writer's wall clock: display only */
} wp_disk_lease;

/* ---- records (pure) ------------------------------------------------------ */

void wp_disk_header_encode(const wp_disk_header *h, unsigned char out[WP_DISK_REC_BYTES]);
bool wp_disk_header_decode(const unsigned char in[WP_DISK_REC_BYTES], wp_disk_header *h,
                           wp_err *err);
void wp_disk_lease_encode(const wp_disk_lease *l, unsigned char out[WP_DISK_REC_BYTES]);
bool wp_disk_lease_decode(const unsigned char in[WP_DISK_REC_BYTES], wp_disk_lease *l, wp_err *err);
/* A lease nobody holds: never claimed, or released. */
bool wp_disk_lease_free(const wp_disk_lease *l);
/* The same claim and the same write (owner, nonce, generation, counter, flags). */
bool wp_disk_lease_same(const wp_disk_lease *a, const wp_disk_lease *b);
/* Held by this very claim (owner and nonce)?  Released counts as not held. */
bool wp_disk_lease_is_mine(const wp_disk_lease *l, const char *owner, uint64_t nonce);
/* Where the area starts on a device of dev_bytes; 0 if the device is too small. */
uint64_t wp_disk_area_offset(uint64_t dev_bytes);
/* "0b7c3e3a-...": 37 bytes with the NUL. */
void wp_disk_uuid_text(const uint8_t uuid[16], char out[37]);

/* ---- timing (pure; times are monotonic milliseconds) --------------------- */

/* The renewal period, the observer's sampling period, the owner's safety
 * margin and the heartbeat bound, all derived from L (docs/DISK.md). */
int64_t wp_disk_renew_ms(int64_t lease_ms);     /* L/3 */
int64_t wp_disk_observe_ms(int64_t lease_ms);   /* L/4 */
int64_t wp_disk_margin_ms(int64_t lease_ms);    /* L/4 */
int64_t wp_disk_heartbeat_ms(int64_t lease_ms); /* L/2: keeper fences past this */
/* The owner must stop writing by this time: the start of its last successful
 * renewal (taken BEFORE the write was issued) + L - margin. */
int64_t wp_disk_owner_deadline(int64_t renew_start_ms, int64_t lease_ms);

/* A node watching the lease: the last record seen and when (on its own
 * clock) it last saw it change. */
typedef struct wp_disk_observer {
    bool seen;
    bool valid; /* the last read decoded */
    wp_disk_lease last;
    int64_t changed_ms; /* own monotonic time the record was first seen as it is */
    int64_t sampled_ms; /* last sample */
} wp_disk_observer;

/* Feed one sample (valid = the record decoded).  A damaged record counts as
 * a change (someone may be writing). */
void wp_disk_observe(wp_disk_observer *obs, const wp_disk_lease *rec, bool valid, int64_t now_ms);
/* How long a taker must still wait before it may claim: 0 when the lease is
 * free, else until the record has been seen unchanged for MORE than L
 * (strictly: changed_ms + L + 1 - now). -1 when nothing was observed yet. */
int64_t wp_disk_takeover_wait_ms(const wp_disk_observer *obs, int64_t lease_ms, int64_t now_ms);

/* What the keeper does next. */
typedef enum wp_disk_action {
    WP_DISK_WAIT = 0,    /* nothing due: sleep until wp_disk_keeper_next */
    WP_DISK_RENEW,       /* write the next renewal now */
    WP_DISK_FENCE_LEASE, /* the deadline passed (or is too close): fence */
    WP_DISK_FENCE_HB,    /* no heartbeat from wolfpackd within the bound: fence */
} wp_disk_action;

typedef struct wp_disk_keeper_clock {
    int64_t lease_ms;
    int64_t deadline_ms; /* wp_disk_owner_deadline of the last renewal */
    int64_t next_renew_ms;
    int64_t last_hb_ms; /* last heartbeat from the daemon (own clock) */
} wp_disk_keeper_clock;

/* Decide at now_ms.  Fencing wins over renewing: a keeper that wakes after
 * its deadline (frozen, then continued) fences before any write. */
wp_disk_action wp_disk_keeper_decide(const wp_disk_keeper_clock *c, int64_t now_ms);
/* A fence that starts after deadline + margin/2 is late: a taker may have
 * claimed the disk by the time it acts, so it must not touch the file
 * system any more (no shutdown, no unmount: both can write metadata). */
bool wp_disk_fence_late(int64_t deadline_ms, int64_t lease_ms, int64_t now_ms);
/* When to wake up next (the earliest of renewal, deadline, heartbeat bound). */
int64_t wp_disk_keeper_next(const wp_disk_keeper_clock *c);
/* After a renewal that started at start_ms and finished at end_ms: the
 * deadline and the next renewal both count from its start. */
void wp_disk_keeper_renewed(wp_disk_keeper_clock *c, int64_t start_ms, int64_t end_ms);

/* ---- device I/O ----------------------------------------------------------- */

/* Open a block device for lease I/O (O_DIRECT | O_SYNC; read-only if !rw).
 * Checks it is a block device.  -1 with err. */
int wp_disk_open(const char *device, bool rw, wp_err *err);
bool wp_disk_size(int fd, const char *device, uint64_t *bytes, wp_err *err);
bool wp_disk_read_header(int fd, const char *device, wp_disk_header *h, wp_err *err);
bool wp_disk_write_header(int fd, const char *device, const wp_disk_header *h, wp_err *err);
/* Read the lease record.  *valid = false (and true returned) for a damaged
 * record; false only when the device cannot be read. */
bool wp_disk_read_lease(int fd, const char *device, wp_disk_lease *l, bool *valid, wp_err *err);
bool wp_disk_write_lease(int fd, const char *device, const wp_disk_lease *l, wp_err *err);
/* Header and lease of a device, opened read-only (show, validate). */
bool wp_disk_inspect(const char *device, wp_disk_header *h, wp_disk_lease *l, bool *valid,
                     wp_err *err);

#endif
