/*
 * test_proc.c -- /proc/PID/stat (src/lib/proc.h): the parser copes with a
 * command name holding spaces and ')', the reader agrees with what the
 * process knows of itself, and a zombie or a gone pid has no start time.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/lib/proc.h"

static void test_parse_awkward_name(void **state)
{
    (void)state;
    /* comm "a) b (c" -- the last ')' ends it */
    const char *text = "4242 (a) b (c) S 1 4240 4240 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 1 0 "
                       "987654321 1000 10 18446744073709551615\n";
    wp_proc_stat st;
    assert_true(wp_proc_stat_parse(text, &st));
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.ppid, 1);
    assert_int_equal(st.pgrp, 4240);
    assert_true(st.start == 987654321ULL);
}

static void test_parse_refuses(void **state)
{
    (void)state;
    wp_proc_stat st = {.state = 'Q'};
    assert_false(wp_proc_stat_parse("", &st));
    assert_false(wp_proc_stat_parse("12 (x S 1 2 3", &st));    /* no ')' */
    assert_false(wp_proc_stat_parse("12 (x) S 1 2 3 4", &st)); /* cut short */
    assert_int_equal(st.state, 'Q');                           /* untouched */
}

static void test_read_self(void **state)
{
    (void)state;
    wp_proc_stat st;
    assert_true(wp_proc_stat_read(getpid(), &st));
    assert_int_equal(st.state, 'R');
    assert_int_equal(st.ppid, (long)getppid());
    assert_int_equal(st.pgrp, (long)getpgrp());
    assert_true(st.start > 0);
    assert_true(wp_proc_start_time(getpid()) == st.start);
}

static void test_zombie_and_gone(void **state)
{
    (void)state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0)
        _exit(0);
    /* wait until it is a zombie, without reaping it */
    siginfo_t info;
    memset(&info, 0, sizeof info);
    assert_int_equal(waitid(P_PID, (id_t)child, &info, WEXITED | WNOWAIT), 0);
    wp_proc_stat st;
    assert_true(wp_proc_stat_read(child, &st));
    assert_int_equal(st.state, 'Z');
    assert_true(wp_proc_start_time(child) == 0);
    waitpid(child, NULL, 0);
    assert_false(wp_proc_stat_read(child, &st));
    assert_true(wp_proc_start_time(child) == 0);
    assert_true(wp_proc_start_time(0) == 0);
    assert_true(wp_proc_start_time(-1) == 0);
}

/* The child and the parent talk over the pipe, each on its own end. */
static void test_fork_piped(void **state)
{
    (void)state;
    int p[2] = {-1, -1};
    wp_err err = {0};
    pid_t pid = wp_proc_fork_piped(p, "a test child", &err);
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        _exit(write(p[1], "k", 1) == 1 ? 7 : 1);
    }
    close(p[1]);
    char c = 0;
    assert_int_equal(read(p[0], &c, 1), 1);
    assert_int_equal(c, 'k');
    close(p[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_awkward_name), cmocka_unit_test(test_parse_refuses),
        cmocka_unit_test(test_read_self),          cmocka_unit_test(test_zombie_and_gone),
        cmocka_unit_test(test_fork_piped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
