/*
 * executor.c -- every node runs its own part of the coordinator's decisions
 * through the agents (docs/EXECUTOR.md).
 *
 * A sched.commit applied here gives, per group, a *plan*: the group's
 * actions in the scheduler's order, wherever they run.  Action i may run
 * only when every action before it is done, by whichever node it names: a
 * node learns that another node's action is done from that node's
 * resource.report, which every node applies.  So in a move the new owner
 * starts the address only after the old owner reported it stopped, and the
 * group's actions run strictly one at a time, in order.  An action on a
 * node that left the membership counts as done for a stop (a node that is
 * cut off releases everything) and as failed for a start.
 *
 * This node's actions run through the agents' child runner on the daemon's
 * loop (timeout: the resource's pending_timeout); each result is reported
 * with resource.report {name, node, state, at, error}.  When an action
 * fails, the plan's remaining actions are not run: this node reports its
 * own as they are (a start Offline, a stop Online, a restart Failed) and
 * the coordinator plans again.  A newer commit for a group replaces its
 * plan.
 *
 * Quorum lost: every plan and probe is cancelled, the monitors stop, and
 * every resource the database places here is stopped at once (per group:
 * the IP addresses first, then the rest in reverse dependency order, so no
 * Network Name waiting for a DNS server it cannot reach keeps an address
 * up beside its new owner's), without reports: the partition cannot change
 * the database, the majority takes the groups over.
 *
 * Probes: at start-up (and when quorum comes back) each resource that the
 * database places here gets a quick check and its real state is reported.
 * What this node's own copy placed here -- read at start-up, and again just
 * before a sync replaces the copy with the cluster's (a node that was
 * frozen or cut off and comes back, without ever seeing a non-quorate
 * view) -- but the cluster has since placed elsewhere is stopped, so two
 * nodes never keep it.  At start-up the resources placed elsewhere whose
 * check is local (IP Address, Generic Service) are probed too, a few at a
 * time, and stopped if they run here: what a killed daemon left behind
 * after its copy had already learnt the move (Pacemaker probes on join for
 * the same reason).
 *
 * Shut-down (SIGTERM): what runs here is stopped before the daemon leaves
 * the cluster (blocking, reverse dependency order), since the others take
 * the groups over as soon as it is gone.
 */
#include <qb/qblog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../agents/agent.h"
#include "../sched/sched.h"
#include "daemon.h"
#include "../lib/clock.h"
#include "../lib/json.h"

#define NAME_LEN 64

typedef enum xa_state { XA_WAIT = 0, XA_RUN, XA_DONE, XA_FAILED } xa_state;

typedef struct xaction {
    wp_sched_verb verb;
    char resource[NAME_LEN];
    char node[NAME_LEN];
    xa_state st;
} xaction;

typedef struct xplan {
    struct wp_exec *x;
    char group[NAME_LEN];
    bool silent; /* quorum lost / start-up clean-up: no reports */
    xaction *acts;
    size_t n;
    size_t cur;           /* our running action */
    bool restart_started; /* a restart finished its stop and runs its start */
    uint64_t deadline_ms; /* monotonic: given up after this (reports lost) */
    uint64_t op_ms;       /* monotonic: when our running op started */
    wp_agent_job *job;
    struct xplan *next;
} xplan;

typedef struct xprobe {
    struct wp_exec *x;
    char resource[NAME_LEN];
    char db_state[32];
    bool stray; /* placed elsewhere: is it running here all the same? */
    wp_agent_job *job;
    struct xprobe *next;
} xprobe;

typedef struct name_list {
    char (*names)[NAME_LEN];
    size_t n;
} name_list;

struct wp_exec {
    wp_daemon *d;
    xplan *plans;
    xprobe *probes;
    name_list remembered; /* placed here by the local copy (start-up, before an import) */
    bool need_probe;      /* at the next ready view: moved-away stops, probes */
    bool stray_scan;      /* start-up: look for resources running here, placed elsewhere */
    json_t *stray_queue;  /* names still to probe as strays */
    int strays_running;
    json_t *outbox;        /* [{cmd, seq}]: reports not yet taken, sent in order */
    json_t *report_latest; /* resource name -> seq of its latest report */
    json_int_t report_seq;
};

/* A report in flight: if the transport drops it (the membership changed
 * under it) and it is still its resource's latest, it is sent again. */
typedef struct xreport {
    wp_daemon *d;
    json_t *entry; /* {cmd, seq} */
} xreport;

/* At most this many stray probes (start-up) run at once. */
#define STRAY_PROBES_AT_ONCE 4

static void advance(xplan *p);

/* ---- small helpers ---------------------------------------------------------- */

static bool is_me(const wp_daemon *d, const char *node)
{
    return d->view.local_name[0] && strcasecmp(node, d->view.local_name) == 0;
}

static void copy_name(char dst[NAME_LEN], const char *src)
{
    snprintf(dst, NAME_LEN, "%s", src ? src : "");
}

static bool verb_parse(const char *s, wp_sched_verb *out)
{
    static const wp_sched_verb verbs[] = {WP_ACT_STOP, WP_ACT_START, WP_ACT_RESTART};
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++) {
        if (strcmp(s, wp_sched_verb_name(verbs[i])) == 0) {
            *out = verbs[i];
            return true;
        }
    }
    return false;
}

