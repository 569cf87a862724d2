/*
 * test_kit_hostile.c -- unit tests of the kit loader (src/app/kit.c)
 * against crafted kits (issue 12, class 5; docs/SECURITY.md "Kits"): a
 * manifest nested deeper than WP_KIT_DEPTH_MAX (flow and block style) is
 * refused before it is parsed, with the line and a clear message; a
 * manifest with aliases or larger than WP_KIT_MANIFEST_MAX is refused; a
 * kit.yaml, a program file or an initial database file that is a symlink
 * pointing out of the kit is refused (one pointing inside the kit is
 * fine), and so is a service pack's upgrade program ${kit}/...; a kit.yaml
 * that is a FIFO is refused without blocking.
 */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/app/kit.h"

#define HEAD "name: x\nversion: \"1\"\nedition: E\nclusterable: false\n"

static wp_kit *parse(const char *text, size_t len, wp_err *err)
{
    return wp_kit_parse(text, len, "kit.yaml", NULL, err);
}

/* HEAD, then "parameters: " and depth opening brackets, then closing. */
static char *nested_flow(size_t depth, size_t *len)
{
    size_t head = strlen(HEAD "parameters: ");
    char *t = malloc(head + 2 * depth + 2);
    memcpy(t, HEAD "parameters: ", head);
    memset(t + head, '[', depth);
    memset(t + head + depth, ']', depth);
    t[head + 2 * depth] = '\n';
    t[head + 2 * depth + 1] = '\0';
    *len = head + 2 * depth + 1;
    return t;
}

static void assert_refused(const char *text, size_t len, const char *what_has)
{
    wp_err err = {0};
    wp_kit *kit = parse(text, len, &err);
    if (kit) {
        wp_kit_free(kit);
        fail_msg("accepted a manifest that should be refused (%s)", what_has);
    }
    assert_int_equal(err.code, WP_E_INVALID);
    if (!strstr(err.what, what_has))
        fail_msg("expected '%s' in '%s'", what_has, err.what);
    assert_true(err.why[0] && err.todo[0]);
}

/* The attack: 80 KB and 200 KB of nested flow sequences. */
static void test_deep_flow_nesting_refused(void **state)
{
    (void)state;
    size_t sizes[] = {40000, 100000};
    for (size_t i = 0; i < 2; i++) {
        size_t len;
        char *t = nested_flow(sizes[i], &len);
        assert_refused(t, len, "kit.yaml:5: nested deeper than 16 levels");
        free(t);
    }
    /* just under the limit: refused for its content, not its depth */
    size_t len;
    char *t = nested_flow(WP_KIT_DEPTH_MAX - 1, &len);
    wp_err err = {0};
    assert_null(parse(t, len, &err));
    assert_null(strstr(err.what, "nested deeper"));
    free(t);
}

static void test_deep_block_nesting_refused(void **state)
{
    (void)state;
    char *t = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&t, &size);
    fputs(HEAD "parameters:\n", m);
    for (int i = 0; i < 40; i++)
        fprintf(m, "%*sk%d:\n", 2 * (i + 1), "", i);
    fprintf(m, "%*sv\n", 82, "");
    fclose(m);
    assert_refused(t, size, "nested deeper than 16 levels");
    free(t);
}

static void test_aliases_refused(void **state)
{
    (void)state;
    const char *t = HEAD "parameters: &p\n  a: \"1\"\ndescription: *p\n";
    assert_refused(t, strlen(t), "kit.yaml:7: a YAML alias");
}

static void test_too_large_refused(void **state)
{
    (void)state;
    size_t len = WP_KIT_MANIFEST_MAX + 1;
    char *t = malloc(len);
    memset(t, '#', len);
    t[len - 1] = '\n';
    assert_refused(t, len, "larger than 256 KiB");
    free(t);
}

/* ---- kits on disk ------------------------------------------------------------------ */

