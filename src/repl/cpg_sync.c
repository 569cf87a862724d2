/*
 * cpg_sync.c -- the state sync of the Corosync transport (pmxcfs's dfsm in
 * spirit) and the periodic consistency check.
 *
 * Everything here runs at the delivery of a CPG message or configuration
 * change, so every member takes the same step at the same point of the total
 * order (docs/REPLICATION.md):
 *
 *   confchg        -> WAIT      the lowest member mcasts SYNC_START(epoch)
 *   SYNC_START(e)  -> COLLECT   every member mcasts SYNC_STATE(e, version,
 *                               checksum, dirty, trusted)
 *   last STATE(e)  -> leader = wp_cpg_choose_leader(); all match -> SYNCED
 *                  -> TRANSFER  else the leader mcasts SNAP(e) chunks
 *   last SNAP(e)   -> SYNCED    who differed imports the snapshot first
 *
 * The first functions are pure (tested in tests/unit/test_cpg_msg.c).
 */
#include "cpg_internal.h"

#include <qb/qblog.h>
#include <stdlib.h>
#include <string.h>

/* ---- pure decisions ------------------------------------------------------ */

/* Does a rank better than b as the sync leader? */
static bool better_leader(const wp_cpg_state *a, const wp_cpg_state *b)
{
    if (a->dirty != b->dirty)
        return !a->dirty;
    if (a->trusted != b->trusted)
        return a->trusted;
    if (a->version != b->version)
        return a->version > b->version;
    return a->nodeid < b->nodeid;
}

size_t wp_cpg_choose_leader(const wp_cpg_state *states, size_t n)
{
    size_t best = 0;

    for (size_t i = 1; i < n; i++)
        if (better_leader(&states[i], &states[best]))
            best = i;
    return best;
}

bool wp_cpg_state_matches(const wp_cpg_state *a, const wp_cpg_state *b)
{
    return a->version == b->version && strcmp(a->checksum, b->checksum) == 0;
}

static bool same_answer(const wp_cpg_reply *a, const wp_cpg_reply *b)
{
    return a->version == b->version && strcmp(a->checksum, b->checksum) == 0;
}

size_t wp_cpg_check_majority(const wp_cpg_reply *replies, size_t n)
{
    size_t best = 0, best_votes = 0;

    for (size_t i = 0; i < n; i++) {
        size_t votes = 0;
        uint32_t lowest = replies[i].nodeid;
        for (size_t j = 0; j < n; j++) {
            if (!same_answer(&replies[i], &replies[j]))
                continue;
            votes++;
            if (replies[j].nodeid < lowest)
                lowest = replies[j].nodeid;
        }
        if (replies[i].nodeid != lowest)
            continue; /* count each answer once, at its lowest holder */
        if (votes > best_votes ||
            (votes == best_votes && replies[i].nodeid < replies[best].nodeid)) {
            best = i;
            best_votes = votes;
        }
    }
    return best;
}

const char *wp_cpg_sync_mode_name(wp_cpg_sync_mode mode)
{
    switch (mode) {
    case CPG_SYNC_WAIT:
        return "wait-start";
    case CPG_SYNC_COLLECT:
        return "collect-states";
    case CPG_SYNC_TRANSFER:
        return "transfer";
    case CPG_SYNC_SYNCED:
        return "synced";
    }
    return "unknown";
}

/* ---- helpers ------------------------------------------------------------- */

static bool epoch_eq(const wp_cpg_epoch *a, const wp_cpg_epoch *b)
{
    return a->nodeid == b->nodeid && a->counter == b->counter;
}

static void drop_snapshot(wp_cpg *c)
{
    free(c->snap);
    c->snap = NULL;
    c->snap_total = 0;
    c->snap_have = 0;
}

static void reset_round(wp_cpg *c, wp_cpg_sync_mode mode)
{
    c->mode = mode;
    c->need_import = false;
    c->check_token = 0;
    drop_snapshot(c);
    for (size_t i = 0; i < c->n_members; i++) {
        c->members[i].has_state = false;
        c->members[i].has_reply = false;
    }
}

