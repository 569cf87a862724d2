/*
 * cmd_resource.c -- `wolfpack resource create|set|delete|show|list|depend|
 * undepend|online|offline|fail`.
 *
 * A resource belongs to one group, has a type (src/lib/model.h), typed
 * properties, policies and dependencies inside its group.  What can be
 * checked without the cluster's state is checked here first (name, type,
 * every property of a new resource, policy values); the daemon checks again
 * and adds what needs state (group exists, dependency rules, duplicates).
 * `resource list` prints resources in the order the daemon returns them,
 * which is dependency order within each group.  online/offline record the
 * resource's target (the coordinator acts on it); fail simulates a failure
 * of an Online resource, as cluster.exe's /fail does.
 */
#include <string.h>

#include "../lib/json.h"
#include "../lib/model.h"
#include "cli.h"
#include "verify.h"

static const char usage_create[] = "wolfpack resource create NAME --group G --type TYPE "
                                   "[--prop K=V ...] [--policy K=V ...] [--depends-on OTHER ...] "
                                   "[--force]";
static const char usage_set[] = "wolfpack resource set NAME [--prop K=V ...] [--policy K=V ...] "
                                "[--unset-prop K ...] [--reset-policy K ...] [--restart] [--force]";
static const char usage_delete[] = "wolfpack resource delete NAME [--no-stop]";
static const char usage_show[] = "wolfpack resource show NAME [--json]";
static const char usage_list[] = "wolfpack resource list [--group G] [--json]";
static const char usage_depend[] = "wolfpack resource depend NAME --on OTHER";
static const char usage_undepend[] = "wolfpack resource undepend NAME --on OTHER";
static const char usage_online[] = "wolfpack resource online NAME";
static const char usage_offline[] = "wolfpack resource offline NAME";
static const char usage_fail[] = "wolfpack resource fail NAME";
static const char usage_manage[] = "wolfpack resource manage NAME";
static const char usage_unmanage[] = "wolfpack resource unmanage NAME";
static const char usage_cleanup[] = "wolfpack resource cleanup NAME";

static void print_list(const json_t *resources, FILE *out)
{
    static const char *const head[] = {"GROUP", "RESOURCE", "TYPE", "STATE", "NODE", "DEPENDS ON"};
    wp_table *t = wp_table_new(6, head);
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        char deps[512];
        const char *row[] = {wp_json_str(r, "group"),
                             wp_json_str(r, "name"),
                             wp_json_str(r, "type"),
                             wp_json_str(r, "state"),
                             wp_json_str(r, "node"),
                             wp_cli_text(json_object_get(r, "depends_on"), deps, sizeof deps)};
        wp_table_add(t, row);
    }
    wp_table_print(t, out, "");
    wp_table_free(t);
}

