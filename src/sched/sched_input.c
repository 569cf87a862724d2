/*
 * sched_input.c -- the scheduler's input: JSON -> wp_sched_input.
 *
 * The JSON format (docs/SCHEDULER.md) is what the coordinator records for
 * every scheduler run and what the fixtures in tests/sched/ hold, so the
 * parser is strict: an unknown key, an unknown name, a duplicate, a bad
 * policy value (checked by the model's own validators), a dependency on a
 * resource of another group or a dependency cycle is refused with an error
 * that says where.  Policies use the database's spelling (strings such as
 * "n1,n2" or "15m"); numbers are accepted too.
 *
 * After parsing, groups are sorted by name and resources by name, and each
 * group gets its start order (a topological order, ties by name), so the
 * scheduler never depends on the order of the input.
 */
#include "sched.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/json.h"

#define WHERE_MAX 160
/* Corosync itself stops far below this; node indexes are ints. */
#define WP_SCHED_MAX_NODES 1024
#define WP_SCHED_MAX_NODES_TEXT "1024"

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        abort();
    return p;
}

/* Fill err as "scheduler input: WHERE: ..." with a why and a to-do. */
static bool fail(wp_err *err, const char *where, const char *why, const char *todo)
{
    wp_errf(err, WP_E_INVALID, "invalid scheduler input at %s", where);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "%s", todo);
    return false;
}

/* Re-label an error from the model's validators with the place it came from. */
static bool relabel(wp_err *err, const char *where)
{
    if (err) {
        char what[sizeof err->what];
        snprintf(what, sizeof what, "invalid scheduler input at %.80s: %.140s", where, err->what);
        snprintf(err->what, sizeof err->what, "%s", what);
    }
    return false;
}

static void wheref(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void wheref(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, WHERE_MAX, fmt, ap);
    va_end(ap);
}

static bool check_keys(const json_t *obj, const char *const *allowed, const char *where,
                       wp_err *err)
{
    const char *key;
    json_t *v;
    if (!json_is_object(obj))
        return fail(err, where, "it is not a JSON object", "write it as {\"key\": value, ...}");
    json_object_foreach((json_t *)obj, key, v)
    {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0)
            a++;
        if (!*a) {
            char why[WHERE_MAX + 64];
            snprintf(why, sizeof why, "the key \"%.60s\" is unknown here", key);
            return fail(err, where, why, "remove it or fix its spelling (docs/SCHEDULER.md)");
        }
    }
    return true;
}

static bool get_name(const json_t *obj, const char *key, const char *kind, char *out,
                     const char *where, wp_err *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_string(v)) {
        char why[96];
        snprintf(why, sizeof why, "\"%s\" is missing or not a string", key);
        return fail(err, where, why, "give the name as a JSON string");
    }
    if (!wp_name_valid(kind, json_string_value(v), err))
        return relabel(err, where);
    snprintf(out, WP_NAME_MAX + 1, "%s", json_string_value(v));
    return true;
}

static bool get_bool(const json_t *obj, const char *key, bool def, bool *out, const char *where,
                     wp_err *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v) {
        *out = def;
        return true;
    }
    if (!json_is_boolean(v)) {
        char why[96];
        snprintf(why, sizeof why, "\"%s\" is not true or false", key);
        return fail(err, where, why, "write true or false");
    }
    *out = json_is_true(v);
    return true;
}

static bool get_int(const json_t *obj, const char *key, bool required, int64_t def, int64_t *out,
                    const char *where, wp_err *err)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || (json_is_null(v) && !required)) {
        if (required)
            goto bad;
        *out = def;
        return true;
    }
    if (!json_is_integer(v))
        goto bad;
    *out = json_integer_value(v);
    return true;
bad : {
    char why[96];
    snprintf(why, sizeof why, "\"%s\" is %s", key, v ? "not an integer" : "missing");
    return fail(err, where, why, "give a whole number (unix seconds for times)");
}
}

