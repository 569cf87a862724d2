/*
 * query.c -- reading the cluster database as JSON, in exactly the shapes
 * documented in db.h (status, node, group, resource).  Lists are
 * deterministic: nodes and groups by name, a group's resources in
 * dependency order (dependencies first, ties by name), dependency lists by
 * name.  Each query reads inside one transaction, so it sees one version.
 *
 * A group's "state" is derived from its resources (db_group_state), except
 * that a group the scheduler's last decision left Failed stays Failed.
 */
#include "db_internal.h"

#include "../lib/json.h"
#include "../lib/model.h"

#include <stdlib.h>
#include <string.h>

static const char *col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* A read transaction around a query (queries run between commands). */
static bool read_begin(wp_db *db, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, "BEGIN", err);
    return st && db_step_done(db, st, "start reading", err);
}

static json_t *read_end(wp_db *db, json_t *result)
{
    if (!sqlite3_get_autocommit(db->conn))
        sqlite3_exec(db->conn, "COMMIT", NULL, NULL, NULL);
    return result;
}

/* A show query without a name is a caller's mistake, reported as one. */
static bool name_given(const char *kind, const char *name, wp_err *err)
{
    if (name)
        return true;
    wp_errf(err, WP_E_INVALID, "cannot show a %s", kind);
    wp_err_why(err, "no %s name was given", kind);
    wp_err_todo(err, "name the %s to show", kind);
    return false;
}

static json_t *oom(wp_err *err, json_t *partial)
{
    json_decref(partial);
    wp_errf(err, WP_E_IO, "cannot build a reply from the cluster database");
    wp_err_why(err, "out of memory");
    wp_err_todo(err, "free memory and retry");
    return NULL;
}

/* A nullable text column as JSON (null or a string). */
static json_t *col_json_text(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
                                                       : json_string(col_text(st, col));
}

static json_t *col_json_int(sqlite3_stmt *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL
               ? json_null()
               : json_integer(sqlite3_column_int64(st, col));
}

/* A history column (JSON array text) as a JSON array. */
static json_t *col_history(sqlite3_stmt *st, int col)
{
    const char *text = (const char *)sqlite3_column_text(st, col);
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_array(v)) {
        json_decref(v);
        v = json_array();
    }
    return v;
}

/* A JSON value made of the current row of st; NULL when out of memory. */
typedef json_t *(*row_json)(sqlite3_stmt *st);

/* Every row of sql, ?1 bound to name unless it is NULL, made into JSON by
 * row, in order; NULL with err set ("cannot `what`") on an error. */
static json_t *rows_read(wp_db *db, const char *sql, const char *name, row_json row,
                         const char *what, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, sql, err);
    if (!st)
        return NULL;
    if (name)
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    json_t *list = json_array();
    int rc = SQLITE_ROW;
    while (list && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *v = row(st);
        if (!v || json_array_append_new(list, v) != 0)
            break;
    }
    sqlite3_reset(st);
    if (!list || rc == SQLITE_ROW)
        return oom(err, list);
    if (rc != SQLITE_DONE) {
        json_decref(list);
        db_sql_fail(db, err, what);
        return NULL;
    }
    return list;
}

/* Rows as the first column alone, a string. */
static json_t *first_text(sqlite3_stmt *st)
{
    return json_string(col_text(st, 0));
}

/* Rows as {"name": the first column}. */
static json_t *name_object(sqlite3_stmt *st)
{
    return json_pack("{s:s}", "name", col_text(st, 0));
}

/* --- nodes ------------------------------------------------------------- */

static json_t *node_row(sqlite3_stmt *st)
{
    return json_pack("{s:s, s:I, s:s, s:b, s:b}", "name", col_text(st, 0), "id",
                     (json_int_t)sqlite3_column_int64(st, 1), "address", col_text(st, 2), "paused",
                     sqlite3_column_int(st, 3) != 0, "drained", sqlite3_column_int(st, 4) != 0);
}

