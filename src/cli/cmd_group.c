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
#include <strings.h>
#include <time.h>

#include "../lib/json.h"
#include "../lib/model.h"
#include "cli.h"

static const char usage_create[] = "wolfpack group create NAME [--policy K=V ...]";
static const char usage_delete[] = "wolfpack group delete NAME";
static const char usage_show[] = "wolfpack group show NAME [--json]";
static const char usage_list[] = "wolfpack group list [--json]";
static const char usage_set[] = "wolfpack group set NAME [--policy K=V ...] [--reset K ...]";
static const char usage_online[] = "wolfpack group online NAME";
static const char usage_offline[] = "wolfpack group offline NAME";
static const char usage_move[] = "wolfpack group move NAME [--to NODE [--lifetime DURATION]]";
static const char usage_ban[] = "wolfpack group ban NAME --from NODE [--lifetime DURATION]";
static const char usage_clear[] = "wolfpack group clear NAME";
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
        const char *row[] = {wp_json_str(g, "name"), wp_json_str(g, "owner"),
                             wp_json_str(g, "state"), wp_json_str(g, "target"),
                             wp_cli_text(json_object_get(g, "resources"), res, sizeof res)};
        wp_table_add(t, row);
    }
    wp_table_print(t, out, "");
    wp_table_free(t);
}

/* "until 2026-12-07 19:20:00 UTC", "until cleared" or "ended ..." */
static const char *until_text(const json_t *until, char *buf, size_t size)
{
    time_t t = (time_t)json_integer_value(until);
    struct tm tm;
    char when[64];
    if (t == 0)
        return "until 'wolfpack group clear'";
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    snprintf(buf, size, "%s %s", t > time(NULL) ? "until" : "ended", when);
    return buf;
}

/* The operator's move and ban constraints, one line each. */
static void print_constraints(const json_t *g, FILE *out)
{
    const json_t *c = json_object_get(g, "constraints");
    const json_t *prefer = json_object_get(c, "prefer");
    const char *node;
    json_t *until;
    char line[256], when[96];
    if (json_object_size(c) == 0) {
        wp_cli_print_kv(out, 11, "constraints", "none");
        return;
    }
    if (prefer) {
        snprintf(line, sizeof line, "prefers %s %s", wp_json_str(prefer, "node"),
                 until_text(json_object_get(prefer, "until"), when, sizeof when));
        wp_cli_print_kv(out, 11, "constraint", line);
    }
    json_object_foreach((json_t *)json_object_get(c, "ban"), node, until)
    {
        snprintf(line, sizeof line, "banned from %s %s", node,
                 until_text(until, when, sizeof when));
        wp_cli_print_kv(out, 11, "constraint", line);
    }
}

