/*
 * ops_app.c -- the cluster-wide half of `wolfpack app` in the cluster
 * database: clustered install records, which node holds which version of
 * an application's program files, node tasks (work one node asks another
 * to do) and the state of a long application operation (migrate, rollout)
 * and the rollout lock.
 *
 * They live in the `meta` key/value table under prefixed keys, so the
 * schema (and every existing database file) stays as it is, and they are
 * replicated, snapshotted and checksummed with everything else:
 *
 *     app:NAME              the clustered install record (docs/APP.md)
 *     app-node:NAME:NODE    {"node", "version"}: program files on NODE
 *     app-task:ID           {"id", "node", "kind", "args", "state",
 *                            "error", "output"?}  state: pending | ok | failed;
 *                           app.task.forget removes it
 *     app-op:NAME           {...}: a migrate/rollout's step state; also
 *                           `cluster update`'s (os-update, os-update-NODE,
 *                           os-update-report: src/app/osupdate.c)
 *     app-lock              {"holder", "at", "op"}: the rollout lock (and
 *                           `cluster update`'s)
 *
 * Every value is validated here (names, references); the JSON types were
 * checked by apply.c.  Like every handler, nothing here reads a clock.
 */
#include "db_internal.h"
#include "../lib/json.h"
#include "../lib/appname.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TASK_ID_MAX 100
#define TASK_ERROR_MAX 1000
#define TASK_OUTPUT_MAX (768 * 1024)

/* ---- helpers -------------------------------------------------------------- */

static bool invalid(wp_err *err, const char *what, const char *why, const char *todo)
{
    wp_errf(err, WP_E_INVALID, "%s", what);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "%s", todo);
    return false;
}

static bool task_id_ok(const char *id, wp_err *err)
{
    size_t n = strlen(id);
    bool ok = n >= 1 && n <= TASK_ID_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)id[i]) || strchr("._-", id[i]);
    if (ok)
        return true;
    return invalid(err, "not a valid node task id", "task ids are 1..100 of A-Z a-z 0-9 . _ -",
                   "let `wolfpack app` choose the id");
}

static char *key_of(const char *a, const char *b, const char *c)
{
    size_t len = strlen(a) + strlen(b) + (c ? strlen(c) + 1 : 0) + 1;
    char *k = malloc(len);
    if (k)
        snprintf(k, len, "%s%s%s%s", a, b, c ? ":" : "", c ? c : "");
    return k;
}

static bool meta_put(wp_db *db, const char *key, const json_t *value, wp_err *err)
{
    char *text = db_json_text(value);
    const char *vals[2] = {key, text};
    bool ok = text && db_run(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", 2, vals,
                             "store an application record", err);
    if (!text)
        wp_errf(err, WP_E_INTERNAL, "cannot encode an application record");
    free(text);
    return ok;
}

static bool meta_del(wp_db *db, const char *key, wp_err *err)
{
    const char *vals[1] = {key};
    return db_run(db, "DELETE FROM meta WHERE key = ?1", 1, vals, "remove an application record",
                  err);
}

/* The JSON value at key, NULL when absent (err untouched) or on error
 * (err set, *failed true). */
static json_t *meta_get(wp_db *db, const char *key, bool *failed, wp_err *err)
{
    char *text = NULL;
    *failed = false;
    int found = db_text(db, "SELECT value FROM meta WHERE key = ?1", key, &text, err);
    if (found < 0) {
        *failed = true;
        return NULL;
    }
    if (found == 0)
        return NULL;
    json_t *v = json_loads(text, 0, NULL);
    free(text);
    if (!v) {
        *failed = true;
        wp_errf(err, WP_E_CORRUPT, "the cluster database holds a damaged application record");
        wp_err_why(err, "the value of '%.100s' is not JSON", key);
        wp_err_todo(err, "report this bug; unregister the application and register it again");
    }
    return v;
}

static bool app_not_found(wp_err *err, const char *name)
{
    wp_errf(err, WP_E_NOTFOUND, "%.60s is not installed in the cluster", name);
    wp_err_why(err, "the cluster database has no clustered install record of it");
    wp_err_todo(err, "list clustered applications with 'wolfpack app list'; install one with "
                     "'wolfpack app install KIT --cluster --group G'");
    return false;
}

static int app_exists(wp_db *db, const char *name, wp_err *err)
{
    char *key = key_of("app:", name, NULL);
    int found = key ? db_exists(db, "SELECT 1 FROM meta WHERE key = ?1", key, NULL, err) : -1;
    free(key);
    return found;
}

/* ---- app.register / app.unregister / app.node ------------------------------------ */

