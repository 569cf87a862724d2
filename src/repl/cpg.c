/*
 * cpg.c -- the Corosync CPG transport (see repl.h and docs/REPLICATION.md).
 *
 * A mutating command is mcast to the CPG group in agreed (total) order and
 * applied by every member, the sender included, at its delivery.  Commands
 * delivered in one cpg_dispatch() pass are applied with ONE
 * wp_db_apply_batch() (one fsync); after a batch every member mcasts an ACK
 * with its version, and a submit's done() runs once every member of the
 * current membership has acked the command's version (or left).
 *
 * This file holds the wp_repl ops, the CPG handle and its callbacks, the
 * batch, the pending submits, the send queue that absorbs corosync's
 * CS_ERR_TRY_AGAIN, and the timers (consistency check, pending timeouts).
 * The sync protocol lives in cpg_sync.c, the wire format in cpg_msg.c,
 * quorum and cmap in cpg_quorum.c.
 *
 * Corosync going away is fatal for the daemon: the transport logs it, fails
 * every pending submit and stops the qb_loop, so wolfpackd exits cleanly
 * (its database is safe on disk) and is started again after corosync.
 */
#include "cpg_internal.h"

#include "../lib/cluster_conf.h"
#include "../lib/json.h"

#include <inttypes.h>
#include <poll.h>
#include <qb/qblog.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PENDING_TIMEOUT_MS 30000 /* a submit never waits longer than this */
#define CHECK_INTERVAL_MS 10000  /* consistency check; WOLFPACK_CHECK_INTERVAL_MS */
#define SWEEP_INTERVAL_MS 1000
#define RETRY_NS (1000 * 1000ull) /* retry of a send refused with TRY_AGAIN */

static void arm_check_timer(wp_cpg *c);
static void arm_sweep_timer(wp_cpg *c);

/* ---- membership notification -------------------------------------------- */

static void notify_job(void *data)
{
    wp_cpg *c = data;

    c->notify_armed = false;
    wp_repl_notify_membership(c->self);
}

/* A zero-delay timer, not a qb_loop job: a job queued from inside a
 * dispatch waits for the next poll wake-up (measured: ~60 ms on a failover),
 * a timer due now runs in this very loop iteration. */
void wp_cpg_changed(wp_cpg *c)
{
    if (c->notify_armed || !c->self)
        return;
    if (qb_loop_timer_add(c->loop, QB_LOOP_HIGH, 0, c, notify_job, &c->notify_timer) == 0)
        c->notify_armed = true;
}

/* ---- members ------------------------------------------------------------- */

wp_cpg_member *wp_cpg_member_find(wp_cpg *c, uint32_t nodeid, uint32_t pid)
{
    for (size_t i = 0; i < c->n_members; i++)
        if (c->members[i].nodeid == nodeid && c->members[i].pid == pid)
            return &c->members[i];
    return NULL;
}

bool wp_cpg_is_lowest(const wp_cpg *c)
{
    for (size_t i = 0; i < c->n_members; i++)
        if (c->members[i].nodeid < c->local_nodeid ||
            (c->members[i].nodeid == c->local_nodeid && c->members[i].pid < c->local_pid))
            return false;
    return c->n_members > 0;
}

/* ---- send queue ---------------------------------------------------------- */

/* One mcast; true when corosync took it (or refused it for good). */
static cs_error_t mcast(wp_cpg *c, const unsigned char *buf, size_t len)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

    return cpg_mcast_joined(c->cpg, CPG_TYPE_AGREED, &iov, 1);
}

static void retry_sends(void *data);

static void arm_retry(wp_cpg *c)
{
    if (c->retry_armed || c->fatal)
        return;
    if (qb_loop_timer_add(c->loop, QB_LOOP_HIGH, RETRY_NS, c, retry_sends, &c->retry_timer) == 0)
        c->retry_armed = true;
}

