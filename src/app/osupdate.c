/*
 * osupdate.c -- `wolfpack cluster update`: the operating system's packages
 * updated node by node while the groups keep running (osupdate.h, issue
 * #19, docs/OPERATIONS.md "Updating the operating system"), in the way of
 * Windows' Cluster-Aware Updating.  For each node, in the plan's order
 * (the nodes that own the fewest groups first, the node running the update
 * last), one table of steps on the step runner (steps.h):
 *
 *   drain    node.drain: the node is paused and its groups move by their
 *            policies; waited for until it owns none
 *   update   node task os-update there (osupdate_task.c): the command
 *            between the pre- and post-update hooks (retried --retries
 *            times), the
 *            packages changed; a failure pauses the node for good (with
 *            the reason in the report) and, past --max-failed-nodes, stops
 *   reboot   when /run/reboot-required exists (or --reboot always): node
 *            task os-reboot, or $WOLFPACK_REBOOT_COMMAND run here
 *   healthy  the node a member again, the cluster quorate and the
 *            database transfer of its rejoin over (synced)
 *   resume   node.resume (its groups fail back by their policies)
 *
 * then the state moves on to the next node.  The state (app.op
 * "os-update") is written after every step, so a run resumes after the
 * node running it dies: `wolfpack cluster update` again on any node
 * (--force takes the dead run's lock).  The report (packages, time
 * drained, result per node) is printed at the end and kept in the cluster
 * database (app.op "os-update-report", so also in `wolfpack history`).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "osupdate.h"
#include "cluster_internal.h"
#include "steps.h"
#include "../lib/clock.h"
#include "../lib/json.h"

#define HEALTHY_WAIT_S 900 /* a reboot's limit: BIOS, fsck, corosync */

typedef struct osupdate {
    wp_app_cluster *c;
    const wp_osupdate_opts *o;
    json_t *st; /* the state (app.op os-update) */
} osupdate;

static void summary(const wp_app_run *run, const char *done, char *out, size_t size)
{
    const osupdate *u = run->ctx;
    snprintf(out, size,
             "OS update: node %s, step %s done (run 'wolfpack cluster update' again to resume, "
             "with --force if the run that held the lock is dead; or --abort)",
             wp_json_str(u->st, "node"), done);
}

/* ---- the cluster's view ----------------------------------------------------------- */

/* The status (nodes, groups, members, quorate), or NULL with err. */
static json_t *status_of(wp_app_cluster *c, wp_err *err)
{
    return wp_app_call(c, "status", NULL, err);
}

static const json_t *node_in(const json_t *st, const char *node)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(st, "nodes"), i,
                       n) if (strcasecmp(wp_json_str(n, "name"), node) == 0) return n;
    return NULL;
}

static bool is_member(const json_t *st, const char *node)
{
    const json_t *n = node_in(st, node);
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(st, "members"), i,
                       m) if (n && json_integer_value(m) ==
                                       json_integer_value(json_object_get(n, "id"))) return true;
    return false;
}

/* The groups node owns, "a, b" into out; their number. */
static int groups_on(const json_t *st, const char *node, char *out, size_t size)
{
    int count = 0;
    size_t i;
    json_t *g;
    out[0] = '\0';
    json_array_foreach(json_object_get(st, "groups"), i, g)
    {
        const char *owner = wp_json_str(g, "owner");
        if (!owner || strcasecmp(owner, node) != 0)
            continue;
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", count++ ? ", " : "", wp_json_str(g, "name"));
    }
    return count;
}

/* ---- the report -------------------------------------------------------------------- */

static json_t *report_of(osupdate *u, const char *node)
{
    json_t *report = json_object_get(u->st, "report");
    size_t i;
    json_t *x;
    json_array_foreach(report, i, x) if (strcasecmp(wp_json_str(x, "node"), node) == 0) return x;
    x = json_pack("{s:s, s:s, s:s}", "node", node, "packages", "", "result", "not updated");
    json_array_append_new(report, x);
    return x;
}

static void print_report(osupdate *u)
{
    wp_osupdate_report_print(json_object_get(u->st, "report"), u->c->out);
}

/* The report's packages of a node: the changes of the result (an array of
 * "PKG FROM -> TO") after those of an earlier attempt.  One string, so the
 * state stays flat (replies nest at most 8 levels, the history included). */
