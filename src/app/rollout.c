/*
 * rollout.c -- a service pack across the cluster, one node at a time, so
 * the application stays available (cluster.h; docs/APP.md), in the way of
 * Windows' Cluster-Aware Updating:
 *
 *   update-target  a node that does not own the group gets the new program
 *                  files (node task sp-files, between the pre/post hooks)
 *   offline        the application's resources are asked to go offline (the
 *                  move stops them; the upgrade waits until they are)
 *   restrict       the group's possible (and preferred) owners become that
 *                  node, so the group cannot go back to an old node
 *   move           the group moves to the updated node (disk, address, name)
 *   upgrade        there: verified backup, the upgrade step once (node task
 *                  sp-upgrade; the backup is restored if it fails)
 *   records        the cluster record says the new version; the resources
 *                  get the new commands
 *   online         the application's resources come online on the new node
 *   update-rest    every other node gets the new files (retries per node;
 *                  more than --max-failed-nodes failures stop the run)
 *   lift           the owner lists are put back
 *
 * A cluster-wide lock (app.lock, holder NODE:PID) keeps two rollouts
 * apart; --force takes it from a holder that is dead, and says so (the
 * lock records "forced").  The steps are a table run by the step runner
 * (steps.h), from the plan sp apply built once (wp_app_sp_plan, sp.c).
 * The state of the rollout is in the cluster
 * database (app.op) after every step, so an interrupted rollout resumes
 * when the same service pack is applied again (--force to take the dead
 * run's lock), or --rollback undoes it from wherever it stopped, after the
 * upgrade step too (the databases come back from the verified backup the
 * upgrade step took, on the node that owns the group: node task
 * sp-restore).  --plan prints the steps and changes nothing.  A report
 * (one line per node) ends every run.  $WOLFPACK_TEST_DIE_AT works as in
 * migrate.c (tests kill a rollout at a step).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "cluster_internal.h"
#include "steps.h"
#include "../lib/clock.h"
#include "../lib/json.h"

typedef struct rollout {
    wp_app_cluster *c;
    wp_app_sp_plan *plan; /* built once by sp apply */
    const wp_kit *sp;
    const wp_app_rollout_opts *o;
    json_t *st;          /* the state (app.op) */
    json_t *report;      /* [{node, what, result}] */
    const json_t *names; /* the application's resources (while the steps run) */
    const json_t *rec;   /* the new version's record (while the steps run) */
} rollout;

static void note(rollout *r, const char *node, const char *what, const char *result)
{
    json_array_append_new(
        r->report, json_pack("{s:s, s:s, s:s}", "node", node, "what", what, "result", result));
}

/* The summary `wolfpack app show` gives of a rollout in progress. */
static void summary(const wp_app_run *run, const char *done, char *out, size_t size)
{
    const rollout *r = run->ctx;
    snprintf(out, size,
             "service pack %s %s: step %s done (apply it again to resume, with --force if the "
             "run that held the lock is dead; or undo it with --rollback)",
             r->sp->name, r->sp->version, done);
}

static json_t *sp_args(rollout *r, const char *kit)
{
    json_t *a = json_pack("{s:s, s:s}", "app", r->sp->name, "kit", kit);
    if (r->o->pre_hook)
        json_object_set_new(a, "pre", json_string(r->o->pre_hook));
    if (r->o->post_hook)
        json_object_set_new(a, "post", json_string(r->o->post_hook));
    return a;
}

/* sp-files on node with retries; the result goes into the report. */
static bool update_node(rollout *r, const char *node, wp_err *err)
{
    json_t *args = sp_args(r, r->sp->dir);
    bool ok = false;
    int tries = 0;
    for (; !ok && tries <= r->o->retries; tries++) {
        if (tries)
            fprintf(r->c->out, "  retrying %s (%d of %d)\n", node, tries, r->o->retries);
        ok = wp_app_task_on(r->c, node, r->sp->name, "sp-files", args, err);
    }
    json_decref(args);
    char result[700];
    snprintf(result, sizeof result, ok ? "updated (%d attempt%s)" : "FAILED after %d attempt%s: %s",
             tries, tries == 1 ? "" : "s", err->what);
    if (!ok)
        snprintf(result + strlen(result), sizeof result - strlen(result), " (%s)", err->why);
    note(r, node, "program files", result);
    fprintf(r->c->out, "  %s: %s\n", node, result);
    return ok;
}

