/*
 * test_app_steps.c -- unit tests of the step runner's pure parts
 * (src/app/steps.c): a table's length, the index of a recorded step (none
 * done, a step, one no table knows), the node a step acts on (the state's
 * key, else the running node) and the plan printed from a step on, with a
 * list of nodes joined.  Running the steps against wolfpackd (the state
 * recorded after each, resumed after a kill) is tested by
 * tests/integration/test_app_rollout.sh and test_app_article.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/app/steps.h"

static bool nothing(wp_app_run *run, const wp_app_step *step, wp_err *err)
{
    return true;
}

static const wp_app_step table[] = {
    {.name = "first", .node_key = "target", .action = nothing, .plan = "update %s"},
    {.name = "second", .action = nothing, .plan = "records"},
    {.name = "third", .node_key = "rest", .action = nothing, .plan = "then %s"},
    {.name = NULL},
};

static void test_index(void **state)
{
    assert_int_equal(wp_app_steps_count(table), 3);
    assert_int_equal(wp_app_steps_index(table, NULL), -1);
    assert_int_equal(wp_app_steps_index(table, "first"), 0);
    assert_int_equal(wp_app_steps_index(table, "third"), 2);
    assert_int_equal(wp_app_steps_index(table, "fourth"), -1);
}

static void test_node_and_plan(void **state)
{
    wp_app_cluster c = {0};
    snprintf(c.node, sizeof c.node, "n1");
    json_t *st =
        json_pack("{s:s, s:[s,s], s:s}", "target", "n2", "rest", "n3", "n1", "step", "first");
    wp_app_run run = {.c = &c, .name = "app", .steps = table, .st = st};
    assert_string_equal(wp_app_step_node(&run, &table[0]), "n2");
    assert_string_equal(wp_app_step_node(&run, &table[1]), "n1");
    assert_int_equal(wp_app_steps_done(&run), 0);

    char buf[512] = "";
    FILE *out = fmemopen(buf, sizeof buf, "w");
    wp_app_steps_plan(&run, wp_app_steps_done(&run) + 1, out);
    fclose(out);
    assert_string_equal(buf, "  2. records\n  3. then n3, n1\n");
    json_decref(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_node_and_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
