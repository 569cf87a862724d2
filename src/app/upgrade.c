/*
 * upgrade.c -- the pieces of a service pack that the single run (sp.c)
 * and the rolling one (rollout.c) share (cluster_internal.h): the version
 * check, the verified backup, the one-time upgrade step, the restore after
 * a failed one, the new version's record and its resources' commands;
 * and the node tasks of the rolling service pack: sp-files, sp-upgrade and
 * sp-restore (a rollback after the upgrade step).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/model.h"
#include "cluster.h"
#include "cluster_internal.h"
#include "../lib/fs.h"
#include "../lib/json.h"

bool wp_app_version_ok(const wp_kit *sp, const char *have, wp_err *err)
{
    if (strcmp(have, sp->version) == 0) {
        wp_errf(err, WP_E_CONFLICT, "%s %s is applied already", sp->name, sp->version);
        wp_err_why(err, "the cluster's record of %s says version %s", sp->name, have);
        wp_err_todo(err, "nothing to do (wolfpack app list shows every node's version)");
        return false;
    }
    for (size_t i = 0; i < sp->nupgrades_from; i++)
        if (strcmp(sp->upgrades_from[i], have) == 0)
            return true;
    wp_errf(err, WP_E_CONFLICT, "%s %s does not upgrade version %s", sp->name, sp->version, have);
    wp_err_why(err, "it upgrades %s%s", sp->upgrades_from[0],
               sp->nupgrades_from > 1 ? " and others (wolfpack app inspect SP)" : "");
    wp_err_todo(err, "apply the service pack that upgrades %s", have);
    return false;
}

/* Run argv (argv[0] an absolute path, no shell) and wait for it; with
 * app, the program has WOLFPACK_APP=app and WOLFPACK_NODE=node.  0: it
 * exited 0; 1: it failed; -1: it could not be started. */
static int run_program(char *const argv[], const char *app, const char *node)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (app) {
            setenv("WOLFPACK_APP", app, 1);
            setenv("WOLFPACK_NODE", node, 1);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    if (pid < 0)
        return -1;
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* Expand and run the upgrade step with the new record's variables. */
bool wp_app_run_upgrade(const wp_app_env *env, const wp_kit *sp, const json_t *rec, wp_err *err)
{
    json_t *params = json_object_get(rec, "parameters");
    size_t n = 2 + json_array_size(json_object_get(rec, "databases")) + json_object_size(params);
    wp_kit_var *vars = calloc(n, sizeof *vars);
    char(*dbvars)[80] = calloc(n, sizeof *dbvars);
    size_t k = 0, i;
    json_t *d;
    vars[k++] = (wp_kit_var){"root", env->root};
    vars[k++] = (wp_kit_var){"kit", sp->dir};
    json_array_foreach(json_object_get(rec, "databases"), i, d)
    {
        snprintf(dbvars[i], sizeof dbvars[i], "db:%s", wp_json_str(d, "name"));
        vars[k++] = (wp_kit_var){dbvars[i], wp_json_str(d, "path")};
    }
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v) vars[k++] = (wp_kit_var){key, json_string_value(v)};
    char **argv = wp_kit_expand_argv(sp->upgrade, vars, k, err);
    free(vars);
    free(dbvars);
    if (!argv)
        return false;
    int run = run_program(argv, NULL, NULL);
    bool ok = run == 0;
    if (!ok) {
        wp_errf(err, WP_E_IO, "the upgrade step of %s %s failed", sp->name, sp->version);
        wp_err_why(err, "%s %s", argv[0],
                   run < 0 ? "could not be started" : "exited with an error");
        wp_err_todo(err, "the databases were restored from the backup; see the message above, "
                         "fix the cause and apply the service pack again");
    }
    wp_argv_free(argv);
    return ok;
}

/* The application's resources, by the record's services. */
json_t *wp_app_resource_names(const json_t *rec)
{
    json_t *names = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(rec, "services"), i, s)
    {
        char name[128];
        wp_app_resource_name(wp_json_str(rec, "app"), wp_json_str(s, "name"), name, sizeof name);
        json_array_append_new(names, json_string(name));
    }
    return names;
}

