/*
 * ops_fence.c -- fence devices (docs/FENCING.md): the commands fence.create
 * and fence.delete, and the queries that list them.
 *
 * A device is stored in the meta table under the key "fence:" + its name
 * in lower case (names compare case-insensitively), as the application
 * records are (ops_app.c), so the schema is unchanged and a device is
 * replicated, snapshotted and checksummed with everything else.  Its value:
 *
 *   {"name", "agent", "props": {k: v}, "nodes": [node...],
 *    "plugs": {node: plug}, "level": 1..9, "timeout": seconds}
 *
 * The handlers are deterministic: they check names, shapes, ranges and
 * that every node exists.  The agent's own parameters can only be checked
 * by running the agent (AGENT -o metadata), which wolfpackd does on the
 * node that takes the request, before it submits the command
 * (src/daemon/fencer.c).  Queries mask secret values (src/agents/fence.h)
 * unless the caller is wolfpackd's fencer (wp_db_fence_for_node).
 * node.remove drops the node from every device (db_fence_forget_node): a
 * device left with no node is deleted, and the node's fencing records go.
 */
#include "db_internal.h"

#include "../agents/fence.h"
#include "../lib/json.h"
#include "../lib/model.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define FENCE_PREFIX "fence:"
#define FENCE_TIMEOUT_MAX 3600

static bool oom(wp_err *err)
{
    wp_errf(err, WP_E_INTERNAL, "out of memory");
    wp_err_todo(err, "free memory and retry");
    return false;
}

static bool bad(wp_err *err, const char *what, const char *why, const char *todo)
{
    wp_errf(err, WP_E_INVALID, "%s", what);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "%s", todo);
    return false;
}

/* The stored value at key, NULL when absent (*failed false) or on error. */
static json_t *fence_get(wp_db *db, const char *key, bool *failed, wp_err *err)
{
    char *text = NULL;
    int found = db_text(db, "SELECT value FROM meta WHERE key = ?1", key, &text, err);
    *failed = found < 0;
    if (found <= 0)
        return NULL;
    json_t *v = json_loads(text, 0, NULL);
    free(text);
    if (!v) {
        *failed = true;
        wp_errf(err, WP_E_CORRUPT, "the cluster database holds a damaged fence device");
        wp_err_why(err, "the value of '%.100s' is not JSON", key);
        wp_err_todo(err, "delete the device (wolfpack fence delete) and create it again");
    }
    return v;
}

/* nodes: at least one, each an existing node (stored spelling), no twice. */
static json_t *checked_nodes(wp_db *db, const json_t *nodes, wp_err *err)
{
    if (json_array_size(nodes) == 0) {
        bad(err, "a fence device needs the nodes it can fence", "--nodes names no node",
            "give --nodes n1,n2 (the nodes this device powers)");
        return NULL;
    }
    json_t *out = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        char *stored = out ? db_node_name(db, json_string_value(n), err) : NULL;
        if (!stored) {
            json_decref(out);
            return NULL;
        }
        for (size_t j = 0; j < json_array_size(out); j++)
            if (strcasecmp(json_string_value(json_array_get(out, j)), stored) == 0) {
                free(stored);
                json_decref(out);
                bad(err, "a node is named twice in the fence device's nodes",
                    "each node may appear once", "name each node once in --nodes");
                return NULL;
            }
        json_array_append_new(out, json_string(stored));
        free(stored);
    }
    return out;
}

/* plugs: keys must be among nodes (rewritten to their stored spelling). */
static json_t *checked_plugs(const json_t *plugs, const json_t *nodes, wp_err *err)
{
    json_t *out = json_object();
    const char *node;
    json_t *plug;
    json_object_foreach((json_t *)plugs, node, plug)
    {
        const char *stored = NULL;
        for (size_t j = 0; j < json_array_size(nodes); j++)
            if (strcasecmp(json_string_value(json_array_get(nodes, j)), node) == 0)
                stored = json_string_value(json_array_get(nodes, j));
        const char *p = json_string_value(plug);
        if (!stored || !p[0] || !wp_fence_prop_valid("plug", p, err)) {
            json_decref(out);
            if (!stored || !p[0])
                bad(err, "a plug names a node the device does not fence, or is empty",
                    "plugs are given per node of --nodes, as NODE=PLUG",
                    "write e.g. --nodes n1=3,n2=4");
            return NULL;
        }
        json_object_set_new(out, stored, json_string(p));
    }
    return out;
}

static bool int_in(const json_t *v, json_int_t lo, json_int_t hi, json_int_t dflt, json_int_t *out)
{
    *out = v ? json_integer_value(v) : dflt;
    return *out >= lo && *out <= hi;
}

