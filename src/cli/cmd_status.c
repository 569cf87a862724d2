/*
 * cmd_status.c -- `wolfpack status [--watch] [--color=WHEN]`: the cluster
 * at a glance, for people.
 *
 * One `status` request gives the cluster name, database version,
 * transport/quorum and the nodes and groups; one `resource.list` request
 * adds every resource's state, node, last error and restart history:
 *   nodes      Up / Down / Paused / Drained, and whether the node counts
 *              toward this partition's quorum; the coordinator (the lowest
 *              member of a quorate partition)
 *   groups     state, owner, preferred owners, the operator's target, and a
 *              note: a move under way (toward which node), what is starting
 *              or stopping, why the cluster gave the group up
 *   resources  class, state, node, and a note: what is pending (starting or
 *              stopping, on which node, for how long) or why it failed (the
 *              last error the agent or monitor reported, the restarts in
 *              the restart period against the threshold)
 *   OS update  a `cluster update` run in progress: the node being updated,
 *              its step, the nodes done, left and failed; or the last
 *              run's result (src/app/osupdate_view.c; "os_update" in --json)
 * Everything shown is what the cluster database keeps (docs/CLI.md).
 *
 * Colour (--color=auto|always|never, default auto = stdout is a terminal,
 * NO_COLOR is not set to a non-empty value and TERM is not "dumb"): green
 * Online / Up, red Failed / Down, yellow pending, partial, Paused, Drained,
 * dim Offline.  --json prints the daemon's status object ("version"
 * added from the reply if the object lacks it) with "resources" (the
 * resource.list result; absent while the node syncs), never coloured.
 *
 * --watch opens a second connection with the `watch` op and follows the
 * daemon's events.  After each event (events already queued behind it are
 * taken together) it reads the status again and compares it with the one
 * before: every difference becomes one event line "HH:MM:SS  NODE  what
 * changed" (a `cluster update` run too: its node, step, failures and
 * end).  On a pipe: the status once, then the event lines as they come.
 * On a terminal: the screen is redrawn (status + the last event lines).
 * With --json: the status object on one line, then every event frame of the
 * daemon on one line (JSON Lines).  Ctrl-C (SIGINT) or SIGTERM ends it with
 * status 0; the daemon going away ends it with an error (exit 6).
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../lib/proto.h"
#include "../app/osupdate.h"
#include "cli.h"
#include "../lib/json.h"

static const char usage[] = "wolfpack status [--json] [--watch] [--color=auto|always|never]";

#define SGR_GREEN "32"
#define SGR_RED "31"
#define SGR_YELLOW "33"
#define SGR_DIM "2"
#define WATCH_KEEP 12 /* event lines kept under the redrawn status */

/* What one status print needs: colour or not, and "now" for durations. */
typedef struct status_view {
    bool color;
    time_t now;
} status_view;

/* One status as read from the daemon: the status object and the resources. */
typedef struct status_snap {
    json_t *st;  /* status object */
    json_t *res; /* resource.list result */
} status_snap;

/* ---- small helpers ----------------------------------------------------------- */

static bool same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* s, or "-" for none. */
static const char *dash(const char *s)
{
    return s ? s : "-";
}

/* A field of the status object, or of its transport/membership part. */
static const json_t *status_field(const json_t *st, const char *key)
{
    const json_t *v = json_object_get(st, key);
    static const char *const parts[] = {"transport_status", "repl", "replication", "membership",
                                        "quorum"};
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

/* The SGR colour of a state word, or NULL. */
static const char *state_sgr(const char *state)
{
    if (!state)
        return NULL;
    if (strcmp(state, "Online") == 0 || strcmp(state, "Up") == 0)
        return SGR_GREEN;
    if (strcmp(state, "Failed") == 0 || strcmp(state, "Down") == 0)
        return SGR_RED;
    if (strstr(state, "Pending") || strcmp(state, "Partially Online") == 0 ||
        strcmp(state, "Paused") == 0 || strcmp(state, "Drained") == 0)
        return SGR_YELLOW;
    if (strcmp(state, "Offline") == 0)
        return SGR_DIM;
    return NULL;
}

/* "900" -> "15m", "21600" -> "6h", "45" -> "45s". */
static const char *duration_text(long long s, char *buf, size_t size)
{
    if (s >= 86400 && s % 86400 == 0)
        snprintf(buf, size, "%lldd", s / 86400);
    else if (s >= 3600 && s % 3600 == 0)
        snprintf(buf, size, "%lldh", s / 3600);
    else if (s >= 60 && s % 60 == 0)
        snprintf(buf, size, "%lldm", s / 60);
    else
        snprintf(buf, size, "%llds", s);
    return buf;
}

/* A numeric policy value (stored as text); fallback when absent or not a
 * plain number. */
static long long policy_number(const json_t *obj, const char *key, long long fallback)
{
    const char *v = wp_json_str(json_object_get(obj, "policy"), key);
    char *end;
    if (!v || !*v)
        return fallback;
    long long n = strtoll(v, &end, 10);
    return *end ? fallback : n;
}

/* The element of arr whose "name" is name, or NULL. */
static const json_t *find_named(const json_t *arr, const char *name)
{
    size_t i;
    json_t *x;
    json_array_foreach(arr, i, x) if (name && same(wp_json_str(x, "name"), name)) return x;
    return NULL;
}

/* How many entries of a history of unix times fall within the last period s. */
static long long recent_count(const json_t *times, long long period, time_t now)
{
    long long n = 0;
    size_t i;
    json_t *t;
    json_array_foreach(times, i, t) if (json_integer_value(t) > (json_int_t)now - period) n++;
    return n;
}

/* ---- the header and the nodes ------------------------------------------------ */

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
            name = wp_json_str(n, "name");
        }
    }
    return name;
}

