/*
 * recovery.c -- recovery waits for proof (docs/FENCING.md).
 *
 * A node that is not a member of the quorate partition and for which the
 * database holds no proof that it is down (node-down:NODE: fenced by a
 * device, confirmed by hand, or its watchdog's deadline passed) is
 * **unproven**: the groups it owns or runs a resource of are held, that is
 * left out of the scheduler's input, so no decision moves them and nothing
 * of them starts elsewhere.  That is the default (Pacemaker's
 * stonith-enabled=true); with the operator's opt-out (`wolfpack cluster
 * fencing off`, wp_db_fencing_enabled) only a node with at least one fence
 * device or a watchdog (watchdog:NODE, announced by its wolfpackd: wdog.c)
 * is unproven, and any other is failed over at once.  The coordinator calls
 * two functions:
 *
 *   wp_recovery_tick    before each run: fence every unproven node that
 *                       holds a group (a lost node that holds nothing is
 *                       not powered off: there is nothing to protect, and a
 *                       cluster that starts without one node does not
 *                       fence it) through its devices (fencer.c: by level, action off),
 *                       recording node.fencing {fencing|failed} for status;
 *                       on success node.down {how: fenced}; a failure is
 *                       retried every RETRY_MS; a member with records gets
 *                       node.rejoined (its proof is spent), unless a stop
 *                       failed on it (escalate.c's record: wp_escalate_pending)
 *                       a node with a watchdog of timeout T that has been
 *                       lost (seen by this coordinator) for WATCHDOG_FACTOR
 *                       x T gets node.down {how: watchdog}: it has reset
 *                       itself by then (the timing argument: FENCING.md);
 *                       until then node.fencing {self-fencing} says so;
 *                       a node with neither gets node.fencing {unfenceable}:
 *                       its groups wait for the operator
 *   wp_recovery_filter  the input without the held groups
 *   wp_recovery_fencing_cmd  the node.fencing command (escalate.c too)
 *
 * `wolfpack node confirm-down NODE` (node.confirm-down) is the operator's
 * proof.  The
 * state here (running jobs, the next retry) is this coordinator's only;
 * the records in the database are what every node's status shows.
 */
#include <qb/qblog.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lib/json.h"
#include "daemon.h"
#include "../lib/clock.h"

#define RETRY_MS 5000
#define WATCHDOG_FACTOR 2 /* a lost node with a watchdog is down after 2 x its timeout */
#define TICK_GAP_MS 3000  /* no tick for this long: this node did not watch (not coordinating) */

typedef struct lost_node {
    char name[64];
    bool running;     /* a fencing job is out */
    uint64_t next_ms; /* monotonic: not before this */
    int failures;
    uint64_t lost_ms;   /* monotonic: first seen lost by this coordinator; 0 a member */
    bool waiting_noted; /* node.fencing {self-fencing} sent for this loss */
    bool proof_sent;    /* node.down {watchdog} sent for this loss */
    bool stuck_noted;   /* node.fencing {unfenceable} sent for this loss */
    struct lost_node *next;
} lost_node;

struct wp_recovery {
    lost_node *nodes;
    json_t *needed; /* {node: true}: unproven nodes that hold a group (last run) */
    char *held_sig; /* the held groups last logged */
    bool rejoin_inflight;
    uint64_t last_tick_ms; /* monotonic: the last wp_recovery_tick */
};

static wp_recovery *ctx(wp_daemon *d)
{
    if (!d->recovery)
        d->recovery = calloc(1, sizeof *d->recovery);
    return d->recovery;
}

static lost_node *lost_get(wp_recovery *r, const char *name)
{
    for (lost_node *n = r->nodes; n; n = n->next)
        if (strcasecmp(n->name, name) == 0)
            return n;
    lost_node *n = calloc(1, sizeof *n);
    if (n) {
        snprintf(n->name, sizeof n->name, "%s", name);
        n->next = r->nodes;
        r->nodes = n;
    }
    return n;
}

