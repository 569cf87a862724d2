/*
 * test_db_runtime.c -- the runtime-state commands of the cluster database
 * (src/db/ops_runtime.c) and its scheduler input export
 * (src/db/sched_export.c), and the meta-row helper the failure records and
 * placement constraints are kept with (src/db/meta.c).
 *
 * The export is fed to the real scheduler (wp_sched_input_parse +
 * wp_sched_run) so the database and the scheduler can never drift apart,
 * and the scheduler's output goes back as a sched.commit, as the
 * coordinator in wolfpackd does.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/db/db.h"
#include "../../src/db/db_internal.h" /* meta.c, below */
#include "../../src/sched/sched.h"

typedef struct fx {
    char dir[64];
    char path[128];
    wp_db *db;
} fx;

/* --- helpers ------------------------------------------------------------ */

static void rm_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (!v)
        fail_msg("bad test JSON: %s: %s", je.text, text);
    return v;
}

static void apply_json(wp_db *db, const json_t *cmd)
{
    wp_err err = {0};
    int64_t before = wp_db_version(db);
    if (!wp_db_apply(db, cmd, &err)) {
        wp_err_print(&err, stderr);
        char *t = json_dumps(cmd, JSON_COMPACT);
        fail_msg("refused: %s", t);
    }
    assert_int_equal(wp_db_version(db), before + 1);
}

static void apply_ok(wp_db *db, const char *text)
{
    json_t *cmd = parse(text);
    apply_json(db, cmd);
    json_decref(cmd);
}

static void checksum(wp_db *db, char out[65])
{
    wp_err err = {0};
    assert_true(wp_db_checksum(db, out, &err));
}

/* Refused with `code`, `needle` in what or why, a full error, and neither
 * the version nor the checksum moved. */
static void refused(wp_db *db, const char *text, wp_code code, const char *needle)
{
    json_t *cmd = parse(text);
    char before_sum[65], after_sum[65];
    checksum(db, before_sum);
    int64_t before = wp_db_version(db);
    wp_err err = {0};
    if (wp_db_apply(db, cmd, &err))
        fail_msg("accepted but should be refused: %s", text);
    if (err.code != code || (!strstr(err.what, needle) && !strstr(err.why, needle))) {
        wp_err_print(&err, stderr);
        fail_msg("wrong refusal (want %s, '%s') for %s", wp_code_name(code), needle, text);
    }
    assert_true(err.what[0] && err.why[0] && err.todo[0]);
    assert_int_equal(wp_db_version(db), before);
    checksum(db, after_sum);
    assert_string_equal(before_sum, after_sum);
    json_decref(cmd);
}

static const char *const base_cmds[] = {
    "{\"op\":\"cluster.create\",\"args\":{\"name\":\"prod\",\"nodes\":["
    "{\"name\":\"n1\",\"address\":\"198.51.100.11\",\"id\":1},"
    "{\"name\":\"n2\",\"address\":\"198.51.100.12\",\"id\":2},"
    "{\"name\":\"n3\",\"address\":\"198.51.100.13\",\"id\":3}]}}",
    "{\"op\":\"group.create\",\"args\":{\"name\":\"web\",\"policy\":{"
    "\"preferred_owners\":\"n1,n2\",\"possible_owners\":\"n1,n2\"}}}",
    "{\"op\":\"resource.create\",\"args\":{\"name\":\"web-ip\",\"group\":\"web\","
    "\"type\":\"IP Address\",\"props\":{\"address\":\"198.51.100.40/24\"}}}",
    "{\"op\":\"resource.create\",\"args\":{\"name\":\"web-svc\",\"group\":\"web\","
    "\"type\":\"Generic Service\",\"props\":{\"command\":\"/bin/sleep 1000\"},"
    "\"depends_on\":[\"web-ip\"]}}",
};

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wp-test-dbrt-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/cluster.db", f->dir);
    wp_err err = {0};
    f->db = wp_db_open(f->path, &err);
    if (!f->db)
        wp_err_print(&err, stderr);
    assert_non_null(f->db);
    for (size_t i = 0; i < sizeof base_cmds / sizeof base_cmds[0]; i++)
        apply_ok(f->db, base_cmds[i]);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    wp_db_close(f->db);
    rm_dir(f->dir);
    free(f);
    return 0;
}

static json_t *group(wp_db *db, const char *name)
{
    wp_err err = {0};
    json_t *g = wp_db_group_show(db, name, &err);
    assert_non_null(g);
    return g;
}

static json_t *resource(wp_db *db, const char *name)
{
    wp_err err = {0};
    json_t *r = wp_db_resource_show(db, name, &err);
    assert_non_null(r);
    return r;
}

/* The string value of key in a query result (the JSON kept alive). */
static void assert_field(json_t *obj, const char *key, const char *want)
{
    json_t *v = json_object_get(obj, key);
    if (!want) {
        if (!json_is_null(v))
            fail_msg("%s: want null", key);
        return;
    }
    if (!json_is_string(v) || strcmp(json_string_value(v), want) != 0)
        fail_msg("%s is '%s', want '%s'", key, json_is_string(v) ? json_string_value(v) : "?",
                 want);
}

static void group_is(wp_db *db, const char *name, const char *key, const char *want)
{
    json_t *g = group(db, name);
    assert_field(g, key, want);
    json_decref(g);
}

static void resource_is(wp_db *db, const char *name, const char *key, const char *want)
{
    json_t *r = resource(db, name);
    assert_field(r, key, want);
    json_decref(r);
}

static char *dump(const json_t *v)
{
    char *t = json_dumps(v, JSON_COMPACT);
    assert_non_null(t);
    return t;
}