/* Maintenance mode: the first thing a person sees, so nobody wonders why
 * nothing recovers. */
static void print_maintenance(const json_t *st, const status_view *v, FILE *out)
{
    static const char banner[] =
        "*** MAINTENANCE MODE: the cluster monitors, starts, stops and moves nothing; resources "
        "keep running as they are. Leave it with 'wolfpack cluster maintenance off'. ***";
    if (!json_is_true(json_object_get(st, "maintenance")))
        return;
    if (v->color)
        fprintf(out, "\033[%sm%s\033[0m\n\n", SGR_RED, banner);
    else
        fprintf(out, "%s\n\n", banner);
}

/* The operator's opt-out of fencing: as loud as maintenance mode. */
static void print_fencing_off(const json_t *st, const status_view *v, FILE *out)
{
    static const char banner[] =
        "*** WARNING: FENCING IS OFF: a lost node without a fence device or watchdog has its "
        "groups started elsewhere without proof that it stopped (a split may run a group "
        "twice). Turn it on with 'wolfpack cluster fencing on'. ***";
    const json_t *enabled = json_object_get(json_object_get(st, "fencing"), "enabled");
    if (!json_is_false(enabled))
        return;
    if (v->color)
        fprintf(out, "\033[%sm%s\033[0m\n\n", SGR_RED, banner);
    else
        fprintf(out, "%s\n\n", banner);
}

static void print_header(const json_t *st, const status_view *v, FILE *out)
{
    print_maintenance(st, v, out);
    print_fencing_off(st, v, out);
    static const char *const keys[] = {"cluster", "version", "transport", "sync"};
    static const char *const labels[] = {"Cluster", "Version", "Transport", "Sync"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const json_t *f = status_field(st, keys[i]);
        char buf[256];
        if (i == 0 && json_is_null(f))
            fprintf(out, "%-10s (not named: solo node)\n", "Cluster:");
        else if (f && !json_is_object(f))
            fprintf(out, "%s:%*s %s\n", labels[i], (int)(9 - strlen(labels[i])), "",
                    wp_cli_text(f, buf, sizeof buf));
    }
    bool quorate = json_is_true(status_field(st, "quorate"));
    fputs("Quorate:   ", out);
    if (v->color)
        fprintf(out, "\033[%sm%s\033[0m", quorate ? SGR_GREEN : SGR_RED, quorate ? "yes" : "no");
    else
        fputs(quorate ? "yes" : "no", out);
    fprintf(out, " (%zu of %zu nodes in this partition)\n",
            json_array_size(status_field(st, "members")),
            json_array_size(json_object_get(st, "nodes")));
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

/* Does the node count toward quorum here: "yes" (a member of a quorate
 * partition), "no quorum" (a member of a partition without), "-" (not a
 * member of this partition). */
static const char *node_quorum(const json_t *st, const json_t *node)
{
    if (!is_member(status_field(st, "members"), json_integer_value(json_object_get(node, "id"))))
        return "-";
    return json_is_true(status_field(st, "quorate")) ? "yes" : "no quorum";
}

static void print_nodes(const json_t *st, const status_view *v, FILE *out)
{
    static const char *const head[] = {"NODE", "ID", "ADDRESS", "STATE", "QUORUM"};
    const json_t *members = status_field(st, "members");
    wp_table *t = wp_table_new(5, head);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(st, "nodes"), i, n)
    {
        char id[32];
        const char *state = node_state(n, members);
        const char *row[] = {wp_json_str(n, "name"),
                             wp_cli_text(json_object_get(n, "id"), id, sizeof id),
                             wp_json_str(n, "address"), state, node_quorum(st, n)};
        wp_table_add(t, row);
        if (v->color)
            wp_table_paint(t, 3, state_sgr(state));
    }
    fprintf(out, "\nNodes:\n");
    wp_table_print(t, out, "  ");
    wp_table_free(t);
}

/* ---- groups ------------------------------------------------------------------ */

/* The pending resources of a group: "starting on n2" / "stopping on n1". */
static void group_pending(const json_t *g, const json_t *resources, char *buf, size_t size)
{
    size_t i;
    json_t *r;
    buf[0] = '\0';
    json_array_foreach(resources, i, r)
    {
        const char *group = wp_json_str(r, "group"), *state = wp_json_str(r, "state");
        if (!group || !state || strcmp(group, wp_json_str(g, "name")) != 0 ||
            !strstr(state, "Pending"))
            continue;
        const char *node = wp_json_str(r, "node");
        snprintf(buf, size, "%s on %s", strncmp(state, "Online", 6) == 0 ? "starting" : "stopping",
                 node ? node : "?");
        return;
    }
}

