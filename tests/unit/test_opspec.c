/*
 * test_opspec.c -- the one op table (src/lib/opspec.c) and its two users,
 * the client gate (wp_proto_decode_request) and the database
 * (wp_db_check / wp_db_apply), must agree:
 *
 *   - every QUERY and COMMAND op is an IPC op, every INTERNAL op is not;
 *   - every COMMAND and INTERNAL op has a database handler and every
 *     handler has an entry in the table (and no QUERY has one);
 *   - for every argument of every op, both refuse the same faults with the
 *     same message: a missing required key, an unknown key, a value of the
 *     wrong JSON shape (also one wrong member inside an object or array);
 *     and neither calls a value of the right shape a shape fault;
 *   - a WP_ARG_FILLED key (node.add's id) may be missing from a request but
 *     not from a command.
 *
 * The requests are built from the table itself, so an op added to it is
 * covered without a change here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/db/db.h"
#include "../../src/lib/model.h"
#include "../../src/lib/opspec.h"
#include "../../src/lib/proto.h"

typedef struct fx {
    char dir[64];
    char path[128];
    wp_db *db;
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wp-test-opspec-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/cluster.db", f->dir);
    wp_err err = {0};
    f->db = wp_db_open(f->path, &err);
    if (!f->db)
        fail_msg("open: %s", err.what);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    char p[192];
    wp_db_close(f->db);
    const char *suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s%s", f->path, suffix[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* ---- values of each shape ---------------------------------------------- */

static json_t *good_value(wp_arg_shape shape)
{
    switch (shape) {
    case WP_ARG_STRING:
        return json_string("x");
    case WP_ARG_INTEGER:
        return json_integer(1);
    case WP_ARG_BOOL:
        return json_true();
    case WP_ARG_OBJ_STR:
        return json_pack("{s:s}", "k", "v");
    case WP_ARG_OBJ_STR_NUL:
        return json_pack("{s:s, s:n}", "k", "v", "j");
    case WP_ARG_ARR_STR:
        return json_pack("[s]", "a");
    case WP_ARG_ARR_NODES:
        return json_pack("[{s:s, s:s, s:i}]", "name", "n1", "address", "198.51.100.1", "id", 1);
    case WP_ARG_ARR_OBJ:
        return json_pack("[{}]");
    case WP_ARG_OBJECT:
        return json_pack("{s:i}", "any", 1);
    }
    return NULL;
}

/* A value of the wrong shape: the wrong kind of JSON (which == 0) or the
 * right container with one wrong member (which == 1). */
static json_t *bad_value(wp_arg_shape shape, int which)
{
    if (which == 0)
        return shape == WP_ARG_STRING ? json_integer(5) : json_string("x");
    switch (shape) {
    case WP_ARG_STRING:
        return json_null();
    case WP_ARG_INTEGER:
        return json_real(1.5);
    case WP_ARG_BOOL:
        return json_integer(1);
    case WP_ARG_OBJ_STR:
        return json_pack("{s:s, s:n}", "k", "v", "j");
    case WP_ARG_OBJ_STR_NUL:
        return json_pack("{s:i}", "k", 1);
    case WP_ARG_ARR_STR:
        return json_pack("[s, i]", "a", 1);
    case WP_ARG_ARR_NODES:
    case WP_ARG_ARR_OBJ:
        return json_pack("[i]", 1);
    case WP_ARG_OBJECT:
        return json_pack("[]");
    }
    return NULL;
}

/* args with every key of the op that a command requires, each of a good
 * value (what a request requires is a subset). */
static json_t *required_args(const wp_op_spec *spec)
{
    json_t *args = json_object();
    for (const wp_arg_spec *a = spec->args; a->key; a++)
        if (wp_opspec_required(a, WP_SIDE_COMMAND))
            json_object_set_new(args, a->key, good_value(a->shape));
    return args;
}

/* ---- the two deciders -------------------------------------------------- */

typedef struct verdict {
    bool ok;
    wp_err err;
} verdict;

static verdict via_proto(const char *op, const json_t *args)
{
    verdict v = {0};
    json_t *req = json_pack("{s:s, s:O}", "op", op, "args", args);
    char *text = json_dumps(req, JSON_COMPACT);
    wp_request r;
    v.ok = wp_proto_decode_request((const unsigned char *)text, strlen(text), &r, &v.err);
    if (v.ok)
        wp_request_free(&r);
    free(text);
    json_decref(req);
    return v;
}

static verdict via_db(wp_db *db, const char *op, const json_t *args)
{
    verdict v = {0};
    json_t *cmd = json_pack("{s:s, s:O}", "op", op, "args", args);
    v.ok = wp_db_check(db, cmd, &v.err);
    json_decref(cmd);
    return v;
}

static bool is_shape_fault(const wp_err *err)
{
    return strstr(err->what, "unknown argument") || strstr(err->what, "missing argument") ||
           strstr(err->what, "has the wrong type");
}