/* Is the database node `name` a member of this partition? */
static bool node_up(wp_daemon *d, const char *name)
{
    wp_err err = {0};
    json_t *n = wp_db_node_show(d->db, name, &err);
    bool up = n && wp_view_is_member(d, (uint32_t)json_integer_value(json_object_get(n, "id")));

    json_decref(n);
    return up;
}

static void err_text(const wp_err *err, char *buf, size_t size)
{
    if (!err || !err->what[0])
        snprintf(buf, size, "the agent failed without saying why");
    else if (err->why[0])
        snprintf(buf, size, "%s: %s", err->what, err->why);
    else
        snprintf(buf, size, "%s", err->what);
}

/* ---- reports ------------------------------------------------------------------ */

/* Is this outbox entry still the latest report of its resource? */
static bool report_is_latest(const wp_exec *x, const json_t *entry)
{
    const json_t *args = json_object_get(json_object_get(entry, "cmd"), "args");
    const json_t *latest = json_object_get(x->report_latest, wp_json_str_or(args, "name", ""));
    return json_integer_value(latest) == json_integer_value(json_object_get(entry, "seq"));
}

static void on_report_done(void *cookie, const wp_err *err, int64_t version)
{
    xreport *r = cookie;
    wp_exec *x = r->d->exec;

    (void)version;
    if (err && err->code == WP_E_UNAVAILABLE && x && !r->d->stopping &&
        report_is_latest(x, r->entry)) {
        /* dropped by a membership change (or its outcome unknown): a state
         * report is idempotent, so send it again rather than leave the
         * resource Pending in the database until its timeout */
        qb_log(
            LOG_NOTICE, "executor: resource.report of %s was not taken (%s): sending it again",
            wp_json_str_or(json_object_get(json_object_get(r->entry, "cmd"), "args"), "name", ""),
            err->what);
        json_array_insert(x->outbox, 0, r->entry);
        wp_events_kick(r->d);
    } else if (err) {
        wp_log_err(LOG_WARNING, "resource.report refused", err);
    }
    json_decref(r->entry);
    free(r);
}

/* Send the queued reports in order; stop at the first the transport
 * refuses (it is syncing: the next tick or view change tries again). */
void wp_exec_flush_reports(wp_daemon *d)
{
    wp_exec *x = d->exec;

    while (x && json_array_size(x->outbox) > 0) {
        wp_err err = {0};
        json_t *entry = json_array_get(x->outbox, 0);
        xreport *r = calloc(1, sizeof *r);
        if (!r)
            return;
        r->d = d;
        r->entry = json_incref(entry);
        if (!wp_repl_submit(d->repl, json_object_get(entry, "cmd"), on_report_done, r, &err)) {
            json_decref(r->entry);
            free(r);
            if (err.code != WP_E_UNAVAILABLE && err.code != WP_E_NOQUORUM) {
                wp_log_err(LOG_WARNING, "cannot send resource.report (dropped)", &err);
                json_array_remove(x->outbox, 0);
                continue;
            }
            return;
        }
        json_array_remove(x->outbox, 0);
    }
}

/* A report; stop_failed: the failure of a stop (the resource may still run
 * here: the scheduler holds its group, escalate.c fences this node). */
static void report(wp_daemon *d, const char *resource, const char *state, const char *error,
                   bool stop_failed)
{
    json_t *args = json_pack("{s:s, s:s, s:s, s:I}", "name", resource, "node", d->view.local_name,
                             "state", state, "at", (json_int_t)time(NULL));

    if (!args || !d->exec) {
        json_decref(args);
        return;
    }
    if (error)
        json_object_set_new(args, "error", json_string(error));
    if (stop_failed)
        json_object_set_new(args, "stop", json_true());
    qb_log(error ? LOG_WARNING : LOG_NOTICE, "resource %s is %s on %s%s%s", resource, state,
           d->view.local_name, error ? ": " : "", error ? error : "");
    json_int_t seq = ++d->exec->report_seq;
    json_object_set_new(d->exec->report_latest, resource, json_integer(seq));
    json_array_append_new(d->exec->outbox, json_pack("{s:{s:s, s:o}, s:I}", "cmd", "op",
                                                     "resource.report", "args", args, "seq", seq));
    wp_exec_flush_reports(d);
    if (json_array_size(d->exec->outbox) > 0)
        qb_log(LOG_INFO, "executor: %zu report(s) wait until the transport takes them",
               json_array_size(d->exec->outbox));
}

void wp_exec_report(wp_daemon *d, const char *resource, const char *state, const char *error)
{
    report(d, resource, state, error, false);
}

/* ---- agent context ------------------------------------------------------------- */

/* A Network Name registers the addresses of the IP Address resources it
 * depends on: they go into its props as "address" (a comma list), unless
 * the resource sets one itself (src/agents/netname.h). */
