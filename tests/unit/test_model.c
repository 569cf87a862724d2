/*
 * test_model.c -- unit tests of src/lib/model.c: types and classes, names,
 * every property validator (table-driven accept and refuse cases), policies
 * with their defaults and normalisation, durations and argv splitting.
 *
 * A refused value must come back with WP_E_INVALID and all three parts of
 * the error (what, why, to do) filled in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/lib/model.h"

/* A refusal must say what, why and what to do. */
static void assert_full_error(const wp_err *e)
{
    assert_int_equal(e->code, WP_E_INVALID);
    assert_true(e->what[0] != '\0');
    assert_true(e->why[0] != '\0');
    assert_true(e->todo[0] != '\0');
}

/* ---- types and classes ------------------------------------------------- */

static void test_type_names(void **state)
{
    (void)state;
    assert_string_equal(wp_rtype_name(WP_RT_IP), "IP Address");
    assert_string_equal(wp_rtype_name(WP_RT_NETNAME), "Network Name");
    assert_string_equal(wp_rtype_name(WP_RT_DISK), "Physical Disk");
    assert_string_equal(wp_rtype_name(WP_RT_SERVICE), "Generic Service");
    assert_string_equal(wp_rtype_name(WP_RT_OCF), "OCF");
    assert_string_equal(wp_rtype_name((wp_rtype)99), "unknown");
}

static void test_type_parse(void **state)
{
    static const struct {
        const char *text;
        wp_rtype type;
    } ok[] = {
        {"IP Address", WP_RT_IP},
        {"ip address", WP_RT_IP},
        {"ip", WP_RT_IP},
        {"IP", WP_RT_IP},
        {"Network Name", WP_RT_NETNAME},
        {"netname", WP_RT_NETNAME},
        {"Physical Disk", WP_RT_DISK},
        {"disk", WP_RT_DISK},
        {"Generic Service", WP_RT_SERVICE},
        {"SERVICE", WP_RT_SERVICE},
        {"OCF", WP_RT_OCF},
        {"ocf", WP_RT_OCF},
    };
    static const char *const bad[] = {"", "ipaddress", "IP  Address", " ip", "ip ", "foo", "Disk2"};
    (void)state;
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        wp_rtype t = WP_RT__COUNT;
        wp_err e = {0};
        if (!wp_rtype_parse(ok[i].text, &t, &e))
            fail_msg("type \"%s\" refused: %s", ok[i].text, e.what);
        assert_int_equal(t, ok[i].type);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wp_rtype t = WP_RT__COUNT;
        wp_err e = {0};
        if (wp_rtype_parse(bad[i], &t, &e))
            fail_msg("type \"%s\" accepted", bad[i]);
        assert_int_equal(t, WP_RT__COUNT); /* untouched */
        assert_full_error(&e);
    }
    wp_err e = {0};
    assert_false(wp_rtype_parse(NULL, NULL, &e));
    assert_full_error(&e);
}

static void test_type_class(void **state)
{
    (void)state;
    assert_int_equal(wp_rtype_class(WP_RT_IP), WP_CLASS_NETADDR);
    assert_int_equal(wp_rtype_class(WP_RT_NETNAME), WP_CLASS_NETNAME);
    assert_int_equal(wp_rtype_class(WP_RT_DISK), WP_CLASS_STORAGE);
    assert_int_equal(wp_rtype_class(WP_RT_SERVICE), WP_CLASS_SERVICE);
    assert_int_equal(wp_rtype_class(WP_RT_OCF), WP_CLASS_SERVICE);
    assert_string_equal(wp_rclass_name(WP_CLASS_NETADDR), "network-address");
    assert_string_equal(wp_rclass_name(WP_CLASS_NETNAME), "network-name");
    assert_string_equal(wp_rclass_name(WP_CLASS_STORAGE), "storage");
    assert_string_equal(wp_rclass_name(WP_CLASS_SERVICE), "service");
    assert_string_equal(wp_rclass_name((wp_rclass)42), "unknown");
}

/* ---- names ------------------------------------------------------------- */

