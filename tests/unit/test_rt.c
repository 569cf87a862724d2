/*
 * test_rt.c -- the busy guard of src/lib/rt.h: a real-time process that
 * runs longer than its limit without waiting is put back to ordinary
 * scheduling (and says so once: wp_rt_restore_if_demoted, which makes it
 * real-time again with the limit as it was, so that it fires again); a
 * child it forks carries no guard.  Each case runs in
 * a forked child, so this test process never runs real-time; it is
 * skipped where SCHED_RR may not be had (not root).  The spin is bounded
 * by CPU time, never asserted on: only the policy is checked.
 */
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/lib/rt.h"

#define LIMIT_MS 20
#define SPIN_CAP_NS 3000000000LL /* CPU time: the guard fires long before */

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Spin without a system call that blocks until the policy is no longer
 * SCHED_RR (or the CPU-time cap); the policy seen last. */
static int spin_while_realtime(void)
{
    int64_t end = cpu_ns() + SPIN_CAP_NS;
    int policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
    while (policy == SCHED_RR && cpu_ns() < end)
        policy = sched_getscheduler(0) & ~SCHED_RESET_ON_FORK;
    return policy;
}

/* What a child found; its exit status. */
enum {
    CHILD_OK = 0,
    CHILD_NO_RT = 77,
    CHILD_NO_GUARD = 2,
    CHILD_STILL_RT = 3,
    CHILD_NOT_SAID = 4,
    CHILD_NOT_BACK = 5,
    CHILD_INHERITED = 6,
    CHILD_NOT_REARMED = 7
};

static int run_in_child(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn());
    int status = -1;
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static int busy_is_demoted(void)
{
    char buf[200];
    if (!wp_rt_harden(1, false, buf, sizeof buf))
        return CHILD_NO_RT;
    if (!wp_rt_limit_busy(1, LIMIT_MS, buf, sizeof buf))
        return CHILD_NO_GUARD;
    if (wp_rt_restore_if_demoted(1, LIMIT_MS, buf, sizeof buf))
        return CHILD_NOT_SAID; /* said before anything happened */
    if (spin_while_realtime() == SCHED_RR)
        return CHILD_STILL_RT;
    if (!wp_rt_restore_if_demoted(1, LIMIT_MS, buf, sizeof buf))
        return CHILD_NOT_SAID;
    if ((sched_getscheduler(0) & ~SCHED_RESET_ON_FORK) != SCHED_RR)
        return CHILD_NOT_BACK;
    struct rlimit rl; /* the kernel raised it by a second when it signalled */
    if (getrlimit(RLIMIT_RTTIME, &rl) != 0 || rl.rlim_cur != LIMIT_MS * 1000)
        return CHILD_NOT_REARMED;
    if (spin_while_realtime() == SCHED_RR) /* and it fires again */
        return CHILD_STILL_RT;
    if (!wp_rt_restore_if_demoted(1, LIMIT_MS, buf, sizeof buf))
        return CHILD_NOT_SAID;
    if (wp_rt_restore_if_demoted(1, LIMIT_MS, buf, sizeof buf))
        return CHILD_NOT_SAID; /* said twice */
    return CHILD_OK;
}

static void test_busy_realtime_process_is_demoted(void **state)
{
    (void)state;
    int rc = run_in_child(busy_is_demoted);
    if (rc == CHILD_NO_RT)
        skip();
    assert_int_equal(rc, CHILD_OK);
}

/* A child of a guarded process: the limit is the hard one again and
 * SIGXCPU's action the default (not the parent's handler). */
static int grandchild_unguarded(void)
{
    struct rlimit rl;
    struct sigaction sa;
    if (getrlimit(RLIMIT_RTTIME, &rl) != 0 || rl.rlim_cur != rl.rlim_max)
        return CHILD_INHERITED;
    if (sigaction(SIGXCPU, NULL, &sa) != 0 || sa.sa_handler != SIG_DFL)
        return CHILD_INHERITED;
    return CHILD_OK;
}

static int fork_is_unguarded(void)
{
    char buf[200];
    struct rlimit rl;
    if (!wp_rt_limit_busy(1, LIMIT_MS, buf, sizeof buf))
        return CHILD_NO_GUARD;
    if (getrlimit(RLIMIT_RTTIME, &rl) != 0 || rl.rlim_cur != LIMIT_MS * 1000)
        return CHILD_NO_GUARD;
    pid_t pid = fork();
    if (pid == 0)
        _exit(grandchild_unguarded());
    int status = -1;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return CHILD_INHERITED;
    return WEXITSTATUS(status);
}

static void test_a_child_has_no_guard(void **state)
{
    (void)state;
    assert_int_equal(run_in_child(fork_is_unguarded), CHILD_OK);
}

static void test_no_limit_no_guard(void **state)
{
    (void)state;
    char buf[200] = "";
    assert_false(wp_rt_limit_busy(1, 0, buf, sizeof buf));
    assert_non_null(strstr(buf, "no busy guard"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_busy_realtime_process_is_demoted),
        cmocka_unit_test(test_a_child_has_no_guard),
        cmocka_unit_test(test_no_limit_no_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