/* The first Failed resource of group g, or NULL. */
static const json_t *failed_resource(const json_t *g, const json_t *resources)
{
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        if (same(wp_json_str(r, "group"), wp_json_str(g, "name")) &&
            same(wp_json_str(r, "state"), "Failed"))
            return r;
    }
    return NULL;
}

/* Did the failed resource ask for a failover: restart_action failover and
 * its restart threshold reached (docs/SCHEDULER.md)? */
static bool wants_failover(const json_t *r, time_t now)
{
    long long period = policy_number(r, "restart_period", 900);
    const char *action = wp_json_str(json_object_get(r, "policy"), "restart_action");
    return (!action || same(action, "failover")) &&
           recent_count(json_object_get(r, "restarts"), period, now) >=
               policy_number(r, "restart_threshold", 3);
}

/* Why the group is Failed (docs/SCHEDULER.md).  A failover was wanted when
 * its node is down or a resource failed past its restart threshold with
 * restart_action failover; then it was refused by the failover threshold,
 * or no other node could take the group.  Otherwise a resource was left
 * Failed (restart_action none or restart). */
static void group_failed_note(const json_t *g, const json_t *st, const json_t *resources,
                              const status_view *v, char *buf, size_t size)
{
    const char *th = wp_json_str(json_object_get(g, "policy"), "failover_threshold");
    long long nodes = (long long)json_array_size(json_object_get(st, "nodes"));
    long long threshold =
        th && strcmp(th, "auto") == 0 ? nodes - 1 : policy_number(g, "failover_threshold", 0);
    long long period = policy_number(g, "failover_period", 21600);
    long long count = recent_count(json_object_get(g, "failovers"), period, v->now);
    const char *name = wp_json_str(g, "name");
    const json_t *res = failed_resource(g, resources);
    const json_t *owner = find_named(json_object_get(st, "nodes"), wp_json_str(g, "owner"));
    bool down = owner && same(node_state(owner, status_field(st, "members")), "Down");
    const char *q = name && strchr(name, ' ') ? "\"" : ""; /* "Cluster Group" */
    char cause[256], per[32];

    if (down)
        snprintf(cause, sizeof cause, "its node %s is down", wp_json_str(owner, "name"));
    else if (res)
        snprintf(cause, sizeof cause, "%s failed", wp_json_str(res, "name"));
    else
        snprintf(cause, sizeof cause, "given up by the cluster");
    duration_text(period, per, sizeof per);
    if (!down && res && !wants_failover(res, v->now))
        snprintf(buf, size, "%s (see its note below)", cause);
    else if (count >= threshold)
        snprintf(buf, size,
                 "%s; failover threshold reached (%lld of %lld failovers in %s); "
                 "`wolfpack group online %s%s%s` recovers",
                 cause, count, threshold, per, q, name, q);
    else
        snprintf(buf, size, "%s; no other node can take the group", cause);
}

/* What a person wants to know beside a group's state. */
static const char *group_note(const json_t *g, const json_t *st, const json_t *resources,
                              const status_view *v, char *buf, size_t size)
{
    const char *move = wp_json_str(g, "move_to");
    const char *state = wp_json_str(g, "state");
    char pending[128];

    group_pending(g, resources, pending, sizeof pending);
    if (move) {
        snprintf(buf, size, "moving to %s (requested)%s%s",
                 strcmp(move, "@best") == 0 ? "the best node" : move, pending[0] ? "; " : "",
                 pending);
        return buf;
    }
    if (state && strcmp(state, "Failed") == 0 && same(wp_json_str(g, "target"), "online")) {
        group_failed_note(g, st, resources, v, buf, size);
        return buf;
    }
    if (pending[0]) {
        snprintf(buf, size, "%s", pending);
        return buf;
    }
    return NULL;
}

static void print_groups(const json_t *st, const json_t *resources, const status_view *v, FILE *out)
{
    static const char *const head[] = {"GROUP", "STATE", "OWNER", "PREFERRED", "TARGET", "NOTE"};
    wp_table *t = wp_table_new(6, head);
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(st, "groups"), i, g)
    {
        char note[512];
        const char *pref = wp_json_str(json_object_get(g, "policy"), "preferred_owners");
        const char *state = wp_json_str(g, "state");
        const char *n = group_note(g, st, resources, v, note, sizeof note);
        const char *row[] = {wp_json_str(g, "name"),   state,
                             wp_json_str(g, "owner"),  pref && *pref ? pref : NULL,
                             wp_json_str(g, "target"), n};
        wp_table_add(t, row);
        if (v->color) {
            wp_table_paint(t, 1, state_sgr(state));
            wp_table_paint(t, 5, n ? state_sgr(state) : NULL);
        }
    }
    fprintf(out, "\nGroups:\n");
    wp_table_print(t, out, "  ");
    wp_table_free(t);
}

