/*
 * cmd_node.c -- `wolfpack node list|show|add|remove|pause|resume|drain`.
 *
 * Nodes come from `cluster create`; `node add NAME=ADDRESS [--nodeid N]`
 * and `node remove NAME [--force]` change the membership at run time
 * (wolfpackd then rewrites corosync.conf on every node and reloads
 * corosync: docs/REPLICATION.md, "Changing membership").  list
 * and show read; pause, resume and drain change the node's runtime state
 * (a paused node keeps its groups and takes none; a drained node's groups
 * move away; resume clears both), which the coordinator acts on.  `node
 * fence NAME` powers a node off through its fence devices, `node
 * confirm-down NAME` is the operator's word that a lost node is off
 * (cmd_fence.c).  Human
 * output: a table for list, a key/value block for show; --json prints the
 * daemon's result.
 */
#include <string.h>

#include <errno.h>
#include <stdlib.h>

#include "../lib/corosync_conf.h"
#include "../lib/model.h"
#include "cli.h"

static const char usage[] =
    "wolfpack node list|show|add|remove|pause|resume|drain|fence|confirm-down ...";
static const char usage_add[] = "wolfpack node add NAME=ADDRESS [--nodeid N] [--json]";
static const char usage_remove[] = "wolfpack node remove NAME [--force] [--json]";
static const char usage_list[] = "wolfpack node list [--json]";
static const char usage_show[] = "wolfpack node show NAME [--json]";
static const char usage_pause[] = "wolfpack node pause NAME";
static const char usage_resume[] = "wolfpack node resume NAME";
static const char usage_drain[] = "wolfpack node drain NAME";
static const char usage_fence[] = "wolfpack node fence NAME [--action off|reboot] [--json]";
static const char usage_confirm[] = "wolfpack node confirm-down NAME";

static const char *yes_no(const json_t *v)
{
    return json_is_true(v) ? "yes" : "no";
}

static void print_list(const json_t *nodes, FILE *out)
{
    static const char *const head[] = {"NODE", "ID", "ADDRESS", "PAUSED", "DRAINED"};
    wp_table *t = wp_table_new(5, head);
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        char id[32];
        const char *row[] = {json_string_value(json_object_get(n, "name")),
                             wp_cli_text(json_object_get(n, "id"), id, sizeof id),
                             json_string_value(json_object_get(n, "address")),
                             yes_no(json_object_get(n, "paused")),
                             yes_no(json_object_get(n, "drained"))};
        wp_table_add(t, row);
    }
    wp_table_print(t, out, "");
    wp_table_free(t);
}

static void print_one(const json_t *n, FILE *out)
{
    char buf[1024];
    fprintf(out, "Node %s:\n", json_string_value(json_object_get(n, "name")));
    wp_cli_print_kv(out, 8, "id", wp_cli_text(json_object_get(n, "id"), buf, sizeof buf));
    wp_cli_print_kv(out, 8, "address", wp_cli_text(json_object_get(n, "address"), buf, sizeof buf));
    wp_cli_print_kv(out, 8, "paused", yes_no(json_object_get(n, "paused")));
    wp_cli_print_kv(out, 8, "drained", yes_no(json_object_get(n, "drained")));
}

/* Parse args, answer --help, and insist on exactly `want` positionals. */
static bool parse_sub(wp_cli *cli, int argc, char **argv, const char *use, int want, wp_cli_args *a,
                      int *status)
{
    wp_err err = {0};
    if (!wp_cli_parse(cli, argc, argv, NULL, 0, a, &err)) {
        wp_err_print(&err, stderr);
        *status = wp_cli_usage_error(use, "bad arguments");
        return false;
    }
    if (a->help) {
        printf("usage: %s\n", use);
        *status = 0;
        return false;
    }
    if (a->npos != want) {
        *status = want
                      ? wp_cli_usage_error(use, "expected one node NAME, got %d arguments", a->npos)
                      : wp_cli_usage_error(use, "expected no argument, got '%s'", a->pos[0]);
        return false;
    }
    return true;
}

static int node_list(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, usage_list, 0, &a, &status))
        return status;
    return wp_cli_show(cli, "node.list", NULL, print_list);
}

static int node_show(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, usage_show, 1, &a, &status))
        return status;
    return wp_cli_show(cli, "node.show", json_pack("{s:s}", "name", a.pos[0]), print_one);
}

/* pause / resume / drain: one NAME and an op. */
static int node_change(wp_cli *cli, int argc, char **argv, const char *op, const char *use,
                       const char *what)
{
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, use, 1, &a, &status))
        return status;
    wp_err err = {0};
    if (!wp_name_valid("node", a.pos[0], &err))
        return wp_cli_fail(&err);
    char msg[192];
    snprintf(msg, sizeof msg, "Node %s: %s", a.pos[0], what);
    return wp_cli_change(cli, op, json_pack("{s:s}", "name", a.pos[0]), msg);
}

/* --nodeid: 1 .. 2^31-1 (corosync's range) */
static bool parse_nodeid(const char *text, json_int_t *out, wp_err *err)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || !end || *end || end == text || v < 1 || v > 2147483647LL) {
        wp_errf(err, WP_E_INVALID, "invalid node id '%.40s'", text);
        wp_err_why(err, "a corosync node id is a whole number from 1 to 2147483647");
        wp_err_todo(err, "give e.g. --nodeid 4, or leave it out to take the next free id");
        return false;
    }
    *out = v;
    return true;
}

/* NAME=ADDRESS [--nodeid N] -> {name, address, id?}, checked here first so
 * that bad input never reaches the daemon. */