/* A new backup file below the root: var/lib/wolfpack/app-backups/. */
static void backup_path(const wp_app_env *env, const json_t *rec, char *out, size_t size)
{
    char dir[PATH_MAX];
    wp_app_path(env, "/var/lib/wolfpack/app-backups", dir, sizeof dir);
    int n = snprintf(out, size, "%.3900s/%.40s-%.32s-%lld-%d.tar.zst", dir, wp_json_str(rec, "app"),
                     wp_json_str(rec, "version"), (long long)time(NULL), (int)getpid());
    (void)n;
}

/* Back up and verify the record's databases into file (a new name below
 * the root when file is ""; an archive already there -- an interrupted
 * run's -- is verified and kept). */
bool wp_app_verified_backup(const wp_app_env *env, const json_t *rec, char *file, size_t size,
                            wp_err *err)
{
    wp_backup_spec spec;
    wp_backup_db *dbs = NULL;
    if (!file[0])
        backup_path(env, rec, file, size);
    char dir[PATH_MAX];
    wp_app_path(env, "/var/lib/wolfpack/app-backups", dir, sizeof dir);
    bool ok = wp_fs_mkdir_p(dir, 0700, err) && wp_app_backup_spec(rec, &spec, &dbs, err) &&
              (access(file, F_OK) == 0 || wp_backup_create(&spec, file, NULL, NULL, err)) &&
              wp_backup_verify(file, &spec, NULL, err);
    free(dbs);
    return ok;
}

bool wp_app_restore_backup(const json_t *rec, const char *file, wp_err *err)
{
    wp_backup_spec spec;
    wp_backup_db *dbs = NULL;
    bool ok =
        wp_app_backup_spec(rec, &spec, &dbs, err) && wp_backup_restore(&spec, file, NULL, err);
    free(dbs);
    return ok;
}

/* New record for the service pack, with the old record's parameters. */
json_t *wp_app_sp_record(wp_app_cluster *c, const wp_kit *sp, const json_t *old, wp_err *err)
{
    json_t *params = json_object_get(old, "parameters");
    const char **sets = calloc(json_object_size(params) + 1, sizeof *sets);
    char **bufs = calloc(json_object_size(params) + 1, sizeof *bufs);
    size_t n = 0;
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v)
    {
        if (!wp_kit_param_get(sp, key))
            continue;
        if (asprintf(&bufs[n], "%s=%s", key, json_string_value(v)) < 0)
            bufs[n] = NULL;
        sets[n] = bufs[n];
        n++;
    }
    const json_t *d0 = json_array_get(json_object_get(old, "databases"), 0);
    char mount[PATH_MAX] = "";
    if (d0) { /* the disk's mount point: path minus the clustered part */
        const char *path = wp_json_str(d0, "path"), *rel = wp_json_str(d0, "clustered");
        size_t pl = strlen(path), rl = strlen(rel);
        if (pl > rl + 1)
            snprintf(mount, sizeof mount, "%.*s", (int)(pl - rl - 1), path);
    }
    wp_app_install_opts io = {.set = sets,
                              .nset = n,
                              .group = wp_json_str(old, "group"),
                              .disk_mount = mount[0] ? mount : "/"};
    json_t *rec = wp_app_record_from_kit(c->env, sp, &io, err);
    for (size_t i = 0; i < n; i++)
        free(bufs[i]);
    free(bufs);
    free(sets);
    return rec;
}

/* The resource has these props already (a null one: has none), so setting
 * them would only cost a round trip through the cluster while the
 * application is down. */
static bool props_same(wp_app_cluster *c, const char *name, const json_t *props)
{
    json_t *r = wp_app_call(c, "resource.show", json_pack("{s:s}", "name", name), NULL);
    const json_t *have = json_object_get(r, "props");
    bool same = json_is_object(have);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        const json_t *h = json_object_get(have, key);
        same = same && (json_is_null(v) ? h == NULL || json_is_null(h) : h && json_equal(h, v));
    }
    json_decref(r);
    return same;
}

