/*
 * db.h -- the cluster database: one SQLite file per node, changed only by
 * wp_db_apply().
 *
 * Every change to the cluster is a *command*: a JSON object
 *     {"op": "group.create", "args": {...}}
 * applied by wp_db_apply() in one SQLite transaction that also raises the
 * database version by one.  A refused command changes nothing (not even the
 * version).  Replication (src/repl) delivers the same commands in the same
 * order to every node, so every node's database goes through the same
 * versions.  apply() is deterministic: it reads no clock, no environment,
 * nothing but the database and the command.
 *
 * Commands (args):
 *   cluster.create    {name, nodes?: [{name, address, id}], ip?}   sets the
 *                     cluster's name (once; refused if already named) and
 *                     adds the nodes; with ip ("A.B.C.D/P") it also creates
 *                     Cluster Group's "Cluster IP Address" and "Cluster
 *                     Name" (hostname = the cluster name), which depends on it,
 *                     and sets Cluster Group's target online
 *   node.add          {name, address, id}      id: corosync nodeid 1..2^31
 *   node.remove       {name, force?}           refuses the last node, and (no force)
 *                                              a node owning groups; strips it from
 *                                              owner lists
 *   group.create      {name, policy?: {k: v|null}}  null = the default
 *   group.delete      {name}                   refused for "Cluster Group" and
 *                                              for a group that has resources
 *   group.set         {name, policy: {k: v}}   value null resets to default
 *   resource.create   {name, group, type, props?: {k: v}, policy?: {k: v|null},
 *                      depends_on?: [names]}
 *   resource.delete   {name}                   refused while others depend on it
 *   resource.set      {name, props?: {k: v|null}, policy?: {k: v|null}}
 *   resource.depend   {name, on}   refused: self, missing, other group, cycle
 *   resource.undepend {name, on}   refused when no such dependency; refused
 *                                  when it would leave a Network Name with no
 *                                  IP Address below it
 * A Network Name must always depend (directly or transitively) on an IP
 * Address of its group: resource.create of a Network Name without one in
 * depends_on is refused, and so is an undepend that would leave it without.
 *
 * Queries return new JSON (caller owns, json_decref):
 *   wp_db_status:        {"cluster": NAME|null, "version": N, "maintenance": bool,
 *                         "nodes": [node...], "groups": [group...]}
 *   node:     {"name", "id", "address", "paused": bool}
 *   group:    {"name", "policy": {...}, "owner": NAME|null, "state",
 *              "resources": [resource names in dependency order]}
 *   resource: {"name", "group", "type", "class", "props": {...},
 *              "policy": {...}, "depends_on": [...], "dependents": [...],
 *              "state"}
 * State strings: "Online", "Offline", "Failed", "Online Pending",
 * "Offline Pending" (resources); groups add "Partially Online".
 *
 * Files: WAL journal, synchronous=FULL, so a command acknowledged after
 * wp_db_apply() returned survives kill -9.  A file that is not a wolfpack
 * database (or is damaged) is refused with WP_E_CORRUPT, never a crash.
 */
#ifndef WP_DB_H
#define WP_DB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"

typedef struct wp_db wp_db;

/* Open (creating if missing) the database at path.  A new database holds
 * "Cluster Group" and version 0. */
wp_db *wp_db_open(const char *path, wp_err *err);
void wp_db_close(wp_db *db);

int64_t wp_db_version(wp_db *db);

/* Apply one command. true: applied, version raised by one.
 * false: refused (err says why), nothing changed. */
bool wp_db_apply(wp_db *db, const json_t *cmd, wp_err *err);

/* Would this command be accepted now?  Nothing is changed. */
bool wp_db_check(wp_db *db, const json_t *cmd, wp_err *err);

/* FOR TESTS ONLY (tests/unit/test_opspec.c checks every handler against
 * the op table): the name of the i-th command wp_db_apply has a handler
 * for, NULL past the last.  The shapes of the args of every command live in the one
 * op table of src/lib/opspec.h; a handler without an entry there is refused
 * as unknown. */
const char *wp_db_command_at(size_t i);

/* Apply a batch of commands in ONE SQLite transaction (one fsync).
 * results[i] receives each command's outcome (refused commands are rolled
 * back individually with a savepoint and leave the version alone).
 * Returns false only if the transaction itself failed (I/O). */
