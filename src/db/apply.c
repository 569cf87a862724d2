/*
 * apply.c -- the one road by which the cluster database changes.
 *
 * wp_db_apply() checks the shape of a command against the table below
 * (op known, args an object holding only documented keys of the
 * documented JSON types), then runs the op's handler inside one
 * transaction that also raises the version by one.  A refusal rolls the
 * transaction back, so nothing changes, not even the version.
 * wp_db_check() runs the same and always rolls back.  wp_db_apply_batch()
 * wraps many commands in one transaction, each in its own savepoint.
 *
 * Handlers (ops_*.c) may therefore trust the JSON types of their args but
 * must validate every value (src/lib/model.h) and every reference.
 */
#include "db_internal.h"

#include <string.h>

typedef enum arg_shape {
    SHAPE_STRING,      /* "text" */
    SHAPE_INTEGER,     /* 42 */
    SHAPE_BOOL,        /* true | false */
    SHAPE_OBJ_STR,     /* {"k": "v"} */
    SHAPE_OBJ_STR_NUL, /* {"k": "v" | null} */
    SHAPE_ARR_STR,     /* ["a", "b"] */
    SHAPE_ARR_NODES,   /* [{"name": s, "address": s, "id": n}] */
    SHAPE_ARR_OBJ,     /* [{...}, ...] (the handler checks the members) */
    SHAPE_OBJECT,      /* {...} any object (the handler checks it; app.register) */
} arg_shape;

typedef struct arg_spec {
    const char *key;
    arg_shape shape;
    bool required;
} arg_spec;

typedef struct op_spec {
    const char *op;
    const arg_spec *args; /* terminated by {NULL} */
    db_op_fn fn;
} op_spec;

static const arg_spec args_name[] = {{"name", SHAPE_STRING, true}, {NULL, 0, false}};
static const arg_spec args_node[] = {{"name", SHAPE_STRING, true},
                                     {"address", SHAPE_STRING, true},
                                     {"id", SHAPE_INTEGER, true},
                                     {NULL, 0, false}};
static const arg_spec args_node_remove[] = {
    {"name", SHAPE_STRING, true}, {"force", SHAPE_BOOL, false}, {NULL, 0, false}};
static const arg_spec args_cluster_create[] = {{"name", SHAPE_STRING, true},
                                               {"nodes", SHAPE_ARR_NODES, false},
                                               {"ip", SHAPE_STRING, false},
                                               {NULL, 0, false}};
static const arg_spec args_group_create[] = {
    {"name", SHAPE_STRING, true}, {"policy", SHAPE_OBJ_STR_NUL, false}, {NULL, 0, false}};
static const arg_spec args_group_set[] = {
    {"name", SHAPE_STRING, true}, {"policy", SHAPE_OBJ_STR_NUL, true}, {NULL, 0, false}};
static const arg_spec args_resource_create[] = {{"name", SHAPE_STRING, true},
                                                {"group", SHAPE_STRING, true},
                                                {"type", SHAPE_STRING, true},
                                                {"props", SHAPE_OBJ_STR, false},
                                                {"policy", SHAPE_OBJ_STR_NUL, false},
                                                {"depends_on", SHAPE_ARR_STR, false},
                                                {NULL, 0, false}};
static const arg_spec args_resource_set[] = {{"name", SHAPE_STRING, true},
                                             {"props", SHAPE_OBJ_STR_NUL, false},
                                             {"policy", SHAPE_OBJ_STR_NUL, false},
                                             {NULL, 0, false}};
static const arg_spec args_depend[] = {
    {"name", SHAPE_STRING, true}, {"on", SHAPE_STRING, true}, {NULL, 0, false}};

static const arg_spec args_move[] = {
    {"name", SHAPE_STRING, true}, {"to", SHAPE_STRING, false}, {NULL, 0, false}};
static const arg_spec args_report[] = {{"name", SHAPE_STRING, true},   {"node", SHAPE_STRING, true},
                                       {"state", SHAPE_STRING, true},  {"at", SHAPE_INTEGER, true},
                                       {"error", SHAPE_STRING, false}, {NULL, 0, false}};
