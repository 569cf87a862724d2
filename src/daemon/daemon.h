/*
 * daemon.h -- what the files of wolfpackd share: the one context struct of
 * the process (no global mutable state) and the functions each file offers.
 *
 *   main.c      options, start-up, shut-down, signals
 *   log.c       libqb logging to the journal, or to stderr and syslog
 *   ipc.c       the Unix-socket server: accept, buffers, frames
 *   access.c    who may connect and what they may ask (peer credentials,
 *               admin and read-only groups)
 *   handlers.c  op dispatch: reads from the local db, changes through repl
 *   view.c      the node's view of its partition (membership, quorum,
 *               local name); a leaf the others read
 *   events.c    the debounced tick and 1 s timer that drive the three
 *               below, view refreshes, and the child reaper
 *               (docs/EXECUTOR.md)
 *   coordinator.c  the lowest member runs the scheduler, commits sched.commit
 *   executor.c  runs this node's actions through the agents, reports them;
 *               start-up probes, quorum-loss stops
 *   monitor.c   quick and thorough checks of what runs here
 *   diskfeed.c  Physical Disk keepers: heartbeats while quorate, fence on
 *               quorum loss, lease watchers of possible owners
 *   watch.c     `watch` connections: one event frame per change
 *   nodeconf.c  node.add / node.remove: request checks; corosync.conf
 *               rewritten from the database and reloaded on every node
 *   fencer.c    fence agents: metadata check of fence.create, fence.test,
 *               node.fence; runs in a child, results through a pipe
 *   escalate.c  a node where a stop failed is fenced (the coordinator by its deputy)
 *   recovery.c  a lost node with fence devices is fenced before its groups
 *               move (the coordinator holds them); node confirm-down
 *   wdog.c      watchdog self-fencing: armed when first ready, petted only
 *               while quorate, corosync answering and this loop running;
 *               its timeout announced (node.watchdog) for recovery.c
 *   apptask.c   node tasks of `wolfpack app` (app.task): for each task
 *               that names this node, run `wolfpack app task-run ID` in a
 *               child, which answers with app.task.done
 *   privsep.c   --user: start-up (hand over the files, fork the executor,
 *               drop root) and the channel's client side
 *   privexec.c  --user: the root executor process and its request table
 *   dmetrics.c  lifetime counters and histograms (a leaf, dmetrics.h);
 *               dmfeed.c feeds them from applied commands and view changes
 */
#ifndef WP_DAEMON_H
#define WP_DAEMON_H

#include <jansson.h>
#include <qb/qbloop.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../db/db.h"
#include "../lib/corosync_conf.h"
#include "../lib/err.h"
#include "../lib/model.h"
#include "../lib/proto.h"
#include "../repl/repl.h"
#include "dmetrics.h"

#define WP_DAEMON_MAX_CONNS 128       /* served connections, root's included */
#define WP_DAEMON_ROOT_RESERVED 16    /* of those, only root (uid 0) may take the last 16 */
#define WP_DAEMON_MAX_PER_UID 32      /* served connections of one non-root uid */
#define WP_DAEMON_MAX_REFUSED 16      /* refused peers waiting for their reply */
#define WP_DAEMON_IDLE_TIMEOUT 15     /* s: a connection's first request must come by then */
#define WP_DAEMON_FRAME_TIMEOUT 15    /* s: a frame begun must be complete by then */
#define WP_DAEMON_TIMEOUT_MAX 3600    /* s: the largest --idle-timeout / --frame-timeout */
#define WP_DAEMON_WATCHDOG_TIMEOUT 10 /* s: default --watchdog-timeout */
#define WP_DAEMON_OUT_HIGH (4u << 20) /* stop reading a client above this */

typedef struct wp_conn wp_conn;
typedef struct wp_coord wp_coord;
typedef struct wp_exec wp_exec;
typedef struct wp_monitors wp_monitors;
typedef struct wp_nodeconf wp_nodeconf;
typedef struct wp_fencer wp_fencer;
typedef struct wp_recovery wp_recovery;
typedef struct wp_escalate wp_escalate;
typedef struct wp_privsep wp_privsep;
typedef struct wp_agent_remote wp_agent_remote;
typedef struct wp_wdog wp_wdog;
typedef struct wp_alerts wp_alerts;

#define WP_VIEW_MAX_MEMBERS 1024

/* What this node knows about its partition (events.c refreshes it from
 * wp_repl_status and the database on every membership change and tick). */