/* ---- resources ------------------------------------------------------------------ */

/* "restarts 2 of 3 in 15m (threshold reached)" into buf; false if none. */
static bool restart_text(const json_t *r, const status_view *v, char *buf, size_t size)
{
    long long period = policy_number(r, "restart_period", 900);
    long long threshold = policy_number(r, "restart_threshold", 3);
    long long count = recent_count(json_object_get(r, "restarts"), period, v->now);
    char per[32];
    if (count == 0)
        return false;
    snprintf(buf, size, "restarts %lld of %lld in %s%s", count, threshold,
             duration_text(period, per, sizeof per),
             count >= threshold ? " (threshold reached)" : "");
    return true;
}

static const char *resource_note_state(const json_t *r, const status_view *v, char *buf,
                                       size_t size);

/* "unmanaged" (policy managed=false), a failed stop, and what else there
 * is to say, separated by "; " (failure counts: print_failures). */
static const char *resource_note(const json_t *r, const status_view *v, char *buf, size_t size)
{
    char rest[1200], stop[512] = "";
    const char *n = resource_note_state(r, v, rest, sizeof rest);
    const char *managed = wp_json_str(json_object_get(r, "policy"), "managed");
    const char *stop_node = wp_json_str(r, "stop_failed");
    const char *parts[3] = {managed && strcmp(managed, "false") == 0 ? "unmanaged" : NULL, NULL, n};
    size_t used = 0;
    if (stop_node) {
        /* the way out (docs/OPERATIONS.md, "A stop that keeps failing"):
         * where fencing exists the coordinator fences the node itself */
        snprintf(stop, sizeof stop,
                 "STOP FAILED on %s (it may still run there: stop it by hand, then "
                 "'wolfpack resource cleanup %s', or 'wolfpack node fence %s')",
                 stop_node, wp_json_str_or(r, "name", "?"), stop_node);
        parts[1] = stop;
    }
    buf[0] = '\0';
    for (size_t i = 0; i < 3; i++) {
        if (!parts[i])
            continue;
        int k = snprintf(buf + used, size - used, "%s%s", used ? "; " : "", parts[i]);
        if (k < 0 || (size_t)k >= size - used)
            break;
        used += (size_t)k;
    }
    return used ? buf : NULL;
}

/* What a person wants to know beside a resource's state. */
static const char *resource_note_state(const json_t *r, const status_view *v, char *buf,
                                       size_t size)
{
    const char *state = wp_json_str(r, "state");
    const char *error = wp_json_str(r, "last_error");
    const char *node = wp_json_str(r, "node");
    const json_t *since = json_object_get(r, "pending_since");
    char restarts[128];
    bool restarted = restart_text(r, v, restarts, sizeof restarts);

    if (state && strstr(state, "Pending")) {
        long long s = json_is_integer(since) ? (long long)v->now - json_integer_value(since) : 0;
        snprintf(buf, size, "%s on %s for %lld s%s%s%s%s",
                 strncmp(state, "Online", 6) == 0 ? "starting" : "stopping", node ? node : "?",
                 s < 0 ? 0 : s, error ? "; last error: " : "", error ? error : "",
                 restarted ? "; " : "", restarted ? restarts : "");
        return buf;
    }
    if (state && strcmp(state, "Failed") == 0) {
        snprintf(buf, size, "%s%s%s", error ? error : "no error text recorded",
                 restarted ? "; " : "", restarted ? restarts : "");
        return buf;
    }
    if (same(wp_json_str(r, "target"), "offline") && !error)
        return "taken offline by the operator";
    if (restarted || error) {
        snprintf(buf, size, "%s%s%s%s", error ? "last error: " : "", error ? error : "",
                 error && restarted ? "; " : "", restarted ? restarts : "");
        return buf;
    }
    return NULL;
}

static void print_resources(const json_t *resources, const status_view *v, FILE *out)
{
    static const char *const head[] = {"GROUP", "RESOURCE", "CLASS", "STATE", "NODE", "NOTE"};
    wp_table *t = wp_table_new(6, head);
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        char note[1536];
        const char *state = wp_json_str(r, "state");
        const char *n = resource_note(r, v, note, sizeof note);
        const char *row[] = {wp_json_str(r, "group"), wp_json_str(r, "name"),
                             wp_json_str(r, "class"), state,
                             wp_json_str(r, "node"),  n};
        wp_table_add(t, row);
        if (v->color) {
            wp_table_paint(t, 3, state_sgr(state));
            if (n && state && (strcmp(state, "Failed") == 0 || strstr(state, "Pending")))
                wp_table_paint(t, 5, state_sgr(state));
        }
    }
    fprintf(out, "\nResources:\n");
    wp_table_print(t, out, "  ");
    wp_table_free(t);
}

/* Failure counts per resource and node (docs/OPERATIONS.md); nothing when
 * no resource has failed since its last clean-up. */
