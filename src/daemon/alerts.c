/*
 * alerts.c -- alert agents (docs/OPERATIONS.md, "Alerts"): the programs the
 * operator registers (`wolfpack alert create`, src/db/ops_alert.c) run on
 * node, group, resource and fencing events, with the event in
 * WOLFPACK_ALERT_* environment variables, as Pacemaker's alert agents do.
 *
 * Where an event fires (once in the cluster, where it is known best):
 *   resource  resource.report applied: on the node that reported it (the
 *             resource's node); every state a report brings
 *   group     resource.report or sched.commit applied: on the coordinator,
 *             for each group whose owner or state (the database's, after
 *             the change) differs from the last scan
 *   node      a membership change: on the coordinator, for each node that
 *             joined (up) or left (down) the partition, between two ready
 *             (quorate, synced) views
 *   fencing   node.fencing / node.down applied: on the coordinator
 * Every event also goes to the log; under journald (log.journal) with
 * structured fields WOLFPACK_EVENT, WOLFPACK_NODE, WOLFPACK_GROUP,
 * WOLFPACK_RESOURCE, WOLFPACK_STATE.
 *
 * An agent runs as wolfpackd's own user (with --user, the unprivileged
 * one: an alert needs no root, and a registered path must not become a
 * way to run anything as root), in a session of its own, stdin
 * /dev/null, stdout and stderr to STATE_DIR/agents.log.  Its timeout
 * (alert.create's, default 30 s) kills its process group; a pid is only
 * signalled while its start time is still the recorded one.  The daemon
 * never waits for an agent and ignores its result (the reaper, events.c,
 * collects it): an alert has no effect on the cluster.  At most
 * MAX_RUNNING runs are in flight; more are dropped with a warning.
 */
#include <errno.h>
#include <fcntl.h>
#include <qb/qblog.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "../agents/agent.h"
#include "../lib/proc.h"
#include "daemon.h"
#include "../lib/json.h"

#define MAX_RUNNING 32
#define ENV_MAX 16

/* One agent run whose timeout has not come yet. */
typedef struct alert_run {
    wp_daemon *d;
    pid_t pid;
    unsigned long long start; /* its start time: the pid still names it */
    char name[64];
    qb_loop_timer_handle timer;
    struct alert_run *next;
} alert_run;

struct wp_alerts {
    alert_run *runs;
    size_t nruns;
    json_t *groups; /* {group: "owner/state"} as of the last scan */
    uint32_t members[WP_VIEW_MAX_MEMBERS];
    size_t n_members;
    bool have_members; /* the first view is the baseline, not an event */
    bool have_groups;  /* the first scan of the groups is the baseline */
};

/* One event, the fields an agent gets. */
typedef struct alert_event {
    const char *kind; /* node, group, resource, fencing */
    const char *node;
    const char *group;
    const char *resource;
    const char *state;
    const char *error;
    const char *desc;
} alert_event;

static wp_alerts *alerts_of(wp_daemon *d)
{
    if (!d->alerts && (d->alerts = calloc(1, sizeof *d->alerts)))
        d->alerts->groups = json_object();
    return d->alerts;
}

static void run_unlink(wp_alerts *a, alert_run *r)
{
    for (alert_run **p = &a->runs; *p; p = &(*p)->next)
        if (*p == r) {
            *p = r->next;
            a->nruns--;
            break;
        }
}

static void on_timeout(void *data)
{
    alert_run *r = data;
    if (wp_proc_start_time(r->pid) == r->start) {
        qb_log(LOG_WARNING, "alert %s: the agent (pid %d) ran past its timeout: killed", r->name,
               (int)r->pid);
        kill(-r->pid, SIGKILL);
    }
    if (r->d->alerts)
        run_unlink(r->d->alerts, r);
    free(r);
}

static void env_add(char **env, size_t *n, const char *key, const char *value)
{
    if (!value || *n + 1 >= ENV_MAX)
        return;
    if (asprintf(&env[*n], "%s=%s", key, value) >= 0)
        (*n)++;
}

