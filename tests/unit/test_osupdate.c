/*
 * test_osupdate.c -- unit tests of the dpkg log reading of `wolfpack
 * cluster update` (src/app/osupdate_task.c: wp_osupdate_dpkg_changes): the
 * install, upgrade and remove lines at or after the run's start, a package
 * changed twice as one change, the architecture cut off, status/configure/
 * startup lines and damaged lines ignored; what `status` shows of a run
 * (osupdate_view.c: the node, its step, done / left / failed, running or
 * stopped by the lock and the runner's membership, the last run's
 * counts).  The run itself is tested by tests/integration/test_os_update.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/app/osupdate.h"
#include "../../src/lib/json.h"

static const char log_text[] = "2026-12-07 10:00:00 install old:all <none> 0.9\n"
                               "2026-12-07 10:05:00 startup archives unpack\n"
                               "2026-12-07 10:05:00 upgrade wptest:all 1.0 1.1\n"
                               "2026-12-07 10:05:00 status half-configured wptest:all 1.0\n"
                               "2026-12-07 10:05:01 configure wptest:all 1.1 <none>\n"
                               "2026-12-07 10:05:01 status installed wptest:all 1.1\n"
                               "2026-12-07 10:05:02 install newpkg:amd64 <none> 2.0\n"
                               "2026-12-07 10:05:03 upgrade wptest:all 1.1 1.2\n"
                               "garbage line\n"
                               "2026-12-07 10:05:04 remove gone:all 3.0 <none>\n"
                               "2026-12-07 10:05:05 upgrade short\n";

static const json_t *find(const json_t *changes, const char *package)
{
    size_t i;
    json_t *x;
    json_array_foreach(changes, i, x) if (strcmp(wp_json_str(x, "package"), package) == 0) return x;
    return NULL;
}

static void test_changes_since(void **state)
{
    json_t *c = wp_osupdate_dpkg_changes(log_text, "2026-12-07 10:05:00");
    assert_int_equal(json_array_size(c), 3);
    assert_null(find(c, "old")); /* before the start */
    const json_t *w = find(c, "wptest");
    assert_non_null(w);
    assert_string_equal(wp_json_str(w, "from"), "1.0"); /* the first from, the last to */
    assert_string_equal(wp_json_str(w, "to"), "1.2");
    assert_string_equal(wp_json_str(find(c, "newpkg"), "from"), "<none>");
    assert_string_equal(wp_json_str(find(c, "newpkg"), "to"), "2.0");
    assert_string_equal(wp_json_str(find(c, "gone"), "to"), "<none>");
    json_decref(c);
}

static void test_nothing(void **state)
{
    json_t *c = wp_osupdate_dpkg_changes(log_text, "2026-12-08 00:00:00");
    assert_int_equal(json_array_size(c), 0);
    json_decref(c);
    c = wp_osupdate_dpkg_changes(NULL, "2026-12-07 00:00:00"); /* no log yet */
    assert_int_equal(json_array_size(c), 0);
    json_decref(c);
    c = wp_osupdate_dpkg_changes("", "2026-12-07 00:00:00");
    assert_int_equal(json_array_size(c), 0);
    json_decref(c);
}

static void test_result_key(void **state)
{
    char key[64];
    wp_osupdate_result_key("Node-A1", key, sizeof key);
    assert_string_equal(key, "os-update-node-a1");
    wp_osupdate_result_key("db.Site_2", key, sizeof key);
    assert_string_equal(key, "os-update-db-site_2");
}

/* A status: nodes n1..n3 (ids 1..3), the members given. */
static json_t *status_with(json_t *members)
{
    return json_pack("{s:[{s:s, s:i}, {s:s, s:i}, {s:s, s:i}], s:o}", "nodes", "name", "n1", "id",
                     1, "name", "n2", "id", 2, "name", "n3", "id", 3, "members", members);
}

static json_t *run_state(const char *step, int index)
{
    json_t *st = json_pack("{s:[s, s, s], s:i, s:s, s:s, s:{s:s}}", "nodes", "n2", "n3", "n1",
                           "index", index, "node", index == 1 ? "n3" : "n1", "holder", "n1:42",
                           "failed", "n2", "its postinst failed");
    if (step)
        json_object_set_new(st, "step", json_string(step));
    return st;
}

static void test_progress_running(void **state)
{
    json_t *st = run_state("drain", 1), *lock = json_pack("{s:s}", "holder", "n1:42"),
           *status = status_with(json_pack("[i, i, i]", 1, 2, 3));
    json_t *p = wp_osupdate_progress(st, lock, status);
    assert_string_equal(wp_json_str(p, "state"), "running");
    assert_string_equal(wp_json_str(p, "runner"), "n1");
    assert_string_equal(wp_json_str(p, "node"), "n3");
    assert_string_equal(wp_json_str(p, "step"), "updating");
    assert_int_equal(json_integer_value(json_object_get(p, "index")), 2);
    assert_int_equal(json_integer_value(json_object_get(p, "of")), 3);
    assert_int_equal(json_array_size(json_object_get(p, "done")), 0); /* n2 failed, not done */
    assert_string_equal(json_string_value(json_array_get(json_object_get(p, "left"), 0)), "n1");
    assert_string_equal(wp_json_str(json_object_get(p, "failed"), "n2"), "its postinst failed");
    json_decref(p);
    static const char *const steps[][2] = {{NULL, "draining"},
                                           {"update", "rebooting if needed"},
                                           {"reboot", "waiting to rejoin"},
                                           {"healthy", "failing back"}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        json_t *s = run_state(steps[i][0], 2);
        p = wp_osupdate_progress(s, lock, status);
        assert_string_equal(wp_json_str(p, "step"), steps[i][1]);
        assert_string_equal(json_string_value(json_array_get(json_object_get(p, "done"), 0)), "n3");
        json_decref(p);
        json_decref(s);
    }
    json_decref(st);
    json_decref(lock);
    json_decref(status);
}

