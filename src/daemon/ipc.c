/*
 * ipc.c -- wolfpackd's Unix-socket server.
 *
 * One listening socket, at most WP_DAEMON_MAX_CONNS clients, all
 * non-blocking and driven by the daemon's qb_loop.  Each connection keeps an
 * input buffer (frames as they arrive: 4-byte big-endian length + JSON, see
 * src/lib/proto.h) and an output buffer (replies not yet written).
 *
 * Rules:
 *   - a request length of 0 or above WP_PROTO_MAX_FRAME (1 MiB): error
 *     reply, then close;
 *   - replies and watch events may be up to WP_PROTO_MAX_REPLY (64 MiB); a
 *     larger one is replaced by an error reply.  Replies are queued in the
 *     output buffer and written without blocking as the socket drains
 *     (POLLOUT), so a client reading a large reply slowly holds up nobody
 *     else; while more than WP_DAEMON_OUT_HIGH waits, that client's further
 *     requests are not read;
 *   - a frame that does not decode: error reply, the connection stays;
 *   - one request at a time per connection: while a command is in flight
 *     (busy) the connection is not read, so replies keep request order;
 *   - EOF in the middle of a frame: close quietly; EOF after whole frames:
 *     answer them, then close; the peer gone (POLLHUP): close at once;
 *   - a refused peer (access.c) gets its error reply on its first bytes
 *     (or EOF), then the connection closes; such peers do not take the
 *     slots of served clients, and beyond WP_DAEMON_MAX_REFUSED waiting
 *     ones a refused peer is told at once and closed;
 *   - a command's done() finds its connection by id (wp_ipc_conn_find), so
 *     a client that left meanwhile costs nothing;
 *   - nobody can lock the socket (docs/DAEMON.md, "Connection limits"):
 *     a non-root uid holds at most WP_DAEMON_MAX_PER_UID connections (watch
 *     streams included), the last WP_DAEMON_ROOT_RESERVED slots are root's,
 *     a connection must send its first whole request within --idle-timeout
 *     seconds and finish every frame it begins within --frame-timeout
 *     seconds, else it gets an error reply and is closed.  One qb_loop timer
 *     (conn_timer) fires at the earliest of these deadlines.
 * A connection is never freed while its own poll callback runs above us:
 * replies only queue; closing is decided by conn_settle().
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <qb/qblog.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <grp.h>

#include "daemon.h"

#define READ_CHUNK 65536
#define IN_LIMIT (4 + WP_PROTO_MAX_FRAME + 4)
#define OUT_KEEP (64u << 10) /* an idle connection keeps at most this much output buffer */

struct wp_conn {
    wp_daemon *d;
    uint64_t id;
    int fd;
    uid_t uid;
    gid_t gid;
    pid_t pid;
    unsigned char *in;
    size_t in_len, in_cap;
    unsigned char *out;
    size_t out_len, out_off, out_cap;
    bool busy;               /* a command is in flight */
    bool eof;                /* the peer closed its writing side */
    bool closing;            /* close once the output is written */
    bool dead;               /* the socket failed: close now */
    bool in_dispatch;        /* our poll callback is running */
    bool refused;            /* access denied: reply `refusal` and close */
    bool watcher;            /* receives event frames (watch.c) */
    wp_role role;            /* access.c: what this peer may ask */
    uint64_t idle_deadline;  /* monotonic ms: first request by then; 0 none */
    uint64_t frame_deadline; /* monotonic ms: the begun frame by then; 0 none */
    wp_err refusal;
    int events;
    wp_conn *prev, *next;
};

uint64_t wp_ipc_conn_id(const wp_conn *c)
{
    return c->id;
}

uid_t wp_ipc_conn_uid(const wp_conn *c)
{
    return c->uid;
}