bool wp_db_apply_batch(wp_db *db, const json_t *const *cmds, size_t count, wp_err *results,
                       bool *applied, wp_err *err);

/* Queries. */
json_t *wp_db_status(wp_db *db, wp_err *err);
/* The change history, oldest first: [{version, at, uid, user, node, op,
 * args}] (the last 1000 changes clients made; src/db/audit.c). */
json_t *wp_db_history(wp_db *db, wp_err *err);
/* Is the cluster in maintenance mode (cluster.maintenance {on: true})? */
bool wp_db_maintenance(wp_db *db);
/* The quorum options `cluster quorum set` stored (cluster.quorum: {wait_for_all,
 * last_man_standing, auto_tie_breaker, qdevice_host ("" = none),
 * qdevice_algorithm, qdevice_tls}), or NULL when none were ever set (then
 * corosync's running options stand) or on error (err set). */
json_t *wp_db_quorum(wp_db *db, wp_err *err);
json_t *wp_db_node_list(wp_db *db, wp_err *err);
json_t *wp_db_node_show(wp_db *db, const char *name, wp_err *err);
json_t *wp_db_group_list(wp_db *db, wp_err *err);
json_t *wp_db_group_show(wp_db *db, const char *name, wp_err *err);
/* group may be NULL (all resources, grouped, each group in dependency order). */
json_t *wp_db_resource_list(wp_db *db, const char *group, wp_err *err);
json_t *wp_db_resource_show(wp_db *db, const char *name, wp_err *err);
/* The resources of one type (its name, "Physical Disk") and/or placed on one
 * node (case-insensitive); NULL: any.  Ordered by group and name, the same
 * objects as wp_db_resource_list's. */
json_t *wp_db_resource_select(wp_db *db, const char *type, const char *node, wp_err *err);

/* Whole-database snapshot (the replication's state transfer and backups).
 * export: *buf is malloc'd, caller frees.  import: the image is checked
 * (SQLite integrity, wolfpack schema) before it replaces the contents in
 * one step; a bad image changes nothing. */
bool wp_db_snapshot_export(wp_db *db, unsigned char **buf, size_t *len, wp_err *err);
bool wp_db_snapshot_import(wp_db *db, const unsigned char *buf, size_t len, wp_err *err);

/* SHA-256 (hex, 64 chars + NUL) of the logical contents and version: two
 * databases that went through the same commands have the same checksum. */
bool wp_db_checksum(wp_db *db, char out[65], wp_err *err);

