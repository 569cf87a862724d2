/*
 * migrate.c -- `wolfpack app migrate APP --group G`: the workaround of KB
 * Q221393 as one resumable operation (cluster.h; docs/APP.md).
 *
 * A standalone install made before its node joined a cluster cannot take a
 * cluster-aware service pack.  The article's way out is: back up the
 * databases, remove the application from the other node, install it on the
 * cluster, restore the databases.  Here each of those is a step (a table
 * run by the step runner, steps.h) whose
 * completion is recorded in the cluster database (app.op {name, state}),
 * so a run that is killed at any point resumes where it stopped when run
 * again, or --rollback returns to the standalone install:
 *
 *   backup         stop the local services; verified backup of the
 *                  standalone databases (kept; its path is in the state)
 *   remove-others  node tasks: every other node removes its standalone
 *                  install (its databases stay where they are)
 *   install        here: remove the standalone install (databases stay),
 *                  put the program files, write the clustered record
 *   restore        the backup onto the group's shared disk
 *   verify         every database on the disk equals its backup (SHA-256)
 *   register       the cluster record (app.register, app.node)
 *   resources      the Generic Service resources in the group (they start)
 *   files-others   node tasks: the program files on every other node
 *
 * The standalone databases are only ever read, so no byte of them is lost
 * whatever step is interrupted; the backup stays too.  Every step is
 * idempotent, which is what makes "run again" safe.  For tests,
 * $WOLFPACK_TEST_DIE_AT=STEP ends the process (exit 137) just before STEP,
 * and STEP+ just after STEP's work but before its completion is recorded.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "cluster_internal.h"
#include "steps.h"
#include "../lib/model.h"
#include "../lib/fs.h"
#include "../lib/json.h"

/* The summary `wolfpack app show` gives of a migration in progress. */
static void summary(const wp_app_run *run, const char *done, char *out, size_t size)
{
    snprintf(out, size,
             "migrate into group %s: step %s done (run `wolfpack app "
             "migrate %s` again to go on, or --rollback)",
             wp_json_str(run->st, "group"), done, wp_json_str(run->st, "app"));
}

/* The clustered record the migration installs (parameters of the
 * standalone install, address = the group's IP address). */
static json_t *clustered_record(wp_app_cluster *c, const json_t *st, const wp_kit *kit, wp_err *err)
{
    json_t *params = json_object_get(st, "parameters");
    size_t n = json_object_size(params) + 2, k = 0;
    char **sets = calloc(n + 1, sizeof *sets);
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v)
    {
        if ((strcmp(key, "address") == 0 && wp_json_str(st, "ip")) ||
            (strcmp(key, "hostname") == 0 && wp_json_str(st, "hostname")))
            continue;
        if (asprintf(&sets[k], "%s=%s", key, json_string_value(v)) >= 0)
            k++;
    }
    if (wp_json_str(st, "ip") && wp_kit_param_get(kit, "address") &&
        asprintf(&sets[k], "address=%s", wp_json_str(st, "ip")) >= 0)
        k++;
    if (wp_json_str(st, "hostname") && wp_kit_param_get(kit, "hostname") &&
        asprintf(&sets[k], "hostname=%s", wp_json_str(st, "hostname")) >= 0)
        k++;
    wp_app_install_opts io = {.set = (const char *const *)sets,
                              .nset = k,
                              .group = wp_json_str(st, "group"),
                              .disk_mount = wp_json_str(st, "mountpoint")};
    json_t *rec = wp_app_record_from_kit(c->env, kit, &io, err);
    for (size_t i = 0; i < k; i++)
        free(sets[i]);
    free(sets);
    return rec;
}

static bool spec_of(const json_t *rec, wp_backup_spec *spec, wp_backup_db **dbs, wp_err *err)
{
    return wp_app_backup_spec(rec, spec, dbs, err);
}

/* ---- the steps --------------------------------------------------------------------- */

