/*
 * ops_node.c -- the commands that name the cluster and change its nodes:
 * cluster.create, node.add, node.remove (which refuses the last node and,
 * without force, a node that still owns groups; it releases what ran on the
 * node, cancels moves to it, and drops it from the fence devices: a device
 * left with no node is deleted, ops_fence.c).  Each runs inside the transaction
 * opened by apply.c and refuses (without cleaning up: the transaction is
 * rolled back) on the first problem.
 */
#include "db_internal.h"

#include "../lib/json.h"
#include "../lib/model.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NODE_ID_MAX (1LL << 31)

/* Cluster names become the CPG group name: letters, digits, '-', '_'. */
static bool cluster_name_valid(const char *name, wp_err *err)
{
    size_t len = strlen(name);
    bool ok = len >= 1 && len <= WP_NAME_MAX;
    for (size_t i = 0; i < len && ok; i++) {
        char c = name[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '_';
    }
    if (!ok) {
        wp_errf(err, WP_E_INVALID, "invalid cluster name '%.100s'", name);
        wp_err_why(err, "a cluster name is 1 to %d characters of letters, digits, '-' and '_'",
                   WP_NAME_MAX);
        wp_err_todo(err, "choose a name such as 'prod-cluster'");
    }
    return ok;
}

static bool node_taken(wp_db *db, const char *sql, const char *value, const char *what,
                       const char *name, wp_err *err)
{
    char *holder = NULL;
    int found = db_text(db, sql, value, &holder, err);
    if (found <= 0)
        return found < 0;
    wp_errf(err, WP_E_EXISTS, "cannot add node '%s'", name);
    wp_err_why(err, "node '%s' already has %s %s", holder, what, value);
    wp_err_todo(err, "choose another %s, or remove node '%s' first", what, holder);
    free(holder);
    return true;
}

/* loopback_ok: the node is the only one of a new cluster (solo mode
 * names its node 127.0.0.1); every other node must be reachable. */
static bool node_insert(wp_db *db, const char *name, const char *address, json_int_t id,
                        bool loopback_ok, wp_err *err)
{
    if (!wp_name_valid("node", name, err) || !wp_node_address_valid(address, loopback_ok, err))
        return false;
    if (id < 1 || id > NODE_ID_MAX) {
        wp_errf(err, WP_E_INVALID, "invalid node id %lld for node '%s'", (long long)id, name);
        wp_err_why(err, "a corosync node id is 1 to %lld", NODE_ID_MAX);
        wp_err_todo(err, "give the node's nodeid from corosync.conf");
        return false;
    }
    char idtext[32];
    snprintf(idtext, sizeof idtext, "%lld", (long long)id);
    if (node_taken(db, "SELECT name FROM node WHERE name = ?1", name, "the name", name, err) ||
        node_taken(db, "SELECT name FROM node WHERE id = ?1", idtext, "the id", name, err) ||
        node_taken(db, "SELECT name FROM node WHERE address = ?1", address, "the address", name,
                   err))
        return false;
    sqlite3_stmt *st = db_stmt(db, "INSERT INTO node(name, id, address) VALUES (?1, ?2, ?3)", err);
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, id);
    sqlite3_bind_text(st, 3, address, -1, SQLITE_TRANSIENT);
    return db_step_done(db, st, "add a node", err);
}

static bool node_insert_json(wp_db *db, const json_t *n, bool loopback_ok, wp_err *err)
{
    return node_insert(db, wp_json_str(n, "name"), wp_json_str(n, "address"),
                       json_integer_value(json_object_get(n, "id")), loopback_ok, err);
}

/* The cluster's own core resources in Cluster Group, as in Windows failover
 * clustering: "Cluster IP Address" (IP Address, address = ip) and "Cluster
 * Name" (Network Name, hostname = the cluster name with '_' as '-', lower
 * case), which depends on it.  The DNS properties of the name are set later
 * (`wolfpack resource set "Cluster Name" --prop dns_server=...`).  Cluster
 * Group's target becomes online, so the coordinator brings the cluster's
 * address and name up at once, as Windows does with its core resources. */