typedef struct wp_view {
    bool quorate;
    bool synced;
    uint32_t local_id;
    char local_name[64]; /* the database node whose id is local_id; "" unknown */
    uint32_t members[WP_VIEW_MAX_MEMBERS];
    size_t n_members;
} wp_view;

/* A command sent to repl whose done() has not come yet.  It names its
 * connection by id, so a client that left meanwhile is simply not found. */
typedef struct wp_pending {
    struct wp_daemon *d;
    uint64_t conn_id;
    int64_t submitted_ms; /* monotonic: the commit latency (dmetrics.c) */
    struct wp_pending *next;
} wp_pending;

typedef struct wp_daemon_opts {
    bool solo;
    const char *state_dir;
    const char *socket_path;
    const char *admin_group;
    const char *read_group; /* --read-group: read-only members (access.c) */
    const char *cluster_name;
    const char *cluster_ip; /* --cluster-ip A.B.C.D/P of a new solo cluster */
    const char *node_name;
    const char *user;          /* --user: run unprivileged, agents in the root executor */
    const char *web_user;      /* --web-user: may act for others ("as", access.c) */
    int idle_timeout;          /* s, --idle-timeout (WP_DAEMON_IDLE_TIMEOUT) */
    int frame_timeout;         /* s, --frame-timeout (WP_DAEMON_FRAME_TIMEOUT) */
    const char *watchdog;      /* --watchdog PATH: self-fencing (wdog.c); NULL: none */
    const char *root_services; /* --root-services DIR: the executor's allow-list */
    int watchdog_timeout;      /* s, --watchdog-timeout (WP_DAEMON_WATCHDOG_TIMEOUT) */
} wp_daemon_opts;

typedef struct wp_notify wp_notify; /* notify.c */

/* log.c: where the log goes */
typedef struct wp_log_state {
    bool quiet;   /* not to stderr (a fatal error goes to stderr in full) */
    bool journal; /* stderr is the journal: sd_journal_send only */
} wp_log_state;

typedef struct wp_daemon {
    wp_daemon_opts opts;
    qb_loop_t *loop;
    wp_db *db;
    wp_repl *repl;
    int lock_fd;
    int listen_fd;
    bool socket_created; /* we bound it: unlink at exit */
    wp_log_state log;    /* log.c */
    wp_conn *conns;      /* doubly linked */
    size_t nconns;       /* served connections */
    size_t nrefused;     /* refused connections waiting to be told */
    uint64_t next_conn_id;
    qb_loop_timer_handle conn_timer; /* ipc.c: the next connection deadline */
    uint64_t conn_timer_at;          /* monotonic ms it fires at; 0: not armed */
    wp_pending *pending;
    qb_loop_signal_handle sig_term, sig_int, sig_chld, sig_hup;
    /* running resources (events.c, coordinator.c, executor.c, monitor.c) */
    wp_view view;
    bool was_quorate;         /* the view before the last refresh */
    bool was_ready;           /* quorate + synced + named, before the refresh */
    bool tick_queued;         /* a tick job is in the loop */
    uint64_t last_tick_ms;    /* monotonic ms of the last tick */
    uint64_t tick_gap_ms;     /* least gap to the next non-urgent tick */
    uint64_t view_changed_ms; /* monotonic ms of the last view change */
    bool stopping;            /* shut-down: start nothing new */
    qb_loop_timer_handle tick_timer, tick_now;
    qb_loop_timer_handle feed_timer; /* diskfeed.c: keepers' heartbeat */
    int feed_count;                  /* keepers fed last time; -1 not feeding */
    bool feed_through_sync;          /* was ready and stayed quorate: a sync does not stop it */
    int agent_log_fd;                /* STATE_DIR/agents.log: agents' programs write here */
    wp_coord *coord;
    wp_exec *exec;
    wp_monitors *mon;
    wp_nodeconf *nodeconf; /* nodeconf.c: corosync.conf rewrite and reload */
    wp_fencer *fencer;     /* fencer.c: fence agents' runs (made on first use) */
    wp_recovery *recovery; /* recovery.c: lost nodes fenced before failover */
    wp_escalate *escalate; /* escalate.c: nodes fenced after a failed stop */
    wp_notify *notify;     /* notify.c: sd_notify to systemd; NULL without it */
    wp_privsep *privsep;   /* privsep.c: the executor's channel; NULL without --user */
    wp_wdog *wdog;         /* wdog.c: the watchdog (with --watchdog, once armed) */
    wp_alerts *alerts;     /* alerts.c: alert agents' runs (made on first use) */
    wp_dmetrics metrics;   /* dmetrics.c: lifetime counters (the `metrics` op) */
    /* events.c's wp_events_on_applied once started (handlers.c calls it) */
    void (*on_applied_hook)(struct wp_daemon *d, const json_t *cmd, int64_t version);
} wp_daemon;

