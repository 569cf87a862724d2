/*
 * cmd_group.c -- `wolfpack group create|delete|show|list|set|online|
 * offline|move`.
 *
 * Groups are the unit of failover.  Names and policy values are checked
 * locally with the model's validators (src/lib/model.h) before the request
 * is sent; the daemon checks everything again against the cluster's state
 * (existing names, known nodes in owner lists, Cluster Group protection).
 * `group set --reset K` sends null for K, which restores its default.
 * online/offline/move only record what the operator wants (the group's
 * target, a pending move); the coordinator in wolfpackd acts on it, and
 * `group show` prints both what is wanted and what is.
 */
#include <string.h>

#include "../lib/model.h"
#include "cli.h"

static const char usage_create[] = "wolfpack group create NAME [--policy K=V ...]";
static const char usage_delete[] = "wolfpack group delete NAME";
static const char usage_show[] = "wolfpack group show NAME [--json]";
static const char usage_list[] = "wolfpack group list [--json]";
static const char usage_set[] = "wolfpack group set NAME [--policy K=V ...] [--reset K ...]";
static const char usage_online[] = "wolfpack group online NAME";
static const char usage_offline[] = "wolfpack group offline NAME";
static const char usage_move[] = "wolfpack group move NAME [--to NODE]";
static const char usage_manage[] = "wolfpack group manage NAME";
static const char usage_unmanage[] = "wolfpack group unmanage NAME";
static const char usage_cleanup[] = "wolfpack group cleanup NAME";

static void print_list(const json_t *groups, FILE *out)
{
    static const char *const head[] = {"GROUP", "OWNER", "STATE", "TARGET", "RESOURCES"};
    wp_table *t = wp_table_new(5, head);
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        char res[512];
        const char *row[] = {json_string_value(json_object_get(g, "name")),
                             json_string_value(json_object_get(g, "owner")),
                             json_string_value(json_object_get(g, "state")),
                             json_string_value(json_object_get(g, "target")),
                             wp_cli_text(json_object_get(g, "resources"), res, sizeof res)};
        wp_table_add(t, row);
    }
    wp_table_print(t, out, "");
    wp_table_free(t);
}

static void print_one(const json_t *g, FILE *out)
{
    char buf[1024];
    fprintf(out, "Group %s:\n", json_string_value(json_object_get(g, "name")));
    char count[32];
    snprintf(count, sizeof count, "%zu", json_array_size(json_object_get(g, "failovers")));
    wp_cli_print_kv(out, 9, "owner", wp_cli_text(json_object_get(g, "owner"), buf, sizeof buf));
    wp_cli_print_kv(out, 9, "state", wp_cli_text(json_object_get(g, "state"), buf, sizeof buf));
    wp_cli_print_kv(out, 9, "target", wp_cli_text(json_object_get(g, "target"), buf, sizeof buf));
    wp_cli_print_kv(out, 9, "move to", wp_cli_text(json_object_get(g, "move_to"), buf, sizeof buf));
    wp_cli_print_kv(out, 9, "failovers", count);
    wp_cli_print_kv(out, 9, "resources",
                    wp_cli_text(json_object_get(g, "resources"), buf, sizeof buf));
    wp_cli_print_object_block(out, "Policy", json_object_get(g, "policy"));
}

/* Parse args, answer --help, and insist on exactly `want` positionals. */
static bool parse_sub(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts,
                      const char *usage, int want, wp_cli_args *a, int *status)
{
    return wp_cli_parse_sub(cli, argc, argv, opts, nopts, usage, "group NAME", want, a, status);
}

static int check_name(const char *name)
{
    wp_err err = {0};
    return wp_name_valid("group", name, &err) ? 0 : wp_cli_fail(&err);
}

static int group_create(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--policy", .has_value = true}};
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, opts, 1, usage_create, 1, &a, &status))
        return status;
    if ((status = check_name(a.pos[0])))
        return status;
    wp_err err = {0};
    json_t *policy = json_object();
    if (!wp_cli_kv_into(policy, &opts[0], wp_cli_check_group_policy, &err)) {
        json_decref(policy);
        return wp_cli_fail(&err);
    }
    json_t *args = json_pack("{s:s}", "name", a.pos[0]);
    if (json_object_size(policy))
        json_object_set(args, "policy", policy);
    json_decref(policy);
    char msg[128];
    snprintf(msg, sizeof msg, "Created group %s", a.pos[0]);
    return wp_cli_change(cli, "group.create", args, msg);
}