static bool cluster_core_resources(wp_db *db, const char *name, const char *ip, wp_err *err)
{
    char host[WP_NAME_MAX + 1];
    size_t i;
    for (i = 0; name[i] && i < WP_NAME_MAX; i++)
        host[i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
    host[i] = '\0';
    json_t *a = json_pack("{s:s, s:s, s:s, s:{s:s}}", "name", WP_CLUSTER_IP_RESOURCE, "group",
                          WP_CLUSTER_GROUP, "type", "IP Address", "props", "address", ip);
    json_t *b = json_pack("{s:s, s:s, s:s, s:{s:s}, s:[s]}", "name", WP_CLUSTER_NAME_RESOURCE,
                          "group", WP_CLUSTER_GROUP, "type", "Network Name", "props", "hostname",
                          host, "depends_on", WP_CLUSTER_IP_RESOURCE);
    json_t *g = json_pack("{s:s}", "name", WP_CLUSTER_GROUP);
    bool ok = a && b && g;
    if (!ok) {
        wp_errf(err, WP_E_INTERNAL, "cannot build the cluster's core resources");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "check the node's memory");
    }
    ok = ok && db_op_resource_create(db, a, err) && db_op_resource_create(db, b, err) &&
         db_op_group_online(db, g, err);
    json_decref(a);
    json_decref(b);
    json_decref(g);
    return ok;
}

bool db_op_cluster_create(wp_db *db, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    if (!cluster_name_valid(name, err))
        return false;
    char *current = NULL;
    int found = db_text(db, "SELECT value FROM meta WHERE key = 'cluster' AND value IS NOT NULL",
                        NULL, &current, err);
    if (found < 0)
        return false;
    if (found) {
        wp_errf(err, WP_E_EXISTS, "cannot create cluster '%s'", name);
        wp_err_why(err, "this database already belongs to cluster '%s'", current);
        wp_err_todo(err, "add nodes to the existing cluster with 'wolfpack node add'");
        free(current);
        return false;
    }
    sqlite3_stmt *st = db_stmt(db, "UPDATE meta SET value = ?1 WHERE key = 'cluster'", err);
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (!db_step_done(db, st, "name the cluster", err))
        return false;
    size_t i;
    json_t *n, *nodes = json_object_get(args, "nodes");
    bool alone = json_array_size(nodes) == 1;
    json_array_foreach(nodes, i, n) if (!node_insert_json(db, n, alone, err)) return false;
    const char *ip = wp_json_str(args, "ip");
    if (ip && !wp_prop_validate(WP_RT_IP, "address", ip, err))
        return false;
    return !ip || cluster_core_resources(db, name, ip, err);
}

bool db_op_node_add(wp_db *db, const json_t *args, wp_err *err)
{
    return node_insert_json(db, args, false, err);
}

/* Remove `name` from a comma list; true if it was there. */
static bool list_strip(const char *list, const char *name, char **out)
{
    char *copy = strdup(list ? list : "");
    char *result = calloc(1, strlen(list ? list : "") + 1);
    bool removed = false;
    char *save = NULL;
    if (!copy || !result) {
        free(copy);
        free(result);
        *out = NULL;
        return false;
    }
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcasecmp(tok, name) == 0) {
            removed = true;
            continue;
        }
        if (*result)
            strcat(result, ",");
        strcat(result, tok);
    }
    free(copy);
    *out = result;
    return removed;
}

/* Strip a node from the owner lists of one group's policy; true if changed. */
static bool policy_strip(json_t *policy, const char *node)
{
    static const char *const keys[] = {"preferred_owners", "possible_owners"};
    bool changed = false;
    for (size_t k = 0; k < 2; k++) {
        char *stripped = NULL;
        if (list_strip(wp_json_str(policy, keys[k]), node, &stripped)) {
            json_object_set_new(policy, keys[k], json_string(stripped));
            changed = true;
        }
        free(stripped);
    }
    return changed;
}

