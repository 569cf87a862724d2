/*
 * daemon.h -- what the files of wolfpackd share: the one context struct of
 * the process (no global mutable state) and the functions each file offers.
 *
 *   main.c      options, start-up, shut-down, signals
 *   log.c       libqb logging to stderr and syslog
 *   ipc.c       the Unix-socket server: accept, buffers, frames
 *   access.c    who may connect (peer credentials, admin group)
 *   handlers.c  op dispatch: reads from the local db, changes through repl
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
#include "../lib/err.h"
#include "../lib/proto.h"
#include "../repl/repl.h"

#define WP_DAEMON_MAX_CONNS 128
#define WP_DAEMON_MAX_REFUSED 16      /* refused peers waiting for their reply */
#define WP_DAEMON_OUT_HIGH (4u << 20) /* stop reading a client above this */

typedef struct wp_conn wp_conn;

/* A command sent to repl whose done() has not come yet.  It names its
 * connection by id, so a client that left meanwhile is simply not found. */
typedef struct wp_pending {
    struct wp_daemon *d;
    uint64_t conn_id;
    struct wp_pending *next;
} wp_pending;

typedef struct wp_daemon_opts {
    bool solo;
    const char *state_dir;
    const char *socket_path;
    const char *admin_group;
    const char *cluster_name;
    const char *node_name;
} wp_daemon_opts;

typedef struct wp_daemon {
    wp_daemon_opts opts;
    qb_loop_t *loop;
    wp_db *db;
    wp_repl *repl;
    int lock_fd;
    int listen_fd;
    bool socket_created; /* we bound it: unlink at exit */
    wp_conn *conns;      /* doubly linked */
    size_t nconns;       /* served connections */
    size_t nrefused;     /* refused connections waiting to be told */
    uint64_t next_conn_id;
    wp_pending *pending;
    qb_loop_signal_handle sig_term, sig_int, sig_chld, sig_hup;
} wp_daemon;

/* log.c */
void wp_log_start(void);
void wp_log_stop(void);
/* Log an error's what/why/todo at priority prio, prefixed by context. */
void wp_log_err(int prio, const char *context, const wp_err *err);

/* access.c: may this peer talk to the daemon?  false: err says why. */
bool wp_access_check(const char *admin_group, uid_t uid, gid_t gid, wp_err *err);

/* ipc.c */
bool wp_ipc_listen(wp_daemon *d, wp_err *err);
void wp_ipc_close_all(wp_daemon *d);
wp_conn *wp_ipc_conn_find(wp_daemon *d, uint64_t id);
uint64_t wp_ipc_conn_id(const wp_conn *c);
/* Queue a reply (stolen) on a connection and try to write it. */
void wp_ipc_reply(wp_daemon *d, wp_conn *c, json_t *reply);
/* A command of this connection finished: it may read its next request. */
void wp_ipc_request_done(wp_daemon *d, wp_conn *c);

/* handlers.c: answer one decoded request.  Returns true when the reply was
 * queued now, false when it will come later (a command in flight). */
bool wp_handle_request(wp_daemon *d, wp_conn *c, wp_request *req);
/* An error reply carrying the database version. */
json_t *wp_reply_error(wp_daemon *d, const wp_err *err);
/* Submit the solo cluster.create at start when the cluster has no name. */
bool wp_handlers_bootstrap_solo(wp_daemon *d, wp_err *err);
/* Free commands whose done() never came (at shut-down, after repl). */
void wp_handlers_free_pending(wp_daemon *d);
/* repl's on_applied: every command applied on this node (ctx: wp_daemon). */
void wp_handlers_on_applied(void *ctx, const json_t *cmd, int64_t version);

#endif
