/*
 * view.c -- this node's view of its partition (wp_view in daemon.h):
 * quorate, synced, the members, its own node id and database name.  Read
 * from the transport's status and the database; refreshed by events.c on
 * every membership change and timer run; read by the coordinator, the
 * executor, the monitors, the disk feed and nodeconf.  A leaf: it calls
 * no other file of src/daemon.
 */
#include <qb/qblog.h>
#include <stdio.h>
#include <string.h>

#include "daemon.h"
#include "../lib/clock.h"
#include "../lib/json.h"

bool wp_view_ready(const wp_daemon *d)
{
    return d->view.quorate && d->view.synced && d->view.local_name[0];
}

bool wp_view_is_member(const wp_daemon *d, uint32_t id)
{
    for (size_t i = 0; i < d->view.n_members; i++)
        if (d->view.members[i] == id)
            return true;
    return false;
}

/* The database name of node `id`, or "" */
static void local_name(wp_daemon *d, uint32_t id, char *out, size_t size)
{
    wp_err err = {0};
    json_t *nodes = wp_db_node_list(d->db, &err);
    size_t i;
    json_t *n;

    out[0] = '\0';
    json_array_foreach(nodes, i, n)
    {
        if ((uint32_t)json_integer_value(json_object_get(n, "id")) == id) {
            const char *name = wp_json_str(n, "name");
            snprintf(out, size, "%s", name ? name : "");
        }
    }
    json_decref(nodes);
}

void wp_view_read(wp_daemon *d, wp_view *v)
{
    json_t *st = wp_repl_status(d->repl);
    const char *sync = wp_json_str(st, "sync");
    json_t *members = json_object_get(st, "members");
    size_t i;
    json_t *m;

    memset(v, 0, sizeof *v);
    v->quorate = json_is_true(json_object_get(st, "quorate"));
    v->synced = sync && strcmp(sync, "synced") == 0;
    v->local_id = (uint32_t)json_integer_value(json_object_get(st, "local_node_id"));
    json_array_foreach(members, i, m)
    {
        if (v->n_members < WP_VIEW_MAX_MEMBERS)
            v->members[v->n_members++] = (uint32_t)json_integer_value(m);
    }
    json_decref(st);
    local_name(d, v->local_id, v->local_name, sizeof v->local_name);
}

static bool view_same(const wp_view *a, const wp_view *b)
{
    return a->quorate == b->quorate && a->synced == b->synced && a->local_id == b->local_id &&
           strcmp(a->local_name, b->local_name) == 0 && a->n_members == b->n_members &&
           memcmp(a->members, b->members, a->n_members * sizeof a->members[0]) == 0;
}

bool wp_view_refresh(wp_daemon *d)
{
    wp_view v;

    wp_view_read(d, &v);
    if (view_same(&v, &d->view))
        return false;
    d->was_quorate = d->view.quorate;
    d->was_ready = wp_view_ready(d);
    d->view = v;
    d->view_changed_ms = wp_clock_ms();
    qb_log(LOG_INFO, "view: %s, %s, %zu member(s), this node %s (id %u)",
           v.quorate ? "quorate" : "NOT quorate", v.synced ? "synced" : "syncing", v.n_members,
           v.local_name[0] ? v.local_name : "(unnamed)", (unsigned)v.local_id);
    return true;
}
