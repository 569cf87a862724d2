/*
 * meta.c -- one JSON object kept in a row of the meta table under the key
 * PREFIX + NAME ("place:web", "failures:db"): read it, write it, remove
 * it.  The records that live in meta rather than in a table of their own
 * (a group's placement constraints, constraints.c; a resource's failure
 * record, failures.c) use these three steps instead of each spelling the
 * key, the SQL and the JSON text again.  Records named case-insensitively
 * (alert agents, ops_alert.c; fence devices, ops_fence.c) are keyed by
 * db_meta_key_ci, listed with db_meta_list and deleted with
 * db_meta_delete_ci.
 */
#include "db_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static char *meta_key(const char *prefix, const char *name)
{
    size_t n = strlen(prefix) + strlen(name) + 1;
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "%s%s", prefix, name);
    return key;
}

char *db_meta_key_ci(const char *prefix, const char *name)
{
    char *key = meta_key(prefix, name);
    for (char *c = key ? key + strlen(prefix) : NULL; c && *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return key;
}

static bool out_of_memory(const char *what, wp_err *err)
{
    wp_errf(err, WP_E_IO, "cannot %s", what);
    wp_err_why(err, "out of memory");
    wp_err_todo(err, "free memory and retry");
    return false;
}

json_t *db_meta_read(wp_db *db, const char *prefix, const char *name, wp_err *err)
{
    char *key = meta_key(prefix, name), *text = NULL;
    int found = key ? db_text(db, "SELECT value FROM meta WHERE key = ?1", key, &text, err) : -1;
    free(key);
    if (found < 0)
        return NULL;
    json_t *rec = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    if (!json_is_object(rec)) {
        json_decref(rec);
        rec = json_object();
    }
    return rec;
}

bool db_meta_write(wp_db *db, const char *prefix, const char *name, const json_t *rec,
                   const char *what, wp_err *err)
{
    char *key = meta_key(prefix, name);
    char *text = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
    const char *vals[2] = {key, text};
    bool ok = key && text ? db_run(db, "INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", 2,
                                   vals, what, err)
                          : out_of_memory(what, err);
    free(key);
    free(text);
    return ok;
}

bool db_meta_remove(wp_db *db, const char *prefix, const char *name, const char *what, wp_err *err)
{
    char *key = meta_key(prefix, name);
    const char *vals[1] = {key};
    bool ok = key ? db_run(db, "DELETE FROM meta WHERE key = ?1", 1, vals, what, err)
                  : out_of_memory(what, err);
    free(key);
    return ok;
}

json_t *db_meta_list(wp_db *db, const char *prefix, const char *what, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(
        db, "SELECT value FROM meta WHERE substr(key, 1, length(?1)) = ?1 ORDER BY key", err);
    if (!st)
        return NULL;
    json_t *out = json_array();
    int rc = sqlite3_bind_text(st, 1, prefix, -1, SQLITE_STATIC);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        json_t *v = t ? json_loads(t, 0, NULL) : NULL;
        if (json_is_object(v))
            json_array_append_new(out, v);
        else
            json_decref(v);
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE || !out) {
        json_decref(out);
        out = NULL;
        db_sql_fail(db, err, what);
    }
    sqlite3_reset(st);
    return out;
}

bool db_meta_delete_ci(wp_db *db, const char *prefix, const char *name, const char *kind,
                       const char *verb, wp_err *err)
{
    char *key = db_meta_key_ci(prefix, name);
    int found = key ? db_exists(db, "SELECT 1 FROM meta WHERE key = ?1", key, NULL, err) : -1;
    if (!key)
        out_of_memory("remove a record", err);
    if (found == 0) {
        wp_errf(err, WP_E_NOTFOUND, "no %s %.63s", kind, name);
        wp_err_why(err, "the cluster database has no %s of that name", kind);
        wp_err_todo(err, "list them with `wolfpack %s list`", verb);
    }
    const char *vals[1] = {key};
    bool ok = found == 1 &&
              db_run(db, "DELETE FROM meta WHERE key = ?1", 1, vals, "remove a record", err);
    free(key);
    return ok;
}
