/*
 * ops_runtime.c -- the commands that change runtime state rather than
 * configuration: the operator's (node.pause/resume/drain, group.online/
 * offline/move/cleanup, resource.online/offline/fail/cleanup,
 * cluster.maintenance) and wolfpackd's own
 * (resource.report from the executor and monitors, sched.commit from the
 * coordinator after one scheduler run).
 *
 * Like every handler they run inside apply.c's transaction and refuse on
 * the first problem (the transaction is rolled back, nothing changes).
 * They are deterministic: the only time they know is the command's `at`.
 * Histories (group failovers, resource restarts) are JSON arrays of unix
 * times that keep the last WP_DB_HISTORY_MAX entries.
 */
#include "db_internal.h"

#include "../lib/json.h"
#include "../lib/model.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define LAST_ERROR_MAX 1000

static const char *const resource_states[] = {"Online",         "Offline",         "Failed",
                                              "Online Pending", "Offline Pending", NULL};
static const char *const decision_states[] = {"Online", "Partially Online", "Offline",
                                              "Failed", "Pending",          NULL};

static const char *word_find(const char *const *words, const char *w)
{
    for (; *words; words++)
        if (strcmp(*words, w) == 0)
            return *words;
    return NULL;
}

static bool is_pending(const char *state)
{
    return strcmp(state, "Online Pending") == 0 || strcmp(state, "Offline Pending") == 0;
}

static bool oom(wp_err *err, const char *what)
{
    wp_errf(err, WP_E_IO, "cannot %s", what);
    wp_err_why(err, "out of memory");
    wp_err_todo(err, "free memory and retry");
    return false;
}

/* --- histories ------------------------------------------------------------ */

char *db_history_append(const char *text, int64_t at)
{
    json_t *list = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_array(list)) {
        json_decref(list);
        list = json_array();
    }
    json_array_append_new(list, json_integer(at));
    while (json_array_size(list) > WP_DB_HISTORY_MAX)
        json_array_remove(list, 0);
    char *out = list ? json_dumps(list, JSON_COMPACT) : NULL;
    json_decref(list);
    return out;
}

/* Append `at` to the history column of one row (sql_get reads it,
 * sql_set writes ?2 for name ?1). */
static bool history_push(wp_db *db, const char *sql_get, const char *sql_set, const char *name,
                         int64_t at, wp_err *err)
{
    char *text = NULL;
    if (db_text(db, sql_get, name, &text, err) < 0)
        return false;
    char *next = db_history_append(text, at);
    free(text);
    if (!next)
        return oom(err, "record a history entry");
    const char *vals[2] = {name, next};
    bool ok = db_run(db, sql_set, 2, vals, "record a history entry", err);
    free(next);
    return ok;
}

/* --- nodes ---------------------------------------------------------------- */

static bool node_flags(wp_db *db, const json_t *args, const char *sql, wp_err *err)
{
    char *name = db_node_name(db, wp_json_str(args, "name"), err);
    if (!name)
        return false;
    const char *vals[1] = {name};
    bool ok = db_run(db, sql, 1, vals, "change a node", err);
    free(name);
    return ok;
}

bool db_op_node_pause(wp_db *db, const json_t *args, wp_err *err)
{
    return node_flags(db, args, "UPDATE node SET paused = 1 WHERE name = ?1", err);
}

bool db_op_node_resume(wp_db *db, const json_t *args, wp_err *err)
{
    return node_flags(db, args, "UPDATE node SET paused = 0, drained = 0 WHERE name = ?1", err);
}

bool db_op_node_drain(wp_db *db, const json_t *args, wp_err *err)
{
    return node_flags(db, args, "UPDATE node SET paused = 1, drained = 1 WHERE name = ?1", err);
}

/* --- groups --------------------------------------------------------------- */

