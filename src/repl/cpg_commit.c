/*
 * cpg_commit.c -- the road of one command through the Corosync transport:
 * submit, the sender's CMD message, the delivery, the batch apply, the ACKs
 * and the pending submit's done() (docs/REPLICATION.md, "Commit").
 *
 *   submit(cmd)     checks (synced, quorate), gives the command a seq, adds
 *                   it to the sender's buffer and a pending to the list;
 *   send            the buffer leaves as ONE CMD message at once when fewer
 *                   than CMD_INFLIGHT of our CMD messages are in flight,
 *                   otherwise when one of them comes back (self-clocked
 *                   batching: no delay at low load, few messages at high);
 *   delivery        every member appends the commands to the batch; the
 *                   batch is applied with ONE wp_db_apply_batch() before any
 *                   other message is handled and at the end of the dispatch;
 *   ACK             after a batch that applied another member's command, a
 *                   member mcasts its version (at most one ACK of ours in
 *                   flight; the newest version goes next); every CMD message
 *                   also carries its sender's version, an ACK for free;
 *   done()          a refused command completes at once (same refusal
 *                   everywhere); an applied one once every member of the
 *                   current membership acked its version or left.
 */
#include "cpg_internal.h"

#include <qb/qblog.h>
#include <stdlib.h>
#include <string.h>

#define CMD_INFLIGHT 1 /* CMD messages of ours in flight before we buffer */

void wp_cpg_err_unknown(wp_err *e, const char *why)
{
    wp_errf(e, WP_E_UNAVAILABLE, "the outcome of the change is unknown");
    wp_err_why(e, "%s", why);
    wp_err_todo(e, "look with `wolfpack status` (or the matching show command) whether the "
                   "change is there, and make it again if not");
}

static bool is_self(const wp_cpg *c, uint32_t nodeid, uint32_t pid)
{
    return nodeid == c->local_nodeid && pid == c->local_pid;
}

/* ---- pendings ------------------------------------------------------------ */

static wp_cpg_pending *pending_find(wp_cpg *c, uint64_t seq)
{
    for (wp_cpg_pending *p = c->pend_head; p; p = p->next)
        if (p->seq == seq)
            return p;
    return NULL;
}

/* Detach every pending for which take_it() is true into a list. */
static wp_cpg_pending *
pendings_detach(wp_cpg *c, bool (*take_it)(wp_cpg *, wp_cpg_pending *, uint64_t), uint64_t arg)
{
    wp_cpg_pending *out = NULL, **tail = &out, *prev = NULL, *p = c->pend_head;

    while (p) {
        wp_cpg_pending *next = p->next;
        if (take_it(c, p, arg)) {
            if (prev)
                prev->next = next;
            else
                c->pend_head = next;
            if (c->pend_tail == p)
                c->pend_tail = prev;
            c->n_pending--;
            p->next = NULL;
            *tail = p;
            tail = &p->next;
        } else {
            prev = p;
        }
        p = next;
    }
    return out;
}

/* Call done() of a detached list and free it (err NULL: success). */
static void pendings_finish(wp_cpg_pending *list, const wp_err *err)
{
    while (list) {
        wp_cpg_pending *next = list->next;
        if (list->done)
            list->done(list->cookie, err, list->version);
        free(list);
        list = next;
    }
}

static bool with_seq(wp_cpg *c, wp_cpg_pending *p, uint64_t seq)
{
    (void)c;
    return p->seq == seq;
}

static wp_cpg_pending *pending_take(wp_cpg *c, uint64_t seq)
{
    return pendings_detach(c, with_seq, seq);
}

static int64_t min_acked(const wp_cpg *c)
{
    int64_t m = INT64_MAX;

    for (size_t i = 0; i < c->n_members; i++)
        if (c->members[i].acked < m)
            m = c->members[i].acked;
    return m;
}