/* One of words[] (index into *out); def when the key is absent. */
static bool get_word(const json_t *obj, const char *key, const char *const *words, int def,
                     int *out, const char *where, wp_err *err)
{
    const json_t *v = json_object_get(obj, key);
    char why[128], todo[160] = "use one of:";
    if (!v && def >= 0) {
        *out = def;
        return true;
    }
    if (json_is_string(v)) {
        for (int i = 0; words[i]; i++) {
            if (strcmp(json_string_value(v), words[i]) == 0) {
                *out = i;
                return true;
            }
        }
    }
    snprintf(why, sizeof why, "\"%s\" is %s", key, v ? "not a known value" : "missing");
    for (int i = 0; words[i]; i++) {
        size_t n = strlen(todo);
        snprintf(todo + n, sizeof todo - n, " \"%s\"", words[i]);
    }
    return fail(err, where, why, todo);
}

/* An array of unix times. */
static bool get_times(const json_t *obj, const char *key, int64_t **out, size_t *n,
                      const char *where, wp_err *err)
{
    const json_t *v = json_object_get(obj, key);
    size_t i;
    json_t *t;
    *out = NULL;
    *n = 0;
    if (!v)
        return true;
    if (!json_is_array(v))
        goto bad;
    *out = xcalloc(json_array_size(v), sizeof **out);
    json_array_foreach(v, i, t)
    {
        if (!json_is_integer(t))
            goto bad;
        (*out)[i] = json_integer_value(t);
    }
    *n = json_array_size(v);
    return true;
bad : {
    char why[96];
    snprintf(why, sizeof why, "\"%s\" is not an array of whole numbers", key);
    return fail(err, where, why, "give unix times, e.g. [1700000000, 1700000300]");
}
}

static int find_node(const wp_sched_input *in, const char *name)
{
    for (size_t i = 0; i < in->n_nodes; i++)
        if (strcmp(in->nodes[i].name, name) == 0)
            return (int)i;
    return WP_SCHED_NO_NODE;
}

/* A node reference: a name, or null when nullable. */
static bool get_node_ref(const wp_sched_input *in, const json_t *obj, const char *key, int *out,
                         const char *where, wp_err *err)
{
    const json_t *v = json_object_get(obj, key);
    char why[WHERE_MAX];
    *out = WP_SCHED_NO_NODE;
    if (!v || json_is_null(v))
        return true;
    if (!json_is_string(v)) {
        snprintf(why, sizeof why, "\"%s\" is not a node name or null", key);
        return fail(err, where, why, "give a node name as a string, or null");
    }
    *out = find_node(in, json_string_value(v));
    if (*out != WP_SCHED_NO_NODE)
        return true;
    snprintf(why, sizeof why, "\"%s\" names node \"%.63s\", which is not in \"nodes\"", key,
             json_string_value(v));
    return fail(err, where, why, "add the node to \"nodes\" or fix the name");
}

/* ---------------------------------------------------------------------------
 * Nodes
 * ------------------------------------------------------------------------- */

static bool parse_node(wp_sched_input *in, size_t i, const json_t *j, wp_err *err)
{
    static const char *const keys[] = {"name", "id", "state", "paused", "drained", NULL};
    static const char *const states[] = {"down", "up", NULL};
    wp_sched_node *n = &in->nodes[i];
    char where[WHERE_MAX];
    int64_t id;
    int st;

    wheref(where, "nodes[%zu]", i);
    if (!check_keys(j, keys, where, err) || !get_name(j, "name", "node", n->name, where, err))
        return false;
    wheref(where, "node \"%s\"", n->name);
    if (!get_int(j, "id", true, 0, &id, where, err) ||
        !get_word(j, "state", states, -1, &st, where, err) ||
        !get_bool(j, "paused", false, &n->paused, where, err) ||
        !get_bool(j, "drained", false, &n->drained, where, err))
        return false;
    if (id < 1 || id > 2147483647)
        return fail(err, where, "\"id\" is outside 1..2147483647 (corosync node ids)",
                    "give the node's corosync nodeid");
    n->id = (uint32_t)id;
    n->up = st == 1;
    for (size_t k = 0; k < i; k++) {
        if (strcmp(in->nodes[k].name, n->name) == 0)
            return fail(err, where, "two nodes have this name", "give every node its own name");
        if (in->nodes[k].id == n->id)
            return fail(err, where, "two nodes have this id", "give every node its own id");
    }
    return true;
}