/* Both refuse, as WP_E_INVALID, with a message holding `what_has`. */
static void both_refuse(fx *f, const wp_op_spec *spec, const json_t *args, const char *what_has)
{
    char *text = json_dumps(args, JSON_COMPACT);
    if (spec->kind != WP_OP_INTERNAL) {
        verdict p = via_proto(spec->op, args);
        if (p.ok || p.err.code != WP_E_INVALID || !strstr(p.err.what, what_has))
            fail_msg("proto %s %s: expected a refusal with \"%s\", got %s \"%s\"", spec->op, text,
                     what_has, p.ok ? "ok" : wp_code_name(p.err.code), p.err.what);
    }
    if (spec->kind != WP_OP_QUERY) {
        verdict d = via_db(f->db, spec->op, args);
        if (d.ok || d.err.code != WP_E_INVALID || !strstr(d.err.what, what_has))
            fail_msg("db %s %s: expected a refusal with \"%s\", got %s \"%s\"", spec->op, text,
                     what_has, d.ok ? "ok" : wp_code_name(d.err.code), d.err.what);
    }
    free(text);
}

/* A WP_ARG_FILLED key left out: the gate takes the request (wolfpackd fills
 * the key in), the database refuses the command without it. */
static void filled_by_daemon(fx *f, const wp_op_spec *spec, const json_t *args,
                             const char *what_has)
{
    assert_int_equal(spec->kind, WP_OP_COMMAND);
    verdict p = via_proto(spec->op, args);
    if (!p.ok)
        fail_msg("proto %s refused a request without a filled key: %s", spec->op, p.err.what);
    verdict d = via_db(f->db, spec->op, args);
    if (d.ok || !strstr(d.err.what, what_has))
        fail_msg("db %s: expected a refusal with \"%s\", got \"%s\"", spec->op, what_has,
                 d.err.what);
}

/* Neither calls these args a shape fault (the db's handler may still
 * refuse the values: no such group, and so on). */
static void both_take_shape(fx *f, const wp_op_spec *spec, const json_t *args)
{
    char *text = json_dumps(args, JSON_COMPACT);
    if (spec->kind != WP_OP_INTERNAL) {
        verdict p = via_proto(spec->op, args);
        if (!p.ok)
            fail_msg("proto %s %s refused: %s", spec->op, text, p.err.what);
    }
    if (spec->kind != WP_OP_QUERY) {
        verdict d = via_db(f->db, spec->op, args);
        if (!d.ok && is_shape_fault(&d.err))
            fail_msg("db %s %s: shape refused: %s", spec->op, text, d.err.what);
    }
    free(text);
}

/* ---- tests ------------------------------------------------------------- */

static void test_ops_agree(void **state)
{
    (void)state;
    size_t count;
    const wp_op_spec *table = wp_opspec_table(&count);
    size_t commands = 0;
    assert_true(count > 30);
    for (size_t i = 0; i < count; i++) {
        const wp_op_spec *spec = &table[i];
        bool mutates = false;
        bool ipc = wp_proto_op_known(spec->op, &mutates);
        assert_ptr_equal(wp_opspec_find(spec->op), spec); /* names are unique */
        if (ipc != (spec->kind != WP_OP_INTERNAL))
            fail_msg("%s: the client gate %s it", spec->op, ipc ? "knows" : "does not know");
        if (ipc && mutates != (spec->kind == WP_OP_COMMAND))
            fail_msg("%s: the client gate says mutates=%d", spec->op, mutates);
        bool handled = false;
        for (size_t h = 0; wp_db_command_at(h); h++)
            handled = handled || strcmp(wp_db_command_at(h), spec->op) == 0;
        if (handled != (spec->kind != WP_OP_QUERY))
            fail_msg("%s: the database %s a handler", spec->op, handled ? "has" : "lacks");
        commands += spec->kind != WP_OP_QUERY;
    }
    /* and every handler has an entry that is not a query */
    size_t h = 0;
    for (; wp_db_command_at(h); h++) {
        const wp_op_spec *spec = wp_opspec_find(wp_db_command_at(h));
        if (!spec || spec->kind == WP_OP_QUERY)
            fail_msg("handler %s has no command entry in the op table", wp_db_command_at(h));
    }
    assert_int_equal(h, commands);
    const wp_op_spec *add = wp_opspec_find("node.add");
    assert_non_null(add);
    bool filled = false;
    for (const wp_arg_spec *a = add->args; a->key; a++)
        filled = filled || (strcmp(a->key, "id") == 0 && a->need == WP_ARG_FILLED);
    assert_true(filled); /* src/daemon/nodeconf.c picks the id */
    assert_null(wp_opspec_find("no.such.op"));
    assert_null(wp_opspec_find(NULL));
}

