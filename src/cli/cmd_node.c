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
#include "../lib/json.h"
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
    static const char *const head[] = {"NODE", "ID", "ADDRESS", "STATE", "PAUSED", "DRAINED"};
    wp_table *t = wp_table_new(6, head);
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        char id[32];
        const char *row[] = {wp_json_str(n, "name"),
                             wp_cli_text(json_object_get(n, "id"), id, sizeof id),
                             wp_json_str(n, "address"),
                             wp_json_str(n, "state"),
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
    fprintf(out, "Node %s:\n", wp_json_str(n, "name"));
    wp_cli_print_kv(out, 8, "id", wp_cli_text(json_object_get(n, "id"), buf, sizeof buf));
    wp_cli_print_kv(out, 8, "address", wp_cli_text(json_object_get(n, "address"), buf, sizeof buf));
    wp_cli_print_kv(out, 8, "state", wp_cli_text(json_object_get(n, "state"), buf, sizeof buf));
    wp_cli_print_kv(out, 8, "paused", yes_no(json_object_get(n, "paused")));
    wp_cli_print_kv(out, 8, "drained", yes_no(json_object_get(n, "drained")));
}

/* "state": "Up" (a member of this partition) or "Down" into a node, as
 * `status` shows it, from the status object's members. */
static void add_state(json_t *node, const json_t *st)
{
    const json_t *members = json_object_get(st, "members");
    if (!members)
        members = json_object_get(json_object_get(st, "replication"), "members");
    json_int_t id = json_integer_value(json_object_get(node, "id"));
    bool up = false;
    size_t i;
    json_t *m;
    json_array_foreach(members, i, m) up = up || json_integer_value(m) == id;
    json_object_set_new(node, "state", json_string(up ? "Up" : "Down"));
}

/* op (node.list or node.show {name}) with each node's state added,
 * printed as JSON or through print. */
static int show_with_state(wp_cli *cli, const char *op, json_t *args, wp_cli_printer print)
{
    wp_err err = {0};
    json_t *got = wp_cli_call(cli, op, args, NULL, &err);
    json_t *st = got ? wp_cli_call(cli, "status", NULL, NULL, &err) : NULL;
    if (!st) {
        json_decref(got);
        return wp_cli_fail(&err);
    }
    if (json_is_array(got)) {
        size_t i;
        json_t *n;
        json_array_foreach(got, i, n) add_state(n, st);
    } else {
        add_state(got, st);
    }
    if (cli->json)
        wp_cli_print_json(got, stdout);
    else
        print(got, stdout);
    json_decref(got);
    json_decref(st);
    return 0;
}

static int node_list(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage_list, "node NAME", 0, &a, &status))
        return status;
    return show_with_state(cli, "node.list", NULL, print_list);
}

static int node_show(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage_show, "node NAME", 1, &a, &status))
        return status;
    return show_with_state(cli, "node.show", json_pack("{s:s}", "name", a.pos[0]), print_one);
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
        wp_cs_address_valid(addr, err) && wp_node_address_valid(addr, false, err) &&
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
    static const char doc[] =
        "Adds a node to the cluster (run it on any node of the quorate partition).\n"
        "Every running node rewrites /etc/corosync/corosync.conf and reloads corosync.\n"
        "Then copy corosync.conf and authkey from a node to the new one and start\n"
        "corosync and wolfpackd there.  Without --nodeid the next free id is used.\n";
    wp_cli_opt opts[] = {{.name = "--nodeid", .has_value = true}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub_doc(cli, argc, argv, opts, 1, usage_add, doc, "NAME=ADDRESS", 1, &a,
                              &status))
        return status;
    wp_err err = {0};
    json_t *args = add_args(a.pos[0], &opts[0], &err);
    if (!args)
        return wp_cli_fail(&err);
    char name[WP_NAME_MAX + 1];
    snprintf(name, sizeof name, "%s", wp_json_str(args, "name"));
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
    static const char doc[] =
        "Removes a stopped node from the cluster: stop its wolfpackd and corosync\n"
        "first, then run this on another node.  Refused for a node that still runs\n"
        "or owns groups unless --force (which releases its groups), for the node the\n"
        "command runs on, and for the last node.\n";
    wp_cli_opt opts[] = {{.name = "--force", .has_value = false}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub_doc(cli, argc, argv, opts, 1, usage_remove, doc, "node NAME", 1, &a,
                              &status))
        return status;
    wp_err err = {0};
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
    return wp_cli_change_named(cli, argc, argv, "node", "node.pause", usage_pause,
                               "paused (keeps its groups, takes no new ones)");
}

static int node_resume(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_change_named(cli, argc, argv, "node", "node.resume", usage_resume,
                               "resumed (takes groups again)");
}

static int node_drain(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage_drain, "node NAME", 1, &a, &status))
        return status;
    wp_err err = {0};
    if (!wp_name_valid("node", a.pos[0], &err) || !wp_cli_drain_possible(cli, a.pos[0], &err))
        return wp_cli_fail(&err);
    return wp_cli_change_named(cli, argc, argv, "node", "node.drain", usage_drain,
                               "drained (its groups move to other nodes)");
}

int wp_cmd_node(wp_cli *cli, int argc, char **argv)
{
    static const wp_cli_sub subs[] = {
        {"list", node_list, usage_list},
        {"show", node_show, usage_show},
        {"add", node_add, usage_add},
        {"remove", node_remove, usage_remove},
        {"pause", node_pause, usage_pause},
        {"resume", node_resume, usage_resume},
        {"drain", node_drain, usage_drain},
        {"fence", wp_cmd_node_fence, usage_fence},
        {"confirm-down", wp_cmd_node_confirm_down, usage_confirm},
    };
    return wp_cli_dispatch(cli, argc, argv, "node", usage, subs, sizeof subs / sizeof subs[0]);
}