static void add_packages(json_t *rep, const json_t *changes)
{
    char text[2000];
    const char *before = wp_json_str(rep, "packages");
    snprintf(text, sizeof text, "%s", before ? before : "");
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c)
    {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "%s%s", len ? ", " : "", json_string_value(c));
    }
    json_object_set_new(rep, "packages", json_string(text));
}

/* ---- the steps ---------------------------------------------------------------------- */

/* wp_app_wait_for: node owns no group, and the groups that were Online
 * on it (the state's "moving") are Online again elsewhere. */
typedef struct drain_watch {
    const char *node;
    const json_t *moving;
} drain_watch;

static int drained(wp_app_cluster *c, void *ctx, wp_err *err)
{
    const drain_watch *w = ctx;
    json_t *st = status_of(c, err);
    if (!st)
        return -1;
    char names[1024];
    int left = groups_on(st, w->node, names, sizeof names);
    size_t i, k;
    json_t *g, *m;
    json_array_foreach(json_object_get(st, "groups"), i, g)
    {
        json_array_foreach(w->moving, k,
                           m) if (strcmp(json_string_value(m), wp_json_str(g, "name")) == 0 &&
                                  strcmp(wp_json_str(g, "state") ? wp_json_str(g, "state") : "",
                                         "Online") != 0) left++;
    }
    json_decref(st);
    return left == 0;
}

/* The names of the groups Online on node (a new array). */
static json_t *online_on(const json_t *st, const char *node)
{
    json_t *names = json_array();
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(st, "groups"), i, g)
    {
        const char *owner = wp_json_str(g, "owner"), *state = wp_json_str(g, "state");
        if (owner && strcasecmp(owner, node) == 0 && state && strcmp(state, "Online") == 0)
            json_array_append_new(names, json_string(wp_json_str(g, "name")));
    }
    return names;
}

static bool step_drain(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    osupdate *u = run->ctx;
    const char *node = wp_app_step_node(run, s);
    json_t *st = status_of(u->c, err);
    const json_t *n = st ? node_in(st, node) : NULL;
    if (n && !json_object_get(u->st, "drained_at")) { /* first attempt: was it paused before? */
        json_object_set_new(u->st, "was_paused",
                            json_boolean(json_is_true(json_object_get(n, "paused"))));
        json_object_set_new(u->st, "drained_at", json_integer(time(NULL)));
        json_object_set_new(u->st, "moving", online_on(st, node));
    }
    json_decref(st);
    if (st && !n) {
        wp_errf(err, WP_E_NOTFOUND, "node %s is not in the cluster any more", node);
        wp_err_why(err, "the cluster database has no such node");
        wp_err_todo(err, "end the run with 'wolfpack cluster update --abort' and start a new one");
    }
    if (!n)
        return false;
    if (!wp_app_change(u->c, "node.drain", json_pack("{s:s}", "name", node), err))
        return false;
    drain_watch w = {.node = node, .moving = json_object_get(u->st, "moving")};
    int r = wp_app_wait_for(u->c, drained, &w, wp_app_task_timeout_s() * 1000, err);
    if (r > 0)
        return true;
    if (r == 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "node %s did not drain", node);
        wp_err_why(err,
                   "it still owns a group, or a group it ran is not Online elsewhere, after %ld s",
                   wp_app_task_timeout_s());
        wp_err_todo(err, "see wolfpack status; then run 'wolfpack cluster update' again to resume");
    }
    return false;
}

/* The node's result (app.op os-update-NODE), deleted once read. */
static json_t *take_result(osupdate *u, const char *node)
{
    char key[128];
    wp_osupdate_result_key(node, key, sizeof key);
    json_t *r = NULL;
    wp_err ignored = {0};
    if (wp_app_op_load(u->c, key, &r, &ignored) && r)
        wp_app_change(u->c, "app.op", json_pack("{s:s}", "name", key), NULL);
    return r;
}

static int failed_count(osupdate *u)
{
    return (int)json_object_size(json_object_get(u->st, "failed"));
}

/* The command a node runs: the pre-update hook, the update command, the
 * post-update hook, each only after the one before succeeded. */
