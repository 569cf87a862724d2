/*
 * test_app_cluster.c -- unit tests of the clustered half of `wolfpack app`:
 * the group check by class (src/app/qualify.c: a group that qualifies,
 * every missing item named at once, an offline group, a storage resource
 * of another type counting as the disk, one without a mount point), the
 * article's message texts, Generic Service command lines that split back
 * into the same words, and the cluster database's application commands
 * (src/db/ops_app.c: register, node, task, task.done, op, lock, unregister;
 * refusals change nothing, not even the version).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/app/cluster.h"
#include "../../src/db/db.h"
#include "../../src/lib/model.h"

static json_t *res(const char *name, const char *cls, const char *key, const char *value)
{
    json_t *props = json_object();
    if (key)
        json_object_set_new(props, key, json_string(value));
    return json_pack("{s:s, s:s, s:o}", "name", name, "class", cls, "props", props);
}

static json_t *group(const char *name, const char *state)
{
    return json_pack("{s:s, s:s, s:s}", "name", name, "state", state, "owner", "n1");
}

static void qualifies_with_all_three_online(void **state)
{
    (void)state;
    json_t *rs = json_pack("[o, o, o]", res("ip", "network-address", "address", "198.51.100.5/24"),
                           res("nm", "network-name", "hostname", "web"),
                           res("dk", "storage", "mountpoint", "/srv/web"));
    json_t *g = group("web", "Online");
    json_t *a = wp_app_group_assess(g, rs);
    assert_true(json_is_true(json_object_get(a, "qualifies")));
    assert_int_equal(json_array_size(json_object_get(a, "missing")), 0);
    assert_string_equal(json_string_value(json_object_get(a, "ip")), "198.51.100.5");
    assert_string_equal(json_string_value(json_object_get(a, "mountpoint")), "/srv/web");
    assert_string_equal(json_string_value(json_object_get(a, "disk")), "dk");
    json_decref(a);
    json_decref(g);
    json_decref(rs);
}

static void every_missing_item_at_once(void **state)
{
    (void)state;
    json_t *rs = json_array();
    json_t *g = group("Cluster Group", "Offline");
    json_t *a = wp_app_group_assess(g, rs);
    json_t *m = json_object_get(a, "missing");
    assert_false(json_is_true(json_object_get(a, "qualifies")));
    assert_int_equal(json_array_size(m), 4);
    assert_non_null(strstr(json_string_value(json_array_get(m, 0)), "an IP address"));
    assert_non_null(strstr(json_string_value(json_array_get(m, 1)), "a network name"));
    assert_non_null(strstr(json_string_value(json_array_get(m, 2)), "a shared hard disk"));
    assert_non_null(strstr(json_string_value(json_array_get(m, 3)), "online"));
    json_decref(a);
    json_decref(g);
    json_decref(rs);
}

static void offline_group_does_not_qualify(void **state)
{
    (void)state;
    json_t *rs = json_pack("[o, o, o]", res("ip", "network-address", "address", "198.51.100.5/24"),
                           res("nm", "network-name", NULL, NULL),
                           res("dk", "storage", "mountpoint", "/srv/web"));
    json_t *g = group("web", "Partially Online");
    json_t *a = wp_app_group_assess(g, rs);
    assert_false(json_is_true(json_object_get(a, "qualifies")));
    assert_int_equal(json_array_size(json_object_get(a, "missing")), 1);
    json_decref(a);
    json_decref(g);
    json_decref(rs);
}

/* By class, not type: any storage resource is the disk; one without a
 * mount point still counts for the check but cannot hold databases. */
static void storage_by_class(void **state)
{
    (void)state;
    json_t *rs =
        json_pack("[o, o, o, o]", res("ip", "network-address", NULL, NULL),
                  res("nm", "network-name", NULL, NULL), res("san", "storage", "volume", "lun7"),
                  res("svc", "service", "mountpoint", "/not/a/disk"));
    json_t *g = group("web", "Online");
    json_t *a = wp_app_group_assess(g, rs);
    assert_true(json_is_true(json_object_get(a, "qualifies")));
    assert_string_equal(json_string_value(json_object_get(a, "disk")), "san");
    assert_true(json_is_null(json_object_get(a, "mountpoint")));
    json_decref(a);
    json_decref(g);
    json_decref(rs);
}

static void article_texts(void **state)
{
    (void)state;
    char buf[512];
    snprintf(buf, sizeof buf, WP_APP_SELECT_FMT, "Exchange Server", "Exchange Server");
    assert_string_equal(buf, "Select the cluster group configured for Exchange Server. The "
                             "Exchange Server resources will be added to this group.");
    assert_string_equal(WP_APP_NOT_QUALIFIED,
                        "This cluster group does not contain the appropriate system resources. "
                        "Select a group that contains an IP address, a network name, and a "
                        "shared hard disk.");
}

