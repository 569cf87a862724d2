/*
 * client.c -- the client side of the IPC protocol (see client.h): connect to
 * the local wolfpackd over its Unix socket, send one request, wait for the
 * reply.  Blocking and simple: the CLI and the application setup make one
 * call at a time.  Framing and reply parsing live in src/lib/proto.c.
 *
 * Every wait is bounded by the client's timeout (client.h): connecting and
 * sending through SO_SNDTIMEO, the reply through wp_proto_recv_timeout, so
 * a daemon that is stuck gives an error instead of a hung command.  After
 * a timeout the connection is closed (it may be mid-frame); later calls on
 * it fail at once.  A watch stream (wp_client_watch) waits with poll()
 * for the first byte of a frame; the daemon writes frames whole.
 */
#include "client.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/proto.h"

struct wp_client {
    int fd;      /* -1 after a timeout */
    int timeout; /* seconds, 0 = none */
    char as[65]; /* "as" of every request ("": none; wp_client_set_as) */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* Whole seconds 0..WP_CLIENT_TIMEOUT_MAX, nothing else. */
static bool seconds_parse(const char *text, int *seconds)
{
    char *end;
    if (text[0] < '0' || text[0] > '9') /* strtol would take " 5", "+5", "-5" */
        return false;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || v > WP_CLIENT_TIMEOUT_MAX)
        return false;
    *seconds = (int)v;
    return true;
}

bool wp_client_timeout(const char *text, int *seconds, wp_err *err)
{
    const char *source = "--timeout";
    *seconds = WP_CLIENT_TIMEOUT;
    if (!text || !text[0]) {
        text = getenv("WOLFPACK_TIMEOUT");
        source = "WOLFPACK_TIMEOUT";
        if (!text || !text[0])
            return true;
    }
    if (seconds_parse(text, seconds))
        return true;
    wp_errf(err, WP_E_INVALID, "invalid reply timeout \"%.64s\" (from %s)", text, source);
    wp_err_why(err, "the timeout is a whole number of seconds from 0 to %d (0 = wait forever)",
               WP_CLIENT_TIMEOUT_MAX);
    wp_err_todo(err, "%s, or leave it out for the default of %d s",
                source[0] == '-' ? "give e.g. --timeout 60" : "set e.g. WOLFPACK_TIMEOUT=60",
                WP_CLIENT_TIMEOUT);
    return false;
}

const char *wp_client_socket_path(const char *explicit_path)
{
    const char *env;

    if (explicit_path && explicit_path[0])
        return explicit_path;
    env = getenv("WOLFPACK_SOCKET");
    if (env && env[0])
        return env;
    return WP_DEFAULT_SOCKET;
}

static void connect_error(const char *path, int errnum, wp_err *err)
{
    switch (errnum) {
    case ENOENT:
    case ECONNREFUSED:
        wp_errf(err, WP_E_UNAVAILABLE, "cannot reach wolfpackd at %s", path);
        wp_err_why(err, "%s",
                   errnum == ENOENT ? "the socket does not exist"
                                    : "nothing is listening on the socket");
        wp_err_todo(err,
                    "is wolfpackd running? start it with `wolfpackd --state-dir "
                    "/var/lib/wolfpack --socket %s` (add --solo for a one-node "
                    "cluster), or set WOLFPACK_SOCKET",
                    path);
        break;
    case EACCES:
    case EPERM:
        wp_errf(err, WP_E_PERM, "permission denied connecting to wolfpackd at %s", path);
        wp_err_why(err, "%s", strerror(errnum));
        wp_err_todo(err, "run as root or ask an administrator to add you to the "
                         "wolfpack admin group");
        break;
    case EAGAIN:
        wp_errf(err, WP_E_UNAVAILABLE, "wolfpackd at %s did not accept the connection in time",
                path);
        wp_err_why(err, "its queue of new connections stayed full: it is stuck or overloaded");
        wp_err_todo(err, "check wolfpackd (systemctl status wolfpackd, its log); retry, or wait "
                         "longer with --timeout SECONDS or WOLFPACK_TIMEOUT");
        break;
    default:
        wp_errf(err, WP_E_UNAVAILABLE, "cannot connect to wolfpackd at %s", path);
        wp_err_why(err, "%s", strerror(errnum));
        wp_err_todo(err, "check that wolfpackd is running and the socket path is right");
        break;
    }
}

/* Bound connect (a full listen queue) and send by the timeout. */
static void send_timeout(int fd, int seconds)
{
    struct timeval tv = {.tv_sec = seconds};
    if (seconds > 0)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

wp_client *wp_client_connect(const char *path, wp_err *err)
{
    return wp_client_open(path, NULL, err);
}

wp_client *wp_client_open(const char *path, const char *timeout, wp_err *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    wp_client *c;
    int fd, seconds;

    if (!wp_client_timeout(timeout, &seconds, err))
        return NULL;
    path = wp_client_socket_path(path);
    if (strlen(path) >= sizeof addr.sun_path) {
        wp_errf(err, WP_E_INVALID, "the socket path is too long: %.200s", path);
        wp_err_why(err, "a Unix socket path holds at most %zu bytes", sizeof addr.sun_path - 1);
        wp_err_todo(err, "use a shorter path (--socket or WOLFPACK_SOCKET)");
        return NULL;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        wp_errf(err, WP_E_IO, "cannot create a Unix socket");
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check the process's open-file limit");
        return NULL;
    }
    send_timeout(fd, seconds);
    while (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        if (errno == EINTR)
            continue;
        connect_error(path, errno, err);
        close(fd);
        return NULL;
    }
    c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        return NULL;
    }
    c->fd = fd;
    c->timeout = seconds;
    snprintf(c->path, sizeof c->path, "%s", path);
    return c;
}

