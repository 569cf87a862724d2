/*
 * test_appname.c -- the one application-name rule (src/lib/appname.h),
 * used by kits and by the database alike: the limit is WP_APP_NAME_MAX
 * for both, and every refusal says what, why and what to do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/lib/appname.h"

static void test_accepts(void **state)
{
    (void)state;
    const char *good[] = {"recordstore", "mail-server_2", "9lives", "a"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(wp_app_name_valid(good[i], NULL));
    char longest[WP_APP_NAME_MAX + 1];
    memset(longest, 'a', WP_APP_NAME_MAX);
    longest[WP_APP_NAME_MAX] = '\0';
    assert_true(wp_app_name_valid(longest, NULL));
}

static void test_refuses(void **state)
{
    (void)state;
    const char *bad[] = {"", "-x", "_x", "Mail", "a/b", "../x", "a.b", "a b", "caf\xc3\xa9"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wp_err err = {0};
        assert_false(wp_app_name_valid(bad[i], &err));
        assert_int_equal(err.code, WP_E_INVALID);
        assert_non_null(strstr(err.what, "not a valid application name"));
        assert_true(err.why[0] && err.todo[0]);
    }
    char too_long[WP_APP_NAME_MAX + 2];
    memset(too_long, 'a', WP_APP_NAME_MAX + 1);
    too_long[WP_APP_NAME_MAX + 1] = '\0';
    assert_false(wp_app_name_valid(too_long, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepts),
        cmocka_unit_test(test_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
