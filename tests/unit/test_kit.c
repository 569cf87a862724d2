/*
 * test_kit.c -- unit tests of the kit manifest parser (src/app/kit.c): a
 * complete good manifest and a service pack parse into the expected kit;
 * every kind of bad manifest is refused with WP_E_INVALID and a message
 * that starts with "kit.yaml:LINE: FIELD:" (table-driven); files the
 * manifest names must exist in the kit directory; variables expand.
 */
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

#include "../../src/app/app.h"
#include "../../src/app/kit.h"
#include "../../src/lib/model.h"

static const char good[] =
    "# a comment\n"                                     /* 1 */
    "name: recordstore\n"                               /* 2 */
    "version: \"1.0\"\n"                                /* 3 */
    "edition: Enterprise\n"                             /* 4 */
    "clusterable: true\n"                               /* 5 */
    "parameters:\n"                                     /* 6 */
    "  address: 127.0.0.1\n"                            /* 7 */
    "  port: \"7070\"\n"                                /* 8 */
    "files:\n"                                          /* 9 */
    "  - from: bin/recordstore\n"                       /* 10 */
    "    to: /opt/recordstore/bin/recordstore\n"        /* 11 */
    "    mode: \"0755\"\n"                              /* 12 */
    "databases:\n"                                      /* 13 */
    "  - name: records\n"                               /* 14 */
    "    standalone: /var/lib/recordstore/records.db\n" /* 15 */
    "    clustered: recordstore/records.db\n"           /* 16 */
    "services:\n"                                       /* 17 */
    "  - name: web\n"                                   /* 18 */
    "    command: /opt/web --port ${port}\n"            /* 19 */
    "    depends_on: [store, address, name]\n"          /* 20 */
    "  - name: store\n"                                 /* 21 */
    "    command: ${root}/opt/recordstore/bin/recordstore --db ${db:records} --port ${port}\n"
    "    check: ${root}/opt/recordstore/bin/recordstore --check\n" /* 23 */
    "    depends_on: [disk]\n"                                     /* 24 */
    "    start_timeout: 2m\n"                                      /* 25 */
    "    user: root\n";                                            /* 26 */

static wp_kit *parse(const char *text, wp_err *err)
{
    return wp_kit_parse(text, strlen(text), "kit.yaml", NULL, err);
}

static void test_good_manifest(void **state)
{
    (void)state;
    wp_err err = {0};
    wp_kit *kit = parse(good, &err);
    if (!kit)
        fail_msg("refused: %s (%s)", err.what, err.why);
    assert_string_equal(kit->name, "recordstore");
    assert_string_equal(kit->version, "1.0");
    assert_string_equal(kit->edition, "Enterprise");
    assert_true(kit->clusterable);
    assert_false(wp_kit_is_service_pack(kit));
    assert_int_equal(kit->nparams, 2);
    assert_string_equal(wp_kit_param_get(kit, "port"), "7070");
    assert_int_equal(kit->nfiles, 1);
    assert_int_equal(kit->files[0].mode, 0755);
    assert_string_equal(kit->files[0].to, "/opt/recordstore/bin/recordstore");
    assert_int_equal(kit->ndbs, 1);
    assert_string_equal(wp_kit_db_find(kit, "records")->clustered, "recordstore/records.db");
    /* dependency order: store before web */
    assert_int_equal(kit->nservices, 2);
    assert_string_equal(kit->services[0].name, "store");
    assert_string_equal(kit->services[1].name, "web");
    assert_int_equal(kit->services[0].start_timeout, 120);
    assert_string_equal(kit->services[0].command[0], "${root}/opt/recordstore/bin/recordstore");
    assert_string_equal(kit->services[0].command[2], "${db:records}");
    assert_non_null(kit->services[0].check);
    assert_null(kit->services[1].check);
    assert_int_equal(kit->services[1].ndepends, 3);
    assert_string_equal(kit->services[0].user, "root"); /* said */
    assert_null(kit->services[1].user);                 /* not said */
    wp_kit_free(kit);
}

static void test_service_pack(void **state)
{
    (void)state;
    char text[4096];
    snprintf(text, sizeof text,
             "%s"
             "upgrades_from: [\"0.9\", \"1.0-beta\"]\n"
             "upgrade:\n"
             "  command: ${kit}/bin/upgrade --db ${db:records}\n",
             good);
    /* the SP is version 1.0 too here; make it 1.1 */
    char *v = strstr(text, "\"1.0\"\n");
    memcpy(v, "\"1.1\"", 5);
    wp_err err = {0};
    wp_kit *kit = parse(text, &err);
    if (!kit)
        fail_msg("refused: %s (%s)", err.what, err.why);
    assert_true(wp_kit_is_service_pack(kit));
    assert_int_equal(kit->nupgrades_from, 2);
    assert_string_equal(kit->upgrades_from[1], "1.0-beta");
    assert_string_equal(kit->upgrade[0], "${kit}/bin/upgrade");
    wp_kit_free(kit);
}