static void test_progress_stopped(void **state)
{
    json_t *st = run_state("update", 1), *lock = json_pack("{s:s}", "holder", "n1:42"),
           *other = json_pack("{s:s}", "holder", "n3:7"),
           *without_n1 = status_with(json_pack("[i, i]", 2, 3)),
           *all = status_with(json_pack("[i, i, i]", 1, 2, 3));
    json_t *p = wp_osupdate_progress(st, lock, without_n1); /* its runner died */
    assert_string_equal(wp_json_str(p, "state"), "stopped: the node running it is down");
    assert_string_equal(wp_json_str(p, "last_step_done"), "update");
    json_decref(p);
    p = wp_osupdate_progress(st, json_null(), all); /* it stopped and let go of the lock */
    assert_string_equal(wp_json_str(p, "state"), "stopped");
    json_decref(p);
    p = wp_osupdate_progress(st, other, all); /* the lock is another's (a rollout) */
    assert_string_equal(wp_json_str(p, "state"), "stopped");
    json_decref(p);
    assert_null(wp_osupdate_progress(json_null(), lock, all)); /* no run */
    json_decref(st);
    json_decref(lock);
    json_decref(other);
    json_decref(without_n1);
    json_decref(all);
}

static void test_last_run(void **state)
{
    json_t *kept =
        json_pack("{s:i, s:s, s:[{s:s}, {s:s}, {s:s}, {s:s}]}", "finished_at", 1000, "result",
                  "done, with failed nodes", "nodes", "result", "updated, rebooted", "result",
                  "updated", "result", "FAILED, left paused: x", "result", "not updated: down");
    json_t *p = wp_osupdate_last(kept);
    assert_string_equal(wp_json_str(p, "state"), "ended");
    assert_string_equal(wp_json_str(p, "result"), "done, with failed nodes");
    assert_int_equal(json_integer_value(json_object_get(p, "updated")), 2);
    assert_int_equal(json_integer_value(json_object_get(p, "failed")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "not_updated")), 1);
    assert_int_equal(json_integer_value(json_object_get(p, "finished_at")), 1000);
    json_decref(p);
    assert_null(wp_osupdate_last(NULL));
    json_decref(kept);
}

/* A progress view as wp_osupdate_progress gives it. */
static json_t *progress(const char *state, const char *node, int index, const char *step,
                        json_t *failed)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:i, s:i, s:s, s:o}", "state", state, "runner", "n1",
                     "node", node, "step", step, "index", index, "of", 3, "last_step_done", "drain",
                     "failed", failed ? failed : json_object());
}

/* The lines of wp_osupdate_changes(old, cur) joined with '|'. */
static char *changes(const json_t *old, const json_t *cur)
{
    static char out[4096];
    json_t *lines = wp_osupdate_changes(old, cur);
    size_t i;
    json_t *l;
    out[0] = '\0';
    json_array_foreach(lines, i, l)
    {
        size_t len = strlen(out);
        snprintf(out + len, sizeof out - len, "%s%s", i ? "|" : "", json_string_value(l));
    }
    json_decref(lines);
    return out;
}

static void test_watch_changes(void **state)
{
    json_t *drain = progress("running", "n2", 1, "draining", NULL),
           *update = progress("running", "n2", 1, "updating", NULL),
           *next = progress("running", "n3", 2, "draining",
                            json_pack("{s:s}", "n2", "its postinst failed")),
           *stopped = progress("stopped", "n3", 2, "draining", NULL),
           *ended = json_pack("{s:s, s:i, s:s, s:i, s:i, s:i}", "state", "ended", "finished_at",
                              1000, "result", "done", "updated", 3, "failed", 0, "not_updated", 0);
    assert_string_equal(changes(NULL, drain),
                        "OS update running on n1: node n2 (1 of 3): draining");
    assert_string_equal(changes(drain, drain), "");
    assert_string_equal(changes(drain, update), "OS update: node n2 (1 of 3): updating");
    assert_string_equal(changes(update, next), "OS update: node n2 FAILED, left paused: its "
                                               "postinst failed|OS update: node n3 (2 of 3): "
                                               "draining");
    assert_string_equal(changes(next, next), ""); /* the failure is told once */
    assert_string_equal(changes(next, stopped), "OS update stopped; node n3 (2 of 3) after step "
                                                "drain (resume: wolfpack cluster update)");
    assert_string_equal(changes(stopped, next), "OS update: node n2 FAILED, left paused: its "
                                                "postinst failed|OS update resumed on n1: node "
                                                "n3 (2 of 3): draining");
    assert_string_equal(changes(update, ended), "OS update ended: done: 3 updated, 0 failed, 0 "
                                                "not updated (wolfpack cluster update --report)");
    assert_string_equal(changes(NULL, ended), /* started and ended between two looks */
                        "OS update ended: done: 3 updated, 0 failed, 0 not updated (wolfpack "
                        "cluster update --report)");
    assert_string_equal(changes(ended, ended), "");
    assert_string_equal(changes(ended, NULL), "");
    json_decref(drain);
    json_decref(update);
    json_decref(next);
    json_decref(stopped);
    json_decref(ended);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_since),    cmocka_unit_test(test_nothing),
        cmocka_unit_test(test_result_key),       cmocka_unit_test(test_progress_running),
        cmocka_unit_test(test_progress_stopped), cmocka_unit_test(test_last_run),
        cmocka_unit_test(test_watch_changes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
