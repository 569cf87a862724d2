/*
 * test_fence.c -- unit tests of fence agents and fence devices
 * (src/agents/fence.c, src/db/ops_fence.c; docs/FENCING.md): metadata
 * parsing (a fence_ipmilan-like and a fence_virsh-like document written
 * for this test), the check of a device's parameters against it (unknown,
 * missing required with its aliases, select and typed values, reserved
 * names, an agent that cannot power off), the key=value stdin, secrets
 * (masked copies, scrubbed output), the fence path, a bounded run
 * (output, exit status, timeout), the fence.create / fence.delete
 * commands with their queries, and the records of recovery (node.fencing,
 * node.down, node.confirm-down, node.rejoined).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/agents/fence.h"
#include "../../src/db/db.h"

/* An IPMI-like agent: ip obsoletes ipaddr (both required), a select, a
 * boolean, an integer, a password; no plug. */
static const char ipmi_xml[] =
    "<?xml version=\"1.0\" ?>\n"
    "<resource-agent name=\"fence_test_ipmi\" shortdesc=\"test\" >\n"
    "<longdesc>test</longdesc><vendor-url></vendor-url>\n"
    "<parameters>\n"
    " <parameter name=\"action\" unique=\"0\" required=\"1\">"
    "  <content type=\"string\" default=\"reboot\" /></parameter>\n"
    " <parameter name=\"auth\" unique=\"0\" required=\"0\">"
    "  <content type=\"select\"><option value=\"md5\" /><option value=\"none\" /></content>"
    " </parameter>\n"
    " <parameter name=\"ip\" unique=\"0\" required=\"1\" obsoletes=\"ipaddr\">"
    "  <content type=\"string\" /></parameter>\n"
    " <parameter name=\"ipaddr\" unique=\"0\" required=\"1\" deprecated=\"1\">"
    "  <content type=\"string\" /></parameter>\n"
    " <parameter name=\"ipport\" unique=\"0\" required=\"0\">"
    "  <content type=\"integer\" default=\"623\" /></parameter>\n"
    " <parameter name=\"lanplus\" unique=\"0\" required=\"0\">"
    "  <content type=\"boolean\" default=\"0\" /></parameter>\n"
    " <parameter name=\"password\" unique=\"0\" required=\"0\" obsoletes=\"passwd\">"
    "  <content type=\"string\" /></parameter>\n"
    " <parameter name=\"passwd\" unique=\"0\" required=\"0\" deprecated=\"1\">"
    "  <content type=\"string\" /></parameter>\n"
    " <parameter name=\"power_wait\" unique=\"0\" required=\"0\">"
    "  <content type=\"second\" default=\"2\" /></parameter>\n"
    "</parameters>\n"
    "<actions><action name=\"on\" automatic=\"0\"/><action name=\"off\" />"
    "<action name=\"reboot\" /><action name=\"status\" /><action name=\"monitor\" />"
    "<action name=\"metadata\" /></actions>\n"
    "</resource-agent>\n";

/* A hypervisor-like agent: plug obsoletes port (required), login required
 * only under its new name username. */
static const char virsh_xml[] =
    "<?xml version=\"1.0\" ?>\n"
    "<resource-agent name=\"fence_test_virsh\" shortdesc=\"test\" >\n"
    "<parameters>\n"
    " <parameter name=\"plug\" unique=\"0\" required=\"1\" obsoletes=\"port\">"
    "  <content type=\"string\" /></parameter>\n"
    " <parameter name=\"port\" unique=\"0\" required=\"1\" deprecated=\"1\">"
    "  <content type=\"string\" /></parameter>\n"
    " <parameter name=\"username\" unique=\"0\" required=\"1\" obsoletes=\"login\">"
    "  <content type=\"string\" /></parameter>\n"
    " <parameter name=\"login\" unique=\"0\" required=\"1\" deprecated=\"1\">"
    "  <content type=\"string\" /></parameter>\n"
    "</parameters>\n"
    "<actions><action name=\"off\" /><action name=\"status\" /></actions>\n"
    "</resource-agent>\n";