static json_t *node_command(const osupdate *u)
{
    const char *pre = wp_json_str(u->st, "pre_hook"), *post = wp_json_str(u->st, "post_hook");
    return json_sprintf("%s%s%s(%s)%s%s%s", pre ? "(" : "", pre ? pre : "", pre ? ") && " : "",
                        wp_json_str(u->st, "command"), post ? " && (" : "", post ? post : "",
                        post ? ")" : "");
}

/* Retried (the runner, --retries): a failure is recorded on the last attempt. */
static bool step_update(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    osupdate *u = run->ctx;
    const char *node = wp_app_step_node(run, s);
    json_t *args = json_pack("{s:s, s:o}", "app", WP_OSUPDATE_OP, "command", node_command(u));
    json_int_t limit = json_integer_value(json_object_get(u->st, "node_timeout_s"));
    bool ok = wp_app_task_on_for(u->c, node, WP_OSUPDATE_OP, "os-update", args,
                                 limit > 0 ? (long)limit : WP_OSUPDATE_NODE_TIMEOUT_S, err);
    json_decref(args);
    json_t *res = take_result(u, node), *rep = report_of(u, node);
    add_packages(rep, json_object_get(res, "packages"));
    json_object_set_new(u->st, "reboot_required",
                        json_boolean(json_is_true(json_object_get(res, "reboot_required"))));
    if (wp_json_str(res, "boot_id")) /* to tell, on a resume, whether it rebooted since */
        json_object_set_new(u->st, "boot_id", json_string(wp_json_str(res, "boot_id")));
    json_decref(res);
    json_t *failed = json_object_get(u->st, "failed");
    if (!ok && run->attempt + 1 < run->attempts) { /* the runner tries again */
        fprintf(u->c->out, "  %s: the update failed: %s: %s\n", node, err->what, err->why);
        return false;
    }
    if (ok) {
        json_object_del(failed, node);
        json_object_set_new(rep, "result", json_string("updated"));
        return true;
    }
    char reason[1400];
    snprintf(reason, sizeof reason, "%s: %s", err->what, err->why);
    json_object_set_new(failed, node, json_string(reason));
    json_object_set_new(rep, "result", json_sprintf("FAILED, left paused: %s", reason));
    fprintf(u->c->out, "  %s: the update failed; the node stays paused: %s\n", node, reason);
    if (failed_count(u) > u->o->max_failed) {
        wp_errf(err, WP_E_IO, "%d node(s) failed, more than --max-failed-nodes %d", failed_count(u),
                u->o->max_failed);
        wp_err_why(err, "the last, %s: %s", node, reason);
        wp_err_todo(err,
                    "fix %s (it stays paused), then run 'wolfpack cluster update' again to "
                    "resume, or end the run with --abort",
                    node);
        return false;
    }
    wp_err_clear(err);
    json_object_set_new(u->st, "skip", json_true()); /* on to the next node, this one paused */
    return true;
}

/* $WOLFPACK_REBOOT_COMMAND through /bin/sh here, WOLFPACK_NODE=node. */
static bool reboot_hook(osupdate *u, const char *hook, const char *node, wp_err *err)
{
    fprintf(u->c->out, "  rebooting %s: %s\n", node, hook);
    fflush(u->c->out);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("WOLFPACK_NODE", node, 1);
        execl("/bin/sh", "sh", "-c", hook, (char *)NULL);
        _exit(127);
    }
    int ws = 0;
    bool ok = pid > 0 && waitpid(pid, &ws, 0) == pid && WIFEXITED(ws) && WEXITSTATUS(ws) == 0;
    if (!ok) {
        wp_errf(err, WP_E_IO, "the reboot command for %s failed", node);
        wp_err_why(err, "%s %s (status 0x%x)", WP_OSUPDATE_REBOOT_ENV, hook, ws);
        wp_err_todo(err, "reboot %s by hand, then run 'wolfpack cluster update' again", node);
    }
    return ok;
}

static int gone(wp_app_cluster *c, void *ctx, wp_err *err)
{
    json_t *st = status_of(c, err);
    int r = st ? !is_member(st, ctx) : -1;
    json_decref(st);
    return r;
}

static bool reboot_wanted(osupdate *u)
{
    const char *mode = wp_json_str(u->st, "reboot");
    if (json_is_true(json_object_get(u->st, "skip")) || strcmp(mode, "never") == 0)
        return false;
    return strcmp(mode, "always") == 0 || json_is_true(json_object_get(u->st, "reboot_required"));
}

