/*
 * record.c -- the install root and the node-local install records of
 * applications (app.h): where things live below the root, and reading,
 * writing (atomically), listing and deleting var/lib/wolfpack/apps/APP.json
 * (a record's `secret: file` values go to their 0600 files, secret.h).
 * Also the cluster probe: whether this node's wolfpackd runs on Corosync.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../client/client.h"
#include "app.h"
#include "../lib/fs.h"
#include "../lib/json.h"
#include "secret.h"

#define RECORD_DIR "/var/lib/wolfpack/apps"

bool wp_app_env_init(wp_app_env *env, const char *root, wp_err *err)
{
    if (!root)
        root = getenv(WP_APP_ROOT_ENV);
    if (!root || !root[0])
        root = "/";
    if (root[0] != '/' || strlen(root) >= sizeof env->root) {
        wp_errf(err, WP_E_INVALID, "the install root '%s' is not an absolute path", root);
        wp_err_why(err, "%s names the directory every application path is below", WP_APP_ROOT_ENV);
        wp_err_todo(err, "set %s to an absolute directory, or unset it for /", WP_APP_ROOT_ENV);
        return false;
    }
    snprintf(env->root, sizeof env->root, "%s", root);
    size_t len = strlen(env->root);
    while (len > 0 && env->root[len - 1] == '/')
        env->root[--len] = '\0';
    return true;
}

void wp_app_path(const wp_app_env *env, const char *abs, char *out, size_t size)
{
    snprintf(out, size, "%s%s", env->root, abs);
}

void wp_app_record_path(const wp_app_env *env, const char *app, char *out, size_t size)
{
    snprintf(out, size, "%s" RECORD_DIR "/%s.json", env->root, app);
}

void wp_app_run_dir(const wp_app_env *env, const char *app, char *out, size_t size)
{
    snprintf(out, size, "%s/run/wolfpack/apps/%s", env->root, app);
}

void wp_app_log_dir(const wp_app_env *env, const char *app, char *out, size_t size)
{
    snprintf(out, size, "%s/var/log/wolfpack/apps/%s", env->root, app);
}

json_t *wp_app_record_load(const wp_app_env *env, const char *app, wp_err *err)
{
    if (!wp_app_name_valid(app, err))
        return NULL;
    char path[PATH_MAX];
    wp_app_record_path(env, app, path, sizeof path);
    json_error_t je;
    json_t *rec = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!rec && access(path, F_OK) != 0) {
        wp_errf(err, WP_E_NOTFOUND, "'%s' is not installed on this node", app);
        wp_err_why(err, "there is no install record %s", path);
        wp_err_todo(err, "see what is installed with 'wolfpack app list'");
        return NULL;
    }
    if (!rec || !json_is_object(rec) || !json_is_string(json_object_get(rec, "app")) ||
        !json_is_array(json_object_get(rec, "databases")) ||
        !json_is_array(json_object_get(rec, "services"))) {
        wp_errf(err, WP_E_CORRUPT, "the install record %s is damaged", path);
        wp_err_why(err, "%s", rec ? "it lacks app, databases or services" : je.text);
        wp_err_todo(err, "restore it from a backup of /var/lib/wolfpack, or remove it and "
                         "install the application again (its databases stay)");
        json_decref(rec);
        return NULL;
    }
    return rec;
}

bool wp_app_record_save(const wp_app_env *env, const json_t *record, wp_err *err)
{
    const char *app = wp_json_str(record, "app");
    char path[PATH_MAX], dir[PATH_MAX];
    wp_app_record_path(env, app, path, sizeof path);
    snprintf(dir, sizeof dir, "%s" RECORD_DIR, env->root);
    if (!wp_fs_mkdir_p(dir, 0755, err))
        return false;
    json_t *copy = json_deep_copy(record); /* without its pending file secrets */
    if (!copy || !wp_secret_files_write(env, copy, err)) {
        json_decref(copy);
        return false;
    }
    char *text = json_dumps(copy, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(copy);
    if (!text) {
        wp_errf(err, WP_E_INTERNAL, "cannot serialise the install record of %s", app);
        return false;
    }
    size_t len = strlen(text);
    text[len] = '\n'; /* json_dumps leaves room for the NUL: use it */
    bool ok = wp_fs_write_atomic(path, text, len + 1, 0644, err);
    free(text);
    return ok;
}