/* privsep.c: --user (docs/SECURITY.md, "Privilege separation") */
#define WP_PRIVSEP_MAX_MSG (128 * 1024)     /* one request, bytes */
#define WP_PRIVSEP_MAX_ANSWER (1536 * 1024) /* one answer (a fence result: 1 MiB) */
/* Still root, before anything else: hand the state directory to the user,
 * fork the executor, drop root.  Nothing without --user. */
bool wp_privsep_start(wp_daemon *d, wp_err *err);
/* Once d->loop exists: watch the executor's channel (its end stops the
 * daemon). */
bool wp_privsep_attach(wp_daemon *d, wp_err *err);
/* What agent runs set as ctx.remote: NULL without --user. */
typedef void (*wp_privsep_done_fn)(wp_daemon *d, bool ok, const wp_err *err);
/* --user: the executor renders corosync.conf from these (checking them
 * again), writes it and runs corosync-cfgtool -R; done() comes with the
 * result.  false (err): nothing was sent. */
bool wp_privsep_corosync_write(wp_daemon *d, const char *cluster, const wp_cs_node *nodes, size_t n,
                               const wp_cs_timing *t, const wp_cs_quorum *q,
                               wp_privsep_done_fn done, wp_err *err);
const wp_agent_remote *wp_privsep_remote(const wp_daemon *d);
void wp_privsep_free(wp_daemon *d); /* close the channel, wait for the executor */
/* The channel's messages (privexec.c): one packet of at most max bytes
 * holding a JSON object.  send steals msg; false: not sent (too big, the
 * peer gone).  recv: 1 got *msg (NULL: refused, err says why), 0 nothing
 * now (flags MSG_DONTWAIT), -1 the peer is gone. */
bool wp_privsep_msg_send(int fd, json_t *msg, size_t max);
int wp_privsep_msg_recv(int fd, int flags, size_t max, json_t **msg, wp_err *err);
void wp_privsep_err_from_json(const json_t *j, wp_err *err);
/* The executor process's entry point: serve the channel fd until it
 * closes, then _exit.  wolfpackd forks into it; tests/tools/wpexec runs it
 * directly to speak the protocol to it. */
typedef struct wp_privsep_exec_conf {
    const char *state_dir;     /* agents.log there */
    const char *socket_path;   /* wolfpackd's socket: node tasks answer there */
    const char *watchdog;      /* --watchdog PATH; NULL: none */
    const char *root_services; /* --root-services DIR: what may run as root */
} wp_privsep_exec_conf;
_Noreturn void wp_privsep_executor_main(int fd, const wp_privsep_exec_conf *conf);
/* --user: the watchdog (--watchdog PATH) is the executor's: open (arm) it
 * and wait for the answer (as wp_watchdog_open); pet it (not answered:
 * the executor logs a failed pet); close it (disarm: the magic close). */
bool wp_privsep_watchdog_open(wp_daemon *d, int timeout, int *actual, bool *is_device, wp_err *err);
void wp_privsep_watchdog_pet(wp_daemon *d);
void wp_privsep_watchdog_close(wp_daemon *d, bool disarm);
/* --user: fencer.c's plan runs in the executor (the agents looked up
 * there); done(cookie, result) comes with the runner's result (borrowed). */
typedef void (*wp_privsep_result_fn)(wp_daemon *d, void *cookie, json_t *result);
bool wp_privsep_fence_run(wp_daemon *d, const json_t *plan, wp_privsep_result_fn done, void *cookie,
                          wp_err *err);
/* Forget the answer of a fence run (its cookie is freed): done() never comes. */
void wp_privsep_forget(wp_daemon *d, const void *cookie);
/* --user: the Physical Disk keepers' feed through the executor: req
 * "disk.heartbeat" or "disk.fence" (name, device NULL), "disk.watch"
 * (both), "disk.unwatch" (name).  Not answered; false: not sent. */
bool wp_privsep_disk(wp_daemon *d, const char *req, const char *name, const char *device);
/* --user: the executor runs `wolfpack app task-run TASK` as root (the
 * task answers through the socket); done() says whether it started. */
