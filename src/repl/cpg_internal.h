/*
 * cpg_internal.h -- private pieces of the Corosync transport (src/repl/cpg*.c).
 *
 * The transport is split by concern:
 *   cpg_msg.c     the wire format of the messages (pure: encode/decode)
 *   cpg_sync.c    the pure decisions of the sync protocol (leader choice,
 *                 check majority) and the sync state machine on delivery
 *   cpg_quorum.c  votequorum and cmap (quorum, cluster name, nodelist)
 *   cpg.c         the wp_repl ops, the CPG handle, batching, pendings,
 *                 the send queue and the glue to the qb_loop
 * docs/REPLICATION.md describes the protocol.  Nothing outside src/repl and
 * the unit tests includes this header.
 */
#ifndef WP_CPG_INTERNAL_H
#define WP_CPG_INTERNAL_H

#include <corosync/cmap.h>
#include <corosync/cpg.h>
#include <corosync/votequorum.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"
#include "../lib/clock.h"
#include "repl.h"

/* ---- wire format (cpg_msg.c) ------------------------------------------ */

#define WP_CPG_MAGIC 0x57505231u /* "WPR1" */
#define WP_CPG_PROTO 1u
#define WP_CPG_HEADER_LEN 8u
/* Longest cluster name (the CPG group is "wolfpack:" + name). */
#define WP_CPG_NAME_MAX 110
/* A command (its JSON) is never larger than an IPC frame. */
#define WP_CPG_CMD_MAX (1u << 20)
/* Commands of one CMD message: at most this many, and the sender starts a
 * new message past WP_CPG_CMDS_BYTES. */
#define WP_CPG_CMDS_MAX 4096u
#define WP_CPG_CMDS_BYTES (256u * 1024)
/* Snapshot chunks: well under corosync's atomic message size (~1 MiB). */
#define WP_CPG_CHUNK 65536u
/* Largest snapshot a node accepts (a sanity bound, not a design limit). */
#define WP_CPG_SNAP_MAX (1024ull * 1024 * 1024)

typedef enum wp_cpg_type {
    WP_CPG_CMD = 1,     /* commands to apply: acked, count x {seq, json} */
    WP_CPG_ACK,         /* "I applied up to version V" */
    WP_CPG_SYNC_START,  /* start a sync round with this epoch */
    WP_CPG_SYNC_STATE,  /* my state for that round */
    WP_CPG_SNAP,        /* a chunk of the leader's snapshot */
    WP_CPG_CHECK_REQ,   /* everybody: compute your checksum now */
    WP_CPG_CHECK_REPLY, /* my checksum at that request */
    WP_CPG__TYPE_END
} wp_cpg_type;

/* Identifies one sync round: chosen by the member that starts it. */
typedef struct wp_cpg_epoch {
    uint32_t nodeid;
    uint64_t counter;
} wp_cpg_epoch;

/* A decoded message.  Pointers (json, data) point into the decoded buffer. */
typedef struct wp_cpg_msg {
    wp_cpg_type type;
    union {
        struct {
            int64_t acked;                /* the sender's applied version (a piggybacked ACK) */
            uint32_t count;               /* commands in this message, >= 1 */
            const unsigned char *entries; /* count x {u64 seq, u32 len, json} */
            size_t len;
        } cmd;
        struct {
            int64_t version;
        } ack;
        struct {
            wp_cpg_epoch epoch;
        } start;
        struct {
            wp_cpg_epoch epoch;
            int64_t version;
            char checksum[65];
            bool dirty;
            bool trusted;
        } state;
        struct {
            wp_cpg_epoch epoch;
            uint64_t total;
            uint64_t offset;
            const unsigned char *data;
            size_t len;
        } snap;
        struct {
            uint64_t token;
        } check_req;
        struct {
            uint64_t token;
            int64_t version;
            char checksum[65];
        } check_reply;
    } u;
} wp_cpg_msg;

/* Commands of one CMD message, as the sender collects them. */
typedef struct wp_cpg_cmdbuf {
    unsigned char *p;
    size_t len, cap;
    uint32_t count;
} wp_cpg_cmdbuf;
/* Append one command (1..WP_CPG_CMD_MAX bytes of JSON). */
bool wp_cpg_cmdbuf_add(wp_cpg_cmdbuf *b, uint64_t seq, const char *json, size_t len, wp_err *err);
void wp_cpg_cmdbuf_free(wp_cpg_cmdbuf *b);

/* Walk the commands of a decoded CMD message (decode checked them all). */
typedef struct wp_cpg_cmd_iter {
    const unsigned char *p;
    size_t left;
} wp_cpg_cmd_iter;
void wp_cpg_cmd_iter_init(wp_cpg_cmd_iter *it, const wp_cpg_msg *msg);
bool wp_cpg_cmd_next(wp_cpg_cmd_iter *it, uint64_t *seq, const unsigned char **json, size_t *len);