/* The node's current result of a no-op update (the command `true`, no
 * hooks): its boot id and whether /run/reboot-required is there; NULL
 * with err when the task fails. */
static json_t *probe(osupdate *u, const char *node, wp_err *err)
{
    json_t *args = json_pack("{s:s, s:s}", "app", WP_OSUPDATE_OP, "command", "true");
    bool ok = wp_app_task_on(u->c, node, WP_OSUPDATE_OP, "os-update", args, err);
    json_decref(args);
    json_t *res = take_result(u, node);
    if (ok && res)
        return res;
    json_decref(res);
    if (ok) {
        wp_errf(err, WP_E_IO, "%s did not report whether it rebooted", node);
        wp_err_why(err, "its os-update task recorded no result");
        wp_err_todo(err, "run 'wolfpack cluster update' again");
    }
    return NULL;
}

static int back(wp_app_cluster *c, void *ctx, wp_err *err);

/* A run that died after asking for node's reboot: wait for the node to be
 * back, then ask it whether it rebooted since its update (another boot id,
 * or, with --reboot auto, no /run/reboot-required any more).  true with
 * *rebooted; false with err. */
static bool reboot_was_done(osupdate *u, const char *node, bool *rebooted, wp_err *err)
{
    fprintf(u->c->out,
            "  the run that stopped had asked %s to reboot: waiting for it to be back, "
            "then checking that it rebooted\n",
            node);
    fflush(u->c->out);
    int r = wp_app_wait_for(u->c, back, (void *)node, HEALTHY_WAIT_S * 1000L, err);
    if (r == 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "%s did not come back into the cluster", node);
        wp_err_why(err, "it is not a member of a quorate cluster after %d s", HEALTHY_WAIT_S);
        wp_err_todo(err, "look at the node's console; once it is back, run 'wolfpack cluster "
                         "update' again to resume");
    }
    json_t *res = r > 0 ? probe(u, node, err) : NULL;
    if (!res)
        return false;
    const char *before = wp_json_str(u->st, "boot_id"), *now = wp_json_str(res, "boot_id");
    bool other_boot = before && now && *before && *now && strcmp(before, now) != 0;
    *rebooted = other_boot || (strcmp(wp_json_str(u->st, "reboot"), "auto") == 0 &&
                               !json_is_true(json_object_get(res, "reboot_required")));
    json_decref(res);
    fprintf(u->c->out, "  %s %s\n", node,
            *rebooted ? "rebooted" : "did not reboot (as far as it can tell): asking again");
    return true;
}

static bool ask_reboot(osupdate *u, const char *node, wp_err *err)
{
    const char *hook = getenv(WP_OSUPDATE_REBOOT_ENV);
    if (hook && *hook)
        return reboot_hook(u, hook, node, err);
    json_t *args = json_pack("{s:s}", "app", WP_OSUPDATE_OP);
    bool ok = wp_app_task_on(u->c, node, WP_OSUPDATE_OP, "os-reboot", args, err);
    json_decref(args);
    fprintf(u->c->out, "  rebooting %s\n", node);
    int r =
        ok ? wp_app_wait_for(u->c, gone, (void *)node, wp_app_task_timeout_s() * 1000, err) : -1;
    if (r == 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "%s did not go down to reboot", node);
        wp_err_why(err, "it is still a member after %ld s", wp_app_task_timeout_s());
        wp_err_todo(err, "reboot it by hand, then run 'wolfpack cluster update' again");
    }
    return r > 0;
}

/* The reboot is recorded as asked before it is (reboot_asked, saved): a
 * run resumed after the one asking died checks whether the node rebooted
 * instead of rebooting it again; a reboot that failed is asked again. */
