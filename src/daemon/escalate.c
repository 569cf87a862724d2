/*
 * escalate.c -- a stop that failed escalates to fencing (docs/OPERATIONS.md,
 * docs/FENCING.md "A failed stop escalates").
 *
 * A resource whose stop failed on a node that is up may still run there,
 * so the scheduler holds its group on that node (docs/SCHEDULER.md,
 * stop_failed) and never stops it a second time: no loop.  After each
 * scheduler run the coordinator calls wp_escalate_check with the parsed
 * input; for every such node:
 *   - with a fence device: powered off through fencer.c (the same plan as
 *     `wolfpack node fence`, action off), node.fencing {fencing | failed}
 *     recorded for status; a failure is retried after RETRY_MS;
 *   - else with a watchdog: a poison pill (node.poison): it stops petting
 *     and its watchdog resets it; node.fencing {self-fencing} says so;
 *   - else: node.fencing {unfenceable}: the group stays Failed and held
 *     there, and status gives the operator's way out.
 * The coordinator never fences itself (its own daemon would die half-way).
 * When the node with the failed stop is the coordinator, the **deputy** --
 * the member with the lowest node id after the coordinator's, computed by
 * every node from its own view as the coordinator is -- fences it through
 * its devices (wp_escalate_deputy_tick, every tick of a node that does not
 * coordinate), as Pacemaker's other nodes fence a DC that must be fenced.
 * A coordinator with no device, or alone, swallows its own poison pill when
 * it has a watchdog, else it records itself unfenceable.  So one node
 * fences each target: the coordinator the others, the deputy the
 * coordinator.  Once the fenced node has left the membership, recovery.c
 * takes over as for any lost node (its proof, then failover), and the
 * scheduler no longer counts the failed stop (a node that is down runs
 * nothing).  The state here is this node's only (the records are
 * replicated); the up nodes with a failed stop at the last check are kept
 * so that recovery.c does not clear their records (wp_escalate_pending).
 */
#include <qb/qblog.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../sched/sched.h"
#include "daemon.h"
#include "../lib/clock.h"

#define RETRY_MS 30000

typedef struct esc_node {
    char name[64];
    bool running;     /* a fencing job is out */
    bool noted;       /* the record for this failed stop was sent (no device) */
    uint64_t next_ms; /* monotonic: not again before this */
    struct esc_node *next;
} esc_node;

struct wp_escalate {
    esc_node *nodes;
    json_t *pending; /* {node: true}: up nodes with a failed stop, last check */
};

/* A fencing job's cookie: the daemon outlives it, the node name is copied. */
typedef struct esc_cookie {
    char node[64];
} esc_cookie;

static wp_escalate *esc_ctx(wp_daemon *d)
{
    if (!d->escalate && (d->escalate = calloc(1, sizeof *d->escalate)))
        d->escalate->pending = json_object();
    return d->escalate;
}

static esc_node *esc_get(wp_daemon *d, const char *name)
{
    wp_escalate *e = esc_ctx(d);
    if (!e)
        return NULL;
    for (esc_node *n = e->nodes; n; n = n->next)
        if (strcasecmp(n->name, name) == 0)
            return n;
    esc_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    snprintf(n->name, sizeof n->name, "%s", name);
    n->next = e->nodes;
    e->nodes = n;
    return n;
}

void wp_escalate_free(wp_daemon *d)
{
    if (!d->escalate)
        return;
    for (esc_node *n = d->escalate->nodes, *next; n; n = next) {
        next = n->next;
        free(n);
    }
    json_decref(d->escalate->pending);
    free(d->escalate);
    d->escalate = NULL;
}

bool wp_escalate_pending(const wp_daemon *d, const char *node)
{
    return d->escalate && node && json_object_get(d->escalate->pending, node);
}

static void on_submitted(void *cookie, const wp_err *err, int64_t version)
{
    (void)cookie;
    (void)version;
    if (err)
        wp_log_err(LOG_WARNING, "escalate: a fencing record was refused", err);
}

static void submit(wp_daemon *d, json_t *cmd)
{
    wp_err err = {0};
    if (cmd && !wp_repl_submit(d->repl, cmd, on_submitted, NULL, &err))
        wp_log_err(LOG_WARNING, "escalate: cannot send a fencing record", &err);
    json_decref(cmd);
}

