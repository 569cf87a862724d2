/*
 * corosync_msg.h -- the request corosync.write as it crosses the privilege
 * split (docs/SECURITY.md): wolfpackd encodes the nodes, timers and quorum
 * it wants in corosync.conf (src/daemon/privsep.c), the root executor
 * decodes them back before it renders the file (src/daemon/privexec.c).
 * One encoder and one decoder, side by side, so the two ends cannot drift.
 *
 * The message: {"req": "corosync.write", "cluster_name", "nodes": [{name,
 * id, address[, address2]}], "token_ms", "ping_interval_ms",
 * "ping_timeout_ms", "quorum": {wait_for_all, last_man_standing,
 * auto_tie_breaker, qdevice_tls_off[, qdevice_host][, qdevice_algorithm]}}.
 * The executor's request table checks the top-level types and ranges; the
 * decoder checks the shape of every node and of the quorum object, and
 * leaves the values to wp_corosync_conf_render_q.
 */
#ifndef WP_COROSYNC_MSG_H
#define WP_COROSYNC_MSG_H

#include <jansson.h>

#include "corosync_conf.h"
#include "err.h"

/* A decoded request; its strings point into the message it came from. */
typedef struct wp_cs_write {
    const char *cluster;
    wp_cs_node nodes[WP_CS_MAX_NODES];
    size_t n;
    wp_cs_timing timing;
    wp_cs_quorum quorum;
} wp_cs_write;

/* The message (caller owns; no "id": the sender adds it); NULL when out of
 * memory.  NULL strings go as "" (corosync_conf refuses them). */
json_t *wp_cs_write_encode(const char *cluster, const wp_cs_node *nodes, size_t n,
                           const wp_cs_timing *t, const wp_cs_quorum *q);
/* Read msg into out; false with err ("the executor refused
 * corosync.write", which node and why) when a node or the quorum object
 * has a key or a type of its own, or there are too many nodes. */
bool wp_cs_write_decode(const json_t *msg, wp_cs_write *out, wp_err *err);

#endif
