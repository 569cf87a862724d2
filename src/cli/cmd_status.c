/*
 * cmd_status.c -- `wolfpack status`: the cluster at a glance.
 *
 * One `status` request gives the cluster name, database version,
 * transport/quorum and the nodes and groups; one `resource.list` request
 * adds every resource's type and state for the human view.  With --json the
 * daemon's status object is printed as is (with "version" added from the
 * reply if the object lacks it, so scripts can always read it there).
 */
#include <string.h>

#include "cli.h"

static const char usage[] = "wolfpack status [--json]";

/* A field of the status object, or of its transport/membership part. */
static const json_t *status_field(const json_t *st, const char *key)
{
    const json_t *v = json_object_get(st, key);
    static const char *const parts[] = {"transport_status", "repl", "membership", "quorum"};
    for (size_t i = 0; !v && i < sizeof parts / sizeof parts[0]; i++) {
        const json_t *part = json_object_get(st, parts[i]);
        if (json_is_object(part))
            v = json_object_get(part, key);
    }
    return v;
}

static void print_header(const json_t *st, FILE *out)
{
    static const char *const keys[] = {"cluster", "version", "transport", "quorate", "sync"};
    static const char *const labels[] = {"Cluster", "Version", "Transport", "Quorate", "Sync"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *v = status_field(st, keys[i]);
        char buf[256];
        if (i == 0 && json_is_null(v))
            fprintf(out, "%-10s (not named: solo node)\n", "Cluster:");
        else if (v && !json_is_object(v))
            fprintf(out, "%s:%*s %s\n", labels[i], (int)(9 - strlen(labels[i])), "",
                    wp_cli_text(v, buf, sizeof buf));
    }
}

/* Up (a member of this partition), Paused or Down. */
static const char *node_state(const json_t *node, const json_t *members)
{
    const json_t *state = json_object_get(node, "state");
    if (json_is_string(state))
        return json_string_value(state);
    json_int_t id = json_integer_value(json_object_get(node, "id"));
    bool member = false;
    size_t i;
    json_t *m;
    json_array_foreach(members, i, m) member = member || json_integer_value(m) == id;
    if (!member)
        return "Down";
    return json_is_true(json_object_get(node, "paused")) ? "Paused" : "Up";
}

static void print_nodes(const json_t *nodes, const json_t *members, FILE *out)
{
    static const char *const head[] = {"NODE", "ID", "ADDRESS", "STATE"};
    wp_table *t = wp_table_new(4, head);
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        char id[32];
        const char *row[] = {json_string_value(json_object_get(n, "name")),
                             wp_cli_text(json_object_get(n, "id"), id, sizeof id),
                             json_string_value(json_object_get(n, "address")),
                             node_state(n, members)};
        wp_table_add(t, row);
    }
    fprintf(out, "\nNodes:\n");
    wp_table_print(t, out, "  ");
    wp_table_free(t);
}

static void print_groups(const json_t *groups, FILE *out)
{
    static const char *const head[] = {"GROUP", "OWNER", "STATE", "RESOURCES"};
    wp_table *t = wp_table_new(4, head);
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        char count[32];
        snprintf(count, sizeof count, "%zu", json_array_size(json_object_get(g, "resources")));
        const char *row[] = {json_string_value(json_object_get(g, "name")),
                             json_string_value(json_object_get(g, "owner")),
                             json_string_value(json_object_get(g, "state")), count};
        wp_table_add(t, row);
    }
    fprintf(out, "\nGroups:\n");
    wp_table_print(t, out, "  ");
    wp_table_free(t);
}

static void print_resources(const json_t *resources, FILE *out)
{
    static const char *const head[] = {"GROUP", "RESOURCE", "TYPE", "STATE"};
    wp_table *t = wp_table_new(4, head);
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        const char *row[] = {json_string_value(json_object_get(r, "group")),
                             json_string_value(json_object_get(r, "name")),
                             json_string_value(json_object_get(r, "type")),
                             json_string_value(json_object_get(r, "state"))};
        wp_table_add(t, row);
    }
    fprintf(out, "\nResources:\n");
    wp_table_print(t, out, "  ");
    wp_table_free(t);
}

static int print_json_status(json_t *st, long long version)
{
    if (json_is_object(st) && !json_object_get(st, "version"))
        json_object_set_new(st, "version", json_integer(version));
    wp_cli_print_json(st, stdout);
    return 0;
}

int wp_cmd_status(wp_cli *cli, int argc, char **argv)
{
    wp_err err = {0};
    wp_cli_args a;
    if (!wp_cli_parse(cli, argc, argv, NULL, 0, &a, &err)) {
        wp_err_print(&err, stderr);
        return wp_cli_usage_error(usage, "bad arguments to status");
    }
    if (a.help) {
        printf("usage: %s\n", usage);
        return 0;
    }
    if (a.npos > 0)
        return wp_cli_usage_error(usage, "status takes no argument (got '%s')", a.pos[0]);
    long long version = 0;
    json_t *st = wp_cli_call(cli, "status", NULL, &version, &err);
    if (!st)
        return wp_cli_fail(&err);
    int rc = 0;
    if (cli->json) {
        rc = print_json_status(st, version);
    } else {
        json_t *res = wp_cli_call(cli, "resource.list", NULL, NULL, &err);
        print_header(st, stdout);
        print_nodes(json_object_get(st, "nodes"), status_field(st, "members"), stdout);
        print_groups(json_object_get(st, "groups"), stdout);
        if (res)
            print_resources(res, stdout);
        else
            rc = wp_cli_fail(&err);
        json_decref(res);
    }
    json_decref(st);
    return rc;
}
