/*
 * test_web.c -- the parts of wolfpack-web (src/web) that need no server:
 * the failed-login limiter, the sessions, secret comparison, the HTTP
 * status of each error code, and the Prometheus text made from a status
 * (label escaping, one gauge per state, nodes up from the membership).
 * Linked with src/web's objects but its main (Makefile).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../src/web/web.h"

static wp_limiter *limiter_new(void)
{
    wp_limiter *l = calloc(1, sizeof *l);
    assert_non_null(l);
    wp_limiter_init(l);
    return l;
}

static void test_limit_after_five_failures(void **state)
{
    (void)state;
    wp_limiter *l = limiter_new();
    for (int i = 0; i < WP_WEB_FAIL_MAX - 1; i++)
        wp_limiter_fail(l, "192.0.2.1", "alice");
    assert_int_equal(wp_limiter_wait(l, "192.0.2.1", "alice"), 0);
    wp_limiter_fail(l, "192.0.2.1", "alice");
    int wait = wp_limiter_wait(l, "192.0.2.1", "alice");
    assert_true(wait > 0 && wait <= WP_WEB_FAIL_WINDOW);
    /* the address is blocked for every user, the user from every address */
    assert_true(wp_limiter_wait(l, "192.0.2.1", "bob") > 0);
    assert_true(wp_limiter_wait(l, "192.0.2.2", "alice") > 0);
    /* others are not */
    assert_int_equal(wp_limiter_wait(l, "192.0.2.2", "bob"), 0);
    wp_limiter_destroy(l);
    free(l);
}

static void test_limit_table_is_bounded(void **state)
{
    (void)state;
    wp_limiter *l = limiter_new();
    char addr[32];
    /* more keys than slots: no crash, the newest are still counted */
    for (int i = 0; i < 3 * WP_WEB_LIMIT_SLOTS; i++) {
        snprintf(addr, sizeof addr, "10.0.%d.%d", i / 256, i % 256);
        wp_limiter_fail(l, addr, "x");
    }
    for (int i = 0; i < WP_WEB_FAIL_MAX; i++)
        wp_limiter_fail(l, "198.51.100.7", "newest");
    assert_true(wp_limiter_wait(l, "198.51.100.7", "someone") > 0);
    wp_limiter_destroy(l);
    free(l);
}

static void test_sessions(void **state)
{
    (void)state;
    wp_sessions *s = calloc(1, sizeof *s);
    wp_session a, b, got;
    wp_err err = {0};
    assert_non_null(s);
    wp_sessions_init(s, 600);
    assert_true(wp_session_new(s, "alice", WP_WEB_ROLE_ADMIN, &a, &err));
    assert_true(wp_session_new(s, "bob", WP_WEB_ROLE_READ, &b, &err));
    assert_int_equal(strlen(a.id), 64);
    assert_int_equal(strlen(a.csrf), 64);
    assert_string_not_equal(a.id, b.id);
    assert_string_not_equal(a.id, a.csrf);
    assert_true(wp_session_get(s, a.id, true, &got));
    assert_string_equal(got.user, "alice");
    assert_int_equal(got.role, WP_WEB_ROLE_ADMIN);
    assert_string_equal(got.csrf, a.csrf);
    assert_false(wp_session_get(s, a.csrf, true, &got)); /* the token is no session id */
    assert_false(wp_session_get(s, NULL, true, &got));
    assert_false(wp_session_get(s, "", true, &got));
    wp_session_end(s, a.id);
    assert_false(wp_session_get(s, a.id, true, &got));
    assert_true(wp_session_get(s, b.id, true, &got));
    wp_sessions_destroy(s);
    free(s);
}

static void test_session_idle_ends_it(void **state)
{
    (void)state;
    wp_sessions *s = calloc(1, sizeof *s);
    wp_session a, got;
    wp_err err = {0};
    assert_non_null(s);
    wp_sessions_init(s, 0); /* any time without a request is too long */
    assert_true(wp_session_new(s, "alice", WP_WEB_ROLE_ADMIN, &a, &err));
    usleep(5000);
    assert_false(wp_session_get(s, a.id, true, &got));
    wp_sessions_destroy(s);
    free(s);
}

static void test_sessions_bounded(void **state)
{
    (void)state;
    wp_sessions *s = calloc(1, sizeof *s);
    wp_session first, x, got;
    wp_err err = {0};
    assert_non_null(s);
    wp_sessions_init(s, 600);
    assert_true(wp_session_new(s, "first", WP_WEB_ROLE_READ, &first, &err));
    for (int i = 0; i < WP_WEB_SESSIONS_MAX; i++)
        assert_true(wp_session_new(s, "many", WP_WEB_ROLE_READ, &x, &err));
    /* the least recently used went; the newest is there */
    assert_false(wp_session_get(s, first.id, true, &got));
    assert_true(wp_session_get(s, x.id, true, &got));
    wp_sessions_destroy(s);
    free(s);
}

