/*
 * secret.c -- secret kit parameters (secret.h): hashing with crypt(3),
 * the 0600 files of `secret: file` parameters, and masking records for
 * display.
 */
#include <crypt.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup_dir.h"
#include "../lib/fs.h"
#include "secret.h"
#include "../lib/json.h"

#define HASH_PREFIX "$y$" /* yescrypt, Debian's default for passwords */
#define SCHEME "{CRYPT}"  /* crypt(3) form, as Dovecot and LDAP read it */
#define SALT_BYTES 16

char *wp_secret_hash(const char *password, wp_err *err)
{
    char rnd[SALT_BYTES], setting[CRYPT_GENSALT_OUTPUT_SIZE];
    struct crypt_data *cd = calloc(1, sizeof *cd);
    char *out = NULL;
    if (cd && getrandom(rnd, sizeof rnd, 0) == (ssize_t)sizeof rnd &&
        crypt_gensalt_rn(HASH_PREFIX, 0, rnd, sizeof rnd, setting, sizeof setting)) {
        const char *h = crypt_r(password, setting, cd);
        if (h && h[0] != '*' && asprintf(&out, SCHEME "%s", h) < 0)
            out = NULL;
    }
    explicit_bzero(cd, sizeof *cd);
    free(cd);
    if (!out) {
        wp_errf(err, WP_E_INTERNAL, "cannot hash a secret parameter");
        wp_err_why(err, "crypt(3) with %s or getrandom failed (%s)", HASH_PREFIX,
                   strerror(errno ? errno : EINVAL));
        wp_err_todo(err, "check that libcrypt supports yescrypt (Debian 11 and later do)");
    }
    return out;
}

bool wp_secret_is_hashed(const char *password)
{
    const char *close = password[0] == '{' ? strchr(password, '}') : NULL;
    return close && close > password + 1 && close[1];
}

