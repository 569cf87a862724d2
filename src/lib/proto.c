/*
 * proto.c -- the local IPC protocol (see proto.h): frames, requests, replies.
 *
 * wp_proto_decode_request() is the only place where untrusted bytes from a
 * client become a request.  It parses strictly with jansson (no NUL bytes,
 * valid UTF-8, no duplicate keys, no trailing data, bounded depth), checks
 * the op and every argument (key, JSON shape, required) against the one op
 * table of src/lib/opspec.c, which the database's wp_db_apply also uses.
 * Everything after it may trust the shape of a request; the values
 * themselves (names, types, policies) are checked by the model and the
 * database.
 *
 * The blocking wp_proto_send / wp_proto_recv are for clients (CLI, app
 * setup, test tools); the daemon keeps its own non-blocking buffers and only
 * uses the encode/decode functions.
 *
 * Two size limits: requests (client -> daemon, untrusted) hold at most
 * WP_PROTO_MAX_FRAME bytes; replies and watch events (daemon -> client) at
 * most WP_PROTO_MAX_REPLY.  wp_proto_encode_frame / wp_proto_send enforce
 * the first, wp_proto_encode_reply and wp_proto_recv* the second.
 */
#include "proto.h"

#include "opspec.h"
#include "clock.h"
#include "json.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PROTO_MAX_DEPTH 8

/* The client's ops: every QUERY and COMMAND of the shared table.
 * INTERNAL ops (resource.report, sched.commit) are wolfpackd's own database
 * commands: deliberately unknown here, so no client can forge a resource
 * state or a scheduler decision. */
static const wp_op_spec *op_find(const char *op)
{
    const wp_op_spec *spec = wp_opspec_find(op);
    return spec && spec->kind != WP_OP_INTERNAL ? spec : NULL;
}

bool wp_proto_op_known(const char *op, bool *mutates)
{
    const wp_op_spec *spec = op_find(op);
    if (spec && mutates)
        *mutates = spec->kind == WP_OP_COMMAND;
    return spec != NULL;
}

static int json_depth(const json_t *v)
{
    const char *k;
    json_t *item;
    size_t i;
    int deepest = 0;

    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, k, item)
        {
            int d = json_depth(item);
            if (d > deepest)
                deepest = d;
        }
        return deepest + 1;
    }
    if (json_is_array(v)) {
        json_array_foreach(v, i, item)
        {
            int d = json_depth(item);
            if (d > deepest)
                deepest = d;
        }
        return deepest + 1;
    }
    return 0;
}

/* ---- requests ---------------------------------------------------------- */

/* Parse len bytes of JSON; len must be 1..max (WP_PROTO_MAX_FRAME for a
 * request, WP_PROTO_MAX_REPLY for a reply). */
static json_t *parse_strict(const unsigned char *body, size_t len, size_t max, const char *kind,
                            wp_err *err)
{
    json_error_t jerr;
    json_t *root;

    if (len == 0 || len > max) {
        wp_errf(err, WP_E_PROTO, "%s has a bad length (%zu bytes)", kind, len);
        wp_err_why(err, "such a frame holds 1 to %zu bytes of JSON", max);
        wp_err_todo(err, max == WP_PROTO_MAX_FRAME ? "send a smaller request (see src/lib/proto.h)"
                                                   : "ask for less (see src/lib/proto.h)");
        return NULL;
    }
    if (memchr(body, '\0', len)) {
        wp_errf(err, WP_E_PROTO, "%s is not valid JSON", kind);
        wp_err_why(err, "it contains a NUL byte");
        wp_err_todo(err, "send UTF-8 JSON text without NUL bytes");
        return NULL;
    }
    root = json_loadb((const char *)body, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        wp_errf(err, WP_E_PROTO, "%s is not valid JSON", kind);
        wp_err_why(err, "at byte %d: %.200s", jerr.position, jerr.text);
        wp_err_todo(err, "send one JSON object in UTF-8 (see src/lib/proto.h)");
        return NULL;
    }
    if (json_depth(root) > PROTO_MAX_DEPTH) {
        json_decref(root);
        wp_errf(err, WP_E_PROTO, "%s is nested too deeply", kind);
        wp_err_why(err, "requests and replies nest at most %d levels", PROTO_MAX_DEPTH);
        wp_err_todo(err, "send a flatter JSON object");
        return NULL;
    }
    return root;
}

