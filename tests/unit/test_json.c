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

static void test_find_by_name(void **state)
{
    (void)state;
    json_t *list = json_loads("[{\"name\":1},{\"id\":\"web\"},{\"name\":\"Web\",\"n\":1},"
                              "{\"name\":\"web\",\"n\":2}]",
                              0, NULL);
    assert_non_null(list);
    const json_t *w = wp_json_find(list, "name", "WEB"); /* the first, any case */
    assert_non_null(w);
    assert_int_equal(json_integer_value(json_object_get(w, "n")), 1);
    assert_null(wp_json_find(list, "name", "db"));
    assert_null(wp_json_find(list, "name", NULL));
    assert_null(wp_json_find(json_object_get(list, "x"), "name", "web")); /* not an array */
    assert_null(wp_json_find(NULL, "name", "web"));
    json_decref(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_string_member),
        cmocka_unit_test(test_not_a_string),
        cmocka_unit_test(test_find_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
