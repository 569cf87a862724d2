/*
 * cmd_node.c -- `wolfpack node list` and `wolfpack node show NAME`.
 *
 * Nodes are added by `cluster create` (and later node add/remove); these
 * verbs only read.  Human output: a table for list, a key/value block for
 * show; --json prints the daemon's result.
 */
#include <string.h>

#include "cli.h"

static const char usage[] = "wolfpack node list [--json] | wolfpack node show NAME [--json]";

static void print_list(const json_t *nodes, FILE *out)
{
    static const char *const head[] = {"NODE", "ID", "ADDRESS", "PAUSED"};
    wp_table *t = wp_table_new(4, head);
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        char id[32];
        const char *row[] = {json_string_value(json_object_get(n, "name")),
                             wp_cli_text(json_object_get(n, "id"), id, sizeof id),
                             json_string_value(json_object_get(n, "address")),
                             json_is_true(json_object_get(n, "paused")) ? "yes" : "no"};
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
    wp_cli_print_kv(out, 8, "paused", wp_cli_text(json_object_get(n, "paused"), buf, sizeof buf));
}

int wp_cmd_node(wp_cli *cli, int argc, char **argv)
{
    wp_err err = {0};
    wp_cli_args a;
    if (!wp_cli_parse(cli, argc, argv, NULL, 0, &a, &err)) {
        wp_err_print(&err, stderr);
        return wp_cli_usage_error(usage, "bad arguments to node");
    }
    if (a.help) {
        printf("usage: %s\n", usage);
        return 0;
    }
    if (a.npos == 0)
        return wp_cli_usage_error(usage, "missing node subcommand (list or show)");
    const char *sub = a.pos[0];
    if (strcmp(sub, "list") == 0 && a.npos == 1)
        return wp_cli_show(cli, "node.list", NULL, print_list);
    if (strcmp(sub, "show") == 0 && a.npos == 2)
        return wp_cli_show(cli, "node.show", json_pack("{s:s}", "name", a.pos[1]), print_one);
    if (strcmp(sub, "show") == 0)
        return wp_cli_usage_error(usage, "node show needs exactly one NAME");
    if (strcmp(sub, "list") == 0)
        return wp_cli_usage_error(usage, "node list takes no argument");
    return wp_cli_usage_error(usage, "unknown node subcommand '%s' (expected list or show)", sub);
}