/*
 * Runtime state (resource states, group owners, node pause/drain, the
 * operator's targets, failure histories) is changed by commands too, on the
 * same road.  Operator commands (IPC ops, `wolfpack` verbs):
 *   node.pause {name}          paused = true: keeps its groups, takes none
 *   node.resume {name}         paused = drained = false
 *   node.drain {name}          paused = drained = true: its groups move away
 *   group.online {name}        target = online
 *   group.offline {name}       target = offline (stop every resource)
 *   group.move {name, to?}     move_to = to (a node name) or "@best" when
 *                              absent; refused for an unknown node, a node
 *                              that is not a possible owner
 *   resource.online {name}     the resource's target = online, and its
 *                              group's target = online
 *   resource.offline {name}    the resource's target = offline
 *   resource.fail {name}       simulate a failure (as cluster.exe's
 *                              /fail): an Online resource becomes Failed
 *                              with error "failure simulated by operator";
 *                              refused for a resource that is not Online
 *   resource.cleanup {name}    forget its failures: restart history, last
 *                              error, Failed -> Offline (its node probes it
 *                              and reports what runs); its group's failover
 *                              history is cleared too
 *   group.cleanup {name}       the same for every resource of the group
 *   cluster.maintenance {on}   maintenance mode (meta 'maintenance'): the
 *                              scheduler acts on nothing and the monitors
 *                              stop; leaving it, every node probes what
 *                              the database places there
 * Internal commands (wolfpackd only; not accepted from IPC clients):
 *   resource.report {name, node, state, at, error?}
 *                              the executor's or a monitor's result:
 *                              sets state (Online, Offline, Failed, Online
 *                              Pending, Offline Pending), node, last_error
 *                              (cleared when absent), and pending_since = at
 *                              when the state is a pending one
 *   sched.commit {at, coordinator, decisions: [{group, owner, failover,
 *                state}], actions: [{action, resource, group, node}],
 *                offline: [resource names]}
 *                              the coordinator's decision, from one
 *                              wp_sched_run: sets each group's owner and
 *                              state, appends `at` to its failover history
 *                              when failover is true, clears its move_to,
 *                              clears the restart history of a group whose
 *                              owner changes; for every action sets the
 *                              resource Online Pending (start, restart) or
 *                              Offline Pending (stop) on the action's node
 *                              with pending_since = at, and for a restart
 *                              appends `at` to its restart history; every
 *                              resource in `offline` (it ran on a node that
 *                              is down) becomes Offline.  Histories keep at
 *                              most the last 64 entries.
 * Queries add: node "paused", "drained"; group "target", "move_to",
 * "failovers"; resource "target", "node", "last_error", "pending_since",
 * "restarts".
 *
 * Details (src/db/ops_runtime.c):
 *   - A new group's target is "offline" (nothing starts until the operator
 *     says `group online`, as in Windows); a new resource's is "online".
 *   - group.online also sets every resource of the group to target online
 *     and clears the group's failover and its resources' restart
 *     histories (the operator's recovery, docs/SCHEDULER.md);
 *     resource.online clears that resource's restart history.
 *   - group.move is also refused (WP_E_CONFLICT) for a node that already
 *     owns the group, or is paused or drained.
 *   - resource.fail of a resource that is not Online: WP_E_CONFLICT.
 *   - resource.report: `at` >= 0; `error` is kept up to 1000 bytes.
 *   - sched.commit: "actions" and "offline" may be omitted (empty); each
 *     decision/action object holds exactly the keys above ("owner" may be
 *     null; decision "state" is one of wp_gstate_name's: Online, Partially
 *     Online, Offline, Failed, Pending); an action's group must be its
 *     resource's group; "coordinator" must be a known node.  Applied in
 *     the order decisions, offline, actions (a resource lost with its node
 *     becomes Offline, then the actions place it anew).  Unknown names:
 *     WP_E_NOTFOUND; the whole commit is refused and changes nothing.
 *   - node.remove sets the resources that ran on the node Offline (node
 *     null) and cancels moves to it.
 *   - Group "state" in queries, the first that holds: "Failed" while the
 *     last sched.commit decision left it Failed; "Online" if every
 *     resource is Online; "Partially Online" if some are; "Failed" if some
 *     are Failed; "Online Pending" if some are, else "Offline Pending" if
 *     some are; else "Offline" (an empty group is Offline).
 */

/*
 * Clustered applications (src/db/ops_app.c; docs/APP.md).  Stored in the
 * meta table under prefixed keys (app:NAME, app-node:NAME:NODE,
 * app-task:ID, app-op:NAME, app-lock), so the schema is unchanged.
 *   app.register   {name, record}   the clustered install record (record.app
 *                                   = name, mode "clustered", group must
 *                                   exist); replaces an earlier one
 *   app.unregister {name}           also drops its node rows
 *   app.node       {name, node, version?}  NODE holds VERSION's program
 *                                   files; without version: holds none
 *   app.task       {id, node, kind, args?: {k: v}}  a node task: the node
 *                                   named runs it when it sees it applied
 *                                   (kind files | remove | sp-files |
 *                                   sp-upgrade | sp-restore); state
 *                                   "pending"; ids are unique
 *   app.task.done  {id, node, result: ok|failed, error?}  only once, only
 *                                   for the task's own node
 *   app.op         {name, state?}   a migrate/rollout's step state (object),
 *                                   removed without state
 *   app.lock       {holder, op, at, force?}  the cluster-wide rollout lock;
 *                                   refused (WP_E_CONFLICT) while another
 *                                   holder has it, unless force names that
 *                                   holder; the same holder may retake it
 *   app.unlock     {holder}
 * Queries: app list [record + "nodes": [{node, version}]], app show (the
 * same + "operation"), a task, every task, an op state (null when none),
 * the lock (null when free).
 */
