/*
 * test_sched.c -- unit tests of the scheduler (src/sched/).
 *
 * The fixtures in tests/sched/ (run by tests/run-sched) pin the scheduler's
 * exact output for one case each; these tests cover what fixtures cannot:
 *   - the parser's refusals: every malformed input gets WP_E_INVALID with
 *     what, why and to do, never a crash (also under mutation of every
 *     value of a valid input into every JSON type);
 *   - properties over every fixture: the output does not depend on the
 *     order of the input, and after the actions are applied a second run
 *     has nothing to do (the scheduler converges);
 *   - boundaries: failback windows that wrap midnight, restart and failover
 *     thresholds at their edges and the edges of their periods.
 * JSON in this file is written with single quotes for readability; tiny()
 * turns them into double quotes.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/sched/sched.h"

#define FIXTURES "tests/sched"

/* Parse JSON written with single quotes. */
static json_t *tiny(const char *text)
{
    char *s = strdup(text);
    json_error_t jerr;
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_t *j = json_loads(s, 0, &jerr);
    if (!j)
        fail_msg("test JSON does not parse: %s: %s", jerr.text, s);
    free(s);
    return j;
}

static void assert_full_error(const wp_err *e)
{
    assert_int_equal(e->code, WP_E_INVALID);
    assert_true(e->what[0] != '\0');
    assert_true(e->why[0] != '\0');
    assert_true(e->todo[0] != '\0');
}

/* Parse and run; returns the output JSON (NULL if refused, err filled). */
static json_t *schedule(const json_t *input, wp_err *err)
{
    wp_sched_input *in = wp_sched_input_parse(input, err);
    wp_sched_output out = {0};
    json_t *res;
    if (!in)
        return NULL;
    if (!wp_sched_run(in, &out, err)) {
        wp_sched_input_free(in);
        return NULL;
    }
    res = wp_sched_output_json(in, &out);
    wp_sched_output_free(&out);
    wp_sched_input_free(in);
    return res;
}

/* ---- parser refusals ---------------------------------------------------- */

#define NODES                                                                                      \
    "'nodes': [{'name': 'n1', 'id': 1, 'state': 'up'}, {'name': 'n2', 'id': 2, 'state': 'up'}]"
#define GROUP "{'name': 'g', 'owner': 'n1'}"
#define RES(name, deps)                                                                            \
    "{'name': '" name "', 'group': 'g', 'type': 'ip', 'state': 'Offline', 'depends_on': " deps "}"