static void print_one(const json_t *g, FILE *out)
{
    char buf[1024];
    fprintf(out, "Group %s:\n", wp_json_str(g, "name"));
    char count[32];
    snprintf(count, sizeof count, "%zu", json_array_size(json_object_get(g, "failovers")));
    wp_cli_print_kv(out, 9, "owner", wp_cli_text(json_object_get(g, "owner"), buf, sizeof buf));
    wp_cli_print_kv(out, 9, "state", wp_cli_text(json_object_get(g, "state"), buf, sizeof buf));
    wp_cli_print_kv(out, 9, "target", wp_cli_text(json_object_get(g, "target"), buf, sizeof buf));
    wp_cli_print_kv(out, 9, "move to", wp_cli_text(json_object_get(g, "move_to"), buf, sizeof buf));
    wp_cli_print_kv(out, 9, "failovers", count);
    wp_cli_print_kv(out, 9, "resources",
                    wp_cli_text(json_object_get(g, "resources"), buf, sizeof buf));
    print_constraints(g, out);
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
    return wp_cli_show_all(cli, argc, argv, "group.list", usage_list, print_list);
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

/* --lifetime DURATION -> the unix time it ends (this machine's clock). */
static bool lifetime_until(const wp_cli_opt *o, const char *usage, json_int_t *until, int *status)
{
    long secs = 0;
    wp_err err = {0};
    *until = 0;
    if (o->count == 0)
        return true;
    if (o->count > 1) {
        *status = wp_cli_usage_error(usage, "--lifetime given more than once");
        return false;
    }
    if (!wp_duration_parse(o->values[0], &secs, &err) || secs <= 0) {
        *status = wp_cli_usage_error(usage, "--lifetime '%s' is not a duration such as 30m or 1h",
                                     o->values[0]);
        return false;
    }
    *until = (json_int_t)time(NULL) + secs;
    return true;
}

static int group_move(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--to", .has_value = true},
                         {.name = "--lifetime", .has_value = true}};
    wp_cli_args a;
    int status;
    json_int_t until;
    if (!parse_sub(cli, argc, argv, opts, 2, usage_move, 1, &a, &status))
        return status;
    if ((status = check_name(a.pos[0])))
        return status;
    if (opts[0].count > 1)
        return wp_cli_usage_error(usage_move, "--to given more than once");
    const char *to = opts[0].count ? opts[0].values[0] : NULL;
    if (opts[1].count && !to)
        return wp_cli_usage_error(usage_move, "--lifetime needs --to NODE");
    if (!lifetime_until(&opts[1], usage_move, &until, &status))
        return status;
    wp_err err = {0};
    if (to && !wp_name_valid("node", to, &err))
        return wp_cli_fail(&err);
    if (!wp_cli_move_possible(cli, a.pos[0], to, &err))
        return wp_cli_fail(&err);
    json_t *args = json_pack("{s:s}", "name", a.pos[0]);
    if (to)
        json_object_set_new(args, "to", json_string(to));
    if (until)
        json_object_set_new(args, "until", json_integer(until));
    char msg[256];
    if (until)
        snprintf(msg, sizeof msg, "Group %s: moves to %s and prefers it for %s", a.pos[0], to,
                 opts[1].values[0]);
    else
        snprintf(msg, sizeof msg, "Group %s: moves to %s", a.pos[0],
                 to ? to : "the best other node");
    return wp_cli_change(cli, "group.move", args, msg);
}

static int group_ban(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--from", .has_value = true},
                         {.name = "--lifetime", .has_value = true}};
    wp_cli_args a;
    int status;
    json_int_t until;
    if (!parse_sub(cli, argc, argv, opts, 2, usage_ban, 1, &a, &status))
        return status;
    if ((status = check_name(a.pos[0])))
        return status;
    if (opts[0].count != 1)
        return wp_cli_usage_error(usage_ban, "give --from NODE once");
    if (!lifetime_until(&opts[1], usage_ban, &until, &status))
        return status;
    const char *from = opts[0].values[0];
    wp_err err = {0};
    if (!wp_name_valid("node", from, &err))
        return wp_cli_fail(&err);
    json_t *st = wp_cli_call(cli, "group.show", json_pack("{s:s}", "name", a.pos[0]), NULL, &err);
    if (!st)
        return wp_cli_fail(&err);
    const char *owner = wp_json_str(st, "owner");
    bool owns =
        owner && strcasecmp(owner, from) == 0 && strcmp(wp_json_str(st, "target"), "online") == 0;
    json_decref(st);
    if (owns && !wp_cli_move_possible(cli, a.pos[0], NULL, &err))
        return wp_cli_fail(&err);
    json_t *args = json_pack("{s:s, s:s}", "name", a.pos[0], "node", from);
    if (until)
        json_object_set_new(args, "until", json_integer(until));
    char msg[256];
    snprintf(msg, sizeof msg, "Group %s: banned from %s %s%s", a.pos[0], from,
             until ? "for " : "until 'wolfpack group clear'", until ? opts[1].values[0] : "");
    return wp_cli_change(cli, "group.ban", args, msg);
}

static int group_clear(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_change_named(cli, argc, argv, "group", "group.clear", usage_clear,
                               "move and ban constraints cleared");
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
                                      {"cleanup", group_cleanup, usage_cleanup},
                                      {"ban", group_ban, usage_ban},
                                      {"clear", group_clear, usage_clear}};
    static const char usage[] = "wolfpack group "
                                "create|delete|show|list|set|online|offline|move|manage|unmanage|"
                                "cleanup|ban|clear ...";
    return wp_cli_dispatch(cli, argc, argv, "group", usage, subs, sizeof subs / sizeof subs[0]);
}