static json_t *nodes_read(wp_db *db, const char *name, wp_err *err)
{
    return rows_read(db,
                     "SELECT name, id, address, paused, drained FROM node WHERE ?1 IS NULL OR"
                     " name = ?1 ORDER BY name",
                     name, node_row, "read the nodes", err);
}

json_t *wp_db_node_list(wp_db *db, wp_err *err)
{
    return read_begin(db, err) ? read_end(db, nodes_read(db, NULL, err)) : NULL;
}

/* `kind` NAME: the one object the reader lists for name, or NOT FOUND. */
static json_t *show_one(wp_db *db, const char *kind, const char *name,
                        json_t *(*read)(wp_db *, const char *, wp_err *), wp_err *err)
{
    if (!name_given(kind, name, err) || !read_begin(db, err))
        return NULL;
    json_t *list = read(db, name, err);
    json_t *one = json_array_get(list, 0);
    json_incref(one);
    json_decref(list);
    if (list && !one) {
        wp_errf(err, WP_E_NOTFOUND, "%s '%.100s' does not exist", kind, name);
        wp_err_why(err, "the cluster has no %s of that name", kind);
        wp_err_todo(err, "list the %ss with 'wolfpack %s list'", kind, kind);
    }
    return read_end(db, one);
}

json_t *wp_db_node_show(wp_db *db, const char *name, wp_err *err)
{
    return show_one(db, "node", name, nodes_read, err);
}

/* --- resources --------------------------------------------------------- */

static json_t *name_list(wp_db *db, const char *sql, const char *name, wp_err *err)
{
    return rows_read(db, sql, name, first_text, "read dependencies", err);
}

static json_t *resource_read(wp_db *db, const char *name, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db,
                               "SELECT name, grp, type, props, policy, state, target, node,"
                               " last_error, pending_since, restarts FROM resource"
                               " WHERE name = ?1",
                               err);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    json_t *r = NULL;
    if (rc == SQLITE_ROW) {
        wp_rtype type;
        const char *cls = wp_rtype_parse(col_text(st, 2), &type, NULL)
                              ? wp_rclass_name(wp_rtype_class(type))
                              : "unknown";
        r = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:o, s:o, s:o, s:o}", "name",
                      col_text(st, 0), "group", col_text(st, 1), "type", col_text(st, 2), "class",
                      cls, "props", db_json_column(st, 3), "policy", db_json_column(st, 4), "state",
                      col_text(st, 5), "target", col_text(st, 6), "node", col_json_text(st, 7),
                      "last_error", col_json_text(st, 8), "pending_since", col_json_int(st, 9),
                      "restarts", col_history(st, 10));
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE) {
        wp_errf(err, WP_E_NOTFOUND, "resource '%.100s' does not exist", name);
        wp_err_why(err, "no group of the cluster holds a resource of that name");
        wp_err_todo(err, "list the resources with 'wolfpack resource list'");
        return NULL;
    }
    if (rc != SQLITE_ROW) {
        db_sql_fail(db, err, "read a resource");
        return NULL;
    }
    if (!r)
        return oom(err, NULL);
    const char *stored = wp_json_str(r, "name");
    json_t *deps =
        name_list(db, "SELECT dep FROM dependency WHERE res = ?1 ORDER BY dep", stored, err);
    json_t *users =
        deps ? name_list(db, "SELECT res FROM dependency WHERE dep = ?1 ORDER BY res", stored, err)
             : NULL;
    if (!deps || !users) {
        json_decref(deps);
        json_decref(r);
        return NULL;
    }
    json_object_set_new(r, "depends_on", deps);
    json_object_set_new(r, "dependents", users);
    json_t *fails = db_failure_counts(db, stored);
    if (fails)
        json_object_update(r, fails);
    json_decref(fails);
    return r;
}

/* Names of a group's resources in dependency order (JSON array). */
static json_t *group_order(wp_db *db, const char *group, wp_err *err)
{
    db_graph g;
    if (!db_graph_load(db, group, &g, err))
        return NULL;
    size_t *order = db_graph_order(&g);
    json_t *list = order ? json_array() : NULL;
    for (size_t k = 0; list && k < g.n; k++)
        json_array_append_new(list, json_string(g.names[order[k]]));
    free(order);
    db_graph_free(&g);
    return list ? list : oom(err, NULL);
}

