/*
 * main.c -- the `wolfpack` command: global options and verb dispatch.
 *
 *     wolfpack [--socket PATH] [--timeout SECONDS] [--json] VERB ...
 *     wolfpack --version
 *
 * The global options fill the one wp_cli context of the process (--timeout
 * goes to the client library through $WOLFPACK_TIMEOUT); the verb
 * (cmd_*.c) gets the remaining arguments and returns the exit status.  Every
 * request goes through the client library (src/client) to the local
 * wolfpackd; nothing here touches the cluster database directly.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef WP_VERSION
#error "WP_VERSION is set by the Makefile from the file VERSION"
#endif

static const char usage_text[] =
    "usage: wolfpack [--socket PATH] [--timeout SECONDS] [--json] VERB ...\n"
    "\n"
    "  status [--watch]                        the cluster at a glance (--watch: follow it)\n"
    "  cluster show | create NAME --node NAME=ADDR ... | export\n"
    "  cluster import FILE --dry-run | --apply [--prune]   the configuration from an export\n"
    "  cluster maintenance on/off | fencing on/off\n"
    "  cluster quorum [--wait-for-all on/off] [--qdevice HOST | --no-qdevice] ...\n"
    "  cluster update [--plan] [--max-failed-nodes N] ... | --abort | --report\n"
    "                  the operating system's packages, node by node\n"
    "  node list | show NAME | add NAME=ADDR [--nodeid N] | remove NAME [--force]\n"
    "  node pause NAME | resume NAME | drain NAME\n"
    "  node fence NAME [--action off|reboot] | confirm-down NAME\n"
    "  group list | show NAME | create NAME [--policy K=V ...] | delete NAME\n"
    "  group set NAME [--policy K=V ...] [--reset K ...]\n"
    "  group online NAME | offline NAME | move NAME [--to NODE [--lifetime D]]\n"
    "  group ban NAME --from NODE [--lifetime D] | clear NAME\n"
    "  group manage NAME | unmanage NAME | cleanup NAME\n"
    "  resource list [--group G] | show NAME | delete NAME\n"
    "  resource create NAME --group G --type TYPE [--prop K=V ...] [--policy K=V ...]\n"
    "                  [--depends-on OTHER ...] [--force]\n"
    "  resource set NAME [--prop K=V ...] [--policy K=V ...] [--unset-prop K ...]\n"
    "                  [--reset-policy K ...] [--restart] [--force]\n"
    "  resource depend NAME --on OTHER | undepend NAME --on OTHER\n"
    "  resource online NAME | offline NAME | fail NAME\n"
    "  resource manage NAME | unmanage NAME | cleanup NAME\n"
    "  fence list | show NAME | delete NAME | test NAME\n"
    "  fence create NAME --agent fence_xxx [--prop K=V ...] --nodes NODE[=PLUG],...\n"
    "                  [--level N] [--timeout SECONDS]\n"
    "  disk prepare DEVICE [--mmp] | show DEVICE [--observe] | release DEVICE --force\n"
    "  app inspect KIT | install KIT [--set K=V ...] | remove APP [--purge]\n"
    "  app list | show APP | start APP | stop APP | verify FILE\n"
    "  app install KIT --cluster --group G | config APP [NAME=VALUE ...]\n"
    "  app backup APP --to FILE [--online] | restore APP --from FILE\n"
    "  app sp apply SP [--group G] [--plan | --single | --rollback] [--force] ...\n"
    "  app migrate APP --group G | --create-group NAME ... | --rollback\n"
    "  history [--since DURATION|UNIXTIME] [--group G] [--all]\n"
    "  verify [--file FILE] [--no-local]       check the whole configuration\n"
    "  report [--since T] [--to FILE] [--state-dir DIR] [--local]   every node's diagnostics\n"
    "  alert list | create NAME --path PROGRAM [--timeout S] [--recipient TEXT] | delete NAME\n"
    "\n"
    "  --socket PATH   wolfpackd's socket (default $WOLFPACK_SOCKET, else " WP_DEFAULT_SOCKET ")\n"
    "  --timeout SECONDS  how long to wait for each reply (default $WOLFPACK_TIMEOUT,\n"
    "                  else 30; 0 = no limit; status --watch waits without limit)\n"
    "  --json          print results as JSON (every list and show)\n"
    "  VERB --help     usage of one verb\n"
    "  --version       print the version (wolfpack VERSION) and exit\n"
    "\n"
    "Exit status: 0 ok, 1 internal error, 2 invalid input or usage, 3 not found,\n"
    "4 exists or conflict, 5 no quorum, 6 daemon unavailable or permission denied,\n"
    "7 protocol, corrupt data or I/O error.\n";

typedef int (*verb_fn)(wp_cli *cli, int argc, char **argv);

static const struct verb {
    const char *name;
    verb_fn run;
} verbs[] = {
    {"status", wp_cmd_status}, {"cluster", wp_cmd_cluster},   {"node", wp_cmd_node},
    {"group", wp_cmd_group},   {"resource", wp_cmd_resource}, {"disk", wp_cmd_disk},
    {"app", wp_cmd_app},       {"fence", wp_cmd_fence},       {"history", wp_cmd_history},
    {"verify", wp_cmd_verify}, {"alert", wp_cmd_alert},       {"report", wp_cmd_report},
};

static verb_fn find_verb(const char *name)
{
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (strcmp(verbs[i].name, name) == 0)
            return verbs[i].run;
    return NULL;
}

#define GLOBAL_USAGE "wolfpack [--socket PATH] [--timeout SECONDS] [--json] VERB ..."

/* Leading global options, read with wp_cli_getopt up to the verb; returns
 * the index of the verb, or -1 after printing an error or the help/version
 * (*status set).  *timeout gets --timeout's text. */