/* The group's current owner and the base resources Online on node. */
static bool group_on(rollout *r, const char *node, const json_t *app_names, wp_err *err)
{
    json_t *g = wp_app_call(r->c, "group.show",
                            json_pack("{s:s}", "name", wp_json_str(r->st, "group")), err);
    json_t *res = g ? wp_app_call(r->c, "resource.list",
                                  json_pack("{s:s}", "group", wp_json_str(r->st, "group")), err)
                    : NULL;
    bool there =
        g && res && wp_json_str(g, "owner") && strcasecmp(wp_json_str(g, "owner"), node) == 0;
    size_t i, j;
    json_t *x, *n;
    json_array_foreach(res, i, x)
    {
        bool is_app = false;
        json_array_foreach(app_names, j, n) is_app =
            is_app || strcasecmp(json_string_value(n), wp_json_str(x, "name")) == 0;
        if (!is_app) /* Online on node (not still on the old owner) */
            there = there && strcmp(wp_json_str(x, "state"), "Online") == 0 &&
                    wp_json_str(x, "node") && strcasecmp(wp_json_str(x, "node"), node) == 0;
        else /* the application stopped (step offline did not wait for it) */
            there = there && strcmp(wp_json_str(x, "state"), "Offline") == 0;
    }
    json_decref(g);
    json_decref(res);
    return there;
}

static bool owner_is(rollout *r, const char *node)
{
    json_t *g = wp_app_call(r->c, "group.show",
                            json_pack("{s:s}", "name", wp_json_str(r->st, "group")), NULL);
    bool is = g && wp_json_str(g, "owner") && strcasecmp(wp_json_str(g, "owner"), node) == 0;
    json_decref(g);
    return is;
}

/* wp_app_wait_for: the group is on the node (group_on). */
typedef struct group_on_watch {
    rollout *r;
    const char *node;
    const json_t *names;
} group_on_watch;

static int group_there(wp_app_cluster *c, void *ctx, wp_err *err)
{
    const group_on_watch *w = ctx;
    if (group_on(w->r, w->node, w->names, err))
        return 1;
    return err->code != WP_OK ? -1 : 0;
}

static bool wait_group_on(rollout *r, const char *node, const json_t *names, wp_err *err)
{
    group_on_watch w = {.r = r, .node = node, .names = names};
    int there = wp_app_wait_for(r->c, group_there, &w, wp_app_task_timeout_s() * 1000, err);
    if (there != 0)
        return there > 0;
    wp_errf(err, WP_E_UNAVAILABLE, "group %s did not come online on %s",
            wp_json_str(r->st, "group"), node);
    wp_err_why(err, "waited for its address, name and disk there");
    wp_err_todo(err, "see wolfpack status; then apply the service pack again to resume");
    return false;
}

/* The group's owner lists; "" resets one to its default (every node). */
static bool set_owners(rollout *r, const char *possible, const char *preferred, wp_err *err)
{
    json_t *pol = json_object();
    json_object_set_new(pol, "possible_owners",
                        possible && *possible ? json_string(possible) : json_null());
    json_object_set_new(pol, "preferred_owners",
                        preferred && *preferred ? json_string(preferred) : json_null());
    return wp_app_change(
        r->c, "group.set",
        json_pack("{s:s, s:o}", "name", wp_json_str(r->st, "group"), "policy", pol), err);
}

/* ---- the steps ---------------------------------------------------------------------- */

