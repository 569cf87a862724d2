/*
 * placement.c -- can a group move, and can a node be drained?  The CLI
 * asks before it sends `group move`, `group ban` or `node drain`, so that
 * a move that cannot happen says why at once instead of printing success
 * and doing nothing (docs/CLI.md, "Moves that cannot be done").
 *
 * The answer comes from one `status` read: the members of this partition,
 * each node's paused/drained flags, each group's possible_owners policy and
 * its ban constraints in force.  The database refuses what it can judge
 * itself (unknown node, not a possible owner, paused, drained); this adds
 * what only the live membership tells: a node that is down, and "no other
 * node can take it".
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../lib/json.h"
#include "cli.h"

static bool is_member(const json_t *st, json_int_t id)
{
    const json_t *m = json_object_get(st, "members");
    size_t i;
    json_t *v;
    json_array_foreach(m, i, v)
    {
        if (json_integer_value(v) == id)
            return true;
    }
    return false;
}

static bool in_list(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && strncasecmp(p, name, len) == 0)
            return true;
        p += n + (p[n] == ',');
    }
    return false;
}

static bool banned(const json_t *g, const char *node)
{
    const json_t *ban = json_object_get(json_object_get(g, "constraints"), "ban");
    const char *key;
    json_t *until;
    json_object_foreach((json_t *)ban, key, until)
    {
        json_int_t t = json_integer_value(until);
        if (strcasecmp(key, node) == 0 && (t == 0 || t > (json_int_t)time(NULL)))
            return true;
    }
    return false;
}

/* Why node n cannot take group g now, or NULL. */
static const char *node_refusal(const json_t *st, const json_t *g, const json_t *n)
{
    const char *name = wp_json_str(n, "name");
    const char *possible = wp_json_str(json_object_get(g, "policy"), "possible_owners");
    if (possible && *possible && !in_list(possible, name))
        return "it is not in the group's possible_owners";
    if (json_is_true(json_object_get(n, "drained")))
        return "it is drained";
    if (json_is_true(json_object_get(n, "paused")))
        return "it is paused";
    if (!is_member(st, json_integer_value(json_object_get(n, "id"))))
        return "it is down (not a member of this partition)";
    if (banned(g, name))
        return "the group is banned from it ('wolfpack group clear' lifts the ban)";
    return NULL;
}

/* Every node but `leaving`, with why it cannot take the group, into buf;
 * true when one of them can. */
static bool some_node_can(const json_t *st, const json_t *g, const char *leaving, char *buf,
                          size_t size)
{
    size_t used = 0, i;
    json_t *n;
    buf[0] = '\0';
    json_array_foreach(json_object_get(st, "nodes"), i, n)
    {
        const char *name = wp_json_str(n, "name");
        if (!name || (leaving && strcasecmp(name, leaving) == 0))
            continue;
        const char *why = node_refusal(st, g, n);
        if (!why)
            return true;
        int k = snprintf(buf + used, size - used, "%s%s: %s", used ? "; " : "", name, why);
        if (k < 0 || (size_t)k >= size - used)
            break;
        used += (size_t)k;
    }
    if (!buf[0])
        snprintf(buf, size, "the cluster has no other node");
    return false;
}

bool wp_cli_move_possible(wp_cli *cli, const char *group, const char *to, wp_err *err)
{
    json_t *st = wp_cli_call(cli, "status", NULL, NULL, err);
    if (!st)
        return false;
    const json_t *g = wp_json_find(json_object_get(st, "groups"), "name", group);
    const char *owner = wp_json_str(g, "owner");
    const json_t *n = to ? wp_json_find(json_object_get(st, "nodes"), "name", to) : NULL;
    char why[1024];
    bool ok = true;
    if (!g || (to && !n)) {
        ok = true; /* unknown names: the database says so */
    } else if (to) {
        const char *r = node_refusal(st, g, n);
        /* what the database refuses itself keeps its own message */
        ok = !r || strstr(r, "drained") || strstr(r, "paused") || strstr(r, "possible_owners");
        if (!ok) {
            wp_errf(err, WP_E_CONFLICT, "cannot move group '%s' to node '%s'", group, to);
            wp_err_why(err, "%s", r);
            wp_err_todo(err, "choose another node (wolfpack status shows which are up), or "
                             "wait until it is back");
        }
    } else if (!some_node_can(st, g, owner, why, sizeof why)) {
        ok = false;
        wp_errf(err, WP_E_CONFLICT, "cannot move group '%s'", group);
        wp_err_why(err, "no other node can take it: %s", why);
        wp_err_todo(err, "bring up or resume a node that is a possible owner of the group; "
                         "nothing was changed");
    }
    json_decref(st);
    return ok;
}

bool wp_cli_drain_possible(wp_cli *cli, const char *node, wp_err *err)
{
    json_t *st = wp_cli_call(cli, "status", NULL, NULL, err);
    if (!st)
        return false;
    char why[1024], stuck[2048] = "";
    size_t used = 0, i;
    json_t *g;
    json_array_foreach(json_object_get(st, "groups"), i, g)
    {
        const char *owner = wp_json_str(g, "owner");
        if (!owner || strcasecmp(owner, node) != 0 || some_node_can(st, g, node, why, sizeof why))
            continue;
        int k = snprintf(stuck + used, sizeof stuck - used, "%sgroup %s (%s)", used ? "; " : "",
                         wp_json_str(g, "name"), why);
        if (k < 0 || (size_t)k >= sizeof stuck - used)
            break;
        used += (size_t)k;
    }
    json_decref(st);
    if (!used)
        return true;
    wp_errf(err, WP_E_CONFLICT, "cannot drain node '%s'", node);
    wp_err_why(err, "its groups have nowhere to go: %s", stuck);
    wp_err_todo(err,
                "bring up or resume a node that can take them, or pause the node "
                "('wolfpack node pause %s') to keep its groups where they are; nothing was "
                "changed",
                node);
    return false;
}