static json_t *build_device(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    const char *agent = wp_json_str(args, "agent");
    const json_t *props = json_object_get(args, "props");
    json_int_t level, timeout;
    if (!wp_name_valid("fence device", name, err) || !wp_fence_agent_name_valid(agent, err))
        return NULL;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        if (!wp_fence_prop_valid(key, json_string_value(v), err))
            return NULL;
    }
    if (!int_in(json_object_get(args, "level"), 1, WP_FENCE_LEVEL_MAX, 1, &level)) {
        bad(err, "bad fence level", "a level is a whole number from 1 to 9 (1 is tried first)",
            "give e.g. --level 2");
        return NULL;
    }
    if (!int_in(json_object_get(args, "timeout"), 1, FENCE_TIMEOUT_MAX, WP_FENCE_TIMEOUT_DEFAULT,
                &timeout)) {
        bad(err, "bad fence timeout", "the timeout of one agent run is 1 s to 1 h",
            "give e.g. --timeout 60");
        return NULL;
    }
    json_t *nodes = checked_nodes(db, json_object_get(args, "nodes"), err);
    json_t *plugs = nodes ? checked_plugs(json_object_get(args, "plugs"), nodes, err) : NULL;
    if (!plugs) {
        json_decref(nodes);
        return NULL;
    }
    json_t *dev = json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:I}", "name", name, "agent", agent,
                            "props", props ? json_deep_copy(props) : json_object(), "nodes", nodes,
                            "plugs", plugs, "level", level, "timeout", timeout);
    if (!dev)
        oom(err);
    return dev;
}

bool db_op_fence_create(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    char *key = db_meta_key_ci(FENCE_PREFIX, name);
    bool failed = false;
    json_t *old = key ? fence_get(db, key, &failed, err) : NULL;
    bool ok = key && !failed;
    if (!key)
        oom(err);
    if (ok && old) {
        wp_errf(err, WP_E_EXISTS, "fence device %.63s exists", name);
        wp_err_why(err, "fence device names are unique (case-insensitive)");
        wp_err_todo(err, "choose another name, or `wolfpack fence delete %.63s` first", name);
        ok = false;
    }
    json_t *dev = ok ? build_device(db, args, err) : NULL;
    char *text = dev ? db_json_text(dev) : NULL;
    const char *vals[2] = {key, text};
    ok = text && db_run(db, "INSERT INTO meta(key, value) VALUES (?1, ?2)", 2, vals,
                        "store a fence device", err);
    free(text);
    json_decref(dev);
    json_decref(old);
    free(key);
    return ok;
}

bool db_op_fence_delete(wp_db *db, const json_t *args, wp_err *err)
{
    return db_meta_delete_ci(db, FENCE_PREFIX, wp_json_str(args, "name"), "fence device", "fence",
                             err);
}

/* ---- queries ------------------------------------------------------------ */

static int by_level_name(const void *a, const void *b)
{
    const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t lx = json_integer_value(json_object_get(x, "level"));
    json_int_t ly = json_integer_value(json_object_get(y, "level"));
    if (lx != ly)
        return lx < ly ? -1 : 1;
    return strcasecmp(wp_json_str(x, "name"), wp_json_str(y, "name"));
}

static bool fences_node(const json_t *dev, const char *node)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(dev, "nodes"), i, n)
    {
        if (strcasecmp(json_string_value(n), node) == 0)
            return true;
    }
    return false;
}

/* Every device (node: only those that fence it), by level then name;
 * secrets masked when masked. */
static json_t *fence_select(wp_db *db, const char *node, bool masked, wp_err *err)
{
    json_t *all = db_meta_list(db, FENCE_PREFIX, "read the fence devices", err);
    size_t n = json_array_size(all), kept = 0, i;
    json_t **devs = n ? calloc(n, sizeof *devs) : NULL;
    json_t *v, *out = all && (devs || !n) ? json_array() : NULL;
    if (all && !out)
        oom(err);
    json_array_foreach(out ? all : NULL, i, v)
    {
        if (!node || fences_node(v, node))
            devs[kept++] = v;
    }
    if (kept)
        qsort(devs, kept, sizeof *devs, by_level_name);
    for (i = 0; i < kept; i++) {
        if (masked)
            json_object_set_new(devs[i], "props",
                                wp_fence_props_masked(json_object_get(devs[i], "props")));
        json_array_append(out, devs[i]);
    }
    free(devs);
    json_decref(all);
    return out;
}

json_t *wp_db_fence_list(wp_db *db, wp_err *err)
{
    return fence_select(db, NULL, true, err);
}

