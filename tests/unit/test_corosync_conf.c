/*
 * test_corosync_conf.c -- unit tests of src/lib/corosync_conf.c: the
 * rendered corosync.conf holds the right nodelist, node ids, token and
 * quorum settings, and bad input is refused with an error and no text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../src/lib/corosync_conf.h"

static const wp_cs_node three[] = {
    {"n1", 1, "198.51.100.11", NULL},
    {"n2", 2, "198.51.100.12", NULL},
    {"n3", 3, "198.51.100.13", NULL},
};

/* Count non-overlapping occurrences of needle in text. */
static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + strlen(needle), needle))
        n++;
    return n;
}

static char *render_ok(const wp_cs_node *nodes, size_t n, unsigned token)
{
    wp_err err = {0};
    wp_cs_timing t = wp_cs_timing_for_token(token);
    char *text = wp_corosync_conf_render("wptc", nodes, n, &t, &err);
    if (text == NULL)
        wp_err_print(&err, stderr);
    assert_non_null(text);
    assert_int_equal(err.code, WP_OK);
    return text;
}

static void test_three_nodes(void **state)
{
    char *text = render_ok(three, 3, 1000);
    assert_non_null(strstr(text, "cluster_name: wptc\n"));
    assert_non_null(strstr(text, "transport: knet\n"));
    assert_non_null(strstr(text, "crypto_cipher: aes256\n"));
    assert_non_null(strstr(text, "crypto_hash: sha256\n"));
    assert_non_null(strstr(text, "provider: corosync_votequorum\n"));
    assert_non_null(strstr(text, "token: 1000\n"));
    assert_non_null(strstr(text, "token_coefficient: 0\n"));
    assert_null(strstr(text, "two_node"));
    assert_null(strstr(text, "knet_ping"));
    assert_non_null(strstr(text, "to_syslog: no\n"));
    assert_non_null(strstr(text, "logfile: /var/log/corosync/corosync.log\n"));
    assert_int_equal(count(text, "    node {\n"), 3);
    assert_non_null(
        strstr(text, "name: n1\n        nodeid: 1\n        ring0_addr: 198.51.100.11\n"));
    assert_non_null(
        strstr(text, "name: n2\n        nodeid: 2\n        ring0_addr: 198.51.100.12\n"));
    assert_non_null(
        strstr(text, "name: n3\n        nodeid: 3\n        ring0_addr: 198.51.100.13\n"));
    /* nodes come in the order given */
    assert_true(strstr(text, "name: n1") < strstr(text, "name: n2"));
    assert_true(strstr(text, "name: n2") < strstr(text, "name: n3"));
    /* braces balance */
    assert_int_equal(count(text, "{"), count(text, "}"));
    free(text);
}

static void test_two_nodes_two_node(void **state)
{
    char *text = render_ok(three, 2, 0);
    assert_non_null(strstr(text, "two_node: 1\n"));
    assert_int_equal(count(text, "    node {\n"), 2);
    free(text);
}

static void test_one_node_no_two_node(void **state)
{
    char *text = render_ok(three, 1, 0);
    assert_null(strstr(text, "two_node"));
    assert_int_equal(count(text, "    node {\n"), 1);
    free(text);
}

static void test_default_token_no_token_lines(void **state)
{
    char *text = render_ok(three, 3, 0);
    assert_null(strstr(text, "token:"));
    assert_null(strstr(text, "token_coefficient"));
    assert_null(strstr(text, "knet_ping"));
    free(text);
}

static void test_small_token_sets_knet_ping(void **state)
{
    char *text = render_ok(three, 3, 300);
    assert_non_null(strstr(text, "token: 300\n"));
    assert_non_null(strstr(text, "token_coefficient: 0\n"));
    assert_non_null(strstr(text, "linknumber: 0\n"));
    assert_non_null(strstr(text, "knet_ping_interval: 100\n"));
    assert_non_null(strstr(text, "knet_ping_timeout: 1000\n"));
    assert_int_equal(count(text, "{"), count(text, "}"));
    free(text);
}

