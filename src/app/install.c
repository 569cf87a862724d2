/*
 * install.c -- standalone install and removal of an application on this
 * node (app.h).  An install checks everything first (not yet installed, not
 * a service pack, parameters known, commands expandable, destinations
 * free), then copies the program files, creates the databases that do not
 * exist yet and writes the install record last; if a step fails, what it
 * created is removed again.  The record lists what the install created
 * ("created": files and directories, in order).  Removal stops the
 * services, removes the program files, the directories the install made
 * (when empty) and the record, and keeps the databases unless purged; a
 * purge deletes only databases the install created, never one it found.
 * Copying one kit file and creating one database (wp_app_put_kit_file,
 * wp_app_db_create) are shared with the clustered install (cluster.c).
 * Secret parameters are turned into the form they are kept in (hashes, or
 * a 0600 file: secret.h) while the plan is made, before any record exists.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../lib/json.h"
#include "../lib/model.h"
#include "app.h"
#include "backup_dir.h"
#include "../lib/fs.h"
#include "secret.h"

/* What an install resolved before it changes anything. */
typedef struct plan {
    const wp_app_env *env;
    const wp_kit *kit;
    const wp_app_install_opts *opts;
    json_t *params;       /* name -> value after --set (secrets as kept: secret.h) */
    json_t *secrets;      /* name -> "hash" | "hash-list" | "file", or NULL (none) */
    json_t *secret_files; /* name -> new value of a `secret: file` parameter */
    char **file_paths;    /* per kit parameter: its secret file, or NULL */
    char **db_paths;      /* per kit database: root + standalone */
    wp_kit_var *vars;
    size_t nvars;
    char **var_names; /* owned "db:NAME" strings */
} plan;

static void plan_free(plan *p)
{
    for (size_t i = 0; p->db_paths && i < p->kit->ndbs; i++)
        free(p->db_paths[i]);
    free(p->db_paths);
    for (size_t i = 0; p->var_names && i < p->kit->ndbs; i++)
        free(p->var_names[i]);
    free(p->var_names);
    free(p->vars);
    for (size_t i = 0; p->file_paths && i < p->kit->nparams; i++)
        free(p->file_paths[i]);
    free(p->file_paths);
    json_decref(p->params);
    json_decref(p->secrets);
    json_decref(p->secret_files);
}

/* A `secret: file` parameter: the record says WP_SECRET_SHOWN, a new value
 * waits in secret_files for wp_app_record_save, ${NAME} is the file. */
static bool keep_in_file(plan *p, size_t i, const char *value, wp_err *err)
{
    const wp_kit *kit = p->kit;
    if (p->opts && p->opts->group) {
        wp_errf(err, WP_E_INVALID, "%s: parameter %s is a secret of kind file", kit->path,
                kit->params[i].name);
        wp_err_why(err, "a file secret is kept in a file beside a node's install record, which "
                        "the other nodes of a cluster do not have");
        wp_err_todo(err,
                    "install %s standalone, or make the parameter a hash secret "
                    "(docs/KITS.md)",
                    kit->name);
        return false;
    }
    char path[PATH_MAX];
    wp_secret_file_path(p->env, kit->name, kit->params[i].name, path, sizeof path);
    p->file_paths[i] = strdup(path);
    if (strcmp(value, WP_SECRET_SHOWN) != 0) /* else: keep the file as it is */
        json_object_set_new(p->secret_files, kit->params[i].name, json_string(value));
    json_object_set_new(p->params, kit->params[i].name, json_string(WP_SECRET_SHOWN));
    return true;
}

/* Turn every secret parameter into the form it is kept in (secret.h). */
static bool keep_secrets(plan *p, wp_err *err)
{
    const wp_kit *kit = p->kit;
    p->file_paths = calloc(kit->nparams + 1, sizeof *p->file_paths);
    p->secret_files = json_object();
    for (size_t i = 0; i < kit->nparams; i++) {
        wp_kit_secret kind = kit->params[i].secret;
        const char *name = kit->params[i].name;
        const char *value = wp_json_str(p->params, name);
        if (kind == WP_KIT_SECRET_NONE || !value)
            continue;
        if (!p->secrets)
            p->secrets = json_object();
        json_object_set_new(p->secrets, name, json_string(wp_kit_secret_name(kind)));
        if (kind == WP_KIT_SECRET_FILE) {
            if (!keep_in_file(p, i, value, err))
                return false;
            continue;
        }
        char *kept = wp_secret_keep(kind, value, err);
        if (!kept) {
            wp_err_todo(err, "check the value of parameter %s (docs/KITS.md, secret)", name);
            return false;
        }
        json_object_set_new(p->params, name, json_string(kept));
        free(kept);
    }
    return true;
}

