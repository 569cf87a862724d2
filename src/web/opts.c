/*
 * opts.c -- the settings of wolfpack-web (web.h, docs/WEB.md): defaults,
 * then /etc/wolfpack/web.conf (or --config; strict `key = value`,
 * src/lib/conffile.c: a mistyped key stops the server), then the command
 * line.  The file's keys are the long options without "--", plus
 * metrics-token, which only the file may set (a command line is visible to
 * every user in ps).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../client/client.h"
#include "web.h"

static const struct option LONGOPTS[] = {
    {"listen", required_argument, NULL, 'l'},    {"cert", required_argument, NULL, 'c'},
    {"key", required_argument, NULL, 'k'},       {"web-root", required_argument, NULL, 'r'},
    {"socket", required_argument, NULL, 'S'},    {"pam-service", required_argument, NULL, 'p'},
    {"state-dir", required_argument, NULL, 'd'}, {"session-idle", required_argument, NULL, 'i'},
    {"config", required_argument, NULL, 'C'},    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},         {NULL, 0, NULL, 0},
};

static const char *const CONF_KEYS[] = {"listen",        "cert",        "key",       "web-root",
                                        "socket",        "pam-service", "state-dir", "session-idle",
                                        "metrics-token", NULL};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wolfpack-web [--config PATH] [--listen ADDR:PORT] [--cert PEM --key PEM]\n"
            "                    [--web-root DIR] [--socket PATH] [--pam-service NAME]\n"
            "                    [--state-dir DIR] [--session-idle SEC]\n"
            "\n"
            "  --config PATH       the configuration file (default " WP_WEB_CONFIG ",\n"
            "                      read when it exists); options given here override it\n"
            "  --listen ADDR:PORT  where to serve HTTPS (default " WP_WEB_LISTEN ")\n"
            "  --cert, --key PEM   the certificate and its key; without them a self-signed\n"
            "                      one is made on the first start and kept in the state dir\n"
            "  --web-root DIR      the page's files (default " WP_WEB_ROOT ")\n"
            "  --socket PATH       wolfpackd's socket (default " WP_DEFAULT_SOCKET ")\n"
            "  --pam-service NAME  the PAM service of logins (default " WP_WEB_PAM_SERVICE ")\n"
            "  --state-dir DIR     where the generated certificate lives\n"
            "                      (default " WP_WEB_STATE_DIR ")\n"
            "  --session-idle SEC  a session ends after this long without a request\n"
            "                      (default %d)\n"
            "  --version           print the version and exit\n"
            "The file may also set metrics-token = TOKEN: /metrics then needs\n"
            "`Authorization: Bearer TOKEN`.  See docs/WEB.md.\n",
            WP_WEB_SESSION_IDLE);
}

static bool parse_listen(const char *text, struct sockaddr_in *addr)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    char *end;

    if (!colon || (size_t)(colon - text) >= sizeof host || colon == text)
        return false;
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || port < 1 || port > 65535)
        return false;
    memset(addr, 0, sizeof *addr);
    addr->sin_family = AF_INET;
    addr->sin_port = htons((uint16_t)port);
    return inet_pton(AF_INET, host, &addr->sin_addr) == 1;
}

static bool bad(FILE *errs, const char *where, const char *name, const char *value,
                const char *want, const char *example)
{
    fprintf(errs, "error: %s%s%s \"%s\" is not %s\n  to do: give e.g. %s\n", where,
            where[0] ? ": " : "", name, value, want, example);
    return false;
}

/* Set the option of key name to value; where: "" (command line) or FILE:LINE. */
static bool set_opt(wp_web_opts *o, const char *name, const char *value, const char *where,
                    FILE *errs)
{
    const char **slot = NULL;

    if (strcmp(name, "listen") == 0) {
        if (!parse_listen(value, &o->addr))
            return bad(errs, where, name, value, "an IPv4 ADDR:PORT", "listen = 0.0.0.0:8443");
        o->listen = value;
        return true;
    }
    if (strcmp(name, "session-idle") == 0) {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end || v < 60 || v > 86400)
            return bad(errs, where, name, value, "60 to 86400 seconds", "session-idle = 1800");
        o->session_idle = (int)v;
        return true;
    }
    slot = strcmp(name, "cert") == 0          ? &o->cert
           : strcmp(name, "key") == 0         ? &o->key
           : strcmp(name, "web-root") == 0    ? &o->web_root
           : strcmp(name, "socket") == 0      ? &o->socket
           : strcmp(name, "pam-service") == 0 ? &o->pam_service
           : strcmp(name, "state-dir") == 0   ? &o->state_dir
                                              : &o->metrics_token;
    if (!value[0])
        return bad(errs, where, name, value, "empty-free", "a value");
    *slot = value;
    return true;
}

int wp_web_opts_parse(int argc, char **argv, wp_web_opts *o, FILE *errs)
{
    int ch, idx = 0;
    bool exit_now;
    wp_err err = {0};

    memset(o, 0, sizeof *o);
    o->config = wp_conf_first_pass(argc, argv, LONGOPTS, "wolfpack-web", usage, stdout, &exit_now);
    if (exit_now)
        return 1;
    o->listen = WP_WEB_LISTEN;
    parse_listen(o->listen, &o->addr);
    o->web_root = WP_WEB_ROOT;
    o->socket = wp_client_socket_path(NULL);
    o->pam_service = WP_WEB_PAM_SERVICE;
    o->state_dir = WP_WEB_STATE_DIR;
    o->session_idle = WP_WEB_SESSION_IDLE;
    if (!wp_conf_read(o->config ? o->config : WP_WEB_CONFIG, o->config == NULL, CONF_KEYS, &o->conf,
                      &err)) {
        wp_err_print(&err, errs);
        fprintf(errs, "wolfpack-web: the configuration is refused; wolfpack-web does not start\n");
        return 2;
    }
    for (size_t i = 0; i < o->conf.n; i++) {
        const wp_conf_entry *e = &o->conf.entries[i];
        char where[4200];
        snprintf(where, sizeof where, "%s:%u", o->conf.path, e->line);
        if (!set_opt(o, e->key, e->value, where, errs))
            return 2;
    }
    while ((ch = getopt_long(argc, argv, "h", LONGOPTS, &idx)) != -1) {
        if (ch == 'C')
            continue;
        if (ch == '?' || ch == ':') {
            usage(errs);
            return 2;
        }
        if (!set_opt(o, LONGOPTS[idx].name, optarg, "", errs))
            return 2;
    }
    if (optind < argc) {
        fprintf(errs, "error: unexpected argument \"%s\"\n  to do: see wolfpack-web --help\n",
                argv[optind]);
        return 2;
    }
    return 0;
}

void wp_web_opts_free(wp_web_opts *o)
{
    wp_conf_free(&o->conf);
}