static void print_failures(const json_t *resources, FILE *out)
{
    static const char *const head[] = {"RESOURCE", "NODE", "FAILURES", "LAST ERROR"};
    wp_table *t = wp_table_new(4, head);
    size_t i, rows = 0;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        const char *node;
        json_t *count;
        json_object_foreach(json_object_get(r, "failures"), node, count)
        {
            char n[32];
            const char *err =
                same(wp_json_str(r, "node"), node) ? wp_json_str(r, "last_error") : NULL;
            snprintf(n, sizeof n, "%lld", (long long)json_integer_value(count));
            const char *row[] = {wp_json_str(r, "name"), node, n, err ? err : "-"};
            wp_table_add(t, row);
            rows++;
        }
    }
    if (rows) {
        fprintf(out, "\nFailures (forget them with 'wolfpack resource cleanup NAME'):\n");
        wp_table_print(t, out, "  ");
    }
    wp_table_free(t);
}

/* The whole human view; without resources (s->res NULL) their table is
 * left out. */
/* ---- fencing (docs/FENCING.md) ------------------------------------------------- */

/* The groups a node owns: "a, b" or "-". */
static void owned_groups(const json_t *st, const char *node, char *buf, size_t size)
{
    size_t used = 0, i;
    json_t *g;
    snprintf(buf, size, "-");
    json_array_foreach(json_object_get(st, "groups"), i, g)
    {
        if (!same(wp_json_str(g, "owner"), node))
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", wp_json_str(g, "name"));
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

static bool node_is_member(const json_t *st, const char *node)
{
    const json_t *n = find_named(json_object_get(st, "nodes"), node);
    return n &&
           is_member(status_field(st, "members"), json_integer_value(json_object_get(n, "id")));
}

/* A member with a fencing record: a stop failed there (escalate.c). */
static void print_escalation(const char *node, const json_t *rec, const char *held, FILE *out)
{
    const char *state = wp_json_str(rec, "state");
    if (same(state, "failed"))
        fprintf(out, "  %s: a stop failed there; fencing FAILED (retried): %s\n", node,
                dash(wp_json_str(rec, "error")));
    else if (same(state, "fencing"))
        fprintf(out, "  %s: a stop failed there: being fenced through its fence devices\n", node);
    else
        fprintf(out, "  %s: %s\n", node, dash(wp_json_str(rec, "error")));
    fprintf(out,
            "      its groups stay Failed there (%s) until it is fenced; if you know the "
            "resource stopped: wolfpack resource cleanup RESOURCE\n",
            held);
}

/* Lost nodes being fenced, failed fencings, and proofs of a node that is down. */
static void print_fencing(const json_t *st, FILE *out)
{
    const json_t *f = json_object_get(st, "fencing");
    const json_t *members = status_field(st, "members");
    const char *node;
    json_t *rec;
    bool title = false;
    json_object_foreach((json_t *)json_object_get(f, "fencing"), node, rec)
    {
        char held[512];
        owned_groups(st, node, held, sizeof held);
        if (!title)
            fprintf(out, "\nFencing:\n");
        title = true;
        if (node_is_member(st, node)) {
            print_escalation(node, rec, held, out);
            continue;
        }
        if (same(wp_json_str(rec, "state"), "failed"))
            fprintf(out, "  %s: lost; fencing FAILED (retried): %s\n", node,
                    dash(wp_json_str(rec, "error")));
        else if (same(wp_json_str(rec, "state"), "self-fencing"))
            fprintf(out, "  %s: lost; %s\n", node, dash(wp_json_str(rec, "error")));
        else if (same(wp_json_str(rec, "state"), "unfenceable"))
            fprintf(out,
                    "  %s: lost; CANNOT BE FENCED: it has no fence device and no watchdog\n"
                    "      give it one (wolfpack fence create ... --nodes %s), or accept the "
                    "risk for the cluster: wolfpack cluster fencing off\n",
                    node, node);
        else
            fprintf(out, "  %s: lost; being fenced through its fence devices\n", node);
        fprintf(out,
                "      its groups wait (%s); if you know %s is off: wolfpack node "
                "confirm-down %s\n",
                held, node, node);
    }
    json_object_foreach((json_t *)json_object_get(f, "poison"), node, rec)
    {
        if (!title)
            fprintf(out, "\nFencing:\n");
        title = true;
        fprintf(out, "  %s: poison pill sent: its watchdog resets it\n", node);
    }
    json_object_foreach((json_t *)json_object_get(f, "down"), node, rec)
    {
        const json_t *n = find_named(json_object_get(st, "nodes"), node);
        if (n && is_member(members, json_integer_value(json_object_get(n, "id"))))
            continue;
        if (!title)
            fprintf(out, "\nFencing:\n");
        title = true;
        const char *how = wp_json_str(rec, "how");
        fprintf(out, "  %s: down (%s)\n", node,
                same(how, "confirmed")  ? "confirmed by the operator"
                : same(how, "watchdog") ? "reset by its watchdog: its deadline passed"
                                        : "fenced");
    }
}

static void print_human(const status_snap *s, const status_view *v, FILE *out)
{
    print_header(s->st, v, out);
    print_nodes(s->st, v, out);
    wp_osupdate_status_print(json_object_get(s->st, "os_update"), out);
    print_fencing(s->st, out);
    print_groups(s->st, s->res, v, out);
    if (s->res) {
        print_resources(s->res, v, out);
        print_failures(s->res, out);
    }
}

/* ---- reading a status ------------------------------------------------------------ */

static void snap_free(status_snap *s)
{
    json_decref(s->st);
    json_decref(s->res);
    s->st = s->res = NULL;
}

/* Read the status and, unless json_only, the resources ("version" added to
 * the status object when it lacks one).  false (err set) when the status
 * cannot be read; when only the resources cannot (the node still syncs with
 * the cluster: reads other than status are refused then), s->res is NULL
 * and err says why. */
static bool snap_read(wp_cli *cli, bool json_only, status_snap *s, wp_err *err)
{
    long long version = 0;
    s->res = NULL;
    s->st = wp_cli_call(cli, "status", NULL, &version, err);
    if (!s->st)
        return false;
    if (json_is_object(s->st) && !json_object_get(s->st, "version"))
        json_object_set_new(s->st, "version", json_integer(version));
    if (!json_only)
        s->res = wp_cli_call(cli, "resource.list", NULL, NULL, err);
    return true;
}

/* The OS update (cluster update) into the status object as "os_update":
 * the run in progress, or the last run's result; nothing when there is
 * neither or they cannot be read (the node still syncs). */
static void add_os_update(wp_cli *cli, json_t *st)
{
    wp_err ignored = {0};
    json_t *run =
        wp_cli_call(cli, "app.op.show", json_pack("{s:s}", "name", WP_OSUPDATE_OP), NULL, &ignored);
    json_t *shown = NULL;
    if (json_is_object(run)) {
        json_t *lock = wp_cli_call(cli, "app.lock.show", NULL, NULL, &ignored);
        shown = wp_osupdate_progress(run, lock, st);
        json_decref(lock);
    } else if (run) {
        json_t *kept =
            wp_cli_call(cli, "app.op.show", json_pack("{s:s}", "name", WP_OSUPDATE_OP "-report"),
                        NULL, &ignored);
        shown = wp_osupdate_last(kept);
        json_decref(kept);
    }
    json_decref(run);
    if (shown)
        json_object_set_new(st, "os_update", shown);
}

/* Is colour wanted: --color=always|never, or auto (terminal, no NO_COLOR,
 * TERM not dumb).  -1 for a bad value. */
static int color_wanted(const char *when)
{
    if (!when || strcmp(when, "auto") == 0) {
        const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
        return isatty(STDOUT_FILENO) && !(no && *no) && !(term && strcmp(term, "dumb") == 0);
    }
    if (strcmp(when, "always") == 0)
        return 1;
    if (strcmp(when, "never") == 0)
        return 0;
    return -1;
}

/* One status, human or JSON.  0 or the exit status of the error. */
static int show_status(wp_cli *cli, bool color)
{
    wp_err err = {0};
    status_snap s;
    int rc = 0;
    if (!snap_read(cli, false, &s, &err))
        return wp_cli_fail(&err);
    if (json_is_object(s.st))
        add_os_update(cli, s.st);
    if (cli->json) {
        if (s.res) /* the resources too (issue #15); left out while the node syncs */
            json_object_set(s.st, "resources", s.res);
        wp_cli_print_json(s.st, stdout);
    } else {
        status_view v = {.color = color, .now = time(NULL)};
        print_human(&s, &v, stdout);
        fflush(stdout);
        if (!s.res) /* what could be shown is shown; then why not the rest */
            rc = wp_cli_fail(&err);
    }
    snap_free(&s);
    fflush(stdout);
    return rc;
}

/* ---- --watch: what changed between two statuses ------------------------------------ */

/* The watcher's context: the connection, the last status, recent lines. */
typedef struct watcher {
    wp_cli *cli;
    int fd;
    bool tty, color;
    status_snap last;
    char *lines[WATCH_KEEP]; /* ring of the last event lines (terminal) */
    size_t nlines;
} watcher;

static volatile sig_atomic_t watch_stop;

static void on_stop_signal(int sig)
{
    (void)sig;
    watch_stop = 1;
}

/* Emit one event line: printed at once on a pipe, kept for the redraw on a
 * terminal. */
static void event_line(watcher *w, const char *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void event_line(watcher *w, const char *node, const char *fmt, ...)
{
    char what[1536], line[1700], when[16];
    time_t now = time(NULL);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
    snprintf(line, sizeof line, "%s  %-8s %s", when, node ? node : "-", what);
    if (!w->tty) {
        puts(line);
        return;
    }
    if (w->nlines == WATCH_KEEP) {
        free(w->lines[0]);
        memmove(w->lines, w->lines + 1, (WATCH_KEEP - 1) * sizeof *w->lines);
        w->nlines--;
    }
    if (!(w->lines[w->nlines] = strdup(line)))
        abort(); /* out of memory while printing: nothing sensible to do */
    w->nlines++;
}

static void diff_nodes(watcher *w, const json_t *old, const json_t *cur)
{
    const json_t *om = status_field(old, "members"), *cm = status_field(cur, "members");
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(cur, "nodes"), i, n)
    {
        const char *name = wp_json_str(n, "name");
        const json_t *o = find_named(json_object_get(old, "nodes"), name);
        const char *now = node_state(n, cm);
        if (!o)
            event_line(w, name, "node %s added (%s)", name, now);
        else if (!same(node_state(o, om), now))
            event_line(w, name, "node %s: %s -> %s", name, node_state(o, om), now);
    }
    json_array_foreach(json_object_get(old, "nodes"), i, n)
    {
        if (!find_named(json_object_get(cur, "nodes"), wp_json_str(n, "name")))
            event_line(w, wp_json_str(n, "name"), "node %s removed", wp_json_str(n, "name"));
    }
    bool oq = json_is_true(status_field(old, "quorate")),
         cq = json_is_true(status_field(cur, "quorate"));
    if (oq != cq)
        event_line(w, NULL, "quorum %s (%zu of %zu nodes in this partition)",
                   cq ? "gained" : "LOST", json_array_size(cm),
                   json_array_size(json_object_get(cur, "nodes")));
    const char *oc = coordinator(old), *cc = coordinator(cur);
    if (!same(oc, cc))
        event_line(w, cc, "coordinator: %s -> %s", oc ? oc : "-", cc ? cc : "-");
}

static void diff_groups(watcher *w, const json_t *old, const json_t *cur)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(cur, "groups"), i, g)
    {
        const char *name = wp_json_str(g, "name");
        const json_t *o = find_named(json_object_get(old, "groups"), name);
        const char *owner = wp_json_str(g, "owner");
        if (!o) {
            event_line(w, owner, "group %s created", name);
            continue;
        }
        if (!same(wp_json_str(o, "target"), wp_json_str(g, "target")))
            event_line(w, owner, "group %s: target %s", name, dash(wp_json_str(g, "target")));
        if (!same(wp_json_str(o, "move_to"), wp_json_str(g, "move_to")) &&
            wp_json_str(g, "move_to"))
            event_line(w, owner, "group %s: move to %s requested", name, wp_json_str(g, "move_to"));
        if (!same(wp_json_str(o, "owner"), owner))
            event_line(w, owner, "group %s: owner %s -> %s", name, dash(wp_json_str(o, "owner")),
                       owner ? owner : "-");
        if (!same(wp_json_str(o, "state"), wp_json_str(g, "state")))
            event_line(w, owner, "group %s: %s -> %s", name, dash(wp_json_str(o, "state")),
                       dash(wp_json_str(g, "state")));
    }
    json_array_foreach(json_object_get(old, "groups"), i, g)
    {
        if (!find_named(json_object_get(cur, "groups"), wp_json_str(g, "name")))
            event_line(w, NULL, "group %s deleted", wp_json_str(g, "name"));
    }
}