/* ---------------------------------------------------------------------------
 * Policies: validated and normalised by the model (src/lib/model.c)
 * ------------------------------------------------------------------------- */

typedef bool (*policy_check_fn)(const char *key, const char *value, char **normalised, wp_err *err);

/* The normalised value of policy `key` (malloc'd), or its default. */
static char *policy_value(const json_t *policy, const json_t *defaults, const char *key,
                          policy_check_fn check, const char *where, wp_err *err)
{
    const json_t *v = json_object_get(policy, key);
    char buf[32], *norm = NULL;
    const char *text;
    if (!v) { /* the model's defaults are valid and normalised already */
        char *def = strdup(wp_json_str(defaults, key));
        if (!def)
            abort();
        return def;
    }
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        text = buf;
    } else if (json_is_string(v)) {
        text = json_string_value(v);
    } else {
        char why[96];
        snprintf(why, sizeof why, "policy \"%s\" is not a string or a number", key);
        fail(err, where, why, "write it as the database does, e.g. \"15m\" or \"n1,n2\"");
        return NULL;
    }
    if (!check(key, text, &norm, err)) {
        relabel(err, where);
        return NULL;
    }
    return norm;
}

/* Every key of the policy object must be one the model knows (its defaults
 * object holds every key). */
static bool policy_keys_known(const json_t *policy, const json_t *defaults, const char *where,
                              wp_err *err)
{
    const char *key;
    json_t *v;
    if (!policy)
        return true;
    if (!json_is_object(policy))
        return fail(err, where, "\"policy\" is not a JSON object",
                    "write it as {\"key\": \"value\", ...}");
    json_object_foreach((json_t *)policy, key, v)
    {
        if (!json_object_get(defaults, key)) {
            char why[WHERE_MAX];
            snprintf(why, sizeof why, "\"%.60s\" is not a policy of this kind of object", key);
            return fail(err, where, why, "fix the key's spelling (docs/MODEL.md lists policies)");
        }
    }
    return true;
}

static long policy_long(const char *text)
{
    return strtol(text, NULL, 10);
}

/* "n1,n2" -> node indexes in order. */
static bool owner_list(const wp_sched_input *in, const char *list, int **out, size_t *n,
                       const char *key, const char *where, wp_err *err)
{
    size_t cap = 1;
    for (const char *p = list; *p; p++)
        cap += *p == ',';
    *out = xcalloc(cap, sizeof **out);
    *n = 0;
    for (const char *p = list; *p;) {
        char name[WP_NAME_MAX + 1];
        size_t len = strcspn(p, ",");
        snprintf(name, sizeof name, "%.*s", (int)len, p);
        int idx = find_node(in, name);
        if (idx == WP_SCHED_NO_NODE) {
            char why[WHERE_MAX];
            snprintf(why, sizeof why, "policy \"%s\" names node \"%s\", which is not in \"nodes\"",
                     key, name);
            return fail(err, where, why, "add the node to \"nodes\" or fix the list");
        }
        (*out)[(*n)++] = idx;
        p += len + (p[len] == ',');
    }
    return true;
}