static bool apply_sets(plan *p, const wp_app_install_opts *opts, wp_err *err)
{
    p->params = json_object();
    for (size_t i = 0; i < p->kit->nparams; i++)
        json_object_set_new(p->params, p->kit->params[i].name,
                            json_string(p->kit->params[i].value));
    for (size_t i = 0; opts && i < opts->nset; i++) {
        const char *eq = strchr(opts->set[i], '=');
        char name[128];
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - opts->set[i]) : 0, opts->set[i]);
        if (!eq || !json_object_get(p->params, name)) {
            wp_errf(err, WP_E_INVALID, "--set %s: %s", opts->set[i],
                    eq ? "the kit has no such parameter" : "expected NAME=VALUE");
            wp_err_why(err, "%s declares the parameters its commands use", p->kit->path);
            wp_err_todo(err,
                        "use one of the kit's parameters (wolfpack app inspect KIT shows them)");
            return false;
        }
        json_object_set_new(p->params, name, json_string(eq + 1));
    }
    return keep_secrets(p, err);
}

static bool build_vars(plan *p, wp_err *err)
{
    const wp_kit *kit = p->kit;
    p->db_paths = calloc(kit->ndbs + 1, sizeof *p->db_paths);
    p->var_names = calloc(kit->ndbs + 1, sizeof *p->var_names);
    p->vars = calloc(1 + kit->ndbs + json_object_size(p->params), sizeof *p->vars);
    if (!p->db_paths || !p->var_names || !p->vars) {
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        return false;
    }
    p->vars[p->nvars++] = (wp_kit_var){"root", p->env->root};
    for (size_t i = 0; i < kit->ndbs; i++) {
        char path[PATH_MAX];
        if (p->opts && p->opts->group)
            snprintf(path, sizeof path, "%s/%s", p->opts->disk_mount, kit->dbs[i].clustered);
        else
            wp_app_path(p->env, kit->dbs[i].standalone, path, sizeof path);
        p->db_paths[i] = strdup(path);
        if (asprintf(&p->var_names[i], "db:%s", kit->dbs[i].name) < 0)
            p->var_names[i] = NULL;
        p->vars[p->nvars++] = (wp_kit_var){p->var_names[i], p->db_paths[i]};
    }
    const char *k;
    json_t *v;
    json_object_foreach(p->params, k, v)
    {
        const wp_kit_param *kp = wp_kit_param_find(kit, k);
        const char *file = kp ? p->file_paths[kp - kit->params] : NULL;
        p->vars[p->nvars++] = (wp_kit_var){k, file ? file : json_string_value(v)};
    }
    return true;
}

static json_t *argv_json(char **argv)
{
    json_t *a = json_array();
    for (size_t i = 0; argv && argv[i]; i++)
        json_array_append_new(a, json_string(argv[i]));
    return a;
}

/* Expand a kit argv into a JSON array (or null for NULL). */
static json_t *expanded(const plan *p, char **argv, const char *what, wp_err *err)
{
    if (!argv)
        return json_null();
    char **x = wp_kit_expand_argv(argv, p->vars, p->nvars, err);
    if (!x) {
        wp_err_todo(err, "fix %s in %s", what, p->kit->path);
        return NULL;
    }
    json_t *a = argv_json(x);
    wp_argv_free(x);
    return a;
}