/* Ask for the application's resources offline (dependents first) without
 * waiting: the restriction that follows moves the group, and a move stops
 * every resource on the old owner before it starts anything on the new one,
 * so waiting here would only add a round trip to the outage.  The upgrade
 * step waits until they are Offline (group_on). */
static bool request_offline(rollout *r, const json_t *names, wp_err *err)
{
    for (size_t k = json_array_size(names); k-- > 0;)
        if (!wp_app_change(r->c, "resource.offline",
                           json_pack("{s:s}", "name", json_string_value(json_array_get(names, k))),
                           err))
            return false;
    return true;
}

static bool step_update_target(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    return update_node(run->ctx, wp_app_step_node(run, s), err);
}

static bool step_offline(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    const rollout *r = run->ctx;
    return request_offline(run->ctx, r->names, err);
}

static bool step_restrict(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    const char *target = wp_app_step_node(run, s);
    return set_owners(run->ctx, target, target, err);
}

static bool step_move(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    rollout *r = run->ctx;
    const char *target = wp_app_step_node(run, s);
    if (owner_is(r, target) || /* the restriction may have moved it already */
        wp_app_change(r->c, "group.move",
                      json_pack("{s:s, s:s}", "name", wp_json_str(r->st, "group"), "to", target),
                      err))
        return true;
    if (!owner_is(r, target)) /* the move was refused and it is not there */
        return false;
    wp_err_clear(err); /* refused because the restriction had moved it meanwhile */
    return true;
}

/* Retried (the runner): the disk may still be settling on the new owner. */
static bool step_upgrade(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    rollout *r = run->ctx;
    const char *target = wp_app_step_node(run, s);
    json_t *a = json_pack("{s:s, s:s, s:s}", "app", r->sp->name, "kit", r->sp->dir, "backup",
                          wp_json_str(r->st, "backup"));
    long t0 = wp_clock_ms();
    bool ok = wait_group_on(r, target, r->names, err);
    long t1 = wp_clock_ms();
    ok = ok && wp_app_task_on(r->c, target, r->sp->name, "sp-upgrade", a, err);
    if (ok)
        fprintf(r->c->out,
                "  group %s online on %s after %ld ms; backup, verify and upgrade "
                "there took %ld ms\n",
                wp_json_str(r->st, "group"), target, t1 - t0, wp_clock_ms() - t1);
    json_decref(a);
    if (ok || run->attempt + 1 >= run->attempts) /* the last attempt */
        note(r, target, "databases", ok ? "backed up, verified, upgraded once" : "FAILED");
    return ok;
}

static bool step_records(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    rollout *r = run->ctx;
    return wp_app_change(r->c, "app.register",
                         json_pack("{s:s, s:O}", "name", r->sp->name, "record", r->rec), err) &&
           wp_app_update_resources(r->c, r->rec, err);
}

static bool step_online(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    const rollout *r = run->ctx;
    return wp_app_resources_to(r->c, r->names, true, err);
}

static bool step_update_rest(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    rollout *r = run->ctx;
    int failed = 0;
    size_t k;
    json_t *n;
    json_array_foreach(json_object_get(r->st, "rest"), k, n)
    {
        wp_err one = {0};
        if (!update_node(r, json_string_value(n), &one) && ++failed > r->o->max_failed) {
            wp_errf(err, WP_E_IO, "%d node(s) failed, more than --max-failed-nodes %d", failed,
                    r->o->max_failed);
            wp_err_why(err, "the last: %s", one.what);
            wp_err_todo(err, "fix the nodes in the report, then apply the service pack "
                             "again to resume (--force if the lock is held by this dead run)");
            return false;
        }
    }
    return true;
}

static bool step_lift(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    rollout *r = run->ctx;
    return set_owners(r, wp_json_str(r->st, "old_possible"), wp_json_str(r->st, "old_preferred"),
                      err);
}

/* The rollout, step by step (steps.h runs them); "target" in the state is
 * the node updated first, which gets the group. */