void wp_recovery_free(wp_daemon *d)
{
    wp_recovery *r = d->recovery;
    if (!r)
        return;
    while (r->nodes) {
        lost_node *n = r->nodes;
        r->nodes = n->next;
        free(n);
    }
    json_decref(r->needed);
    free(r->held_sig);
    free(r);
    d->recovery = NULL;
}

/* ---- which nodes are unproven ------------------------------------------- */

static bool node_is_member(const wp_daemon *d, const json_t *node)
{
    return wp_view_is_member(d, (uint32_t)json_integer_value(json_object_get(node, "id")));
}

/* The node's announced watchdog timeout in seconds; 0: none. */
static int watchdog_timeout(const json_t *status, const char *node)
{
    const json_t *rec = json_object_get(json_object_get(status, "watchdog"), node);
    return (int)json_integer_value(json_object_get(rec, "timeout"));
}

/* Can the cluster prove that this node is down without the operator? */
static bool fenceable(wp_daemon *d, const json_t *status, const char *node)
{
    return watchdog_timeout(status, node) > 0 || wp_fencer_node_has_device(d, node);
}

/* The names of the unproven nodes ({name: true}); NULL on a read error.
 * With fencing on (the default) every lost node without a proof; with the
 * operator's opt-out only those that can be fenced. */
static json_t *unproven(wp_daemon *d, const json_t *status)
{
    bool enabled = json_is_true(json_object_get(status, "enabled"));
    wp_err err = {0};
    json_t *nodes = wp_db_node_list(d->db, &err);
    json_t *out = nodes ? json_object() : NULL;
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *name = wp_json_str(n, "name");
        if (name && !node_is_member(d, n) &&
            !json_object_get(json_object_get(status, "down"), name) &&
            (enabled || fenceable(d, status, name)))
            json_object_set_new(out, name, json_true());
    }
    json_decref(nodes);
    return out;
}

/* ---- submitting --------------------------------------------------------- */

static void on_submitted(void *cookie, const wp_err *err, int64_t version)
{
    (void)version;
    wp_daemon *d = cookie;
    if (d->recovery)
        d->recovery->rejoin_inflight = false;
    if (err)
        wp_log_err(LOG_WARNING, "recovery: a fencing record was refused", err);
}

static void submit(wp_daemon *d, json_t *cmd)
{
    wp_err err = {0};
    if (cmd && !wp_repl_submit(d->repl, cmd, on_submitted, d, &err))
        wp_log_err(LOG_WARNING, "recovery: cannot send a fencing record (retried)", &err);
    json_decref(cmd);
}

json_t *wp_recovery_fencing_cmd(const char *node, const char *state, const char *error)
{
    json_t *args =
        json_pack("{s:s, s:s, s:I}", "name", node, "state", state, "at", (json_int_t)time(NULL));
    if (args && error)
        json_object_set_new(args, "error", json_string(error));
    return json_pack("{s:s, s:o}", "op", "node.fencing", "args", args);
}

static void record_fencing(wp_daemon *d, const char *node, const char *state, const char *error)
{
    submit(d, wp_recovery_fencing_cmd(node, state, error));
}

/* ---- fencing jobs ------------------------------------------------------- */

typedef struct job_cookie {
    char node[64];
} job_cookie;

static void on_fenced(wp_daemon *d, void *cookie, json_t *result)
{
    job_cookie *jc = cookie;
    char sum[2048];
    wp_recovery *r = ctx(d);
    lost_node *n = r ? lost_get(r, jc->node) : NULL;
    wp_fencer_summary(result, sum, sizeof sum);
    if (n)
        n->running = false;
    if (json_is_true(json_object_get(result, "ok"))) {
        qb_log(LOG_NOTICE, "recovery: node %s fenced: %s", jc->node, sum);
        submit(d,
               json_pack("{s:s, s:{s:s, s:s, s:I, s:s}}", "op", "node.down", "args", "name",
                         jc->node, "how", "fenced", "at", (json_int_t)time(NULL), "detail", sum));
    } else {
        if (n) {
            n->failures++;
            n->next_ms = (uint64_t)wp_clock_ms() + RETRY_MS;
        }
        qb_log(LOG_ERR, "recovery: fencing node %s failed (retried in %d s): %s", jc->node,
               RETRY_MS / 1000, sum);
        record_fencing(d, jc->node, "failed", sum);
    }
    free(jc);
    wp_events_kick(d);
}