static bool is_acked_by_all(wp_cpg *c, wp_cpg_pending *p, uint64_t min)
{
    if (!p->applied || p->version > (int64_t)min)
        return false;
    c->own_ack_us += wp_clock_us() - p->t_applied;
    return true;
}

void wp_cpg_pendings_check(wp_cpg *c)
{
    if (c->n_members == 0 || !c->pend_head)
        return;
    int64_t min = min_acked(c);
    if (min < 0)
        return;
    pendings_finish(pendings_detach(c, is_acked_by_all, (uint64_t)min), NULL);
}

static bool is_applied(wp_cpg *c, wp_cpg_pending *p, uint64_t arg)
{
    (void)c, (void)arg;
    return p->applied;
}

void wp_cpg_pendings_fail_applied(wp_cpg *c, wp_code code, const char *what, const char *why,
                                  const char *todo)
{
    wp_err e = {0};

    wp_errf(&e, code, "%s", what);
    wp_err_why(&e, "%s", why);
    wp_err_todo(&e, "%s", todo);
    pendings_finish(pendings_detach(c, is_applied, 0), &e);
}

static bool is_overdue(wp_cpg *c, wp_cpg_pending *p, uint64_t now)
{
    (void)c;
    return now >= p->deadline;
}

void wp_cpg_pendings_expire(wp_cpg *c)
{
    wp_err e = {0};
    char why[200];

    snprintf(why, sizeof why,
             "the cluster did not confirm it within %llu ms: a member may be slow or the "
             "membership is changing",
             (unsigned long long)c->pending_timeout_ms);
    wp_cpg_err_unknown(&e, why);
    pendings_finish(pendings_detach(c, is_overdue, wp_clock_ms()), &e);
}

static bool is_any(wp_cpg *c, wp_cpg_pending *p, uint64_t arg)
{
    (void)c, (void)p, (void)arg;
    return true;
}

void wp_cpg_pendings_fail_all(wp_cpg *c, const wp_err *err)
{
    pendings_finish(pendings_detach(c, is_any, 0), err);
}

static bool is_unsent(wp_cpg *c, wp_cpg_pending *p, uint64_t arg)
{
    (void)arg;
    return p->seq > c->last_sent_seq;
}

/* ---- the batch ----------------------------------------------------------- */

static bool batch_push(wp_cpg *c, json_t *cmd, uint32_t nodeid, uint32_t pid, uint64_t seq)
{
    if (c->n_batch == c->cap_batch) {
        size_t cap = c->cap_batch ? c->cap_batch * 2 : 64;
        wp_cpg_batch_item *b = realloc(c->batch, cap * sizeof *b);
        if (!b)
            return false;
        c->batch = b;
        c->cap_batch = cap;
    }
    c->batch[c->n_batch++] = (wp_cpg_batch_item){cmd, nodeid, pid, seq};
    return true;
}

/* The origin learns the fate of its own command. */
static void own_result(wp_cpg *c, uint64_t seq, bool applied, const wp_err *refused,
                       int64_t version)
{
    if (applied) {
        wp_cpg_pending *p = pending_find(c, seq);
        if (p) {
            p->applied = true;
            p->version = version;
            p->t_applied = wp_clock_us();
            c->own_n++;
            c->own_deliver_us += p->t_applied - p->t_submit;
        }
        return;
    }
    wp_cpg_pending *p = pending_take(c, seq);
    if (p) {
        p->version = version;
        pendings_finish(p, refused);
    }
}

/* ACK our applied version if another member waits for it (it sent a command
 * we applied) and no ACK of ours is in flight. */
static void send_ack(wp_cpg *c)
{
    wp_cpg_msg ack = {.type = WP_CPG_ACK, .u.ack.version = c->ack_want};
    wp_err err = {0};

    if (c->ack_inflight || !c->ack_owed)
        return;
    if (!wp_cpg_send(c, &ack, &err)) {
        qb_log(LOG_ERR, "replication: cannot send an ACK: %s", err.what);
        return;
    }
    c->n_acks++;
    c->ack_inflight = true;
    c->ack_owed = false;
    c->ack_sent = c->ack_want;
}