static void test_names(void **state)
{
    static const struct {
        const char *kind;
        const char *name;
        bool ok;
    } cases[] = {
        {"group", "Cluster Group", true},
        {"group", WP_CLUSTER_GROUP, true},
        {"group", "Mail Server", true},
        {"group", "g1", true},
        {"group", "a.b_c-d", true},
        {"resource", "mail-ip", true},
        {"resource", "x", true},
        {"resource", "123456789012345678901234567890123456789012345678901234567890123", true},
        {"resource", "1234567890123456789012345678901234567890123456789012345678901234", false},
        {"group", "", false},
        {"group", " lead", false},
        {"group", "trail ", false},
        {"group", "a/b", false},
        {"group", "a\tb", false},
        {"group", "a\nb", false},
        {"group", "caf\xc3\xa9", false},
        {"group", "semi;colon", false},
        {"group", "quote\"", false},
        {"resource", "a,b", false},
        {"node", "node1", true},
        {"node", "node_2-b", true},
        {"node", "NODE3", true},
        {"node", "node 1", false},
        {"node", "node.example", false},
        {"node", "", false},
        {"node", "n/1", false},
        {"node", "1234567890123456789012345678901234567890123456789012345678901234", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wp_err e = {0};
        bool ok = wp_name_valid(cases[i].kind, cases[i].name, &e);
        if (ok != cases[i].ok)
            fail_msg("%s name \"%s\": expected %s, got %s", cases[i].kind, cases[i].name,
                     cases[i].ok ? "accept" : "refuse", ok ? "accept" : "refuse");
        if (!ok) {
            assert_full_error(&e);
            assert_non_null(strstr(e.what, cases[i].kind));
        }
    }
    wp_err e = {0};
    assert_false(wp_name_valid("node", NULL, &e));
    assert_full_error(&e);
    assert_false(wp_name_valid(NULL, "", NULL)); /* NULL err is allowed */
}

/* ---- properties -------------------------------------------------------- */

struct prop_case {
    wp_rtype type;
    const char *key;
    const char *value;
    bool ok;
};

static const struct prop_case prop_cases[] = {
    /* IP Address: address */
    {WP_RT_IP, "address", "198.51.100.10/24", true},
    {WP_RT_IP, "address", "203.0.113.1/32", true},
    {WP_RT_IP, "address", "198.51.100.10/0", true},
    {WP_RT_IP, "address", "10.0.0.1/8", true},
    {WP_RT_IP, "address", "2001:db8::10/64", true},
    {WP_RT_IP, "address", "2001:db8::1/128", true},
    {WP_RT_IP, "address", "fe80::1/10", true},
    {WP_RT_IP, "address", "198.51.100.10", false},
    {WP_RT_IP, "address", "198.51.100.10/", false},
    {WP_RT_IP, "address", "198.51.100.10/33", false},
    {WP_RT_IP, "address", "198.51.100.10/-1", false},
    {WP_RT_IP, "address", "198.51.100.10/+24", false},
    {WP_RT_IP, "address", "198.51.100.10/24 ", false},
    {WP_RT_IP, "address", " 198.51.100.10/24", false},
    {WP_RT_IP, "address", "198.51.100.10/24x", false},
    {WP_RT_IP, "address", "x198.51.100.10/24", false},
    {WP_RT_IP, "address", "198.51.100/24", false},
    {WP_RT_IP, "address", "198.51.100.256/24", false},
    {WP_RT_IP, "address", "198.51.100.010/24", false},
    {WP_RT_IP, "address", "198.51.100.10/24/8", false},
    {WP_RT_IP, "address", "/24", false},
    {WP_RT_IP, "address", "abc", false},
    {WP_RT_IP, "address", "2001:db8::10/129", false},
    {WP_RT_IP, "address", "2001:db8::10", false},
    {WP_RT_IP, "address", "2001:db8:::10/64", false},
    {WP_RT_IP, "address", "fe80::1%eth0/64", false},
    {WP_RT_IP, "address", "0.0.0.0/0", false},
    {WP_RT_IP, "address", "224.0.0.1/24", false},
    {WP_RT_IP, "address", "255.255.255.255/32", false},
    {WP_RT_IP, "address", "::/0", false},
    {WP_RT_IP, "address", "ff02::1/64", false},
    {WP_RT_IP, "address", "", false},
    /* IP Address: interface */
    {WP_RT_IP, "interface", "eth0", true},
    {WP_RT_IP, "interface", "br-ext.100", true},
    {WP_RT_IP, "interface", "abcdefghijklmno", true},
    {WP_RT_IP, "interface", "abcdefghijklmnop", false},
    {WP_RT_IP, "interface", "", false},
    {WP_RT_IP, "interface", ".", false},
    {WP_RT_IP, "interface", "..", false},
    {WP_RT_IP, "interface", "eth/0", false},
    {WP_RT_IP, "interface", "eth0:1", false},
    {WP_RT_IP, "interface", "eth 0", false},
    {WP_RT_IP, "interface", "eth\t0", false},
    /* IP Address: unknown keys */
    {WP_RT_IP, "hostname", "mail", false},
    {WP_RT_IP, "Address", "198.51.100.10/24", false},
    {WP_RT_IP, "", "x", false},
    /* Network Name */
    {WP_RT_NETNAME, "hostname", "mail", true},
    {WP_RT_NETNAME, "hostname", "mail.example.com", true},
    {WP_RT_NETNAME, "hostname", "MAIL-01", true},
    {WP_RT_NETNAME, "hostname", "1mail", true},
    {WP_RT_NETNAME, "hostname", "a.b-c.d", true},
    {WP_RT_NETNAME, "hostname", "-mail", false},
    {WP_RT_NETNAME, "hostname", "mail-", false},
    {WP_RT_NETNAME, "hostname", "mail.-x.com", false},
    {WP_RT_NETNAME, "hostname", "mail..com", false},
    {WP_RT_NETNAME, "hostname", ".mail", false},
    {WP_RT_NETNAME, "hostname", "mail.", false},
    {WP_RT_NETNAME, "hostname", "mail_srv", false},
    {WP_RT_NETNAME, "hostname", "mail srv", false},
    {WP_RT_NETNAME, "hostname", "198.51.100.10", false},
    {WP_RT_NETNAME, "hostname", "a123456789012345678901234567890123456789012345678901234567890123",
     false},
    {WP_RT_NETNAME, "hostname", "a12345678901234567890123456789012345678901234567890123456789012",
     true},
    {WP_RT_NETNAME, "dns_server", "198.51.100.2", true},
    {WP_RT_NETNAME, "dns_server", "2001:db8::53", true},
    {WP_RT_NETNAME, "dns_server", "198.51.100.2/24", false},
    {WP_RT_NETNAME, "dns_server", "ns1.example.com", false},
    {WP_RT_NETNAME, "dns_server", "0.0.0.0", false},
    {WP_RT_NETNAME, "dns_zone", "example.com", true},
    {WP_RT_NETNAME, "dns_zone", "example.com.", true},
    {WP_RT_NETNAME, "dns_zone", "lab", true},
    {WP_RT_NETNAME, "dns_zone", "example..com", false},
    {WP_RT_NETNAME, "dns_zone", ".", false},
    {WP_RT_NETNAME, "dns_zone", "exa mple.com", false},
    {WP_RT_NETNAME, "tsig_key_file", "/etc/wolfpack/tsig.key", true},
    {WP_RT_NETNAME, "tsig_key_file", "tsig.key", false},
    {WP_RT_NETNAME, "tsig_key_file", "/etc/../tsig.key", false},
    {WP_RT_NETNAME, "ttl", "0", true},
    {WP_RT_NETNAME, "ttl", "300", true},
    {WP_RT_NETNAME, "ttl", "86400", true},
    {WP_RT_NETNAME, "ttl", "86401", false},
    {WP_RT_NETNAME, "ttl", "-1", false},
    {WP_RT_NETNAME, "ttl", "5m", false},
    {WP_RT_NETNAME, "ttl", "99999999999999999999", false},
    {WP_RT_NETNAME, "address", "198.51.100.10/24", true}, /* filled by the executor */
    {WP_RT_NETNAME, "address", "198.51.100.50", true},
    {WP_RT_NETNAME, "address", "198.51.100.50,2001:db8::50/64", true},
    {WP_RT_NETNAME, "address", "198.51.100.50,", false},
    {WP_RT_NETNAME, "address", "mail.example.com", false},
    {WP_RT_NETNAME, "Address", "198.51.100.50", false},
    /* Physical Disk */
    {WP_RT_DISK, "device", "/dev/loop0", true},
    {WP_RT_DISK, "device", "/dev/disk/by-uuid/0b7c3e3a-1d2e", true},
    {WP_RT_DISK, "device", "/dev/mapper/vg..data", true},
    {WP_RT_DISK, "device", "dev/loop0", false},
    {WP_RT_DISK, "device", "/dev/../etc/passwd", false},
    {WP_RT_DISK, "device", "/dev/..", false},
    {WP_RT_DISK, "device", "/dev/loop\n0", false},
    {WP_RT_DISK, "mountpoint", "/srv/mail", true},
    {WP_RT_DISK, "mountpoint", "/srv/mail/", true},
    {WP_RT_DISK, "mountpoint", "/", false},
    {WP_RT_DISK, "mountpoint", "//", false},
    {WP_RT_DISK, "mountpoint", "srv", false},
    {WP_RT_DISK, "mountpoint", "/srv/../etc", false},
    {WP_RT_DISK, "fstype", "ext4", true},
    {WP_RT_DISK, "fstype", "ext3", true},
    {WP_RT_DISK, "fstype", "ext2", true},
    {WP_RT_DISK, "fstype", "xfs", true},
    {WP_RT_DISK, "fstype", "btrfs", true},
    {WP_RT_DISK, "fstype", "vfat", true},
    {WP_RT_DISK, "fstype", "EXT4", false},
    {WP_RT_DISK, "fstype", "ntfs", false},
    {WP_RT_DISK, "fstype", "ext4 ", false},
    {WP_RT_DISK, "mount_options", "noatime", true},
    {WP_RT_DISK, "mount_options", "noatime,nodev,commit=30,errors=remount-ro", true},
    {WP_RT_DISK, "mount_options", "noatime,,nodev", false},
    {WP_RT_DISK, "mount_options", ",noatime", false},
    {WP_RT_DISK, "mount_options", "noatime,", false},
    {WP_RT_DISK, "mount_options", "noatime nodev", false},
    {WP_RT_DISK, "mount_options", "context=\"x\"", false},
    {WP_RT_DISK, "mount_options", "a;b", false},
    {WP_RT_DISK, "options", "noatime", false},
    /* Generic Service */
    {WP_RT_SERVICE, "command", "/usr/sbin/exim4 -bd -q30m", true},
    {WP_RT_SERVICE, "command", "/bin/sh -c 'echo hi'", true},
    {WP_RT_SERVICE, "command", "  /usr/bin/sleep 10  ", true},
    {WP_RT_SERVICE, "command", "exim4 -bd", false},
    {WP_RT_SERVICE, "command", "./exim4", false},
    {WP_RT_SERVICE, "command", "/usr/bin/echo 'unbalanced", false},
    {WP_RT_SERVICE, "command", "/usr/bin/echo \"unbalanced", false},
    {WP_RT_SERVICE, "command", "/usr/bin/echo trailing\\", false},
    {WP_RT_SERVICE, "command", "   ", false},
    {WP_RT_SERVICE, "command", "/usr/../bin/sh", false},
    {WP_RT_SERVICE, "command", "/usr/bin/echo a\tb\nc", false}, /* one line: SECURITY.md */
    {WP_RT_SERVICE, "command", "/usr/bin/echo \x1b[31m", false},
    {WP_RT_SERVICE, "command", "/usr/bin/echo a\rb", false},
    {WP_RT_SERVICE, "unit", "exim4.service", true},
    {WP_RT_SERVICE, "unit", "getty@tty1.service", true},
    {WP_RT_SERVICE, "unit", "multi-user.target", true},
    {WP_RT_SERVICE, "unit", "srv-mail.mount", true},
    {WP_RT_SERVICE, "unit", "dev-disk-by\\x2dlabel-x.swap", true},
    {WP_RT_SERVICE, "unit", "exim4", false},
    {WP_RT_SERVICE, "unit", ".service", false},
    {WP_RT_SERVICE, "user", "www-data", true},
    {WP_RT_SERVICE, "user", "_apt", true},
    {WP_RT_SERVICE, "user", "host$", true},
    {WP_RT_SERVICE, "user", "-root", false},
    {WP_RT_SERVICE, "user", "Root", false},
    {WP_RT_SERVICE, "user", "a$b", false},
    {WP_RT_SERVICE, "user", "0day", false},
    {WP_RT_SERVICE, "user", "abcdefghijklmnopqrstuvwxyz0123456", false},
    {WP_RT_SERVICE, "unit", "getty@.service", false},
    {WP_RT_SERVICE, "unit", "exim 4.service", false},
    {WP_RT_SERVICE, "unit", "exim4.service/", false},
    {WP_RT_SERVICE, "unit", "../x.service", false},
    {WP_RT_SERVICE, "unit", "exim4.bogus", false},
    {WP_RT_SERVICE, "check_command", "/usr/bin/test -S /run/exim4/sock", true},
    {WP_RT_SERVICE, "check_command", "test -S /run/x", false},
    {WP_RT_SERVICE, "program", "/usr/sbin/exim4", false},
    /* OCF */
    {WP_RT_OCF, "agent", "ocf:heartbeat:IPaddr2", true},
    {WP_RT_OCF, "agent", "heartbeat:IPaddr2", true},
    {WP_RT_OCF, "agent", "ocf:pacemaker:Dummy", true},
    {WP_RT_OCF, "agent", "ocf:heart-beat_2:my.agent", true},
    {WP_RT_OCF, "agent", "IPaddr2", false},
    {WP_RT_OCF, "agent", "ocf:heartbeat", false},
    {WP_RT_OCF, "agent", "ocf::IPaddr2", false},
    {WP_RT_OCF, "agent", "ocf:heartbeat:", false},
    {WP_RT_OCF, "agent", "ocf:..:IPaddr2", false},
    {WP_RT_OCF, "agent", "ocf:heartbeat:..", false},
    {WP_RT_OCF, "agent", "ocf:heart/beat:IPaddr2", false},
    {WP_RT_OCF, "agent", "ocf:heartbeat:IP/addr2", false},
    {WP_RT_OCF, "agent", "ocf:a:b:c", false},
    {WP_RT_OCF, "agent", "lsb:heartbeat:x", false},
    {WP_RT_OCF, "ip", "198.51.100.10", true},
    {WP_RT_OCF, "cidr_netmask", "24", true},
    {WP_RT_OCF, "_private", "x", true},
    {WP_RT_OCF, "state", "a value\twith a tab and \"quotes\" $(and) ;shell; chars", true},
    {WP_RT_OCF, "A123456789012345678901234567890123456789012345678901234567890123", "x", true},
    {WP_RT_OCF, "A1234567890123456789012345678901234567890123456789012345678901234", "x", false},
    {WP_RT_OCF, "1ip", "x", false},
    {WP_RT_OCF, "my-param", "x", false},
    {WP_RT_OCF, "my param", "x", false},
    {WP_RT_OCF, "", "x", false},
    {WP_RT_OCF, "state", "line\nbreak", false},
    {WP_RT_OCF, "state", "esc\x1b", false},
    {WP_RT_OCF, "state", "", false},
};

static void test_prop_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof prop_cases / sizeof prop_cases[0]; i++) {
        const struct prop_case *c = &prop_cases[i];
        wp_err e = {0};
        bool ok = wp_prop_validate(c->type, c->key, c->value, &e);
        if (ok != c->ok)
            fail_msg("case %zu: %s %s=\"%s\": expected %s, got %s (%s / %s)", i,
                     wp_rtype_name(c->type), c->key, c->value, c->ok ? "accept" : "refuse",
                     ok ? "accept" : "refuse", e.what, e.why);
        if (!ok)
            assert_full_error(&e);
    }
}

