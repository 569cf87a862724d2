/*
 * db_internal.h -- private pieces shared by the files of src/db.
 *
 * The database is split by concern:
 *   schema.c    open/close, schema creation and verification, pragmas
 *   sql.c       prepared-statement cache and small SQL helpers
 *   apply.c     the command shape check and the transaction around handlers
 *   ops_node.c, ops_group.c, ops_resource.c   one handler per command
 *   ops_alert.c alert agents (alert.create / alert.delete, their list)
 *   ops_fence.c fence devices (fence.create / fence.delete, their queries)
 *   ops_runtime.c  runtime state: operator verbs, resource.report, sched.commit
 *   ops_app.c   clustered applications: records, node tasks, the rollout lock
 *   names.c     name lookups (stored spelling) and name lists for messages
 *   policy.c    policy merging and owner-list checks
 * The ops_*.c files call the shared files above and below, never each other.
 *   sched_export.c wp_db_sched_input (the scheduler's input JSON)
 *   graph.c     a group's dependency graph (order, paths, reachability)
 *   query.c     status/list/show JSON
 *   snapshot.c  export/import and the logical checksum
 * Nothing outside src/db includes this header.
 */
#ifndef WP_DB_INTERNAL_H
#define WP_DB_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/err.h"
#include "db.h"

#define WP_DB_APP_ID 0x57504b31 /* "WPK1" in PRAGMA application_id */
#define WP_DB_FORMAT "wolfpack-db-1"
#define WP_DB_SCHEMA_VERSION 1
#define WP_DB_BUSY_MS 5000
#define WP_DB_STMT_MAX 192
#define WP_DB_HISTORY_MAX 64 /* entries kept in a failover/restart history */

typedef struct db_stmt_slot {
    const char *sql; /* the literal the call site passed (identity is the key) */
    sqlite3_stmt *stmt;
} db_stmt_slot;

struct wp_db {
    sqlite3 *conn;
    char *path;
    db_stmt_slot stmts[WP_DB_STMT_MAX];
    size_t nstmts;
};

/* --- sql.c ------------------------------------------------------------- */

/* A cached, reset, unbound statement for a string literal (NULL + err on failure).
 * The caller must sqlite3_reset() it when done (db_done does). */
sqlite3_stmt *db_stmt(wp_db *db, const char *sql, wp_err *err);
void db_stmts_finalize(wp_db *db);
/* Fill err from the connection's last SQLite error while doing `what`. */
bool db_sql_fail(wp_db *db, wp_err *err, const char *what);
/* Map an SQLite result code to a wolfpack code. */
wp_code db_code_of(int rc);
/* Run SQL without results (not cached). */
bool db_exec(wp_db *db, const char *sql, wp_err *err);
/* Step a statement that returns no rows, then reset it. */
bool db_step_done(wp_db *db, sqlite3_stmt *st, const char *what, wp_err *err);
/* Bind text parameters 1..n in order (NULL binds SQL NULL). */
void db_bind_texts(sqlite3_stmt *st, int n, const char *const *values);
/* Run a statement with n text parameters (NULL binds SQL NULL) and no rows. */
bool db_run(wp_db *db, const char *sql, int n, const char *const *values, const char *what,
            wp_err *err);
/* Does `sql` (with text parameters) return at least one row? -1 on error. */
int db_exists(wp_db *db, const char *sql, const char *a, const char *b, wp_err *err);
/* First column of the first row as a malloc'd string in *out.
 * Returns 1 (row found), 0 (no row, *out NULL) or -1 (error, err set). */
int db_text(wp_db *db, const char *sql, const char *a, char **out, wp_err *err);
/* A JSON text column parsed into an object (new reference). */
json_t *db_json_column(sqlite3_stmt *st, int col);
/* Canonical JSON text of an object (sorted keys, compact), malloc'd. */
char *db_json_text(const json_t *obj);

/* --- schema.c ---------------------------------------------------------- */

/* Create every table on an empty connection (inside the caller's transaction). */
bool db_schema_create(sqlite3 *conn, wp_err *err);
/* Check that conn holds a wolfpack database this build understands. `label`
 * names the file (or "snapshot") in messages. */
bool db_schema_verify(sqlite3 *conn, const char *label, wp_err *err);
/* Hardening of every connection: defensive mode, untrusted schema. */
void db_conn_harden(sqlite3 *conn);

/* --- apply.c ----------------------------------------------------------- */

/* Bump the version by one (inside the current transaction). */
bool db_version_bump(wp_db *db, wp_err *err);

/* --- ops_*.c: handlers, run inside a transaction ------------------------ */