bool wp_privsep_apptask_run(wp_daemon *d, const char *task, wp_privsep_done_fn done, wp_err *err);

/* notify.c: systemd's Type=notify (nothing without $NOTIFY_SOCKET) */
bool wp_notify_start(wp_daemon *d, wp_err *err);
void wp_notify_stopping(wp_daemon *d);
void wp_notify_free(wp_daemon *d);

/* log.c: start logging to the journal (stderr is it), else stderr and
 * syslog; *st lives as long as the log (the daemon's) */
void wp_log_start(wp_log_state *st);
/* True when $JOURNAL_STREAM names stderr (systemd connected it). */
bool wp_log_stderr_is_journal(void);
/* Write text (lines) to stderr before logging starts, each line with the
 * journal's "<prio>" prefix when stderr is the journal. */
void wp_log_early(const char *text, int prio);
void wp_log_stop(void);
/* Log an error's what/why/todo at priority prio, prefixed by context. */
void wp_log_err(int prio, const char *context, const wp_err *err);

/* access.c: who may connect (the role), and which requests a role may make */
typedef enum wp_role { WP_ROLE_NONE, WP_ROLE_READ, WP_ROLE_ADMIN } wp_role;
/* The peer's role; false (role NONE): it may not connect, err says why. */
bool wp_access_role(const wp_daemon_opts *o, uid_t uid, gid_t gid, wp_role *role, wp_err *err);
/* Is uid trusted to act for other users ("as": root, the --web-user)? */
bool wp_access_trusted(const wp_daemon_opts *o, uid_t uid);
/* The role of user for a request with "as" from peer: false (role NONE)
 * when peer is not trusted, the user unknown or in neither group.  *uid
 * (when uid is not NULL): the user's uid. */
bool wp_access_as(const wp_daemon_opts *o, uid_t peer, const char *user, wp_role *role, uid_t *uid,
                  wp_err *err);
/* May a peer of this role make this request?  false: err says why. */
bool wp_access_allows(const wp_daemon_opts *o, wp_role role, uid_t uid, const wp_request *req,
                      wp_err *err);

/* ipc.c */
bool wp_ipc_listen(wp_daemon *d, wp_err *err);
void wp_ipc_close_all(wp_daemon *d);
wp_conn *wp_ipc_conn_find(wp_daemon *d, uint64_t id);
uint64_t wp_ipc_conn_id(const wp_conn *c);
uid_t wp_ipc_conn_uid(const wp_conn *c); /* the peer's credentials (SO_PEERCRED) */
/* Queue a reply (stolen) on a connection and try to write it. */
void wp_ipc_reply(wp_daemon *d, wp_conn *c, json_t *reply);
/* A command of this connection finished: it may read its next request. */
void wp_ipc_request_done(wp_daemon *d, wp_conn *c);

/* handlers.c: answer one decoded request, which access.c gave `role`.
 * Returns true when the reply was queued now, false when it will come
 * later (a command in flight). */
bool wp_handle_request(wp_daemon *d, wp_conn *c, wp_request *req, wp_role role);
/* A copy of a client's command with "by" (who, where, when: the change
 * history) and without "as" (caller owns; NULL when out of memory). */
json_t *wp_handlers_authored(wp_daemon *d, const wp_conn *c, const json_t *cmd);
/* An error reply carrying the database version. */
json_t *wp_reply_error(wp_daemon *d, const wp_err *err);
/* Submit the solo cluster.create at start when the cluster has no name. */
bool wp_handlers_bootstrap_solo(wp_daemon *d, wp_err *err);
/* Free commands whose done() never came (at shut-down, after repl). */
void wp_handlers_free_pending(wp_daemon *d);
/* repl's on_applied: every command applied on this node (ctx: wp_daemon). */
void wp_handlers_on_applied(void *ctx, const json_t *cmd, int64_t version);

/* ipc.c: watch connections */
void wp_ipc_set_watcher(wp_conn *c);
/* Send event (borrowed) to every watching connection; a watcher that does
 * not read (above WP_DAEMON_OUT_HIGH) is closed. */
void wp_ipc_broadcast(wp_daemon *d, const json_t *event);