static void netname_address(wp_daemon *d, json_t *show)
{
    json_t *props = json_object_get(show, "props");
    const json_t *dep;
    char list[512] = "";
    size_t i, o = 0;
    wp_rtype t;

    if (!json_is_object(props) || json_object_get(props, "address"))
        return;
    json_array_foreach(json_object_get(show, "depends_on"), i, dep)
    {
        json_t *r = wp_db_resource_show(d->db, json_string_value(dep), NULL);
        const char *a = wp_json_str(json_object_get(r, "props"), "address");
        if (r && a && wp_rtype_parse(wp_json_str_or(r, "type", ""), &t, NULL) && t == WP_RT_IP &&
            o + strlen(a) + 2 < sizeof list)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? "," : "", a);
        json_decref(r);
    }
    if (o)
        json_object_set_new(props, "address", json_string(list));
}

bool wp_exec_agent_ctx(wp_daemon *d, const char *resource, json_t **show, wp_rtype *type,
                       wp_err *err)
{
    *show = wp_db_resource_show(d->db, resource, err);
    if (!*show)
        return false;
    if (!wp_rtype_parse(wp_json_str_or(*show, "type", ""), type, err)) {
        json_decref(*show);
        *show = NULL;
        return false;
    }
    if (*type == WP_RT_NETNAME)
        netname_address(d, *show);
    return true;
}

/* A policy value in seconds (policies are strings of whole seconds). */
static long policy_seconds(const json_t *show, const char *key, long dflt)
{
    const json_t *v = json_object_get(json_object_get(show, "policy"), key);
    long s = 0;

    if (json_is_integer(v))
        return (long)json_integer_value(v);
    if (json_is_string(v) && wp_duration_parse(json_string_value(v), &s, NULL) && s > 0)
        return s;
    return dflt;
}

/* The timeout of one operation: start_timeout, stop_timeout or
 * check_timeout when set (not 0), else the resource's pending_timeout. */
static long op_timeout_s(const json_t *show, wp_agent_op op)
{
    long pending = policy_seconds(show, "pending_timeout", 180);
    switch (op) {
    case WP_OP_START:
        return policy_seconds(show, "start_timeout", pending);
    case WP_OP_STOP:
        return policy_seconds(show, "stop_timeout", pending);
    case WP_OP_QUICK_CHECK:
    case WP_OP_THOROUGH_CHECK:
        return policy_seconds(show, "check_timeout", pending);
    default:
        return pending;
    }
}

static wp_agent_job *spawn_op(wp_daemon *d, const char *resource, wp_agent_op op,
                              wp_agent_done_fn done, void *data, wp_err *err)
{
    json_t *show = NULL;
    wp_rtype type;
    wp_agent_job *job;

    if (!wp_exec_agent_ctx(d, resource, &show, &type, err))
        return NULL;
    wp_agent_ctx ctx = {
        .name = resource,
        .props = json_object_get(show, "props"),
        .log_fd = d->agent_log_fd,
        .remote = wp_privsep_remote(d),
        .timeout_ms = op_timeout_s(show, op) * 1000L,
    };
    job = wp_agent_op_spawn(d->loop, type, op, &ctx, done, data, err);
    json_decref(show);
    return job;
}

/* ---- plans --------------------------------------------------------------------- */

static void plan_free(xplan *p)
{
    if (p->job)
        wp_agent_job_cancel(p->job);
    free(p->acts);
    free(p);
}

static void plan_unlink(xplan *p)
{
    for (xplan **pp = &p->x->plans; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            return;
        }
    }
}

static void on_op_done(void *data, wp_agent_rc rc, const wp_err *err);

static bool start_op(xplan *p, wp_agent_op op)
{
    wp_daemon *d = p->x->d;
    xaction *a = &p->acts[p->cur];
    wp_err err = {0};

    p->op_ms = wp_clock_ms();
    p->job = spawn_op(d, a->resource, op, on_op_done, p, &err);
    if (p->job) {
        qb_log(LOG_INFO, "executor: %s %s (group %s)", wp_agent_op_name(op), a->resource, p->group);
        return true;
    }
    char text[800];
    err_text(&err, text, sizeof text);
    a->st = XA_FAILED;
    if (!p->silent)
        report(d, a->resource, "Failed", text, op == WP_OP_STOP);
    return false;
}

static void run_mine(xplan *p, size_t i)
{
    xaction *a = &p->acts[i];

    p->cur = i;
    p->restart_started = false;
    a->st = XA_RUN;
    wp_mon_forget(p->x->d, a->resource);
    start_op(p, a->verb == WP_ACT_START ? WP_OP_START : WP_OP_STOP);
}

static void on_op_done(void *data, wp_agent_rc rc, const wp_err *err)
{
    xplan *p = data;
    wp_daemon *d = p->x->d;
    xaction *a = &p->acts[p->cur];
    bool stopping = a->verb == WP_ACT_STOP || (a->verb == WP_ACT_RESTART && !p->restart_started);
    bool ok = rc == WP_AGENT_OK || (stopping && rc == WP_AGENT_NOT_RUNNING);
    char text[800];

    p->job = NULL;
    if (ok && a->verb == WP_ACT_RESTART && !p->restart_started) {
        p->restart_started = true;
        if (start_op(p, WP_OP_START))
            return;
        advance(p);
        return;
    }
    a->st = ok ? XA_DONE : XA_FAILED;
    qb_log(LOG_INFO, "executor: %s %s: %s after %llu ms", wp_sched_verb_name(a->verb), a->resource,
           wp_agent_rc_name(rc), (unsigned long long)(wp_clock_ms() - p->op_ms));
    if (p->silent) {
        if (!ok)
            wp_log_err(LOG_WARNING, "executor: clean-up stop failed", err);
        advance(p);
    } else if (ok) {
        /* start the next action first (it is on the client's path), then
         * tell the others; advance() may free p */
        char name[NAME_LEN];
        const char *state = a->verb == WP_ACT_STOP ? "Offline" : "Online";
        bool noted = err && err->code == WP_OK && err->what[0] && a->verb != WP_ACT_STOP;
        if (noted)
            snprintf(text, sizeof text, "%s", err->what); /* wp_agent_note */
        copy_name(name, a->resource);
        advance(p);
        wp_exec_report(d, name, state, noted ? text : NULL);
    } else {
        /* the failure goes out before the reports of what it abandons */
        err_text(err, text, sizeof text);
        report(d, a->resource, "Failed", text, stopping);
        advance(p);
    }
}