static const wp_app_step steps[] = {
    {.name = "update-target",
     .node_key = "target",
     .action = step_update_target,
     .plan = "update the program files on %s (it does not own the group)"},
    {.name = "offline", .action = step_offline, .plan = "take the application's resources offline"},
    {.name = "restrict",
     .node_key = "target",
     .action = step_restrict,
     .plan = "restrict the group's owners to %s"},
    {.name = "move", .node_key = "target", .action = step_move, .plan = "move the group to %s"},
    {.name = "upgrade",
     .node_key = "target",
     .action = step_upgrade,
     .retry = true,
     .retry_fmt = "  retrying the upgrade on %s (%d of %d)\n",
     .plan = "on %s: verified backup, upgrade the databases once"},
    {.name = "records",
     .action = step_records,
     .plan = "record the new version, the resources' new commands"},
    {.name = "online", .action = step_online, .plan = "bring the application's resources online"},
    {.name = "update-rest",
     .node_key = "rest",
     .action = step_update_rest,
     .plan = "update the program files on %s"},
    {.name = "lift", .action = step_lift, .plan = "put the group's owner lists back"},
    {.name = NULL},
};

/* The runner for this rollout's steps. */
static wp_app_run runner(rollout *r)
{
    return (wp_app_run){.c = r->c,
                        .name = r->sp->name,
                        .steps = steps,
                        .st = r->st,
                        .retries = r->o->retries,
                        .ctx = r,
                        .summary = summary};
}

/* ---- plan, start, resume ------------------------------------------------------------ */

static json_t *new_state(rollout *r, wp_err *err)
{
    const json_t *cur = r->plan->cur, *g = r->plan->group, *others = r->plan->others;
    json_t *st = NULL;
    if (json_array_size(others) > 0) {
        char backup[PATH_MAX], dir[PATH_MAX];
        wp_app_path(r->c->env, "/var/lib/wolfpack/app-backups", dir, sizeof dir);
        snprintf(backup, sizeof backup, "%.3900s/%.40s-%.32s-before-%.32s-%lld.tar.zst", dir,
                 r->sp->name, wp_json_str(cur, "version"), r->sp->version, (long long)time(NULL));
        json_t *rest = json_array();
        for (size_t i = 1; i < json_array_size(others); i++)
            json_array_append(rest, json_array_get(others, i));
        json_array_append_new(rest, json_string(wp_json_str(g, "owner")));
        const json_t *pol = json_object_get(g, "policy");
        st = json_pack(
            "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:s, s:s}", "op", "rollout", "app",
            r->sp->name, "from", wp_json_str(cur, "version"), "to", r->sp->version, "kit",
            r->sp->dir, "old_kit", wp_json_str(cur, "kit"), "group", wp_json_str(g, "name"),
            "target", json_string_value(json_array_get(others, 0)), "rest", rest, "old_possible",
            wp_json_str(pol, "possible_owners") ? wp_json_str(pol, "possible_owners") : "",
            "old_preferred",
            wp_json_str(pol, "preferred_owners") ? wp_json_str(pol, "preferred_owners") : "",
            "backup", backup);
    } else {
        wp_errf(err, WP_E_CONFLICT, "no other node is up to update first");
        wp_err_why(err, "a rolling service pack updates a node that does not own group %s first",
                   wp_json_str(cur, "group"));
        wp_err_todo(err, "bring another node up, or apply it in a single run on the owner: "
                         "wolfpack app sp apply SP --single");
    }
    return st;
}

static void print_plan(rollout *r, int from)
{
    const json_t *st = r->st;
    fprintf(r->c->out, "Plan: %s %s -> %s in group %s\n", wp_json_str(st, "app"),
            wp_json_str(st, "from"), wp_json_str(st, "to"), wp_json_str(st, "group"));
    wp_app_run plan = runner(r);
    wp_app_steps_plan(&plan, from, r->c->out);
}