/* Append the resources of one group, in dependency order, to out. */
static bool group_resources(wp_db *db, const char *group, json_t *out, wp_err *err)
{
    json_t *names = group_order(db, group, err);
    size_t i;
    json_t *n;
    bool ok = names != NULL;
    json_array_foreach(names, i, n)
    {
        json_t *r = ok ? resource_read(db, json_string_value(n), err) : NULL;
        ok = r && json_array_append_new(out, r) == 0;
    }
    json_decref(names);
    return ok;
}

json_t *wp_db_resource_show(wp_db *db, const char *name, wp_err *err)
{
    if (!name_given("resource", name, err) || !read_begin(db, err))
        return NULL;
    return read_end(db, resource_read(db, name, err));
}

/* --- groups ------------------------------------------------------------ */

/* The state of a group seen from its resources (see db.h). */
static bool group_state(wp_db *db, const char *group, const char *sched_state, json_t *g,
                        wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db,
                               "SELECT count(*), total(state = 'Online'), total(state = 'Failed'),"
                               " total(state = 'Online Pending'), total(state = 'Offline Pending')"
                               " FROM resource WHERE grp = ?1",
                               err);
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, group, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_sql_fail(db, err, "read the state of a group");
    }
    long long n = sqlite3_column_int64(st, 0);
    double online = sqlite3_column_double(st, 1), failed = sqlite3_column_double(st, 2);
    double up_pending = sqlite3_column_double(st, 3), down_pending = sqlite3_column_double(st, 4);
    sqlite3_reset(st);
    const char *state = "Offline";
    if (sched_state && strcmp(sched_state, "Failed") == 0)
        state = "Failed";
    else if (n > 0 && online == (double)n)
        state = "Online";
    else if (online > 0)
        state = "Partially Online";
    else if (failed > 0)
        state = "Failed";
    else if (up_pending > 0)
        state = "Online Pending";
    else if (down_pending > 0)
        state = "Offline Pending";
    return json_object_set_new(g, "state", json_string(state)) == 0 || oom(err, NULL);
}

static json_t *group_row(sqlite3_stmt *st)
{
    return json_pack("{s:s, s:o, s:o, s:o, s:s, s:o, s:o}", "name", col_text(st, 0), "policy",
                     db_json_column(st, 1), "owner", col_json_text(st, 2), "sched_state",
                     col_json_text(st, 3), "target", col_text(st, 4), "move_to",
                     col_json_text(st, 5), "failovers", col_history(st, 6));
}

static json_t *groups_read(wp_db *db, const char *name, wp_err *err)
{
    json_t *list = rows_read(db,
                             "SELECT name, policy, owner, sched_state, target, move_to, failovers"
                             " FROM grp WHERE ?1 IS NULL OR name = ?1 ORDER BY name",
                             name, group_row, "read the groups", err);
    if (!list)
        return NULL;
    /* Order and state need the statement above finished: fill them in after. */
    size_t i;
    json_t *g;
    json_array_foreach(list, i, g)
    {
        const char *gname = wp_json_str(g, "name");
        json_t *names = group_order(db, gname, err);
        json_t *place = db_constraints(db, gname);
        if (place)
            json_object_set_new(g, "constraints", place);
        json_t *sched = json_incref(json_object_get(g, "sched_state"));
        json_object_del(g, "sched_state");
        bool ok = names && group_state(db, gname, json_string_value(sched), g, err);
        json_decref(sched);
        if (!ok) {
            json_decref(names);
            json_decref(list);
            return NULL;
        }
        json_object_set_new(g, "resources", names);
    }
    return list;
}

json_t *wp_db_group_list(wp_db *db, wp_err *err)
{
    return read_begin(db, err) ? read_end(db, groups_read(db, NULL, err)) : NULL;
}

json_t *wp_db_group_show(wp_db *db, const char *name, wp_err *err)
{
    return show_one(db, "group", name, groups_read, err);
}

