/*
 * test_refusals.c -- values that must be refused (issue 12, class 7;
 * docs/SECURITY.md "Values refused"), each beside a close value that is
 * still accepted, so that a check cannot pass by refusing everything:
 * mount points on system directories, IP Address values that are a
 * network, broadcast or loopback address, node addresses (in the model and
 * through wp_db_apply, which leaves the database unchanged), unit names
 * starting with '-', commands holding a newline, names "." and "..", the
 * disk that holds the node's own / as a Physical Disk (the agent's validate
 * through a device node with the root file system's device number), TSIG
 * key files others may read or write, and the success note an agent leaves
 * (how an unsigned DNS update is announced on the resource).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/agents/agent.h"
#include "../../src/agents/disk.h"
#include "../../src/agents/netname.h"
#include "../../src/db/db.h"
#include "../../src/lib/model.h"

typedef struct pcase {
    wp_rtype type;
    const char *key;
    const char *value;
    bool ok;
    const char *why_has; /* for refusals: part of the reason */
} pcase;

static const pcase prop_cases[] = {
    /* mount points */
    {WP_RT_DISK, "mountpoint", "/", false, "root directory"},
    {WP_RT_DISK, "mountpoint", "//", false, "root directory"},
    {WP_RT_DISK, "mountpoint", "/etc", false, "system directory /etc"},
    {WP_RT_DISK, "mountpoint", "/etc/", false, "system directory /etc"},
    {WP_RT_DISK, "mountpoint", "//etc//", false, "system directory /etc"},
    {WP_RT_DISK, "mountpoint", "/etc/ssl", false, "below the system directory /etc"},
    {WP_RT_DISK, "mountpoint", "/usr", false, "/usr"},
    {WP_RT_DISK, "mountpoint", "/bin", false, "/bin"},
    {WP_RT_DISK, "mountpoint", "/sbin", false, "/sbin"},
    {WP_RT_DISK, "mountpoint", "/boot", false, "/boot"},
    {WP_RT_DISK, "mountpoint", "/boot/efi", false, "/boot"},
    {WP_RT_DISK, "mountpoint", "/dev", false, "/dev"},
    {WP_RT_DISK, "mountpoint", "/dev/shm", false, "/dev"},
    {WP_RT_DISK, "mountpoint", "/proc", false, "/proc"},
    {WP_RT_DISK, "mountpoint", "/sys/fs", false, "/sys"},
    {WP_RT_DISK, "mountpoint", "/run", false, "/run"},
    {WP_RT_DISK, "mountpoint", "/var", false, "/var"},
    {WP_RT_DISK, "mountpoint", "/var/lib", false, "/var/lib"},
    {WP_RT_DISK, "mountpoint", "/lib", false, "/lib"},
    {WP_RT_DISK, "mountpoint", "/lib64", false, "/lib64"},
    {WP_RT_DISK, "mountpoint", "/root", false, "/root"},
    {WP_RT_DISK, "mountpoint", "/home", false, "/home"},
    {WP_RT_DISK, "mountpoint", "/home/", false, "/home"},
    {WP_RT_DISK, "mountpoint", "/srv/mail", true, NULL},
    {WP_RT_DISK, "mountpoint", "/var/lib/mysql", true, NULL},
    {WP_RT_DISK, "mountpoint", "/home/shared", true, NULL},
    {WP_RT_DISK, "mountpoint", "/mnt/data", true, NULL},
    {WP_RT_DISK, "mountpoint", "/run/wolfpack/x", true, NULL},
    {WP_RT_DISK, "mountpoint", "/etcetera", true, NULL},
    /* IP Address: network, broadcast, loopback, unspecified, multicast */
    {WP_RT_IP, "address", "198.51.100.0/24", false, "network address"},
    {WP_RT_IP, "address", "198.51.100.255/24", false, "broadcast address"},
    {WP_RT_IP, "address", "198.51.100.64/26", false, "network address"},
    {WP_RT_IP, "address", "198.51.100.127/25", false, "broadcast address"},
    {WP_RT_IP, "address", "127.0.0.1/8", false, "loopback"},
    {WP_RT_IP, "address", "127.1.2.3/32", false, "loopback"},
    {WP_RT_IP, "address", "::1/128", false, "loopback"},
    {WP_RT_IP, "address", "0.0.0.0/24", false, "unspecified"},
    {WP_RT_IP, "address", "224.0.0.5/24", false, "multicast"},
    {WP_RT_IP, "address", "198.51.100.10/24", true, NULL},
    {WP_RT_IP, "address", "198.51.100.1/24", true, NULL},
    {WP_RT_IP, "address", "198.51.100.254/24", true, NULL},
    {WP_RT_IP, "address", "198.51.100.0/31", true, NULL}, /* RFC 3021: both usable */
    {WP_RT_IP, "address", "198.51.100.255/32", true, NULL},
    {WP_RT_IP, "address", "2001:db8::10/64", true, NULL},
    /* Generic Service */
    {WP_RT_SERVICE, "unit", "-exim4.service", false, "cannot start with '-'"},
    {WP_RT_SERVICE, "unit", "--now.service", false, "cannot start with '-'"},
    {WP_RT_SERVICE, "unit", "exim4-x.service", true, NULL},
    {WP_RT_SERVICE, "command", "/usr/bin/echo a\nb", false, "newline"},
    {WP_RT_SERVICE, "command", "/usr/bin/echo a\n/bin/rm -rf /", false, "newline"},
    {WP_RT_SERVICE, "command", "/usr/bin/echo a\rb", false, "carriage return"},
    {WP_RT_SERVICE, "check_command", "/usr/bin/true\n", false, "newline"},
    {WP_RT_SERVICE, "command", "/usr/bin/echo a\tb", true, NULL},
};