static json_t *services_json(const plan *p, wp_err *err)
{
    json_t *list = json_array();
    for (size_t i = 0; i < p->kit->nservices; i++) {
        const wp_kit_service *s = &p->kit->services[i];
        json_t *cmd = expanded(p, s->command, "the command", err);
        json_t *check = cmd ? expanded(p, s->check, "the check", err) : NULL;
        if (!cmd || !check) {
            json_decref(cmd);
            json_decref(list);
            return NULL;
        }
        json_t *deps = json_array();
        for (size_t j = 0; j < s->ndepends; j++)
            json_array_append_new(deps, json_string(s->depends_on[j]));
        json_t *one =
            json_pack("{s:s, s:o, s:o, s:o, s:I}", "name", s->name, "command", cmd, "check", check,
                      "depends_on", deps, "start_timeout", (json_int_t)s->start_timeout);
        if (one && s->user)
            json_object_set_new(one, "user", json_string(s->user));
        json_array_append_new(list, one);
    }
    return list;
}

static json_t *build_record(const plan *p, wp_err *err)
{
    const wp_kit *kit = p->kit;
    json_t *services = services_json(p, err);
    if (!services)
        return NULL;
    json_t *files = json_array(), *dbs = json_array();
    for (size_t i = 0; i < kit->nfiles; i++) {
        char path[PATH_MAX], mode[8];
        wp_app_path(p->env, kit->files[i].to, path, sizeof path);
        snprintf(mode, sizeof mode, "%04o", kit->files[i].mode);
        json_array_append_new(files, json_pack("{s:s, s:s}", "path", path, "mode", mode));
    }
    for (size_t i = 0; i < kit->ndbs; i++) {
        json_t *owners = json_array();
        for (size_t j = 0; j < kit->dbs[i].nowners; j++)
            json_array_append_new(owners, json_string(kit->dbs[i].owners[j]));
        json_array_append_new(
            dbs, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "name", kit->dbs[i].name, "path",
                           p->db_paths[i], "standalone", kit->dbs[i].standalone, "clustered",
                           kit->dbs[i].clustered, "kind",
                           kit->dbs[i].directory ? "directory" : "file", "owners", owners));
    }
    char host[256] = "", when[32], kitdir[PATH_MAX];
    gethostname(host, sizeof host - 1);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (!realpath(kit->dir, kitdir))
        snprintf(kitdir, sizeof kitdir, "%s", kit->dir);
    const char *group = p->opts ? p->opts->group : NULL;
    json_t *rec = json_pack(
        "{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s, s:s?, s:O, s:o, s:o, s:o}", "app", kit->name,
        "version", kit->version, "edition", kit->edition, "clusterable", kit->clusterable, "kit",
        kitdir, "node", host, "installed_at", when, "root", p->env->root[0] ? p->env->root : "/",
        "mode", group ? WP_APP_MODE_CLUSTERED : WP_APP_MODE_STANDALONE, "group", group,
        "parameters", p->params, "files", files, "databases", dbs, "services", services);
    if (rec && p->secrets)
        json_object_set(rec, "secrets", p->secrets);
    if (rec && json_object_size(p->secret_files) > 0) /* for wp_app_record_save only */
        json_object_set(rec, "secret_files", p->secret_files);
    return rec;
}

/* Refusals that need no change: installed already, a service pack, a
 * program file in the way. */
static bool preflight(const plan *p, wp_err *err)
{
    const wp_kit *kit = p->kit;
    char path[PATH_MAX];
    wp_app_record_path(p->env, kit->name, path, sizeof path);
    if (access(path, F_OK) == 0) {
        wp_errf(err, WP_E_EXISTS, "%s is already installed on this node", kit->name);
        wp_err_why(err, "its install record is %s", path);
        wp_err_todo(err,
                    "remove it first (wolfpack app remove %s; its databases stay), or "
                    "apply a service pack to update it",
                    kit->name);
        return false;
    }
    if (wp_kit_is_service_pack(kit)) {
        wp_errf(err, WP_E_INVALID, "%s is a service pack (%s %s), not an installable kit",
                kit->path, kit->name, kit->version);
        wp_err_why(err, "a service pack updates an installed version (%s%s)", kit->upgrades_from[0],
                   kit->nupgrades_from > 1 ? " and others" : "");
        wp_err_todo(err, "install %s %s first, then apply the service pack", kit->name,
                    kit->upgrades_from[0]);
        return false;
    }
    for (size_t i = 0; i < kit->nfiles; i++) {
        wp_app_path(p->env, kit->files[i].to, path, sizeof path);
        if (access(path, F_OK) == 0) {
            wp_errf(err, WP_E_EXISTS, "%s is in the way of %s", path, kit->name);
            wp_err_why(err, "an install never overwrites a file it did not put there");
            wp_err_todo(err, "move or remove %s, then install again", path);
            return false;
        }
    }
    return true;
}

