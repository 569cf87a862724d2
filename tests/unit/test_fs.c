/*
 * test_fs.c -- the shared file-system steps (src/lib/fs.h): mkdir -p with
 * an exact mode, durable and volatile atomic replacement, the staged
 * temporary of a several-file change, copying; and that a failure leaves
 * the target as it was, no temporary behind, and errno saying why.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/lib/fs.h"

typedef struct fixture {
    char dir[64];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wp-test-fs-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    *state = f;
    return 0;
}

static int rm_tree(const char *path)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    return system(cmd);
}

static int teardown(void **state)
{
    fixture *f = *state;
    rm_tree(f->dir);
    free(f);
    return 0;
}

static void path_in(const fixture *f, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", f->dir, name);
}

static char *read_text(const char *path)
{
    static char buf[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = '\0';
    return buf;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

/* Entries of dir (besides . and ..). */
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_mkdir_p_exact_mode(void **state)
{
    fixture *f = *state;
    char p[PATH_MAX], mid[PATH_MAX];
    path_in(f, "a/b/c", p, sizeof p);
    path_in(f, "a/b", mid, sizeof mid);
    mode_t old = umask(077);
    wp_err err = {0};
    bool ok = wp_fs_mkdir_p(p, 0755, &err);
    umask(old);
    assert_true(ok);
    assert_int_equal(mode_of(p), 0755); /* not narrowed by the umask */
    assert_int_equal(mode_of(mid), 0755);
    assert_true(wp_fs_mkdir_p(p, 0700, &err)); /* existing: fine, left alone */
    assert_int_equal(mode_of(p), 0755);
}

/* wp_fs_mkdir_p_noting's callback: append dir to a '|'-joined list */
static void note_dir(const char *dir, void *arg)
{
    char *list = arg;
    size_t used = strlen(list);
    snprintf(list + used, PATH_MAX * 4 - used, "%s|", dir);
}

static void test_mkdir_p_notes_what_it_made(void **state)
{
    fixture *f = *state;
    char keep[PATH_MAX], deep[PATH_MAX], want[PATH_MAX * 4];
    static char made[PATH_MAX * 4];
    path_in(f, "kept", keep, sizeof keep);
    path_in(f, "kept/x/y", deep, sizeof deep);
    assert_true(wp_fs_mkdir_p(keep, 0755, NULL)); /* there before: not noted */
    made[0] = '\0';
    wp_err err = {0};
    assert_true(wp_fs_mkdir_p_noting(deep, 0755, note_dir, made, &err));
    snprintf(want, sizeof want, "%s/x|%s/x/y|", keep, keep);
    assert_string_equal(made, want); /* only the new ones, parents first */
    made[0] = '\0';
    assert_true(wp_fs_mkdir_p_noting(deep, 0755, note_dir, made, &err));
    assert_string_equal(made, ""); /* all there: nothing noted */
}

static void test_mkdir_p_refuses(void **state)
{
    fixture *f = *state;
    char file[PATH_MAX], under[PATH_MAX];
    path_in(f, "file", file, sizeof file);
    path_in(f, "file/sub", under, sizeof under);
    assert_true(wp_fs_write_atomic(file, "x", 1, 0644, NULL));
    wp_err err = {0};
    assert_false(wp_fs_mkdir_p(file, 0755, &err)); /* a file is in the way */
    assert_int_equal(err.code, WP_E_IO);
    assert_non_null(strstr(err.what, file));
    assert_false(wp_fs_mkdir_p(under, 0755, &err));
    assert_int_equal(err.code, WP_E_IO);
    assert_false(wp_fs_mkdir_p("", 0755, &err));
    assert_int_equal(err.code, WP_E_INVALID);
}

static void test_write_atomic_replaces(void **state)
{
    fixture *f = *state;
    char p[PATH_MAX];
    path_in(f, "conf", p, sizeof p);
    wp_err err = {0};
    assert_true(wp_fs_write_atomic(p, "one\n", 4, 0600, &err));
    assert_string_equal(read_text(p), "one\n");
    assert_int_equal(mode_of(p), 0600);
    assert_true(wp_fs_write_atomic(p, "two, longer\n", 12, 0644, &err));
    assert_string_equal(read_text(p), "two, longer\n");
    assert_int_equal(mode_of(p), 0644);
    assert_true(wp_fs_write_atomic(p, "", 0, 0644, &err));
    assert_string_equal(read_text(p), "");
    assert_int_equal(entries(f->dir), 1); /* no temporary left */
}

