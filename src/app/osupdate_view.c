/*
 * osupdate_view.c -- what `wolfpack status` and `wolfpack cluster update
 * --report` show of an OS update (osupdate.h): the run in progress read
 * from its state (app.op "os-update"), the application lock and the
 * cluster's status -- the node being updated and its step (draining,
 * updating, rebooting, waiting to rejoin, failing back), the nodes done,
 * left and failed, whether the run is going or stopped -- or, once it
 * ended, the last run's result from its kept report (app.op
 * "os-update-report"); what changed between two of those views, as the
 * event lines of `status --watch`; and the report itself, one entry a
 * node.  Pure
 * functions of JSON, so the unit test (tests/unit/test_osupdate.c) checks
 * them without a cluster.
 */
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "osupdate.h"
#include "../lib/json.h"

/* The step a node is in, from the last step recorded as done. */
static const char *step_now(const json_t *st)
{
    const char *done = wp_json_str(st, "step");
    if (!done)
        return "draining";
    if (strcmp(done, "drain") == 0)
        return "updating";
    if (strcmp(done, "update") == 0)
        return json_is_true(json_object_get(st, "skip")) ? "moving on (its update failed)"
                                                         : "rebooting if needed";
    if (strcmp(done, "reboot") == 0)
        return "waiting to rejoin";
    return "failing back";
}

static bool member_named(const json_t *status, const char *node)
{
    size_t i, k;
    json_t *n, *m;
    json_array_foreach(json_object_get(status, "nodes"), i, n)
    {
        if (!node || strcasecmp(wp_json_str(n, "name"), node) != 0)
            continue;
        json_array_foreach(json_object_get(status, "members"), k,
                           m) if (json_integer_value(m) ==
                                  json_integer_value(json_object_get(n, "id"))) return true;
    }
    return false;
}

/* The node of a lock holder "NODE:PID" into out. */
static void holder_node(const char *holder, char *out, size_t size)
{
    snprintf(out, size, "%s", holder ? holder : "");
    char *colon = strrchr(out, ':');
    if (colon)
        *colon = '\0';
}

json_t *wp_osupdate_progress(const json_t *st, const json_t *lock, const json_t *status)
{
    if (!json_is_object(st))
        return NULL;
    const json_t *nodes = json_object_get(st, "nodes"), *failed = json_object_get(st, "failed");
    size_t index = (size_t)json_integer_value(json_object_get(st, "index"));
    json_t *done = json_array(), *left = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *name = json_string_value(n);
        if (i < index && !json_object_get(failed, name))
            json_array_append_new(done, json_string(name));
        else if (i > index)
            json_array_append_new(left, json_string(name));
    }
    const char *holder = wp_json_str(st, "holder");
    bool locked = json_is_object(lock) && holder && wp_json_str(lock, "holder") &&
                  strcmp(wp_json_str(lock, "holder"), holder) == 0;
    char runner[128];
    holder_node(holder, runner, sizeof runner);
    bool runner_up = member_named(status, runner);
    const char *state = locked && runner_up ? "running"
                        : locked            ? "stopped: the node running it is down"
                                            : "stopped";
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:o, s:o, s:O}", "state", state, "runner",
                     runner, "node", wp_json_str(st, "node") ? wp_json_str(st, "node") : "", "step",
                     step_now(st), "index", (json_int_t)index + 1, "of",
                     (json_int_t)json_array_size(nodes), "last_step_done",
                     wp_json_str(st, "step") ? wp_json_str(st, "step") : "none", "done", done,
                     "left", left, "failed", json_is_object(failed) ? failed : json_object());
}

/* The last run's outcome, counted from its report's results. */
json_t *wp_osupdate_last(const json_t *kept)
{
    if (!json_is_object(kept))
        return NULL;
    int updated = 0, failed = 0, not_updated = 0;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(kept, "nodes"), i, x)
    {
        const char *result = wp_json_str(x, "result");
        if (result && strncmp(result, "updated", 7) == 0)
            updated++;
        else if (result && strncmp(result, "FAILED", 6) == 0)
            failed++;
        else
            not_updated++;
    }
    const char *result = wp_json_str(kept, "result");
    return json_pack("{s:s, s:I, s:s, s:i, s:i, s:i}", "state", "ended", "finished_at",
                     json_integer_value(json_object_get(kept, "finished_at")), "result",
                     result ? result : (failed ? "done, with failed nodes" : "done"), "updated",
                     updated, "failed", failed, "not_updated", not_updated);
}

static bool is_ended(const json_t *p)
{
    return json_is_object(p) && strcmp(wp_json_str_or(p, "state", ""), "ended") == 0;
}

static bool is_progress(const json_t *p)
{
    return json_is_object(p) && !is_ended(p);
}

static bool same_text(const json_t *a, const json_t *b, const char *key)
{
    return strcmp(wp_json_str_or(a, key, ""), wp_json_str_or(b, key, "")) == 0;
}