/* A bad manifest: the text, and the start its error must have. */
typedef struct bad_case {
    const char *text;
    const char *prefix; /* what starts with this */
    const char *also;   /* and contains this (or NULL) */
} bad_case;

#define HEAD "name: app\nversion: \"1\"\nedition: E\nclusterable: true\n" /* lines 1-4 */
#define SVC(cmd) HEAD "services:\n  - name: s\n    command: " cmd "\n"    /* command on line 7 */

static const bad_case bad_cases[] = {
    {HEAD "files: [\n", "kit.yaml:6: not valid YAML", NULL},
    {HEAD "colour: red\n", "kit.yaml:5: colour: unknown key", "expected one of"},
    {"version: \"1\"\nedition: E\nclusterable: true\n", "kit.yaml:1: name:", "required"},
    {"name: app\nversion: \"1\"\nedition: E\nclusterable: yes\n",
     "kit.yaml:4: clusterable:", "true or false"},
    {"name: App!\nversion: \"1\"\nedition: E\nclusterable: true\n",
     "kit.yaml:1: name:", "not a valid application name"},
    {"name: app\nversion: \"1 0\"\nedition: E\nclusterable: true\n", "kit.yaml:2: version:", NULL},
    {"name: app\nname: b\nversion: \"1\"\nedition: E\nclusterable: true\n",
     "kit.yaml:2: name:", "given twice"},
    {SVC("bin/server --port 1"), "kit.yaml:7: services[0].command:", "must be an absolute path"},
    {SVC("/bin/server --port ${nope}"),
     "kit.yaml:7: services[0].command:", "unknown variable ${nope}"},
    {SVC("${kit}/bin/server"), "kit.yaml:7: services[0].command:", "absolute path"},
    {SVC("/bin/server ${kit}"), "kit.yaml:7: services[0].command:", "unknown variable ${kit}"},
    {SVC("/bin/server 'unclosed"), "kit.yaml:7: services[0].command:", NULL},
    {SVC("\"\""), "kit.yaml:7: services[0].command:", "empty"},
    {SVC("/bin/s\n    colour: red"), "kit.yaml:8: services[0].colour: unknown key", NULL},
    {SVC("/bin/s\n    depends_on: [ghost]"),
     "kit.yaml:6: services[0].depends_on[0]:", "neither a service"},
    {SVC("/bin/s\n    depends_on: [s]"), "kit.yaml:8: services[0].depends_on[0]:", "itself"},
    {SVC("/bin/s\n    depends_on: [t]\n  - name: t\n    command: /bin/t\n    depends_on: [s]"),
     "kit.yaml:6: services[0].depends_on:", "cycle"},
    {SVC("/bin/s\n  - name: s\n    command: /bin/t"),
     "kit.yaml:8: services[1].name:", "also the name of services[0]"},
    {SVC("/bin/s\n    start_timeout: forever"), "kit.yaml:8: services[0].start_timeout:", NULL},
    {SVC("/bin/s\n    user: Root;id"), "kit.yaml:8: services[0].user:", "a user name is"},
    {HEAD "services:\n  name: s\n", "kit.yaml:6: services:", "must be a list"},
    {HEAD "files:\n  - from: bin/x\n    to: opt/x\n",
     "kit.yaml:7: files[0].to:", "must be an absolute path"},
    {HEAD "files:\n  - from: ../x\n    to: /opt/x\n", "kit.yaml:6: files[0].from:", "'..'"},
    {HEAD "files:\n  - from: x\n    to: /opt/x\n    mode: \"0999\"\n",
     "kit.yaml:8: files[0].mode:", "octal"},
    {HEAD "files:\n  - from: x\n    to: /opt/x\n  - from: y\n    to: /opt/x\n",
     "kit.yaml:9: files[1].to:", "also the destination"},
    {HEAD "files:\n  - to: /opt/x\n", "kit.yaml:6: files[0]:", "key from is required"},
    {HEAD "databases:\n  - name: d\n    standalone: /var/d\n    clustered: /d\n",
     "kit.yaml:8: databases[0].clustered:", "must be a relative path"},
    {HEAD "databases:\n  - name: d\n    standalone: /var/d\n    clustered: d\n"
          "  - name: d\n    standalone: /var/e\n    clustered: e\n",
     "kit.yaml:9: databases[1].name:", "also the name"},
    {HEAD "databases:\n  - name: d\n    kind: tree\n    standalone: /var/d\n    clustered: d\n",
     "kit.yaml:7: databases[0].kind:", "'file' or 'directory'"},
    {HEAD "databases:\n  - name: d\n    kind: directory\n    standalone: /var/d\n"
          "    clustered: d\n    initial: x\n",
     "kit.yaml:10: databases[0].initial:", "starts empty"},
    {HEAD "databases:\n  - name: d\n    standalone: /var/d\n    clustered: d\n    owners: [mail]\n",
     "kit.yaml:9: databases[0].owners:", "only a database of kind directory"},
    {HEAD "databases:\n  - name: d\n    kind: directory\n    standalone: /var/d\n"
          "    clustered: d\n    owners: [\"-x\"]\n",
     "kit.yaml:10: databases[0].owners[0]:", "user or group name"},
    {HEAD "databases:\n  - name: d\n    kind: directory\n    standalone: /var/d\n"
          "    clustered: d\n    owners: [a, b, c, d, e, f, g, h, i]\n",
     "kit.yaml:10: databases[0].owners:", "at most 8"},
    {HEAD "upgrades_from: [\"0.9\"]\n", "kit.yaml:5: upgrade:", "required with upgrades_from"},
    {HEAD "upgrade:\n  command: /bin/up\n", "kit.yaml:6: upgrades_from:", "required with upgrade"},
    {HEAD "upgrades_from: [\"1\"]\nupgrade:\n  command: /bin/up\n",
     "kit.yaml:5: upgrades_from[0]:", "its own version"},
    {HEAD "upgrades_from: [\"0\"]\nupgrade:\n  command: up\n",
     "kit.yaml:7: upgrade.command:", "absolute path"},
    {HEAD "parameters:\n  root: /x\n", "kit.yaml:6: parameters.root:", "reserved"},
    {HEAD "parameters:\n  Port: 1\n", "kit.yaml:6: parameters.Port:", NULL},
    {HEAD "---\nname: b\n", "kit.yaml:5: a second YAML document", NULL},
    {"", "kit.yaml:1: the manifest is empty", NULL},
    {"- a\n- b\n", "kit.yaml:1: (top):", "mapping"},
};

