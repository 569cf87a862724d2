/*
 * sched.h -- the scheduler: from configuration, runtime state and
 * membership to an ordered list of actions.  A pure function.
 *
 * The coordinator (wolfpackd) builds a wp_sched_input, usually from the
 * input JSON described in docs/SCHEDULER.md (the same format as the fixture
 * files in tests/sched/<case>/input.json, so a recorded input replays an
 * incident), calls wp_sched_run(), and hands the actions to the executor in
 * order.  wp_sched_run reads no clock (`now` is an input), does no I/O, uses
 * no globals and no randomness: the same input always gives byte-identical
 * output.
 *
 *   sched_input.c   JSON -> wp_sched_input (strict: bad input is refused)
 *   sched.c         the decision logic (wp_sched_run)
 *   sched_output.c  wp_sched_output -> JSON and the one-screen summary
 *
 * Indexes: the input refers to nodes, groups and resources by index into
 * its arrays; -1 means "no node".  Groups are sorted by name, and each
 * group's `order` lists its resources in start order (dependencies first,
 * ties by name); stops use the exact reverse.
 */
#ifndef WP_SCHED_H
#define WP_SCHED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../lib/err.h"
#include "../lib/model.h"

#define WP_SCHED_NO_NODE (-1)
#define WP_SCHED_MOVE_NONE (-1)
#define WP_SCHED_MOVE_BEST (-2)

typedef struct wp_sched_node {
    char name[WP_NAME_MAX + 1];
    uint32_t id; /* corosync node id; placement ties go to the lowest */
    bool up;
    bool paused;  /* keeps what it has, takes nothing new */
    bool drained; /* its groups move away, takes nothing */
} wp_sched_node;

typedef enum wp_failback {
    WP_FAILBACK_NEVER = 0,
    WP_FAILBACK_IMMEDIATE,
    WP_FAILBACK_WINDOW,
} wp_failback;

typedef enum wp_rstate {
    WP_RS_OFFLINE = 0,
    WP_RS_ONLINE,
    WP_RS_FAILED,
    WP_RS_ONLINE_PENDING,
    WP_RS_OFFLINE_PENDING,
    WP_RS__COUNT
} wp_rstate;

typedef enum wp_restart_action {
    WP_RA_NONE = 0, /* leave it Failed */
    WP_RA_RESTART,  /* restart in place; past the threshold leave it Failed */
    WP_RA_FAILOVER, /* restart in place; past the threshold fail the group over */
} wp_restart_action;

typedef struct wp_sched_group {
    char name[WP_NAME_MAX + 1];
    /* policy */
    int *preferred; /* node indexes, most preferred first */
    size_t n_preferred;
    bool *possible; /* NULL: every node; else one flag per node */
    wp_failback failback;
    int window_start, window_end;        /* hours 0..23 local time, may wrap */
    long failover_threshold;             /* -1: auto (number of nodes - 1) */
    long failover_period;                /* seconds */
    bool unmanaged;                      /* policy managed=false: no action at all */
    long retry_period;                   /* seconds; 0: a Failed group is never retried */
    char anti_affinity[256];             /* comma list of classes: kept apart from
                                            groups sharing one, when possible */
    char colocate_with[WP_NAME_MAX + 1]; /* runs on that group's node ("" none) */
    char start_after[WP_NAME_MAX + 1];   /* starts once that group is Online */
    /* runtime */
    int owner; /* node index or WP_SCHED_NO_NODE */
    bool target_online;
    int move_to;        /* WP_SCHED_MOVE_NONE, WP_SCHED_MOVE_BEST or a node index */
    int64_t *failovers; /* unix times of past failovers */
    size_t n_failovers;
    /* derived by the parser */
    size_t *order; /* resource indexes in start order */
    size_t n_order;
    int colocate_group; /* index of colocate_with, -1: none or unknown */
    int after_group;    /* index of start_after, -1: none or unknown */
} wp_sched_group;