static bool step_backup(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    wp_app_cluster *c = run->c;
    json_t *st = run->st;
    json_t *rec = wp_app_record_load(c->env, wp_json_str(st, "app"), err);
    if (!rec)
        return false;
    wp_backup_spec spec;
    wp_backup_db *dbs = NULL;
    const char *file = wp_json_str(st, "backup");
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", file);
    *strrchr(dir, '/') = '\0';
    bool ok = wp_app_stop(c->env, rec, err) && spec_of(rec, &spec, &dbs, err) &&
              wp_fs_mkdir_p(dir, 0700, err);
    if (ok && access(file, F_OK) == 0 && !wp_backup_verify(file, &spec, NULL, NULL))
        unlink(file); /* an archive of an earlier, unrecorded run that does not check out */
    if (ok && access(file, F_OK) != 0)
        ok = wp_backup_create(&spec, file, NULL, NULL, err);
    ok = ok && wp_backup_verify(file, &spec, NULL, err) && wp_backup_compare(&spec, file, err);
    if (ok)
        fprintf(c->out, "  backup: %s (verified)\n", file);
    free(dbs);
    json_decref(rec);
    return ok;
}

static bool step_remove_others(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    wp_app_cluster *c = run->c;
    json_t *st = run->st;
    return wp_app_tasks_everywhere(c, wp_json_str(st, "app"), "remove",
                                   json_pack("{s:s}", "app", wp_json_str(st, "app")), err);
}

static bool step_install(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    wp_app_cluster *c = run->c;
    json_t *st = run->st;
    const wp_kit *kit = run->ctx;
    json_t *local = wp_app_record_load(c->env, wp_json_str(st, "app"), NULL);
    const char *mode = wp_json_str(local, "mode");
    bool ok = true;
    if (local && mode && strcmp(mode, WP_APP_MODE_STANDALONE) == 0) {
        json_t *kept = NULL;
        ok = wp_app_remove(c->env, wp_json_str(st, "app"), false, &kept, err);
        if (ok)
            fprintf(c->out, "  removed the standalone install here (its databases stay)\n");
        json_decref(kept);
    }
    json_decref(local);
    json_t *rec = ok ? clustered_record(c, st, kit, err) : NULL;
    ok = rec && wp_app_put_program_files(c->env, kit, err) && wp_app_save_local_copy(c, rec, err);
    json_decref(rec);
    return ok;
}

static bool with_clustered_spec(wp_app_cluster *c, json_t *st, const wp_kit *kit, bool restore,
                                wp_err *err)
{
    json_t *rec = clustered_record(c, st, kit, err);
    wp_backup_spec spec;
    wp_backup_db *dbs = NULL;
    bool ok = rec && wp_app_disk_ready(c, wp_json_str(st, "mountpoint"), err) &&
              spec_of(rec, &spec, &dbs, err);
    if (ok && restore)
        ok = wp_backup_restore(&spec, wp_json_str(st, "backup"), NULL, err);
    if (ok && !restore)
        ok = wp_backup_compare(&spec, wp_json_str(st, "backup"), err);
    if (ok)
        fprintf(c->out, "  %s\n",
                restore ? "restored the databases onto the group's disk"
                        : "every database on the disk equals its backup");
    free(dbs);
    json_decref(rec);
    return ok;
}

static bool step_restore(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    wp_app_cluster *c = run->c;
    json_t *st = run->st;
    const wp_kit *kit = run->ctx;
    return with_clustered_spec(c, st, kit, true, err);
}

static bool step_verify(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    wp_app_cluster *c = run->c;
    json_t *st = run->st;
    const wp_kit *kit = run->ctx;
    return with_clustered_spec(c, st, kit, false, err);
}

static bool step_register(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    wp_app_cluster *c = run->c;
    json_t *st = run->st;
    const wp_kit *kit = run->ctx;
    json_t *rec = clustered_record(c, st, kit, err);
    bool ok = rec &&
              wp_app_change(c, "app.register",
                            json_pack("{s:s, s:O}", "name", wp_json_str(st, "app"), "record", rec),
                            err) &&
              wp_app_change(c, "app.node",
                            json_pack("{s:s, s:s, s:s}", "name", wp_json_str(st, "app"), "node",
                                      c->node, "version", kit->version),
                            err);
    json_decref(rec);
    return ok;
}

