/*
 * call.c -- how a verb of `wolfpack` talks to wolfpackd and reports back.
 *
 * wp_cli_call opens the connection on first use (socket from --socket,
 * $WOLFPACK_SOCKET or the default) and makes sure that an unreachable
 * daemon is reported with the socket path and what to do.  wp_cli_show and
 * wp_cli_change are the two shapes every verb takes: read and print, or
 * change and acknowledge.  Errors go to stderr as what / why / to do; the
 * exit status comes from wp_code_exit_status (docs/CLI.md has the table).
 */
#include <stdarg.h>
#include <string.h>

#include "cli.h"

/* Make a connection failure say which socket and what to do about it. */
static void explain_connect_error(const char *path, wp_err *err)
{
    if (err->code != WP_E_UNAVAILABLE && err->code != WP_E_PERM && err->code != WP_E_IO)
        return;
    char why[sizeof err->why];
    snprintf(why, sizeof why, "%s", err->why[0] ? err->why : err->what);
    if (err->code == WP_E_PERM) {
        wp_errf(err, WP_E_PERM, "cannot connect to wolfpackd at %s", path);
        wp_err_why(err, "%s", why);
        wp_err_todo(err, "run wolfpack as root or as a member of the wolfpack admin group");
        return;
    }
    wp_errf(err, WP_E_UNAVAILABLE, "cannot connect to wolfpackd at %s", path);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "start wolfpackd on this node, or point --socket or WOLFPACK_SOCKET at "
                     "its socket");
}

json_t *wp_cli_call(wp_cli *cli, const char *op, json_t *args, long long *version, wp_err *err)
{
    if (!cli->client) {
        const char *path = wp_client_socket_path(cli->socket_opt);
        cli->client = wp_client_connect(path, err);
        if (!cli->client) {
            explain_connect_error(path, err);
            json_decref(args);
            return NULL;
        }
    }
    wp_err_clear(err);
    json_t *result = wp_client_call(cli->client, op, args, version, err);
    if (!result && err->code == WP_OK)
        result = json_null(); /* a reply whose result is null */
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
        printf("%s (version %lld)\n", message, version);
    }
    json_decref(result);
    return 0;
}
