/*
 * disk_lease.c -- the on-disk lease of a Physical Disk: record encoding with
 * a SHA-256 checksum, the timing rules (observer, takeover wait, the
 * keeper's decision; pure, the time is a parameter) and the O_DIRECT device
 * I/O.  disk.c builds the agent and the keeper on top; docs/DISK.md has the
 * layout and the timing argument.
 */
#include "disk_lease.h"
#include "../lib/le.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char hdr_magic[8] = {'W', 'P', 'D', 'K', 'H', 'D', 'R', '1'};
static const char lse_magic[8] = {'W', 'P', 'D', 'K', 'L', 'S', 'E', '1'};
#define SUM_AT (WP_DISK_REC_BYTES - 32)

static void checksum(const unsigned char *rec, unsigned char sum[32])
{
    unsigned int n = 32;
    if (!EVP_Digest(rec, SUM_AT, sum, &n, EVP_sha256(), NULL))
        memset(sum, 0, 32); /* never matches a real record */
}

static void seal(unsigned char *rec)
{
    checksum(rec, rec + SUM_AT);
}

/* Magic, version and checksum of a record; what names it in messages. */
static bool check_record(const unsigned char *in, const char magic[8], const char *what,
                         wp_err *err)
{
    if (memcmp(in, magic, 8) != 0) {
        wp_errf(err, WP_E_CORRUPT, "no wolfpack %s found", what);
        wp_err_why(err, "the block does not start with the magic \"%.8s\"", magic);
        wp_err_todo(err, "prepare the device with `wolfpack disk prepare DEVICE`");
        return false;
    }
    if (wp_le32_get(in + 8) != WP_DISK_VERSION) {
        wp_errf(err, WP_E_CORRUPT, "the %s has format version %u", what, wp_le32_get(in + 8));
        wp_err_why(err, "this wolfpack reads version %d only", WP_DISK_VERSION);
        wp_err_todo(err, "use the wolfpack version that prepared the disk");
        return false;
    }
    unsigned char sum[32];
    checksum(in, sum);
    if (memcmp(sum, in + SUM_AT, 32) != 0) {
        wp_errf(err, WP_E_CORRUPT, "the %s is damaged", what);
        wp_err_why(err, "its SHA-256 checksum does not match its contents (a torn or "
                        "foreign write)");
        wp_err_todo(err, "a writer may be active: read it again; if it stays damaged, "
                         "release the disk with `wolfpack disk release DEVICE --force` "
                         "once its holder is known to be dead");
        return false;
    }
    return true;
}

static bool owner_ok(const char *s)
{
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            return false;
    return true;
}

/* ---- records ---------------------------------------------------------------- */

void wp_disk_header_encode(const wp_disk_header *h, unsigned char out[WP_DISK_REC_BYTES])
{
    memset(out, 0, WP_DISK_REC_BYTES);
    memcpy(out, hdr_magic, 8);
    wp_le32_put(out + 8, WP_DISK_VERSION);
    memcpy(out + 12, h->uuid, 16);
    wp_le32_put(out + 28, h->lease_ms);
    wp_le64_put(out + 32, h->fs_bytes);
    wp_le64_put(out + 40, (uint64_t)h->created);
    memcpy(out + 48, h->fstype, strnlen(h->fstype, sizeof h->fstype - 1));
    wp_le32_put(out + 64, h->mmp);
    seal(out);
}

bool wp_disk_header_decode(const unsigned char in[WP_DISK_REC_BYTES], wp_disk_header *h,
                           wp_err *err)
{
    if (!check_record(in, hdr_magic, "lease area header", err))
        return false;
    memset(h, 0, sizeof *h);
    h->version = wp_le32_get(in + 8);
    memcpy(h->uuid, in + 12, 16);
    h->lease_ms = wp_le32_get(in + 28);
    h->fs_bytes = wp_le64_get(in + 32);
    h->created = (int64_t)wp_le64_get(in + 40);
    memcpy(h->fstype, in + 48, sizeof h->fstype - 1);
    h->mmp = wp_le32_get(in + 64);
    if (h->lease_ms < WP_DISK_MIN_LEASE_MS || h->lease_ms > WP_DISK_MAX_LEASE_MS ||
        !owner_ok(h->fstype)) {
        wp_errf(err, WP_E_CORRUPT, "the lease area header holds impossible values");
        wp_err_why(err, "lease %u ms (allowed %d..%d), file system type \"%s\"", h->lease_ms,
                   WP_DISK_MIN_LEASE_MS, WP_DISK_MAX_LEASE_MS, h->fstype);
        wp_err_todo(err, "prepare the device again with `wolfpack disk prepare --force`");
        return false;
    }
    return true;
}