static void test_prop_refusals(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof prop_cases / sizeof prop_cases[0]; i++) {
        const pcase *c = &prop_cases[i];
        wp_err err = {0};
        bool ok = wp_prop_validate(c->type, c->key, c->value, &err);
        if (ok != c->ok)
            fail_msg("case %zu: %s=\"%s\": expected %s, got %s (%s)", i, c->key, c->value,
                     c->ok ? "accept" : "refuse", ok ? "accept" : "refuse", err.why);
        if (!ok) {
            assert_int_equal(err.code, WP_E_INVALID);
            assert_true(err.what[0] && err.why[0] && err.todo[0]);
            if (c->why_has && !strstr(err.why, c->why_has))
                fail_msg("case %zu: '%s' not in why '%s'", i, c->why_has, err.why);
        }
    }
}

static void test_dot_names_refused(void **state)
{
    (void)state;
    const char *kinds[] = {"group", "resource", "node"};
    for (size_t k = 0; k < 3; k++) {
        wp_err err = {0};
        assert_false(wp_name_valid(kinds[k], ".", &err));
        assert_int_equal(err.code, WP_E_INVALID);
        assert_false(wp_name_valid(kinds[k], "..", &err));
        assert_int_equal(err.code, WP_E_INVALID);
    }
    wp_err err = {0};
    assert_false(wp_name_valid("group", "..", &err));
    assert_non_null(strstr(err.why, "parent directory"));
    assert_true(wp_name_valid("group", "...", &err));
    assert_true(wp_name_valid("group", "a.b", &err));
    assert_true(wp_name_valid("resource", ".hidden", &err));
}