static void test_missing_and_unknown(void **state)
{
    fx *f = *state;
    size_t count;
    const wp_op_spec *table = wp_opspec_table(&count);
    for (size_t i = 0; i < count; i++) {
        const wp_op_spec *spec = &table[i];
        json_t *args = required_args(spec);
        for (const wp_arg_spec *a = spec->args; a->key; a++) {
            if (a->need == WP_ARG_OPTIONAL)
                continue;
            char what[96];
            json_t *less = json_deep_copy(args);
            json_object_del(less, a->key);
            snprintf(what, sizeof what, "missing argument \"%s\"", a->key);
            if (a->need == WP_ARG_REQUIRED)
                both_refuse(f, spec, less, what);
            else
                filled_by_daemon(f, spec, less, what);
            json_decref(less);
        }
        json_t *more = json_deep_copy(args);
        json_object_set_new(more, "zz_unknown", json_string("x"));
        both_refuse(f, spec, more, "unknown argument \"zz_unknown\"");
        json_decref(more);
        json_decref(args);
    }
}

static void test_shapes(void **state)
{
    fx *f = *state;
    size_t count;
    const wp_op_spec *table = wp_opspec_table(&count);
    for (size_t i = 0; i < count; i++) {
        const wp_op_spec *spec = &table[i];
        json_t *base = required_args(spec);
        both_take_shape(f, spec, base);
        for (const wp_arg_spec *a = spec->args; a->key; a++) {
            json_t *good = json_deep_copy(base);
            json_object_set_new(good, a->key, good_value(a->shape));
            both_take_shape(f, spec, good);
            json_decref(good);
            for (int which = 0; which < 2; which++) {
                char what[96];
                json_t *bad = json_deep_copy(base);
                json_object_set_new(bad, a->key, bad_value(a->shape, which));
                snprintf(what, sizeof what, "argument \"%s\" has the wrong type", a->key);
                both_refuse(f, spec, bad, what);
                json_decref(bad);
            }
        }
        json_decref(base);
    }
}

/* The fault inside one node of cluster.create names the node, in both. */
static void test_node_fault_named(void **state)
{
    fx *f = *state;
    const wp_op_spec *spec = wp_opspec_find("cluster.create");
    assert_non_null(spec);
    json_t *args = json_pack("{s:s, s:[{s:s, s:s}]}", "name", "c", "nodes", "name", "n1", "address",
                             "198.51.100.1");
    both_refuse(f, spec, args, "nodes[0]: missing argument \"id\"");
    json_decref(args);
    args = json_pack("{s:s, s:[{s:s, s:s, s:i, s:i}]}", "name", "c", "nodes", "name", "n1",
                     "address", "198.51.100.1", "id", 1, "ring", 0);
    both_refuse(f, spec, args, "nodes[0]: unknown argument \"ring\"");
    json_decref(args);
}

/* resource.create's policy may reset a key to its default with null, as
 * group.create's may; the stored policy then holds the default. */
static void test_resource_create_policy_null(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    const char *cmds[] = {
        "{\"op\":\"group.create\",\"args\":{\"name\":\"g\"}}",
        "{\"op\":\"resource.create\",\"args\":{\"name\":\"r\",\"group\":\"g\",\"type\":"
        "\"Generic Service\",\"props\":{\"command\":\"/bin/true\"},"
        "\"policy\":{\"pending_timeout\":null}}}",
    };
    for (size_t i = 0; i < 2; i++) {
        wp_request req;
        if (!wp_proto_decode_request((const unsigned char *)cmds[i], strlen(cmds[i]), &req, &err))
            fail_msg("proto refused %s: %s", cmds[i], err.what);
        if (!wp_db_apply(f->db, req.json, &err))
            fail_msg("db refused %s: %s (%s)", cmds[i], err.what, err.why);
        wp_request_free(&req);
    }
    json_t *r = wp_db_resource_show(f->db, "r", &err);
    assert_non_null(r);
    json_t *defaults = wp_resource_policy_defaults();
    const char *stored =
        json_string_value(json_object_get(json_object_get(r, "policy"), "pending_timeout"));
    const char *def = json_string_value(json_object_get(defaults, "pending_timeout"));
    assert_non_null(stored);
    assert_non_null(def);
    assert_string_equal(stored, def);
    json_decref(defaults);
    json_decref(r);
    /* an unknown policy key reset to null is still refused, by the handler */
    const char *bad = "{\"op\":\"resource.create\",\"args\":{\"name\":\"r2\",\"group\":\"g\","
                      "\"type\":\"Generic Service\",\"props\":{\"command\":\"/bin/true\"},"
                      "\"policy\":{\"no_such_key\":null}}}";
    json_t *cmd = json_loads(bad, 0, NULL);
    assert_false(wp_db_apply(f->db, cmd, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_non_null(strstr(err.what, "no_such_key"));
    json_decref(cmd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ops_agree),
        cmocka_unit_test_setup_teardown(test_missing_and_unknown, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_shapes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_node_fault_named, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_resource_create_policy_null, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
