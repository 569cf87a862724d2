/*
 * proto.c -- the local IPC protocol (see proto.h): frames, requests, replies.
 *
 * wp_proto_decode_request() is the only place where untrusted bytes from a
 * client become a request.  It parses strictly with jansson (no NUL bytes,
 * valid UTF-8, no duplicate keys, no trailing data, bounded depth), checks
 * the op against the op table below and every argument against that op's
 * argument table (key, JSON shape, required).  Everything after it may trust
 * the shape of a request; the values themselves (names, types, policies) are
 * checked by the model and the database.
 *
 * The blocking wp_proto_send / wp_proto_recv are for clients (CLI, app
 * setup, test tools); the daemon keeps its own non-blocking buffers and only
 * uses the encode/decode functions.
 */
#include "proto.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PROTO_MAX_DEPTH 8

/* The JSON shape an argument must have. */
typedef enum arg_shape {
    SHAPE_STRING,      /* "text" */
    SHAPE_INTEGER,     /* 42 */
    SHAPE_BOOL,        /* true | false */
    SHAPE_OBJ_STR,     /* {"k": "v", ...} */
    SHAPE_OBJ_STR_NUL, /* {"k": "v" | null, ...} */
    SHAPE_ARR_STR,     /* ["a", "b"] */
    SHAPE_ARR_NODES,   /* [{"name": s, "address": s, "id": n}, ...] */
    SHAPE_OBJECT,      /* any object (the database checks it: app.register) */
} arg_shape;

typedef struct arg_spec {
    const char *key;
    arg_shape shape;
    bool required;
} arg_spec;

typedef struct op_spec {
    const char *op;
    bool mutates;
    const arg_spec *args; /* terminated by {NULL} */
} op_spec;

static const arg_spec args_none[] = {{NULL, 0, false}};
static const arg_spec args_name[] = {{"name", SHAPE_STRING, true}, {NULL, 0, false}};
static const arg_spec args_resource_list[] = {{"group", SHAPE_STRING, false}, {NULL, 0, false}};
static const arg_spec args_node[] = {{"name", SHAPE_STRING, true},
                                     {"address", SHAPE_STRING, true},
                                     {"id", SHAPE_INTEGER, true},
                                     {NULL, 0, false}};
/* node.add: without an id, wolfpackd picks the next free one (handlers.c). */
static const arg_spec args_node_add[] = {{"name", SHAPE_STRING, true},
                                         {"address", SHAPE_STRING, true},
                                         {"id", SHAPE_INTEGER, false},
                                         {NULL, 0, false}};
static const arg_spec args_node_remove[] = {
    {"name", SHAPE_STRING, true}, {"force", SHAPE_BOOL, false}, {NULL, 0, false}};
static const arg_spec args_cluster_create[] = {{"name", SHAPE_STRING, true},
                                               {"nodes", SHAPE_ARR_NODES, false},
                                               {"ip", SHAPE_STRING, false},
                                               {NULL, 0, false}};
static const arg_spec args_group_create[] = {
    {"name", SHAPE_STRING, true}, {"policy", SHAPE_OBJ_STR_NUL, false}, {NULL, 0, false}};
static const arg_spec args_group_set[] = {
    {"name", SHAPE_STRING, true}, {"policy", SHAPE_OBJ_STR_NUL, true}, {NULL, 0, false}};
static const arg_spec args_resource_create[] = {{"name", SHAPE_STRING, true},
                                                {"group", SHAPE_STRING, true},
                                                {"type", SHAPE_STRING, true},
                                                {"props", SHAPE_OBJ_STR, false},
                                                {"policy", SHAPE_OBJ_STR, false},
                                                {"depends_on", SHAPE_ARR_STR, false},
                                                {NULL, 0, false}};
static const arg_spec args_resource_set[] = {{"name", SHAPE_STRING, true},
                                             {"props", SHAPE_OBJ_STR_NUL, false},
                                             {"policy", SHAPE_OBJ_STR_NUL, false},
                                             {NULL, 0, false}};
static const arg_spec args_depend[] = {
    {"name", SHAPE_STRING, true}, {"on", SHAPE_STRING, true}, {NULL, 0, false}};

static const arg_spec args_move[] = {
    {"name", SHAPE_STRING, true}, {"to", SHAPE_STRING, false}, {NULL, 0, false}};

