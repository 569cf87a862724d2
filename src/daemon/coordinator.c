/*
 * coordinator.c -- the one node that decides: it runs the scheduler and
 * commits its decision as one sched.commit command (docs/EXECUTOR.md).
 *
 * The coordinator is the member with the lowest node id of a quorate,
 * synced partition (solo: the one node).  Every node computes that from its
 * own view, so there is no election: when the membership changes, the new
 * lowest member takes over at its next tick.  A tick (events.c) comes after
 * applied commands (once per loop pass), after membership changes and every
 * second.
 *
 * One run: wp_db_sched_input(up = the members) -> wp_sched_input_parse ->
 * wp_sched_run -> a sched.commit holding the actions, the decisions that
 * change something (owner, state, a failover, a consumed move request) and
 * `offline`: resources still recorded on nodes that are down.  Nothing to
 * change: nothing is sent.  No command storm:
 *   - one sched.commit in flight at a time (the next run waits for done());
 *   - a decision-only commit identical to the previous one is not sent again;
 *   - a commit with actions identical to the previous one is not sent again
 *     while the database has not changed since, nor within 2 s.
 * Before each run, recovery.c fences lost nodes that have fence devices,
 * and the groups of such a node are left out of the input until it is
 * proven down (docs/FENCING.md).  A node that does not coordinate calls
 * escalate.c's deputy tick: the next member by id fences a coordinator
 * whose own stop failed.
 * Every input that led to actions is kept in STATE_DIR/incidents/
 * <unix-ms>-v<version>.json (the last 200); `wpsched --summary FILE`
 * replays it.
 */
#include <dirent.h>
#include <errno.h>
#include <qb/qblog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../sched/sched.h"
#include "daemon.h"
#include "../lib/clock.h"
#include "../lib/json.h"

#define INCIDENTS_KEEP 200
#define SAME_ACTIONS_HOLD_MS 2000

struct wp_coord {
    wp_daemon *d;
    bool active;          /* this node coordinated at the last tick */
    bool inflight;        /* our sched.commit waits for its done() */
    int64_t inflight_ms;  /* monotonic ms it was sent: commit latency (dmetrics.c) */
    bool rerun;           /* a tick came while in flight */
    char *last_sig;       /* content of the last commit (without `at`) */
    int64_t last_version; /* database version once it was applied */
    uint64_t last_ms;     /* when it was sent (monotonic) */
};

wp_coord *wp_coord_new(wp_daemon *d)
{
    wp_coord *co = calloc(1, sizeof *co);

    if (co)
        co->d = d;
    return co;
}

void wp_coord_free(wp_coord *co)
{
    if (!co)
        return;
    free(co->last_sig);
    free(co);
}

bool wp_coord_active(const wp_daemon *d)
{
    if (!wp_view_ready(d) || d->view.n_members == 0)
        return false;
    for (size_t i = 0; i < d->view.n_members; i++)
        if (d->view.members[i] < d->view.local_id)
            return false;
    return wp_view_is_member(d, d->view.local_id);
}

/* ---- building the commit ------------------------------------------------ */

static const char *node_name(const wp_sched_input *in, int idx)
{
    return idx >= 0 && (size_t)idx < in->n_nodes ? in->nodes[idx].name : NULL;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static bool str_eq(const json_t *v, const char *s)
{
    const char *t = json_string_value(v);
    if (!t || !s)
        return !t && !s;
    return strcmp(t, s) == 0;
}

static bool group_has_actions(const wp_sched_output *out, size_t group)
{
    for (size_t i = 0; i < out->n_actions; i++)
        if (out->actions[i].group == group)
            return true;
    return false;
}

static json_t *decisions_json(const wp_sched_input *in, const wp_sched_output *out,
                              const json_t *groups, const bool *busy)
{
    json_t *list = json_array();

    for (size_t i = 0; i < out->n_decisions; i++) {
        const wp_sched_decision *dc = &out->decisions[i];
        if (busy[dc->group])
            continue;
        const char *gname = in->groups[dc->group].name;
        const char *owner = node_name(in, dc->owner_after);
        const char *state = wp_gstate_name(dc->state);
        const json_t *g = wp_json_find(groups, "name", gname);
        const json_t *move = g ? json_object_get(g, "move_to") : NULL;
        /* the database derives a group's state from its resources; only
         * "Failed" is the decision's own (a group left Failed) */
        bool failed_now = str_eq(json_object_get(g, "state"), "Failed");
        bool changes = !g || dc->failover || !str_eq(json_object_get(g, "owner"), owner) ||
                       failed_now != (dc->state == WP_GS_FAILED) || (move && !json_is_null(move)) ||
                       group_has_actions(out, dc->group);
        if (!changes)
            continue;
        json_array_append_new(list, json_pack("{s:s, s:o, s:b, s:s}", "group", gname, "owner",
                                              str_or_null(owner), "failover", dc->failover, "state",
                                              state));
    }
    return list;
}

static bool in_actions(const wp_sched_output *out, size_t resource)
{
    for (size_t i = 0; i < out->n_actions; i++)
        if (out->actions[i].resource == resource)
            return true;
    return false;
}

/* Resources still recorded on a node that is down (it released them). */
static json_t *offline_json(const wp_sched_input *in, const wp_sched_output *out)
{
    json_t *list = json_array();

    for (size_t i = 0; i < in->n_resources; i++) {
        const wp_sched_resource *r = &in->resources[i];
        if (r->state == WP_RS_OFFLINE || r->node < 0 || in->nodes[r->node].up || in_actions(out, i))
            continue;
        json_array_append_new(list, json_string(r->name));
    }
    return list;
}

static json_t *actions_json(const wp_sched_input *in, const wp_sched_output *out, const bool *busy,
                            size_t *count)
{
    json_t *list = json_array();

    *count = 0;
    for (size_t i = 0; i < out->n_actions; i++) {
        const wp_sched_action *a = &out->actions[i];
        if (busy[a->group])
            continue;
        ++*count;
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:o}", "action",
                                              wp_sched_verb_name(a->verb), "resource",
                                              in->resources[a->resource].name, "group",
                                              in->groups[a->group].name, "node",
                                              str_or_null(node_name(in, a->node))));
    }
    return list;
}