static void record(wp_daemon *d, const char *node, const char *state, const char *error)
{
    submit(d, wp_recovery_fencing_cmd(node, state, error));
}

static void on_fenced(wp_daemon *d, void *cookie, json_t *result)
{
    esc_cookie *c = cookie;
    esc_node *n = d->escalate ? esc_get(d, c->node) : NULL;
    char sum[2048];

    wp_fencer_summary(result, sum, sizeof sum);
    if (n) {
        n->running = false;
        n->next_ms = (uint64_t)wp_clock_ms() + RETRY_MS;
    }
    if (json_is_true(json_object_get(result, "ok"))) {
        qb_log(LOG_NOTICE, "escalate: node %s fenced after a failed stop: %s", c->node, sum);
    } else {
        qb_log(LOG_ERR,
               "escalate: fencing node %s after a failed stop failed (retried in %d s): %s",
               c->node, RETRY_MS / 1000, sum);
        record(d, c->node, "failed", sum);
    }
    free(c);
    wp_events_kick(d);
}

static void fence_node(wp_daemon *d, esc_node *n, const char *resource, const char *why)
{
    wp_err err = {0};
    json_t *plan = wp_fencer_plan(d, n->name, "off", &err);
    esc_cookie *c = plan ? calloc(1, sizeof *c) : NULL;

    n->next_ms = (uint64_t)wp_clock_ms() + RETRY_MS;
    if (c)
        snprintf(c->node, sizeof c->node, "%s", n->name);
    if (!c || !wp_fencer_run(d, plan, on_fenced, c, free, &err)) {
        free(c);
        wp_log_err(LOG_ERR, "escalate: cannot fence a node whose stop failed", &err);
        record(d, n->name, "failed", err.what);
    } else {
        n->running = true;
        qb_log(LOG_WARNING,
               "escalate: the stop of %s failed on node %s, which may still run it: fencing "
               "%s%s",
               resource, n->name, n->name, why);
        record(d, n->name, "fencing", NULL);
    }
    json_decref(plan);
}

/* The node's announced watchdog timeout (s), 0 none; *poisoned: a pill is out. */
static int watchdog_of(wp_daemon *d, const char *node, bool *poisoned)
{
    wp_err err = {0};
    json_t *st = wp_db_fence_status(d->db, &err);
    const json_t *rec = json_object_get(json_object_get(st, "watchdog"), node);
    int timeout = (int)json_integer_value(json_object_get(rec, "timeout"));
    *poisoned = json_object_get(json_object_get(st, "poison"), node) != NULL;
    json_decref(st);
    return timeout;
}

/* Without a device: the node's watchdog (a poison pill), else nothing but
 * the operator; said once per failed stop. */
static void poison_or_note(wp_daemon *d, esc_node *n, const char *resource, const char *why)
{
    bool poisoned = false;
    int timeout = watchdog_of(d, n->name, &poisoned);
    char msg[600];
    if (n->noted || poisoned)
        return;
    n->noted = true;
    if (timeout > 0) {
        snprintf(msg, sizeof msg,
                 "the stop of %.64s failed there%s: poison pill sent, its watchdog (timeout "
                 "%d s) resets it",
                 resource, why, timeout);
        qb_log(LOG_WARNING, "escalate: node %s: %s", n->name, msg);
        submit(d, json_pack("{s:s, s:{s:s}}", "op", "node.poison", "args", "name", n->name));
        record(d, n->name, "self-fencing", msg);
        return;
    }
    snprintf(msg, sizeof msg,
             "the stop of %.64s failed there%s and it has no fence device and no watchdog: its "
             "group stays Failed there until the operator acts",
             resource, why);
    qb_log(LOG_CRIT, "escalate: node %s: %s", n->name, msg);
    record(d, n->name, "unfenceable", msg);
}

/* Is there a member besides this node (the coordinator's deputy)? */
static bool has_deputy(const wp_daemon *d)
{
    for (size_t i = 0; i < d->view.n_members; i++)
        if (d->view.members[i] != d->view.local_id)
            return true;
    return false;
}

/* A failed stop on this node, the coordinator: the deputy fences it
 * through its devices; without a device or a deputy, the watchdog. */