/* Clustered applications (src/db/db.h, docs/APP.md). */
static const arg_spec args_app_register[] = {
    {"name", SHAPE_STRING, true}, {"record", SHAPE_OBJECT, true}, {NULL, 0, false}};
static const arg_spec args_app_node[] = {{"name", SHAPE_STRING, true},
                                         {"node", SHAPE_STRING, true},
                                         {"version", SHAPE_STRING, false},
                                         {NULL, 0, false}};
static const arg_spec args_app_task[] = {{"id", SHAPE_STRING, true},
                                         {"node", SHAPE_STRING, true},
                                         {"kind", SHAPE_STRING, true},
                                         {"args", SHAPE_OBJ_STR, false},
                                         {NULL, 0, false}};
static const arg_spec args_app_task_done[] = {{"id", SHAPE_STRING, true},
                                              {"node", SHAPE_STRING, true},
                                              {"result", SHAPE_STRING, true},
                                              {"error", SHAPE_STRING, false},
                                              {NULL, 0, false}};
static const arg_spec args_app_op[] = {
    {"name", SHAPE_STRING, true}, {"state", SHAPE_OBJECT, false}, {NULL, 0, false}};
static const arg_spec args_app_lock[] = {{"holder", SHAPE_STRING, true},
                                         {"op", SHAPE_STRING, true},
                                         {"at", SHAPE_INTEGER, true},
                                         {"force", SHAPE_STRING, false},
                                         {NULL, 0, false}};
static const arg_spec args_app_unlock[] = {{"holder", SHAPE_STRING, true}, {NULL, 0, false}};
static const arg_spec args_id[] = {{"id", SHAPE_STRING, true}, {NULL, 0, false}};

/* resource.report and sched.commit are wolfpackd's own commands (src/db/db.h):
 * they are deliberately absent, so no client can forge a resource state or a
 * scheduler decision. */
static const op_spec op_table[] = {
    {"status", false, args_none},
    {"cluster.show", false, args_none},
    {"node.list", false, args_none},
    {"node.show", false, args_name},
    {"group.list", false, args_none},
    {"group.show", false, args_name},
    {"resource.list", false, args_resource_list},
    {"resource.show", false, args_name},
    {"watch", false, args_none},
    {"cluster.create", true, args_cluster_create},
    {"node.add", true, args_node_add},
    {"node.remove", true, args_node_remove},
    {"group.create", true, args_group_create},
    {"group.delete", true, args_name},
    {"group.set", true, args_group_set},
    {"resource.create", true, args_resource_create},
    {"resource.delete", true, args_name},
    {"resource.set", true, args_resource_set},
    {"resource.depend", true, args_depend},
    {"resource.undepend", true, args_depend},
    {"node.pause", true, args_name},
    {"node.resume", true, args_name},
    {"node.drain", true, args_name},
    {"group.online", true, args_name},
    {"group.offline", true, args_name},
    {"group.move", true, args_move},
    {"resource.online", true, args_name},
    {"resource.offline", true, args_name},
    {"resource.fail", true, args_name},
    {"app.list", false, args_none},
    {"app.show", false, args_name},
    {"app.task.show", false, args_id},
    {"app.op.show", false, args_name},
    {"app.lock.show", false, args_none},
    {"app.register", true, args_app_register},
    {"app.unregister", true, args_name},
    {"app.node", true, args_app_node},
    {"app.task", true, args_app_task},
    {"app.task.done", true, args_app_task_done},
    {"app.op", true, args_app_op},
    {"app.lock", true, args_app_lock},
    {"app.unlock", true, args_app_unlock},
};

static const op_spec *op_find(const char *op)
{
    for (size_t i = 0; i < sizeof op_table / sizeof op_table[0]; i++)
        if (strcmp(op_table[i].op, op) == 0)
            return &op_table[i];
    return NULL;
}

bool wp_proto_op_known(const char *op, bool *mutates)
{
    const op_spec *spec = op ? op_find(op) : NULL;
    if (spec && mutates)
        *mutates = spec->mutates;
    return spec != NULL;
}

/* ---- shape checks ----------------------------------------------------- */

static const char *shape_text(arg_shape shape)
{
    switch (shape) {
    case SHAPE_STRING:
        return "a string";
    case SHAPE_INTEGER:
        return "an integer";
    case SHAPE_BOOL:
        return "true or false";
    case SHAPE_OBJ_STR:
        return "an object of string values";
    case SHAPE_OBJ_STR_NUL:
        return "an object of string (or null) values";
    case SHAPE_ARR_STR:
        return "an array of strings";
    case SHAPE_ARR_NODES:
        return "an array of node objects {name, address, id}";
    case SHAPE_OBJECT:
        return "an object";
    }
    return "?";
}