static void parse(const char *xml, wp_fence_meta *m)
{
    wp_err err = {0};
    assert_true(wp_fence_meta_parse(xml, strlen(xml), m, &err));
}

static json_t *props(const char *json)
{
    json_t *p = json_loads(json, 0, NULL);
    assert_non_null(p);
    return p;
}

/* validate props against xml; returns the error code (WP_OK when valid) and
 * copies the message into what. */
static wp_code validate(const char *xml, const char *json, char *what, size_t size)
{
    wp_fence_meta m;
    wp_err err = {0};
    json_t *p = props(json);
    parse(xml, &m);
    bool ok = wp_fence_validate(&m, "dev1", p, &err);
    wp_fence_meta_free(&m);
    json_decref(p);
    if (what) { /* what | why | to do, each cut to fit */
        what[0] = '\0';
        const char *parts[] = {err.what, " | ", err.why, " | ", err.todo};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
            strncat(what, parts[i], size - strlen(what) - 1);
    }
    assert_true(ok == (err.code == WP_OK));
    return err.code;
}

static void test_meta_parse(void **state)
{
    (void)state;
    wp_fence_meta m;
    parse(ipmi_xml, &m);
    assert_string_equal(m.agent, "fence_test_ipmi");
    assert_int_equal(m.n_params, 9);
    const wp_fence_param *ip = wp_fence_meta_param(&m, "ip");
    assert_non_null(ip);
    assert_true(ip->required);
    assert_false(ip->deprecated);
    assert_string_equal(ip->obsoletes, "ipaddr");
    assert_true(wp_fence_meta_param(&m, "ipaddr")->deprecated);
    const wp_fence_param *auth = wp_fence_meta_param(&m, "auth");
    assert_string_equal(auth->type, "select");
    assert_int_equal(auth->n_choices, 2);
    assert_string_equal(auth->choices[1], "none");
    assert_string_equal(wp_fence_meta_param(&m, "lanplus")->type, "boolean");
    assert_null(wp_fence_meta_param(&m, "nosuch"));
    assert_true(wp_fence_meta_has_action(&m, "off"));
    assert_true(wp_fence_meta_has_action(&m, "on"));
    assert_false(wp_fence_meta_has_action(&m, "list"));
    assert_false(wp_fence_meta_takes_plug(&m));
    wp_fence_meta_free(&m);
    parse(virsh_xml, &m);
    assert_true(wp_fence_meta_takes_plug(&m));
    wp_fence_meta_free(&m);
}

static void test_meta_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "not xml at all",
        "<resource-agent name=\"x\"><parameters>", /* not well-formed */
        "<?xml version=\"1.0\"?><html><body/></html>",
        "<resource-agent name=\"x\"><parameters/><actions/></resource-agent>",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wp_fence_meta m;
        wp_err err = {0};
        assert_false(wp_fence_meta_parse(bad[i], strlen(bad[i]), &m, &err));
        assert_int_equal(err.code, WP_E_INVALID);
        assert_non_null(strstr(err.what, "metadata"));
        assert_true(err.why[0] && err.todo[0]);
    }
}

static void test_validate_ok(void **state)
{
    (void)state;
    assert_int_equal(validate(ipmi_xml, "{\"ip\": \"198.51.100.1\"}", NULL, 0), WP_OK);
    /* the deprecated name satisfies the required new one */
    assert_int_equal(validate(ipmi_xml,
                              "{\"ipaddr\": \"bmc1\", \"auth\": \"md5\", \"lanplus\": "
                              "\"1\", \"ipport\": \"624\", \"power_wait\": \"0.5\", "
                              "\"password\": \"s3cret\"}",
                              NULL, 0),
                     WP_OK);
    assert_int_equal(validate(virsh_xml, "{\"login\": \"root\"}", NULL, 0), WP_OK);
    assert_int_equal(validate(virsh_xml, "{\"username\": \"root\"}", NULL, 0), WP_OK);
}