static bool check_envelope(json_t *root, wp_err *err)
{
    const char *key;
    json_t *v;

    if (!json_is_object(root)) {
        wp_errf(err, WP_E_PROTO, "the request is not a JSON object");
        wp_err_why(err, "a request is {\"op\": OP, \"args\": {...}}");
        wp_err_todo(err, "send a JSON object with an \"op\" string");
        return false;
    }
    json_object_foreach(root, key, v)
    {
        if (strcmp(key, "op") != 0 && strcmp(key, "args") != 0 && strcmp(key, "as") != 0) {
            wp_errf(err, WP_E_PROTO, "the request has an unknown key \"%.64s\"", key);
            wp_err_why(err, "a request holds only \"op\", \"args\" and \"as\"");
            wp_err_todo(err, "remove \"%.64s\" from the request", key);
            return false;
        }
    }
    v = json_object_get(root, "op");
    if (!json_is_string(v)) {
        wp_errf(err, WP_E_PROTO, "the request has no \"op\" string");
        wp_err_why(err, v ? "\"op\" is not a string" : "\"op\" is missing");
        wp_err_todo(err, "send {\"op\": OP, \"args\": {...}}");
        return false;
    }
    v = json_object_get(root, "args");
    if (v && !json_is_object(v)) {
        wp_errf(err, WP_E_PROTO, "the request's \"args\" is not an object");
        wp_err_why(err, "\"args\" holds the named arguments of the op");
        wp_err_todo(err, "send \"args\" as a JSON object, or leave it out");
        return false;
    }
    v = json_object_get(root, "as");
    if (v && (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 64)) {
        wp_errf(err, WP_E_PROTO, "the request's \"as\" is not a user name");
        wp_err_why(err, "\"as\" names the user a trusted peer acts for: 1 to 64 characters");
        wp_err_todo(err, "send \"as\" as a user name, or leave it out");
        return false;
    }
    return true;
}

