/*
 * audit.c -- who changed what: the cluster's change history
 * (`wolfpack history`, docs/OPERATIONS.md "Finding out why something
 * moved").
 *
 * wolfpackd adds to every change a client sends a "by" object: {"uid",
 * "user", "node", "at"} (the socket's peer credentials, the node that took
 * the request, its clock).  The command is replicated with it, and every
 * node's apply records it here, so the history is the same everywhere: one
 * meta row per change, key "audit:" + the database version the change got
 * (12 digits, so keys sort by version), value {"version", "at", "uid",
 * "user", "node", "op", "args"}.  The last WP_DB_AUDIT_KEEP changes are
 * kept.  Fence device properties (passwords) and node tasks' outputs (a
 * report part) are not recorded.  Keeping it
 * in meta leaves the schema (and every existing database) as it is.
 */
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/json.h"

#define WP_DB_AUDIT_KEEP 1000

/* The change's args as recorded: a fence device's props are left out. */
static json_t *recorded_args(const char *op, const json_t *args)
{
    json_t *copy = json_deep_copy(args);
    if (copy && strncmp(op, "fence.", 6) == 0 && json_object_get(copy, "props"))
        json_object_set_new(copy, "props", json_string("(not recorded)"));
    if (copy && strcmp(op, "app.task.done") == 0 && json_object_get(copy, "output"))
        json_object_set_new(copy, "output", json_string("(not recorded)")); /* a report part */
    return copy ? copy : json_object();
}

bool db_audit_record(wp_db *db, const json_t *cmd, wp_err *err)
{
    const json_t *by = json_object_get(cmd, "by");
    const char *op = wp_json_str(cmd, "op");
    if (!json_is_object(by) || !op)
        return true; /* wolfpackd's own commands carry no "by" */
    json_int_t version = (json_int_t)wp_db_version(db) + 1; /* the one this change gets */
    const json_t *at = json_object_get(by, "at"), *uid = json_object_get(by, "uid");
    const char *user = wp_json_str(by, "user");
    const char *node = wp_json_str(by, "node");
    json_t *entry = json_pack("{s:I, s:I, s:I, s:s, s:s, s:s, s:o}", "version", version, "at",
                              json_is_integer(at) ? json_integer_value(at) : (json_int_t)0, "uid",
                              json_is_integer(uid) ? json_integer_value(uid) : (json_int_t)-1,
                              "user", user ? user : "?", "node", node ? node : "?", "op", op,
                              "args", recorded_args(op, json_object_get(cmd, "args")));
    char *text = entry ? json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(entry);
    char key[32], oldest[32];
    snprintf(key, sizeof key, "audit:%012lld", (long long)version);
    snprintf(oldest, sizeof oldest, "audit:%012lld", (long long)(version - WP_DB_AUDIT_KEEP));
    const char *vals[2] = {key, text}, *old[1] = {oldest};
    bool ok = text &&
              db_run(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", 2, vals,
                     "record who made a change", err) &&
              db_run(db, "DELETE FROM meta WHERE key >= 'audit:' AND key < 'audit;' AND key <= ?1",
                     1, old, "prune the change history", err);
    if (!text) {
        wp_errf(err, WP_E_IO, "cannot record who made a change");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free memory and retry");
    }
    free(text);
    return ok;
}

json_t *wp_db_history(wp_db *db, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(
        db, "SELECT value FROM meta WHERE key >= 'audit:' AND key < 'audit;' ORDER BY key", err);
    if (!st)
        return NULL;
    json_t *list = json_array();
    int rc;
    while (list && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *e = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
        if (e)
            json_array_append_new(list, e);
    }
    sqlite3_reset(st);
    if (!list) {
        wp_errf(err, WP_E_IO, "cannot read the change history");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free memory and retry");
    }
    return list;
}
