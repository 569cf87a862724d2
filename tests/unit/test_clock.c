/*
 * test_clock.c -- the clock family (src/lib/clock.h): the monotonic
 * readings agree with each other and never go back, and a sleep lasts at
 * least what was asked even when signals interrupt it (the copies it
 * replaced returned early on EINTR).  Only lower bounds are checked: a
 * loaded machine may always take longer.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include <cmocka.h>

#include "../../src/lib/clock.h"

static void test_units_agree(void **state)
{
    (void)state;
    for (int i = 0; i < 1000; i++) {
        int64_t a = wp_clock_ns();
        int64_t ms = wp_clock_ms();
        int64_t us = wp_clock_us();
        int64_t b = wp_clock_ns();
        assert_true(a <= b);
        assert_true(a / 1000000 <= ms && ms <= b / 1000000);
        assert_true(a / 1000 <= us && us <= b / 1000);
    }
}

static void test_monotonic_never_goes_back(void **state)
{
    (void)state;
    int64_t last = wp_clock_ns();
    for (int i = 0; i < 10000; i++) {
        int64_t now = wp_clock_ns();
        assert_true(now >= last);
        last = now;
    }
}

static void test_wall_is_epoch_ms(void **state)
{
    (void)state;
    struct timeval before, after;
    gettimeofday(&before, NULL);
    int64_t wall = wp_clock_wall_ms();
    gettimeofday(&after, NULL);
    assert_true(wall >= (int64_t)before.tv_sec * 1000 + before.tv_usec / 1000);
    assert_true(wall <= (int64_t)after.tv_sec * 1000 + after.tv_usec / 1000);
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void test_sleep_survives_signals(void **state)
{
    (void)state;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm; /* no SA_RESTART: nanosleep returns EINTR */
    assert_int_equal(sigaction(SIGALRM, &sa, NULL), 0);
    struct itimerval every_ms = {.it_interval = {0, 1000}, .it_value = {0, 1000}};
    assert_int_equal(setitimer(ITIMER_REAL, &every_ms, NULL), 0);
    int64_t begin = wp_clock_ms();
    wp_clock_sleep_ms(30);
    int64_t slept = wp_clock_ms() - begin;
    struct itimerval off = {0};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    assert_true(slept >= 30);
}

static void test_sleep_nothing_for_zero_or_less(void **state)
{
    (void)state;
    wp_clock_sleep_ms(0);
    wp_clock_sleep_ms(-5); /* must not block or crash on a negative time */
    assert_true(wp_clock_ms() > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_units_agree),
        cmocka_unit_test(test_monotonic_never_goes_back),
        cmocka_unit_test(test_wall_is_epoch_ms),
        cmocka_unit_test(test_sleep_survives_signals),
        cmocka_unit_test(test_sleep_nothing_for_zero_or_less),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
