/*
 * test_corosync_msg.c -- the corosync.write request between wolfpackd and
 * its root executor (src/lib/corosync_msg.c): what one side encodes the
 * other decodes to the same nodes, timers and quorum; a node or a quorum
 * object with a key or a type of its own, or too many nodes, is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/lib/corosync_msg.h"

static const wp_cs_node nodes[] = {
    {.name = "alpha", .nodeid = 1, .address = "198.51.100.1"},
    {.name = "beta", .nodeid = 2, .address = "198.51.100.2", .address2 = "203.0.113.2"},
};

static void test_round_trip(void **state)
{
    (void)state;
    wp_cs_timing t = {.token_ms = 1000, .knet_ping_interval_ms = 100, .knet_ping_timeout_ms = 900};
    wp_cs_quorum q = {.wait_for_all = true,
                      .auto_tie_breaker = false,
                      .last_man_standing = true,
                      .qdevice_host = "198.51.100.9",
                      .qdevice_algo = "lms"};
    json_t *msg = wp_cs_write_encode("wptc", nodes, 2, &t, &q);
    assert_non_null(msg);
    assert_string_equal(json_string_value(json_object_get(msg, "req")), "corosync.write");
    wp_cs_write w;
    wp_err err = {0};
    assert_true(wp_cs_write_decode(msg, &w, &err));
    assert_string_equal(w.cluster, "wptc");
    assert_int_equal(w.n, 2);
    assert_string_equal(w.nodes[0].name, "alpha");
    assert_int_equal(w.nodes[0].nodeid, 1);
    assert_string_equal(w.nodes[0].address, "198.51.100.1");
    assert_null(w.nodes[0].address2);
    assert_string_equal(w.nodes[1].address2, "203.0.113.2");
    assert_int_equal(w.nodes[1].nodeid, 2);
    assert_int_equal(w.timing.token_ms, 1000);
    assert_int_equal(w.timing.knet_ping_interval_ms, 100);
    assert_int_equal(w.timing.knet_ping_timeout_ms, 900);
    assert_true(w.quorum.wait_for_all);
    assert_true(w.quorum.last_man_standing);
    assert_false(w.quorum.auto_tie_breaker);
    assert_false(w.quorum.qdevice_tls_off);
    assert_string_equal(w.quorum.qdevice_host, "198.51.100.9");
    assert_string_equal(w.quorum.qdevice_algo, "lms");
    json_decref(msg);
}

static void test_no_device_goes_as_none(void **state)
{
    (void)state;
    wp_cs_timing t = {0};
    wp_cs_quorum q = {.qdevice_host = ""};
    json_t *msg = wp_cs_write_encode("wptc", nodes, 1, &t, &q);
    wp_cs_write w;
    wp_err err = {0};
    assert_true(wp_cs_write_decode(msg, &w, &err));
    assert_null(w.quorum.qdevice_host);
    assert_null(w.quorum.qdevice_algo);
    assert_int_equal(w.n, 1);
    json_decref(msg);
}

/* Decode msg after set(msg): refused, naming the executor. */
static void expect_refused(const char *key, json_t *value, const char *node_key)
{
    wp_cs_timing t = {0};
    wp_cs_quorum q = {0};
    json_t *msg = wp_cs_write_encode("wptc", nodes, 2, &t, &q);
    json_t *target = node_key ? json_array_get(json_object_get(msg, "nodes"), 1)
                              : json_object_get(msg, "quorum");
    json_object_set_new(target, key, value);
    wp_cs_write w;
    wp_err err = {0};
    assert_false(wp_cs_write_decode(msg, &w, &err));
    assert_non_null(strstr(err.what, "refused corosync.write"));
    json_decref(msg);
}

static void test_refuses_other_shapes(void **state)
{
    (void)state;
    expect_refused("shell", json_string("rm -rf /"), "node");
    expect_refused("address", json_integer(5), "node");
    expect_refused("address2", json_true(), "node");
    expect_refused("name", json_null(), "node");
    expect_refused("wait_for_all", json_string("yes"), NULL);
    expect_refused("qdevice_host", json_integer(1), NULL);
    expect_refused("two_node", json_true(), NULL);
}

static void test_refuses_too_many_nodes(void **state)
{
    (void)state;
    wp_cs_timing t = {0};
    wp_cs_quorum q = {0};
    json_t *msg = wp_cs_write_encode("wptc", nodes, 1, &t, &q);
    json_t *list = json_object_get(msg, "nodes");
    for (int i = 0; i < WP_CS_MAX_NODES; i++)
        json_array_append(list, json_array_get(list, 0));
    wp_cs_write w;
    wp_err err = {0};
    assert_false(wp_cs_write_decode(msg, &w, &err));
    assert_non_null(strstr(err.why, "too many nodes"));
    json_decref(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_no_device_goes_as_none),
        cmocka_unit_test(test_refuses_other_shapes),
        cmocka_unit_test(test_refuses_too_many_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