static int group_set(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--policy", .has_value = true},
                         {.name = "--reset", .has_value = true}};
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, opts, 2, usage_set, 1, &a, &status))
        return status;
    if (opts[0].count + opts[1].count == 0)
        return wp_cli_usage_error(usage_set, "nothing to change: give --policy or --reset");
    wp_err err = {0};
    json_t *policy = json_object();
    if (!wp_cli_kv_into(policy, &opts[0], wp_cli_check_group_policy, &err) ||
        !wp_cli_null_into(policy, &opts[1], &err)) {
        json_decref(policy);
        return wp_cli_fail(&err);
    }
    json_t *args = json_pack("{s:s, s:o}", "name", a.pos[0], "policy", policy);
    char msg[128];
    snprintf(msg, sizeof msg, "Changed group %s", a.pos[0]);
    return wp_cli_change(cli, "group.set", args, msg);
}

static int group_delete(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_delete_named(cli, argc, argv, "group", "group.delete", usage_delete);
}

static int group_show(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_show_named(cli, argc, argv, "group", "group.show", usage_show, print_one);
}

static int group_list(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, NULL, 0, usage_list, 0, &a, &status))
        return status;
    return wp_cli_show(cli, "group.list", NULL, print_list);
}

/* online / offline: one NAME, the op records the target. */
static int group_online(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_change_named(cli, argc, argv, "group", "group.online", usage_online,
                               "target online (the cluster brings it online)");
}

static int group_offline(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_change_named(cli, argc, argv, "group", "group.offline", usage_offline,
                               "target offline (the cluster takes it offline)");
}

static int group_move(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--to", .has_value = true}};
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, opts, 1, usage_move, 1, &a, &status))
        return status;
    if ((status = check_name(a.pos[0])))
        return status;
    if (opts[0].count > 1)
        return wp_cli_usage_error(usage_move, "--to given more than once");
    const char *to = opts[0].count ? opts[0].values[0] : NULL;
    wp_err err = {0};
    if (to && !wp_name_valid("node", to, &err))
        return wp_cli_fail(&err);
    json_t *args = json_pack("{s:s}", "name", a.pos[0]);
    if (to)
        json_object_set_new(args, "to", json_string(to));
    char msg[192];
    snprintf(msg, sizeof msg, "Group %s: moves to %s", a.pos[0], to ? to : "the best other node");
    return wp_cli_change(cli, "group.move", args, msg);
}

static int group_manage(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_set_managed(cli, argc, argv, "group", "group.set", usage_manage, true);
}

static int group_unmanage(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_set_managed(cli, argc, argv, "group", "group.set", usage_unmanage, false);
}

static int group_cleanup(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_change_named(cli, argc, argv, "group", "group.cleanup", usage_cleanup,
                               "failures forgotten (its nodes probe what runs; the cluster "
                               "decides again)");
}

int wp_cmd_group(wp_cli *cli, int argc, char **argv)
{
    static const wp_cli_sub subs[] = {{"create", group_create, usage_create},
                                      {"delete", group_delete, usage_delete},
                                      {"show", group_show, usage_show},
                                      {"list", group_list, usage_list},
                                      {"set", group_set, usage_set},
                                      {"online", group_online, usage_online},
                                      {"offline", group_offline, usage_offline},
                                      {"move", group_move, usage_move},
                                      {"manage", group_manage, usage_manage},
                                      {"unmanage", group_unmanage, usage_unmanage},
                                      {"cleanup", group_cleanup, usage_cleanup}};
    static const char usage[] = "wolfpack group "
                                "create|delete|show|list|set|online|offline|move|manage|unmanage|"
                                "cleanup ...";
    return wp_cli_dispatch(cli, argc, argv, "group", usage, subs, sizeof subs / sizeof subs[0]);
}