static void test_node_addresses(void **state)
{
    (void)state;
    static const struct {
        const char *addr;
        bool loopback_ok;
        bool ok;
    } cases[] = {
        {"0.0.0.0", true, false},        {"::", true, false},
        {"224.0.0.1", true, false},      {"239.192.0.1", true, false},
        {"ff02::1", true, false},        {"255.255.255.255", true, false},
        {"127.0.0.1", false, false},     {"127.0.1.1", false, false},
        {"::1", false, false},           {"localhost", false, false},
        {"LocalHost", false, false},     {"127.0.0.1", true, true},
        {"localhost", true, true},       {"198.51.100.11", false, true},
        {"2001:db8::1", false, true},    {"node1.example.org", false, true},
        {"198.51.100.255", false, true}, /* a host in a larger subnet may end in .255 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wp_err err = {0};
        bool ok = wp_node_address_valid(cases[i].addr, cases[i].loopback_ok, &err);
        if (ok != cases[i].ok)
            fail_msg("node address %s (loopback %s): expected %s", cases[i].addr,
                     cases[i].loopback_ok ? "ok" : "not ok", cases[i].ok ? "accept" : "refuse");
        if (!ok)
            assert_true(err.code == WP_E_INVALID && err.why[0] && err.todo[0]);
    }
}

/* ---- through the database ------------------------------------------------------- */

static void refused_by_db(wp_db *db, const char *text, const char *what_has)
{
    json_error_t je;
    json_t *cmd = json_loads(text, 0, &je);
    assert_non_null(cmd);
    int64_t before = wp_db_version(db);
    wp_err err = {0};
    if (wp_db_apply(db, cmd, &err))
        fail_msg("applied: %s", text);
    assert_int_equal(err.code, WP_E_INVALID);
    if (!strstr(err.what, what_has) && !strstr(err.why, what_has))
        fail_msg("'%s' not in '%s' / '%s'", what_has, err.what, err.why);
    assert_int_equal(wp_db_version(db), before);
    json_decref(cmd);
}

static void applied(wp_db *db, const char *text)
{
    json_error_t je;
    json_t *cmd = json_loads(text, 0, &je);
    assert_non_null(cmd);
    wp_err err = {0};
    if (!wp_db_apply(db, cmd, &err))
        fail_msg("refused: %s: %s (%s)", text, err.what, err.why);
    json_decref(cmd);
}

static void test_db_refusals(void **state)
{
    (void)state;
    char dir[] = "/tmp/wptest-refusals.XXXXXX", path[128];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cluster.db", dir);
    wp_err err = {0};
    wp_db *db = wp_db_open(path, &err);
    assert_non_null(db);
    refused_by_db(db,
                  "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":["
                  "{\"name\":\"n1\",\"address\":\"127.0.0.1\",\"id\":1},"
                  "{\"name\":\"n2\",\"address\":\"198.51.100.12\",\"id\":2}]}}",
                  "loopback");
    refused_by_db(db,
                  "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":["
                  "{\"name\":\"n1\",\"address\":\"0.0.0.0\",\"id\":1}]}}",
                  "unspecified");
    /* solo mode: one node at 127.0.0.1 */
    applied(db, "{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":["
                "{\"name\":\"n1\",\"address\":\"127.0.0.1\",\"id\":1}]}}");
    refused_by_db(db,
                  "{\"op\":\"node.add\",\"args\":{\"name\":\"n2\",\"address\":\"127.0.0.2\","
                  "\"id\":2}}",
                  "loopback");
    refused_by_db(db,
                  "{\"op\":\"node.add\",\"args\":{\"name\":\"n2\",\"address\":\"224.1.1.1\","
                  "\"id\":2}}",
                  "multicast");
    refused_by_db(db,
                  "{\"op\":\"node.add\",\"args\":{\"name\":\"n2\","
                  "\"address\":\"255.255.255.255\",\"id\":2}}",
                  "broadcast");
    applied(db, "{\"op\":\"node.add\",\"args\":{\"name\":\"n2\",\"address\":\"198.51.100.12\","
                "\"id\":2}}");
    refused_by_db(db, "{\"op\":\"group.create\",\"args\":{\"name\":\"..\"}}", "parent directory");
    refused_by_db(db, "{\"op\":\"group.create\",\"args\":{\"name\":\".\"}}", "parent directory");
    applied(db, "{\"op\":\"group.create\",\"args\":{\"name\":\"g\"}}");
    refused_by_db(db,
                  "{\"op\":\"resource.create\",\"args\":{\"name\":\"..\",\"group\":\"g\","
                  "\"type\":\"ip\",\"props\":{\"address\":\"198.51.100.50/24\"}}}",
                  "parent directory");
    refused_by_db(db,
                  "{\"op\":\"resource.create\",\"args\":{\"name\":\"d\",\"group\":\"g\","
                  "\"type\":\"disk\",\"props\":{\"device\":\"/dev/loop7\",\"mountpoint\":"
                  "\"/etc\",\"fstype\":\"ext4\"}}}",
                  "/etc");
    refused_by_db(db,
                  "{\"op\":\"resource.create\",\"args\":{\"name\":\"s\",\"group\":\"g\","
                  "\"type\":\"service\",\"props\":{\"command\":\"/bin/sleep 1\\n/bin/id\"}}}",
                  "newline");
    wp_db_close(db);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- the root disk ---------------------------------------------------------------- */

static void test_root_disk_refused(void **state)
{
    (void)state;
    struct stat root;
    assert_int_equal(stat("/", &root), 0);
    wp_err err = {0};
    assert_false(wp_disk_not_system("/dev/rootdisk", root.st_dev, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_non_null(strstr(err.what, "/dev/rootdisk is the disk that holds this node's /"));
    assert_true(err.why[0] && err.todo[0]);
    /* a device that holds none of the system's file systems */
    assert_true(wp_disk_not_system("/dev/loop250", makedev(7, 250), &err));

    /* the agent's validate refuses a device node of the root file system */
    char dir[] = "/tmp/wptest-rootdisk.XXXXXX", node[128];
    assert_non_null(mkdtemp(dir));
    snprintf(node, sizeof node, "%s/rootdisk", dir);
    if (mknod(node, S_IFBLK | 0600, root.st_dev) != 0) {
        rmdir(dir);
        skip(); /* not root: the model-level check above still ran */
    }
    json_t *props =
        json_pack("{s:s, s:s, s:s}", "device", node, "mountpoint", "/srv/x", "fstype", "ext4");
    wp_agent_ctx ctx = {
        .name = "d", .props = props, .run_dir = dir, .log_fd = -1, .timeout_ms = 10000};
    wp_err verr = {0};
    wp_agent_rc rc = wp_agent_op_run(WP_RT_DISK, WP_OP_VALIDATE, &ctx, &verr);
    assert_int_equal(rc, WP_AGENT_FAILED);
    if (!strstr(verr.what, "is the disk that holds this node's /"))
        fail_msg("validate said: %s (%s)", verr.what, verr.why);
    json_decref(props);
    unlink(node);
    rmdir(dir);
}

/* ---- TSIG key files ---------------------------------------------------------------- */

static const char key_text[] = "key \"wptc-update\" {\n\talgorithm hmac-sha256;\n"
                               "\tsecret \"aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=\";\n};\n";

static void test_tsig_key_private(void **state)
{
    (void)state;
    char path[] = "/tmp/wptest-tsig.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, key_text, strlen(key_text)), (ssize_t)strlen(key_text));
    close(fd);
    wp_tsig_key key;
    wp_err err = {0};
    if (geteuid() != 0) {
        unlink(path);
        skip();
    }
    assert_int_equal(chmod(path, 0600), 0);
    assert_true(wp_tsig_key_load(path, &key, &err));
    static const struct {
        mode_t mode;
        const char *why;
    } bad[] = {{0644, "may read"},
               {0640, "may read"},
               {0604, "may read"},
               {0620, "may write"},
               {0602, "may write"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(chmod(path, bad[i].mode), 0);
        assert_false(wp_tsig_key_load(path, &key, &err));
        assert_int_equal(err.code, WP_E_PERM);
        assert_non_null(strstr(err.what, "is not private"));
        assert_non_null(strstr(err.why, bad[i].why));
        assert_non_null(strstr(err.todo, "chmod 0600"));
    }
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(chown(path, 1, 0), 0);
    assert_false(wp_tsig_key_load(path, &key, &err));
    assert_non_null(strstr(err.why, "not owned by root"));
    unlink(path);
}

/* ---- an agent's note on success ------------------------------------------------------ */

static wp_agent_rc noting_start(const wp_agent_ctx *ctx, wp_err *err)
{
    (void)ctx;
    wp_agent_note(err, "WARNING: DNS updates for %s are sent unsigned", "x.test.");
    return WP_AGENT_OK;
}

static wp_agent_rc quiet_start(const wp_agent_ctx *ctx, wp_err *err)
{
    (void)ctx, (void)err;
    return WP_AGENT_OK;
}

static void test_agent_note_reaches_parent(void **state)
{
    (void)state;
    const wp_agent_type noting = {.name = "noting", .ops = {[WP_OP_START] = noting_start}};
    const wp_agent_type quiet = {.name = "quiet", .ops = {[WP_OP_START] = quiet_start}};
    json_t *props = json_object();
    wp_agent_ctx ctx = {.name = "r", .props = props, .log_fd = -1, .timeout_ms = 10000};
    wp_err err = {0};
    assert_int_equal(wp_agent_type_run(&noting, WP_OP_START, &ctx, &err), WP_AGENT_OK);
    assert_int_equal(err.code, WP_OK);
    assert_string_equal(err.what, "WARNING: DNS updates for x.test. are sent unsigned");
    wp_err none = {0};
    assert_int_equal(wp_agent_type_run(&quiet, WP_OP_START, &ctx, &none), WP_AGENT_OK);
    assert_string_equal(none.what, "");
    json_decref(props);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prop_refusals),
        cmocka_unit_test(test_dot_names_refused),
        cmocka_unit_test(test_node_addresses),
        cmocka_unit_test(test_db_refusals),
        cmocka_unit_test(test_root_disk_refused),
        cmocka_unit_test(test_tsig_key_private),
        cmocka_unit_test(test_agent_note_reaches_parent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
