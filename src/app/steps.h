/*
 * steps.h -- the one step runner of src/app: a resumable operation as a
 * table of steps, its progress in the replicated cluster database.
 *
 * `wolfpack app migrate` (migrate.c) and the rolling service pack
 * (rollout.c) are each a list of steps run in order.  A step is described
 * once (wp_app_step): its name, the node it acts on, its action, whether a
 * failure is retried.  The operation's state is one JSON object kept in
 * the cluster database under app.op {name, state}; the runner writes it
 * after every step ("step": the last one done, "summary": a sentence for
 * `wolfpack app show`), so when the node that runs the operation dies, the
 * next run -- there or, where the operation allows it, on another node --
 * goes on after the last recorded step.  A failing step stops the run with
 * its error (the state keeps the last step done: run again to resume, or
 * the operation's own rollback undoes it).  Every step must be idempotent:
 * a run killed after a step's work and before its record does it again.
 *
 * A new resumable operation is a new table of steps plus its state, like
 * the cluster-aware OS update (osupdate.c: drain, run a command, reboot,
 * wait healthy, resume, node by node); docs/APP.md, "The step runner".
 * The operations that must not overlap (rollout, cluster update) take the
 * cluster's application lock here too (wp_app_lock_take).
 */
#ifndef WP_APP_STEPS_H
#define WP_APP_STEPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "cluster.h"

typedef struct wp_app_run wp_app_run;

/* One step of an operation.  A table of them ends with {.name = NULL}. */
typedef struct wp_app_step {
    const char *name; /* recorded as done; $WOLFPACK_TEST_DIE_AT=NAME / NAME+ */
    /* The key of the state that names the node the step acts on: a string
     * (one node) or an array of them (NULL: the node running the
     * operation).  Used in the plan, retry messages, wp_app_step_node. */
    const char *node_key;
    /* What it does, for the plan (--plan): "%s" is replaced by the node(s). */
    const char *plan;
    /* The action: true when done (err untouched), false with err. */
    bool (*action)(wp_app_run *run, const struct wp_app_step *step, wp_err *err);
    /* Retried up to run->retries more times after a failure (each attempt
     * starts with a clear err); retry_fmt ("%s" the node, "%d of %d") is the
     * line printed before each retry (NULL: a generic one). */
    bool retry;
    const char *retry_fmt;
} wp_app_step;

/* One run of an operation.  The caller fills it; the runner never frees. */
struct wp_app_run {
    wp_app_cluster *c;
    const char *name;         /* the app.op key: the application's name */
    const wp_app_step *steps; /* the table */
    json_t *st;               /* the state (borrowed; the runner sets step, summary) */
    int retries;              /* for steps with retry */
    void *ctx;                /* the operation's own data, for its actions */
    int attempt, attempts;    /* set by the runner: this attempt (0..) of how many */
    /* The summary recorded with a step done (out holds size bytes). */
    void (*summary)(const wp_app_run *run, const char *done, char *out, size_t size);
};

/* The number of steps of a table. */
size_t wp_app_steps_count(const wp_app_step *steps);
/* The index of the step named name (-1: NULL or none: nothing done yet). */
int wp_app_steps_index(const wp_app_step *steps, const char *name);
/* The index of the last step done in the run's state (-1: none). */
int wp_app_steps_done(const wp_app_run *run);
/* The node a step acts on: the state's node_key when it is a string, else
 * the running node. */
const char *wp_app_step_node(const wp_app_run *run, const wp_app_step *step);

/* Print the plan from step index from on: "  K. PLAN" a line. */
void wp_app_steps_plan(const wp_app_run *run, int from, FILE *out);

/* The operation in progress on app (app.op.show): *st is its state (caller
 * owns) or NULL when none is recorded.  false: the daemon did not answer. */
bool wp_app_op_load(wp_app_cluster *c, const char *app, json_t **st, wp_err *err);
/* err: another operation (st, by its summary) is in progress on app;
 * todo says what to do first.  Always false. */
bool wp_app_op_busy(const char *app, const json_t *st, const char *todo, wp_err *err);

/* Record a new run's state (app.op) before its first step. */
bool wp_app_steps_begin(wp_app_run *run, wp_err *err);
/* Run every step after the last one done, in order, printing
 * "step K of N: NAME", recording the state after each.  false: a step
 * failed (err says why; the state keeps the last step done). */
bool wp_app_steps_run(wp_app_run *run, wp_err *err);
/* The operation is over: its state is deleted from the cluster database. */
bool wp_app_steps_end(wp_app_run *run, wp_err *err);

/* The cluster's application lock for an operation (rollout, cluster
 * update): held as "NODE:PID", kept in st as "holder"; op names the
 * operation for whoever finds it taken.  force takes it from another
 * holder (a dead run), saying so on c->out.  False with err when it is
 * taken.  wp_app_lock_release gives it back (no error: it is best effort). */
bool wp_app_lock_take(wp_app_cluster *c, json_t *st, const char *op, bool force, wp_err *err);
void wp_app_lock_release(wp_app_cluster *c, const json_t *st);

#endif
