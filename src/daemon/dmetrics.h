/*
 * dmetrics.h -- wolfpackd's lifetime counters and histograms (dmetrics.c):
 * failovers and their durations, commit latency, restarts, failures and
 * fencing events, counted since this daemon started.  A leaf: it knows no
 * database and no clock (callers pass the monotonic ms), so that
 * tests/unit/test_dmetrics.c drives it directly.  The daemon's glue
 * (events.c, handlers.c, coordinator.c) feeds it; the `metrics` op
 * (handlers.c) answers wp_dm_json(); wolfpack-web turns that into the
 * Prometheus text format (docs/WEB.md, "Metrics").
 */
#ifndef WP_DMETRICS_H
#define WP_DMETRICS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WP_DM_MAX_BUCKETS 16
#define WP_DM_MAX_WATCHED 4096 /* groups whose failover is being timed */

typedef struct wp_dm_histogram {
    const double *bounds; /* upper bounds in seconds, ascending; +Inf is implicit */
    size_t n_bounds;
    uint64_t counts[WP_DM_MAX_BUCKETS]; /* per bucket, not cumulative */
    uint64_t count;
    double sum; /* seconds */
} wp_dm_histogram;

/* A group whose owner was lost or whose resource failed: timed until it is
 * Online again (on another node: a failover; on the same one: dropped). */
typedef struct wp_dm_watch {
    char group[64];
    int64_t since_ms; /* the loss or failure this node saw */
    bool moving;      /* a failover decision was applied */
} wp_dm_watch;

typedef enum wp_dm_fence_kind {
    WP_DM_FENCE_STARTED,   /* node.fencing state fencing */
    WP_DM_FENCE_FAILED,    /* node.fencing state failed */
    WP_DM_FENCE_FENCED,    /* node.down how fenced */
    WP_DM_FENCE_CONFIRMED, /* node.down how confirmed */
    WP_DM_FENCE_WATCHDOG,  /* node.down how watchdog */
    WP_DM_FENCE_POISON,    /* node.poison */
    WP_DM_FENCE_KINDS
} wp_dm_fence_kind;

typedef struct wp_dmetrics {
    uint64_t failovers;
    uint64_t restarts;
    uint64_t failures;
    uint64_t fence[WP_DM_FENCE_KINDS];
    wp_dm_histogram failover_seconds;
    wp_dm_histogram commit_seconds;
    wp_dm_watch *watch; /* owned */
    size_t n_watch, cap_watch;
} wp_dmetrics;

void wp_dm_init(wp_dmetrics *m);
void wp_dm_free(wp_dmetrics *m);
void wp_dm_observe(wp_dm_histogram *h, double seconds);
/* The group's owner was lost or a resource of it failed at now_ms: start
 * timing (an earlier start of the same group stands). */
void wp_dm_group_lost(wp_dmetrics *m, const char *group, int64_t now_ms);
/* A decision with failover applied: count it (the timing starts now when
 * no loss was seen for the group). */
void wp_dm_failover(wp_dmetrics *m, const char *group, int64_t now_ms);
/* The group is Online (on the node that now owns it): a timed failover
 * is observed; a loss recovered without failover is forgotten. */
void wp_dm_group_online(wp_dmetrics *m, const char *group, int64_t now_ms);
/* The group was deleted or stays down (decision Offline): forget it. */
void wp_dm_group_forget(wp_dmetrics *m, const char *group);
bool wp_dm_watching(const wp_dmetrics *m, const char *group);
size_t wp_dm_watch_count(const wp_dmetrics *m);
void wp_dm_commit(wp_dmetrics *m, int64_t latency_ms);
/* Counters and histograms as JSON (the `metrics` op's result; docs/API.md). */
json_t *wp_dm_json(const wp_dmetrics *m);

#endif
