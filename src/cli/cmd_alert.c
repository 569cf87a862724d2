/*
 * cmd_alert.c -- `wolfpack alert list | create | delete`: the alert agents
 * wolfpackd runs on node, group, resource and fencing events
 * (src/daemon/alerts.c, src/db/ops_alert.c; docs/OPERATIONS.md, "Alerts").
 *
 * create checks its values here first (the daemon checks them again) and
 * warns when the program is not executable on this node: every node runs
 * the agents of its own events, so it must be installed on each.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/model.h"
#include "cli.h"
#include "../lib/json.h"

static const char usage_list[] = "wolfpack alert list [--json]";
static const char usage_create[] = "wolfpack alert create NAME --path PROGRAM [--timeout SECONDS] "
                                   "[--recipient TEXT]";
static const char usage_delete[] = "wolfpack alert delete NAME";
static const char usage[] = "wolfpack alert list | create NAME --path PROGRAM [--timeout SECONDS] "
                            "[--recipient TEXT] | delete NAME";

static void print_alerts(const json_t *list, FILE *out)
{
    static const char *const head[] = {"NAME", "PATH", "TIMEOUT", "RECIPIENT"};
    wp_table *t = wp_table_new(4, head);
    size_t i;
    json_t *a;
    json_array_foreach(list, i, a)
    {
        char timeout[32];
        snprintf(timeout, sizeof timeout, "%llds",
                 (long long)json_integer_value(json_object_get(a, "timeout")));
        const char *row[] = {wp_json_str(a, "name"), wp_json_str(a, "path"), timeout,
                             wp_json_str(a, "recipient")};
        wp_table_add(t, row);
    }
    wp_table_print(t, out, "");
    wp_table_free(t);
}

static int alert_list(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_show_all(cli, argc, argv, "alert.list", usage_list, print_alerts);
}

static int alert_create(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--path", .has_value = true},
                         {.name = "--timeout", .has_value = true},
                         {.name = "--recipient", .has_value = true}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, opts, 3, usage_create, "alert NAME", 1, &a, &status))
        return status;
    if (opts[0].count != 1)
        return wp_cli_usage_error(usage_create, "give --path PROGRAM once");
    wp_err err = {0};
    if (!wp_name_valid("alert", a.pos[0], &err))
        return wp_cli_fail(&err);
    const char *path = opts[0].values[0];
    if (path[0] != '/')
        return wp_cli_usage_error(usage_create, "--path must be absolute, got '%s'", path);
    json_t *args = json_pack("{s:s, s:s}", "name", a.pos[0], "path", path);
    if (opts[1].count) {
        long seconds;
        if (!wp_duration_parse(opts[1].values[0], &seconds, &err) || seconds < 1 || seconds > 600) {
            json_decref(args);
            return wp_cli_usage_error(usage_create, "--timeout must be 1..600 seconds, got '%s'",
                                      opts[1].values[0]);
        }
        json_object_set_new(args, "timeout", json_integer(seconds));
    }
    if (opts[2].count)
        json_object_set_new(args, "recipient", json_string(opts[2].values[0]));
    if (access(path, X_OK) != 0)
        fprintf(stderr,
                "warning: %s is not an executable program on this node\n"
                "  to do: install it on every node (each node runs the agents of its own "
                "events)\n",
                path);
    char msg[160];
    snprintf(msg, sizeof msg, "Created alert %s", a.pos[0]);
    return wp_cli_change(cli, "alert.create", args, msg);
}

static int alert_delete(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_delete_named(cli, argc, argv, "alert", "alert.delete", usage_delete);
}

int wp_cmd_alert(wp_cli *cli, int argc, char **argv)
{
    static const wp_cli_sub subs[] = {
        {"list", alert_list, usage_list},
        {"create", alert_create, usage_create},
        {"delete", alert_delete, usage_delete},
    };
    return wp_cli_dispatch(cli, argc, argv, "alert", usage, subs, sizeof subs / sizeof subs[0]);
}
