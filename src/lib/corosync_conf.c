/*
 * corosync_conf.c -- render the text of a corosync.conf (see
 * corosync_conf.h for what goes in it).
 *
 * Everything here is pure: the caller (src/cli/cluster_setup.c) collects
 * the nodes and the timing, this file checks them and turns them into text
 * with open_memstream.  The checks guard the config file's syntax as well
 * as corosync's rules: a name or an address never carries a space, a brace,
 * a colon or a newline into the file.
 */
#include "corosync_conf.h"
#include "model.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CS_CLUSTER_NAME_MAX 32
#define CS_NODE_NAME_MAX 63
#define CS_NODEID_MAX 2147483647u

wp_cs_timing wp_cs_timing_for_token(unsigned token_ms)
{
    wp_cs_timing t = {.token_ms = token_ms};
    if (token_ms != 0 && token_ms < WP_CS_SMALL_TOKEN) {
        t.knet_ping_interval_ms = WP_CS_PING_INTERVAL;
        t.knet_ping_timeout_ms = WP_CS_PING_TIMEOUT;
    }
    return t;
}

static bool word_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* 1..max bytes of [A-Za-z0-9_-]; kind names the thing in the message. */
static bool word_valid(const char *kind, const char *name, size_t max, wp_err *err)
{
    if (name == NULL || name[0] == '\0') {
        wp_errf(err, WP_E_INVALID, "empty %s name", kind);
        wp_err_why(err, "a %s needs a name of 1 to %zu characters", kind, max);
        wp_err_todo(err, "give a name made of letters, digits, '_' and '-'");
        return false;
    }
    size_t len = strlen(name);
    if (len > max) {
        wp_errf(err, WP_E_INVALID, "%s name \"%.64s...\" is too long", kind, name);
        wp_err_why(err, "it has %zu characters; at most %zu are allowed", len, max);
        wp_err_todo(err, "choose a shorter %s name", kind);
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!word_char(name[i])) {
            wp_errf(err, WP_E_INVALID, "%s name \"%s\" is not valid", kind, name);
            wp_err_why(err, "character %zu is not a letter, a digit, '_' or '-'", i + 1);
            wp_err_todo(err, "use only letters, digits, '_' and '-' in a %s name", kind);
            return false;
        }
    }
    return true;
}

bool wp_cs_cluster_name_valid(const char *name, wp_err *err)
{
    return word_valid("cluster", name, CS_CLUSTER_NAME_MAX, err);
}

/* Address family of a literal, or AF_UNSPEC when it is none. */
static int address_family(const char *address)
{
    unsigned char buf[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, address, buf) == 1)
        return AF_INET;
    if (inet_pton(AF_INET6, address, buf) == 1)
        return AF_INET6;
    return AF_UNSPEC;
}

bool wp_cs_address_valid(const char *address, wp_err *err)
{
    if (address == NULL || address[0] == '\0') {
        wp_errf(err, WP_E_INVALID, "empty node address");
        wp_err_why(err, "corosync needs the address each node listens on");
        wp_err_todo(err, "give an IPv4 or IPv6 address, e.g. --node n1=198.51.100.11");
        return false;
    }
    if (address_family(address) == AF_UNSPEC) {
        wp_errf(err, WP_E_INVALID, "node address \"%.200s\" is not valid", address);
        wp_err_why(err, "it is not an IPv4 or IPv6 address (host names and /prefixes "
                        "are not accepted)");
        wp_err_todo(err, "give the node's address as a literal, e.g. 198.51.100.11");
        return false;
    }
    /* never unspecified, multicast or broadcast; loopback is for the
     * callers that know the cluster has one node (model.h) */
    return wp_node_address_valid(address, true, err);
}