bool db_op_group_online(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = db_group_name(db, wp_json_str(args, "name"), err);
    if (!name)
        return false;
    const char *vals[1] = {name};
    /* the operator's online is a retry (WSFC): failures are forgotten, so
     * even an error retrying could not mend is tried once more */
    bool ok = db_run(db, "UPDATE grp SET target = 'online', failovers = '[]' WHERE name = ?1", 1,
                     vals, "bring a group online", err) &&
              db_run(db,
                     "UPDATE resource SET target = 'online', restarts = '[]',"
                     " last_error = CASE state WHEN 'Failed' THEN NULL ELSE last_error END"
                     " WHERE grp = ?1",
                     1, vals, "bring a group online", err) &&
              db_failure_forget_group(db, name, err);
    free(name);
    return ok;
}

bool db_op_group_offline(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = db_group_name(db, wp_json_str(args, "name"), err);
    if (!name)
        return false;
    const char *vals[1] = {name};
    bool ok = db_run(db, "UPDATE grp SET target = 'offline' WHERE name = ?1", 1, vals,
                     "take a group offline", err);
    free(name);
    return ok;
}

/* Is node a possible owner under the group's policy (empty list: all)? */
static bool possible_owner(const char *policy_text, const char *node)
{
    json_t *policy = policy_text ? json_loads(policy_text, 0, NULL) : NULL;
    const char *list = wp_json_str(policy, "possible_owners");
    bool ok = !list || !*list;
    char *copy = ok ? NULL : strdup(list);
    char *save = NULL;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !ok;
         tok = strtok_r(NULL, ",", &save))
        ok = strcasecmp(tok, node) == 0;
    free(copy);
    json_decref(policy);
    return ok;
}

/* Why the group cannot move to `node` now, or NULL if it can. */
static const char *move_refusal(wp_db *db, const char *group, const char *node, wp_err *err,
                                bool *failed)
{
    sqlite3_stmt *st = db_stmt(db,
                               "SELECT g.policy, g.owner = ?2, n.paused, n.drained"
                               " FROM grp g, node n WHERE g.name = ?1 AND n.name = ?2",
                               err);
    *failed = st == NULL;
    if (!st)
        return NULL;
    const char *vals[2] = {group, node};
    db_bind_texts(st, 2, vals);
    const char *why = NULL;
    if (sqlite3_step(st) != SQLITE_ROW) {
        *failed = true;
        db_sql_fail(db, err, "read a group");
    } else if (!possible_owner((const char *)sqlite3_column_text(st, 0), node)) {
        why = "it is not in the group's possible_owners";
    } else if (sqlite3_column_int(st, 1) == 1) {
        why = "it already owns the group";
    } else if (sqlite3_column_int(st, 3)) {
        why = "it is drained";
    } else if (sqlite3_column_int(st, 2)) {
        why = "it is paused";
    }
    sqlite3_reset(st);
    return why;
}

/* Is the group's policy managed=false? */
static bool group_unmanaged(wp_db *db, const char *group)
{
    char *text = NULL;
    bool un = false;
    if (db_text(db, "SELECT policy FROM grp WHERE name = ?1", group, &text, NULL) > 0) {
        json_t *policy = json_loads(text, 0, NULL);
        const char *m = wp_json_str(policy, "managed");
        un = m && strcmp(m, "false") == 0;
        json_decref(policy);
    }
    free(text);
    return un;
}