static bool group_policy(wp_sched_input *in, wp_sched_group *g, const json_t *policy,
                         const json_t *defs, const char *where, wp_err *err)
{
    static const char *const fb[] = {"never", "immediate", "window", NULL};
    enum { N_KEYS = 11 };
    char *v[N_KEYS] = {NULL};
    static const char *const keys[N_KEYS] = {
        "preferred_owners",   "possible_owners", "failback",    "failback_window",
        "failover_threshold", "failover_period", "managed",     "anti_affinity",
        "colocate_with",      "start_after",     "retry_period"};
    bool ok = policy_keys_known(policy, defs, where, err);
    for (int i = 0; ok && i < N_KEYS; i++) {
        v[i] = policy_value(policy, defs, keys[i], wp_group_policy_validate, where, err);
        ok = v[i] != NULL;
    }
    if (ok)
        ok = owner_list(in, v[0], &g->preferred, &g->n_preferred, keys[0], where, err);
    if (ok && *v[1]) {
        int *idx;
        size_t n;
        ok = owner_list(in, v[1], &idx, &n, keys[1], where, err);
        g->possible = xcalloc(in->n_nodes, sizeof *g->possible);
        for (size_t i = 0; ok && i < n; i++)
            g->possible[idx[i]] = true;
        free(idx);
    }
    if (ok) {
        for (int i = 0; fb[i]; i++)
            if (strcmp(v[2], fb[i]) == 0)
                g->failback = (wp_failback)i;
        if (g->failback == WP_FAILBACK_WINDOW && !*v[3])
            ok = fail(err, where, "failback is \"window\" but failback_window is empty",
                      "set failback_window, e.g. \"22-04\" (hours, local time)");
        else if (*v[3])
            sscanf(v[3], "%d-%d", &g->window_start, &g->window_end);
        g->failover_threshold = strcmp(v[4], "auto") == 0 ? -1 : policy_long(v[4]);
        g->failover_period = policy_long(v[5]);
        g->unmanaged = strcmp(v[6], "false") == 0;
        snprintf(g->anti_affinity, sizeof g->anti_affinity, "%s", v[7]);
        snprintf(g->colocate_with, sizeof g->colocate_with, "%s", v[8]);
        snprintf(g->start_after, sizeof g->start_after, "%s", v[9]);
        g->retry_period = policy_long(v[10]);
    }
    for (int i = 0; i < N_KEYS; i++)
        free(v[i]);
    return ok;
}

static bool resource_policy(wp_sched_resource *r, const json_t *policy, const json_t *defs,
                            const char *where, wp_err *err)
{
    static const char *const ra[] = {"none", "restart", "failover", NULL};
    enum { N_KEYS = 9 };
    static const char *const keys[N_KEYS] = {
        "restart_action",  "restart_threshold", "restart_period", "pending_timeout", "managed",
        "failure_timeout", "restart_delay",     "start_timeout",  "stop_timeout"};
    char *v[N_KEYS] = {NULL};
    bool ok = policy_keys_known(policy, defs, where, err);
    for (int i = 0; ok && i < N_KEYS; i++) {
        v[i] = policy_value(policy, defs, keys[i], wp_resource_policy_validate, where, err);
        ok = v[i] != NULL;
    }
    if (ok) {
        for (int i = 0; ra[i]; i++)
            if (strcmp(v[0], ra[i]) == 0)
                r->restart_action = (wp_restart_action)i;
        r->restart_threshold = policy_long(v[1]);
        r->restart_period = policy_long(v[2]);
        r->pending_timeout = policy_long(v[3]);
        r->unmanaged = strcmp(v[4], "false") == 0;
        r->failure_timeout = policy_long(v[5]);
        r->restart_delay = policy_long(v[6]);
        r->start_timeout = policy_long(v[7]);
        r->stop_timeout = policy_long(v[8]);
    }
    for (int i = 0; i < N_KEYS; i++)
        free(v[i]);
    return ok;
}

/* ---------------------------------------------------------------------------
 * Groups
 * ------------------------------------------------------------------------- */

/* The operator's constraints: "banned" nodes are no possible owners,
 * "prefer" goes first among the preferred owners. */
static bool group_constraints(wp_sched_input *in, wp_sched_group *g, const json_t *j,
                              const char *where, wp_err *err)
{
    const json_t *banned = json_object_get(j, "banned");
    int prefer = WP_SCHED_NO_NODE;
    size_t i;
    json_t *b;
    if (banned && !json_is_array(banned))
        return fail(err, where, "\"banned\" is not an array of node names",
                    "give it as [\"n1\", ...] or leave it out");
    json_array_foreach(banned, i, b)
    {
        int n = json_is_string(b) ? find_node(in, json_string_value(b)) : WP_SCHED_NO_NODE;
        if (n == WP_SCHED_NO_NODE)
            return fail(err, where, "\"banned\" names a node that is not in \"nodes\"",
                        "add the node to \"nodes\" or fix the name");
        if (!g->possible) {
            g->possible = xcalloc(in->n_nodes, sizeof *g->possible);
            for (size_t k = 0; k < in->n_nodes; k++)
                g->possible[k] = true;
        }
        g->possible[n] = false;
    }
    if (!get_node_ref(in, j, "prefer", &prefer, where, err))
        return false;
    if (prefer != WP_SCHED_NO_NODE) {
        int *list = xcalloc(g->n_preferred + 1, sizeof *list);
        size_t n = 0;
        list[n++] = prefer;
        for (size_t k = 0; k < g->n_preferred; k++)
            if (g->preferred[k] != prefer)
                list[n++] = g->preferred[k];
        free(g->preferred);
        g->preferred = list;
        g->n_preferred = n;
    }
    return true;
}