/* events.c */
bool wp_events_start(wp_daemon *d, wp_err *err);
void wp_events_stop(wp_daemon *d);
void wp_events_on_applied(wp_daemon *d, const json_t *cmd, int64_t version);
void wp_events_on_membership(void *ctx); /* repl's membership callback */
void wp_events_kick(wp_daemon *d);       /* run a tick soon (once per loop pass) */
void wp_mem_setup(void);                 /* glibc malloc thresholds, once at start-up */
void wp_mem_trim(void);                  /* give free heap pages back after a whole-database pass */
/* SIGCHLD: reap the children no agent job owns */
void wp_events_reap(wp_daemon *d);

/* alerts.c: alert agents on events (docs/OPERATIONS.md, "Alerts") */
void wp_alerts_on_applied(wp_daemon *d, const json_t *cmd);
void wp_alerts_on_view(wp_daemon *d); /* after a view change */
void wp_alerts_free(wp_daemon *d);

/* view.c: this node's view of its partition (a leaf) */
/* quorate, synced and this node named in the database */
bool wp_view_ready(const wp_daemon *d);
bool wp_view_is_member(const wp_daemon *d, uint32_t id);
/* Read the transport's status and this node's name into v (d->view is
 * not touched). */
void wp_view_read(wp_daemon *d, wp_view *v);
/* Read the view again from the transport and the database; true when it
 * changed (then d->was_quorate / was_ready hold the old state). */
bool wp_view_refresh(wp_daemon *d);

/* nodeconf.c: runtime membership (docs/REPLICATION.md) */
/* Check (and complete: node.add's id) a node.add / node.remove request
 * before it is submitted; false: err says why, nothing was sent. */
bool wp_nodeconf_check(wp_daemon *d, wp_request *req, wp_err *err);
/* node.add / node.remove applied, or this node ready again (it may have
 * missed some): bring corosync.conf up to the database, reload. */
void wp_nodeconf_reconcile(wp_daemon *d, bool after_change);
bool wp_nodeconf_owns_pid(const wp_daemon *d, pid_t pid);
void wp_nodeconf_free(wp_daemon *d);

/* coordinator.c */
wp_coord *wp_coord_new(wp_daemon *d);
void wp_coord_free(wp_coord *co);
void wp_coord_tick(wp_daemon *d);
bool wp_coord_active(const wp_daemon *d);

/* executor.c */
wp_exec *wp_exec_new(wp_daemon *d);
void wp_exec_free(wp_exec *x);
void wp_exec_on_commit(wp_daemon *d, const json_t *args);
void wp_exec_on_report(wp_daemon *d, const json_t *args);
void wp_exec_on_view(wp_daemon *d);        /* membership/quorum changed */
void wp_exec_remember_local(wp_daemon *d); /* start-up: what the local db says runs here */
void wp_exec_before_import(wp_daemon *d);  /* a sync is about to replace the local db */
void wp_exec_request_probe(wp_daemon *d);  /* left maintenance, clean-up: probe what runs here */
bool wp_exec_owns_pid(const wp_daemon *d, pid_t pid);
bool wp_exec_busy_with(const wp_daemon *d, const char *resource);
/* A plan of this group is still running somewhere (the coordinator waits). */
bool wp_exec_group_busy(const wp_daemon *d, const char *group);
void wp_exec_sweep(wp_daemon *d); /* every tick: drop plans past their deadline */
/* Submit resource.report for this node (error may be NULL); a report the
 * transport refuses for now (syncing) waits in order for the next try. */
void wp_exec_report(wp_daemon *d, const char *resource, const char *state, const char *error);
void wp_exec_flush_reports(wp_daemon *d); /* every tick and ready view */
/* The resource's type, props and policy for an agent run; false: err. */
bool wp_exec_agent_ctx(wp_daemon *d, const char *resource, json_t **show, wp_rtype *type,
                       wp_err *err);

/* monitor.c */
wp_monitors *wp_mon_new(wp_daemon *d);
void wp_mon_free(wp_monitors *m);
void wp_mon_reconcile(wp_daemon *d); /* follow the database: what is Online here */
void wp_mon_stop_all(wp_daemon *d);
void wp_mon_forget(wp_daemon *d, const char *resource);
bool wp_mon_owns_pid(const wp_daemon *d, pid_t pid);

/* diskfeed.c: the Physical Disk keepers' heartbeat and fence, the watchers */
#define WP_DISKFEED_MS 100 /* heartbeat period (at most L/8 - 20 ms, DISK.md) */
void wp_diskfeed_start(wp_daemon *d);
void wp_diskfeed_stop(wp_daemon *d);
void wp_diskfeed_beat(wp_daemon *d);      /* one heartbeat now (when ready) */
void wp_diskfeed_on_view(wp_daemon *d);   /* view changed: fence at quorum loss */
void wp_diskfeed_reconcile(wp_daemon *d); /* every second: lease watchers */

