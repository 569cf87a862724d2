/*
 * watch.c -- the `watch` op: a client that sends {"op": "watch"} gets one
 * reply ({"watching": true}) and then, on the same connection, one frame
 * per event until it disconnects:
 *   {"event": "applied", "version": N, "op": OP, "at_ms": T}
 *                                                      every applied command
 *   {"event": "membership", "quorate": B, "synced": B, "members": [ids],
 *    "version": N, "at_ms": T}                         every view change
 * An applied sched.commit also carries "owners": {GROUP: OWNER or null}
 * (its decisions), a resource.report "resource": {"name", "state", "node"}:
 * what changed, so that a client may show it before it reads the status
 * again (the web page does).
 * at_ms: this daemon's wall clock (ms since the epoch) when it applied the
 * command or saw the view change: for measuring how long the news takes to
 * reach a client (bench/bench_web.sh), never for ordering.
 * `wolfpack status --watch` redraws the status on each.  A watcher that does
 * not read its frames is closed (ipc.c, above WP_DAEMON_OUT_HIGH).
 */
#include <qb/qblog.h>
#include <string.h>

#include "../lib/clock.h"
#include "../lib/json.h"
#include "daemon.h"

/* What an applied command changed, for the clients that show it at once. */
static void add_changes(json_t *ev, const char *op, const json_t *args)
{
    size_t i;
    json_t *v;

    if (strcmp(op, "sched.commit") == 0) {
        json_t *owners = json_object();
        json_array_foreach(json_object_get(args, "decisions"), i, v)
        {
            const char *g = wp_json_str(v, "group");
            json_t *o = json_object_get(v, "owner");
            if (g)
                json_object_set(owners, g, o ? o : json_null());
        }
        json_object_set_new(ev, "owners", owners);
    } else if (strcmp(op, "resource.report") == 0) {
        json_object_set_new(ev, "resource",
                            json_pack("{s:O?, s:O?, s:O?}", "name", json_object_get(args, "name"),
                                      "state", json_object_get(args, "state"), "node",
                                      json_object_get(args, "node")));
    }
}

void wp_watch_applied(wp_daemon *d, const json_t *cmd, int64_t version)
{
    const char *op = wp_json_str(cmd, "op");
    json_t *ev =
        json_pack("{s:s, s:I, s:s, s:I}", "event", "applied", "version", (json_int_t)version, "op",
                  op ? op : "?", "at_ms", (json_int_t)wp_clock_wall_ms());

    if (ev && op)
        add_changes(ev, op, json_object_get(cmd, "args"));
    if (ev)
        wp_ipc_broadcast(d, ev);
    json_decref(ev);
}

void wp_watch_membership(wp_daemon *d)
{
    json_t *members = json_array();
    json_t *ev;

    for (size_t i = 0; i < d->view.n_members; i++)
        json_array_append_new(members, json_integer(d->view.members[i]));
    ev = json_pack("{s:s, s:b, s:b, s:o, s:I, s:I}", "event", "membership", "quorate",
                   d->view.quorate, "synced", d->view.synced, "members", members, "version",
                   (json_int_t)wp_db_version(d->db), "at_ms", (json_int_t)wp_clock_wall_ms());
    if (ev)
        wp_ipc_broadcast(d, ev);
    json_decref(ev);
}