static void fence_start(wp_daemon *d, lost_node *n)
{
    wp_err err = {0};
    json_t *plan = wp_fencer_plan(d, n->name, "off", &err);
    job_cookie *jc = plan ? calloc(1, sizeof *jc) : NULL;
    if (jc)
        snprintf(jc->node, sizeof jc->node, "%s", n->name);
    if (!jc || !wp_fencer_run(d, plan, on_fenced, jc, free, &err)) {
        free(jc);
        n->failures++;
        n->next_ms = (uint64_t)wp_clock_ms() + RETRY_MS;
        char msg[700];
        snprintf(msg, sizeof msg, "%.300s: %.300s", err.what, err.why);
        qb_log(LOG_ERR, "recovery: cannot fence node %s (retried in %d s): %s", n->name,
               RETRY_MS / 1000, msg);
        record_fencing(d, n->name, "failed", msg);
    } else {
        n->running = true;
        qb_log(LOG_WARNING,
               "recovery: node %s is lost: fencing it before its groups start elsewhere", n->name);
        record_fencing(d, n->name, "fencing", NULL);
    }
    json_decref(plan);
}

static bool record_is(const json_t *status, const char *node, const char *state)
{
    const json_t *rec = json_object_get(json_object_get(status, "fencing"), node);
    const char *s = wp_json_str(rec, "state");
    return s && strcmp(s, state) == 0;
}

/* A member with records: the proof was for its last absence.  A lost node
 * recorded unfenceable that is no longer unproven (the operator turned
 * fencing off): its record is stale. */
static void clear_rejoined(wp_daemon *d, wp_recovery *r, const json_t *status, const json_t *lost)
{
    if (r->rejoin_inflight)
        return;
    wp_err err = {0};
    json_t *nodes = wp_db_node_list(d->db, &err);
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *name = wp_json_str(n, "name");
        bool recorded = json_object_get(json_object_get(status, "down"), name) ||
                        json_object_get(json_object_get(status, "fencing"), name);
        bool member = node_is_member(d, n);
        bool stale = !member && lost && !json_object_get(lost, name) &&
                     record_is(status, name, "unfenceable");
        if (!name || !recorded || (!member && !stale) || (member && wp_escalate_pending(d, name)))
            continue; /* a member with a failed stop: escalate.c's record stays */
        lost_node *ln = lost_get(r, name);
        if (ln && ln->running)
            continue; /* its fencing is under way: let it end first */
        if (member)
            qb_log(LOG_NOTICE, "recovery: node %s is a member again: its fencing records go", name);
        else
            qb_log(LOG_WARNING,
                   "recovery: node %s is no longer waited for (fencing is off): its "
                   "groups fail over without proof",
                   name);
        r->rejoin_inflight = true;
        submit(d, json_pack("{s:s, s:{s:s}}", "op", "node.rejoined", "args", "name", name));
        break; /* one at a time */
    }
    json_decref(nodes);
}

/* The node is down by its watchdog once WATCHDOG_FACTOR x T has passed
 * since it was lost; until then say what it waits for.  true: proven (or
 * the proof is on its way), nothing else to do. */
