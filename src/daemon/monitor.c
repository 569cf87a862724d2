/*
 * monitor.c -- health checks of the resources that run on this node
 * (MSCS's LooksAlive / IsAlive; docs/EXECUTOR.md).
 *
 * Every resource the database shows Online on this node, and that the
 * executor is not acting on, has a monitor: a quick check every
 * quick_check_interval seconds and a thorough check every
 * thorough_check_interval seconds (its policy), each through the agents'
 * child runner, one check at a time per resource (a check that falls due
 * while another runs waits for it).  A check that does not answer OK
 * (failed, not running, timed out) is reported with resource.report
 * {state Failed, error} and the monitor ends; the coordinator then decides
 * between a restart in place and a failover.
 *
 * wp_mon_reconcile (every tick) follows the database: monitors appear for
 * resources that came Online here and go for the others.  A check's result
 * is dropped when the resource was meanwhile taken by the executor or is no
 * longer Online here.  Quorum loss stops every monitor, and so does the
 * cluster's maintenance mode (wp_db_maintenance): no check runs and no
 * failure is reported until it ends.
 */
#include <qb/qblog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/json.h"
#include "../agents/agent.h"
#include "daemon.h"

typedef struct mon {
    struct wp_monitors *m;
    char resource[64];
    long quick_s, thorough_s, timeout_s;
    qb_loop_timer_handle tq, tt;
    bool tq_armed, tt_armed;
    bool quick_due, thorough_due;
    wp_agent_job *job;
    wp_agent_op op; /* of the running job */
    bool seen;      /* reconcile mark */
    struct mon *next;
} mon;

struct wp_monitors {
    wp_daemon *d;
    mon *list;
};

static long policy_s(const json_t *r, const char *key, long dflt)
{
    const json_t *v = json_object_get(json_object_get(r, "policy"), key);
    long s = 0;

    if (json_is_integer(v) && json_integer_value(v) > 0)
        return (long)json_integer_value(v);
    if (json_is_string(v) && wp_duration_parse(json_string_value(v), &s, NULL) && s > 0)
        return s;
    return dflt;
}

static void arm(mon *mo, bool quick);

static void mon_free(mon *mo)
{
    wp_daemon *d = mo->m->d;

    if (mo->tq_armed)
        qb_loop_timer_del(d->loop, mo->tq);
    if (mo->tt_armed)
        qb_loop_timer_del(d->loop, mo->tt);
    if (mo->job)
        wp_agent_job_cancel(mo->job);
    free(mo);
}

static void mon_remove(mon *mo)
{
    for (mon **pp = &mo->m->list; *pp; pp = &(*pp)->next) {
        if (*pp == mo) {
            *pp = mo->next;
            break;
        }
    }
    mon_free(mo);
}

static mon *mon_find(wp_monitors *m, const char *resource)
{
    for (mon *mo = m->list; mo; mo = mo->next)
        if (strcasecmp(mo->resource, resource) == 0)
            return mo;
    return NULL;
}

/* Still ours to judge: Online here in the database, the executor idle. */
static bool still_ours(wp_daemon *d, const char *resource)
{
    wp_err err = {0};
    json_t *r = wp_db_resource_show(d->db, resource, &err);
    const char *state = wp_json_str(r, "state");
    const char *node = wp_json_str(r, "node");
    bool ours = state && node && strcmp(state, "Online") == 0 &&
                strcasecmp(node, d->view.local_name) == 0 && !wp_exec_busy_with(d, resource);

    json_decref(r);
    return ours;
}

static void run_check(mon *mo, wp_agent_op op);

static void on_check_done(void *data, wp_agent_rc rc, const wp_err *err)
{
    mon *mo = data;
    wp_daemon *d = mo->m->d;

    mo->job = NULL;
    if (rc != WP_AGENT_OK && wp_view_ready(d) && !wp_db_maintenance(d->db) &&
        still_ours(d, mo->resource)) {
        char text[900];
        if (rc == WP_AGENT_NOT_RUNNING)
            snprintf(text, sizeof text, "%s: %s", wp_agent_op_name(mo->op),
                     err && err->what[0] ? err->what : "it is not running");
        else
            snprintf(text, sizeof text, "%s: %s%s%s", wp_agent_op_name(mo->op),
                     err && err->what[0] ? err->what : "failed", err && err->why[0] ? ": " : "",
                     err ? err->why : "");
        wp_exec_report(d, mo->resource, "Failed", text);
        mon_remove(mo);
        return;
    }
    if (mo->thorough_due)
        run_check(mo, WP_OP_THOROUGH_CHECK);
    else if (mo->quick_due)
        run_check(mo, WP_OP_QUICK_CHECK);
}

