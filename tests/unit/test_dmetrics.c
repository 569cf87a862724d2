/*
 * test_dmetrics.c -- wolfpackd's lifetime counters (src/daemon/dmetrics.c):
 * histogram buckets (the bounds are upper and inclusive, +Inf catches the
 * rest, the JSON is cumulative), failover timing (from the loss to Online
 * after a failover decision; a loss recovered in place is not a failover;
 * a group that stays Offline is forgotten) and the table's bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "../../src/daemon/dmetrics.h"

static json_int_t bucket(const json_t *hist, size_t i)
{
    return json_integer_value(
        json_array_get(json_array_get(json_object_get(hist, "buckets"), i), 1));
}

static void test_histogram_buckets(void **state)
{
    (void)state;
    wp_dmetrics m;
    wp_dm_init(&m);
    wp_dm_commit(&m, 1);     /* 0.001: the first bucket (le is inclusive) */
    wp_dm_commit(&m, 3);     /* 0.005 */
    wp_dm_commit(&m, 99000); /* beyond every bound: +Inf */
    json_t *j = wp_dm_json(&m);
    const json_t *h = json_object_get(j, "commit_seconds");
    size_t n = json_array_size(json_object_get(h, "buckets"));
    assert_int_equal(n, m.commit_seconds.n_bounds + 1);
    assert_int_equal(bucket(h, 0), 1);
    assert_int_equal(bucket(h, 1), 1); /* 0.0025: cumulative, nothing new */
    assert_int_equal(bucket(h, 2), 2);
    assert_int_equal(bucket(h, n - 2), 2);
    assert_int_equal(bucket(h, n - 1), 3);
    assert_string_equal(
        json_string_value(json_array_get(json_array_get(json_object_get(h, "buckets"), n - 1), 0)),
        "+Inf");
    assert_int_equal(json_integer_value(json_object_get(h, "count")), 3);
    assert_float_equal(json_real_value(json_object_get(h, "sum")), 99.004, 1e-9);
    json_decref(j);
    wp_dm_free(&m);
}

static void test_failover_timed_from_loss(void **state)
{
    (void)state;
    wp_dmetrics m;
    wp_dm_init(&m);
    wp_dm_group_lost(&m, "web", 1000);
    wp_dm_group_lost(&m, "web", 1100); /* the first loss stands */
    wp_dm_failover(&m, "WEB", 1200);   /* names are case-insensitive */
    assert_true(wp_dm_watching(&m, "web"));
    wp_dm_group_online(&m, "web", 1300);
    assert_false(wp_dm_watching(&m, "web"));
    assert_int_equal(m.failovers, 1);
    assert_int_equal(m.failover_seconds.count, 1);
    assert_float_equal(m.failover_seconds.sum, 0.3, 1e-9);
    assert_int_equal(m.failover_seconds.counts[3], 1); /* 0.25 < 0.3 <= 0.5 */
    wp_dm_free(&m);
}

static void test_recovered_in_place_is_no_failover(void **state)
{
    (void)state;
    wp_dmetrics m;
    wp_dm_init(&m);
    wp_dm_group_lost(&m, "db", 0);
    wp_dm_group_online(&m, "db", 500); /* restarted where it was */
    assert_false(wp_dm_watching(&m, "db"));
    assert_int_equal(m.failovers, 0);
    assert_int_equal(m.failover_seconds.count, 0);
    wp_dm_group_online(&m, "unknown", 600); /* nothing watched: nothing happens */
    assert_int_equal(m.failover_seconds.count, 0);
    wp_dm_free(&m);
}

static void test_failover_without_seen_loss_and_forget(void **state)
{
    (void)state;
    wp_dmetrics m;
    wp_dm_init(&m);
    wp_dm_failover(&m, "a", 2000); /* a move this node saw no cause for: timed from now */
    wp_dm_group_online(&m, "a", 2040);
    assert_float_equal(m.failover_seconds.sum, 0.04, 1e-9);
    wp_dm_group_lost(&m, "b", 0);
    wp_dm_group_forget(&m, "b");
    assert_int_equal(wp_dm_watch_count(&m), 0);
    wp_dm_group_online(&m, "b", 10);
    assert_int_equal(m.failover_seconds.count, 1);
    wp_dm_free(&m);
}

static void test_watch_table_is_bounded(void **state)
{
    (void)state;
    wp_dmetrics m;
    char name[32];
    wp_dm_init(&m);
    for (int i = 0; i < WP_DM_MAX_WATCHED + 10; i++) {
        snprintf(name, sizeof name, "g%d", i);
        wp_dm_group_lost(&m, name, i);
    }
    assert_int_equal(wp_dm_watch_count(&m), WP_DM_MAX_WATCHED);
    assert_false(wp_dm_watching(&m, "g0")); /* the oldest gave way */
    assert_true(wp_dm_watching(&m, "g10"));
    wp_dm_free(&m);
}

static void test_json_counters(void **state)
{
    (void)state;
    wp_dmetrics m;
    wp_dm_init(&m);
    m.restarts = 2;
    m.failures = 3;
    m.fence[WP_DM_FENCE_FENCED] = 4;
    json_t *j = wp_dm_json(&m);
    assert_int_equal(json_integer_value(json_object_get(j, "restarts")), 2);
    assert_int_equal(json_integer_value(json_object_get(j, "failures")), 3);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "fencing_events"), "fenced")), 4);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(j, "fencing_events"), "poison")), 0);
    json_decref(j);
    wp_dm_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histogram_buckets),
        cmocka_unit_test(test_failover_timed_from_loss),
        cmocka_unit_test(test_recovered_in_place_is_no_failover),
        cmocka_unit_test(test_failover_without_seen_loss_and_forget),
        cmocka_unit_test(test_watch_table_is_bounded),
        cmocka_unit_test(test_json_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
