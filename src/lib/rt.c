/*
 * rt.c -- memory locking and real-time scheduling for the processes that
 * must meet deadlines (rt.h; docs/FENCING.md, "No false fencing under
 * load"), and the guard that puts such a process back to ordinary
 * scheduling when it runs too long without waiting (wp_rt_limit_busy).
 */
#include "rt.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

static bool may_lock_all(void)
{
    struct rlimit rl;
    return geteuid() == 0 || (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur == RLIM_INFINITY);
}

#if defined(__SANITIZE_ADDRESS__)
#define WP_RT_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WP_RT_SANITIZER 1
#endif
#endif

static bool lock_memory(char *buf, size_t size)
{
#ifdef WP_RT_SANITIZER
    snprintf(buf, size, "memory not locked (a sanitizer build)");
    return false;
#endif
    if (!may_lock_all()) {
        snprintf(buf, size, "memory not locked (not root and RLIMIT_MEMLOCK is limited)");
        return false;
    }
    /* MCL_ONFAULT: lock what is touched, when it is touched; never fault the
     * whole address space in at once (a keeper is a fork of wolfpackd: 70 MB
     * of mappings, whose population took long enough to make its first
     * renewal late) */
    if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0) {
        snprintf(buf, size, "memory not locked (mlockall: %s)", strerror(errno));
        return false;
    }
    snprintf(buf, size, "memory locked");
    return true;
}

static bool go_realtime(int prio, char *buf, size_t size)
{
    struct sched_param sp = {.sched_priority = prio};
    if (prio <= 0) {
        snprintf(buf, size, "ordinary scheduling (no real-time priority asked)");
        return false;
    }
    if (sched_setscheduler(0, SCHED_RR | SCHED_RESET_ON_FORK, &sp) != 0) {
        snprintf(buf, size, "ordinary scheduling (sched_setscheduler SCHED_RR %d: %s)", prio,
                 strerror(errno));
        return false;
    }
    snprintf(buf, size, "SCHED_RR priority %d", prio);
    return true;
}

bool wp_rt_harden(int prio, bool lock, char *summary, size_t size)
{
    char mem[160] = "memory not locked (not asked)", sched[160];
    bool locked = !lock || lock_memory(mem, sizeof mem);
    bool rt = go_realtime(prio, sched, sizeof sched);
    snprintf(summary, size, "%s, %s", mem, sched);
    return locked && (rt || prio <= 0);
}

/* ---- the busy guard ------------------------------------------------------ */

/* Set by the SIGXCPU handler, read and cleared by wp_rt_restore_if_demoted:
 * a signal handler's one flag, the only state this file keeps. */
static volatile sig_atomic_t demoted;

/* RLIMIT_RTTIME's soft limit passed: this process ran that long at
 * real-time priority without a blocking call.  Back to ordinary scheduling
 * (a system call, safe in a handler); the loop says so and goes real-time
 * again once it waits (wp_rt_restore_if_demoted). */
static void on_busy_too_long(int sig)
{
    (void)sig;
    struct sched_param sp = {.sched_priority = 0};
    int saved = errno;
    sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &sp);
    demoted = 1;
    errno = saved;
}

/* In a child: none of the guard (what it runs may go real-time itself and
 * must not be killed by an inherited limit: SIGXCPU's default action). */
static void guard_off_in_child(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_RTTIME, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_RTTIME, &rl);
    }
    signal(SIGXCPU, SIG_DFL);
    demoted = 0;
}

static void register_child_reset(void)
{
    pthread_atfork(NULL, NULL, guard_off_in_child);
}

/* May this process go real-time at prio again once it is no longer root
 * (wolfpackd under --user)?  RLIMIT_RTPRIO says so; raised while root. */
static void keep_rt_right(int prio)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_RTPRIO, &rl) != 0 || rl.rlim_cur >= (rlim_t)prio)
        return;
    rl.rlim_cur = (rlim_t)prio;
    if (rl.rlim_max < rl.rlim_cur)
        rl.rlim_max = rl.rlim_cur;
    setrlimit(RLIMIT_RTPRIO, &rl); /* not root: a demoted process stays ordinary */
}

bool wp_rt_limit_busy(int prio, int ms, char *summary, size_t size)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct rlimit rl;
    struct sigaction sa = {.sa_handler = on_busy_too_long};
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (ms <= 0 || getrlimit(RLIMIT_RTTIME, &rl) != 0) {
        snprintf(summary, size, "no busy guard (%s)", ms <= 0 ? "not asked" : strerror(errno));
        return false;
    }
    rl.rlim_cur = (rlim_t)ms * 1000u; /* microseconds */
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
        rl.rlim_cur = rl.rlim_max;
    if (sigaction(SIGXCPU, &sa, NULL) != 0 || setrlimit(RLIMIT_RTTIME, &rl) != 0) {
        snprintf(summary, size, "no busy guard (RLIMIT_RTTIME: %s)", strerror(errno));
        return false;
    }
    keep_rt_right(prio);
    pthread_once(&once, register_child_reset);
    snprintf(summary, size, "back to ordinary scheduling after %d ms busy", ms);
    return true;
}

/* The kernel raised the soft limit by a second when it sent SIGXCPU (it
 * sends one a second from then on): back to ms for the next busy spell. */
static void rearm(int ms)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_RTTIME, &rl) != 0)
        return;
    rl.rlim_cur = (rlim_t)ms * 1000u;
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_cur > rl.rlim_max)
        rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_RTTIME, &rl);
}

bool wp_rt_restore_if_demoted(int prio, int ms, char *summary, size_t size)
{
    if (!demoted)
        return false;
    demoted = 0;
    rearm(ms);
    go_realtime(prio, summary, size);
    return true;
}