wp_conn *wp_ipc_conn_find(wp_daemon *d, uint64_t id)
{
    for (wp_conn *c = d->conns; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

/* ---- buffers ----------------------------------------------------------- */

static bool buf_reserve(unsigned char **buf, size_t *cap, size_t need)
{
    size_t ncap = *cap ? *cap : 4096;
    unsigned char *nbuf;

    if (need <= *cap)
        return true;
    while (ncap < need)
        ncap *= 2;
    nbuf = realloc(*buf, ncap);
    if (!nbuf)
        return false;
    *buf = nbuf;
    *cap = ncap;
    return true;
}

static void out_flush(wp_conn *c)
{
    while (!c->dead && c->out_off < c->out_len) {
        ssize_t n =
            send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return;
        } else {
            qb_log(LOG_DEBUG, "client %llu: write failed: %s", (unsigned long long)c->id,
                   n < 0 ? strerror(errno) : "0 bytes");
            c->dead = true;
        }
    }
    if (c->out_off == c->out_len) {
        c->out_off = c->out_len = 0;
        if (c->out_cap > OUT_KEEP) { /* do not hold a large reply's buffer */
            free(c->out);
            c->out = NULL;
            c->out_cap = 0;
        }
    }
}

static size_t out_pending(const wp_conn *c)
{
    return c->out_len - c->out_off;
}

void wp_ipc_reply(wp_daemon *d, wp_conn *c, json_t *reply)
{
    unsigned char *frame = NULL;
    size_t len = 0;
    wp_err err = {0};

    (void)d;
    if (!reply || !wp_proto_encode_reply(reply, &frame, &len, &err)) {
        if (!reply)
            wp_errf(&err, WP_E_INTERNAL, "wolfpackd could not build a reply");
        wp_log_err(LOG_WARNING, "reply", &err);
        json_decref(reply);
        reply = wp_reply_error(c->d, &err);
        if (!reply || !wp_proto_encode_reply(reply, &frame, &len, &err)) {
            json_decref(reply);
            c->dead = true;
            return;
        }
    }
    json_decref(reply);
    if (out_pending(c) == 0) {
        /* nothing queued: the frame becomes the output buffer (no copy of
         * a reply that may be many MiB) */
        free(c->out);
        c->out = frame;
        c->out_cap = c->out_len = len;
        c->out_off = 0;
        out_flush(c);
        return;
    }
    if (!buf_reserve(&c->out, &c->out_cap, c->out_len + len)) {
        free(frame);
        c->dead = true;
        return;
    }
    memcpy(c->out + c->out_len, frame, len);
    c->out_len += len;
    free(frame);
    out_flush(c);
}

/* ---- deadlines --------------------------------------------------------- */

static bool conn_settle(wp_daemon *d, wp_conn *c, bool from_own_callback);

static uint64_t mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The connection's next deadline (monotonic ms), 0 when it has none. */
static uint64_t conn_deadline(const wp_conn *c)
{
    if (c->idle_deadline && c->frame_deadline)
        return c->idle_deadline < c->frame_deadline ? c->idle_deadline : c->frame_deadline;
    return c->idle_deadline ? c->idle_deadline : c->frame_deadline;
}

static void on_deadline(void *data);

/* Make conn_timer fire at `at` (monotonic ms) unless it fires sooner. */
static void deadline_arm(wp_daemon *d, uint64_t at)
{
    uint64_t now = mono_ms();

    if (!at || (d->conn_timer_at && d->conn_timer_at <= at))
        return;
    if (d->conn_timer_at)
        qb_loop_timer_del(d->loop, d->conn_timer);
    d->conn_timer_at = 0;
    if (qb_loop_timer_add(d->loop, QB_LOOP_MED, (at > now ? at - now : 0) * 1000000u, d,
                          on_deadline, &d->conn_timer) == 0)
        d->conn_timer_at = at;
    else
        qb_log(LOG_WARNING, "cannot arm the connection timer: idle clients stay open");
}

/* A deadline passed: tell the client why (best effort) and close. */
static void conn_expire(wp_daemon *d, wp_conn *c, bool idle)
{
    wp_err err = {0};

    if (c->refused) {
        err = c->refusal;
    } else if (idle) {
        wp_errf(&err, WP_E_PROTO, "closed: no whole request within %d seconds of connecting",
                d->opts.idle_timeout);
        wp_err_why(&err,
                   "a client must send its first request within %d s (wolfpackd "
                   "--idle-timeout), so that idle connections cannot take every slot; "
                   "%zu bytes came",
                   d->opts.idle_timeout, c->in_len);
        wp_err_todo(&err, "send the request right after connecting; connect again to retry");
    } else {
        wp_errf(&err, WP_E_PROTO, "closed: a request frame was not complete within %d seconds",
                d->opts.frame_timeout);
        wp_err_why(&err,
                   "a frame begun must be whole within %d s (wolfpackd --frame-timeout); "
                   "%zu bytes of it came",
                   d->opts.frame_timeout, c->in_len);
        wp_err_todo(&err, "send each request whole, framed as src/lib/proto.h says");
    }
    qb_log(LOG_NOTICE, "client %llu (uid %u pid %d): %s", (unsigned long long)c->id,
           (unsigned)c->uid, (int)c->pid, c->refused ? "refused peer sent nothing" : err.what);
    wp_ipc_reply(d, c, wp_reply_error(d, &err));
    c->dead = true;
    conn_settle(d, c, false);
}

static void on_deadline(void *data)
{
    wp_daemon *d = data;
    uint64_t now = mono_ms(), next = 0;

    d->conn_timer_at = 0; /* this handle is spent */
    for (wp_conn *c = d->conns, *nx; c; c = nx) {
        uint64_t at = conn_deadline(c);
        nx = c->next;
        if (at && at <= now) {
            conn_expire(d, c, c->idle_deadline && c->idle_deadline <= now);
            continue;
        }
        if (at && (!next || at < next))
            next = at;
    }
    deadline_arm(d, next);
}

/* After a settle: a frame that has begun while we read must be finished by
 * the frame deadline; while we do not read (busy, output backed up) the
 * client cannot be blamed, so the clock stops and starts afresh. */
static void frame_deadline_update(wp_daemon *d, wp_conn *c)
{
    if (d->opts.frame_timeout > 0 && (c->events & POLLIN) && c->in_len > 0) {
        if (!c->frame_deadline)
            c->frame_deadline = mono_ms() + (uint64_t)d->opts.frame_timeout * 1000u;
    } else {
        c->frame_deadline = 0;
    }
    deadline_arm(d, conn_deadline(c));
}

/* ---- watchers ---------------------------------------------------------- */

void wp_ipc_set_watcher(wp_conn *c)
{
    c->watcher = true;
}

void wp_ipc_broadcast(wp_daemon *d, const json_t *event)
{
    for (wp_conn *c = d->conns, *next; c; c = next) {
        next = c->next;
        if (!c->watcher || c->dead)
            continue;
        if (out_pending(c) >= WP_DAEMON_OUT_HIGH) {
            qb_log(LOG_INFO, "client %llu does not read its watch events: closing it",
                   (unsigned long long)c->id);
            c->dead = true;
        } else {
            wp_ipc_reply(d, c, json_incref((json_t *)event));
        }
        if (!c->in_dispatch)
            conn_settle(d, c, false);
    }
}

/* ---- connections ------------------------------------------------------- */

static void conn_free(wp_daemon *d, wp_conn *c, bool from_own_callback)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        d->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    if (c->refused)
        d->nrefused--;
    else
        d->nconns--;
    if (!from_own_callback)
        qb_loop_poll_del(d->loop, c->fd);
    close(c->fd);
    qb_log(LOG_DEBUG, "client %llu (uid %u pid %d) disconnected", (unsigned long long)c->id,
           (unsigned)c->uid, (int)c->pid);
    free(c->in);
    free(c->out);
    free(c);
}

