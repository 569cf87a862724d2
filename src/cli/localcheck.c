/*
 * localcheck.c -- a resource's checks on the nodes that may own it
 * (verify.h): this node's own (src/agents/precheck.c) for `wolfpack
 * verify` and `resource create`, and, before `resource create` or `set`
 * stores anything, every other possible owner's, each through a node task
 * resource-check that the node's wolfpackd runs there (src/app/tasks.c,
 * docs/APP.md "Node tasks"); a possible owner that is down is a warning
 * (its checks did not run).  A task is forgotten (app.task.forget) once
 * its answer is read.
 *
 * wp_verify_precheck prints the warnings to stderr, each naming its node;
 * an error (the agent refuses the parameters there, the address is in
 * use) refuses the creation or change unless --force.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../agents/precheck.h"
#include "../app/cluster.h"
#include "../lib/json.h"
#include "verify.h"

/* How long one possible owner's checks may take (validate-all, meta-data:
 * 10 s each at most). */
#define OWNER_CHECK_TIMEOUT_S 60

void wp_verify_local_resource(const json_t *r, bool network, json_t *findings)
{
    char host[128] = "";
    char here[160];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = '\0';
    snprintf(here, sizeof here, "on this node (%s)", host);
    wp_precheck_resource(r, network, here, findings);
}

void wp_verify_local(const json_t *config, json_t *findings)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(config, "resources"), i, r)
        wp_verify_local_resource(r, false, findings);
}

/* Is node (a name) in the comma list (empty: every node)? */
static bool in_list(const char *list, const char *node)
{
    if (!list[0])
        return true;
    char *copy = strdup(list), *save = NULL;
    bool found = false;
    for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t && !found;
         t = strtok_r(NULL, ", ", &save))
        found = strcasecmp(t, node) == 0;
    free(copy);
    return found;
}

/* The object a finding about a node's checks names: the one resource, or
 * "node NODE" for several. */
static void check_object(const json_t *resources, const char *node, char *obj, size_t size)
{
    if (json_array_size(resources) == 1)
        snprintf(obj, size, "resource %s",
                 wp_json_str_or(json_array_get(resources, 0), "name", ""));
    else
        snprintf(obj, size, "node %s", node);
}

/* One other node's findings for resources (its node task's output), or a
 * warning that they could not be had. */
static void node_check(wp_app_cluster *c, const char *node, const json_t *resources,
                       json_t *findings)
{
    char obj[128];
    check_object(resources, node, obj, sizeof obj);
    wp_err err = {0};
    /* a node task's args are strings: the resources travel as JSON text */
    char *text = json_dumps(resources, JSON_COMPACT);
    json_t *args = json_pack("{s:s, s:s}", "app", "wolfpack", "resources", text ? text : "[]");
    free(text);
    json_t *done = wp_app_task_output(c, node, "wolfpack", "resource-check", args,
                                      OWNER_CHECK_TIMEOUT_S, &err);
    json_decref(args);
    const json_t *got = json_object_get(json_object_get(done, "output"), "findings");
    if (done && strcmp(wp_json_str_or(done, "state", ""), "ok") == 0 && json_is_array(got)) {
        size_t i;
        json_t *f;
        json_array_foreach(got, i, f) json_array_append(findings, f);
    } else {
        wp_precheck_add(findings, false, obj, "run 'wolfpack verify' on that node",
                        "on node %s: its checks did not run: %s%s%s", node,
                        done ? wp_json_str_or(done, "error", "") : err.what,
                        done || !err.why[0] ? "" : ": ", done ? "" : err.why);
    }
    if (done) /* read: the task need not stay in the cluster database */
        json_decref(wp_client_call(c->client, "app.task.forget",
                                   json_pack("{s:s}", "id", wp_json_str_or(done, "id", "")), NULL,
                                   NULL));
    json_decref(done);
}

/* The resources of config that node may own (their group's possible
 * owners name it, or are empty). */
static json_t *owned_by(const json_t *config, const char *node)
{
    json_t *out = json_array();
    size_t i, k;
    json_t *r, *g;
    json_array_foreach(json_object_get(config, "resources"), i, r)
    {
        const char *owners = "";
        json_array_foreach(
            json_object_get(config, "groups"), k,
            g) if (strcasecmp(wp_json_str_or(g, "name", ""), wp_json_str_or(r, "group", "")) == 0)
            owners = wp_json_str_or(json_object_get(g, "policy"), "possible_owners", "");
        if (in_list(owners, node))
            json_array_append(out, r);
    }
    return out;
}