static bool step_resources(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    wp_app_cluster *c = run->c;
    json_t *st = run->st;
    const wp_kit *kit = run->ctx;
    json_t *rec = clustered_record(c, st, kit, err);
    json_t *a = rec ? wp_app_group_assess_one(c, wp_json_str(st, "group"), err) : NULL;
    bool ok = a && wp_app_create_resources(c, rec, a, true, err);
    json_decref(a);
    json_decref(rec);
    return ok;
}

static bool step_files_others(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    wp_app_cluster *c = run->c;
    json_t *st = run->st;
    return wp_app_tasks_everywhere(c, wp_json_str(st, "app"), "files",
                                   json_pack("{s:s}", "app", wp_json_str(st, "app")), err);
}

/* The migration, step by step (steps.h runs them). */
static const wp_app_step steps[] = {
    {.name = "backup", .action = step_backup},
    {.name = "remove-others", .action = step_remove_others},
    {.name = "install", .action = step_install},
    {.name = "restore", .action = step_restore},
    {.name = "verify", .action = step_verify},
    {.name = "register", .action = step_register},
    {.name = "resources", .action = step_resources},
    {.name = "files-others", .action = step_files_others},
    {.name = NULL},
};

/* ---- start, resume, roll back ------------------------------------------------------ */

/* A new migration's state from the standalone record and the group. */
static json_t *new_state(wp_app_cluster *c, const char *app, const char *group, wp_err *err)
{
    json_t *local = wp_app_record_load(c->env, app, err);
    if (!local)
        return NULL;
    const char *mode = wp_json_str(local, "mode");
    if (!mode || strcmp(mode, WP_APP_MODE_STANDALONE) != 0) {
        wp_errf(err, WP_E_CONFLICT, "%s is not a standalone install on this node", app);
        wp_err_why(err, "it is installed %s already", mode ? mode : "in an unknown way");
        wp_err_todo(err, "nothing to migrate");
        json_decref(local);
        return NULL;
    }
    json_t *a = wp_app_group_checked(c, group, err);
    bool ok = a && wp_app_must_own(c, a, err);
    if (ok && !wp_json_str(a, "mountpoint")) {
        wp_errf(err, WP_E_CONFLICT, "the storage resource of group %s has no mount point",
                wp_json_str(a, "group"));
        wp_err_why(err, "the databases go below the disk's mountpoint property");
        wp_err_todo(err, "use a group with a Physical Disk");
        ok = false;
    }
    char file[PATH_MAX];
    char dir[PATH_MAX];
    wp_app_path(c->env, "/var/lib/wolfpack/app-backups", dir, sizeof dir);
    snprintf(file, sizeof file, "%.3900s/%.40s-%.32s-migrate-%lld.tar.zst", dir, app,
             wp_json_str(local, "version"), (long long)time(NULL));
    json_t *st =
        ok ? json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:s, s:s?, s:s, s:s?}", "op", "migrate",
                       "app", app, "version", wp_json_str(local, "version"), "kit",
                       wp_json_str(local, "kit"), "group", wp_json_str(a, "group"), "node", c->node,
                       "parameters", json_object_get(local, "parameters"), "mountpoint",
                       wp_json_str(a, "mountpoint"), "ip", wp_json_str(a, "ip"), "backup", file,
                       "hostname", wp_json_str(a, "hostname"))
           : NULL;
    json_decref(a);
    json_decref(local);
    return st;
}

/* Run (fresh: start) the migration of state st. */
static bool run_steps(wp_app_cluster *c, json_t *st, bool fresh, wp_err *err)
{
    wp_kit *kit = wp_kit_load(wp_json_str(st, "kit"), err);
    if (!kit) {
        wp_err_todo(err, "the kit the application was installed from must stay at %s",
                    wp_json_str(st, "kit"));
        return false;
    }
    wp_app_run run = {.c = c,
                      .name = wp_json_str(st, "app"),
                      .steps = steps,
                      .st = st,
                      .ctx = kit,
                      .summary = summary};
    bool ok = !fresh || wp_app_steps_begin(&run, err);
    if (ok && fresh)
        fprintf(c->out, "Migrating %s %s into group %s (backup %s)\n", run.name,
                wp_json_str(st, "version"), wp_json_str(st, "group"), wp_json_str(st, "backup"));
    ok = ok && wp_app_steps_run(&run, err) && wp_app_steps_end(&run, err);
    wp_kit_free(kit);
    return ok;
}

