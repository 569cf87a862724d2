/*
 * cpg_quorum.c -- what the Corosync transport asks votequorum and cmap.
 *
 * votequorum says whether this partition is quorate (the gate of submit)
 * and how many votes are present and expected (for the no-quorum message);
 * its notifications arrive through a fd in the daemon's qb_loop.  cmap gives
 * the cluster name (totem.cluster_name, the CPG group name) and the nodelist
 * (nodelist.node.X.{nodeid,name,ring0_addr}) that the lowest member writes
 * into an empty cluster database.
 */
#include "cpg_internal.h"

#include <poll.h>
#include <qb/qblog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void vq_notify(votequorum_handle_t handle, uint64_t context, uint32_t quorate,
                      uint32_t n_nodes, votequorum_node_t nodes[])
{
    wp_cpg *c = (wp_cpg *)(uintptr_t)context;

    (void)handle, (void)nodes;
    bool was = c->quorate;
    wp_cpg_quorum_refresh(c);
    c->quorate = quorate != 0;
    if (!c->quorate)
        c->trusted = false;
    if (was != c->quorate)
        qb_log(LOG_NOTICE, "replication: partition %s quorum (%u node(s) in the ring)",
               c->quorate ? "gained" : "lost", n_nodes);
    if (c->quorate && c->mode == CPG_SYNC_SYNCED)
        c->served_quorate = true;
    if (c->quorate && !was)
        wp_cpg_maybe_bootstrap(c);
    if (c->quorate != was)
        wp_cpg_changed(c);
}

static int32_t vq_dispatch(int32_t fd, int32_t revents, void *data)
{
    wp_cpg *c = data;

    (void)fd;
    if (c->fatal)
        return -1;
    cs_error_t rc = votequorum_dispatch(c->vq, CS_DISPATCH_ALL);
    if (rc != CS_OK && rc != CS_ERR_TRY_AGAIN) {
        qb_log(LOG_ERR, "replication: lost the connection to corosync's votequorum (error %d)",
               (int)rc);
        c->quorate = false;
        c->vq_ok = false;
        return -1;
    }
    (void)revents;
    return 0;
}

bool wp_cpg_quorum_open(wp_cpg *c, wp_err *err)
{
    votequorum_callbacks_t cb = {.votequorum_quorum_notify_fn = vq_notify};

    if (votequorum_initialize(&c->vq, &cb) != CS_OK) {
        wp_errf(err, WP_E_UNAVAILABLE, "cannot connect to corosync's votequorum service");
        wp_err_why(err, "corosync is not running on this node, or runs without votequorum "
                        "(quorum { provider: corosync_votequorum })");
        wp_err_todo(err, "start corosync with the configuration `wolfpack cluster create` "
                         "wrote, then start wolfpackd again");
        return false;
    }
    c->vq_ok = true;
    if (votequorum_trackstart(c->vq, (uint64_t)(uintptr_t)c, CS_TRACK_CHANGES) != CS_OK ||
        votequorum_fd_get(c->vq, &c->vq_fd) != CS_OK ||
        qb_loop_poll_add(c->loop, QB_LOOP_HIGH, c->vq_fd, POLLIN | POLLPRI, c, vq_dispatch) != 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "cannot follow corosync's quorum");
        wp_err_why(err, "votequorum refused to track changes or gave no file descriptor");
        wp_err_todo(err, "check corosync's log (corosync-quorumtool -s should work), then "
                         "start wolfpackd again");
        return false;
    }
    wp_cpg_quorum_refresh(c);
    return true;
}

void wp_cpg_quorum_close(wp_cpg *c)
{
    if (!c->vq_ok)
        return;
    qb_loop_poll_del(c->loop, c->vq_fd);
    votequorum_finalize(c->vq);
    c->vq_ok = false;
}

void wp_cpg_quorum_refresh(wp_cpg *c)
{
    struct votequorum_info info;

    if (!c->vq_ok || c->local_nodeid == 0)
        return;
    memset(&info, 0, sizeof info);
    if (votequorum_getinfo(c->vq, c->local_nodeid, &info) != CS_OK)
        return;
    c->quorate = (info.flags & VOTEQUORUM_INFO_QUORATE) != 0;
    c->votes = info.total_votes;
    c->expected = info.highest_expected > info.node_expected_votes ? info.highest_expected
                                                                   : info.node_expected_votes;
}

static void cmap_fail(wp_err *err, const char *what)
{
    wp_errf(err, WP_E_UNAVAILABLE, "cannot connect to corosync (%s)", what);
    wp_err_why(err, "corosync is not running on this node");
    wp_err_todo(err, "start corosync (after `wolfpack cluster create` wrote its "
                     "configuration), then start wolfpackd again");
}

bool wp_cpg_cmap_cluster_name(wp_cpg *c, wp_err *err)
{
    cmap_handle_t h;
    char *name = NULL;

    if (cmap_initialize(&h) != CS_OK) {
        cmap_fail(err, "cmap");
        return false;
    }
    cs_error_t rc = cmap_get_string(h, "totem.cluster_name", &name);
    cmap_finalize(h);
    if (rc != CS_OK || !name || !*name || strlen(name) > WP_CPG_NAME_MAX) {
        free(name);
        wp_errf(err, WP_E_INVALID, "corosync's configuration names no usable cluster");
        wp_err_why(err, "totem.cluster_name is missing, empty or longer than %d bytes",
                   WP_CPG_NAME_MAX);
        wp_err_todo(err, "set cluster_name in the totem section of corosync.conf "
                         "(`wolfpack cluster create` does) and restart corosync");
        return false;
    }
    snprintf(c->cluster_name, sizeof c->cluster_name, "%s", name);
    free(name);
    return true;
}

