/*
 * cpg_msg.c -- the wire format of the Corosync transport's messages.
 *
 * Every message is an 8-byte header (magic "WPR1" as a little-endian u32,
 * protocol version u16, type u16) followed by a body whose layout depends
 * on the type (docs/REPLICATION.md has the table).  Integers are
 * little-endian; checksums travel as 64 hex characters.  Decoding is the
 * single place where bytes from other nodes are trusted: it checks every
 * length, every type and every flag, and refuses anything that does not fit
 * exactly.  Pure code: no I/O, no globals (tests/unit/test_cpg_msg.c).
 */
#include "cpg_internal.h"
#include "../lib/le.h"

#include <stdlib.h>
#include <string.h>

/* ---- little-endian helpers --------------------------------------------- */

typedef struct wbuf {
    unsigned char *p;
    size_t len;
} wbuf;

static void put_u16(wbuf *b, uint16_t v)
{
    wp_le16_put(b->p + b->len, v);
    b->len += 2;
}

static void put_u32(wbuf *b, uint32_t v)
{
    wp_le32_put(b->p + b->len, v);
    b->len += 4;
}

static void put_u64(wbuf *b, uint64_t v)
{
    wp_le64_put(b->p + b->len, v);
    b->len += 8;
}

static void put_bytes(wbuf *b, const void *data, size_t len)
{
    if (len)
        memcpy(b->p + b->len, data, len);
    b->len += len;
}

typedef struct rbuf {
    const unsigned char *p;
    size_t len;
    size_t pos;
    bool bad;
} rbuf;

static const unsigned char *take(rbuf *r, size_t n)
{
    if (r->bad || r->len - r->pos < n) {
        r->bad = true;
        return NULL;
    }
    const unsigned char *at = r->p + r->pos;
    r->pos += n;
    return at;
}

/* A little-endian field of 1, 2, 4 or 8 bytes; 0 (and r->bad) past the end. */
static uint64_t get_le(rbuf *r, int bytes)
{
    const unsigned char *at = take(r, (size_t)bytes);

    if (!at)
        return 0;
    switch (bytes) {
    case 1:
        return at[0];
    case 2:
        return wp_le16_get(at);
    case 4:
        return wp_le32_get(at);
    default:
        return wp_le64_get(at);
    }
}

static void get_checksum(rbuf *r, char out[65])
{
    const unsigned char *at = take(r, 64);

    out[0] = '\0';
    if (!at)
        return;
    memcpy(out, at, 64);
    out[64] = '\0';
    if (!wp_cpg_checksum_valid(out))
        r->bad = true;
}

static void get_epoch(rbuf *r, wp_cpg_epoch *e)
{
    e->nodeid = (uint32_t)get_le(r, 4);
    e->counter = get_le(r, 8);
}

static void put_epoch(wbuf *b, const wp_cpg_epoch *e)
{
    put_u32(b, e->nodeid);
    put_u64(b, e->counter);
}

bool wp_cpg_checksum_valid(const char *sum)
{
    size_t n = 0;

    for (; sum[n]; n++) {
        char ch = sum[n];
        if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
            return false;
    }
    return n == 64;
}

const char *wp_cpg_type_name(wp_cpg_type type)
{
    static const char *const names[] = {
        [WP_CPG_CMD] = "CMD",
        [WP_CPG_ACK] = "ACK",
        [WP_CPG_SYNC_START] = "SYNC_START",
        [WP_CPG_SYNC_STATE] = "SYNC_STATE",
        [WP_CPG_SNAP] = "SNAP",
        [WP_CPG_CHECK_REQ] = "CHECK_REQ",
        [WP_CPG_CHECK_REPLY] = "CHECK_REPLY",
    };
    if (type <= 0 || type >= WP_CPG__TYPE_END)
        return "UNKNOWN";
    return names[type];
}

/* ---- encoding ------------------------------------------------------------ */