static bool step_reboot(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    osupdate *u = run->ctx;
    const char *node = wp_app_step_node(run, s), *hook = getenv(WP_OSUPDATE_REBOOT_ENV);
    if (!reboot_wanted(u))
        return true;
    json_object_set_new(report_of(u, node), "rebooted", json_true());
    if (json_is_true(json_object_get(u->st, "reboot_asked"))) {
        bool rebooted = false;
        if (!reboot_was_done(u, node, &rebooted, err))
            return false;
        if (rebooted)
            return true;
    }
    if (!(hook && *hook) && strcasecmp(node, u->c->node) == 0) {
        wp_errf(err, WP_E_CONFLICT, "%s, the node running the update, must reboot", node);
        wp_err_why(err, "it cannot wait for itself to come back");
        wp_err_todo(err,
                    "run 'wolfpack cluster update' again on another node: it reboots %s "
                    "and finishes the run",
                    node);
        return false;
    }
    json_object_set_new(u->st, "reboot_asked", json_true());
    if (!wp_app_steps_begin(run, err)) /* recorded before it is asked */
        return false;
    bool ok = ask_reboot(u, node, err);
    if (!ok)
        json_object_del(u->st, "reboot_asked"); /* saved when the run stops */
    return ok;
}

static int back(wp_app_cluster *c, void *ctx, wp_err *err)
{
    json_t *st = status_of(c, err);
    const char *sync = wp_json_str(st, "sync"); /* its rejoin's database transfer done */
    int r = st ? is_member(st, ctx) && json_is_true(json_object_get(st, "quorate")) &&
                     (!sync || strcmp(sync, "synced") == 0)
               : -1;
    json_decref(st);
    return r;
}

static bool step_healthy(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    osupdate *u = run->ctx;
    const char *node = wp_app_step_node(run, s);
    if (json_is_true(json_object_get(u->st, "skip")))
        return true;
    int r = wp_app_wait_for(u->c, back, (void *)node, HEALTHY_WAIT_S * 1000L, err);
    if (r == 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "%s did not come back into the cluster", node);
        wp_err_why(err, "it is not a member of a quorate cluster after %d s", HEALTHY_WAIT_S);
        wp_err_todo(err, "look at the node's console; once it is back, run 'wolfpack cluster "
                         "update' again to resume");
    }
    return r > 0;
}

static bool step_resume(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    osupdate *u = run->ctx;
    const char *node = wp_app_step_node(run, s);
    json_t *rep = report_of(u, node);
    if (json_is_true(json_object_get(u->st, "skip")))
        return true;
    bool was_paused = json_is_true(json_object_get(u->st, "was_paused"));
    if (!was_paused && !wp_app_change(u->c, "node.resume", json_pack("{s:s}", "name", node), err))
        return false;
    json_int_t at = json_integer_value(json_object_get(u->st, "drained_at"));
    json_object_set_new(rep, "drained_s", json_integer(at ? (json_int_t)time(NULL) - at : 0));
    if (json_is_true(json_object_get(rep, "rebooted")))
        json_object_set_new(rep, "result", json_string("updated, rebooted"));
    if (was_paused)
        fprintf(u->c->out, "  %s was paused before the update: it stays paused\n", node);
    return true;
}

static const wp_app_step steps[] = {
    {.name = "drain",
     .node_key = "node",
     .action = step_drain,
     .plan = "drain %s (pause it; its groups move by their policies)"},
    {.name = "update",
     .node_key = "node",
     .action = step_update,
     .retry = true,
     .retry_fmt = "  retrying the update on %s (%d of %d)\n",
     .plan = "run the update command on %s"},
    {.name = "reboot",
     .node_key = "node",
     .action = step_reboot,
     .plan = "reboot %s if it needs it (/run/reboot-required) or --reboot always"},
    {.name = "healthy",
     .node_key = "node",
     .action = step_healthy,
     .plan = "wait until %s is a member again, the cluster quorate and its database in sync"},
    {.name = "resume",
     .node_key = "node",
     .action = step_resume,
     .plan = "resume %s (its groups fail back by their policies)"},
    {.name = NULL},
};

static wp_app_run runner(osupdate *u)
{
    return (wp_app_run){.c = u->c,
                        .name = WP_OSUPDATE_OP,
                        .steps = steps,
                        .st = u->st,
                        .retries = (int)json_integer_value(json_object_get(u->st, "retries")),
                        .ctx = u,
                        .summary = summary};
}

/* ---- plan, start, resume, abort ------------------------------------------------------ */

/* The up nodes, the fewest groups first (then by name), this node last;
 * nodes that are down go into the report as not updated. */
