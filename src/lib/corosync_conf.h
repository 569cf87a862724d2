/*
 * corosync_conf.h -- render the text of a corosync.conf for a wolfpack
 * cluster.
 *
 * Pure: no I/O, no clock, no globals.  `wolfpack cluster create`
 * (src/cli/cluster_setup.c) calls it and writes the result to disk; the
 * unit tests (tests/unit/test_corosync_conf.c) check the text.
 *
 * What the rendered file holds:
 *   totem     knet transport, crypto_cipher aes256, crypto_hash sha256,
 *             token and token_coefficient 0 when a token is given, one
 *             interface (link 0) with knet_ping_interval/knet_ping_timeout
 *             when they are given
 *   logging   to /var/log/corosync/corosync.log, not to syslog
 *   quorum    corosync_votequorum, two_node: 1 for exactly two nodes without
 *             a quorum device; wait_for_all, last_man_standing,
 *             auto_tie_breaker when asked (wp_cs_quorum); a quorum device
 *             (model net: corosync-qdevice on every node, corosync-qnetd
 *             on HOST) when one is named
 *   nodelist  one node {name, nodeid, ring0_addr[, ring1_addr]} per node,
 *             in the order given (ring1_addr: knet link 1, when given)
 */
#ifndef WP_COROSYNC_CONF_H
#define WP_COROSYNC_CONF_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define WP_CS_MAX_NODES 64
#define WP_CS_TOKEN_MIN 100     /* ms */
#define WP_CS_TOKEN_MAX 300000  /* ms */
#define WP_CS_DEFAULT_TOKEN 200 /* ms: `cluster create` without --token (docs/TIMING.md) */
#define WP_CS_SMALL_TOKEN 1000  /* below this, knet ping timers are set */
#define WP_CS_PING_INTERVAL 100 /* ms, below WP_CS_SMALL_TOKEN (docs/TIMING.md) */
#define WP_CS_PING_TIMEOUT 1000 /* ms: 10 pings lost in a row, not 2 */
#define WP_CS_LOGFILE "/var/log/corosync/corosync.log"

typedef struct wp_cs_node {
    const char *name;     /* node name: wp_name_valid("node", ...) */
    unsigned nodeid;      /* 1..2^31-1, unique */
    const char *address;  /* IPv4 or IPv6 literal, unique, one family */
    const char *address2; /* NULL or "": no link 1; else as address, for ring1_addr */
} wp_cs_node;

/* votequorum's options and the quorum device (all off: zeroes / NULL) */
typedef struct wp_cs_quorum {
    bool wait_for_all;        /* two_node implies it in corosync already */
    bool last_man_standing;   /* expected votes follow the partition down */
    bool auto_tie_breaker;    /* a 50:50 split: the half with the lowest id wins */
    const char *qdevice_host; /* NULL or "": none; else corosync-qnetd's host */
    const char *qdevice_algo; /* NULL: ffsplit; or lms */
    bool qdevice_tls_off;     /* tls: off (default on: qnetd's NSS certificates) */
} wp_cs_quorum;

typedef struct wp_cs_timing {
    unsigned token_ms;              /* 0: corosync's default, no token lines */
    unsigned knet_ping_interval_ms; /* 0 with timeout 0: knet's default */
    unsigned knet_ping_timeout_ms;  /* both or neither; timeout > interval */
} wp_cs_timing;

/* The timing wolfpack uses for a token (0 = corosync default): the token,
 * and below WP_CS_SMALL_TOKEN the knet ping timers that keep links stable
 * on a loaded machine (notes in docs/TESTCLUSTER.md). */
wp_cs_timing wp_cs_timing_for_token(unsigned token_ms);

/* Check one address: an IPv4 or IPv6 literal (no host names, no prefix). */
bool wp_cs_address_valid(const char *address, wp_err *err);

/* Check a cluster name: 1..32 bytes of [A-Za-z0-9_-] (corosync's
 * cluster_name, also part of file names). */
bool wp_cs_cluster_name_valid(const char *name, wp_err *err);

/* Render the whole file.  Returns malloc'd NUL-terminated text (caller
 * frees), or NULL with err filled (WP_E_INVALID) for a bad name, address,
 * nodeid, count (1..WP_CS_MAX_NODES), duplicate or timing. */
char *wp_corosync_conf_render(const char *cluster_name, const wp_cs_node *nodes, size_t n_nodes,
                              const wp_cs_timing *timing, wp_err *err);
/* The same with votequorum options and a quorum device (quorum NULL: none).
 * Refused besides: auto_tie_breaker with a quorum device (votequorum then
 * disables the device), an algorithm other than ffsplit or lms, a host
 * that is not a name or address, link 1 given for some nodes only or in
 * another family than link 0's or equal to a link 0 address. */
char *wp_corosync_conf_render_q(const char *cluster_name, const wp_cs_node *nodes, size_t n_nodes,
                                const wp_cs_timing *timing, const wp_cs_quorum *quorum,
                                wp_err *err);

#endif
