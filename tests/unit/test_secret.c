/*
 * test_secret.c -- secret kit parameters (issue 12, class 3;
 * src/app/secret.c, docs/SECURITY.md "Secrets"): the kit syntax; hashes
 * that crypt(3) verifies, a fresh salt each time, never hashed twice; an
 * install record (standalone and clustered) and the commands of its
 * services without the password in the clear anywhere; records shown
 * through wp_secret_mask_record without the secret or its hash; a
 * `secret: file` parameter kept only in a 0600 file (and refused for a
 * clustered install); a hashed word surviving the command line of a
 * Generic Service resource.
 */
#include <crypt.h>
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
#include "../../src/app/cluster.h"
#include "../../src/app/kit.h"
#include "../../src/app/secret.h"
#include "../../src/lib/model.h"

#define HEAD "name: mail\nversion: \"1\"\nedition: E\nclusterable: true\n"

static const char kit_text[] =
    HEAD "parameters:\n"
         "  domain: example.org\n"
         "  users:\n"
         "    value: \"alice:alice-pw,bob:bob-pw\"\n"
         "    secret: hash-list\n"
         "  admin:\n"
         "    value: root-pw\n"
         "    secret: hash\n"
         "services:\n"
         "  - name: imap\n"
         "    command: /usr/bin/imapd --users ${users} --admin ${admin}\n"
         "    check: /usr/bin/imapd --check --users ${users}\n";

static wp_kit *parse(const char *text, wp_err *err)
{
    return wp_kit_parse(text, strlen(text), "kit.yaml", NULL, err);
}

/* Does hash ("{CRYPT}...") verify password? */
static bool verifies(const char *hash, const char *password)
{
    if (strncmp(hash, "{CRYPT}", 7) != 0)
        return false;
    struct crypt_data cd = {0};
    const char *h = crypt_r(password, hash + 7, &cd);
    return h && strcmp(h, hash + 7) == 0;
}