/* Does the database still place the resource on this node?  false once
 * another node's report has taken the record over: in a move, the old
 * owner's failed stop (Failed there, its stop failed) while this node's
 * start waited for it. */
static bool record_here(wp_daemon *d, const char *resource)
{
    json_t *r = wp_db_resource_show(d->db, resource, NULL);
    bool here = r && is_me(d, wp_json_str_or(r, "node", ""));
    json_decref(r);
    return here;
}

/* An earlier action failed: report this node's remaining actions as they
 * are, and run none of them.  A start whose record is no longer this
 * node's is not reported: its Offline would overwrite the old node's
 * failed stop, and the scheduler would start the resource here beside what
 * may still run there (the failed stop must hold the group and escalate,
 * src/daemon/escalate.c). */
static void abandon(xplan *p, size_t from)
{
    wp_daemon *d = p->x->d;

    for (size_t i = from; i < p->n; i++) {
        xaction *a = &p->acts[i];
        if (a->st != XA_WAIT)
            continue;
        a->st = XA_FAILED;
        if (p->silent || !is_me(d, a->node) ||
            (a->verb == WP_ACT_START && !record_here(d, a->resource)))
            continue;
        const char *state = a->verb == WP_ACT_START  ? "Offline"
                            : a->verb == WP_ACT_STOP ? "Online"
                                                     : "Failed";
        char text[200];
        snprintf(text, sizeof text, "not %s: an earlier action of group %s failed",
                 a->verb == WP_ACT_STOP ? "stopped" : "started", p->group);
        wp_exec_report(d, a->resource, state, a->verb == WP_ACT_START ? NULL : text);
    }
}

/* Run what may run; free the plan once every action is settled. */
static void advance(xplan *p)
{
    wp_daemon *d = p->x->d;

    for (size_t i = 0; i < p->n; i++) {
        xaction *a = &p->acts[i];
        switch (a->st) {
        case XA_DONE:
            continue;
        case XA_RUN:
            return;
        case XA_FAILED:
            abandon(p, i + 1);
            goto finished;
        case XA_WAIT:
            if (is_me(d, a->node)) {
                run_mine(p, i);
                if (a->st == XA_RUN)
                    return;
                i--; /* failed at once: settle it */
                continue;
            }
            if (!p->silent && !node_up(d, a->node)) {
                a->st = a->verb == WP_ACT_STOP ? XA_DONE : XA_FAILED;
                i--;
                continue;
            }
            return; /* another node's turn */
        }
    }
finished:
    plan_unlink(p);
    plan_free(p);
    wp_events_kick(d); /* the monitors follow */
}

/* The coordinator's plan of a group.  This node's own silent clean-up
 * plans (quorum lost, moved away, strays) are never replaced by a new
 * decision: the decision is about where the group runs now, the clean-up
 * about what this node must not keep. */
static xplan *plan_find(wp_exec *x, const char *group)
{
    for (xplan *p = x->plans; p; p = p->next)
        if (!p->silent && strcasecmp(p->group, group) == 0)
            return p;
    return NULL;
}

static void probe_cancel(wp_exec *x, const char *resource);

/* The longest pending, start or stop timeout (s) of the plan's resources. */
static long plan_timeout_s(wp_daemon *d, const xplan *p)
{
    long longest = 0;

    for (size_t i = 0; i < p->n; i++) {
        wp_err err = {0};
        json_t *show = wp_db_resource_show(d->db, p->acts[i].resource, &err);
        long t = policy_seconds(show, "pending_timeout", 180);
        long start = op_timeout_s(show, WP_OP_START), stop = op_timeout_s(show, WP_OP_STOP);
        json_decref(show);
        t = start > t ? start : t;
        t = stop > t ? stop : t;
        if (t > longest)
            longest = t;
    }
    return longest;
}

/* A plan from the actions of one group (every node keeps every group's
 * plan: the coordinator leaves a group alone while it runs). */