static void test_prop_long_values(void **state)
{
    char *path = malloc(5000), *val = malloc(5000);
    wp_err e = {0};
    (void)state;
    assert_non_null(path);
    assert_non_null(val);
    path[0] = '/';
    memset(path + 1, 'a', 4094);
    path[4095] = '\0'; /* 4095 bytes: the limit */
    assert_true(wp_prop_validate(WP_RT_DISK, "device", path, &e));
    path[4095] = 'a';
    path[4096] = '\0';
    assert_false(wp_prop_validate(WP_RT_DISK, "device", path, &e));
    assert_full_error(&e);

    memset(val, 'v', 4096);
    val[4096] = '\0';
    assert_true(wp_prop_validate(WP_RT_OCF, "param", val, &e));
    val[4096] = 'v';
    val[4097] = '\0';
    assert_false(wp_prop_validate(WP_RT_OCF, "param", val, &e));
    assert_full_error(&e);
    /* the message quotes a cut-down value, never overflowing */
    assert_true(strlen(e.what) < sizeof e.what);
    free(path);
    free(val);
}

static void test_prop_messages(void **state)
{
    wp_err e = {0};
    (void)state;
    assert_false(wp_prop_validate(WP_RT_IP, "address", "abc", &e));
    assert_string_equal(e.what,
                        "invalid value \"abc\" for property \"address\" of an IP Address resource");
    assert_non_null(strstr(e.todo, "198.51.100.10/24"));

    assert_false(wp_prop_validate(WP_RT_IP, "address", "198.51.100.10", &e));
    assert_non_null(strstr(e.why, "an address needs a prefix length, e.g. 198.51.100.10/24"));

    /* unknown keys name the allowed ones */
    assert_false(wp_prop_validate(WP_RT_DISK, "size", "10G", &e));
    assert_non_null(strstr(e.what, "\"size\""));
    assert_non_null(strstr(e.why, "device, mountpoint, fstype, mount_options"));

    /* control characters never reach the message raw */
    assert_false(wp_prop_validate(WP_RT_IP, "interface", "a\nb", &e));
    assert_null(strchr(e.what, '\n'));
    assert_non_null(strstr(e.what, "\\x0a"));

    /* NULL value and out-of-range type are refused, not crashed on */
    assert_false(wp_prop_validate(WP_RT_IP, "address", NULL, &e));
    assert_full_error(&e);
    assert_false(wp_prop_validate((wp_rtype)77, "address", "198.51.100.1/24", &e));
    assert_int_equal(e.code, WP_E_INTERNAL);
    assert_false(wp_prop_validate(WP_RT_IP, NULL, "x", &e));
    assert_full_error(&e);
}

