/*
 * test_db.c -- unit tests of the cluster database (src/db): every command,
 * every refusal (each checked to change neither the version nor the
 * checksum), query output, dependency order, snapshots, checksums,
 * batches, reopening, and files that are not wolfpack databases.
 *
 * Each test works in its own mkdtemp directory, removed at teardown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/db/db.h"

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

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wp-test-db-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/cluster.db", f->dir);
    wp_err err = {0};
    f->db = wp_db_open(f->path, &err);
    if (!f->db)
        wp_err_print(&err, stderr);
    assert_non_null(f->db);
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

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (!v)
        fail_msg("bad test JSON: %s: %s", je.text, text);
    return v;
}

static void apply_ok(wp_db *db, const char *text)
{
    json_t *cmd = parse(text);
    wp_err err = {0};
    int64_t before = wp_db_version(db);
    bool ok = wp_db_apply(db, cmd, &err);
    if (!ok) {
        wp_err_print(&err, stderr);
        fail_msg("refused: %s", text);
    }
    assert_int_equal(wp_db_version(db), before + 1);
    json_decref(cmd);
}

static void checksum(wp_db *db, char out[65])
{
    wp_err err = {0};
    assert_true(wp_db_checksum(db, out, &err));
    assert_int_equal(strlen(out), 64);
}

/* The command is refused with `code`, `needle` appears in what or why, and
 * neither the version nor the checksum moved (for check and for apply). */
static void refused(wp_db *db, const char *text, wp_code code, const char *needle)
{
    json_t *cmd = parse(text);
    char sum_before[65], sum_after[65];
    checksum(db, sum_before);
    int64_t before = wp_db_version(db);
    for (int pass = 0; pass < 2; pass++) {
        wp_err err = {0};
        bool ok = pass ? wp_db_apply(db, cmd, &err) : wp_db_check(db, cmd, &err);
        if (ok)
            fail_msg("accepted but should be refused: %s", text);
        if (err.code != code || (!strstr(err.what, needle) && !strstr(err.why, needle))) {
            wp_err_print(&err, stderr);
            fail_msg("wrong refusal (want %s, '%s') for %s", wp_code_name(code), needle, text);
        }
        assert_true(err.what[0] && err.why[0] && err.todo[0]);
    }
    assert_int_equal(wp_db_version(db), before);
    checksum(db, sum_after);
    assert_string_equal(sum_before, sum_after);
    json_decref(cmd);
}

static const char *const base_cmds[] = {
    "{\"op\":\"cluster.create\",\"args\":{\"name\":\"prod\",\"nodes\":["
    "{\"name\":\"n1\",\"address\":\"198.51.100.11\",\"id\":1},"
    "{\"name\":\"n2\",\"address\":\"198.51.100.12\",\"id\":2}]}}",
    "{\"op\":\"node.add\",\"args\":{\"name\":\"n3\",\"address\":\"198.51.100.13\",\"id\":3}}",
    "{\"op\":\"group.create\",\"args\":{\"name\":\"web\",\"policy\":"
    "{\"preferred_owners\":\"n1,n2\",\"failback\":\"immediate\"}}}",
    "{\"op\":\"resource.create\",\"args\":{\"name\":\"web-ip\",\"group\":\"web\","
    "\"type\":\"IP Address\",\"props\":{\"address\":\"198.51.100.50/24\"}}}",
    "{\"op\":\"resource.create\",\"args\":{\"name\":\"web-name\",\"group\":\"web\","
    "\"type\":\"netname\",\"props\":{\"hostname\":\"web\"},\"depends_on\":[\"web-ip\"]}}",
    "{\"op\":\"resource.create\",\"args\":{\"name\":\"web-disk\",\"group\":\"web\","
    "\"type\":\"Physical Disk\",\"props\":{\"device\":\"/dev/sdb1\",\"mountpoint\":"
    "\"/srv/web\",\"fstype\":\"ext4\"}}}",
    "{\"op\":\"resource.create\",\"args\":{\"name\":\"httpd\",\"group\":\"web\","
    "\"type\":\"Generic Service\",\"props\":{\"command\":\"/usr/sbin/httpd -X\"},"
    "\"policy\":{\"restart_period\":\"10m\"},\"depends_on\":[\"web-name\",\"web-disk\"]}}",
    "{\"op\":\"group.create\",\"args\":{\"name\":\"db\"}}",
    "{\"op\":\"resource.create\",\"args\":{\"name\":\"db-ip\",\"group\":\"db\","
    "\"type\":\"ip\",\"props\":{\"address\":\"198.51.100.60/24\"}}}",
};
#define NBASE (sizeof base_cmds / sizeof base_cmds[0])

static void apply_base(wp_db *db)
{
    for (size_t i = 0; i < NBASE; i++)
        apply_ok(db, base_cmds[i]);
}

static int fx_setup_base(void **state)
{
    fx_setup(state);
    apply_base(((fx *)*state)->db);
    return 0;
}

static wp_db *open_other(const char *dir, const char *file)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    wp_err err = {0};
    wp_db *db = wp_db_open(p, &err);
    if (!db)
        wp_err_print(&err, stderr);
    assert_non_null(db);
    return db;
}

/* A JSON array of the "name" fields of a list. */
static char *names_of(json_t *list)
{
    json_t *names = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) json_array_append(names, json_object_get(v, "name"));
    char *text = json_dumps(names, JSON_COMPACT);
    json_decref(names);
    return text;
}

/* --- new database --------------------------------------------------------- */

static void test_new_db(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    assert_int_equal(wp_db_version(f->db), 0);
    json_t *st = wp_db_status(f->db, &err);
    assert_non_null(st);
    char *text = json_dumps(st, JSON_COMPACT | JSON_SORT_KEYS);
    assert_true(json_is_null(json_object_get(st, "cluster")));
    assert_int_equal(json_array_size(json_object_get(st, "nodes")), 0);
    json_t *g = json_array_get(json_object_get(st, "groups"), 0);
    assert_string_equal(json_string_value(json_object_get(g, "name")), "Cluster Group");
    assert_string_equal(json_string_value(json_object_get(g, "state")), "Offline");
    assert_true(json_is_null(json_object_get(g, "owner")));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(g, "policy"), "failback")), "never");
    free(text);
    json_decref(st);
}