/* Size of the body of a message, or 0 for an invalid message. */
static size_t body_size(const wp_cpg_msg *m)
{
    switch (m->type) {
    case WP_CPG_CMD:
        return 8 + 4 + m->u.cmd.len;
    case WP_CPG_ACK:
        return 8;
    case WP_CPG_SYNC_START:
        return 12;
    case WP_CPG_SYNC_STATE:
        return 12 + 8 + 64 + 1;
    case WP_CPG_SNAP:
        return 12 + 8 + 8 + 4 + m->u.snap.len;
    case WP_CPG_CHECK_REQ:
        return 8;
    case WP_CPG_CHECK_REPLY:
        return 8 + 8 + 64;
    default:
        return 0;
    }
}

static bool encode_check(const wp_cpg_msg *m, wp_err *err)
{
    if (m->type <= 0 || m->type >= WP_CPG__TYPE_END) {
        wp_errf(err, WP_E_INTERNAL, "cannot encode a replication message of type %d", (int)m->type);
        wp_err_why(err, "the type is not one of the protocol's message types");
        wp_err_todo(err, "report this bug");
        return false;
    }
    if (m->type == WP_CPG_CMD && (m->u.cmd.count == 0 || m->u.cmd.count > WP_CPG_CMDS_MAX ||
                                  m->u.cmd.len < 13 * (size_t)m->u.cmd.count)) {
        wp_errf(err, WP_E_INTERNAL, "cannot encode a CMD message of %u command(s)", m->u.cmd.count);
        wp_err_why(err, "a CMD message holds 1..%u commands", WP_CPG_CMDS_MAX);
        wp_err_todo(err, "report this bug");
        return false;
    }
    if (m->type == WP_CPG_SNAP && m->u.snap.len > WP_CPG_CHUNK) {
        wp_errf(err, WP_E_INTERNAL, "snapshot chunk of %zu bytes is too large", m->u.snap.len);
        wp_err_why(err, "chunks are at most %u bytes", WP_CPG_CHUNK);
        wp_err_todo(err, "report this bug");
        return false;
    }
    if ((m->type == WP_CPG_SYNC_STATE && !wp_cpg_checksum_valid(m->u.state.checksum)) ||
        (m->type == WP_CPG_CHECK_REPLY && !wp_cpg_checksum_valid(m->u.check_reply.checksum))) {
        wp_errf(err, WP_E_INTERNAL, "cannot encode a %s message", wp_cpg_type_name(m->type));
        wp_err_why(err, "its checksum is not 64 lower-case hex characters");
        wp_err_todo(err, "report this bug");
        return false;
    }
    return true;
}

static void encode_body(wbuf *b, const wp_cpg_msg *m)
{
    switch (m->type) {
    case WP_CPG_CMD:
        put_u64(b, (uint64_t)m->u.cmd.acked);
        put_u32(b, m->u.cmd.count);
        put_bytes(b, m->u.cmd.entries, m->u.cmd.len);
        break;
    case WP_CPG_ACK:
        put_u64(b, (uint64_t)m->u.ack.version);
        break;
    case WP_CPG_SYNC_START:
        put_epoch(b, &m->u.start.epoch);
        break;
    case WP_CPG_SYNC_STATE:
        put_epoch(b, &m->u.state.epoch);
        put_u64(b, (uint64_t)m->u.state.version);
        put_bytes(b, m->u.state.checksum, 64);
        b->p[b->len++] = (unsigned char)((m->u.state.dirty ? 1 : 0) | (m->u.state.trusted ? 2 : 0));
        break;
    case WP_CPG_SNAP:
        put_epoch(b, &m->u.snap.epoch);
        put_u64(b, m->u.snap.total);
        put_u64(b, m->u.snap.offset);
        put_u32(b, (uint32_t)m->u.snap.len);
        put_bytes(b, m->u.snap.data, m->u.snap.len);
        break;
    case WP_CPG_CHECK_REQ:
        put_u64(b, m->u.check_req.token);
        break;
    case WP_CPG_CHECK_REPLY:
        put_u64(b, m->u.check_reply.token);
        put_u64(b, (uint64_t)m->u.check_reply.version);
        put_bytes(b, m->u.check_reply.checksum, 64);
        break;
    default:
        break;
    }
}