/* Send what the queue holds, in order, until corosync says "try again". */
static void drain_queue(wp_cpg *c)
{
    while (c->out_head) {
        wp_cpg_outmsg *o = c->out_head;
        cs_error_t rc = mcast(c, o->buf, o->len);
        if (rc == CS_ERR_TRY_AGAIN) {
            c->n_try_again++;
            arm_retry(c);
            return;
        }
        if (rc != CS_OK) {
            qb_log(LOG_ERR, "replication: cpg_mcast_joined failed (error %d); %s dropped", (int)rc,
                   wp_cpg_type_name(o->type));
            if (o->type == WP_CPG_CMD && c->cmd_inflight > 0)
                c->cmd_inflight--; /* its pendings complete at their deadline */
            if (o->type == WP_CPG_ACK)
                c->ack_inflight = false;
        }
        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = NULL;
        c->n_out--;
        free(o->buf);
        free(o);
    }
}

static void retry_sends(void *data)
{
    wp_cpg *c = data;

    c->retry_armed = false;
    drain_queue(c);
}

bool wp_cpg_send(wp_cpg *c, const wp_cpg_msg *msg, wp_err *err)
{
    unsigned char *buf;
    size_t len;

    if (c->fatal) {
        wp_errf(err, WP_E_UNAVAILABLE, "cannot send to the cluster");
        wp_err_why(err, "the connection to corosync was lost");
        wp_err_todo(err, "start corosync, then wolfpackd");
        return false;
    }
    if (!wp_cpg_msg_encode(msg, &buf, &len, err))
        return false;
    if (!c->out_head) {
        cs_error_t rc = mcast(c, buf, len);
        if (rc == CS_OK) {
            free(buf);
            return true;
        }
        c->n_try_again += rc == CS_ERR_TRY_AGAIN;
        if (rc != CS_ERR_TRY_AGAIN) {
            free(buf);
            wp_errf(err, WP_E_UNAVAILABLE, "cannot send a %s message to the cluster",
                    wp_cpg_type_name(msg->type));
            wp_err_why(err, "corosync's cpg_mcast_joined failed with error %d", (int)rc);
            wp_err_todo(err, "check corosync's log and `corosync-cpgtool`");
            return false;
        }
    }
    wp_cpg_outmsg *o = malloc(sizeof *o);
    if (!o) {
        free(buf);
        wp_errf(err, WP_E_INTERNAL, "out of memory queueing a message");
        wp_err_why(err, "malloc failed");
        wp_err_todo(err, "free some memory and restart wolfpackd");
        return false;
    }
    *o = (wp_cpg_outmsg){.type = msg->type, .buf = buf, .len = len};
    if (c->out_tail)
        c->out_tail->next = o;
    else
        c->out_head = o;
    c->out_tail = o;
    c->n_out++;
    arm_retry(c);
    return true;
}

/* ---- CPG callbacks ------------------------------------------------------- */

static void on_deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid,
                       uint32_t pid, void *buf, size_t len)
{
    wp_cpg *c = NULL;
    wp_cpg_msg m;
    wp_err err = {0};

    (void)group;
    if (cpg_context_get(handle, (void **)&c) != CS_OK || !c)
        return;
    if (!wp_cpg_msg_decode(buf, len, &m, &err)) {
        qb_log(LOG_WARNING, "replication: from node %u: %s (%s)", nodeid, err.what, err.why);
        return;
    }
    wp_cpg_member *from = wp_cpg_member_find(c, nodeid, pid);
    if (!from) {
        qb_log(LOG_WARNING, "replication: dropped a %s from %u/%u, not a member",
               wp_cpg_type_name(m.type), nodeid, pid);
        return;
    }
    if (m.type == WP_CPG_CMD) {
        wp_cpg_commit_on_cmd(c, from, &m);
        return;
    }
    if (m.type == WP_CPG_ACK) {
        /* an ACK changes no database: the batch goes on across it (under
         * load every CMD message is followed by the members' ACKs; a flush
         * here would make every CMD message a transaction of its own) */
        wp_cpg_commit_on_ack(c, from, &m);
        return;
    }
    wp_cpg_flush_batch(c); /* everything before this message is applied first */
    switch (m.type) {
    case WP_CPG_SYNC_START:
        wp_cpg_sync_on_start(c, from, &m);
        break;
    case WP_CPG_SYNC_STATE:
        wp_cpg_sync_on_state(c, from, &m);
        break;
    case WP_CPG_SNAP:
        wp_cpg_sync_on_snap(c, from, &m);
        break;
    case WP_CPG_CHECK_REQ:
        wp_cpg_check_on_req(c, from, &m);
        break;
    case WP_CPG_CHECK_REPLY:
        wp_cpg_check_on_reply(c, from, &m);
        break;
    default:
        break;
    }
}

