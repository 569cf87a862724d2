/*
 * graph.c -- the dependency graph of one group, loaded from the database
 * into memory: its resources (sorted by name) and adjacency lists (the
 * dependencies of each resource, and its dependents), in arrays indexed by
 * offsets.  The order is n log n, the searches linear in resources +
 * dependencies (loading looks each dependency's two names up, linearly),
 * so a group of 10,000 resources without dependencies costs milliseconds,
 * not the n x n matrix it once was (100 MB and O(n^2) work per command).
 *
 * The graph answers what the commands and queries ask:
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
    free(g->dep_off);
    free(g->dep);
    free(g->use_off);
    free(g->use);
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

typedef struct graph_edge {
    size_t from, to; /* from depends on to */
} graph_edge;

static int edge_cmp(const void *a, const void *b)
{
    const graph_edge *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    return (x->to > y->to) - (x->to < y->to);
}

/* Offsets (n + 1) of lists grouped by key(edge); list[] gets val(edge). */
static bool build_lists(const graph_edge *e, size_t ne, size_t n, bool by_from, size_t **off_out,
                        size_t **list_out)
{
    size_t *off = calloc(n + 2, sizeof *off);
    size_t *list = malloc((ne + 1) * sizeof *list);
    size_t *fill = calloc(n + 1, sizeof *fill);
    if (!off || !list || !fill) {
        free(off);
        free(list);
        free(fill);
        return false;
    }
    for (size_t k = 0; k < ne; k++)
        off[(by_from ? e[k].from : e[k].to) + 1]++;
    for (size_t i = 0; i < n; i++)
        off[i + 1] += off[i];
    for (size_t k = 0; k < ne; k++) { /* e is sorted: each list comes out ascending */
        size_t key = by_from ? e[k].from : e[k].to;
        list[off[key] + fill[key]++] = by_from ? e[k].to : e[k].from;
    }
    free(fill);
    *off_out = off;
    *list_out = list;
    return true;
}

/* The edges of the group as index pairs, sorted, without duplicates. */
static bool load_edges(wp_db *db, const char *group, db_graph *g, graph_edge **out, size_t *n_out,
                       wp_err *err)
{
    sqlite3_stmt *st = db_stmt(db, sql_group_edges, err);
    graph_edge *e = NULL;
    size_t ne = 0, cap = 0;
    int rc;

    if (!st)
        return false;
    sqlite3_bind_text(st, 1, group, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        long i = db_graph_find(g, (const char *)sqlite3_column_text(st, 0));
        long j = db_graph_find(g, (const char *)sqlite3_column_text(st, 1));
        if (i < 0 || j < 0)
            continue;
        if (ne == cap) {
            cap = cap ? cap * 2 : 16;
            graph_edge *ge = realloc(e, cap * sizeof *ge);
            if (!ge) {
                sqlite3_reset(st);
                free(e);
                return graph_oom(g, err);
            }
            e = ge;
        }
        e[ne++] = (graph_edge){(size_t)i, (size_t)j};
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(e);
        db_graph_free(g);
        return db_sql_fail(db, err, "read the dependencies of a group");
    }
    if (ne > 0)
        qsort(e, ne, sizeof *e, edge_cmp);
    size_t kept = 0;
    for (size_t k = 0; k < ne; k++)
        if (kept == 0 || edge_cmp(&e[kept - 1], &e[k]) != 0)
            e[kept++] = e[k];
    *out = e;
    *n_out = kept;
    return true;
}

bool db_graph_load(wp_db *db, const char *group, db_graph *g, wp_err *err)
{
    graph_edge *e = NULL;
    size_t ne = 0;

    memset(g, 0, sizeof *g);
    if (!load_nodes(db, group, g, err) || !load_edges(db, group, g, &e, &ne, err))
        return false;
    bool ok = build_lists(e, ne, g->n, true, &g->dep_off, &g->dep) &&
              build_lists(e, ne, g->n, false, &g->use_off, &g->use);
    free(e);
    return ok || graph_oom(g, err);
}

/* A min-heap of indices: the ready resources, smallest (first by name) on top. */
static void heap_push(size_t *h, size_t *len, size_t v)
{
    size_t i = (*len)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static size_t heap_pop(size_t *h, size_t *len)
{
    size_t top = h[0], v = h[--*len], i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= *len)
            break;
        if (c + 1 < *len && h[c + 1] < h[c])
            c++;
        if (h[c] >= v)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*len > 0)
        h[i] = v;
    return top;
}

/* Kahn's algorithm, always taking the first ready resource by name (the
 * names are sorted).  Resources on a cycle (impossible through apply, but
 * a graph is not trusted) come, when nothing is ready, in name order. */
size_t *db_graph_order(const db_graph *g)
{
    size_t *order = malloc((g->n + 1) * sizeof *order);
    size_t *missing = calloc(g->n + 1, sizeof *missing); /* dependencies not yet placed */
    size_t *heap = malloc((g->n + 1) * sizeof *heap);
    bool *done = calloc(g->n + 1, sizeof *done);
    size_t k = 0, len = 0, scan = 0;

    if (!order || !missing || !heap || !done) {
        free(order);
        order = NULL;
        goto out;
    }
    for (size_t i = 0; i < g->n; i++) {
        missing[i] = g->dep_off[i + 1] - g->dep_off[i];
        if (missing[i] == 0)
            heap_push(heap, &len, i);
    }
    while (k < g->n) {
        size_t pick = g->n;
        while (len > 0 && pick == g->n) {
            size_t i = heap_pop(heap, &len);
            if (!done[i])
                pick = i;
        }
        while (pick == g->n) { /* nothing ready: a cycle; the first left by name */
            if (!done[scan])
                pick = scan;
            scan++;
        }
        done[pick] = true;
        order[k++] = pick;
        for (size_t u = g->use_off[pick]; u < g->use_off[pick + 1]; u++)
            if (--missing[g->use[u]] == 0 && !done[g->use[u]])
                heap_push(heap, &len, g->use[u]);
    }
out:
    free(missing);
    free(heap);
    free(done);
    return order;
}

/* Depth-first search from `at` to `to`; prev[] records the way back. */
static bool dfs(const db_graph *g, size_t at, size_t to, bool *seen, size_t *prev)
{
    if (at == to)
        return true;
    seen[at] = true;
    for (size_t d = g->dep_off[at]; d < g->dep_off[at + 1]; d++) {
        size_t j = g->dep[d];
        if (!seen[j]) {
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
        for (size_t d = g->dep_off[at]; d < g->dep_off[at + 1] && !found; d++) {
            size_t j = g->dep[d];
            if (seen[j])
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