json_t *wp_db_app_list(wp_db *db, wp_err *err);
json_t *wp_db_app_show(wp_db *db, const char *name, wp_err *err);
json_t *wp_db_app_task_show(wp_db *db, const char *id, wp_err *err);
json_t *wp_db_app_tasks(wp_db *db, wp_err *err);
json_t *wp_db_app_op_show(wp_db *db, const char *name, wp_err *err);
json_t *wp_db_app_lock_show(wp_db *db, wp_err *err);

/*
 * Fence devices (src/db/ops_fence.c; docs/FENCING.md).  Stored in the meta
 * table under "fence:" + the lower-case name.
 *   fence.create {name, agent, props?: {k: v}, nodes: [node...],
 *                 plugs?: {node: plug}, level?: 1..9 (1), timeout?: s (60)}
 *                 the agent's parameters were checked against its metadata
 *                 by the wolfpackd that took the request
 *   fence.delete {name}
 * Queries: the list (by level, then name) and one device, secret values
 * (passwords...) replaced by "(hidden)"; wp_db_fence_for_node gives the
 * devices that fence a node with their secrets, for wolfpackd's fencer.
 */
json_t *wp_db_fence_list(wp_db *db, wp_err *err);
/* cluster.import {commands: [{op, args}...]} (src/db/apply.c): group.create/
 * set, resource.create/set/depend/undepend, alert.create in one
 * transaction; the first refusal refuses all (`wolfpack cluster import`). */
/* Alert agents (src/db/ops_alert.c): alert.create {name, path, timeout?:
 * 1..600 (30), recipient?}, alert.delete {name}; the list by name. */
json_t *wp_db_alert_list(wp_db *db, wp_err *err);
json_t *wp_db_fence_show(wp_db *db, const char *name, bool masked, wp_err *err);
json_t *wp_db_fence_for_node(wp_db *db, const char *node, wp_err *err);
/*
 * Recovery waits for proof (docs/FENCING.md): what the coordinator does
 * about a lost node, and the proof that it is down.
 *   node.fencing      {name, state: fencing|failed|self-fencing|unfenceable, at, error?}
 *   node.down         {name, how: fenced|confirmed|watchdog, at, detail?}
 *   node.confirm-down {name, at}  the operator's word (at: wolfpackd fills it)
 *   node.rejoined     {name}      a member again: its records go (wolfpackd)
 *   fence.record      {op: node.fence|fence.test, name, action?, ok, result?}
 *                     a fence run by hand, for the change history only (with
 *                     "by": who asked; result at most WP_DB_FENCE_RECORD_MAX)
 *   node.watchdog     {name, timeout}  the node's watchdog resets it within
 *                     timeout s once not petted (0: it has none); kept
 *   node.poison       {name}  the poison pill: the node stops petting its
 *                     watchdog (`node fence NODE --watchdog`); a node with no
 *                     announced watchdog is refused
 *   node.unpoison     {name}  the node, ready again, clears a pill it did not
 *                     swallow in this life (wolfpackd)
 *   cluster.fencing   {on}    off: the operator's opt-out, a lost node
 *                     without a fence device or watchdog is failed over at
 *                     once (wp_db_fencing_enabled; on by default)
 * (all but confirm-down and cluster.fencing are sent by wolfpackd only)
 * wp_db_fence_status: {"enabled": bool, "fencing": {node: rec}, "down": {node: rec},
 *                      "watchdog": {node: {node, timeout}}, "poison": {node: {node}}}.
 */
bool wp_db_fencing_enabled(wp_db *db);
#define WP_DB_WATCHDOG_MAX 3600
#define WP_DB_FENCE_RECORD_MAX 2048 /* fence.record: bytes of its result */
json_t *wp_db_fence_status(wp_db *db, wp_err *err);

/* The scheduler's input (docs/SCHEDULER.md, the fixture format) built from
 * the database: every node with state "up" when its id is in up_ids (the
 * current quorate membership), else "down".  Idle groups (target offline,
 * never placed, no move asked, every resource Offline) and their resources
 * are left out: they can give no action.  Caller owns the result. */
json_t *wp_db_sched_input(wp_db *db, const uint32_t *up_ids, size_t n_up, int64_t now,
                          long tz_offset, wp_err *err);

#endif
