/*
 * constraints.c -- the operator's placement constraints of a group, with
 * an optional end: `group move G --to N --lifetime 1h` (prefer N until
 * then), `group ban G --from N [--lifetime]` (never on N until then),
 * `group clear G` (drop both).  docs/OPERATIONS.md, "Moving for a while".
 *
 * One meta row per group, key "place:" + the stored group name, value
 * {"prefer": {"node": N, "until": T}, "ban": {N: T, ...}}; T is a unix
 * time chosen by the client (its clock: the database reads none), 0 for
 * "until cleared" (read and written with meta.c).  Keeping it in meta
 * leaves the schema as it is.  An expired constraint stays stored (group
 * show prints it as expired) but the scheduler input leaves it out;
 * `group clear` removes it.
 */
#include "db_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/json.h"

/* The constraints of a group (a new empty object when there are none). */
static json_t *place_read(wp_db *db, const char *group, wp_err *err)
{
    return db_meta_read(db, "place:", group, err);
}

/* Store rec; an empty rec removes the row. */
static bool place_write(wp_db *db, const char *group, json_t *rec, wp_err *err)
{
    if (json_object_size(rec) == 0)
        return db_meta_remove(db, "place:", group, "clear a group's constraints", err);
    return db_meta_write(db, "place:", group, rec, "record a placement constraint", err);
}

static bool until_ok(const json_t *args, json_int_t *until, wp_err *err)
{
    const json_t *u = json_object_get(args, "until");
    *until = u ? json_integer_value(u) : 0;
    if (*until >= 0)
        return true;
    wp_errf(err, WP_E_INVALID, "cannot record a placement constraint");
    wp_err_why(err, "\"until\" is negative (%lld)", (long long)*until);
    wp_err_todo(err, "send the unix time the constraint ends, or leave it out (until cleared)");
    return false;
}

bool db_constraint_prefer(wp_db *db, const char *group, const char *node, const json_t *args,
                          wp_err *err)
{
    json_int_t until;
    if (!until_ok(args, &until, err))
        return false;
    json_t *rec = place_read(db, group, err);
    if (!rec)
        return false;
    json_object_set_new(rec, "prefer", json_pack("{s:s, s:I}", "node", node, "until", until));
    bool ok = place_write(db, group, rec, err);
    json_decref(rec);
    return ok;
}

bool db_op_group_ban(wp_db *db, const json_t *args, wp_err *err)
{
    json_int_t until;
    char *name = db_group_name(db, wp_json_str(args, "name"), err);
    char *node = name ? db_node_name(db, wp_json_str(args, "node"), err) : NULL;
    json_t *rec = node && until_ok(args, &until, err) ? place_read(db, name, err) : NULL;
    bool ok = rec != NULL;
    if (ok) {
        json_t *ban = json_object_get(rec, "ban");
        if (!json_is_object(ban)) {
            ban = json_object();
            json_object_set_new(rec, "ban", ban);
        }
        json_object_set_new(ban, node, json_integer(until));
        ok = place_write(db, name, rec, err);
    }
    json_decref(rec);
    free(node);
    free(name);
    return ok;
}

bool db_op_group_clear(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = db_group_name(db, wp_json_str(args, "name"), err);
    json_t *empty = name ? json_object() : NULL;
    bool ok = empty && place_write(db, name, empty, err);
    json_decref(empty);
    free(name);
    return ok;
}

bool db_constraint_forget(wp_db *db, const char *group, wp_err *err)
{
    json_t *empty = json_object();
    bool ok = empty && place_write(db, group, empty, err);
    json_decref(empty);
    return ok;
}

json_t *db_constraints(wp_db *db, const char *group)
{
    return place_read(db, group, NULL);
}

/* A node removed since the constraint was made is left out of the input. */
static bool node_exists(wp_db *db, const char *node)
{
    return db_exists(db, "SELECT 1 FROM node WHERE name = ?1", node, NULL, NULL) == 1;
}

static bool in_force(const json_t *until, int64_t now)
{
    json_int_t t = json_integer_value(until);
    return t == 0 || t > now;
}

void db_constraints_sched(wp_db *db, const char *group, int64_t now, json_t *row)
{
    json_t *rec = place_read(db, group, NULL);
    json_t *prefer = json_object_get(rec, "prefer");
    const char *node;
    json_t *until;
    json_t *banned = json_array();
    const char *want = wp_json_str(prefer, "node");
    if (want && in_force(json_object_get(prefer, "until"), now) && node_exists(db, want))
        json_object_set_new(row, "prefer", json_string(want));
    json_object_foreach(json_object_get(rec, "ban"), node, until)
    {
        if (in_force(until, now) && node_exists(db, node))
            json_array_append_new(banned, json_string(node));
    }
    if (json_array_size(banned) > 0)
        json_object_set(row, "banned", banned);
    json_decref(banned);
    json_decref(rec);
}