static void diff_resources(watcher *w, const json_t *old, const json_t *cur)
{
    size_t i;
    json_t *r;
    json_array_foreach(cur, i, r)
    {
        const char *name = wp_json_str(r, "name"), *node = wp_json_str(r, "node");
        const char *state = wp_json_str(r, "state"), *error = wp_json_str(r, "last_error");
        const json_t *o = find_named(old, name);
        if (!o) {
            event_line(w, node, "resource %s created in group %s", name,
                       dash(wp_json_str(r, "group")));
            continue;
        }
        bool moved = !same(wp_json_str(o, "node"), node);
        if (!same(state, "Failed"))
            error = NULL; /* the error is news only with a failure */
        if (same(wp_json_str(o, "state"), state) && !moved &&
            (same(wp_json_str(o, "last_error"), error) || !error))
            continue;
        event_line(w, node, "resource %s (%s): %s -> %s%s%s%s%s", name,
                   dash(wp_json_str(r, "group")), dash(wp_json_str(o, "state")),
                   state ? state : "-", moved ? " on " : "", moved ? (node ? node : "-") : "",
                   error ? ": " : "", error ? error : "");
    }
    json_array_foreach(old, i, r)
    {
        if (!find_named(cur, wp_json_str(r, "name")))
            event_line(w, NULL, "resource %s deleted", wp_json_str(r, "name"));
    }
}