static void test_validate_refused(void **state)
{
    (void)state;
    char what[1024];
    assert_int_equal(validate(ipmi_xml, "{\"ip\": \"a\", \"colour\": \"red\"}", what, sizeof what),
                     WP_E_INVALID);
    assert_non_null(strstr(what, "unknown parameter 'colour'"));
    assert_non_null(strstr(what, "lanplus")); /* what it takes */
    assert_null(strstr(what, "ipaddr"));      /* deprecated names are not offered */

    assert_int_equal(validate(ipmi_xml, "{\"lanplus\": \"1\"}", what, sizeof what), WP_E_INVALID);
    assert_non_null(strstr(what, "needs parameter 'ip'"));
    assert_non_null(strstr(what, "--prop ip=VALUE"));
    assert_int_equal(validate(virsh_xml, "{}", what, sizeof what), WP_E_INVALID);
    assert_non_null(strstr(what, "needs parameter 'username'")); /* plug is wolfpack's */

    assert_int_equal(validate(ipmi_xml, "{\"ip\": \"a\", \"auth\": \"sha\"}", what, sizeof what),
                     WP_E_INVALID);
    assert_non_null(strstr(what, "md5, none"));
    assert_int_equal(validate(ipmi_xml, "{\"ip\": \"a\", \"lanplus\": \"maybe\"}", NULL, 0),
                     WP_E_INVALID);
    assert_int_equal(validate(ipmi_xml, "{\"ip\": \"a\", \"ipport\": \"62x\"}", NULL, 0),
                     WP_E_INVALID);
    assert_int_equal(validate(ipmi_xml, "{\"ip\": \"a\", \"power_wait\": \"\"}", NULL, 0),
                     WP_E_INVALID);
    static const char *const reserved[] = {"action", "plug", "port", "nodename"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++) {
        char json[128];
        snprintf(json, sizeof json, "{\"username\": \"r\", \"%s\": \"x\"}", reserved[i]);
        assert_int_equal(validate(virsh_xml, json, what, sizeof what), WP_E_INVALID);
        assert_non_null(strstr(what, "cannot be a property"));
    }
    assert_int_equal(validate(ipmi_xml, "{\"ip\": \"a\\nb\"}", NULL, 0), WP_E_INVALID);
    assert_int_equal(validate(ipmi_xml, "{\"ip\": \"a\", \"Bad Name\": \"1\"}", NULL, 0),
                     WP_E_INVALID);

    /* an agent that cannot power off fences nothing */
    static const char no_off[] =
        "<resource-agent name=\"fence_x\"><parameters><parameter name=\"a\" required=\"0\">"
        "<content type=\"string\"/></parameter></parameters><actions><action name=\"status\"/>"
        "</actions></resource-agent>";
    assert_int_equal(validate(no_off, "{}", what, sizeof what), WP_E_INVALID);
    assert_non_null(strstr(what, "cannot fence a node"));
}

static void test_stdin(void **state)
{
    (void)state;
    json_t *p = props("{\"password\": \"pw\", \"ip\": \"198.51.100.9\", \"lanplus\": \"1\"}");
    char *in = wp_fence_stdin("off", "n3", p);
    assert_string_equal(in, "action=off\nplug=n3\nip=198.51.100.9\nlanplus=1\npassword=pw\n");
    free(in);
    in = wp_fence_stdin("monitor", NULL, p);
    assert_string_equal(in, "action=monitor\nip=198.51.100.9\nlanplus=1\npassword=pw\n");
    free(in);
    json_decref(p);
    json_t *empty = json_object();
    in = wp_fence_stdin("status", "vm-n1", empty);
    assert_string_equal(in, "action=status\nplug=vm-n1\n");
    free(in);
    json_decref(empty);
}