static void write_file(const char *dir, const char *rel, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void rm_tree(const char *dir)
{
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static const char kit_text[] = HEAD "files:\n  - from: bin/prog\n    to: /opt/x/prog\n";

/* Two directories side by side: the kit, and a place outside it. */
typedef struct dirs {
    char top[64];
    char kit[128];
    char out[128];
} dirs;

static void make_dirs(dirs *d)
{
    snprintf(d->top, sizeof d->top, "/tmp/wptest-kitsec.XXXXXX");
    assert_non_null(mkdtemp(d->top));
    snprintf(d->kit, sizeof d->kit, "%s/kit", d->top);
    snprintf(d->out, sizeof d->out, "%s/outside", d->top);
    assert_int_equal(mkdir(d->kit, 0755), 0);
    assert_int_equal(mkdir(d->out, 0755), 0);
    char bin[200];
    snprintf(bin, sizeof bin, "%s/bin", d->kit);
    assert_int_equal(mkdir(bin, 0755), 0);
}

static void assert_load_refused(const char *dir, const char *what_has)
{
    wp_err err = {0};
    wp_kit *kit = wp_kit_load(dir, &err);
    if (kit) {
        wp_kit_free(kit);
        fail_msg("loaded a kit that should be refused (%s)", what_has);
    }
    if (!strstr(err.what, what_has))
        fail_msg("expected '%s' in '%s'", what_has, err.what);
    assert_true(err.why[0] && err.todo[0]);
}

static void test_manifest_symlink_out_refused(void **state)
{
    (void)state;
    dirs d;
    make_dirs(&d);
    write_file(d.out, "kit.yaml", kit_text);
    write_file(d.kit, "bin/prog", "x");
    char link[256], target[256];
    snprintf(link, sizeof link, "%s/kit.yaml", d.kit);
    snprintf(target, sizeof target, "%s/kit.yaml", d.out);
    assert_int_equal(symlink(target, link), 0);
    assert_load_refused(d.kit, "leads out of the kit");
    /* the same manifest through a symlink inside the kit loads */
    unlink(link);
    write_file(d.kit, "real.yaml", kit_text);
    assert_int_equal(symlink("real.yaml", link), 0);
    wp_err err = {0};
    wp_kit *kit = wp_kit_load(d.kit, &err);
    assert_non_null(kit);
    wp_kit_free(kit);
    rm_tree(d.top);
}

static void test_program_symlink_out_refused(void **state)
{
    (void)state;
    dirs d;
    make_dirs(&d);
    write_file(d.kit, "kit.yaml", kit_text);
    char link[256];
    snprintf(link, sizeof link, "%s/bin/prog", d.kit);
    assert_int_equal(symlink("/etc/passwd", link), 0);
    assert_load_refused(d.kit, "kit.yaml:6: files[0].from: 'bin/prog' of the kit");
    assert_load_refused(d.kit, "leads out of the kit, to /etc/passwd");
    /* a relative link climbing out is refused too */
    unlink(link);
    write_file(d.out, "prog", "x");
    assert_int_equal(symlink("../../outside/prog", link), 0);
    assert_load_refused(d.kit, "leads out of the kit");
    char out[512];
    wp_err err = {0};
    assert_false(wp_kit_resolve(d.kit, "bin/prog", out, sizeof out, &err));
    assert_int_equal(err.code, WP_E_PERM);
    rm_tree(d.top);
}

static void test_initial_db_symlink_out_refused(void **state)
{
    (void)state;
    dirs d;
    make_dirs(&d);
    write_file(d.kit, "kit.yaml",
               HEAD "databases:\n  - name: db\n    standalone: /var/db\n    clustered: db\n"
                    "    initial: data.db\n");
    char link[256];
    snprintf(link, sizeof link, "%s/data.db", d.kit);
    assert_int_equal(symlink("/etc/shadow", link), 0);
    assert_load_refused(d.kit, "leads out of the kit");
    rm_tree(d.top);
}

/* A service pack's upgrade program named ${kit}/... is a kit file too. */
static void test_upgrade_program_symlink_out_refused(void **state)
{
    (void)state;
    dirs d;
    make_dirs(&d);
    write_file(d.kit, "kit.yaml",
               HEAD "upgrades_from: [\"0.9\"]\nupgrade:\n  command: ${kit}/bin/up --go\n");
    char link[256];
    snprintf(link, sizeof link, "%s/bin/up", d.kit);
    assert_int_equal(symlink("/bin/sh", link), 0);
    assert_load_refused(d.kit, "upgrade.command: 'bin/up' of the kit");
    unlink(link);
    write_file(d.kit, "bin/up", "#!/bin/sh\n");
    wp_err err = {0};
    wp_kit *kit = wp_kit_load(d.kit, &err);
    if (!kit)
        fail_msg("%s", err.what);
    wp_kit_free(kit);
    rm_tree(d.top);
}

static void test_manifest_fifo_refused(void **state)
{
    (void)state;
    dirs d;
    make_dirs(&d);
    char fifo[256];
    snprintf(fifo, sizeof fifo, "%s/kit.yaml", d.kit);
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_load_refused(d.kit, "is not a regular file");
    rm_tree(d.top);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deep_flow_nesting_refused),
        cmocka_unit_test(test_deep_block_nesting_refused),
        cmocka_unit_test(test_aliases_refused),
        cmocka_unit_test(test_too_large_refused),
        cmocka_unit_test(test_manifest_symlink_out_refused),
        cmocka_unit_test(test_program_symlink_out_refused),
        cmocka_unit_test(test_initial_db_symlink_out_refused),
        cmocka_unit_test(test_upgrade_program_symlink_out_refused),
        cmocka_unit_test(test_manifest_fifo_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