/* --- successful commands and queries --------------------------------------- */

static void test_base_status(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    assert_int_equal(wp_db_version(f->db), (int64_t)NBASE);
    json_t *st = wp_db_status(f->db, &err);
    assert_non_null(st);
    assert_string_equal(json_string_value(json_object_get(st, "cluster")), "prod");
    assert_int_equal(json_integer_value(json_object_get(st, "version")), NBASE);
    char *nodes = names_of(json_object_get(st, "nodes"));
    assert_string_equal(nodes, "[\"n1\",\"n2\",\"n3\"]");
    char *groups = names_of(json_object_get(st, "groups"));
    assert_string_equal(groups, "[\"Cluster Group\",\"db\",\"web\"]");
    free(nodes);
    free(groups);
    json_decref(st);

    json_t *n = wp_db_node_show(f->db, "N2", &err);
    assert_non_null(n);
    char *nt = json_dumps(n, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(nt, "{\"address\":\"198.51.100.12\",\"drained\":false,\"id\":2,"
                            "\"name\":\"n2\",\"paused\":false}");
    free(nt);
    json_decref(n);
    assert_null(wp_db_node_show(f->db, "n9", &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
    assert_null(wp_db_node_show(f->db, NULL, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_null(wp_db_group_show(f->db, NULL, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_null(wp_db_resource_show(f->db, NULL, &err));
    assert_int_equal(err.code, WP_E_INVALID);
}

static void test_group_show(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    json_t *g = wp_db_group_show(f->db, "web", &err);
    assert_non_null(g);
    char *res = json_dumps(json_object_get(g, "resources"), JSON_COMPACT);
    assert_string_equal(res, "[\"web-disk\",\"web-ip\",\"web-name\",\"httpd\"]");
    json_t *pol = json_object_get(g, "policy");
    assert_string_equal(json_string_value(json_object_get(pol, "preferred_owners")), "n1,n2");
    assert_string_equal(json_string_value(json_object_get(pol, "failback")), "immediate");
    assert_string_equal(json_string_value(json_object_get(pol, "failover_period")), "21600");
    assert_true(json_is_null(json_object_get(g, "owner")));
    assert_string_equal(json_string_value(json_object_get(g, "state")), "Offline");
    free(res);
    json_decref(g);
    assert_null(wp_db_group_show(f->db, "nope", &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
}

static void test_resource_show(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    json_t *r = wp_db_resource_show(f->db, "HTTPD", &err);
    assert_non_null(r);
    char *text = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
    const char *want =
        "{\"class\":\"service\",\"dependents\":[],\"depends_on\":[\"web-disk\",\"web-name\"],"
        "\"failures\":{},\"group\":\"web\",\"last_error\":null,\"name\":\"httpd\",\"node\":null,"
        "\"pending_since\":null,\"policy\":{\"check_timeout\":\"0\",\"failure_timeout\":\"0\","
        "\"managed\":\"true\",\"pending_timeout\":\"180\",\"quick_check_interval\":\"5\","
        "\"restart_action\":\"failover\",\"restart_delay\":\"0\",\"restart_period\":\"600\","
        "\"restart_threshold\":\"3\",\"start_timeout\":\"0\",\"stop_timeout\":\"0\","
        "\"thorough_check_interval\":\"60\"},\"props\":{\"command\":\"/usr/sbin/httpd -X\"},"
        "\"restarts\":[],\"state\":\"Offline\",\"stop_failed\":null,\"target\":\"online\","
        "\"type\":\"Generic Service\"}";
    assert_string_equal(text, want);
    free(text);
    json_decref(r);
    r = wp_db_resource_show(f->db, "web-ip", &err);
    assert_string_equal(json_string_value(json_object_get(r, "class")), "network-address");
    char *deps = json_dumps(json_object_get(r, "dependents"), JSON_COMPACT);
    assert_string_equal(deps, "[\"web-name\"]");
    free(deps);
    json_decref(r);
    assert_null(wp_db_resource_show(f->db, "nope", &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
}

static void test_resource_list_all(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    json_t *all = wp_db_resource_list(f->db, NULL, &err);
    assert_non_null(all);
    char *names = names_of(all);
    assert_string_equal(names, "[\"db-ip\",\"web-disk\",\"web-ip\",\"web-name\",\"httpd\"]");
    free(names);
    json_decref(all);
    json_t *db = wp_db_resource_list(f->db, "DB", &err);
    assert_int_equal(json_array_size(db), 1);
    json_decref(db);
    json_t *cg = wp_db_resource_list(f->db, "Cluster Group", &err);
    assert_int_equal(json_array_size(cg), 0);
    json_decref(cg);
    assert_null(wp_db_resource_list(f->db, "nope", &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
}

/* a -> (b, c) -> d: d first, then b and c by name, then a; e free-standing. */
static void test_diamond_order(void **state)
{
    fx *f = *state;
    apply_ok(f->db, "{\"op\":\"group.create\",\"args\":{\"name\":\"g\"}}");
    const char *mk = "{\"op\":\"resource.create\",\"args\":{\"name\":\"%s\",\"group\":\"g\","
                     "\"type\":\"service\",\"props\":{\"unit\":\"%s.service\"}%s}}";
    const char *const spec[][2] = {{"d", ""},
                                   {"c", ",\"depends_on\":[\"d\"]"},
                                   {"b", ",\"depends_on\":[\"d\"]"},
                                   {"a", ",\"depends_on\":[\"c\",\"b\"]"},
                                   {"e", ""}};
    for (size_t i = 0; i < 5; i++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, mk, spec[i][0], spec[i][0], spec[i][1]);
        apply_ok(f->db, cmd);
    }
    wp_err err = {0};
    json_t *list = wp_db_resource_list(f->db, "g", &err);
    char *names = names_of(list);
    assert_string_equal(names, "[\"d\",\"b\",\"c\",\"a\",\"e\"]");
    free(names);
    json_decref(list);
    /* a cycle through the diamond is named in full */
    refused(f->db, "{\"op\":\"resource.depend\",\"args\":{\"name\":\"d\",\"on\":\"a\"}}",
            WP_E_CONFLICT, "d -> a -> b -> d");
}

static void test_set_and_reset(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    apply_ok(f->db, "{\"op\":\"group.set\",\"args\":{\"name\":\"web\",\"policy\":"
                    "{\"failback\":null,\"failover_period\":\"2h\"}}}");
    json_t *g = wp_db_group_show(f->db, "web", &err);
    json_t *pol = json_object_get(g, "policy");
    assert_string_equal(json_string_value(json_object_get(pol, "failback")), "never");
    assert_string_equal(json_string_value(json_object_get(pol, "failover_period")), "7200");
    json_decref(g);
    apply_ok(f->db, "{\"op\":\"resource.set\",\"args\":{\"name\":\"web-ip\",\"props\":"
                    "{\"interface\":\"eth1\"},\"policy\":{\"pending_timeout\":\"1m\"}}}");
    apply_ok(f->db, "{\"op\":\"resource.set\",\"args\":{\"name\":\"web-ip\",\"props\":"
                    "{\"interface\":null}}}");
    json_t *r = wp_db_resource_show(f->db, "web-ip", &err);
    assert_null(json_object_get(json_object_get(r, "props"), "interface"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(r, "policy"), "pending_timeout")), "60");
    json_decref(r);
}

static void test_delete_and_undepend(void **state)
{
    fx *f = *state;
    apply_ok(f->db, "{\"op\":\"resource.undepend\",\"args\":{\"name\":\"httpd\",\"on\":"
                    "\"web-disk\"}}");
    apply_ok(f->db, "{\"op\":\"resource.delete\",\"args\":{\"name\":\"web-disk\"}}");
    apply_ok(f->db, "{\"op\":\"resource.depend\",\"args\":{\"name\":\"httpd\",\"on\":"
                    "\"web-ip\"}}");
    /* httpd reaches web-ip directly now, but web-name still needs its own */
    apply_ok(f->db, "{\"op\":\"resource.delete\",\"args\":{\"name\":\"httpd\"}}");
    apply_ok(f->db, "{\"op\":\"resource.delete\",\"args\":{\"name\":\"web-name\"}}");
    apply_ok(f->db, "{\"op\":\"resource.delete\",\"args\":{\"name\":\"web-ip\"}}");
    apply_ok(f->db, "{\"op\":\"group.delete\",\"args\":{\"name\":\"web\"}}");
    wp_err err = {0};
    assert_null(wp_db_group_show(f->db, "web", &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
}

static void test_node_remove_strips_owners(void **state)
{
    fx *f = *state;
    apply_ok(f->db, "{\"op\":\"group.set\",\"args\":{\"name\":\"db\",\"policy\":"
                    "{\"possible_owners\":\"n3,N1\",\"preferred_owners\":\"n1\"}}}");
    wp_err err = {0};
    json_t *g = wp_db_group_show(f->db, "db", &err);
    /* stored with the node's own spelling */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(g, "policy"), "possible_owners")),
        "n3,n1");
    json_decref(g);
    apply_ok(f->db, "{\"op\":\"node.remove\",\"args\":{\"name\":\"n1\"}}");
    g = wp_db_group_show(f->db, "db", &err);
    json_t *pol = json_object_get(g, "policy");
    assert_string_equal(json_string_value(json_object_get(pol, "possible_owners")), "n3");
    assert_string_equal(json_string_value(json_object_get(pol, "preferred_owners")), "");
    json_decref(g);
    g = wp_db_group_show(f->db, "web", &err);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(g, "policy"), "preferred_owners")), "n2");
    json_decref(g);
    json_t *nodes = wp_db_node_list(f->db, &err);
    char *names = names_of(nodes);
    assert_string_equal(names, "[\"n2\",\"n3\"]");
    free(names);
    json_decref(nodes);
}

/* wp_db_check accepts a good command and still changes nothing. */
static void test_check_changes_nothing(void **state)
{
    fx *f = *state;
    json_t *cmd = parse("{\"op\":\"group.create\",\"args\":{\"name\":\"new\"}}");
    char before[65], after[65];
    checksum(f->db, before);
    int64_t v = wp_db_version(f->db);
    wp_err err = {0};
    assert_true(wp_db_check(f->db, cmd, &err));
    assert_int_equal(wp_db_version(f->db), v);
    checksum(f->db, after);
    assert_string_equal(before, after);
    assert_true(wp_db_apply(f->db, cmd, &err));
    assert_int_equal(wp_db_version(f->db), v + 1);
    checksum(f->db, after);
    assert_string_not_equal(before, after);
    json_decref(cmd);
}

/* --- refusals ---------------------------------------------------------------- */

static void test_refuse_shape(void **state)
{
    fx *f = *state;
    refused(f->db, "[1,2]", WP_E_INVALID, "not a JSON object");
    refused(f->db, "{\"args\":{}}", WP_E_INVALID, "\"op\"");
    refused(f->db, "{\"op\":7,\"args\":{}}", WP_E_INVALID, "\"op\"");
    refused(f->db, "{\"op\":\"group.explode\",\"args\":{}}", WP_E_INVALID, "group.explode");
    refused(f->db, "{\"op\":\"group.create\"}", WP_E_INVALID, "\"args\"");
    refused(f->db, "{\"op\":\"group.create\",\"args\":[]}", WP_E_INVALID, "\"args\"");
    refused(f->db, "{\"op\":\"group.create\",\"args\":{\"name\":5}}", WP_E_INVALID, "\"name\"");
    refused(f->db, "{\"op\":\"group.create\",\"args\":{}}", WP_E_INVALID, "missing");
    refused(f->db, "{\"op\":\"group.create\",\"args\":{\"name\":\"x\",\"colour\":\"red\"}}",
            WP_E_INVALID, "colour");
    refused(f->db, "{\"op\":\"group.create\",\"args\":{\"name\":\"x\",\"policy\":{\"a\":1}}}",
            WP_E_INVALID, "policy");
    refused(f->db,
            "{\"op\":\"node.add\",\"args\":{\"name\":\"x\",\"address\":\"1.2.3.4\","
            "\"id\":\"1\"}}",
            WP_E_INVALID, "\"id\"");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"web\","
            "\"type\":\"ip\",\"depends_on\":\"web-ip\"}}",
            WP_E_INVALID, "depends_on");
    refused(f->db, "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":[{}]}}",
            WP_E_INVALID, "nodes");
}

/* Every argument of every command replaced by values of every JSON type:
 * a value of the wrong type is WP_E_INVALID, and any refusal changes nothing. */
static void test_refuse_wrong_types(void **state)
{
    fx *f = *state;
    const char *const templates[] = {
        "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c2\",\"nodes\":[{\"name\":\"n8\","
        "\"address\":\"198.51.100.18\",\"id\":8}]}}",
        "{\"op\":\"node.add\",\"args\":{\"name\":\"n9\",\"address\":\"198.51.100.19\",\"id\":9}}",
        "{\"op\":\"node.remove\",\"args\":{\"name\":\"n3\"}}",
        "{\"op\":\"group.create\",\"args\":{\"name\":\"g\",\"policy\":{\"failback\":\"never\"}}}",
        "{\"op\":\"group.delete\",\"args\":{\"name\":\"db\"}}",
        "{\"op\":\"group.set\",\"args\":{\"name\":\"web\",\"policy\":{\"failback\":\"never\"}}}",
        "{\"op\":\"resource.create\",\"args\":{\"name\":\"s\",\"group\":\"web\",\"type\":"
        "\"service\",\"props\":{\"unit\":\"s.service\"},\"policy\":{},\"depends_on\":"
        "[\"web-ip\"]}}",
        "{\"op\":\"resource.delete\",\"args\":{\"name\":\"httpd\"}}",
        "{\"op\":\"resource.set\",\"args\":{\"name\":\"httpd\",\"props\":{},\"policy\":{}}}",
        "{\"op\":\"resource.depend\",\"args\":{\"name\":\"httpd\",\"on\":\"web-ip\"}}",
        "{\"op\":\"resource.undepend\",\"args\":{\"name\":\"httpd\",\"on\":\"web-disk\"}}",
    };
    const char *const values[] = {
        "null", "true",  "7",         "-1",         "1.5",
        "\"\"", "\"x\"", "[]",        "[1]",        "[null]",
        "[{}]", "{}",    "{\"a\":1}", "{\"a\":[]}", "\"\\u00e9\\u0000x\""};
    size_t tried = 0;
    for (size_t t = 0; t < sizeof templates / sizeof templates[0]; t++) {
        json_t *tmpl = parse(templates[t]);
        const char *key;
        json_t *orig;
        json_object_foreach(json_object_get(tmpl, "args"), key, orig)
        {
            for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
                json_t *cmd = json_deep_copy(tmpl);
                json_t *bad = json_loads(values[v], JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
                assert_non_null(bad);
                bool wrong_type = json_typeof(bad) != json_typeof(orig) &&
                                  !(json_is_integer(orig) && json_is_integer(bad));
                json_object_set_new(json_object_get(cmd, "args"), key, bad);
                char before[65], after[65];
                checksum(f->db, before);
                int64_t version = wp_db_version(f->db);
                wp_err err = {0};
                bool ok = wp_db_apply(f->db, cmd, &err);
                if (wrong_type && (ok || err.code != WP_E_INVALID))
                    fail_msg("%s with %s=%s: not refused as invalid", templates[t], key, values[v]);
                if (!ok) {
                    checksum(f->db, after);
                    assert_string_equal(before, after);
                    assert_int_equal(wp_db_version(f->db), version);
                }
                json_decref(cmd);
                tried++;
            }
        }
        json_decref(tmpl);
    }
    assert_true(tried > 300);
}

static void test_refuse_cluster_and_nodes(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    refused(f->db, "{\"op\":\"cluster.create\",\"args\":{\"name\":\"other\"}}", WP_E_EXISTS,
            "prod");
    refused(f->db,
            "{\"op\":\"node.add\",\"args\":{\"name\":\"N1\",\"address\":"
            "\"198.51.100.99\",\"id\":9}}",
            WP_E_EXISTS, "n1");
    refused(f->db,
            "{\"op\":\"node.add\",\"args\":{\"name\":\"n9\",\"address\":"
            "\"198.51.100.99\",\"id\":2}}",
            WP_E_EXISTS, "id");
    refused(f->db,
            "{\"op\":\"node.add\",\"args\":{\"name\":\"n9\",\"address\":"
            "\"198.51.100.13\",\"id\":9}}",
            WP_E_EXISTS, "address");
    refused(f->db,
            "{\"op\":\"node.add\",\"args\":{\"name\":\"n 9\",\"address\":"
            "\"198.51.100.99\",\"id\":9}}",
            WP_E_INVALID, "node name");
    refused(f->db,
            "{\"op\":\"node.add\",\"args\":{\"name\":\"n9\",\"address\":"
            "\"198.51.100.99\",\"id\":0}}",
            WP_E_INVALID, "id");
    refused(f->db,
            "{\"op\":\"node.add\",\"args\":{\"name\":\"n9\",\"address\":"
            "\"not an address\",\"id\":9}}",
            WP_E_INVALID, "address");
    refused(f->db, "{\"op\":\"node.remove\",\"args\":{\"name\":\"n9\"}}", WP_E_NOTFOUND, "n9");
    /* the last node stays, even with force */
    json_t *nodes = wp_db_node_list(f->db, &err);
    size_t n = json_array_size(nodes);
    for (size_t i = 0; i + 1 < n; i++) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "{\"op\":\"node.remove\",\"args\":{\"name\":\"%s\"}}",
                 json_string_value(json_object_get(json_array_get(nodes, i), "name")));
        apply_ok(f->db, cmd);
    }
    char last[200];
    snprintf(last, sizeof last,
             "{\"op\":\"node.remove\",\"args\":{\"name\":\"%s\",\"force\":true}}",
             json_string_value(json_object_get(json_array_get(nodes, n - 1), "name")));
    refused(f->db, last, WP_E_CONFLICT, "only node");
    json_decref(nodes);
}

static void test_refuse_cluster_create_dup_nodes(void **state)
{
    fx *f = *state;
    refused(f->db,
            "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":["
            "{\"name\":\"a\",\"address\":\"198.51.100.1\",\"id\":1},"
            "{\"name\":\"b\",\"address\":\"198.51.100.1\",\"id\":2}]}}",
            WP_E_EXISTS, "address");
    refused(f->db, "{\"op\":\"cluster.create\",\"args\":{\"name\":\"bad name\"}}", WP_E_INVALID,
            "cluster name");
    /* nothing of the refused create stayed: the cluster can still be created */
    apply_ok(f->db, "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\"}}");
}

static void test_refuse_groups(void **state)
{
    fx *f = *state;
    refused(f->db, "{\"op\":\"group.create\",\"args\":{\"name\":\"WEB\"}}", WP_E_EXISTS, "web");
    refused(f->db, "{\"op\":\"group.create\",\"args\":{\"name\":\" web\"}}", WP_E_INVALID, "space");
    refused(f->db, "{\"op\":\"group.delete\",\"args\":{\"name\":\"Cluster Group\"}}", WP_E_CONFLICT,
            "Cluster Group");
    refused(f->db, "{\"op\":\"group.delete\",\"args\":{\"name\":\"web\"}}", WP_E_CONFLICT,
            "'httpd', 'web-disk', 'web-ip', 'web-name'");
    refused(f->db, "{\"op\":\"group.delete\",\"args\":{\"name\":\"nope\"}}", WP_E_NOTFOUND, "nope");
    refused(f->db, "{\"op\":\"group.set\",\"args\":{\"name\":\"nope\",\"policy\":{}}}",
            WP_E_NOTFOUND, "nope");
    refused(f->db,
            "{\"op\":\"group.set\",\"args\":{\"name\":\"web\",\"policy\":"
            "{\"preferred_owners\":\"n1,ghost\"}}}",
            WP_E_NOTFOUND, "ghost");
    refused(f->db,
            "{\"op\":\"group.create\",\"args\":{\"name\":\"x\",\"policy\":"
            "{\"possible_owners\":\"ghost\"}}}",
            WP_E_NOTFOUND, "ghost");
    refused(f->db,
            "{\"op\":\"group.set\",\"args\":{\"name\":\"web\",\"policy\":"
            "{\"failback\":\"sometimes\"}}}",
            WP_E_INVALID, "failback");
    refused(f->db,
            "{\"op\":\"group.set\",\"args\":{\"name\":\"web\",\"policy\":"
            "{\"failback\":\"window\"}}}",
            WP_E_INVALID, "window");
    refused(f->db,
            "{\"op\":\"group.set\",\"args\":{\"name\":\"web\",\"policy\":"
            "{\"colour\":null}}}",
            WP_E_INVALID, "colour");
}

static void test_refuse_resources(void **state)
{
    fx *f = *state;
    const char *dup = "{\"op\":\"resource.create\",\"args\":{\"name\":\"WEB-IP\",\"group\":"
                      "\"db\",\"type\":\"ip\",\"props\":{\"address\":\"198.51.100.70/24\"}}}";
    refused(f->db, dup, WP_E_EXISTS, "web-ip");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"nope\","
            "\"type\":\"ip\",\"props\":{\"address\":\"198.51.100.70/24\"}}}",
            WP_E_NOTFOUND, "nope");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"db\","
            "\"type\":\"Toaster\"}}",
            WP_E_INVALID, "Toaster");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"db\","
            "\"type\":\"ip\",\"props\":{\"address\":\"300.1.1.1/24\"}}}",
            WP_E_INVALID, "address");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"db\","
            "\"type\":\"ip\"}}",
            WP_E_INVALID, "address");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"db\","
            "\"type\":\"ip\",\"props\":{\"address\":\"198.51.100.70/24\",\"mtu\":"
            "\"9000\"}}}",
            WP_E_INVALID, "mtu");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"db\","
            "\"type\":\"ip\",\"props\":{\"address\":\"198.51.100.70/24\"},\"policy\":"
            "{\"restart_action\":\"panic\"}}}",
            WP_E_INVALID, "restart_action");
    /* dependencies at create */
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"db\","
            "\"type\":\"service\",\"props\":{\"unit\":\"x.service\"},\"depends_on\":"
            "[\"x\"]}}",
            WP_E_INVALID, "itself");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"db\","
            "\"type\":\"service\",\"props\":{\"unit\":\"x.service\"},\"depends_on\":"
            "[\"ghost\"]}}",
            WP_E_NOTFOUND, "ghost");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"db\","
            "\"type\":\"service\",\"props\":{\"unit\":\"x.service\"},\"depends_on\":"
            "[\"web-ip\"]}}",
            WP_E_CONFLICT, "group");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"x\",\"group\":\"db\","
            "\"type\":\"service\",\"props\":{\"unit\":\"x.service\"},\"depends_on\":"
            "[\"db-ip\",\"DB-IP\"]}}",
            WP_E_INVALID, "twice");
    /* a Network Name needs an IP Address below it */
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"nn\",\"group\":\"web\","
            "\"type\":\"netname\",\"props\":{\"hostname\":\"nn\"}}}",
            WP_E_INVALID, "IP Address");
    refused(f->db,
            "{\"op\":\"resource.create\",\"args\":{\"name\":\"nn\",\"group\":\"web\","
            "\"type\":\"netname\",\"props\":{\"hostname\":\"nn\"},\"depends_on\":"
            "[\"web-disk\"]}}",
            WP_E_INVALID, "IP Address");
    /* delete while depended on */
    refused(f->db, "{\"op\":\"resource.delete\",\"args\":{\"name\":\"web-ip\"}}", WP_E_CONFLICT,
            "'web-name'");
    refused(f->db, "{\"op\":\"resource.delete\",\"args\":{\"name\":\"ghost\"}}", WP_E_NOTFOUND,
            "ghost");
    refused(f->db,
            "{\"op\":\"resource.set\",\"args\":{\"name\":\"web-ip\",\"props\":"
            "{\"address\":null}}}",
            WP_E_INVALID, "address");
    refused(f->db, "{\"op\":\"resource.set\",\"args\":{\"name\":\"ghost\",\"props\":{}}}",
            WP_E_NOTFOUND, "ghost");
}