static bool parse_group(wp_sched_input *in, size_t i, const json_t *j, const json_t *defs,
                        wp_err *err)
{
    static const char *const keys[] = {"name",      "policy", "owner",  "target", "move_to",
                                       "failovers", "prefer", "banned", NULL};
    static const char *const targets[] = {"offline", "online", NULL};
    wp_sched_group *g = &in->groups[i];
    char where[WHERE_MAX];
    const json_t *mv;
    int target;

    g->owner = WP_SCHED_NO_NODE;
    g->move_to = WP_SCHED_MOVE_NONE;
    wheref(where, "groups[%zu]", i);
    if (!check_keys(j, keys, where, err) || !get_name(j, "name", "group", g->name, where, err))
        return false;
    wheref(where, "group \"%s\"", g->name);
    if (!group_policy(in, g, json_object_get(j, "policy"), defs, where, err) ||
        !get_node_ref(in, j, "owner", &g->owner, where, err) ||
        !get_word(j, "target", targets, 1, &target, where, err) ||
        !get_times(j, "failovers", &g->failovers, &g->n_failovers, where, err))
        return false;
    g->target_online = target == 1;
    mv = json_object_get(j, "move_to");
    if (json_is_string(mv) && strcmp(json_string_value(mv), "@best") == 0)
        g->move_to = WP_SCHED_MOVE_BEST;
    else if (!get_node_ref(in, j, "move_to", &g->move_to, where, err))
        return false;
    return group_constraints(in, g, j, where, err);
}

static int cmp_group(const void *a, const void *b)
{
    return strcmp(((const wp_sched_group *)a)->name, ((const wp_sched_group *)b)->name);
}

/* bsearch comparators: a name against an element whose name comes first. */
static int cmp_name_group(const void *name, const void *g)
{
    return strcmp(name, ((const wp_sched_group *)g)->name);
}

static int cmp_name_resource(const void *name, const void *r)
{
    return strcmp(name, ((const wp_sched_resource *)r)->name);
}

static int find_group(const wp_sched_input *in, const char *name)
{
    const wp_sched_group *g =
        bsearch(name, in->groups, in->n_groups, sizeof *in->groups, cmp_name_group);
    return g ? (int)(g - in->groups) : -1;
}

/* ---------------------------------------------------------------------------
 * Resources
 * ------------------------------------------------------------------------- */

