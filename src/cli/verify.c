/*
 * verify.c -- the pure checks of `wolfpack verify` (verify.h): each object
 * of an exported configuration on its own (names, types, properties,
 * policies, with the model's validators the daemon uses) and the rules
 * between objects that no single change can see:
 *
 *   errors    a resource in a group that does not exist; a dependency on a
 *             resource that does not exist or lives in another group; a
 *             dependency cycle; two resources claiming the same IP address,
 *             host name, disk device or mount point; a name used twice
 *   warnings  a group without resources; an owner list naming a node that
 *             is not in the cluster; a group that can run on one node only
 *             of several; a Network Name that depends on no IP Address; a
 *             fence device for a node that is not in the cluster; shared
 *             disks on several nodes with no fence device
 *
 * No I/O here: cmd_verify.c adds what only the local node can tell.
 */
#include "../agents/precheck.h"
#include "verify.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "../lib/err.h"
#include "../lib/model.h"
#include "../lib/json.h"

size_t wp_verify_count(const json_t *findings, bool errors)
{
    size_t i, n = 0;
    json_t *f;
    json_array_foreach(findings, i, f)
    {
        bool is_error = strcmp(wp_json_str(f, "level"), "error") == 0;
        n += is_error == errors;
    }
    return n;
}

/* "resource NAME" (or "group NAME") for a finding's object. */
static void label(char *buf, size_t size, const char *kind, const char *name)
{
    snprintf(buf, size, "%s %s", kind, name[0] ? name : "(no name)");
}

static void add_err(json_t *findings, const char *object, const wp_err *err)
{
    wp_precheck_add(findings, true, object, err->todo, "%s%s%s", err->what, err->why[0] ? ": " : "",
                    err->why);
}

const json_t *wp_verify_by_name(const json_t *list, const char *name)
{
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        if (strcasecmp(wp_json_str_or(v, "name", ""), name) == 0)
            return v;
    }
    return NULL;
}

static bool is_node(const json_t *config, const char *name)
{
    return wp_verify_by_name(json_object_get(config, "nodes"), name) != NULL;
}

static void check_names(const json_t *config, const char *key, const char *kind, json_t *findings)
{
    const json_t *list = json_object_get(config, key);
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        char obj[128];
        label(obj, sizeof obj, kind, wp_json_str_or(v, "name", ""));
        wp_err err = {0};
        if (!wp_name_valid(kind, wp_json_str_or(v, "name", ""), &err))
            add_err(findings, obj, &err);
        else if (wp_verify_by_name(list, wp_json_str_or(v, "name", "")) != v)
            wp_precheck_add(findings, true, obj, "rename or remove one of them",
                            "the name is used by two %ss", kind);
    }
}

/* Each node of a comma list that is not in the cluster: a warning. */
static void check_owner_list(const json_t *config, const char *obj, const char *key,
                             const char *list, json_t *findings)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", list);
    char *save = NULL;
    for (char *n = strtok_r(copy, ", ", &save); n; n = strtok_r(NULL, ", ", &save))
        if (!is_node(config, n))
            wp_precheck_add(findings, false, obj, "add the node, or remove it from the list",
                            "%s names node '%s', which is not in the cluster", key, n);
}

/* How many cluster nodes the group may run on. */
static size_t usable_owners(const json_t *config, const char *possible)
{
    size_t nodes = json_array_size(json_object_get(config, "nodes"));
    if (!possible[0])
        return nodes;
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", possible);
    char *save = NULL;
    size_t n = 0;
    for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
        n += is_node(config, t);
    return n;
}

static size_t resources_in(const json_t *config, const char *group)
{
    size_t i, n = 0;
    json_t *r;
    json_array_foreach(json_object_get(config, "resources"), i, r) n +=
        strcasecmp(wp_json_str_or(r, "group", ""), group) == 0;
    return n;
}