/* ---- whole property objects ------------------------------------------- */

struct all_case {
    wp_rtype type;
    const char *json; /* NULL: pass a NULL object */
    bool ok;
};

static const struct all_case all_cases[] = {
    {WP_RT_IP, "{\"address\": \"198.51.100.10/24\"}", true},
    {WP_RT_IP, "{\"address\": \"198.51.100.10/24\", \"interface\": \"eth0\"}", true},
    {WP_RT_IP, "{\"interface\": \"eth0\"}", false},
    {WP_RT_IP, "{}", false},
    {WP_RT_IP, NULL, false},
    {WP_RT_IP, "[]", false},
    {WP_RT_IP, "{\"address\": 24}", false},
    {WP_RT_IP, "{\"address\": null}", false},
    {WP_RT_IP, "{\"address\": \"198.51.100.10/24\", \"bogus\": \"1\"}", false},
    {WP_RT_NETNAME, "{\"hostname\": \"mail\"}", true},
    {WP_RT_NETNAME,
     "{\"hostname\": \"mail\", \"dns_server\": \"198.51.100.2\", \"dns_zone\": \"example.com\","
     " \"tsig_key_file\": \"/etc/k\", \"ttl\": \"60\"}",
     true},
    {WP_RT_NETNAME, "{\"ttl\": \"60\"}", false},
    {WP_RT_DISK, "{\"device\": \"/dev/loop0\", \"mountpoint\": \"/srv\", \"fstype\": \"ext4\"}",
     true},
    {WP_RT_DISK, "{\"device\": \"/dev/loop0\", \"mountpoint\": \"/srv\"}", false},
    {WP_RT_DISK, "{\"device\": \"/dev/loop0\"}", false},
    {WP_RT_SERVICE, "{\"command\": \"/usr/bin/sleep 100\"}", true},
    {WP_RT_SERVICE, "{\"unit\": \"exim4.service\"}", true},
    {WP_RT_SERVICE, "{\"unit\": \"exim4.service\", \"check_command\": \"/usr/bin/true\"}", true},
    {WP_RT_SERVICE, "{\"command\": \"/usr/bin/sleep 1\", \"unit\": \"exim4.service\"}", false},
    {WP_RT_SERVICE, "{\"command\": \"/usr/bin/sleep 1\", \"user\": \"nobody\"}", true},
    {WP_RT_SERVICE, "{\"unit\": \"exim4.service\", \"user\": \"nobody\"}", false},
    {WP_RT_SERVICE, "{}", false},
    {WP_RT_SERVICE, "{\"check_command\": \"/usr/bin/true\"}", false},
    {WP_RT_OCF, "{\"agent\": \"ocf:heartbeat:IPaddr2\", \"ip\": \"198.51.100.10\"}", true},
    {WP_RT_OCF, "{\"agent\": \"heartbeat:Dummy\"}", true},
    {WP_RT_OCF, "{\"ip\": \"198.51.100.10\"}", false},
    {WP_RT_OCF, "{\"agent\": \"ocf:heartbeat:IPaddr2\", \"bad-name\": \"x\"}", false},
};