/* Our version and checksum; false (and a log line) if the database failed. */
static bool local_state(wp_cpg *c, int64_t *version, char sum[65])
{
    wp_err err = {0};

    *version = wp_db_version(c->db);
    if (!wp_db_checksum(c->db, sum, &err)) {
        qb_log(LOG_ERR, "replication: cannot compute the database checksum: %s (%s)", err.what,
               err.why);
        memset(sum, '0', 64);
        sum[64] = '\0';
        return false;
    }
    c->sum_version = *version;
    memcpy(c->sum, sum, 65);
    return true;
}

/* Mark this node dirty and make every member sync again. */
static void resync_dirty(wp_cpg *c, const char *why)
{
    qb_log(LOG_ERR, "replication: node %u marks its database dirty (%s); resynchronizing",
           c->local_nodeid, why);
    c->dirty = true;
    c->trusted = false;
    reset_round(c, CPG_SYNC_WAIT);
    wp_cpg_sync_start_round(c);
    wp_cpg_changed(c);
}

static void finish_sync(wp_cpg *c, bool imported)
{
    int64_t v = wp_db_version(c->db);

    reset_round(c, CPG_SYNC_SYNCED);
    for (size_t i = 0; i < c->n_members; i++)
        c->members[i].acked = v;
    /* an import may lower the version: never ACK more than we hold */
    c->ack_want = c->ack_sent = v;
    c->ack_owed = false;
    c->dirty = false;
    wp_cpg_quorum_refresh(c);
    c->trusted = c->quorate;
    c->served_quorate |= c->quorate;
    c->syncs_done++;
    c->last_sync_ms = wp_clock_ms();
    c->last_sync_took_us = wp_clock_us() - c->confchg_us;
    if (imported) {
        c->sum_version = -1;
        wp_cpg_pendings_fail_applied(
            c, WP_E_UNAVAILABLE,
            "the outcome of the change is unknown: this node took the cluster's database "
            "before every member confirmed it",
            "the membership changed while the change was in flight and this node's copy was "
            "replaced by the sync leader's",
            "look with `wolfpack status` (or the matching show command) whether the change is "
            "there, and make it again if not");
    }
    qb_log(LOG_NOTICE,
           "replication: synced at version %lld with %zu member(s), leader %u%s, %llu ms after "
           "the membership change (round %llu ms)",
           (long long)v, c->n_members, c->leader_nodeid, imported ? " (snapshot imported)" : "",
           (unsigned long long)c->last_sync_took_us / 1000,
           (unsigned long long)(wp_clock_us() - c->round_us) / 1000);
    wp_cpg_pendings_check(c);
    wp_cpg_maybe_bootstrap(c);
    wp_cpg_changed(c);
}

/* ---- the state machine --------------------------------------------------- */

void wp_cpg_sync_start_round(wp_cpg *c)
{
    wp_cpg_msg m = {.type = WP_CPG_SYNC_START};
    wp_err err = {0};

    m.u.start.epoch.nodeid = c->local_nodeid;
    m.u.start.epoch.counter = ++c->epoch_counter;
    if (!wp_cpg_send(c, &m, &err))
        qb_log(LOG_ERR, "replication: cannot start a sync round: %s (%s)", err.what, err.why);
}

void wp_cpg_sync_watchdog(wp_cpg *c)
{
    uint64_t now = wp_clock_us();

    if (c->mode == CPG_SYNC_SYNCED || !wp_cpg_is_lowest(c) ||
        now - c->sync_progress_us < WP_CPG_SYNC_STALL_MS * 1000ull)
        return;
    qb_log(LOG_WARNING, "replication: the sync made no progress for %d s (phase %s); restarting it",
           WP_CPG_SYNC_STALL_MS / 1000, wp_cpg_sync_mode_name(c->mode));
    c->sync_progress_us = now;
    wp_cpg_sync_start_round(c);
}

void wp_cpg_sync_on_confchg(wp_cpg *c)
{
    c->confchg_us = c->sync_progress_us = wp_clock_us();
    reset_round(c, CPG_SYNC_WAIT);
    wp_cpg_quorum_refresh(c);
    if (!c->quorate)
        c->trusted = false;
    if (wp_cpg_is_lowest(c))
        wp_cpg_sync_start_round(c);
    wp_cpg_pendings_check(c);
}