bool db_op_app_register(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    json_t *rec = json_object_get(args, "record");
    if (!wp_app_name_valid(name, err))
        return false;
    const char *app = wp_json_str(rec, "app"), *mode = wp_json_str(rec, "mode");
    if (!app || strcmp(app, name) != 0 || !wp_json_str(rec, "version") ||
        !wp_json_str(rec, "edition") || !mode || strcmp(mode, "clustered") != 0 ||
        !wp_json_str(rec, "group") || !json_is_array(json_object_get(rec, "databases")) ||
        !json_is_array(json_object_get(rec, "services")))
        return invalid(err, "app.register: the record is not a clustered install record",
                       "it needs app (= name), version, edition, mode \"clustered\", group, "
                       "databases and services (docs/APP.md)",
                       "build it with wp_app_record_from_kit and a group");
    char *group = db_group_name(db, wp_json_str(rec, "group"), err);
    if (!group)
        return false;
    json_t *copy = json_deep_copy(rec);
    json_object_set_new(copy, "group", json_string(group));
    free(group);
    char *key = key_of("app:", name, NULL);
    bool ok = key && meta_put(db, key, copy, err);
    free(key);
    json_decref(copy);
    return ok;
}

bool db_op_app_unregister(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    if (!wp_app_name_valid(name, err))
        return false;
    int found = app_exists(db, name, err);
    if (found <= 0)
        return found == 0 ? app_not_found(err, name) : false;
    char *key = key_of("app:", name, NULL);
    char *nodes = key_of("app-node:", name, ":%");
    const char *vals[1] = {nodes};
    bool ok = key && nodes && meta_del(db, key, err) &&
              db_run(db, "DELETE FROM meta WHERE key LIKE ?1", 1, vals,
                     "remove an application's node records", err);
    free(key);
    free(nodes);
    return ok;
}

bool db_op_app_node(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    const char *version = wp_json_str(args, "version");
    if (!wp_app_name_valid(name, err))
        return false;
    int found = app_exists(db, name, err);
    if (found <= 0)
        return found == 0 ? app_not_found(err, name) : false;
    char *node = db_node_name(db, wp_json_str(args, "node"), err);
    if (!node)
        return false;
    char *key = key_of("app-node:", name, node);
    bool ok = key != NULL;
    if (ok && version && (!version[0] || strlen(version) > 32))
        ok = invalid(err, "app.node: the version is empty or too long", "a version is 1..32 bytes",
                     "give the installed version");
    else if (ok && version) {
        json_t *v = json_pack("{s:s, s:s}", "node", node, "version", version);
        ok = meta_put(db, key, v, err);
        json_decref(v);
    } else if (ok)
        ok = meta_del(db, key, err);
    free(key);
    free(node);
    return ok;
}

/* ---- node tasks ------------------------------------------------------------------------ */

static const char *const task_kinds[] = {"files",       "remove",    "sp-files",  "sp-upgrade",
                                         "sp-restore",  "os-update", "os-reboot", "resource-check",
                                         "report-part", NULL};

bool db_op_app_task(wp_db *db, const json_t *args, wp_err *err)
{
    const char *id = wp_json_str(args, "id"), *kind = wp_json_str(args, "kind");
    if (!task_id_ok(id, err))
        return false;
    bool known = false;
    for (size_t i = 0; task_kinds[i]; i++)
        known = known || strcmp(task_kinds[i], kind) == 0;
    if (!known)
        return invalid(
            err, "app.task: unknown kind of node task",
            "the kinds are files (program files of a clustered install), remove "
            "(remove a standalone install), sp-files (a service pack's files), "
            "sp-upgrade (a service pack's one-time database upgrade), sp-restore, "
            "os-update and os-reboot (wolfpack cluster update), resource-check (a "
            "resource's checks on a possible owner before resource create), report-part (a "
            "node's part of wolfpack report)",
            "use one of those kinds");
    char *node = db_node_name(db, wp_json_str(args, "node"), err);
    if (!node)
        return false;
    char *key = key_of("app-task:", id, NULL);
    int exists = key ? db_exists(db, "SELECT 1 FROM meta WHERE key = ?1", key, NULL, err) : -1;
    bool ok = exists == 0;
    if (exists > 0) {
        wp_errf(err, WP_E_EXISTS, "node task %s exists already", id);
        wp_err_why(err, "task ids are unique in the cluster");
        wp_err_todo(err, "use another id");
    }
    if (ok) {
        json_t *args_obj = json_object_get(args, "args");
        json_t *task =
            json_pack("{s:s, s:s, s:s, s:O, s:s, s:n}", "id", id, "node", node, "kind", kind,
                      "args", args_obj ? args_obj : json_object(), "state", "pending", "error");
        ok = task && meta_put(db, key, task, err);
        json_decref(task);
    }
    free(key);
    free(node);
    return ok;
}

