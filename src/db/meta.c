/*
 * meta.c -- one JSON object kept in a row of the meta table under the key
 * PREFIX + NAME ("place:web", "failures:db"): read it, write it, remove
 * it.  The records that live in meta rather than in a table of their own
 * (a group's placement constraints, constraints.c; a resource's failure
 * record, failures.c) use these three steps instead of each spelling the
 * key, the SQL and the JSON text again.
 */
#include "db_internal.h"

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