static bool check_timing(const wp_cs_timing *t, wp_err *err)
{
    if (t->token_ms != 0 && (t->token_ms < WP_CS_TOKEN_MIN || t->token_ms > WP_CS_TOKEN_MAX)) {
        wp_errf(err, WP_E_INVALID, "token timeout %u ms is out of range", t->token_ms);
        wp_err_why(err, "the token must be %d to %d ms", WP_CS_TOKEN_MIN, WP_CS_TOKEN_MAX);
        wp_err_todo(err, "choose a token in that range (1000 is a good start)");
        return false;
    }
    bool has_iv = t->knet_ping_interval_ms != 0, has_to = t->knet_ping_timeout_ms != 0;
    if (has_iv != has_to) {
        wp_errf(err, WP_E_INVALID, "knet ping interval and timeout must be given together");
        wp_err_why(err, "corosync computes a missing one from the token, which breaks the pair");
        wp_err_todo(err, "give both knet_ping_interval and knet_ping_timeout, or neither");
        return false;
    }
    if (has_iv && t->knet_ping_timeout_ms <= t->knet_ping_interval_ms) {
        wp_errf(err, WP_E_INVALID, "knet ping timeout %u ms is not above the interval %u ms",
                t->knet_ping_timeout_ms, t->knet_ping_interval_ms);
        wp_err_why(err, "a link would be declared dead between two pings");
        wp_err_todo(err, "make the timeout at least twice the interval");
        return false;
    }
    return true;
}

static bool check_node(const wp_cs_node *nd, wp_err *err)
{
    if (!word_valid("node", nd->name, CS_NODE_NAME_MAX, err))
        return false;
    if (nd->nodeid == 0 || nd->nodeid > CS_NODEID_MAX) {
        wp_errf(err, WP_E_INVALID, "node id %u of node %s is out of range", nd->nodeid, nd->name);
        wp_err_why(err, "corosync node ids are 1 to %u", CS_NODEID_MAX);
        wp_err_todo(err, "number the nodes from 1");
        return false;
    }
    return wp_cs_address_valid(nd->address, err);
}

/* Node i against nodes 0..i-1: names, ids and addresses unique, one family. */
static bool check_against_earlier(const wp_cs_node *nodes, size_t i, wp_err *err)
{
    const wp_cs_node *a = &nodes[i];
    for (size_t j = 0; j < i; j++) {
        const wp_cs_node *b = &nodes[j];
        const char *what = NULL;
        if (strcmp(a->name, b->name) == 0)
            what = "name";
        else if (a->nodeid == b->nodeid)
            what = "node id";
        else if (strcmp(a->address, b->address) == 0)
            what = "address";
        if (what != NULL && strcmp(what, "name") == 0)
            wp_errf(err, WP_E_INVALID, "node %s is given twice", a->name);
        else if (what != NULL)
            wp_errf(err, WP_E_INVALID, "nodes %s and %s have the same %s", b->name, a->name, what);
        if (what != NULL) {
            wp_err_why(err, "every node of a cluster needs its own name, id and address");
            wp_err_todo(err, "give each node once, with its own address");
            return false;
        }
    }
    if (i > 0 && address_family(a->address) != address_family(nodes[0].address)) {
        wp_errf(err, WP_E_INVALID, "node %s has an address of another family than node %s", a->name,
                nodes[0].name);
        wp_err_why(err, "a corosync link uses one address family (IPv4 or IPv6) for all nodes");
        wp_err_todo(err, "give all nodes IPv4 addresses, or all IPv6");
        return false;
    }
    return true;
}

static bool has2(const wp_cs_node *nd)
{
    return nd->address2 != NULL && nd->address2[0] != '\0';
}