/* Update the resources' commands to the new record's. */
bool wp_app_update_resources(wp_app_cluster *c, const json_t *rec, wp_err *err)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(rec, "services"), i, s)
    {
        char name[128];
        wp_app_resource_name(wp_json_str(rec, "app"), wp_json_str(s, "name"), name, sizeof name);
        json_t *props = wp_app_service_props(s);
        if (!json_object_get(props, "check_command"))
            json_object_set_new(props, "check_command", json_null());
        if (props_same(c, name, props)) {
            json_decref(props);
            continue;
        }
        if (!wp_app_change(c, "resource.set", json_pack("{s:s, s:o}", "name", name, "props", props),
                           err))
            return false;
    }
    return true;
}

/* Put the old version's program files back after a failed upgrade. */
void wp_app_put_back(wp_app_cluster *c, const json_t *old)
{
    wp_err ignored = {0};
    wp_kit *kit = wp_kit_load(wp_json_str(old, "kit"), &ignored);
    if (kit)
        wp_app_put_program_files(c->env, kit, &ignored);
    wp_kit_free(kit);
}

/* ---- node tasks of a rolling service pack ------------------------------------------ */

/* Run a hook program (a command line, no shell) with WOLFPACK_APP and
 * WOLFPACK_NODE set; false with err when it fails. */
static bool run_hook(wp_app_cluster *c, const char *what, const char *line, const char *app,
                     wp_err *err)
{
    char **argv = wp_argv_split(line, err);
    if (!argv)
        return false;
    int run = argv[0] && argv[0][0] == '/' ? run_program(argv, app, c->node) : -2;
    bool ok = run == 0;
    if (!ok) {
        wp_errf(err, WP_E_IO, "the %s %s failed on %s", what, argv[0] ? argv[0] : "", c->node);
        wp_err_why(err, run == -2 ? "a hook must be an absolute program path"
                        : run < 0 ? "it could not be started"
                                  : "it exited with an error");
        wp_err_todo(err, "fix the hook, then run the service pack again");
    }
    wp_argv_free(argv);
    return ok;
}

/* What a node task of a service pack starts from: the cluster's record of
 * args.app (*cur) and the kit args.kit (*kit).  False with err, and
 * nothing to free, when either cannot be had. */
static bool task_inputs(wp_app_cluster *c, const json_t *args, json_t **cur, wp_kit **kit,
                        wp_err *err)
{
    *kit = NULL;
    *cur = wp_app_call(c, "app.show", json_pack("{s:s}", "name", wp_json_str(args, "app")), err);
    *kit = *cur ? wp_kit_load(wp_json_str(args, "kit"), err) : NULL;
    if (*kit)
        return true;
    json_decref(*cur);
    *cur = NULL;
    return false;
}

/* On the node that runs cur's group (*a: the group's assessment, for the
 * caller to free): the record of kit's version; NULL with err elsewhere. */
static json_t *owned_record(wp_app_cluster *c, const json_t *cur, const wp_kit *kit, json_t **a,
                            wp_err *err)
{
    *a = wp_app_group_assess_one(c, wp_json_str(cur, "group"), err);
    return *a && wp_app_must_own(c, *a, err) ? wp_app_sp_record(c, kit, cur, err) : NULL;
}

bool wp_app_task_sp_files(wp_app_cluster *c, const json_t *args, wp_err *err)
{
    const char *app = wp_json_str(args, "app");
    json_t *cur;
    wp_kit *kit;
    if (!task_inputs(c, args, &cur, &kit, err))
        return false;
    json_t *rec = wp_app_sp_record(c, kit, cur, err);
    bool ok = rec &&
              (!wp_json_str(args, "pre") ||
               run_hook(c, "pre-hook", wp_json_str(args, "pre"), app, err)) &&
              wp_app_put_program_files(c->env, kit, err) && wp_app_save_local_copy(c, rec, err) &&
              wp_app_change(c, "app.node",
                            json_pack("{s:s, s:s, s:s}", "name", app, "node", c->node, "version",
                                      kit->version),
                            err) &&
              (!wp_json_str(args, "post") ||
               run_hook(c, "post-hook", wp_json_str(args, "post"), app, err));
    json_decref(rec);
    wp_kit_free(kit);
    json_decref(cur);
    return ok;
}