/* One nodelist entry as {name, address, id}, or NULL when index i is absent. */
static json_t *cmap_node(cmap_handle_t h, int i)
{
    char key[128];
    uint32_t id = 0;
    char *name = NULL, *addr = NULL;
    json_t *node = NULL;

    snprintf(key, sizeof key, "nodelist.node.%d.nodeid", i);
    if (cmap_get_uint32(h, key, &id) != CS_OK || id == 0)
        return NULL;
    snprintf(key, sizeof key, "nodelist.node.%d.ring0_addr", i);
    if (cmap_get_string(h, key, &addr) != CS_OK)
        addr = NULL;
    snprintf(key, sizeof key, "nodelist.node.%d.name", i);
    if (cmap_get_string(h, key, &name) != CS_OK)
        name = NULL;
    char fallback[32];
    snprintf(fallback, sizeof fallback, "node%u", id);
    node = json_pack("{s:s, s:s, s:I}", "name", name ? name : fallback, "address", addr ? addr : "",
                     "id", (json_int_t)id);
    free(name);
    free(addr);
    char *addr2 = NULL; /* knet link 1, kept by rewrites (nodeconf.c) */
    snprintf(key, sizeof key, "nodelist.node.%d.ring1_addr", i);
    if (node && cmap_get_string(h, key, &addr2) == CS_OK && addr2 && *addr2)
        json_object_set_new(node, "address2", json_string(addr2));
    free(addr2);
    return node;
}

json_t *wp_cpg_cmap_nodelist(wp_err *err)
{
    cmap_handle_t h;
    json_t *list = json_array();

    if (!list || cmap_initialize(&h) != CS_OK) {
        json_decref(list);
        cmap_fail(err, "cmap");
        return NULL;
    }
    for (int i = 0; i < CPG_MEMBERS_MAX; i++) {
        json_t *node = cmap_node(h, i);
        if (node)
            json_array_append_new(list, node);
    }
    cmap_finalize(h);
    return list;
}

json_t *wp_repl_corosync_nodelist(wp_err *err)
{
    return wp_cpg_cmap_nodelist(err);
}

static unsigned cmap_u32(cmap_handle_t h, const char *key)
{
    uint32_t v = 0;
    return cmap_get_uint32(h, key, &v) == CS_OK ? v : 0;
}

bool wp_repl_corosync_timing(unsigned *token_ms, unsigned *ping_interval_ms,
                             unsigned *ping_timeout_ms, wp_err *err)
{
    cmap_handle_t h;

    if (cmap_initialize(&h) != CS_OK) {
        cmap_fail(err, "cmap");
        return false;
    }
    *token_ms = cmap_u32(h, "totem.token");
    *ping_interval_ms = cmap_u32(h, "totem.interface.0.knet_ping_interval");
    *ping_timeout_ms = cmap_u32(h, "totem.interface.0.knet_ping_timeout");
    cmap_finalize(h);
    return true;
}

/* A votequorum flag of the running configuration (u8, u32 or "1"/"on"). */
static bool cmap_flag(cmap_handle_t h, const char *key)
{
    uint8_t v8 = 0;
    uint32_t v32 = 0;
    char *str = NULL;
    if (cmap_get_uint8(h, key, &v8) == CS_OK)
        return v8 != 0;
    if (cmap_get_uint32(h, key, &v32) == CS_OK)
        return v32 != 0;
    bool on = false;
    if (cmap_get_string(h, key, &str) == CS_OK && str)
        on = strcmp(str, "1") == 0 || strcasecmp(str, "on") == 0 || strcasecmp(str, "yes") == 0;
    free(str);
    return on;
}

static void cmap_copy_string(cmap_handle_t h, const char *key, json_t *out, const char *field)
{
    char *str = NULL;
    if (cmap_get_string(h, key, &str) == CS_OK && str && *str)
        json_object_set_new(out, field, json_string(str));
    free(str);
}

json_t *wp_repl_corosync_quorum(wp_err *err)
{
    cmap_handle_t h;
    if (cmap_initialize(&h) != CS_OK) {
        cmap_fail(err, "cmap");
        return NULL;
    }
    json_t *q = json_pack("{s:b, s:b, s:b}", "wait_for_all", cmap_flag(h, "quorum.wait_for_all"),
                          "last_man_standing", cmap_flag(h, "quorum.last_man_standing"),
                          "auto_tie_breaker", cmap_flag(h, "quorum.auto_tie_breaker"));
    char *model = NULL;
    if (q && cmap_get_string(h, "quorum.device.model", &model) == CS_OK && model &&
        strcmp(model, "net") == 0) {
        cmap_copy_string(h, "quorum.device.net.host", q, "qdevice_host");
        cmap_copy_string(h, "quorum.device.net.algorithm", q, "qdevice_algorithm");
        cmap_copy_string(h, "quorum.device.net.tls", q, "qdevice_tls");
    }
    free(model);
    cmap_finalize(h);
    return q;
}