void wp_disk_lease_encode(const wp_disk_lease *l, unsigned char out[WP_DISK_REC_BYTES])
{
    memset(out, 0, WP_DISK_REC_BYTES);
    memcpy(out, lse_magic, 8);
    wp_le32_put(out + 8, WP_DISK_VERSION);
    memcpy(out + 12, l->uuid, 16);
    memcpy(out + 28, l->owner, strnlen(l->owner, WP_DISK_OWNER_MAX - 1));
    wp_le64_put(out + 92, l->nonce);
    wp_le64_put(out + 100, l->generation);
    wp_le64_put(out + 108, l->counter);
    wp_le32_put(out + 116, l->lease_ms);
    wp_le32_put(out + 120, l->flags);
    wp_le64_put(out + 124, (uint64_t)l->wall_ms);
    seal(out);
}

bool wp_disk_lease_decode(const unsigned char in[WP_DISK_REC_BYTES], wp_disk_lease *l, wp_err *err)
{
    if (!check_record(in, lse_magic, "lease record", err))
        return false;
    memset(l, 0, sizeof *l);
    memcpy(l->uuid, in + 12, 16);
    memcpy(l->owner, in + 28, WP_DISK_OWNER_MAX - 1);
    l->nonce = wp_le64_get(in + 92);
    l->generation = wp_le64_get(in + 100);
    l->counter = wp_le64_get(in + 108);
    l->lease_ms = wp_le32_get(in + 116);
    l->flags = wp_le32_get(in + 120);
    l->wall_ms = (int64_t)wp_le64_get(in + 124);
    if (!owner_ok(l->owner) || (l->flags & ~(WP_DISK_F_RELEASED | WP_DISK_F_FORCED))) {
        wp_errf(err, WP_E_CORRUPT, "the lease record holds impossible values");
        wp_err_why(err, "owner or flags are not what wolfpack writes");
        wp_err_todo(err, "release the disk with `wolfpack disk release DEVICE --force` once "
                         "its holder is known to be dead");
        return false;
    }
    return true;
}

bool wp_disk_lease_free(const wp_disk_lease *l)
{
    return !l->owner[0] || (l->flags & WP_DISK_F_RELEASED);
}

bool wp_disk_lease_same(const wp_disk_lease *a, const wp_disk_lease *b)
{
    return strcmp(a->owner, b->owner) == 0 && a->nonce == b->nonce &&
           a->generation == b->generation && a->counter == b->counter && a->flags == b->flags;
}

bool wp_disk_lease_is_mine(const wp_disk_lease *l, const char *owner, uint64_t nonce)
{
    return !wp_disk_lease_free(l) && strcmp(l->owner, owner) == 0 && l->nonce == nonce;
}

uint64_t wp_disk_area_offset(uint64_t dev_bytes)
{
    uint64_t min = 8ull * WP_DISK_AREA_BYTES; /* a file system needs some room */
    if (dev_bytes < min)
        return 0;
    return ((dev_bytes - WP_DISK_AREA_BYTES) / WP_DISK_BLOCK) * WP_DISK_BLOCK;
}

void wp_disk_uuid_text(const uint8_t u[16], char out[37])
{
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}

/* ---- timing ----------------------------------------------------------------- */

int64_t wp_disk_renew_ms(int64_t lease_ms)
{
    return lease_ms / 3;
}

int64_t wp_disk_observe_ms(int64_t lease_ms)
{
    return lease_ms / 4;
}

int64_t wp_disk_margin_ms(int64_t lease_ms)
{
    return lease_ms / 4;
}

int64_t wp_disk_heartbeat_ms(int64_t lease_ms)
{
    return lease_ms / 2;
}

int64_t wp_disk_owner_deadline(int64_t renew_start_ms, int64_t lease_ms)
{
    return renew_start_ms + lease_ms - wp_disk_margin_ms(lease_ms);
}