/* Parse resources[json_index] of the JSON into in->resources[i]. */
static bool parse_resource(wp_sched_input *in, size_t json_index, size_t i, const json_t *j,
                           const json_t *defs, wp_err *err)
{
    static const char *const keys[] = {"name",          "group",
                                       "type",          "class",
                                       "depends_on",    "policy",
                                       "state",         "node",
                                       "restarts",      "target",
                                       "pending_since", "failures",
                                       "stop_failed",   "permanent_failure",
                                       "new",           NULL};
    static const char *const states[] = {"Offline",        "Online",          "Failed",
                                         "Online Pending", "Offline Pending", NULL};
    static const char *const targets[] = {"offline", "online", NULL};
    wp_sched_resource *r = &in->resources[i];
    char where[WHERE_MAX], gname[WP_NAME_MAX + 1];
    const json_t *v;
    int st, target, gi;

    r->node = WP_SCHED_NO_NODE;
    wheref(where, "resources[%zu]", json_index);
    if (!check_keys(j, keys, where, err) || !get_name(j, "name", "resource", r->name, where, err))
        return false;
    wheref(where, "resource \"%s\"", r->name);
    if (!get_name(j, "group", "group", gname, where, err))
        return false;
    if ((gi = find_group(in, gname)) < 0)
        return fail(err, where, "its \"group\" is not in \"groups\"",
                    "add the group to \"groups\" or fix the name");
    r->group = (size_t)gi;
    v = json_object_get(j, "type");
    if (!json_is_string(v))
        return fail(err, where, "\"type\" is missing or not a string",
                    "give the resource type, e.g. \"IP Address\"");
    if (!wp_rtype_parse(json_string_value(v), &r->type, err))
        return relabel(err, where);
    v = json_object_get(j, "class");
    if (v && (!json_is_string(v) ||
              strcmp(json_string_value(v), wp_rclass_name(wp_rtype_class(r->type))) != 0))
        return fail(err, where, "\"class\" does not match the class of its type",
                    "leave \"class\" out or give the type's class");
    if (!resource_policy(r, json_object_get(j, "policy"), defs, where, err) ||
        !get_word(j, "state", states, -1, &st, where, err) ||
        !get_node_ref(in, j, "node", &r->node, where, err) ||
        !get_word(j, "target", targets, 1, &target, where, err) ||
        !get_times(j, "restarts", &r->restarts, &r->n_restarts, where, err) ||
        !get_times(j, "failures", &r->failures, &r->n_failures, where, err) ||
        !get_bool(j, "stop_failed", false, &r->stop_failed, where, err) ||
        !get_bool(j, "permanent_failure", false, &r->permanent, where, err) ||
        !get_bool(j, "new", false, &r->is_new, where, err))
        return false;
    r->state = (wp_rstate)st;
    r->target_online = target == 1;
    v = json_object_get(j, "pending_since");
    r->has_pending_since = v && !json_is_null(v);
    if (!get_int(j, "pending_since", false, 0, &r->pending_since, where, err))
        return false;
    if (r->state != WP_RS_OFFLINE && r->node == WP_SCHED_NO_NODE)
        return fail(err, where, "it is not Offline but has no \"node\"",
                    "give the node it runs on, or state \"Offline\"");
    return true;
}

static int find_resource(const wp_sched_input *in, const char *name)
{
    const wp_sched_resource *r =
        bsearch(name, in->resources, in->n_resources, sizeof *in->resources, cmp_name_resource);
    return r ? (int)(r - in->resources) : -1;
}

/* What is wrong with resource i depending on resource di, or NULL. */
static const char *dep_problem(const wp_sched_input *in, size_t i, int di)
{
    const wp_sched_resource *r = &in->resources[i];
    if (di < 0)
        return "\"depends_on\" names a resource that is not in \"resources\"";
    if ((size_t)di == i)
        return "it depends on itself";
    if (in->resources[di].group != r->group)
        return "it depends on a resource of another group (dependencies stay inside one group)";
    for (size_t m = 0; m < r->n_depends_on; m++)
        if (r->depends_on[m] == (size_t)di)
            return "it lists the same dependency twice";
    return NULL;
}

/* Resolve depends_on (names) once resources are sorted. */
static bool resolve_deps(wp_sched_input *in, size_t i, const json_t *j, wp_err *err)
{
    wp_sched_resource *r = &in->resources[i];
    const json_t *deps = json_object_get(j, "depends_on");
    char where[WHERE_MAX];
    size_t k;
    json_t *d;

    if (!deps || (json_is_array(deps) && json_array_size(deps) == 0))
        return true;
    wheref(where, "resource \"%s\"", r->name);
    if (!json_is_array(deps))
        return fail(err, where, "\"depends_on\" is not an array of resource names",
                    "write it as [\"name\", ...]");
    r->depends_on = xcalloc(json_array_size(deps), sizeof *r->depends_on);
    json_array_foreach(deps, k, d)
    {
        int di = json_is_string(d) ? find_resource(in, json_string_value(d)) : -1;
        const char *problem = dep_problem(in, i, di);
        if (problem) {
            char why[WHERE_MAX + 120];
            snprintf(why, sizeof why, "%s (\"%.63s\")", problem,
                     json_is_string(d) ? json_string_value(d) : "not a string");
            return fail(err, where, why, "fix or remove that dependency");
        }
        r->depends_on[r->n_depends_on++] = (size_t)di;
    }
    return true;
}

/* Start order of every group: Kahn's algorithm, the lowest index (= name)
 * among the ready resources first.  A leftover resource means a cycle. */