static void escalate_self(wp_daemon *d, esc_node *n, const char *resource)
{
    if (wp_fencer_node_has_device(d, n->name) && has_deputy(d)) {
        if (!n->noted)
            qb_log(LOG_WARNING,
                   "escalate: the stop of %s failed on this node (%s), the coordinator, which "
                   "never fences itself: the next member by node id fences it",
                   resource, n->name);
        n->noted = true;
        return;
    }
    poison_or_note(d, n, resource,
                   has_deputy(d) ? " (the coordinator)"
                                 : " (the coordinator, and no other member can fence it)");
}

static bool needs_escalation(const wp_sched_input *in, const wp_sched_resource *r)
{
    return r->stop_failed && !r->unmanaged && r->node >= 0 && (size_t)r->node < in->n_nodes &&
           in->nodes[r->node].up;
}

/* Forget what was noted for nodes whose failed stop is gone. */
static void refresh_pending(wp_daemon *d, json_t *now_pending)
{
    wp_escalate *e = esc_ctx(d);
    if (!e) {
        json_decref(now_pending);
        return;
    }
    for (esc_node *n = e->nodes; n; n = n->next)
        if (!json_object_get(now_pending, n->name) && !n->running)
            n->noted = false;
    json_decref(e->pending);
    e->pending = now_pending;
}

void wp_escalate_check(wp_daemon *d, const wp_sched_input *in)
{
    json_t *pending = json_object();
    for (size_t i = 0; i < in->n_resources && !in->maintenance; i++) {
        const wp_sched_resource *r = &in->resources[i];
        if (!needs_escalation(in, r))
            continue;
        const char *node = in->nodes[r->node].name;
        esc_node *n = esc_get(d, node);
        json_object_set_new(pending, node, json_true());
        if (!n || n->running || (uint64_t)wp_clock_ms() < n->next_ms)
            continue;
        if (strcasecmp(node, d->view.local_name) == 0)
            escalate_self(d, n, r->name);
        else if (wp_fencer_node_has_device(d, node))
            fence_node(d, n, r->name, "");
        else
            poison_or_note(d, n, r->name, "");
    }
    refresh_pending(d, pending);
}

/* ---- the deputy: the coordinator's own failed stop -------------------------- */

/* The coordinator's id (the lowest member) and whether this node is the
 * next one by id, its deputy. */
static bool is_deputy(const wp_daemon *d, uint32_t *coord)
{
    uint32_t low = UINT32_MAX, second = UINT32_MAX;
    if (!wp_view_ready(d) || !wp_view_is_member(d, d->view.local_id))
        return false;
    for (size_t i = 0; i < d->view.n_members; i++) {
        uint32_t id = d->view.members[i];
        if (id < low) {
            second = low;
            low = id;
        } else if (id < second && id != low) {
            second = id;
        }
    }
    *coord = low;
    return second == d->view.local_id;
}

static void deputy_check(wp_daemon *d, const wp_sched_input *in, uint32_t coord)
{
    json_t *pending = json_object();
    for (size_t i = 0; i < in->n_resources && !in->maintenance; i++) {
        const wp_sched_resource *r = &in->resources[i];
        if (!needs_escalation(in, r) || in->nodes[r->node].id != coord)
            continue;
        const char *node = in->nodes[r->node].name;
        esc_node *n = esc_get(d, node);
        json_object_set_new(pending, node, json_true());
        if (n && !n->running && (uint64_t)wp_clock_ms() >= n->next_ms &&
            wp_fencer_node_has_device(d, node))
            fence_node(d, n, r->name, " (the coordinator: its deputy fences it)");
    }
    refresh_pending(d, pending);
}

void wp_escalate_deputy_tick(wp_daemon *d)
{
    uint32_t coord = 0;
    if (!is_deputy(d, &coord))
        return;
    time_t now = time(NULL);
    wp_err err = {0};
    json_t *input =
        wp_db_sched_input(d->db, d->view.members, d->view.n_members, (int64_t)now, 0, &err);
    wp_sched_input *in = input ? wp_sched_input_parse(input, &err) : NULL;
    if (in)
        deputy_check(d, in, coord);
    else
        wp_log_err(LOG_WARNING, "escalate: the deputy cannot read the scheduler input", &err);
    wp_sched_input_free(in);
    json_decref(input);
}
