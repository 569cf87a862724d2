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
 * inherited by fork either.  The busy guard (wp_rt_limit_busy) bounds how
 * long a real-time wolfpackd can keep a core from ordinary work.
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

/* How long wolfpackd may run at real-time priority without waiting before
 * the guard puts it back to ordinary scheduling (docs/FENCING.md, "A busy
 * daemon at real-time priority"): far above its longest busy stretch
 * measured, far below what would starve a core's ordinary work for long. */
#define WP_RT_BUSY_MAX_MS 200

/* The busy guard: a real-time process that runs ms without a blocking
 * call (RLIMIT_RTTIME) gets SIGXCPU, whose handler puts it back to
 * ordinary scheduling; wp_rt_restore_if_demoted, called from its loop,
 * says so once, sets the limit to ms again (the kernel raised it by a
 * second when it signalled) and makes it real-time at prio again (RLIMIT_RTPRIO is
 * raised to prio, so that it may after dropping root).  A child (fork) has
 * no guard: the limit goes back to the hard one, SIGXCPU to its default.
 * Writes what it set or why not into summary; true when set. */
bool wp_rt_limit_busy(int prio, int ms, char *summary, size_t size);
bool wp_rt_restore_if_demoted(int prio, int ms, char *summary, size_t size);

#endif
