/*
 * cmd_status.c -- `wolfpack status [--watch]`: the cluster at a glance.
 *
 * One `status` request gives the cluster name, database version,
 * transport/quorum and the nodes and groups; one `resource.list` request
 * adds every resource's state, node and last error for the human view:
 *   nodes      Up / Down / Paused / Drained (and which one coordinates:
 *              the lowest member of a quorate partition)
 *   groups     owner, state, the operator's target, a pending move
 *   resources  state, node, what is pending (and for how long) or why it
 *              failed
 * With --json the daemon's status object is printed as is (with "version"
 * added from the reply if the object lacks it, so scripts can always read
 * it there).
 *
 * --watch opens a second connection with the `watch` op and redraws after
 * every event (an applied change, a membership change), the events of the
 * next 100 ms giving one redraw: on a terminal the screen is cleared first; on a pipe
 * each status follows the previous one after a separator line.  Ctrl-C (or
 * the daemon going away) ends it.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../lib/proto.h"
#include "cli.h"

static const char usage[] = "wolfpack status [--json] [--watch]";

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

static bool is_member(const json_t *members, json_int_t id)
{
    size_t i;
    json_t *m;
    json_array_foreach(members, i, m) if (json_integer_value(m) == id) return true;
    return false;
}

/* The coordinator: the lowest member of a quorate partition. */
static const char *coordinator(const json_t *st)
{
    const json_t *members = status_field(st, "members");
    const char *name = NULL;
    json_int_t best = -1;
    size_t i;
    json_t *n;

    if (!json_is_true(status_field(st, "quorate")))
        return NULL;
    json_array_foreach(json_object_get(st, "nodes"), i, n)
    {
        json_int_t id = json_integer_value(json_object_get(n, "id"));
        if (is_member(members, id) && (best < 0 || id < best)) {
            best = id;
            name = json_string_value(json_object_get(n, "name"));
        }
    }
    return name;
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
    const char *co = coordinator(st);
    fprintf(out, "Coordinator: %s\n", co ? co : "- (no quorum)");
}

/* Up (a member of this partition), Paused, Drained or Down. */
static const char *node_state(const json_t *node, const json_t *members)
{
    const json_t *state = json_object_get(node, "state");
    if (json_is_string(state))
        return json_string_value(state);
    if (!is_member(members, json_integer_value(json_object_get(node, "id"))))
        return "Down";
    if (json_is_true(json_object_get(node, "drained")))
        return "Drained";
    return json_is_true(json_object_get(node, "paused")) ? "Paused" : "Up";
}

static void print_nodes(const json_t *st, FILE *out)
{
    static const char *const head[] = {"NODE", "ID", "ADDRESS", "STATE"};
    const json_t *members = status_field(st, "members");
    wp_table *t = wp_table_new(4, head);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(st, "nodes"), i, n)
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
    static const char *const head[] = {"GROUP", "OWNER", "STATE", "TARGET", "RESOURCES", "NOTE"};
    wp_table *t = wp_table_new(6, head);
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        char count[32], note[128] = "";
        const char *move = json_string_value(json_object_get(g, "move_to"));
        snprintf(count, sizeof count, "%zu", json_array_size(json_object_get(g, "resources")));
        if (move)
            snprintf(note, sizeof note, "move to %s requested",
                     strcmp(move, "@best") == 0 ? "the best node" : move);
        const char *row[] = {json_string_value(json_object_get(g, "name")),
                             json_string_value(json_object_get(g, "owner")),
                             json_string_value(json_object_get(g, "state")),
                             json_string_value(json_object_get(g, "target")),
                             count,
                             note[0] ? note : NULL};
        wp_table_add(t, row);
    }
    fprintf(out, "\nGroups:\n");
    wp_table_print(t, out, "  ");
    wp_table_free(t);
}

/* What a person wants to know beside a resource's state. */
static const char *resource_note(const json_t *r, char *buf, size_t size)
{
    const char *state = json_string_value(json_object_get(r, "state"));
    const char *error = json_string_value(json_object_get(r, "last_error"));
    const json_t *since = json_object_get(r, "pending_since");

    if (state && strstr(state, "Pending") && json_is_integer(since)) {
        long long s = (long long)time(NULL) - (long long)json_integer_value(since);
        snprintf(buf, size, "pending for %lld s%s%s", s < 0 ? 0 : s, error ? "; last error: " : "",
                 error ? error : "");
        return buf;
    }
    if (json_is_string(json_object_get(r, "target")) &&
        strcmp(json_string_value(json_object_get(r, "target")), "offline") == 0 && !error)
        return "taken offline by the operator";
    return error;
}