static bool watchdog_wait(wp_daemon *d, lost_node *n, int timeout, uint64_t now)
{
    uint64_t wait_ms = (uint64_t)WATCHDOG_FACTOR * (uint64_t)timeout * 1000u;
    if (n->proof_sent)
        return true;
    if (now >= n->lost_ms + wait_ms) {
        char detail[200];
        snprintf(detail, sizeof detail,
                 "lost %llu ms ago; its watchdog (timeout %d s) has reset it by now",
                 (unsigned long long)(now - n->lost_ms), timeout);
        qb_log(LOG_NOTICE, "recovery: node %s is down by its watchdog: %s", n->name, detail);
        n->proof_sent = true;
        submit(d, json_pack("{s:s, s:{s:s, s:s, s:I, s:s}}", "op", "node.down", "args", "name",
                            n->name, "how", "watchdog", "at", (json_int_t)time(NULL), "detail",
                            detail));
        return true;
    }
    if (!n->waiting_noted && !n->running) {
        char msg[200];
        snprintf(msg, sizeof msg, "waits %llu s for its watchdog (timeout %d s) to reset it",
                 (unsigned long long)((n->lost_ms + wait_ms - now + 999) / 1000), timeout);
        qb_log(LOG_WARNING, "recovery: node %s is lost: its groups wait: %s", n->name, msg);
        n->waiting_noted = true;
        record_fencing(d, n->name, "self-fencing", msg);
    }
    return false;
}

/* A lost node that holds a group and has no fence device and no
 * watchdog: nothing can prove it is down but the operator.  Said once per
 * loss (a new coordinator says it again). */
static void note_unfenceable(wp_daemon *d, lost_node *n)
{
    if (n->stuck_noted)
        return;
    qb_log(LOG_CRIT,
           "recovery: node %s is lost and has no fence device and no watchdog: its groups "
           "wait; create a fence device for it (wolfpack fence create), or, if you know it "
           "is off, wolfpack node confirm-down %s (or accept the risk: wolfpack cluster "
           "fencing off)",
           n->name, n->name);
    n->stuck_noted = true;
    record_fencing(d, n->name, "unfenceable",
                   "it has no fence device and no watchdog: nothing can prove it is off");
}

/* Lost since when: set at the first sight of a loss, cleared for members.
 * After a gap in the ticks (this node was not coordinating, or stuck) what
 * it saw before is forgotten: a node may have come back and been lost
 * again meanwhile, and counting from the old loss would be too early. */
static void track_losses(wp_recovery *r, const json_t *lost, uint64_t now)
{
    bool gap = r->last_tick_ms == 0 || now > r->last_tick_ms + TICK_GAP_MS;
    r->last_tick_ms = now;
    for (lost_node *n = r->nodes; n; n = n->next)
        if ((gap || !json_object_get(lost, n->name)) && !n->running) {
            n->lost_ms = 0;
            n->waiting_noted = n->proof_sent = n->stuck_noted = false;
        }
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)lost, name, v)
    {
        lost_node *n = lost_get(r, name);
        if (n && !n->lost_ms)
            n->lost_ms = now;
    }
}

void wp_recovery_tick(wp_daemon *d)
{
    wp_recovery *r = ctx(d);
    wp_err err = {0};
    json_t *status = r ? wp_db_fence_status(d->db, &err) : NULL;
    json_t *lost = status ? unproven(d, status) : NULL;
    const char *name;
    json_t *v;
    uint64_t now = (uint64_t)wp_clock_ms();
    if (status)
        clear_rejoined(d, r, status, lost);
    if (lost)
        track_losses(r, lost, now);
    json_object_foreach(lost, name, v)
    {
        if (!json_object_get(r->needed, name))
            continue; /* it holds no group: nothing to protect */
        lost_node *n = lost_get(r, name);
        int timeout = watchdog_timeout(status, name);
        if (!n || (timeout > 0 && watchdog_wait(d, n, timeout, now)))
            continue;
        if (!n->running && now >= n->next_ms && wp_fencer_node_has_device(d, name))
            fence_start(d, n);
        else if (timeout <= 0 && !n->running && !wp_fencer_node_has_device(d, name))
            note_unfenceable(d, n);
    }
    json_decref(lost);
    json_decref(status);
}

/* ---- held groups -------------------------------------------------------- */