static void set_members(wp_cpg *c, const struct cpg_address *list, size_t n)
{
    wp_cpg_member old[CPG_MEMBERS_MAX];
    size_t n_old = c->n_members;

    memcpy(old, c->members, n_old * sizeof old[0]);
    c->n_members = 0;
    for (size_t i = 0; i < n && i < CPG_MEMBERS_MAX; i++) {
        wp_cpg_member m = {.nodeid = list[i].nodeid, .pid = list[i].pid, .acked = 0};
        for (size_t j = 0; j < n_old; j++)
            if (old[j].nodeid == m.nodeid && old[j].pid == m.pid)
                m.acked = old[j].acked;
        c->members[c->n_members++] = m;
    }
}

static void on_confchg(cpg_handle_t handle, const struct cpg_name *group,
                       const struct cpg_address *members, size_t n_members,
                       const struct cpg_address *left, size_t n_left,
                       const struct cpg_address *joined, size_t n_joined)
{
    wp_cpg *c = NULL;

    (void)group, (void)left, (void)joined;
    if (cpg_context_get(handle, (void **)&c) != CS_OK || !c)
        return;
    wp_cpg_flush_batch(c);
    set_members(c, members, n_members);
    qb_log(LOG_NOTICE, "replication: membership changed: %zu member(s), %zu left, %zu joined",
           n_members, n_left, n_joined);
    if (!wp_cpg_member_find(c, c->local_nodeid, c->local_pid)) {
        qb_log(LOG_WARNING, "replication: this node is not in its own CPG membership");
        c->mode = CPG_SYNC_WAIT;
        wp_cpg_changed(c);
        return;
    }
    wp_cpg_sync_on_confchg(c);
    wp_cpg_changed(c);
}

static void go_fatal(wp_cpg *c, const char *what)
{
    wp_err e = {0};

    qb_log(LOG_CRIT,
           "replication: %s: corosync is gone; wolfpackd stops (its database is safe on disk). "
           "Start corosync, then wolfpackd.",
           what);
    c->fatal = true;
    c->quorate = false;
    c->mode = CPG_SYNC_WAIT;
    wp_cpg_err_unknown(&e, "the connection to corosync was lost before every member confirmed it");
    wp_cpg_pendings_fail_all(c, &e);
    qb_loop_stop(c->loop);
}

static int32_t wp_cpg_dispatch_cb(int32_t fd, int32_t revents, void *data)
{
    wp_cpg *c = data;

    (void)fd;
    if (c->fatal)
        return -1;
    cs_error_t rc = cpg_dispatch(c->cpg, CS_DISPATCH_ALL);
    wp_cpg_flush_batch(c);
    if (rc != CS_OK && rc != CS_ERR_TRY_AGAIN) {
        go_fatal(c, "cpg_dispatch failed");
        return -1;
    }
    if ((revents & (POLLHUP | POLLERR)) && !(revents & POLLIN)) {
        go_fatal(c, "the CPG connection closed");
        return -1;
    }
    return 0;
}

/* ---- timers -------------------------------------------------------------- */

