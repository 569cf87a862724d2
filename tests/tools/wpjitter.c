/*
 * wpjitter.c -- measures how late a periodic timer wakes up, the way the
 * disk keeper (src/agents/disk_keeper.c) and wolfpackd's watchdog pets
 * wake, with or without the keeper's hardening (src/lib/rt.h: memory
 * locked, SCHED_RR).  bench/bench_keeper_jitter.sh runs it under a bounded
 * CPU hog; the figures are in docs/FENCING.md and docs/DISK.md ("Under
 * load"), where the margins are derived from them.
 *
 *   wpjitter --period MS --seconds S [--rt PRIO] [--lock]
 *
 * Every period it sleeps to an absolute monotonic deadline
 * (clock_nanosleep TIMER_ABSTIME) and records the lateness of its wake-up.
 * Prints one line: "samples N mean_us M p99_us P p999_us Q max_us X
 * hardening <what wp_rt_harden got>".  Exit 2 on bad arguments.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/lib/clock.h"
#include "../../src/lib/rt.h"

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int usage(void)
{
    fprintf(stderr, "usage: wpjitter --period MS --seconds S [--rt PRIO] [--lock]\n");
    return 2;
}

static int64_t pick(const int64_t *v, size_t n, double q)
{
    size_t i = (size_t)(q * (double)(n - 1));
    return v[i];
}

int main(int argc, char **argv)
{
    long period = 0, seconds = 0, prio = 0;
    bool lock = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--period") == 0 && i + 1 < argc)
            period = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc)
            seconds = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rt") == 0 && i + 1 < argc)
            prio = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--lock") == 0)
            lock = true;
        else
            return usage();
    }
    if (period < 1 || period > 10000 || seconds < 1 || seconds > 3600 || prio < 0 || prio > 99)
        return usage();
    char rt[400] = "none";
    if (prio > 0 || lock)
        wp_rt_harden((int)prio, lock, rt, sizeof rt);
    size_t n = (size_t)(seconds * 1000 / period);
    int64_t *late = calloc(n ? n : 1, sizeof *late);
    if (!late) {
        fprintf(stderr, "wpjitter: out of memory\n");
        return 1;
    }
    int64_t start = wp_clock_ns(), sum = 0;
    for (size_t k = 0; k < n; k++) {
        int64_t due = start + (int64_t)(k + 1) * period * 1000000;
        struct timespec ts = {.tv_sec = due / 1000000000, .tv_nsec = due % 1000000000};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
        }
        late[k] = (wp_clock_ns() - due) / 1000;
        sum += late[k];
    }
    qsort(late, n, sizeof *late, cmp_i64);
    printf("samples %zu mean_us %lld p99_us %lld p999_us %lld max_us %lld hardening %s\n", n,
           (long long)(n ? sum / (int64_t)n : 0), (long long)pick(late, n, 0.99),
           (long long)pick(late, n, 0.999), (long long)late[n ? n - 1 : 0], rt);
    free(late);
    return 0;
}
