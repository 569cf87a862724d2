/*
 * sp.c -- `wolfpack app sp apply SP`: a service pack, cluster-aware
 * (cluster.h; docs/APP.md).
 *
 * On a node where wolfpackd runs, the service pack looks for the
 * application's clustered install in the cluster database.  When there is
 * none it must ask, as Exchange's did in KB Q221393, which group holds the
 * application ("Select the cluster group configured for ..."), offering
 * Cluster Group; a group without an IP address, a network name and a shared
 * hard disk (by class) or not online is refused with the article's message,
 * every item it lacks and the groups that would qualify.  A standalone
 * install found here is then explained (it is not a cluster install, so
 * its resources cannot be added to a group) with the way out: `wolfpack
 * app migrate`.  Without a terminal, --group answers the question; no
 * answer is an error, never a wait.
 *
 * On a clustered install the plan is built once (wp_app_sp_plan: the
 * record, its group, the nodes in update order, the new record) and passed
 * to the rolling update (rollout.c) or the single run.
 *
 * On a clustered install (single run, this node owns the group): the
 * application's resources go offline, a verified backup of its databases
 * is taken (on the shared disk), the new program files are put here, the
 * upgrade step runs once against the databases, the records say the new
 * version, the resources come back online and every other node gets the
 * new program files (node tasks).  If the upgrade step fails, the backup
 * is restored and the old program files are put back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../lib/model.h"
#include "cluster.h"
#include "cluster_internal.h"
#include "../lib/fs.h"
#include "../lib/json.h"

/* ---- which group? ------------------------------------------------------------- */

static void list_groups(FILE *out, const json_t *all)
{
    size_t i;
    json_t *a;
    json_array_foreach(all, i, a)
    {
        const char *owner = wp_json_str(a, "owner");
        fprintf(out, "  %zu) %s  (%s%s%s)%s\n", i + 1, wp_json_str(a, "group"),
                wp_json_str(a, "state"), owner ? ", owner " : "", owner ? owner : "",
                json_is_true(json_object_get(a, "qualifies")) ? "" : "  lacks resources");
    }
}

/* The group a reply names: a number of the list or a name; NULL if none. */
static const json_t *pick(const json_t *all, const char *reply)
{
    char *end;
    long k = strtol(reply, &end, 10);
    if (*reply && !*end && k >= 1 && (size_t)k <= json_array_size(all))
        return json_array_get(all, (size_t)k - 1);
    size_t i;
    json_t *a;
    json_array_foreach(all, i, a) if (strcasecmp(wp_json_str(a, "group"), reply) == 0) return a;
    return NULL;
}

static void refuse(wp_app_cluster *c, const json_t *all, const json_t *a)
{
    json_t *q = wp_app_qualifying(all);
    wp_app_print_not_qualified(c->out, a, q);
    json_decref(q);
}

static bool no_answer(wp_err *err, const char *app, bool eof)
{
    wp_errf(err, WP_E_INVALID, "no cluster group was chosen for %s", app);
    wp_err_why(err, eof ? "the question got no answer (end of input)"
                        : "there is no terminal to ask on, and --group was not given");
    wp_err_todo(err, "give the group: wolfpack app sp apply SP --group G");
    return false;
}

/* Ask on the terminal until a qualifying group is chosen; its assessment. */
static json_t *ask_group(wp_app_cluster *c, const char *app, const json_t *all, wp_err *err)
{
    fprintf(c->out, WP_APP_SELECT_FMT "\n", app, app);
    list_groups(c->out, all);
    for (;;) {
        fprintf(c->out, "Group [%s]: ", WP_CLUSTER_GROUP);
        fflush(c->out);
        char line[256];
        if (!fgets(line, sizeof line, stdin)) {
            fprintf(c->out, "\n");
            no_answer(err, app, true);
            return NULL;
        }
        line[strcspn(line, "\r\n")] = '\0';
        const json_t *a = pick(all, line[0] ? line : WP_CLUSTER_GROUP);
        if (!a) {
            fprintf(c->out,
                    "There is no group \"%s\"; answer with a number or a name of the "
                    "list.\n",
                    line);
            continue;
        }
        if (json_is_true(json_object_get(a, "qualifies")))
            return json_incref((json_t *)a);
        refuse(c, all, a);
    }
}

/* The group for an application that has no clustered install yet: from
 * --group, or asked. */
static json_t *choose_group(wp_app_cluster *c, const char *app, const char *given, wp_err *err)
{
    json_t *all = wp_app_groups_assess(c, err);
    if (!all)
        return NULL;
    json_t *a = NULL;
    if (given) {
        const json_t *g = pick(all, given);
        if (!g) {
            wp_errf(err, WP_E_NOTFOUND, "group '%s' does not exist", given);
            wp_err_why(err, "the cluster has no group of that name");
            wp_err_todo(err, "list the groups with: wolfpack group list");
        } else if (!json_is_true(json_object_get(g, "qualifies"))) {
            refuse(c, all, g);
            wp_errf(err, WP_E_CONFLICT, "group %s cannot hold %s", wp_json_str(g, "group"), app);
            wp_err_why(err, "it lacks what is listed above");
            wp_err_todo(err, "choose a group that qualifies, or add the missing resources");
        } else {
            a = json_incref((json_t *)g);
        }
    } else if (c->tty) {
        a = ask_group(c, app, all, err);
    } else {
        fprintf(c->out, WP_APP_SELECT_FMT "\n", app, app);
        list_groups(c->out, all);
        no_answer(err, app, false);
    }
    json_decref(all);
    return a;
}