static void test_write_atomic_failure_changes_nothing(void **state)
{
    fixture *f = *state;
    char d[PATH_MAX], missing[PATH_MAX];
    path_in(f, "adir", d, sizeof d);
    path_in(f, "no/such/file", missing, sizeof missing);
    assert_true(wp_fs_mkdir_p(d, 0755, NULL));
    wp_err err = {0};
    /* renaming a file over a directory fails: the directory stays */
    assert_false(wp_fs_write_atomic(d, "x", 1, 0644, &err));
    assert_int_equal(errno, EISDIR);
    assert_int_equal(err.code, WP_E_IO);
    assert_non_null(strstr(err.what, d));
    struct stat st;
    assert_int_equal(stat(d, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(entries(f->dir), 1); /* only adir: no temporary */
    assert_false(wp_fs_write_atomic(missing, "x", 1, 0644, &err));
    assert_int_equal(errno, ENOENT);
    assert_false(wp_fs_publish(d, "x", 1, 0644, NULL));
    assert_int_equal(errno, EISDIR);
    assert_int_equal(entries(f->dir), 1);
}

static void test_publish(void **state)
{
    fixture *f = *state;
    char p[PATH_MAX];
    path_in(f, "state", p, sizeof p);
    assert_true(wp_fs_publish(p, "12 34\n", 6, 0644, NULL));
    assert_string_equal(read_text(p), "12 34\n");
    assert_true(wp_fs_publish(p, "5\n", 2, 0640, NULL));
    assert_string_equal(read_text(p), "5\n");
    assert_int_equal(mode_of(p), 0640);
    assert_int_equal(entries(f->dir), 1);
}

static void test_write_temp_leaves_target(void **state)
{
    fixture *f = *state;
    char p[PATH_MAX], tmp[PATH_MAX];
    path_in(f, "key", p, sizeof p);
    assert_true(wp_fs_write_atomic(p, "old", 3, 0644, NULL));
    wp_err err = {0};
    assert_true(wp_fs_write_temp(p, "new", 3, 0400, tmp, sizeof tmp, &err));
    assert_string_equal(read_text(p), "old"); /* untouched until renamed */
    assert_string_equal(read_text(tmp), "new");
    assert_int_equal(mode_of(tmp), 0400);
    assert_int_equal(strncmp(tmp, f->dir, strlen(f->dir)), 0); /* beside it */
    assert_int_equal(rename(tmp, p), 0);
    assert_string_equal(read_text(p), "new");
}

static void test_copy_atomic(void **state)
{
    fixture *f = *state;
    char src[PATH_MAX], dst[PATH_MAX];
    path_in(f, "src", src, sizeof src);
    path_in(f, "x/y/dst", dst, sizeof dst);
    assert_true(wp_fs_write_atomic(src, "payload", 7, 0644, NULL));
    wp_err err = {0};
    assert_true(wp_fs_copy_atomic(src, dst, 0750, &err));
    assert_string_equal(read_text(dst), "payload");
    assert_int_equal(mode_of(dst), 0750);
    path_in(f, "missing", src, sizeof src);
    assert_false(wp_fs_copy_atomic(src, dst, 0750, &err));
    assert_int_equal(err.code, WP_E_IO);
    assert_string_equal(read_text(dst), "payload");
}

static void test_read_small(void **state)
{
    fixture *f = *state;
    char p[PATH_MAX], buf[8];
    path_in(f, "pidfile", p, sizeof p);
    assert_false(wp_fs_read_small(p, buf, sizeof buf)); /* missing */
    assert_int_equal(errno, ENOENT);
    assert_true(wp_fs_write_atomic(p, "123 4567890", 11, 0644, NULL));
    assert_true(wp_fs_read_small(p, buf, sizeof buf));
    assert_string_equal(buf, "123 456"); /* cut to fit, terminated */
    assert_true(wp_fs_write_atomic(p, "", 0, 0644, NULL));
    assert_true(wp_fs_read_small(p, buf, sizeof buf));
    assert_string_equal(buf, "");
}

static void test_err_advice(void **state)
{
    (void)state;
    wp_err err = {0};
    wp_fs_err(&err, ENOSPC, "cannot write", "/x");
    assert_int_equal(err.code, WP_E_IO);
    assert_string_equal(err.what, "cannot write /x");
    assert_non_null(strstr(err.todo, "free space"));
}

/* A pipe's output collected chunk by chunk: more to come, the end with
 * what came, and more than the limit (nothing usable). */
static void test_read_more(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe2(p, O_NONBLOCK), 0);
    char *buf = NULL;
    size_t len = 0;
    assert_true(wp_fs_read_more(p[0], &buf, &len, 10)); /* nothing yet */
    assert_int_equal(len, 0);
    assert_true(wp_fs_write_all(p[1], "hello", 5));
    assert_true(wp_fs_read_more(p[0], &buf, &len, 10));
    assert_true(wp_fs_write_all(p[1], " you", 4));
    assert_true(wp_fs_read_more(p[0], &buf, &len, 10));
    assert_int_equal(len, 9);
    assert_memory_equal(buf, "hello you", 9);
    close(p[1]);
    assert_false(wp_fs_read_more(p[0], &buf, &len, 10)); /* end of file */
    assert_int_equal(len, 9);
    close(p[0]);

    assert_int_equal(pipe2(p, O_NONBLOCK), 0);
    assert_true(wp_fs_write_all(p[1], "12", 2));
    assert_false(wp_fs_read_more(p[0], &buf, &len, 10)); /* 11 bytes: too many */
    assert_int_equal(len, 0);
    close(p[0]);
    close(p[1]);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_mkdir_p_exact_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_p_notes_what_it_made, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_atomic_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_atomic_failure_changes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_publish, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_temp_leaves_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_atomic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_small, setup, teardown),
        cmocka_unit_test(test_err_advice),
        cmocka_unit_test(test_read_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
