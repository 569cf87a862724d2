/*
 * test_conffile.c -- unit tests of src/lib/conffile.c, the strict
 * `key = value` files of wolfpackd.conf: good files (comments, blanks,
 * spaces, '#' and '=' inside a value, no final newline), every refusal with
 * its FILE:LINE (not key = value, bad key, unknown key, repeated key, empty
 * value, control character, invalid UTF-8, NUL, too long a line, too large
 * a file), and reading (missing allowed or not, a directory, a real file);
 * the command line's first pass (--config found, --help and --version
 * answered, other options and errors left for the second pass).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/lib/conffile.h"

static const char *const KEYS[] = {"state-dir", "socket", "admin-group", "solo", NULL};

static bool parse(const char *text, wp_conf *c, wp_err *err)
{
    memset(err, 0, sizeof *err);
    return wp_conf_parse("/etc/x.conf", text, strlen(text), KEYS, c, err);
}

static void value_is(const wp_conf *c, const char *key, const char *value, unsigned line)
{
    const wp_conf_entry *e = wp_conf_get(c, key);
    assert_non_null(e);
    assert_string_equal(e->value, value);
    assert_int_equal(e->line, line);
}

static void test_good(void **state)
{
    (void)state;
    wp_conf c;
    wp_err err;
    assert_true(parse("# wolfpackd.conf\n"
                      "\n"
                      "  state-dir =  /srv/wp state \t\r\n"
                      "\t# a comment\n"
                      "socket=/run/a=b#c.sock\n"
                      "admin-group = hadmin",
                      &c, &err));
    assert_int_equal(c.n, 3);
    value_is(&c, "state-dir", "/srv/wp state", 3);
    value_is(&c, "socket", "/run/a=b#c.sock", 5);
    value_is(&c, "admin-group", "hadmin", 6);
    assert_null(wp_conf_get(&c, "solo"));
    assert_string_equal(c.entries[0].key, "state-dir"); /* file order */
    wp_conf_free(&c);
    assert_int_equal(c.n, 0);

    assert_true(parse("", &c, &err));
    assert_int_equal(c.n, 0);
    wp_conf_free(&c);
    assert_true(parse("# only comments\n\n   \n", &c, &err));
    assert_int_equal(c.n, 0);
    wp_conf_free(&c);
    /* UTF-8 is fine */
    assert_true(parse("admin-group = gr\xc3\xbcn\n", &c, &err));
    value_is(&c, "admin-group", "gr\xc3\xbcn", 1);
    wp_conf_free(&c);
}

/* The text is refused; the error's WHAT starts with FILE:LINE and holds
 * want; why and to-do are set; nothing is kept. */
static void refused(const char *text, const char *where, const char *want)
{
    wp_conf c;
    wp_err err;
    assert_false(parse(text, &c, &err));
    assert_int_equal(c.n, 0);
    assert_null(c.entries);
    assert_int_equal(err.code, WP_E_INVALID);
    if (strncmp(err.what, where, strlen(where)) != 0 || !strstr(err.what, want))
        fail_msg("what \"%s\": wanted \"%s\" and \"%s\"", err.what, where, want);
    assert_true(err.why[0] != '\0');
    assert_true(err.todo[0] != '\0');
}

static void test_refused(void **state)
{
    (void)state;
    refused("socket = /s\nstate-dir\n", "/etc/x.conf:2: ", "not a setting");
    refused("\n--socket = /s\n", "/etc/x.conf:2: ", "not a setting");
    refused("Socket = /s\n", "/etc/x.conf:1: ", "not a setting");
    refused("= /s\n", "/etc/x.conf:1: ", "not a setting");
    refused("sockett = /s\n", "/etc/x.conf:1: ", "unknown key \"sockett\"");
    refused("socket = /a\n# x\nsocket = /b\n", "/etc/x.conf:3: ", "\"socket\" is set again");
    refused("socket =   \n", "/etc/x.conf:1: ", "\"socket\" has no value");
    refused("socket = /a\x1b[2J\n", "/etc/x.conf:1: ", "control character");
    refused("socket = /a\tb\n", "/etc/x.conf:1: ", "control character");
    refused("admin-group = \xff\xfe\n", "/etc/x.conf:1: ", "invalid UTF-8");
}

static void test_unknown_key_lists_keys(void **state)
{
    (void)state;
    wp_conf c;
    wp_err err;
    assert_false(parse("group = x\n", &c, &err));
    assert_non_null(strstr(err.why, "state-dir, socket, admin-group, solo"));
    assert_non_null(strstr(err.todo, "/etc/x.conf"));
}