static bool check_args(const char *where, const json_t *args, const arg_spec *specs, wp_err *err);

static bool shape_ok(const char *where, const json_t *v, arg_shape shape, wp_err *err)
{
    const char *k;
    json_t *item;
    size_t i;

    switch (shape) {
    case SHAPE_OBJECT:
        return json_is_object(v);
    case SHAPE_STRING:
        return json_is_string(v);
    case SHAPE_INTEGER:
        return json_is_integer(v);
    case SHAPE_BOOL:
        return json_is_boolean(v);
    case SHAPE_OBJ_STR:
    case SHAPE_OBJ_STR_NUL:
        if (!json_is_object(v))
            return false;
        json_object_foreach((json_t *)v, k, item)
        {
            if (!json_is_string(item) && !(shape == SHAPE_OBJ_STR_NUL && json_is_null(item)))
                return false;
        }
        return true;
    case SHAPE_ARR_STR:
        if (!json_is_array(v))
            return false;
        json_array_foreach(v, i, item)
        {
            if (!json_is_string(item))
                return false;
        }
        return true;
    case SHAPE_ARR_NODES:
        if (!json_is_array(v))
            return false;
        json_array_foreach(v, i, item)
        {
            char sub[128];
            snprintf(sub, sizeof sub, "%.100s[%zu]", where, i);
            if (!json_is_object(item))
                return false;
            if (!check_args(sub, item, args_node, err))
                return false;
        }
        return true;
    }
    return false;
}

static const arg_spec *spec_find(const arg_spec *specs, const char *key)
{
    for (; specs->key; specs++)
        if (strcmp(specs->key, key) == 0)
            return specs;
    return NULL;
}

static void list_keys(const arg_spec *specs, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (; specs->key && used < size; specs++) {
        int n = snprintf(buf + used, size - used, "%s%s%s", used ? ", " : "", specs->key,
                         specs->required ? "" : "?");
        if (n < 0)
            break;
        used += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, size, "none");
}

