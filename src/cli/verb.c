/*
 * verb.c -- the shapes that the verbs of `wolfpack` (cmd_*.c) share, so each
 * cmd_*.c keeps only what is its own (its options, its request, its
 * message):
 *
 *   wp_cli_dispatch     VERB SUB ...: run the subcommand, VERB --help
 *                       prints every usage line, a missing or unknown SUB
 *                       is a usage error
 *   wp_cli_parse_sub    a subcommand's options, --help, and the count of
 *                       positional arguments (none, or one NAME / DEVICE);
 *                       wp_cli_parse_sub_doc adds a paragraph to --help
 *   wp_cli_show_all     SUB alone (list, show): a read op without
 *                       arguments, printed
 *   wp_cli_show_named   SUB NAME: a read op {name}, printed
 *   wp_cli_change_named SUB NAME: the name checked locally, then a change
 *                       op {name} acknowledged "Noun NAME: what"
 *   wp_cli_delete_named SUB NAME: a delete op {name}, acknowledged "Deleted
 *                       noun NAME" (the daemon judges the name)
 *
 * Output and exit statuses are those documented in docs/CLI.md; they come
 * from wp_cli_usage_error, wp_cli_fail, wp_cli_show and wp_cli_change
 * (call.c).
 */
#include <ctype.h>
#include <string.h>

#include "../lib/model.h"
#include "cli.h"

int wp_cli_dispatch(wp_cli *cli, int argc, char **argv, const char *noun, const char *usage,
                    const wp_cli_sub *subs, size_t nsubs)
{
    if (argc < 1)
        return wp_cli_usage_error(usage, "missing %s subcommand", noun);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        bool first = true;
        for (size_t i = 0; i < nsubs; i++) {
            if (!subs[i].usage)
                continue; /* internal: not listed */
            printf("%s%s\n", first ? "usage: " : "       ", subs[i].usage);
            first = false;
        }
        return 0;
    }
    for (size_t i = 0; i < nsubs; i++)
        if (strcmp(argv[0], subs[i].name) == 0)
            return subs[i].run(cli, argc - 1, argv + 1);
    return wp_cli_usage_error(usage, "unknown %s subcommand '%s'", noun, argv[0]);
}

bool wp_cli_parse_sub(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts,
                      const char *usage, const char *what, int want, wp_cli_args *a, int *status)
{
    return wp_cli_parse_sub_doc(cli, argc, argv, opts, nopts, usage, NULL, what, want, a, status);
}

bool wp_cli_parse_sub_doc(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts,
                          const char *usage, const char *doc, const char *what, int want,
                          wp_cli_args *a, int *status)
{
    wp_err err = {0};
    if (!wp_cli_parse(cli, argc, argv, opts, nopts, a, &err)) {
        wp_err_print(&err, stderr);
        *status = wp_cli_usage_error(usage, "bad arguments");
        return false;
    }
    if (a->help) {
        printf("usage: %s\n%s", usage, doc ? doc : "");
        *status = 0;
        return false;
    }
    if (a->npos != want) {
        *status =
            want ? wp_cli_usage_error(usage, "expected one %s, got %d arguments", what, a->npos)
                 : wp_cli_usage_error(usage, "expected no argument, got '%s'", a->pos[0]);
        return false;
    }
    return true;
}

int wp_cli_show_all(wp_cli *cli, int argc, char **argv, const char *op, const char *usage,
                    wp_cli_printer print_human)
{
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage, NULL, 0, &a, &status))
        return status;
    return wp_cli_show(cli, op, NULL, print_human);
}

/* SUB NAME without options: parse, answer --help, insist on one NAME. */
static bool one_name(wp_cli *cli, int argc, char **argv, const char *noun, const char *usage,
                     wp_cli_args *a, int *status)
{
    char what[64];
    snprintf(what, sizeof what, "%s NAME", noun);
    return wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage, what, 1, a, status);
}

int wp_cli_show_named(wp_cli *cli, int argc, char **argv, const char *noun, const char *op,
                      const char *usage, wp_cli_printer print_human)
{
    wp_cli_args a;
    int status;
    if (!one_name(cli, argc, argv, noun, usage, &a, &status))
        return status;
    return wp_cli_show(cli, op, json_pack("{s:s}", "name", a.pos[0]), print_human);
}

/* SUB NAME: parse, check the name if asked, send op {name} (with
 * "policy": policy when not NULL; stolen), acknowledge with "Noun NAME:
 * done", or "Deleted noun NAME" when done is NULL. */
static int change_named(wp_cli *cli, int argc, char **argv, const char *noun, const char *op,
                        const char *usage, bool check, const char *done, json_t *policy)
{
    wp_cli_args a;
    int status;
    wp_err err = {0};
    if (!one_name(cli, argc, argv, noun, usage, &a, &status)) {
        json_decref(policy);
        return status;
    }
    if (check && !wp_name_valid(noun, a.pos[0], &err)) {
        json_decref(policy);
        return wp_cli_fail(&err);
    }
    char msg[256];
    if (done)
        snprintf(msg, sizeof msg, "%c%s %s: %s", toupper((unsigned char)noun[0]), noun + 1,
                 a.pos[0], done);
    else
        snprintf(msg, sizeof msg, "Deleted %s %s", noun, a.pos[0]);
    json_t *args = json_pack("{s:s}", "name", a.pos[0]);
    if (policy)
        json_object_set_new(args, "policy", policy);
    return wp_cli_change(cli, op, args, msg);
}

int wp_cli_set_managed(wp_cli *cli, int argc, char **argv, const char *noun, const char *op,
                       const char *usage, bool managed)
{
    return change_named(
        cli, argc, argv, noun, op, usage, true,
        managed ? "managed (the cluster starts, stops, restarts and moves it again)"
                : "unmanaged (the cluster leaves it as it is: no start, stop, restart or move)",
        json_pack("{s:s}", "managed", managed ? "true" : "false"));
}

int wp_cli_change_named(wp_cli *cli, int argc, char **argv, const char *noun, const char *op,
                        const char *usage, const char *done)
{
    return change_named(cli, argc, argv, noun, op, usage, true, done, NULL);
}

int wp_cli_delete_named(wp_cli *cli, int argc, char **argv, const char *noun, const char *op,
                        const char *usage)
{
    return change_named(cli, argc, argv, noun, op, usage, false, NULL, NULL);
}