bool db_op_group_move(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = db_group_name(db, wp_json_str(args, "name"), err);
    if (!name)
        return false;
    const char *to = wp_json_str(args, "to");
    char *node = to ? db_node_name(db, to, err) : strdup("@best");
    bool ok = node != NULL;
    if (!node && !to)
        oom(err, "move a group");
    else if (!node && err && err->code == WP_E_NOTFOUND) {
        wp_errf(err, WP_E_NOTFOUND, "cannot move group '%s' to node '%.100s'", name, to);
        wp_err_why(err, "the cluster has no node of that name");
        wp_err_todo(err, "list the nodes with 'wolfpack node list'");
    }
    if (ok && (wp_db_maintenance(db) || group_unmanaged(db, name))) {
        /* the coordinator consumes a move request it does not act on */
        bool maint = wp_db_maintenance(db);
        wp_errf(err, WP_E_CONFLICT, "cannot move group '%s'", name);
        wp_err_why(err, maint ? "the cluster is in maintenance mode: nothing is moved"
                              : "the group is unmanaged: the cluster does not move it");
        wp_err_todo(err,
                    maint ? "leave maintenance first ('wolfpack cluster maintenance off')"
                          : "manage it again first ('wolfpack group manage %s')",
                    name);
        ok = false;
    }
    if (ok && to) {
        bool failed = false;
        const char *why = move_refusal(db, name, node, err, &failed);
        ok = !failed && !why;
        if (why) {
            wp_errf(err, WP_E_CONFLICT, "cannot move group '%s' to node '%s'", name, node);
            wp_err_why(err, "%s", why);
            wp_err_todo(err, strstr(why, "possible_owners")
                                 ? "choose a possible owner, or add the node to possible_owners "
                                   "with 'wolfpack group set'"
                             : strstr(why, "owns") ? "nothing to do; choose another node to move it"
                                                   : "resume the node with 'wolfpack node "
                                                     "resume', or choose another node");
        }
    }
    if (ok && json_object_get(args, "until") && !to) {
        wp_errf(err, WP_E_INVALID, "cannot move group '%s' for a while", name);
        wp_err_why(err, "a lifetime needs a target node");
        wp_err_todo(err, "give --to NODE with --lifetime");
        ok = false;
    }
    const char *vals[2] = {name, node};
    ok = ok &&
         db_run(db, "UPDATE grp SET move_to = ?2 WHERE name = ?1", 2, vals, "move a group", err);
    if (ok && json_object_get(args, "until"))
        ok = db_constraint_prefer(db, name, node, args, err);
    free(node);
    free(name);
    return ok;
}

/* --- resources ------------------------------------------------------------ */

/* The stored name of a resource (its group goes to *group), or NULL. */
static char *resource_lookup(wp_db *db, const char *name, char **group, wp_err *err)
{
    char *stored = NULL;
    *group = db_resource_group(db, name, &stored, err);
    if (!*group)
        return NULL;
    return stored;
}

bool db_op_resource_online(wp_db *db, const json_t *args, wp_err *err)
{
    char *group = NULL;
    char *name = resource_lookup(db, wp_json_str(args, "name"), &group, err);
    if (!name)
        return false;
    const char *rv[1] = {name}, *gv[1] = {group}, *both[2] = {name, group};
    /* WSFC's meaning: the resource and what it depends on (transitively),
     * not the whole group.  In a group that was offline, everything else
     * stays offline (its target becomes offline: the group is now online
     * for these resources only; `group online` brings the rest). */
    bool ok = db_run(db,
                     "WITH RECURSIVE need(n) AS (SELECT ?1 UNION"
                     " SELECT d.dep FROM dependency d JOIN need ON d.res = need.n)"
                     " UPDATE resource SET target = 'offline' WHERE grp = ?2"
                     " AND name NOT IN (SELECT n FROM need)"
                     " AND EXISTS (SELECT 1 FROM grp WHERE name = ?2 AND target = 'offline')",
                     2, both, "bring a resource online", err) &&
              db_run(db,
                     "WITH RECURSIVE need(n) AS (SELECT ?1 UNION"
                     " SELECT d.dep FROM dependency d JOIN need ON d.res = need.n)"
                     " UPDATE resource SET target = 'online'"
                     " WHERE name IN (SELECT n FROM need) AND target = 'offline'",
                     1, rv, "bring a resource online", err) &&
              db_run(db,
                     "UPDATE resource SET target = 'online', restarts = '[]',"
                     " last_error = CASE state WHEN 'Failed' THEN NULL ELSE last_error END"
                     " WHERE name = ?1",
                     1, rv, "bring a resource online", err) &&
              db_failure_forget(db, name, err) &&
              db_run(db, "UPDATE grp SET target = 'online' WHERE name = ?1", 1, gv,
                     "bring a resource online", err);
    free(name);
    free(group);
    return ok;
}