static bool rollback(wp_app_cluster *c, json_t *st, wp_err *err)
{
    const char *app = wp_json_str(st, "app");
    json_t *rec = wp_app_call(c, "app.show", json_pack("{s:s}", "name", app), NULL);
    bool ok = true;
    if (rec) {
        json_t *names = json_array();
        size_t i;
        json_t *s;
        json_array_foreach(json_object_get(rec, "services"), i, s)
        {
            char name[128];
            wp_app_resource_name(app, wp_json_str(s, "name"), name, sizeof name);
            json_array_append_new(names, json_string(name));
        }
        ok = wp_app_delete_resources(c, names, err) &&
             wp_app_change(c, "app.unregister", json_pack("{s:s}", "name", app), err);
        json_decref(names);
        json_decref(rec);
    }
    json_t *local = ok ? wp_app_record_load(c->env, app, NULL) : NULL;
    if (local && strcmp(wp_json_str(local, "mode"), WP_APP_MODE_CLUSTERED) == 0)
        ok = wp_app_remove(c->env, app, false, NULL, err);
    bool standalone = local && strcmp(wp_json_str(local, "mode"), WP_APP_MODE_STANDALONE) == 0;
    json_decref(local);
    wp_kit *kit = ok && !standalone ? wp_kit_load(wp_json_str(st, "kit"), err) : NULL;
    if (ok && !standalone) {
        json_t *params = json_object_get(st, "parameters");
        size_t n = 0;
        char **sets = calloc(json_object_size(params) + 1, sizeof *sets);
        const char *key;
        json_t *v;
        json_object_foreach(params, key,
                            v) if (asprintf(&sets[n], "%s=%s", key, json_string_value(v)) >= 0) n++;
        wp_app_install_opts io = {.set = (const char *const *)sets, .nset = n};
        json_t *back = kit ? wp_app_install_standalone(c->env, kit, &io, NULL, err) : NULL;
        ok = back != NULL;
        json_decref(back);
        for (size_t i = 0; i < n; i++)
            free(sets[i]);
        free(sets);
    }
    wp_kit_free(kit);
    if (ok)
        ok = wp_app_change(c, "app.op", json_pack("{s:s}", "name", app), err);
    if (ok && wp_app_steps_index(steps, wp_json_str(st, "step")) >= 1)
        fprintf(c->out,
                "  note: the other nodes' standalone installs were removed (their databases were "
                "kept); install the kit there again: wolfpack app install %s\n",
                wp_json_str(st, "kit"));
    return ok;
}

/* The properties of the three resources of --create-group, in that order
 * (IP Address, Network Name, Physical Disk), each checked as the daemon
 * will: a bad value is refused here, before anything is created. */
static bool new_group_props(const wp_app_new_group *g, json_t *props[3], wp_err *err)
{
    static const wp_rtype types[3] = {WP_RT_IP, WP_RT_NETNAME, WP_RT_DISK};
    props[0] = json_pack("{s:s}", "address", g->ip);
    props[1] = json_pack("{s:s}", "hostname", g->hostname);
    props[2] = json_pack("{s:s, s:s, s:s}", "device", g->device, "mountpoint", g->mountpoint,
                         "fstype", g->fstype ? g->fstype : "ext4");
    if (props[2] && g->mount_options)
        json_object_set_new(props[2], "mount_options", json_string(g->mount_options));
    for (int i = 0; i < 3; i++) {
        if (!props[i]) {
            wp_errf(err, WP_E_INTERNAL, "out of memory");
            return false;
        }
        if (!wp_props_validate_all(types[i], props[i], err)) {
            wp_err_todo(err, "correct the value of its option (--ip, --name, --disk, "
                             "--mountpoint, --fstype or --mount-options) and run again; "
                             "nothing was created");
            return false;
        }
    }
    return true;
}

/* --create-group: the group with an IP Address, a Network Name on it and a
 * Physical Disk (with --mount-options, if given), preferring this node,
 * brought online.  A group that exists already (a rerun) is taken as it is. */
