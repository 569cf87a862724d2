/*
 * corosync_msg.c -- encoding and decoding the corosync.write request
 * between wolfpackd and its root executor (corosync_msg.h).
 */
#include "corosync_msg.h"

#include <string.h>

#include "json.h"

/* A node: {name, id, address[, address2]}. */
static json_t *node_json(const wp_cs_node *n)
{
    json_t *o = json_pack("{s:s, s:I, s:s}", "name", n->name ? n->name : "", "id",
                          (json_int_t)n->nodeid, "address", n->address ? n->address : "");
    if (o && n->address2 && n->address2[0])
        json_object_set_new(o, "address2", json_string(n->address2));
    return o;
}

/* The quorum: the votequorum options and the device. */
static json_t *quorum_json(const wp_cs_quorum *q)
{
    json_t *o = json_pack("{s:b, s:b, s:b, s:b}", "wait_for_all", q->wait_for_all,
                          "last_man_standing", q->last_man_standing, "auto_tie_breaker",
                          q->auto_tie_breaker, "qdevice_tls_off", q->qdevice_tls_off);
    if (o && q->qdevice_host && q->qdevice_host[0])
        json_object_set_new(o, "qdevice_host", json_string(q->qdevice_host));
    if (o && q->qdevice_algo && q->qdevice_algo[0])
        json_object_set_new(o, "qdevice_algorithm", json_string(q->qdevice_algo));
    return o;
}

json_t *wp_cs_write_encode(const char *cluster, const wp_cs_node *nodes, size_t n,
                           const wp_cs_timing *t, const wp_cs_quorum *q)
{
    json_t *list = json_array();
    for (size_t i = 0; list && i < n; i++)
        json_array_append_new(list, node_json(&nodes[i]));
    return json_pack("{s:s, s:s, s:o, s:I, s:I, s:I, s:o}", "req", "corosync.write", "cluster_name",
                     cluster ? cluster : "", "nodes", list, "token_ms", (json_int_t)t->token_ms,
                     "ping_interval_ms", (json_int_t)t->knet_ping_interval_ms, "ping_timeout_ms",
                     (json_int_t)t->knet_ping_timeout_ms, "quorum", quorum_json(q));
}

static bool refused(const char *why, size_t node, wp_err *err)
{
    wp_errf(err, WP_E_PERM, "the executor refused corosync.write");
    if (node)
        wp_err_why(err, "node %zu %s", node, why);
    else
        wp_err_why(err, "%s", why);
    wp_err_todo(err, "nothing was written; report a bug");
    return false;
}

/* Every key of o is one of keys (NULL-ended). */
static bool only_keys(const json_t *o, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        const char *const *p = keys;
        while (*p && strcmp(*p, k) != 0)
            p++;
        if (!*p)
            return false;
    }
    return true;
}

/* The quorum object: booleans and strings of the keys of wp_cs_quorum. */
static bool quorum_from_json(const json_t *o, wp_cs_quorum *q)
{
    static const char *const keys[] = {"wait_for_all",
                                       "last_man_standing",
                                       "auto_tie_breaker",
                                       "qdevice_tls_off",
                                       "qdevice_host",
                                       "qdevice_algorithm",
                                       NULL};
    const json_t *host = json_object_get(o, "qdevice_host");
    const json_t *algo = json_object_get(o, "qdevice_algorithm");
    if (!json_is_object(o) || !only_keys(o, keys) || (host && !json_is_string(host)) ||
        (algo && !json_is_string(algo)))
        return false;
    for (size_t i = 0; i < 4; i++) {
        const json_t *b = json_object_get(o, keys[i]);
        if (b && !json_is_boolean(b))
            return false;
    }
    *q = (wp_cs_quorum){
        .wait_for_all = json_is_true(json_object_get(o, "wait_for_all")),
        .last_man_standing = json_is_true(json_object_get(o, "last_man_standing")),
        .auto_tie_breaker = json_is_true(json_object_get(o, "auto_tie_breaker")),
        .qdevice_tls_off = json_is_true(json_object_get(o, "qdevice_tls_off")),
        .qdevice_host = json_string_value(host),
        .qdevice_algo = json_string_value(algo),
    };
    return true;
}

/* Node i of the list: {name, id, address[, address2]}, strings where
 * strings belong; an id out of 1..2^31-1 becomes 0 (render refuses it). */
static bool node_from_json(const json_t *x, wp_cs_node *out)
{
    static const char *const node_keys[] = {"name", "id", "address", "address2", NULL};
    const json_t *a2 = json_object_get(x, "address2");
    json_int_t id = json_integer_value(json_object_get(x, "id"));
    *out = (wp_cs_node){
        .name = wp_json_str(x, "name"),
        .address = wp_json_str(x, "address"),
        .address2 = json_string_value(a2),
        .nodeid = id > 0 && id <= 0x7fffffff ? (unsigned)id : 0,
    };
    return json_is_object(x) && only_keys(x, node_keys) && out->name && out->address &&
           (!a2 || out->address2);
}

bool wp_cs_write_decode(const json_t *msg, wp_cs_write *out, wp_err *err)
{
    const json_t *nodes = json_object_get(msg, "nodes");
    size_t i;
    json_t *x;
    memset(out, 0, sizeof *out);
    if (json_array_size(nodes) > WP_CS_MAX_NODES)
        return refused("too many nodes", 0, err);
    json_array_foreach(nodes, i, x)
    {
        if (!node_from_json(x, &out->nodes[i]))
            return refused("is not {name, id, address[, address2]}", i + 1, err);
    }
    out->n = json_array_size(nodes);
    if (!quorum_from_json(json_object_get(msg, "quorum"), &out->quorum))
        return refused("the quorum object has a key or a type of its own", 0, err);
    out->cluster = wp_json_str(msg, "cluster_name");
    out->timing = (wp_cs_timing){
        .token_ms = (unsigned)json_integer_value(json_object_get(msg, "token_ms")),
        .knet_ping_interval_ms =
            (unsigned)json_integer_value(json_object_get(msg, "ping_interval_ms")),
        .knet_ping_timeout_ms =
            (unsigned)json_integer_value(json_object_get(msg, "ping_timeout_ms")),
    };
    return true;
}