json_t *wp_db_fence_show(wp_db *db, const char *name, bool masked, wp_err *err)
{
    char *key = db_meta_key_ci(FENCE_PREFIX, name);
    bool failed = false;
    json_t *dev = key ? fence_get(db, key, &failed, err) : NULL;
    bool missing = key && !dev && !failed;
    free(key);
    if (!key)
        oom(err);
    if (missing) {
        wp_errf(err, WP_E_NOTFOUND, "no fence device %.63s", name);
        wp_err_why(err, "the cluster database has no fence device of that name");
        wp_err_todo(err, "list the devices with `wolfpack fence list`");
    }
    if (dev && masked)
        json_object_set_new(dev, "props", wp_fence_props_masked(json_object_get(dev, "props")));
    return dev;
}

json_t *wp_db_fence_for_node(wp_db *db, const char *node, wp_err *err)
{
    return fence_select(db, node, false, err);
}

/* ---- proof that a lost node is down (recovery, docs/FENCING.md) ----------
 *
 *   fencing:NODE    {"node", "state": "fencing"|"failed"|"self-fencing"|
 *                   "unfenceable", "at", "error"?} what the coordinator is
 *                   doing about a lost node (unfenceable: it has no fence
 *                   device and no watchdog; its groups wait for confirm-down)
 *   fencing         "off": the operator's cluster-wide opt-out (cluster.fencing
 *                   {on: false}); absent or "on": recovery waits for proof
 *   node-down:NODE  {"node", "how": "fenced"|"confirmed"|"watchdog", "at",
 *                   "detail"?} the proof: fenced by a device, confirmed by
 *                   hand, or its watchdog's deadline passed; removed when
 *                   the node is a member again
 *   watchdog:NODE   {"node", "timeout"} the node pets a watchdog that resets
 *                   it within timeout seconds once it stops (its wolfpackd
 *                   announces it; timeout 0 removes it)
 *   poison:NODE     {"node"} the poison pill: the node stops petting
 */