static void test_secret_equal(void **state)
{
    (void)state;
    assert_true(wp_secret_equal("abc", "abc"));
    assert_false(wp_secret_equal("abc", "abd"));
    assert_false(wp_secret_equal("abc", "abcd"));
    assert_false(wp_secret_equal("", "a"));
}

static void test_http_status(void **state)
{
    (void)state;
    assert_int_equal(wp_web_http_status(WP_E_INVALID), 400);
    assert_int_equal(wp_web_http_status(WP_E_PROTO), 400);
    assert_int_equal(wp_web_http_status(WP_E_PERM), 403);
    assert_int_equal(wp_web_http_status(WP_E_NOTFOUND), 404);
    assert_int_equal(wp_web_http_status(WP_E_CONFLICT), 409);
    assert_int_equal(wp_web_http_status(WP_E_EXISTS), 409);
    assert_int_equal(wp_web_http_status(WP_E_NOQUORUM), 503);
    assert_int_equal(wp_web_http_status(WP_E_UNAVAILABLE), 503);
    assert_int_equal(wp_web_http_status(WP_E_INTERNAL), 500);
}

static void test_metrics_text(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *st = json_loads(
        "{\"quorate\": true, \"ready\": true, \"version\": 42, \"maintenance\": false,"
        " \"members\": [1, 3],"
        " \"nodes\": [{\"id\": 1, \"name\": \"n1\", \"paused\": false, \"drained\": false},"
        "            {\"id\": 2, \"name\": \"n2\", \"paused\": true, \"drained\": false},"
        "            {\"id\": 3, \"name\": \"n3\", \"paused\": false, \"drained\": true}],"
        " \"groups\": [{\"name\": \"we\\\"ird\\\\g\", \"state\": \"Failed\", \"owner\": \"n1\","
        "             \"failovers\": [1, 2]},"
        "            {\"name\": \"web\", \"state\": \"Online\", \"owner\": \"n3\", \"failovers\": "
        "[]}],"
        " \"resources\": [{\"name\": \"ip\", \"group\": \"web\", \"state\": \"Online\","
        "                \"restarts\": [5]}],"
        " \"fencing\": {\"enabled\": true, \"down\": {\"n2\": 1}, \"fencing\": {},"
        "             \"poison\": {}, \"watchdog\": {}}}",
        0, &jerr);
    assert_non_null(st);
    char *text = wp_web_metrics_text(st);
    assert_non_null(text);
    static const char *const want[] = {
        "wolfpack_up 1\n",
        "wolfpack_quorate 1\n",
        "wolfpack_database_version 42\n",
        "wolfpack_nodes 3\n",
        "wolfpack_nodes_up 2\n",
        "wolfpack_node_up{node=\"n2\"} 0\n",
        "wolfpack_node_paused{node=\"n2\"} 1\n",
        "wolfpack_node_drained{node=\"n3\"} 1\n",
        "wolfpack_groups_online 1\n",
        "wolfpack_group_state{group=\"we\\\"ird\\\\g\",state=\"Failed\"} 1\n",
        "wolfpack_group_state{group=\"we\\\"ird\\\\g\",state=\"Online\"} 0\n",
        "wolfpack_group_state{group=\"web\",state=\"Online\"} 1\n",
        "wolfpack_group_owner{group=\"web\",node=\"n3\"} 1\n",
        "wolfpack_group_recent_failovers{group=\"we\\\"ird\\\\g\"} 2\n",
        "wolfpack_resource_state{resource=\"ip\",group=\"web\",state=\"Online\"} 1\n",
        "wolfpack_resource_recent_restarts{resource=\"ip\"} 1\n",
        "wolfpack_fencing_nodes{phase=\"down\"} 1\n",
        "# TYPE wolfpack_group_state gauge\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (!strstr(text, want[i]))
            fail_msg("metrics lack %s\n%s", want[i], text);
    }
    free(text);
    json_decref(st);
    text = wp_web_metrics_text(NULL); /* wolfpackd did not answer */
    assert_non_null(text);
    assert_string_equal(text, "# HELP wolfpack_up Whether this node's wolfpackd answered.\n"
                              "# TYPE wolfpack_up gauge\nwolfpack_up 0\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_after_five_failures),
        cmocka_unit_test(test_limit_table_is_bounded),
        cmocka_unit_test(test_sessions),
        cmocka_unit_test(test_session_idle_ends_it),
        cmocka_unit_test(test_sessions_bounded),
        cmocka_unit_test(test_secret_equal),
        cmocka_unit_test(test_http_status),
        cmocka_unit_test(test_metrics_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
