/*
 * cmd_fence.c -- `wolfpack fence create|list|show|delete|test` and
 * `wolfpack node fence NODE` (docs/FENCING.md).
 *
 * A fence device is a cluster object: a fence agent of Debian's
 * fence-agents kind (fence_ipmilan, fence_virsh, a PDU's agent, the test
 * cluster's fence_wptc), its parameters (--prop K=V), the nodes it can
 * power off (--nodes n1,n2 or n1=PLUG,n2=PLUG), a level (devices of level
 * 1 are tried first) and a timeout per agent run.  The CLI checks the
 * shapes it can; wolfpackd reads the agent's metadata on the node that
 * takes the request and checks the parameters against it before the
 * device is stored.  Secret values (passwords) are never shown back.
 * `fence test` and `node fence` run agents through wolfpackd, which may
 * take the agents' timeouts: their replies are awaited up to 15 minutes
 * unless --timeout / WOLFPACK_TIMEOUT says otherwise.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../agents/fence.h"
#include "../lib/json.h"
#include "../lib/model.h"
#include "cli.h"

static const char usage[] = "wolfpack fence create|list|show|delete|test ...";
static const char usage_create[] =
    "wolfpack fence create NAME --agent fence_xxx [--prop K=V ...] --nodes NODE[=PLUG],... "
    "[--level N] [--timeout SECONDS]";
static const char usage_list[] = "wolfpack fence list [--json]";
static const char usage_show[] = "wolfpack fence show NAME [--json]";
static const char usage_delete[] = "wolfpack fence delete NAME";
static const char usage_test[] = "wolfpack fence test NAME [--json]";
static const char usage_node_fence[] =
    "wolfpack node fence NODE [--action off|reboot | --watchdog] [--json]";
static const char usage_confirm_down[] = "wolfpack node confirm-down NODE [--json]";

#define AGENT_WAIT "900" /* s: the default reply timeout of agent runs */

static void join_nodes(const json_t *dev, char *buf, size_t size)
{
    size_t used = 0, i;
    json_t *n;
    buf[0] = '\0';
    json_array_foreach(json_object_get(dev, "nodes"), i, n)
    {
        const char *plug = wp_json_str(json_object_get(dev, "plugs"), json_string_value(n));
        int w = snprintf(buf + used, size - used, "%s%s%s%s", i ? "," : "", json_string_value(n),
                         plug ? "=" : "", plug ? plug : "");
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
}

static void print_list(const json_t *devs, FILE *out)
{
    static const char *const head[] = {"DEVICE", "AGENT", "LEVEL", "NODES"};
    wp_table *t = wp_table_new(4, head);
    size_t i;
    json_t *d;
    json_array_foreach(devs, i, d)
    {
        char level[16], nodes[512];
        join_nodes(d, nodes, sizeof nodes);
        const char *row[] = {wp_json_str(d, "name"), wp_json_str(d, "agent"),
                             wp_cli_text(json_object_get(d, "level"), level, sizeof level), nodes};
        wp_table_add(t, row);
    }
    wp_table_print(t, out, "");
    wp_table_free(t);
}

static void print_one(const json_t *d, FILE *out)
{
    char buf[1024];
    fprintf(out, "Fence device %s:\n", wp_json_str(d, "name"));
    wp_cli_print_kv(out, 8, "agent", wp_json_str(d, "agent"));
    wp_cli_print_kv(out, 8, "level", wp_cli_text(json_object_get(d, "level"), buf, sizeof buf));
    join_nodes(d, buf, sizeof buf);
    wp_cli_print_kv(out, 8, "nodes", buf);
    snprintf(buf, sizeof buf, "%lld s",
             (long long)json_integer_value(json_object_get(d, "timeout")));
    wp_cli_print_kv(out, 8, "timeout", buf);
    wp_cli_print_object_block(out, "Properties", json_object_get(d, "props"));
}

/* --nodes n1,n2=PLUG (repeatable) -> nodes [..] and plugs {node: plug} */
static bool parse_nodes(const wp_cli_opt *opt, json_t *nodes, json_t *plugs, wp_err *err)
{
    for (int i = 0; i < opt->count; i++) {
        char *list = strdup(opt->values[i]), *save = NULL;
        bool ok = list != NULL;
        for (char *item = list ? strtok_r(list, ",", &save) : NULL; ok && item;
             item = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(item, '=');
            if (eq)
                *eq = '\0';
            ok = wp_name_valid("node", item, err) &&
                 (!eq || wp_fence_prop_valid("plug", eq + 1, err));
            if (ok && eq && !eq[1]) {
                wp_errf(err, WP_E_INVALID, "empty plug for node %s in --nodes", item);
                wp_err_why(err, "NODE=PLUG names the outlet, VM or port of the node");
                wp_err_todo(err, "write e.g. --nodes %s=3, or just --nodes %s", item, item);
                ok = false;
            }
            if (ok) {
                json_array_append_new(nodes, json_string(item));
                if (eq)
                    json_object_set_new(plugs, item, json_string(eq + 1));
            }
        }
        free(list);
        if (!ok)
            return false;
    }
    return true;
}

static bool parse_int(const char *text, const char *opt, long lo, long hi, json_int_t *out,
                      wp_err *err)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || !end || *end || end == text || v < lo || v > hi) {
        wp_errf(err, WP_E_INVALID, "invalid %s '%.40s'", opt, text);
        wp_err_why(err, "%s takes a whole number from %ld to %ld", opt, lo, hi);
        wp_err_todo(err, "give e.g. %s %ld", opt, lo);
        return false;
    }
    *out = v;
    return true;
}