static void test_props_all(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof all_cases / sizeof all_cases[0]; i++) {
        const struct all_case *c = &all_cases[i];
        json_t *props = NULL;
        wp_err e = {0};
        if (c->json) {
            json_error_t je;
            props = json_loads(c->json, JSON_DECODE_ANY, &je);
            if (!props)
                fail_msg("case %zu: bad test JSON: %s", i, je.text);
        }
        bool ok = wp_props_validate_all(c->type, props, &e);
        json_decref(props);
        if (ok != c->ok)
            fail_msg("case %zu: %s %s: expected %s, got %s (%s / %s)", i, wp_rtype_name(c->type),
                     c->json ? c->json : "NULL", c->ok ? "accept" : "refuse",
                     ok ? "accept" : "refuse", e.what, e.why);
        if (!ok)
            assert_full_error(&e);
    }
}

static void test_props_all_messages(void **state)
{
    wp_err e = {0};
    json_t *p = json_pack("{s:s}", "device", "/dev/loop0");
    (void)state;
    /* every missing required key is named at once */
    assert_false(wp_props_validate_all(WP_RT_DISK, p, &e));
    assert_non_null(strstr(e.what, "mountpoint, fstype"));
    json_decref(p);

    /* a string with an embedded NUL is refused */
    p = json_object();
    json_object_set_new(p, "address", json_stringn("198.51.100.1/24\0x", 17));
    assert_false(wp_props_validate_all(WP_RT_IP, p, &e));
    assert_full_error(&e);
    json_decref(p);
}

/* ---- policies ---------------------------------------------------------- */

struct policy_case {
    bool group;
    const char *key;
    const char *value;
    const char *norm; /* NULL: refused */
};