static void test_timing_for_token(void **state)
{
    wp_cs_timing t = wp_cs_timing_for_token(999);
    assert_int_equal(t.token_ms, 999);
    assert_int_equal(t.knet_ping_interval_ms, WP_CS_PING_INTERVAL);
    assert_int_equal(t.knet_ping_timeout_ms, WP_CS_PING_TIMEOUT);
    t = wp_cs_timing_for_token(1000);
    assert_int_equal(t.knet_ping_interval_ms, 0);
    assert_int_equal(t.knet_ping_timeout_ms, 0);
    t = wp_cs_timing_for_token(0);
    assert_int_equal(t.token_ms, 0);
    assert_int_equal(t.knet_ping_interval_ms, 0);
}

static void test_ipv6(void **state)
{
    const wp_cs_node v6[] = {{"a", 1, "2001:db8::1", NULL}, {"b", 2, "2001:db8::2", NULL}};
    char *text = render_ok(v6, 2, 0);
    assert_non_null(strstr(text, "ring0_addr: 2001:db8::2\n"));
    free(text);
}

/* Render must fail with WP_E_INVALID and a message that has all parts. */
static void expect_refused(const char *cluster, const wp_cs_node *nodes, size_t n,
                           const wp_cs_timing *t)
{
    wp_err err = {0};
    char *text = wp_corosync_conf_render(cluster, nodes, n, t, &err);
    assert_null(text);
    assert_int_equal(err.code, WP_E_INVALID);
    assert_true(err.what[0] != '\0');
    assert_true(err.why[0] != '\0');
    assert_true(err.todo[0] != '\0');
}

static void test_bad_cluster_names(void **state)
{
    expect_refused(NULL, three, 3, NULL);
    expect_refused("", three, 3, NULL);
    expect_refused("a b", three, 3, NULL);
    expect_refused("x}\nquorum {", three, 3, NULL);
    expect_refused("a23456789012345678901234567890123", three, 3, NULL); /* 33 bytes */
}

static void test_bad_nodes(void **state)
{
    expect_refused("c", NULL, 0, NULL);
    expect_refused("c", three, 0, NULL);
    const wp_cs_node bad_name[] = {{"n 1", 1, "198.51.100.11", NULL}};
    expect_refused("c", bad_name, 1, NULL);
    const wp_cs_node newline[] = {{"n1\nnodeid: 9", 1, "198.51.100.11", NULL}};
    expect_refused("c", newline, 1, NULL);
    const wp_cs_node no_name[] = {{NULL, 1, "198.51.100.11", NULL}};
    expect_refused("c", no_name, 1, NULL);
    const wp_cs_node id0[] = {{"n1", 0, "198.51.100.11", NULL}};
    expect_refused("c", id0, 1, NULL);
    const wp_cs_node idbig[] = {{"n1", 2147483648u, "198.51.100.11", NULL}};
    expect_refused("c", idbig, 1, NULL);
    const wp_cs_node hostname[] = {{"n1", 1, "node1.example", NULL}};
    expect_refused("c", hostname, 1, NULL);
    const wp_cs_node prefix[] = {{"n1", 1, "198.51.100.11/24", NULL}};
    expect_refused("c", prefix, 1, NULL);
    const wp_cs_node octet[] = {{"n1", 1, "198.51.100.256", NULL}};
    expect_refused("c", octet, 1, NULL);
    const wp_cs_node noaddr[] = {{"n1", 1, NULL, NULL}};
    expect_refused("c", noaddr, 1, NULL);
}

static void test_duplicates_and_families(void **state)
{
    const wp_cs_node dup_name[] = {{"n1", 1, "198.51.100.11", NULL},
                                   {"n1", 2, "198.51.100.12", NULL}};
    expect_refused("c", dup_name, 2, NULL);
    const wp_cs_node dup_id[] = {{"n1", 1, "198.51.100.11", NULL},
                                 {"n2", 1, "198.51.100.12", NULL}};
    expect_refused("c", dup_id, 2, NULL);
    const wp_cs_node dup_addr[] = {{"n1", 1, "198.51.100.11", NULL},
                                   {"n2", 2, "198.51.100.11", NULL}};
    expect_refused("c", dup_addr, 2, NULL);
    const wp_cs_node mixed[] = {{"n1", 1, "198.51.100.11", NULL}, {"n2", 2, "2001:db8::2", NULL}};
    expect_refused("c", mixed, 2, NULL);
}

