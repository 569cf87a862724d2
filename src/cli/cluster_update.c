/*
 * cluster_update.c -- `wolfpack cluster update [--plan] [--command CMD]
 * [--max-failed-nodes N] [--reboot auto|always|never] [--node-timeout S]
 * [--pre-hook CMD] [--post-hook CMD] [--retries N] [--force] [--abort]` and `wolfpack cluster
 * update --report
 * [--json]`:
 * the options checked here, the run in src/app/osupdate.c (docs/CLI.md,
 * docs/OPERATIONS.md "Updating the operating system").
 */
#include <stdlib.h>
#include <string.h>

#include "cluster_update.h"
#include "../app/osupdate.h"

const char wp_cli_usage_cluster_update[] =
    "wolfpack cluster update [--plan] [--command CMD] [--max-failed-nodes N] "
    "[--reboot auto/always/never] [--node-timeout SECONDS] [--pre-hook CMD] [--post-hook CMD] "
    "[--retries N] [--force] [--abort] | --report [--json]";

int wp_cli_cluster_update(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--plan", .has_value = false},
                         {.name = "--command", .has_value = true},
                         {.name = "--max-failed-nodes", .has_value = true},
                         {.name = "--reboot", .has_value = true},
                         {.name = "--force", .has_value = false},
                         {.name = "--abort", .has_value = false},
                         {.name = "--node-timeout", .has_value = true},
                         {.name = "--pre-hook", .has_value = true},
                         {.name = "--post-hook", .has_value = true},
                         {.name = "--retries", .has_value = true},
                         {.name = "--report", .has_value = false}};
    const char *usage = wp_cli_usage_cluster_update;
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, opts, 11, usage, "argument", 0, &a, &status))
        return status;
    wp_osupdate_opts o = {.plan = opts[0].count > 0,
                          .command = opts[1].count ? opts[1].values[0] : NULL,
                          .reboot = opts[3].count ? opts[3].values[0] : NULL,
                          .force = opts[4].count > 0,
                          .abort = opts[5].count > 0};
    o.report = opts[10].count > 0;
    o.json = cli->json;
    for (int k = 0; o.report && k < 10; k++)
        if (opts[k].count)
            return wp_cli_usage_error(usage, "--report takes no other option (but --json)");
    o.pre_hook = opts[7].count ? opts[7].values[0] : NULL;
    o.post_hook = opts[8].count ? opts[8].values[0] : NULL;
    if ((o.command && !*o.command) || (o.pre_hook && !*o.pre_hook) ||
        (o.post_hook && !*o.post_hook))
        return wp_cli_usage_error(usage, "--command, --pre-hook and --post-hook take a command, "
                                         "not an empty string");
    if (o.reboot && strcmp(o.reboot, "auto") && strcmp(o.reboot, "always") &&
        strcmp(o.reboot, "never"))
        return wp_cli_usage_error(usage, "--reboot takes auto, always or never, not '%s'",
                                  o.reboot);
    if (opts[2].count) {
        char *end;
        long v = strtol(opts[2].values[0], &end, 10);
        if (*end || end == opts[2].values[0] || v < 0 || v > 1000)
            return wp_cli_usage_error(usage, "--max-failed-nodes takes a number from 0 to 1000");
        o.max_failed = (int)v;
    }
    if (opts[9].count) {
        char *end;
        long v = strtol(opts[9].values[0], &end, 10);
        if (*end || end == opts[9].values[0] || v < 0 || v > 10)
            return wp_cli_usage_error(usage, "--retries takes a number from 0 to 10");
        o.retries = (int)v;
    }
    if (opts[6].count) {
        char *end;
        long v = strtol(opts[6].values[0], &end, 10);
        if (*end || end == opts[6].values[0] || v < 1 || v > 86400)
            return wp_cli_usage_error(usage, "--node-timeout takes seconds from 1 to 86400");
        o.node_timeout_s = v;
    }
    wp_err err = {0};
    wp_app_env env;
    wp_app_cluster c = {0};
    bool ok = wp_app_env_init(&env, NULL, &err) &&
              wp_app_cluster_open(&c, &env, cli->socket_opt, &err) && wp_osupdate(&c, &o, &err);
    if (c.client)
        wp_app_cluster_close(&c);
    return ok ? 0 : wp_cli_fail(&err);
}
