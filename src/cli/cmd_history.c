/*
 * cmd_history.c -- `wolfpack history [--since T] [--group G] [--json]`:
 * who changed what, when, from which node (the change history every node
 * records as it applies a change, src/db/audit.c).
 *
 * --since takes a duration back from now ("1h", "30m", "90s") or a unix
 * time; --group keeps the changes that name the group (or one of its
 * resources, as the history records the resource's group when it can:
 * changes of a resource name it in args.name, so --group also matches a
 * resource whose name is in the group's resource list).  The node tasks'
 * bookkeeping (app.task, app.task.done, app.task.forget: the owner checks
 * of `resource create`, the parts of `report`, the steps of a rollout) is
 * left out unless --all, with a note on stderr of how many entries were.
 * The filters run here, on the history the daemon returns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../lib/json.h"
#include "../lib/model.h"
#include "cli.h"
#include "since.h"

static const char usage[] =
    "wolfpack history [--since DURATION|UNIXTIME] [--group G] [--all] [--json]";

/* Is e the bookkeeping of a node task (what asked for the task is the
 * change worth reading; docs/CLI.md "history")? */
static bool node_task_entry(const json_t *e)
{
    const char *op = wp_json_str_or(e, "op", "");
    return strcmp(op, "app.task") == 0 || strncmp(op, "app.task.", 9) == 0;
}

static bool names_group(const json_t *e, const char *group, const json_t *members)
{
    const json_t *args = json_object_get(e, "args");
    const char *op = wp_json_str(e, "op");
    const char *name = wp_json_str(args, "name");
    const char *g = wp_json_str(args, "group");
    size_t i;
    json_t *m;
    if (g && strcasecmp(g, group) == 0)
        return true;
    if (!name || !op)
        return false;
    if (strncmp(op, "group.", 6) == 0)
        return strcasecmp(name, group) == 0;
    if (strncmp(op, "resource.", 9) == 0)
        json_array_foreach(members, i, m)
        {
            if (strcasecmp(json_string_value(m), name) == 0)
                return true;
        }
    return false;
}

static void print_table(const json_t *list, FILE *out)
{
    static const char *const head[] = {"TIME (UTC)", "VERSION", "USER", "NODE", "COMMAND"};
    wp_table *t = wp_table_new(5, head);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        time_t at = (time_t)json_integer_value(json_object_get(e, "at"));
        struct tm tm;
        char when[32], ver[32], cmd[512];
        gmtime_r(&at, &tm);
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
        snprintf(ver, sizeof ver, "%lld",
                 (long long)json_integer_value(json_object_get(e, "version")));
        char *args = json_dumps(json_object_get(e, "args"), JSON_COMPACT | JSON_SORT_KEYS);
        snprintf(cmd, sizeof cmd, "%s %s", wp_json_str(e, "op"), args ? args : "{}");
        free(args);
        const char *row[] = {when, ver, wp_json_str(e, "user"), wp_json_str(e, "node"), cmd};
        wp_table_add(t, row);
    }
    if (json_array_size(list) == 0)
        fprintf(out, "No change recorded%s.\n", "");
    else
        wp_table_print(t, out, "");
    wp_table_free(t);
}

int wp_cmd_history(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--since", .has_value = true},
                         {.name = "--group", .has_value = true},
                         {.name = "--all"}};
    wp_cli_args a;
    int status;
    long long since = 0;
    if (!wp_cli_parse_sub(cli, argc, argv, opts, 3, usage, "nothing", 0, &a, &status))
        return status;
    if (opts[0].count > 1 || opts[1].count > 1)
        return wp_cli_usage_error(usage, "--since and --group may be given once each");
    if (opts[0].count && !wp_cli_since(opts[0].values[0], (long long)time(NULL), &since))
        return wp_cli_usage_error(usage,
                                  "--since '%s' is neither a duration (1h, 30m) nor a "
                                  "unix time",
                                  opts[0].values[0]);
    const char *group = opts[1].count ? opts[1].values[0] : NULL;
    wp_err err = {0};
    json_t *members = NULL;
    if (group) {
        json_t *g = wp_cli_call(cli, "group.show", json_pack("{s:s}", "name", group), NULL, &err);
        if (!g)
            return wp_cli_fail(&err);
        members = json_incref(json_object_get(g, "resources"));
        json_decref(g);
    }
    json_t *all = wp_cli_call(cli, "history", NULL, NULL, &err);
    if (!all) {
        json_decref(members);
        return wp_cli_fail(&err);
    }
    json_t *list = json_array();
    size_t i, hidden = 0;
    json_t *e;
    json_array_foreach(all, i, e)
    {
        if (json_integer_value(json_object_get(e, "at")) < since)
            continue;
        if (group && !names_group(e, group, members))
            continue;
        if (!opts[2].count && node_task_entry(e)) {
            hidden++;
            continue;
        }
        json_array_append(list, e);
    }
    if (hidden)
        fprintf(stderr, "(%zu node-task entr%s not shown: --all shows %s)\n", hidden,
                hidden == 1 ? "y" : "ies", hidden == 1 ? "it" : "them");
    if (cli->json) {
        char *text = json_dumps(list, JSON_INDENT(2));
        printf("%s\n", text ? text : "[]");
        free(text);
    } else {
        print_table(list, stdout);
    }
    json_decref(list);
    json_decref(all);
    json_decref(members);
    return 0;
}
