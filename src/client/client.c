/*
 * client.c -- the client side of the IPC protocol (see client.h): connect to
 * the local wolfpackd over its Unix socket, send one request, wait for the
 * reply.  Blocking and simple: the CLI and the application setup make one
 * call at a time.  Framing and reply parsing live in src/lib/proto.c.
 */
#include "client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../lib/proto.h"

struct wp_client {
    int fd;
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

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
    default:
        wp_errf(err, WP_E_UNAVAILABLE, "cannot connect to wolfpackd at %s", path);
        wp_err_why(err, "%s", strerror(errnum));
        wp_err_todo(err, "check that wolfpackd is running and the socket path is right");
        break;
    }
}

wp_client *wp_client_connect(const char *path, wp_err *err)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    wp_client *c;
    int fd;

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
    snprintf(c->path, sizeof c->path, "%s", path);
    return c;
}

json_t *wp_client_call(wp_client *c, const char *op, json_t *args, long long *version, wp_err *err)
{
    json_t *req, *reply, *result = NULL;
    json_t *v;

    if (version)
        *version = -1;
    req = json_pack("{s:s, s:o}", "op", op ? op : "", "args", args ? args : json_object());
    if (!req) {
        wp_errf(err, WP_E_INTERNAL, "could not build the request for \"%.64s\"", op ? op : "");
        wp_err_why(err, "the op is not valid UTF-8 or memory ran out");
        wp_err_todo(err, "report this as a bug");
        return NULL;
    }
    if (!wp_proto_send(c->fd, req, err)) {
        json_decref(req);
        return NULL;
    }
    json_decref(req);
    reply = wp_proto_recv(c->fd, err);
    if (!reply)
        return NULL;
    v = json_object_get(reply, "version");
    if (version && json_is_integer(v))
        *version = json_integer_value(v);
    if (wp_proto_reply_parse(reply, &result, err))
        result = json_incref(result ? result : json_null());
    json_decref(reply);
    return result;
}

void wp_client_close(wp_client *c)
{
    if (!c)
        return;
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}