/* Check an args object against a table; `where` names it in messages. */
static bool check_args(const char *where, const json_t *args, const arg_spec *specs, wp_err *err)
{
    const char *key;
    json_t *v;
    char keys[256];

    list_keys(specs, keys, sizeof keys);
    json_object_foreach((json_t *)args, key, v)
    {
        const arg_spec *spec = spec_find(specs, key);
        if (!spec) {
            wp_errf(err, WP_E_INVALID, "%s: unknown argument \"%.64s\"", where, key);
            wp_err_why(err, "the arguments it takes are: %s (? = optional)", keys);
            wp_err_todo(err, "remove \"%.64s\" from the request", key);
            return false;
        }
        wp_err shape_err = {0};
        char path[160];
        snprintf(path, sizeof path, "%.60s %.64s", where, key);
        if (!shape_ok(path, v, spec->shape, &shape_err)) {
            if (shape_err.code != WP_OK) {
                *err = shape_err;
                return false;
            }
            wp_errf(err, WP_E_INVALID, "%s: argument \"%s\" has the wrong type", where, key);
            wp_err_why(err, "\"%s\" must be %s", key, shape_text(spec->shape));
            wp_err_todo(err, "send \"%s\" as %s", key, shape_text(spec->shape));
            return false;
        }
    }
    for (; specs->key; specs++) {
        if (specs->required && !json_object_get(args, specs->key)) {
            wp_errf(err, WP_E_INVALID, "%s: missing argument \"%s\"", where, specs->key);
            wp_err_why(err, "\"%s\" is required (%s); the arguments are: %s", specs->key,
                       shape_text(specs->shape), keys);
            wp_err_todo(err, "add \"%s\" to the request", specs->key);
            return false;
        }
    }
    return true;
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

static json_t *parse_strict(const unsigned char *body, size_t len, const char *kind, wp_err *err)
{
    json_error_t jerr;
    json_t *root;

    if (len == 0 || len > WP_PROTO_MAX_FRAME) {
        wp_errf(err, WP_E_PROTO, "%s has a bad length (%zu bytes)", kind, len);
        wp_err_why(err, "a frame holds 1 to %u bytes of JSON", WP_PROTO_MAX_FRAME);
        wp_err_todo(err, "send a smaller request (see src/lib/proto.h)");
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
        if (strcmp(key, "op") != 0 && strcmp(key, "args") != 0) {
            wp_errf(err, WP_E_PROTO, "the request has an unknown key \"%.64s\"", key);
            wp_err_why(err, "a request holds only \"op\" and \"args\"");
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
    return true;
}

static void unknown_op(const char *op, wp_err *err)
{
    char known[1024];
    size_t used = 0;
    for (size_t i = 0; i < sizeof op_table / sizeof op_table[0] && used < sizeof known; i++) {
        int n = snprintf(known + used, sizeof known - used, "%s%s", i ? " " : "", op_table[i].op);
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
    const op_spec *spec;
    json_t *args;

    memset(req, 0, sizeof *req);
    root = parse_strict(body, len, "the request", err);
    if (!root)
        return false;
    if (!check_envelope(root, err))
        goto fail;
    spec = op_find(json_string_value(json_object_get(root, "op")));
    if (!spec) {
        unknown_op(json_string_value(json_object_get(root, "op")), err);
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
    if (!check_args(spec->op, args, spec->args, err))
        goto fail;
    req->op = spec->op;
    req->mutates = spec->mutates;
    req->json = root;
    req->args = args;
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
    const char *s = json_string_value(json_object_get(obj, key));
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
        err->code = wp_code_parse(json_string_value(json_object_get(e, "code")));
        if (err->code == WP_OK)
            err->code = WP_E_INTERNAL;
        copy_field(err->what, sizeof err->what, e, "what");
        copy_field(err->why, sizeof err->why, e, "why");
        copy_field(err->todo, sizeof err->todo, e, "todo");
    }
    return false;
}

/* ---- frames ------------------------------------------------------------ */

bool wp_proto_encode_frame(const json_t *value, unsigned char **out, size_t *out_len, wp_err *err)
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
    if (len == 0 || len > WP_PROTO_MAX_FRAME) {
        free(text);
        wp_errf(err, WP_E_PROTO, "a message is too large to send (%zu bytes)", len);
        wp_err_why(err, "a frame holds at most %u bytes", WP_PROTO_MAX_FRAME);
        wp_err_todo(err, "send less data in one request");
        return false;
    }
    *out = malloc(len + 4);
    if (!*out) {
        free(text);
        wp_errf(err, WP_E_INTERNAL, "out of memory encoding a message");
        return false;
    }
    uint32_t be = htonl((uint32_t)len);
    memcpy(*out, &be, 4);
    memcpy(*out + 4, text, len);
    *out_len = len + 4;
    free(text);
    return true;
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

/* Read exactly len bytes. *got tells how many arrived before EOF. */
static bool read_all(int fd, unsigned char *buf, size_t len, size_t *got, wp_err *err)
{
    *got = 0;
    while (*got < len) {
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

json_t *wp_proto_recv(int fd, wp_err *err)
{
    unsigned char hdr[4];
    uint32_t be;
    size_t len, got;
    unsigned char *body;
    json_t *value;
    wp_err io = {0};

    if (!read_all(fd, hdr, 4, &got, &io)) {
        if (io.code != WP_OK) {
            if (err)
                *err = io;
        } else if (got == 0) {
            wp_errf(err, WP_E_UNAVAILABLE, "the connection closed without a reply");
            wp_err_why(err, "the other side ended the connection before answering");
            wp_err_todo(err, "check wolfpackd's log; retry the command");
        } else {
            truncated(err, got, 4);
        }
        return NULL;
    }
    memcpy(&be, hdr, 4);
    len = ntohl(be);
    if (len == 0 || len > WP_PROTO_MAX_FRAME) {
        wp_errf(err, WP_E_PROTO, "a message has a bad length (%zu bytes)", len);
        wp_err_why(err, "a frame holds 1 to %u bytes", WP_PROTO_MAX_FRAME);
        wp_err_todo(err, "check that both sides speak the wolfpack protocol");
        return NULL;
    }
    body = malloc(len);
    if (!body) {
        wp_errf(err, WP_E_INTERNAL, "out of memory reading a message");
        return NULL;
    }
    if (!read_all(fd, body, len, &got, &io)) {
        if (io.code != WP_OK) {
            if (err)
                *err = io;
        } else {
            truncated(err, got + 4, len + 4);
        }
        free(body);
        return NULL;
    }
    value = parse_strict(body, len, "the message", err);
    free(body);
    return value;
}
