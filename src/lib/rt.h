/*
 * rt.h -- keeping a process that must meet deadlines running under CPU and
 * memory pressure (docs/FENCING.md, "No false fencing under load"), as
 * corosync and SBD do: its memory locked (mlockall, on fault: the pages it
 * uses stay in memory once touched, nothing is populated up front) and a real-time
 * scheduling policy (SCHED_RR) at a modest priority, below corosync's.
 *
 * Used by the disk keeper (src/agents/disk_keeper.c: its lease deadline)
 * and by wolfpackd (its heartbeats to the keepers, the watchdog's pets).
 * Neither is fatal: what could not be had is said in the summary, which
 * the caller logs.  SCHED_RESET_ON_FORK: a child (an agent, a service)
 * starts as an ordinary process, never real-time; memory locks are not
 * inherited by fork either.
 */
#ifndef WP_RT_H
#define WP_RT_H

#include <stdbool.h>
#include <stddef.h>

/* The real-time priorities (SCHED_RR, 1..99; corosync runs at 99): the
 * keeper above wolfpackd, both far below corosync. */
#define WP_RT_PRIO_DAEMON 5
#define WP_RT_PRIO_KEEPER 10

/* With lock, lock this process's memory (only when it may lock without
 * limit: root, or an unlimited RLIMIT_MEMLOCK -- a limited lock with
 * MCL_FUTURE would make later allocations fail, so a process about to drop
 * root passes false; never in a sanitizer build, whose shadow memory is
 * huge) and switch it to SCHED_RR at prio (0: do not).  Writes what it got
 * or why not into summary ("memory locked, SCHED_RR priority 10" or
 * "memory not locked (mlockall: ...), ..."); true when all that was asked
 * was had. */
bool wp_rt_harden(int prio, bool lock, char *summary, size_t size);

#endif
