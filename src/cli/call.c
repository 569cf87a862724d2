/*
 * call.c -- how a verb of `wolfpack` talks to wolfpackd and reports back.
 *
 * wp_cli_call opens the connection on first use (socket from --socket,
 * $WOLFPACK_SOCKET or the default); the client library's errors already
 * name the socket and say what to do, so they are printed as they are.  wp_cli_show and
 * wp_cli_change are the two shapes every verb takes: read and print, or
 * change and acknowledge.  Errors go to stderr as what / why / to do; the
 * exit status comes from wp_code_exit_status (docs/CLI.md has the table).
 * Text from outside is escaped before a person sees it (src/lib/text.h):
 * for human output every string of a reply is escaped as it arrives, and
 * so are errors (wp_err_print) and the acknowledgement, which echoes the
 * command line's names; --json prints the exact values.
 */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

json_t *wp_cli_call(wp_cli *cli, const char *op, json_t *args, long long *version, wp_err *err)
{
    if (!cli->client) {
        const char *path = wp_client_socket_path(cli->socket_opt);
        cli->client = wp_client_connect(path, err);
        if (!cli->client) { /* the client's error names the socket and what to do */
            json_decref(args);
            return NULL;
        }
    }
    wp_err_clear(err);
    json_t *result = wp_client_call(cli->client, op, args, version, err);
    if (!result && err->code == WP_OK)
        result = json_null(); /* a reply whose result is null */
    if (result && !cli->json)
        wp_text_escape_json(result); /* for a person's eyes only */
    return result;
}

int wp_cli_fail(const wp_err *err)
{
    wp_err_print(err, stderr);
    int status = wp_code_exit_status(err->code);
    return status ? status : 1;
}

int wp_cli_usage_error(const char *usage, const char *what_fmt, ...)
{
    char what[256];
    va_list ap;
    va_start(ap, what_fmt);
    vsnprintf(what, sizeof what, what_fmt, ap);
    va_end(ap);
    fprintf(stderr, "error: %s\n  usage: %s\n  to do: see 'wolfpack --help'\n", what, usage);
    return wp_code_exit_status(WP_E_INVALID);
}

int wp_cli_show(wp_cli *cli, const char *op, json_t *args, wp_cli_printer print_human)
{
    wp_err err = {0};
    long long version = 0;
    json_t *result = wp_cli_call(cli, op, args, &version, &err);
    if (!result)
        return wp_cli_fail(&err);
    if (cli->json)
        wp_cli_print_json(result, stdout);
    else
        print_human(result, stdout);
    json_decref(result);
    return 0;
}

int wp_cli_change(wp_cli *cli, const char *op, json_t *args, const char *message)
{
    wp_err err = {0};
    long long version = 0;
    json_t *result = wp_cli_call(cli, op, args, &version, &err);
    if (!result)
        return wp_cli_fail(&err);
    if (cli->json) {
        json_t *out =
            json_pack("{s:b, s:I, s:O}", "ok", 1, "version", (json_int_t)version, "result", result);
        wp_cli_print_json(out, stdout);
        json_decref(out);
    } else {
        wp_text_fputs(message, stdout);
        printf(" (version %lld)\n", version);
    }
    json_decref(result);
    return 0;
}
