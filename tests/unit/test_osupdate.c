/*
 * test_osupdate.c -- unit tests of the dpkg log reading of `wolfpack
 * cluster update` (src/app/osupdate_task.c: wp_osupdate_dpkg_changes): the
 * install, upgrade and remove lines at or after the run's start, a package
 * changed twice as one change, the architecture cut off, status/configure/
 * startup lines and damaged lines ignored.  The run itself is tested by
 * tests/integration/test_os_update.sh.
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_changes_since),
        cmocka_unit_test(test_nothing),
        cmocka_unit_test(test_result_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
