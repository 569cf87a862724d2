/*
 * names.c -- the name lookups every op handler shares (db_internal.h):
 * the stored spelling of a group, resource or node name (names compare
 * case-insensitively, the stored spelling wins), and a quoted list of the
 * names a query returns, for messages.  Here so that ops_*.c call only
 * the shared files (sql.c, names.c, policy.c, graph.c), never each other.
 */
#include "db_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The stored spelling of `kind` NAME (sql: its name column, ?1 = name), or
 * NULL with NOT FOUND (what to do: todo) or an SQL error. */
static char *stored_name(wp_db *db, const char *sql, const char *kind, const char *name,
                         const char *todo, wp_err *err)
{
    char *stored = NULL;
    if (db_text(db, sql, name, &stored, err) == 0) {
        wp_errf(err, WP_E_NOTFOUND, "%s '%.100s' does not exist", kind, name);
        wp_err_why(err, "the cluster has no %s of that name", kind);
        wp_err_todo(err, "%s", todo);
    }
    return stored;
}

char *db_group_name(wp_db *db, const char *name, wp_err *err)
{
    return stored_name(db, "SELECT name FROM grp WHERE name = ?1", "group", name,
                       "list the groups with 'wolfpack group list', or create it first", err);
}

char *db_resource_group(wp_db *db, const char *name, char **stored, wp_err *err)
{
    *stored = NULL;
    sqlite3_stmt *st = db_stmt(db, "SELECT name, grp FROM resource WHERE name = ?1", err);
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    char *group = NULL;
    if (rc == SQLITE_ROW) {
        *stored = strdup((const char *)sqlite3_column_text(st, 0));
        group = strdup((const char *)sqlite3_column_text(st, 1));
    } else if (rc == SQLITE_DONE) {
        wp_errf(err, WP_E_NOTFOUND, "resource '%.100s' does not exist", name);
        wp_err_why(err, "no group of the cluster holds a resource of that name");
        wp_err_todo(err, "list the resources with 'wolfpack resource list'");
    } else {
        db_sql_fail(db, err, "read a resource");
    }
    sqlite3_reset(st);
    if (rc == SQLITE_ROW && (!*stored || !group)) {
        free(*stored);
        free(group);
        *stored = NULL;
        group = NULL;
        wp_errf(err, WP_E_IO, "cannot read resource '%.100s'", name);
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "free memory and retry");
    }
    return group;
}

char *db_node_name(wp_db *db, const char *name, wp_err *err)
{
    return stored_name(db, "SELECT name FROM node WHERE name = ?1", "node", name,
                       "list the nodes with 'wolfpack node list'", err);
}

char *db_names_text(wp_db *db, const char *sql, const char *key, const char *what, bool *failed,
                    wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, sql, err);
    *failed = st == NULL;
    if (!st)
        return NULL;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    char buf[400] = "";
    size_t used = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && used < sizeof buf)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s'%s'", used ? ", " : "",
                                 sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        *failed = true;
        db_sql_fail(db, err, what);
        return NULL;
    }
    return used ? strdup(buf) : NULL;
}