/* A task's output (what a resource-check found) is kept with it: at most
 * TASK_OUTPUT_MAX bytes of JSON. */
static bool output_ok(const json_t *output, wp_err *err)
{
    char *text = output ? json_dumps(output, JSON_COMPACT) : NULL;
    bool ok = !output || (text && strlen(text) <= TASK_OUTPUT_MAX);
    free(text);
    if (!ok)
        return invalid(err, "app.task.done: the output is too large",
                       "a node task's output is kept in the cluster database (at most 768 KiB)",
                       "report a shorter output");
    return true;
}

bool db_op_app_task_done(wp_db *db, const json_t *args, wp_err *err)
{
    const char *id = wp_json_str(args, "id"), *result = wp_json_str(args, "result");
    const char *error = wp_json_str(args, "error");
    if (!task_id_ok(id, err))
        return false;
    if (strcmp(result, "ok") != 0 && strcmp(result, "failed") != 0)
        return invalid(err, "app.task.done: result must be \"ok\" or \"failed\"",
                       "a node task either succeeded or failed", "send ok or failed");
    char *key = key_of("app-task:", id, NULL);
    bool failed = false;
    json_t *task = key ? meta_get(db, key, &failed, err) : NULL;
    bool ok = task != NULL;
    if (!task && !failed) {
        wp_errf(err, WP_E_NOTFOUND, "node task %.100s does not exist", id);
        wp_err_why(err, "the cluster database has no such task");
        wp_err_todo(err, "check the id");
    }
    if (ok && strcasecmp(wp_json_str(task, "node"), wp_json_str(args, "node")) != 0)
        ok = invalid(err, "app.task.done: the task belongs to another node",
                     "only the node a task names reports its result", "report from that node");
    if (ok && strcmp(wp_json_str(task, "state"), "pending") != 0) {
        wp_errf(err, WP_E_CONFLICT, "node task %.100s is already done", id);
        wp_err_why(err, "its result was reported before (%s)", wp_json_str(task, "state"));
        wp_err_todo(err, "nothing to do");
        ok = false;
    }
    if (ok) {
        char cut[TASK_ERROR_MAX + 1];
        snprintf(cut, sizeof cut, "%s", error ? error : "");
        json_object_set_new(task, "state", json_string(result));
        json_object_set_new(task, "error", error ? json_string(cut) : json_null());
        json_t *output = json_object_get(args, "output");
        if (output)
            json_object_set(task, "output", output);
        ok = output_ok(output, err) && meta_put(db, key, task, err);
    }
    json_decref(task);
    free(key);
    return ok;
}

/* app.task.forget {id}: the task's record goes (the one who asked has read
 * its output: a report part must not stay in the database); a task that
 * does not exist is forgotten already. */
bool db_op_app_task_forget(wp_db *db, const json_t *args, wp_err *err)
{
    const char *id = wp_json_str(args, "id");
    if (!task_id_ok(id, err))
        return false;
    char *key = key_of("app-task:", id, NULL);
    bool ok = key && meta_del(db, key, err);
    free(key);
    return ok;
}

/* ---- long operations and the lock --------------------------------------------------- */

bool db_op_app_op(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    json_t *state = json_object_get(args, "state");
    if (!wp_app_name_valid(name, err))
        return false;
    char *key = key_of("app-op:", name, NULL);
    bool ok = key && (state ? meta_put(db, key, state, err) : meta_del(db, key, err));
    free(key);
    return ok;
}

bool db_op_app_lock(wp_db *db, const json_t *args, wp_err *err)
{
    const char *holder = wp_json_str(args, "holder"), *op = wp_json_str(args, "op");
    const char *force = wp_json_str(args, "force");
    bool failed = false;
    json_t *cur = meta_get(db, "app-lock", &failed, err);
    if (failed)
        return false;
    if (cur && (!force || strcmp(force, wp_json_str(cur, "holder")) != 0) &&
        strcmp(wp_json_str(cur, "holder"), holder) != 0) {
        wp_errf(err, WP_E_CONFLICT, "another application operation holds the cluster-wide lock");
        wp_err_why(err, "%s holds it for %s (since unix time %lld)", wp_json_str(cur, "holder"),
                   wp_json_str(cur, "op") ? wp_json_str(cur, "op") : "?",
                   (long long)json_integer_value(json_object_get(cur, "at")));
        wp_err_todo(err, "wait for it to end; if its holder is dead, take it over with --force");
        json_decref(cur);
        return false;
    }
    json_decref(cur);
    json_t *lock = json_pack("{s:s, s:s, s:I, s:s?}", "holder", holder, "op", op, "at",
                             json_integer_value(json_object_get(args, "at")), "forced", force);
    bool ok = lock && meta_put(db, "app-lock", lock, err);
    json_decref(lock);
    return ok;
}