static void report(wp_db *db, const char *res, const char *node, const char *state, int at)
{
    json_t *cmd = json_pack("{s:s, s:{s:s, s:s, s:s, s:i}}", "op", "resource.report", "args",
                            "name", res, "node", node, "state", state, "at", at);
    apply_json(db, cmd);
    json_decref(cmd);
}

/* --- operator verbs ------------------------------------------------------ */

static void test_node_flags(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    apply_ok(f->db, "{\"op\":\"node.pause\",\"args\":{\"name\":\"N2\"}}");
    json_t *n = wp_db_node_show(f->db, "n2", &err);
    assert_true(json_is_true(json_object_get(n, "paused")));
    assert_true(json_is_false(json_object_get(n, "drained")));
    json_decref(n);
    apply_ok(f->db, "{\"op\":\"node.drain\",\"args\":{\"name\":\"n2\"}}");
    n = wp_db_node_show(f->db, "n2", &err);
    assert_true(json_is_true(json_object_get(n, "paused")));
    assert_true(json_is_true(json_object_get(n, "drained")));
    json_decref(n);
    apply_ok(f->db, "{\"op\":\"node.resume\",\"args\":{\"name\":\"n2\"}}");
    n = wp_db_node_show(f->db, "n2", &err);
    assert_true(json_is_false(json_object_get(n, "paused")));
    assert_true(json_is_false(json_object_get(n, "drained")));
    json_decref(n);
    refused(f->db, "{\"op\":\"node.pause\",\"args\":{\"name\":\"n9\"}}", WP_E_NOTFOUND, "n9");
    refused(f->db, "{\"op\":\"node.drain\",\"args\":{}}", WP_E_INVALID, "name");
}

static void test_group_verbs(void **state)
{
    fx *f = *state;
    group_is(f->db, "web", "target", "offline");
    group_is(f->db, "web", "move_to", NULL);
    apply_ok(f->db, "{\"op\":\"group.online\",\"args\":{\"name\":\"WEB\"}}");
    group_is(f->db, "web", "target", "online");
    apply_ok(f->db, "{\"op\":\"group.offline\",\"args\":{\"name\":\"web\"}}");
    group_is(f->db, "web", "target", "offline");
    apply_ok(f->db, "{\"op\":\"group.move\",\"args\":{\"name\":\"web\",\"to\":\"N2\"}}");
    group_is(f->db, "web", "move_to", "n2");
    apply_ok(f->db, "{\"op\":\"group.move\",\"args\":{\"name\":\"web\"}}");
    group_is(f->db, "web", "move_to", "@best");
    refused(f->db, "{\"op\":\"group.move\",\"args\":{\"name\":\"web\",\"to\":\"n3\"}}",
            WP_E_CONFLICT, "possible_owners");
    refused(f->db, "{\"op\":\"group.move\",\"args\":{\"name\":\"web\",\"to\":\"n9\"}}",
            WP_E_NOTFOUND, "n9");
    refused(f->db, "{\"op\":\"group.move\",\"args\":{\"name\":\"nope\",\"to\":\"n1\"}}",
            WP_E_NOTFOUND, "nope");
    refused(f->db, "{\"op\":\"group.online\",\"args\":{\"name\":\"nope\"}}", WP_E_NOTFOUND, "nope");
    refused(f->db, "{\"op\":\"group.move\",\"args\":{\"name\":\"web\",\"to\":1}}", WP_E_INVALID,
            "to");
    apply_ok(f->db, "{\"op\":\"node.pause\",\"args\":{\"name\":\"n2\"}}");
    refused(f->db, "{\"op\":\"group.move\",\"args\":{\"name\":\"web\",\"to\":\"n2\"}}",
            WP_E_CONFLICT, "paused");
    /* Cluster Group has no owner lists: any node is a possible owner. */
    apply_ok(f->db, "{\"op\":\"group.move\",\"args\":{\"name\":\"Cluster Group\",\"to\":\"n3\"}}");
    group_is(f->db, "Cluster Group", "move_to", "n3");
    /* Removing the node cancels the move. */
    apply_ok(f->db, "{\"op\":\"node.remove\",\"args\":{\"name\":\"n3\"}}");
    group_is(f->db, "Cluster Group", "move_to", NULL);
}

static void test_resource_verbs(void **state)
{
    fx *f = *state;
    resource_is(f->db, "web-svc", "target", "online");
    apply_ok(f->db, "{\"op\":\"resource.offline\",\"args\":{\"name\":\"WEB-SVC\"}}");
    resource_is(f->db, "web-svc", "target", "offline");
    group_is(f->db, "web", "target", "offline");
    apply_ok(f->db, "{\"op\":\"resource.online\",\"args\":{\"name\":\"web-svc\"}}");
    resource_is(f->db, "web-svc", "target", "online");
    group_is(f->db, "web", "target", "online");
    refused(f->db, "{\"op\":\"resource.online\",\"args\":{\"name\":\"nope\"}}", WP_E_NOTFOUND,
            "nope");
    refused(f->db, "{\"op\":\"resource.fail\",\"args\":{\"name\":\"web-svc\"}}", WP_E_CONFLICT,
            "Offline");
    report(f->db, "web-svc", "n1", "Online", 100);
    apply_ok(f->db, "{\"op\":\"resource.fail\",\"args\":{\"name\":\"web-svc\"}}");
    resource_is(f->db, "web-svc", "state", "Failed");
    resource_is(f->db, "web-svc", "node", "n1");
    resource_is(f->db, "web-svc", "last_error", "failure simulated by operator");
    refused(f->db, "{\"op\":\"resource.fail\",\"args\":{\"name\":\"web-svc\"}}", WP_E_CONFLICT,
            "Failed");
}

/* --- failure records, clean-up, maintenance ------------------------------ */