static bool create_group(wp_app_cluster *c, const wp_app_new_group *g, wp_err *err)
{
    json_t *have = wp_app_call(c, "group.show", json_pack("{s:s}", "name", g->name), NULL);
    if (have) {
        json_decref(have);
        return true;
    }
    json_t *props[3] = {NULL, NULL, NULL};
    if (!new_group_props(g, props, err)) {
        for (int i = 0; i < 3; i++)
            json_decref(props[i]);
        return false;
    }
    char ip[128], nm[128], dk[128];
    snprintf(ip, sizeof ip, "%.60s-ip", g->name);
    snprintf(nm, sizeof nm, "%.60s-name", g->name);
    snprintf(dk, sizeof dk, "%.60s-disk", g->name);
    /* "O": each request holds its own reference; ours are dropped below */
    bool ok = wp_app_change(c, "group.create",
                            json_pack("{s:s, s:{s:s}}", "name", g->name, "policy",
                                      "preferred_owners", c->node),
                            err) &&
              wp_app_change(c, "resource.create",
                            json_pack("{s:s, s:s, s:s, s:O}", "name", ip, "group", g->name, "type",
                                      "IP Address", "props", props[0]),
                            err) &&
              wp_app_change(c, "resource.create",
                            json_pack("{s:s, s:s, s:s, s:O, s:[s]}", "name", nm, "group", g->name,
                                      "type", "Network Name", "props", props[1], "depends_on", ip),
                            err) &&
              wp_app_change(c, "resource.create",
                            json_pack("{s:s, s:s, s:s, s:O}", "name", dk, "group", g->name, "type",
                                      "Physical Disk", "props", props[2]),
                            err) &&
              wp_app_change(c, "group.online", json_pack("{s:s}", "name", g->name), err);
    for (int i = 0; i < 3; i++)
        json_decref(props[i]);
    if (ok)
        fprintf(c->out, "  created group %s (%s, %s, %s) and brought it online\n", g->name, ip, nm,
                dk);
    else
        wp_err_todo(err,
                    "fix the values (the disk must be prepared: wolfpack disk prepare), "
                    "delete what was created (wolfpack group show %s), and run again",
                    g->name);
    return ok;
}

bool wp_app_migrate(wp_app_cluster *c, const char *app, const char *group,
                    const wp_app_new_group *create, bool back, wp_err *err)
{
    if (create && !back) {
        if (!create_group(c, create, err))
            return false;
        group = create->name;
    }
    json_t *st = NULL;
    if (!wp_app_op_load(c, app, &st, err))
        return false;
    bool fresh = !st;
    if (fresh) {
        if (back) {
            wp_errf(err, WP_E_NOTFOUND, "no migration of %s is in progress", app);
            wp_err_why(err, "the cluster database records none");
            wp_err_todo(err, "nothing to roll back");
            return false;
        }
        if (!group) {
            wp_errf(err, WP_E_INVALID, "migrate needs --group G");
            wp_err_why(err, "the application moves into one group");
            wp_err_todo(err, "name a group with an IP address, a network name and a disk");
            return false;
        }
        st = new_state(c, app, group, err);
        if (!st)
            return false;
    } else if (strcmp(wp_json_str(st, "op") ? wp_json_str(st, "op") : "", "migrate") != 0) {
        wp_app_op_busy(app, st, "finish it first", err);
        json_decref(st);
        return false;
    } else if (strcasecmp(wp_json_str(st, "node"), c->node) != 0) {
        wp_errf(err, WP_E_CONFLICT, "the migration of %s was started on node %s", app,
                wp_json_str(st, "node"));
        wp_err_why(err, "its backup and standalone databases are on that node");
        wp_err_todo(err, "run wolfpack app migrate %s there", app);
        json_decref(st);
        return false;
    } else {
        fprintf(c->out, "%s the migration of %s into group %s after step %s\n",
                back ? "Rolling back" : "Resuming", app, wp_json_str(st, "group"),
                wp_json_str(st, "step") ? wp_json_str(st, "step") : "(none)");
    }
    bool ok = back ? rollback(c, st, err) : run_steps(c, st, fresh, err);
    json_decref(st);
    return ok;
}