static void check_tick(void *data)
{
    wp_cpg *c = data;

    if (c->fatal)
        return;
    if (c->mode == CPG_SYNC_SYNCED && wp_cpg_is_lowest(c) && c->check_token == 0) {
        wp_cpg_msg m = {.type = WP_CPG_CHECK_REQ};
        wp_err err = {0};
        m.u.check_req.token = ((uint64_t)c->local_nodeid << 32) | (++c->check_counter);
        if (!wp_cpg_send(c, &m, &err))
            qb_log(LOG_ERR, "replication: cannot request a consistency check: %s", err.what);
    }
    arm_check_timer(c);
}

static void arm_check_timer(wp_cpg *c)
{
    if (c->check_interval_ms == 0)
        return;
    qb_loop_timer_add(c->loop, QB_LOOP_LOW, c->check_interval_ms * 1000000ull, c, check_tick,
                      &c->check_timer);
}

static void sweep_tick(void *data)
{
    wp_cpg *c = data;
    if (c->fatal)
        return;
    wp_cpg_pendings_expire(c);
    wp_cpg_sync_watchdog(c);
    arm_sweep_timer(c);
}

static void arm_sweep_timer(wp_cpg *c)
{
    qb_loop_timer_add(c->loop, QB_LOOP_LOW, SWEEP_INTERVAL_MS * 1000000ull, c, sweep_tick,
                      &c->sweep_timer);
}

/* ---- bootstrap of the node list ------------------------------------------ */

static void bootstrap_done(void *cookie, const wp_err *err, int64_t version)
{
    wp_cpg *c = cookie;

    (void)version;
    c->bootstrap_inflight = false;
    if (err)
        qb_log(LOG_WARNING, "replication: writing corosync's nodelist into the database: %s (%s)",
               err->what, err->why);
}

static void conf_warn(void *ctx, const char *msg)
{
    qb_log(LOG_WARNING, "%s: %s", (const char *)ctx, msg);
}

/* The command that makes an empty database know the cluster, or NULL.
 * Once the cluster exists the database is the authority on the nodes:
 * `wolfpack node add` / `node remove` change it and every wolfpackd makes
 * corosync.conf follow (src/daemon/nodeconf.c), so corosync's nodelist is
 * not read back into it (a node removed while another node was down would
 * come back from that node's stale nodelist).
 * cluster.create takes the cluster's address from wolfpack.conf beside
 * corosync.conf, when it sets one (docs/NETNAME.md). */
static json_t *bootstrap_cmd(wp_cpg *c, json_t *st, json_t *nodelist)
{
    if (json_is_string(json_object_get(st, "cluster")))
        return NULL;
    wp_cluster_conf conf;
    wp_cluster_conf_read(WP_CLUSTER_CONF_PATH, &conf, conf_warn, WP_CLUSTER_CONF_PATH);
    json_t *cmd = json_pack("{s:s, s:{s:s, s:O}}", "op", "cluster.create", "args", "name",
                            c->cluster_name, "nodes", nodelist);
    if (cmd && conf.cluster_ip[0]) {
        qb_log(LOG_NOTICE, "replication: the cluster's address is %s (%s)", conf.cluster_ip,
               WP_CLUSTER_CONF_PATH);
        json_object_set_new(json_object_get(cmd, "args"), "ip", json_string(conf.cluster_ip));
    }
    return cmd;
}

void wp_cpg_maybe_bootstrap(wp_cpg *c)
{
    wp_err err = {0};

    if (c->bootstrap_inflight || c->mode != CPG_SYNC_SYNCED || !c->quorate || !wp_cpg_is_lowest(c))
        return;
    json_t *st = wp_db_status(c->db, &err);
    bool named = st && json_is_string(json_object_get(st, "cluster"));
    json_t *nodelist = st && !named ? wp_cpg_cmap_nodelist(&err) : NULL;
    json_t *cmd = nodelist ? bootstrap_cmd(c, st, nodelist) : NULL;
    if (cmd) {
        qb_log(LOG_NOTICE, "replication: writing corosync's nodelist into the database (%s)",
               wp_json_str(cmd, "op"));
        c->bootstrap_inflight = true;
        if (!wp_cpg_commit_submit(c, cmd, bootstrap_done, c, &err)) {
            c->bootstrap_inflight = false;
            qb_log(LOG_WARNING, "replication: cannot submit %s: %s", wp_json_str(cmd, "op"),
                   err.what);
        }
    } else if (err.code != WP_OK) {
        qb_log(LOG_WARNING, "replication: cannot compare the nodelist: %s", err.what);
    }
    json_decref(cmd);
    json_decref(nodelist);
    json_decref(st);
}

