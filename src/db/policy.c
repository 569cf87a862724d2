/*
 * policy.c -- the policy steps shared by group and resource commands:
 * merging policy changes over the stored (or default) policy through the
 * model's validators, and checking that a group's owner lists name known
 * nodes (rewritten with their stored spelling).
 */
#include "db_internal.h"

#include "../lib/json.h"
#include "../lib/model.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
    const char *list = wp_json_str(policy, key);
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