/* wp_fs_mkdir_p_noting's callback: note dir in the JSON array arg. */
static void note_made(const char *dir, void *arg)
{
    json_array_append_new((json_t *)arg, json_string(dir));
}

/* mkdir -p that notes, in made, each directory it creates (in order). */
static bool mkdir_noting(const char *path, mode_t mode, json_t *made, wp_err *err)
{
    return wp_fs_mkdir_p_noting(path, mode, note_made, made, err);
}

bool wp_app_put_kit_file(const wp_app_env *env, const wp_kit *kit, size_t i, wp_err *err)
{
    char src[PATH_MAX], dst[PATH_MAX];
    if (!wp_kit_resolve(kit->dir, kit->files[i].from, src, sizeof src, err))
        return false; /* a symlink out of the kit, or not a regular file */
    wp_app_path(env, kit->files[i].to, dst, sizeof dst);
    return wp_fs_copy_atomic(src, dst, kit->files[i].mode, err);
}

bool wp_app_db_create(const wp_kit *kit, const wp_kit_db *kd, const char *name, const char *path,
                      json_t *notes, bool *created, wp_err *err)
{
    *created = false;
    if (access(path, F_OK) == 0) {
        char note[PATH_MAX + 80];
        snprintf(note, sizeof note, "kept the existing database %s at %s", name, path);
        json_array_append_new(notes, json_string(note));
        return true;
    }
    bool ok;
    if (kd && kd->directory) {
        ok = wp_fs_mkdir_p(path, 0755, err);
    } else if (kd && kd->initial) {
        char src[PATH_MAX];
        ok = wp_kit_resolve(kit->dir, kd->initial, src, sizeof src, err) &&
             wp_fs_copy_atomic(src, path, 0640, err);
    } else {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", path);
        ok = wp_fs_mkdir_p(dirname(dir), 0755, err) && wp_fs_write_atomic(path, "", 0, 0640, err);
    }
    *created = ok;
    return ok;
}

static bool mkdir_parent_noting(const char *path, json_t *made, wp_err *err)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    return mkdir_noting(dirname(dir), 0755, made, err);
}

/* Undo what an install created, newest first: files unlinked, directories
 * removed when empty (never a tree: the install made them empty). */