static void check_group(const json_t *config, const json_t *g, json_t *findings)
{
    char obj[128];
    label(obj, sizeof obj, "group", wp_json_str_or(g, "name", ""));
    const json_t *policy = json_object_get(g, "policy");
    wp_err err = {0};
    if (policy && !wp_group_policy_check(policy, &err))
        add_err(findings, obj, &err);
    check_owner_list(config, obj, "preferred_owners",
                     wp_json_str_or(policy, "preferred_owners", ""), findings);
    check_owner_list(config, obj, "possible_owners", wp_json_str_or(policy, "possible_owners", ""),
                     findings);
    size_t nodes = json_array_size(json_object_get(config, "nodes"));
    size_t usable = usable_owners(config, wp_json_str_or(policy, "possible_owners", ""));
    if (nodes > 1 && usable < 2)
        wp_precheck_add(findings, false, obj,
                        "add a second node to possible_owners (group set G --policy "
                        "possible_owners=...)",
                        "it can run on %zu of the cluster's %zu nodes: it cannot fail over", usable,
                        nodes);
    if (resources_in(config, wp_json_str_or(g, "name", "")) == 0 &&
        strcasecmp(wp_json_str_or(g, "name", ""), WP_CLUSTER_GROUP) != 0)
        wp_precheck_add(findings, false, obj, "add resources to it, or delete it",
                        "the group has no resources");
}

/* Does resource r depend (directly) on a resource of type `type`? */
static bool depends_on_type(const json_t *config, const json_t *r, wp_rtype type)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(r, "depends_on"), i, d)
    {
        const json_t *o =
            wp_verify_by_name(json_object_get(config, "resources"), json_string_value(d));
        wp_rtype t;
        if (o && wp_rtype_parse(wp_json_str_or(o, "type", ""), &t, NULL) && t == type)
            return true;
    }
    return false;
}

static void check_resource(const json_t *config, const json_t *r, json_t *findings)
{
    char obj[128];
    label(obj, sizeof obj, "resource", wp_json_str_or(r, "name", ""));
    wp_err err = {0};
    if (!wp_verify_by_name(json_object_get(config, "groups"), wp_json_str_or(r, "group", "")))
        wp_precheck_add(findings, true, obj, "create the group, or move the resource to another",
                        "its group '%s' does not exist", wp_json_str_or(r, "group", ""));
    wp_rtype type;
    if (!wp_rtype_parse(wp_json_str_or(r, "type", ""), &type, &err)) {
        add_err(findings, obj, &err);
    } else {
        json_t *props = json_object_get(r, "props");
        json_t *empty = json_object();
        if (!wp_props_validate_all(type, props ? props : empty, &err))
            add_err(findings, obj, &err);
        json_decref(empty);
        if (type == WP_RT_NETNAME && !depends_on_type(config, r, WP_RT_IP))
            wp_precheck_add(findings, false, obj,
                            "make it depend on the group's IP Address (resource depend NAME --on "
                            "IP)",
                            "a Network Name that depends on no IP Address may come online "
                            "before its address");
    }
    const json_t *policy = json_object_get(r, "policy");
    if (policy && !wp_resource_policy_check(policy, &err))
        add_err(findings, obj, &err);
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(r, "depends_on"), i, d)
    {
        const char *on = json_string_value(d) ? json_string_value(d) : "";
        const json_t *o = wp_verify_by_name(json_object_get(config, "resources"), on);
        if (!o)
            wp_precheck_add(findings, true, obj, "remove the dependency (resource undepend)",
                            "it depends on '%s', which does not exist", on);
        else if (strcasecmp(wp_json_str_or(o, "group", ""), wp_json_str_or(r, "group", "")) != 0)
            wp_precheck_add(findings, true, obj, "remove the dependency (resource undepend)",
                            "it depends on '%s' of group '%s': dependencies stay inside a group",
                            on, wp_json_str_or(o, "group", ""));
    }
}

/* Depth-first search for a cycle through r; mark: 0 new, 1 on the path,
 * 2 done (indexed like the resources array). */
static bool cycle_from(const json_t *res, size_t at, unsigned char *mark)
{
    if (mark[at] == 1)
        return true;
    if (mark[at] == 2)
        return false;
    mark[at] = 1;
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(json_array_get(res, at), "depends_on"), i, d)
    {
        const json_t *o = wp_verify_by_name(res, json_string_value(d) ? json_string_value(d) : "");
        for (size_t k = 0; o && k < json_array_size(res); k++)
            if (json_array_get(res, k) == o && cycle_from(res, k, mark))
                return true;
    }
    mark[at] = 2;
    return false;
}

static void check_cycles(const json_t *config, json_t *findings)
{
    const json_t *res = json_object_get(config, "resources");
    size_t n = json_array_size(res);
    unsigned char mark[4096];
    if (n > sizeof mark)
        return;
    for (size_t i = 0; i < n; i++) {
        memset(mark, 0, n);
        if (cycle_from(res, i, mark)) {
            char obj[128];
            label(obj, sizeof obj, "resource", wp_json_str_or(json_array_get(res, i), "name", ""));
            wp_precheck_add(findings, true, obj,
                            "remove one dependency of the cycle (resource "
                            "undepend)",
                            "it is part of a dependency cycle: the group can never start");
        }
    }
}