static const struct policy_case policy_cases[] = {
    /* group */
    {true, "preferred_owners", "", ""},
    {true, "preferred_owners", "node1", "node1"},
    {true, "preferred_owners", "node1,node2", "node1,node2"},
    {true, "preferred_owners", " node1 , node2 ,node3 ", "node1,node2,node3"},
    {true, "preferred_owners", "   ", ""},
    {true, "preferred_owners", "node1,node1", NULL},
    {true, "preferred_owners", "node1,NODE1", NULL},
    {true, "preferred_owners", "node1,,node2", NULL},
    {true, "preferred_owners", "node1,", NULL},
    {true, "preferred_owners", ",node1", NULL},
    {true, "preferred_owners", "node 1", NULL},
    {true, "preferred_owners", "node1;node2", NULL},
    {true, "possible_owners", "a,b,c", "a,b,c"},
    {true, "possible_owners", "a , b", "a,b"},
    {true, "possible_owners", "a,b,a", NULL},
    {true, "failback", "never", "never"},
    {true, "failback", "immediate", "immediate"},
    {true, "failback", "window", "window"},
    {true, "failback", "Never", "never"},
    {true, "failback", "IMMEDIATE", "immediate"},
    {true, "failback", "always", NULL},
    {true, "failback", "", NULL},
    {true, "failback_window", "", ""},
    {true, "failback_window", "22-04", "22-04"},
    {true, "failback_window", "2-6", "02-06"},
    {true, "failback_window", "0-23", "00-23"},
    {true, "failback_window", "23-0", "23-00"},
    {true, "failback_window", "04-04", NULL},
    {true, "failback_window", "24-04", NULL},
    {true, "failback_window", "22", NULL},
    {true, "failback_window", "22-", NULL},
    {true, "failback_window", "-4", NULL},
    {true, "failback_window", "22:00-04:00", NULL},
    {true, "failback_window", "22 - 04", NULL},
    {true, "failback_window", "001-02", NULL},
    {true, "failover_threshold", "auto", "auto"},
    {true, "failover_threshold", "AUTO", "auto"},
    {true, "failover_threshold", "0", "0"},
    {true, "failover_threshold", "10000", "10000"},
    {true, "failover_threshold", "007", "7"},
    {true, "failover_threshold", "10001", NULL},
    {true, "failover_threshold", "-1", NULL},
    {true, "failover_threshold", "two", NULL},
    {true, "failover_period", "21600", "21600"},
    {true, "managed", "false", "false"},
    {true, "managed", "TRUE", "true"},
    {true, "managed", "no", NULL},
    {false, "managed", "false", "false"},
    {false, "managed", "yes", NULL},
    {false, "failure_timeout", "0", "0"},
    {false, "failure_timeout", "1h", "3600"},
    {false, "failure_timeout", "-1", NULL},
    {true, "anti_affinity", "", ""},
    {true, "anti_affinity", "sql", "sql"},
    {true, "anti_affinity", " sql , big-mem", "sql,big-mem"},
    {true, "anti_affinity", "sql,sql", NULL},
    {true, "anti_affinity", "sql,", NULL},
    {true, "anti_affinity", "a b", NULL},
    {true, "colocate_with", "db", "db"},
    {true, "colocate_with", "", ""},
    {true, "colocate_with", "bad/name", NULL},
    {true, "start_after", "Cluster Group", "Cluster Group"},
    {true, "start_after", " lead", NULL},
    {true, "retry_period", "1h", "3600"},
    {true, "retry_period", "0", "0"},
    {true, "retry_period", "-5", NULL},
    {false, "restart_delay", "10s", "10"},
    {false, "restart_delay", "0", "0"},
    {false, "restart_delay", "2h", NULL},
    {false, "start_timeout", "5m", "300"},
    {false, "stop_timeout", "0", "0"},
    {false, "check_timeout", "2d", NULL},
    {true, "failover_period", "6h", "21600"},
    {true, "failover_period", "90m", "5400"},
    {true, "failover_period", "1", "1"},
    {true, "failover_period", "168h", "604800"},
    {true, "failover_period", "169h", NULL},
    {true, "failover_period", "0", NULL},
    {true, "failover_period", "6H", NULL},
    {true, "failover_period", "6 h", NULL},
    {true, "failover_period", "1.5h", NULL},
    {true, "restart_action", "restart", NULL}, /* a resource policy */
    {true, "bogus", "1", NULL},
    /* resource */
    {false, "restart_action", "none", "none"},
    {false, "restart_action", "restart", "restart"},
    {false, "restart_action", "failover", "failover"},
    {false, "restart_action", "Failover", "failover"},
    {false, "restart_action", "reboot", NULL},
    {false, "restart_threshold", "0", "0"},
    {false, "restart_threshold", "3", "3"},
    {false, "restart_threshold", "1000", "1000"},
    {false, "restart_threshold", "1001", NULL},
    {false, "restart_threshold", "3x", NULL},
    {false, "restart_period", "15m", "900"},
    {false, "restart_period", "900s", "900"},
    {false, "restart_period", "0", NULL},
    {false, "quick_check_interval", "5", "5"},
    {false, "quick_check_interval", "5s", "5"},
    {false, "quick_check_interval", "24h", "86400"},
    {false, "quick_check_interval", "86401", NULL},
    {false, "quick_check_interval", "0", NULL},
    {false, "quick_check_interval", "", NULL},
    {false, "thorough_check_interval", "1m", "60"},
    {false, "thorough_check_interval", "m", NULL},
    {false, "pending_timeout", "3m", "180"},
    {false, "pending_timeout", "180", "180"},
    {false, "pending_timeout", "1d", NULL},
    {false, "failback", "never", NULL}, /* a group policy */
};

static void test_policy_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof policy_cases / sizeof policy_cases[0]; i++) {
        const struct policy_case *c = &policy_cases[i];
        wp_err e = {0};
        char *norm = (char *)"untouched";
        bool ok = c->group ? wp_group_policy_validate(c->key, c->value, &norm, &e)
                           : wp_resource_policy_validate(c->key, c->value, &norm, &e);
        if (ok != (c->norm != NULL))
            fail_msg("case %zu: %s %s=\"%s\": expected %s, got %s (%s / %s)", i,
                     c->group ? "group" : "resource", c->key, c->value,
                     c->norm ? "accept" : "refuse", ok ? "accept" : "refuse", e.what, e.why);
        if (ok) {
            assert_non_null(norm);
            if (strcmp(norm, c->norm) != 0)
                fail_msg("case %zu: %s=\"%s\" normalised to \"%s\", expected \"%s\"", i, c->key,
                         c->value, norm, c->norm);
            free(norm);
        } else {
            assert_null(norm);
            assert_full_error(&e);
        }
        /* a NULL out pointer is allowed */
        bool ok2 = c->group ? wp_group_policy_validate(c->key, c->value, NULL, NULL)
                            : wp_resource_policy_validate(c->key, c->value, NULL, NULL);
        assert_int_equal(ok, ok2);
    }
}

