/*
 * rt.c -- memory locking and real-time scheduling for the processes that
 * must meet deadlines (rt.h; docs/FENCING.md, "No false fencing under
 * load").
 */
#include "rt.h"

#include <errno.h>
#include <sched.h>
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
