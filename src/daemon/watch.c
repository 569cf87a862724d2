/*
 * watch.c -- the `watch` op: a client that sends {"op": "watch"} gets one
 * reply ({"watching": true}) and then, on the same connection, one frame
 * per event until it disconnects:
 *   {"event": "applied", "version": N, "op": OP, "at_ms": T}
 *                                                      every applied command
 *   {"event": "membership", "quorate": B, "synced": B, "members": [ids],
 *    "version": N, "at_ms": T}                         every view change
 * at_ms: this daemon's wall clock (ms since the epoch) when it applied the
 * command or saw the view change: for measuring how long the news takes to
 * reach a client (bench/bench_web.sh), never for ordering.
 * `wolfpack status --watch` redraws the status on each.  A watcher that does
 * not read its frames is closed (ipc.c, above WP_DAEMON_OUT_HIGH).
 */
#include <qb/qblog.h>

#include "../lib/clock.h"
#include "../lib/json.h"
#include "daemon.h"

void wp_watch_applied(wp_daemon *d, const json_t *cmd, int64_t version)
{
    const char *op = wp_json_str(cmd, "op");
    json_t *ev =
        json_pack("{s:s, s:I, s:s, s:I}", "event", "applied", "version", (json_int_t)version, "op",
                  op ? op : "?", "at_ms", (json_int_t)wp_clock_wall_ms());

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