/* This node holds sp's program files already (the rollout's first step
 * put them here, and this node's copy of the record says so): the upgrade
 * need not copy them again while the application is down. */
static bool has_files(wp_app_cluster *c, const wp_kit *sp)
{
    wp_err ignored = {0};
    json_t *local = wp_app_record_load(c->env, sp->name, &ignored);
    bool has = local && wp_json_str(local, "version") &&
               strcmp(wp_json_str(local, "version"), sp->version) == 0;
    json_decref(local);
    return has;
}

bool wp_app_task_sp_upgrade(wp_app_cluster *c, const json_t *args, wp_err *err)
{
    json_t *old, *a;
    wp_kit *sp;
    if (!task_inputs(c, args, &old, &sp, err))
        return false;
    json_t *rec = owned_record(c, old, sp, &a, err);
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s",
             wp_json_str(args, "backup") ? wp_json_str(args, "backup") : "");
    bool ok = rec && wp_app_record_disk_ready(c, old, err) &&
              wp_app_verified_backup(c->env, old, file, sizeof file, err);
    if (ok && !((has_files(c, sp) || wp_app_put_program_files(c->env, sp, err)) &&
                wp_app_run_upgrade(c->env, sp, rec, err))) {
        wp_err keep = *err;
        if (wp_app_restore_backup(old, file, err))
            *err = keep;
        ok = false;
    }
    json_decref(rec);
    json_decref(a);
    wp_kit_free(sp);
    json_decref(old);
    return ok;
}

/* Save the databases as they are now (the upgraded ones) into keep, unless
 * an interrupted rollback saved them there already. */
static bool keep_upgraded(wp_app_cluster *c, const json_t *old, const char *version,
                          const char *keep, wp_err *err)
{
    if (!keep || access(keep, F_OK) == 0)
        return true;
    wp_backup_spec spec;
    wp_backup_db *dbs = NULL;
    bool ok = wp_app_backup_spec(old, &spec, &dbs, err);
    spec.version = version;
    ok = ok && wp_backup_create(&spec, keep, NULL, NULL, err);
    free(dbs);
    if (ok)
        fprintf(c->out, "kept the upgraded databases in %s\n", keep);
    return ok;
}

bool wp_app_task_sp_restore(wp_app_cluster *c, const json_t *args, wp_err *err)
{
    const char *backup = wp_json_str(args, "backup");
    json_t *cur, *a;
    wp_kit *kit;
    if (!task_inputs(c, args, &cur, &kit, err))
        return false;
    json_t *old = owned_record(c, cur, kit, &a, err);
    bool ok = old && wp_app_record_disk_ready(c, old, err);
    if (ok && (!backup || access(backup, F_OK) != 0)) {
        /* the upgrade task never began its backup here: nothing was upgraded */
        fprintf(c->out, "no backup %s here: the databases were not upgraded\n",
                backup ? backup : "(none)");
    } else if (ok) {
        wp_backup_spec spec;
        wp_backup_db *dbs = NULL;
        wp_err same = {0};
        ok = wp_app_backup_spec(old, &spec, &dbs, err);
        if (ok && !wp_backup_compare(&spec, backup, &same))
            ok = keep_upgraded(c, old, wp_json_str(args, "from"), wp_json_str(args, "keep"), err) &&
                 wp_backup_restore(&spec, backup, NULL, err);
        free(dbs);
        if (ok)
            fprintf(c->out, "the databases are those of the backup %s (verified)\n", backup);
    }
    json_decref(old);
    json_decref(a);
    wp_kit_free(kit);
    json_decref(cur);
    return ok;
}