static bool order_groups(wp_sched_input *in, wp_err *err)
{
    size_t *count = xcalloc(in->n_groups, sizeof *count);
    bool *placed = xcalloc(in->n_resources, sizeof *placed);
    bool ok = true;

    for (size_t i = 0; i < in->n_resources; i++)
        count[in->resources[i].group]++;
    for (size_t gi = 0; gi < in->n_groups; gi++)
        in->groups[gi].order = xcalloc(count[gi], sizeof(size_t));
    /* members of each group, by index, reusing order[] as scratch below */
    size_t *members = xcalloc(in->n_resources, sizeof *members);
    size_t *start = xcalloc(in->n_groups + 1, sizeof *start);
    for (size_t gi = 0; gi < in->n_groups; gi++)
        start[gi + 1] = start[gi] + count[gi];
    memset(count, 0, in->n_groups * sizeof *count);
    for (size_t i = 0; i < in->n_resources; i++) {
        size_t gi = in->resources[i].group;
        members[start[gi] + count[gi]++] = i;
    }
    for (size_t gi = 0; ok && gi < in->n_groups; gi++) {
        wp_sched_group *g = &in->groups[gi];
        while (g->n_order < count[gi]) {
            size_t pick = SIZE_MAX;
            for (size_t m = start[gi]; m < start[gi + 1] && pick == SIZE_MAX; m++) {
                const wp_sched_resource *r = &in->resources[members[m]];
                bool ready = !placed[members[m]];
                for (size_t d = 0; ready && d < r->n_depends_on; d++)
                    ready = placed[r->depends_on[d]];
                if (ready)
                    pick = members[m];
            }
            if (pick == SIZE_MAX) {
                char where[WHERE_MAX];
                wheref(where, "group \"%s\"", g->name);
                ok = fail(err, where, "the dependencies of its resources form a cycle",
                          "remove one dependency of the cycle");
                break;
            }
            placed[pick] = true;
            g->order[g->n_order++] = pick;
        }
    }
    free(members);
    free(start);
    free(placed);
    free(count);
    return ok;
}

/* ---------------------------------------------------------------------------
 * The whole input
 * ------------------------------------------------------------------------- */

/* A resource's place in the JSON array and its name, to parse resources in
 * name order (so that dependencies resolve by binary search). */
struct res_slot {
    const char *name;
    size_t json_index;
};

static int cmp_slot(const void *a, const void *b)
{
    const struct res_slot *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->json_index > y->json_index) - (x->json_index < y->json_index);
}

static bool parse_resources(wp_sched_input *in, const json_t *res, const json_t *defs, wp_err *err)
{
    size_t n = json_array_size(res);
    struct res_slot *slot = xcalloc(n, sizeof *slot);
    bool ok = true;

    for (size_t i = 0; i < n; i++) {
        const char *name = wp_json_str(json_array_get(res, i), "name");
        slot[i] = (struct res_slot){name ? name : "", i};
    }
    qsort(slot, n, sizeof *slot, cmp_slot);
    in->resources = xcalloc(n, sizeof *in->resources);
    for (size_t i = 0; ok && i < n; i++) {
        in->n_resources++;
        ok = parse_resource(in, slot[i].json_index, i, json_array_get(res, slot[i].json_index),
                            defs, err);
        if (ok && i > 0 && strcmp(in->resources[i - 1].name, in->resources[i].name) == 0) {
            char where[WHERE_MAX];
            wheref(where, "resource \"%s\"", in->resources[i].name);
            ok = fail(err, where, "two resources have this name",
                      "give every resource its own name (names are cluster-wide)");
        }
    }
    for (size_t i = 0; ok && i < n; i++)
        ok = resolve_deps(in, i, json_array_get(res, slot[i].json_index), err);
    free(slot);
    return ok;
}

/* colocate_with and start_after name groups; a name that is no group (or
 * the group itself) resolves to -1 and the scheduler says it is ignored, so
 * that deleting a group never stops the whole cluster's scheduling. */
