/*
 * call.c -- one call to the local wolfpackd for the web console (web.h).
 *
 * Each API request opens its own connection to wolfpackd's socket, sends
 * {"op", "args", "as": USER} and closes: wolfpackd honours "as" only from
 * its trusted web user and decides USER's role itself
 * (src/daemon/access.c), so a read-only user's change is refused by the
 * daemon, with the daemon's what/why/to-do, as on the socket.  Errors
 * become HTTP statuses here: invalid 400, permission 403, not found 404,
 * exists/conflict 409, no quorum/unavailable 503, anything else 500.
 * wp_web_status is `wolfpack status --json`'s object: status and
 * resource.list on one connection, joined as the CLI joins them.
 */
#include <microhttpd.h>

#include "../client/client.h"
#include "web.h"

json_t *wp_web_call(wp_web *w, const char *user, const char *op, json_t *args, wp_err *err)
{
    wp_client *c = wp_client_open(w->opts.socket, WP_WEB_CALL_TIMEOUT, err);
    long long version = -1;

    if (!c || (user && !wp_client_set_as(c, user, err))) {
        wp_client_close(c);
        json_decref(args);
        return NULL;
    }
    json_t *result = wp_client_call(c, op, args, &version, err);
    wp_client_close(c);
    if (!result)
        return NULL;
    return json_pack("{s:b, s:o, s:I}", "ok", 1, "result", result, "version", (json_int_t)version);
}

json_t *wp_web_status(wp_web *w, const char *user, wp_err *err)
{
    wp_client *c = wp_client_open(w->opts.socket, WP_WEB_CALL_TIMEOUT, err);
    long long version = -1;

    if (!c || (user && !wp_client_set_as(c, user, err))) {
        wp_client_close(c);
        return NULL;
    }
    json_t *st = wp_client_call(c, "status", NULL, &version, err);
    if (json_is_object(st)) {
        wp_err ignored = {0}; /* refused while the node syncs: then without them */
        json_t *res = wp_client_call(c, "resource.list", NULL, NULL, &ignored);
        if (!json_object_get(st, "version"))
            json_object_set_new(st, "version", json_integer(version));
        if (res)
            json_object_set_new(st, "resources", res);
    }
    wp_client_close(c);
    return st;
}

unsigned wp_web_http_status(wp_code code)
{
    switch (code) {
    case WP_OK:
        return MHD_HTTP_OK;
    case WP_E_INVALID:
    case WP_E_PROTO:
        return MHD_HTTP_BAD_REQUEST;
    case WP_E_PERM:
        return MHD_HTTP_FORBIDDEN;
    case WP_E_NOTFOUND:
        return MHD_HTTP_NOT_FOUND;
    case WP_E_EXISTS:
    case WP_E_CONFLICT:
        return MHD_HTTP_CONFLICT;
    case WP_E_NOQUORUM:
    case WP_E_UNAVAILABLE:
        return MHD_HTTP_SERVICE_UNAVAILABLE;
    default:
        return MHD_HTTP_INTERNAL_SERVER_ERROR;
    }
}

json_t *wp_web_error_json(const wp_err *err)
{
    return json_pack("{s:b, s:{s:s, s:s, s:s, s:s}}", "ok", 0, "error", "what", err->what, "why",
                     err->why, "todo", err->todo, "code", wp_code_name(err->code));
}
