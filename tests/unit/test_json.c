/*
 * test_json.c -- the one string getter (src/lib/json.h): a string member
 * comes back, anything else (absent, another type, not an object, NULL)
 * gives NULL or the fallback.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/lib/json.h"

static void test_string_member(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:s, s:s, s:i, s:n, s:[s]}", "name", "mail", "empty", "", "n", 3,
                          "nothing", "list", "x");
    assert_string_equal(wp_json_str(o, "name"), "mail");
    assert_string_equal(wp_json_str(o, "empty"), "");
    assert_string_equal(wp_json_str_or(o, "name", "dflt"), "mail");
    json_decref(o);
}

static void test_not_a_string(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:i, s:n, s:[s], s:b}", "n", 3, "nothing", "list", "x", "yes", 1);
    const char *keys[] = {"n", "nothing", "list", "yes", "absent"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        assert_null(wp_json_str(o, keys[i]));
        assert_string_equal(wp_json_str_or(o, keys[i], "dflt"), "dflt");
    }
    json_t *arr = json_pack("[s]", "name");
    assert_null(wp_json_str(arr, "name"));
    assert_null(wp_json_str(NULL, "name"));
    assert_string_equal(wp_json_str_or(NULL, "name", ""), "");
    json_decref(arr);
    json_decref(o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_member),
        cmocka_unit_test(test_not_a_string),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