/* ---- wp_repl ops --------------------------------------------------------- */

/* Ready to serve reads: synced, and this run has been synced in a quorate
 * partition at least once (a node that starts alone, before its corosync
 * merged with the others, must not serve its possibly stale copy).  A node
 * that was in the majority and was then cut off keeps serving its last
 * state, read-only (submit refuses without quorum). */
static bool wp_cpg_ready(void *impl, wp_err *err)
{
    wp_cpg *c = impl;

    if (!wp_cpg_refuse_not_ready(c, err))
        return false;
    if (!c->served_quorate) {
        wp_cpg_quorum_refresh(c);
        c->served_quorate = c->quorate;
    }
    if (c->served_quorate)
        return true;
    wp_errf(err, WP_E_UNAVAILABLE, "this node has not joined a quorate partition since it started");
    wp_err_why(err,
               "only %u of %u votes are present, so its copy of the database may be older than "
               "the cluster's; it serves once it has synchronized with a majority",
               c->votes, c->expected);
    wp_err_todo(err, "start the missing nodes or restore the network; `wolfpack status` shows "
                     "the quorum");
    return false;
}

static bool wp_cpg_submit(void *impl, const json_t *cmd, wp_repl_done_fn done, void *cookie,
                          wp_err *err)
{
    return wp_cpg_commit_submit(impl, cmd, done, cookie, err);
}

static const char *cached_checksum(wp_cpg *c)
{
    int64_t v = wp_db_version(c->db);
    wp_err err = {0};

    if (c->sum_version != v || !c->sum[0]) {
        if (!wp_db_checksum(c->db, c->sum, &err))
            return NULL;
        c->sum_version = v;
    }
    return c->sum;
}

/* Counters of the transport (status "stats"). */
static json_t *stats(const wp_cpg *c)
{
    json_t *o = json_object();
    uint64_t n = c->own_n ? c->own_n : 1;

    json_object_set_new(o, "batches", json_integer((json_int_t)c->n_batches));
    json_object_set_new(o, "commands", json_integer((json_int_t)c->n_batched));
    json_object_set_new(o, "apply_ms", json_integer((json_int_t)(c->apply_us / 1000)));
    json_object_set_new(o, "acks", json_integer((json_int_t)c->n_acks));
    json_object_set_new(o, "try_again", json_integer((json_int_t)c->n_try_again));
    json_object_set_new(o, "send_queue", json_integer((json_int_t)c->n_out));
    json_object_set_new(o, "own_commands", json_integer((json_int_t)c->own_n));
    json_object_set_new(o, "own_deliver_us_avg", json_integer((json_int_t)(c->own_deliver_us / n)));
    json_object_set_new(o, "own_ack_us_avg", json_integer((json_int_t)(c->own_ack_us / n)));
    return o;
}

static void set_int(json_t *o, const char *key, long long v)
{
    json_object_set_new(o, key, json_integer(v));
}