static json_t *node_order(osupdate *u, json_t *report, wp_err *err)
{
    json_t *st = status_of(u->c, err);
    if (!st)
        return NULL;
    json_t *order = json_array();
    size_t i, k;
    json_t *n;
    json_array_foreach(json_object_get(st, "nodes"), i, n)
    {
        const char *name = wp_json_str(n, "name");
        char names[512];
        int count = groups_on(st, name, names, sizeof names);
        if (!is_member(st, name)) {
            json_array_append_new(report, json_pack("{s:s, s:s, s:s}", "node", name, "packages", "",
                                                    "result", "not updated: down"));
            continue;
        }
        if (strcasecmp(name, u->c->node) == 0)
            count = 1 << 20; /* last */
        for (k = 0; k < json_array_size(order); k++)
            if (count < json_integer_value(json_object_get(json_array_get(order, k), "n")))
                break;
        json_array_insert_new(order, k, json_pack("{s:s, s:i}", "name", name, "n", count));
    }
    json_t *names = json_array();
    json_array_foreach(order, i, n)
        json_array_append_new(names, json_string(wp_json_str(n, "name")));
    json_decref(order);
    json_decref(st);
    return names;
}

static json_t *new_state(osupdate *u, wp_err *err)
{
    json_t *report = json_array();
    json_t *nodes = node_order(u, report, err);
    if (!nodes || json_array_size(nodes) < 2) {
        if (nodes) {
            wp_errf(err, WP_E_CONFLICT, "no other node is up to take the groups");
            wp_err_why(err, "an update node by node drains each node to the nodes that stay up");
            wp_err_todo(err, "bring another node up first");
        }
        json_decref(nodes);
        json_decref(report);
        return NULL;
    }
    json_int_t limit = u->o->node_timeout_s > 0 ? u->o->node_timeout_s : WP_OSUPDATE_NODE_TIMEOUT_S;
    json_t *st = json_pack(
        "{s:s, s:s, s:s, s:i, s:I, s:i, s:o, s:s, s:i, s:{}, s:o}", "op", WP_OSUPDATE_OP, "command",
        u->o->command ? u->o->command : WP_OSUPDATE_DEFAULT_COMMAND, "reboot",
        u->o->reboot ? u->o->reboot : "auto", "max_failed", u->o->max_failed, "node_timeout_s",
        limit, "retries", u->o->retries, "nodes", nodes, "node",
        json_string_value(json_array_get(nodes, 0)), "index", 0, "failed", "report", report);
    if (st)
        json_object_set_new(st, "started_at", json_integer(time(NULL)));
    if (st && u->o->pre_hook)
        json_object_set_new(st, "pre_hook", json_string(u->o->pre_hook));
    if (st && u->o->post_hook)
        json_object_set_new(st, "post_hook", json_string(u->o->post_hook));
    if (!st) {
        wp_errf(err, WP_E_INVALID, "cannot record the OS update's plan");
        wp_err_why(err, "a command or hook is not valid UTF-8 text");
        wp_err_todo(err, "give the commands as UTF-8 text");
    }
    return st;
}

static void print_plan(osupdate *u)
{
    json_t *st = status_of(u->c, NULL);
    if (wp_json_str(u->st, "pre_hook") || wp_json_str(u->st, "post_hook"))
        fprintf(u->c->out, "  pre-update hook: %s\n  post-update hook: %s\n",
                wp_json_str(u->st, "pre_hook") ? wp_json_str(u->st, "pre_hook") : "none",
                wp_json_str(u->st, "post_hook") ? wp_json_str(u->st, "post_hook") : "none");
    fprintf(u->c->out,
            "Plan: update the operating system node by node\n  command: %s\n  reboot: %s\n"
            "  limit per node: %lld s; retries: %lld; stop after more than %lld failed "
            "node(s)\n",
            wp_json_str(u->st, "command"), wp_json_str(u->st, "reboot"),
            (long long)json_integer_value(json_object_get(u->st, "node_timeout_s")),
            (long long)json_integer_value(json_object_get(u->st, "retries")),
            (long long)json_integer_value(json_object_get(u->st, "max_failed")));
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(u->st, "nodes"), i, n)
    {
        char names[1024];
        const char *name = json_string_value(n);
        int count = st ? groups_on(st, name, names, sizeof names) : 0;
        bool done = (json_int_t)i < json_integer_value(json_object_get(u->st, "index"));
        fprintf(u->c->out, "  %zu. %s%s: %s\n", i + 1, name,
                strcasecmp(name, u->c->node) == 0 ? " (this node)" : "",
                done ? "done" : "drain, update, reboot if needed, wait, resume");
        if (!done && count)
            fprintf(u->c->out, "       its groups move away and back by their policies: %s\n",
                    names);
    }
    const char *key;
    json_t *why;
    json_object_foreach(json_object_get(u->st, "failed"), key, why)
        fprintf(u->c->out, "  failed, left paused: %s: %s\n", key, json_string_value(why));
    json_decref(st);
}