static void test_nul_and_sizes(void **state)
{
    (void)state;
    wp_conf c;
    wp_err err;
    static const char nul[] = "socket = /a\0b\n";
    assert_false(wp_conf_parse("f", nul, sizeof nul - 1, KEYS, &c, &err));
    assert_string_equal(err.what, "f:1: the line holds a control character or invalid UTF-8");

    char *line = malloc(WP_CONFFILE_LINE_MAX + 64);
    assert_non_null(line);
    memset(line, 'a', WP_CONFFILE_LINE_MAX + 20);
    memcpy(line, "# ok\nsocket = /", 15);
    line[WP_CONFFILE_LINE_MAX + 20] = '\0';
    assert_false(parse(line, &c, &err));
    assert_string_equal(err.what, "/etc/x.conf:2: the line is too long");
    free(line);

    char *big = malloc(WP_CONFFILE_MAX + 2);
    assert_non_null(big);
    memset(big, '\n', WP_CONFFILE_MAX + 1);
    big[WP_CONFFILE_MAX + 1] = '\0';
    assert_false(parse(big, &c, &err));
    assert_non_null(strstr(err.what, "too large"));
    big[WP_CONFFILE_MAX] = '\0'; /* exactly the limit: fine */
    assert_true(parse(big, &c, &err));
    wp_conf_free(&c);
    free(big);
}

static void test_read(void **state)
{
    (void)state;
    char dir[] = "/tmp/wp_conffile.XXXXXX";
    char path[256];
    wp_conf c;
    wp_err err = {0};
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/wolfpackd.conf", dir);

    assert_true(wp_conf_read(path, true, KEYS, &c, &err)); /* missing, allowed */
    assert_int_equal(c.n, 0);
    assert_false(wp_conf_read(path, false, KEYS, &c, &err)); /* missing, given */
    assert_non_null(strstr(err.what, path));
    assert_non_null(strstr(err.why, "No such file"));
    assert_false(wp_conf_read(dir, false, KEYS, &c, &err)); /* a directory */
    assert_string_equal(err.why, "it is not a regular file");

    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("solo = yes\nsocket = /run/x.sock\n", f);
    fclose(f);
    assert_true(wp_conf_read(path, false, KEYS, &c, &err));
    assert_string_equal(c.path, path);
    value_is(&c, "solo", "yes", 1);
    value_is(&c, "socket", "/run/x.sock", 2);
    wp_conf_free(&c);

    f = fopen(path, "w");
    assert_non_null(f);
    fputs("solo = yes\nsolo\n", f);
    fclose(f);
    assert_false(wp_conf_read(path, true, KEYS, &c, &err));
    char want[300];
    snprintf(want, sizeof want, "%s:2: not a setting", path);
    assert_string_equal(err.what, want);
    unlink(path);
    rmdir(dir);
}

static void first_usage(FILE *out)
{
    fputs("usage: prog [--config FILE]\n", out);
}

static const struct option FIRST_OPTS[] = {
    {"config", required_argument, NULL, 'C'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"state-dir", required_argument, NULL, 'S'},
    {NULL, 0, NULL, 0},
};

/* One first pass over words (at most 7); *text gets what it printed. */
static const char *first(const char *const *words, bool *exit_now, char *text, size_t size)
{
    char *argv[8] = {"prog"};
    int argc = 1;
    while (words[argc - 1] && argc < 8) {
        argv[argc] = (char *)words[argc - 1];
        argc++;
    }
    memset(text, 0, size);
    FILE *out = fmemopen(text, size, "w");
    assert_non_null(out);
    const char *path =
        wp_conf_first_pass(argc, argv, FIRST_OPTS, "prog", first_usage, out, exit_now);
    fclose(out);
    return path;
}

static void test_first_pass(void **state)
{
    (void)state;
    char text[200];
    bool exit_now = true;
    const char *none[] = {"--state-dir", "/s", "--bogus", NULL};
    assert_null(first(none, &exit_now, text, sizeof text));
    assert_false(exit_now);
    assert_string_equal(text, "");
    assert_int_equal(optind, 0); /* the second pass starts afresh */

    const char *cfg[] = {"--state-dir", "/s", "--config", "/etc/a.conf", "-x", NULL};
    const char *path = first(cfg, &exit_now, text, sizeof text);
    assert_non_null(path);
    assert_string_equal(path, "/etc/a.conf");
    assert_false(exit_now);

    const char *help[] = {"--config", "/c", "-h", "--version", NULL};
    first(help, &exit_now, text, sizeof text);
    assert_true(exit_now);
    assert_string_equal(text, "usage: prog [--config FILE]\n");

    const char *version[] = {"--version", NULL};
    first(version, &exit_now, text, sizeof text);
    assert_true(exit_now);
    assert_string_equal(text, "prog " WP_VERSION "\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_unknown_key_lists_keys),
        cmocka_unit_test(test_nul_and_sizes),
        cmocka_unit_test(test_read),
        cmocka_unit_test(test_first_pass),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