static const arg_spec args_commit[] = {
    {"at", SHAPE_INTEGER, true},        {"coordinator", SHAPE_STRING, true},
    {"decisions", SHAPE_ARR_OBJ, true}, {"actions", SHAPE_ARR_OBJ, false},
    {"offline", SHAPE_ARR_STR, false},  {NULL, 0, false}};

/* ops_app.c: clustered applications */
static const arg_spec args_app_register[] = {
    {"name", SHAPE_STRING, true}, {"record", SHAPE_OBJECT, true}, {NULL, 0, false}};
static const arg_spec args_app_node[] = {{"name", SHAPE_STRING, true},
                                         {"node", SHAPE_STRING, true},
                                         {"version", SHAPE_STRING, false},
                                         {NULL, 0, false}};
static const arg_spec args_app_task[] = {{"id", SHAPE_STRING, true},
                                         {"node", SHAPE_STRING, true},
                                         {"kind", SHAPE_STRING, true},
                                         {"args", SHAPE_OBJ_STR, false},
                                         {NULL, 0, false}};
static const arg_spec args_app_task_done[] = {{"id", SHAPE_STRING, true},
                                              {"node", SHAPE_STRING, true},
                                              {"result", SHAPE_STRING, true},
                                              {"error", SHAPE_STRING, false},
                                              {NULL, 0, false}};
static const arg_spec args_app_op[] = {
    {"name", SHAPE_STRING, true}, {"state", SHAPE_OBJECT, false}, {NULL, 0, false}};
static const arg_spec args_app_lock[] = {{"holder", SHAPE_STRING, true},
                                         {"op", SHAPE_STRING, true},
                                         {"at", SHAPE_INTEGER, true},
                                         {"force", SHAPE_STRING, false},
                                         {NULL, 0, false}};
static const arg_spec args_app_unlock[] = {{"holder", SHAPE_STRING, true}, {NULL, 0, false}};

static const op_spec op_table[] = {
    {"cluster.create", args_cluster_create, db_op_cluster_create},
    {"node.add", args_node, db_op_node_add},
    {"node.remove", args_node_remove, db_op_node_remove},
    {"group.create", args_group_create, db_op_group_create},
    {"group.delete", args_name, db_op_group_delete},
    {"group.set", args_group_set, db_op_group_set},
    {"resource.create", args_resource_create, db_op_resource_create},
    {"resource.delete", args_name, db_op_resource_delete},
    {"resource.set", args_resource_set, db_op_resource_set},
    {"resource.depend", args_depend, db_op_resource_depend},
    {"resource.undepend", args_depend, db_op_resource_undepend},
    {"node.pause", args_name, db_op_node_pause},
    {"node.resume", args_name, db_op_node_resume},
    {"node.drain", args_name, db_op_node_drain},
    {"group.online", args_name, db_op_group_online},
    {"group.offline", args_name, db_op_group_offline},
    {"group.move", args_move, db_op_group_move},
    {"resource.online", args_name, db_op_resource_online},
    {"resource.offline", args_name, db_op_resource_offline},
    {"resource.fail", args_name, db_op_resource_fail},
    {"resource.report", args_report, db_op_resource_report},
    {"sched.commit", args_commit, db_op_sched_commit},
    {"app.register", args_app_register, db_op_app_register},
    {"app.unregister", args_name, db_op_app_unregister},
    {"app.node", args_app_node, db_op_app_node},
    {"app.task", args_app_task, db_op_app_task},
    {"app.task.done", args_app_task_done, db_op_app_task_done},
    {"app.op", args_app_op, db_op_app_op},
    {"app.lock", args_app_lock, db_op_app_lock},
    {"app.unlock", args_app_unlock, db_op_app_unlock},
};

static const char *shape_text(arg_shape s)
{
    switch (s) {
    case SHAPE_STRING:
        return "a string";
    case SHAPE_INTEGER:
        return "an integer";
    case SHAPE_BOOL:
        return "true or false";
    case SHAPE_OBJ_STR:
        return "an object of strings";
    case SHAPE_OBJ_STR_NUL:
        return "an object of strings or nulls";
    case SHAPE_ARR_STR:
        return "an array of strings";
    case SHAPE_ARR_NODES:
        return "an array of node objects {name, address, id}";
    case SHAPE_ARR_OBJ:
        return "an array of objects";
    case SHAPE_OBJECT:
        return "an object";
    }
    return "?";
}

