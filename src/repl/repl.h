/*
 * repl.h -- the transport interface between wolfpackd and the cluster
 * database: how a command travels from the node that received it to every
 * node's wp_db_apply().
 *
 * Two implementations:
 *   solo (solo.c)  one node, no Corosync: submit applies at once.
 *   cpg  (cpg.c)   Corosync CPG with total order and votequorum; state sync
 *                  on membership change (docs/REPLICATION.md).
 *
 * Contract of submit():
 *   - returns false (and fills err) when the command cannot be sent at all
 *     (no quorum, not yet synced, message too large); done is NOT called;
 *   - otherwise done(cookie, err, version) is called exactly once, from the
 *     event loop or (solo) before submit returns, after the command was
 *     applied on this node (err == NULL, version = version after apply) or
 *     refused by wp_db_apply (err set, identical refusal on every node);
 *   - on_applied (given at creation) is called after every command applied
 *     on this node, whoever sent it (watchers, the executor).
 */
#ifndef WP_REPL_H
#define WP_REPL_H

#include <jansson.h>
#include <qb/qbloop.h>
#include <stdbool.h>
#include <stdint.h>

#include "../db/db.h"
#include "../lib/err.h"

typedef void (*wp_repl_done_fn)(void *cookie, const wp_err *err, int64_t version);
typedef void (*wp_repl_applied_fn)(void *ctx, const json_t *cmd, int64_t version);

typedef struct wp_repl_ops {
    const char *name;
    bool (*submit)(void *impl, const json_t *cmd, wp_repl_done_fn done, void *cookie, wp_err *err);
    /* true when this node may serve: synced with its partition. */
    bool (*ready)(void *impl, wp_err *err);
    /* {"transport": "solo"|"corosync", "quorate": bool, "local_node_id": N,
     *  "members": [ids], "sync": "synced"|"syncing"} (caller owns) */
    json_t *(*status)(void *impl);
    void (*destroy)(void *impl);
} wp_repl_ops;

/* Called (from the event loop) after the membership, the quorum or the
 * sync state changed: the executor re-reads wp_repl_status then. */
typedef void (*wp_repl_membership_fn)(void *ctx);

typedef struct wp_repl {
    const wp_repl_ops *ops;
    void *impl;
    wp_repl_membership_fn membership_fn; /* set with wp_repl_on_membership */
    void *membership_ctx;
    wp_repl_membership_fn before_import_fn; /* set with wp_repl_on_before_import */
    void *before_import_ctx;
} wp_repl;

wp_repl *wp_repl_solo_new(wp_db *db, wp_repl_applied_fn on_applied, void *ctx, wp_err *err);
/* cpg_group: the CPG group name (the cluster name). */
wp_repl *wp_repl_cpg_new(wp_db *db, qb_loop_t *loop, const char *cpg_group,
                         wp_repl_applied_fn on_applied, void *ctx, wp_err *err);

static inline bool wp_repl_submit(wp_repl *r, const json_t *cmd, wp_repl_done_fn done, void *cookie,
                                  wp_err *err)
{
    return r->ops->submit(r->impl, cmd, done, cookie, err);
}
static inline bool wp_repl_ready(wp_repl *r, wp_err *err)
{
    return r->ops->ready(r->impl, err);
}
static inline json_t *wp_repl_status(wp_repl *r)
{
    return r->ops->status(r->impl);
}
void wp_repl_free(wp_repl *r);

/* Register the membership callback (one per transport; NULL removes it). */
void wp_repl_on_membership(wp_repl *r, wp_repl_membership_fn fn, void *ctx);
/* For transports: call the registered callback, if any. */
void wp_repl_notify_membership(wp_repl *r);
/* Called just before a sync replaces this node's database with another
 * member's snapshot, while the local copy is still readable: the executor
 * notes what the local copy places on this node, to stop what the cluster
 * has since moved away (a node that was frozen or cut off and comes back). */
void wp_repl_on_before_import(wp_repl *r, wp_repl_membership_fn fn, void *ctx);
void wp_repl_notify_before_import(wp_repl *r);

/* Corosync's running configuration from cmap (cluster mode; cpg_quorum.c),
 * for wolfpackd's rewrite of corosync.conf (src/daemon/nodeconf.c): the
 * nodelist as [{name, address, id}] (caller owns), and the timing
 * (totem.token and link 0's knet ping timers; 0 = not set).  NULL / false
 * with err when corosync does not answer. */
json_t *wp_repl_corosync_nodelist(wp_err *err);
bool wp_repl_corosync_timing(unsigned *token_ms, unsigned *ping_interval_ms,
                             unsigned *ping_timeout_ms, wp_err *err);
/* The running votequorum options and quorum device, which a rewrite keeps:
 * {"wait_for_all", "last_man_standing", "auto_tie_breaker": bool,
 *  "qdevice_host"?, "qdevice_algorithm"?, "qdevice_tls"?: string (model net)}.
 * (wp_repl_corosync_nodelist's entries carry "address2", ring1_addr, when set.) */
json_t *wp_repl_corosync_quorum(wp_err *err);

#endif
