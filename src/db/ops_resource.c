/*
 * ops_resource.c -- resource.create, resource.delete, resource.set,
 * resource.depend, resource.undepend.
 *
 * The rules that need state live here: names unique across the cluster,
 * dependencies only inside a group and never in a cycle, nothing deleted
 * while something depends on it, and every Network Name always reaching an
 * IP Address of its group through its dependencies.  Values themselves
 * (type, properties, policies) are checked by src/lib/model.c.
 */
#include "db_internal.h"

#include "../lib/json.h"
#include "../lib/model.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Validate each property, then the whole set (required and exclusive keys). */
static bool props_check(wp_rtype type, const json_t *props, wp_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(
        (json_t *)props, key,
        v) if (!wp_prop_validate(type, key, json_string_value(v), err)) return false;
    return wp_props_validate_all(type, props, err);
}

static bool edge_insert(wp_db *db, const char *res, const char *dep, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, "INSERT INTO dependency(res, dep) VALUES (?1, ?2)", err);
    if (!st)
        return false;
    const char *vals[2] = {res, dep};
    db_bind_texts(st, 2, vals);
    return db_step_done(db, st, "add a dependency", err);
}

/* Every Network Name of the group must reach an IP Address. */
static bool netnames_anchored(wp_db *db, const char *group, const char *doing, wp_err *err)
{
    db_graph g;
    if (!db_graph_load(db, group, &g, err))
        return false;
    const char *nn = wp_rtype_name(WP_RT_NETNAME), *ip = wp_rtype_name(WP_RT_IP);
    bool ok = true;
    for (size_t i = 0; i < g.n && ok; i++) {
        if (strcmp(g.types[i], nn) != 0 || db_graph_reaches_type(&g, i, ip))
            continue;
        ok = false;
        wp_errf(err, WP_E_CONFLICT, "cannot %s", doing);
        wp_err_why(err,
                   "Network Name '%s' would no longer depend on an IP Address of group "
                   "'%s'; a network name is always bound to an address",
                   g.names[i], group);
        wp_err_todo(err,
                    "make '%s' depend on another IP Address of the group first, or "
                    "delete it",
                    g.names[i]);
    }
    db_graph_free(&g);
    return ok;
}

/* One entry of depends_on at create: exists, same group, not the resource itself. */
static char *create_dep_check(wp_db *db, const char *name, const char *group, const char *dep,
                              wp_err *err)
{
    if (strcasecmp(name, dep) == 0) {
        wp_errf(err, WP_E_INVALID, "resource '%s' cannot depend on itself", name);
        wp_err_why(err, "depends_on lists the resource's own name");
        wp_err_todo(err, "remove '%s' from depends_on", dep);
        return NULL;
    }
    char *stored = NULL;
    char *dep_group = db_resource_group(db, dep, &stored, err);
    if (!dep_group) {
        if (err && err->code == WP_E_NOTFOUND)
            wp_err_why(err,
                       "resource '%s' lists it in depends_on, but no such resource "
                       "exists",
                       name);
        return NULL;
    }
    if (strcasecmp(dep_group, group) != 0) {
        wp_errf(err, WP_E_CONFLICT, "resource '%s' cannot depend on '%s'", name, stored);
        wp_err_why(err,
                   "'%s' belongs to group '%s' and '%s' to group '%s'; dependencies "
                   "stay inside one group, which fails over as a whole",
                   stored, dep_group, name, group);
        wp_err_todo(err, "put both resources in the same group");
        free(stored);
        stored = NULL;
    }
    free(dep_group);
    return stored;
}

static bool create_deps(wp_db *db, const char *name, const char *group, const json_t *deps,
                        wp_err *err)
{
    size_t i, j;
    json_t *d;
    json_array_foreach(deps, i, d)
    {
        for (j = 0; j < i; j++)
            if (strcasecmp(json_string_value(json_array_get(deps, j)), json_string_value(d)) == 0) {
                wp_errf(err, WP_E_INVALID, "depends_on of resource '%s' lists '%s' twice", name,
                        json_string_value(d));
                wp_err_why(err, "each dependency is listed once");
                wp_err_todo(err, "remove the repeated name");
                return false;
            }
        char *stored = create_dep_check(db, name, group, json_string_value(d), err);
        bool ok = stored && edge_insert(db, name, stored, err);
        free(stored);
        if (!ok)
            return false;
    }
    return true;
}