static void print_report(rollout *r)
{
    fprintf(r->c->out, "Report:\n");
    size_t i;
    json_t *x;
    json_array_foreach(r->report, i, x)
        fprintf(r->c->out, "  %-8s %-14s %s\n", wp_json_str(x, "node"), wp_json_str(x, "what"),
                wp_json_str(x, "result"));
}

/* The application lock for this rollout (steps.c). */
static bool take_lock(rollout *r, wp_err *err)
{
    char op[128];
    snprintf(op, sizeof op, "sp %s %s", r->sp->name, r->sp->version);
    return wp_app_lock_take(r->c, r->st, op, r->o->force, err);
}

/* The rollback's program files on node: the old kit's (sp-files). */
static bool old_files_on(rollout *r, const char *node, const char *old_kit, wp_err *err)
{
    json_t *a = json_pack("{s:s, s:s}", "app", r->sp->name, "kit", old_kit);
    bool ok = wp_app_task_on(r->c, node, r->sp->name, "sp-files", a, err);
    json_decref(a);
    if (ok)
        fprintf(r->c->out, "  %s: the old program files are back\n", node);
    return ok;
}

/* After the move (the upgrade may have run): the databases back from the
 * verified backup on the target (node task sp-restore), the upgraded ones
 * kept in an archive beside it. */
static bool restore_databases(rollout *r, const char *old_kit, wp_err *err)
{
    const char *backup = wp_json_str(r->st, "backup");
    char keep[PATH_MAX];
    size_t bl = strlen(backup), sl = strlen(".tar.zst");
    snprintf(keep, sizeof keep, "%.*s-upgraded-rolled-back.tar.zst", (int)(bl > sl ? bl - sl : bl),
             backup);
    json_t *a = json_pack("{s:s, s:s, s:s, s:s, s:s}", "app", r->sp->name, "kit", old_kit, "backup",
                          backup, "from", wp_json_str(r->st, "to"), "keep", keep);
    bool ok = wp_app_task_on(r->c, wp_json_str(r->st, "target"), r->sp->name, "sp-restore", a, err);
    json_decref(a);
    if (ok)
        fprintf(r->c->out,
                "  %s: the databases are those of the verified backup %s; if they had been "
                "upgraded, the upgraded ones (with any write made since) are kept in %s\n",
                wp_json_str(r->st, "target"), backup, keep);
    return ok;
}

/* The cluster record and the resources' commands of the old version. */
static bool old_records(rollout *r, const json_t *cur, const char *old_kit, wp_err *err)
{
    wp_kit *kit = wp_kit_load(old_kit, err);
    json_t *old = kit ? wp_app_sp_record(r->c, kit, cur, err) : NULL;
    bool ok = old &&
              wp_app_change(r->c, "app.register",
                            json_pack("{s:s, s:O}", "name", r->sp->name, "record", old), err) &&
              wp_app_update_resources(r->c, old, err);
    json_decref(old);
    wp_kit_free(kit);
    return ok;
}

/* Undo the rollout from wherever it stopped.  Every part is idempotent and
 * goes by the last recorded step, counting the step after it as possibly
 * done (a kill after a step's work, before its record):
 *   after the move       the databases back from the verified backup
 *   after the upgrade    the old cluster record and resource commands
 *   always               the old program files on the target, the owner
 *                        lists back
 *   after the online     the old program files on the other nodes
 * and the resources online. */