static void unknown_op(const char *op, wp_err *err)
{
    char known[1024];
    size_t used = 0, count;
    const wp_op_spec *table = wp_opspec_table(&count);
    for (size_t i = 0; i < count && used < sizeof known; i++) {
        if (table[i].kind == WP_OP_INTERNAL)
            continue;
        int n = snprintf(known + used, sizeof known - used, "%s%s", used ? " " : "", table[i].op);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    wp_errf(err, WP_E_INVALID, "unknown op \"%.64s\"", op);
    wp_err_why(err, "the known ops are: %s", known);
    wp_err_todo(err, "use one of the known ops (is the client newer than wolfpackd?)");
}

bool wp_proto_decode_request(const unsigned char *body, size_t len, wp_request *req, wp_err *err)
{
    json_t *root;
    const wp_op_spec *spec;
    json_t *args;

    memset(req, 0, sizeof *req);
    root = parse_strict(body, len, WP_PROTO_MAX_FRAME, "the request", err);
    if (!root)
        return false;
    if (!check_envelope(root, err))
        goto fail;
    spec = op_find(wp_json_str(root, "op"));
    if (!spec) {
        unknown_op(wp_json_str(root, "op"), err);
        goto fail;
    }
    args = json_object_get(root, "args");
    if (!args) {
        if (json_object_set_new(root, "args", json_object()) != 0) {
            wp_errf(err, WP_E_INTERNAL, "out of memory decoding a request");
            goto fail;
        }
        args = json_object_get(root, "args");
    }
    if (!wp_opspec_check_args(spec->op, args, spec->args, WP_SIDE_REQUEST, err))
        goto fail;
    req->op = spec->op;
    req->mutates = spec->kind == WP_OP_COMMAND;
    req->json = root;
    req->args = args;
    req->as = wp_json_str(root, "as");
    return true;
fail:
    json_decref(root);
    return false;
}

void wp_request_free(wp_request *req)
{
    if (!req)
        return;
    json_decref(req->json);
    memset(req, 0, sizeof *req);
}

/* ---- replies ----------------------------------------------------------- */

json_t *wp_proto_reply_ok(json_t *result, int64_t version)
{
    return json_pack("{s:b, s:o, s:I}", "ok", 1, "result", result ? result : json_null(), "version",
                     (json_int_t)version);
}

json_t *wp_proto_reply_err(const wp_err *err)
{
    json_t *reply =
        json_pack("{s:b, s:{s:s, s:s, s:s, s:s}}", "ok", 0, "error", "code",
                  wp_code_name(err->code), "what", err->what, "why", err->why, "todo", err->todo);
    if (reply)
        return reply;
    /* Only text that is not UTF-8 can make that fail (wp_errf scrubs, but a
     * caller may have filled the fields by hand): still answer. */
    return json_pack("{s:b, s:{s:s, s:s, s:s, s:s}}", "ok", 0, "error", "code",
                     wp_code_name(err->code), "what", "the request was refused", "why",
                     "the error's text was not valid UTF-8", "todo",
                     "check the request's bytes; see the daemon's log");
}

static void copy_field(char *dst, size_t size, const json_t *obj, const char *key)
{
    const char *s = wp_json_str(obj, key);
    snprintf(dst, size, "%s", s ? s : "");
}

bool wp_proto_reply_parse(const json_t *reply, json_t **result, wp_err *err)
{
    json_t *ok = json_object_get(reply, "ok");
    json_t *e;

    if (result)
        *result = NULL;
    if (!json_is_object(reply) || !json_is_boolean(ok)) {
        wp_errf(err, WP_E_PROTO, "the daemon's reply is malformed");
        wp_err_why(err, "it is not an object with an \"ok\" boolean");
        wp_err_todo(err, "check that the wolfpack CLI and wolfpackd are the same version");
        return false;
    }
    if (json_is_true(ok)) {
        if (result)
            *result = json_object_get(reply, "result");
        return true;
    }
    e = json_object_get(reply, "error");
    if (!json_is_object(e) || !json_is_string(json_object_get(e, "code"))) {
        wp_errf(err, WP_E_PROTO, "the daemon's error reply is malformed");
        wp_err_why(err, "it has no \"error\" object with a \"code\"");
        wp_err_todo(err, "check that the wolfpack CLI and wolfpackd are the same version");
        return false;
    }
    if (err) {
        err->code = wp_code_parse(wp_json_str(e, "code"));
        if (err->code == WP_OK)
            err->code = WP_E_INTERNAL;
        copy_field(err->what, sizeof err->what, e, "what");
        copy_field(err->why, sizeof err->why, e, "why");
        copy_field(err->todo, sizeof err->todo, e, "todo");
    }
    return false;
}

/* ---- frames ------------------------------------------------------------ */

/* Encode value as a frame of at most max bytes of JSON; what names the
 * message in the error and todo says what to do about a too large one. */
static bool encode_max(const json_t *value, size_t max, const char *what, const char *todo,
                       unsigned char **out, size_t *out_len, wp_err *err)
{
    char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t len;

    *out = NULL;
    *out_len = 0;
    if (!text) {
        wp_errf(err, WP_E_INTERNAL, "could not encode a message as JSON");
        wp_err_why(err, "jansson refused the value (out of memory or invalid)");
        wp_err_todo(err, "report this as a bug");
        return false;
    }
    len = strlen(text);
    if (len == 0 || len > max) {
        free(text);
        wp_errf(err, WP_E_PROTO, "%s is too large to send (%zu bytes)", what, len);
        wp_err_why(err, "such a frame holds at most %zu bytes (%zu MiB)", max, max >> 20);
        wp_err_todo(err, "%s", todo);
        return false;
    }
    /* reuse the text's allocation: grow it by the 4-byte prefix */
    unsigned char *frame = realloc(text, len + 4);
    if (!frame) {
        free(text);
        wp_errf(err, WP_E_INTERNAL, "out of memory encoding a message");
        return false;
    }
    memmove(frame + 4, frame, len);
    uint32_t be = htonl((uint32_t)len);
    memcpy(frame, &be, 4);
    *out = frame;
    *out_len = len + 4;
    return true;
}

bool wp_proto_encode_frame(const json_t *value, unsigned char **out, size_t *out_len, wp_err *err)
{
    return encode_max(value, WP_PROTO_MAX_FRAME, "a message", "send less data in one request", out,
                      out_len, err);
}

bool wp_proto_encode_reply(const json_t *value, unsigned char **out, size_t *out_len, wp_err *err)
{
    return encode_max(value, WP_PROTO_MAX_REPLY, "the reply",
                      "ask for less at a time (e.g. `resource list --group G`, `group show G`)",
                      out, out_len, err);
}

static bool write_all(int fd, const unsigned char *buf, size_t len, wp_err *err)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && errno == ENOTSOCK)
            n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            wp_errf(err, WP_E_IO, "could not send a message to the other side");
            wp_err_why(err, "%s", n < 0 ? strerror(errno) : "write returned 0");
            wp_err_todo(err, "check that wolfpackd is still running");
            return false;
        }
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* Wait until fd is readable or the deadline (monotonic ms; < 0: none)
 * passes.  False when the deadline passed (err untouched) or poll failed
 * (err filled). */
