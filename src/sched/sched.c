/*
 * sched.c -- the scheduler's decisions (wp_sched_run).
 *
 * One group at a time, in name order -- except that a group comes after
 * the groups it is colocated with or starts after (plan_in_order) -- and
 * for each group three steps:
 *
 *   1. choose_owner: where should the group be?  A pending resource makes
 *      the group wait; otherwise, in this order: colocation (follow the
 *      other group), a planned move, the operator's offline, first
 *      placement, node lost (failover), drained or no-longer-possible owner
 *      (move away), resource failures (restart in place, possibly after a
 *      back-off delay, or fail over past the restart threshold), failback.
 *      Failovers go through the group's failover threshold; every choice
 *      of a node passes over nodes holding a group of the same
 *      anti-affinity class when it can.
 *   2. mark: which resources should be Online on that owner afterwards
 *      (topological order: a resource is wanted only if everything it
 *      depends on is wanted; nothing new starts while the group of
 *      start_after is not Online), which failed ones restart in place,
 *      which stay Failed, which online ones must bounce because something
 *      below them restarts.
 *   3. emit: stops in reverse start order (on the node each resource runs
 *      on; nothing for a node that is down), then starts/restarts in start
 *      order on the new owner.
 *
 * The rules, with the reasons they follow Windows failover clustering, are
 * in docs/SCHEDULER.md.  Pure: no I/O, no clock, no globals.
 */
#include "sched.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Per-resource marks of one run. */
enum {
    M_WANT = 1,        /* Online on the owner once the actions are done */
    M_RESTART = 2,     /* Failed on the owner: restarted in place */
    M_KEEP_FAILED = 4, /* Failed on the owner: left Failed */
    M_BOUNCE = 8,      /* Online, but something below it restarts or starts */
};

/* What one group's run decided. */
struct plan {
    int owner;         /* owner after this run */
    bool left_failed;  /* failover refused: group left Failed */
    bool hold_offline; /* the group it is colocated with is not online */
    bool failover;     /* counts toward the failover threshold */
    char reason[256];
};

/* The state of one run: the input, the output and scratch marks. */
struct run {
    const wp_sched_input *in;
    wp_sched_output *out;
    unsigned char *mark; /* one per resource */
    bool *decided;       /* one per group: its decision is made */
};

static const char *node_name(const wp_sched_input *in, int n)
{
    return n >= 0 ? in->nodes[n].name : "(none)";
}