static json_t *add_args(const char *spec, const wp_cli_opt *nodeid, wp_err *err)
{
    char *name = NULL, *addr = NULL;
    json_int_t id = 0;
    json_t *args = NULL;
    if (!strchr(spec, '=') || spec[0] == '=') {
        wp_errf(err, WP_E_INVALID, "bad node '%.100s'", spec);
        wp_err_why(err, "expected NAME=ADDRESS");
        wp_err_todo(err, "write it as e.g. 'wolfpack node add n4=198.51.100.14'");
        return NULL;
    }
    if (wp_cli_kv_split(spec, "node add", &name, &addr, err) && wp_name_valid("node", name, err) &&
        wp_cs_address_valid(addr, err) &&
        (!nodeid->count || parse_nodeid(nodeid->values[0], &id, err)))
        args = json_pack("{s:s, s:s}", "name", name, "address", addr);
    if (args && id)
        json_object_set_new(args, "id", json_integer(id));
    free(name);
    free(addr);
    return args;
}

static int node_add(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--nodeid", .has_value = true}};
    wp_cli_args a;
    wp_err err = {0};
    if (!wp_cli_parse(cli, argc, argv, opts, 1, &a, &err)) {
        wp_err_print(&err, stderr);
        return wp_cli_usage_error(usage_add, "bad arguments");
    }
    if (a.help) {
        printf("usage: %s\n"
               "Adds a node to the cluster (run it on any node of the quorate partition).\n"
               "Every running node rewrites /etc/corosync/corosync.conf and reloads corosync.\n"
               "Then copy corosync.conf and authkey from a node to the new one and start\n"
               "corosync and wolfpackd there.  Without --nodeid the next free id is used.\n",
               usage_add);
        return 0;
    }
    if (a.npos != 1)
        return wp_cli_usage_error(usage_add, "expected one NAME=ADDRESS, got %d arguments", a.npos);
    json_t *args = add_args(a.pos[0], &opts[0], &err);
    if (!args)
        return wp_cli_fail(&err);
    char name[WP_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", json_string_value(json_object_get(args, "name")));
    char msg[768];
    snprintf(msg, sizeof msg,
             "Node %s added; every running node rewrites /etc/corosync/corosync.conf and "
             "reloads corosync.\nNext: copy /etc/corosync/corosync.conf and "
             "/etc/corosync/authkey from this node to %s, then start corosync and wolfpackd "
             "there",
             name, name);
    return wp_cli_change(cli, "node.add", args, msg);
}

static int node_remove(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--force", .has_value = false}};
    wp_cli_args a;
    wp_err err = {0};
    if (!wp_cli_parse(cli, argc, argv, opts, 1, &a, &err)) {
        wp_err_print(&err, stderr);
        return wp_cli_usage_error(usage_remove, "bad arguments");
    }
    if (a.help) {
        printf("usage: %s\n"
               "Removes a stopped node from the cluster: stop its wolfpackd and corosync\n"
               "first, then run this on another node.  Refused for a node that still runs\n"
               "or owns groups unless --force (which releases its groups), for the node the\n"
               "command runs on, and for the last node.\n",
               usage_remove);
        return 0;
    }
    if (a.npos != 1)
        return wp_cli_usage_error(usage_remove, "expected one node NAME, got %d arguments", a.npos);
    if (!wp_name_valid("node", a.pos[0], &err))
        return wp_cli_fail(&err);
    json_t *args = json_pack("{s:s}", "name", a.pos[0]);
    if (opts[0].count)
        json_object_set_new(args, "force", json_true());
    char msg[256];
    snprintf(msg, sizeof msg,
             "Node %s removed; every running node rewrites /etc/corosync/corosync.conf and "
             "reloads corosync",
             a.pos[0]);
    return wp_cli_change(cli, "node.remove", args, msg);
}

static int node_pause(wp_cli *cli, int argc, char **argv)
{
    return node_change(cli, argc, argv, "node.pause", usage_pause,
                       "paused (keeps its groups, takes no new ones)");
}

static int node_resume(wp_cli *cli, int argc, char **argv)
{
    return node_change(cli, argc, argv, "node.resume", usage_resume,
                       "resumed (takes groups again)");
}

static int node_drain(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!parse_sub(cli, argc, argv, usage_drain, 1, &a, &status))
        return status;
    wp_err err = {0};
    if (!wp_name_valid("node", a.pos[0], &err) || !wp_cli_drain_possible(cli, a.pos[0], &err))
        return wp_cli_fail(&err);
    return node_change(cli, argc, argv, "node.drain", usage_drain,
                       "drained (its groups move to other nodes)");
}

int wp_cmd_node(wp_cli *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(wp_cli *, int, char **);
    } subs[] = {{"list", node_list},
                {"show", node_show},
                {"add", node_add},
                {"remove", node_remove},
                {"pause", node_pause},
                {"resume", node_resume},
                {"drain", node_drain},
                {"fence", wp_cmd_node_fence},
                {"confirm-down", wp_cmd_node_confirm_down}};
    if (argc < 1)
        return wp_cli_usage_error(usage, "missing node subcommand");
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        const char *const lines[] = {usage_list,   usage_show,  usage_add,
                                     usage_remove, usage_pause, usage_resume,
                                     usage_drain,  usage_fence, usage_confirm};
        for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
            printf("%s%s\n", i ? "       " : "usage: ", lines[i]);
        return 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(argv[0], subs[i].name) == 0)
            return subs[i].run(cli, argc - 1, argv + 1);
    return wp_cli_usage_error(usage, "unknown node subcommand '%s'", argv[0]);
}
