/*
 * test_cluster_conf.c -- unit tests of src/lib/cluster_conf.c: wolfpack.conf
 * parsing (good lines, comments, spaces; unknown keys, malformed lines, bad
 * and repeated values warned and ignored), reading a file (missing, present,
 * unreadable), rendering (round trip), and the cluster address check against
 * the nodes' subnet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/lib/cluster_conf.h"

typedef struct warnings {
    int n;
    char last[512];
    char all[4096];
} warnings;

static void collect(void *ctx, const char *msg)
{
    warnings *w = ctx;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", msg);
    size_t len = strlen(w->all);
    snprintf(w->all + len, sizeof w->all - len, "%s\n", msg);
}

static void parse(const char *text, wp_cluster_conf *c, warnings *w)
{
    memset(w, 0, sizeof *w);
    wp_cluster_conf_parse(text, c, collect, w);
}

static void test_good(void **state)
{
    (void)state;
    wp_cluster_conf c;
    warnings w;
    parse("cluster_ip=198.51.100.99/24\n", &c, &w);
    assert_string_equal(c.cluster_ip, "198.51.100.99/24");
    assert_int_equal(w.n, 0);
    parse("# comment\n\n   \t\n  cluster_ip =  2001:db8::99/64 \r\n# end", &c, &w);
    assert_string_equal(c.cluster_ip, "2001:db8::99/64");
    assert_int_equal(w.n, 0);
    parse("cluster_ip=198.51.100.99/24", &c, &w); /* no final newline */
    assert_string_equal(c.cluster_ip, "198.51.100.99/24");
    parse("", &c, &w);
    assert_string_equal(c.cluster_ip, "");
    assert_int_equal(w.n, 0);
}

static void test_ignored(void **state)
{
    (void)state;
    wp_cluster_conf c;
    warnings w;
    parse("colour=blue\ncluster_ip=198.51.100.99/24\n", &c, &w);
    assert_string_equal(c.cluster_ip, "198.51.100.99/24");
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.last, "line 1: unknown key \"colour\""));

    parse("just words\n=x\nCluster_IP=198.51.100.99/24\n", &c, &w);
    assert_string_equal(c.cluster_ip, "");
    assert_int_equal(w.n, 3);
    assert_non_null(strstr(w.all, "line 1: \"just words\" is not key=value"));
    assert_non_null(strstr(w.all, "line 2:"));
    assert_non_null(strstr(w.all, "line 3:"));

    static const char *const bad[] = {
        "cluster_ip=198.51.100.99\n",     /* no prefix */
        "cluster_ip=198.51.100.999/24\n", /* not an address */
        "cluster_ip=198.51.100.99/33\n",  /* prefix too long */
        "cluster_ip=\n",                  /* empty */
        "cluster_ip=224.0.0.1/24\n",      /* multicast */
        "cluster_ip=198.51.100.99/24 extra words that make this value far too long to hold\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        parse(bad[i], &c, &w);
        assert_string_equal(c.cluster_ip, "");
        assert_int_equal(w.n, 1);
        assert_non_null(strstr(w.last, "line 1: cluster_ip"));
    }

    parse("cluster_ip=198.51.100.99/24\ncluster_ip=198.51.100.98/24\n", &c, &w);
    assert_string_equal(c.cluster_ip, "198.51.100.99/24"); /* the first holds */
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.last, "line 2: cluster_ip is given again"));

    parse("\x01\x02\xff\n", &c, &w); /* garbage: a warning, no crash */
    assert_int_equal(w.n, 1);
    wp_cluster_conf_parse("cluster_ip=x\n", &c, NULL, NULL); /* no callback */
    assert_string_equal(c.cluster_ip, "");
}

static void test_read(void **state)
{
    (void)state;
    char dir[] = "/tmp/wp-test-clconf-XXXXXX";
    char path[128];
    wp_cluster_conf c;
    warnings w = {0};
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/wolfpack.conf", dir);

    memset(&c, 'x', sizeof c);
    assert_false(wp_cluster_conf_read(path, &c, collect, &w)); /* missing: quiet */
    assert_int_equal(w.n, 0);
    assert_string_equal(c.cluster_ip, "");

    wp_err err = {0};
    char *text = wp_cluster_conf_render("198.51.100.99/24", &err);
    assert_non_null(text);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fputs("bogus=1\n", f);
    fclose(f);
    free(text);
    assert_true(wp_cluster_conf_read(path, &c, collect, &w));
    assert_string_equal(c.cluster_ip, "198.51.100.99/24");
    assert_int_equal(w.n, 1);

    /* a directory in its place: a warning, nothing used */
    unlink(path);
    assert_int_equal(mkdir(path, 0700), 0);
    memset(&w, 0, sizeof w);
    assert_false(wp_cluster_conf_read(path, &c, collect, &w));
    assert_int_equal(w.n, 1);
    assert_non_null(strstr(w.last, "cannot read"));
    assert_string_equal(c.cluster_ip, "");
    rmdir(path);
    rmdir(dir);
}

static void test_render(void **state)
{
    (void)state;
    wp_err err = {0};
    wp_cluster_conf c;
    warnings w;
    char *text = wp_cluster_conf_render(NULL, &err);
    assert_non_null(text);
    assert_null(strstr(text, "cluster_ip="));
    parse(text, &c, &w);
    assert_int_equal(w.n, 0);
    free(text);
    assert_null(wp_cluster_conf_render("198.51.100.99", &err));
    assert_int_equal(err.code, WP_E_INVALID);
}

static void test_subnet(void **state)
{
    (void)state;
    static const char *const v4[] = {"198.51.100.11", "198.51.100.12", "198.51.100.13"};
    static const char *const v6[] = {"2001:db8::1", "2001:db8::2"};
    wp_err err = {0};
    assert_true(wp_cluster_ip_check("198.51.100.99/24", v4, 3, &err));
    assert_true(wp_cluster_ip_check("198.51.100.99/16", v4, 3, &err));
    assert_true(wp_cluster_ip_check("198.51.100.9/28", v4, 3, &err)); /* .0-.15 */
    assert_true(wp_cluster_ip_check("2001:db8::99/64", v6, 2, &err));

    memset(&err, 0, sizeof err);
    assert_false(wp_cluster_ip_check("198.51.100.99/28", v4, 3, &err)); /* .96-.111 */
    assert_int_equal(err.code, WP_E_INVALID);
    assert_non_null(strstr(err.what, "not in the subnet of node address 198.51.100.11"));
    assert_true(err.why[0] && err.todo[0]);
    assert_false(wp_cluster_ip_check("203.0.113.5/24", v4, 3, &err));
    assert_false(wp_cluster_ip_check("198.51.100.12/24", v4, 3, &err)); /* a node's */
    assert_non_null(strstr(err.what, "is node address 198.51.100.12"));
    assert_false(wp_cluster_ip_check("2001:db8::99/64", v4, 3, &err)); /* other family */
    assert_false(wp_cluster_ip_check("198.51.100.99/24", v6, 2, &err));
    assert_false(wp_cluster_ip_check("198.51.100.99", v4, 3, &err)); /* no prefix */
    assert_true(err.todo[0] != '\0');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),   cmocka_unit_test(test_ignored), cmocka_unit_test(test_read),
        cmocka_unit_test(test_render), cmocka_unit_test(test_subnet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