/* Append one line (printf) to lines. */
static void add_line(json_t *lines, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_line(json_t *lines, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    json_array_append_new(lines, json_string(line));
}

/* The lines of a run in progress (cur) against what was shown before (old,
 * a run in progress or not). */
static void progress_changes(const json_t *old, const json_t *cur, json_t *lines)
{
    bool was = is_progress(old), running = strcmp(wp_json_str(cur, "state"), "running") == 0;
    long long index = (long long)json_integer_value(json_object_get(cur, "index")),
              of = (long long)json_integer_value(json_object_get(cur, "of"));
    const char *node = wp_json_str(cur, "node");
    const char *key;
    json_t *why;
    json_object_foreach(json_object_get(cur, "failed"), key, why)
    {
        if (!was || !json_object_get(json_object_get(old, "failed"), key))
            add_line(lines, "OS update: node %s FAILED, left paused: %s", key,
                     json_string_value(why));
    }
    if (!running && (!was || !same_text(old, cur, "state")))
        add_line(lines,
                 "OS update %s; node %s (%lld of %lld) after step %s (resume: wolfpack cluster "
                 "update)",
                 wp_json_str(cur, "state"), node, index, of, wp_json_str(cur, "last_step_done"));
    else if (running && (!was || !same_text(old, cur, "state")))
        add_line(lines, "OS update %s on %s: node %s (%lld of %lld): %s",
                 was ? "resumed" : "running", wp_json_str(cur, "runner"), node, index, of,
                 wp_json_str(cur, "step"));
    else if (running && (!same_text(old, cur, "node") || !same_text(old, cur, "step")))
        add_line(lines, "OS update: node %s (%lld of %lld): %s", node, index, of,
                 wp_json_str(cur, "step"));
}

json_t *wp_osupdate_changes(const json_t *old, const json_t *cur)
{
    json_t *lines = json_array();
    if (is_progress(cur))
        progress_changes(old, cur, lines);
    else if (is_ended(cur) &&
             (!is_ended(old) || json_integer_value(json_object_get(old, "finished_at")) !=
                                    json_integer_value(json_object_get(cur, "finished_at"))))
        add_line(lines,
                 "OS update ended: %s: %lld updated, %lld failed, %lld not updated "
                 "(wolfpack cluster update --report)",
                 wp_json_str(cur, "result"),
                 (long long)json_integer_value(json_object_get(cur, "updated")),
                 (long long)json_integer_value(json_object_get(cur, "failed")),
                 (long long)json_integer_value(json_object_get(cur, "not_updated")));
    return lines;
}

/* "a, b" of an array of names into out, "none" when empty. */
static const char *names_text(const json_t *names, char *out, size_t size)
{
    size_t i;
    json_t *n;
    out[0] = '\0';
    json_array_foreach(names, i, n)
    {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? ", " : "", json_string_value(n));
    }
    if (!out[0])
        snprintf(out, size, "none");
    return out;
}

static void print_progress(const json_t *p, FILE *out)
{
    char done[512], left[512];
    const char *state = wp_json_str(p, "state");
    bool running = strcmp(state, "running") == 0;
    fprintf(out, "OS update (cluster update): %s%s%s\n", state, running ? " on " : "",
            running ? wp_json_str(p, "runner") : "");
    fprintf(out, "  node %s (%lld of %lld): %s%s\n", wp_json_str(p, "node"),
            (long long)json_integer_value(json_object_get(p, "index")),
            (long long)json_integer_value(json_object_get(p, "of")),
            running ? "" : "stopped after step ",
            running ? wp_json_str(p, "step") : wp_json_str(p, "last_step_done"));
    fprintf(out, "  done: %s; left: %s\n",
            names_text(json_object_get(p, "done"), done, sizeof done),
            names_text(json_object_get(p, "left"), left, sizeof left));
    const char *key;
    json_t *why;
    json_object_foreach(json_object_get(p, "failed"), key, why)
        fprintf(out, "  failed, left paused: %s: %s\n", key, json_string_value(why));
    if (!running)
        fprintf(out,
                "  resume: wolfpack cluster update%s; end it: wolfpack cluster update "
                "--abort%s\n",
                strcmp(state, "stopped") == 0 ? "" : " --force (on a node that is up)",
                strcmp(state, "stopped") == 0 ? "" : " --force");
}

static void print_last(const json_t *p, FILE *out)
{
    time_t at = (time_t)json_integer_value(json_object_get(p, "finished_at"));
    struct tm tm;
    char when[40] = "?";
    if (at && localtime_r(&at, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(out,
            "Last OS update: %s, ended %s: %lld updated, %lld failed, %lld not updated "
            "(wolfpack cluster update --report)\n",
            wp_json_str(p, "result"), when,
            (long long)json_integer_value(json_object_get(p, "updated")),
            (long long)json_integer_value(json_object_get(p, "failed")),
            (long long)json_integer_value(json_object_get(p, "not_updated")));
}

void wp_osupdate_status_print(const json_t *p, FILE *out)
{
    if (!json_is_object(p))
        return;
    if (strcmp(wp_json_str(p, "state"), "ended") == 0)
        print_last(p, out);
    else
        print_progress(p, out);
}

void wp_osupdate_report_print(const json_t *nodes, FILE *out)
{
    fprintf(out, "Report:\n");
    size_t i;
    json_t *x;
    json_array_foreach(nodes, i, x)
    {
        json_t *drained = json_object_get(x, "drained_s");
        const char *packages = wp_json_str(x, "packages");
        fprintf(out, "  %s: %s", wp_json_str(x, "node"), wp_json_str(x, "result"));
        if (drained)
            fprintf(out, "; drained %lld s", (long long)json_integer_value(drained));
        fprintf(out, "\n    packages changed: %s\n", packages && *packages ? packages : "none");
    }
}