static void test_kit_syntax(void **state)
{
    (void)state;
    wp_err err = {0};
    wp_kit *kit = parse(kit_text, &err);
    if (!kit)
        fail_msg("%s: %s", err.what, err.why);
    assert_int_equal(wp_kit_param_find(kit, "users")->secret, WP_KIT_SECRET_HASH_LIST);
    assert_int_equal(wp_kit_param_find(kit, "admin")->secret, WP_KIT_SECRET_HASH);
    assert_int_equal(wp_kit_param_find(kit, "domain")->secret, WP_KIT_SECRET_NONE);
    assert_string_equal(wp_kit_param_get(kit, "users"), "alice:alice-pw,bob:bob-pw");
    wp_kit_free(kit);
    static const struct {
        const char *text, *has;
    } bad[] = {
        {HEAD "parameters:\n  p:\n    value: x\n    secret: rot13\n", "parameters.p.secret"},
        {HEAD "parameters:\n  p:\n    secret: hash\n", "value is required"},
        {HEAD "parameters:\n  p:\n    value: x\n    colour: red\n", "unknown key"},
        {HEAD "parameters:\n  p:\n    value: nopass\n    secret: hash-list\n", "NAME:PASSWORD"},
        {HEAD "parameters:\n  p:\n    value: \"a:b:c\"\n    secret: hash-list\n", "NAME:PASSWORD"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_null(parse(bad[i].text, &err));
        if (err.code != WP_E_INVALID || !strstr(err.what, bad[i].has))
            fail_msg("case %zu: '%s'", i, err.what);
    }
}

static void test_hash(void **state)
{
    (void)state;
    wp_err err = {0};
    char *a = wp_secret_hash("alice-pw", &err), *b = wp_secret_hash("alice-pw", &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(strncmp(a, "{CRYPT}$y$", 10), 0);
    assert_true(verifies(a, "alice-pw"));
    assert_false(verifies(a, "alice-pX"));
    assert_string_not_equal(a, b); /* a fresh salt each time */
    assert_true(wp_secret_is_hashed(a));
    assert_false(wp_secret_is_hashed("alice-pw"));
    assert_false(wp_secret_is_hashed("{}x"));
    /* a list: each password hashed, names kept, hashes kept as they are */
    char *given = NULL;
    assert_true(asprintf(&given, "alice:alice-pw,bob:%s", a) > 0);
    char *kept = wp_secret_keep(WP_KIT_SECRET_HASH_LIST, given, &err);
    assert_non_null(kept);
    assert_null(strstr(kept, "alice-pw"));
    assert_int_equal(strncmp(kept, "alice:{CRYPT}$y$", 16), 0);
    char *bob = strstr(kept, ",bob:");
    assert_non_null(bob);
    assert_string_equal(bob + 5, a);
    *bob = '\0';
    assert_true(verifies(kept + 6, "alice-pw"));
    *bob = ',';
    char *again = wp_secret_keep(WP_KIT_SECRET_HASH_LIST, kept, &err);
    assert_string_equal(again, kept); /* never hashed twice */
    free(again);
    free(kept);
    free(given);
    free(a);
    free(b);
}

/* Nowhere in the record: the clear passwords. */
static void assert_no_clear(const json_t *rec)
{
    char *text = json_dumps(rec, JSON_COMPACT);
    assert_non_null(text);
    if (strstr(text, "alice-pw") || strstr(text, "bob-pw") || strstr(text, "root-pw"))
        fail_msg("a password in the clear: %s", text);
    free(text);
}

static const char *word(const json_t *rec, const char *list, size_t i)
{
    json_t *svc = json_array_get(json_object_get(rec, "services"), 0);
    return json_string_value(json_array_get(json_object_get(svc, list), i));
}

static void test_record_keeps_hashes(void **state)
{
    (void)state;
    wp_err err = {0};
    wp_kit *kit = parse(kit_text, &err);
    wp_app_env env;
    assert_true(wp_app_env_init(&env, "/tmp/wptest-secret-root", &err));
    const char *set[] = {"users=carol:carol-pw"};
    wp_app_install_opts opts = {.set = set, .nset = 1};
    json_t *rec = wp_app_record_from_kit(&env, kit, &opts, &err);
    assert_non_null(rec);
    assert_no_clear(rec);
    char *text = json_dumps(rec, JSON_COMPACT);
    assert_null(strstr(text, "carol-pw"));
    free(text);
    json_t *secrets = json_object_get(rec, "secrets");
    assert_string_equal(json_string_value(json_object_get(secrets, "users")), "hash-list");
    assert_string_equal(json_string_value(json_object_get(secrets, "admin")), "hash");
    const char *users =
        json_string_value(json_object_get(json_object_get(rec, "parameters"), "users"));
    assert_int_equal(strncmp(users, "carol:{CRYPT}$y$", 16), 0);
    assert_true(verifies(users + 6, "carol-pw"));
    assert_string_equal(word(rec, "command", 2), users); /* the command gets the hash */
    assert_true(verifies(word(rec, "command", 4), "root-pw"));

    /* rebuilt from its own values (app config, a service pack): unchanged */
    char *sets[2];
    assert_true(asprintf(&sets[0], "users=%s", users) > 0);
    assert_true(asprintf(&sets[1], "admin=%s",
                         json_string_value(
                             json_object_get(json_object_get(rec, "parameters"), "admin"))) > 0);
    wp_app_install_opts again = {
        .set = (const char *const *)sets, .nset = 2, .group = "mail", .disk_mount = "/srv/mail"};
    json_t *rec2 = wp_app_record_from_kit(&env, kit, &again, &err);
    assert_non_null(rec2);
    assert_true(
        json_equal(json_object_get(rec, "parameters"), json_object_get(rec2, "parameters")));

    /* shown: neither the secret nor its hash */
    json_t *shown = json_deep_copy(rec2);
    wp_secret_mask_record(shown);
    char *s = json_dumps(shown, JSON_COMPACT);
    assert_null(strstr(s, "{CRYPT}"));
    assert_null(strstr(s, "$y$"));
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(shown, "parameters"), "users")),
        WP_SECRET_SHOWN);
    assert_string_equal(word(shown, "command", 2), WP_SECRET_SHOWN);
    assert_string_equal(word(shown, "check", 3), WP_SECRET_SHOWN);
    assert_string_equal(word(shown, "command", 0), "/usr/bin/imapd");
    free(s);
    char *t = wp_secret_mask_text(rec2, users);
    assert_string_equal(t, WP_SECRET_SHOWN);
    free(t);

    /* as `app list` has it: the cluster record inside a row */
    json_t *row = json_pack("{s:s, s:o}", "app", "mail", "cluster", json_deep_copy(rec2));
    wp_secret_mask_record(row);
    s = json_dumps(row, JSON_COMPACT);
    assert_null(strstr(s, "{CRYPT}"));
    free(s);

    /* the hashed word survives the Generic Service's command line */
    char *line = wp_app_argv_join(
        json_object_get(json_array_get(json_object_get(rec2, "services"), 0), "command"));
    char **argv = wp_argv_split(line, &err);
    assert_non_null(argv);
    assert_string_equal(argv[2], users);
    assert_true(wp_prop_validate(WP_RT_SERVICE, "command", line, &err));
    wp_argv_free(argv);
    free(line);
    json_decref(row);
    json_decref(shown);
    json_decref(rec2);
    json_decref(rec);
    free(sets[0]);
    free(sets[1]);
    wp_kit_free(kit);
}