/* Names of all groups (or of the one named, if it exists), by name: what
 * the resource list needs, without the per-group order and state that
 * groups_read() computes (the daemon lists the resources on every tick). */
static json_t *group_names(wp_db *db, const char *name, wp_err *err)
{
    return rows_read(db, "SELECT name FROM grp WHERE ?1 IS NULL OR name = ?1 ORDER BY name", name,
                     name_object, "read the groups", err);
}

json_t *wp_db_resource_list(wp_db *db, const char *group, wp_err *err)
{
    if (!read_begin(db, err))
        return NULL;
    json_t *groups = group_names(db, group, err);
    json_t *out = groups ? json_array() : NULL;
    if (groups && group && json_array_size(groups) == 0) {
        wp_errf(err, WP_E_NOTFOUND, "group '%.100s' does not exist", group);
        wp_err_why(err, "the cluster has no group of that name");
        wp_err_todo(err, "list the groups with 'wolfpack group list'");
        json_decref(out);
        out = NULL;
    }
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        if (!out)
            break;
        if (!group_resources(db, wp_json_str(g, "name"), out, err)) {
            json_decref(out);
            out = NULL;
        }
    }
    json_decref(groups);
    return read_end(db, out);
}

/* The resources of one type and/or placed on one node, by group and name:
 * what the daemon's per-node passes (monitors, probes, disk watchers) need,
 * without reading the other thousands of resources into JSON. */
json_t *wp_db_resource_select(wp_db *db, const char *type, const char *node, wp_err *err)
{
    if (!read_begin(db, err))
        return NULL;
    sqlite3_stmt *st = db_stmt(db,
                               "SELECT name FROM resource WHERE (?1 IS NULL OR type = ?1)"
                               " AND (?2 IS NULL OR node = ?2) ORDER BY grp, name",
                               err);
    if (!st)
        return read_end(db, NULL);
    if (type)
        sqlite3_bind_text(st, 1, type, -1, SQLITE_TRANSIENT);
    if (node)
        sqlite3_bind_text(st, 2, node, -1, SQLITE_TRANSIENT);
    json_t *names = json_array();
    int rc = SQLITE_ROW;
    while (names && (rc = sqlite3_step(st)) == SQLITE_ROW)
        if (json_array_append_new(names, json_string(col_text(st, 0))) != 0)
            break;
    sqlite3_reset(st);
    if (!names || rc == SQLITE_ROW) {
        json_decref(names);
        return read_end(db, oom(err, NULL));
    }
    if (rc != SQLITE_DONE) {
        json_decref(names);
        db_sql_fail(db, err, "read the resources");
        return read_end(db, NULL);
    }
    /* read each one after the statement above has finished */
    json_t *out = json_array();
    if (!out)
        oom(err, NULL);
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n)
    {
        json_t *r = out ? resource_read(db, json_string_value(n), err) : NULL;
        if (out && (!r || json_array_append_new(out, r) != 0)) {
            json_decref(out);
            out = r ? oom(err, NULL) : NULL; /* else resource_read said why */
        }
    }
    json_decref(names);
    return read_end(db, out);
}

/* --- status ------------------------------------------------------------ */

json_t *wp_db_status(wp_db *db, wp_err *err)
{
    if (!read_begin(db, err))
        return NULL;
    char *cluster = NULL;
    int found = db_text(db, "SELECT value FROM meta WHERE key = 'cluster' AND value IS NOT NULL",
                        NULL, &cluster, err);
    json_t *nodes = found >= 0 ? nodes_read(db, NULL, err) : NULL;
    json_t *groups = nodes ? groups_read(db, NULL, err) : NULL;
    json_t *status = NULL;
    if (groups) {
        status = json_pack("{s:o, s:I, s:b, s:o, s:o}", "cluster",
                           cluster ? json_string(cluster) : json_null(), "version",
                           (json_int_t)wp_db_version(db), "maintenance", wp_db_maintenance(db),
                           "nodes", nodes, "groups", groups);
        nodes = groups = NULL;
        if (!status)
            oom(err, NULL);
    }
    json_decref(nodes);
    json_decref(groups);
    free(cluster);
    return read_end(db, status);
}