static bool wait_readable(int fd, long long deadline, wp_err *err)
{
    if (deadline < 0)
        return true;
    for (;;) {
        long long left = deadline - wp_clock_ms();
        if (left <= 0)
            return false;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return true;
        if (n < 0 && errno != EINTR) {
            wp_errf(err, WP_E_IO, "could not wait for a message from the other side");
            wp_err_why(err, "poll: %s", strerror(errno));
            wp_err_todo(err, "check that wolfpackd is still running");
            return false;
        }
    }
}

/* Read exactly len bytes by the deadline (< 0: none).  *got tells how many
 * arrived before EOF; *late is set when the deadline passed first. */
static bool read_all(int fd, unsigned char *buf, size_t len, long long deadline, size_t *got,
                     bool *late, wp_err *err)
{
    *got = 0;
    *late = false;
    while (*got < len) {
        if (!wait_readable(fd, deadline, err)) {
            *late = err == NULL || err->code == WP_OK;
            return false;
        }
        ssize_t n = read(fd, buf + *got, len - *got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            wp_errf(err, WP_E_IO, "could not read a message from the other side");
            wp_err_why(err, "%s", strerror(errno));
            wp_err_todo(err, "check that wolfpackd is still running");
            return false;
        }
        if (n == 0)
            return false; /* EOF: caller decides */
        *got += (size_t)n;
    }
    return true;
}

bool wp_proto_send(int fd, const json_t *value, wp_err *err)
{
    unsigned char *frame;
    size_t len;
    bool ok;

    if (!wp_proto_encode_frame(value, &frame, &len, err))
        return false;
    ok = write_all(fd, frame, len, err);
    free(frame);
    return ok;
}

static void truncated(wp_err *err, size_t got, size_t want)
{
    wp_errf(err, WP_E_PROTO, "the message was truncated");
    wp_err_why(err, "the connection closed after %zu of %zu bytes", got, want);
    wp_err_todo(err, "check wolfpackd's log; retry the command");
}

/* Fill err for a read that ended early: an I/O error as it was, EOF before
 * anything, a truncated frame, or the deadline. */
static void recv_failed(const wp_err *io, bool late, size_t got, size_t want, int timeout_ms,
                        wp_err *err)
{
    if (io->code != WP_OK) {
        if (err)
            *err = *io;
    } else if (late) {
        wp_errf(err, WP_E_UNAVAILABLE, "no reply within %d s", (timeout_ms + 999) / 1000);
        wp_err_why(err, "the other side accepted the request but sent %s in time",
                   got ? "only part of its reply" : "no reply");
        wp_err_todo(err, "check that wolfpackd is running and not stuck; then retry");
    } else if (got == 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "the connection closed without a reply");
        wp_err_why(err, "the other side ended the connection before answering");
        wp_err_todo(err, "check wolfpackd's log; retry the command");
    } else {
        truncated(err, got, want);
    }
}

json_t *wp_proto_recv_timeout(int fd, int timeout_ms, bool *timed_out, wp_err *err)
{
    unsigned char hdr[4];
    uint32_t be;
    size_t len, got;
    unsigned char *body;
    json_t *value;
    wp_err io = {0};
    bool late;
    long long deadline = timeout_ms > 0 ? wp_clock_ms() + timeout_ms : -1;

    if (timed_out)
        *timed_out = false;
    if (!read_all(fd, hdr, 4, deadline, &got, &late, &io)) {
        recv_failed(&io, late, got, 4, timeout_ms, err);
        if (timed_out)
            *timed_out = late;
        return NULL;
    }
    memcpy(&be, hdr, 4);
    len = ntohl(be);
    if (len == 0 || len > WP_PROTO_MAX_REPLY) {
        wp_errf(err, WP_E_PROTO, "a reply has a bad length (%zu bytes)", len);
        wp_err_why(err, "a reply frame holds 1 to %u bytes (%u MiB)", WP_PROTO_MAX_REPLY,
                   WP_PROTO_MAX_REPLY >> 20);
        wp_err_todo(err, "check that both sides speak the wolfpack protocol");
        return NULL;
    }
    body = malloc(len);
    if (!body) {
        wp_errf(err, WP_E_INTERNAL, "out of memory reading a message");
        return NULL;
    }
    if (!read_all(fd, body, len, deadline, &got, &late, &io)) {
        recv_failed(&io, late, got + 4, len + 4, timeout_ms, err);
        if (timed_out)
            *timed_out = late;
        free(body);
        return NULL;
    }
    value = parse_strict(body, len, WP_PROTO_MAX_REPLY, "the reply", err);
    free(body);
    return value;
}

json_t *wp_proto_recv(int fd, wp_err *err)
{
    return wp_proto_recv_timeout(fd, 0, NULL, err);
}
