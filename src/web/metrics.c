/*
 * metrics.c -- GET /metrics (web.h, docs/WEB.md "Metrics"): the cluster as
 * this node's wolfpackd sees it, in the Prometheus text format (0.0.4),
 * made from one `status` call.  No login unless web.conf sets
 * metrics-token (then `Authorization: Bearer TOKEN`, else 401).  When
 * wolfpackd does not answer, the reply is still 200 with wolfpack_up 0, so
 * that an alert can tell "daemon down" from "scrape failed".
 *
 * Two sources: the status (`wolfpack status --json`'s object: states, the
 * failovers and restarts of a policy's window as gauges named _recent) and
 * the daemon's `metrics` op (counters since that wolfpackd started, and
 * the failover-duration and commit-latency histograms), put into the
 * status object as "lifetime" before wp_web_metrics_text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/json.h"
#include "web.h"

static const char *const GROUP_STATES[] = {
    "Online", "Partially Online", "Offline", "Failed", "Online Pending", "Offline Pending", NULL};
static const char *const RESOURCE_STATES[] = {"Online",         "Offline",         "Failed",
                                              "Online Pending", "Offline Pending", NULL};

/* A label value, escaped as the format wants (\\, \", \n). */
static void label(FILE *f, const char *value)
{
    for (const char *p = value ? value : ""; *p; p++) {
        if (*p == '\\' || *p == '"')
            fputc('\\', f), fputc(*p, f);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
}

static void head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(FILE *f, const char *name, const char *help, double value)
{
    head(f, name, "gauge", help);
    fprintf(f, "%s %.17g\n", name, value);
}

static bool is_member(const json_t *status, json_int_t id)
{
    size_t i;
    json_t *m;

    json_array_foreach(json_object_get(status, "members"), i,
                       m) if (json_integer_value(m) == id) return true;
    return false;
}

static void nodes(FILE *f, const json_t *st)
{
    const json_t *list = json_object_get(st, "nodes");
    size_t i, up = 0;
    json_t *n;

    json_array_foreach(list, i, n) up +=
        is_member(st, json_integer_value(json_object_get(n, "id")));
    gauge(f, "wolfpack_nodes", "Nodes configured in the cluster.", (double)json_array_size(list));
    gauge(f, "wolfpack_nodes_up", "Nodes in this node's membership (up).", (double)up);
    static const char *const flags[][3] = {
        {"wolfpack_node_up", "Whether the node is up (in the membership).", NULL},
        {"wolfpack_node_paused", "Whether the node is paused.", "paused"},
        {"wolfpack_node_drained", "Whether the node is drained.", "drained"},
    };
    for (size_t k = 0; k < 3; k++) {
        head(f, flags[k][0], "gauge", flags[k][1]);
        json_array_foreach(list, i, n)
        {
            bool v = flags[k][2] ? json_is_true(json_object_get(n, flags[k][2]))
                                 : is_member(st, json_integer_value(json_object_get(n, "id")));
            fprintf(f, "%s{node=\"", flags[k][0]);
            label(f, wp_json_str(n, "name"));
            fprintf(f, "\"} %d\n", v);
        }
    }
}

/* One gauge per state label: 1 for the object's state, 0 for the others. */
static void states(FILE *f, const char *metric, const char *kind, const json_t *obj,
                   const char *const *names)
{
    const char *state = wp_json_str(obj, "state");
    for (size_t s = 0; names[s]; s++) {
        fprintf(f, "%s{%s=\"", metric, kind);
        label(f, wp_json_str(obj, "name"));
        if (strcmp(kind, "resource") == 0) {
            fputs("\",group=\"", f);
            label(f, wp_json_str(obj, "group"));
        }
        fprintf(f, "\",state=\"%s\"} %d\n", names[s], state && strcmp(state, names[s]) == 0);
    }
}

static void per_object(FILE *f, const char *metric, const char *kind, const char *key,
                       const json_t *list)
{
    size_t i;
    json_t *o;

    json_array_foreach(list, i, o)
    {
        json_t *v = json_object_get(o, key);
        fprintf(f, "%s{%s=\"", metric, kind);
        label(f, wp_json_str(o, "name"));
        fprintf(f, "\"} %zu\n", json_array_size(v));
    }
}

static void groups(FILE *f, const json_t *st)
{
    const json_t *list = json_object_get(st, "groups");
    size_t i, online = 0;
    json_t *g;

    head(f, "wolfpack_group_state", "gauge", "1 for the group's state, 0 for the others.");
    json_array_foreach(list, i, g)
    {
        states(f, "wolfpack_group_state", "group", g, GROUP_STATES);
        const char *s = wp_json_str(g, "state");
        online += s && strcmp(s, "Online") == 0;
    }
    gauge(f, "wolfpack_groups", "Groups in the cluster.", (double)json_array_size(list));
    gauge(f, "wolfpack_groups_online", "Groups whose state is Online.", (double)online);
    head(f, "wolfpack_group_owner", "gauge", "1 for the node that owns the group.");
    json_array_foreach(list, i, g)
    {
        const char *owner = wp_json_str(g, "owner");
        if (!owner)
            continue;
        fputs("wolfpack_group_owner{group=\"", f);
        label(f, wp_json_str(g, "name"));
        fputs("\",node=\"", f);
        label(f, owner);
        fputs("\"} 1\n", f);
    }
    head(f, "wolfpack_group_recent_failovers", "gauge",
         "Failovers of the group within its failover period.");
    per_object(f, "wolfpack_group_recent_failovers", "group", "failovers", list);
}

static void resources(FILE *f, const json_t *st)
{
    const json_t *list = json_object_get(st, "resources");
    size_t i;
    json_t *r;

    head(f, "wolfpack_resource_state", "gauge", "1 for the resource's state, 0 for the others.");
    json_array_foreach(list, i, r)
        states(f, "wolfpack_resource_state", "resource", r, RESOURCE_STATES);
    head(f, "wolfpack_resource_recent_restarts", "gauge",
         "Restarts of the resource within its restart period.");
    per_object(f, "wolfpack_resource_recent_restarts", "resource", "restarts", list);
}

static void fencing(FILE *f, const json_t *st)
{
    const json_t *fe = json_object_get(st, "fencing");
    static const char *const phases[] = {"down", "fencing", "poison", "watchdog"};

    gauge(f, "wolfpack_fencing_enabled", "Whether fencing is enabled.",
          json_is_true(json_object_get(fe, "enabled")));
    head(f, "wolfpack_fencing_nodes", "gauge",
         "Nodes in a fencing phase: down (not yet fenced), fencing (in progress), poison, "
         "watchdog.");
    for (size_t i = 0; i < sizeof phases / sizeof phases[0]; i++) {
        json_t *v = json_object_get(fe, phases[i]);
        fprintf(f, "wolfpack_fencing_nodes{phase=\"%s\"} %zu\n", phases[i],
                json_is_object(v) ? json_object_size(v) : json_array_size(v));
    }
}

static void counter(FILE *f, const char *name, const char *help, const json_t *value)
{
    head(f, name, "counter", help);
    fprintf(f, "%s %.17g\n", name, (double)json_integer_value(value));
}

/* A histogram from the daemon's {"buckets": [[le, cumulative]...], "sum",
 * "count"} (the last le is "+Inf"). */
static void histogram(FILE *f, const char *name, const char *help, const json_t *h)
{
    size_t i;
    json_t *b;

    head(f, name, "histogram", help);
    json_array_foreach(json_object_get(h, "buckets"), i, b)
    {
        const json_t *le = json_array_get(b, 0);
        double cum = (double)json_integer_value(json_array_get(b, 1));
        if (json_is_string(le))
            fprintf(f, "%s_bucket{le=\"+Inf\"} %.17g\n", name, cum);
        else
            fprintf(f, "%s_bucket{le=\"%g\"} %.17g\n", name, json_number_value(le), cum);
    }
    fprintf(f, "%s_sum %.17g\n%s_count %.17g\n", name, json_number_value(json_object_get(h, "sum")),
            name, (double)json_integer_value(json_object_get(h, "count")));
}

static void lifetime(FILE *f, const json_t *m)
{
    const json_t *fe = json_object_get(m, "fencing_events");
    const char *kind;
    json_t *v;

    if (!json_is_object(m))
        return; /* an older wolfpackd without the metrics op */
    counter(f, "wolfpack_failovers_total",
            "Failovers (groups moved after a node loss or failure) since this wolfpackd started.",
            json_object_get(m, "failovers"));
    counter(f, "wolfpack_restarts_total",
            "Resource restarts in place decided since this wolfpackd started.",
            json_object_get(m, "restarts"));
    counter(f, "wolfpack_resource_failures_total",
            "Resources reported Failed since this wolfpackd started.",
            json_object_get(m, "failures"));
    head(f, "wolfpack_fencing_events_total", "counter",
         "Fencing events since this wolfpackd started: fencing (begun), failed, fenced, "
         "confirmed (by an operator), watchdog (self-fenced), poison (pill set).");
    json_object_foreach((json_t *)fe, kind, v)
        fprintf(f, "wolfpack_fencing_events_total{event=\"%s\"} %.17g\n", kind,
                (double)json_integer_value(v));
    histogram(f, "wolfpack_failover_duration_seconds",
              "From the node loss or resource failure this node saw to the group Online again "
              "on its new node.",
              json_object_get(m, "failover_seconds"));
    histogram(f, "wolfpack_commit_latency_seconds",
              "From submitting a change on this node to its commit (applied here, acknowledged "
              "by every member).",
              json_object_get(m, "commit_seconds"));
}

char *wp_web_metrics_text(const json_t *st)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    if (!f)
        return NULL;
    gauge(f, "wolfpack_up", "Whether this node's wolfpackd answered.", st != NULL);
    if (st) {
        gauge(f, "wolfpack_quorate", "Whether this node's partition has quorum.",
              json_is_true(json_object_get(st, "quorate")));
        gauge(f, "wolfpack_synced", "Whether this node's database is in sync with the cluster.",
              json_is_true(json_object_get(st, "ready")));
        gauge(f, "wolfpack_database_version", "The version of the cluster database.",
              (double)json_integer_value(json_object_get(st, "version")));
        gauge(f, "wolfpack_maintenance", "Whether the cluster is in maintenance mode.",
              json_is_true(json_object_get(st, "maintenance")));
        const json_t *repl = json_object_get(st, "replication");
        json_t *votes = json_object_get(repl, "votes");
        json_t *expected = json_object_get(repl, "expected_votes");
        if (json_is_integer(votes))
            gauge(f, "wolfpack_votes", "Quorum votes this partition holds.",
                  (double)json_integer_value(votes));
        if (json_is_integer(expected))
            gauge(f, "wolfpack_expected_votes", "Quorum votes the cluster expects.",
                  (double)json_integer_value(expected));
        nodes(f, st);
        groups(f, st);
        resources(f, st);
        fencing(f, st);
        lifetime(f, json_object_get(st, "lifetime"));
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static bool token_ok(wp_web_req *r)
{
    const char *want = r->w->opts.metrics_token;
    const char *auth = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Authorization");

    if (!want)
        return true;
    return auth && strncmp(auth, "Bearer ", 7) == 0 && wp_secret_equal(auth + 7, want);
}

enum MHD_Result wp_web_metrics(wp_web_req *r)
{
    wp_err err = {0};

    if (!token_ok(r)) {
        wp_errf(&err, WP_E_PERM, "/metrics needs its token");
        wp_err_why(&err, "web.conf sets metrics-token");
        wp_err_todo(&err, "send `Authorization: Bearer TOKEN` (Prometheus: authorization: "
                          "credentials)");
        return wp_web_send_json_with(r, MHD_HTTP_UNAUTHORIZED, wp_web_error_json(&err),
                                     "WWW-Authenticate", "Bearer");
    }
    json_t *st = wp_web_status(r->w, NULL, &err);
    if (st) {
        wp_err ignored = {0}; /* an older wolfpackd: without the counters */
        json_t *m = wp_web_call(r->w, NULL, "metrics", NULL, &ignored);
        if (m)
            json_object_set(st, "lifetime", json_object_get(m, "result"));
        json_decref(m);
    }
    char *text = wp_web_metrics_text(st);
    json_decref(st);
    if (!text)
        return MHD_NO;
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(resp, "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    return wp_web_send(r, MHD_HTTP_OK, resp);
}
