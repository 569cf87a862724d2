/*
 * http.c -- libmicrohttpd glue of wolfpack-web (web.h): the server, one
 * wp_web_req per request, bodies, routing, and the replies.
 *
 * The server: TLS (the PEM texts of tls.c), one thread per connection, at
 * most WP_WEB_CONNS_MAX connections and WP_WEB_CONNS_PER_IP from one
 * address, an idle connection closed after 60 s.  A request body above
 * WP_WEB_BODY_MAX is answered 413 (at once when Content-Length says so).
 * Every reply carries the security headers (CSP default-src 'self',
 * nosniff, frame DENY, no referrer, HSTS); replies of the API and of /metrics
 * are never cached (Cache-Control: no-store).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "web.h"

static bool is_api(const char *url)
{
    return strncmp(url, "/api/", 5) == 0 || strcmp(url, "/metrics") == 0;
}

enum MHD_Result wp_web_send(wp_web_req *r, unsigned status, struct MHD_Response *resp)
{
    static const char *const headers[][2] = {
        {"Content-Security-Policy", "default-src 'self'"},
        {"X-Content-Type-Options", "nosniff"},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {"Strict-Transport-Security", "max-age=31536000"},
    };
    if (!resp)
        return MHD_NO;
    for (size_t i = 0; i < sizeof headers / sizeof headers[0]; i++)
        MHD_add_response_header(resp, headers[i][0], headers[i][1]);
    if (is_api(r->url))
        MHD_add_response_header(resp, "Cache-Control", "no-store");
    enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
    MHD_destroy_response(resp);
    return rc;
}

enum MHD_Result wp_web_send_json(wp_web_req *r, unsigned status, json_t *body)
{
    return wp_web_send_json_with(r, status, body, NULL, NULL);
}

enum MHD_Result wp_web_send_text(wp_web_req *r, unsigned status, char *text, const char *type)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", type);
    return wp_web_send(r, status, resp);
}

enum MHD_Result wp_web_send_json_with(wp_web_req *r, unsigned status, json_t *body,
                                      const char *header, const char *value)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (!text) {
        static const char oom[] = "{\"ok\":false,\"error\":{\"what\":\"out of memory\",\"why\":"
                                  "\"the reply could not be built\",\"todo\":\"retry\","
                                  "\"code\":\"internal\"}}";
        struct MHD_Response *resp =
            MHD_create_response_from_buffer(sizeof oom - 1, (void *)oom, MHD_RESPMEM_PERSISTENT);
        MHD_add_response_header(resp, "Content-Type", "application/json");
        return wp_web_send(r, MHD_HTTP_INTERNAL_SERVER_ERROR, resp);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "application/json");
    if (header)
        MHD_add_response_header(resp, header, value);
    return wp_web_send(r, status, resp);
}

enum MHD_Result wp_web_send_error(wp_web_req *r, const wp_err *err)
{
    return wp_web_send_json(r, wp_web_http_status(err->code), wp_web_error_json(err));
}

enum MHD_Result wp_web_send_empty(wp_web_req *r, unsigned status)
{
    return wp_web_send(r, status, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
}

bool wp_web_need_session(wp_web_req *r, bool csrf, wp_session *s, enum MHD_Result *sent)
{
    const char *id = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "wp_session");
    wp_err err = {0};

    if (!wp_session_get(&r->w->sessions, id, true, s)) {
        wp_errf(&err, WP_E_PERM, "not logged in");
        wp_err_why(&err, "%s",
                   id ? "the session has ended (logout or idle timeout)"
                      : "the request carries no session cookie");
        wp_err_todo(&err, "log in: POST /api/login");
        *sent = wp_web_send_json(r, MHD_HTTP_UNAUTHORIZED, wp_web_error_json(&err));
        return false;
    }
    if (!csrf)
        return true;
    const char *token = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-CSRF-Token");
    if (token && wp_secret_equal(token, s->csrf))
        return true;
    syslog(LOG_NOTICE, "refused %s %s of user %s from %s: %s CSRF token", r->method, r->url,
           s->user, r->addr, token ? "wrong" : "no");
    wp_errf(&err, WP_E_PERM, "refused: the request carries %s CSRF token",
            token ? "a wrong" : "no");
    wp_err_why(&err, "every POST but /api/login must carry the session's token in the "
                     "X-CSRF-Token header, so that another site cannot act in your name");
    wp_err_todo(&err, "send the \"csrf\" of /api/login or /api/session as X-CSRF-Token");
    *sent = wp_web_send_error(r, &err);
    return false;
}

/* ---- routing ----------------------------------------------------------- */

typedef enum MHD_Result (*handler_fn)(wp_web_req *r);

static const struct {
    const char *method, *url;
    handler_fn fn;
} ROUTES[] = {
    {"POST", "/api/login", wp_api_login},    {"POST", "/api/logout", wp_api_logout},
    {"GET", "/api/session", wp_api_session}, {"GET", "/api/status", wp_api_status},
    {"POST", "/api/op", wp_api_op},          {"GET", "/api/history", wp_api_history},
    {"GET", "/api/events", wp_api_events},   {"GET", "/metrics", wp_web_metrics},
};

