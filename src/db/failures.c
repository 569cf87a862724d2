/*
 * failures.c -- each resource's failure record: when it failed, on which
 * node, and whether a stop failed (docs/OPERATIONS.md, "A failing
 * resource").
 *
 * The record is one row of the meta table, key "failures:" + the stored
 * resource name, value {"nodes": {NODE: [unix times]}, "stop_failed":
 * NODE|null}, read and written with meta.c; keeping it there leaves the
 * schema (and every existing database) as it is.  resource.report with
 * state Failed appends to it (a Failed report while the resource is
 * Offline Pending is a failed stop), resource.cleanup / group.cleanup and
 * resource.delete remove it; node.down (fenced, confirmed, its watchdog)
 * forgets the failed stops on that node: it runs nothing any more.  Queries show the counts per
 * node; the scheduler input gets the times on the resource's node and whether its stop failed.
 * Deterministic, like every handler: the only time it knows is the report's `at`.
 */
#include "db_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/json.h"

/* The record of a resource (a new empty one when there is none); NULL on
 * an error. */
static json_t *record_read(wp_db *db, const char *resource, wp_err *err)
{
    json_t *rec = db_meta_read(db, "failures:", resource, err);
    if (rec && !json_is_object(json_object_get(rec, "nodes"))) {
        json_decref(rec);
        rec = json_pack("{s:{}, s:n}", "nodes", "stop_failed");
    }
    return rec;
}

bool db_failure_note(wp_db *db, const char *resource, const char *node, int64_t at, bool stop,
                     wp_err *err)
{
    json_t *rec = record_read(db, resource, err);
    if (!rec)
        return false;
    json_t *nodes = json_object_get(rec, "nodes");
    json_t *times = json_object_get(nodes, node);
    if (!json_is_array(times)) {
        times = json_array();
        json_object_set_new(nodes, node, times);
    }
    json_array_append_new(times, json_integer(at));
    while (json_array_size(times) > WP_DB_HISTORY_MAX)
        json_array_remove(times, 0);
    if (stop)
        json_object_set_new(rec, "stop_failed", json_string(node));
    bool ok = db_meta_write(db, "failures:", resource, rec, "record a resource's failure", err);
    json_decref(rec);
    return ok;
}

bool db_failure_forget(wp_db *db, const char *resource, wp_err *err)
{
    return db_meta_remove(db, "failures:", resource, "forget a resource's failures", err);
}

bool db_failure_forget_group(wp_db *db, const char *group, wp_err *err)
{
    const char *vals[1] = {group};
    return db_run(db,
                  "DELETE FROM meta WHERE key IN (SELECT 'failures:' || name FROM resource"
                  " WHERE grp = ?1)",
                  1, vals, "forget a group's failures", err);
}

bool db_failure_forget_stops(wp_db *db, const char *node, wp_err *err)
{
    const char *vals[1] = {node};
    return db_run(db,
                  "UPDATE meta SET value = json_set(value, '$.stop_failed', NULL)"
                  " WHERE key LIKE 'failures:%' AND json_valid(value)"
                  " AND json_extract(value, '$.stop_failed') = ?1 COLLATE NOCASE",
                  1, vals, "forget the failed stops of a node that is down", err);
}

json_t *db_failure_counts(wp_db *db, const char *resource)
{
    json_t *rec = record_read(db, resource, NULL);
    json_t *counts = json_object();
    const char *node;
    json_t *times;
    json_object_foreach(json_object_get(rec, "nodes"), node, times)
        json_object_set_new(counts, node, json_integer((json_int_t)json_array_size(times)));
    json_t *stop = json_object_get(rec, "stop_failed");
    json_t *out = json_pack("{s:o, s:O}", "failures", counts ? counts : json_object(),
                            "stop_failed", json_is_string(stop) ? stop : json_null());
    json_decref(rec);
    return out;
}

json_t *db_failure_sched(wp_db *db, const char *resource, const char *node, bool *stop_failed)
{
    json_t *rec = record_read(db, resource, NULL);
    const char *stopped = wp_json_str(rec, "stop_failed");
    *stop_failed = stopped && node && strcasecmp(stopped, node) == 0;
    json_t *times = node ? json_object_get(json_object_get(rec, "nodes"), node) : NULL;
    json_t *out = json_is_array(times) ? json_copy(times) : json_array();
    json_decref(rec);
    return out;
}

/* ---- new resources ------------------------------------------------------- */

static char *new_key(const char *resource)
{
    size_t n = strlen(resource) + sizeof "new:";
    char *key = malloc(n);
    if (key)
        snprintf(key, n, "new:%s", resource);
    return key;
}

bool db_new_set(wp_db *db, const char *resource, wp_err *err)
{
    char *key = new_key(resource);
    const char *vals[2] = {key, resource};
    /* only when it came in offline: added to a running group */
    bool ok = key && db_run(db,
                            "INSERT OR REPLACE INTO meta(key, value) SELECT ?1, 'true'"
                            " FROM resource WHERE name = ?2 AND target = 'offline'",
                            2, vals, "mark a new resource", err);
    free(key);
    return ok;
}

bool db_new_clear(wp_db *db, const char *resource, wp_err *err)
{
    char *key = new_key(resource);
    const char *vals[1] = {key};
    bool ok = key && db_run(db, "DELETE FROM meta WHERE key = ?1", 1, vals,
                            "clear a new resource's mark", err);
    free(key);
    return ok;
}

bool db_new_is(wp_db *db, const char *resource)
{
    char *key = new_key(resource), *text = NULL;
    int found = key ? db_text(db, "SELECT value FROM meta WHERE key = ?1", key, &text, NULL) : -1;
    free(key);
    free(text);
    return found > 0;
}