static xplan *plan_from(wp_exec *x, const json_t *actions, const char *group)
{
    xplan *p = calloc(1, sizeof *p);
    size_t i;
    json_t *a;

    if (!p)
        return NULL;
    p->x = x;
    copy_name(p->group, group);
    p->acts = calloc(json_array_size(actions) + 1, sizeof *p->acts);
    if (!p->acts) {
        free(p);
        return NULL;
    }
    json_array_foreach(actions, i, a)
    {
        xaction *xa = &p->acts[p->n];
        if (strcasecmp(wp_json_str_or(a, "group", ""), group) != 0 ||
            !verb_parse(wp_json_str_or(a, "action", ""), &xa->verb))
            continue;
        copy_name(xa->resource, wp_json_str_or(a, "resource", ""));
        copy_name(xa->node, wp_json_str_or(a, "node", ""));
        p->n++;
    }
    /* each action may take its resource's pending_timeout, plus slack */
    p->deadline_ms =
        wp_clock_ms() + (uint64_t)plan_timeout_s(x->d, p) * 1000u * (p->n ? p->n : 1) + 10000u;
    return p;
}

void wp_exec_on_commit(wp_daemon *d, const json_t *args)
{
    wp_exec *x = d->exec;
    const json_t *actions = json_object_get(args, "actions");
    size_t i;
    json_t *a;

    if (!x || !d->view.local_name[0])
        return;
    json_array_foreach(actions, i, a)
    {
        const char *group = wp_json_str_or(a, "group", "");
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = strcasecmp(wp_json_str_or(json_array_get(actions, j), "group", ""), group) == 0;
        if (seen)
            continue;
        xplan *p = plan_from(x, actions, group);
        if (!p)
            continue;
        xplan *old = plan_find(x, group);
        if (old) {
            qb_log(LOG_NOTICE, "executor: a new decision replaces the plan of group %s", group);
            plan_unlink(old);
            plan_free(old);
        }
        for (size_t k = 0; k < p->n; k++)
            if (is_me(d, p->acts[k].node)) {
                probe_cancel(x, p->acts[k].resource);
                wp_mon_forget(d, p->acts[k].resource);
            }
        p->next = x->plans;
        x->plans = p;
        advance(p);
    }
}

void wp_exec_on_report(wp_daemon *d, const json_t *args)
{
    wp_exec *x = d->exec;
    const char *name = wp_json_str_or(args, "name", ""), *node = wp_json_str_or(args, "node", ""),
               *state = wp_json_str_or(args, "state", "");

    if (!x || is_me(d, node) || strstr(state, "Pending"))
        return;
    for (xplan *p = x->plans, *next; p; p = next) {
        next = p->next;
        for (size_t i = 0; i < p->n; i++) {
            xaction *a = &p->acts[i];
            if (a->st != XA_WAIT || strcasecmp(a->resource, name) != 0 ||
                strcasecmp(a->node, node) != 0)
                continue;
            bool ok = strcmp(state, a->verb == WP_ACT_STOP ? "Offline" : "Online") == 0;
            a->st = ok ? XA_DONE : XA_FAILED;
            advance(p);
            break;
        }
    }
}

/* ---- quorum loss and shut-down ------------------------------------------------- */

static void drop_probes(wp_exec *x)
{
    if (x->strays_running > 0 || json_array_size(x->stray_queue) > 0)
        x->stray_scan = true; /* unfinished: again at the next full probe */
    while (x->probes) {
        xprobe *pr = x->probes;
        x->probes = pr->next;
        if (pr->job)
            wp_agent_job_cancel(pr->job);
        free(pr);
    }
    x->strays_running = 0;
    json_array_clear(x->stray_queue);
}

static void cancel_all(wp_exec *x)
{
    while (x->plans) {
        xplan *p = x->plans;
        x->plans = p->next;
        plan_free(p);
    }
    drop_probes(x);
}

/* Is this resource (a db resource object) placed on this node? */
static bool placed_here(const wp_daemon *d, const json_t *r)
{
    const char *state = wp_json_str_or(r, "state", "");
    return is_me(d, wp_json_str_or(r, "node", "")) && state[0] && strcmp(state, "Offline") != 0;
}

typedef bool (*res_filter)(wp_daemon *d, const json_t *r, void *arg);

static bool is_address(const json_t *r)
{
    wp_rtype t;
    return wp_rtype_parse(wp_json_str_or(r, "type", ""), &t, NULL) && t == WP_RT_IP;
}

/* Add to p the stops of [start, end) of list that pick takes, in reverse
 * dependency order: with addresses 1 only IP Address resources, with 0
 * every other one, with -1 all. */
static void plan_add_stops(wp_daemon *d, xplan *p, const json_t *list, size_t start, size_t end,
                           res_filter pick, void *arg, int addresses)
{
    for (size_t i = end; i > start; i--) {
        const json_t *r = json_array_get(list, i - 1);
        if ((addresses == 1 && !is_address(r)) || (addresses == 0 && is_address(r)) ||
            !pick(d, r, arg))
            continue;
        xaction *a = &p->acts[p->n++];
        a->verb = WP_ACT_STOP;
        copy_name(a->resource, wp_json_str_or(r, "name", ""));
        copy_name(a->node, d->view.local_name);
    }
}

/* Stop plans (reverse dependency order, per group) for the resources that
 * filter picks; run them on the loop, or blocking when `now` is true.
 * addresses_first (quorum lost): a group's IP addresses go first, so that
 * nothing (a Network Name's DNS update to a server this node can no longer
 * reach) keeps an address up beside its new owner's. */