void wp_disk_observe(wp_disk_observer *obs, const wp_disk_lease *rec, bool valid, int64_t now_ms)
{
    bool changed = !obs->seen || !valid || !obs->valid || !wp_disk_lease_same(&obs->last, rec);
    if (changed)
        obs->changed_ms = now_ms;
    obs->seen = true;
    obs->valid = valid;
    if (valid)
        obs->last = *rec;
    obs->sampled_ms = now_ms;
}

int64_t wp_disk_takeover_wait_ms(const wp_disk_observer *obs, int64_t lease_ms, int64_t now_ms)
{
    if (!obs->seen)
        return -1;
    if (obs->valid && wp_disk_lease_free(&obs->last))
        return 0;
    int64_t wait = obs->changed_ms + lease_ms + 1 - now_ms;
    return wait > 0 ? wait : 0;
}

wp_disk_action wp_disk_keeper_decide(const wp_disk_keeper_clock *c, int64_t now_ms)
{
    if (now_ms >= c->deadline_ms)
        return WP_DISK_FENCE_LEASE;
    if (now_ms - c->last_hb_ms > wp_disk_heartbeat_ms(c->lease_ms))
        return WP_DISK_FENCE_HB;
    if (now_ms >= c->next_renew_ms)
        return WP_DISK_RENEW;
    return WP_DISK_WAIT;
}

bool wp_disk_fence_late(int64_t deadline_ms, int64_t lease_ms, int64_t now_ms)
{
    return now_ms > deadline_ms + wp_disk_margin_ms(lease_ms) / 2;
}

int64_t wp_disk_keeper_next(const wp_disk_keeper_clock *c)
{
    int64_t next = c->next_renew_ms;
    if (c->deadline_ms < next)
        next = c->deadline_ms;
    int64_t hb = c->last_hb_ms + wp_disk_heartbeat_ms(c->lease_ms) + 1;
    return hb < next ? hb : next;
}

void wp_disk_keeper_renewed(wp_disk_keeper_clock *c, int64_t start_ms, int64_t end_ms)
{
    /* every L/3 from the start of the last renewal, not from its end: a
     * write that took longer than L - margin - L/3 (500 ms at L = 1200; the
     * loop device's O_SYNC write flushes its backing file, measured up to
     * 643 ms here) would otherwise put the next renewal past the deadline
     * although this one was in time (docs/FENCING.md).  A renewal that
     * ended after that point starts again at once. */
    (void)end_ms;
    c->deadline_ms = wp_disk_owner_deadline(start_ms, c->lease_ms);
    c->next_renew_ms = start_ms + wp_disk_renew_ms(c->lease_ms);
}

/* ---- device I/O ------------------------------------------------------------- */

int wp_disk_open(const char *device, bool rw, wp_err *err)
{
    struct stat pre;
    if (stat(device, &pre) == 0 && !S_ISBLK(pre.st_mode)) {
        wp_errf(err, WP_E_INVALID, "%s is not a block device", device);
        wp_err_why(err, "a Physical Disk is a shared block device (a LUN, a loop device)");
        wp_err_todo(err, "give the path of the shared block device");
        return -1;
    }
    int fd = open(device, (rw ? O_RDWR : O_RDONLY) | O_DIRECT | O_SYNC | O_CLOEXEC);
    if (fd < 0) {
        wp_errf(err, errno == ENOENT ? WP_E_NOTFOUND : WP_E_IO, "cannot open %s", device);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check that the shared disk is attached to this node and the path "
                         "is right");
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISBLK(st.st_mode)) {
        close(fd);
        wp_errf(err, WP_E_INVALID, "%s is not a block device", device);
        wp_err_why(err, "a Physical Disk is a shared block device (a LUN, a loop device)");
        wp_err_todo(err, "give the path of the shared block device");
        return -1;
    }
    return fd;
}

bool wp_disk_size(int fd, const char *device, uint64_t *bytes, wp_err *err)
{
    if (ioctl(fd, BLKGETSIZE64, bytes) != 0) {
        wp_errf(err, WP_E_IO, "cannot read the size of %s", device);
        wp_err_why(err, "BLKGETSIZE64: %s", strerror(errno));
        wp_err_todo(err, "check the device");
        return false;
    }
    return true;
}