/* The steps for every node from the state's on; true when all are done. */
static bool run_nodes(osupdate *u, wp_err *err)
{
    const json_t *nodes = json_object_get(u->st, "nodes");
    for (;;) {
        fprintf(u->c->out, "Node %s (%lld of %zu)\n", wp_json_str(u->st, "node"),
                (long long)json_integer_value(json_object_get(u->st, "index")) + 1,
                json_array_size(nodes));
        wp_app_run run = runner(u);
        if (!wp_app_steps_run(&run, err))
            return false;
        json_int_t next = json_integer_value(json_object_get(u->st, "index")) + 1;
        if ((size_t)next >= json_array_size(nodes))
            return true;
        static const char *const per_node[] = {
            "step",   "skip",    "drained_at",   "was_paused", "reboot_required",
            "moving", "boot_id", "reboot_asked", NULL};
        for (const char *const *k = per_node; *k; k++)
            json_object_del(u->st, *k);
        json_object_set_new(u->st, "index", json_integer(next));
        json_object_set_new(u->st, "node",
                            json_string(json_string_value(json_array_get(nodes, (size_t)next))));
        if (!wp_app_steps_begin(&run, err)) /* one write: the next node, no step done */
            return false;
    }
}

/* The end of a run: the report kept in the cluster database (result: done,
 * done with failed nodes, or aborted), the state gone. */
static bool finish(osupdate *u, const char *result, wp_err *err)
{
    json_t *kept =
        json_pack("{s:I, s:I, s:s, s:O, s:O}", "started_at",
                  json_integer_value(json_object_get(u->st, "started_at")), "finished_at",
                  (json_int_t)time(NULL), "result", result, "nodes",
                  json_object_get(u->st, "report"), "failed", json_object_get(u->st, "failed"));
    wp_app_run run = runner(u);
    return wp_app_change(u->c, "app.op",
                         json_pack("{s:s, s:o}", "name", WP_OSUPDATE_OP "-report", "state", kept),
                         err) &&
           wp_app_steps_end(&run, err);
}

/* --abort: a run that is still going holds the lock (stop it first); a
 * dead one's lock is taken with --force. */
static bool abort_run(osupdate *u, wp_err *err)
{
    if (!wp_app_lock_take(u->c, u->st, "cluster update", u->o->force, err))
        return false;
    char result[200];
    snprintf(result, sizeof result, "aborted at node %s", wp_json_str(u->st, "node"));
    bool ok = finish(u, result, err);
    wp_app_lock_release(u->c, u->st);
    if (ok)
        fprintf(u->c->out,
                "Aborted the OS update at node %s (last step done: %s). %s is left as it is "
                "(paused if it was drained): check it, then 'wolfpack node resume %s'.\n",
                wp_json_str(u->st, "node"),
                wp_json_str(u->st, "step") ? wp_json_str(u->st, "step") : "none",
                wp_json_str(u->st, "node"), wp_json_str(u->st, "node"));
    return ok;
}

static bool load_state(osupdate *u, bool *resume, wp_err *err)
{
    if (!wp_app_op_load(u->c, WP_OSUPDATE_OP, &u->st, err))
        return false;
    *resume = u->st != NULL;
    if (u->st) {
        const char *reboot = u->o->reboot;
        if (u->o->command || reboot || u->o->node_timeout_s || u->o->pre_hook || u->o->post_hook ||
            u->o->retries)
            fprintf(u->c->out, "note: resuming: the run keeps its own command, hooks, reboot "
                               "mode, retries and limit per node\n");
        json_object_set_new(u->st, "max_failed", json_integer(u->o->max_failed));
        return true;
    }
    if (u->o->abort) {
        wp_errf(err, WP_E_NOTFOUND, "no OS update is in progress");
        wp_err_why(err, "the cluster database records none");
        wp_err_todo(err, "nothing to abort");
        return false;
    }
    u->st = new_state(u, err);
    return u->st != NULL;
}