static void test_policy_messages(void **state)
{
    wp_err e = {0};
    (void)state;
    assert_false(wp_group_policy_validate("failback", "sometimes", NULL, &e));
    assert_non_null(strstr(e.what, "\"sometimes\""));
    assert_non_null(strstr(e.what, "failback"));
    assert_non_null(strstr(e.why, "never, immediate or window"));
    assert_false(wp_resource_policy_validate("restart_treshold", "3", NULL, &e));
    assert_non_null(strstr(e.why, "restart_threshold"));
    assert_non_null(strstr(e.why, "pending_timeout"));
    assert_false(wp_group_policy_validate(NULL, "x", NULL, &e));
    assert_full_error(&e);
    assert_false(wp_group_policy_validate("failback", NULL, NULL, &e));
    assert_full_error(&e);
}

static void check_defaults(json_t *defs, const char *const expect[][2], size_t n)
{
    assert_non_null(defs);
    assert_true(json_is_object(defs));
    assert_int_equal(json_object_size(defs), n);
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_object_get(defs, expect[i][0]);
        if (!json_is_string(v))
            fail_msg("default of \"%s\" missing", expect[i][0]);
        assert_string_equal(json_string_value(v), expect[i][1]);
    }
}

static void test_policy_defaults(void **state)
{
    static const char *const group[][2] = {
        {"preferred_owners", ""}, {"possible_owners", ""},        {"failback", "never"},
        {"failback_window", ""},  {"failover_threshold", "auto"}, {"failover_period", "21600"},
        {"managed", "true"},      {"anti_affinity", ""},          {"colocate_with", ""},
        {"start_after", ""},      {"retry_period", "0"},
    };
    static const char *const res[][2] = {
        {"restart_action", "failover"},
        {"restart_threshold", "3"},
        {"restart_period", "900"},
        {"quick_check_interval", "5"},
        {"thorough_check_interval", "60"},
        {"pending_timeout", "180"},
        {"managed", "true"},
        {"failure_timeout", "0"},
        {"restart_delay", "0"},
        {"start_timeout", "0"},
        {"stop_timeout", "0"},
        {"check_timeout", "0"},
    };
    (void)state;
    json_t *g = wp_group_policy_defaults();
    json_t *r = wp_resource_policy_defaults();
    check_defaults(g, group, sizeof group / sizeof group[0]);
    check_defaults(r, res, sizeof res / sizeof res[0]);

    /* every default is itself a valid, already-normalised value */
    const char *key;
    json_t *v;
    json_object_foreach(g, key, v)
    {
        char *norm = NULL;
        assert_true(wp_group_policy_validate(key, json_string_value(v), &norm, NULL));
        assert_string_equal(norm, json_string_value(v));
        free(norm);
    }
    json_object_foreach(r, key, v)
    {
        char *norm = NULL;
        assert_true(wp_resource_policy_validate(key, json_string_value(v), &norm, NULL));
        assert_string_equal(norm, json_string_value(v));
        free(norm);
    }
    /* a new object each time, owned by the caller */
    json_t *g2 = wp_group_policy_defaults();
    assert_ptr_not_equal(g, g2);
    json_decref(g);
    json_decref(g2);
    json_decref(r);
}

/* ---- whole policy objects --------------------------------------------- */

static void test_policy_check(void **state)
{
    static const struct {
        bool group;
        const char *json; /* NULL: pass NULL (all defaults) */
        bool ok;
    } cases[] = {
        {true, NULL, true},
        {true, "{}", true},
        {true, "{\"failback\": \"immediate\"}", true},
        {true, "{\"failback\": \"window\", \"failback_window\": \"22-4\"}", true},
        {true, "{\"failback\": \"window\"}", false},
        {true, "{\"failback\": \"window\", \"failback_window\": \"\"}", false},
        {true, "{\"failback\": \"Window\", \"failback_window\": null}", false},
        {true, "{\"failback\": null}", true},
        {true, "{\"preferred_owners\": \"n1,n2\", \"possible_owners\": \"n2, n1 ,n3\"}", true},
        {true, "{\"preferred_owners\": \"n1\", \"possible_owners\": \"N1\"}", true},
        {true, "{\"preferred_owners\": \"n1,n4\", \"possible_owners\": \"n1,n2\"}", false},
        {true, "{\"preferred_owners\": \"n1,n4\"}", true},
        {true, "{\"possible_owners\": \"n1\"}", true},
        {true, "{\"failover_period\": \"0\"}", false},
        {true, "{\"failover_period\": 60}", false},
        {true, "{\"restart_threshold\": \"3\"}", false},
        {true, "[]", false},
        {false, NULL, true},
        {false, "{\"restart_period\": \"30m\", \"pending_timeout\": \"10m\"}", true},
        {false, "{\"restart_period\": \"forever\"}", false},
        {false, "{\"failback\": \"never\"}", false},
        {false, "{\"restart_threshold\": true}", false},
        {false, "\"x\"", false},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *p = NULL;
        wp_err e = {0};
        if (cases[i].json) {
            json_error_t je;
            p = json_loads(cases[i].json, JSON_DECODE_ANY, &je);
            if (!p)
                fail_msg("case %zu: bad test JSON: %s", i, je.text);
        }
        bool ok = cases[i].group ? wp_group_policy_check(p, &e) : wp_resource_policy_check(p, &e);
        json_decref(p);
        if (ok != cases[i].ok)
            fail_msg("policy check case %zu %s: expected %s, got %s (%s / %s)", i,
                     cases[i].json ? cases[i].json : "NULL", cases[i].ok ? "accept" : "refuse",
                     ok ? "accept" : "refuse", e.what, e.why);
        if (!ok)
            assert_full_error(&e);
    }
}

/* ---- durations --------------------------------------------------------- */