/* ---- incidents ------------------------------------------------------------ */

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void incidents_prune(const char *dir)
{
    DIR *dp = opendir(dir);
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;

    if (!dp)
        return;
    while ((e = readdir(dp)) != NULL) {
        if (!strstr(e->d_name, ".json"))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            char **nn = realloc(names, ncap * sizeof *nn);
            if (!nn)
                break;
            names = nn;
            cap = ncap;
        }
        names[n] = strdup(e->d_name);
        if (names[n])
            n++;
    }
    closedir(dp);
    qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i + INCIDENTS_KEEP < n; i++) {
        char path[4600];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (unlink(path) != 0)
            qb_log(LOG_DEBUG, "cannot remove %s: %s", path, strerror(errno));
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

static void incident_record(wp_daemon *d, const json_t *input, int64_t version)
{
    char dir[4200], path[4400];

    snprintf(dir, sizeof dir, "%s/incidents", d->opts.state_dir);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        qb_log(LOG_WARNING, "cannot create %s: %s", dir, strerror(errno));
        return;
    }
    snprintf(path, sizeof path, "%s/%lld-v%lld.json", dir, (long long)wp_clock_wall_ms(),
             (long long)version);
    if (json_dump_file(input, path, JSON_INDENT(1) | JSON_SORT_KEYS) != 0)
        qb_log(LOG_WARNING, "cannot write the incident %s", path);
    incidents_prune(dir);
}

/* ---- one run -------------------------------------------------------------- */

static long tz_offset(time_t now)
{
    struct tm tm;

    return localtime_r(&now, &tm) ? tm.tm_gmtoff : 0;
}

static void on_commit_done(void *cookie, const wp_err *err, int64_t version)
{
    wp_daemon *d = cookie;
    wp_coord *co = d->coord;

    if (!co)
        return;
    co->inflight = false;
    co->last_version = version;
    if (!err)
        wp_dm_commit(&d->metrics, wp_clock_ms() - co->inflight_ms);
    if (err) {
        wp_log_err(LOG_WARNING, "sched.commit refused", err);
        free(co->last_sig); /* let the same decision be tried again */
        co->last_sig = NULL;
    }
    if (co->rerun) {
        co->rerun = false;
        wp_events_kick(d);
    }
}

/* Is this commit worth sending?  (the storm guard, see the header) */
static bool worth_sending(wp_coord *co, const char *sig, bool work)
{
    if (!co->last_sig || strcmp(co->last_sig, sig) != 0)
        return true;
    if (!work)
        return false;
    if (wp_db_version(co->d->db) == co->last_version)
        return false;
    return wp_clock_ms() - co->last_ms >= SAME_ACTIONS_HOLD_MS;
}

static void log_run(const wp_sched_input *in, const wp_sched_output *out, const bool *busy)
{
    for (size_t i = 0; i < out->n_decisions; i++) {
        const wp_sched_decision *dc = &out->decisions[i];
        if (busy[dc->group])
            continue;
        if (dc->owner_before != dc->owner_after || dc->failover)
            qb_log(LOG_NOTICE, "coordinator: group %s: %s", in->groups[dc->group].name, dc->reason);
    }
    for (size_t i = 0; i < out->n_actions; i++) {
        const wp_sched_action *a = &out->actions[i];
        if (busy[a->group])
            continue;
        qb_log(LOG_INFO, "coordinator: %s %s on %s (%s)", wp_sched_verb_name(a->verb),
               in->resources[a->resource].name,
               node_name(in, a->node) ? node_name(in, a->node) : "-", a->reason);
    }
}

