/*
 * ops_group.c -- group.create, group.delete, group.set, and the policy
 * helpers shared with resources: merging policy changes over the stored
 * (or default) policy through the model's validators, and checking that
 * owner lists name known nodes.
 */
#include "db_internal.h"

#include "../lib/model.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *db_group_name(wp_db *db, const char *name, wp_err *err)
{
    char *stored = NULL;
    if (db_text(db, "SELECT name FROM grp WHERE name = ?1", name, &stored, err) == 0) {
        wp_errf(err, WP_E_NOTFOUND, "group '%.100s' does not exist", name);
        wp_err_why(err, "the cluster has no group of that name");
        wp_err_todo(err, "list the groups with 'wolfpack group list', or create it first");
    }
    return stored;
}

bool db_policy_merge(json_t *policy, const json_t *changes, bool is_group, wp_err *err)
{
    json_t *defaults = is_group ? wp_group_policy_defaults() : wp_resource_policy_defaults();
    const char *key;
    json_t *value;
    bool ok = defaults != NULL;
    json_object_foreach((json_t *)changes, key, value)
    {
        if (!ok)
            break;
        char *norm = NULL;
        if (json_is_null(value)) {
            json_t *def = json_object_get(defaults, key);
            ok = def != NULL;
            if (ok) {
                json_object_set(policy, key, def);
                continue;
            }
            wp_errf(err, WP_E_INVALID, "unknown %s policy '%.100s'",
                    is_group ? "group" : "resource", key);
            wp_err_why(err, "no such policy key exists, so it has no default to reset to");
            wp_err_todo(err, "see 'wolfpack %s show' for the policy keys",
                        is_group ? "group" : "resource");
            continue;
        }
        ok = is_group ? wp_group_policy_validate(key, json_string_value(value), &norm, err)
                      : wp_resource_policy_validate(key, json_string_value(value), &norm, err);
        if (ok)
            json_object_set_new(policy, key, json_string(norm ? norm : json_string_value(value)));
        free(norm);
    }
    json_decref(defaults);
    /* Rules across keys live in the model, in one place.  For groups they
     * run in db_owner_lists_check, after the owner names are known to exist,
     * so an unknown node is reported as such first. */
    if (ok && !is_group)
        ok = wp_resource_policy_check(policy, err);
    return ok;
}

/* Check one comma list of node names; write it back with stored spellings. */
static bool owner_list_check(wp_db *db, json_t *policy, const char *key, wp_err *err)
{
    const char *list = json_string_value(json_object_get(policy, key));
    if (!list || !*list)
        return true;
    char *copy = strdup(list);
    json_t *names = json_array();
    char *save = NULL;
    bool ok = copy && names;
    for (char *tok = ok ? strtok_r(copy, ",", &save) : NULL; tok && ok;
         tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        char *end = tok + strlen(tok);
        while (end > tok && end[-1] == ' ')
            *--end = '\0';
        if (!*tok)
            continue;
        char *stored = db_node_name(db, tok, err);
        ok = stored != NULL;
        size_t i;
        json_t *seen;
        json_array_foreach(names, i, seen) if (ok && strcasecmp(json_string_value(seen), tok) == 0)
        {
            wp_errf(err, WP_E_INVALID, "node '%s' appears twice in %s", stored, key);
            wp_err_why(err, "an owner list names each node once");
            wp_err_todo(err, "remove the repeated name from %s", key);
            ok = false;
        }
        if (ok)
            json_array_append_new(names, json_string(stored));
        else if (stored == NULL && err && err->code == WP_E_NOTFOUND)
            wp_err_why(err, "%s names node '%s', which is not a member of the cluster", key, tok);
        free(stored);
    }
    size_t total = 1, i;
    json_t *n;
    json_array_foreach(names, i, n) total += strlen(json_string_value(n)) + 1;
    char *joined = ok ? calloc(1, total) : NULL;
    if (joined) {
        json_array_foreach(names, i, n)
        {
            if (i)
                strcat(joined, ",");
            strcat(joined, json_string_value(n));
        }
        json_object_set_new(policy, key, json_string(joined));
    }
    free(joined);
    free(copy);
    json_decref(names);
    return ok;
}

bool db_owner_lists_check(wp_db *db, json_t *policy, wp_err *err)
{
    return owner_list_check(db, policy, "preferred_owners", err) &&
           owner_list_check(db, policy, "possible_owners", err) &&
           wp_group_policy_check(policy, err);
}

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
    const char *name = json_string_value(json_object_get(args, "name"));
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

/* "a, b, c" of the resources of a group, or NULL when it has none. */
static char *group_members(wp_db *db, const char *group, wp_err *err, bool *failed)
{
    sqlite3_stmt *st = db_stmt(db, "SELECT name FROM resource WHERE grp = ?1 ORDER BY name", err);
    *failed = st == NULL;
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, group, -1, SQLITE_TRANSIENT);
    char buf[400] = "";
    size_t used = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && used < sizeof buf)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s'%s'", used ? ", " : "",
                                 sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        *failed = true;
        db_sql_fail(db, err, "read the resources of a group");
        return NULL;
    }
    return used ? strdup(buf) : NULL;
}

bool db_op_group_delete(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = db_group_name(db, json_string_value(json_object_get(args, "name")), err);
    if (!name)
        return false;
    bool ok = strcasecmp(name, WP_CLUSTER_GROUP) != 0;
    if (!ok) {
        wp_errf(err, WP_E_CONFLICT, "cannot delete group '%s'", name);
        wp_err_why(err, "it holds the cluster's own core resources and every cluster has it");
        wp_err_todo(err, "delete or move the resources you added to it instead");
    }
    bool failed = false;
    char *members = ok ? group_members(db, name, err, &failed) : NULL;
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
    char *name = db_group_name(db, json_string_value(json_object_get(args, "name")), err);
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