static void test_duration(void **state)
{
    static const struct {
        const char *text;
        long seconds; /* -1: refused */
    } cases[] = {
        {"0", 0},
        {"90", 90},
        {"90s", 90},
        {"15m", 900},
        {"6h", 21600},
        {"007", 7},
        {"8760h", 31536000},
        {"8761h", -1},
        {"", -1},
        {"s", -1},
        {"-5", -1},
        {"+5", -1},
        {"5 s", -1},
        {" 5", -1},
        {"5sec", -1},
        {"5d", -1},
        {"1.5h", -1},
        {"5M", -1},
        {"h5", -1},
        {"5ms", -1},
        {"99999999999999999999", -1},
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        long s = -42;
        wp_err e = {0};
        bool ok = wp_duration_parse(cases[i].text, &s, &e);
        if (ok != (cases[i].seconds >= 0))
            fail_msg("duration \"%s\": expected %s", cases[i].text,
                     cases[i].seconds >= 0 ? "accept" : "refuse");
        if (ok)
            assert_int_equal(s, cases[i].seconds);
        else {
            assert_int_equal(s, -42);
            assert_full_error(&e);
        }
    }
    wp_err e = {0};
    assert_false(wp_duration_parse(NULL, NULL, &e));
    assert_full_error(&e);
}

/* ---- argv splitting ---------------------------------------------------- */

static void test_argv_split(void **state)
{
    static const struct {
        const char *line;
        const char *argv[6]; /* NULL-terminated expected words */
    } cases[] = {
        {"/bin/true", {"/bin/true", NULL}},
        {"  /bin/echo   a  b\t c\n", {"/bin/echo", "a", "b", "c", NULL}},
        {"/bin/echo 'a b' \"c d\"", {"/bin/echo", "a b", "c d", NULL}},
        {"/bin/echo '' \"\"", {"/bin/echo", "", "", NULL}},
        {"/bin/echo a'b c'd", {"/bin/echo", "ab cd", NULL}},
        {"/bin/echo a\\ b", {"/bin/echo", "a b", NULL}},
        {"/bin/echo \\'x\\\"", {"/bin/echo", "'x\"", NULL}},
        {"/bin/echo 'a\\b'", {"/bin/echo", "a\\b", NULL}},
        {"/bin/echo \"a\\\"b\"", {"/bin/echo", "a\"b", NULL}},
        {"/bin/echo \"a\\nb\"", {"/bin/echo", "a\\nb", NULL}},
        {"/bin/echo \"a\\\\b\"", {"/bin/echo", "a\\b", NULL}},
        {"/bin/echo \"it's\"", {"/bin/echo", "it's", NULL}},
        {"/bin/echo 'say \"hi\"'", {"/bin/echo", "say \"hi\"", NULL}},
        {"/bin/echo a\\\nb", {"/bin/echo", "ab", NULL}},
        {"/bin/echo $HOME | x;y", {"/bin/echo", "$HOME", "|", "x;y", NULL}},
        {"/bin/echo \\\\", {"/bin/echo", "\\", NULL}},
    };
    static const char *const bad[] = {
        "",
        "   ",
        "\t\n",
        "/bin/echo 'open",
        "/bin/echo \"open",
        "/bin/echo trailing\\",
        "/bin/echo \"a\\\"",
        "'",
        "\"",
    };
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wp_err e = {0};
        char **argv = wp_argv_split(cases[i].line, &e);
        if (!argv)
            fail_msg("argv case %zu refused: %s / %s", i, e.what, e.why);
        size_t n = 0;
        for (; cases[i].argv[n]; n++) {
            if (!argv[n])
                fail_msg("argv case %zu: only %zu words", i, n);
            assert_string_equal(argv[n], cases[i].argv[n]);
        }
        if (argv[n])
            fail_msg("argv case %zu: extra word \"%s\"", i, argv[n]);
        wp_argv_free(argv);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wp_err e = {0};
        char **argv = wp_argv_split(bad[i], &e);
        if (argv)
            fail_msg("argv bad case %zu accepted", i);
        assert_full_error(&e);
    }
    wp_err e = {0};
    assert_null(wp_argv_split(NULL, &e));
    assert_full_error(&e);
    wp_argv_free(NULL);
}

/* Many short words: the array is sized for the worst case. */
static void test_argv_many_words(void **state)
{
    char line[2001];
    (void)state;
    for (int i = 0; i < 1000; i++) {
        line[2 * i] = 'x';
        line[2 * i + 1] = ' ';
    }
    line[1998] = 'y'; /* "x x ... x y": 1000 words of one byte */
    line[1999] = '\0';
    char **argv = wp_argv_split(line, NULL);
    assert_non_null(argv);
    size_t n = 0;
    while (argv[n])
        n++;
    assert_int_equal(n, 1000);
    assert_string_equal(argv[999], "y");
    wp_argv_free(argv);

    /* empty quoted words back to back */
    argv = wp_argv_split("'' '' '' ''", NULL);
    assert_non_null(argv);
    for (n = 0; argv[n]; n++)
        assert_string_equal(argv[n], "");
    assert_int_equal(n, 4);
    wp_argv_free(argv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),         cmocka_unit_test(test_type_parse),
        cmocka_unit_test(test_type_class),         cmocka_unit_test(test_names),
        cmocka_unit_test(test_prop_table),         cmocka_unit_test(test_prop_long_values),
        cmocka_unit_test(test_prop_messages),      cmocka_unit_test(test_props_all),
        cmocka_unit_test(test_props_all_messages), cmocka_unit_test(test_policy_table),
        cmocka_unit_test(test_policy_messages),    cmocka_unit_test(test_policy_defaults),
        cmocka_unit_test(test_policy_check),       cmocka_unit_test(test_duration),
        cmocka_unit_test(test_argv_split),         cmocka_unit_test(test_argv_many_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