static void test_secrets(void **state)
{
    (void)state;
    static const char *const secret[] = {"password",  "passwd",           "passwd_script",
                                         "community", "snmp_priv_passwd", "hexadecimal_kg"};
    static const char *const plain[] = {"ip", "ipaddr", "login", "username", "lanplus", "plug"};
    for (size_t i = 0; i < sizeof secret / sizeof secret[0]; i++)
        assert_true(wp_fence_is_secret(secret[i]));
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        assert_false(wp_fence_is_secret(plain[i]));
    json_t *p = props("{\"password\": \"hunter2\", \"login\": \"admin\"}");
    json_t *m = wp_fence_props_masked(p);
    assert_string_equal(json_string_value(json_object_get(m, "password")), WP_FENCE_MASK);
    assert_string_equal(json_string_value(json_object_get(m, "login")), "admin");
    assert_string_equal(json_string_value(json_object_get(p, "password")), "hunter2");
    char out[128] = "login admin with hunter2 failed; hunter2!";
    wp_fence_scrub(out, sizeof out, p);
    assert_string_equal(out, "login admin with " WP_FENCE_MASK " failed; " WP_FENCE_MASK "!");
    char tight[16] = "pw hunter2 x";
    wp_fence_scrub(tight, sizeof tight, p); /* no room for the mask: cut, never shown */
    assert_null(strstr(tight, "hunter2"));
    json_decref(m);
    json_decref(p);
}