static void batch_io_failed(wp_cpg *c, wp_cpg_batch_item *items, size_t n, const wp_err *err)
{
    wp_err e = {0};

    qb_log(LOG_CRIT, "replication: applying %zu delivered command(s) failed: %s (%s)", n, err->what,
           err->why);
    wp_cpg_err_unknown(&e, "this node could not write the change to its database; it "
                           "resynchronizes from the other members");
    for (size_t i = 0; i < n; i++)
        if (is_self(c, items[i].nodeid, items[i].pid))
            pendings_finish(pending_take(c, items[i].seq), &e);
    c->dirty = true;
    c->trusted = false;
    c->mode = CPG_SYNC_WAIT;
    wp_cpg_sync_start_round(c);
    wp_cpg_changed(c);
}

/* Apply the batch; fill versions[i] with the version after item i. */
static bool batch_apply(wp_cpg *c, wp_cpg_batch_item *items, size_t n, wp_err *results,
                        bool *applied, int64_t *versions, wp_err *err)
{
    const json_t **cmds = malloc(n * sizeof *cmds);
    int64_t v = wp_db_version(c->db);

    if (!cmds) {
        wp_errf(err, WP_E_INTERNAL, "out of memory applying a batch");
        wp_err_why(err, "malloc failed");
        return false;
    }
    for (size_t i = 0; i < n; i++)
        cmds[i] = items[i].cmd;
    uint64_t t0 = wp_clock_us();
    bool ok = wp_db_apply_batch(c->db, (const json_t *const *)cmds, n, results, applied, err);
    c->apply_us += wp_clock_us() - t0;
    free(cmds);
    for (size_t i = 0; ok && i < n; i++)
        versions[i] = applied[i] ? ++v : v;
    return ok;
}

static void batch_done(wp_cpg *c, wp_cpg_batch_item *items, size_t n, const wp_err *results,
                       const bool *applied, const int64_t *versions)
{
    bool foreign = false;

    for (size_t i = 0; i < n; i++) {
        foreign |= applied[i] && !is_self(c, items[i].nodeid, items[i].pid);
        if (is_self(c, items[i].nodeid, items[i].pid))
            own_result(c, items[i].seq, applied[i], &results[i], versions[i]);
    }
    for (size_t i = 0; i < n && c->on_applied; i++)
        if (applied[i])
            c->on_applied(c->ctx, items[i].cmd, versions[i]);
    int64_t v = versions[n - 1];
    wp_cpg_member *self = wp_cpg_member_find(c, c->local_nodeid, c->local_pid);
    if (self && v > self->acked)
        self->acked = v;
    if (v > c->ack_want)
        c->ack_want = v;
    if (foreign) {
        c->ack_owed = true;
        send_ack(c);
    }
    wp_cpg_pendings_check(c);
}

void wp_cpg_flush_batch(wp_cpg *c)
{
    wp_cpg_batch_item *items = c->batch;
    size_t n = c->n_batch;
    wp_err err = {0};

    if (n == 0)
        return;
    c->batch = NULL;
    c->n_batch = c->cap_batch = 0;
    c->n_batches++;
    c->n_batched += n;

    wp_err *results = calloc(n, sizeof *results);
    bool *applied = calloc(n, sizeof *applied);
    int64_t *versions = calloc(n, sizeof *versions);
    if (!results || !applied || !versions) {
        wp_errf(&err, WP_E_INTERNAL, "out of memory applying a batch");
        wp_err_why(&err, "calloc failed");
        batch_io_failed(c, items, n, &err);
    } else if (!batch_apply(c, items, n, results, applied, versions, &err)) {
        batch_io_failed(c, items, n, &err);
    } else {
        batch_done(c, items, n, results, applied, versions);
    }
    for (size_t i = 0; i < n; i++)
        json_decref(items[i].cmd);
    free(items);
    free(results);
    free(applied);
    free(versions);
}