typedef struct wp_sched_resource {
    char name[WP_NAME_MAX + 1];
    size_t group;
    wp_rtype type;
    size_t *depends_on; /* resource indexes, same group */
    size_t n_depends_on;
    /* policy */
    wp_restart_action restart_action;
    long restart_threshold;
    long restart_period;  /* seconds */
    long pending_timeout; /* seconds */
    bool unmanaged;       /* policy managed=false: never started, stopped, restarted */
    long failure_timeout; /* seconds; 0: failures are never forgotten */
    long restart_delay;   /* seconds before the first restart, doubled each
                             restart in the period; 0: at once */
    long start_timeout;   /* seconds Online Pending may last; 0: pending_timeout */
    long stop_timeout;    /* seconds Offline Pending may last; 0: pending_timeout */
    /* runtime */
    wp_rstate state;
    int node;          /* where it runs (or last ran); WP_SCHED_NO_NODE */
    int64_t *restarts; /* unix times of past failures/restarts */
    size_t n_restarts;
    bool has_pending_since;
    int64_t pending_since; /* when it entered its pending state */
    bool target_online;    /* false: the operator took it offline */
    int64_t *failures;     /* unix times of its failures on `node` */
    size_t n_failures;
    bool stop_failed; /* its stop failed on `node`: it may still run there */
    bool permanent;   /* its last error cannot get better by retrying */
    bool is_new;      /* added to a running group, never Online since: its
                         failures never fail the group over */
} wp_sched_resource;

typedef struct wp_sched_input {
    int64_t now;      /* unix seconds */
    long tz_offset;   /* seconds east of UTC, for failback windows */
    bool maintenance; /* cluster maintenance mode: no action at all */
    wp_sched_node *nodes;
    size_t n_nodes;
    wp_sched_group *groups; /* sorted by name */
    size_t n_groups;
    wp_sched_resource *resources;
    size_t n_resources;
} wp_sched_input;

typedef enum wp_sched_verb {
    WP_ACT_STOP = 0, /* take offline (also cleans up a Failed resource) */
    WP_ACT_START,    /* bring online */
    WP_ACT_RESTART,  /* a Failed resource, in place: clean up, then start;
                        the executor records it in the restart history */
} wp_sched_verb;

typedef enum wp_gstate {
    WP_GS_ONLINE = 0,
    WP_GS_PARTIAL, /* "Partially Online" */
    WP_GS_OFFLINE,
    WP_GS_FAILED,
    WP_GS_PENDING,
} wp_gstate;

typedef struct wp_sched_action {
    wp_sched_verb verb;
    size_t resource;
    size_t group;
    int node;
    char reason[128];
} wp_sched_action;

typedef struct wp_sched_decision {
    size_t group;
    int owner_before;
    int owner_after;
    wp_gstate state; /* the group's state once the actions are done */
    bool failover;   /* counts toward the failover threshold: the
                        coordinator appends `now` to the group's history */
    char reason[256];
} wp_sched_decision;

typedef struct wp_sched_output {
    wp_sched_action *actions; /* in execution order */
    size_t n_actions;
    size_t cap_actions;
    wp_sched_decision *decisions; /* one per group, in group order */
    size_t n_decisions;
} wp_sched_output;

/* Parse the input JSON (see docs/SCHEDULER.md).  Refuses, with a full
 * error, anything malformed: unknown keys, unknown node/group/resource
 * names, duplicates, bad policies, dependency cycles or cross-group
 * dependencies.  Returns NULL on error; free with wp_sched_input_free. */
wp_sched_input *wp_sched_input_parse(const json_t *json, wp_err *err);
void wp_sched_input_free(wp_sched_input *in);

/* Run the scheduler.  *out must be zeroed (or freed) before; on success it
 * holds the actions and one decision per group.  Fails only on an input
 * that breaks the struct invariants above (WP_E_INVALID). */
bool wp_sched_run(const wp_sched_input *in, wp_sched_output *out, wp_err *err);
void wp_sched_output_free(wp_sched_output *out);

/* Names used in the JSON and the summary. */
const char *wp_rstate_name(wp_rstate st);
const char *wp_gstate_name(wp_gstate st);
const char *wp_sched_verb_name(wp_sched_verb verb);

/* {"actions": [...], "groups": [...]} (caller owns). */
json_t *wp_sched_output_json(const wp_sched_input *in, const wp_sched_output *out);
/* The one-screen human summary: nodes, groups with owners before/after,
 * the actions in order.  malloc'd string, caller frees. */
char *wp_sched_summary(const wp_sched_input *in, const wp_sched_output *out);

#endif