static void test_bad_timing(void **state)
{
    wp_cs_timing t = {.token_ms = 99};
    expect_refused("c", three, 3, &t);
    t = (wp_cs_timing){.token_ms = WP_CS_TOKEN_MAX + 1};
    expect_refused("c", three, 3, &t);
    t = (wp_cs_timing){.token_ms = 300, .knet_ping_interval_ms = 250};
    expect_refused("c", three, 3, &t);
    t = (wp_cs_timing){.token_ms = 300, .knet_ping_interval_ms = 500, .knet_ping_timeout_ms = 500};
    expect_refused("c", three, 3, &t);
}

static void test_too_many_nodes(void **state)
{
    static wp_cs_node many[WP_CS_MAX_NODES + 1];
    static char names[WP_CS_MAX_NODES + 1][8], addrs[WP_CS_MAX_NODES + 1][24];
    for (unsigned i = 0; i <= WP_CS_MAX_NODES; i++) {
        snprintf(names[i], sizeof(names[i]), "n%u", i + 1);
        snprintf(addrs[i], sizeof(addrs[i]), "198.51.100.%u", i + 1);
        many[i] = (wp_cs_node){names[i], i + 1, addrs[i], NULL};
    }
    char *text = render_ok(many, WP_CS_MAX_NODES, 0);
    assert_int_equal(count(text, "    node {\n"), WP_CS_MAX_NODES);
    free(text);
    expect_refused("c", many, WP_CS_MAX_NODES + 1, NULL);
}

