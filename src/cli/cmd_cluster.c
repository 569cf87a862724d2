/*
 * cmd_cluster.c -- `wolfpack cluster show`, `wolfpack cluster maintenance
 * on|off` (the cluster.maintenance command), `wolfpack cluster fencing
 * on|off` (cluster.fencing: off is the opt-out of recovery that waits for
 * proof, docs/FENCING.md), `wolfpack cluster export`
 * (the configuration as JSON, from the list queries), `wolfpack cluster
 * quorum` (the votequorum options and the quorum device of a running
 * cluster: the cluster.quorum command; wolfpackd checks the change and
 * rewrites corosync.conf, docs/FENCING.md) and `wolfpack cluster create`;
 * `wolfpack cluster update` is cluster_update.c's.
 *
 * `show` asks the daemon; `create` writes corosync.conf and the authkey on
 * this machine before any daemon runs, so it is delegated to
 * cluster_setup.c (wp_cli_cluster_create), which takes the arguments after
 * "create" and returns the exit status.
 */
#include <stdlib.h>
#include <string.h>

#include "../lib/json.h"
#include "cli.h"
#include "cluster_update.h"

#if __has_include("cluster_setup.h")
#include "cluster_setup.h"
#define HAVE_CLUSTER_SETUP 1
#endif

static const char usage_show[] = "wolfpack cluster show [--json]";
static const char usage_create[] = "wolfpack cluster create NAME --node NAME=ADDR ...";
static const char usage_maint[] = "wolfpack cluster maintenance on/off";
static const char usage_fencing[] = "wolfpack cluster fencing on/off";
static const char usage_export[] = "wolfpack cluster export";
static const char usage_import[] = "wolfpack cluster import FILE --dry-run | --apply";
static const char usage_quorum[] =
    "wolfpack cluster quorum [--wait-for-all on|off] [--last-man-standing on|off] "
    "[--auto-tie-breaker on|off] [--qdevice HOST | --no-qdevice] [--qdevice-algorithm ffsplit|lms] "
    "[--qdevice-tls on|off] [--at-restart] [--force]";
static const char doc_quorum[] =
    "Changes the quorum options of the running cluster: they are stored in the cluster\n"
    "database and every node rewrites corosync.conf and reloads corosync.  A quorum\n"
    "device is added or removed at once (start or stop corosync-qdevice on every node);\n"
    "wait_for_all, last_man_standing and auto_tie_breaker take effect only when corosync\n"
    "restarts on every node, so changing them needs --at-restart.  two_node follows the\n"
    "node count: set when the cluster has two nodes and no quorum device.  Removing the\n"
    "device of a two-node cluster without a fence device needs --force.\n";
static const char usage[] = "wolfpack cluster show [--json] | "
                            "wolfpack cluster maintenance on/off | "
                            "wolfpack cluster fencing on/off | "
                            "wolfpack cluster export | "
                            "wolfpack cluster import FILE --dry-run | --apply | "
                            "wolfpack cluster quorum OPTIONS... | "
                            "wolfpack cluster update [--plan] [options] | "
                            "wolfpack cluster create NAME --node NAME=ADDR ...";

static void print_cluster(const json_t *c, FILE *out)
{
    const char *key;
    json_t *v;
    fprintf(out, "Cluster:\n");
    json_object_foreach((json_t *)c, key, v)
    {
        char buf[1024];
        if (json_is_object(v) ||
            (json_is_array(v) && json_array_size(v) && !json_is_string(json_array_get(v, 0))))
            continue; /* nested objects: see --json */
        wp_cli_print_kv(out, 12, key, wp_cli_text(v, buf, sizeof buf));
    }
    json_t *nodes = json_object_get(c, "nodes");
    if (json_is_array(nodes) && json_array_size(nodes) &&
        json_is_object(json_array_get(nodes, 0))) {
        static const char *const head[] = {"NODE", "ID", "ADDRESS"};
        wp_table *t = wp_table_new(3, head);
        size_t i;
        json_t *n;
        json_array_foreach(nodes, i, n)
        {
            char id[32];
            const char *row[] = {wp_json_str(n, "name"),
                                 wp_cli_text(json_object_get(n, "id"), id, sizeof id),
                                 wp_json_str(n, "address")};
            wp_table_add(t, row);
        }
        fprintf(out, "\nNodes:\n");
        wp_table_print(t, out, "  ");
        wp_table_free(t);
    }
}

static int cluster_show(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_show_all(cli, argc, argv, "cluster.show", usage_show, print_cluster);
}

static int cluster_create(wp_cli *cli, int argc, char **argv)
{
    (void)cli; /* no daemon yet: cluster_setup.c parses its own arguments */
#ifdef HAVE_CLUSTER_SETUP
    return wp_cli_cluster_create(argc, argv);
#else
    wp_err err;
    wp_errf(&err, WP_E_INTERNAL, "cluster create is not built into this wolfpack");
    wp_err_todo(&err, "rebuild with src/cli/cluster_setup.c");
    return wp_cli_fail(&err);
#endif
}