static bool strip_owner_lists(wp_db *db, const char *node, wp_err *err)
{
    sqlite3_stmt *sel = db_stmt(db, "SELECT name, policy FROM grp ORDER BY name", err);
    if (!sel)
        return false;
    json_t *changes = json_object();
    int rc;
    while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
        json_t *policy = db_json_column(sel, 1);
        if (policy_strip(policy, node))
            json_object_set(changes, (const char *)sqlite3_column_text(sel, 0), policy);
        json_decref(policy);
    }
    sqlite3_reset(sel);
    bool ok = rc == SQLITE_DONE || db_sql_fail(db, err, "read the groups");
    const char *group;
    json_t *policy;
    json_object_foreach(changes, group, policy)
    {
        sqlite3_stmt *up =
            ok ? db_stmt(db, "UPDATE grp SET policy = ?2 WHERE name = ?1", err) : NULL;
        char *text = db_json_text(policy);
        ok = up && text;
        if (ok) {
            const char *vals[2] = {group, text};
            db_bind_texts(up, 2, vals);
            ok = db_step_done(db, up, "update an owner list", err);
        }
        free(text);
        if (!ok)
            break;
    }
    json_decref(changes);
    return ok;
}

/* The cluster keeps at least one node: its database and corosync.conf
 * describe the cluster, and a nodelist with no node is no cluster. */
static bool not_last_node(wp_db *db, const char *name, wp_err *err)
{
    char *other = NULL;
    int found = db_text(db, "SELECT name FROM node WHERE name <> ?1 LIMIT 1", name, &other, err);
    free(other);
    if (found == 0) {
        wp_errf(err, WP_E_CONFLICT, "cannot remove node '%s'", name);
        wp_err_why(err, "it is the only node of the cluster");
        wp_err_todo(err, "add the node that replaces it first, or destroy the cluster");
    }
    return found > 0;
}

/* A node that owns groups keeps them until they move (or --force). */
static bool owns_no_group(wp_db *db, const char *name, bool force, wp_err *err)
{
    char *group = NULL;
    int found = force ? 0
                      : db_text(db, "SELECT name FROM grp WHERE owner = ?1 ORDER BY name LIMIT 1",
                                name, &group, err);
    if (found > 0) {
        wp_errf(err, WP_E_CONFLICT, "cannot remove node '%s'", name);
        wp_err_why(err, "it still owns group '%s' (and maybe others)", group);
        wp_err_todo(err,
                    "move its groups away first ('wolfpack node drain %s', or 'wolfpack group "
                    "move GROUP --to NODE'), or remove it with --force to release them",
                    name);
    }
    free(group);
    return found == 0;
}

bool db_op_node_remove(wp_db *db, const json_t *args, wp_err *err)
{
    char *name = db_node_name(db, wp_json_str(args, "name"), err);
    if (!name)
        return false;
    const char *vals[1] = {name};
    bool force = json_is_true(json_object_get(args, "force"));
    bool ok = not_last_node(db, name, err) && owns_no_group(db, name, force, err) &&
              strip_owner_lists(db, name, err) &&
              db_run(db,
                     "UPDATE resource SET state = 'Offline', pending_since = NULL"
                     " WHERE node = ?1",
                     1, vals, "release the resources of a node", err) &&
              db_run(db, "UPDATE grp SET move_to = NULL WHERE move_to = ?1", 1, vals,
                     "cancel a move to a node", err) &&
              db_fence_forget_node(db, name, err);
    sqlite3_stmt *st = ok ? db_stmt(db, "DELETE FROM node WHERE name = ?1", err) : NULL;
    if (st) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        ok = db_step_done(db, st, "remove a node", err);
    }
    free(name);
    return ok && st;
}