static void test_refuse_depend(void **state)
{
    fx *f = *state;
    refused(f->db, "{\"op\":\"resource.depend\",\"args\":{\"name\":\"httpd\",\"on\":\"httpd\"}}",
            WP_E_INVALID, "itself");
    refused(f->db, "{\"op\":\"resource.depend\",\"args\":{\"name\":\"httpd\",\"on\":\"ghost\"}}",
            WP_E_NOTFOUND, "ghost");
    refused(f->db, "{\"op\":\"resource.depend\",\"args\":{\"name\":\"ghost\",\"on\":\"httpd\"}}",
            WP_E_NOTFOUND, "ghost");
    refused(f->db, "{\"op\":\"resource.depend\",\"args\":{\"name\":\"httpd\",\"on\":\"db-ip\"}}",
            WP_E_CONFLICT, "group");
    refused(f->db, "{\"op\":\"resource.depend\",\"args\":{\"name\":\"httpd\",\"on\":\"web-name\"}}",
            WP_E_EXISTS, "already");
    refused(f->db, "{\"op\":\"resource.depend\",\"args\":{\"name\":\"web-ip\",\"on\":\"httpd\"}}",
            WP_E_CONFLICT, "web-ip -> httpd -> web-name -> web-ip");
    refused(f->db,
            "{\"op\":\"resource.undepend\",\"args\":{\"name\":\"web-name\",\"on\":\"web-ip\"}}",
            WP_E_CONFLICT, "Network Name 'web-name'");
    refused(f->db, "{\"op\":\"resource.undepend\",\"args\":{\"name\":\"httpd\",\"on\":\"web-ip\"}}",
            WP_E_NOTFOUND, "does not depend");
}

