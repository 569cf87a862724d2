/*
 * cluster_conf.h -- wolfpack.conf: the few settings of a new cluster that
 * corosync.conf cannot carry, written by `wolfpack cluster create` beside
 * corosync.conf and read by wolfpackd when it creates the cluster in its
 * database (cluster.create, src/repl/cpg.c).
 *
 * The format is one `key=value` per line; blank lines and lines starting
 * with '#' are ignored, spaces around key and value are trimmed.  Keys:
 *
 *   cluster_ip=A.B.C.D/P   the cluster's own address: cluster.create {ip}
 *                          creates "Cluster IP Address" and "Cluster Name"
 *                          in Cluster Group (docs/NETNAME.md)
 *
 * Reading never fails: an unknown key, a malformed line, a bad value or a
 * repeated key is reported through the warn callback and ignored, so a
 * damaged file cannot stop a daemon.  Pure except wp_cluster_conf_read.
 */
#ifndef WP_CLUSTER_CONF_H
#define WP_CLUSTER_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define WP_CLUSTER_CONF_FILE "wolfpack.conf"
#define WP_CLUSTER_CONF_PATH "/etc/corosync/" WP_CLUSTER_CONF_FILE
#define WP_CLUSTER_CONF_MAX (64 * 1024) /* bytes read; the rest is ignored */

typedef struct wp_cluster_conf {
    char cluster_ip[64]; /* "A.B.C.D/P" (or IPv6/P), "" when not set */
} wp_cluster_conf;

/* One problem of the file: msg is e.g. "line 3: unknown key \"foo\" (ignored)". */
typedef void (*wp_cluster_conf_warn_fn)(void *ctx, const char *msg);

/* Parse text into *out (cleared first).  warn may be NULL. */
void wp_cluster_conf_parse(const char *text, wp_cluster_conf *out, wp_cluster_conf_warn_fn warn,
                           void *ctx);

/* Read and parse the file at path.  Returns true when the file was read;
 * false when it does not exist (no warning) or cannot be read (a warning);
 * *out is cleared in every case before it is filled. */
bool wp_cluster_conf_read(const char *path, wp_cluster_conf *out, wp_cluster_conf_warn_fn warn,
                          void *ctx);

/* The file's text for a cluster address (NULL: no cluster_ip line).
 * Returns malloc'd text, or NULL with err for a bad address. */
char *wp_cluster_conf_render(const char *cluster_ip, wp_err *err);

/* Check a cluster address against the nodes' addresses: a valid IP Address
 * `address` (with /prefix), of the nodes' family, inside the subnet that the
 * prefix gives around every node address, and none of them.  err says which
 * node is outside. */
bool wp_cluster_ip_check(const char *cluster_ip, const char *const *node_addrs, size_t n_nodes,
                         wp_err *err);

#endif