static void run_check(mon *mo, wp_agent_op op)
{
    wp_daemon *d = mo->m->d;
    json_t *show = NULL;
    wp_rtype type;
    wp_err err = {0};

    if (op == WP_OP_QUICK_CHECK)
        mo->quick_due = false;
    else
        mo->thorough_due = false;
    if (!wp_exec_agent_ctx(d, mo->resource, &show, &type, &err))
        return;
    wp_agent_ctx ctx = {.name = mo->resource,
                        .props = json_object_get(show, "props"),
                        .log_fd = d->agent_log_fd,
                        .remote = wp_privsep_remote(d),
                        .timeout_ms = mo->timeout_s * 1000L};
    mo->op = op;
    mo->job = wp_agent_op_spawn(d->loop, type, op, &ctx, on_check_done, mo, &err);
    if (!mo->job)
        wp_log_err(LOG_WARNING, "monitor: cannot run a check", &err);
    json_decref(show);
}

static void fire(mon *mo, bool quick)
{
    if (quick) {
        mo->tq_armed = false;
        mo->quick_due = true;
    } else {
        mo->tt_armed = false;
        mo->thorough_due = true;
    }
    arm(mo, quick);
    if (!mo->job)
        run_check(mo, mo->thorough_due ? WP_OP_THOROUGH_CHECK : WP_OP_QUICK_CHECK);
}

static void on_quick(void *data)
{
    fire(data, true);
}

static void on_thorough(void *data)
{
    fire(data, false);
}

static void arm(mon *mo, bool quick)
{
    wp_daemon *d = mo->m->d;
    uint64_t ns = (uint64_t)(quick ? mo->quick_s : mo->thorough_s) * 1000000000u;

    if (quick)
        mo->tq_armed = qb_loop_timer_add(d->loop, QB_LOOP_MED, ns, mo, on_quick, &mo->tq) == 0;
    else
        mo->tt_armed = qb_loop_timer_add(d->loop, QB_LOOP_MED, ns, mo, on_thorough, &mo->tt) == 0;
}

static void mon_add(wp_monitors *m, const json_t *r)
{
    mon *mo = calloc(1, sizeof *mo);

    if (!mo)
        return;
    mo->m = m;
    snprintf(mo->resource, sizeof mo->resource, "%s", wp_json_str(r, "name"));
    mo->quick_s = policy_s(r, "quick_check_interval", 5);
    mo->thorough_s = policy_s(r, "thorough_check_interval", 60);
    /* check_timeout, when set, else the pending timeout (docs/EXECUTOR.md) */
    mo->timeout_s = policy_s(r, "check_timeout", policy_s(r, "pending_timeout", 180));
    mo->seen = true;
    arm(mo, true);
    arm(mo, false);
    mo->next = m->list;
    m->list = mo;
    qb_log(LOG_INFO, "monitor: watching %s (quick every %ld s, thorough every %ld s)", mo->resource,
           mo->quick_s, mo->thorough_s);
}

void wp_mon_reconcile(wp_daemon *d)
{
    wp_monitors *m = d->mon;
    wp_err err = {0};
    json_t *list;
    size_t i;
    json_t *r;

    if (!m)
        return;
    /* only the resources placed here: a monitor runs where its resource is;
     * none at all in maintenance mode */
    list = wp_db_maintenance(d->db) ? json_array()
                                    : wp_db_resource_select(d->db, NULL, d->view.local_name, &err);
    for (mon *mo = m->list; mo; mo = mo->next)
        mo->seen = false;
    json_array_foreach(list, i, r)
    {
        const char *name = wp_json_str(r, "name");
        const char *state = wp_json_str(r, "state");
        const char *node = wp_json_str(r, "node");
        if (!name || !state || !node || strcmp(state, "Online") != 0 ||
            strcasecmp(node, d->view.local_name) != 0 || wp_exec_busy_with(d, name))
            continue;
        mon *mo = mon_find(m, name);
        if (mo &&
            (mo->quick_s != policy_s(r, "quick_check_interval", 5) ||
             mo->thorough_s != policy_s(r, "thorough_check_interval", 60) ||
             mo->timeout_s != policy_s(r, "check_timeout", policy_s(r, "pending_timeout", 180)))) {
            wp_mon_forget(d, name); /* the policy changed: start afresh */
            mo = NULL;
        }
        if (mo)
            mo->seen = true;
        else
            mon_add(m, r);
    }
    json_decref(list);
    for (mon *mo = m->list, *next; mo; mo = next) {
        next = mo->next;
        if (!mo->seen)
            mon_remove(mo);
    }
}

void wp_mon_forget(wp_daemon *d, const char *resource)
{
    mon *mo = d->mon ? mon_find(d->mon, resource) : NULL;

    if (mo)
        mon_remove(mo);
}

void wp_mon_stop_all(wp_daemon *d)
{
    while (d->mon && d->mon->list)
        mon_remove(d->mon->list);
}

bool wp_mon_owns_pid(const wp_daemon *d, pid_t pid)
{
    if (!d->mon)
        return false;
    for (const mon *mo = d->mon->list; mo; mo = mo->next)
        if (mo->job && wp_agent_job_pid(mo->job) == pid)
            return true;
    return false;
}

wp_monitors *wp_mon_new(wp_daemon *d)
{
    wp_monitors *m = calloc(1, sizeof *m);

    if (m)
        m->d = d;
    return m;
}

void wp_mon_free(wp_monitors *m)
{
    if (!m)
        return;
    while (m->list)
        mon_remove(m->list);
    free(m);
}