static void test_bad_manifests(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        wp_err err = {0};
        wp_kit *kit = parse(c->text, &err);
        if (kit) {
            wp_kit_free(kit);
            fail_msg("case %zu accepted:\n%s", i, c->text);
        }
        if (err.code != WP_E_INVALID || strncmp(err.what, c->prefix, strlen(c->prefix)) != 0 ||
            (c->also && !strstr(err.what, c->also)))
            fail_msg("case %zu: got '%s' (code %d), expected '%s'...'%s'", i, err.what, err.code,
                     c->prefix, c->also ? c->also : "");
        assert_true(err.why[0] && err.todo[0]);
    }
}

/* A directory database's owners reach the install record, with its kind,
 * for a restore to check against. */
static void test_db_owners(void **state)
{
    (void)state;
    wp_err err = {0};
    wp_kit *kit = parse(HEAD "databases:\n  - name: q\n    kind: directory\n"
                             "    standalone: /var/q\n    clustered: q\n"
                             "    owners: [postfix, postdrop]\n",
                        &err);
    if (!kit)
        fail_msg("refused: %s (%s)", err.what, err.why);
    assert_int_equal(kit->dbs[0].nowners, 2);
    assert_string_equal(kit->dbs[0].owners[1], "postdrop");
    wp_app_env env;
    assert_true(wp_app_env_init(&env, "/tmp/approot", &err));
    json_t *rec = wp_app_record_from_kit(&env, kit, NULL, &err);
    assert_non_null(rec);
    json_t *db = json_array_get(json_object_get(rec, "databases"), 0);
    assert_string_equal(json_string_value(json_object_get(db, "kind")), "directory");
    assert_string_equal(json_string_value(json_array_get(json_object_get(db, "owners"), 0)),
                        "postfix");
    wp_backup_spec spec;
    wp_backup_db *dbs = NULL;
    assert_true(wp_app_backup_spec(rec, &spec, &dbs, &err));
    assert_int_equal(dbs[0].kind, WP_BACKUP_KIND_DIRECTORY);
    assert_int_equal(json_array_size(dbs[0].owners), 2);
    free(dbs);
    json_decref(rec);
    wp_kit_free(kit);
}