bool db_op_resource_offline(wp_db *db, const json_t *args, wp_err *err)
{
    char *group = NULL;
    char *name = resource_lookup(db, wp_json_str(args, "name"), &group, err);
    if (!name)
        return false;
    const char *rv[1] = {name};
    bool ok = db_run(db, "UPDATE resource SET target = 'offline' WHERE name = ?1", 1, rv,
                     "take a resource offline", err);
    free(name);
    free(group);
    return ok;
}

bool db_op_resource_fail(wp_db *db, const json_t *args, wp_err *err)
{
    char *group = NULL;
    char *name = resource_lookup(db, wp_json_str(args, "name"), &group, err);
    if (!name)
        return false;
    char *state = NULL;
    bool ok = db_text(db, "SELECT state FROM resource WHERE name = ?1", name, &state, err) > 0;
    if (ok && strcmp(state, "Online") != 0) {
        wp_errf(err, WP_E_CONFLICT, "cannot simulate a failure of resource '%s'", name);
        wp_err_why(err, "it is %s; only an Online resource can fail", state);
        wp_err_todo(err,
                    "bring it online first ('wolfpack resource online %s') and wait "
                    "until 'wolfpack resource show' says Online",
                    name);
        ok = false;
    }
    const char *rv[1] = {name};
    ok = ok && db_run(db,
                      "UPDATE resource SET state = 'Failed', pending_since = NULL,"
                      " last_error = 'failure simulated by operator' WHERE name = ?1",
                      1, rv, "fail a resource", err);
    free(state);
    free(name);
    free(group);
    return ok;
}

/* --- clean-up and maintenance -------------------------------------------- */

/* Forget a resource's failures: its restart history, its last error, and
 * a Failed state (it becomes Offline on its node; the node's executor
 * probes it again and reports what really runs, docs/OPERATIONS.md). */
#define CLEANUP_SQL                                                                                \
    "UPDATE resource SET restarts = '[]', last_error = NULL,"                                      \
    " state = CASE state WHEN 'Failed' THEN 'Offline' ELSE state END,"                             \
    " pending_since = CASE state WHEN 'Failed' THEN NULL ELSE pending_since END"

bool db_op_resource_cleanup(wp_db *db, const json_t *args, wp_err *err)
{
    char *group = NULL;
    char *name = resource_lookup(db, wp_json_str(args, "name"), &group, err);
    if (!name)
        return false;
    const char *rv[1] = {name}, *gv[1] = {group};
    bool ok = db_run(db, CLEANUP_SQL " WHERE name = ?1", 1, rv, "clean up a resource", err) &&
              db_failure_forget(db, name, err) &&
              db_run(db, "UPDATE grp SET failovers = '[]' WHERE name = ?1", 1, gv,
                     "clean up a resource", err);
    free(name);
    free(group);
    return ok;
}

bool db_op_group_cleanup(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = db_group_name(db, wp_json_str(args, "name"), err);
    if (!name)
        return false;
    const char *vals[1] = {name};
    bool ok = db_run(db, CLEANUP_SQL " WHERE grp = ?1", 1, vals, "clean up a group", err) &&
              db_failure_forget_group(db, name, err) &&
              db_run(db, "UPDATE grp SET failovers = '[]' WHERE name = ?1", 1, vals,
                     "clean up a group", err);
    free(name);
    return ok;
}

bool db_op_cluster_maintenance(wp_db *db, const json_t *args, wp_err *err)
{
    const char *vals[1] = {json_is_true(json_object_get(args, "on")) ? "1" : "0"};
    return db_run(db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('maintenance', ?1)", 1, vals,
                  "change the maintenance mode", err);
}