static int32_t on_conn(int32_t fd, int32_t revents, void *data);

/* Decide what a connection waits for next, or close it.  Returns true when
 * the connection was freed. */
static bool conn_settle(wp_daemon *d, wp_conn *c, bool from_own_callback)
{
    int want = 0;

    if (c->dead || ((c->closing || c->eof) && !c->busy && out_pending(c) == 0)) {
        conn_free(d, c, from_own_callback);
        return true;
    }
    if (!c->busy && !c->closing && !c->eof && out_pending(c) < WP_DAEMON_OUT_HIGH)
        want |= POLLIN;
    if (out_pending(c) > 0)
        want |= POLLOUT;
    if (want != c->events) {
        if (qb_loop_poll_mod(d->loop, QB_LOOP_MED, c->fd, want, c, on_conn) != 0) {
            conn_free(d, c, from_own_callback);
            return true;
        }
        c->events = want;
    }
    frame_deadline_update(d, c);
    return false;
}

static void conn_process(wp_conn *c);

void wp_ipc_request_done(wp_daemon *d, wp_conn *c)
{
    c->busy = false;
    if (c->in_dispatch)
        return; /* on_conn goes on with the next frame and settles */
    /* requests that arrived while this one was in flight may already sit
     * whole in the buffer: no poll event would come for them */
    c->in_dispatch = true;
    conn_process(c);
    c->in_dispatch = false;
    conn_settle(d, c, false);
}