static void test_agent_path(void **state)
{
    (void)state;
    char dir[] = "/tmp/wp-test-fence-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char agent[128], path[256];
    snprintf(agent, sizeof agent, "%s/fence_mine", dir);
    FILE *f = fopen(agent, "w");
    assert_non_null(f);
    fputs("#!/bin/sh\nexit 0\n", f);
    fclose(f);
    chmod(agent, 0755);
    char search[200];
    snprintf(search, sizeof search, "/nonexistent:%s", dir);
    wp_err err = {0};
    assert_true(wp_fence_agent_path("fence_mine", search, path, sizeof path, &err));
    assert_string_equal(path, agent);
    assert_false(wp_fence_agent_path("fence_other", search, path, sizeof path, &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
    assert_non_null(strstr(err.todo, "fence-agents"));
    static const char *const bad[] = {"fence_", "ipmilan", "fence_../../bin/sh", "fence_a b",
                                      "/usr/sbin/fence_ipmilan"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = (wp_err){0};
        assert_false(wp_fence_agent_path(bad[i], search, path, sizeof path, &err));
        assert_int_equal(err.code, WP_E_INVALID);
    }
    unlink(agent);
    rmdir(dir);
}

static void test_exec(void **state)
{
    (void)state;
    char out[64];
    int status;
    bool timed_out;
    wp_err err = {0};
    assert_true(wp_fence_exec("/bin/cat", NULL, "action=off\n", 5000, &status, &timed_out, out,
                              sizeof out, &err));
    assert_int_equal(status, 0);
    assert_false(timed_out);
    assert_string_equal(out, "action=off\n");
    static const char *const fail_args[] = {"/bin/sh", "-c", "echo Failed: no; exit 1", NULL};
    assert_true(wp_fence_exec("/bin/sh", fail_args, NULL, 5000, &status, &timed_out, out,
                              sizeof out, &err));
    assert_int_equal(status, 1);
    assert_string_equal(out, "Failed: no\n");
    /* the output's end is kept */
    static const char *const long_args[] = {"/bin/sh", "-c", "seq 1 1000; echo the-end", NULL};
    assert_true(wp_fence_exec("/bin/sh", long_args, NULL, 5000, &status, &timed_out, out,
                              sizeof out, &err));
    assert_int_equal(strlen(out), sizeof out - 1);
    assert_non_null(strstr(out, "1000\nthe-end\n"));
    static const char *const sleep_args[] = {"/bin/sleep", "30", NULL};
    assert_true(wp_fence_exec("/bin/sleep", sleep_args, NULL, 200, &status, &timed_out, out,
                              sizeof out, &err));
    assert_true(timed_out);
    assert_int_equal(status, -1);
}

/* ---- the commands ------------------------------------------------------- */

typedef struct fx {
    char dir[64];
    char path[128];
    wp_db *db;
} fx;

static wp_code apply(wp_db *db, const char *json)
{
    json_t *cmd = json_loads(json, 0, NULL);
    assert_non_null(cmd);
    wp_err err = {0};
    int64_t before = wp_db_version(db);
    bool ok = wp_db_apply(db, cmd, &err);
    json_decref(cmd);
    assert_true(ok == (err.code == WP_OK));
    assert_int_equal(wp_db_version(db), before + (ok ? 1 : 0));
    return err.code;
}

static int fx_setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wp-test-fencedb-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/cluster.db", f->dir);
    wp_err err = {0};
    f->db = wp_db_open(f->path, &err);
    assert_non_null(f->db);
    assert_int_equal(apply(f->db, "{\"op\": \"cluster.create\", \"args\": {\"name\": \"c\", "
                                  "\"nodes\": [{\"name\": \"n1\", \"address\": \"198.51.100.11\", "
                                  "\"id\": 1}, {\"name\": \"n2\", \"address\": "
                                  "\"198.51.100.12\", \"id\": 2}, {\"name\": \"n3\", "
                                  "\"address\": \"198.51.100.13\", \"id\": 3}]}}"),
                     WP_OK);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    fx *f = *state;
    wp_db_close(f->db);
    char p[256];
    static const char *const files[] = {"cluster.db", "cluster.db-wal", "cluster.db-shm"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

static void test_db_fence(void **state)
{
    fx *f = *state;
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"pdu\", "
                                  "\"agent\": \"fence_apc_snmp\", \"props\": {\"ip\": \"pdu1\", "
                                  "\"community\": \"private\"}, \"nodes\": [\"N1\", \"n2\"], "
                                  "\"plugs\": {\"n1\": \"3\", \"N2\": \"4\"}, \"level\": 2}}"),
                     WP_OK);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"ipmi-n1\", "
                                  "\"agent\": \"fence_ipmilan\", \"props\": {\"ip\": \"bmc1\", "
                                  "\"password\": \"hunter2\"}, \"nodes\": [\"n1\"]}}"),
                     WP_OK);
    /* refusals change nothing (apply checks the version) */
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"PDU\", "
                                  "\"agent\": \"fence_x\", \"nodes\": [\"n1\"]}}"),
                     WP_E_EXISTS);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"d\", "
                                  "\"agent\": \"fence_x\", \"nodes\": [\"n9\"]}}"),
                     WP_E_NOTFOUND);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"d\", "
                                  "\"agent\": \"fence_x\", \"nodes\": []}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"d\", "
                                  "\"agent\": \"fence_x\", \"nodes\": [\"n1\", \"N1\"]}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"d\", "
                                  "\"agent\": \"fence_x\", \"nodes\": [\"n1\"], \"plugs\": "
                                  "{\"n2\": \"1\"}}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"d\", "
                                  "\"agent\": \"fence_x\", \"nodes\": [\"n1\"], \"level\": 10}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"d\", "
                                  "\"agent\": \"/bin/sh\", \"nodes\": [\"n1\"]}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"d\", "
                                  "\"agent\": \"fence_x\", \"nodes\": [\"n1\"], \"props\": "
                                  "{\"ip\": \"a\\nb\"}}}"),
                     WP_E_INVALID);

    wp_err err = {0};
    json_t *list = wp_db_fence_list(f->db, &err);
    assert_int_equal(json_array_size(list), 2);
    json_t *first = json_array_get(list, 0); /* level 1 first */
    assert_string_equal(json_string_value(json_object_get(first, "name")), "ipmi-n1");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(first, "props"), "password")),
        WP_FENCE_MASK);
    json_t *second = json_array_get(list, 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(second, "nodes"), 0)),
                        "n1"); /* the stored spelling */
    assert_string_equal(json_string_value(json_object_get(json_object_get(second, "plugs"), "n2")),
                        "4");
    char *dump = json_dumps(list, 0);
    assert_null(strstr(dump, "hunter2"));
    free(dump);
    json_decref(list);

    json_t *shown = wp_db_fence_show(f->db, "Ipmi-N1", true, &err);
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(shown, "props"), "password")),
        WP_FENCE_MASK);
    json_decref(shown);
    json_t *n1 = wp_db_fence_for_node(f->db, "n1", &err);
    assert_int_equal(json_array_size(n1), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(n1, 0), "props"), "password")),
                        "hunter2");
    json_decref(n1);
    json_t *n3 = wp_db_fence_for_node(f->db, "n3", &err);
    assert_int_equal(json_array_size(n3), 0);
    json_decref(n3);

    assert_int_equal(apply(f->db, "{\"op\": \"fence.delete\", \"args\": {\"name\": \"PDU\"}}"),
                     WP_OK);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.delete\", \"args\": {\"name\": \"pdu\"}}"),
                     WP_E_NOTFOUND);
    assert_null(wp_db_fence_show(f->db, "pdu", true, &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
}

static const char *rec(wp_db *db, const char *kind, const char *node, const char *key)
{
    wp_err err = {0};
    static char buf[128];
    json_t *st = wp_db_fence_status(db, &err);
    assert_non_null(st);
    const char *v =
        json_string_value(json_object_get(json_object_get(json_object_get(st, kind), node), key));
    snprintf(buf, sizeof buf, "%s", v ? v : "-");
    json_decref(st);
    return buf;
}

static void test_db_proof(void **state)
{
    fx *f = *state;
    assert_string_equal(rec(f->db, "fencing", "n3", "state"), "-");
    assert_int_equal(apply(f->db, "{\"op\": \"node.fencing\", \"args\": {\"name\": \"N3\", "
                                  "\"state\": \"fencing\", \"at\": 100}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "fencing", "n3", "state"), "fencing");
    assert_int_equal(apply(f->db, "{\"op\": \"node.fencing\", \"args\": {\"name\": \"n3\", "
                                  "\"state\": \"failed\", \"at\": 101, \"error\": \"no answer\"}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "fencing", "n3", "error"), "no answer");
    assert_int_equal(apply(f->db, "{\"op\": \"node.fencing\", \"args\": {\"name\": \"n3\", "
                                  "\"state\": \"maybe\", \"at\": 1}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"node.fencing\", \"args\": {\"name\": \"n9\", "
                                  "\"state\": \"failed\", \"at\": 1}}"),
                     WP_E_NOTFOUND);
    /* the proof replaces the progress record */
    assert_int_equal(apply(f->db, "{\"op\": \"node.down\", \"args\": {\"name\": \"n3\", "
                                  "\"how\": \"fenced\", \"at\": 102, \"detail\": \"sw\"}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "down", "n3", "how"), "fenced");
    assert_string_equal(rec(f->db, "fencing", "n3", "state"), "-");
    assert_int_equal(apply(f->db, "{\"op\": \"node.down\", \"args\": {\"name\": \"n3\", "
                                  "\"how\": \"guessed\", \"at\": 1}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"node.rejoined\", \"args\": {\"name\": \"n3\"}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "down", "n3", "how"), "-");
    /* the operator's word; at is filled in by wolfpackd, required here */
    assert_int_equal(apply(f->db, "{\"op\": \"node.confirm-down\", \"args\": {\"name\": \"n2\"}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"node.confirm-down\", \"args\": {\"name\": "
                                  "\"n2\", \"at\": 103}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "down", "n2", "how"), "confirmed");
}

/* node.remove: the node leaves every device; a device left with no node
 * goes, and so do the node's fencing records */
static void test_db_node_remove(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"pdu\", "
                                  "\"agent\": \"fence_apc_snmp\", \"nodes\": [\"n1\", \"n3\"], "
                                  "\"plugs\": {\"n1\": \"3\", \"n3\": \"5\"}}}"),
                     WP_OK);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"bmc-n3\", "
                                  "\"agent\": \"fence_ipmilan\", \"nodes\": [\"n3\"]}}"),
                     WP_OK);
    assert_int_equal(apply(f->db, "{\"op\": \"fence.create\", \"args\": {\"name\": \"bmc-n2\", "
                                  "\"agent\": \"fence_ipmilan\", \"nodes\": [\"n2\"]}}"),
                     WP_OK);
    assert_int_equal(apply(f->db, "{\"op\": \"node.confirm-down\", \"args\": {\"name\": "
                                  "\"n3\", \"at\": 103}}"),
                     WP_OK);
    assert_int_equal(apply(f->db, "{\"op\": \"node.remove\", \"args\": {\"name\": \"N3\"}}"),
                     WP_OK);
    json_t *pdu = wp_db_fence_show(f->db, "pdu", true, &err);
    assert_non_null(pdu);
    assert_int_equal(json_array_size(json_object_get(pdu, "nodes")), 1);
    assert_string_equal(json_string_value(json_array_get(json_object_get(pdu, "nodes"), 0)), "n1");
    assert_null(json_object_get(json_object_get(pdu, "plugs"), "n3"));
    assert_string_equal(json_string_value(json_object_get(json_object_get(pdu, "plugs"), "n1")),
                        "3");
    json_decref(pdu);
    assert_null(wp_db_fence_show(f->db, "bmc-n3", true, &err)); /* it fenced only n3 */
    assert_int_equal(err.code, WP_E_NOTFOUND);
    err = (wp_err){0};
    json_t *n2 = wp_db_fence_show(f->db, "bmc-n2", true, &err); /* another node's: kept */
    assert_non_null(n2);
    json_decref(n2);
    assert_string_equal(rec(f->db, "down", "n3", "how"), "-");
    json_t *list = wp_db_fence_list(f->db, &err);
    assert_int_equal(json_array_size(list), 2);
    json_decref(list);
}

/* node.watchdog: a node's self-fence time, kept across rejoins; a
 * watchdog proof; the self-fencing progress state */
static void test_db_watchdog(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    assert_int_equal(apply(f->db, "{\"op\": \"node.watchdog\", \"args\": {\"name\": \"N3\", "
                                  "\"timeout\": 10}}"),
                     WP_OK);
    json_t *st = wp_db_fence_status(f->db, &err);
    assert_non_null(st);
    assert_int_equal(json_integer_value(json_object_get(
                         json_object_get(json_object_get(st, "watchdog"), "n3"), "timeout")),
                     10);
    json_decref(st);
    assert_int_equal(apply(f->db, "{\"op\": \"node.watchdog\", \"args\": {\"name\": \"n3\", "
                                  "\"timeout\": -1}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"node.watchdog\", \"args\": {\"name\": \"n3\", "
                                  "\"timeout\": 3601}}"),
                     WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"node.watchdog\", \"args\": {\"name\": \"n9\", "
                                  "\"timeout\": 5}}"),
                     WP_E_NOTFOUND);
    assert_int_equal(apply(f->db, "{\"op\": \"node.fencing\", \"args\": {\"name\": \"n3\", "
                                  "\"state\": \"self-fencing\", \"at\": 1, \"error\": \"waits\"}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "fencing", "n3", "state"), "self-fencing");
    assert_int_equal(apply(f->db, "{\"op\": \"node.down\", \"args\": {\"name\": \"n3\", "
                                  "\"how\": \"watchdog\", \"at\": 2}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "down", "n3", "how"), "watchdog");
    assert_string_equal(rec(f->db, "fencing", "n3", "state"), "-");
    /* a rejoin spends the proof, not the watchdog */
    assert_int_equal(apply(f->db, "{\"op\": \"node.rejoined\", \"args\": {\"name\": \"n3\"}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "down", "n3", "how"), "-");
    st = wp_db_fence_status(f->db, &err);
    assert_non_null(json_object_get(json_object_get(st, "watchdog"), "n3"));
    json_decref(st);
    /* timeout 0: the node has no watchdog any more */
    assert_int_equal(apply(f->db, "{\"op\": \"node.watchdog\", \"args\": {\"name\": \"n3\", "
                                  "\"timeout\": 0}}"),
                     WP_OK);
    st = wp_db_fence_status(f->db, &err);
    assert_null(json_object_get(json_object_get(st, "watchdog"), "n3"));
    json_decref(st);
}

/* node.poison: only for a node that announced a watchdog; unpoison clears */
static void test_db_poison(void **state)
{
    fx *f = *state;
    assert_int_equal(apply(f->db, "{\"op\": \"node.poison\", \"args\": {\"name\": \"n2\"}}"),
                     WP_E_CONFLICT);
    assert_int_equal(apply(f->db, "{\"op\": \"node.poison\", \"args\": {\"name\": \"n9\"}}"),
                     WP_E_NOTFOUND);
    assert_int_equal(apply(f->db, "{\"op\": \"node.watchdog\", \"args\": {\"name\": \"n2\", "
                                  "\"timeout\": 5}}"),
                     WP_OK);
    assert_int_equal(apply(f->db, "{\"op\": \"node.poison\", \"args\": {\"name\": \"N2\"}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "poison", "n2", "node"), "n2");
    assert_int_equal(apply(f->db, "{\"op\": \"node.unpoison\", \"args\": {\"name\": \"n2\"}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "poison", "n2", "node"), "-");
}

/* cluster.fencing: on by default, off is recorded and shown in the status;
 * the unfenceable state of a lost node with no device and no watchdog */
static void test_db_fencing_setting(void **state)
{
    fx *f = *state;
    wp_err err = {0};
    assert_true(wp_db_fencing_enabled(f->db));
    json_t *st = wp_db_fence_status(f->db, &err);
    assert_true(json_is_true(json_object_get(st, "enabled")));
    json_decref(st);
    assert_int_equal(apply(f->db, "{\"op\": \"cluster.fencing\", \"args\": {\"on\": false}}"),
                     WP_OK);
    assert_false(wp_db_fencing_enabled(f->db));
    st = wp_db_fence_status(f->db, &err);
    assert_true(json_is_false(json_object_get(st, "enabled")));
    json_decref(st);
    assert_int_equal(apply(f->db, "{\"op\": \"cluster.fencing\", \"args\": {\"on\": true}}"),
                     WP_OK);
    assert_true(wp_db_fencing_enabled(f->db));
    assert_int_equal(apply(f->db, "{\"op\": \"cluster.fencing\", \"args\": {}}"), WP_E_INVALID);
    assert_int_equal(apply(f->db, "{\"op\": \"node.fencing\", \"args\": {\"name\": \"n3\", "
                                  "\"state\": \"unfenceable\", \"at\": 1, \"error\": \"none\"}}"),
                     WP_OK);
    assert_string_equal(rec(f->db, "fencing", "n3", "state"), "unfenceable");
    assert_int_equal(apply(f->db, "{\"op\": \"node.fencing\", \"args\": {\"name\": \"n3\", "
                                  "\"state\": \"unfenceablex\", \"at\": 1}}"),
                     WP_E_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meta_parse),
        cmocka_unit_test(test_meta_refused),
        cmocka_unit_test(test_validate_ok),
        cmocka_unit_test(test_validate_refused),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_secrets),
        cmocka_unit_test(test_agent_path),
        cmocka_unit_test(test_exec),
        cmocka_unit_test_setup_teardown(test_db_fence, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_db_proof, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_db_node_remove, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_db_watchdog, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_db_poison, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_db_fencing_setting, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