static bool node_obj_ok(const json_t *n)
{
    if (!json_is_object(n) || json_object_size(n) != 3)
        return false;
    return json_is_string(json_object_get(n, "name")) &&
           json_is_string(json_object_get(n, "address")) &&
           json_is_integer(json_object_get(n, "id"));
}

static bool shape_ok(const json_t *v, arg_shape s)
{
    const char *k;
    json_t *item;
    size_t i;
    switch (s) {
    case SHAPE_OBJECT:
        return json_is_object(v);
    case SHAPE_STRING:
        return json_is_string(v);
    case SHAPE_INTEGER:
        return json_is_integer(v);
    case SHAPE_BOOL:
        return json_is_boolean(v);
    case SHAPE_OBJ_STR:
    case SHAPE_OBJ_STR_NUL:
        if (!json_is_object(v))
            return false;
        json_object_foreach((json_t *)v, k,
                            item) if (!json_is_string(item) &&
                                      !(s == SHAPE_OBJ_STR_NUL && json_is_null(item))) return false;
        return true;
    case SHAPE_ARR_STR:
    case SHAPE_ARR_NODES:
    case SHAPE_ARR_OBJ:
        if (!json_is_array(v))
            return false;
        json_array_foreach(v, i, item)
        {
            bool good = s == SHAPE_ARR_STR   ? json_is_string(item)
                        : s == SHAPE_ARR_OBJ ? json_is_object(item)
                                             : node_obj_ok(item);
            if (!good)
                return false;
        }
        return true;
    }
    return false;
}

static bool bad_shape(wp_err *err, const char *op, const char *why_fmt, const char *a,
                      const char *b)
{
    wp_errf(err, WP_E_INVALID, "cannot apply the command '%s'", op ? op : "?");
    wp_err_why(err, why_fmt, a, b);
    wp_err_todo(err, "send a command of the form {\"op\": OP, \"args\": {...}} as "
                     "documented in src/db/db.h");
    return false;
}

static bool args_ok(const op_spec *spec, const json_t *args, wp_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)args, key, v)
    {
        const arg_spec *a = spec->args;
        while (a->key && strcmp(a->key, key) != 0)
            a++;
        if (!a->key)
            return bad_shape(err, spec->op, "'%s' is not an argument of %s", key, spec->op);
        if (!shape_ok(v, a->shape))
            return bad_shape(err, spec->op, "argument '%s' must be %s", key, shape_text(a->shape));
    }
    for (const arg_spec *a = spec->args; a->key; a++)
        if (a->required && !json_object_get(args, a->key))
            return bad_shape(err, spec->op, "argument '%s' is missing (%s)", a->key,
                             shape_text(a->shape));
    return true;
}

/* The handler of a well-shaped command, or NULL with err set. */
static const op_spec *command_spec(const json_t *cmd, const json_t **args, wp_err *err)
{
    if (!json_is_object(cmd))
        return bad_shape(err, NULL, "the command is not a JSON object%s%s", "", ""), NULL;
    const json_t *op = json_object_get(cmd, "op");
    if (!json_is_string(op))
        return bad_shape(err, NULL, "\"op\" is missing or not a string%s%s", "", ""), NULL;
    const char *name = json_string_value(op);
    const op_spec *spec = NULL;
    for (size_t i = 0; i < sizeof op_table / sizeof op_table[0] && !spec; i++)
        if (strcmp(op_table[i].op, name) == 0)
            spec = &op_table[i];
    if (!spec) {
        wp_errf(err, WP_E_INVALID, "cannot apply the command '%.100s'", name);
        wp_err_why(err, "'%.100s' is not a command the cluster database knows", name);
        wp_err_todo(err, "use one of the commands documented in src/db/db.h (cluster.create, "
                         "node.*, group.*, resource.*, sched.commit)");
        return NULL;
    }
    *args = json_object_get(cmd, "args");
    if (!json_is_object(*args))
        return bad_shape(err, name, "\"args\" is missing or not an object%s%s", "", ""), NULL;
    return args_ok(spec, *args, err) ? spec : NULL;
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
    const op_spec *spec = command_spec(cmd, &args, err);
    return spec && spec->fn(db, args, err) && db_version_bump(db, err);
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