bool db_op_app_unlock(wp_db *db, const json_t *args, wp_err *err)
{
    const char *holder = wp_json_str(args, "holder");
    bool failed = false;
    json_t *cur = meta_get(db, "app-lock", &failed, err);
    if (failed)
        return false;
    bool mine = cur && strcmp(wp_json_str(cur, "holder"), holder) == 0;
    json_decref(cur);
    if (!mine) {
        wp_errf(err, WP_E_CONFLICT, "%.100s does not hold the application lock", holder);
        wp_err_why(err, cur ? "another holder has it" : "nobody holds it");
        wp_err_todo(err, "nothing to release");
        return false;
    }
    return meta_del(db, "app-lock", err);
}

/* ---- queries -------------------------------------------------------------------- */

static json_t *oom(wp_err *err)
{
    wp_errf(err, WP_E_IO, "out of memory reading application records");
    wp_err_why(err, "jansson could not allocate");
    wp_err_todo(err, "free memory and retry");
    return NULL;
}

/* Every row whose key starts with prefix, parsed, in key order. */
static json_t *meta_prefix(wp_db *db, const char *prefix, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(
        db, "SELECT value FROM meta WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key", err);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, prefix, -1, SQLITE_TRANSIENT);
    json_t *out = json_array();
    int rc;
    while (out && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        json_t *v = t ? json_loads(t, 0, NULL) : NULL;
        if (v)
            json_array_append_new(out, v);
    }
    if (out && rc != SQLITE_DONE) {
        db_sql_fail(db, err, "read application records");
        json_decref(out);
        out = NULL;
    }
    sqlite3_reset(st);
    return out ? out : (err && err->code ? NULL : oom(err));
}

/* rec["nodes"] = its app-node rows. */
static bool add_nodes(wp_db *db, json_t *rec, wp_err *err)
{
    char *prefix = key_of("app-node:", wp_json_str(rec, "app"), "");
    json_t *nodes = prefix ? meta_prefix(db, prefix, err) : NULL;
    free(prefix);
    return nodes && json_object_set_new(rec, "nodes", nodes) == 0;
}

json_t *wp_db_app_list(wp_db *db, wp_err *err)
{
    json_t *recs = meta_prefix(db, "app:", err);
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r)
    {
        if (!add_nodes(db, r, err)) {
            json_decref(recs);
            return NULL;
        }
    }
    return recs;
}

json_t *wp_db_app_show(wp_db *db, const char *name, wp_err *err)
{
    char *key = key_of("app:", name, NULL);
    bool failed = false;
    json_t *rec = key ? meta_get(db, key, &failed, err) : oom(err);
    free(key);
    if (!rec) {
        if (!failed && key)
            app_not_found(err, name);
        return NULL;
    }
    json_t *op = NULL;
    key = key_of("app-op:", name, NULL);
    if (key)
        op = meta_get(db, key, &failed, err);
    free(key);
    json_object_set_new(rec, "operation", op ? op : json_null());
    if (add_nodes(db, rec, err))
        return rec;
    json_decref(rec);
    return NULL;
}

json_t *wp_db_app_task_show(wp_db *db, const char *id, wp_err *err)
{
    char *key = key_of("app-task:", id, NULL);
    bool failed = false;
    json_t *task = key ? meta_get(db, key, &failed, err) : oom(err);
    free(key);
    if (!task && !failed) {
        wp_errf(err, WP_E_NOTFOUND, "node task %.100s does not exist", id);
        wp_err_why(err, "the cluster database has no such task");
        wp_err_todo(err, "check the id");
    }
    return task;
}

json_t *wp_db_app_tasks(wp_db *db, wp_err *err)
{
    return meta_prefix(db, "app-task:", err);
}

json_t *wp_db_app_op_show(wp_db *db, const char *name, wp_err *err)
{
    char *key = key_of("app-op:", name, NULL);
    bool failed = false;
    json_t *op = key ? meta_get(db, key, &failed, err) : oom(err);
    free(key);
    if (!op && !failed)
        return json_null();
    return op;
}

json_t *wp_db_app_lock_show(wp_db *db, wp_err *err)
{
    bool failed = false;
    json_t *lock = meta_get(db, "app-lock", &failed, err);
    return lock ? lock : failed ? NULL : json_null();
}