/* Every other node's checks of the resources of config it may own: a node
 * that is up through a node task, one that is down a warning.  No daemon:
 * nothing to add (what needs it says so itself). */
static void others_check(wp_app_cluster *c, const json_t *config, json_t *findings)
{
    wp_err err = {0};
    json_t *st = wp_client_call(c->client, "status", NULL, NULL, &err);
    size_t i, j;
    json_t *n, *m;
    json_array_foreach(json_object_get(st, "nodes"), i, n)
    {
        const char *name = wp_json_str_or(n, "name", "");
        json_t *mine = strcasecmp(name, c->node) == 0 ? NULL : owned_by(config, name);
        bool up = false;
        json_array_foreach(json_object_get(st, "members"), j, m) up =
            up || json_integer_value(m) == json_integer_value(json_object_get(n, "id"));
        char obj[128];
        check_object(mine, name, obj, sizeof obj);
        if (json_array_size(mine) && up)
            node_check(c, name, mine, findings);
        else if (json_array_size(mine))
            wp_precheck_add(findings, false, obj,
                            "run 'wolfpack verify' on that node once it is up",
                            "on node %s: the node is down, its checks did not run", name);
        json_decref(mine);
    }
    json_decref(st);
}

void wp_verify_others(const json_t *config, const char *socket_path, json_t *findings)
{
    wp_app_env env;
    wp_app_cluster c;
    wp_err err = {0};
    if (!wp_app_env_init(&env, NULL, &err) || !wp_app_cluster_open(&c, &env, socket_path, &err))
        return;
    c.out = stderr;
    others_check(&c, config, findings);
    wp_app_cluster_close(&c);
}

/* resource create / set: the other possible owners of its group. */
static void owners_check(const json_t *resource, const char *socket_path, json_t *findings)
{
    wp_app_env env;
    wp_app_cluster c;
    wp_err err = {0};
    if (!wp_app_env_init(&env, NULL, &err) || !wp_app_cluster_open(&c, &env, socket_path, &err))
        return; /* the create itself says what is wrong with the daemon */
    c.out = stderr;
    json_t *g = wp_client_call(c.client, "group.show",
                               json_pack("{s:s}", "name", wp_json_str_or(resource, "group", "")),
                               NULL, &err);
    json_t *config = g ? json_pack("{s:[O], s:[O]}", "groups", g, "resources", resource) : NULL;
    if (config)
        others_check(&c, config, findings);
    json_decref(config);
    json_decref(g);
    wp_app_cluster_close(&c);
}

/* Print one finding to stderr as a warning ("warning: ... / to do: ..."). */
static void warn(const json_t *f, const char *note)
{
    fprintf(stderr, "warning: %s: %s%s\n", wp_json_str_or(f, "object", ""),
            wp_json_str_or(f, "message", ""), note);
    if (wp_json_str_or(f, "todo", "")[0])
        fprintf(stderr, "  to do: %s\n", wp_json_str_or(f, "todo", ""));
}

bool wp_verify_precheck(const json_t *resource, bool creating, bool network, bool force,
                        const char *socket_path, wp_err *err)
{
    json_t *findings = json_array();
    wp_verify_local_resource(resource, network, findings);
    owners_check(resource, socket_path, findings);
    const json_t *refusal = NULL;
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f)
    {
        bool error = strcmp(wp_json_str_or(f, "level", ""), "error") == 0;
        if (error && !force && !refusal)
            refusal = f;
        else
            warn(f, !error     ? ""
                    : creating ? " (--force: created anyway)"
                               : " (--force: changed anyway)");
    }
    if (refusal) {
        bool in_use = strstr(wp_json_str_or(refusal, "message", ""), "already") != NULL;
        wp_errf(err, in_use ? WP_E_CONFLICT : WP_E_INVALID, "cannot %s %s",
                creating ? "create" : "change", wp_json_str_or(refusal, "object", ""));
        wp_err_why(err, "%s", wp_json_str_or(refusal, "message", ""));
        wp_err_todo(err, "%s; nothing was changed", wp_json_str_or(refusal, "todo", ""));
    }
    json_decref(findings);
    return refusal == NULL;
}
