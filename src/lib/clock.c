/*
 * clock.c -- monotonic and wall clocks and a sleep that survives signals
 * (clock.h).  The only place in src/ that calls clock_gettime or
 * nanosleep.
 */
#include "clock.h"

#include <errno.h>
#include <time.h>

static int64_t read_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t wp_clock_ns(void)
{
    return read_ns(CLOCK_MONOTONIC);
}

int64_t wp_clock_us(void)
{
    return read_ns(CLOCK_MONOTONIC) / 1000;
}

int64_t wp_clock_ms(void)
{
    return read_ns(CLOCK_MONOTONIC) / 1000000;
}

int64_t wp_clock_wall_ms(void)
{
    return read_ns(CLOCK_REALTIME) / 1000000;
}

void wp_clock_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}