/* SUB on|off: *on, or false with *status (usage error, or --help done). */
static bool parse_on_off(wp_cli *cli, int argc, char **argv, const char *sub_usage, bool *on,
                         int *status)
{
    wp_cli_args a;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, sub_usage, "on or off", 1, &a, status))
        return false;
    *on = strcmp(a.pos[0], "on") == 0;
    if (!*on && strcmp(a.pos[0], "off") != 0) {
        *status = wp_cli_usage_error(sub_usage, "expected on or off, got '%s'", a.pos[0]);
        return false;
    }
    return true;
}

static int cluster_maintenance(wp_cli *cli, int argc, char **argv)
{
    bool on;
    int status;
    if (!parse_on_off(cli, argc, argv, usage_maint, &on, &status))
        return status;
    return wp_cli_change(
        cli, "cluster.maintenance", json_pack("{s:b}", "on", on),
        on ? "Cluster: maintenance mode ON (no monitoring, no recovery, nothing started or "
             "stopped; resources keep running)"
           : "Cluster: maintenance mode OFF (every node probes what runs there, then the "
             "cluster acts again)");
}

/* Off: a lost node that cannot be fenced is failed over at once, without
 * proof that it stopped (the operator accepts that a split may run a group
 * twice); on (the default): its groups wait. */
static int cluster_fencing(wp_cli *cli, int argc, char **argv)
{
    bool on;
    int status;
    if (!parse_on_off(cli, argc, argv, usage_fencing, &on, &status))
        return status;
    if (!on)
        fprintf(stderr,
                "WARNING: with fencing off, a lost node without a fence device or watchdog has "
                "its groups started elsewhere at once, without proof that it stopped: a node "
                "that is only cut off or frozen may still run them (two owners of one address, "
                "one disk mounted twice).  Turn it on again with 'wolfpack cluster fencing on'.\n");
    return wp_cli_change(
        cli, "cluster.fencing", json_pack("{s:b}", "on", on),
        on ? "Cluster: fencing ON (a lost node's groups start elsewhere only after proof that it "
             "is down)"
           : "Cluster: fencing OFF (a lost node that cannot be fenced is failed over without "
             "proof)");
}

static bool on_off(const char *option, const char *v, json_t *args, const char *key, wp_err *err)
{
    if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
        wp_errf(err, WP_E_INVALID, "%s \"%.40s\" is not on or off", option, v);
        wp_err_todo(err, "give %s on or %s off", option, option);
        return false;
    }
    json_object_set_new(
        args, key, strcmp(key, "qdevice_tls") == 0 ? json_string(v) : json_boolean(v[1] == 'n'));
    return true;
}

/* The options given, as cluster.quorum's args (only what changes). */
static bool quorum_args(wp_cli_opt *o, int n, json_t *args, wp_err *err)
{
    static const char *const flags[][2] = {{"--wait-for-all", "wait_for_all"},
                                           {"--last-man-standing", "last_man_standing"},
                                           {"--auto-tie-breaker", "auto_tie_breaker"},
                                           {"--qdevice-tls", "qdevice_tls"}};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        wp_cli_opt *f = wp_cli_opt_get(o, n, flags[i][0]);
        if (f->count && !on_off(flags[i][0], f->values[0], args, flags[i][1], err))
            return false;
    }
    wp_cli_opt *dev = wp_cli_opt_get(o, n, "--qdevice"),
               *nodev = wp_cli_opt_get(o, n, "--no-qdevice");
    wp_cli_opt *algo = wp_cli_opt_get(o, n, "--qdevice-algorithm");
    if (dev->count && nodev->count) {
        wp_errf(err, WP_E_INVALID, "--qdevice and --no-qdevice contradict each other");
        wp_err_todo(err, "give one of them");
        return false;
    }
    if (dev->count)
        json_object_set_new(args, "qdevice_host", json_string(dev->values[0]));
    if (nodev->count)
        json_object_set_new(args, "qdevice_host", json_string(""));
    if (algo->count) {
        if (strcmp(algo->values[0], "ffsplit") != 0 && strcmp(algo->values[0], "lms") != 0) {
            wp_errf(err, WP_E_INVALID, "--qdevice-algorithm \"%.40s\" is not ffsplit or lms",
                    algo->values[0]);
            wp_err_todo(err, "give --qdevice-algorithm ffsplit (two nodes) or lms");
            return false;
        }
        json_object_set_new(args, "qdevice_algorithm", json_string(algo->values[0]));
    }
    if (json_object_size(args) == 0) {
        wp_errf(err, WP_E_INVALID, "cluster quorum needs an option to change");
        wp_err_todo(err, "give e.g. --qdevice HOST or --last-man-standing on --at-restart "
                         "(wolfpack cluster quorum --help)");
        return false;
    }
    if (wp_cli_opt_get(o, n, "--at-restart")->count)
        json_object_set_new(args, "at_restart", json_true());
    if (wp_cli_opt_get(o, n, "--force")->count)
        json_object_set_new(args, "force", json_true());
    return true;
}

