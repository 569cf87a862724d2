/*
 * test_watchdog.c -- src/agents/watchdog.c, the kernel watchdog API as
 * wolfpackd speaks it, on what the test cluster gives a node (a FIFO) and
 * on a regular file: never on a real watchdog device (opening one arms it
 * and would reset this machine).  The ioctls fail there (ENOTTY): open
 * succeeds all the same, with the configured timeout; a pet is one byte
 * that is not 'V'; the magic close writes 'V' last; a close without it
 * writes nothing more; out-of-range timeouts and missing paths are refused
 * with what/why/to do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/agents/watchdog.h"

typedef struct fx {
    char dir[64];
    char path[96];
} fx;

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wp-wdog-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/watchdog", f->dir);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_file(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    int actual = 0;
    bool is_device = true;
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fclose(fp);
    wp_watchdog *w = wp_watchdog_open(f->path, 7, &actual, &is_device, &err);
    assert_non_null(w);
    assert_false(is_device); /* the ioctls failed and that is tolerated */
    assert_int_equal(actual, 7);
    assert_true(wp_watchdog_pet(w, &err));
    assert_true(wp_watchdog_pet(w, &err));
    wp_watchdog_close(w, true);
    char buf[16] = "";
    fp = fopen(f->path, "r");
    assert_non_null(fp);
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    assert_int_equal(n, 3);
    assert_true(buf[0] != 'V' && buf[1] != 'V'); /* pets never disarm */
    assert_int_equal(buf[2], 'V');               /* the magic close */
}

static void test_fifo_no_disarm(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    int actual = 0;
    bool is_device = true;
    assert_int_equal(mkfifo(f->path, 0600), 0);
    /* no reader: refused (the emulated watchdog is not running) */
    assert_null(wp_watchdog_open(f->path, 5, &actual, &is_device, &err));
    assert_int_equal(err.code, WP_E_IO);
    assert_true(err.why[0] && err.todo[0]);
    int rd = open(f->path, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    wp_watchdog *w = wp_watchdog_open(f->path, 5, &actual, &is_device, &err);
    assert_non_null(w);
    assert_false(is_device);
    assert_int_equal(actual, 5);
    assert_true(wp_watchdog_pet(w, &err));
    wp_watchdog_close(w, false); /* a crash: no 'V' */
    char buf[8] = "";
    assert_int_equal(read(rd, buf, sizeof buf), 1);
    assert_true(buf[0] != 'V');
    assert_int_equal(read(rd, buf, sizeof buf), 0); /* EOF: closed, nothing more */
    close(rd);
}

static void test_refused(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    int actual = 0;
    bool is_device = false;
    assert_null(wp_watchdog_open(f->path, 1, &actual, &is_device, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_null(wp_watchdog_open(f->path, WP_WATCHDOG_TIMEOUT_MAX + 1, &actual, &is_device, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    /* a missing path: nothing is created */
    assert_null(wp_watchdog_open(f->path, 10, &actual, &is_device, &err));
    assert_int_equal(err.code, WP_E_IO);
    assert_int_equal(access(f->path, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fifo_no_disarm, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refused, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
