/*
 * ops_group.c -- group.create, group.delete, group.set.  The policy steps
 * they share with resources are in policy.c, the name lookups in names.c.
 */
#include "db_internal.h"

#include "../lib/json.h"
#include "../lib/model.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool group_write(wp_db *db, const char *sql, const char *name, const json_t *policy,
                        wp_err *err)
{
    char *text = db_json_text(policy);
    sqlite3_stmt *st = text ? db_stmt(db, sql, err) : NULL;
    bool ok = st != NULL;
    if (ok) {
        const char *vals[2] = {name, text};
        db_bind_texts(st, 2, vals);
        ok = db_step_done(db, st, "write a group", err);
    } else if (!text) {
        wp_errf(err, WP_E_IO, "cannot write group '%s'", name);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free memory and retry");
    }
    free(text);
    return ok;
}

bool db_op_group_create(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    if (!wp_name_valid("group", name, err))
        return false;
    char *existing = NULL;
    int found = db_text(db, "SELECT name FROM grp WHERE name = ?1", name, &existing, err);
    if (found) {
        if (found > 0) {
            wp_errf(err, WP_E_EXISTS, "cannot create group '%s'", name);
            wp_err_why(err,
                       "group '%s' already exists (group names are unique, "
                       "ignoring case)",
                       existing);
            wp_err_todo(err, "choose another name, or change the existing group with "
                             "'wolfpack group set'");
        }
        free(existing);
        return false;
    }
    json_t *policy = wp_group_policy_defaults();
    const json_t *changes = json_object_get(args, "policy");
    bool ok = policy && (!changes || db_policy_merge(policy, changes, true, err)) &&
              db_owner_lists_check(db, policy, err) &&
              group_write(db, "INSERT INTO grp(name, policy) VALUES (?1, ?2)", name, policy, err);
    json_decref(policy);
    return ok;
}

bool db_op_group_delete(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = db_group_name(db, wp_json_str(args, "name"), err);
    if (!name)
        return false;
    bool ok = strcasecmp(name, WP_CLUSTER_GROUP) != 0;
    if (!ok) {
        wp_errf(err, WP_E_CONFLICT, "cannot delete group '%s'", name);
        wp_err_why(err, "it holds the cluster's own core resources and every cluster has it");
        wp_err_todo(err, "delete or move the resources you added to it instead");
    }
    bool failed = false;
    char *members = ok ? db_names_text(db, "SELECT name FROM resource WHERE grp = ?1 ORDER BY name",
                                       name, "read the resources of a group", &failed, err)
                       : NULL;
    if (ok && (failed || members)) {
        ok = false;
        if (members) {
            wp_errf(err, WP_E_CONFLICT, "cannot delete group '%s'", name);
            wp_err_why(err, "it still holds resources: %s", members);
            wp_err_todo(err, "delete its resources first (dependents before what they "
                             "depend on)");
        }
    }
    sqlite3_stmt *st = ok ? db_stmt(db, "DELETE FROM grp WHERE name = ?1", err) : NULL;
    if (st) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        ok = db_step_done(db, st, "delete a group", err) && db_constraint_forget(db, name, err);
    } else {
        ok = false;
    }
    free(members);
    free(name);
    return ok;
}

bool db_op_group_set(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = db_group_name(db, wp_json_str(args, "name"), err);
    if (!name)
        return false;
    char *text = NULL;
    bool ok = db_text(db, "SELECT policy FROM grp WHERE name = ?1", name, &text, err) > 0;
    json_t *policy = ok ? json_loads(text, 0, NULL) : NULL;
    if (ok && !json_is_object(policy)) {
        json_decref(policy);
        policy = wp_group_policy_defaults();
    }
    ok = ok && policy && db_policy_merge(policy, json_object_get(args, "policy"), true, err) &&
         db_owner_lists_check(db, policy, err) &&
         group_write(db, "UPDATE grp SET policy = ?2 WHERE name = ?1", name, policy, err);
    json_decref(policy);
    free(text);
    free(name);
    return ok;
}