static void reply_err_and_close(wp_conn *c, const wp_err *err)
{
    wp_ipc_reply(c->d, c, wp_reply_error(c->d, err));
    c->closing = true;
}

/* Handle one whole frame body (len bytes).  Nothing here changes c->in. */
static void conn_frame(wp_conn *c, const unsigned char *body, size_t len)
{
    wp_request req;
    wp_err err = {0};

    if (!wp_proto_decode_request(body, len, &req, &err)) {
        qb_log(LOG_INFO, "client %llu (uid %u): bad request: %s", (unsigned long long)c->id,
               (unsigned)c->uid, err.what);
        wp_ipc_reply(c->d, c, wp_reply_error(c->d, &err));
        return;
    }
    wp_role role = c->role;
    if (req.as && !wp_access_as(&c->d->opts, c->uid, req.as, &role, NULL, &err)) {
        qb_log(LOG_NOTICE, "client %llu (uid %u pid %d) acting for \"%s\": %s",
               (unsigned long long)c->id, (unsigned)c->uid, (int)c->pid, req.as, err.what);
        wp_ipc_reply(c->d, c, wp_reply_error(c->d, &err));
        wp_request_free(&req);
        return;
    }
    if (!wp_access_allows(&c->d->opts, role, c->uid, &req, &err)) {
        qb_log(LOG_NOTICE, "client %llu (uid %u pid %d): %s", (unsigned long long)c->id,
               (unsigned)c->uid, (int)c->pid, err.what);
        wp_ipc_reply(c->d, c, wp_reply_error(c->d, &err));
        wp_request_free(&req);
        return;
    }
    c->busy = true;
    if (wp_handle_request(c->d, c, &req, role))
        c->busy = false;
    wp_request_free(&req);
}

/* Answer every whole frame in the input buffer that we may answer now. */
static void conn_process(wp_conn *c)
{
    size_t used = 0;

    while (!c->busy && !c->closing && !c->dead && out_pending(c) < WP_DAEMON_OUT_HIGH) {
        uint32_t be;
        size_t len;
        size_t avail = c->in_len - used;

        if (c->refused) {
            if (avail > 0 || c->eof)
                reply_err_and_close(c, &c->refusal);
            used = c->in_len;
            break;
        }
        if (avail < 4)
            break;
        memcpy(&be, c->in + used, 4);
        len = ntohl(be);
        if (len == 0 || len > WP_PROTO_MAX_FRAME) {
            wp_err err;
            wp_errf(&err, WP_E_PROTO, "the request frame has a bad length (%zu bytes)", len);
            wp_err_why(&err,
                       "a frame holds 1 to %u bytes of JSON after a 4-byte big-endian "
                       "length",
                       WP_PROTO_MAX_FRAME);
            wp_err_todo(&err, "send smaller requests, framed as src/lib/proto.h says");
            qb_log(LOG_INFO, "client %llu (uid %u): bad frame length %zu, closing",
                   (unsigned long long)c->id, (unsigned)c->uid, len);
            reply_err_and_close(c, &err);
            used = c->in_len;
            break;
        }
        if (avail - 4 < len)
            break;
        c->idle_deadline = 0;  /* a whole request came: no idle limit any more */
        c->frame_deadline = 0; /* what follows is a new frame */
        conn_frame(c, c->in + used + 4, len);
        used += 4 + len;
    }
    if (used) {
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
    }
    if (c->eof && !c->busy && c->in_len > 0 && !c->closing) {
        qb_log(LOG_DEBUG, "client %llu closed in the middle of a frame", (unsigned long long)c->id);
        c->in_len = 0;
    }
}