/* handlers.c: submit a command for the client conn_id (it may have left)
 * and reply to it from done(), as for any change */
void wp_handlers_submit(wp_daemon *d, uint64_t conn_id, const json_t *cmd);

/* fencer.c: fence agents (docs/FENCING.md) */
bool wp_fencer_handles(const char *op); /* fence.create, fence.test, node.fence */
/* Answer one of those; false: the reply comes later (as wp_handle_request). */
bool wp_fencer_request(wp_daemon *d, wp_conn *c, const wp_request *req);
/* The plan to fence node (action off or reboot): its devices by level. */
json_t *wp_fencer_plan(wp_daemon *d, const char *node, const char *action, wp_err *err);
/* Run a plan in a child; done(result) comes later (result borrowed:
 * {"ok", "level", "attempts": [...]}); cookie_free at shut-down otherwise. */
bool wp_fencer_run(wp_daemon *d, const json_t *plan,
                   void (*done)(wp_daemon *d, void *cookie, json_t *result), void *cookie,
                   void (*cookie_free)(void *cookie), wp_err *err);
/* "DEVICE level N ACTION NODE: exit X, OUTPUT; ..." of a result */
void wp_fencer_summary(const json_t *result, char *buf, size_t size);
void wp_fencer_free(wp_daemon *d);
bool wp_fencer_node_has_device(wp_daemon *d, const char *node); /* any fence device for node */
/* The fence runner's entry point (a child): run plan, write the result to
 * fd, _exit.  The executor (privexec.c) runs it too. */
_Noreturn void wp_fencer_runner(const json_t *plan, int fd);

/* recovery.c: recovery waits for proof (docs/FENCING.md) */
void wp_recovery_tick(wp_daemon *d);                  /* coordinator: fence lost nodes */
void wp_recovery_filter(wp_daemon *d, json_t *input); /* drop the held groups */
/* node.confirm-down: refused for a member; fills in `at` */
bool wp_recovery_check_confirm(wp_daemon *d, wp_request *req, wp_err *err);
void wp_recovery_free(wp_daemon *d);
/* The node.fencing command (state: fencing, failed, self-fencing,
 * unfenceable; error or NULL) that recovery.c and escalate.c submit. */
json_t *wp_recovery_fencing_cmd(const char *node, const char *state, const char *error);

/* escalate.c: a failed stop escalates to fencing (docs/OPERATIONS.md) */
struct wp_sched_input;
void wp_escalate_check(wp_daemon *d, const struct wp_sched_input *in); /* after a run */
void wp_escalate_deputy_tick(wp_daemon *d); /* not coordinating: the coordinator's failed stop */
/* node is up with a failed stop at the last check: its fencing record stays */
bool wp_escalate_pending(const wp_daemon *d, const char *node);
void wp_escalate_free(wp_daemon *d);

/* wdog.c: watchdog self-fencing (docs/FENCING.md) */
void wp_wdog_tick(wp_daemon *d);    /* every second: arm when ready, announce the timeout */
void wp_wdog_pet_now(wp_daemon *d); /* before a blocking stop: a full period */
void wp_wdog_on_poison(wp_daemon *d, const json_t *args); /* node.poison applied */
void wp_wdog_stop(wp_daemon *d);                          /* clean stop: disarm (magic close) */

/* apptask.c: node tasks of the application setup (app.task) */
void wp_apptask_on_applied(wp_daemon *d, const json_t *args); /* this node's: run it */
void wp_apptask_resume(wp_daemon *d); /* ready again: run this node's pending tasks */
/* the node-task program (wolfpack-task, or a $WOLFPACK_CLI given alone: *cli) */
bool wp_apptask_program(char *out, size_t size, bool *cli);

/* dmfeed.c: dmetrics.c's counters from applied commands and view changes */
void wp_dmfeed_applied(wp_daemon *d, const json_t *cmd);
void wp_dmfeed_view(wp_daemon *d);

/* watch.c (the `watch` op itself is answered in handlers.c) */
void wp_watch_applied(wp_daemon *d, const json_t *cmd, int64_t version);
void wp_watch_membership(wp_daemon *d);

#endif