static void remove_created(const json_t *made)
{
    for (size_t i = json_array_size(made); i-- > 0;) {
        const char *path = json_string_value(json_array_get(made, i));
        struct stat st;
        if (!path || lstat(path, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            rmdir(path);
        else
            unlink(path);
    }
}

/* Copy files and create databases, noting in made every file and
 * directory this install creates; on failure undo exactly those. */
static bool put_files(const plan *p, json_t *notes, json_t *made, wp_err *err)
{
    const wp_kit *kit = p->kit;
    bool ok = true;
    for (size_t i = 0; ok && i < kit->nfiles; i++) {
        char dst[PATH_MAX];
        wp_app_path(p->env, kit->files[i].to, dst, sizeof dst);
        ok = mkdir_parent_noting(dst, made, err) && wp_app_put_kit_file(p->env, kit, i, err);
        if (ok)
            json_array_append_new(made, json_string(dst));
    }
    for (size_t i = 0; ok && i < kit->ndbs; i++) {
        const char *path = p->db_paths[i];
        if (access(path, F_OK) == 0) {
            char note[PATH_MAX + 80];
            snprintf(note, sizeof note, "kept the existing database %s at %s", kit->dbs[i].name,
                     path);
            json_array_append_new(notes, json_string(note));
            continue;
        }
        if (kit->dbs[i].directory) {
            ok = mkdir_noting(path, 0755, made, err);
            continue; /* noted as a directory it made */
        }
        if (kit->dbs[i].initial) {
            char src[PATH_MAX];
            ok = mkdir_parent_noting(path, made, err) &&
                 wp_kit_resolve(kit->dir, kit->dbs[i].initial, src, sizeof src, err) &&
                 wp_fs_copy_atomic(src, path, 0640, err);
        } else {
            ok = mkdir_parent_noting(path, made, err) && wp_fs_write_atomic(path, "", 0, 0640, err);
        }
        if (ok)
            json_array_append_new(made, json_string(path));
    }
    if (!ok)
        remove_created(made);
    return ok;
}

json_t *wp_app_record_from_kit(const wp_app_env *env, const wp_kit *kit,
                               const wp_app_install_opts *opts, wp_err *err)
{
    if (opts && opts->group && (!opts->disk_mount || opts->disk_mount[0] != '/')) {
        wp_errf(err, WP_E_INVALID, "a clustered record of %s needs the disk's mount point",
                kit->name);
        wp_err_why(err, "its databases live on the group's shared disk");
        wp_err_todo(err, "name the mount point of the group's Physical Disk resource");
        return NULL;
    }
    plan p = {.env = env, .kit = kit, .opts = opts};
    json_t *record = NULL;
    if (apply_sets(&p, opts, err) && build_vars(&p, err))
        record = build_record(&p, err);
    plan_free(&p);
    return record;
}

json_t *wp_app_install_standalone(const wp_app_env *env, const wp_kit *kit,
                                  const wp_app_install_opts *opts, json_t **notes, wp_err *err)
{
    if (opts && opts->group) {
        wp_errf(err, WP_E_INTERNAL, "wp_app_install_standalone called with a group");
        return NULL;
    }
    plan p = {.env = env, .kit = kit, .opts = opts};
    json_t *record = NULL, *remarks = json_array(), *made = json_array();
    if (preflight(&p, err) && apply_sets(&p, opts, err) && build_vars(&p, err))
        record = build_record(&p, err);
    if (record && !put_files(&p, remarks, made, err)) {
        json_decref(record);
        record = NULL;
    }
    /* The record says what this install created: exactly what a purge
     * removes. */
    if (record)
        json_object_set(record, "created", made);
    if (record && !wp_app_record_save(env, record, err)) {
        remove_created(made);
        wp_secret_files_remove(env, kit->name); /* written just before the record */
        json_decref(record);
        record = NULL;
    }
    json_decref(made);
    plan_free(&p);
    if (record && notes)
        *notes = json_incref(remarks);
    json_decref(remarks);
    return record;
}

static bool listed(const json_t *list, const char *path)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (path && json_string_value(v) &&
                                       strcmp(json_string_value(v), path) == 0) return true;
    return false;
}

static void remove_db(const char *path)
{
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) /* kind: directory */
        wp_backup_remove_tree(path);
    else
        unlink(path);
}

bool wp_app_remove(const wp_app_env *env, const char *app, bool purge, json_t **kept, wp_err *err)
{
    json_t *rec = wp_app_record_load(env, app, err);
    if (!rec)
        return false;
    if (!wp_app_stop(env, rec, err)) {
        json_decref(rec);
        return false;
    }
    size_t i;
    json_t *f;
    json_array_foreach(json_object_get(rec, "files"), i, f) unlink(wp_json_str(f, "path"));
    /* A clustered install's databases live on the group's shared disk: a
     * node never deletes them on its own. */
    const char *mode = wp_json_str(rec, "mode");
    if (mode && strcmp(mode, WP_APP_MODE_CLUSTERED) == 0)
        purge = false;
    /* Purge deletes a database only when the record says this install
     * created it; one it found ("kept the existing database") stays, and
     * so does a record from before installs noted what they created. */
    const json_t *made = json_object_get(rec, "created");
    json_t *left = json_array();
    json_array_foreach(json_object_get(rec, "databases"), i, f)
    {
        const char *path = wp_json_str(f, "path");
        if (purge && listed(made, path))
            remove_db(path);
        else
            json_array_append_new(left, json_string(path));
    }
    /* Then the directories it created, newest first, when empty (not a
     * database that stays). */
    for (size_t k = json_array_size(made); k-- > 0;) {
        const char *path = json_string_value(json_array_get(made, k));
        struct stat st;
        if (path && !listed(left, path) && lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            rmdir(path);
    }
    char dir[PATH_MAX];
    wp_app_run_dir(env, app, dir, sizeof dir);
    rmdir(dir);
    bool ok = wp_app_record_delete(env, app, err);
    if (ok)
        wp_secret_files_remove(env, app);
    json_decref(rec);
    if (ok && kept)
        *kept = json_incref(left);
    json_decref(left);
    return ok;
}