static const char file_kit[] = HEAD "parameters:\n"
                                    "  token:\n"
                                    "    value: s3cr3t-token\n"
                                    "    secret: file\n"
                                    "services:\n"
                                    "  - name: api\n"
                                    "    command: /usr/bin/api --token-file ${token}\n";

static void test_file_secret(void **state)
{
    (void)state;
    char root[] = "/tmp/wptest-secret.XXXXXX";
    assert_non_null(mkdtemp(root));
    wp_err err = {0};
    wp_kit *kit = parse(file_kit, &err);
    assert_non_null(kit);
    wp_app_env env;
    assert_true(wp_app_env_init(&env, root, &err));
    json_t *rec = wp_app_install_standalone(&env, kit, NULL, NULL, &err);
    if (!rec)
        fail_msg("%s: %s", err.what, err.why);
    char path[4096], recpath[4096];
    wp_secret_file_path(&env, "mail", "token", path, sizeof path);
    assert_string_equal(word(rec, "command", 2), path);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    FILE *f = fopen(path, "r");
    char buf[64] = "";
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "s3cr3t-token");
    /* the record on disk does not hold it */
    wp_app_record_path(&env, "mail", recpath, sizeof recpath);
    f = fopen(recpath, "r");
    char all[8192];
    size_t n = fread(all, 1, sizeof all - 1, f);
    fclose(f);
    all[n] = '\0';
    assert_null(strstr(all, "s3cr3t-token"));
    assert_non_null(strstr(all, WP_SECRET_SHOWN));
    /* a rebuild from the record's own values keeps the file */
    const char *keep[] = {"token=" WP_SECRET_SHOWN};
    wp_app_install_opts o = {.set = keep, .nset = 1};
    json_t *rec2 = wp_app_record_from_kit(&env, kit, &o, &err);
    assert_non_null(rec2);
    assert_null(json_object_get(rec2, "secret_files"));
    assert_true(wp_app_record_save(&env, rec2, &err));
    f = fopen(path, "r");
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "s3cr3t-token");
    /* a clustered install cannot keep it */
    wp_app_install_opts cl = {.group = "g", .disk_mount = "/srv/g"};
    assert_null(wp_app_record_from_kit(&env, kit, &cl, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_non_null(strstr(err.what, "secret of kind file"));
    /* remove takes the file away */
    assert_true(wp_app_remove(&env, "mail", true, NULL, &err));
    assert_int_not_equal(access(path, F_OK), 0);
    json_decref(rec2);
    json_decref(rec);
    wp_kit_free(kit);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kit_syntax),
        cmocka_unit_test(test_hash),
        cmocka_unit_test(test_record_keeps_hashes),
        cmocka_unit_test(test_file_secret),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