static json_t *create_args(const char *name, wp_cli_opt *opts, wp_err *err)
{
    json_t *props = json_object(), *nodes = json_array(), *plugs = json_object();
    json_int_t level = 1, timeout = WP_FENCE_TIMEOUT_DEFAULT;
    const char *agent = opts[0].values[0];
    bool ok = wp_name_valid("fence device", name, err) && wp_fence_agent_name_valid(agent, err) &&
              wp_cli_kv_into(props, &opts[1], wp_fence_prop_valid, err) &&
              parse_nodes(&opts[2], nodes, plugs, err) &&
              (!opts[3].count ||
               parse_int(opts[3].values[0], "--level", 1, WP_FENCE_LEVEL_MAX, &level, err)) &&
              (!opts[4].count || parse_int(opts[4].values[0], "--timeout", 1, 3600, &timeout, err));
    if (!ok) {
        json_decref(props);
        json_decref(nodes);
        json_decref(plugs);
        return NULL;
    }
    return json_pack("{s:s, s:s, s:o, s:o, s:o, s:I, s:I}", "name", name, "agent", agent, "props",
                     props, "nodes", nodes, "plugs", plugs, "level", level, "timeout", timeout);
}

static int fence_create(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--agent", .has_value = true},
                         {.name = "--prop", .has_value = true},
                         {.name = "--nodes", .has_value = true},
                         {.name = "--level", .has_value = true},
                         {.name = "--timeout", .has_value = true}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, opts, 5, usage_create, "device NAME", 1, &a, &status))
        return status;
    if (!opts[0].count)
        return wp_cli_usage_error(usage_create, "--agent is required");
    if (!opts[2].count)
        return wp_cli_usage_error(usage_create, "--nodes is required (the nodes it fences)");
    wp_err err = {0};
    json_t *args = create_args(a.pos[0], opts, &err);
    if (!args)
        return wp_cli_fail(&err);
    setenv("WOLFPACK_TIMEOUT", AGENT_WAIT, 0); /* the agent's metadata is read first */
    char msg[256];
    snprintf(msg, sizeof msg,
             "Fence device %s created (%s; parameters checked against its "
             "metadata)",
             a.pos[0], opts[0].values[0]);
    return wp_cli_change(cli, "fence.create", args, msg);
}

static int fence_list(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_show_all(cli, argc, argv, "fence.list", usage_list, print_list);
}

static int fence_show(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_show_named(cli, argc, argv, "fence device", "fence.show", usage_show, print_one);
}

static int fence_delete(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_delete_named(cli, argc, argv, "fence device", "fence.delete", usage_delete);
}

/* The attempts of a fence.test / node.fence result, one a line. */
static void print_attempts(const json_t *r, FILE *out)
{
    size_t i;
    json_t *at;
    json_array_foreach(json_object_get(r, "attempts"), i, at)
    {
        const char *node = wp_json_str(at, "node");
        char line[400];
        snprintf(line, sizeof line, "%s", wp_json_str(at, "output"));
        line[strcspn(line, "\n")] = '\0';
        fprintf(out, "  %s (level %lld) %s%s%s: %s%lld%s%s\n", wp_json_str(at, "device"),
                (long long)json_integer_value(json_object_get(at, "level")),
                wp_json_str(at, "action"), node ? " " : "", node ? node : "",
                json_is_true(json_object_get(at, "timed_out")) ? "timed out " : "exit ",
                (long long)json_integer_value(json_object_get(at, "exit")), line[0] ? ", " : "",
                line);
    }
}