/* The article's case, in plain words. */
static bool explain_standalone(wp_app_cluster *c, const json_t *local, const json_t *a, wp_err *err)
{
    const char *app = wp_json_str(local, "app");
    fprintf(c->out,
            "%s %s is installed on this node (%s) as a standalone install, made outside the\n"
            "cluster. A standalone install is not a cluster install, so its resources cannot\n"
            "be added to group %s, and this service pack cannot be applied to it.\n",
            app, wp_json_str(local, "version"), c->node, wp_json_str(a, "group"));
    wp_errf(err, WP_E_CONFLICT, "%s is a standalone install, not a cluster install", app);
    wp_err_why(err, "it was installed before this node was a cluster node (KB Q221393)");
    wp_err_todo(err,
                "move it into the cluster, databases included, then apply the service pack: "
                "wolfpack app migrate %s --group '%s'",
                app, wp_json_str(a, "group"));
    return false;
}

/* ---- the upgrade -------------------------------------------------------------- */

static bool upgrade_clustered(wp_app_cluster *c, wp_app_sp_plan *p, wp_err *err)
{
    const wp_kit *sp = p->sp;
    const json_t *old = p->cur;
    if (!wp_app_version_ok(sp, wp_json_str(old, "version"), err))
        return false;
    json_t *a = wp_app_group_checked(c, wp_json_str(old, "group"), err);
    bool ok = a && wp_app_must_own(c, a, err);
    json_decref(a);
    const json_t *rec = ok ? wp_app_sp_plan_record(c, p, err) : NULL;
    const json_t *names = p->names;
    char file[PATH_MAX] = "";
    ok = rec != NULL;
    if (ok) {
        fprintf(c->out, "  taking the resources of %s offline\n", sp->name);
        ok = wp_app_resources_to(c, names, false, err);
    }
    if (ok) {
        ok = wp_app_record_disk_ready(c, old, err) &&
             wp_app_verified_backup(c->env, old, file, sizeof file, err);
        if (ok)
            fprintf(c->out, "  verified backup of the databases: %s\n", file);
    }
    if (ok &&
        !(wp_app_put_program_files(c->env, sp, err) && wp_app_run_upgrade(c->env, sp, rec, err))) {
        wp_err keep = *err;
        if (!wp_app_restore_backup(old, file, err))
            wp_err_todo(err, "restore the databases by hand: wolfpack app restore %s --from %s",
                        sp->name, file);
        else
            *err = keep;
        wp_app_put_back(c, old);
        ok = false;
    }
    if (ok) {
        fprintf(c->out, "  upgraded the databases once (%s %s -> %s)\n", sp->name,
                wp_json_str(old, "version"), sp->version);
        ok = wp_app_change(c, "app.register",
                           json_pack("{s:s, s:O}", "name", sp->name, "record", rec), err) &&
             wp_app_change(c, "app.node",
                           json_pack("{s:s, s:s, s:s}", "name", sp->name, "node", c->node,
                                     "version", sp->version),
                           err) &&
             wp_app_save_local_copy(c, rec, err) && wp_app_update_resources(c, rec, err);
    }
    /* back online whatever happened after they went offline */
    wp_err on_err = {0};
    bool online = wp_app_resources_to(c, names, true, &on_err);
    if (ok && !online) {
        *err = on_err;
        ok = false;
    }
    if (ok)
        ok = wp_app_tasks_everywhere(c, sp->name, "sp-files", json_pack("{s:s}", "app", sp->name),
                                     err);
    return ok;
}

bool wp_app_sp_apply(wp_app_cluster *c, const wp_kit *sp, const char *group,
                     const wp_app_rollout_opts *o, wp_err *err)
{
    if (!wp_kit_is_service_pack(sp)) {
        wp_errf(err, WP_E_INVALID, "%s is not a service pack", sp->path);
        wp_err_why(err, "it names no versions it upgrades (upgrades_from) and no upgrade step");
        wp_err_todo(err, "install it with wolfpack app install, or give a service pack kit");
        return false;
    }
    json_t *rec = wp_app_call(c, "app.show", json_pack("{s:s}", "name", sp->name), NULL);
    if (rec) {
        wp_app_sp_plan p;
        bool ok = wp_app_sp_plan_build(c, sp, rec, &p, err);
        size_t others = json_array_size(p.others);
        if (ok && !o->single && (others > 0 || o->plan || o->rollback))
            ok = wp_app_rollout(c, &p, o, err);
        else if (ok)
            ok = upgrade_clustered(c, &p, err);
        if (ok && !o->plan && !o->rollback)
            fprintf(c->out, "OK: applied %s %s to the clustered install in group %s\n", sp->name,
                    sp->version, wp_json_str(p.cur, "group"));
        wp_app_sp_plan_free(&p);
        return ok;
    }
    json_t *local = wp_app_record_load(c->env, sp->name, err);
    if (!local)
        return false;
    json_t *a = choose_group(c, sp->name, group, err);
    bool ok = a && explain_standalone(c, local, a, err);
    json_decref(a);
    json_decref(local);
    return ok;
}