static void stop_local(wp_daemon *d, res_filter pick, void *arg, bool blocking,
                       bool addresses_first)
{
    wp_err err = {0};
    json_t *list = wp_db_resource_list(d->db, NULL, &err);
    size_t n = json_array_size(list);

    for (size_t end = n; end > 0;) {
        /* the group's resources are [start, end) in dependency order */
        const char *group = wp_json_str_or(json_array_get(list, end - 1), "group", "");
        size_t start = end;
        while (start > 0 &&
               strcasecmp(wp_json_str_or(json_array_get(list, start - 1), "group", ""), group) == 0)
            start--;
        xplan *p = calloc(1, sizeof *p);
        if (p)
            p->acts = calloc(end - start + 1, sizeof *p->acts);
        if (!p || !p->acts) {
            free(p);
            break;
        }
        p->x = d->exec;
        p->silent = true;
        copy_name(p->group, group);
        if (addresses_first) {
            plan_add_stops(d, p, list, start, end, pick, arg, 1);
            plan_add_stops(d, p, list, start, end, pick, arg, 0);
        } else {
            plan_add_stops(d, p, list, start, end, pick, arg, -1);
        }
        end = start;
        if (p->n == 0) {
            plan_free(p);
            continue;
        }
        if (blocking) {
            for (size_t i = 0; i < p->n; i++) {
                json_t *show = NULL;
                wp_rtype type;
                if (!wp_exec_agent_ctx(d, p->acts[i].resource, &show, &type, &err))
                    continue;
                wp_agent_ctx ctx = {.name = p->acts[i].resource,
                                    .props = json_object_get(show, "props"),
                                    .log_fd = d->agent_log_fd,
                                    .remote = wp_privsep_remote(d),
                                    .timeout_ms = op_timeout_s(show, WP_OP_STOP) * 1000L};
                qb_log(LOG_NOTICE, "shut-down: stopping %s", p->acts[i].resource);
                wp_diskfeed_beat(d); /* the loop does not run meanwhile */
                if (wp_agent_op_run(type, WP_OP_STOP, &ctx, &err) != WP_AGENT_OK)
                    wp_log_err(LOG_WARNING, "shut-down: stop failed", &err);
                json_decref(show);
            }
            plan_free(p);
            continue;
        }
        qb_log(LOG_WARNING, "executor: stopping %zu resource(s) of group %s here", p->n, group);
        p->next = d->exec->plans;
        d->exec->plans = p;
        advance(p);
    }
    json_decref(list);
}

static bool pick_placed(wp_daemon *d, const json_t *r, void *arg)
{
    (void)arg;
    return placed_here(d, r);
}

static void quorum_lost(wp_daemon *d)
{
    qb_log(LOG_WARNING, "executor: this node lost quorum: stopping every resource it runs "
                        "(the majority takes its groups over)");
    cancel_all(d->exec);
    json_array_clear(d->exec->outbox);         /* the majority decides without them */
    json_object_clear(d->exec->report_latest); /* nor are those in flight sent again */
    wp_mon_stop_all(d);
    stop_local(d, pick_placed, NULL, false, true);
    d->exec->need_probe = true;
}

/* ---- probes -------------------------------------------------------------------- */

static void probe_unlink(wp_exec *x, xprobe *pr)
{
    for (xprobe **pp = &x->probes; *pp; pp = &(*pp)->next) {
        if (*pp == pr) {
            *pp = pr->next;
            return;
        }
    }
}

static void probe_cancel(wp_exec *x, const char *resource)
{
    for (xprobe *pr = x->probes, *next; pr; pr = next) {
        next = pr->next;
        if (strcasecmp(pr->resource, resource) != 0)
            continue;
        probe_unlink(x, pr);
        if (pr->job)
            wp_agent_job_cancel(pr->job);
        if (pr->stray)
            x->strays_running--;
        free(pr);
    }
}

static void stray_next(wp_daemon *d);
static void stray_found(wp_daemon *d, const char *resource);

static void on_probe_done(void *data, wp_agent_rc rc, const wp_err *err)
{
    xprobe *pr = data;
    wp_exec *x = pr->x;
    char text[800];

    pr->job = NULL;
    probe_unlink(x, pr);
    if (pr->stray) {
        x->strays_running--;
        if (rc == WP_AGENT_OK)
            stray_found(x->d, pr->resource);
        free(pr);
        stray_next(x->d);
        return;
    }
    if (rc == WP_AGENT_OK) {
        if (strcmp(pr->db_state, "Online") != 0)
            wp_exec_report(x->d, pr->resource, "Online", NULL);
    } else if (rc == WP_AGENT_NOT_RUNNING) {
        wp_exec_report(x->d, pr->resource, "Offline", NULL);
    } else {
        err_text(err, text, sizeof text);
        wp_exec_report(x->d, pr->resource, "Failed", text);
    }
    free(pr);
    wp_events_kick(x->d);
}

bool wp_exec_group_busy(const wp_daemon *d, const char *group)
{
    for (const xplan *p = d->exec ? d->exec->plans : NULL; p; p = p->next)
        if (!p->silent && strcasecmp(p->group, group) == 0)
            return true;
    return false;
}

/* Plans whose reports never came (a node restarted its daemon meanwhile):
 * drop them, so the scheduler's pending timeouts take over. */