void wp_cpg_sync_on_start(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m)
{
    wp_cpg_msg reply = {.type = WP_CPG_SYNC_STATE};
    wp_err err = {0};

    (void)from;
    reset_round(c, CPG_SYNC_COLLECT);
    c->round_us = c->sync_progress_us = wp_clock_us();
    c->epoch = m->u.start.epoch;
    reply.u.state.epoch = c->epoch;
    if (!local_state(c, &reply.u.state.version, reply.u.state.checksum))
        c->dirty = true;
    qb_log(LOG_INFO, "replication: sync round of node %u: state computed in %llu ms",
           c->epoch.nodeid, (unsigned long long)(wp_clock_us() - c->round_us) / 1000);
    reply.u.state.dirty = c->dirty;
    reply.u.state.trusted = c->trusted;
    if (!wp_cpg_send(c, &reply, &err))
        qb_log(LOG_ERR, "replication: cannot send the sync state: %s (%s)", err.what, err.why);
}

static void send_snapshot(wp_cpg *c)
{
    unsigned char *buf = NULL;
    size_t len = 0;
    wp_err err = {0};

    if (!wp_db_snapshot_export(c->db, &buf, &len, &err)) {
        qb_log(LOG_ERR, "replication: cannot export the snapshot: %s (%s)", err.what, err.why);
        resync_dirty(c, "snapshot export failed");
        return;
    }
    qb_log(LOG_INFO, "replication: sending a snapshot of %zu bytes (%llu ms into the round)", len,
           (unsigned long long)(wp_clock_us() - c->round_us) / 1000);
    size_t off = 0;
    do {
        wp_cpg_msg m = {.type = WP_CPG_SNAP};
        m.u.snap.epoch = c->epoch;
        m.u.snap.total = len;
        m.u.snap.offset = off;
        m.u.snap.len = len - off < WP_CPG_CHUNK ? len - off : WP_CPG_CHUNK;
        m.u.snap.data = buf + off;
        if (!wp_cpg_send(c, &m, &err)) {
            qb_log(LOG_ERR, "replication: cannot send the snapshot: %s (%s)", err.what, err.why);
            break;
        }
        off += m.u.snap.len;
    } while (off < len);
    free(buf);
}

static void decide(wp_cpg *c)
{
    wp_cpg_state states[CPG_MEMBERS_MAX] = {0};
    size_t me = 0;

    for (size_t i = 0; i < c->n_members; i++) {
        states[i] = c->members[i].state;
        if (c->members[i].nodeid == c->local_nodeid && c->members[i].pid == c->local_pid)
            me = i;
    }
    size_t leader = wp_cpg_choose_leader(states, c->n_members);
    c->leader_nodeid = c->members[leader].nodeid;
    c->leader_pid = c->members[leader].pid;

    bool all_match = true;
    for (size_t i = 0; i < c->n_members; i++)
        if (!wp_cpg_state_matches(&states[i], &states[leader]))
            all_match = false;
    if (all_match) {
        finish_sync(c, false);
        return;
    }
    c->mode = CPG_SYNC_TRANSFER;
    c->need_import = !wp_cpg_state_matches(&states[me], &states[leader]);
    qb_log(LOG_NOTICE, "replication: leader %u (version %lld) sends its snapshot%s",
           c->leader_nodeid, (long long)states[leader].version,
           c->need_import ? "; this node will import it" : "");
    if (leader == me)
        send_snapshot(c);
}

void wp_cpg_sync_on_state(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m)
{
    if (c->mode != CPG_SYNC_COLLECT || !epoch_eq(&m->u.state.epoch, &c->epoch))
        return; /* a state of an older round */
    from->has_state = true;
    c->sync_progress_us = wp_clock_us();
    from->state.nodeid = from->nodeid;
    from->state.version = m->u.state.version;
    memcpy(from->state.checksum, m->u.state.checksum, 65);
    from->state.dirty = m->u.state.dirty;
    from->state.trusted = m->u.state.trusted;
    for (size_t i = 0; i < c->n_members; i++)
        if (!c->members[i].has_state)
            return;
    decide(c);
}