/* Fork and exec one agent; the child never returns. */
static void run_agent(wp_daemon *d, const json_t *alert, const alert_event *ev)
{
    wp_alerts *a = alerts_of(d);
    const char *name = wp_json_str(alert, "name");
    const char *path = wp_json_str(alert, "path");
    json_int_t timeout = json_integer_value(json_object_get(alert, "timeout"));
    if (!a || !name || !path)
        return;
    if (a->nruns >= MAX_RUNNING) {
        qb_log(LOG_WARNING, "alert %s: not run for a %s event: %d agents still run", name, ev->kind,
               MAX_RUNNING);
        return;
    }
    char *env[ENV_MAX] = {NULL};
    size_t n = 0;
    char stamp[32];
    snprintf(stamp, sizeof stamp, "%lld", (long long)time(NULL));
    env_add(env, &n, "PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    env_add(env, &n, "WOLFPACK_ALERT_NAME", name);
    env_add(env, &n, "WOLFPACK_ALERT_KIND", ev->kind);
    env_add(env, &n, "WOLFPACK_ALERT_NODE", ev->node);
    env_add(env, &n, "WOLFPACK_ALERT_GROUP", ev->group);
    env_add(env, &n, "WOLFPACK_ALERT_RESOURCE", ev->resource);
    env_add(env, &n, "WOLFPACK_ALERT_STATE", ev->state);
    env_add(env, &n, "WOLFPACK_ALERT_ERROR", ev->error);
    env_add(env, &n, "WOLFPACK_ALERT_DESC", ev->desc);
    env_add(env, &n, "WOLFPACK_ALERT_RECIPIENT", wp_json_str(alert, "recipient"));
    env_add(env, &n, "WOLFPACK_ALERT_TIMESTAMP", stamp);
    env_add(env, &n, "WOLFPACK_ALERT_CLUSTER", d->opts.cluster_name);
    env_add(env, &n, "WOLFPACK_ALERT_SOURCE_NODE", d->view.local_name);
    alert_run *r = calloc(1, sizeof *r);
    pid_t pid = r ? fork() : -1;
    if (pid == 0) {
        setsid();
        char *argv[] = {(char *)path, NULL};
        wp_agent_exec_child(argv, env, d->agent_log_fd, d->agent_log_fd);
    }
    for (size_t i = 0; i < n; i++)
        free(env[i]);
    if (pid < 0) {
        qb_log(LOG_WARNING, "alert %s: cannot run %s: %s", name, path, strerror(errno));
        free(r);
        return;
    }
    r->d = d;
    r->pid = pid;
    r->start = wp_proc_start_time(pid);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->next = a->runs;
    a->runs = r;
    a->nruns++;
    qb_loop_timer_add(d->loop, QB_LOOP_LOW, (uint64_t)(timeout > 0 ? timeout : 30) * 1000000000u, r,
                      on_timeout, &r->timer);
}

/* Log the event (structured under journald) and run every agent. */
static void fire(wp_daemon *d, const alert_event *ev)
{
    if (d->log.journal)
        sd_journal_send("MESSAGE=event: %s", ev->desc, "PRIORITY=%d", LOG_NOTICE,
                        "WOLFPACK_EVENT=%s", ev->kind, "WOLFPACK_NODE=%s", ev->node ? ev->node : "",
                        "WOLFPACK_GROUP=%s", ev->group ? ev->group : "", "WOLFPACK_RESOURCE=%s",
                        ev->resource ? ev->resource : "", "WOLFPACK_STATE=%s",
                        ev->state ? ev->state : "", NULL);
    else
        qb_log(LOG_NOTICE, "event: %s", ev->desc);
    json_t *list = wp_db_alert_list(d->db, NULL);
    size_t i;
    json_t *alert;
    json_array_foreach(list, i, alert) run_agent(d, alert, ev);
    json_decref(list);
}

static bool is_me(const wp_daemon *d, const char *node)
{
    return node && d->view.local_name[0] && strcasecmp(node, d->view.local_name) == 0;
}

static void on_report(wp_daemon *d, const json_t *args)
{
    if (!is_me(d, wp_json_str(args, "node")))
        return;
    json_t *show = wp_db_resource_show(d->db, wp_json_str(args, "name"), NULL);
    char desc[1400];
    snprintf(desc, sizeof desc, "resource %s is %s on %s%s%s", wp_json_str(args, "name"),
             wp_json_str(args, "state"), wp_json_str(args, "node"),
             wp_json_str(args, "error") ? ": " : "",
             wp_json_str(args, "error") ? wp_json_str(args, "error") : "");
    alert_event ev = {"resource",
                      wp_json_str(args, "node"),
                      wp_json_str(show, "group"),
                      wp_json_str(args, "name"),
                      wp_json_str(args, "state"),
                      wp_json_str(args, "error"),
                      desc};
    fire(d, &ev);
    json_decref(show);
}

/* Every group's owner and state as the database has them now, against
 * the last scan: a change is an event (on the coordinator).  The first
 * scan is the baseline; a group new since then is an event unless it is
 * Offline (a new group is Offline). */
static void groups_scan(wp_daemon *d)
{
    wp_alerts *a = alerts_of(d);
    if (a && !wp_coord_active(d)) {
        a->have_groups = false; /* only the coordinator reads the groups (a whole-list
                                   read per report); its first scan is a baseline */
        return;
    }
    json_t *groups = a ? wp_db_group_list(d->db, NULL) : NULL;
    bool first = a && !a->have_groups;
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        const char *group = wp_json_str(g, "name"), *owner = wp_json_str(g, "owner"),
                   *state = wp_json_str(g, "state");
        if (!group || !state)
            continue;
        char now[160];
        snprintf(now, sizeof now, "%s/%s", owner ? owner : "-", state);
        const char *before = wp_json_str(a->groups, group);
        bool changed = before ? strcmp(before, now) != 0 : !first && strcmp(state, "Offline") != 0;
        json_object_set_new(a->groups, group, json_string(now));
        if (!changed)
            continue;
        char desc[400];
        snprintf(desc, sizeof desc, "group %s is %s%s%s", group, state, owner ? " on " : "",
                 owner ? owner : "");
        alert_event ev = {"group", owner, group, NULL, state, NULL, desc};
        fire(d, &ev);
    }
    if (a && groups)
        a->have_groups = true;
    json_decref(groups);
}

