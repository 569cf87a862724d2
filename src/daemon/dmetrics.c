/*
 * dmetrics.c -- wolfpackd's lifetime counters and histograms (dmetrics.h):
 * plain counting and bucket arithmetic plus the small table of groups whose
 * failover is being timed.  Fed by events.c (applied commands, view
 * changes), handlers.c and coordinator.c (commit latency); read by the
 * `metrics` op.  No clock and no database here: callers pass the time.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmetrics.h"

/* Failovers of a healthy cluster take well under a second (CPG commit,
 * agent start); fencing or slow agents take tens of seconds. */
static const double failover_bounds[] = {0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
/* One commit is one CPG round trip plus an fsync on every member. */
static const double commit_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                       0.1,   0.25,   0.5,   1,    2.5,   5};

static const char *const fence_kind_names[WP_DM_FENCE_KINDS] = {"fencing",   "failed",   "fenced",
                                                                "confirmed", "watchdog", "poison"};

void wp_dm_init(wp_dmetrics *m)
{
    memset(m, 0, sizeof *m);
    m->failover_seconds.bounds = failover_bounds;
    m->failover_seconds.n_bounds = sizeof failover_bounds / sizeof failover_bounds[0];
    m->commit_seconds.bounds = commit_bounds;
    m->commit_seconds.n_bounds = sizeof commit_bounds / sizeof commit_bounds[0];
}

void wp_dm_free(wp_dmetrics *m)
{
    free(m->watch);
    m->watch = NULL;
    m->n_watch = m->cap_watch = 0;
}

void wp_dm_observe(wp_dm_histogram *h, double seconds)
{
    size_t i = 0;

    if (seconds < 0)
        seconds = 0;
    while (i < h->n_bounds && seconds > h->bounds[i])
        i++;
    h->counts[i]++; /* i == n_bounds: the +Inf bucket */
    h->count++;
    h->sum += seconds;
}

static wp_dm_watch *find(const wp_dmetrics *m, const char *group)
{
    for (size_t i = 0; i < m->n_watch; i++)
        if (strcasecmp(m->watch[i].group, group) == 0)
            return &m->watch[i];
    return NULL;
}

static void drop(wp_dmetrics *m, wp_dm_watch *w)
{
    size_t i = (size_t)(w - m->watch);
    memmove(&m->watch[i], &m->watch[i + 1], (m->n_watch - i - 1) * sizeof *w);
    m->n_watch--;
}

/* A new entry for group (the oldest one gives way when the table is full). */
static wp_dm_watch *add(wp_dmetrics *m, const char *group, int64_t now_ms)
{
    if (m->n_watch == WP_DM_MAX_WATCHED)
        drop(m, &m->watch[0]);
    if (m->n_watch == m->cap_watch) {
        size_t cap = m->cap_watch ? m->cap_watch * 2 : 16;
        wp_dm_watch *grown = realloc(m->watch, cap * sizeof *grown);
        if (!grown)
            return NULL; /* not timed; the counters still count */
        m->watch = grown;
        m->cap_watch = cap;
    }
    wp_dm_watch *w = &m->watch[m->n_watch++];
    memset(w, 0, sizeof *w);
    strncpy(w->group, group, sizeof w->group - 1);
    w->since_ms = now_ms;
    return w;
}

void wp_dm_group_lost(wp_dmetrics *m, const char *group, int64_t now_ms)
{
    if (group && !find(m, group))
        add(m, group, now_ms);
}

void wp_dm_failover(wp_dmetrics *m, const char *group, int64_t now_ms)
{
    m->failovers++;
    if (!group)
        return;
    wp_dm_watch *w = find(m, group);
    if (!w)
        w = add(m, group, now_ms);
    if (w)
        w->moving = true;
}

void wp_dm_group_online(wp_dmetrics *m, const char *group, int64_t now_ms)
{
    wp_dm_watch *w = group ? find(m, group) : NULL;

    if (!w)
        return;
    if (w->moving)
        wp_dm_observe(&m->failover_seconds, (double)(now_ms - w->since_ms) / 1000.0);
    drop(m, w);
}

void wp_dm_group_forget(wp_dmetrics *m, const char *group)
{
    wp_dm_watch *w = group ? find(m, group) : NULL;
    if (w)
        drop(m, w);
}

bool wp_dm_watching(const wp_dmetrics *m, const char *group)
{
    return find(m, group) != NULL;
}

size_t wp_dm_watch_count(const wp_dmetrics *m)
{
    return m->n_watch;
}

void wp_dm_commit(wp_dmetrics *m, int64_t latency_ms)
{
    wp_dm_observe(&m->commit_seconds, (double)latency_ms / 1000.0);
}

/* {"buckets": [[le, cumulative count]...], "sum", "count"}; le of the last
 * bucket is the string "+Inf" */
static json_t *histogram_json(const wp_dm_histogram *h)
{
    json_t *buckets = json_array();
    uint64_t cumulative = 0;

    for (size_t i = 0; i <= h->n_bounds; i++) {
        cumulative += h->counts[i];
        json_t *le = i < h->n_bounds ? json_real(h->bounds[i]) : json_string("+Inf");
        json_array_append_new(buckets, json_pack("[o, I]", le, (json_int_t)cumulative));
    }
    return json_pack("{s:o, s:f, s:I}", "buckets", buckets, "sum", h->sum, "count",
                     (json_int_t)h->count);
}

json_t *wp_dm_json(const wp_dmetrics *m)
{
    json_t *fence = json_object();

    for (int k = 0; k < WP_DM_FENCE_KINDS; k++)
        json_object_set_new(fence, fence_kind_names[k], json_integer((json_int_t)m->fence[k]));
    return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o}", "failovers", (json_int_t)m->failovers,
                     "restarts", (json_int_t)m->restarts, "failures", (json_int_t)m->failures,
                     "fencing_events", fence, "failover_seconds",
                     histogram_json(&m->failover_seconds), "commit_seconds",
                     histogram_json(&m->commit_seconds));
}
