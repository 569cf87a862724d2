/*
 * steps.c -- the one step runner of src/app (steps.h): runs a table of
 * steps in order after the last one recorded as done, writing the
 * operation's state (app.op) into the cluster database after each, with
 * per-step retries and the crash-injection test hook.  Used by `app
 * migrate` (migrate.c), the rolling service pack (rollout.c) and `cluster
 * update` (osupdate.c); the last two also take the cluster's application
 * lock here (wp_app_lock_take).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "steps.h"
#include "cluster_internal.h"
#include "../lib/json.h"

size_t wp_app_steps_count(const wp_app_step *steps)
{
    size_t n = 0;
    while (steps[n].name)
        n++;
    return n;
}

int wp_app_steps_index(const wp_app_step *steps, const char *name)
{
    for (int i = 0; name && steps[i].name; i++)
        if (strcmp(steps[i].name, name) == 0)
            return i;
    return -1;
}

int wp_app_steps_done(const wp_app_run *run)
{
    return wp_app_steps_index(run->steps, wp_json_str(run->st, "step"));
}

const char *wp_app_step_node(const wp_app_run *run, const wp_app_step *step)
{
    const char *node = step->node_key ? wp_json_str(run->st, step->node_key) : NULL;
    return node ? node : run->c->node;
}

/* The node(s) of a step for its plan: "a, b, c" for an array. */
static void nodes_text(const wp_app_run *run, const wp_app_step *s, char *out, size_t size)
{
    const json_t *v = s->node_key ? json_object_get(run->st, s->node_key) : NULL;
    out[0] = '\0';
    if (!json_is_array(v)) {
        snprintf(out, size, "%s", wp_app_step_node(run, s));
        return;
    }
    size_t i;
    json_t *n;
    json_array_foreach(v, i, n)
    {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%s%s", i ? ", " : "", json_string_value(n));
    }
}

void wp_app_steps_plan(const wp_app_run *run, int from, FILE *out)
{
    for (int k = from < 0 ? 0 : from; run->steps[k].name; k++) {
        char nodes[512], line[700];
        nodes_text(run, &run->steps[k], nodes, sizeof nodes);
        snprintf(line, sizeof line, run->steps[k].plan ? run->steps[k].plan : "%.0s(no plan)",
                 nodes);
        fprintf(out, "  %d. %s\n", k + 1, line);
    }
}

bool wp_app_op_load(wp_app_cluster *c, const char *app, json_t **st, wp_err *err)
{
    json_t *r = wp_app_call(c, "app.op.show", json_pack("{s:s}", "name", app), err);
    *st = json_is_object(r) ? r : NULL;
    if (!json_is_object(r))
        json_decref(r);
    return r != NULL;
}

bool wp_app_op_busy(const char *app, const json_t *st, const char *todo, wp_err *err)
{
    wp_errf(err, WP_E_CONFLICT, "another operation on %s is in progress", app);
    wp_err_why(err, "%s", wp_json_str(st, "summary") ? wp_json_str(st, "summary") : "?");
    wp_err_todo(err, "%s", todo);
    return false;
}

static bool save(wp_app_run *run, const char *done, wp_err *err)
{
    if (done) {
        char summary[512];
        run->summary(run, done, summary, sizeof summary);
        json_object_set_new(run->st, "step", json_string(done));
        json_object_set_new(run->st, "summary", json_string(summary));
    }
    return wp_app_change(run->c, "app.op",
                         json_pack("{s:s, s:O}", "name", run->name, "state", run->st), err);
}

bool wp_app_steps_begin(wp_app_run *run, wp_err *err)
{
    return save(run, NULL, err);
}

/* One step, with its retries. */
static bool run_one(wp_app_run *run, const wp_app_step *s, wp_err *err)
{
    int tries = s->retry && run->retries > 0 ? run->retries : 0;
    bool ok = false;
    run->attempts = tries + 1;
    for (int k = 0; !ok && k <= tries; k++) {
        run->attempt = k;
        if (k && s->retry_fmt)
            fprintf(run->c->out, s->retry_fmt, wp_app_step_node(run, s), k, tries);
        else if (k)
            fprintf(run->c->out, "  retrying step %s on %s (%d of %d)\n", s->name,
                    wp_app_step_node(run, s), k, tries);
        if (k)
            wp_err_clear(err); /* each attempt starts clean */
        ok = s->action(run, s, err);
    }
    return ok;
}

bool wp_app_steps_run(wp_app_run *run, wp_err *err)
{
    size_t n = wp_app_steps_count(run->steps);
    bool ok = true;
    for (size_t i = (size_t)(wp_app_steps_done(run) + 1); ok && i < n; i++) {
        const wp_app_step *s = &run->steps[i];
        fprintf(run->c->out, "step %zu of %zu: %s\n", i + 1, n, s->name);
        fflush(run->c->out);
        wp_app_test_die(s->name, false);
        ok = run_one(run, s, err);
        if (ok)
            wp_app_test_die(s->name, true);
        ok = ok && save(run, s->name, err);
    }
    return ok;
}

bool wp_app_steps_end(wp_app_run *run, wp_err *err)
{
    return wp_app_change(run->c, "app.op", json_pack("{s:s}", "name", run->name), err);
}

bool wp_app_lock_take(wp_app_cluster *c, json_t *st, const char *op, bool force, wp_err *err)
{
    char holder[128];
    snprintf(holder, sizeof holder, "%s:%d", c->node, (int)getpid());
    json_t *args =
        json_pack("{s:s, s:s, s:I}", "holder", holder, "op", op, "at", (json_int_t)time(NULL));
    if (force) {
        json_t *cur = wp_app_call(c, "app.lock.show", NULL, err);
        if (json_is_object(cur)) {
            json_object_set_new(args, "force", json_string(wp_json_str(cur, "holder")));
            fprintf(c->out, "warning: --force: taking the application lock from %s (%s)\n",
                    wp_json_str(cur, "holder"), wp_json_str(cur, "op"));
        }
        json_decref(cur);
    }
    json_object_set_new(st, "holder", json_string(holder));
    return wp_app_change(c, "app.lock", args, err);
}

void wp_app_lock_release(wp_app_cluster *c, const json_t *st)
{
    wp_app_change(c, "app.unlock", json_pack("{s:s}", "holder", wp_json_str(st, "holder")), NULL);
}
