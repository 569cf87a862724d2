/*
 * sched_export.c -- wp_db_sched_input: the scheduler's input JSON
 * (docs/SCHEDULER.md, the same format as tests/sched/<case>/input.json)
 * built from one version of the database plus what the database cannot
 * know: the membership (up_ids), the time and the time zone.
 *
 * The coordinator in wolfpackd feeds the result to wp_sched_input_parse and
 * wp_sched_run; tests/unit/test_db_runtime.c does the same so the two
 * formats can never drift apart.  Everything is read inside one read
 * transaction; lists are in name order, so the output is deterministic.
 */
#include "db_internal.h"

#include "../lib/model.h"

#include <stdlib.h>
#include <string.h>

static const char *col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

static json_t *col_nullable(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                       : json_string(col_text(st, col));
}

static json_t *col_history(sqlite3_stmt *st, int col)
{
    json_t *v = json_loads(col_text(st, col), 0, NULL);
    if (!json_is_array(v)) {
        json_decref(v);
        v = json_array();
    }
    return v;
}

static bool export_oom(wp_err *err)
{
    wp_errf(err, WP_E_IO, "cannot build the scheduler's input");
    wp_err_why(err, "out of memory");
    wp_err_todo(err, "free memory and retry");
    return false;
}

/* Step st to the end, turning each row into an array entry with row_fn. */
static bool rows_into(wp_db *db, sqlite3_stmt *st, json_t *list,
                      json_t *(*row_fn)(wp_db *, sqlite3_stmt *, const void *), const void *ctx,
                      wp_err *err)
{
    int rc;
    bool ok = true;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *row = row_fn(db, st, ctx);
        ok = row && json_array_append_new(list, row) == 0;
    }
    sqlite3_reset(st);
    if (!ok)
        return export_oom(err);
    return rc == SQLITE_DONE || db_sql_fail(db, err, "read the cluster for the scheduler");
}

typedef struct up_set {
    const uint32_t *ids;
    size_t n;
} up_set;

static json_t *node_row(wp_db *db, sqlite3_stmt *st, const void *ctx)
{
    const up_set *up = ctx;
    int64_t id = sqlite3_column_int64(st, 1);
    bool is_up = false;
    for (size_t i = 0; i < up->n && !is_up; i++)
        is_up = (int64_t)up->ids[i] == id;
    (void)db;
    return json_pack("{s:s, s:I, s:s, s:b, s:b}", "name", col_text(st, 0), "id", (json_int_t)id,
                     "state", is_up ? "up" : "down", "paused", sqlite3_column_int(st, 2) != 0,
                     "drained", sqlite3_column_int(st, 3) != 0);
}

/* ctx: the run's `now` (constraints that ended are left out). */
static json_t *group_row(wp_db *db, sqlite3_stmt *st, const void *ctx)
{
    json_t *row =
        json_pack("{s:s, s:o, s:o, s:s, s:o, s:o}", "name", col_text(st, 0), "policy",
                  db_json_column(st, 1), "owner", col_nullable(st, 2), "target", col_text(st, 3),
                  "move_to", col_nullable(st, 4), "failovers", col_history(st, 5));
    if (row)
        db_constraints_sched(db, col_text(st, 0), *(const int64_t *)ctx, row);
    return row;
}

/* Stored names of what a resource depends on, by name. */
static json_t *depends_on(wp_db *db, const char *name)
{
    sqlite3_stmt *st = db_stmt(db,
                               "SELECT r.name FROM dependency d JOIN resource r ON r.name = d.dep"
                               " WHERE d.res = ?1 ORDER BY r.name",
                               NULL);
    json_t *list = st ? json_array() : NULL;
    if (!list)
        return NULL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(list, json_string(col_text(st, 0)));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        return NULL;
    }
    return list;
}