static void resolve_group_refs(wp_sched_input *in)
{
    for (size_t i = 0; i < in->n_groups; i++) {
        wp_sched_group *g = &in->groups[i];
        g->colocate_group = *g->colocate_with ? find_group(in, g->colocate_with) : -1;
        g->after_group = *g->start_after ? find_group(in, g->start_after) : -1;
        if (g->colocate_group == (int)i)
            g->colocate_group = -1;
        if (g->after_group == (int)i)
            g->after_group = -1;
    }
}

static const json_t *get_array(const json_t *json, const char *key, wp_err *err)
{
    const json_t *a = json_object_get(json, key);
    if (!json_is_array(a)) {
        char why[96];
        snprintf(why, sizeof why, "\"%s\" is missing or not an array", key);
        fail(err, "the top level", why, "give it as an array (it may be empty)");
        return NULL;
    }
    return a;
}

/* defs: the model's policy defaults, made once per parse (group, resource). */
static bool parse_all(wp_sched_input *in, const json_t *json, json_t *const defs[2], wp_err *err)
{
    static const char *const keys[] = {"now",    "tz_offset", "maintenance", "nodes",
                                       "groups", "resources", NULL};
    const json_t *nodes, *groups, *res;
    int64_t tz;
    size_t i;
    json_t *j;

    if (!check_keys(json, keys, "the top level", err) ||
        !get_int(json, "now", true, 0, &in->now, "the top level", err) ||
        !get_int(json, "tz_offset", false, 0, &tz, "the top level", err) ||
        !get_bool(json, "maintenance", false, &in->maintenance, "the top level", err) ||
        !(nodes = get_array(json, "nodes", err)) || !(groups = get_array(json, "groups", err)) ||
        !(res = get_array(json, "resources", err)))
        return false;
    if (tz < -86400 || tz > 86400)
        return fail(err, "the top level", "\"tz_offset\" is outside -86400..86400 seconds",
                    "give the local time's offset from UTC in seconds, e.g. 3600");
    in->tz_offset = (long)tz;
    if (json_array_size(nodes) > WP_SCHED_MAX_NODES)
        return fail(err, "the top level", "\"nodes\" has more nodes than a cluster can have",
                    "give at most " WP_SCHED_MAX_NODES_TEXT " nodes");
    in->nodes = xcalloc(json_array_size(nodes), sizeof *in->nodes);
    json_array_foreach(nodes, i, j)
    {
        if (!parse_node(in, i, j, err))
            return false;
        in->n_nodes++;
    }
    in->groups = xcalloc(json_array_size(groups), sizeof *in->groups);
    json_array_foreach(groups, i, j)
    {
        in->n_groups++;
        if (!parse_group(in, i, j, defs[0], err))
            return false;
    }
    qsort(in->groups, in->n_groups, sizeof *in->groups, cmp_group);
    for (i = 1; i < in->n_groups; i++)
        if (strcmp(in->groups[i - 1].name, in->groups[i].name) == 0) {
            char where[WHERE_MAX];
            wheref(where, "group \"%s\"", in->groups[i].name);
            return fail(err, where, "two groups have this name", "give every group its own name");
        }
    resolve_group_refs(in);
    return parse_resources(in, res, defs[1], err) && order_groups(in, err);
}

wp_sched_input *wp_sched_input_parse(const json_t *json, wp_err *err)
{
    wp_sched_input *in = xcalloc(1, sizeof *in);
    json_t *defs[2] = {wp_group_policy_defaults(), wp_resource_policy_defaults()};
    bool ok = parse_all(in, json, defs, err);
    json_decref(defs[0]);
    json_decref(defs[1]);
    if (!ok) {
        wp_sched_input_free(in);
        return NULL;
    }
    return in;
}

void wp_sched_input_free(wp_sched_input *in)
{
    if (!in)
        return;
    for (size_t i = 0; i < in->n_groups; i++) {
        free(in->groups[i].preferred);
        free(in->groups[i].possible);
        free(in->groups[i].failovers);
        free(in->groups[i].order);
    }
    for (size_t i = 0; i < in->n_resources; i++) {
        free(in->resources[i].depends_on);
        free(in->resources[i].restarts);
        free(in->resources[i].failures);
    }
    free(in->nodes);
    free(in->groups);
    free(in->resources);
    free(in);
}