static void test_address_valid(void **state)
{
    wp_err err = {0};
    assert_true(wp_cs_address_valid("203.0.113.5", &err));
    assert_true(wp_cs_address_valid("::1", &err));
    assert_false(wp_cs_address_valid(" 203.0.113.5", &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_false(wp_cs_address_valid("", &err));
}

static char *render_q(const wp_cs_node *nodes, size_t n, const wp_cs_quorum *q, wp_err *err)
{
    wp_cs_timing t = wp_cs_timing_for_token(1000);
    return wp_corosync_conf_render_q("wptc", nodes, n, &t, q, err);
}

/* votequorum options, in the quorum section only when asked */
static void test_quorum_options(void **state)
{
    wp_err err = {0};
    wp_cs_quorum q = {.wait_for_all = true, .last_man_standing = true, .auto_tie_breaker = true};
    char *text = render_q(three, 3, &q, &err);
    assert_non_null(text);
    const char *quorum = strstr(text, "quorum {\n");
    assert_non_null(quorum);
    const char *nodelist = strstr(text, "nodelist {\n");
    const char *w = strstr(text, "    wait_for_all: 1\n");
    assert_true(w && w > quorum && w < nodelist);
    assert_non_null(strstr(text, "    last_man_standing: 1\n"));
    assert_non_null(strstr(text, "    auto_tie_breaker: 1\n"));
    assert_null(strstr(text, "device {"));
    free(text);
    text = render_q(three, 3, NULL, &err); /* none: as before */
    assert_null(strstr(text, "wait_for_all"));
    assert_null(strstr(text, "last_man_standing"));
    assert_null(strstr(text, "auto_tie_breaker"));
    free(text);
}

/* a quorum device replaces two_node in a two-node cluster */
static void test_qdevice(void **state)
{
    wp_err err = {0};
    wp_cs_quorum q = {.qdevice_host = "198.51.100.200"};
    char *text = render_q(three, 2, &q, &err);
    assert_non_null(text);
    assert_null(strstr(text, "two_node"));
    assert_non_null(strstr(text, "    device {\n"
                                 "        model: net\n"
                                 "        votes: 1\n"
                                 "        net {\n"
                                 "            host: 198.51.100.200\n"
                                 "            algorithm: ffsplit\n"
                                 "            tls: on\n"
                                 "        }\n"
                                 "    }\n"));
    free(text);
    q.qdevice_algo = "lms";
    q.qdevice_tls_off = true;
    text = render_q(three, 3, &q, &err);
    assert_non_null(strstr(text, "algorithm: lms\n"));
    assert_non_null(strstr(text, "tls: off\n"));
    free(text);
    /* refused: ATB disables a device; an unknown algorithm; a bad host */
    wp_cs_quorum atb = {.qdevice_host = "qnetd", .auto_tie_breaker = true};
    assert_null(render_q(three, 2, &atb, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_true(err.why[0] && err.todo[0]);
    wp_cs_quorum algo = {.qdevice_host = "qnetd", .qdevice_algo = "2nodelms"};
    assert_null(render_q(three, 2, &algo, &err));
    wp_cs_quorum host = {.qdevice_host = "qnetd\n}\nx {"};
    assert_null(render_q(three, 2, &host, &err));
    assert_int_equal(err.code, WP_E_INVALID);
}

/* a second link: ring1_addr for every node, or refused */
static void test_second_link(void **state)
{
    wp_err err = {0};
    const wp_cs_node two[] = {{"n1", 1, "198.51.100.11", "203.0.113.11"},
                              {"n2", 2, "198.51.100.12", "203.0.113.12"}};
    wp_cs_quorum q = {.qdevice_host = "198.51.100.200"};
    char *text = render_q(two, 2, &q, &err);
    assert_non_null(text);
    assert_non_null(strstr(text, "        ring0_addr: 198.51.100.11\n"
                                 "        ring1_addr: 203.0.113.11\n"
                                 "    }\n"));
    assert_int_equal(count(text, "ring1_addr: "), 2);
    free(text);
    text = render_ok(three, 3, 0);
    assert_int_equal(count(text, "ring1_addr"), 0);
    free(text);
    const wp_cs_node some[] = {{"n1", 1, "198.51.100.11", "203.0.113.11"},
                               {"n2", 2, "198.51.100.12", NULL}};
    assert_null(render_q(some, 2, &q, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    const wp_cs_node same[] = {{"n1", 1, "198.51.100.11", "198.51.100.12"},
                               {"n2", 2, "198.51.100.12", "203.0.113.12"}};
    assert_null(render_q(same, 2, &q, &err));
    const wp_cs_node dup[] = {{"n1", 1, "198.51.100.11", "203.0.113.1"},
                              {"n2", 2, "198.51.100.12", "203.0.113.1"}};
    assert_null(render_q(dup, 2, &q, &err));
    const wp_cs_node fam[] = {{"n1", 1, "198.51.100.11", "2001:db8::1"},
                              {"n2", 2, "198.51.100.12", "203.0.113.12"}};
    assert_null(render_q(fam, 2, &q, &err));
    const wp_cs_node bad[] = {{"n1", 1, "198.51.100.11", "203.0.113.300"},
                              {"n2", 2, "198.51.100.12", "203.0.113.12"}};
    assert_null(render_q(bad, 2, &q, &err));
    assert_int_equal(err.code, WP_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_three_nodes),
        cmocka_unit_test(test_two_nodes_two_node),
        cmocka_unit_test(test_one_node_no_two_node),
        cmocka_unit_test(test_default_token_no_token_lines),
        cmocka_unit_test(test_small_token_sets_knet_ping),
        cmocka_unit_test(test_timing_for_token),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_bad_cluster_names),
        cmocka_unit_test(test_bad_nodes),
        cmocka_unit_test(test_duplicates_and_families),
        cmocka_unit_test(test_bad_timing),
        cmocka_unit_test(test_too_many_nodes),
        cmocka_unit_test(test_address_valid),
        cmocka_unit_test(test_quorum_options),
        cmocka_unit_test(test_qdevice),
        cmocka_unit_test(test_second_link),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