/* "n1: 2, n2: 1" (failures per node) or "none". */
static const char *failures_text(const json_t *r, char *buf, size_t size)
{
    const char *node;
    json_t *count;
    size_t used = 0;
    snprintf(buf, size, "none");
    json_object_foreach((json_t *)json_object_get(r, "failures"), node, count)
    {
        int n = snprintf(buf + used, size - used, "%s%s: %lld", used ? ", " : "", node,
                         (long long)json_integer_value(count));
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

static void print_one(const json_t *r, FILE *out)
{
    static const char *const keys[] = {"group",    "type",       "class",      "state",
                                       "target",   "node",       "last_error", "pending_since",
                                       "restarts", "depends_on", "dependents"};
    char buf[1024];
    fprintf(out, "Resource %s:\n", wp_json_str(r, "name"));
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *v = json_object_get(r, keys[i]);
        if (strcmp(keys[i], "restarts") == 0) /* a history: print how many */
            snprintf(buf, sizeof buf, "%zu", json_array_size(v));
        wp_cli_print_kv(out, 13, keys[i],
                        strcmp(keys[i], "restarts") == 0 ? buf : wp_cli_text(v, buf, sizeof buf));
    }
    wp_cli_print_kv(out, 13, "failures", failures_text(r, buf, sizeof buf));
    const char *stop = wp_json_str(r, "stop_failed");
    if (stop) {
        snprintf(buf, sizeof buf, "on %s (it may still run there; 'wolfpack resource cleanup')",
                 stop);
        wp_cli_print_kv(out, 13, "stop failed", buf);
    }
    wp_cli_print_object_block(out, "Properties", json_object_get(r, "props"));
    wp_cli_print_object_block(out, "Policy", json_object_get(r, "policy"));
}

/* Parse args, answer --help, and insist on exactly `want` positionals. */
static bool parse_sub(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts,
                      const char *usage, int want, wp_cli_args *a, int *status)
{
    return wp_cli_parse_sub(cli, argc, argv, opts, nopts, usage, "resource NAME", want, a, status);
}

/* A single-valued option that must be present. */
static const char *need_one(const wp_cli_opt *o, const char *usage, int *status)
{
    if (o->count == 1)
        return o->values[0];
    *status = o->count ? wp_cli_usage_error(usage, "%s given more than once", o->name)
                       : wp_cli_usage_error(usage, "missing %s", o->name);
    return NULL;
}

/* Every value of a repeatable option as a JSON array of strings. */
static json_t *string_array(const wp_cli_opt *o)
{
    json_t *arr = json_array();
    for (int i = 0; i < o->count; i++)
        json_array_append_new(arr, json_string(o->values[i]));
    return arr;
}

/* Build the create request's args; NULL with err on bad input. */
static json_t *create_args(const char *name, const char *group, const char *type_name,
                           wp_cli_opt *opts, wp_err *err)
{
    wp_rtype type;
    if (!wp_name_valid("resource", name, err) || !wp_name_valid("group", group, err) ||
        !wp_rtype_parse(type_name, &type, err))
        return NULL;
    json_t *props = json_object(), *policy = json_object();
    json_t *args = NULL;
    if (wp_cli_kv_into(props, &opts[2], NULL, err) && wp_props_validate_all(type, props, err) &&
        wp_cli_kv_into(policy, &opts[3], wp_cli_check_resource_policy, err)) {
        args = json_pack("{s:s, s:s, s:s, s:O}", "name", name, "group", group, "type",
                         wp_rtype_name(type), "props", props);
        if (json_object_size(policy))
            json_object_set(args, "policy", policy);
        if (opts[4].count)
            json_object_set_new(args, "depends_on", string_array(&opts[4]));
    }
    json_decref(props);
    json_decref(policy);
    return args;
}

static int resource_create(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {
        {.name = "--group", .has_value = true},      {.name = "--type", .has_value = true},
        {.name = "--prop", .has_value = true},       {.name = "--policy", .has_value = true},
        {.name = "--depends-on", .has_value = true}, {.name = "--force"}};
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, opts, 6, usage_create, 1, &a, &status))
        return status;
    const char *group = need_one(&opts[0], usage_create, &status);
    if (!group)
        return status;
    const char *type = need_one(&opts[1], usage_create, &status);
    if (!type)
        return status;
    wp_err err = {0};
    json_t *args = create_args(a.pos[0], group, type, opts, &err);
    if (!args || !wp_verify_precheck(args, true, true, opts[5].count > 0, cli->socket_opt,
                                     &err)) { /* localcheck.c */
        json_decref(args);
        return wp_cli_fail(&err);
    }
    char msg[160];
    snprintf(msg, sizeof msg, "Created resource %s in group %s", a.pos[0], group);
    return wp_cli_change(cli, "resource.create", args, msg);
}

static int set_takes_effect(wp_cli *cli, const char *name, bool running, bool props_changed,
                            bool restart);

/* resource set NAME --prop/--unset-prop: the resource as it will be (its
 * stored properties with props applied, a null removing one) goes through
 * the same possible-owner checks as a new one (localcheck.c); the network
 * question only when the address changes (a running address answers for
 * itself).  False with err on a refusal (or when the resource cannot be
 * read). */
