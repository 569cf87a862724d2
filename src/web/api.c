/*
 * api.c -- the JSON API of the web console (docs/API.md): login, logout,
 * session, status, op, history.  Every call to wolfpackd goes through
 * call.c for the logged-in user, so the daemon's own rules and messages
 * apply; this file checks the login, the CSRF token (http.c) and the
 * shape of the request bodies (JSON, declared as such: 415 otherwise).
 *
 * Login: the rate limiter first (429 + Retry-After), then PAM (401), then
 * wolfpackd's `whoami` for the user, which gives the role or refuses a
 * user in neither group (403).  Every failure and every login is logged
 * with the user and the client's address, never the password.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "../lib/json.h"
#include "web.h"

/* Does the request say its body is JSON?  (An HTML form of another site
 * cannot say so without the browser asking this server first, so this
 * also keeps such forms from logging a browser in: docs/WEB.md.) */
static bool says_json(wp_web_req *r)
{
    const char *type = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Content-Type");
    size_t n = strlen("application/json");
    return type && strncasecmp(type, "application/json", n) == 0 &&
           (type[n] == '\0' || type[n] == ';' || type[n] == ' ');
}

/* The body as a JSON object (415 or 400 sent when it is not: *sent). */
static json_t *body_object(wp_web_req *r, enum MHD_Result *sent)
{
    json_error_t jerr;
    wp_err err = {0};

    if (!says_json(r)) {
        wp_errf(&err, WP_E_INVALID, "the request body is not declared as JSON");
        wp_err_why(&err, "%s bodies are JSON and must say so", r->url);
        wp_err_todo(&err, "send the header Content-Type: application/json");
        *sent = wp_web_send_json(r, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, wp_web_error_json(&err));
        return NULL;
    }
    json_t *v = r->body ? json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr) : NULL;

    if (json_is_object(v))
        return v;
    wp_errf(&err, WP_E_INVALID, "the request body is not a JSON object");
    if (v)
        wp_err_why(&err, "it is valid JSON, but not an object {...}");
    else if (r->body)
        wp_err_why(&err, "line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
    else
        wp_err_why(&err, "the body is empty");
    json_decref(v);
    wp_err_todo(&err, "send a JSON object (Content-Type: application/json), see docs/API.md");
    *sent = wp_web_send_error(r, &err);
    return NULL;
}

/* Keys of o outside allowed[] (NULL-terminated): 400 sent, false. */
static bool only_keys(wp_web_req *r, const json_t *o, const char *const *allowed,
                      enum MHD_Result *sent)
{
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)o, key, v)
    {
        bool ok = false;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = strcmp(allowed[i], key) == 0;
        if (ok)
            continue;
        wp_err err = {0};
        wp_errf(&err, WP_E_INVALID, "the request has an unknown key \"%.64s\"", key);
        wp_err_why(&err, "%s takes only the keys docs/API.md names", r->url);
        wp_err_todo(&err, "remove \"%.64s\"", key);
        *sent = wp_web_send_error(r, &err);
        return false;
    }
    return true;
}