/* The whole option set (the handler merged it): kept as one JSON text. */
bool db_op_cluster_quorum(wp_db *db, const json_t *args, wp_err *err)
{
    static const char *const keys[] = {"wait_for_all", "last_man_standing", "auto_tie_breaker",
                                       "qdevice_host", "qdevice_algorithm", "qdevice_tls"};
    json_t *q = json_object();
    for (size_t i = 0; q && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(args, keys[i]);
        if (v)
            json_object_set(q, keys[i], v);
    }
    char *text = q ? json_dumps(q, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(q);
    if (!text) {
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        return false;
    }
    const char *vals[1] = {text};
    bool ok = db_run(db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('quorum', ?1)", 1, vals,
                     "store the quorum options", err);
    free(text);
    return ok;
}

json_t *wp_db_quorum(wp_db *db, wp_err *err)
{
    char *v = NULL;
    if (db_text(db, "SELECT value FROM meta WHERE key = 'quorum'", NULL, &v, err) <= 0 || !v) {
        free(v);
        return NULL;
    }
    json_t *q = json_loads(v, 0, NULL);
    free(v);
    if (!q || !json_is_object(q)) {
        json_decref(q);
        wp_errf(err, WP_E_INTERNAL, "the stored quorum options are not a JSON object");
        return NULL;
    }
    return q;
}

bool wp_db_maintenance(wp_db *db)
{
    char *v = NULL;
    bool on = db_text(db, "SELECT value FROM meta WHERE key = 'maintenance'", NULL, &v, NULL) > 0 &&
              v && strcmp(v, "1") == 0;
    free(v);
    return on;
}

/* --- resource.report ------------------------------------------------------ */

static bool bad_value(wp_err *err, const char *op, const char *why, const char *value,
                      const char *todo)
{
    wp_errf(err, WP_E_INVALID, "cannot apply %s", op);
    wp_err_why(err, why, value);
    wp_err_todo(err, "%s", todo);
    return false;
}

static bool time_ok(const json_t *args, const char *op, int64_t *at, wp_err *err)
{
    *at = json_integer_value(json_object_get(args, "at"));
    if (*at >= 0)
        return true;
    return bad_value(err, op, "\"at\" is negative (%s)", "a time before 1970",
                     "send the unix time in seconds");
}

/* A copy of s cut to at most max bytes, at a UTF-8 character boundary. */
static char *utf8_cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
            n--;
    }
    return strndup(s, n);
}

/* An Offline report from one node about a resource recorded in another
 * state on another node says nothing about that node: an abandoned start
 * of a move (the plan stopped at the old node's failed stop) is reported
 * Offline on the new node, and must not erase the record of what still
 * runs on the old one (the group would start on the new node beside it).
 * true: keep the record as it is. */
static bool offline_elsewhere(wp_db *db, const char *name, const char *node, const char *state)
{
    if (strcmp(state, "Offline") != 0)
        return false;
    wp_err ignored = {0}; /* unreadable: the report is applied as before */
    sqlite3_stmt *st = db_stmt(db, "SELECT state, node FROM resource WHERE name = ?1", &ignored);
    bool keep = false;
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *was = (const char *)sqlite3_column_text(st, 0);
        const char *on = (const char *)sqlite3_column_text(st, 1);
        keep = was && on && strcmp(was, "Offline") != 0 && strcasecmp(on, node) != 0;
    }
    sqlite3_reset(st);
    return keep;
}