static void on_fencing(wp_daemon *d, const char *op, const json_t *args)
{
    if (!wp_coord_active(d))
        return;
    bool down = strcmp(op, "node.down") == 0;
    const char *state = down ? wp_json_str(args, "how") : wp_json_str(args, "state");
    const char *error = down ? wp_json_str(args, "detail") : wp_json_str(args, "error");
    char desc[1400];
    snprintf(desc, sizeof desc, "node %s: %s %s%s%s", wp_json_str(args, "name"),
             down ? "down, proof:" : "fencing", state ? state : "?", error ? ": " : "",
             error ? error : "");
    alert_event ev = {"fencing", wp_json_str(args, "name"), NULL, NULL, state, error, desc};
    fire(d, &ev);
}

void wp_alerts_on_applied(wp_daemon *d, const json_t *cmd)
{
    const char *op = wp_json_str(cmd, "op");
    const json_t *args = json_object_get(cmd, "args");
    if (!op || !args)
        return;
    if (strcmp(op, "resource.report") == 0)
        on_report(d, args);
    if (strcmp(op, "resource.report") == 0 || strcmp(op, "sched.commit") == 0)
        groups_scan(d);
    else if (strcmp(op, "node.fencing") == 0 || strcmp(op, "node.down") == 0)
        on_fencing(d, op, args);
}

static bool has_member(const uint32_t *ids, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* The node of id from the database's node list, or NULL. */
static const char *node_name(const json_t *nodes, uint32_t id)
{
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n) if (json_integer_value(json_object_get(n, "id")) ==
                                        (json_int_t)id) return wp_json_str(n, "name");
    return NULL;
}

static void node_event(wp_daemon *d, const json_t *nodes, uint32_t id, bool up)
{
    const char *name = node_name(nodes, id);
    char idtext[16];
    snprintf(idtext, sizeof idtext, "%u", id);
    char desc[160];
    snprintf(desc, sizeof desc, "node %s %s the partition", name ? name : idtext,
             up ? "joined" : "left");
    alert_event ev = {"node", name ? name : idtext, NULL, NULL, up ? "up" : "down", NULL, desc};
    fire(d, &ev);
}

void wp_alerts_on_view(wp_daemon *d)
{
    wp_alerts *a = alerts_of(d);
    if (!a)
        return;
    const wp_view *v = &d->view;
    if (!wp_view_ready(d))
        return; /* a view being synced is no news yet: compare the next ready one */
    if (!a->have_groups)
        groups_scan(d); /* the baseline of the groups, before any change */
    if (a->have_members && wp_coord_active(d)) {
        json_t *nodes = wp_db_node_list(d->db, NULL);
        for (size_t i = 0; i < v->n_members; i++)
            if (!has_member(a->members, a->n_members, v->members[i]))
                node_event(d, nodes, v->members[i], true);
        for (size_t i = 0; i < a->n_members; i++)
            if (!has_member(v->members, v->n_members, a->members[i]))
                node_event(d, nodes, a->members[i], false);
        json_decref(nodes);
    }
    memcpy(a->members, v->members, v->n_members * sizeof v->members[0]);
    a->n_members = v->n_members;
    a->have_members = v->n_members > 0;
}

void wp_alerts_free(wp_daemon *d)
{
    wp_alerts *a = d->alerts;
    if (!a)
        return;
    while (a->runs) {
        alert_run *r = a->runs;
        a->runs = r->next;
        if (d->loop)
            qb_loop_timer_del(d->loop, r->timer);
        free(r); /* a running agent finishes on its own; the reaper is gone with us */
    }
    json_decref(a->groups);
    free(a);
    d->alerts = NULL;
}