/* Add a chunk to the snapshot being received; false if it does not fit. */
static bool take_chunk(wp_cpg *c, const wp_cpg_msg *m)
{
    if (!c->snap) {
        if (m->u.snap.offset != 0 || m->u.snap.total == 0)
            return false;
        c->snap = malloc(m->u.snap.total);
        if (!c->snap)
            return false;
        c->snap_total = m->u.snap.total;
        c->snap_have = 0;
    }
    if (m->u.snap.total != c->snap_total || m->u.snap.offset != c->snap_have)
        return false;
    memcpy(c->snap + c->snap_have, m->u.snap.data, m->u.snap.len);
    c->snap_have += m->u.snap.len;
    return true;
}

void wp_cpg_sync_on_snap(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m)
{
    wp_err err = {0};

    if (c->mode != CPG_SYNC_TRANSFER || !epoch_eq(&m->u.snap.epoch, &c->epoch) ||
        from->nodeid != c->leader_nodeid || from->pid != c->leader_pid)
        return;
    c->sync_progress_us = wp_clock_us();
    if (c->need_import && !take_chunk(c, m)) {
        resync_dirty(c, "a snapshot chunk did not fit");
        return;
    }
    if (m->u.snap.offset + m->u.snap.len != m->u.snap.total)
        return; /* more chunks to come */
    if (!c->need_import) {
        finish_sync(c, false);
        return;
    }
    wp_repl_notify_before_import(c->self); /* the local copy, one last time */
    uint64_t t0 = wp_clock_us();
    if (!wp_db_snapshot_import(c->db, c->snap, c->snap_total, &err)) {
        qb_log(LOG_ERR, "replication: cannot import the leader's snapshot: %s (%s)", err.what,
               err.why);
        resync_dirty(c, "snapshot import failed");
        return;
    }
    qb_log(LOG_INFO, "replication: imported a snapshot of %zu bytes in %llu ms", c->snap_total,
           (unsigned long long)(wp_clock_us() - t0) / 1000);
    finish_sync(c, true);
}

/* ---- periodic consistency check ------------------------------------------ */

void wp_cpg_check_on_req(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m)
{
    wp_cpg_msg reply = {.type = WP_CPG_CHECK_REPLY};
    wp_err err = {0};

    (void)from;
    if (c->mode != CPG_SYNC_SYNCED)
        return; /* every member is syncing too: the sync compares states */
    for (size_t i = 0; i < c->n_members; i++)
        c->members[i].has_reply = false;
    c->check_token = m->u.check_req.token;
    reply.u.check_reply.token = c->check_token;
    if (!local_state(c, &reply.u.check_reply.version, reply.u.check_reply.checksum)) {
        resync_dirty(c, "cannot compute the checksum");
        return;
    }
    if (!wp_cpg_send(c, &reply, &err))
        qb_log(LOG_ERR, "replication: cannot send a check reply: %s (%s)", err.what, err.why);
}

void wp_cpg_check_on_reply(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m)
{
    wp_cpg_reply replies[CPG_MEMBERS_MAX] = {0};
    size_t me = 0;

    if (c->mode != CPG_SYNC_SYNCED || c->check_token == 0 ||
        m->u.check_reply.token != c->check_token)
        return;
    from->has_reply = true;
    from->reply.nodeid = from->nodeid;
    from->reply.version = m->u.check_reply.version;
    memcpy(from->reply.checksum, m->u.check_reply.checksum, 65);
    for (size_t i = 0; i < c->n_members; i++) {
        if (!c->members[i].has_reply)
            return;
        replies[i] = c->members[i].reply;
        if (c->members[i].nodeid == c->local_nodeid && c->members[i].pid == c->local_pid)
            me = i;
    }
    c->check_token = 0;
    c->checks_done++;
    size_t maj = wp_cpg_check_majority(replies, c->n_members);
    if (same_answer(&replies[me], &replies[maj]))
        return;
    qb_log(LOG_ERR,
           "replication: consistency check failed: this node has version %lld checksum %.12s, "
           "the majority version %lld checksum %.12s",
           (long long)replies[me].version, replies[me].checksum, (long long)replies[maj].version,
           replies[maj].checksum);
    resync_dirty(c, "its checksum differs from the majority's");
}