char *wp_secret_keep(wp_kit_secret kind, const char *value, wp_err *err)
{
    if (kind == WP_KIT_SECRET_HASH)
        return wp_secret_is_hashed(value) ? strdup(value) : wp_secret_hash(value, err);
    if (kind != WP_KIT_SECRET_HASH_LIST)
        return strdup(value);
    char *out = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&out, &size);
    bool ok = m != NULL;
    for (const char *item = value; ok && item;) {
        const char *end = strchr(item, ',');
        size_t len = end ? (size_t)(end - item) : strlen(item);
        const char *colon = memchr(item, ':', len);
        if (!colon) {
            wp_errf(err, WP_E_INVALID, "a hash-list value is NAME:PASSWORD,...");
            wp_err_why(err, "an item has no ':' between the name and the password");
            wp_err_todo(err, "write the list as alice:PASSWORD,bob:PASSWORD");
            ok = false;
            break;
        }
        char *pass = strndup(colon + 1, len - (size_t)(colon - item) - 1);
        char *kept = !pass                       ? NULL
                     : wp_secret_is_hashed(pass) ? strdup(pass)
                                                 : wp_secret_hash(pass, err);
        if (pass)
            explicit_bzero(pass, strlen(pass));
        free(pass);
        ok = kept != NULL;
        if (ok)
            fprintf(m, "%s%.*s:%s", item == value ? "" : ",", (int)(colon - item), item, kept);
        free(kept);
        item = end ? end + 1 : NULL;
    }
    if (m)
        fclose(m);
    if (!ok) {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- file secrets ------------------------------------------------------------------ */

static void secrets_dir(const wp_app_env *env, const char *app, char *out, size_t size)
{
    char rec[PATH_MAX];
    wp_app_record_path(env, app, rec, sizeof rec);
    size_t n = strlen(rec);
    if (n > 5 && strcmp(rec + n - 5, ".json") == 0)
        rec[n - 5] = '\0';
    snprintf(out, size, "%s.secrets", rec);
}

void wp_secret_file_path(const wp_app_env *env, const char *app, const char *param, char *out,
                         size_t size)
{
    char dir[PATH_MAX];
    secrets_dir(env, app, dir, sizeof dir);
    if ((size_t)snprintf(out, size, "%s/%s", dir, param) >= size)
        out[0] = '\0'; /* too long: no file (the write then fails) */
}

bool wp_secret_files_write(const wp_app_env *env, json_t *rec, wp_err *err)
{
    json_t *files = json_object_get(rec, "secret_files");
    const char *app = wp_json_str(rec, "app");
    if (!files)
        return true;
    char dir[PATH_MAX];
    secrets_dir(env, app ? app : "", dir, sizeof dir);
    bool ok = app && wp_fs_mkdir_p(dir, 0700, err);
    if (ok && (chmod(dir, 0700) != 0 || chown(dir, 0, 0) != 0) && geteuid() == 0) {
        wp_fs_err(err, errno, "cannot make private the directory", dir);
        ok = false;
    }
    const char *name;
    json_t *v;
    json_object_foreach(files, name, v)
    {
        char path[PATH_MAX];
        const char *text = json_string_value(v);
        wp_secret_file_path(env, app, name, path, sizeof path);
        ok = ok && text && wp_fs_write_atomic(path, text, strlen(text), 0600, err);
        if (ok && geteuid() == 0 && chown(path, 0, 0) != 0) {
            wp_fs_err(err, errno, "cannot give root the secret file", path);
            ok = false;
        }
    }
    json_object_del(rec, "secret_files");
    return ok;
}

void wp_secret_files_remove(const wp_app_env *env, const char *app)
{
    char dir[PATH_MAX];
    secrets_dir(env, app, dir, sizeof dir);
    if (access(dir, F_OK) == 0)
        wp_backup_remove_tree(dir);
}

/* ---- masking ------------------------------------------------------------------------ */

/* text with every occurrence of each secret's stored value replaced, or
 * NULL when text holds none (then nothing needs to change). */
static char *masked_copy(const json_t *rec, const char *text)
{
    json_t *secrets = json_object_get(rec, "secrets");
    json_t *params = json_object_get(rec, "parameters");
    char *cur = NULL;
    const char *name;
    json_t *kind;
    json_object_foreach(secrets, name, kind)
    {
        const char *val = wp_json_str(params, name);
        const char *src = cur ? cur : text;
        if (!val || !val[0] || strcmp(val, WP_SECRET_SHOWN) == 0 || !strstr(src, val))
            continue;
        char *out = NULL;
        size_t size = 0, vlen = strlen(val);
        FILE *m = open_memstream(&out, &size);
        if (!m)
            continue;
        for (const char *p = src, *hit; *p; p = hit + vlen) {
            hit = strstr(p, val);
            if (!hit) {
                fputs(p, m);
                break;
            }
            fwrite(p, 1, (size_t)(hit - p), m);
            fputs(WP_SECRET_SHOWN, m);
        }
        fclose(m);
        free(cur);
        cur = out;
    }
    return cur;
}

char *wp_secret_mask_text(const json_t *rec, const char *text)
{
    char *m = masked_copy(rec, text);
    return m ? m : strdup(text);
}

static void mask_argv(const json_t *rec, json_t *argv)
{
    size_t i;
    json_t *w;
    json_array_foreach(argv, i, w)
    {
        char *m = json_is_string(w) ? masked_copy(rec, json_string_value(w)) : NULL;
        if (m)
            json_array_set_new(argv, i, json_string(m));
        free(m);
    }
}

void wp_secret_mask_record(json_t *rec)
{
    if (!json_is_object(rec))
        return;
    wp_secret_mask_record(json_object_get(rec, "cluster"));
    wp_secret_mask_record(json_object_get(rec, "record"));
    json_t *secrets = json_object_get(rec, "secrets");
    if (json_object_size(secrets) == 0)
        return;
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(rec, "services"), i, s)
    {
        mask_argv(rec, json_object_get(s, "command"));
        mask_argv(rec, json_object_get(s, "check"));
    }
    json_t *params = json_object_get(rec, "parameters");
    const char *name;
    json_t *kind;
    json_object_foreach(secrets, name, kind) if (json_object_get(params, name))
        json_object_set_new(params, name, json_string(WP_SECRET_SHOWN));
    json_object_del(rec, "secret_files");
}