static bool set_precheck(wp_cli *cli, const char *name, const json_t *props, bool force,
                         wp_err *err)
{
    json_t *r = wp_cli_call(cli, "resource.show", json_pack("{s:s}", "name", name), NULL, err);
    if (!r)
        return false;
    json_t *now = json_deep_copy(json_object_get(r, "props"));
    if (!json_is_object(now)) {
        json_decref(now);
        now = json_object();
    }
    const char *old_addr = wp_json_str_or(now, "address", "");
    const char *new_addr = wp_json_str_or(props, "address", old_addr);
    bool network = strcmp(old_addr, new_addr) != 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        if (json_is_null(v))
            json_object_del(now, key);
        else
            json_object_set(now, key, v);
    }
    json_t *after =
        json_pack("{s:s, s:s, s:s, s:o}", "name", name, "group", wp_json_str_or(r, "group", ""),
                  "type", wp_json_str_or(r, "type", ""), "props", now);
    bool ok = wp_verify_precheck(after, false, network, force, cli->socket_opt, err);
    json_decref(after);
    json_decref(r);
    return ok;
}

static int resource_set(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--prop", .has_value = true},
                         {.name = "--policy", .has_value = true},
                         {.name = "--unset-prop", .has_value = true},
                         {.name = "--reset-policy", .has_value = true},
                         {.name = "--restart"},
                         {.name = "--force"}};
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, opts, 6, usage_set, 1, &a, &status))
        return status;
    if (opts[0].count + opts[1].count + opts[2].count + opts[3].count + opts[4].count == 0)
        return wp_cli_usage_error(usage_set, "nothing to change: give --prop, --policy, "
                                             "--unset-prop, --reset-policy or --restart");
    wp_err err = {0};
    json_t *props = json_object(), *policy = json_object();
    if (!wp_cli_kv_into(props, &opts[0], NULL, &err) || !wp_cli_null_into(props, &opts[2], &err) ||
        !wp_cli_kv_into(policy, &opts[1], wp_cli_check_resource_policy, &err) ||
        !wp_cli_null_into(policy, &opts[3], &err)) {
        json_decref(props);
        json_decref(policy);
        return wp_cli_fail(&err);
    }
    bool props_changed = json_object_size(props) > 0, running = false;
    json_t *args = json_pack("{s:s}", "name", a.pos[0]);
    if (json_object_size(props))
        json_object_set(args, "props", props);
    if (json_object_size(policy))
        json_object_set(args, "policy", policy);
    json_decref(props);
    json_decref(policy);
    if (!wp_cli_resource_running(cli, a.pos[0], &running, &err) ||
        (props_changed &&
         !set_precheck(cli, a.pos[0], json_object_get(args, "props"), opts[5].count > 0, &err))) {
        json_decref(args);
        return wp_cli_fail(&err);
    }
    if (json_object_size(args) > 1) {
        char msg[128];
        snprintf(msg, sizeof msg, "Changed resource %s", a.pos[0]);
        status = wp_cli_change(cli, "resource.set", args, msg);
        if (status != 0)
            return status;
    } else {
        json_decref(args);
    }
    return set_takes_effect(cli, a.pos[0], running, props_changed, opts[4].count > 0);
}

/* A resource that runs: say when a change takes effect (policies at once,
 * properties at its next start), or, with --restart, restart it now. */
static int set_takes_effect(wp_cli *cli, const char *name, bool running, bool props_changed,
                            bool restart)
{
    wp_err err = {0};
    if (!running) {
        if (restart)
            fprintf(stderr, "Resource %s is Offline: nothing to restart.\n", name);
        return 0;
    }
    if (!restart) {
        if (props_changed)
            fprintf(stderr,
                    "Resource %s is running: its properties take effect at its next start "
                    "(restart it now: wolfpack resource set %s --restart); policies take effect "
                    "at once.\n",
                    name, name);
        return 0;
    }
    if (!wp_cli_resource_stop_wait(cli, name, "restart", &err))
        return wp_cli_fail(&err);
    json_t *ok = wp_cli_call(cli, "resource.online", json_pack("{s:s}", "name", name), NULL, &err);
    if (!ok)
        return wp_cli_fail(&err);
    json_decref(ok);
    fprintf(stderr, "Resource %s stopped; it starts again with the new settings.\n", name);
    return 0;
}