/* Link 1: all nodes or none, valid, one family, no address used twice. */
static bool check_links(const wp_cs_node *nodes, size_t n, wp_err *err)
{
    for (size_t i = 0; i < n; i++) {
        const wp_cs_node *a = &nodes[i];
        if (has2(a) != has2(&nodes[0])) {
            wp_errf(err, WP_E_INVALID, "node %s has a second address and node %s has none",
                    has2(a) ? a->name : nodes[0].name, has2(a) ? nodes[0].name : a->name);
            wp_err_why(err, "a corosync link (knet link 1) joins every node");
            wp_err_todo(err, "give every node a second address (NAME=ADDRESS,ADDRESS2), or none");
            return false;
        }
        if (!has2(a))
            continue;
        if (!wp_cs_address_valid(a->address2, err))
            return false;
        if (address_family(a->address2) != address_family(nodes[0].address2)) {
            wp_errf(err, WP_E_INVALID,
                    "node %s has a second address of another family than node %s", a->name,
                    nodes[0].name);
            wp_err_why(err, "a corosync link uses one address family (IPv4 or IPv6) for all nodes");
            wp_err_todo(err, "give all second addresses in one family");
            return false;
        }
        for (size_t j = 0; j < n; j++) {
            if (strcmp(a->address2, nodes[j].address) == 0 ||
                (j < i && strcmp(a->address2, nodes[j].address2) == 0)) {
                wp_errf(err, WP_E_INVALID, "the second address %s of node %s is used twice",
                        a->address2, a->name);
                wp_err_why(err, "every link needs its own address on every node");
                wp_err_todo(err, "give each node a second address of its own, on another "
                                 "network than the first");
                return false;
            }
        }
    }
    return true;
}

static bool host_valid(const char *host)
{
    size_t len = strlen(host);
    if (len == 0 || len > 253)
        return false;
    for (const char *c = host; *c; c++)
        if (!(isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == ':'))
            return false;
    return true;
}

static bool check_quorum(const wp_cs_quorum *q, wp_err *err)
{
    bool dev = q->qdevice_host != NULL && q->qdevice_host[0] != '\0';
    if (dev && !host_valid(q->qdevice_host)) {
        wp_errf(err, WP_E_INVALID, "bad quorum device host \"%.100s\"", q->qdevice_host);
        wp_err_why(err, "it must be a host name or an address (letters, digits, '.', '-', ':')");
        wp_err_todo(err, "name the host where corosync-qnetd runs");
        return false;
    }
    if (dev && q->qdevice_algo != NULL && strcmp(q->qdevice_algo, "ffsplit") != 0 &&
        strcmp(q->qdevice_algo, "lms") != 0) {
        wp_errf(err, WP_E_INVALID, "unknown quorum device algorithm \"%.40s\"", q->qdevice_algo);
        wp_err_why(err, "corosync-qdevice knows ffsplit and lms");
        wp_err_todo(err, "use ffsplit (the default, for an even number of nodes) or lms");
        return false;
    }
    if (dev && q->auto_tie_breaker) {
        wp_errf(err, WP_E_INVALID, "auto_tie_breaker and a quorum device do not go together");
        wp_err_why(err, "votequorum disables the quorum device when auto_tie_breaker is set");
        wp_err_todo(err, "choose one tie-breaker: the quorum device, or auto_tie_breaker");
        return false;
    }
    return true;
}

static bool check_all(const char *cluster_name, const wp_cs_node *nodes, size_t n,
                      const wp_cs_timing *timing, wp_err *err)
{
    if (!wp_cs_cluster_name_valid(cluster_name, err))
        return false;
    if (nodes == NULL || n == 0 || n > WP_CS_MAX_NODES) {
        wp_errf(err, WP_E_INVALID, "a cluster needs 1 to %d nodes, not %zu", WP_CS_MAX_NODES, n);
        wp_err_why(err, "the node list decides who may join the cluster");
        wp_err_todo(err, "name every node with --node NAME=ADDRESS");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (!check_node(&nodes[i], err) || !check_against_earlier(nodes, i, err))
            return false;
    }
    if (!check_links(nodes, n, err))
        return false;
    wp_cs_timing none = {0};
    return check_timing(timing != NULL ? timing : &none, err);
}

static void emit_totem(FILE *f, const char *cluster_name, const wp_cs_timing *t)
{
    fprintf(f,
            "totem {\n"
            "    version: 2\n"
            "    cluster_name: %s\n"
            "    transport: knet\n"
            "    crypto_cipher: aes256\n"
            "    crypto_hash: sha256\n",
            cluster_name);
    if (t->token_ms != 0)
        fprintf(f, "    token: %u\n    token_coefficient: 0\n", t->token_ms);
    if (t->knet_ping_interval_ms != 0) {
        fprintf(f,
                "\n    interface {\n"
                "        linknumber: 0\n"
                "        knet_ping_interval: %u\n"
                "        knet_ping_timeout: %u\n"
                "    }\n",
                t->knet_ping_interval_ms, t->knet_ping_timeout_ms);
    }
    fputs("}\n\n", f);
}