static int cluster_quorum(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt o[] = {{"--wait-for-all", true, 0, {0}},
                      {"--last-man-standing", true, 0, {0}},
                      {"--auto-tie-breaker", true, 0, {0}},
                      {"--qdevice", true, 0, {0}},
                      {"--no-qdevice", false, 0, {0}},
                      {"--qdevice-algorithm", true, 0, {0}},
                      {"--qdevice-tls", true, 0, {0}},
                      {"--at-restart", false, 0, {0}},
                      {"--force", false, 0, {0}}};
    int n = (int)(sizeof o / sizeof o[0]), status;
    wp_cli_args a;
    if (!wp_cli_parse_sub_doc(cli, argc, argv, o, n, usage_quorum, doc_quorum, "argument", 0, &a,
                              &status))
        return status;
    wp_err err = {0};
    json_t *args = json_object();
    if (!args || !quorum_args(o, n, args, &err)) {
        json_decref(args);
        return wp_cli_fail(&err);
    }
    bool at_restart = json_is_true(json_object_get(args, "at_restart"));
    return wp_cli_change(cli, "cluster.quorum", args,
                         at_restart ? "Cluster: quorum options stored, corosync.conf rewritten on "
                                      "every node; they take effect when corosync restarts on "
                                      "every node"
                                    : "Cluster: quorum options stored; every node rewrites "
                                      "corosync.conf and reloads corosync");
}

/* Keep only `keys` of each object of a list (the configuration, not the
 * runtime state). */
static json_t *pick(const json_t *list, const char *const *keys)
{
    json_t *out = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v)
    {
        json_t *o = json_object();
        for (const char *const *k = keys; *k; k++) {
            json_t *f = json_object_get(v, *k);
            if (f && !(json_is_object(f) && json_object_size(f) == 0))
                json_object_set(o, *k, f);
        }
        json_array_append_new(out, o);
    }
    return out;
}

json_t *wp_cli_config_read(wp_cli *cli, wp_err *err)
{
    static const char *const node_keys[] = {"name", "id", "address", NULL};
    static const char *const group_keys[] = {"name", "policy", "constraints", NULL};
    static const char *const res_keys[] = {"name",   "group",      "type", "props",
                                           "policy", "depends_on", NULL};
    static const char *const ops[] = {"cluster.show", "group.list", "resource.list", "fence.list",
                                      "app.list"};
    json_t *got[5] = {NULL};
    for (size_t i = 0; i < 5; i++) {
        if (!(got[i] = wp_cli_call(cli, ops[i], NULL, NULL, err))) {
            for (size_t k = 0; k < i; k++)
                json_decref(got[k]);
            return NULL;
        }
    }
    json_t *out = json_pack(
        "{s:s, s:O, s:o, s:o, s:o, s:O, s:O}", "format", "wolfpack-export-1", "cluster",
        json_object_get(got[0], "name") ? json_object_get(got[0], "name") : json_null(), "nodes",
        pick(json_object_get(got[0], "nodes"), node_keys), "groups", pick(got[1], group_keys),
        "resources", pick(got[2], res_keys), "fence_devices", got[3], "apps", got[4]);
    for (size_t k = 0; k < 5; k++)
        json_decref(got[k]);
    if (!out)
        wp_errf(err, WP_E_INTERNAL, "cannot build the configuration (out of memory)");
    return out;
}

static int cluster_export(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage_export, "nothing", 0, &a, &status))
        return status;
    wp_err err = {0};
    json_t *out = wp_cli_config_read(cli, &err);
    if (!out)
        return wp_cli_fail(&err);
    char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(out);
    return text ? 0 : 1;
}

int wp_cmd_cluster(wp_cli *cli, int argc, char **argv)
{
    static const wp_cli_sub subs[] = {
        {"show", cluster_show, usage_show},
        {"maintenance", cluster_maintenance, usage_maint},
        {"fencing", cluster_fencing, usage_fencing},
        {"export", cluster_export, usage_export},
        {"import", wp_cli_cluster_import, usage_import}, /* cmd_import.c */
        {"quorum", cluster_quorum, usage_quorum},
        {"create", cluster_create, usage_create},
        {"update", wp_cli_cluster_update, wp_cli_usage_cluster_update},
    };
    return wp_cli_dispatch(cli, argc, argv, "cluster", usage, subs, sizeof subs / sizeof subs[0]);
}