bool wp_cpg_msg_encode(const wp_cpg_msg *msg, unsigned char **out, size_t *len, wp_err *err)
{
    if (!encode_check(msg, err))
        return false;
    size_t total = WP_CPG_HEADER_LEN + body_size(msg);
    wbuf b = {malloc(total), 0};
    if (!b.p) {
        wp_errf(err, WP_E_INTERNAL, "out of memory encoding a replication message");
        wp_err_why(err, "malloc of %zu bytes failed", total);
        wp_err_todo(err, "free some memory; the daemon may need a restart");
        return false;
    }
    put_u32(&b, WP_CPG_MAGIC);
    put_u16(&b, WP_CPG_PROTO);
    put_u16(&b, (uint16_t)msg->type);
    encode_body(&b, msg);
    *out = b.p;
    *len = b.len;
    return true;
}

/* ---- decoding ------------------------------------------------------------ */

/* Check every {seq, len, json} entry of a CMD message. */
static void decode_cmds(rbuf *r, wp_cpg_msg *m)
{
    m->u.cmd.acked = (int64_t)get_le(r, 8);
    m->u.cmd.count = (uint32_t)get_le(r, 4);
    if (m->u.cmd.acked < 0 || m->u.cmd.count == 0 || m->u.cmd.count > WP_CPG_CMDS_MAX) {
        r->bad = true;
        return;
    }
    m->u.cmd.entries = r->p + r->pos;
    size_t start = r->pos;
    for (uint32_t i = 0; i < m->u.cmd.count && !r->bad; i++) {
        get_le(r, 8);
        size_t len = (size_t)get_le(r, 4);
        if (len == 0 || len > WP_CPG_CMD_MAX)
            r->bad = true;
        else
            take(r, len);
    }
    m->u.cmd.len = r->pos - start;
}

void wp_cpg_cmd_iter_init(wp_cpg_cmd_iter *it, const wp_cpg_msg *msg)
{
    it->p = msg->u.cmd.entries;
    it->left = msg->type == WP_CPG_CMD ? msg->u.cmd.len : 0;
}

bool wp_cpg_cmd_next(wp_cpg_cmd_iter *it, uint64_t *seq, const unsigned char **json, size_t *len)
{
    rbuf r = {it->p, it->left, 0, false};

    if (it->left == 0)
        return false;
    *seq = get_le(&r, 8);
    *len = (size_t)get_le(&r, 4);
    *json = take(&r, *len);
    if (r.bad || !*json) {
        it->left = 0;
        return false;
    }
    it->p += r.pos;
    it->left -= r.pos;
    return true;
}

bool wp_cpg_cmdbuf_add(wp_cpg_cmdbuf *b, uint64_t seq, const char *json, size_t len, wp_err *err)
{
    if (len == 0 || len > WP_CPG_CMD_MAX) {
        wp_errf(err, WP_E_INVALID, "the change is too large to replicate (%zu bytes)", len);
        wp_err_why(err, "a command must be 1..%u bytes of JSON", WP_CPG_CMD_MAX);
        wp_err_todo(err, "split the change into smaller ones");
        return false;
    }
    if (b->count >= WP_CPG_CMDS_MAX || b->cap - b->len < 12 + len) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap - b->len < 12 + len)
            cap *= 2;
        unsigned char *p = b->count < WP_CPG_CMDS_MAX ? realloc(b->p, cap) : NULL;
        if (!p) {
            wp_errf(err, WP_E_UNAVAILABLE, "cannot queue the change");
            wp_err_why(err, "%s",
                       b->count >= WP_CPG_CMDS_MAX ? "too many changes are waiting"
                                                   : "out of memory");
            wp_err_todo(err, "try again in a moment");
            return false;
        }
        b->p = p;
        b->cap = cap;
    }
    wbuf w = {b->p, b->len};
    put_u64(&w, seq);
    put_u32(&w, (uint32_t)len);
    put_bytes(&w, json, len);
    b->len = w.len;
    b->count++;
    return true;
}