static bool roll_back(rollout *r, const json_t *cur, wp_err *err)
{
    int done = wp_app_steps_index(steps, wp_json_str(r->st, "step"));
    const char *old_kit =
        wp_json_str(r->st, "old_kit") ? wp_json_str(r->st, "old_kit") : wp_json_str(cur, "kit");
    if (done >= 4 && !wp_json_str(r->st, "old_kit")) {
        wp_errf(err, WP_E_CONFLICT, "this rollout does not record the old version's kit");
        wp_err_why(err, "it was started by an older wolfpack; its upgrade step ran");
        wp_err_todo(err, "apply the service pack again to finish the rollout");
        return false;
    }
    const json_t *names = r->plan->names;
    bool ok = done < 3 || wp_app_resources_to(r->c, names, false, err);
    ok = ok && (done < 3 || restore_databases(r, old_kit, err));
    ok = ok && (done < 4 || old_records(r, cur, old_kit, err));
    ok = ok && old_files_on(r, wp_json_str(r->st, "target"), old_kit, err);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(r->st, "rest"), i, n) ok =
        ok && (done < 6 || old_files_on(r, json_string_value(n), old_kit, err));
    ok = ok &&
         set_owners(r, wp_json_str(r->st, "old_possible"), wp_json_str(r->st, "old_preferred"),
                    err) &&
         wp_app_resources_to(r->c, names, true, err);
    wp_app_run over = runner(r);
    ok = ok && wp_app_steps_end(&over, err);
    if (ok)
        fprintf(r->c->out, "OK: rolled back the service pack; %s %s runs as before\n", r->sp->name,
                wp_json_str(r->st, "from"));
    return ok;
}

static bool run(rollout *r, wp_err *err)
{
    r->names = r->plan->names;
    r->rec = wp_app_sp_plan_record(r->c, r->plan, err);
    wp_app_run steps_run = runner(r);
    return r->rec && wp_app_steps_run(&steps_run, err) && wp_app_steps_end(&steps_run, err);
}

bool wp_app_rollout(wp_app_cluster *c, wp_app_sp_plan *p, const wp_app_rollout_opts *o, wp_err *err)
{
    const wp_kit *sp = p->sp;
    const json_t *cur = p->cur;
    rollout r = {.c = c, .plan = p, .sp = sp, .o = o, .report = json_array()};
    bool ok = wp_app_op_load(c, sp->name, &r.st, err);
    bool resume = ok && r.st;
    const char *op = wp_json_str(r.st, "op"), *to = wp_json_str(r.st, "to");
    if (resume && (!op || strcmp(op, "rollout") != 0 || !to || strcmp(to, sp->version) != 0)) {
        ok = wp_app_op_busy(sp->name, r.st, "finish it (or roll it back) first", err);
    } else if (ok && !resume && o->rollback) {
        wp_errf(err, WP_E_NOTFOUND, "no rollout of %s is in progress", sp->name);
        wp_err_why(err, "the cluster database records none");
        wp_err_todo(err, "nothing to roll back");
        ok = false;
    } else if (ok && !resume) {
        r.st = wp_app_version_ok(sp, wp_json_str(cur, "version"), err) ? new_state(&r, err) : NULL;
        ok = r.st != NULL;
    }
    if (ok && o->plan) {
        print_plan(&r, resume ? wp_app_steps_index(steps, wp_json_str(r.st, "step")) + 1 : 0);
        json_decref(r.st);
        json_decref(r.report);
        return true;
    }
    if (ok && resume)
        fprintf(c->out, "%s the service pack %s %s after step %s\n",
                o->rollback ? "Rolling back" : "Resuming", sp->name, sp->version,
                wp_json_str(r.st, "step") ? wp_json_str(r.st, "step") : "(none)");
    bool locked = ok && take_lock(&r, err);
    ok = locked;
    wp_app_run begin = runner(&r);
    if (ok && !resume)
        ok = wp_app_steps_begin(&begin, err);
    if (ok)
        ok = o->rollback ? roll_back(&r, cur, err) : run(&r, err);
    if (locked)
        wp_app_lock_release(r.c, r.st);
    if (!o->rollback && json_array_size(r.report))
        print_report(&r);
    if (!ok && locked && !o->rollback)
        fprintf(c->out,
                "The rollout stopped. Resume: wolfpack app sp apply %s; undo (the databases "
                "from the backup taken before the upgrade): wolfpack app sp apply %s --rollback\n",
                sp->dir, sp->dir);
    json_decref(r.st);
    json_decref(r.report);
    return ok;
}