/* A cluster update's progress (the "os_update" add_os_update put in each
 * status): a line when the run starts, its node or step changes, a node
 * fails, it stops or ends (osupdate_view.c words them). */
static void diff_os_update(watcher *w, const json_t *old, const json_t *cur)
{
    const json_t *now = json_object_get(cur, "os_update");
    json_t *lines = wp_osupdate_changes(json_object_get(old, "os_update"), now);
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line)
        event_line(w, wp_json_str(now, "node"), "%s", json_string_value(line));
    json_decref(lines);
}

/* ---- --watch: the loop -------------------------------------------------------- */

static int watch_connect(wp_cli *cli, wp_err *err)
{
    const char *path = wp_client_socket_path(cli->socket_opt);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "cannot reach wolfpackd at %s to watch it", path);
        wp_err_why(err, "connect failed: %s", strerror(errno));
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

static void daemon_gone(wp_err *err)
{
    wp_errf(err, WP_E_UNAVAILABLE, "wolfpackd closed the watch connection");
    wp_err_why(err, "the daemon stopped, restarted or could not keep up with this watcher");
    wp_err_todo(err, "check `systemctl status wolfpackd` (or its log), then run `wolfpack status "
                     "--watch` again");
}

/* Wait for the next event frame (printing it with --json).  Then take the
 * frames already queued behind it too.  false: stop (watch_stop set) or the
 * daemon went away (err set). */