static void test_parse_refusals(void **state)
{
    static const struct {
        const char *json;
        const char *needle; /* in what or why */
    } bad[] = {
        {"[]", "not a JSON object"},
        {"{" NODES ", 'groups': [], 'resources': []}", "\"now\" is missing"},
        {"{'now': 'x', " NODES ", 'groups': [], 'resources': []}", "not an integer"},
        {"{'now': 1, 'groups': [], 'resources': []}", "\"nodes\" is missing"},
        {"{'now': 1, 'extra': 1, " NODES ", 'groups': [], 'resources': []}",
         "\"extra\" is unknown"},
        {"{'now': 1, 'tz_offset': 999999, " NODES ", 'groups': [], 'resources': []}", "tz_offset"},
        {"{'now': 1, 'nodes': [{'name': 'n1', 'id': 1, 'state': 'up'}, {'name': 'n1', 'id': 2, "
         "'state': 'up'}], 'groups': [], 'resources': []}",
         "two nodes have this name"},
        {"{'now': 1, 'nodes': [{'name': 'n1', 'id': 1, 'state': 'up'}, {'name': 'n2', 'id': 1, "
         "'state': 'up'}], 'groups': [], 'resources': []}",
         "two nodes have this id"},
        {"{'now': 1, 'nodes': [{'name': 'n1', 'id': 0, 'state': 'up'}], 'groups': [], "
         "'resources': []}",
         "outside 1..2147483647"},
        {"{'now': 1, 'nodes': [{'name': 'n1', 'id': 1, 'state': 'sleepy'}], 'groups': [], "
         "'resources': []}",
         "\"state\" is not a known value"},
        {"{'now': 1, 'nodes': [{'name': 'bad name!', 'id': 1, 'state': 'up'}], 'groups': [], "
         "'resources': []}",
         "nodes[0]"},
        {"{'now': 1, " NODES ", 'groups': [{'name': 'g', 'owner': 'n9'}], 'resources': []}",
         "node \"n9\", which is not in \"nodes\""},
        {"{'now': 1, " NODES ", 'groups': [" GROUP ", " GROUP "], 'resources': []}",
         "two groups have this name"},
        {"{'now': 1, " NODES ", 'groups': [{'name': 'g', 'policy': {'colour': 'red'}}], "
         "'resources': []}",
         "\"colour\" is not a policy"},
        {"{'now': 1, " NODES ", 'groups': [{'name': 'g', 'policy': {'failback': 'sometimes'}}], "
         "'resources': []}",
         "failback"},
        {"{'now': 1, " NODES ", 'groups': [{'name': 'g', 'policy': {'failback': 'window'}}], "
         "'resources': []}",
         "failback_window is empty"},
        {"{'now': 1, " NODES ", 'groups': [{'name': 'g', 'policy': {'preferred_owners': "
         "'n1,n7'}}], 'resources': []}",
         "node \"n7\""},
        {"{'now': 1, " NODES ", 'groups': [{'name': 'g', 'policy': {'failover_period': true}}], "
         "'resources': []}",
         "not a string or a number"},
        {"{'now': 1, " NODES ", 'groups': [{'name': 'g', 'failovers': [1, 'x']}], 'resources': []}",
         "\"failovers\" is not an array of whole numbers"},
        {"{'now': 1, " NODES ", 'groups': [{'name': 'g', 'move_to': 5}], 'resources': []}",
         "not a node name or null"},
        {"{'now': 1, " NODES ", 'groups': [" GROUP "], 'resources': [{'name': 'r', 'group': "
         "'h', 'type': 'ip', 'state': 'Offline'}]}",
         "\"group\" is not in \"groups\""},
        {"{'now': 1, " NODES ", 'groups': [" GROUP "], 'resources': [{'name': 'r', 'group': "
         "'g', 'type': 'toaster', 'state': 'Offline'}]}",
         "resource \"r\""},
        {"{'now': 1, " NODES ", 'groups': [" GROUP "], 'resources': [{'name': 'r', 'group': "
         "'g', 'type': 'ip', 'class': 'storage', 'state': 'Offline'}]}",
         "\"class\" does not match"},
        {"{'now': 1, " NODES ", 'groups': [" GROUP "], 'resources': [{'name': 'r', 'group': "
         "'g', 'type': 'ip', 'state': 'Online'}]}",
         "has no \"node\""},
        {"{'now': 1, " NODES ", 'groups': [" GROUP "], 'resources': [{'name': 'r', 'group': "
         "'g', 'type': 'ip', 'state': 'online'}]}",
         "\"state\" is not a known value"},
        {"{'now': 1, " NODES ", 'groups': [" GROUP "], 'resources': [{'name': 'r', 'group': "
         "'g', 'type': 'ip', 'state': 'Offline', 'policy': {'restart_threshold': '-1'}}]}",
         "restart_threshold"},
        {"{'now': 1, " NODES ", 'groups': [" GROUP
         "], 'resources': [" RES("r", "[]") ", " RES("r", "[]") "]}",
         "two resources have this name"},
        {"{'now': 1, " NODES ", 'groups': [" GROUP "], 'resources': [" RES("r", "['r']") "]}",
         "depends on itself"},
        {"{'now': 1, " NODES ", 'groups': [" GROUP "], 'resources': [" RES("r", "['q']") "]}",
         "not in \"resources\""},
        {"{'now': 1, " NODES ", 'groups': [" GROUP
         "], 'resources': [" RES("r", "['s', 's']") ", " RES("s", "[]") "]}",
         "twice"},
        {"{'now': 1, " NODES ", 'groups': [" GROUP
         "], 'resources': [" RES("a", "['c']") ", " RES("b", "['a']") ", " RES("c", "['b']") "]}",
         "form a cycle"},
        {"{'now': 1, " NODES ", 'groups': [" GROUP ", {'name': 'h'}], 'resources': [" RES(
             "a", "['x']") ", {'name': 'x', 'group': 'h', 'type': 'ip', 'state': 'Offline'}]}",
         "another group"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *j = tiny(bad[i].json);
        wp_err err = {0};
        wp_sched_input *in = wp_sched_input_parse(j, &err);
        if (in)
            fail_msg("case %zu was accepted: %s", i, bad[i].json);
        assert_full_error(&err);
        if (!strstr(err.what, bad[i].needle) && !strstr(err.why, bad[i].needle))
            fail_msg("case %zu: \"%s\" not in error: %s / %s", i, bad[i].needle, err.what, err.why);
        json_decref(j);
    }
}

/* ---- robustness: every value replaced by every JSON type ---------------- */

static const char *const SAMPLE =
    "{'now': 1700000000, 'tz_offset': 3600,"
    " 'nodes': [{'name': 'n1', 'id': 1, 'state': 'down', 'paused': false, 'drained': false},"
    "           {'name': 'n2', 'id': 2, 'state': 'up', 'paused': true}],"
    " 'groups': [{'name': 'g', 'policy': {'preferred_owners': 'n1,n2', 'failback': 'window',"
    "             'failback_window': '22-04', 'failover_threshold': 'auto'},"
    "             'owner': 'n1', 'target': 'online', 'move_to': '@best', 'failovers': [1]}],"
    " 'resources': [{'name': 'a', 'group': 'g', 'type': 'ip', 'class': 'network-address',"
    "                'state': 'Online Pending', 'node': 'n2', 'pending_since': 1, 'restarts': [1],"
    "                'target': 'online', 'policy': {'restart_action': 'none'}},"
    "               {'name': 'b', 'group': 'g', 'type': 'netname', 'depends_on': ['a'],"
    "                'state': 'Failed', 'node': 'n2'}]}";

static int mutations_refused;

/* Replace each value found below `node` with each kind of wrong value, and
 * check that parse + run either refuse with a full error or succeed. */
static void mutate_all(json_t *root, json_t *node)
{
    json_t *kinds[] = {json_null(),  json_integer(-7), json_string("x"),
                       json_array(), json_object(),    json_true()};
    size_t nkinds = sizeof kinds / sizeof kinds[0];
    if (json_is_object(node)) {
        const char *key;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(node, tmp, key, v)
        {
            json_t *saved = json_incref(v);
            for (size_t k = 0; k < nkinds; k++) {
                wp_err err = {0};
                json_object_set(node, key, kinds[k]);
                json_t *res = schedule(root, &err);
                if (!res) {
                    assert_full_error(&err);
                    mutations_refused++;
                }
                json_decref(res);
            }
            json_object_set(node, key, saved);
            mutate_all(root, saved);
            json_decref(saved);
        }
    } else if (json_is_array(node)) {
        for (size_t i = 0; i < json_array_size(node); i++) {
            json_t *saved = json_incref(json_array_get(node, i));
            for (size_t k = 0; k < nkinds; k++) {
                wp_err err = {0};
                json_array_set(node, i, kinds[k]);
                json_t *res = schedule(root, &err);
                if (!res) {
                    assert_full_error(&err);
                    mutations_refused++;
                }
                json_decref(res);
            }
            json_array_set(node, i, saved);
            mutate_all(root, saved);
            json_decref(saved);
        }
    }
    for (size_t k = 0; k < nkinds; k++)
        json_decref(kinds[k]);
}

static void test_mutations_never_crash(void **state)
{
    json_t *j = tiny(SAMPLE);
    wp_err err = {0};
    json_t *res = schedule(j, &err);
    (void)state;
    if (!res)
        fail_msg("the sample input is refused: %s: %s", err.what, err.why);
    json_decref(res);
    mutations_refused = 0;
    mutate_all(j, j);
    assert_true(mutations_refused > 100); /* most wrong types are refused */
    json_decref(j);
}

/* ---- hand-built structs are checked ------------------------------------- */

static void test_run_checks_struct(void **state)
{
    json_t *j = tiny(SAMPLE);
    wp_err err = {0};
    wp_sched_input *in = wp_sched_input_parse(j, &err);
    wp_sched_output out = {0};
    (void)state;
    assert_non_null(in);
    in->groups[0].owner = 7; /* not a node index */
    assert_false(wp_sched_run(in, &out, &err));
    assert_full_error(&err);
    wp_sched_output_free(&out);
    wp_sched_input_free(in);
    json_decref(j);
}

/* ---- properties over every fixture --------------------------------------- */

/* Load every tests/sched/<case>/input.json; calls fn(name, json). */
static size_t for_each_fixture(void (*fn)(const char *, json_t *))
{
    DIR *dir = opendir(FIXTURES);
    struct dirent *de;
    size_t n = 0;
    if (!dir)
        fail_msg("cannot open %s: run the unit tests from the repository root", FIXTURES);
    while ((de = readdir(dir))) {
        char path[512];
        json_error_t jerr;
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s/input.json", FIXTURES, de->d_name);
        json_t *j = json_load_file(path, 0, &jerr);
        if (!j)
            continue;
        fn(de->d_name, j);
        json_decref(j);
        n++;
    }
    closedir(dir);
    return n;
}

/* Reverse every array of the input (nodes, groups, resources, lists). */
static void reverse_arrays(json_t *node)
{
    if (json_is_array(node)) {
        size_t n = json_array_size(node);
        json_t *copy = json_copy(node);
        for (size_t i = 0; i < n; i++)
            json_array_set(node, i, json_array_get(copy, n - 1 - i));
        json_decref(copy);
        for (size_t i = 0; i < n; i++)
            reverse_arrays(json_array_get(node, i));
    } else if (json_is_object(node)) {
        const char *key;
        json_t *v;
        json_object_foreach(node, key, v)
        {
            if (strcmp(key, "preferred_owners") != 0) /* order is meaning there */
                reverse_arrays(v);
        }
    }
}

static void order_independent(const char *name, json_t *input)
{
    wp_err err = {0};
    json_t *a = schedule(input, &err), *b, *shuffled = json_deep_copy(input);
    if (!a)
        fail_msg("fixture %s refused: %s", name, err.what);
    reverse_arrays(shuffled);
    b = schedule(shuffled, &err);
    if (!b)
        fail_msg("fixture %s reversed refused: %s", name, err.what);
    if (!json_equal(a, b))
        fail_msg("fixture %s: output depends on the input order", name);
    json_decref(a);
    json_decref(b);
    json_decref(shuffled);
}

static void test_order_independent(void **state)
{
    (void)state;
    assert_true(for_each_fixture(order_independent) >= 20);
}

static void append_time(int64_t **times, size_t *n, int64_t t)
{
    *times = realloc(*times, (*n + 1) * sizeof **times);
    assert_non_null(*times);
    (*times)[(*n)++] = t;
}

/* Do what the executor and the coordinator do with the output (docs/
 * SCHEDULER.md "After a run"). */
static void apply_output(wp_sched_input *in, const wp_sched_output *out)
{
    for (size_t i = 0; i < out->n_actions; i++) {
        const wp_sched_action *a = &out->actions[i];
        wp_sched_resource *r = &in->resources[a->resource];
        r->state = a->verb == WP_ACT_STOP ? WP_RS_OFFLINE : WP_RS_ONLINE;
        r->node = a->node;
        if (a->verb == WP_ACT_RESTART)
            append_time(&r->restarts, &r->n_restarts, in->now);
    }
    for (size_t i = 0; i < out->n_decisions; i++) {
        const wp_sched_decision *d = &out->decisions[i];
        wp_sched_group *g = &in->groups[d->group];
        if (d->failover)
            append_time(&g->failovers, &g->n_failovers, in->now);
        if (d->owner_after != d->owner_before)
            for (size_t k = 0; k < g->n_order; k++)
                in->resources[g->order[k]].n_restarts = 0;
        g->owner = d->owner_after;
        g->move_to = WP_SCHED_MOVE_NONE;
    }
}

static void converges(const char *name, json_t *input)
{
    wp_err err = {0};
    wp_sched_input *in = wp_sched_input_parse(input, &err);
    wp_sched_output out = {0}, again = {0};
    if (!in)
        fail_msg("fixture %s refused: %s", name, err.what);
    assert_true(wp_sched_run(in, &out, &err));
    apply_output(in, &out);
    assert_true(wp_sched_run(in, &again, &err));
    if (again.n_actions != 0)
        fail_msg("fixture %s: a second run still has %zu actions (first: %s %s)", name,
                 again.n_actions, wp_sched_verb_name(again.actions[0].verb),
                 in->resources[again.actions[0].resource].name);
    wp_sched_output_free(&out);
    wp_sched_output_free(&again);
    wp_sched_input_free(in);
}

static void test_converges(void **state)
{
    (void)state;
    assert_true(for_each_fixture(converges) >= 20);
}

/* ---- boundaries ----------------------------------------------------------- */

/* One group "g" owned by n2 with resource "r" Online there; policy and
 * runtime parts filled in by the caller. */
static json_t *one_group(int64_t now, const char *group_policy, const char *failovers,
                         const char *res_state, const char *res_policy, const char *restarts)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{'now': %lld, 'nodes': [{'name': 'n1', 'id': 1, 'state': 'up'},"
             " {'name': 'n2', 'id': 2, 'state': 'up'}, {'name': 'n3', 'id': 3, 'state': 'up'}],"
             " 'groups': [{'name': 'g', 'owner': 'n2', 'policy': {%s}, 'failovers': [%s]}],"
             " 'resources': [{'name': 'r', 'group': 'g', 'type': 'ip', 'state': '%s',"
             " 'node': 'n2', 'policy': {%s}, 'restarts': [%s]}]}",
             (long long)now, group_policy, failovers, res_state, res_policy, restarts);
    return tiny(buf);
}

/* The group's decision: owner_after and state. */
static void expect(json_t *input, const char *owner_after, const char *state_name,
                   const char *first_action)
{
    wp_err err = {0};
    json_t *res = schedule(input, &err);
    if (!res)
        fail_msg("refused: %s: %s", err.what, err.why);
    json_t *d = json_array_get(json_object_get(res, "groups"), 0);
    json_t *a = json_array_get(json_object_get(res, "actions"), 0);
    const char *reason = json_string_value(json_object_get(d, "reason"));
    if (strcmp(json_string_value(json_object_get(d, "owner_after")), owner_after) != 0 ||
        strcmp(json_string_value(json_object_get(d, "state")), state_name) != 0)
        fail_msg("expected %s/%s, got %s/%s (%s)", owner_after, state_name,
                 json_string_value(json_object_get(d, "owner_after")),
                 json_string_value(json_object_get(d, "state")), reason);
    if (first_action)
        assert_string_equal(json_string_value(json_object_get(a, "action")), first_action);
    else
        assert_null(a);
    json_decref(res);
    json_decref(input);
}

static void test_failback_window_wraps(void **state)
{
    static const struct {
        int hour;
        bool back;
    } cases[] = {{21, false}, {22, true}, {23, true}, {0, true},
                 {3, true},   {4, false}, {12, false}};
    const char *policy =
        "'preferred_owners': 'n1', 'failback': 'window', 'failback_window': '22-04'";
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t now = 1699920000 + cases[i].hour * 3600 + 59 * 60; /* a UTC midnight + h:59 */
        expect(one_group(now, policy, "", "Online", "", ""), cases[i].back ? "n1" : "n2", "Online",
               cases[i].back ? "stop" : NULL);
    }
}