/* ---- delivery ------------------------------------------------------------ */

static void drop_cmd(wp_cpg *c, uint64_t seq, const char *why)
{
    wp_cpg_pending *p = pending_take(c, seq);
    wp_err e = {0};

    if (!p)
        return;
    wp_errf(&e, WP_E_UNAVAILABLE, "the change was not made");
    wp_err_why(&e, "%s", why);
    wp_err_todo(&e, "make the change again once `wolfpack status` shows the node synced");
    p->version = wp_db_version(c->db);
    pendings_finish(p, &e);
}

void wp_cpg_commit_on_cmd(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m)
{
    bool mine = is_self(c, from->nodeid, from->pid);
    wp_cpg_cmd_iter it;
    uint64_t seq;
    const unsigned char *json;
    size_t len;

    if (mine && c->cmd_inflight > 0)
        c->cmd_inflight--;
    if (m->u.cmd.acked > from->acked)
        from->acked = m->u.cmd.acked; /* the piggybacked ACK */
    wp_cpg_cmd_iter_init(&it, m);
    while (wp_cpg_cmd_next(&it, &seq, &json, &len)) {
        if (c->mode != CPG_SYNC_SYNCED) {
            if (mine)
                drop_cmd(c, seq,
                         "the cluster membership changed while the change was in flight; every "
                         "member dropped it at the same point, so nothing changed anywhere");
            continue;
        }
        json_t *cmd = json_loadb((const char *)json, len, 0, NULL);
        if (!cmd || !json_is_object(cmd)) {
            json_decref(cmd);
            qb_log(LOG_WARNING, "replication: dropped a command from node %u: not a JSON object",
                   from->nodeid);
            if (mine)
                drop_cmd(c, seq, "the command was not a JSON object");
            continue;
        }
        if (!batch_push(c, cmd, from->nodeid, from->pid, seq)) {
            /* out of memory: apply what we have, then this one alone */
            wp_cpg_flush_batch(c);
            if (!batch_push(c, cmd, from->nodeid, from->pid, seq)) {
                json_decref(cmd);
                qb_log(LOG_CRIT, "replication: out of memory: a delivered command is lost");
                c->dirty = true;
            }
        }
    }
    if (mine)
        wp_cpg_commit_send(c);
    wp_cpg_pendings_check(c);
}

void wp_cpg_commit_on_ack(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m)
{
    if (m->u.ack.version > from->acked)
        from->acked = m->u.ack.version;
    if (is_self(c, from->nodeid, from->pid)) {
        c->ack_inflight = false;
        send_ack(c);
    }
    wp_cpg_pendings_check(c);
}

/* ---- submit -------------------------------------------------------------- */

bool wp_cpg_refuse_not_ready(const wp_cpg *c, wp_err *err)
{
    if (c->fatal) {
        wp_errf(err, WP_E_UNAVAILABLE, "this node lost its connection to corosync");
        wp_err_why(err, "corosync stopped or crashed; wolfpackd is shutting down");
        wp_err_todo(err, "start corosync, then wolfpackd");
        return false;
    }
    if (c->mode != CPG_SYNC_SYNCED) {
        wp_errf(err, WP_E_UNAVAILABLE, "this node is synchronizing its database with the cluster");
        wp_err_why(err,
                   "the cluster membership changed and the members are agreeing on one "
                   "copy of the database (phase %s)",
                   wp_cpg_sync_mode_name(c->mode));
        wp_err_todo(err, "try again in a moment; `wolfpack status` shows \"synced\" when done");
        return false;
    }
    return true;
}

/* The quorate flag is kept by votequorum's notifications and read again at
 * every confchg and sync end; no IPC round trip per submit.  A quorum loss
 * always comes with a confchg, whose sync refuses submits until it ends. */