static void conn_read(wp_conn *c)
{
    while (!c->eof && !c->dead && c->in_len < IN_LIMIT) {
        if (!buf_reserve(&c->in, &c->in_cap, c->in_len + READ_CHUNK)) {
            c->dead = true;
            return;
        }
        ssize_t n = read(c->fd, c->in + c->in_len, READ_CHUNK);
        if (n > 0) {
            c->in_len += (size_t)n;
            if ((size_t)n < READ_CHUNK)
                return;
        } else if (n == 0) {
            c->eof = true;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return;
        } else {
            c->dead = true;
        }
    }
}

static int32_t on_conn(int32_t fd, int32_t revents, void *data)
{
    wp_conn *c = data;
    wp_daemon *d = c->d;

    (void)fd;
    c->in_dispatch = true;
    if (revents & POLLOUT)
        out_flush(c);
    if (revents & (POLLIN | POLLHUP | POLLERR))
        if (!c->busy && !c->closing)
            conn_read(c);
    conn_process(c);
    if (revents & (POLLHUP | POLLERR | POLLNVAL))
        c->dead = true; /* the peer is gone: nobody to answer */
    c->in_dispatch = false;
    return conn_settle(d, c, true) ? -1 : 0;
}

/* ---- accepting --------------------------------------------------------- */