static void test_restart_threshold_edges(void **state)
{
    const int64_t now = 1700000000;
    char restarts[64];
    (void)state;
    /* 2 restarts in the period, threshold 3: restart */
    snprintf(restarts, sizeof restarts, "%lld, %lld", (long long)(now - 10),
             (long long)(now - 899));
    expect(one_group(now, "", "", "Failed", "", restarts), "n2", "Online", "restart");
    /* a third one inside the period: fail over to n1 (lowest id) */
    snprintf(restarts, sizeof restarts, "%lld, %lld, %lld", (long long)(now - 10),
             (long long)(now - 20), (long long)(now - 899));
    expect(one_group(now, "", "", "Failed", "", restarts), "n1", "Online", "stop");
    /* the oldest exactly one period ago no longer counts: restart */
    snprintf(restarts, sizeof restarts, "%lld, %lld, %lld", (long long)(now - 10),
             (long long)(now - 20), (long long)(now - 900));
    expect(one_group(now, "", "", "Failed", "", restarts), "n2", "Online", "restart");
    /* threshold 0 with failover: fail over at the first failure */
    expect(one_group(now, "", "", "Failed", "'restart_threshold': '0'", ""), "n1", "Online",
           "stop");
    /* threshold 0 with restart: left failed */
    expect(
        one_group(now, "", "", "Failed", "'restart_threshold': 0, 'restart_action': 'restart'", ""),
        "n2", "Failed", NULL);
}