bool db_op_resource_report(wp_db *db, const json_t *args, wp_err *err)
{
    int64_t at;
    const char *state = word_find(resource_states, wp_json_str(args, "state"));
    if (!state)
        return bad_value(err, "resource.report", "\"state\" is '%.100s', not a resource state",
                         wp_json_str(args, "state"),
                         "send one of Online, Offline, Failed, Online Pending, Offline Pending");
    if (!time_ok(args, "resource.report", &at, err))
        return false;
    char *group = NULL;
    char *name = resource_lookup(db, wp_json_str(args, "name"), &group, err);
    char *node = name ? db_node_name(db, wp_json_str(args, "node"), err) : NULL;
    const char *error = wp_json_str(args, "error");
    char *cut = error ? utf8_cut(error, LAST_ERROR_MAX) : NULL;
    bool ok = node && (!error || cut);
    if (node && error && !cut)
        oom(err, "record a resource's state");
    if (ok && offline_elsewhere(db, name, node, state)) {
        free(cut);
        free(node);
        free(name);
        free(group);
        return true;
    }
    if (ok && strcmp(state, "Failed") == 0) {
        /* a Failed report of a resource being stopped: its stop failed.  The
         * reporter says so ("stop": a plan that moves the resource records
         * only the new node's start as pending, so the old node's failed
         * stop would pass for a failed start, and the group would start
         * elsewhere beside what may still run there) */
        char *before = NULL;
        ok = db_text(db, "SELECT state FROM resource WHERE name = ?1", name, &before, err) >= 0 &&
             db_failure_note(db, name, node, at,
                             json_is_true(json_object_get(args, "stop")) ||
                                 (before && strcmp(before, "Offline Pending") == 0),
                             err);
        free(before);
    }
    sqlite3_stmt *st = ok ? db_stmt(db,
                                    "UPDATE resource SET state = ?2, node = ?3, last_error = ?4,"
                                    " pending_since = ?5 WHERE name = ?1",
                                    err)
                          : NULL;
    if (st) {
        const char *vals[4] = {name, state, node, cut};
        db_bind_texts(st, 4, vals);
        if (is_pending(state))
            sqlite3_bind_int64(st, 5, at);
        ok = db_step_done(db, st, "record a resource's state", err) &&
             (strcmp(state, "Online") != 0 || db_new_clear(db, name, err));
    } else {
        ok = false;
    }
    free(cut);
    free(node);
    free(name);
    free(group);
    return ok;
}

/* --- sched.commit --------------------------------------------------------- */

/* Check that obj has exactly the keys of `keys` (each of the JSON type
 * given by the matching letter: s string, S string or null, b boolean). */
static bool entry_ok(const json_t *obj, const char *list, size_t i, const char *const *keys,
                     const char *types, wp_err *err)
{
    char where[64];
    snprintf(where, sizeof where, "%s[%zu]", list, i);
    if (!json_is_object(obj))
        return bad_value(err, "sched.commit", "%s is not an object", where,
                         "send the entries as documented in src/db/db.h");
    size_t n = 0;
    for (; keys[n]; n++) {
        const json_t *v = json_object_get(obj, keys[n]);
        bool good = types[n] == 's'   ? json_is_string(v)
                    : types[n] == 'S' ? json_is_string(v) || json_is_null(v)
                                      : json_is_boolean(v);
        if (!good) {
            char why[160];
            snprintf(why, sizeof why, "%%s: \"%s\" is missing or of the wrong type", keys[n]);
            return bad_value(err, "sched.commit", why, where,
                             "send the entries as documented in src/db/db.h");
        }
    }
    if (json_object_size(obj) != n)
        return bad_value(err, "sched.commit", "%s has keys that are not documented", where,
                         "send the entries as documented in src/db/db.h");
    return true;
}

/* Do two nullable names differ (ignoring case)? */
static bool owner_differs(const char *a, const char *b)
{
    if (!a || !b)
        return a != b;
    return strcasecmp(a, b) != 0;
}

static bool commit_decision(wp_db *db, const json_t *d, int64_t at, wp_err *err)
{
    const char *state = word_find(decision_states, wp_json_str(d, "state"));
    if (!state)
        return bad_value(err, "sched.commit", "decision state '%.100s' is not a group state",
                         wp_json_str(d, "state"),
                         "send one of Online, Partially Online, Offline, Failed, Pending");
    char *group = db_group_name(db, wp_json_str(d, "group"), err);
    if (!group)
        return false;
    const char *want = wp_json_str(d, "owner");
    char *owner = want ? db_node_name(db, want, err) : NULL;
    char *before = NULL;
    bool ok = (!want || owner) &&
              db_text(db, "SELECT owner FROM grp WHERE name = ?1 AND owner IS NOT NULL", group,
                      &before, err) >= 0;
    const char *gv[1] = {group};
    if (ok && owner_differs(before, owner))
        ok = db_run(db, "UPDATE resource SET restarts = '[]' WHERE grp = ?1", 1, gv,
                    "record a decision", err);
    if (ok && json_is_true(json_object_get(d, "failover")))
        ok = history_push(db, "SELECT failovers FROM grp WHERE name = ?1",
                          "UPDATE grp SET failovers = ?2 WHERE name = ?1", group, at, err);
    const char *vals[3] = {group, owner, state};
    ok = ok && db_run(db,
                      "UPDATE grp SET owner = ?2, sched_state = ?3, move_to = NULL"
                      " WHERE name = ?1",
                      3, vals, "record a decision", err);
    free(before);
    free(owner);
    free(group);
    return ok;
}