static char *state_key(const char *prefix, const char *node)
{
    size_t n = strlen(prefix) + strlen(node) + 1;
    char *k = malloc(n);
    if (!k)
        return NULL;
    snprintf(k, n, "%s%s", prefix, node);
    for (char *c = k + strlen(prefix); *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return k;
}

static bool put(wp_db *db, const char *key, const json_t *value, const char *what, wp_err *err)
{
    char *text = db_json_text(value);
    const char *vals[2] = {key, text};
    bool ok = text && db_run(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", 2, vals,
                             what, err);
    if (!text)
        oom(err);
    free(text);
    return ok;
}

static bool del(wp_db *db, const char *prefix, const char *node, wp_err *err)
{
    char *key = state_key(prefix, node);
    const char *vals[1] = {key};
    bool ok = key && db_run(db, "DELETE FROM meta WHERE key = ?1", 1, vals,
                            "remove a fencing record", err);
    if (!key)
        oom(err);
    free(key);
    return ok;
}

static bool one_of(const char *v, const char *a, const char *b)
{
    return v && (strcmp(v, a) == 0 || strcmp(v, b) == 0);
}

static bool one_of3(const char *v, const char *a, const char *b, const char *c)
{
    return one_of(v, a, b) || (v && strcmp(v, c) == 0);
}

bool db_op_node_fencing(wp_db *db, const json_t *args, wp_err *err)
{
    const char *state = wp_json_str(args, "state");
    if (!one_of3(state, "fencing", "failed", "self-fencing") &&
        !(state && strcmp(state, "unfenceable") == 0))
        return bad(err, "bad fencing state",
                   "node.fencing takes state fencing, failed, self-fencing or unfenceable",
                   "send state fencing, failed, self-fencing or unfenceable");
    char *node = db_node_name(db, wp_json_str(args, "name"), err);
    char *key = node ? state_key("fencing:", node) : NULL;
    json_t *rec =
        key ? json_pack("{s:s, s:s, s:O, s:O?}", "node", node, "state", state, "at",
                        json_object_get(args, "at"), "error", json_object_get(args, "error"))
            : NULL;
    bool ok = rec && put(db, key, rec, "record a fencing", err);
    json_decref(rec);
    free(key);
    free(node);
    return ok;
}

static bool node_down(wp_db *db, const json_t *args, const char *how, wp_err *err)
{
    char *node = db_node_name(db, wp_json_str(args, "name"), err);
    char *key = node ? state_key("node-down:", node) : NULL;
    json_t *rec =
        key ? json_pack("{s:s, s:s, s:O, s:O?}", "node", node, "how", how, "at",
                        json_object_get(args, "at"), "detail", json_object_get(args, "detail"))
            : NULL;
    bool ok = rec && put(db, key, rec, "record that a node is down", err) &&
              del(db, "fencing:", node, err) && db_failure_forget_stops(db, node, err);
    json_decref(rec);
    free(key);
    free(node);
    return ok;
}

bool db_op_node_down(wp_db *db, const json_t *args, wp_err *err)
{
    const char *how = wp_json_str(args, "how");
    if (!one_of3(how, "fenced", "confirmed", "watchdog"))
        return bad(err, "bad proof", "node.down takes how fenced, confirmed or watchdog",
                   "send how fenced, confirmed or watchdog");
    return node_down(db, args, how, err);
}

bool db_op_node_confirm_down(wp_db *db, const json_t *args, wp_err *err)
{
    return node_down(db, args, "confirmed", err);
}

bool db_op_node_rejoined(wp_db *db, const json_t *args, wp_err *err)
{
    char *node = db_node_name(db, wp_json_str(args, "name"), err);
    bool ok = node && del(db, "node-down:", node, err) && del(db, "fencing:", node, err);
    free(node);
    return ok;
}

/* cluster.fencing {on}: off is the operator's opt-out (meta 'fencing') */
bool db_op_cluster_fencing(wp_db *db, const json_t *args, wp_err *err)
{
    const char *vals[1] = {json_is_true(json_object_get(args, "on")) ? "on" : "off"};
    return db_run(db, "INSERT OR REPLACE INTO meta(key, value) VALUES ('fencing', ?1)", 1, vals,
                  "change the fencing setting", err);
}

bool wp_db_fencing_enabled(wp_db *db)
{
    char *v = NULL;
    bool off = db_text(db, "SELECT value FROM meta WHERE key = 'fencing'", NULL, &v, NULL) > 0 &&
               v && strcmp(v, "off") == 0;
    free(v);
    return !off;
}

/* fence.record {op, name, action?, ok, result?}: nothing but its history
 * entry (audit.c records every command with "by"). */
bool db_op_fence_record(wp_db *db, const json_t *args, wp_err *err)
{
    const char *op = wp_json_str(args, "op");
    const char *result = wp_json_str(args, "result");
    (void)db;
    if (strcmp(op, "node.fence") != 0 && strcmp(op, "fence.test") != 0)
        return bad(err, "bad fence record", "fence.record records node.fence or fence.test",
                   "send op node.fence or fence.test");
    if (result && strlen(result) > WP_DB_FENCE_RECORD_MAX)
        return bad(err, "bad fence record", "the result is longer than 2048 bytes",
                   "send the run's summary cut to 2048 bytes");
    return true;
}

/* node.watchdog {name, timeout}: the node's self-fence time (0: none) */
bool db_op_node_watchdog(wp_db *db, const json_t *args, wp_err *err)
{
    json_int_t timeout = json_integer_value(json_object_get(args, "timeout"));
    if (timeout < 0 || timeout > WP_DB_WATCHDOG_MAX)
        return bad(err, "bad watchdog timeout", "node.watchdog takes 0 to 3600 seconds",
                   "send a timeout from 0 (no watchdog) to 3600");
    char *node = db_node_name(db, wp_json_str(args, "name"), err);
    char *key = node ? state_key("watchdog:", node) : NULL;
    json_t *rec = key ? json_pack("{s:s, s:I}", "node", node, "timeout", timeout) : NULL;
    bool ok = rec && (timeout == 0 ? del(db, "watchdog:", node, err)
                                   : put(db, key, rec, "record a node's watchdog", err));
    json_decref(rec);
    free(key);
    free(node);
    return ok;
}

bool db_op_node_poison(wp_db *db, const json_t *args, wp_err *err)
{
    char *node = db_node_name(db, wp_json_str(args, "name"), err);
    char *wkey = node ? state_key("watchdog:", node) : NULL;
    char *key = node ? state_key("poison:", node) : NULL;
    json_t *rec = key ? json_pack("{s:s}", "node", node) : NULL;
    const char *vals[1] = {wkey};
    bool has_watchdog = false;
    sqlite3_stmt *st = wkey ? db_stmt(db, "SELECT 1 FROM meta WHERE key = ?1", err) : NULL;
    if (st) {
        sqlite3_bind_text(st, 1, vals[0], -1, SQLITE_STATIC);
        has_watchdog = sqlite3_step(st) == SQLITE_ROW;
        sqlite3_reset(st);
    }
    bool ok = rec && st;
    if (ok && !has_watchdog) {
        ok = false;
        wp_errf(err, WP_E_CONFLICT, "node %s has no watchdog", node);
        wp_err_why(err,
                   "a poison pill makes a node stop petting its watchdog, and %s announced "
                   "none (wolfpackd --watchdog)",
                   node);
        wp_err_todo(err, "fence it through its fence devices: wolfpack node fence %s", node);
    }
    ok = ok && put(db, key, rec, "record a poison pill", err);
    json_decref(rec);
    free(key);
    free(wkey);
    free(node);
    return ok;
}

bool db_op_node_unpoison(wp_db *db, const json_t *args, wp_err *err)
{
    char *node = db_node_name(db, wp_json_str(args, "name"), err);
    bool ok = node && del(db, "poison:", node, err);
    free(node);
    return ok;
}

static const char *status_section(const char *key)
{
    return key[0] == 'f'   ? "fencing"
           : key[0] == 'w' ? "watchdog"
           : key[0] == 'p' ? "poison"
                           : "down";
}

/* {"fencing": {node: rec}, "down": {node: rec}, "watchdog": {node: rec}} */
json_t *wp_db_fence_status(wp_db *db, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db,
                               "SELECT key, value FROM meta WHERE substr(key, 1, 8) = 'fencing:'"
                               " OR substr(key, 1, 10) = 'node-down:'"
                               " OR substr(key, 1, 9) = 'watchdog:'"
                               " OR substr(key, 1, 7) = 'poison:' ORDER BY key",
                               err);
    if (!st)
        return NULL;
    json_t *out = json_pack("{s:{}, s:{}, s:{}, s:{}}", "fencing", "down", "watchdog", "poison");
    int rc;
    while (out && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *t = (const char *)sqlite3_column_text(st, 1);
        json_t *v = t ? json_loads(t, 0, NULL) : NULL;
        const char *node = wp_json_str(v, "node");
        if (node)
            json_object_set(json_object_get(out, status_section(k)), node, v);
        json_decref(v);
    }
    if (out)
        json_object_set_new(out, "enabled", json_boolean(wp_db_fencing_enabled(db)));
    if (out && rc != SQLITE_DONE) {
        db_sql_fail(db, err, "read the fencing records");
        json_decref(out);
        out = NULL;
    }
    sqlite3_reset(st);
    return out;
}

