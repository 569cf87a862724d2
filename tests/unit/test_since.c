/*
 * test_since.c -- wp_cli_since (src/cli/since.c), the --since argument of
 * `wolfpack history` and `wolfpack report`: a unix time is itself, a
 * duration is counted back from the given now, anything else is refused
 * and leaves the result as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/cli/since.h"

#define NOW 1800000000LL

static long long since(const char *text)
{
    long long out = -1;
    assert_true(wp_cli_since(text, NOW, &out));
    return out;
}

static void test_unix_time_is_itself(void **state)
{
    (void)state;
    assert_int_equal(since("1700000000"), 1700000000LL);
    assert_int_equal(since("100000001"), 100000001LL);
}

static void test_duration_counts_back_from_now(void **state)
{
    (void)state;
    assert_int_equal(since("1h"), NOW - 3600);
    assert_int_equal(since("30m"), NOW - 1800);
    assert_int_equal(since("90s"), NOW - 90);
    assert_int_equal(since("90"), NOW - 90);
    /* a small number is seconds back (at most a year), not a time in 1970 */
    assert_int_equal(since("31536000"), NOW - 31536000LL);
}

static void test_other_text_is_refused(void **state)
{
    (void)state;
    const char *bad[] = {"",   "0",     "0s",        "-5",        "1d",
                         "h",  "1h30m", "100000000", "yesterday", "17000000000000000000000",
                         " 1h"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long long out = 42;
        assert_false(wp_cli_since(bad[i], NOW, &out));
        assert_int_equal(out, 42);
    }
    long long out = 42;
    assert_false(wp_cli_since(NULL, NOW, &out));
    assert_int_equal(out, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unix_time_is_itself),
        cmocka_unit_test(test_duration_counts_back_from_now),
        cmocka_unit_test(test_other_text_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