/* The commit's content (decisions, actions, offline) without the groups
 * whose plan still runs; NULL when it would change nothing. */
static json_t *commit_content(wp_daemon *d, const wp_sched_input *in, const wp_sched_output *out,
                              bool *busy, size_t *n_actions, bool *work)
{
    wp_err err = {0};
    json_t *groups = wp_db_group_list(d->db, &err);

    /* a group whose last plan still runs somewhere is left alone: the
     * reports of that plan would otherwise look like news to the scheduler */
    for (size_t g = 0; g < in->n_groups; g++)
        busy[g] = wp_exec_group_busy(d, in->groups[g].name);
    json_t *content =
        json_pack("{s:o, s:o, s:o}", "decisions", decisions_json(in, out, groups, busy), "actions",
                  actions_json(in, out, busy, n_actions), "offline", offline_json(in, out));
    json_decref(groups);
    *work = *n_actions > 0 || json_array_size(json_object_get(content, "offline")) > 0;
    if (content && !*work && json_array_size(json_object_get(content, "decisions")) == 0) {
        json_decref(content);
        content = NULL;
    }
    return content;
}

static void submit(wp_daemon *d, const wp_sched_input *in, const wp_sched_output *out,
                   const json_t *input)
{
    wp_coord *co = d->coord;
    wp_err err = {0};
    bool *busy = calloc(in->n_groups + 1, sizeof *busy);
    size_t n_actions = 0;
    bool work = false;
    json_t *content = busy ? commit_content(d, in, out, busy, &n_actions, &work) : NULL;
    char *sig = content ? json_dumps(content, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    int64_t version = wp_db_version(d->db);

    if (!sig || !worth_sending(co, sig, work)) {
        free(busy);
        free(sig);
        json_decref(content);
        return;
    }
    json_object_set_new(content, "at", json_integer(in->now));
    json_object_set_new(content, "coordinator", json_string(d->view.local_name));
    json_t *cmd = json_pack("{s:s, s:o}", "op", "sched.commit", "args", content);
    free(co->last_sig);
    co->last_sig = sig;
    co->last_ms = wp_clock_ms();
    co->inflight = true;
    co->inflight_ms = wp_clock_ms();
    log_run(in, out, busy);
    free(busy);
    if (!wp_repl_submit(d->repl, cmd, on_commit_done, d, &err)) {
        co->inflight = false;
        free(co->last_sig);
        co->last_sig = NULL;
        wp_log_err(LOG_WARNING, "coordinator: cannot send sched.commit (the next tick retries)",
                   &err);
    } else {
        qb_log(LOG_INFO, "coordinator: sched.commit sent %llu ms after the last view change",
               (unsigned long long)(wp_clock_ms() - d->view_changed_ms));
        if (n_actions > 0)
            incident_record(d, input, version);
    }
    json_decref(cmd);
}

static void run(wp_daemon *d)
{
    time_t now = time(NULL);
    wp_err err = {0};
    json_t *input = wp_db_sched_input(d->db, d->view.members, d->view.n_members, (int64_t)now,
                                      tz_offset(now), &err);
    wp_sched_input *in;
    wp_sched_output out = {0};

    if (!input) {
        wp_log_err(LOG_ERR, "coordinator: cannot build the scheduler input", &err);
        return;
    }
    wp_recovery_filter(d, input); /* groups of a lost, unfenced node stay put */
    in = wp_sched_input_parse(input, &err);
    if (!in) {
        wp_log_err(LOG_ERR, "coordinator: the scheduler refused its input", &err);
        json_decref(input);
        return;
    }
    wp_escalate_check(d, in); /* a failed stop: fence its node (escalate.c) */
    if (wp_sched_run(in, &out, &err))
        submit(d, in, &out, input);
    else
        wp_log_err(LOG_ERR, "coordinator: the scheduler failed", &err);
    wp_sched_output_free(&out);
    wp_sched_input_free(in);
    json_decref(input);
}

void wp_coord_tick(wp_daemon *d)
{
    wp_coord *co = d->coord;
    bool active = wp_coord_active(d);

    if (!co)
        return;
    if (active != co->active)
        qb_log(LOG_NOTICE,
               active ? "this node (%s) is now the coordinator"
                      : "this node (%s) no longer coordinates",
               d->view.local_name);
    co->active = active;
    if (!active) {
        wp_escalate_deputy_tick(d); /* the coordinator's failed stop (escalate.c) */
        return;
    }
    wp_recovery_tick(d); /* fence lost nodes (recovery.c) */
    if (co->inflight) {
        co->rerun = true;
        return;
    }
    run(d);
}
