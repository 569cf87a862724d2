/*
 * apply.c -- the one road by which the cluster database changes.
 *
 * wp_db_apply() checks the shape of a command against the one op table of
 * src/lib/opspec.c, which the client gate (src/lib/proto.c) uses too (op
 * known, args an object holding only documented keys of the documented
 * JSON types), then runs the op's handler (table below) inside one
 * transaction that also raises the version by one.  A refusal rolls the
 * transaction back, so nothing changes, not even the version.
 * wp_db_check() runs the same and always rolls back.  wp_db_apply_batch()
 * wraps many commands in one transaction, each in its own savepoint.
 * A change a client made carries wolfpackd's "by" object beside op and
 * args; it is recorded in the change history (audit.c).
 *
 * Handlers (ops_*.c) may therefore trust the JSON types of their args but
 * must validate every value (src/lib/model.h) and every reference.
 */
#include "db_internal.h"

#include "../lib/opspec.h"
#include "../lib/json.h"

#include <string.h>

/* The handler of every database command: each COMMAND and INTERNAL op of
 * the shared table (src/lib/opspec.c), which holds their argument shapes. */
typedef struct op_handler {
    const char *op;
    db_op_fn fn;
} op_handler;

static bool db_op_cluster_import(wp_db *db, const json_t *args, wp_err *err);

static const op_handler handlers[] = {
    {"cluster.create", db_op_cluster_create},
    {"node.add", db_op_node_add},
    {"node.remove", db_op_node_remove},
    {"group.create", db_op_group_create},
    {"group.delete", db_op_group_delete},
    {"group.set", db_op_group_set},
    {"resource.create", db_op_resource_create},
    {"resource.delete", db_op_resource_delete},
    {"resource.set", db_op_resource_set},
    {"resource.depend", db_op_resource_depend},
    {"resource.undepend", db_op_resource_undepend},
    {"node.pause", db_op_node_pause},
    {"node.resume", db_op_node_resume},
    {"node.drain", db_op_node_drain},
    {"group.online", db_op_group_online},
    {"group.offline", db_op_group_offline},
    {"group.move", db_op_group_move},
    {"group.ban", db_op_group_ban},
    {"group.clear", db_op_group_clear},
    {"resource.online", db_op_resource_online},
    {"resource.offline", db_op_resource_offline},
    {"resource.fail", db_op_resource_fail},
    {"resource.cleanup", db_op_resource_cleanup},
    {"group.cleanup", db_op_group_cleanup},
    {"cluster.maintenance", db_op_cluster_maintenance},
    {"cluster.fencing", db_op_cluster_fencing},
    {"cluster.quorum", db_op_cluster_quorum},
    {"resource.report", db_op_resource_report},
    {"sched.commit", db_op_sched_commit},
    {"app.register", db_op_app_register},
    {"app.unregister", db_op_app_unregister},
    {"app.node", db_op_app_node},
    {"app.task", db_op_app_task},
    {"app.task.done", db_op_app_task_done},
    {"app.task.forget", db_op_app_task_forget},
    {"app.op", db_op_app_op},
    {"app.lock", db_op_app_lock},
    {"app.unlock", db_op_app_unlock},
    {"fence.create", db_op_fence_create},
    {"alert.create", db_op_alert_create},
    {"cluster.import", db_op_cluster_import},
    {"alert.delete", db_op_alert_delete},
    {"fence.delete", db_op_fence_delete},
    {"node.confirm-down", db_op_node_confirm_down},
    {"node.fencing", db_op_node_fencing},
    {"node.down", db_op_node_down},
    {"node.rejoined", db_op_node_rejoined},
    {"node.watchdog", db_op_node_watchdog},
    {"fence.record", db_op_fence_record},
    {"node.poison", db_op_node_poison},
    {"node.unpoison", db_op_node_unpoison},
};

static db_op_fn handler_find(const char *op)
{
    for (size_t i = 0; op && i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(handlers[i].op, op) == 0)
            return handlers[i].fn;
    return NULL;
}

const char *wp_db_command_at(size_t i)
{
    return i < sizeof handlers / sizeof handlers[0] ? handlers[i].op : NULL;
}

static bool bad_shape(wp_err *err, const char *why)
{
    wp_errf(err, WP_E_INVALID, "cannot apply the command");
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "send a command of the form {\"op\": OP, \"args\": {...}} as "
                     "documented in src/db/db.h");
    return false;
}

/* The handler of a well-shaped command, or NULL with err set. */
static db_op_fn command_handler(const json_t *cmd, const json_t **args, wp_err *err)
{
    if (!json_is_object(cmd))
        return bad_shape(err, "the command is not a JSON object"), NULL;
    const json_t *op = json_object_get(cmd, "op");
    if (!json_is_string(op))
        return bad_shape(err, "\"op\" is missing or not a string"), NULL;
    const char *name = json_string_value(op);
    const wp_op_spec *spec = wp_opspec_find(name);
    db_op_fn fn = spec && spec->kind != WP_OP_QUERY ? handler_find(name) : NULL;
    if (!fn) {
        wp_errf(err, WP_E_INVALID, "cannot apply the command '%.100s'", name);
        wp_err_why(err, "'%.100s' is not a command the cluster database knows", name);
        wp_err_todo(err, "use one of the commands documented in src/db/db.h (cluster.create, "
                         "node.*, group.*, resource.*, app.*, fence.*, sched.commit)");
        return NULL;
    }
    *args = json_object_get(cmd, "args");
    if (!json_is_object(*args)) {
        wp_errf(err, WP_E_INVALID, "cannot apply the command '%.100s'", name);
        wp_err_why(err, "\"args\" is missing or not an object");
        wp_err_todo(err,
                    "send {\"op\": \"%.100s\", \"args\": {...}} as documented in "
                    "src/db/db.h",
                    name);
        return NULL;
    }
    return wp_opspec_check_args(spec->op, *args, spec->args, WP_SIDE_COMMAND, err) ? fn : NULL;
}