static long long failures_on(wp_db *db, const char *res, const char *node)
{
    json_t *r = resource(db, res);
    long long n = json_integer_value(json_object_get(json_object_get(r, "failures"), node));
    json_decref(r);
    return n;
}

/* The scheduler-input row of a resource (the cluster's nodes n1, n2 up). */
static json_t *sched_row(wp_db *db, const char *res)
{
    static const uint32_t up[] = {1, 2};
    wp_err err = {0};
    json_t *in = wp_db_sched_input(db, up, 2, 5000, 0, &err);
    assert_non_null(in);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(in, "resources"), i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "name")), res) == 0) {
            json_incref(r);
            json_decref(in);
            return r;
        }
    }
    json_decref(in);
    fail_msg("%s is not in the scheduler input", res);
    return NULL;
}

/* --- one JSON object in a meta row (meta.c) ------------------------------ */

static int meta_rows(wp_db *db, const char *key)
{
    char *text = NULL;
    int found = db_text(db, "SELECT value FROM meta WHERE key = ?1", key, &text, NULL);
    free(text);
    return found;
}

static void test_meta_row(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    json_t *rec = db_meta_read(f->db, "t:", "x", &err);
    assert_true(json_is_object(rec));
    assert_int_equal(json_object_size(rec), 0); /* missing: empty */
    json_object_set_new(rec, "b", json_integer(2));
    json_object_set_new(rec, "a", json_string("one"));
    assert_true(db_meta_write(f->db, "t:", "x", rec, "write a test row", &err));
    json_decref(rec);
    char *text = NULL;
    assert_int_equal(db_text(f->db, "SELECT value FROM meta WHERE key = 't:x'", NULL, &text, NULL),
                     1);
    assert_string_equal(text, "{\"a\":\"one\",\"b\":2}"); /* compact, sorted */
    free(text);
    rec = db_meta_read(f->db, "t:", "x", &err);
    assert_string_equal(json_string_value(json_object_get(rec, "a")), "one");
    json_decref(rec);
    /* a row that is not a JSON object reads as empty */
    assert_int_equal(sqlite3_exec(f->db->conn, "UPDATE meta SET value = '[1]' WHERE key = 't:x'",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    rec = db_meta_read(f->db, "t:", "x", &err);
    assert_true(json_is_object(rec));
    assert_int_equal(json_object_size(rec), 0);
    json_decref(rec);
    assert_int_equal(meta_rows(f->db, "t:x"), 1);
    assert_true(db_meta_remove(f->db, "t:", "x", "remove a test row", &err));
    assert_int_equal(meta_rows(f->db, "t:x"), 0);
    assert_true(db_meta_remove(f->db, "t:", "x", "remove a test row", &err)); /* gone: fine */
}

static void test_failure_record(void **state)
{
    fx *f = *state;
    apply_ok(f->db, "{\"op\":\"group.online\",\"args\":{\"name\":\"web\"}}");
    report(f->db, "web-svc", "n1", "Online", 100);
    assert_int_equal(failures_on(f->db, "web-svc", "n1"), 0);
    report(f->db, "web-svc", "n1", "Failed", 110); /* a monitor's failure */
    assert_int_equal(failures_on(f->db, "web-svc", "n1"), 1);
    resource_is(f->db, "web-svc", "stop_failed", NULL);
    json_t *row = sched_row(f->db, "web-svc");
    assert_int_equal(json_array_size(json_object_get(row, "failures")), 1);
    assert_null(json_object_get(row, "stop_failed"));
    assert_null(json_object_get(row, "permanent_failure"));
    json_decref(row);
    /* failed while being stopped: its stop failed */
    report(f->db, "web-svc", "n1", "Offline Pending", 120);
    report(f->db, "web-svc", "n1", "Failed", 130);
    assert_int_equal(failures_on(f->db, "web-svc", "n1"), 2);
    resource_is(f->db, "web-svc", "stop_failed", "n1");
    row = sched_row(f->db, "web-svc");
    assert_true(json_is_true(json_object_get(row, "stop_failed")));
    json_decref(row);
    /* a plan that moves it records the new node's start as pending; the old
     * node's failed (clean-up) stop says so itself: still a failed stop */
    apply_ok(f->db, "{\"op\":\"resource.cleanup\",\"args\":{\"name\":\"web-svc\"}}");
    report(f->db, "web-svc", "n2", "Online Pending", 131);
    apply_ok(f->db, "{\"op\":\"resource.report\",\"args\":{\"name\":\"web-svc\",\"node\":\"n1\","
                    "\"state\":\"Failed\",\"at\":132,\"stop\":true,\"error\":\"quarantined\"}}");
    resource_is(f->db, "web-svc", "stop_failed", "n1");
    row = sched_row(f->db, "web-svc");
    assert_true(json_is_true(json_object_get(row, "stop_failed")));
    json_decref(row);
    /* ... and the move's abandoned start, reported Offline on the new node,
     * does not erase it (nor what still runs on the old node) */
    report(f->db, "web-svc", "n2", "Offline", 133);
    resource_is(f->db, "web-svc", "state", "Failed");
    resource_is(f->db, "web-svc", "node", "n1");
    report(f->db, "web-ip", "n1", "Online", 134);
    report(f->db, "web-ip", "n2", "Offline", 135);
    resource_is(f->db, "web-ip", "state", "Online");
    resource_is(f->db, "web-ip", "node", "n1");
    report(f->db, "web-ip", "n1", "Offline", 136); /* its own node's: applied */
    resource_is(f->db, "web-ip", "state", "Offline");
    report(f->db, "web-ip", "n2", "Offline", 137); /* Offline anywhere: applied */
    resource_is(f->db, "web-ip", "node", "n2");
    /* n1 proven down (fenced): its failed stop is over, its history stays */
    resource_is(f->db, "web-svc", "stop_failed", "n1");
    apply_ok(f->db, "{\"op\":\"node.down\",\"args\":{\"name\":\"N1\",\"how\":\"fenced\","
                    "\"at\":138}}");
    resource_is(f->db, "web-svc", "stop_failed", NULL);
    assert_int_equal(failures_on(f->db, "web-svc", "n1"), 1);
    /* an error retrying cannot mend */
    apply_ok(f->db, "{\"op\":\"resource.report\",\"args\":{\"name\":\"web-ip\",\"node\":\"n1\","
                    "\"state\":\"Failed\",\"at\":140,\"error\":\"ocf:x:y start failed with exit "
                    "code 6 (OCF_ERR_CONFIGURED)\"}}");
    row = sched_row(f->db, "web-ip");
    assert_true(json_is_true(json_object_get(row, "permanent_failure")));
    json_decref(row);
    /* clean-up forgets it all */
    apply_ok(f->db, "{\"op\":\"resource.cleanup\",\"args\":{\"name\":\"WEB-SVC\"}}");
    assert_int_equal(failures_on(f->db, "web-svc", "n1"), 0);
    resource_is(f->db, "web-svc", "stop_failed", NULL);
    resource_is(f->db, "web-svc", "state", "Offline");
    resource_is(f->db, "web-svc", "last_error", NULL);
    resource_is(f->db, "web-ip", "state", "Failed"); /* another resource: untouched */
    apply_ok(f->db, "{\"op\":\"group.cleanup\",\"args\":{\"name\":\"web\"}}");
    resource_is(f->db, "web-ip", "state", "Offline");
    assert_int_equal(failures_on(f->db, "web-ip", "n1"), 0);
    refused(f->db, "{\"op\":\"resource.cleanup\",\"args\":{\"name\":\"nope\"}}", WP_E_NOTFOUND,
            "nope");
    refused(f->db, "{\"op\":\"group.cleanup\",\"args\":{\"name\":\"nope\"}}", WP_E_NOTFOUND,
            "nope");
}

static void test_maintenance_flag(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    assert_false(wp_db_maintenance(f->db));
    apply_ok(f->db, "{\"op\":\"cluster.maintenance\",\"args\":{\"on\":true}}");
    assert_true(wp_db_maintenance(f->db));
    json_t *st = wp_db_status(f->db, &err);
    assert_true(json_is_true(json_object_get(st, "maintenance")));
    json_decref(st);
    static const uint32_t up[] = {1};
    json_t *in = wp_db_sched_input(f->db, up, 1, 5000, 0, &err);
    assert_true(json_is_true(json_object_get(in, "maintenance")));
    json_decref(in);
    apply_ok(f->db, "{\"op\":\"cluster.maintenance\",\"args\":{\"on\":false}}");
    assert_false(wp_db_maintenance(f->db));
    refused(f->db, "{\"op\":\"cluster.maintenance\",\"args\":{\"on\":\"yes\"}}", WP_E_INVALID,
            "on");
}

static void test_history(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    json_t *h = wp_db_history(f->db, &err);
    assert_int_equal(json_array_size(h), 0); /* the fixture's commands carry no "by" */
    json_decref(h);
    int64_t before = wp_db_version(f->db);
    apply_ok(f->db, "{\"op\":\"group.create\",\"args\":{\"name\":\"audited\"},"
                    "\"by\":{\"uid\":1000,\"user\":\"ann\",\"node\":\"n2\",\"at\":1700000000}}");
    refused(f->db,
            "{\"op\":\"group.create\",\"args\":{\"name\":\"audited\"},"
            "\"by\":{\"uid\":1000,\"user\":\"ann\",\"node\":\"n2\",\"at\":1700000001}}",
            WP_E_EXISTS, "audited");
    h = wp_db_history(f->db, &err);
    assert_int_equal(json_array_size(h), 1); /* the refusal left nothing */
    json_t *e = json_array_get(h, 0);
    assert_int_equal(json_integer_value(json_object_get(e, "version")), before + 1);
    assert_field(e, "user", "ann");
    assert_field(e, "node", "n2");
    assert_field(e, "op", "group.create");
    assert_int_equal(json_integer_value(json_object_get(e, "uid")), 1000);
    assert_int_equal(json_integer_value(json_object_get(e, "at")), 1700000000);
    assert_field(json_object_get(e, "args"), "name", "audited");
    json_decref(h);
}

/* --- resource.report ----------------------------------------------------- */

static void test_report(void **state)
{
    fx *f = *state;
    apply_ok(f->db, "{\"op\":\"resource.report\",\"args\":{\"name\":\"web-ip\",\"node\":\"N1\","
                    "\"state\":\"Online Pending\",\"at\":1000}}");
    json_t *r = resource(f->db, "web-ip");
    assert_field(r, "state", "Online Pending");
    assert_field(r, "node", "n1");
    assert_int_equal(json_integer_value(json_object_get(r, "pending_since")), 1000);
    json_decref(r);
    group_is(f->db, "web", "state", "Online Pending");
    apply_ok(f->db, "{\"op\":\"resource.report\",\"args\":{\"name\":\"web-ip\",\"node\":\"n1\","
                    "\"state\":\"Failed\",\"at\":1010,\"error\":\"ip: address in use\"}}");
    r = resource(f->db, "web-ip");
    assert_field(r, "state", "Failed");
    assert_field(r, "last_error", "ip: address in use");
    assert_true(json_is_null(json_object_get(r, "pending_since")));
    json_decref(r);
    group_is(f->db, "web", "state", "Failed");
    report(f->db, "web-ip", "n1", "Online", 1020);
    resource_is(f->db, "web-ip", "last_error", NULL);
    group_is(f->db, "web", "state", "Partially Online");
    report(f->db, "web-svc", "n1", "Online", 1030);
    group_is(f->db, "web", "state", "Online");
    report(f->db, "web-svc", "n1", "Offline Pending", 1040);
    group_is(f->db, "web", "state", "Partially Online");
    report(f->db, "web-ip", "n1", "Offline", 1050);
    group_is(f->db, "web", "state", "Offline Pending");
    report(f->db, "web-ip", "n1", "Online Pending", 1060);
    group_is(f->db, "web", "state", "Online Pending");
    report(f->db, "web-svc", "n1", "Failed", 1070);
    group_is(f->db, "web", "state", "Failed");
    report(f->db, "web-svc", "n1", "Offline", 1080);
    report(f->db, "web-ip", "n1", "Offline", 1090);
    group_is(f->db, "web", "state", "Offline");

    refused(f->db,
            "{\"op\":\"resource.report\",\"args\":{\"name\":\"web-ip\",\"node\":\"n1\","
            "\"state\":\"Running\",\"at\":1}}",
            WP_E_INVALID, "Running");
    refused(f->db,
            "{\"op\":\"resource.report\",\"args\":{\"name\":\"web-ip\",\"node\":\"n9\","
            "\"state\":\"Online\",\"at\":1}}",
            WP_E_NOTFOUND, "n9");
    refused(f->db,
            "{\"op\":\"resource.report\",\"args\":{\"name\":\"nope\",\"node\":\"n1\","
            "\"state\":\"Online\",\"at\":1}}",
            WP_E_NOTFOUND, "nope");
    refused(f->db,
            "{\"op\":\"resource.report\",\"args\":{\"name\":\"web-ip\",\"node\":\"n1\","
            "\"state\":\"Online\",\"at\":-5}}",
            WP_E_INVALID, "negative");
    refused(f->db,
            "{\"op\":\"resource.report\",\"args\":{\"name\":\"web-ip\",\"node\":\"n1\","
            "\"state\":\"Online\"}}",
            WP_E_INVALID, "at");
}

/* The names in a resource listing, comma-separated (for comparing). */
static void names_are(json_t *list, const char *want)
{
    char got[256] = "";
    size_t i;
    json_t *r;
    assert_non_null(list);
    json_array_foreach(list, i, r)
    {
        if (i)
            strcat(got, ",");
        strncat(got, json_string_value(json_object_get(r, "name")), 64);
    }
    json_decref(list);
    assert_string_equal(got, want);
}

/* wp_db_resource_select: only the resources of a type and/or on a node,
 * the same objects as the full listing's. */
static void test_resource_select(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    apply_ok(f->db, "{\"op\":\"resource.create\",\"args\":{\"name\":\"a-svc\",\"group\":"
                    "\"Cluster Group\",\"type\":\"Generic Service\",\"props\":{\"command\":"
                    "\"/bin/true\"}}}");
    names_are(wp_db_resource_select(f->db, NULL, "n1", &err), "");
    report(f->db, "web-svc", "n1", "Online", 1000);
    report(f->db, "a-svc", "n2", "Online", 1000);
    names_are(wp_db_resource_select(f->db, NULL, "N1", &err), "web-svc");
    names_are(wp_db_resource_select(f->db, NULL, "n2", &err), "a-svc");
    names_are(wp_db_resource_select(f->db, NULL, "n3", &err), "");
    names_are(wp_db_resource_select(f->db, "Generic Service", NULL, &err), "a-svc,web-svc");
    names_are(wp_db_resource_select(f->db, "IP Address", NULL, &err), "web-ip");
    names_are(wp_db_resource_select(f->db, "IP Address", "n1", &err), "");
    names_are(wp_db_resource_select(f->db, "Physical Disk", NULL, &err), "");
    names_are(wp_db_resource_select(f->db, NULL, NULL, &err), "a-svc,web-ip,web-svc");
    /* the same object as resource show gives */
    json_t *list = wp_db_resource_select(f->db, NULL, "n1", &err);
    json_t *one = resource(f->db, "web-svc");
    assert_true(json_equal(json_array_get(list, 0), one));
    json_decref(one);
    json_decref(list);
    assert_int_equal(err.code, WP_OK);
}

/* A very long error is kept, cut at a character boundary. */
static void test_report_long_error(void **state)
{
    fx *f = *state;
    char err_text[3001];
    for (size_t i = 0; i < 1500; i++)
        memcpy(err_text + 2 * i, "\xc3\xa9", 2); /* "é" */
    err_text[3000] = '\0';
    json_t *cmd =
        json_pack("{s:s, s:{s:s, s:s, s:s, s:i, s:s}}", "op", "resource.report", "args", "name",
                  "web-ip", "node", "n1", "state", "Failed", "at", 5, "error", err_text);
    apply_json(f->db, cmd);
    json_decref(cmd);
    json_t *r = resource(f->db, "web-ip");
    const char *kept = json_string_value(json_object_get(r, "last_error"));
    assert_non_null(kept);
    assert_int_equal(strlen(kept), 1000);
    json_decref(r);
}

/* --- the scheduler's input and sched.commit ------------------------------ */

static json_t *export(wp_db *db, const uint32_t *up, size_t n, int64_t now)
{
    wp_err err = {0};
    json_t *in = wp_db_sched_input(db, up, n, now, 3600, &err);
    if (!in)
        wp_err_print(&err, stderr);
    assert_non_null(in);
    return in;
}

/* Parse and run the scheduler on an exported input; the caller frees. */
static wp_sched_input *schedule(const json_t *json, wp_sched_output *out)
{
    wp_err err = {0};
    wp_sched_input *in = wp_sched_input_parse(json, &err);
    if (!in) {
        wp_err_print(&err, stderr);
        fail_msg("the scheduler refused the database's export");
    }
    memset(out, 0, sizeof *out);
    assert_true(wp_sched_run(in, out, &err));
    return in;
}

/* The coordinator's sched.commit for one run (as wolfpackd builds it). */
static json_t *commit_of(const wp_sched_input *in, const wp_sched_output *out, int64_t at)
{
    json_t *decisions = json_array(), *actions = json_array(), *offline = json_array();
    for (size_t i = 0; i < out->n_decisions; i++) {
        const wp_sched_decision *d = &out->decisions[i];
        json_array_append_new(
            decisions,
            json_pack("{s:s, s:o, s:b, s:s}", "group", in->groups[d->group].name, "owner",
                      d->owner_after >= 0 ? json_string(in->nodes[d->owner_after].name)
                                          : json_null(),
                      "failover", d->failover, "state", wp_gstate_name(d->state)));
    }
    for (size_t i = 0; i < out->n_actions; i++) {
        const wp_sched_action *a = &out->actions[i];
        json_array_append_new(
            actions, json_pack("{s:s, s:s, s:s, s:s}", "action", wp_sched_verb_name(a->verb),
                               "resource", in->resources[a->resource].name, "group",
                               in->groups[a->group].name, "node", in->nodes[a->node].name));
    }
    for (size_t i = 0; i < in->n_resources; i++) {
        const wp_sched_resource *r = &in->resources[i];
        if (r->state != WP_RS_OFFLINE && r->node >= 0 && !in->nodes[r->node].up)
            json_array_append_new(offline, json_string(r->name));
    }
    return json_pack("{s:s, s:{s:I, s:s, s:o, s:o, s:o}}", "op", "sched.commit", "args", "at",
                     (json_int_t)at, "coordinator", "n2", "decisions", decisions, "actions",
                     actions, "offline", offline);
}

/* The exported input parses; nodes, groups, resources carry runtime state. */
static void test_export_shape(void **state)
{
    fx *f = *state;
    apply_ok(f->db, "{\"op\":\"node.pause\",\"args\":{\"name\":\"n3\"}}");
    apply_ok(f->db, "{\"op\":\"group.online\",\"args\":{\"name\":\"web\"}}");
    report(f->db, "web-ip", "n1", "Online Pending", 77);
    uint32_t up[] = {1, 3};
    json_t *in = export(f->db, up, 2, 1700000000);
    assert_int_equal(json_integer_value(json_object_get(in, "now")), 1700000000);
    assert_int_equal(json_integer_value(json_object_get(in, "tz_offset")), 3600);
    char *nodes = dump(json_object_get(in, "nodes"));
    assert_string_equal(nodes,
                        "[{\"name\":\"n1\",\"id\":1,\"state\":\"up\",\"paused\":false,"
                        "\"drained\":false},{\"name\":\"n2\",\"id\":2,\"state\":\"down\","
                        "\"paused\":false,\"drained\":false},{\"name\":\"n3\",\"id\":3,\"state\":"
                        "\"up\",\"paused\":true,\"drained\":false}]");
    free(nodes);
    /* The idle Cluster Group (offline, never placed, running nothing) is
     * left out: only web is exported. */
    assert_int_equal(json_array_size(json_object_get(in, "groups")), 1);
    json_t *web = json_array_get(json_object_get(in, "groups"), 0);
    assert_field(web, "name", "web");
    assert_field(web, "target", "online");
    assert_field(web, "owner", NULL);
    json_t *ip = json_array_get(json_object_get(in, "resources"), 0);
    assert_field(ip, "name", "web-ip");
    assert_field(ip, "state", "Online Pending");
    assert_field(ip, "node", "n1");
    assert_field(ip, "class", "network-address");
    assert_int_equal(json_integer_value(json_object_get(ip, "pending_since")), 77);
    json_t *svc = json_array_get(json_object_get(in, "resources"), 1);
    char *deps = dump(json_object_get(svc, "depends_on"));
    assert_string_equal(deps, "[\"web-ip\"]");
    free(deps);
    wp_sched_output out;
    wp_sched_input *si = schedule(in, &out);
    assert_int_equal(si->n_nodes, 3);
    assert_true(si->nodes[2].paused);
    assert_false(si->nodes[1].up);
    wp_sched_output_free(&out);
    wp_sched_input_free(si);
    json_decref(in);
}

/* Group online on n1, n1 lost: the scheduler plans a failover to n2 and
 * sched.commit records it. */
static void test_failover_roundtrip(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    apply_ok(f->db, "{\"op\":\"group.online\",\"args\":{\"name\":\"web\"}}");
    uint32_t all[] = {1, 2, 3};

    /* First run: place the group on n1 (preferred) and start it. */
    json_t *in = export(f->db, all, 3, 1000);
    wp_sched_output out;
    wp_sched_input *si = schedule(in, &out);
    assert_int_equal(out.n_actions, 2);
    assert_string_equal(si->nodes[out.actions[0].node].name, "n1");
    json_t *commit = commit_of(si, &out, 1000);
    apply_json(f->db, commit);
    json_decref(commit);
    wp_sched_output_free(&out);
    wp_sched_input_free(si);
    json_decref(in);
    group_is(f->db, "web", "owner", "n1");
    group_is(f->db, "web", "state", "Online Pending");
    resource_is(f->db, "web-ip", "state", "Online Pending");
    report(f->db, "web-ip", "n1", "Online", 1001);
    report(f->db, "web-svc", "n1", "Online", 1002);
    group_is(f->db, "web", "state", "Online");

    /* n1 is lost. */
    uint32_t survivors[] = {2, 3};
    in = export(f->db, survivors, 2, 2000);
    si = schedule(in, &out);
    assert_int_equal(out.n_decisions, 1); /* the idle Cluster Group is not exported */
    const wp_sched_decision *d = &out.decisions[0];
    assert_string_equal(si->groups[d->group].name, "web");
    assert_string_equal(si->nodes[d->owner_after].name, "n2");
    assert_true(d->failover);
    assert_int_equal(out.n_actions, 2);
    for (size_t i = 0; i < out.n_actions; i++) {
        assert_int_equal(out.actions[i].verb, WP_ACT_START);
        assert_string_equal(si->nodes[out.actions[i].node].name, "n2");
    }
    commit = commit_of(si, &out, 2000);
    assert_int_equal(json_array_size(json_object_get(json_object_get(commit, "args"), "offline")),
                     2);
    apply_json(f->db, commit);
    json_decref(commit);
    wp_sched_output_free(&out);
    wp_sched_input_free(si);
    json_decref(in);

    json_t *g = group(f->db, "web");
    assert_field(g, "owner", "n2");
    assert_field(g, "state", "Online Pending");
    assert_field(g, "move_to", NULL);
    char *fo = dump(json_object_get(g, "failovers"));
    assert_string_equal(fo, "[2000]");
    free(fo);
    json_decref(g);
    json_t *r = resource(f->db, "web-svc");
    assert_field(r, "state", "Online Pending");
    assert_field(r, "node", "n2");
    assert_int_equal(json_integer_value(json_object_get(r, "pending_since")), 2000);
    json_decref(r);
    (void)err;
}

/* A restart is recorded in the resource's history; an owner change clears
 * it; an offline resource list becomes Offline; histories keep 64. */
static void test_commit_histories(void **state)
{
    fx *f = *state;
    report(f->db, "web-svc", "n1", "Failed", 10);
    for (int i = 0; i < 70; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd,
                 "{\"op\":\"sched.commit\",\"args\":{\"at\":%d,\"coordinator\":\"n1\","
                 "\"decisions\":[{\"group\":\"web\",\"owner\":\"n1\",\"failover\":true,"
                 "\"state\":\"Online\"}],\"actions\":[{\"action\":\"restart\",\"resource\":"
                 "\"web-svc\",\"group\":\"web\",\"node\":\"n1\"}],\"offline\":[]}}",
                 100 + i);
        apply_ok(f->db, cmd);
    }
    json_t *r = resource(f->db, "web-svc");
    json_t *restarts = json_object_get(r, "restarts");
    assert_int_equal(json_array_size(restarts), 64);
    assert_int_equal(json_integer_value(json_array_get(restarts, 0)), 106);
    assert_int_equal(json_integer_value(json_array_get(restarts, 63)), 169);
    assert_field(r, "state", "Online Pending");
    json_decref(r);
    json_t *g = group(f->db, "web");
    assert_int_equal(json_array_size(json_object_get(g, "failovers")), 64);
    json_decref(g);

    /* Owner changes: restart history of the group's resources cleared. */
    apply_ok(f->db, "{\"op\":\"sched.commit\",\"args\":{\"at\":500,\"coordinator\":\"n1\","
                    "\"decisions\":[{\"group\":\"web\",\"owner\":\"n2\",\"failover\":false,"
                    "\"state\":\"Failed\"}],\"actions\":[],\"offline\":[\"web-svc\"]}}");
    r = resource(f->db, "web-svc");
    assert_int_equal(json_array_size(json_object_get(r, "restarts")), 0);
    assert_field(r, "state", "Offline");
    json_decref(r);
    /* The scheduler left it Failed: it shows Failed whatever the resources. */
    group_is(f->db, "web", "state", "Failed");
    report(f->db, "web-ip", "n2", "Online", 501);
    group_is(f->db, "web", "state", "Failed");
    /* group.online clears the histories; a later decision clears Failed. */
    apply_ok(f->db, "{\"op\":\"group.online\",\"args\":{\"name\":\"web\"}}");
    g = group(f->db, "web");
    assert_int_equal(json_array_size(json_object_get(g, "failovers")), 0);
    json_decref(g);
    apply_ok(f->db, "{\"op\":\"sched.commit\",\"args\":{\"at\":600,\"coordinator\":\"n1\","
                    "\"decisions\":[{\"group\":\"web\",\"owner\":\"n2\",\"failover\":false,"
                    "\"state\":\"Partially Online\"}]}}");
    group_is(f->db, "web", "state", "Partially Online");
}

static void test_commit_refusals(void **state)
{
    fx *f = *state;
    static const char head[] =
        "{\"op\":\"sched.commit\",\"args\":{\"at\":1,\"coordinator\":\"n1\",";
    static const struct {
        const char *rest;
        wp_code code;
        const char *needle;
    } cases[] = {
        {"\"decisions\":[{\"group\":\"nope\",\"owner\":null,\"failover\":false,\"state\":"
         "\"Offline\"}]}}",
         WP_E_NOTFOUND, "nope"},
        {"\"decisions\":[{\"group\":\"web\",\"owner\":\"n9\",\"failover\":false,\"state\":"
         "\"Offline\"}]}}",
         WP_E_NOTFOUND, "n9"},
        {"\"decisions\":[{\"group\":\"web\",\"owner\":null,\"failover\":false,\"state\":"
         "\"Sleeping\"}]}}",
         WP_E_INVALID, "Sleeping"},
        {"\"decisions\":[{\"group\":\"web\",\"owner\":null,\"failover\":\"no\",\"state\":"
         "\"Offline\"}]}}",
         WP_E_INVALID, "failover"},
        {"\"decisions\":[{\"group\":\"web\",\"owner\":null,\"failover\":false,\"state\":"
         "\"Offline\",\"extra\":1}]}}",
         WP_E_INVALID, "keys"},
        {"\"decisions\":[], \"actions\":[{\"action\":\"explode\",\"resource\":\"web-ip\","
         "\"group\":\"web\",\"node\":\"n1\"}]}}",
         WP_E_INVALID, "explode"},
        {"\"decisions\":[], \"actions\":[{\"action\":\"start\",\"resource\":\"web-ip\","
         "\"group\":\"Cluster Group\",\"node\":\"n1\"}]}}",
         WP_E_INVALID, "belongs"},
        {"\"decisions\":[], \"actions\":[{\"action\":\"start\",\"resource\":\"web-ip\","
         "\"group\":\"web\",\"node\":\"n7\"}]}}",
         WP_E_NOTFOUND, "n7"},
        {"\"decisions\":[], \"offline\":[\"ghost\"]}}", WP_E_NOTFOUND, "ghost"},
        {"\"decisions\":[1]}}", WP_E_INVALID, "decisions"},
        {"\"decisions\":[], \"bogus\":1}}", WP_E_INVALID, "bogus"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "%s%s", head, cases[i].rest);
        refused(f->db, cmd, cases[i].code, cases[i].needle);
    }
    /* A decision applied before a bad action is rolled back with it. */
    refused(f->db,
            "{\"op\":\"sched.commit\",\"args\":{\"at\":1,\"coordinator\":\"n1\",\"decisions\":"
            "[{\"group\":\"web\",\"owner\":\"n1\",\"failover\":true,\"state\":\"Online\"}],"
            "\"actions\":[{\"action\":\"start\",\"resource\":\"ghost\",\"group\":\"web\","
            "\"node\":\"n1\"}]}}",
            WP_E_NOTFOUND, "ghost");
    group_is(f->db, "web", "owner", NULL);
    refused(f->db,
            "{\"op\":\"sched.commit\",\"args\":{\"at\":1,\"coordinator\":\"zz\",\"decisions\":[]}}",
            WP_E_NOTFOUND, "zz");
}

/* Removing a node releases what ran there and the export stays valid. */
static void test_node_remove_releases(void **state)
{
    fx *f = *state;
    apply_ok(f->db, "{\"op\":\"group.online\",\"args\":{\"name\":\"web\"}}");
    apply_ok(f->db, "{\"op\":\"sched.commit\",\"args\":{\"at\":5,\"coordinator\":\"n1\","
                    "\"decisions\":[{\"group\":\"web\",\"owner\":\"n2\",\"failover\":false,"
                    "\"state\":\"Online\"}]}}");
    report(f->db, "web-ip", "n2", "Online", 6);
    /* n2 owns web: refused without force, nothing changes */
    int64_t before = wp_db_version(f->db);
    refused(f->db, "{\"op\":\"node.remove\",\"args\":{\"name\":\"n2\"}}", WP_E_CONFLICT,
            "owns group 'web'");
    assert_int_equal(wp_db_version(f->db), before);
    refused(f->db, "{\"op\":\"node.remove\",\"args\":{\"name\":\"n2\",\"force\":1}}", WP_E_INVALID,
            "force");
    apply_ok(f->db, "{\"op\":\"node.remove\",\"args\":{\"name\":\"n2\",\"force\":true}}");
    resource_is(f->db, "web-ip", "state", "Offline");
    resource_is(f->db, "web-ip", "node", NULL);
    group_is(f->db, "web", "owner", NULL);
    uint32_t up[] = {1};
    json_t *in = export(f->db, up, 1, 10);
    wp_sched_output out;
    wp_sched_input *si = schedule(in, &out);
    wp_sched_output_free(&out);
    wp_sched_input_free(si);
    json_decref(in);
}

/* Two databases that go through the same runtime commands agree. */
static void test_runtime_deterministic(void **state)
{
    fx *f = *state;
    char dir[64], path[128];
    snprintf(dir, sizeof dir, "/tmp/wp-test-dbrt2-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cluster.db", dir);
    wp_err err = {0};
    wp_db *other = wp_db_open(path, &err);
    assert_non_null(other);
    static const char *const cmds[] = {
        "{\"op\":\"group.online\",\"args\":{\"name\":\"web\"}}",
        "{\"op\":\"node.drain\",\"args\":{\"name\":\"n3\"}}",
        "{\"op\":\"resource.report\",\"args\":{\"name\":\"web-ip\",\"node\":\"n1\","
        "\"state\":\"Online\",\"at\":9}}",
        "{\"op\":\"sched.commit\",\"args\":{\"at\":11,\"coordinator\":\"n1\",\"decisions\":"
        "[{\"group\":\"web\",\"owner\":\"n1\",\"failover\":true,\"state\":\"Online\"}],"
        "\"actions\":[{\"action\":\"start\",\"resource\":\"web-svc\",\"group\":\"web\","
        "\"node\":\"n1\"}],\"offline\":[]}}",
    };
    for (size_t i = 0; i < sizeof base_cmds / sizeof base_cmds[0]; i++)
        apply_ok(other, base_cmds[i]);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        apply_ok(f->db, cmds[i]);
        apply_ok(other, cmds[i]);
    }
    char a[65], b[65];
    checksum(f->db, a);
    checksum(other, b);
    assert_string_equal(a, b);
    wp_db_close(other);
    rm_dir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_node_flags, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_group_verbs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_resource_verbs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_report, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_report_long_error, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_resource_select, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_export_shape, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_failover_roundtrip, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_commit_histories, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_commit_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_node_remove_releases, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_runtime_deterministic, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_meta_row, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_failure_record, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_maintenance_flag, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_history, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