const char *wp_cpg_type_name(wp_cpg_type type);
/* Encode into a new malloc'd buffer (*out, *len). */
bool wp_cpg_msg_encode(const wp_cpg_msg *msg, unsigned char **out, size_t *len, wp_err *err);
/* Decode untrusted bytes; refuses anything malformed (no partial results). */
bool wp_cpg_msg_decode(const void *buf, size_t len, wp_cpg_msg *msg, wp_err *err);
/* Is this a 64-char lower-case hex string? */
bool wp_cpg_checksum_valid(const char *sum);

/* ---- pure decisions of the sync protocol (cpg_sync.c) ----------------- */

typedef struct wp_cpg_state {
    uint32_t nodeid;
    int64_t version;
    char checksum[65];
    bool dirty;   /* a failed consistency check or import: never leader */
    bool trusted; /* last synced in a quorate partition, quorate since */
} wp_cpg_state;

/* Index of the leader among n >= 1 states: clean before dirty, trusted
 * before untrusted, then highest version, then lowest nodeid. */
size_t wp_cpg_choose_leader(const wp_cpg_state *states, size_t n);
/* Same version and same checksum. */
bool wp_cpg_state_matches(const wp_cpg_state *a, const wp_cpg_state *b);

typedef struct wp_cpg_reply {
    uint32_t nodeid;
    int64_t version;
    char checksum[65];
} wp_cpg_reply;
/* Index of a reply that holds the majority answer among n >= 1 replies:
 * the (version, checksum) given by the most members; a tie goes to the
 * answer of the lowest nodeid among the tied. */
size_t wp_cpg_check_majority(const wp_cpg_reply *replies, size_t n);

/* ---- the transport's context ------------------------------------------ */

typedef enum wp_cpg_sync_mode {
    CPG_SYNC_WAIT,     /* membership changed: waiting for a SYNC_START */
    CPG_SYNC_COLLECT,  /* collecting SYNC_STATE from every member */
    CPG_SYNC_TRANSFER, /* the leader's snapshot is on its way */
    CPG_SYNC_SYNCED
} wp_cpg_sync_mode;

typedef struct wp_cpg_member {
    uint32_t nodeid;
    uint32_t pid;
    int64_t acked; /* highest version this member said it applied */
    bool has_state;
    wp_cpg_state state;
    bool has_reply;
    wp_cpg_reply reply;
} wp_cpg_member;

typedef struct wp_cpg_pending {
    uint64_t seq;
    wp_repl_done_fn done;
    void *cookie;
    bool applied;                 /* applied here; waiting for every member's ACK */
    int64_t version;              /* version after apply */
    uint64_t deadline;            /* monotonic ms: complete with "unknown" after */
    uint64_t t_submit, t_applied; /* monotonic us, for the stats */
    struct wp_cpg_pending *next;
} wp_cpg_pending;

typedef struct wp_cpg_outmsg {
    wp_cpg_type type;
    unsigned char *buf;
    size_t len;
    struct wp_cpg_outmsg *next;
} wp_cpg_outmsg;

typedef struct wp_cpg_batch_item {
    json_t *cmd; /* owned */
    uint32_t nodeid;
    uint32_t pid;
    uint64_t seq;
} wp_cpg_batch_item;