static void test_failover_threshold_edges(void **state)
{
    const int64_t now = 1700000000;
    const char *fail = "'restart_threshold': '0'";
    char hist[64];
    (void)state;
    /* threshold 1, one failover inside the period: left failed */
    snprintf(hist, sizeof hist, "%lld", (long long)(now - 21599));
    expect(one_group(now, "'failover_threshold': '1'", hist, "Failed", fail, ""), "n2", "Failed",
           NULL);
    /* ... just outside the period: fails over */
    snprintf(hist, sizeof hist, "%lld", (long long)(now - 21600));
    expect(one_group(now, "'failover_threshold': '1'", hist, "Failed", fail, ""), "n1", "Online",
           "stop");
    /* auto with 3 nodes is 2: one failover so far still moves */
    snprintf(hist, sizeof hist, "%lld", (long long)(now - 60));
    expect(one_group(now, "", hist, "Failed", fail, ""), "n1", "Online", "stop");
    /* threshold 0: never fails over */
    expect(one_group(now, "'failover_threshold': '0'", "", "Failed", fail, ""), "n2", "Failed",
           NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_refusals),
        cmocka_unit_test(test_mutations_never_crash),
        cmocka_unit_test(test_run_checks_struct),
        cmocka_unit_test(test_order_independent),
        cmocka_unit_test(test_converges),
        cmocka_unit_test(test_failback_window_wraps),
        cmocka_unit_test(test_restart_threshold_edges),
        cmocka_unit_test(test_failover_threshold_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