static bool name_free(wp_db *db, const char *name, wp_err *err)
{
    char *stored = NULL;
    char *group = NULL;
    int found = db_text(db, "SELECT grp FROM resource WHERE name = ?1", name, &group, err);
    if (found > 0 &&
        db_text(db, "SELECT name FROM resource WHERE name = ?1", name, &stored, err) >= 0) {
        wp_errf(err, WP_E_EXISTS, "cannot create resource '%s'", name);
        wp_err_why(err,
                   "resource '%s' already exists in group '%s' (resource names are "
                   "unique in the cluster, ignoring case)",
                   stored ? stored : name, group);
        wp_err_todo(err, "choose another name, or change it with 'wolfpack resource set'");
    }
    free(stored);
    free(group);
    return found == 0;
}

static bool resource_insert(wp_db *db, const char *name, const char *group, wp_rtype type,
                            const json_t *props, const json_t *policy, wp_err *err)
{
    char *props_text = db_json_text(props);
    char *policy_text = db_json_text(policy);
    sqlite3_stmt *st = db_stmt(db,
                               /* added to a running group it comes in Offline
                                * (WSFC): nothing new starts beside healthy
                                * resources until the operator says so */
                               "INSERT INTO resource(name, grp, type, props, policy, target)"
                               " VALUES (?1, ?2, ?3, ?4, ?5, CASE WHEN"
                               " EXISTS (SELECT 1 FROM grp WHERE name = ?2 AND target = 'online')"
                               " AND EXISTS (SELECT 1 FROM resource WHERE grp = ?2"
                               "  AND state IN ('Online', 'Online Pending'))"
                               " THEN 'offline' ELSE 'online' END)",
                               err);
    bool ok = st && props_text && policy_text;
    if (ok) {
        const char *vals[5] = {name, group, wp_rtype_name(type), props_text, policy_text};
        db_bind_texts(st, 5, vals);
        ok = db_step_done(db, st, "add a resource", err);
    } else if (st) {
        wp_errf(err, WP_E_IO, "cannot add resource '%s'", name);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free memory and retry");
    }
    free(props_text);
    free(policy_text);
    return ok;
}

/* A new Network Name must reach an IP Address through depends_on. */
static bool create_netname_check(wp_db *db, const char *name, const char *group, wp_err *err)
{
    db_graph g;
    if (!db_graph_load(db, group, &g, err))
        return false;
    long self = db_graph_find(&g, name);
    bool ok = self >= 0 && db_graph_reaches_type(&g, (size_t)self, wp_rtype_name(WP_RT_IP));
    db_graph_free(&g);
    if (!ok) {
        wp_errf(err, WP_E_INVALID, "cannot create Network Name '%s'", name);
        wp_err_why(err,
                   "a Network Name must depend (directly or through other resources) on "
                   "an IP Address of group '%s', and its depends_on reaches none",
                   group);
        wp_err_todo(err, "create an IP Address in group '%s' first and add it to depends_on",
                    group);
    }
    return ok;
}

bool db_op_resource_create(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    wp_rtype type;
    if (!wp_name_valid("resource", name, err) ||
        !wp_rtype_parse(wp_json_str(args, "type"), &type, err) || !name_free(db, name, err))
        return false;
    char *group = db_group_name(db, wp_json_str(args, "group"), err);
    if (!group)
        return false;
    json_t *props = json_object_get(args, "props");
    json_t *empty = json_object();
    json_t *policy = wp_resource_policy_defaults();
    const json_t *changes = json_object_get(args, "policy");
    bool ok = empty && policy && props_check(type, props ? props : empty, err) &&
              (!changes || db_policy_merge(policy, changes, false, err)) &&
              resource_insert(db, name, group, type, props ? props : empty, policy, err) &&
              create_deps(db, name, group, json_object_get(args, "depends_on"), err) &&
              (type != WP_RT_NETNAME || create_netname_check(db, name, group, err)) &&
              db_new_set(db, name, err);
    json_decref(empty);
    json_decref(policy);
    free(group);
    return ok;
}