bool db_version_bump(wp_db *db, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, "UPDATE meta SET value = value + 1 WHERE key = 'version'", err);
    return st && db_step_done(db, st, "raise the version", err);
}

/* Shape check, handler and version bump; the caller owns the transaction. */
static bool run_command(wp_db *db, const json_t *cmd, wp_err *err)
{
    const json_t *args = NULL;
    db_op_fn fn = command_handler(cmd, &args, err);
    return fn && fn(db, args, err) && db_audit_record(db, cmd, err) && db_version_bump(db, err);
}

static void rollback(wp_db *db)
{
    if (!sqlite3_get_autocommit(db->conn))
        sqlite3_exec(db->conn, "ROLLBACK", NULL, NULL, NULL);
}

static bool run_in_transaction(wp_db *db, const json_t *cmd, bool keep, wp_err *err)
{
    sqlite3_stmt *begin = db_stmt(db, "BEGIN IMMEDIATE", err);
    if (!begin || !db_step_done(db, begin, "start a transaction", err))
        return false;
    bool ok = run_command(db, cmd, err);
    if (ok && keep) {
        sqlite3_stmt *commit = db_stmt(db, "COMMIT", err);
        ok = commit && db_step_done(db, commit, "commit a change", err);
    }
    rollback(db);
    return ok;
}

/* cluster.import {commands: [{op, args}, ...]} (`wolfpack cluster import
 * --apply`): configuration commands run one after the other inside this
 * command's transaction, so the import is whole or nothing.  Each is
 * shape-checked and run by its handler; the first refusal refuses all,
 * naming the step.  Only the configuration's commands may be imported
 * (deletes: `--prune`, which the CLI sends only for what is Offline). */
static bool db_op_cluster_import(wp_db *db, const json_t *args, wp_err *err)
{
    static const char *const allowed[] = {
        "group.create",      "group.set",    "resource.create", "resource.set", "resource.depend",
        "resource.undepend", "alert.create", "resource.delete", "group.delete", NULL};
    size_t i;
    json_t *cmd;
    json_array_foreach(json_object_get(args, "commands"), i, cmd)
    {
        const char *op = wp_json_str(cmd, "op");
        bool ok = false;
        for (const char *const *a = allowed; op && *a && !ok; a++)
            ok = strcmp(op, *a) == 0;
        wp_err sub = {0};
        const json_t *sub_args = NULL;
        db_op_fn fn = ok ? command_handler(cmd, &sub_args, &sub) : NULL;
        if (!ok)
            wp_errf(&sub, WP_E_INVALID, "'%.60s' cannot be imported", op ? op : "?");
        if (fn && fn(db, sub_args, &sub))
            continue;
        const char *name = wp_json_str(sub_args, "name");
        wp_errf(err, sub.code,
                "cluster import refused at step %zu (%.60s %.63s); nothing "
                "was changed",
                i + 1, op ? op : "?", name ? name : "");
        wp_err_why(err, "%.200s%s%.280s", sub.what, sub.why[0] ? ": " : "", sub.why);
        wp_err_todo(err, "%s", sub.todo[0] ? sub.todo : "correct the file and import again");
        return false;
    }
    return true;
}

bool wp_db_apply(wp_db *db, const json_t *cmd, wp_err *err)
{
    return run_in_transaction(db, cmd, true, err);
}

bool wp_db_check(wp_db *db, const json_t *cmd, wp_err *err)
{
    return run_in_transaction(db, cmd, false, err);
}

/* A refusal is the command's fault; anything else is the transaction's. */
static bool is_refusal(wp_code code)
{
    return code == WP_E_INVALID || code == WP_E_NOTFOUND || code == WP_E_EXISTS ||
           code == WP_E_CONFLICT;
}

static bool savepoint(wp_db *db, const char *sql, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, sql, err);
    return st && db_step_done(db, st, "manage a savepoint", err);
}

bool wp_db_apply_batch(wp_db *db, const json_t *const *cmds, size_t count, wp_err *results,
                       bool *applied, wp_err *err)
{
    for (size_t i = 0; i < count; i++) {
        if (applied)
            applied[i] = false;
        if (results)
            wp_err_clear(&results[i]);
    }
    sqlite3_stmt *begin = db_stmt(db, "BEGIN IMMEDIATE", err);
    if (!begin || !db_step_done(db, begin, "start a transaction", err))
        return false;
    bool ok = true;
    for (size_t i = 0; i < count && ok; i++) {
        wp_err one;
        wp_err_clear(&one);
        ok = savepoint(db, "SAVEPOINT wp_cmd", err);
        if (!ok)
            break;
        bool done = run_command(db, cmds[i], &one);
        if (!done) {
            ok = savepoint(db, "ROLLBACK TO wp_cmd", err);
            if (ok && !is_refusal(one.code)) {
                *err = one;
                ok = false;
            }
        }
        ok = ok && savepoint(db, "RELEASE wp_cmd", err);
        if (applied)
            applied[i] = done;
        if (results)
            results[i] = one;
    }
    if (ok) {
        sqlite3_stmt *commit = db_stmt(db, "COMMIT", err);
        ok = commit && db_step_done(db, commit, "commit a batch", err);
    }
    rollback(db);
    if (!ok && applied)
        memset(applied, 0, count * sizeof *applied);
    return ok;
}