/* Offset of block `which` (0 header, 1 lease) of the area. */
static bool block_offset(int fd, const char *device, int which, off_t *off, wp_err *err)
{
    uint64_t size;
    if (!wp_disk_size(fd, device, &size, err))
        return false;
    uint64_t area = wp_disk_area_offset(size);
    if (!area) {
        wp_errf(err, WP_E_INVALID, "%s is too small for a shared disk", device);
        wp_err_why(err,
                   "it holds %llu bytes; a lease area of 1 MiB and a file system need at "
                   "least 8 MiB",
                   (unsigned long long)size);
        wp_err_todo(err, "use a larger device");
        return false;
    }
    *off = (off_t)(area + (uint64_t)which * WP_DISK_BLOCK);
    return true;
}

static bool read_block(int fd, const char *device, int which, unsigned char rec[WP_DISK_REC_BYTES],
                       wp_err *err)
{
    off_t off;
    if (!block_offset(fd, device, which, &off, err))
        return false;
    void *buf = NULL;
    if (posix_memalign(&buf, WP_DISK_BLOCK, WP_DISK_BLOCK) != 0) {
        wp_errf(err, WP_E_IO, "out of memory reading %s", device);
        return false;
    }
    ssize_t n = pread(fd, buf, WP_DISK_BLOCK, off);
    int e = errno;
    if (n == WP_DISK_BLOCK)
        memcpy(rec, buf, WP_DISK_REC_BYTES);
    free(buf);
    if (n != WP_DISK_BLOCK) {
        wp_errf(err, WP_E_IO, "cannot read the lease area of %s", device);
        wp_err_why(err, "%s", n < 0 ? strerror(e) : "short read");
        wp_err_todo(err, "check the device and its path to this node");
        return false;
    }
    return true;
}

static bool write_block(int fd, const char *device, int which,
                        const unsigned char rec[WP_DISK_REC_BYTES], wp_err *err)
{
    off_t off;
    if (!block_offset(fd, device, which, &off, err))
        return false;
    void *buf = NULL;
    if (posix_memalign(&buf, WP_DISK_BLOCK, WP_DISK_BLOCK) != 0) {
        wp_errf(err, WP_E_IO, "out of memory writing %s", device);
        return false;
    }
    memset(buf, 0, WP_DISK_BLOCK);
    memcpy(buf, rec, WP_DISK_REC_BYTES);
    ssize_t n = pwrite(fd, buf, WP_DISK_BLOCK, off);
    int e = errno;
    free(buf);
    if (n != WP_DISK_BLOCK) {
        wp_errf(err, WP_E_IO, "cannot write the lease area of %s", device);
        wp_err_why(err, "%s", n < 0 ? strerror(e) : "short write");
        wp_err_todo(err, e == EPERM || e == EROFS
                             ? "the device is read-only on this node (fenced?): it must not "
                               "be written from here"
                             : "check the device and its path to this node");
        return false;
    }
    return true;
}

bool wp_disk_read_header(int fd, const char *device, wp_disk_header *h, wp_err *err)
{
    unsigned char rec[WP_DISK_REC_BYTES];
    return read_block(fd, device, 0, rec, err) && wp_disk_header_decode(rec, h, err);
}

bool wp_disk_write_header(int fd, const char *device, const wp_disk_header *h, wp_err *err)
{
    unsigned char rec[WP_DISK_REC_BYTES];
    wp_disk_header_encode(h, rec);
    return write_block(fd, device, 0, rec, err);
}

bool wp_disk_read_lease(int fd, const char *device, wp_disk_lease *l, bool *valid, wp_err *err)
{
    unsigned char rec[WP_DISK_REC_BYTES];
    if (!read_block(fd, device, 1, rec, err))
        return false;
    wp_err ignored;
    *valid = wp_disk_lease_decode(rec, l, &ignored);
    if (!*valid)
        memset(l, 0, sizeof *l);
    return true;
}

bool wp_disk_write_lease(int fd, const char *device, const wp_disk_lease *l, wp_err *err)
{
    unsigned char rec[WP_DISK_REC_BYTES];
    wp_disk_lease_encode(l, rec);
    return write_block(fd, device, 1, rec, err);
}

bool wp_disk_inspect(const char *device, wp_disk_header *h, wp_disk_lease *l, bool *valid,
                     wp_err *err)
{
    int fd = wp_disk_open(device, false, err);
    if (fd < 0)
        return false;
    bool ok =
        wp_disk_read_header(fd, device, h, err) && wp_disk_read_lease(fd, device, l, valid, err);
    close(fd);
    return ok;
}