static json_t *resource_row(wp_db *db, sqlite3_stmt *st, const void *ctx)
{
    (void)ctx;
    wp_rtype type;
    const char *cls =
        wp_rtype_parse(col_text(st, 2), &type, NULL) ? wp_rclass_name(wp_rtype_class(type)) : NULL;
    json_t *deps = depends_on(db, col_text(st, 0));
    if (!cls || !deps) {
        json_decref(deps);
        return NULL;
    }
    /* A resource whose node was removed ran nowhere the scheduler knows. */
    bool placed = sqlite3_column_type(st, 5) != SQLITE_NULL;
    const char *state = placed ? col_text(st, 4) : "Offline";
    json_t *pending = sqlite3_column_type(st, 7) == SQLITE_NULL
                          ? json_null()
                          : json_integer(sqlite3_column_int64(st, 7));
    bool stop_failed = false;
    json_t *failures =
        db_failure_sched(db, col_text(st, 0), placed ? col_text(st, 5) : NULL, &stop_failed);
    json_t *row = json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:s}", "name", col_text(st, 0), "group",
        col_text(st, 1), "type", col_text(st, 2), "class", cls, "depends_on", deps, "policy",
        db_json_column(st, 3), "state", state, "node", col_nullable(st, 5), "restarts",
        col_history(st, 6), "pending_since", pending, "target", col_text(st, 8));
    /* only when there is something: inputs of resources that never failed
     * stay as they were */
    if (row && json_array_size(failures) > 0)
        json_object_set(row, "failures", failures);
    if (row && stop_failed)
        json_object_set_new(row, "stop_failed", json_true());
    if (row && db_new_is(db, col_text(st, 0)))
        json_object_set_new(row, "new", json_true());
    if (row && strcmp(state, "Failed") == 0 &&
        wp_error_permanent((const char *)sqlite3_column_text(st, 9)))
        json_object_set_new(row, "permanent_failure", json_true());
    json_decref(failures);
    return row;
}

/* A group that was never placed, is meant to be offline, has no move asked
 * and runs nothing gives the scheduler nothing to do: leave it out, so a
 * cluster with thousands of configured but idle groups schedules in
 * proportion to what is active, not to what is configured. */
#define GROUP_ACTIVE                                                                               \
    "NOT (g.target = 'offline' AND g.owner IS NULL AND g.move_to IS NULL AND NOT EXISTS"           \
    " (SELECT 1 FROM resource r WHERE r.grp = g.name AND r.state <> 'Offline'))"

static json_t *export_all(wp_db *db, const up_set *up, int64_t now, long tz_offset, wp_err *err)
{
    sqlite3_stmt *sn = db_stmt(db, "SELECT name, id, paused, drained FROM node ORDER BY name", err);
    sqlite3_stmt *sg = sn ? db_stmt(db,
                                    "SELECT name, policy, owner, target, move_to, failovers"
                                    " FROM grp g WHERE " GROUP_ACTIVE " ORDER BY name",
                                    err)
                          : NULL;
    sqlite3_stmt *sr = sg ? db_stmt(db,
                                    "SELECT name, grp, type, policy, state, node, restarts,"
                                    " pending_since, target, last_error FROM resource WHERE grp IN"
                                    " (SELECT name FROM grp g WHERE " GROUP_ACTIVE ")"
                                    " ORDER BY name",
                                    err)
                          : NULL;
    if (!sr)
        return NULL;
    json_t *in = json_pack("{s:I, s:I, s:[], s:[], s:[]}", "now", (json_int_t)now, "tz_offset",
                           (json_int_t)tz_offset, "nodes", "groups", "resources");
    if (in && wp_db_maintenance(db))
        json_object_set_new(in, "maintenance", json_true());
    if (!in)
        return export_oom(err), NULL;
    /* rows_into resets each statement, so they can run one after another. */
    if (!rows_into(db, sn, json_object_get(in, "nodes"), node_row, up, err) ||
        !rows_into(db, sg, json_object_get(in, "groups"), group_row, &now, err) ||
        !rows_into(db, sr, json_object_get(in, "resources"), resource_row, NULL, err)) {
        json_decref(in);
        return NULL;
    }
    return in;
}

json_t *wp_db_sched_input(wp_db *db, const uint32_t *up_ids, size_t n_up, int64_t now,
                          long tz_offset, wp_err *err)
{
    up_set up = {up_ids, up_ids ? n_up : 0};
    sqlite3_stmt *begin = db_stmt(db, "BEGIN", err);
    if (!begin || !db_step_done(db, begin, "start reading", err))
        return NULL;
    json_t *in = export_all(db, &up, now, tz_offset, err);
    if (!sqlite3_get_autocommit(db->conn))
        sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL);
    return in;
}