bool db_op_resource_delete(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = NULL;
    char *group = db_resource_group(db, wp_json_str(args, "name"), &name, err);
    if (!group)
        return false;
    bool failed;
    char *users = db_names_text(db, "SELECT res FROM dependency WHERE dep = ?1 ORDER BY res", name,
                                "read dependencies", &failed, err);
    bool ok = !failed && !users;
    if (users) {
        wp_errf(err, WP_E_CONFLICT, "cannot delete resource '%s'", name);
        wp_err_why(err, "these resources depend on it: %s", users);
        wp_err_todo(err, "delete them first, or remove their dependency with "
                         "'wolfpack resource undepend'");
    }
    sqlite3_stmt *st = ok ? db_stmt(db, "DELETE FROM resource WHERE name = ?1", err) : NULL;
    if (st) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        ok = db_step_done(db, st, "delete a resource", err) && db_failure_forget(db, name, err) &&
             db_new_clear(db, name, err);
    } else {
        ok = false;
    }
    free(users);
    free(name);
    free(group);
    return ok;
}

/* Apply {k: v|null} property changes: null removes the key. */
static bool props_merge(wp_rtype type, json_t *props, const json_t *changes, wp_err *err)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)changes, key, v)
    {
        if (json_is_null(v)) {
            json_object_del(props, key);
            continue;
        }
        if (!wp_prop_validate(type, key, json_string_value(v), err))
            return false;
        json_object_set(props, key, v);
    }
    return wp_props_validate_all(type, props, err);
}

bool db_op_resource_set(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = NULL;
    char *group = db_resource_group(db, wp_json_str(args, "name"), &name, err);
    if (!group)
        return false;
    sqlite3_stmt *st = db_stmt(db, "SELECT type, props, policy FROM resource WHERE name = ?1", err);
    json_t *props = NULL, *policy = NULL;
    wp_rtype type = WP_RT__COUNT;
    bool ok = st != NULL;
    if (ok) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        ok = sqlite3_step(st) == SQLITE_ROW;
        if (ok) {
            ok = wp_rtype_parse((const char *)sqlite3_column_text(st, 0), &type, err);
            props = db_json_column(st, 1);
            policy = db_json_column(st, 2);
        } else {
            db_sql_fail(db, err, "read a resource");
        }
        sqlite3_reset(st);
    }
    const json_t *pc = json_object_get(args, "props"), *qc = json_object_get(args, "policy");
    ok = ok && (!pc || props_merge(type, props, pc, err)) &&
         (!qc || db_policy_merge(policy, qc, false, err));
    char *props_text = ok ? db_json_text(props) : NULL;
    char *policy_text = ok ? db_json_text(policy) : NULL;
    st =
        ok ? db_stmt(db, "UPDATE resource SET props = ?2, policy = ?3 WHERE name = ?1", err) : NULL;
    if (st) {
        const char *vals[3] = {name, props_text, policy_text};
        db_bind_texts(st, 3, vals);
        ok = props_text && policy_text && db_step_done(db, st, "change a resource", err);
    } else {
        ok = false;
    }
    free(props_text);
    free(policy_text);
    json_decref(props);
    json_decref(policy);
    free(name);
    free(group);
    return ok;
}

/* Both ends of a depend/undepend command, with stored names and groups. */
typedef struct dep_pair {
    char *name, *group, *on, *on_group;
} dep_pair;

static void dep_pair_free(dep_pair *p)
{
    free(p->name);
    free(p->group);
    free(p->on);
    free(p->on_group);
}