static void emit_logging(FILE *f)
{
    fputs("logging {\n"
          "    fileline: off\n"
          "    to_stderr: no\n"
          "    to_logfile: yes\n"
          "    logfile: " WP_CS_LOGFILE "\n"
          "    to_syslog: no\n"
          "    timestamp: on\n"
          "    debug: off\n"
          "}\n\n",
          f);
}

static void emit_qdevice(FILE *f, const wp_cs_quorum *q)
{
    fprintf(f,
            "\n    device {\n"
            "        model: net\n"
            "        votes: 1\n"
            "        net {\n"
            "            host: %s\n"
            "            algorithm: %s\n"
            "            tls: %s\n"
            "        }\n"
            "    }\n",
            q->qdevice_host, q->qdevice_algo ? q->qdevice_algo : "ffsplit",
            q->qdevice_tls_off ? "off" : "on");
}

static void emit_quorum(FILE *f, size_t n, const wp_cs_quorum *q)
{
    bool dev = q->qdevice_host != NULL && q->qdevice_host[0] != '\0';
    fputs("quorum {\n    provider: corosync_votequorum\n", f);
    if (n == 2 && !dev) /* a device is the tie-breaker: no two_node with it */
        fputs("    two_node: 1\n", f);
    if (q->wait_for_all)
        fputs("    wait_for_all: 1\n", f);
    if (q->last_man_standing)
        fputs("    last_man_standing: 1\n", f);
    if (q->auto_tie_breaker)
        fputs("    auto_tie_breaker: 1\n", f);
    if (dev)
        emit_qdevice(f, q);
    fputs("}\n\n", f);
}

static void emit_nodelist(FILE *f, const wp_cs_node *nodes, size_t n)
{
    fputs("nodelist {\n", f);
    for (size_t i = 0; i < n; i++) {
        fprintf(f,
                "%s    node {\n"
                "        name: %s\n"
                "        nodeid: %u\n"
                "        ring0_addr: %s\n",
                i ? "\n" : "", nodes[i].name, nodes[i].nodeid, nodes[i].address);
        if (has2(&nodes[i]))
            fprintf(f, "        ring1_addr: %s\n", nodes[i].address2);
        fputs("    }\n", f);
    }
    fputs("}\n", f);
}

char *wp_corosync_conf_render(const char *cluster_name, const wp_cs_node *nodes, size_t n_nodes,
                              const wp_cs_timing *timing, wp_err *err)
{
    return wp_corosync_conf_render_q(cluster_name, nodes, n_nodes, timing, NULL, err);
}

char *wp_corosync_conf_render_q(const char *cluster_name, const wp_cs_node *nodes, size_t n_nodes,
                                const wp_cs_timing *timing, const wp_cs_quorum *quorum, wp_err *err)
{
    wp_cs_quorum noq = {0};
    if (!quorum)
        quorum = &noq;
    if (!check_all(cluster_name, nodes, n_nodes, timing, err) || !check_quorum(quorum, err))
        return NULL;
    wp_cs_timing none = {0};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f == NULL) {
        wp_errf(err, WP_E_INTERNAL, "cannot render corosync.conf");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free some memory and try again");
        return NULL;
    }
    fputs("# corosync.conf -- written by `wolfpack cluster create`; wolfpackd rewrites it\n"
          "# from the cluster database at `wolfpack node add` / `node remove`.\n"
          "# Every node of the cluster needs this same file and the same authkey.\n\n",
          f);
    emit_totem(f, cluster_name, timing != NULL ? timing : &none);
    emit_logging(f);
    emit_quorum(f, n_nodes, quorum);
    emit_nodelist(f, nodes, n_nodes);
    if (fclose(f) != 0) {
        free(text);
        wp_errf(err, WP_E_INTERNAL, "cannot render corosync.conf");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free some memory and try again");
        return NULL;
    }
    return text;
}