/* ---- node.remove: the removed node leaves every device ---------------------- */

/* Drop node from one device's value; true when that changed it. */
static bool device_drop_node(json_t *dev, const char *node)
{
    json_t *nodes = json_object_get(dev, "nodes");
    bool changed = false;
    for (size_t i = json_array_size(nodes); i-- > 0;)
        if (strcasecmp(json_string_value(json_array_get(nodes, i)), node) == 0) {
            json_array_remove(nodes, i);
            changed = true;
        }
    json_t *plugs = json_object_get(dev, "plugs");
    const char *k;
    json_t *v;
    void *tmp;
    json_object_foreach_safe(plugs, tmp, k, v)
    {
        if (strcasecmp(k, node) == 0)
            json_object_del(plugs, k);
    }
    return changed;
}

/* Every device as [[key, value]...] (read before any is changed). */
static json_t *devices_all(wp_db *db, wp_err *err)
{
    sqlite3_stmt *st =
        db_stmt(db, "SELECT key, value FROM meta WHERE key LIKE 'fence:%' ORDER BY key", err);
    json_t *out = st ? json_array() : NULL;
    int rc;
    while (out && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *v = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
        if (v)
            json_array_append_new(out,
                                  json_pack("[s, o]", (const char *)sqlite3_column_text(st, 0), v));
    }
    if (st)
        sqlite3_reset(st);
    return out;
}

bool db_fence_forget_node(wp_db *db, const char *node, wp_err *err)
{
    json_t *all = devices_all(db, err);
    bool ok = all != NULL;
    size_t i;
    json_t *row;
    json_array_foreach(all, i, row)
    {
        const char *key = json_string_value(json_array_get(row, 0));
        json_t *dev = json_array_get(row, 1);
        if (!ok || !device_drop_node(dev, node))
            continue;
        const char *vals[1] = {key};
        ok = json_array_size(json_object_get(dev, "nodes")) == 0
                 ? db_run(db, "DELETE FROM meta WHERE key = ?1", 1, vals,
                          "remove a fence device left with no node", err)
                 : put(db, key, dev, "drop a removed node from a fence device", err);
    }
    json_decref(all);
    static const char *const records[] = {"fencing:", "node-down:", "watchdog:", "poison:"};
    for (size_t r = 0; ok && r < sizeof records / sizeof *records; r++)
        ok = del(db, records[r], node, err);
    return ok;
}