static json_t *wp_cpg_status(void *impl)
{
    wp_cpg *c = impl;
    json_t *st = json_object();
    json_t *members = json_array();
    const char *sum = cached_checksum(c);

    wp_cpg_quorum_refresh(c);
    for (size_t i = 0; i < c->n_members; i++)
        json_array_append_new(members, json_integer(c->members[i].nodeid));
    json_object_set_new(st, "transport", json_string("corosync"));
    json_object_set_new(st, "quorate", json_boolean(c->quorate));
    set_int(st, "local_node_id", c->local_nodeid);
    json_object_set_new(st, "members", members);
    json_object_set_new(st, "sync", json_string(c->mode == CPG_SYNC_SYNCED ? "synced" : "syncing"));
    json_object_set_new(st, "sync_phase", json_string(wp_cpg_sync_mode_name(c->mode)));
    json_object_set_new(st, "cluster_name", json_string(c->cluster_name));
    set_int(st, "leader", c->leader_nodeid);
    set_int(st, "votes", c->votes);
    set_int(st, "expected_votes", c->expected);
    set_int(st, "version", wp_db_version(c->db));
    json_object_set_new(st, "checksum", sum ? json_string(sum) : json_null());
    json_object_set_new(st, "dirty", json_boolean(c->dirty));
    json_object_set_new(st, "trusted", json_boolean(c->trusted));
    set_int(st, "pending", (long long)c->n_pending);
    set_int(st, "syncs", (long long)c->syncs_done);
    set_int(st, "checks", (long long)c->checks_done);
    json_object_set_new(st, "stats", stats(c));
    return st;
}

static void wp_cpg_destroy(void *impl)
{
    wp_cpg *c = impl;
    wp_err e = {0};

    if (!c)
        return;
    wp_cpg_err_unknown(&e, "wolfpackd stopped before every member confirmed it");
    wp_cpg_pendings_fail_all(c, &e);
    for (size_t i = 0; i < c->n_batch; i++)
        json_decref(c->batch[i].cmd);
    free(c->batch);
    while (c->out_head) {
        wp_cpg_outmsg *o = c->out_head;
        c->out_head = o->next;
        free(o->buf);
        free(o);
    }
    free(c->snap);
    wp_cpg_cmdbuf_free(&c->cmdbuf);
    if (c->loop) {
        if (c->notify_armed)
            qb_loop_timer_del(c->loop, c->notify_timer);
        qb_loop_timer_del(c->loop, c->check_timer);
        qb_loop_timer_del(c->loop, c->sweep_timer);
        if (c->retry_armed)
            qb_loop_timer_del(c->loop, c->retry_timer);
    }
    if (c->cpg_ok) {
        if (!c->fatal)
            qb_loop_poll_del(c->loop, c->cpg_fd);
        cpg_finalize(c->cpg);
    }
    wp_cpg_quorum_close(c);
    free(c);
}

static const wp_repl_ops wp_cpg_ops = {
    .name = "corosync",
    .submit = wp_cpg_submit,
    .ready = wp_cpg_ready,
    .status = wp_cpg_status,
    .destroy = wp_cpg_destroy,
};

/* ---- creation ------------------------------------------------------------ */

static uint64_t env_ms(const char *name, uint64_t dflt)
{
    const char *v = getenv(name);
    char *end = NULL;

    if (!v || !*v)
        return dflt;
    unsigned long long n = strtoull(v, &end, 10);
    if (*end) {
        qb_log(LOG_WARNING, "ignoring %s=%s: not a whole number of milliseconds", name, v);
        return dflt;
    }
    return n;
}

static bool wp_cpg_open(wp_cpg *c, wp_err *err)
{
    cpg_model_v1_data_t model = {
        .model = CPG_MODEL_V1,
        .cpg_deliver_fn = on_deliver,
        .cpg_confchg_fn = on_confchg,
    };

    if (cpg_model_initialize(&c->cpg, CPG_MODEL_V1, (cpg_model_data_t *)&model, c) != CS_OK) {
        wp_errf(err, WP_E_UNAVAILABLE, "cannot connect to corosync");
        wp_err_why(err, "corosync is not running on this node");
        wp_err_todo(err, "start corosync (run `wolfpack cluster create` first if this node has "
                         "no /etc/corosync/corosync.conf), then start wolfpackd again");
        return false;
    }
    c->cpg_ok = true;
    if (cpg_local_get(c->cpg, &c->local_nodeid) != CS_OK ||
        cpg_fd_get(c->cpg, &c->cpg_fd) != CS_OK) {
        wp_errf(err, WP_E_UNAVAILABLE, "cannot talk to corosync's CPG service");
        wp_err_why(err, "cpg_local_get or cpg_fd_get failed");
        wp_err_todo(err, "check corosync's log, then start wolfpackd again");
        return false;
    }
    return true;
}