static int resource_delete(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--no-stop"}};
    wp_cli_args a;
    int status;
    wp_err err = {0};
    if (!parse_sub(cli, argc, argv, opts, 1, usage_delete, 1, &a, &status))
        return status;
    /* a running resource is stopped first: deleted as it runs, it would
     * be left running unmonitored */
    if (opts[0].count == 0 && !wp_cli_resource_stop_wait(cli, a.pos[0], "delete", &err))
        return wp_cli_fail(&err);
    char msg[128];
    snprintf(msg, sizeof msg, "Deleted resource %s", a.pos[0]);
    return wp_cli_change(cli, "resource.delete", json_pack("{s:s}", "name", a.pos[0]), msg);
}

static int resource_show(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_show_named(cli, argc, argv, "resource", "resource.show", usage_show, print_one);
}

static int resource_list(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--group", .has_value = true}};
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, opts, 1, usage_list, 0, &a, &status))
        return status;
    if (opts[0].count > 1)
        return wp_cli_usage_error(usage_list, "--group given more than once");
    json_t *args = opts[0].count ? json_pack("{s:s}", "group", opts[0].values[0]) : NULL;
    return wp_cli_show(cli, "resource.list", args, print_list);
}

static int depend_common(wp_cli *cli, int argc, char **argv, const char *op, const char *usage)
{
    wp_cli_opt opts[] = {{.name = "--on", .has_value = true}};
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, opts, 1, usage, 1, &a, &status))
        return status;
    const char *on = need_one(&opts[0], usage, &status);
    if (!on)
        return status;
    char msg[192];
    snprintf(msg, sizeof msg, "%s %s on %s",
             strcmp(op, "resource.depend") == 0 ? "Resource now depends:" : "Dependency removed:",
             a.pos[0], on);
    return wp_cli_change(cli, op, json_pack("{s:s, s:s}", "name", a.pos[0], "on", on), msg);
}

static int resource_depend(wp_cli *cli, int argc, char **argv)
{
    return depend_common(cli, argc, argv, "resource.depend", usage_depend);
}

static int resource_undepend(wp_cli *cli, int argc, char **argv)
{
    return depend_common(cli, argc, argv, "resource.undepend", usage_undepend);
}

/* online / offline / fail: one NAME and an op. */
static int resource_online(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_change_named(cli, argc, argv, "resource", "resource.online", usage_online,
                               "target online, with what it depends on (and its group)");
}

static int resource_offline(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_change_named(cli, argc, argv, "resource", "resource.offline", usage_offline,
                               "target offline (what depends on it stops too)");
}

static int resource_fail(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_change_named(cli, argc, argv, "resource", "resource.fail", usage_fail,
                               "failure simulated (the cluster's restart policy applies)");
}

static int resource_manage(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_set_managed(cli, argc, argv, "resource", "resource.set", usage_manage, true);
}

static int resource_unmanage(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_set_managed(cli, argc, argv, "resource", "resource.set", usage_unmanage, false);
}

static int resource_cleanup(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_change_named(cli, argc, argv, "resource", "resource.cleanup", usage_cleanup,
                               "failures forgotten (its node probes it; the cluster decides "
                               "again)");
}

int wp_cmd_resource(wp_cli *cli, int argc, char **argv)
{
    static const wp_cli_sub subs[] = {{"create", resource_create, usage_create},
                                      {"set", resource_set, usage_set},
                                      {"delete", resource_delete, usage_delete},
                                      {"show", resource_show, usage_show},
                                      {"list", resource_list, usage_list},
                                      {"depend", resource_depend, usage_depend},
                                      {"undepend", resource_undepend, usage_undepend},
                                      {"online", resource_online, usage_online},
                                      {"offline", resource_offline, usage_offline},
                                      {"fail", resource_fail, usage_fail},
                                      {"manage", resource_manage, usage_manage},
                                      {"unmanage", resource_unmanage, usage_unmanage},
                                      {"cleanup", resource_cleanup, usage_cleanup}};
    static const char usage[] = "wolfpack resource "
                                "create|set|delete|show|list|depend|undepend|online|offline|fail|"
                                "manage|unmanage|cleanup ...";
    return wp_cli_dispatch(cli, argc, argv, "resource", usage, subs, sizeof subs / sizeof subs[0]);
}