static void argv_join_round_trip(void **state)
{
    (void)state;
    json_t *argv =
        json_pack("[s, s, s, s, s]", "/opt/x/bin/x", "--db", "/srv/a b/it's.db", "", "$HOME;rm");
    char *line = wp_app_argv_join(argv);
    wp_err err = {0};
    char **back = wp_argv_split(line, &err);
    assert_non_null(back);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(back[i], json_string_value(json_array_get(argv, i)));
    assert_null(back[5]);
    wp_argv_free(back);
    free(line);
    json_decref(argv);
    char name[64];
    wp_app_resource_name("recordstore", "recordstore", name, sizeof name);
    assert_string_equal(name, "recordstore");
    wp_app_resource_name("mail", "store", name, sizeof name);
    assert_string_equal(name, "mail-store");
}

/* ---- the database's application commands -------------------------------------------- */

typedef struct fixture {
    char dir[64];
    char path[128];
    wp_db *db;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wpappc.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/cluster.db", f->dir);
    wp_err err = {0};
    f->db = wp_db_open(f->path, &err);
    assert_non_null(f->db);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    wp_db_close(f->db);
    char p[160];
    snprintf(p, sizeof p, "%s-wal", f->path);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", f->path);
    unlink(p);
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static bool apply(wp_db *db, const char *text, wp_err *err)
{
    json_error_t je;
    json_t *cmd = json_loads(text, 0, &je);
    assert_non_null(cmd);
    bool ok = wp_db_apply(db, cmd, err);
    json_decref(cmd);
    return ok;
}

static void apply_ok(wp_db *db, const char *text)
{
    wp_err err = {0};
    if (!apply(db, text, &err))
        fail_msg("refused: %s: %s (%s)", text, err.what, err.why);
}

static void refused(wp_db *db, const char *text, wp_code code)
{
    wp_err err = {0};
    int64_t v = wp_db_version(db);
    char before[65], after[65];
    assert_true(wp_db_checksum(db, before, &err));
    assert_false(apply(db, text, &err));
    assert_int_equal(err.code, code);
    assert_int_equal(wp_db_version(db), v);
    assert_true(wp_db_checksum(db, after, &err));
    assert_string_equal(before, after);
}

#define REC                                                                                        \
    "{\"app\":\"rs\",\"version\":\"1.0\",\"edition\":\"E\",\"mode\":\"clustered\","                \
    "\"group\":\"WEB\",\"databases\":[],\"services\":[]}"

static void db_commands(void **state)
{
    fixture *f = *state;
    wp_db *db = f->db;
    wp_err err = {0};
    apply_ok(db, "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":["
                 "{\"name\":\"n1\",\"address\":\"198.51.100.1\",\"id\":1},"
                 "{\"name\":\"n2\",\"address\":\"198.51.100.2\",\"id\":2}]}}");
    apply_ok(db, "{\"op\":\"group.create\",\"args\":{\"name\":\"web\"}}");
    apply_ok(db, "{\"op\":\"app.register\",\"args\":{\"name\":\"rs\",\"record\":" REC "}}");
    apply_ok(db, "{\"op\":\"app.node\",\"args\":{\"name\":\"rs\",\"node\":\"N2\",\"version\":"
                 "\"1.0\"}}");
    json_t *show = wp_db_app_show(db, "rs", &err);
    assert_non_null(show);
    assert_string_equal(json_string_value(json_object_get(show, "group")), "web");
    json_t *n0 = json_array_get(json_object_get(show, "nodes"), 0);
    assert_string_equal(json_string_value(json_object_get(n0, "node")), "n2");
    json_decref(show);

    refused(db, "{\"op\":\"app.register\",\"args\":{\"name\":\"rs\",\"record\":{}}}", WP_E_INVALID);
    refused(db,
            "{\"op\":\"app.node\",\"args\":{\"name\":\"rs\",\"node\":\"n9\",\"version\":"
            "\"1\"}}",
            WP_E_NOTFOUND);
    refused(db, "{\"op\":\"app.unregister\",\"args\":{\"name\":\"zz\"}}", WP_E_NOTFOUND);

    apply_ok(db, "{\"op\":\"app.task\",\"args\":{\"id\":\"t1\",\"node\":\"n2\",\"kind\":"
                 "\"files\",\"args\":{\"app\":\"rs\"}}}");
    refused(db, "{\"op\":\"app.task\",\"args\":{\"id\":\"t1\",\"node\":\"n2\",\"kind\":\"files\"}}",
            WP_E_EXISTS);
    refused(db,
            "{\"op\":\"app.task.done\",\"args\":{\"id\":\"t1\",\"node\":\"n1\",\"result\":"
            "\"ok\"}}",
            WP_E_INVALID);
    apply_ok(db, "{\"op\":\"app.task.done\",\"args\":{\"id\":\"t1\",\"node\":\"n2\",\"result\":"
                 "\"failed\",\"error\":\"disk full\"}}");
    refused(db,
            "{\"op\":\"app.task.done\",\"args\":{\"id\":\"t1\",\"node\":\"n2\",\"result\":"
            "\"ok\"}}",
            WP_E_CONFLICT);
    json_t *t = wp_db_app_task_show(db, "t1", &err);
    assert_string_equal(json_string_value(json_object_get(t, "state")), "failed");
    assert_string_equal(json_string_value(json_object_get(t, "error")), "disk full");
    json_decref(t);

    /* a task's output is kept with it (bounded) until it is forgotten */
    apply_ok(db, "{\"op\":\"app.task\",\"args\":{\"id\":\"t2\",\"node\":\"n2\",\"kind\":"
                 "\"resource-check\",\"args\":{\"app\":\"wolfpack\",\"resource\":\"{}\"}}}");
    apply_ok(db, "{\"op\":\"app.task.done\",\"args\":{\"id\":\"t2\",\"node\":\"n2\",\"result\":"
                 "\"ok\",\"output\":{\"findings\":[{\"level\":\"warning\"}]}}}");
    t = wp_db_app_task_show(db, "t2", &err);
    assert_non_null(t);
    assert_int_equal(json_array_size(json_object_get(json_object_get(t, "output"), "findings")), 1);
    json_decref(t);
    apply_ok(db, "{\"op\":\"app.task.forget\",\"args\":{\"id\":\"t2\"}}");
    t = wp_db_app_task_show(db, "t2", &err);
    assert_null(t);
    wp_err_clear(&err);
    apply_ok(db, "{\"op\":\"app.task.forget\",\"args\":{\"id\":\"t2\"}}"); /* gone: fine */
    apply_ok(db, "{\"op\":\"app.task\",\"args\":{\"id\":\"t3\",\"node\":\"n2\",\"kind\":"
                 "\"report-part\",\"args\":{\"app\":\"wolfpack\"}}}");
    {
        size_t big = 800 * 1024;
        char *text = malloc(big + 1);
        assert_non_null(text);
        memset(text, 'x', big);
        text[big] = '\0';
        json_t *cmd = json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:s}}}", "op", "app.task.done", "args",
                                "id", "t3", "node", "n2", "result", "ok", "output", "log", text);
        free(text);
        wp_err e2 = {0};
        assert_false(wp_db_apply(db, cmd, &e2)); /* past 768 KiB: refused */
        assert_int_equal(e2.code, WP_E_INVALID);
        json_decref(cmd);
    }
    t = wp_db_app_task_show(db, "t3", &err);
    assert_string_equal(json_string_value(json_object_get(t, "state")), "pending");
    json_decref(t);

    apply_ok(db, "{\"op\":\"app.lock\",\"args\":{\"holder\":\"n1:42\",\"op\":\"rollout\","
                 "\"at\":100}}");
    refused(db,
            "{\"op\":\"app.lock\",\"args\":{\"holder\":\"n2:7\",\"op\":\"rollout\",\"at\":101}}",
            WP_E_CONFLICT);
    apply_ok(db, "{\"op\":\"app.lock\",\"args\":{\"holder\":\"n2:7\",\"op\":\"rollout\","
                 "\"at\":102,\"force\":\"n1:42\"}}");
    refused(db, "{\"op\":\"app.unlock\",\"args\":{\"holder\":\"n1:42\"}}", WP_E_CONFLICT);
    apply_ok(db, "{\"op\":\"app.unlock\",\"args\":{\"holder\":\"n2:7\"}}");
    json_t *lock = wp_db_app_lock_show(db, &err);
    assert_true(json_is_null(lock));
    json_decref(lock);

    apply_ok(db, "{\"op\":\"app.op\",\"args\":{\"name\":\"rs\",\"state\":{\"step\":\"backup\"}}}");
    json_t *op = wp_db_app_op_show(db, "rs", &err);
    assert_string_equal(json_string_value(json_object_get(op, "step")), "backup");
    json_decref(op);

    apply_ok(db, "{\"op\":\"app.unregister\",\"args\":{\"name\":\"rs\"}}");
    json_t *list = wp_db_app_list(db, &err);
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
}

/* WOLFPACK_APP_TASK_TIMEOUT: a positive number of seconds, else the
 * default (one parse for every wait of the application setup). */
static void task_timeout_from_env(void **state)
{
    (void)state;
    const struct {
        const char *text;
        long want;
    } cases[] = {{NULL, 120}, {"30", 30},   {"1", 1}, {"0", 120},
                 {"-5", 120}, {"abc", 120}, {"", 120}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (cases[i].text)
            setenv(WP_APP_TASK_TIMEOUT_ENV, cases[i].text, 1);
        else
            unsetenv(WP_APP_TASK_TIMEOUT_ENV);
        assert_int_equal(wp_app_task_timeout_s(), cases[i].want);
    }
    unsetenv(WP_APP_TASK_TIMEOUT_ENV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(qualifies_with_all_three_online),
        cmocka_unit_test(every_missing_item_at_once),
        cmocka_unit_test(offline_group_does_not_qualify),
        cmocka_unit_test(storage_by_class),
        cmocka_unit_test(article_texts),
        cmocka_unit_test(argv_join_round_trip),
        cmocka_unit_test(task_timeout_from_env),
        cmocka_unit_test_setup_teardown(db_commands, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
