/*
 * cmd_verify.c -- `wolfpack verify [--file FILE] [--no-local]`: the whole
 * configuration checked, as crm_verify checks Pacemaker's (docs/CLI.md,
 * "verify").
 *
 * The configuration comes from the daemon (the same read as `cluster
 * export`, wp_cli_config_read) or, with --file, from an export file (no
 * daemon needed: a configuration can be checked before `cluster import`).
 * verify.c checks it; localcheck.c adds what only this node can tell, and
 * (from the daemon) what every other node tells about the resources it
 * may own, through node tasks (unless --no-local).
 *
 * Prints one line per finding and a summary; exit status 0 valid, 8
 * warnings only, 9 errors (WP_VERIFY_EXIT_*); with --json {"valid",
 * "errors", "warnings", "findings": [...]}.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "verify.h"
#include "../lib/json.h"

static const char usage[] = "wolfpack verify [--file FILE] [--no-local] [--json]";
static const char doc[] =
    "\n"
    "Checks the whole configuration, as crm_verify does (docs/CLI.md, \"verify\").\n"
    "  --file FILE   Check FILE (what cluster export wrote; - is stdin): no daemon\n"
    "  --no-local    Leave out every node's checks (agents, programs, devices)\n"
    "  --json        Print {valid, errors, warnings, findings: [...]}\n"
    "Exit status: 0 valid, 8 warnings only, 9 errors; 2 bad usage or file, 6 no daemon.\n";

static json_t *load_file(const char *path, wp_err *err)
{
    json_error_t je;
    json_t *config =
        strcmp(path, "-") == 0 ? json_loadf(stdin, 0, &je) : json_load_file(path, 0, &je);
    if (!config) {
        wp_errf(err, WP_E_INVALID, "cannot read the configuration file %s", path);
        wp_err_why(err, "line %d: %s", je.line, je.text);
        wp_err_todo(err, "give a file that `wolfpack cluster export` wrote");
    }
    return config;
}

static void print_findings(const json_t *findings, size_t errors, size_t warnings)
{
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f)
    {
        bool error = strcmp(wp_json_str_or(f, "level", ""), "error") == 0;
        printf("%s %s: %s\n", error ? "ERROR:  " : "WARNING:", wp_json_str_or(f, "object", ""),
               wp_json_str_or(f, "message", ""));
        if (wp_json_str_or(f, "todo", "")[0])
            printf("          to do: %s\n", wp_json_str_or(f, "todo", ""));
    }
    if (!errors && !warnings)
        printf("Configuration valid: no errors, no warnings\n");
    else
        printf("Configuration %s: %zu error%s, %zu warning%s\n", errors ? "invalid" : "valid",
               errors, errors == 1 ? "" : "s", warnings, warnings == 1 ? "" : "s");
}

int wp_cmd_verify(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--file", .has_value = true}, {.name = "--no-local"}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub_doc(cli, argc, argv, opts, 2, usage, doc, "nothing", 0, &a, &status))
        return status;
    const wp_cli_opt *file = wp_cli_opt_get(opts, 2, "--file");
    wp_err err = {0};
    json_t *config = file->count ? load_file(file->values[0], &err) : wp_cli_config_read(cli, &err);
    if (!config)
        return wp_cli_fail(&err);
    json_t *findings = json_array();
    wp_verify_config(config, findings);
    if (!wp_cli_opt_get(opts, 2, "--no-local")->count)
        wp_verify_local(config, findings);
    if (!wp_cli_opt_get(opts, 2, "--no-local")->count && !file->count)
        wp_verify_others(config, cli->socket_opt, findings); /* localcheck.c */
    size_t errors = wp_verify_count(findings, true);
    size_t warnings = wp_verify_count(findings, false);
    if (cli->json) {
        json_t *out =
            json_pack("{s:b, s:I, s:I, s:O}", "valid", errors == 0, "errors", (json_int_t)errors,
                      "warnings", (json_int_t)warnings, "findings", findings);
        wp_cli_print_json(out, stdout);
        json_decref(out);
    } else {
        print_findings(findings, errors, warnings);
    }
    json_decref(findings);
    json_decref(config);
    return errors ? WP_VERIFY_EXIT_ERRORS : warnings ? WP_VERIFY_EXIT_WARNINGS : 0;
}