/* Is group g held?  Every unproven node it waits for goes into needed. */
static bool group_held(const json_t *g, const json_t *resources, const json_t *lost, json_t *needed)
{
    const char *owner = wp_json_str(g, "owner");
    const char *name = wp_json_str(g, "name");
    bool held = false;
    if (owner && json_object_get(lost, owner)) {
        json_object_set_new(needed, owner, json_true());
        held = true;
    }
    size_t i;
    json_t *res;
    json_array_foreach(resources, i, res)
    {
        const char *node = wp_json_str(res, "node");
        const char *state = wp_json_str(res, "state");
        if (node && json_object_get(lost, node) && state && strcmp(state, "Offline") != 0 &&
            strcmp(wp_json_str(res, "group"), name) == 0) {
            json_object_set_new(needed, node, json_true());
            held = true;
        }
    }
    return held;
}

/* Drop the held groups and their resources from input; returns their names
 * ("a, b"), "" when none (malloc'd). */
static char *drop_held(json_t *input, const json_t *lost, json_t *needed)
{
    json_t *groups = json_object_get(input, "groups");
    json_t *resources = json_object_get(input, "resources");
    char *names = strdup("");
    for (size_t i = json_array_size(groups); names && i-- > 0;) {
        json_t *g = json_array_get(groups, i);
        if (!group_held(g, resources, lost, needed))
            continue;
        const char *gname = wp_json_str(g, "name");
        for (size_t j = json_array_size(resources); j-- > 0;)
            if (strcmp(wp_json_str(json_array_get(resources, j), "group"), gname) == 0)
                json_array_remove(resources, j);
        size_t len = strlen(names) + strlen(gname) + 3;
        char *grown = malloc(len);
        if (grown)
            snprintf(grown, len, "%s%s%s", gname, names[0] ? ", " : "", names);
        free(names);
        names = grown;
        json_array_remove(groups, i);
    }
    return names;
}

void wp_recovery_filter(wp_daemon *d, json_t *input)
{
    wp_recovery *r = ctx(d);
    wp_err err = {0};
    json_t *status = r ? wp_db_fence_status(d->db, &err) : NULL;
    json_t *lost = status ? unproven(d, status) : NULL;
    json_t *needed = json_object();
    char *held = json_object_size(lost) && needed ? drop_held(input, lost, needed) : strdup("");
    if (r && needed) {
        const char *name;
        json_t *v;
        json_object_foreach(needed, name, v)
        {
            if (!json_object_get(r->needed, name))
                wp_events_kick(d); /* a node to fence: at the next tick, not in 1 s */
        }
        json_decref(r->needed);
        r->needed = json_incref(needed);
    }
    json_decref(needed);
    if (r && held && (!r->held_sig || strcmp(r->held_sig, held) != 0)) {
        if (held[0])
            qb_log(LOG_WARNING,
                   "recovery: group(s) %s wait for proof that their lost node is down (fenced, "
                   "its watchdog, or `wolfpack node confirm-down NODE`)",
                   held);
        else if (r->held_sig && r->held_sig[0])
            qb_log(LOG_NOTICE, "recovery: no group waits for fencing any more");
        free(r->held_sig);
        r->held_sig = held;
        held = NULL;
    }
    free(held);
    json_decref(lost);
    json_decref(status);
}

/* ---- node confirm-down (handlers.c) ------------------------------------- */

bool wp_recovery_check_confirm(wp_daemon *d, wp_request *req, wp_err *err)
{
    if (strcmp(req->op, "node.confirm-down") != 0)
        return true;
    const char *name = wp_json_str(req->args, "name");
    json_t *node = wp_db_node_show(d->db, name, err);
    if (!node)
        return false;
    bool member = node_is_member(d, node);
    json_decref(node);
    if (member) {
        wp_errf(err, WP_E_CONFLICT, "node %s is up", name);
        wp_err_why(err, "it is a member of this partition: there is nothing to confirm");
        wp_err_todo(err, "confirm only a node you know is powered off (wolfpack status shows "
                         "it Down)");
        return false;
    }
    qb_log(LOG_WARNING, "recovery: the operator confirms that node %s is down", name);
    json_object_set_new(req->args, "at", json_integer((json_int_t)time(NULL)));
    return true;
}