static enum MHD_Result not_here(wp_web_req *r, unsigned status)
{
    wp_err err = {0};
    if (status == MHD_HTTP_NOT_FOUND) {
        wp_errf(&err, WP_E_NOTFOUND, "no such API: %.100s", r->url);
        wp_err_why(&err, "the API is /api/login, logout, session, status, op, history, events");
        wp_err_todo(&err, "see docs/API.md");
    } else {
        wp_errf(&err, WP_E_INVALID, "%.100s does not take %s", r->url, r->method);
        wp_err_why(&err, "each API path takes one method (docs/API.md)");
        wp_err_todo(&err, "use GET to read and POST to act");
    }
    return wp_web_send_json(r, status, wp_web_error_json(&err));
}

static enum MHD_Result route(wp_web_req *r)
{
    bool path_known = false;

    for (size_t i = 0; i < sizeof ROUTES / sizeof ROUTES[0]; i++) {
        if (strcmp(ROUTES[i].url, r->url) != 0)
            continue;
        path_known = true;
        if (strcmp(ROUTES[i].method, r->method) == 0)
            return ROUTES[i].fn(r);
    }
    if (path_known)
        return not_here(r, MHD_HTTP_METHOD_NOT_ALLOWED);
    if (is_api(r->url))
        return not_here(r, MHD_HTTP_NOT_FOUND);
    return wp_web_file(r);
}

static enum MHD_Result too_large(wp_web_req *r)
{
    wp_err err = {0};
    wp_errf(&err, WP_E_INVALID, "the request body is too large");
    wp_err_why(&err, "wolfpack-web takes at most %d bytes", WP_WEB_BODY_MAX);
    wp_err_todo(&err, "send a smaller request");
    return wp_web_send_json(r, MHD_HTTP_CONTENT_TOO_LARGE, wp_web_error_json(&err));
}

/* The first call of a request: a wp_web_req for it. */
static wp_web_req *req_new(wp_web *w, struct MHD_Connection *conn, const char *url,
                           const char *method)
{
    wp_web_req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->w = w;
    r->conn = conn;
    r->url = url;
    r->method = method;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->addr, sizeof r->addr, "?");
    if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, r->addr,
                  sizeof r->addr);
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    if (cl && strtoull(cl, NULL, 10) > WP_WEB_BODY_MAX)
        r->too_large = true;
    return r;
}

static void body_add(wp_web_req *r, const char *data, size_t len)
{
    if (r->too_large)
        return;
    if (r->body_len + len > WP_WEB_BODY_MAX) {
        r->too_large = true;
        free(r->body);
        r->body = NULL;
        r->body_len = 0;
        return;
    }
    char *grown = realloc(r->body, r->body_len + len + 1);
    if (!grown) {
        r->too_large = true;
        return;
    }
    memcpy(grown + r->body_len, data, len);
    r->body = grown;
    r->body_len += len;
    r->body[r->body_len] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    wp_web_req *r = *con_cls;

    (void)version;
    if (!r) {
        r = req_new(cls, conn, url, method);
        if (!r)
            return MHD_NO;
        *con_cls = r;
        if (r->too_large)
            return too_large(r); /* the rest of the body is not read */
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        body_add(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->too_large)
        return too_large(r);
    return route(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    wp_web_req *r = *con_cls;

    (void)cls, (void)conn, (void)toe;
    if (!r)
        return;
    free(r->body);
    free(r);
    *con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    vsyslog(LOG_INFO, fmt, ap);
}

bool wp_web_start(wp_web *w, wp_err *err)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_TLS |
                     MHD_USE_ERROR_LOG;

    w->mhd = MHD_start_daemon(
        flags, ntohs(w->opts.addr.sin_port), NULL, NULL, on_request, w, MHD_OPTION_EXTERNAL_LOGGER,
        on_mhd_log, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&w->opts.addr,
        MHD_OPTION_HTTPS_MEM_CERT, w->cert_pem, MHD_OPTION_HTTPS_MEM_KEY, w->key_pem,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)WP_WEB_CONNS_MAX, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)WP_WEB_CONNS_PER_IP, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_END);
    if (!w->mhd) {
        int e = errno;
        wp_errf(err, WP_E_IO, "cannot listen on %s", w->opts.listen);
        wp_err_why(err, "libmicrohttpd could not start: %s", e ? strerror(e) : "see the log");
        wp_err_todo(err,
                    "is the address this host's and the port free? set listen in %s or "
                    "--listen ADDR:PORT",
                    w->opts.config ? w->opts.config : WP_WEB_CONFIG);
        return false;
    }
    return true;
}

void wp_web_stop(wp_web *w)
{
    if (w->mhd)
        MHD_stop_daemon(w->mhd);
    w->mhd = NULL;
}