static int parse_global(wp_cli *cli, int argc, char **argv, const char **timeout, int *status)
{
    wp_cli_opt opts[] = {{.name = "--socket", .has_value = true},
                         {.name = "--timeout", .has_value = true},
                         {.name = "--version"}};
    wp_cli_args a;
    wp_err err = {0};
    int verb = wp_cli_getopt(cli, argc - 1, argv + 1, opts, 3, true, &a, &err);
    if (verb < 0) {
        wp_err_print(&err, stderr);
        *status = wp_cli_usage_error(GLOBAL_USAGE, "bad global options");
        return -1;
    }
    if (a.help || opts[2].count) {
        if (a.help)
            fputs(usage_text, stdout);
        else
            printf("wolfpack %s\n", WP_VERSION);
        *status = 0;
        return -1;
    }
    if (opts[0].count)
        cli->socket_opt = opts[0].values[opts[0].count - 1];
    if (opts[1].count)
        *timeout = opts[1].values[opts[1].count - 1];
    return verb + 1;
}

/* Every argument travels as a JSON string: refuse what is not UTF-8 here
 * rather than let it vanish from a request. */
static int check_utf8(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        json_t *s = json_string(argv[i]);
        if (!s) {
            wp_err err;
            wp_errf(&err, WP_E_INVALID, "argument %d is not valid UTF-8", i);
            wp_err_why(&err, "names, properties and policies travel as UTF-8 text");
            wp_err_todo(&err, "retype the argument, or check the terminal's encoding");
            return wp_cli_fail(&err);
        }
        json_decref(s);
    }
    return 0;
}

/* --timeout SECONDS: checked here, then handed to every client of the
 * process (the verbs' and the application setup's) as $WOLFPACK_TIMEOUT,
 * which the option overrides (docs/CLI.md, "Timeouts"). */
static int use_timeout(const char *text)
{
    wp_err err = {0};
    int seconds;
    if (!text[0])
        return 0; /* empty: as if not given */
    if (!wp_client_timeout(text, &seconds, &err))
        return wp_cli_fail(&err);
    char buf[16];
    snprintf(buf, sizeof buf, "%d", seconds);
    if (setenv("WOLFPACK_TIMEOUT", buf, 1) != 0) {
        wp_errf(&err, WP_E_INTERNAL, "cannot apply --timeout %s", text);
        wp_err_why(&err, "setenv failed (out of memory)");
        wp_err_todo(&err, "set WOLFPACK_TIMEOUT=%d instead", seconds);
        return wp_cli_fail(&err);
    }
    return 0;
}

int main(int argc, char **argv)
{
    wp_cli cli = {0};
    int status = check_utf8(argc, argv);
    if (status)
        return status;
    const char *timeout = NULL;
    int v = parse_global(&cli, argc, argv, &timeout, &status);
    if (v < 0)
        return status;
    if (timeout && (status = use_timeout(timeout)))
        return status;
    if (v >= argc) {
        fputs(usage_text, stderr);
        return wp_code_exit_status(WP_E_INVALID);
    }
    verb_fn run = find_verb(argv[v]);
    if (!run) {
        char names[256] = "";
        for (size_t i = 0, u = 0; i < sizeof verbs / sizeof verbs[0] && u < sizeof names; i++)
            u +=
                (size_t)snprintf(names + u, sizeof names - u, "%s%s", i ? ", " : "", verbs[i].name);
        return wp_cli_usage_error(GLOBAL_USAGE, "unknown verb '%s' (expected one of: %s)", argv[v],
                                  names);
    }
    status = run(&cli, argc - v - 1, argv + v + 1);
    if (cli.client)
        wp_client_close(cli.client);
    return status;
}
