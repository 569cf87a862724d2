/*
 * test_netname_cluster.c -- cluster.create {ip}: the Cluster Group of a new
 * cluster holds the cluster's own IP Address and Network Name (issue 5,
 * item 5), created in the same transaction, with Cluster Group's target
 * online; a bad address refuses the whole command and changes nothing;
 * without ip nothing is added and the group stays offline; the request
 * decoder accepts the argument.
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
#include "../../src/lib/proto.h"

typedef struct fx {
    char dir[64];
    char path[128];
    wp_db *db;
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    wp_err err = {0};
    assert_non_null(f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wp-test-nncl-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/cluster.db", f->dir);
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
    char p[200];
    wp_db_close(f->db);
    static const char *const files[] = {"cluster.db", "cluster.db-wal", "cluster.db-shm",
                                        "cluster.db-journal"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static bool apply_text(wp_db *db, const char *text, wp_err *err)
{
    json_t *cmd = json_loads(text, 0, NULL);
    assert_non_null(cmd);
    bool ok = wp_db_apply(db, cmd, err);
    json_decref(cmd);
    return ok;
}

static const char *prop(const json_t *r, const char *key)
{
    return json_string_value(json_object_get(json_object_get(r, "props"), key));
}

static const char *group_target(wp_db *db, json_t **holder)
{
    wp_err err = {0};
    *holder = wp_db_group_show(db, WP_CLUSTER_GROUP, &err);
    assert_non_null(*holder);
    return json_string_value(json_object_get(*holder, "target"));
}

static void test_core_resources(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    assert_true(apply_text(f->db,
                           "{\"op\":\"cluster.create\",\"args\":{\"name\":\"Prod_1\",\"ip\":"
                           "\"198.51.100.5/24\",\"nodes\":[{\"name\":\"n1\",\"address\":"
                           "\"198.51.100.11\",\"id\":1}]}}",
                           &err));
    json_t *ip = wp_db_resource_show(f->db, WP_CLUSTER_IP_RESOURCE, &err);
    json_t *nn = wp_db_resource_show(f->db, WP_CLUSTER_NAME_RESOURCE, &err);
    assert_non_null(ip);
    assert_non_null(nn);
    assert_string_equal(json_string_value(json_object_get(ip, "group")), WP_CLUSTER_GROUP);
    assert_string_equal(json_string_value(json_object_get(ip, "type")), "IP Address");
    assert_string_equal(prop(ip, "address"), "198.51.100.5/24");
    assert_string_equal(json_string_value(json_object_get(nn, "group")), WP_CLUSTER_GROUP);
    assert_string_equal(json_string_value(json_object_get(nn, "type")), "Network Name");
    assert_string_equal(prop(nn, "hostname"), "prod-1"); /* a valid host name */
    const json_t *deps = json_object_get(nn, "depends_on");
    assert_int_equal(json_array_size(deps), 1);
    assert_string_equal(json_string_value(json_array_get(deps, 0)), WP_CLUSTER_IP_RESOURCE);
    json_t *g;
    assert_string_equal(group_target(f->db, &g), "online");
    json_decref(g);
    json_decref(ip);
    json_decref(nn);
}

static void test_bad_ip_changes_nothing(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    assert_false(apply_text(f->db,
                            "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"ip\":"
                            "\"198.51.100.5\"}}",
                            &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_true(err.why[0] != '\0');
    assert_null(wp_db_resource_show(f->db, WP_CLUSTER_IP_RESOURCE, &err));
    /* the cluster was not named either: the same create works afterwards */
    assert_true(apply_text(f->db, "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\"}}", &err));
}

static void test_without_ip(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    assert_true(apply_text(f->db, "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\"}}", &err));
    assert_null(wp_db_resource_show(f->db, WP_CLUSTER_IP_RESOURCE, &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
    assert_null(wp_db_resource_show(f->db, WP_CLUSTER_NAME_RESOURCE, &err));
    json_t *g;
    assert_string_equal(group_target(f->db, &g), "offline");
    json_decref(g);
}

static void test_proto_accepts_ip(void **state)
{
    (void)state;
    static const char ok[] =
        "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"ip\":\"198.51.100.5/24\"}}";
    static const char bad[] = "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"ip\":5}}";
    wp_err err = {0};
    wp_request req;
    assert_true(wp_proto_decode_request((const unsigned char *)ok, strlen(ok), &req, &err));
    assert_string_equal(json_string_value(json_object_get(req.args, "ip")), "198.51.100.5/24");
    wp_request_free(&req);
    assert_false(wp_proto_decode_request((const unsigned char *)bad, strlen(bad), &req, &err));
    assert_true(err.why[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_core_resources, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_ip_changes_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_without_ip, fx_setup, fx_teardown),
        cmocka_unit_test(test_proto_accepts_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
