/*
 * clock.h -- the one clock family of wolfpack: monotonic time for timers,
 * deadlines and durations, wall time for what a person reads, and a sleep.
 *
 * Every reading is an int64_t: signed so that "deadline - now" may go
 * negative without wrapping, wide enough for any uptime in nanoseconds
 * (292 years).  Monotonic readings mean nothing across a reboot and are
 * never stored on disk or sent to a peer; wp_clock_wall_ms is for display
 * and file names only, never for ordering.
 */
#ifndef WP_CLOCK_H
#define WP_CLOCK_H

#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds, microseconds, nanoseconds. */
int64_t wp_clock_ms(void);
int64_t wp_clock_us(void);
int64_t wp_clock_ns(void);
/* CLOCK_REALTIME in milliseconds since the epoch (display only). */
int64_t wp_clock_wall_ms(void);
/* Sleep ms milliseconds (nothing for ms <= 0), resumed after signals. */
void wp_clock_sleep_ms(int64_t ms);

#endif