/* Append "; TEXT" (or TEXT) to the plan's reason. */
static void reasonf(struct plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reasonf(struct plan *p, const char *fmt, ...)
{
    size_t len = strlen(p->reason);
    va_list ap;
    if (len > 0 && len + 2 < sizeof p->reason) {
        memcpy(p->reason + len, "; ", 3);
        len += 2;
    }
    va_start(ap, fmt);
    vsnprintf(p->reason + len, sizeof p->reason - len, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------------------
 * Nodes and time
 * ------------------------------------------------------------------------- */

/* Can take a group now: up, not paused, not drained. */
static bool usable(const wp_sched_input *in, int n)
{
    return n >= 0 && in->nodes[n].up && !in->nodes[n].paused && !in->nodes[n].drained;
}

static bool possible(const wp_sched_group *g, int n)
{
    return !g->possible || g->possible[n];
}

/* Do two comma lists of anti-affinity classes share a class? */
static bool share_class(const char *a, const char *b)
{
    for (const char *p = a; *p;) {
        size_t n = strcspn(p, ",");
        for (const char *q = b; *q;) {
            size_t m = strcspn(q, ",");
            if (m == n && strncmp(p, q, n) == 0)
                return true;
            q += m + (q[m] == ',');
        }
        p += n + (p[n] == ',');
    }
    return false;
}

/* Where group h is (or will be, once decided this run). */
static int owner_after(const struct run *run, size_t h)
{
    return run->decided[h] ? run->out->decisions[h].owner_after : run->in->groups[h].owner;
}

/* Another online group sharing an anti-affinity class is on node n: its
 * name, else NULL. */
static const char *clash(const struct run *run, const wp_sched_group *g, int n)
{
    const wp_sched_input *in = run->in;
    if (!*g->anti_affinity)
        return NULL;
    for (size_t h = 0; h < in->n_groups; h++) {
        const wp_sched_group *o = &in->groups[h];
        if (o != g && o->target_online && owner_after(run, h) == n &&
            share_class(g->anti_affinity, o->anti_affinity))
            return o->name;
    }
    return NULL;
}

/* The node a group goes to: the first usable preferred owner that is a
 * possible owner, else the usable possible owner with the lowest id.
 * `exclude` (a node index or -1) is never chosen.  Nodes that hold a group
 * of the same anti-affinity class are passed over while another node can
 * take the group (WSFC's AntiAffinityClassNames: apart when possible).
 * *preferred tells which rule chose it; a skipped node goes into the
 * plan's reason. */
static int best_node_pass(const struct run *run, const wp_sched_group *g, int exclude, bool apart,
                          bool *preferred)
{
    const wp_sched_input *in = run->in;
    int best = WP_SCHED_NO_NODE;
    *preferred = true;
    for (size_t i = 0; i < g->n_preferred; i++) {
        int n = g->preferred[i];
        if (n != exclude && usable(in, n) && possible(g, n) && !(apart && clash(run, g, n)))
            return n;
    }
    *preferred = false;
    for (size_t n = 0; n < in->n_nodes; n++) {
        if ((int)n == exclude || !usable(in, (int)n) || !possible(g, (int)n) ||
            (apart && clash(run, g, (int)n)))
            continue;
        if (best < 0 || in->nodes[n].id < in->nodes[best].id)
            best = (int)n;
    }
    return best;
}

static int best_node(const struct run *run, const wp_sched_group *g, int exclude, bool *preferred,
                     struct plan *p)
{
    int apart = best_node_pass(run, g, exclude, true, preferred);
    int any;
    bool pref_any;
    if (!*g->anti_affinity)
        return apart;
    any = best_node_pass(run, g, exclude, false, &pref_any);
    if (apart >= 0 && apart != any)
        reasonf(p, "anti-affinity: %s passed over (group %s is there)", run->in->nodes[any].name,
                clash(run, g, any));
    else if (apart < 0 && any >= 0)
        reasonf(p, "anti-affinity: every node that can take it holds group %s; placed anyway",
                clash(run, g, any));
    if (apart >= 0)
        return apart;
    *preferred = pref_any;
    return any;
}

/* How many of the times fall inside the last `period` seconds. */
static size_t count_recent(const int64_t *t, size_t n, int64_t now, long period)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        count += t[i] > now - period;
    return count;
}

static int local_hour(const wp_sched_input *in)
{
    int64_t s = (in->now + in->tz_offset) % 86400;
    return (int)((s < 0 ? s + 86400 : s) / 3600);
}

/* start..end in local hours, end excluded; may wrap midnight (22-04). */
static bool in_window(const wp_sched_group *g, int hour)
{
    if (g->window_start < g->window_end)
        return hour >= g->window_start && hour < g->window_end;
    return hour >= g->window_start || hour < g->window_end;
}

/* ---------------------------------------------------------------------------
 * Resource states
 * ------------------------------------------------------------------------- */

/* How long its pending state may last: the start or stop timeout when set,
 * else the pending timeout. */
static long pending_limit(const wp_sched_resource *r)
{
    long op = r->state == WP_RS_ONLINE_PENDING ? r->start_timeout : r->stop_timeout;
    return op > 0 ? op : r->pending_timeout;
}

/* The state that counts: a resource on a node that is down (or on no node)
 * is Offline there; a pending state past its limit (pending_limit) is Failed. */

static wp_rstate eff_state(const wp_sched_input *in, const wp_sched_resource *r)
{
    bool pending = r->state == WP_RS_ONLINE_PENDING || r->state == WP_RS_OFFLINE_PENDING;
    if (r->node < 0 || !in->nodes[r->node].up)
        return WP_RS_OFFLINE;
    if (pending && r->has_pending_since && in->now - r->pending_since >= pending_limit(r))
        return WP_RS_FAILED;
    return r->state;
}

static bool is_pending(wp_rstate st)
{
    return st == WP_RS_ONLINE_PENDING || st == WP_RS_OFFLINE_PENDING;
}

/* Left alone by the cluster: unmanaged, or its stop failed on a node that
 * is up (it may still run there; only the operator, or fencing, can say it
 * does not: a node that is down -- fenced -- runs nothing). */
static bool blocked(const wp_sched_input *in, const wp_sched_resource *r)
{
    return r->unmanaged ||
           (r->stop_failed && r->node >= 0 && r->node < (int)in->n_nodes && in->nodes[r->node].up);
}

/* Its failures are forgotten: failure_timeout passed since the last one. */
static bool failures_expired(const wp_sched_input *in, const wp_sched_resource *r)
{
    return r->failure_timeout > 0 && r->n_failures > 0 &&
           r->failures[r->n_failures - 1] <= in->now - r->failure_timeout;
}

static int64_t last_time(const int64_t *t, size_t n)
{
    int64_t last = 0;
    for (size_t i = 0; i < n; i++)
        last = t[i] > last ? t[i] : last;
    return last;
}

/* When it last failed (its failures, or its restarts when none are known). */
static int64_t last_failure(const wp_sched_resource *r)
{
    int64_t f = last_time(r->failures, r->n_failures), t = last_time(r->restarts, r->n_restarts);
    return f > t ? f : t;
}

/* The group's retry period (WSFC's "retry period on failure") has passed
 * since its last failure or failover: its Failed resources are retried. */
static bool retry_due(const wp_sched_input *in, const wp_sched_group *g)
{
    int64_t last = last_time(g->failovers, g->n_failovers);
    if (g->retry_period <= 0)
        return false;
    for (size_t i = 0; i < g->n_order; i++) {
        int64_t t = last_failure(&in->resources[g->order[i]]);
        last = t > last ? t : last;
    }
    return last <= in->now - g->retry_period;
}

/* Its failures no longer count: expired, or the group's retry is due. */
static bool forgiven(const wp_sched_input *in, const wp_sched_resource *r)
{
    return failures_expired(in, r) || retry_due(in, &in->groups[r->group]);
}

/* Restarts counted toward the threshold: none once the failures expired. */
static size_t restarts_counted(const wp_sched_input *in, const wp_sched_resource *r)
{
    return forgiven(in, r) ? 0
                           : count_recent(r->restarts, r->n_restarts, in->now, r->restart_period);
}

/* Seconds the next restart still waits (restart_delay, doubled for each
 * restart already counted in the period, at most 1 h); 0: now. */
static int64_t restart_wait(const wp_sched_input *in, const wp_sched_resource *r, size_t counted,
                            long *delay)
{
    int64_t last = last_failure(r);
    *delay = r->restart_delay;
    for (size_t i = 0; i < counted && *delay < 3600; i++)
        *delay *= 2;
    *delay = *delay > 3600 ? 3600 : *delay;
    if (*delay <= 0 || last <= 0 || last + *delay <= in->now)
        return 0;
    return last + *delay - in->now;
}

/* The first resource of the group still in progress, or NULL. */
static const wp_sched_resource *pending_resource(const wp_sched_input *in, const wp_sched_group *g)
{
    for (size_t i = 0; i < g->n_order; i++) {
        const wp_sched_resource *r = &in->resources[g->order[i]];
        if (is_pending(eff_state(in, r)))
            return r;
    }
    return NULL;
}

static const char *restart_action_name(wp_restart_action ra)
{
    static const char *const names[] = {"none", "restart", "failover"};
    return names[ra];
}

/* ---------------------------------------------------------------------------
 * Step 1: choose the owner
 * ------------------------------------------------------------------------- */

/* Fail the group over away from its owner, unless its failover threshold
 * is reached or no other node can take it: then it is left Failed. */
static void fail_over(struct run *run, const wp_sched_group *g, struct plan *p, const char *cause)
{
    const wp_sched_input *in = run->in;
    long thr = g->failover_threshold < 0 ? (long)in->n_nodes - 1 : g->failover_threshold;
    size_t recent = count_recent(g->failovers, g->n_failovers, in->now, g->failover_period);
    bool pref;
    int n;

    if ((long)recent >= thr) {
        p->left_failed = true;
        reasonf(p,
                "%s; failover threshold %ld in %ld s reached (%zu failovers): "
                "group left failed",
                cause, thr, g->failover_period, recent);
        return;
    }
    n = best_node(run, g, g->owner, &pref, p);
    if (n < 0) {
        p->left_failed = true;
        reasonf(p, "%s; cannot fail over: no other possible owner is up: group left failed", cause);
        return;
    }
    p->owner = n;
    p->failover = true;
    reasonf(p, "failover to %s (%s): %s", in->nodes[n].name,
            pref ? "preferred owner" : "lowest-id possible owner", cause);
}

/* A planned move (move_to).  false when refused or already done (the
 * reason says why): the group is then scheduled as usual. */
static bool planned_move(struct run *run, const wp_sched_group *g, struct plan *p)
{
    const wp_sched_input *in = run->in;
    int t = g->move_to;
    const char *why = NULL;
    bool pref;

    if (t == WP_SCHED_MOVE_BEST) {
        t = best_node(run, g, g->owner, &pref, p);
        if (t < 0)
            why = "no other possible owner is up";
    } else if (!in->nodes[t].up) {
        why = "it is down";
    } else if (in->nodes[t].paused) {
        why = "it is paused";
    } else if (in->nodes[t].drained) {
        why = "it is drained";
    } else if (!possible(g, t)) {
        why = "it is not a possible owner of the group";
    }
    if (why) {
        reasonf(p, "move to %s refused: %s",
                g->move_to == WP_SCHED_MOVE_BEST ? "the best node" : in->nodes[t].name, why);
        return false;
    }
    if (t == g->owner) { /* nothing to move: schedule as usual */
        reasonf(p, "move to %s: already the owner", in->nodes[t].name);
        return false;
    }
    p->owner = t;
    reasonf(p, "planned move from %s to %s", node_name(in, g->owner), in->nodes[t].name);
    return true;
}

static void place(struct run *run, const wp_sched_group *g, struct plan *p)
{
    const wp_sched_input *in = run->in;
    bool pref;
    int n = best_node(run, g, WP_SCHED_NO_NODE, &pref, p);
    if (n < 0) {
        reasonf(p, "cannot run: no possible owner is up (and not paused or drained)");
        return;
    }
    p->owner = n;
    reasonf(p, "placed on %s (%s)", in->nodes[n].name,
            pref ? "first available preferred owner" : "lowest-id available possible owner");
}

/* The owner is drained or no longer a possible owner: move elsewhere if
 * any node can take the group, else stay. */
static void move_away(struct run *run, const wp_sched_group *g, struct plan *p)
{
    const wp_sched_input *in = run->in;
    const char *why = in->nodes[g->owner].drained ? "drained"
                      : !possible(g, g->owner)    ? "not a possible owner"
                                                  : "paused, and the group is not running";
    bool pref;
    int n = best_node(run, g, g->owner, &pref, p);
    if (n < 0) {
        reasonf(p, "owner %s is %s but no other possible owner is up: stays",
                in->nodes[g->owner].name, why);
        return;
    }
    p->owner = n;
    reasonf(p, "move from %s (%s) to %s", in->nodes[g->owner].name, why, in->nodes[n].name);
}

/* Does any resource of the group run (Online or Failed) on node n? */
static bool runs_on(const wp_sched_input *in, const wp_sched_group *g, int n)
{
    for (size_t i = 0; i < g->n_order; i++) {
        const wp_sched_resource *r = &in->resources[g->order[i]];
        wp_rstate st = eff_state(in, r);
        if (r->node == n && (st == WP_RS_ONLINE || st == WP_RS_FAILED))
            return true;
    }
    return false;
}

enum failure { FAIL_NONE, FAIL_HANDLED, FAIL_OVER };

/* Failed resources on the owner: mark the ones that restart in place.
 * Returns FAIL_OVER (with the cause) when one is past its restart
 * threshold with restart_action failover. */
static enum failure resource_failures(struct run *run, const wp_sched_group *g, struct plan *p,
                                      char *cause, size_t cause_len)
{
    const wp_sched_input *in = run->in;
    enum failure result = FAIL_NONE;

    for (size_t i = 0; i < g->n_order && result != FAIL_OVER; i++) {
        const wp_sched_resource *r = &in->resources[g->order[i]];
        size_t recent;
        if (eff_state(in, r) != WP_RS_FAILED || r->node != g->owner || !r->target_online ||
            blocked(in, r))
            continue;
        recent = restarts_counted(in, r);
        result = FAIL_HANDLED;
        if (r->restart_action == WP_RA_FAILOVER && !r->permanent && !r->is_new &&
            (long)recent >= r->restart_threshold) {
            snprintf(cause, cause_len, "resource %s failed past its restart threshold %ld in %ld s",
                     r->name, r->restart_threshold, r->restart_period);
            result = FAIL_OVER;
        }
    }
    if (result != FAIL_HANDLED)
        return result;
    for (size_t i = 0; i < g->n_order; i++) {
        size_t ri = g->order[i];
        const wp_sched_resource *r = &in->resources[ri];
        size_t recent;
        int64_t wait;
        long delay;
        if (eff_state(in, r) != WP_RS_FAILED || r->node != g->owner || !r->target_online ||
            blocked(in, r))
            continue;
        recent = restarts_counted(in, r);
        if (r->state != WP_RS_FAILED)
            reasonf(p, "%s %s for more than its %s %ld s", r->name, wp_rstate_name(r->state),
                    pending_limit(r) == r->pending_timeout ? "pending timeout"
                    : r->state == WP_RS_ONLINE_PENDING     ? "start timeout"
                                                           : "stop timeout",
                    pending_limit(r));
        if (r->permanent) {
            reasonf(p,
                    "%s failed with an error that retrying cannot mend: left failed (fix the "
                    "cause, then 'wolfpack resource cleanup %s')",
                    r->name, r->name);
        } else if (retry_due(in, g) && !failures_expired(in, r) &&
                   (r->restart_action == WP_RA_NONE ||
                    (long)count_recent(r->restarts, r->n_restarts, in->now, r->restart_period) >=
                        r->restart_threshold)) {
            run->mark[ri] |= M_RESTART;
            reasonf(p, "retry %s on %s: group failed more than its retry_period %ld s ago", r->name,
                    in->nodes[r->node].name, g->retry_period);
        } else if (failures_expired(in, r) && r->restart_action == WP_RA_NONE) {
            run->mark[ri] |= M_RESTART;
            reasonf(p, "restart %s on %s: its failures expired (failure_timeout %ld s)", r->name,
                    in->nodes[r->node].name, r->failure_timeout);
        } else if (r->restart_action != WP_RA_NONE && (long)recent < r->restart_threshold &&
                   (wait = restart_wait(in, r, recent, &delay)) > 0) {
            reasonf(p, "restart of %s on %s waits %lld s more (restart_delay back-off: %ld s)",
                    r->name, in->nodes[r->node].name, (long long)wait, delay);
        } else if (r->restart_action != WP_RA_NONE && (long)recent < r->restart_threshold) {
            run->mark[ri] |= M_RESTART;
            reasonf(p, "restart %s on %s (%zu of %ld in %ld s)", r->name, in->nodes[r->node].name,
                    recent + 1, r->restart_threshold, r->restart_period);
        } else if (r->restart_action == WP_RA_NONE) {
            reasonf(p, "%s failed (restart_action none): left failed", r->name);
        } else if (r->is_new) {
            reasonf(p,
                    "%s, new in the group, failed past its restart threshold %ld in %ld s before "
                    "it was ever online: left failed, the group is not failed over (fix it, then "
                    "'wolfpack resource cleanup %s')",
                    r->name, r->restart_threshold, r->restart_period, r->name);
        } else {
            reasonf(p,
                    "%s failed past its restart threshold %ld in %ld s (restart_action %s): left "
                    "failed",
                    r->name, r->restart_threshold, r->restart_period,
                    restart_action_name(r->restart_action));
        }
    }
    return FAIL_HANDLED;
}

/* Move back to the most preferred available node, if the policy allows it
 * now.  true when the group moves. */
static bool failback(struct run *run, const wp_sched_group *g, struct plan *p)
{
    const wp_sched_input *in = run->in;
    int f = WP_SCHED_NO_NODE, hour = local_hour(in);
    /* the first preferred node it can use, passing over one that holds a
     * group of its anti-affinity class (but never past its own owner) */
    for (size_t i = 0; i < g->n_preferred && f < 0; i++)
        if ((g->preferred[i] == g->owner && usable(in, g->owner)) ||
            (usable(in, g->preferred[i]) && possible(g, g->preferred[i]) &&
             !clash(run, g, g->preferred[i])))
            f = g->preferred[i];
    if (g->failback == WP_FAILBACK_NEVER || f < 0 || f == g->owner)
        return false;
    if (g->failback == WP_FAILBACK_WINDOW && !in_window(g, hour)) {
        reasonf(p, "failback to %s waits for its window %02d-%02d (local hour %02d)",
                in->nodes[f].name, g->window_start, g->window_end, hour);
        return false;
    }
    p->owner = f;
    if (g->failback == WP_FAILBACK_WINDOW)
        reasonf(p,
                "failback from %s to preferred owner %s inside window %02d-%02d (local hour %02d)",
                node_name(in, g->owner), in->nodes[f].name, g->window_start, g->window_end, hour);
    else
        reasonf(p, "failback from %s to preferred owner %s (immediate)", node_name(in, g->owner),
                in->nodes[f].name);
    return true;
}

/* A blocked resource (unmanaged, or its stop failed) that is not Offline
 * pins its group to its owner: moving the group would leave it behind. */
static const wp_sched_resource *blocked_active(const wp_sched_input *in, const wp_sched_group *g)
{
    for (size_t i = 0; i < g->n_order; i++) {
        const wp_sched_resource *r = &in->resources[g->order[i]];
        if (blocked(in, r) && eff_state(in, r) != WP_RS_OFFLINE)
            return r;
    }
    return NULL;
}

static wp_gstate current_state(const wp_sched_input *in, const wp_sched_group *g);

/* The state group h has (or will have, once decided this run). */
static wp_gstate state_after(const struct run *run, size_t h)
{
    return run->decided[h] ? run->out->decisions[h].state
                           : current_state(run->in, &run->in->groups[h]);
}

/* Is group h online (or partially, or on its way: pending) on an up node
 * once this run is done? */
static bool group_runs(const struct run *run, size_t h)
{
    wp_gstate st = state_after(run, h);
    int n = owner_after(run, h);
    return run->in->groups[h].target_online && n >= 0 && run->in->nodes[n].up &&
           (st == WP_GS_ONLINE || st == WP_GS_PARTIAL || st == WP_GS_PENDING);
}

/* colocate_with (Pacemaker's mandatory colocation): the group runs where
 * that group runs, and nowhere while that group does not run.  It follows
 * the other group's moves; it never fails over alone. */
static void colocate(struct run *run, const wp_sched_group *g, struct plan *p)
{
    const wp_sched_input *in = run->in;
    size_t h = (size_t)g->colocate_group;
    const char *other = in->groups[h].name;
    int t = owner_after(run, h);
    char cause[192];

    if (g->move_to != WP_SCHED_MOVE_NONE)
        reasonf(p, "move refused: colocated with group %s (move %s instead)", other, other);
    if (!group_runs(run, h)) {
        p->hold_offline = true;
        reasonf(p, "colocated with group %s, which is not online: not started", other);
        return;
    }
    if (!possible(g, t) || in->nodes[t].drained || (t != g->owner && in->nodes[t].paused)) {
        p->hold_offline = true;
        reasonf(p, "colocated with group %s on %s, which cannot take this group: not started",
                other, in->nodes[t].name);
        return;
    }
    if (t != g->owner) {
        p->owner = t;
        reasonf(p, "follows group %s to %s (colocation)", other, in->nodes[t].name);
        return;
    }
    if (resource_failures(run, g, p, cause, sizeof cause) == FAIL_OVER) {
        p->left_failed = true;
        reasonf(p, "%s; colocated with group %s, it does not fail over alone: group left failed",
                cause, other);
    }
}

static void choose_owner(struct run *run, const wp_sched_group *g, struct plan *p)
{
    const wp_sched_input *in = run->in;
    int o = g->owner;
    char cause[192];
    const wp_sched_resource *pin = blocked_active(in, g);

    /* a failed stop holds the group where that stop failed, which is not
     * its recorded owner when the stop was a move's (the commit of a move
     * records the new owner before the old node stops anything) */
    if (pin && !pin->unmanaged && pin->node >= 0)
        o = pin->node;
    p->owner = o;
    if (pin && pin->unmanaged) {
        reasonf(p, "held on %s: %s is unmanaged (no move, no failover)", node_name(in, o),
                pin->name);
    } else if (pin) {
        reasonf(p,
                "held on %s: the stop of %s failed there (it may still run); stop it by hand, "
                "then 'wolfpack resource cleanup %s', or 'wolfpack node fence %s'",
                node_name(in, pin->node), pin->name, pin->name, node_name(in, pin->node));
    }
    if (pin) {
        if (g->target_online && resource_failures(run, g, p, cause, sizeof cause) == FAIL_OVER)
            reasonf(p, "no failover although %s", cause);
        return;
    }
    if (g->colocate_group >= 0 && g->target_online) {
        colocate(run, g, p);
        return;
    }
    if (g->move_to != WP_SCHED_MOVE_NONE && planned_move(run, g, p))
        return;
    if (!g->target_online) {
        reasonf(p, "offline: the operator took the group offline");
        if (o >= 0 && in->nodes[o].up && in->nodes[o].drained)
            move_away(run, g, p);
    } else if (o < 0) {
        place(run, g, p);
    } else if (!in->nodes[o].up) {
        snprintf(cause, sizeof cause, "node %s down", in->nodes[o].name);
        fail_over(run, g, p, cause);
    } else if (in->nodes[o].drained || !possible(g, o) ||
               (in->nodes[o].paused && !runs_on(in, g, o))) {
        move_away(run, g, p);
    } else {
        switch (resource_failures(run, g, p, cause, sizeof cause)) {
        case FAIL_OVER:
            fail_over(run, g, p, cause);
            break;
        case FAIL_NONE:
            failback(run, g, p);
            break;
        case FAIL_HANDLED:
            break;
        }
    }
}

/* ---------------------------------------------------------------------------
 * Step 2: mark what should be Online afterwards
 * ------------------------------------------------------------------------- */

/* Online on the owner, wanted, not bouncing: nothing happens to it. */
static bool stays_online(struct run *run, size_t ri, int owner)
{
    const wp_sched_resource *r = &run->in->resources[ri];
    return (run->mark[ri] & (M_WANT | M_BOUNCE)) == M_WANT &&
           eff_state(run->in, r) == WP_RS_ONLINE && r->node == owner;
}

/* Returns how many resources a paused owner does not start; *waited: how
 * many wait for the group of start_after (when `wait`). */
static size_t mark_group(struct run *run, const wp_sched_group *g, const struct plan *p, bool wait,
                         size_t *waited)
{
    const wp_sched_input *in = run->in;
    bool can_run = g->target_online && !p->left_failed && !p->hold_offline && p->owner >= 0 &&
                   in->nodes[p->owner].up;
    /* a paused owner keeps what runs there (and restarts it) but starts
     * nothing that is not running */
    bool no_new = p->owner >= 0 && in->nodes[p->owner].paused;
    size_t held = 0;

    for (size_t i = 0; i < g->n_order; i++) {
        size_t ri = g->order[i];
        const wp_sched_resource *r = &in->resources[ri];
        wp_rstate st = eff_state(in, r);
        bool deps_wanted = true, deps_stay = true;
        unsigned char m = run->mark[ri] & M_RESTART;

        for (size_t d = 0; d < r->n_depends_on; d++) {
            deps_wanted = deps_wanted && (run->mark[r->depends_on[d]] & M_WANT);
            deps_stay = deps_stay && stays_online(run, r->depends_on[d], p->owner);
        }
        if (blocked(in, r)) {
            /* left as it is: Online counts as wanted, so its dependents may run */
            run->mark[ri] = st == WP_RS_ONLINE && r->node == p->owner   ? M_WANT
                            : st == WP_RS_FAILED && r->node == p->owner ? M_KEEP_FAILED
                                                                        : 0;
            continue;
        }
        if (st == WP_RS_FAILED && r->node == p->owner && r->target_online && g->target_online)
            m = (m && can_run && deps_wanted) ? (M_WANT | M_RESTART) : M_KEEP_FAILED;
        else if (can_run && r->target_online && deps_wanted)
            m = M_WANT;
        else
            m = 0;
        if (m == M_WANT && no_new && (st != WP_RS_ONLINE || r->node != p->owner)) {
            m = 0;
            held++;
        }
        if ((m & M_WANT) && wait && (st != WP_RS_ONLINE || r->node != p->owner)) {
            m = (m & M_RESTART) ? M_KEEP_FAILED : 0;
            (*waited)++;
        }
        if ((m & M_WANT) && st == WP_RS_ONLINE && r->node == p->owner && !deps_stay)
            m |= M_BOUNCE;
        run->mark[ri] = m;
    }
    return held;
}

/* ---------------------------------------------------------------------------
 * Step 3: emit the actions
 * ------------------------------------------------------------------------- */

static void push(struct run *run, wp_sched_verb verb, size_t ri, int node, const char *reason)
{
    wp_sched_output *out = run->out;
    if (out->n_actions == out->cap_actions) {
        out->cap_actions = out->cap_actions ? 2 * out->cap_actions : 64;
        out->actions = realloc(out->actions, out->cap_actions * sizeof *out->actions);
        if (!out->actions)
            abort();
    }
    wp_sched_action *a = &out->actions[out->n_actions++];
    a->verb = verb;
    a->resource = ri;
    a->group = run->in->resources[ri].group;
    a->node = node;
    snprintf(a->reason, sizeof a->reason, "%s", reason);
}

/* Why resource ri stops (it is Online or Failed on an up node). */
static void stop_reason(struct run *run, const wp_sched_group *g, const struct plan *p, size_t ri,
                        char *buf, size_t len)
{
    const wp_sched_input *in = run->in;
    const wp_sched_resource *r = &in->resources[ri];
    bool failed = eff_state(in, r) == WP_RS_FAILED;

    if (r->node != p->owner && p->owner >= 0 && (g->target_online || p->owner != g->owner))
        snprintf(buf, len, "%sgroup moves to %s", failed ? "clean up failed resource: " : "",
                 in->nodes[p->owner].name);
    else if (!g->target_online)
        snprintf(buf, len, "group taken offline");
    else if (!r->target_online)
        snprintf(buf, len, "resource taken offline");
    else if (p->left_failed)
        snprintf(buf, len, "group left failed");
    else if (p->hold_offline)
        snprintf(buf, len, "the group it is colocated with is not online");
    else if (run->mark[ri] & M_BOUNCE)
        snprintf(buf, len, "a resource it depends on restarts");
    else {
        const char *dep = "?";
        for (size_t d = 0; d < r->n_depends_on; d++)
            if (!(run->mark[r->depends_on[d]] & M_WANT)) {
                dep = in->resources[r->depends_on[d]].name;
                break;
            }
        snprintf(buf, len, "depends on %s, which is not online", dep);
    }
}

/* Stops in reverse start order, each on the node the resource runs on. */
static void emit_stops(struct run *run, const wp_sched_group *g, const struct plan *p)
{
    const wp_sched_input *in = run->in;
    char why[128];

    for (size_t i = g->n_order; i-- > 0;) {
        size_t ri = g->order[i];
        const wp_sched_resource *r = &in->resources[ri];
        wp_rstate st = eff_state(in, r);
        bool stop = false;
        if (blocked(in, r))
            continue;
        if (st == WP_RS_ONLINE)
            stop = !stays_online(run, ri, p->owner);
        else if (st == WP_RS_FAILED)
            stop = r->node != p->owner || !(run->mark[ri] & (M_RESTART | M_KEEP_FAILED));
        if (!stop)
            continue;
        stop_reason(run, g, p, ri, why, sizeof why);
        push(run, WP_ACT_STOP, ri, r->node, why);
    }
}

/* Starts (and restarts) in start order on the owner. */
static void emit_starts(struct run *run, const wp_sched_group *g, const struct plan *p)
{
    const wp_sched_input *in = run->in;
    char why[128];

    for (size_t i = 0; i < g->n_order; i++) {
        size_t ri = g->order[i];
        const wp_sched_resource *r = &in->resources[ri];
        if (!(run->mark[ri] & M_WANT) || stays_online(run, ri, p->owner) || blocked(in, r))
            continue;
        if (run->mark[ri] & M_RESTART) {
            snprintf(why, sizeof why, "failed: restart %zu of %ld in %ld s",
                     restarts_counted(in, r) + 1, r->restart_threshold, r->restart_period);
            push(run, WP_ACT_RESTART, ri, p->owner, why);
            continue;
        }
        if (g->owner < 0)
            snprintf(why, sizeof why, "group placed on %s", in->nodes[p->owner].name);
        else if (p->owner != g->owner)
            snprintf(why, sizeof why, "group moves from %s", in->nodes[g->owner].name);
        else if (run->mark[ri] & M_BOUNCE)
            snprintf(why, sizeof why, "again, after what it depends on");
        else
            snprintf(why, sizeof why, "group online on %s", in->nodes[p->owner].name);
        push(run, WP_ACT_START, ri, p->owner, why);
    }
}

/* ---------------------------------------------------------------------------
 * One group, the whole run
 * ------------------------------------------------------------------------- */

/* A group's state from how many of its resources are (to be) online and
 * failed; a group without resources is Online when it should be and its
 * owner is up. */
static wp_gstate state_of(const wp_sched_input *in, const wp_sched_group *g, int owner,
                          size_t online, size_t failed)
{
    if (g->n_order == 0)
        return g->target_online && owner >= 0 && in->nodes[owner].up ? WP_GS_ONLINE : WP_GS_OFFLINE;
    if (online == g->n_order)
        return WP_GS_ONLINE;
    if (online > 0)
        return WP_GS_PARTIAL;
    return failed > 0 ? WP_GS_FAILED : WP_GS_OFFLINE;
}

static wp_gstate group_state(struct run *run, const wp_sched_group *g, const struct plan *p)
{
    size_t online = 0, failed = 0;
    if (p->left_failed)
        return WP_GS_FAILED;
    for (size_t i = 0; i < g->n_order; i++) {
        online += (run->mark[g->order[i]] & M_WANT) != 0;
        failed += (run->mark[g->order[i]] & M_KEEP_FAILED) != 0;
    }
    return state_of(run->in, g, p->owner, online, failed);
}

/* Say which resources the operator took offline that still run. */
static void note_taken_offline(const wp_sched_input *in, const wp_sched_group *g, struct plan *p)
{
    for (size_t i = 0; i < g->n_order; i++) {
        const wp_sched_resource *r = &in->resources[g->order[i]];
        if (!r->target_online && eff_state(in, r) != WP_RS_OFFLINE)
            reasonf(p, "%s taken offline by the operator", r->name);
    }
}

/* The group's state as it is now (maintenance, unmanaged: nothing changes). */
static wp_gstate current_state(const wp_sched_input *in, const wp_sched_group *g)
{
    size_t online = 0, failed = 0;
    for (size_t i = 0; i < g->n_order; i++) {
        wp_rstate st = eff_state(in, &in->resources[g->order[i]]);
        online += st == WP_RS_ONLINE;
        failed += st == WP_RS_FAILED;
    }
    return state_of(in, g, g->owner, online, failed);
}

static void plan_group(struct run *run, size_t gi)
{
    const wp_sched_input *in = run->in;
    const wp_sched_group *g = &in->groups[gi];
    wp_sched_decision *d = &run->out->decisions[gi];
    const wp_sched_resource *busy = pending_resource(in, g);
    struct plan p = {.owner = g->owner};
    size_t before = run->out->n_actions, held, waited = 0;
    bool wait = g->after_group >= 0 && state_after(run, (size_t)g->after_group) != WP_GS_ONLINE;

    d->group = gi;
    d->owner_before = g->owner;
    if (in->maintenance || g->unmanaged) {
        d->owner_after = g->owner;
        d->state = current_state(in, g);
        snprintf(d->reason, sizeof d->reason, "%s: nothing is started, stopped or moved",
                 in->maintenance ? "cluster in maintenance mode" : "unmanaged (managed=false)");
        return;
    }
    if (busy) {
        d->owner_after = g->owner;
        d->state = WP_GS_PENDING;
        snprintf(d->reason, sizeof d->reason, "waiting: %s is %s on %s", busy->name,
                 wp_rstate_name(busy->state), node_name(in, busy->node));
        return;
    }
    if (*g->colocate_with && g->colocate_group < 0)
        reasonf(&p, "colocate_with names no other group (\"%s\"): ignored", g->colocate_with);
    if (*g->start_after && g->after_group < 0)
        reasonf(&p, "start_after names no other group (\"%s\"): ignored", g->start_after);
    choose_owner(run, g, &p);
    held = mark_group(run, g, &p, wait, &waited);
    if (held > 0)
        reasonf(&p, "%s is paused: %zu resource%s not started", in->nodes[p.owner].name, held,
                held == 1 ? "" : "s");
    if (waited > 0)
        reasonf(&p, "start order: waits for group %s to be online (%zu resource%s not started)",
                g->start_after, waited, waited == 1 ? "" : "s");
    note_taken_offline(in, g, &p);
    emit_stops(run, g, &p);
    emit_starts(run, g, &p);
    if (!p.reason[0])
        reasonf(&p, run->out->n_actions > before ? "bring online on %s" : "stable on %s",
                node_name(in, p.owner));
    d->owner_after = p.owner;
    d->state = group_state(run, g, &p);
    d->failover = p.failover;
    snprintf(d->reason, sizeof d->reason, "%s", p.reason);
}

/* Groups are decided after the groups they are colocated with or start
 * after (their decisions are what this group follows), otherwise in name
 * order; a cycle of such references is broken where it closes (the group
 * met again sees the other's state before this run). */
static void plan_in_order(struct run *run, size_t gi, bool *visiting)
{
    const wp_sched_group *g = &run->in->groups[gi];
    if (run->decided[gi] || visiting[gi])
        return;
    visiting[gi] = true;
    if (g->colocate_group >= 0)
        plan_in_order(run, (size_t)g->colocate_group, visiting);
    if (g->after_group >= 0)
        plan_in_order(run, (size_t)g->after_group, visiting);
    plan_group(run, gi);
    run->decided[gi] = true;
}

/* The invariants of sched.h, for inputs built by hand. */
static bool check_input(const wp_sched_input *in, wp_err *err)
{
    size_t listed = 0;
    const char *bad = NULL;
    for (size_t i = 0; i < in->n_groups && !bad; i++) {
        const wp_sched_group *g = &in->groups[i];
        int n = (int)in->n_nodes;
        listed += g->n_order;
        if (g->owner < -1 || g->owner >= n || g->move_to < -2 || g->move_to >= n)
            bad = "a group's owner or move_to is not a node index";
        for (size_t k = 0; k < g->n_preferred && !bad; k++)
            if (g->preferred[k] < 0 || g->preferred[k] >= n)
                bad = "a group's preferred owner is not a node index";
        for (size_t k = 0; k < g->n_order && !bad; k++)
            if (g->order[k] >= in->n_resources || in->resources[g->order[k]].group != i)
                bad = "a group's start order lists a resource of another group";
    }
    for (size_t i = 0; i < in->n_resources && !bad; i++) {
        const wp_sched_resource *r = &in->resources[i];
        if (r->node < -1 || r->node >= (int)in->n_nodes || r->group >= in->n_groups ||
            (unsigned)r->state >= WP_RS__COUNT || (unsigned)r->restart_action > WP_RA_FAILOVER)
            bad = "a resource's node, group, state or restart action is out of range";
        for (size_t k = 0; k < r->n_depends_on && !bad; k++)
            if (r->depends_on[k] >= in->n_resources)
                bad = "a resource depends on a resource index out of range";
    }
    if (!bad && listed != in->n_resources)
        bad = "the groups' start orders do not list every resource once";
    if (!bad)
        return true;
    wp_errf(err, WP_E_INVALID, "cannot run the scheduler on this input");
    wp_err_why(err, "%s", bad);
    wp_err_todo(err, "build the input with wp_sched_input_parse, or fix the caller");
    return false;
}

bool wp_sched_run(const wp_sched_input *in, wp_sched_output *out, wp_err *err)
{
    struct run run = {.in = in, .out = out};
    if (!check_input(in, err))
        return false;
    bool *visiting = calloc(in->n_groups ? in->n_groups : 1, sizeof *visiting);
    run.decided = calloc(in->n_groups ? in->n_groups : 1, sizeof *run.decided);
    run.mark = calloc(in->n_resources ? in->n_resources : 1, 1);
    out->decisions = calloc(in->n_groups ? in->n_groups : 1, sizeof *out->decisions);
    if (!run.mark || !out->decisions || !run.decided || !visiting)
        abort();
    for (size_t gi = 0; gi < in->n_groups; gi++)
        plan_in_order(&run, gi, visiting);
    out->n_decisions = in->n_groups;
    free(run.mark);
    free(run.decided);
    free(visiting);
    return true;
}

void wp_sched_output_free(wp_sched_output *out)
{
    if (!out)
        return;
    free(out->actions);
    free(out->decisions);
    memset(out, 0, sizeof *out);
}