static bool wp_cpg_join_group(wp_cpg *c, wp_err *err)
{
    cs_error_t rc;

    for (int tries = 0; tries < 50; tries++) {
        rc = cpg_join(c->cpg, &c->group);
        if (rc != CS_ERR_TRY_AGAIN)
            break;
        wp_clock_sleep_ms(100);
    }
    if (rc != CS_OK) {
        wp_errf(err, WP_E_UNAVAILABLE, "cannot join the CPG group \"%s\"", c->group.value);
        wp_err_why(err, "cpg_join failed with error %d%s", (int)rc,
                   rc == CS_ERR_EXIST ? " (another wolfpackd of this node is in it)" : "");
        wp_err_todo(err, "check that no other wolfpackd runs on this node and that corosync "
                         "is healthy (`corosync-cpgtool`)");
        return false;
    }
    if (qb_loop_poll_add(c->loop, QB_LOOP_HIGH, c->cpg_fd, POLLIN | POLLPRI, c,
                         wp_cpg_dispatch_cb) != 0) {
        wp_errf(err, WP_E_INTERNAL, "cannot watch the CPG connection");
        wp_err_why(err, "qb_loop_poll_add failed");
        wp_err_todo(err, "report this bug");
        return false;
    }
    return true;
}

wp_repl *wp_repl_cpg_new(wp_db *db, qb_loop_t *loop, const char *cpg_group,
                         wp_repl_applied_fn on_applied, void *ctx, wp_err *err)
{
    wp_repl *r = calloc(1, sizeof *r);
    wp_cpg *c = calloc(1, sizeof *c);

    if (!r || !c) {
        free(r);
        free(c);
        wp_errf(err, WP_E_INTERNAL, "out of memory creating the corosync transport");
        wp_err_why(err, "calloc failed");
        wp_err_todo(err, "free some memory and start wolfpackd again");
        return NULL;
    }
    *c = (wp_cpg){.db = db,
                  .loop = loop,
                  .on_applied = on_applied,
                  .ctx = ctx,
                  .local_pid = (uint32_t)getpid(),
                  .mode = CPG_SYNC_WAIT,
                  .sum_version = -1};
    c->pending_timeout_ms = env_ms("WOLFPACK_PENDING_TIMEOUT_MS", PENDING_TIMEOUT_MS);
    c->check_interval_ms = env_ms("WOLFPACK_CHECK_INTERVAL_MS", CHECK_INTERVAL_MS);
    c->epoch_counter = (uint64_t)time(NULL) << 20;
    if (!wp_cpg_open(c, err))
        goto fail;
    if (cpg_group && *cpg_group)
        snprintf(c->cluster_name, sizeof c->cluster_name, "%s", cpg_group);
    else if (!wp_cpg_cmap_cluster_name(c, err))
        goto fail;
    snprintf(c->group.value, sizeof c->group.value, "wolfpack:%s", c->cluster_name);
    c->group.length = (uint32_t)strlen(c->group.value);
    if (!wp_cpg_quorum_open(c, err) || !wp_cpg_join_group(c, err))
        goto fail;
    arm_check_timer(c);
    arm_sweep_timer(c);
    qb_log(LOG_NOTICE, "replication: node %u joined CPG group %s", c->local_nodeid, c->group.value);
    r->ops = &wp_cpg_ops;
    r->impl = c;
    c->self = r;
    return r;
fail:
    wp_cpg_destroy(c);
    free(r);
    return NULL;
}