/* web-name -> mid -> web-ip: removing mid's edge would strand web-name. */
static void test_refuse_undepend_transitive(void **state)
{
    fx *f = *state;
    apply_ok(f->db, "{\"op\":\"resource.create\",\"args\":{\"name\":\"mid\",\"group\":\"web\","
                    "\"type\":\"service\",\"props\":{\"unit\":\"mid.service\"},\"depends_on\":"
                    "[\"web-ip\"]}}");
    apply_ok(f->db, "{\"op\":\"resource.depend\",\"args\":{\"name\":\"web-name\",\"on\":\"mid\"}}");
    apply_ok(f->db,
             "{\"op\":\"resource.undepend\",\"args\":{\"name\":\"web-name\",\"on\":\"web-ip\"}}");
    refused(f->db, "{\"op\":\"resource.undepend\",\"args\":{\"name\":\"mid\",\"on\":\"web-ip\"}}",
            WP_E_CONFLICT, "web-name");
}

/* --- batch, checksum, snapshot, reopen ---------------------------------------- */

static void test_batch(void **state)
{
    fx *f = *state;
    const char *texts[] = {
        "{\"op\":\"group.create\",\"args\":{\"name\":\"b1\"}}",
        "{\"op\":\"group.create\",\"args\":{\"name\":\"b1\"}}", /* duplicate: refused */
        "{\"op\":\"group.create\",\"args\":{\"name\":\"b2\"}}",
        "{\"op\":\"nope\",\"args\":{}}",
    };
    json_t *cmds[4];
    for (int i = 0; i < 4; i++)
        cmds[i] = parse(texts[i]);
    wp_err results[4], err = {0};
    bool applied[4];
    int64_t before = wp_db_version(f->db);
    assert_true(wp_db_apply_batch(f->db, (const json_t *const *)cmds, 4, results, applied, &err));
    assert_true(applied[0]);
    assert_false(applied[1]);
    assert_int_equal(results[1].code, WP_E_EXISTS);
    assert_true(applied[2]);
    assert_false(applied[3]);
    assert_int_equal(results[3].code, WP_E_INVALID);
    assert_int_equal(results[0].code, WP_OK);
    assert_int_equal(wp_db_version(f->db), before + 2);

    /* the same commands one by one give the same database */
    wp_db *other = open_other(f->dir, "other.db");
    apply_base(other);
    for (int i = 0; i < 4; i++) {
        wp_err e = {0};
        wp_db_apply(other, cmds[i], &e);
        json_decref(cmds[i]);
    }
    char a[65], b[65];
    checksum(f->db, a);
    checksum(other, b);
    assert_string_equal(a, b);
    wp_db_close(other);
}