static void test_kit_files_must_exist(void **state)
{
    (void)state;
    char dir[] = "/tmp/wptest-kit.XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512];
    snprintf(path, sizeof path, "%s/kit.yaml", dir);
    FILE *f = fopen(path, "w");
    fputs(good, f);
    fclose(f);
    wp_err err = {0};
    wp_kit *kit = wp_kit_load(dir, &err);
    assert_null(kit);
    assert_non_null(strstr(err.what, "kit.yaml:10: files[0].from: 'bin/recordstore' is not in"));
    snprintf(path, sizeof path, "%s/bin", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/bin/recordstore", dir);
    f = fopen(path, "w");
    fclose(f);
    kit = wp_kit_load(dir, &err);
    assert_non_null(kit);
    wp_kit_free(kit);
    unlink(path);
    snprintf(path, sizeof path, "%s/bin", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/kit.yaml", dir);
    unlink(path);
    rmdir(dir);
    /* no manifest at all */
    kit = wp_kit_load("/nonexistent-kit-dir", &err);
    assert_null(kit);
    assert_int_equal(err.code, WP_E_NOTFOUND);
}

static void test_expand(void **state)
{
    (void)state;
    wp_kit_var vars[] = {{"root", "/tmp/r"}, {"db:records", "/tmp/r/db"}, {"port", "7070"}};
    wp_err err = {0};
    char *s = wp_kit_expand("${root}/bin --db=${db:records} $$HOME ${port}$", vars, 3, &err);
    assert_string_equal(s, "/tmp/r/bin --db=/tmp/r/db $HOME 7070$");
    free(s);
    assert_null(wp_kit_expand("${unknown}", vars, 3, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_null(wp_kit_expand("${root", vars, 3, &err));
    char *argv[] = {"${root}/x", "${port}", NULL};
    char **out = wp_kit_expand_argv(argv, vars, 3, &err);
    assert_string_equal(out[0], "/tmp/r/x");
    assert_string_equal(out[1], "7070");
    assert_null(out[2]);
    wp_argv_free(out);
}

/* The record a kit gives: standalone below the root, or clustered on the
 * group's disk, with every variable expanded. */
static void test_record_from_kit(void **state)
{
    (void)state;
    wp_err err = {0};
    wp_kit *kit = parse(good, &err);
    assert_non_null(kit);
    wp_app_env env;
    assert_true(wp_app_env_init(&env, "/tmp/approot/", &err));
    const char *set[] = {"port=9000"};
    wp_app_install_opts opts = {.set = set, .nset = 1};
    json_t *rec = wp_app_record_from_kit(&env, kit, &opts, &err);
    assert_non_null(rec);
    assert_string_equal(json_string_value(json_object_get(rec, "mode")), "standalone");
    assert_true(json_is_null(json_object_get(rec, "group")));
    json_t *db = json_array_get(json_object_get(rec, "databases"), 0);
    assert_string_equal(json_string_value(json_object_get(db, "path")),
                        "/tmp/approot/var/lib/recordstore/records.db");
    json_t *cmd = json_object_get(json_array_get(json_object_get(rec, "services"), 0), "command");
    assert_string_equal(json_string_value(json_array_get(cmd, 0)),
                        "/tmp/approot/opt/recordstore/bin/recordstore");
    assert_string_equal(json_string_value(json_array_get(cmd, 2)),
                        "/tmp/approot/var/lib/recordstore/records.db");
    assert_string_equal(json_string_value(json_array_get(cmd, 4)), "9000");
    json_decref(rec);

    opts.group = "web";
    opts.disk_mount = "/mnt/web";
    rec = wp_app_record_from_kit(&env, kit, &opts, &err);
    assert_non_null(rec);
    assert_string_equal(json_string_value(json_object_get(rec, "mode")), "clustered");
    assert_string_equal(json_string_value(json_object_get(rec, "group")), "web");
    db = json_array_get(json_object_get(rec, "databases"), 0);
    assert_string_equal(json_string_value(json_object_get(db, "path")),
                        "/mnt/web/recordstore/records.db");
    cmd = json_object_get(json_array_get(json_object_get(rec, "services"), 0), "command");
    assert_string_equal(json_string_value(json_array_get(cmd, 2)),
                        "/mnt/web/recordstore/records.db");
    json_decref(rec);

    opts.disk_mount = NULL;
    assert_null(wp_app_record_from_kit(&env, kit, &opts, &err));
    const char *bad[] = {"colour=red"};
    wp_app_install_opts bad_opts = {.set = bad, .nset = 1};
    assert_null(wp_app_record_from_kit(&env, kit, &bad_opts, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    wp_kit_free(kit);
}

static void test_app_names(void **state)
{
    (void)state;
    wp_err err;
    assert_true(wp_app_name_valid("recordstore", &err));
    assert_true(wp_app_name_valid("mail-server_2", &err));
    assert_false(wp_app_name_valid("", &err));
    assert_false(wp_app_name_valid("-x", &err));
    assert_false(wp_app_name_valid("Mail", &err));
    assert_false(wp_app_name_valid("a/b", &err));
    assert_false(wp_app_name_valid("../x", &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_manifest),
        cmocka_unit_test(test_service_pack),
        cmocka_unit_test(test_bad_manifests),
        cmocka_unit_test(test_db_owners),
        cmocka_unit_test(test_kit_files_must_exist),
        cmocka_unit_test(test_expand),
        cmocka_unit_test(test_app_names),
        cmocka_unit_test(test_record_from_kit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
