/*
 * graph.c -- the dependency graph of one group, loaded from the database
 * into memory: its resources (sorted by name) and an adjacency matrix.
 *
 * Groups hold a handful of resources, so a matrix and simple searches are
 * the clearest tool.  The graph answers what the commands and queries ask:
 * the dependency order (dependencies first, ties broken by name so every
 * node computes the same order), a path between two resources (to name a
 * cycle), and whether a resource reaches one of a given type (a Network
 * Name must reach an IP Address).
 */
#include "db_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char sql_group_resources[] =
    "SELECT name, type FROM resource WHERE grp = ?1 ORDER BY name";
static const char sql_group_edges[] = "SELECT d.res, d.dep FROM dependency d"
                                      " JOIN resource r ON r.name = d.res WHERE r.grp = ?1";

void db_graph_free(db_graph *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->names[i]);
        free(g->types[i]);
    }
    free(g->names);
    free(g->types);
    free(g->edge);
    memset(g, 0, sizeof *g);
}

long db_graph_find(const db_graph *g, const char *name)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcasecmp(g->names[i], name) == 0)
            return (long)i;
    return -1;
}

static bool graph_oom(db_graph *g, wp_err *err)
{
    db_graph_free(g);
    wp_errf(err, WP_E_IO, "cannot load a dependency graph");
    wp_err_why(err, "out of memory");
    wp_err_todo(err, "free memory and retry");
    return false;
}

static bool load_nodes(wp_db *db, const char *group, db_graph *g, wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, sql_group_resources, err);
    if (!st)
        return false;
    sqlite3_bind_text(st, 1, group, -1, SQLITE_TRANSIENT);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (g->n == cap) {
            cap = cap ? cap * 2 : 8;
            char **nn = realloc(g->names, cap * sizeof *nn);
            if (nn)
                g->names = nn;
            char **nt = realloc(g->types, cap * sizeof *nt);
            if (nt)
                g->types = nt;
            if (!nn || !nt) {
                sqlite3_reset(st);
                return graph_oom(g, err);
            }
        }
        g->names[g->n] = strdup((const char *)sqlite3_column_text(st, 0));
        g->types[g->n] = strdup((const char *)sqlite3_column_text(st, 1));
        g->n++;
        if (!g->names[g->n - 1] || !g->types[g->n - 1]) {
            sqlite3_reset(st);
            return graph_oom(g, err);
        }
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_graph_free(g);
        return db_sql_fail(db, err, "read the resources of a group");
    }
    return true;
}

bool db_graph_load(wp_db *db, const char *group, db_graph *g, wp_err *err)
{
    memset(g, 0, sizeof *g);
    if (!load_nodes(db, group, g, err))
        return false;
    g->edge = calloc(g->n * g->n + 1, sizeof *g->edge);
    if (!g->edge)
        return graph_oom(g, err);
    sqlite3_stmt *st = db_stmt(db, sql_group_edges, err);
    if (!st) {
        db_graph_free(g);
        return false;
    }
    sqlite3_bind_text(st, 1, group, -1, SQLITE_TRANSIENT);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long i = db_graph_find(g, (const char *)sqlite3_column_text(st, 0));
        long j = db_graph_find(g, (const char *)sqlite3_column_text(st, 1));
        if (i >= 0 && j >= 0)
            g->edge[(size_t)i * g->n + (size_t)j] = true;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db_graph_free(g);
        return db_sql_fail(db, err, "read the dependencies of a group");
    }
    return true;
}

/* Kahn's algorithm, always taking the first ready resource by name (the
 * names are sorted).  Resources on a cycle (impossible through apply, but
 * a graph is not trusted) are appended in name order at the end. */
size_t *db_graph_order(const db_graph *g)
{
    size_t *order = malloc((g->n + 1) * sizeof *order);
    bool *done = calloc(g->n + 1, sizeof *done);
    size_t k = 0;
    if (!order || !done) {
        free(order);
        free(done);
        return NULL;
    }
    while (k < g->n) {
        size_t pick = g->n;
        for (size_t i = 0; i < g->n && pick == g->n; i++) {
            if (done[i])
                continue;
            bool ready = true;
            for (size_t j = 0; j < g->n && ready; j++)
                if (g->edge[i * g->n + j] && !done[j])
                    ready = false;
            if (ready)
                pick = i;
        }
        for (size_t i = 0; i < g->n && pick == g->n; i++)
            if (!done[i])
                pick = i;
        done[pick] = true;
        order[k++] = pick;
    }
    free(done);
    return order;
}

/* Depth-first search from `at` to `to`; prev[] records the way back. */
static bool dfs(const db_graph *g, size_t at, size_t to, bool *seen, size_t *prev)
{
    if (at == to)
        return true;
    seen[at] = true;
    for (size_t j = 0; j < g->n; j++) {
        if (g->edge[at * g->n + j] && !seen[j]) {
            prev[j] = at;
            if (dfs(g, j, to, seen, prev))
                return true;
        }
    }
    return false;
}

bool db_graph_path(const db_graph *g, size_t from, size_t to, char *buf, size_t size)
{
    bool *seen = calloc(g->n + 1, sizeof *seen);
    size_t *prev = calloc(g->n + 1, sizeof *prev);
    size_t *way = calloc(g->n + 1, sizeof *way);
    bool found = seen && prev && way && dfs(g, from, to, seen, prev);
    if (found) {
        size_t len = 0;
        for (size_t at = to;; at = prev[at]) {
            way[len++] = at;
            if (at == from)
                break;
        }
        size_t used = 0;
        buf[0] = '\0';
        for (size_t i = len; i-- > 0 && used < size;)
            used += (size_t)snprintf(buf + used, size - used, "%s%s", g->names[way[i]],
                                     i ? " -> " : "");
    }
    free(seen);
    free(prev);
    free(way);
    return found;
}

bool db_graph_reaches_type(const db_graph *g, size_t from, const char *type)
{
    bool *seen = calloc(g->n + 1, sizeof *seen);
    size_t *stack = calloc(g->n + 1, sizeof *stack);
    bool found = false;
    size_t top = 0;
    if (seen && stack) {
        stack[top++] = from;
        seen[from] = true;
    }
    while (top > 0 && !found) {
        size_t at = stack[--top];
        for (size_t j = 0; j < g->n && !found; j++) {
            if (!g->edge[at * g->n + j] || seen[j])
                continue;
            seen[j] = true;
            found = strcmp(g->types[j], type) == 0;
            stack[top++] = j;
        }
    }
    free(seen);
    free(stack);
    return found;
}
