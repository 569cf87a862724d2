/*
 * osupdate.h -- `wolfpack cluster update`: the operating system's packages
 * updated node by node (issue #19; docs/OPERATIONS.md "Updating the
 * operating system").  osupdate.c is the run (a table of steps on the step
 * runner, steps.h: drain, update, reboot, healthy, resume, node after node);
 * osupdate_task.c holds its two node tasks (os-update: the command and the
 * dpkg log's changes; os-reboot); osupdate_view.c what `status` and
 * `cluster update --report` show of a run.
 */
#ifndef WP_APP_OSUPDATE_H
#define WP_APP_OSUPDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "cluster.h"

/* The app.op key of the run, the node tasks' "app", the lock's op. */
#define WP_OSUPDATE_OP "os-update"
/* The command a node runs when the run names none. */
#define WP_OSUPDATE_DEFAULT_COMMAND                                                                \
    "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get -y "                                 \
    "-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confold upgrade"
/* A command (run on the node running the update, WOLFPACK_NODE set) that
 * reboots a node instead of the os-reboot node task. */
#define WP_OSUPDATE_REBOOT_ENV "WOLFPACK_REBOOT_COMMAND"

typedef struct wp_osupdate_opts {
    bool plan;                        /* print the plan, change nothing */
    bool abort;                       /* end the run in progress */
    bool force;                       /* take the lock from a dead holder */
    const char *command;              /* NULL: WP_OSUPDATE_DEFAULT_COMMAND (or the run's own) */
    const char *reboot;               /* auto | always | never (NULL: auto) */
    int max_failed;                   /* more failed nodes stop the run */
    long node_timeout_s;              /* the update command's limit on a node (0: the default) */
    const char *pre_hook, *post_hook; /* shell commands around the update on each node */
    int retries;                      /* a failed update tried again so many times */
    bool report;                      /* print the report (the run's so far, or the last) */
    bool json;                        /* the report as JSON */
} wp_osupdate_opts;

/* The update command's limit on a node when the run names none. */
#define WP_OSUPDATE_NODE_TIMEOUT_S 3600

/* Plan, run, resume or abort the update (osupdate.c). */
bool wp_osupdate(wp_app_cluster *c, const wp_osupdate_opts *o, wp_err *err);

/* Node tasks (osupdate_task.c): os-update {app, command} runs the command
 * here (WOLFPACK_NODE set, the install root's dpkg log read before and
 * after) and records {packages: ["PKG FROM -> TO"], reboot_required,
 * exit, output} under app.op
 * "os-update-NODE"; os-reboot {app} reboots this node a moment after it
 * reports done. */
bool wp_osupdate_task_update(wp_app_cluster *c, const json_t *args, wp_err *err);
bool wp_osupdate_task_reboot(wp_app_cluster *c, const json_t *args, wp_err *err);

/* The app.op key of node's result: "os-update-" + node in lower case, any
 * character an application name cannot have as '-'. */
void wp_osupdate_result_key(const char *node, char *out, size_t size);

/* The package changes of dpkg log text (lines "DATE TIME status installed
 * PKG:ARCH VERSION" and "DATE TIME upgrade|install|remove PKG OLD NEW") at
 * or after since ("YYYY-MM-DD HH:MM:SS"): [{package, from, to}] (caller
 * owns).  Exposed for the unit test. */
json_t *wp_osupdate_dpkg_changes(const char *log, const char *since);

/* The run in progress for `status` (osupdate_view.c), from its state
 * (app.op os-update), the application lock (app.lock.show) and the
 * cluster's status: {state: "running" | "stopped" | "stopped: the node
 * running it is down", runner, node, step (draining, updating, rebooting
 * if needed, waiting to rejoin, failing back), index, of, last_step_done,
 * done: [node], left: [node], failed: {node: reason}}; NULL without a
 * state.  Caller owns. */
json_t *wp_osupdate_progress(const json_t *st, const json_t *lock, const json_t *status);
/* The last run's outcome from its kept report (app.op os-update-report):
 * {state: "ended", finished_at, result, updated, failed, not_updated};
 * NULL without one. */
json_t *wp_osupdate_last(const json_t *kept);
/* What changed between two of the above (either NULL: none) as the event
 * lines of `status --watch` (without time and node): the run started or
 * resumed, the node or its step changed, a node failed, the run stopped,
 * or it ended with its result; an empty array when nothing did.  Caller
 * owns. */
json_t *wp_osupdate_changes(const json_t *old, const json_t *cur);
/* One of the two above as lines for `wolfpack status`. */
void wp_osupdate_status_print(const json_t *progress, FILE *out);
/* The report: per node its result, the time drained, the packages changed. */
void wp_osupdate_report_print(const json_t *nodes, FILE *out);

#endif