bool wp_app_record_delete(const wp_app_env *env, const char *app, wp_err *err)
{
    char path[PATH_MAX];
    wp_app_record_path(env, app, path, sizeof path);
    if (unlink(path) != 0 && errno != ENOENT) {
        wp_fs_err(err, errno, "cannot remove the install record", path);
        return false;
    }
    return wp_fs_fsync_parent(path, err);
}

static int by_app(const void *a, const void *b)
{
    return strcmp(wp_json_str(*(json_t *const *)a, "app"), wp_json_str(*(json_t *const *)b, "app"));
}

json_t *wp_app_record_list(const wp_app_env *env, wp_err *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s" RECORD_DIR, env->root);
    json_t *list = json_array();
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return list;
        wp_fs_err(err, errno, "cannot read", dir);
        json_decref(list);
        return NULL;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
            continue;
        char app[NAME_MAX + 1];
        snprintf(app, sizeof app, "%.*s", (int)(len - 5), de->d_name);
        wp_err e;
        json_t *rec = wp_app_record_load(env, app, &e);
        if (!rec)
            rec = json_pack("{s:s, s:s}", "app", app, "error", e.what);
        json_array_append_new(list, rec);
    }
    closedir(d);
    size_t n = json_array_size(list);
    json_t **items = calloc(n + 1, sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(list, i));
    qsort(items, n, sizeof *items, by_app);
    json_array_clear(list);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, items[i]);
    free(items);
    return list;
}

bool wp_app_backup_spec(const json_t *record, wp_backup_spec *spec, wp_backup_db **dbs, wp_err *err)
{
    json_t *list = json_object_get(record, "databases");
    size_t n = json_array_size(list), i;
    *dbs = calloc(n + 1, sizeof **dbs);
    json_t *d;
    json_array_foreach(list, i, d)
    {
        (*dbs)[i].name = wp_json_str(d, "name");
        (*dbs)[i].path = wp_json_str(d, "path");
        /* records written before kinds were recorded: the kind on disk */
        const char *kind = wp_json_str(d, "kind");
        (*dbs)[i].kind = !kind                            ? WP_BACKUP_KIND_AUTO
                         : strcmp(kind, "directory") == 0 ? WP_BACKUP_KIND_DIRECTORY
                                                          : WP_BACKUP_KIND_FILE;
        (*dbs)[i].owners = json_object_get(d, "owners");
        if (!(*dbs)[i].name || !(*dbs)[i].path) {
            wp_errf(err, WP_E_CORRUPT,
                    "the install record of %s lists a database without "
                    "name or path",
                    wp_json_str(record, "app"));
            wp_err_todo(err, "reinstall the application (its databases stay)");
            free(*dbs);
            *dbs = NULL;
            return false;
        }
    }
    *spec = (wp_backup_spec){.app = wp_json_str(record, "app"),
                             .version = wp_json_str(record, "version"),
                             .dbs = *dbs,
                             .ndbs = n};
    return true;
}

bool wp_app_node_in_cluster(const char *socket_path)
{
    wp_err err;
    wp_client *c = wp_client_connect(wp_client_socket_path(socket_path), &err);
    if (!c)
        return false;
    json_t *st = wp_client_call(c, "status", NULL, NULL, &err);
    wp_client_close(c);
    const char *transport = wp_json_str(st, "transport");
    bool clustered = transport && strcmp(transport, "corosync") == 0;
    json_decref(st);
    return clustered;
}