void wp_exec_sweep(wp_daemon *d)
{
    uint64_t now = wp_clock_ms();

    for (xplan *p = d->exec ? d->exec->plans : NULL, *next; p; p = next) {
        next = p->next;
        if (now < p->deadline_ms || p->job)
            continue;
        qb_log(LOG_WARNING, "executor: gave up waiting for the actions of group %s", p->group);
        plan_unlink(p);
        plan_free(p);
    }
}

bool wp_exec_busy_with(const wp_daemon *d, const char *resource)
{
    if (!d->exec)
        return false;
    for (const xplan *p = d->exec->plans; p; p = p->next)
        for (size_t i = 0; i < p->n; i++)
            if (strcasecmp(p->acts[i].resource, resource) == 0 && is_me(d, p->acts[i].node))
                return true;
    for (const xprobe *pr = d->exec->probes; pr; pr = pr->next)
        if (!pr->stray && strcasecmp(pr->resource, resource) == 0)
            return true;
    return false;
}

/* A quick check of one resource; a stray probe reports nothing. */
static bool probe_one(wp_daemon *d, const char *name, const char *db_state, bool stray)
{
    xprobe *pr = calloc(1, sizeof *pr);
    wp_err err = {0};

    if (!pr)
        return false;
    pr->x = d->exec;
    pr->stray = stray;
    copy_name(pr->resource, name);
    snprintf(pr->db_state, sizeof pr->db_state, "%s", db_state);
    pr->job = spawn_op(d, pr->resource, WP_OP_QUICK_CHECK, on_probe_done, pr, &err);
    if (!pr->job) {
        char text[800];
        err_text(&err, text, sizeof text);
        if (!stray)
            wp_exec_report(d, pr->resource, "Failed", text);
        free(pr);
        return false;
    }
    if (stray) /* one a resource at start-up: quiet unless one is found running */
        qb_log(LOG_DEBUG, "executor: probing %s (placed elsewhere: is it running here?)",
               pr->resource);
    else
        qb_log(LOG_INFO, "executor: probing %s (the database says %s here)", pr->resource,
               pr->db_state);
    pr->next = d->exec->probes;
    d->exec->probes = pr;
    return true;
}

static bool remembered(const wp_exec *x, const char *name)
{
    for (size_t i = 0; i < x->remembered.n; i++)
        if (strcasecmp(x->remembered.names[i], name) == 0)
            return true;
    return false;
}

static void forget_remembered(wp_exec *x)
{
    free(x->remembered.names);
    x->remembered.names = NULL;
    x->remembered.n = 0;
}

/* Remembered from the local copy, but the cluster placed it elsewhere. */
static bool pick_moved_away(wp_daemon *d, const json_t *r, void *arg)
{
    (void)arg;
    if (!remembered(d->exec, wp_json_str_or(r, "name", "")) || placed_here(d, r) ||
        wp_exec_busy_with(d, wp_json_str_or(r, "name", "")))
        return false;
    qb_log(LOG_WARNING,
           "executor: %s ran here, but while this node was away the cluster placed it on "
           "%s: stopping it here",
           wp_json_str_or(r, "name", ""),
           wp_json_str_or(r, "node", "")[0] ? wp_json_str_or(r, "node", "") : "no node");
    return true;
}

/* ---- strays: running here, placed elsewhere (start-up) --------------------- */

/* Types whose quick check looks only at this node (an address on an
 * interface, a recorded process), so that "running" means running here. */
static bool stray_checkable(const json_t *r)
{
    wp_rtype t;
    return wp_rtype_parse(wp_json_str_or(r, "type", ""), &t, NULL) &&
           (t == WP_RT_IP || t == WP_RT_SERVICE);
}

static bool pick_stray(wp_daemon *d, const json_t *r, void *arg)
{
    return strcasecmp(wp_json_str_or(r, "name", ""), (const char *)arg) == 0 &&
           !placed_here(d, r) && !wp_exec_busy_with(d, wp_json_str_or(r, "name", ""));
}

static void stray_found(wp_daemon *d, const char *resource)
{
    qb_log(LOG_WARNING,
           "executor: %s runs on this node, but the cluster does not place it here: "
           "stopping it",
           resource);
    stop_local(d, pick_stray, (void *)resource, false, false);
}

static void stray_next(wp_daemon *d)
{
    wp_exec *x = d->exec;

    while (x->strays_running < STRAY_PROBES_AT_ONCE && json_array_size(x->stray_queue) > 0) {
        char name[NAME_LEN];
        copy_name(name, json_string_value(json_array_get(x->stray_queue, 0)));
        json_array_remove(x->stray_queue, 0);
        if (probe_one(d, name, "", true))
            x->strays_running++;
    }
}

/* Queue a quick check of every resource the database places elsewhere (or
 * nowhere) whose check is local: what a killed or frozen daemon left
 * behind that this node's copy no longer remembers (Pacemaker probes every
 * resource on every node that joins, for the same reason). */
static void stray_scan(wp_daemon *d)
{
    wp_exec *x = d->exec;
    wp_err err = {0};
    json_t *list = wp_db_resource_list(d->db, NULL, &err);
    size_t i;
    json_t *r;

    x->stray_scan = false;
    json_array_foreach(list, i, r)
    {
        if (stray_checkable(r) && !placed_here(d, r) &&
            !wp_exec_busy_with(d, wp_json_str_or(r, "name", "")))
            json_array_append_new(x->stray_queue, json_string(wp_json_str_or(r, "name", "")));
    }
    json_decref(list);
    stray_next(d);
}

