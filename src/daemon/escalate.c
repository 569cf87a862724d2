/*
 * escalate.c -- a stop that failed escalates to fencing (docs/OPERATIONS.md).
 *
 * A resource whose stop failed on a node that is up may still run there,
 * so the scheduler holds its group on that node (docs/SCHEDULER.md,
 * stop_failed) and never stops it a second time: no loop.  After each
 * scheduler run the coordinator calls wp_escalate_check with the parsed
 * input; for every such node that has a fence device and is not this node
 * (the coordinator never fences itself) it powers the node off through
 * fencer.c (the same plan as `wolfpack node fence`, action off) and
 * records node.fencing {fencing | failed} for status.  Once the node has
 * left the membership, recovery.c takes over as for any lost node (its
 * proof, then failover), and the scheduler no longer counts the failed stop
 * (a node that is down runs nothing).  Without a fence device the resource
 * stays Failed and held, and the reason in status gives the operator's way
 * out.  A fencing that fails is retried after RETRY_MS; one job per node.
 * The state here is the coordinator's only (the records are replicated).
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
    uint64_t next_ms; /* monotonic: not again before this */
    struct esc_node *next;
} esc_node;

struct wp_escalate {
    esc_node *nodes;
};

/* A fencing job's cookie: the daemon outlives it, the node name is copied. */
typedef struct esc_cookie {
    char node[64];
} esc_cookie;

static esc_node *esc_get(wp_daemon *d, const char *name)
{
    if (!d->escalate && !(d->escalate = calloc(1, sizeof *d->escalate)))
        return NULL;
    for (esc_node *n = d->escalate->nodes; n; n = n->next)
        if (strcasecmp(n->name, name) == 0)
            return n;
    esc_node *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    snprintf(n->name, sizeof n->name, "%s", name);
    n->next = d->escalate->nodes;
    d->escalate->nodes = n;
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
    free(d->escalate);
    d->escalate = NULL;
}

static void on_submitted(void *cookie, const wp_err *err, int64_t version)
{
    (void)cookie;
    (void)version;
    if (err)
        wp_log_err(LOG_WARNING, "escalate: a fencing record was refused", err);
}

static void record(wp_daemon *d, const char *node, const char *state, const char *error)
{
    wp_err err = {0};
    json_t *args =
        json_pack("{s:s, s:s, s:I}", "name", node, "state", state, "at", (json_int_t)time(NULL));
    if (args && error)
        json_object_set_new(args, "error", json_string(error));
    json_t *cmd = json_pack("{s:s, s:o}", "op", "node.fencing", "args", args);
    if (cmd && !wp_repl_submit(d->repl, cmd, on_submitted, NULL, &err))
        wp_log_err(LOG_WARNING, "escalate: cannot send a fencing record", &err);
    json_decref(cmd);
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

static void fence_node(wp_daemon *d, esc_node *n, const char *resource)
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
               "escalate: the stop of %s failed on node %s, which may still run it: fencing %s",
               resource, n->name, n->name);
        record(d, n->name, "fencing", NULL);
    }
    json_decref(plan);
}

void wp_escalate_check(wp_daemon *d, const wp_sched_input *in)
{
    if (in->maintenance)
        return;
    for (size_t i = 0; i < in->n_resources; i++) {
        const wp_sched_resource *r = &in->resources[i];
        const wp_sched_node *node = r->node >= 0 ? &in->nodes[r->node] : NULL;
        if (!r->stop_failed || r->unmanaged || !node || !node->up ||
            strcasecmp(node->name, d->view.local_name) == 0 ||
            !wp_fencer_node_has_device(d, node->name))
            continue;
        esc_node *n = esc_get(d, node->name);
        if (n && !n->running && (uint64_t)wp_clock_ms() >= n->next_ms)
            fence_node(d, n, r->name);
    }
}