static bool user_name_ok(const char *user)
{
    size_t n = strlen(user);
    if (n == 0 || n > WP_WEB_USER_MAX || user[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)user[i];
        if (!(ch == '_' || ch == '-' || ch == '.' || ch == '@' || ch == '$' ||
              (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
            return false;
    }
    return true;
}

static json_t *session_json(const wp_session *s)
{
    return json_pack("{s:s, s:s, s:s}", "user", s->user, "role",
                     s->role == WP_WEB_ROLE_ADMIN ? "admin" : "read", "csrf", s->csrf);
}

static enum MHD_Result rate_limited(wp_web_req *r, const char *user, int wait)
{
    wp_err err = {0};
    char secs[16];

    syslog(LOG_WARNING, "login of user %s from %s refused: too many failed logins", user, r->addr);
    wp_errf(&err, WP_E_PERM, "too many failed logins: wait %d seconds", wait);
    wp_err_why(&err, "%d failed logins within %d s, from this address or for this user",
               WP_WEB_FAIL_MAX, WP_WEB_FAIL_WINDOW);
    wp_err_todo(&err, "wait, then log in with the right password");
    snprintf(secs, sizeof secs, "%d", wait);
    return wp_web_send_json_with(r, MHD_HTTP_TOO_MANY_REQUESTS, wp_web_error_json(&err),
                                 "Retry-After", secs);
}

/* The role wolfpackd gives user (its `whoami`), or false with err. */
static bool daemon_role(wp_web *w, const char *user, wp_web_role *role, wp_err *err)
{
    json_t *reply = wp_web_call(w, user, "whoami", NULL, err);
    const char *name = wp_json_str(json_object_get(reply, "result"), "role");
    bool ok = name != NULL;
    if (ok)
        *role = strcmp(name, "admin") == 0 ? WP_WEB_ROLE_ADMIN : WP_WEB_ROLE_READ;
    else if (reply)
        wp_errf(err, WP_E_INTERNAL, "wolfpackd's whoami reply has no role");
    json_decref(reply);
    return ok;
}

static enum MHD_Result login_with(wp_web_req *r, const char *user, const char *password)
{
    wp_err err = {0};
    wp_web_role role;
    wp_session s;
    int wait = wp_limiter_wait(&r->w->limiter, r->addr, user);

    if (wait > 0)
        return rate_limited(r, user, wait);
    if (!wp_web_pam_check(r->w, user, password, &err)) {
        if (err.code == WP_E_PERM) {
            wp_limiter_fail(&r->w->limiter, r->addr, user);
            syslog(LOG_WARNING, "failed login of user %s from %s: %s", user, r->addr, err.why);
            return wp_web_send_json(r, MHD_HTTP_UNAUTHORIZED, wp_web_error_json(&err));
        }
        syslog(LOG_ERR, "login of user %s from %s: %s (%s)", user, r->addr, err.what, err.why);
        return wp_web_send_error(r, &err);
    }
    if (!daemon_role(r->w, user, &role, &err)) {
        syslog(LOG_NOTICE, "login of user %s from %s refused by wolfpackd: %s %s", user, r->addr,
               err.what, err.why);
        return wp_web_send_error(r, &err);
    }
    if (!wp_session_new(&r->w->sessions, user, role, &s, &err))
        return wp_web_send_error(r, &err);
    syslog(LOG_NOTICE, "user %s logged in from %s (%s)", user, r->addr,
           role == WP_WEB_ROLE_ADMIN ? "admin" : "read-only");
    char cookie[160];
    snprintf(cookie, sizeof cookie, "wp_session=%s; Secure; HttpOnly; SameSite=Strict; Path=/",
             s.id);
    return wp_web_send_json_with(r, MHD_HTTP_OK, session_json(&s), "Set-Cookie", cookie);
}

enum MHD_Result wp_api_login(wp_web_req *r)
{
    static const char *const keys[] = {"user", "password", NULL};
    enum MHD_Result sent;
    json_t *body = body_object(r, &sent);

    if (!body)
        return sent;
    if (!only_keys(r, body, keys, &sent)) {
        json_decref(body);
        return sent;
    }
    const char *user = wp_json_str(body, "user");
    const char *password = wp_json_str(body, "password");
    if (!user || !password || !user_name_ok(user) || strlen(password) > 1024) {
        wp_err err = {0};
        wp_errf(&err, WP_E_INVALID, "the login needs a user name and a password");
        wp_err_why(&err,
                   "\"user\" must be a user name (letters, digits, _ - . @, at most %d) "
                   "and \"password\" a string of at most 1024 bytes",
                   WP_WEB_USER_MAX);
        wp_err_todo(&err, "send {\"user\": NAME, \"password\": PASSWORD}");
        json_decref(body);
        return wp_web_send_error(r, &err);
    }
    enum MHD_Result rc = login_with(r, user, password);
    json_decref(body);
    return rc;
}

enum MHD_Result wp_api_logout(wp_web_req *r)
{
    wp_session s;
    enum MHD_Result sent;

    if (!wp_web_need_session(r, true, &s, &sent))
        return sent;
    wp_session_end(&r->w->sessions, s.id);
    syslog(LOG_NOTICE, "user %s logged out from %s", s.user, r->addr);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(resp, "Set-Cookie",
                            "wp_session=; Secure; HttpOnly; SameSite=Strict; Path=/; Max-Age=0");
    return wp_web_send(r, MHD_HTTP_NO_CONTENT, resp);
}

enum MHD_Result wp_api_session(wp_web_req *r)
{
    wp_session s;
    enum MHD_Result sent;

    if (!wp_web_need_session(r, false, &s, &sent))
        return sent;
    return wp_web_send_json(r, MHD_HTTP_OK, session_json(&s));
}

/* A daemon op for the session's user; reply: the whole reply, or just its
 * result (whole = false). */
static enum MHD_Result forward(wp_web_req *r, const wp_session *s, const char *op, json_t *args,
                               bool whole)
{
    wp_err err = {0};
    json_t *reply = wp_web_call(r->w, s->user, op, args, &err);

    if (!reply)
        return wp_web_send_error(r, &err);
    if (whole)
        return wp_web_send_json(r, MHD_HTTP_OK, reply);
    json_t *result = json_incref(json_object_get(reply, "result"));
    json_decref(reply);
    return wp_web_send_json(r, MHD_HTTP_OK, result);
}

enum MHD_Result wp_api_status(wp_web_req *r)
{
    wp_session s;
    enum MHD_Result sent;

    if (!wp_web_need_session(r, false, &s, &sent))
        return sent;
    const char *fresh = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "fresh");
    const char *seen = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "version");
    char *text = fresh ? NULL : wp_stcache_get(r->w, seen ? strtoll(seen, NULL, 10) : 0);
    if (text)
        return wp_web_send_text(r, MHD_HTTP_OK, text, "application/json");
    wp_err err = {0};
    json_t *st = wp_web_status(r->w, s.user, &err);
    if (!st)
        return wp_web_send_error(r, &err);
    return wp_web_send_json(r, MHD_HTTP_OK, st);
}

enum MHD_Result wp_api_op(wp_web_req *r)
{
    static const char *const keys[] = {"op", "args", NULL};
    wp_session s;
    enum MHD_Result sent;

    if (!wp_web_need_session(r, true, &s, &sent))
        return sent;
    json_t *body = body_object(r, &sent);
    if (!body)
        return sent;
    if (!only_keys(r, body, keys, &sent)) {
        json_decref(body);
        return sent;
    }
    const char *op = wp_json_str(body, "op");
    json_t *args = json_object_get(body, "args");
    wp_err err = {0};
    if (!op || (args && !json_is_object(args)) || strcmp(op, "watch") == 0) {
        wp_errf(&err, WP_E_INVALID, "the op request needs an \"op\" and an \"args\" object");
        wp_err_why(&err, "%s",
                   op && strcmp(op, "watch") == 0 ? "the watch stream is GET /api/events, not an op"
                                                  : "a request is {\"op\": NAME, \"args\": {...}}");
        wp_err_todo(&err, "send {\"op\": \"group.move\", \"args\": {\"name\": \"G\"}} and the "
                          "like (docs/API.md)");
        json_decref(body);
        return wp_web_send_error(r, &err);
    }
    syslog(LOG_INFO, "user %s from %s: op %s", s.user, r->addr, op);
    enum MHD_Result rc = forward(r, &s, op, args ? json_incref(args) : NULL, true);
    json_decref(body);
    return rc;
}

/* ?since=N: only the entries with a version above N. */
static json_t *history_since(json_t *list, long long since)
{
    json_t *out = json_array();
    size_t i;
    json_t *e;

    json_array_foreach(list, i, e)
    {
        json_t *v = json_object_get(e, "version");
        if (!json_is_integer(v) || json_integer_value(v) > since)
            json_array_append(out, e);
    }
    json_decref(list);
    return out;
}

enum MHD_Result wp_api_history(wp_web_req *r)
{
    wp_session s;
    enum MHD_Result sent;
    wp_err err = {0};
    const char *since = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, "since");
    char *end = NULL;
    long long n = since ? strtoll(since, &end, 10) : -1;

    if (!wp_web_need_session(r, false, &s, &sent))
        return sent;
    if (since && (!since[0] || *end || n < 0)) {
        wp_errf(&err, WP_E_INVALID, "since=\"%.32s\" is not a database version", since);
        wp_err_why(&err, "since takes a whole number >= 0: the entries after that version");
        wp_err_todo(&err, "give e.g. /api/history?since=120");
        return wp_web_send_error(r, &err);
    }
    json_t *reply = wp_web_call(r->w, s.user, "history", NULL, &err);
    if (!reply)
        return wp_web_send_error(r, &err);
    json_t *list = json_incref(json_object_get(reply, "result"));
    json_decref(reply);
    return wp_web_send_json(r, MHD_HTTP_OK, since ? history_since(list, n) : list);
}