static bool refuse_no_quorum(wp_cpg *c, wp_err *err)
{
    if (c->quorate)
        return true;
    wp_cpg_quorum_refresh(c); /* for the votes in the message */
    if (c->quorate)
        return true;
    wp_errf(err, WP_E_NOQUORUM, "this partition has no quorum: the change was refused");
    wp_err_why(err,
               "only %u of %u votes are present; changes are accepted only where a majority "
               "is, so that two halves of a split cluster can never both change it",
               c->votes, c->expected);
    wp_err_todo(err, "make the change on a node of the majority partition, or restore the "
                     "network / start the missing nodes");
    return false;
}

/* Fail the buffered (not yet sent) commands with err and empty the buffer. */
static void fail_unsent(wp_cpg *c, const wp_err *err)
{
    wp_cpg_cmdbuf_free(&c->cmdbuf);
    c->last_sent_seq = c->next_seq;
    pendings_finish(pendings_detach(c, is_unsent, 0), err);
}

void wp_cpg_commit_send(wp_cpg *c)
{
    wp_cpg_msg m = {.type = WP_CPG_CMD};
    wp_err err = {0};

    if (c->cmdbuf.count == 0)
        return;
    bool full = c->cmdbuf.len >= WP_CPG_CMDS_BYTES || c->cmdbuf.count >= WP_CPG_CMDS_MAX;
    if (c->cmd_inflight >= CMD_INFLIGHT && !full)
        return; /* one comes back soon and takes these along */
    /* the gate again: the buffer may have waited across a membership change */
    if (!wp_cpg_refuse_not_ready(c, &err) || !refuse_no_quorum(c, &err)) {
        fail_unsent(c, &err);
        return;
    }
    m.u.cmd.acked = wp_db_version(c->db);
    m.u.cmd.count = c->cmdbuf.count;
    m.u.cmd.entries = c->cmdbuf.p;
    m.u.cmd.len = c->cmdbuf.len;
    if (!wp_cpg_send(c, &m, &err)) {
        fail_unsent(c, &err);
        return;
    }
    wp_cpg_cmdbuf_free(&c->cmdbuf);
    c->last_sent_seq = c->next_seq;
    c->cmd_inflight++;
    if (m.u.cmd.acked >= c->ack_want)
        c->ack_owed = false; /* this message carries the ACK */
}

bool wp_cpg_commit_submit(wp_cpg *c, const json_t *cmd, wp_repl_done_fn done, void *cookie,
                          wp_err *err)
{
    if (!wp_cpg_refuse_not_ready(c, err) || !refuse_no_quorum(c, err))
        return false;
    if (c->n_out >= WP_CPG_SEND_QUEUE_MAX) {
        wp_errf(err, WP_E_UNAVAILABLE, "the cluster is too busy to take the change");
        wp_err_why(err, "%zu messages wait for corosync to send them", c->n_out);
        wp_err_todo(err, "try again in a moment");
        return false;
    }
    char *text = json_dumps(cmd, JSON_COMPACT);
    wp_cpg_pending *p = calloc(1, sizeof *p);
    bool ok = text && p && wp_cpg_cmdbuf_add(&c->cmdbuf, c->next_seq + 1, text, strlen(text), err);
    free(text);
    if (!ok) {
        free(p);
        if (err && err->code == WP_OK) {
            wp_errf(err, WP_E_INTERNAL, "out of memory sending a change");
            wp_err_why(err, "json_dumps or calloc failed");
            wp_err_todo(err, "free some memory and restart wolfpackd");
        }
        return false;
    }
    *p = (wp_cpg_pending){.seq = ++c->next_seq,
                          .done = done,
                          .cookie = cookie,
                          .deadline = wp_clock_ms() + c->pending_timeout_ms,
                          .t_submit = wp_clock_us()};
    if (c->pend_tail)
        c->pend_tail->next = p;
    else
        c->pend_head = p;
    c->pend_tail = p;
    c->n_pending++;
    wp_cpg_commit_send(c);
    return true;
}