/* The reply did not come in time: say which call, what it may mean, what to
 * do; and close the connection, which may be mid-frame. */
static void call_timed_out(wp_client *c, const char *op, wp_err *err)
{
    bool mutates = false;
    wp_proto_op_known(op, &mutates);
    wp_errf(err, WP_E_UNAVAILABLE, "wolfpackd did not answer \"%.64s\" within %d s", op,
            c->timeout);
    wp_err_why(err,
               "it accepted the request on %.100s but sent no reply in time: it is stuck "
               "or badly overloaded (a hung disk, a blocked handler)",
               c->path);
    wp_err_todo(err,
                "%scheck wolfpackd (systemctl status wolfpackd, its log); to wait longer, "
                "use --timeout SECONDS or WOLFPACK_TIMEOUT (0 = no limit)",
                mutates ? "the change may still be applied: see `wolfpack status` before "
                          "retrying; "
                        : "");
    close(c->fd);
    c->fd = -1;
}

json_t *wp_client_call(wp_client *c, const char *op, json_t *args, long long *version, wp_err *err)
{
    json_t *req, *reply, *result = NULL;
    json_t *v;

    if (version)
        *version = -1;
    if (c->fd < 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "the connection to wolfpackd was closed");
        wp_err_why(err, "an earlier request on it got no reply in time");
        wp_err_todo(err, "connect again (run the command again)");
        json_decref(args);
        return NULL;
    }
    req = json_pack("{s:s, s:o}", "op", op ? op : "", "args", args ? args : json_object());
    if (req && c->as[0])
        json_object_set_new(req, "as", json_string(c->as));
    if (!req) {
        wp_errf(err, WP_E_INTERNAL, "could not build the request for \"%.64s\"", op ? op : "");
        wp_err_why(err, "the op is not valid UTF-8 or memory ran out");
        wp_err_todo(err, "report this as a bug");
        return NULL;
    }
    bool sent = wp_proto_send(c->fd, req, err);
    json_decref(req);
    bool late = false;
    if (!sent) {
        /* wolfpackd may have refused this connection (too many of them, or
         * permission) and closed it before the request went out: its reply,
         * which says why, is waiting to be read */
        wp_err send_err = *err;
        reply = wp_proto_recv_timeout(c->fd, 1000, &late, err);
        if (!reply) {
            *err = send_err;
            return NULL;
        }
    } else {
        reply = wp_proto_recv_timeout(c->fd, c->timeout * 1000, &late, err);
    }
    if (!reply) {
        if (late)
            call_timed_out(c, op ? op : "", err);
        return NULL;
    }
    v = json_object_get(reply, "version");
    if (version && json_is_integer(v))
        *version = json_integer_value(v);
    if (wp_proto_reply_parse(reply, &result, err))
        result = json_incref(result ? result : json_null());
    json_decref(reply);
    return result;
}

bool wp_client_set_as(wp_client *c, const char *user, wp_err *err)
{
    size_t len = user ? strlen(user) : 0;
    if (len >= sizeof c->as) {
        wp_errf(err, WP_E_INVALID, "the user name \"%.64s...\" is too long", user);
        wp_err_why(err, "a request acts for a user of at most %zu characters", sizeof c->as - 1);
        wp_err_todo(err, "use a shorter user name");
        return false;
    }
    memcpy(c->as, user ? user : "", len + 1);
    return true;
}

void wp_client_close(wp_client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

bool wp_client_watch(wp_client *c, wp_err *err)
{
    json_t *r = wp_client_call(c, "watch", NULL, NULL, err);
    json_decref(r);
    return r != NULL;
}

/* A frame is waiting (timeout_ms 0: already queued): 1, none: 0, -1 err. */
static int frame_ready(wp_client *c, long timeout_ms, wp_err *err)
{
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int n;
    while ((n = poll(&p, 1, (int)timeout_ms)) < 0 && errno == EINTR)
        ;
    if (n < 0) {
        wp_errf(err, WP_E_IO, "cannot wait on the watch stream of wolfpackd");
        wp_err_why(err, "poll: %s", strerror(errno));
        wp_err_todo(err, "run the command again");
        return -1;
    }
    return n > 0;
}

int wp_client_watch_wait(wp_client *c, long timeout_ms, wp_err *err)
{
    if (c->fd < 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "the watch stream of wolfpackd was closed");
        wp_err_why(err, "an earlier wait on it failed");
        wp_err_todo(err, "open a new one");
        return -1;
    }
    int got = 0;
    for (long wait = timeout_ms < 0 ? 0 : timeout_ms;; wait = 0) {
        int r = frame_ready(c, wait, err);
        if (r <= 0)
            return r < 0 ? -1 : got;
        wp_err gone = {0};
        json_t *ev = wp_proto_recv(c->fd, &gone);
        if (!ev) { /* the stream ended: said now, or at the next wait */
            close(c->fd);
            c->fd = -1;
            if (!got)
                *err = gone;
            return got ? 1 : -1;
        }
        json_decref(ev);
        got = 1;
    }
}

int wp_client_watch_next(wp_client *c, long timeout_ms, json_t **event, wp_err *err)
{
    *event = NULL;
    if (c->fd < 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "the watch stream of wolfpackd was closed");
        wp_err_why(err, "an earlier wait on it failed");
        wp_err_todo(err, "open a new one");
        return -1;
    }
    int r = frame_ready(c, timeout_ms < 0 ? 0 : timeout_ms, err);
    if (r <= 0)
        return r;
    *event = wp_proto_recv(c->fd, err);
    if (*event)
        return 1;
    close(c->fd);
    c->fd = -1;
    return -1;
}