static void refuse_now(int fd, const wp_err *err, wp_daemon *d)
{
    json_t *reply = wp_reply_error(d, err);
    unsigned char *frame;
    size_t len;
    wp_err ignored;

    if (reply && wp_proto_encode_reply(reply, &frame, &len, &ignored)) {
        if (send(fd, frame, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
            qb_log(LOG_DEBUG, "could not send the refusal: %s", strerror(errno));
        free(frame);
    }
    json_decref(reply);
    close(fd);
}

/* May a served connection of uid open now?  false: err says why.  Root is
 * bound by the total only; everyone else by WP_DAEMON_MAX_PER_UID and by the
 * slots that are not root's reserve. */
static bool conn_slot_free(const wp_daemon *d, uid_t uid, wp_err *err)
{
    size_t nonroot = 0, mine = 0;

    for (const wp_conn *c = d->conns; c; c = c->next) {
        if (c->refused)
            continue;
        nonroot += c->uid != 0;
        mine += c->uid == uid;
    }
    if (d->nconns >= WP_DAEMON_MAX_CONNS) {
        wp_errf(err, WP_E_UNAVAILABLE, "wolfpackd is busy: too many connections");
        wp_err_why(err, "it serves at most %d clients at once", WP_DAEMON_MAX_CONNS);
        wp_err_todo(err, "retry in a moment; look for a program that opens many connections");
        return false;
    }
    if (uid == 0)
        return true;
    if (nonroot >= WP_DAEMON_MAX_CONNS - WP_DAEMON_ROOT_RESERVED) {
        wp_errf(err, WP_E_UNAVAILABLE, "wolfpackd is busy: too many connections");
        wp_err_why(err,
                   "users other than root hold all %d slots open to them; the last %d of "
                   "%d are kept for root",
                   WP_DAEMON_MAX_CONNS - WP_DAEMON_ROOT_RESERVED, WP_DAEMON_ROOT_RESERVED,
                   WP_DAEMON_MAX_CONNS);
        wp_err_todo(err, "retry in a moment; as root, `ss -xp` shows who holds them");
        return false;
    }
    if (mine >= WP_DAEMON_MAX_PER_UID) {
        wp_errf(err, WP_E_UNAVAILABLE, "wolfpackd is busy: too many connections from uid %u",
                (unsigned)uid);
        wp_err_why(err,
                   "one user may hold at most %d connections at once, watch streams "
                   "included; uid %u holds %zu",
                   WP_DAEMON_MAX_PER_UID, (unsigned)uid, mine);
        wp_err_todo(err, "close connections you do not use (a forgotten `wolfpack status "
                         "--watch`?), then retry");
        return false;
    }
    return true;
}

static void conn_accept(wp_daemon *d, int fd)
{
    struct ucred cred = {0};
    socklen_t clen = sizeof cred;
    wp_conn *c;

    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) != 0) {
        qb_log(LOG_WARNING, "SO_PEERCRED failed: %s; closing the client", strerror(errno));
        close(fd);
        return;
    }
    wp_err refusal = {0};
    wp_role role;
    bool allowed = wp_access_role(&d->opts, cred.uid, cred.gid, &role, &refusal);
    if (!allowed) {
        qb_log(LOG_NOTICE, "refused client uid %u gid %u pid %d: %s", (unsigned)cred.uid,
               (unsigned)cred.gid, (int)cred.pid, refusal.why);
        if (d->nrefused >= WP_DAEMON_MAX_REFUSED) {
            refuse_now(fd, &refusal, d);
            return;
        }
    } else {
        wp_err err = {0};
        if (!conn_slot_free(d, cred.uid, &err)) {
            qb_log(LOG_WARNING, "refused client uid %u pid %d: %s (%s)", (unsigned)cred.uid,
                   (int)cred.pid, err.what, err.why);
            refuse_now(fd, &err, d);
            return;
        }
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->d = d;
    c->id = ++d->next_conn_id;
    c->fd = fd;
    c->uid = cred.uid;
    c->gid = cred.gid;
    c->pid = cred.pid;
    c->events = POLLIN;
    c->refused = !allowed;
    c->role = role;
    c->refusal = refusal;
    if (qb_loop_poll_add(d->loop, QB_LOOP_MED, fd, POLLIN, c, on_conn) != 0) {
        qb_log(LOG_WARNING, "could not watch a client socket; closing it");
        close(fd);
        free(c);
        return;
    }
    c->next = d->conns;
    if (d->conns)
        d->conns->prev = c;
    d->conns = c;
    if (c->refused)
        d->nrefused++;
    else
        d->nconns++;
    if (d->opts.idle_timeout > 0) {
        c->idle_deadline = mono_ms() + (uint64_t)d->opts.idle_timeout * 1000u;
        deadline_arm(d, c->idle_deadline);
    }
    qb_log(LOG_DEBUG, "client %llu connected (uid %u pid %d)", (unsigned long long)c->id,
           (unsigned)c->uid, (int)c->pid);
}

static int32_t on_listen(int32_t fd, int32_t revents, void *data)
{
    wp_daemon *d = data;

    (void)revents;
    for (int i = 0; i < 16; i++) {
        int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                qb_log(LOG_WARNING, "accept failed: %s", strerror(errno));
            break;
        }
        conn_accept(d, cfd);
    }
    return 0;
}

/* ---- the listening socket ---------------------------------------------- */

static void io_err(wp_err *err, const char *what, const char *path, const char *todo)
{
    wp_errf(err, WP_E_IO, "%s %s", what, path);
    wp_err_why(err, "%s", strerror(errno));
    wp_err_todo(err, "%s", todo);
}

/* A socket file left by a wolfpackd that died: remove it.  A live one, or
 * something that is not a socket, is left alone and refused. */