static bool next_events(watcher *w, wp_err *err)
{
    for (int timeout = -1;; timeout = 0) {
        struct pollfd p = {.fd = w->fd, .events = POLLIN};
        int n = poll(&p, 1, timeout);
        if (watch_stop)
            return false;
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            return true; /* nothing more queued */
        json_t *ev = n > 0 ? wp_proto_recv(w->fd, err) : NULL;
        if (!ev) {
            if (!watch_stop)
                daemon_gone(err);
            return false;
        }
        if (w->cli->json) {
            json_dumpf(ev, stdout, JSON_COMPACT | JSON_SORT_KEYS);
            fputc('\n', stdout);
            fflush(stdout);
        }
        json_decref(ev);
    }
}

static void redraw(watcher *w)
{
    status_view v = {.color = w->color, .now = time(NULL)};
    char when[64];
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&v.now));
    fputs("\033[H\033[2J", stdout);
    printf("wolfpack status --watch   %s   (Ctrl-C ends)\n\n", when);
    print_human(&w->last, &v, stdout);
    printf("\nEvents:\n");
    if (w->nlines == 0)
        printf("  (none yet)\n");
    for (size_t i = 0; i < w->nlines; i++)
        printf("  %s\n", w->lines[i]);
}

/* Read the status again and report what changed since the last one. */
static bool refresh(watcher *w, wp_err *err)
{
    status_snap s;
    if (!snap_read(w->cli, false, &s, err))
        return false;
    if (!s.res && err->code != WP_E_UNAVAILABLE) {
        snap_free(&s);
        return false;
    }
    if (!s.res) /* syncing after a membership change: keep the last list */
        s.res = json_incref(w->last.res);
    if (json_is_object(s.st))
        add_os_update(w->cli, s.st);
    diff_nodes(w, w->last.st, s.st);
    diff_groups(w, w->last.st, s.st);
    diff_resources(w, w->last.res, s.res);
    diff_os_update(w, w->last.st, s.st);
    snap_free(&w->last);
    w->last = s;
    if (w->tty)
        redraw(w);
    fflush(stdout);
    return true;
}

/* The first status: printed in full (one line with --json). */
static bool watch_start(watcher *w, wp_err *err)
{
    if (!snap_read(w->cli, w->cli->json, &w->last, err))
        return false;
    if (json_is_object(w->last.st))
        add_os_update(w->cli, w->last.st);
    if (!w->cli->json && !w->last.res) {
        if (err->code != WP_E_UNAVAILABLE)
            return false;
        w->last.res = json_array(); /* still syncing: the next event fills it */
    }
    if (w->cli->json) {
        json_dumpf(w->last.st, stdout, JSON_COMPACT | JSON_SORT_KEYS);
        fputc('\n', stdout);
    } else if (w->tty) {
        redraw(w);
    } else {
        status_view v = {.color = w->color, .now = time(NULL)};
        print_human(&w->last, &v, stdout);
        printf("\nEvents (time, node, what changed):\n");
    }
    fflush(stdout);
    return true;
}

static void install_stop_handlers(void)
{
    struct sigaction sa = {.sa_handler = on_stop_signal}; /* no SA_RESTART: poll returns */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static int watch(wp_cli *cli, bool color)
{
    wp_err err = {0};
    watcher w = {.cli = cli, .tty = isatty(STDOUT_FILENO) && !cli->json, .color = color};
    bool ok;

    install_stop_handlers();
    w.fd = watch_connect(cli, &err);
    if (w.fd < 0)
        return wp_cli_fail(&err);
    ok = watch_start(&w, &err);
    while (ok && !watch_stop && next_events(&w, &err))
        ok = cli->json || refresh(&w, &err);
    close(w.fd);
    snap_free(&w.last);
    for (size_t i = 0; i < w.nlines; i++)
        free(w.lines[i]);
    if (w.tty)
        fputc('\n', stdout);
    fflush(stdout);
    if (watch_stop) /* Ctrl-C: the normal end of a watch */
        return 0;
    return wp_cli_fail(&err);
}

int wp_cmd_status(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--watch"}, {.name = "--color", .has_value = true}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, opts, 2, usage, "argument", 0, &a, &status))
        return status;
    int color = color_wanted(opts[1].count ? opts[1].values[0] : NULL);
    if (color < 0)
        return wp_cli_usage_error(usage, "--color takes auto, always or never (got '%s')",
                                  opts[1].values[0]);
    if (cli->json)
        color = 0; /* machine output is never coloured */
    if (opts[0].count > 0)
        return watch(cli, color);
    return show_status(cli, color);
}