void wp_cpg_cmdbuf_free(wp_cpg_cmdbuf *b)
{
    free(b->p);
    *b = (wp_cpg_cmdbuf){0};
}

static void decode_body(rbuf *r, wp_cpg_msg *m)
{
    switch (m->type) {
    case WP_CPG_CMD:
        decode_cmds(r, m);
        break;
    case WP_CPG_ACK:
        m->u.ack.version = (int64_t)get_le(r, 8);
        if (m->u.ack.version < 0)
            r->bad = true;
        break;
    case WP_CPG_SYNC_START:
        get_epoch(r, &m->u.start.epoch);
        break;
    case WP_CPG_SYNC_STATE: {
        get_epoch(r, &m->u.state.epoch);
        m->u.state.version = (int64_t)get_le(r, 8);
        get_checksum(r, m->u.state.checksum);
        uint64_t flags = get_le(r, 1);
        if (flags & ~3u || m->u.state.version < 0)
            r->bad = true;
        m->u.state.dirty = flags & 1;
        m->u.state.trusted = flags & 2;
        break;
    }
    case WP_CPG_SNAP:
        get_epoch(r, &m->u.snap.epoch);
        m->u.snap.total = get_le(r, 8);
        m->u.snap.offset = get_le(r, 8);
        m->u.snap.len = (size_t)get_le(r, 4);
        if (m->u.snap.len > WP_CPG_CHUNK || m->u.snap.total > WP_CPG_SNAP_MAX ||
            m->u.snap.offset > m->u.snap.total ||
            m->u.snap.len > m->u.snap.total - m->u.snap.offset)
            r->bad = true;
        else
            m->u.snap.data = take(r, m->u.snap.len);
        break;
    case WP_CPG_CHECK_REQ:
        m->u.check_req.token = get_le(r, 8);
        break;
    case WP_CPG_CHECK_REPLY:
        m->u.check_reply.token = get_le(r, 8);
        m->u.check_reply.version = (int64_t)get_le(r, 8);
        get_checksum(r, m->u.check_reply.checksum);
        if (m->u.check_reply.version < 0)
            r->bad = true;
        break;
    default:
        r->bad = true;
        break;
    }
}

static bool decode_fail(wp_err *err, const char *why, size_t len)
{
    wp_errf(err, WP_E_PROTO, "dropped a malformed replication message (%zu bytes)", len);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "check that every node runs the same wolfpack version");
    return false;
}

bool wp_cpg_msg_decode(const void *buf, size_t len, wp_cpg_msg *msg, wp_err *err)
{
    rbuf r = {buf, len, 0, false};
    wp_cpg_msg m;

    memset(&m, 0, sizeof m);
    if (!buf || len < WP_CPG_HEADER_LEN)
        return decode_fail(err, "it is shorter than the 8-byte header", len);
    if ((uint32_t)get_le(&r, 4) != WP_CPG_MAGIC)
        return decode_fail(err, "it does not start with the wolfpack magic", len);
    if (get_le(&r, 2) != WP_CPG_PROTO)
        return decode_fail(err, "it is of another protocol version", len);
    uint64_t type = get_le(&r, 2);
    if (type == 0 || type >= WP_CPG__TYPE_END)
        return decode_fail(err, "its type is unknown", len);
    m.type = (wp_cpg_type)type;
    decode_body(&r, &m);
    if (r.bad)
        return decode_fail(err, "its body is truncated or holds an invalid field", len);
    if (r.pos != len)
        return decode_fail(err, "it carries bytes after its body", len);
    *msg = m;
    return true;
}
