/*
 * dmfeed.c -- feeds dmetrics.c (the daemon's lifetime counters) from what
 * wolfpackd sees: applied commands (events.c calls wp_dmfeed_applied for
 * every one) and view changes (wp_dmfeed_view).  Every node counts what it
 * applies, so each daemon's counters cover the cluster's events since it
 * started.  A failover is timed from the moment this node saw the cause
 * (the group's owner left its membership, or a resource of the group was
 * reported Failed) to the applied resource.report that left the group
 * Online again after a failover decision (docs/WEB.md, "Metrics").
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/clock.h"
#include "../lib/json.h"
#include "daemon.h"

/* The group of a resource (caller frees); NULL when unknown. */
static char *resource_group(wp_daemon *d, const char *resource)
{
    json_t *r = resource ? wp_db_resource_show(d->db, resource, NULL) : NULL;
    const char *g = wp_json_str(r, "group");
    char *out = g ? strdup(g) : NULL;
    json_decref(r);
    return out;
}

static bool group_is_online(wp_daemon *d, const char *group)
{
    json_t *g = wp_db_group_show(d->db, group, NULL);
    const char *state = wp_json_str(g, "state");
    bool online = state && strcmp(state, "Online") == 0;
    json_decref(g);
    return online;
}

static void on_sched_commit(wp_daemon *d, const json_t *args, int64_t now)
{
    size_t i;
    json_t *v;

    json_array_foreach(json_object_get(args, "decisions"), i, v)
    {
        const char *group = wp_json_str(v, "group");
        const char *state = wp_json_str(v, "state");
        if (json_is_true(json_object_get(v, "failover")))
            wp_dm_failover(&d->metrics, group, now);
        else if (group && state && strcmp(state, "Offline") == 0)
            wp_dm_group_forget(&d->metrics, group); /* it stays down: no failover to time */
        if (group && wp_dm_watching(&d->metrics, group) && group_is_online(d, group))
            wp_dm_group_online(&d->metrics, group, now);
    }
    json_array_foreach(json_object_get(args, "actions"), i, v)
    {
        const char *verb = wp_json_str(v, "action");
        if (verb && strcmp(verb, "restart") == 0)
            d->metrics.restarts++;
    }
}

static void on_report(wp_daemon *d, const json_t *args, int64_t now)
{
    const char *state = wp_json_str(args, "state");
    bool failed = state && strcmp(state, "Failed") == 0;
    bool online = state && strcmp(state, "Online") == 0;

    if (failed)
        d->metrics.failures++;
    if (!failed && !(online && wp_dm_watch_count(&d->metrics) > 0))
        return;
    char *group = resource_group(d, wp_json_str(args, "name"));
    if (!group)
        return;
    if (failed)
        wp_dm_group_lost(&d->metrics, group, now);
    else if (wp_dm_watching(&d->metrics, group) && group_is_online(d, group))
        wp_dm_group_online(&d->metrics, group, now);
    free(group);
}

static void on_fencing(wp_daemon *d, const char *op, const json_t *args)
{
    const char *state = wp_json_str(args, "state");
    const char *how = wp_json_str(args, "how");
    uint64_t *f = d->metrics.fence;

    if (strcmp(op, "node.poison") == 0)
        f[WP_DM_FENCE_POISON]++;
    else if (strcmp(op, "node.fencing") == 0 && state && strcmp(state, "fencing") == 0)
        f[WP_DM_FENCE_STARTED]++;
    else if (strcmp(op, "node.fencing") == 0 && state && strcmp(state, "failed") == 0)
        f[WP_DM_FENCE_FAILED]++;
    else if (strcmp(op, "node.down") == 0 && how && strcmp(how, "fenced") == 0)
        f[WP_DM_FENCE_FENCED]++;
    else if (strcmp(op, "node.down") == 0 && how && strcmp(how, "confirmed") == 0)
        f[WP_DM_FENCE_CONFIRMED]++;
    else if (strcmp(op, "node.down") == 0 && how && strcmp(how, "watchdog") == 0)
        f[WP_DM_FENCE_WATCHDOG]++;
}

void wp_dmfeed_applied(wp_daemon *d, const json_t *cmd)
{
    const char *op = wp_json_str(cmd, "op");
    const json_t *args = json_object_get(cmd, "args");
    int64_t now = wp_clock_ms();

    if (!op)
        return;
    if (strcmp(op, "sched.commit") == 0)
        on_sched_commit(d, args, now);
    else if (strcmp(op, "resource.report") == 0)
        on_report(d, args, now);
    else if (strcmp(op, "group.delete") == 0)
        wp_dm_group_forget(&d->metrics, wp_json_str(args, "name"));
    else
        on_fencing(d, op, args);
}

/* Is the node named owner (in nodes) a member of this view?  True for a
 * name nodes does not hold: nothing to time. */
static bool owner_is_member(wp_daemon *d, const json_t *nodes, const char *owner)
{
    size_t i;
    json_t *n;

    json_array_foreach(nodes, i, n)
    {
        const char *name = wp_json_str(n, "name");
        if (name && strcasecmp(name, owner) == 0)
            return wp_view_is_member(d, (uint32_t)json_integer_value(json_object_get(n, "id")));
    }
    return true; /* not a node we know: nothing to time */
}

void wp_dmfeed_view(wp_daemon *d)
{
    if (!d->view.quorate)
        return; /* a partition without quorum moves nothing */
    json_t *nodes = wp_db_node_list(d->db, NULL);
    json_t *groups = nodes ? wp_db_group_list(d->db, NULL) : NULL;
    int64_t now = wp_clock_ms();
    size_t i;
    json_t *g;

    json_array_foreach(groups, i, g)
    {
        const char *owner = wp_json_str(g, "owner");
        if (owner && !owner_is_member(d, nodes, owner))
            wp_dm_group_lost(&d->metrics, wp_json_str(g, "name"), now);
    }
    json_decref(groups);
    json_decref(nodes);
}