typedef bool (*db_op_fn)(wp_db *db, const json_t *args, wp_err *err);
bool db_op_cluster_create(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_add(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_remove(wp_db *db, const json_t *args, wp_err *err);
bool db_op_group_create(wp_db *db, const json_t *args, wp_err *err);
bool db_op_group_delete(wp_db *db, const json_t *args, wp_err *err);
bool db_op_group_set(wp_db *db, const json_t *args, wp_err *err);
bool db_op_resource_create(wp_db *db, const json_t *args, wp_err *err);
bool db_op_resource_delete(wp_db *db, const json_t *args, wp_err *err);
bool db_op_resource_set(wp_db *db, const json_t *args, wp_err *err);
bool db_op_resource_depend(wp_db *db, const json_t *args, wp_err *err);
bool db_op_resource_undepend(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_pause(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_resume(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_drain(wp_db *db, const json_t *args, wp_err *err);
bool db_op_group_online(wp_db *db, const json_t *args, wp_err *err);
bool db_op_group_offline(wp_db *db, const json_t *args, wp_err *err);
bool db_op_group_move(wp_db *db, const json_t *args, wp_err *err);
bool db_op_resource_online(wp_db *db, const json_t *args, wp_err *err);
bool db_op_resource_offline(wp_db *db, const json_t *args, wp_err *err);
bool db_op_resource_fail(wp_db *db, const json_t *args, wp_err *err);
/* audit.c: record cmd's "by" (who made it) in the change history. */
bool db_audit_record(wp_db *db, const json_t *cmd, wp_err *err);
/* meta.c: one JSON object in the meta row PREFIX + NAME.  read: the
 * object (a new empty one when the row is missing or not an object), NULL
 * on an error; write replaces the row; remove deletes it.  `what` names
 * the change in errors ("record a resource's failure"). */
json_t *db_meta_read(wp_db *db, const char *prefix, const char *name, wp_err *err);
bool db_meta_write(wp_db *db, const char *prefix, const char *name, const json_t *rec,
                   const char *what, wp_err *err);
bool db_meta_remove(wp_db *db, const char *prefix, const char *name, const char *what, wp_err *err);
/* meta.c: the key of a record whose names compare ignoring case: PREFIX +
 * the lower-case NAME (malloc'd, NULL when out of memory); and every
 * record under PREFIX that is a JSON object, in key order (NULL and err
 * saying `what` failed on an error). */
char *db_meta_key_ci(const char *prefix, const char *name);
json_t *db_meta_list(wp_db *db, const char *prefix, const char *what, wp_err *err);
/* meta.c: delete the record PREFIX + lower-case NAME; a missing one is
 * WP_E_NOTFOUND naming the kind ("fence device") and the verb that lists
 * them ("fence"). */
bool db_meta_delete_ci(wp_db *db, const char *prefix, const char *name, const char *kind,
                       const char *verb, wp_err *err);
/* failures.c: each resource's failure record (in meta, "failures:NAME"). */
bool db_failure_note(wp_db *db, const char *resource, const char *node, int64_t at, bool stop,
                     wp_err *err);
bool db_failure_forget(wp_db *db, const char *resource, wp_err *err);
bool db_failure_forget_group(wp_db *db, const char *group, wp_err *err);
/* node.remove: the node leaves every fence device (a device left with no
 * node is deleted) and its fencing records go (ops_fence.c) */
bool db_fence_forget_node(wp_db *db, const char *node, wp_err *err);
/* a node proven down: its failed stops are over (stop_failed cleared) */
bool db_failure_forget_stops(wp_db *db, const char *node, wp_err *err);
/* {"failures": {NODE: count}, "stop_failed": NODE|null} (caller owns). */
json_t *db_failure_counts(wp_db *db, const char *resource);
/* The failure times on `node` (a new array); *stop_failed: a stop failed there. */
json_t *db_failure_sched(wp_db *db, const char *resource, const char *node, bool *stop_failed);
/* failures.c: a resource added to a running group is "new" (in meta,
 * "new:NAME") until it first reports Online: its failures never fail the
 * group over (docs/SCHEDULER.md).  db_new_set marks it when its target
 * came in offline; db_new_clear on Online and on delete. */
bool db_new_set(wp_db *db, const char *resource, wp_err *err);
bool db_new_clear(wp_db *db, const char *resource, wp_err *err);
bool db_new_is(wp_db *db, const char *resource);
/* constraints.c: a group's placement constraints (in meta, "place:NAME"). */
bool db_op_group_ban(wp_db *db, const json_t *args, wp_err *err);
bool db_op_group_clear(wp_db *db, const json_t *args, wp_err *err);
bool db_constraint_prefer(wp_db *db, const char *group, const char *node, const json_t *args,
                          wp_err *err);
bool db_constraint_forget(wp_db *db, const char *group, wp_err *err);
/* {"prefer": {"node", "until"}, "ban": {NODE: until}} as stored (caller owns). */
json_t *db_constraints(wp_db *db, const char *group);
/* Add "prefer" and "banned" (those in force at `now`) to a scheduler-input row. */
void db_constraints_sched(wp_db *db, const char *group, int64_t now, json_t *row);
bool db_op_resource_cleanup(wp_db *db, const json_t *args, wp_err *err);
bool db_op_group_cleanup(wp_db *db, const json_t *args, wp_err *err);
bool db_op_cluster_maintenance(wp_db *db, const json_t *args, wp_err *err);
bool db_op_cluster_quorum(wp_db *db, const json_t *args, wp_err *err);
bool db_op_resource_report(wp_db *db, const json_t *args, wp_err *err);
bool db_op_sched_commit(wp_db *db, const json_t *args, wp_err *err);
/* ops_app.c: clustered applications (records in meta, see there) */
bool db_op_app_register(wp_db *db, const json_t *args, wp_err *err);
bool db_op_app_unregister(wp_db *db, const json_t *args, wp_err *err);
bool db_op_app_node(wp_db *db, const json_t *args, wp_err *err);
bool db_op_app_task(wp_db *db, const json_t *args, wp_err *err);
bool db_op_app_task_done(wp_db *db, const json_t *args, wp_err *err);
bool db_op_app_task_forget(wp_db *db, const json_t *args, wp_err *err);
bool db_op_app_op(wp_db *db, const json_t *args, wp_err *err);
bool db_op_app_lock(wp_db *db, const json_t *args, wp_err *err);
bool db_op_app_unlock(wp_db *db, const json_t *args, wp_err *err);

/* ops_alert.c: alert agents (meta "alert:NAME", src/daemon/alerts.c) */
bool db_op_alert_create(wp_db *db, const json_t *args, wp_err *err);
bool db_op_alert_delete(wp_db *db, const json_t *args, wp_err *err);

/* ops_fence.c: fence devices (meta "fence:NAME", docs/FENCING.md) */
bool db_op_fence_create(wp_db *db, const json_t *args, wp_err *err);
bool db_op_fence_delete(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_fencing(wp_db *db, const json_t *args, wp_err *err);
bool db_op_cluster_fencing(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_down(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_confirm_down(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_rejoined(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_watchdog(wp_db *db, const json_t *args, wp_err *err);
bool db_op_fence_record(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_poison(wp_db *db, const json_t *args, wp_err *err);
bool db_op_node_unpoison(wp_db *db, const json_t *args, wp_err *err);

/* A history (JSON array text of unix times, NULL = empty) with `at`
 * appended, keeping the last WP_DB_HISTORY_MAX entries; malloc'd. */
char *db_history_append(const char *text, int64_t at);

/* --- names.c, policy.c: shared by the ops_*.c ---------------------------- */

/* Stored spelling of a group / resource / node name (malloc'd), or NULL
 * with WP_E_NOTFOUND (or an SQL error) in err. */
char *db_group_name(wp_db *db, const char *name, wp_err *err);
char *db_resource_group(wp_db *db, const char *name, char **stored, wp_err *err);
char *db_node_name(wp_db *db, const char *name, wp_err *err);
/* "'a', 'b'" of the names sql (one column, ?1 = key) returns, cut at about
 * 400 bytes; NULL when none (or on an error: *failed, err says what). */
char *db_names_text(wp_db *db, const char *sql, const char *key, const char *what, bool *failed,
                    wp_err *err);

/* Policies: merge `changes` (string or null = default) into `policy`,
 * validating and normalising each value.  is_group picks the key set. */
bool db_policy_merge(json_t *policy, const json_t *changes, bool is_group, wp_err *err);
/* Group owner lists: every name must be a known node; rewrites them with
 * the stored spelling. */
bool db_owner_lists_check(wp_db *db, json_t *policy, wp_err *err);

/* --- graph.c ------------------------------------------------------------ */

typedef struct db_graph {
    size_t n;
    char **names;    /* sorted case-insensitively */
    char **types;    /* canonical type names */
    size_t *dep_off; /* names[i] depends on dep[dep_off[i] .. dep_off[i+1]) (ascending) */
    size_t *dep;
    size_t *use_off; /* names[j] is a dependency of use[use_off[j] .. use_off[j+1]) */
    size_t *use;
} db_graph;

bool db_graph_load(wp_db *db, const char *group, db_graph *g, wp_err *err);
void db_graph_free(db_graph *g);
/* Index of a name (case-insensitive), or -1. */
long db_graph_find(const db_graph *g, const char *name);
/* Dependency order (dependencies first, ties by name): order[k] = index. */
size_t *db_graph_order(const db_graph *g);
/* A path from -> ... -> to along dependency edges, written as
 * "a -> b -> c" into buf; false if none. */
bool db_graph_path(const db_graph *g, size_t from, size_t to, char *buf, size_t size);
/* Does `from` reach a resource of type `type` (from itself excluded)? */
bool db_graph_reaches_type(const db_graph *g, size_t from, const char *type);

#endif