static void print_resources(const json_t *resources, FILE *out)
{
    static const char *const head[] = {"GROUP", "RESOURCE", "TYPE", "STATE", "NODE", "NOTE"};
    wp_table *t = wp_table_new(6, head);
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        char note[1024];
        const char *row[] = {json_string_value(json_object_get(r, "group")),
                             json_string_value(json_object_get(r, "name")),
                             json_string_value(json_object_get(r, "type")),
                             json_string_value(json_object_get(r, "state")),
                             json_string_value(json_object_get(r, "node")),
                             resource_note(r, note, sizeof note)};
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

/* One status, human or JSON.  0 or the exit status of the error. */
static int show_status(wp_cli *cli)
{
    wp_err err = {0};
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
        print_nodes(st, stdout);
        print_groups(json_object_get(st, "groups"), stdout);
        if (res)
            print_resources(res, stdout);
        else
            rc = wp_cli_fail(&err);
        json_decref(res);
    }
    json_decref(st);
    fflush(stdout);
    return rc;
}

/* ---- --watch ----------------------------------------------------------------- */

static int watch_connect(wp_cli *cli, wp_err *err)
{
    const char *path = wp_client_socket_path(cli->socket_opt);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "cannot reach wolfpackd at %s to watch it", path);
        wp_err_why(err, "connect failed");
        wp_err_todo(err, "is wolfpackd running? `wolfpack status` says more");
        if (fd >= 0)
            close(fd);
        return -1;
    }
    json_t *req = json_pack("{s:s, s:{}}", "op", "watch", "args");
    bool sent = wp_proto_send(fd, req, err);
    json_decref(req);
    json_t *reply = sent ? wp_proto_recv(fd, err) : NULL;
    json_t *result = NULL;
    bool ok = reply && wp_proto_reply_parse(reply, &result, err);
    json_decref(reply);
    if (!ok) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Wait for the next event, then swallow what follows within 100 ms of it
 * (a burst gives one redraw; a steady stream still redraws 10 times a
 * second). */
static bool next_event(int fd, wp_err *err)
{
    json_t *ev = wp_proto_recv(fd, err);
    struct timespec t0, now;

    if (!ev)
        return false;
    json_decref(ev);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = 100 - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return true;
        ev = wp_proto_recv(fd, err);
        if (!ev)
            return false;
        json_decref(ev);
    }
}

static int watch(wp_cli *cli)
{
    wp_err err = {0};
    int fd = watch_connect(cli, &err);
    bool tty = isatty(STDOUT_FILENO);

    if (fd < 0)
        return wp_cli_fail(&err);
    for (bool first = true;; first = false) {
        if (tty)
            fputs("\033[H\033[2J", stdout);
        else if (!first)
            fputs("----------------------------------------------------------------\n", stdout);
        if (!cli->json && tty) {
            time_t now = time(NULL);
            char when[64];
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&now));
            printf("wolfpack status --watch   %s   (Ctrl-C ends)\n\n", when);
        }
        int rc = show_status(cli);
        if (rc != 0) {
            close(fd);
            return rc;
        }
        if (!next_event(fd, &err)) {
            close(fd);
            return wp_cli_fail(&err);
        }
    }
}

int wp_cmd_status(wp_cli *cli, int argc, char **argv)
{
    wp_err err = {0};
    wp_cli_opt opts[] = {{.name = "--watch"}};
    wp_cli_args a;
    if (!wp_cli_parse(cli, argc, argv, opts, 1, &a, &err)) {
        wp_err_print(&err, stderr);
        return wp_cli_usage_error(usage, "bad arguments to status");
    }
    if (a.help) {
        printf("usage: %s\n", usage);
        return 0;
    }
    if (a.npos > 0)
        return wp_cli_usage_error(usage, "status takes no argument (got '%s')", a.pos[0]);
    if (opts[0].count > 0)
        return watch(cli);
    return show_status(cli);
}