/* --report: the run's report so far while one is recorded, else the last
 * run's kept one; as JSON with --json. */
static bool show_report(wp_app_cluster *c, bool as_json, wp_err *err)
{
    json_t *st = NULL, *kept = NULL;
    if (!wp_app_op_load(c, WP_OSUPDATE_OP, &st, err) ||
        (!st && !wp_app_op_load(c, WP_OSUPDATE_OP "-report", &kept, err)))
        return false;
    if (!st && !kept) {
        wp_errf(err, WP_E_NOTFOUND, "no OS update report");
        wp_err_why(err, "no OS update has run on this cluster (or none since its database began)");
        wp_err_todo(err, "run 'wolfpack cluster update'");
        return false;
    }
    json_t *shown =
        st ? json_pack("{s:s, s:O?, s:O?, s:O?}", "result", "in progress", "started_at",
                       json_object_get(st, "started_at"), "nodes", json_object_get(st, "report"),
                       "failed", json_object_get(st, "failed"))
           : json_incref(kept);
    if (as_json) {
        json_dumpf(shown, c->out, JSON_INDENT(2) | JSON_SORT_KEYS); /* as wp_cli_print_json */
        fputc('\n', c->out);
    } else {
        time_t at = (time_t)json_integer_value(json_object_get(shown, "finished_at"));
        char when[40] = "";
        struct tm tm;
        if (at && localtime_r(&at, &tm))
            strftime(when, sizeof when, ", ended %Y-%m-%d %H:%M:%S", &tm);
        fprintf(c->out, "OS update: %s%s\n", wp_json_str_or(shown, "result", "ended"), when);
        wp_osupdate_report_print(json_object_get(shown, "nodes"), c->out);
    }
    json_decref(shown);
    json_decref(st);
    json_decref(kept);
    return true;
}

bool wp_osupdate(wp_app_cluster *c, const wp_osupdate_opts *o, wp_err *err)
{
    osupdate u = {.c = c, .o = o};
    if (o->report)
        return show_report(c, o->json, err);
    bool resume = false;
    bool ok = load_state(&u, &resume, err);
    if (ok && o->plan) {
        print_plan(&u);
        if (resume)
            fprintf(c->out, "  (in progress: %s)\n", wp_json_str(u.st, "summary"));
        json_decref(u.st);
        return true;
    }
    if (ok && o->abort) {
        ok = abort_run(&u, err);
        json_decref(u.st);
        return ok;
    }
    if (ok && resume)
        fprintf(c->out, "Resuming the OS update at node %s after step %s\n",
                wp_json_str(u.st, "node"),
                wp_json_str(u.st, "step") ? wp_json_str(u.st, "step") : "(none)");
    bool locked = ok && wp_app_lock_take(u.c, u.st, "cluster update", o->force, err);
    wp_app_run begin = runner(&u);
    ok = locked && (resume || wp_app_steps_begin(&begin, err));
    ok = ok && run_nodes(&u, err);
    if (ok) {
        print_report(&u);
        ok = finish(&u, failed_count(&u) ? "done, with failed nodes" : "done", err);
        if (ok && failed_count(&u) == 0)
            fprintf(c->out, "OK: the OS update is done\n");
        else if (ok) {
            wp_errf(err, WP_E_IO, "the OS update is done, but %d node(s) failed", failed_count(&u));
            wp_err_why(err, "their updates failed (the report above says why); they stay paused");
            wp_err_todo(err, "fix them, then 'wolfpack node resume NODE' each (or run 'wolfpack "
                             "cluster update' again)");
            ok = false;
        }
    } else if (locked) {
        print_report(&u);
        wp_app_steps_begin(&begin, NULL); /* the report so far, with the state */
        fprintf(c->out, "The update stopped. Resume: wolfpack cluster update; end it: wolfpack "
                        "cluster update --abort\n");
    }
    if (locked)
        wp_app_lock_release(u.c, u.st);
    json_decref(u.st);
    return ok;
}