static bool commit_action(wp_db *db, const json_t *a, int64_t at, wp_err *err)
{
    const char *verb = wp_json_str(a, "action");
    bool restart = strcmp(verb, "restart") == 0;
    const char *state = restart || strcmp(verb, "start") == 0 ? "Online Pending"
                        : strcmp(verb, "stop") == 0           ? "Offline Pending"
                                                              : NULL;
    if (!state)
        return bad_value(err, "sched.commit", "action '%.100s' is not start, stop or restart", verb,
                         "send the scheduler's actions unchanged");
    char *group = NULL;
    char *name = resource_lookup(db, wp_json_str(a, "resource"), &group, err);
    char *node = name ? db_node_name(db, wp_json_str(a, "node"), err) : NULL;
    bool ok = node != NULL;
    if (ok && strcasecmp(group, wp_json_str(a, "group")) != 0) {
        wp_errf(err, WP_E_INVALID, "cannot apply sched.commit");
        wp_err_why(err, "an action names resource '%s' in group '%.100s', but it belongs to '%s'",
                   name, wp_json_str(a, "group"), group);
        wp_err_todo(err, "run the scheduler again on the current database");
        ok = false;
    }
    sqlite3_stmt *st = ok ? db_stmt(db,
                                    "UPDATE resource SET state = ?2, node = ?3,"
                                    " pending_since = ?4 WHERE name = ?1",
                                    err)
                          : NULL;
    if (st) {
        const char *vals[3] = {name, state, node};
        db_bind_texts(st, 3, vals);
        sqlite3_bind_int64(st, 4, at);
        ok = db_step_done(db, st, "record an action", err);
    } else {
        ok = false;
    }
    if (ok && restart)
        ok = history_push(db, "SELECT restarts FROM resource WHERE name = ?1",
                          "UPDATE resource SET restarts = ?2 WHERE name = ?1", name, at, err);
    free(node);
    free(name);
    free(group);
    return ok;
}

static bool commit_offline(wp_db *db, const json_t *r, wp_err *err)
{
    char *group = NULL;
    char *name = resource_lookup(db, json_string_value(r), &group, err);
    const char *vals[1] = {name};
    bool ok = name && db_run(db,
                             "UPDATE resource SET state = 'Offline', pending_since = NULL"
                             " WHERE name = ?1",
                             1, vals, "record a lost resource", err);
    free(name);
    free(group);
    return ok;
}

bool db_op_sched_commit(wp_db *db, const json_t *args, wp_err *err)
{
    static const char *const dkeys[] = {"group", "owner", "failover", "state", NULL};
    static const char *const akeys[] = {"action", "resource", "group", "node", NULL};
    int64_t at;
    if (!time_ok(args, "sched.commit", &at, err))
        return false;
    char *coordinator = db_node_name(db, wp_json_str(args, "coordinator"), err);
    if (!coordinator)
        return false;
    free(coordinator);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(args, "decisions"), i, v)
    {
        if (!entry_ok(v, "decisions", i, dkeys, "sSbs", err) || !commit_decision(db, v, at, err))
            return false;
    }
    /* What ran on a lost node is Offline before the actions place it anew. */
    json_array_foreach(json_object_get(args, "offline"), i, v)
    {
        if (!commit_offline(db, v, err))
            return false;
    }
    json_array_foreach(json_object_get(args, "actions"), i, v)
    {
        if (!entry_ok(v, "actions", i, akeys, "ssss", err) || !commit_action(db, v, at, err))
            return false;
    }
    return true;
}