static bool clear_stale(const char *path, const struct sockaddr_un *addr, wp_err *err)
{
    struct stat st;
    int fd;

    if (lstat(path, &st) != 0)
        return true;
    if (!S_ISSOCK(st.st_mode)) {
        wp_errf(err, WP_E_CONFLICT, "%s exists and is not a socket", path);
        wp_err_why(err, "wolfpackd only removes a socket file left by an earlier run");
        wp_err_todo(err, "remove that file or choose another --socket path");
        return false;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0) {
        close(fd);
        wp_errf(err, WP_E_CONFLICT, "another wolfpackd is already listening on %s", path);
        wp_err_why(err, "a connection to that socket succeeded");
        wp_err_todo(err, "stop the other wolfpackd first, or use another --socket path");
        return false;
    }
    if (fd >= 0)
        close(fd);
    if (unlink(path) != 0 && errno != ENOENT) {
        io_err(err, "cannot remove the stale socket", path, "remove it by hand");
        return false;
    }
    qb_log(LOG_INFO, "removed the stale socket %s", path);
    return true;
}

/* 0660 and the admin group's; 0666 when a read-only group exists, since a
 * file has one group: then wolfpackd's own check by peer credentials is
 * what keeps others out (docs/DAEMON.md, "Socket and access control"). */
static void socket_permissions(wp_daemon *d, const char *path)
{
    struct group grp, *found = NULL;
    char buf[16384];
    mode_t mode = 0660;

    if (d->opts.read_group && d->opts.read_group[0] &&
        getgrnam_r(d->opts.read_group, &grp, buf, sizeof buf, &found) == 0 && found) {
        mode = 0666;
        qb_log(LOG_INFO,
               "read-only group \"%s\" exists: %s is mode 0666, peers are checked by "
               "their credentials",
               d->opts.read_group, path);
    }
    found = NULL;
    if (chmod(path, mode) != 0)
        qb_log(LOG_WARNING, "chmod %o %s: %s", (unsigned)mode, path, strerror(errno));
    if (getgrnam_r(d->opts.admin_group, &grp, buf, sizeof buf, &found) == 0 && found) {
        if (chown(path, (uid_t)-1, found->gr_gid) != 0)
            qb_log(LOG_WARNING, "chown :%s %s: %s", d->opts.admin_group, path, strerror(errno));
    } else {
        qb_log(LOG_INFO, "group \"%s\" does not exist: only root may use %s", d->opts.admin_group,
               path);
    }
}

bool wp_ipc_listen(wp_daemon *d, wp_err *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    const char *path = d->opts.socket_path;
    int fd;

    if (strlen(path) >= sizeof addr.sun_path) {
        wp_errf(err, WP_E_INVALID, "the socket path is too long: %.200s", path);
        wp_err_why(err, "a Unix socket path holds at most %zu bytes", sizeof addr.sun_path - 1);
        wp_err_todo(err, "choose a shorter --socket path");
        return false;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    if (!clear_stale(path, &addr, err))
        return false;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        io_err(err, "cannot create the socket for", path, "check the open-file limit");
        return false;
    }
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        io_err(err, "cannot bind the socket", path,
               "check that its directory exists and is writable");
        close(fd);
        return false;
    }
    d->socket_created = true;
    socket_permissions(d, path);
    if (listen(fd, 64) != 0) {
        io_err(err, "cannot listen on", path, "check the system's socket limits");
        close(fd);
        return false;
    }
    if (qb_loop_poll_add(d->loop, QB_LOOP_HIGH, fd, POLLIN, d, on_listen) != 0) {
        wp_errf(err, WP_E_INTERNAL, "cannot watch the socket %s in the event loop", path);
        wp_err_why(err, "qb_loop_poll_add failed");
        wp_err_todo(err, "report this as a bug");
        close(fd);
        return false;
    }
    d->listen_fd = fd;
    return true;
}

void wp_ipc_close_all(wp_daemon *d)
{
    while (d->conns)
        conn_free(d, d->conns, false);
    if (d->conn_timer_at)
        qb_loop_timer_del(d->loop, d->conn_timer);
    d->conn_timer_at = 0;
    if (d->listen_fd >= 0) {
        qb_loop_poll_del(d->loop, d->listen_fd);
        close(d->listen_fd);
        d->listen_fd = -1;
    }
}