static void probe_all(wp_daemon *d)
{
    wp_exec *x = d->exec;
    wp_err err = {0};
    json_t *list = wp_db_resource_select(d->db, NULL, d->view.local_name, &err);
    size_t i;
    json_t *r;

    x->need_probe = false;
    stop_local(d, pick_moved_away, NULL, false, false);
    json_array_foreach(list, i, r)
    {
        if (placed_here(d, r) && !wp_exec_busy_with(d, wp_json_str_or(r, "name", "")))
            probe_one(d, wp_json_str_or(r, "name", ""), wp_json_str_or(r, "state", ""), false);
    }
    json_decref(list);
    forget_remembered(x);
    if (x->stray_scan)
        stray_scan(d);
}

/* Add what the local copy places here to the remembered names. */
static void remember_placed(wp_daemon *d)
{
    wp_exec *x = d->exec;
    wp_err err = {0};
    json_t *list = wp_db_resource_select(d->db, NULL, d->view.local_name, &err);
    size_t i, room = x->remembered.n + json_array_size(list) + 1;
    json_t *r;
    char(*names)[NAME_LEN] = realloc(x->remembered.names, room * NAME_LEN);

    if (!names) {
        json_decref(list);
        return;
    }
    x->remembered.names = names;
    json_array_foreach(list, i, r)
    {
        if (placed_here(d, r) && !remembered(x, wp_json_str_or(r, "name", "")))
            copy_name(names[x->remembered.n++], wp_json_str_or(r, "name", ""));
    }
    json_decref(list);
}

void wp_exec_remember_local(wp_daemon *d)
{
    d->exec->need_probe = true;
    remember_placed(d);
}

/* Drop the coordinator's plans, the probes and the unsent reports: all were
 * made against the copy an import replaces (a report of a resource the
 * cluster has since moved would pull it back here).  Clean-up plans go on. */
static void forget_decisions(wp_exec *x)
{
    for (xplan *p = x->plans, *next; p; p = next) {
        next = p->next;
        if (!p->silent) {
            plan_unlink(p);
            plan_free(p);
        }
    }
    drop_probes(x);
    json_array_clear(x->outbox);
    json_object_clear(x->report_latest);
}

void wp_exec_before_import(wp_daemon *d)
{
    if (!d->exec || !d->view.local_name[0])
        return;
    remember_placed(d);
    forget_decisions(d->exec);
    d->exec->need_probe = true; /* what runs here is probed against the new copy */
    qb_log(LOG_INFO,
           "executor: this node imports the cluster's database: %zu resource(s) its "
           "own copy placed here will be stopped if the cluster moved them away",
           d->exec->remembered.n);
}

/* ---- the view ------------------------------------------------------------------- */

void wp_exec_on_view(wp_daemon *d)
{
    wp_exec *x = d->exec;

    if (!x)
        return;
    if (d->was_quorate && !d->view.quorate) {
        quorum_lost(d);
        return;
    }
    if (wp_view_ready(d))
        wp_exec_flush_reports(d);
    if (wp_view_ready(d) && x->need_probe)
        probe_all(d);
    for (xplan *p = x->plans, *next; p; p = next) {
        next = p->next;
        advance(p); /* actions of nodes that left are settled */
    }
}

bool wp_exec_owns_pid(const wp_daemon *d, pid_t pid)
{
    if (!d->exec)
        return false;
    for (const xplan *p = d->exec->plans; p; p = p->next)
        if (p->job && wp_agent_job_pid(p->job) == pid)
            return true;
    for (const xprobe *pr = d->exec->probes; pr; pr = pr->next)
        if (pr->job && wp_agent_job_pid(pr->job) == pid)
            return true;
    return false;
}

wp_exec *wp_exec_new(wp_daemon *d)
{
    wp_exec *x = calloc(1, sizeof *x);

    if (!x)
        return NULL;
    x->d = d;
    x->stray_scan = true;
    x->outbox = json_array();
    x->stray_queue = json_array();
    x->report_latest = json_object();
    if (!x->outbox || !x->stray_queue || !x->report_latest) {
        json_decref(x->outbox);
        json_decref(x->stray_queue);
        json_decref(x->report_latest);
        free(x);
        return NULL;
    }
    return x;
}

void wp_exec_free(wp_exec *x)
{
    if (!x)
        return;
    cancel_all(x);
    /* leaving the cluster: the others take over what runs here */
    if (x->d->db && x->d->view.local_name[0] && !x->d->opts.solo)
        stop_local(x->d, pick_placed, NULL, true, false);
    free(x->remembered.names);
    json_decref(x->outbox);
    json_decref(x->stray_queue);
    json_decref(x->report_latest);
    free(x);
}

/* Probe again what the database places here (leaving maintenance mode, a
 * clean-up): at once when the view is ready, else at the next ready view. */
void wp_exec_request_probe(wp_daemon *d)
{
    if (!d->exec)
        return;
    d->exec->need_probe = true;
    if (wp_view_ready(d))
        probe_all(d);
}