static bool dep_pair_load(wp_db *db, const json_t *args, dep_pair *p, wp_err *err)
{
    memset(p, 0, sizeof *p);
    p->group = db_resource_group(db, wp_json_str(args, "name"), &p->name, err);
    if (p->group)
        p->on_group = db_resource_group(db, wp_json_str(args, "on"), &p->on, err);
    return p->group && p->on_group;
}

static bool depend_refused(wp_db *db, const dep_pair *p, wp_err *err)
{
    if (strcmp(p->name, p->on) == 0) {
        wp_errf(err, WP_E_INVALID, "resource '%s' cannot depend on itself", p->name);
        wp_err_why(err, "a resource cannot wait for itself to come online");
        wp_err_todo(err, "name another resource of group '%s'", p->group);
        return true;
    }
    if (strcmp(p->group, p->on_group) != 0) {
        wp_errf(err, WP_E_CONFLICT, "resource '%s' cannot depend on '%s'", p->name, p->on);
        wp_err_why(err,
                   "'%s' belongs to group '%s' and '%s' to group '%s'; dependencies stay "
                   "inside one group, which fails over as a whole",
                   p->on, p->on_group, p->name, p->group);
        wp_err_todo(err, "put both resources in the same group");
        return true;
    }
    int has =
        db_exists(db, "SELECT 1 FROM dependency WHERE res = ?1 AND dep = ?2", p->name, p->on, err);
    if (has > 0) {
        wp_errf(err, WP_E_EXISTS, "resource '%s' already depends on '%s'", p->name, p->on);
        wp_err_why(err, "the dependency exists");
        wp_err_todo(err, "nothing to do");
    }
    return has != 0;
}

static bool cycle_refused(wp_db *db, const dep_pair *p, wp_err *err)
{
    db_graph g;
    if (!db_graph_load(db, p->group, &g, err))
        return true;
    long from = db_graph_find(&g, p->on), to = db_graph_find(&g, p->name);
    char path[400];
    bool cycle =
        from >= 0 && to >= 0 && db_graph_path(&g, (size_t)from, (size_t)to, path, sizeof path);
    if (cycle) {
        wp_errf(err, WP_E_CONFLICT, "resource '%s' cannot depend on '%s'", p->name, p->on);
        wp_err_why(err, "it would close a dependency cycle: %s -> %s", p->name, path);
        wp_err_todo(err, "dependencies may not form a cycle; remove one of the dependencies "
                         "on that cycle first");
    }
    db_graph_free(&g);
    return cycle;
}

bool db_op_resource_depend(wp_db *db, const json_t *args, wp_err *err)
{
    dep_pair p;
    bool ok = dep_pair_load(db, args, &p, err) && !depend_refused(db, &p, err) &&
              !cycle_refused(db, &p, err) && edge_insert(db, p.name, p.on, err);
    dep_pair_free(&p);
    return ok;
}

bool db_op_resource_undepend(wp_db *db, const json_t *args, wp_err *err)
{
    dep_pair p;
    bool ok = dep_pair_load(db, args, &p, err);
    int has = ok ? db_exists(db, "SELECT 1 FROM dependency WHERE res = ?1 AND dep = ?2", p.name,
                             p.on, err)
                 : -1;
    if (has == 0) {
        wp_errf(err, WP_E_NOTFOUND, "resource '%s' does not depend on '%s'", p.name, p.on);
        wp_err_why(err, "there is no such dependency to remove");
        wp_err_todo(err, "see 'wolfpack resource show %s' for its dependencies", p.name);
    }
    ok = has > 0;
    sqlite3_stmt *st =
        ok ? db_stmt(db, "DELETE FROM dependency WHERE res = ?1 AND dep = ?2", err) : NULL;
    if (st) {
        const char *vals[2] = {p.name, p.on};
        db_bind_texts(st, 2, vals);
        char doing[300];
        snprintf(doing, sizeof doing, "remove the dependency of '%s' on '%s'", p.name, p.on);
        ok = db_step_done(db, st, "remove a dependency", err) &&
             netnames_anchored(db, p.group, doing, err);
    } else {
        ok = false;
    }
    dep_pair_free(&p);
    return ok;
}