static void test_checksum_same_and_different(void **state)
{
    fx *f = *state;
    wp_db *same = open_other(f->dir, "same.db");
    wp_db *diff = open_other(f->dir, "diff.db");
    apply_base(same);
    for (size_t i = 0; i < NBASE - 1; i++)
        apply_ok(diff, base_cmds[i]);
    char a[65], b[65], c[65];
    checksum(f->db, a);
    checksum(same, b);
    checksum(diff, c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    /* same version, different content */
    apply_ok(diff, "{\"op\":\"group.create\",\"args\":{\"name\":\"zz\"}}");
    assert_int_equal(wp_db_version(diff), wp_db_version(f->db));
    checksum(diff, c);
    assert_string_not_equal(a, c);
    /* physical layout does not matter: VACUUM changes pages, not content */
    sqlite3 *raw = NULL;
    char p[256];
    snprintf(p, sizeof p, "%s/same.db", f->dir);
    wp_db_close(same);
    assert_int_equal(sqlite3_open(p, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "VACUUM", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    same = open_other(f->dir, "same.db");
    checksum(same, b);
    assert_string_equal(a, b);
    wp_db_close(same);
    wp_db_close(diff);
}

static void test_snapshot_roundtrip(void **state)
{
    fx *f = *state;
    unsigned char *img = NULL;
    size_t len = 0;
    wp_err err = {0};
    assert_true(wp_db_snapshot_export(f->db, &img, &len, &err));
    assert_true(len >= 512);
    wp_db *other = open_other(f->dir, "other.db");
    apply_ok(other, "{\"op\":\"group.create\",\"args\":{\"name\":\"gone\"}}");
    if (!wp_db_snapshot_import(other, img, len, &err))
        wp_err_print(&err, stderr);
    assert_int_equal(err.code, WP_OK);
    char a[65], b[65];
    checksum(f->db, a);
    checksum(other, b);
    assert_string_equal(a, b);
    assert_int_equal(wp_db_version(other), wp_db_version(f->db));
    /* the imported database keeps working and survives a reopen */
    apply_ok(other, "{\"op\":\"group.create\",\"args\":{\"name\":\"after\"}}");
    apply_ok(f->db, "{\"op\":\"group.create\",\"args\":{\"name\":\"after\"}}");
    wp_db_close(other);
    /* still a WAL database on disk */
    char p[256];
    snprintf(p, sizeof p, "%s/other.db", f->dir);
    sqlite3 *raw = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open(p, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(raw);
    other = open_other(f->dir, "other.db");
    checksum(f->db, a);
    checksum(other, b);
    assert_string_equal(a, b);
    wp_db_close(other);
    free(img);
}

static void test_snapshot_damaged(void **state)
{
    fx *f = *state;
    unsigned char *img = NULL;
    size_t len = 0;
    wp_err err = {0};
    assert_true(wp_db_snapshot_export(f->db, &img, &len, &err));
    wp_db *other = open_other(f->dir, "other.db");
    apply_ok(other, "{\"op\":\"group.create\",\"args\":{\"name\":\"keep\"}}");
    char before[65], after[65];
    checksum(other, before);
    int64_t v = wp_db_version(other);

    unsigned char *bad = malloc(len);
    /* 1. garbage inside the pages after the header */
    memcpy(bad, img, len);
    for (size_t i = 4096 + 8; i < len; i += 7)
        bad[i] ^= 0x5a;
    assert_false(wp_db_snapshot_import(other, bad, len, &err));
    assert_int_equal(err.code, WP_E_CORRUPT);
    /* 2. truncated */
    assert_false(wp_db_snapshot_import(other, img, len / 2, &err));
    assert_int_equal(err.code, WP_E_CORRUPT);
    /* 3. not a database at all */
    memset(bad, 'x', len);
    assert_false(wp_db_snapshot_import(other, bad, len, &err));
    assert_int_equal(err.code, WP_E_CORRUPT);
    assert_false(wp_db_snapshot_import(other, bad, 10, &err));
    assert_int_equal(err.code, WP_E_CORRUPT);
    /* 4. an SQLite image of another application */
    sqlite3 *mem = NULL;
    sqlite3_open(":memory:", &mem);
    sqlite3_exec(mem, "CREATE TABLE t(x); INSERT INTO t VALUES (1);", NULL, NULL, NULL);
    sqlite3_int64 flen = 0;
    unsigned char *foreign = sqlite3_serialize(mem, "main", &flen, 0);
    assert_false(wp_db_snapshot_import(other, foreign, (size_t)flen, &err));
    assert_int_equal(err.code, WP_E_CORRUPT);
    sqlite3_free(foreign);
    sqlite3_close(mem);

    checksum(other, after);
    assert_string_equal(before, after);
    assert_int_equal(wp_db_version(other), v);
    wp_db_close(other);
    free(bad);
    free(img);
}

static void test_reopen(void **state)
{
    fx *f = *state;
    char a[65], b[65];
    checksum(f->db, a);
    int64_t v = wp_db_version(f->db);
    wp_db_close(f->db);
    wp_err err = {0};
    f->db = wp_db_open(f->path, &err);
    assert_non_null(f->db);
    checksum(f->db, b);
    assert_string_equal(a, b);
    assert_int_equal(wp_db_version(f->db), v);
    /* and it still accepts commands */
    apply_ok(f->db, "{\"op\":\"group.create\",\"args\":{\"name\":\"later\"}}");
}

/* A child applies commands and reports each acknowledged version on a pipe;
 * after many acknowledgements the parent kills it with SIGKILL (mid-write,
 * most likely).  Every acknowledged change must be there on reopen. */
static void test_kill9_loses_nothing(void **state)
{
    fx *f = *state;
    wp_db_close(f->db);
    f->db = NULL;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        wp_err err = {0};
        wp_db *db = wp_db_open(f->path, &err);
        for (int i = 0; db && i < 100000; i++) {
            char cmd[128];
            snprintf(cmd, sizeof cmd, "{\"op\":\"group.create\",\"args\":{\"name\":\"k%d\"}}", i);
            json_t *c = json_loads(cmd, 0, NULL);
            bool ok = wp_db_apply(db, c, &err);
            json_decref(c);
            int64_t v = ok ? wp_db_version(db) : -1;
            if (write(fds[1], &v, sizeof v) != sizeof v || !ok)
                break;
        }
        _exit(0);
    }
    close(fds[1]);
    int64_t last = 0, v;
    for (int n = 0; n < 300 && read(fds[0], &v, sizeof v) == sizeof v; n++) {
        assert_true(v > last);
        last = v;
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    assert_true(last >= 300);
    wp_err err = {0};
    f->db = wp_db_open(f->path, &err);
    if (!f->db)
        wp_err_print(&err, stderr);
    assert_non_null(f->db);
    assert_true(wp_db_version(f->db) >= last);
    char name[32];
    snprintf(name, sizeof name, "k%lld", (long long)(last - 1));
    json_t *g = wp_db_group_show(f->db, name, &err);
    assert_non_null(g);
    json_decref(g);
}

/* --- files that are not ours ---------------------------------------------------- */

static void write_file(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void expect_corrupt(const char *path)
{
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    wp_err err = {0};
    wp_db *db = wp_db_open(path, &err);
    if (db) {
        wp_db_close(db);
        fail_msg("%s was opened but should be refused", path);
    }
    assert_int_equal(err.code, WP_E_CORRUPT);
    assert_non_null(strstr(err.what, path));
    assert_true(err.why[0] && err.todo[0]);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_size, after.st_size);
}

static void test_open_refuses(void **state)
{
    fx *f = *state;
    char p[256];
    /* empty */
    snprintf(p, sizeof p, "%s/empty.db", f->dir);
    write_file(p, "", 0);
    expect_corrupt(p);
    /* random bytes (a fixed pattern: no randomness in tests) */
    unsigned char junk[8192];
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < sizeof junk; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        junk[i] = (unsigned char)x;
    }
    snprintf(p, sizeof p, "%s/junk.db", f->dir);
    write_file(p, junk, sizeof junk);
    expect_corrupt(p);
    /* a text file */
    snprintf(p, sizeof p, "%s/text.db", f->dir);
    write_file(p, "hello, world\n", 13);
    expect_corrupt(p);
    /* a foreign SQLite database */
    snprintf(p, sizeof p, "%s/foreign.db", f->dir);
    sqlite3 *raw = NULL;
    assert_int_equal(sqlite3_open(p, &raw), SQLITE_OK);
    sqlite3_exec(raw, "CREATE TABLE meta(key, value); INSERT INTO meta VALUES('a', 'b');", NULL,
                 NULL, NULL);
    sqlite3_close(raw);
    expect_corrupt(p);
    /* a wolfpack database from the future */
    snprintf(p, sizeof p, "%s/future.db", f->dir);
    wp_err err = {0};
    wp_db *db = wp_db_open(p, &err);
    assert_non_null(db);
    wp_db_close(db);
    assert_int_equal(sqlite3_open(p, &raw), SQLITE_OK);
    sqlite3_exec(raw, "UPDATE meta SET value = 99 WHERE key = 'schema_version'", NULL, NULL, NULL);
    sqlite3_close(raw);
    expect_corrupt(p);
    /* a wolfpack database whose schema was tampered with */
    snprintf(p, sizeof p, "%s/tampered.db", f->dir);
    db = wp_db_open(p, &err);
    assert_non_null(db);
    wp_db_close(db);
    assert_int_equal(sqlite3_open(p, &raw), SQLITE_OK);
    sqlite3_exec(raw, "CREATE TRIGGER t AFTER INSERT ON grp BEGIN DELETE FROM node; END;", NULL,
                 NULL, NULL);
    sqlite3_close(raw);
    expect_corrupt(p);
}

static void test_open_truncated(void **state)
{
    fx *f = *state;
    /* grow the database over several pages, then cut it */
    for (int i = 0; i < 60; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd,
                 "{\"op\":\"group.create\",\"args\":{\"name\":\"group-%03d-"
                 "with-a-long-name-to-fill-pages\"}}",
                 i);
        apply_ok(f->db, cmd);
    }
    wp_db_close(f->db);
    f->db = NULL;
    struct stat sb;
    assert_int_equal(stat(f->path, &sb), 0);
    assert_true(sb.st_size >= 3 * 4096);
    char p[256];
    snprintf(p, sizeof p, "%s/cut.db", f->dir);
    int in = open(f->path, O_RDONLY);
    unsigned char *buf = malloc((size_t)sb.st_size);
    assert_int_equal(read(in, buf, (size_t)sb.st_size), sb.st_size);
    close(in);
    write_file(p, buf, 4096 + 100);
    expect_corrupt(p);
    write_file(p, buf, 50);
    expect_corrupt(p);
    /* a page in the middle overwritten */
    memset(buf + 2 * 4096, 0x5a, 4096);
    write_file(p, buf, (size_t)sb.st_size);
    expect_corrupt(p);
    free(buf);
    /* reopening the intact original works */
    wp_err err = {0};
    f->db = wp_db_open(f->path, &err);
    assert_non_null(f->db);
}

static void test_open_bad_path(void **state)
{
    (void)state;
    wp_err err = {0};
    assert_null(wp_db_open("/nonexistent-dir-wp/x/cluster.db", &err));
    assert_int_equal(err.code, WP_E_IO);
    assert_null(wp_db_open("", &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_null(wp_db_open("/tmp", &err));
    assert_int_equal(err.code, WP_E_CORRUPT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_new_db, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_base_status, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_group_show, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_resource_show, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_resource_list_all, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_diamond_order, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_set_and_reset, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_undepend, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_node_remove_strips_owners, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_check_changes_nothing, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refuse_shape, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refuse_wrong_types, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refuse_cluster_and_nodes, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refuse_cluster_create_dup_nodes, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_refuse_groups, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refuse_resources, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refuse_depend, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refuse_undepend_transitive, fx_setup_base,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_batch, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_checksum_same_and_different, fx_setup_base,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_roundtrip, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_damaged, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_reopen, fx_setup_base, fx_teardown),
        cmocka_unit_test_setup_teardown(test_kill9_loses_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_refuses, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_truncated, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_open_bad_path, NULL, NULL),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