/* Two resources with the same value of prop (compared up to stop, e.g.
 * '/' for an address's prefix): an error on the second. */
static void check_unique(const json_t *config, const char *type, const char *prop, char stop,
                         const char *what, json_t *findings)
{
    const json_t *res = json_object_get(config, "resources");
    size_t i, k;
    json_t *a, *b;
    json_array_foreach(res, i, a)
    {
        const char *va = wp_json_str_or(json_object_get(a, "props"), prop, "");
        if (strcasecmp(wp_json_str_or(a, "type", ""), type) != 0 || !va[0])
            continue;
        size_t la = strchr(va, stop) ? (size_t)(strchr(va, stop) - va) : strlen(va);
        json_array_foreach(res, k, b)
        {
            if (k >= i)
                break;
            const char *vb = wp_json_str_or(json_object_get(b, "props"), prop, "");
            size_t lb = strchr(vb, stop) ? (size_t)(strchr(vb, stop) - vb) : strlen(vb);
            if (strcasecmp(wp_json_str_or(b, "type", ""), type) == 0 && la == lb && la &&
                strncasecmp(va, vb, la) == 0) {
                char obj[128];
                label(obj, sizeof obj, "resource", wp_json_str_or(a, "name", ""));
                wp_precheck_add(findings, true, obj, "give one of them another value",
                                "its %s %.*s is also that of resource %s", what, (int)la, va,
                                wp_json_str_or(b, "name", ""));
                break;
            }
        }
    }
}

static void check_fencing(const json_t *config, json_t *findings)
{
    const json_t *devs = json_object_get(config, "fence_devices");
    size_t i;
    json_t *f;
    json_array_foreach(devs, i, f)
    {
        char obj[128];
        label(obj, sizeof obj, "fence device", wp_json_str_or(f, "name", ""));
        size_t k;
        json_t *v;
        json_array_foreach(json_object_get(f, "nodes"), k,
                           v) if (json_is_string(v) && !is_node(config, json_string_value(v)))
            wp_precheck_add(findings, false, obj,
                            "remove the device and create it again without "
                            "that node",
                            "it fences node '%s', which is not in the cluster",
                            json_string_value(v));
    }
    bool disks = false;
    json_array_foreach(json_object_get(config, "resources"), i, f) disks =
        disks || strcasecmp(wp_json_str_or(f, "type", ""), wp_rtype_name(WP_RT_DISK)) == 0;
    if (disks && json_array_size(json_object_get(config, "nodes")) > 1 &&
        json_array_size(devs) == 0)
        wp_precheck_add(findings, false, "cluster", "create a fence device (docs/FENCING.md)",
                        "shared disks on several nodes and no fence device: a node that hangs "
                        "is only kept off the disk by its lease");
}

void wp_verify_config(const json_t *config, json_t *findings)
{
    if (!json_is_object(config) ||
        strcmp(wp_json_str_or(config, "format", ""), "wolfpack-export-1") != 0) {
        wp_precheck_add(findings, true, "configuration",
                        "give the output of `wolfpack cluster export`",
                        "not a wolfpack configuration (format wolfpack-export-1)");
        return;
    }
    static const char *const lists[] = {"nodes", "groups", "resources"};
    for (size_t i = 0; i < 3; i++)
        if (!json_is_array(json_object_get(config, lists[i]))) {
            wp_precheck_add(findings, true, "configuration",
                            "give the output of `wolfpack cluster export`",
                            "its \"%s\" is not a list", lists[i]);
            return;
        }
    check_names(config, "groups", "group", findings);
    check_names(config, "resources", "resource", findings);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(config, "groups"), i, v) check_group(config, v, findings);
    json_array_foreach(json_object_get(config, "resources"), i, v)
        check_resource(config, v, findings);
    check_cycles(config, findings);
    check_unique(config, wp_rtype_name(WP_RT_IP), "address", '/', "address", findings);
    check_unique(config, wp_rtype_name(WP_RT_NETNAME), "hostname", '\0', "host name", findings);
    check_unique(config, wp_rtype_name(WP_RT_DISK), "device", '\0', "device", findings);
    check_unique(config, wp_rtype_name(WP_RT_DISK), "mountpoint", '\0', "mount point", findings);
    check_fencing(config, findings);
}