typedef struct wp_cpg {
    wp_repl *self; /* the wp_repl that owns this transport (membership callback) */
    wp_db *db;     /* borrowed */
    qb_loop_t *loop;
    wp_repl_applied_fn on_applied;
    void *ctx;

    cpg_handle_t cpg;
    votequorum_handle_t vq;
    int cpg_fd, vq_fd;
    bool cpg_ok, vq_ok;
    bool fatal; /* corosync went away: the daemon's loop was stopped */
    struct cpg_name group;
    char cluster_name[WP_CPG_NAME_MAX + 1];
    uint32_t local_nodeid;
    uint32_t local_pid;

    wp_cpg_member members[CPG_MEMBERS_MAX];
    size_t n_members;

    /* sync */
    wp_cpg_sync_mode mode;
    wp_cpg_epoch epoch;
    uint64_t epoch_counter;
    uint32_t leader_nodeid, leader_pid;
    bool need_import;
    unsigned char *snap;
    size_t snap_total, snap_have;
    bool dirty, trusted;
    bool served_quorate; /* synced while quorate at least once since start */
    uint64_t syncs_done;
    uint64_t last_sync_ms;
    uint64_t confchg_us, round_us; /* when the membership changed / the round started */
    uint64_t last_sync_took_us;
    uint64_t sync_progress_us; /* last step of the sync (watchdog) */

    /* quorum */
    bool quorate;
    unsigned votes, expected;

    /* pendings: submitted here, in seq order */
    uint64_t next_seq;      /* seq of the last submit */
    uint64_t last_sent_seq; /* seq of the last command handed to wp_cpg_send */
    wp_cpg_cmdbuf cmdbuf;   /* submitted, not yet sent */
    unsigned cmd_inflight;  /* our CMD messages not yet delivered back */
    bool ack_inflight;      /* our ACK not yet delivered back */
    bool ack_owed;          /* applied another member's command since our last ACK */
    int64_t ack_want, ack_sent;
    wp_cpg_pending *pend_head, *pend_tail;
    size_t n_pending;
    uint64_t pending_timeout_ms;

    /* commands delivered in the current dispatch pass */
    wp_cpg_batch_item *batch;
    size_t n_batch, cap_batch;

    /* messages waiting for corosync to take them (CS_ERR_TRY_AGAIN) */
    wp_cpg_outmsg *out_head, *out_tail;
    size_t n_out;
    bool retry_armed;
    qb_loop_timer_handle retry_timer;

    /* consistency check */
    uint64_t check_interval_ms;
    uint64_t check_counter;
    uint64_t check_token; /* 0: none running */
    uint64_t checks_done;
    qb_loop_timer_handle check_timer;
    qb_loop_timer_handle sweep_timer;

    /* cached checksum for status() */
    int64_t sum_version;
    char sum[65];

    bool bootstrap_inflight;
    bool notify_armed;                 /* a membership notification job is queued */
    qb_loop_timer_handle notify_timer; /* armed while notify_armed */

    /* counters for status() and the benchmark */
    uint64_t n_batches, n_batched, n_try_again, n_acks;
    uint64_t apply_us;                          /* time spent in wp_db_apply_batch */
    uint64_t own_n, own_deliver_us, own_ack_us; /* own commands: submit->applied->done */
} wp_cpg;

/* Queued messages (corosync said "try again") before submit says "busy". */
#define WP_CPG_SEND_QUEUE_MAX 50000

/* cpg.c */
bool wp_cpg_send(wp_cpg *c, const wp_cpg_msg *msg, wp_err *err);
wp_cpg_member *wp_cpg_member_find(wp_cpg *c, uint32_t nodeid, uint32_t pid);
bool wp_cpg_is_lowest(const wp_cpg *c);
void wp_cpg_maybe_bootstrap(wp_cpg *c);
/* Membership, quorum or sync state changed: tell wolfpackd (from the loop). */
void wp_cpg_changed(wp_cpg *c);

/* cpg_commit.c */
bool wp_cpg_commit_submit(wp_cpg *c, const json_t *cmd, wp_repl_done_fn done, void *cookie,
                          wp_err *err);
void wp_cpg_commit_send(wp_cpg *c);
void wp_cpg_commit_on_cmd(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m);
void wp_cpg_commit_on_ack(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m);
void wp_cpg_flush_batch(wp_cpg *c);
bool wp_cpg_refuse_not_ready(const wp_cpg *c, wp_err *err);
void wp_cpg_pendings_check(wp_cpg *c);
void wp_cpg_pendings_fail_applied(wp_cpg *c, wp_code code, const char *what, const char *why,
                                  const char *todo);
void wp_cpg_pendings_fail_all(wp_cpg *c, const wp_err *err);
void wp_cpg_pendings_expire(wp_cpg *c);
void wp_cpg_err_unknown(wp_err *e, const char *why);

/* cpg_sync.c: the state machine, called in delivery order */
void wp_cpg_sync_on_confchg(wp_cpg *c);
void wp_cpg_sync_start_round(wp_cpg *c);
void wp_cpg_sync_on_start(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m);
void wp_cpg_sync_on_state(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m);
void wp_cpg_sync_on_snap(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m);
void wp_cpg_check_on_req(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m);
void wp_cpg_check_on_reply(wp_cpg *c, wp_cpg_member *from, const wp_cpg_msg *m);
const char *wp_cpg_sync_mode_name(wp_cpg_sync_mode mode);
/* A round that makes no progress for WP_CPG_SYNC_STALL_MS is started again
 * by the lowest member (a lost SYNC_START or SYNC_STATE never stalls). */
#define WP_CPG_SYNC_STALL_MS 10000
void wp_cpg_sync_watchdog(wp_cpg *c);

/* cpg_quorum.c */
bool wp_cpg_quorum_open(wp_cpg *c, wp_err *err);
void wp_cpg_quorum_close(wp_cpg *c);
void wp_cpg_quorum_refresh(wp_cpg *c);
/* Cluster name from cmap totem.cluster_name into c->cluster_name. */
bool wp_cpg_cmap_cluster_name(wp_cpg *c, wp_err *err);
/* The nodelist as [{name, address, id}] (caller owns), NULL on failure. */
json_t *wp_cpg_cmap_nodelist(wp_err *err);

#endif