static void print_test(const json_t *r, FILE *out)
{
    fprintf(out, "The fence device answers:\n");
    print_attempts(r, out);
}

static int fence_test(wp_cli *cli, int argc, char **argv)
{
    setenv("WOLFPACK_TIMEOUT", AGENT_WAIT, 0);
    return wp_cli_show_named(cli, argc, argv, "fence device", "fence.test", usage_test, print_test);
}

int wp_cmd_fence(wp_cli *cli, int argc, char **argv)
{
    static const wp_cli_sub subs[] = {
        {"create", fence_create, usage_create}, {"list", fence_list, usage_list},
        {"show", fence_show, usage_show},       {"delete", fence_delete, usage_delete},
        {"test", fence_test, usage_test},
    };
    return wp_cli_dispatch(cli, argc, argv, "fence", usage, subs, sizeof subs / sizeof subs[0]);
}

/* ---- node fence --------------------------------------------------------- */

static void print_fenced(const json_t *r, FILE *out)
{
    fprintf(out, "Node fenced (level %lld):\n",
            (long long)json_integer_value(json_object_get(r, "level")));
    print_attempts(r, out);
}

/* node fence NODE --watchdog: the poison pill (docs/FENCING.md) */
static int poison(wp_cli *cli, const char *node, bool with_action)
{
    if (with_action) {
        wp_err err = {0};
        wp_errf(&err, WP_E_INVALID, "--watchdog and --action do not go together");
        wp_err_why(&err, "a watchdog resets the node: there is no off or reboot to choose");
        wp_err_todo(&err, "give one of them");
        return wp_cli_fail(&err);
    }
    fprintf(stderr,
            "WARNING: node %s gets a poison pill: it stops petting its watchdog, which resets "
            "it within its timeout; everything it runs stops without a clean shut-down.\n",
            node);
    char msg[200];
    snprintf(msg, sizeof msg, "Node %s: poison pill sent; its watchdog resets it", node);
    return wp_cli_change(cli, "node.poison", json_pack("{s:s}", "name", node), msg);
}

int wp_cmd_node_fence(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--action", .has_value = true}, {.name = "--watchdog"}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, opts, 2, usage_node_fence, "node NAME", 1, &a, &status))
        return status;
    wp_err err = {0};
    if (!wp_name_valid("node", a.pos[0], &err))
        return wp_cli_fail(&err);
    if (opts[1].count)
        return poison(cli, a.pos[0], opts[0].count > 0);
    const char *action = opts[0].count ? opts[0].values[0] : "off";
    fprintf(stderr,
            "WARNING: node %s is powered %s through its fence devices now: everything it runs "
            "stops at once, without a clean shut-down.\n",
            a.pos[0], strcmp(action, "reboot") == 0 ? "off and on again" : "off");
    setenv("WOLFPACK_TIMEOUT", AGENT_WAIT, 0);
    return wp_cli_show(cli, "node.fence",
                       json_pack("{s:s, s:s}", "name", a.pos[0], "action", action), print_fenced);
}

/* ---- node confirm-down -------------------------------------------------- */

int wp_cmd_node_confirm_down(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage_confirm_down, "node NAME", 1, &a,
                          &status))
        return status;
    wp_err err = {0};
    if (!wp_name_valid("node", a.pos[0], &err))
        return wp_cli_fail(&err);
    fprintf(stderr,
            "\n"
            "  *** WARNING ***\n"
            "  You confirm that node %s is DOWN: powered off, or cut off from the shared\n"
            "  disks and networks, with nothing of it running.  Its groups start on other\n"
            "  nodes now, without fencing.  If %s still runs anything, the same service runs\n"
            "  twice (two addresses answering, a disk mounted twice: data is lost).\n"
            "\n",
            a.pos[0], a.pos[0]);
    char msg[200];
    snprintf(msg, sizeof msg,
             "Node %s: confirmed down by the operator; its groups may start "
             "elsewhere",
             a.pos[0]);
    return wp_cli_change(cli, "node.confirm-down", json_pack("{s:s}", "name", a.pos[0]), msg);
}
