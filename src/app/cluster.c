/*
 * cluster.c -- the clustered half of `wolfpack app` (cluster.h): talking
 * to wolfpackd, the clustered install, submitting and waiting for node
 * tasks, and the helpers the service pack (sp.c, rollout.c, upgrade.c)
 * and the node tasks (tasks.c) share.  It calls none of them: tasks.c's
 * table is what runs a node task here.
 *
 * A clustered install (docs/APP.md) checks the group by class
 * (qualify.c), needs this node to own the group (its disk is mounted
 * here), copies the program files here, creates the databases on the
 * group's disk, registers the record in the cluster database (app.register,
 * app.node), creates one Generic Service resource per kit service with its
 * dependencies, and asks every other node for the program files with a node
 * task (app.task; the node's wolfpackd starts the node-task entry point,
 * which calls wp_app_task_run (tasks.c) and answers app.task.done).
 *
 * Wherever the program files of a kit are put on a node, the programs of
 * its services that say `user: root` are added to the node's root-owned
 * allow-list (src/lib/rootlist.h), by this root process, and only when the
 * kit directory is root's and nobody else may write it: the entries come
 * from the kit on disk, never from the cluster database, so a compromised
 * unprivileged wolfpackd cannot choose them (docs/SECURITY.md).
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cluster.h"
#include "cluster_internal.h"
#include "../lib/fs.h"
#include "../lib/clock.h"
#include "../lib/json.h"
#include "../lib/rootlist.h"

/* ---- talking to wolfpackd ------------------------------------------------------ */

json_t *wp_app_call(wp_app_cluster *c, const char *op, json_t *args, wp_err *err)
{
    return wp_client_call(c->client, op, args, NULL, err);
}

bool wp_app_change(wp_app_cluster *c, const char *op, json_t *args, wp_err *err)
{
    json_t *r = wp_app_call(c, op, args, err);
    json_decref(r);
    return r != NULL;
}

bool wp_app_cluster_open(wp_app_cluster *c, const wp_app_env *env, const char *socket_path,
                         wp_err *err)
{
    memset(c, 0, sizeof *c);
    c->env = env;
    c->out = stdout;
    c->tty = isatty(0) && isatty(1);
    snprintf(c->socket_path, sizeof c->socket_path, "%s", wp_client_socket_path(socket_path));
    c->client = wp_client_connect(c->socket_path, err);
    if (!c->client)
        return false;
    json_t *st = wp_app_call(c, "status", NULL, err);
    if (!st) {
        wp_app_cluster_close(c);
        return false;
    }
    const char *tr = wp_json_str(st, "transport");
    c->corosync = tr && strcmp(tr, "corosync") == 0;
    json_int_t id = json_integer_value(json_object_get(st, "local_node_id"));
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(st, "nodes"), i, n)
    {
        if (json_integer_value(json_object_get(n, "id")) == id)
            snprintf(c->node, sizeof c->node, "%s", wp_json_str(n, "name"));
    }
    json_decref(st);
    if (!c->node[0]) {
        wp_errf(err, WP_E_UNAVAILABLE, "this node is not named in the cluster database yet");
        wp_err_why(err, "wolfpackd knows no node with this node's id");
        wp_err_todo(err, "wait until the node has joined (wolfpack status), then retry");
        wp_app_cluster_close(c);
        return false;
    }
    return true;
}

void wp_app_cluster_close(wp_app_cluster *c)
{
    wp_client_close(c->client);
    wp_client_close(c->watch);
    c->client = NULL;
    c->watch = NULL;
}

static json_t *resources_of(wp_app_cluster *c, const char *group, wp_err *err)
{
    return wp_app_call(c, "resource.list", json_pack("{s:s}", "group", group), err);
}

json_t *wp_app_group_assess_one(wp_app_cluster *c, const char *group, wp_err *err)
{
    json_t *g = wp_app_call(c, "group.show", json_pack("{s:s}", "name", group), err);
    json_t *res = g ? resources_of(c, wp_json_str(g, "name"), err) : NULL;
    json_t *a = res ? wp_app_group_assess(g, res) : NULL;
    json_decref(g);
    json_decref(res);
    return a;
}

json_t *wp_app_groups_assess(wp_app_cluster *c, wp_err *err)
{
    json_t *groups = wp_app_call(c, "group.list", NULL, err);
    if (!groups)
        return NULL;
    json_t *out = json_array();
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        json_t *a = wp_app_group_assess_one(c, wp_json_str(g, "name"), err);
        if (!a) {
            json_decref(out);
            out = NULL;
            break;
        }
        json_array_append_new(out, a);
    }
    json_decref(groups);
    return out;
}

json_t *wp_app_qualifying(const json_t *assessments)
{
    json_t *names = json_array();
    size_t i;
    json_t *a;
    json_array_foreach(assessments, i, a) if (json_is_true(json_object_get(a, "qualifies")))
        json_array_append_new(names, json_string(wp_json_str(a, "group")));
    return names;
}

/* ---- TEST HOOK: crash injection (cluster_internal.h) ------------------------------- */

#ifndef WP_NO_TEST_HOOKS
void wp_app_test_die(const char *step, bool after)
{
    const char *at = getenv("WOLFPACK_TEST_DIE_AT");
    if (!at)
        return;
    size_t n = strlen(step);
    if (strncmp(at, step, n) == 0 && ((after && strcmp(at + n, "+") == 0) || (!after && !at[n]))) {
        fprintf(stderr, "WOLFPACK_TEST_DIE_AT=%s: dying here\n", at);
        _exit(137);
    }
}
#endif

/* ---- files on this node ------------------------------------------------------------ */

/* The program of a root service as it is on this node: its command's
 * first word with ${root} expanded; NULL when it has another variable. */
static char *root_program(const wp_app_env *env, const wp_kit_service *s)
{
    const char *w = s->command[0];
    char out[4096];
    if (strncmp(w, "${root}/", 8) == 0)
        snprintf(out, sizeof out, "%s%s", env->root, w + 7);
    else
        snprintf(out, sizeof out, "%s", w);
    return out[0] == '/' && !strchr(out, '$') ? strdup(out) : NULL;
}

/* Add the programs of the kit's root services to this node's allow-list
 * ($WOLFPACK_ROOT_SERVICES, default WP_ROOTLIST_DIR), file kit-NAME; only
 * as root, only from a trusted kit directory (a warning otherwise: the
 * executor then refuses those services, saying what to list). */
static bool allow_root_services(const wp_app_env *env, const wp_kit *kit, wp_err *err)
{
    const char *dir = getenv("WOLFPACK_ROOT_SERVICES");
    char *list[64], why[600] = "", file[200];
    size_t n = 0;
    for (size_t i = 0; i < kit->nservices && n < 64; i++)
        if (kit->services[i].user && strcmp(kit->services[i].user, "root") == 0 &&
            (list[n] = root_program(env, &kit->services[i])) != NULL)
            n++;
    bool ok = true;
    if (n > 0 && geteuid() == 0 && !wp_rootlist_path_trusted(kit->path, why, sizeof why))
        fprintf(stderr,
                "wolfpack: warning: the root services of kit %s are not added to the "
                "allow-list of root services: %s\n",
                kit->name, why);
    else if (n > 0 && geteuid() == 0) {
        snprintf(file, sizeof file, "kit-%s", kit->name);
        ok = wp_rootlist_write(dir && dir[0] == '/' ? dir : WP_ROOTLIST_DIR, file,
                               (const char *const *)list, n, err);
    }
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    return ok;
}

bool wp_app_put_program_files(const wp_app_env *env, const wp_kit *kit, wp_err *err)
{
    for (size_t i = 0; i < kit->nfiles; i++)
        if (!wp_app_put_kit_file(env, kit, i, err))
            return false;
    return allow_root_services(env, kit, err);
}

bool wp_app_create_databases(const wp_kit *kit, const json_t *record, json_t *notes, wp_err *err)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(record, "databases"), i, d)
    {
        const char *name = wp_json_str(d, "name");
        bool created;
        if (!wp_app_db_create(kit, wp_kit_db_find(kit, name), name, wp_json_str(d, "path"), notes,
                              &created, err))
            return false;
    }
    return true;
}

/* Is path a mount point (its device differs from its parent's)? */
static bool is_mount_point(const char *path)
{
    struct stat here, up;
    char parent[PATH_MAX];
    snprintf(parent, sizeof parent, "%s/..", path);
    return stat(path, &here) == 0 && stat(parent, &up) == 0 &&
           (here.st_dev != up.st_dev || here.st_ino == up.st_ino);
}

/* wp_app_wait_for: something is mounted at the mount point (ctx), said once. */
typedef struct mount_wait {
    const char *mountpoint;
    bool said;
} mount_wait;

static int mounted(wp_app_cluster *c, void *ctx, wp_err *err)
{
    mount_wait *m = ctx;
    if (is_mount_point(m->mountpoint))
        return 1;
    if (!m->said)
        fprintf(c->out, "  waiting for the group's disk to be mounted at %s\n", m->mountpoint);
    m->said = true;
    return 0;
}

bool wp_app_disk_ready(wp_app_cluster *c, const char *mountpoint, wp_err *err)
{
    mount_wait m = {.mountpoint = mountpoint};
    if (wp_app_wait_for(c, mounted, &m, wp_app_task_timeout_s() * 1000, err) > 0)
        return true;
    wp_errf(err, WP_E_UNAVAILABLE, "the group's disk is not mounted at %s on %s", mountpoint,
            c->node);
    wp_err_why(err, "nothing is mounted there; databases written now would land on this node's "
                    "own file system, under the mount point");
    wp_err_todo(err, "check the group's Physical Disk (wolfpack status), then run the command "
                     "again");
    return false;
}

/* The disk's mount point of a clustered record: a database's path minus
 * its clustered part, into out ("" when it has no database). */
void wp_app_record_mount(const json_t *rec, char *out, size_t size)
{
    const json_t *d0 = json_array_get(json_object_get(rec, "databases"), 0);
    out[0] = '\0';
    const char *path = wp_json_str(d0, "path"), *rel = wp_json_str(d0, "clustered");
    if (!path || !rel)
        return;
    size_t pl = strlen(path), rl = strlen(rel);
    if (pl > rl + 1)
        snprintf(out, size, "%.*s", (int)(pl - rl - 1), path);
}

/* Every database of a clustered record is on a mounted disk. */
bool wp_app_record_disk_ready(wp_app_cluster *c, const json_t *rec, wp_err *err)
{
    char mount[PATH_MAX];
    wp_app_record_mount(rec, mount, sizeof mount);
    return !mount[0] || wp_app_disk_ready(c, mount, err);
}

/* This node's copy of a cluster record: node = this node, installed now. */
bool wp_app_save_local_copy(wp_app_cluster *c, const json_t *record, wp_err *err)
{
    json_t *copy = json_deep_copy(record);
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(copy, "node", json_string(c->node));
    json_object_set_new(copy, "installed_at", json_string(when));
    json_object_del(copy, "nodes");
    json_object_del(copy, "operation");
    bool ok = wp_app_record_save(c->env, copy, err);
    json_decref(copy);
    return ok;
}

/* ---- node tasks ------------------------------------------------------------------------ */

long wp_app_task_timeout_s(void)
{
    const char *t = getenv(WP_APP_TASK_TIMEOUT_ENV);
    long v = t ? strtol(t, NULL, 10) : 0;
    return v > 0 ? v : WP_APP_TASK_TIMEOUT_DEFAULT;
}

/* The watch stream, opened once per run (NULL: it cannot be had). */
static wp_client *watch_stream(wp_app_cluster *c)
{
    if (c->watch)
        return c->watch;
    wp_err ignored = {0};
    c->watch = wp_client_connect(c->socket_path, &ignored);
    if (c->watch && !wp_client_watch(c->watch, &ignored)) {
        wp_client_close(c->watch);
        c->watch = NULL;
    }
    return c->watch;
}

/* Wait up to ms for an event (or sleep a little without a stream). */
static void wait_event(wp_app_cluster *c, long ms)
{
    wp_client *w = watch_stream(c);
    wp_err ignored = {0};
    if (w && wp_client_watch_wait(w, ms, &ignored) >= 0)
        return;
    if (w) { /* the stream ended (a restarting daemon): a new one next time */
        wp_client_close(c->watch);
        c->watch = NULL;
    }
    wp_clock_sleep_ms(ms < 200 ? ms : 200);
}

int wp_app_wait_for(wp_app_cluster *c, wp_app_ready_fn ready, void *ctx, long limit_ms, wp_err *err)
{
    int64_t start = wp_clock_ms();
    int r = ready(c, ctx, err);
    if (r != 0) /* most waits end here, without a watch stream */
        return r;
    watch_stream(c); /* then look again: no change between a look and the wait is missed */
    for (;;) {
        r = ready(c, ctx, err);
        if (r != 0)
            return r;
        long left = limit_ms - (long)(wp_clock_ms() - start);
        if (left <= 0)
            return 0;
        wait_event(c, left < WP_APP_WAIT_RECHECK_MS ? left : WP_APP_WAIT_RECHECK_MS);
    }
}

/* Nodes of the cluster other than this one, with "up" from the members. */
static json_t *other_nodes(wp_app_cluster *c, wp_err *err)
{
    json_t *st = wp_app_call(c, "status", NULL, err);
    if (!st)
        return NULL;
    json_t *out = json_array();
    size_t i, j;
    json_t *n, *m;
    json_array_foreach(json_object_get(st, "nodes"), i, n)
    {
        if (strcasecmp(wp_json_str(n, "name"), c->node) == 0)
            continue;
        bool up = false;
        json_array_foreach(json_object_get(st, "members"), j, m) up =
            up || json_integer_value(m) == json_integer_value(json_object_get(n, "id"));
        json_array_append_new(out,
                              json_pack("{s:s, s:b}", "name", wp_json_str(n, "name"), "up", up));
    }
    json_decref(st);
    return out;
}

/* wp_app_wait_for: node task ctx->id is no longer pending (ctx->done). */
typedef struct task_watch {
    const char *id;
    json_t *done;
} task_watch;

static int task_over(wp_app_cluster *c, void *ctx, wp_err *err)
{
    task_watch *w = ctx;
    json_t *t = wp_app_call(c, "app.task.show", json_pack("{s:s}", "id", w->id), err);
    if (!t)
        return -1;
    if (strcmp(wp_json_str(t, "state"), "pending") == 0) {
        json_decref(t);
        return 0;
    }
    w->done = t;
    return 1;
}

/* Wait until a task is no longer pending; its final object, or NULL. */
static json_t *task_wait(wp_app_cluster *c, const char *id, long deadline_s, wp_err *err)
{
    task_watch w = {.id = id};
    int r = wp_app_wait_for(c, task_over, &w, deadline_s * 1000, err);
    if (r == 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "node task %s did not finish within %ld s", id, deadline_s);
        wp_err_why(err,
                   "the node's wolfpackd runs it with `wolfpack-task %s`; it "
                   "has not answered",
                   id);
        wp_err_todo(err,
                    "check the node's wolfpackd and STATE_DIR/agents.log there; the "
                    "task (%s) stays pending and runs when that node's wolfpackd "
                    "starts; then run the same command again",
                    id);
    }
    return r > 0 ? w.done : NULL;
}

bool wp_app_tasks_everywhere(wp_app_cluster *c, const char *app, const char *kind, json_t *args,
                             wp_err *err)
{
    json_t *nodes = other_nodes(c, err);
    if (!nodes) {
        json_decref(args);
        return false;
    }
    json_t *ids = json_array();
    bool ok = true;
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        char id[128];
        snprintf(id, sizeof id, "%s-%s-%s-%lld-%d-%u", app, kind, wp_json_str(n, "name"),
                 (long long)time(NULL), (int)getpid(), ++c->task_seq);
        ok = wp_app_change(c, "app.task",
                           json_pack("{s:s, s:s, s:s, s:O}", "id", id, "node",
                                     wp_json_str(n, "name"), "kind", kind, "args", args),
                           err);
        if (!ok)
            break;
        json_array_append_new(ids,
                              json_pack("{s:s, s:s, s:b}", "id", id, "node", wp_json_str(n, "name"),
                                        "up", json_is_true(json_object_get(n, "up"))));
    }
    json_t *t;
    json_array_foreach(ids, i, t)
    {
        if (!ok)
            break;
        if (!json_is_true(json_object_get(t, "up"))) {
            fprintf(c->out, "  node %s is down: it runs task %s when its wolfpackd starts again\n",
                    wp_json_str(t, "node"), wp_json_str(t, "id"));
            continue;
        }
        json_t *done = task_wait(c, wp_json_str(t, "id"), wp_app_task_timeout_s(), err);
        ok = done != NULL;
        if (ok && strcmp(wp_json_str(done, "state"), "ok") != 0) {
            wp_errf(err, WP_E_IO, "node %s could not do its part (%s)", wp_json_str(t, "node"),
                    kind);
            wp_err_why(err, "%s",
                       wp_json_str(done, "error") ? wp_json_str(done, "error") : "no reason given");
            wp_err_todo(err, "fix that node, then run the command again (it is safe to repeat)");
            ok = false;
        } else if (ok) {
            fprintf(c->out, "  node %s: done (%s)\n", wp_json_str(t, "node"), kind);
        }
        json_decref(done);
    }
    json_decref(ids);
    json_decref(nodes);
    json_decref(args);
    return ok;
}

/* Commit an app.task for node under a new id (written to id). */
static bool task_submit(wp_app_cluster *c, const char *node, const char *app, const char *kind,
                        const json_t *args, char *id, size_t size, wp_err *err)
{
    snprintf(id, size, "%s-%s-%s-%lld-%d-%u", app, kind, node, (long long)time(NULL), (int)getpid(),
             ++c->task_seq);
    return wp_app_change(
        c, "app.task",
        json_pack("{s:s, s:s, s:s, s:O}", "id", id, "node", node, "kind", kind, "args", args), err);
}

json_t *wp_app_task_output(wp_app_cluster *c, const char *node, const char *app, const char *kind,
                           const json_t *args, long limit_s, wp_err *err)
{
    char id[128];
    if (!task_submit(c, node, app, kind, args, id, sizeof id, err))
        return NULL;
    return task_wait(c, id, limit_s, err);
}

bool wp_app_task_on(wp_app_cluster *c, const char *node, const char *app, const char *kind,
                    const json_t *args, wp_err *err)
{
    return wp_app_task_on_for(c, node, app, kind, args, wp_app_task_timeout_s(), err);
}

bool wp_app_task_on_for(wp_app_cluster *c, const char *node, const char *app, const char *kind,
                        const json_t *args, long limit_s, wp_err *err)
{
    char id[128];
    if (!task_submit(c, node, app, kind, args, id, sizeof id, err))
        return false;
    json_t *done = task_wait(c, id, limit_s, err);
    bool ok = done && strcmp(wp_json_str(done, "state"), "ok") == 0;
    if (done && !ok) {
        wp_errf(err, WP_E_IO, "node %s could not do its part (%s)", node, kind);
        wp_err_why(err, "%s",
                   wp_json_str(done, "error") ? wp_json_str(done, "error") : "no reason given");
        wp_err_todo(err, "fix that node, then run the command again (it is safe to repeat)");
    }
    json_decref(done);
    return ok;
}

/* ---- resources --------------------------------------------------------------------- */

/* wp_app_wait_for: every resource of names is in state want. */
typedef struct resources_watch {
    const json_t *names;
    const char *want;
} resources_watch;

static int resources_there(wp_app_cluster *c, void *ctx, wp_err *err)
{
    const resources_watch *w = ctx;
    bool all = true;
    size_t i;
    json_t *nm;
    json_array_foreach(w->names, i, nm)
    {
        json_t *r =
            wp_app_call(c, "resource.show", json_pack("{s:s}", "name", json_string_value(nm)), err);
        if (!r)
            return -1;
        all = all && strcmp(wp_json_str(r, "state"), w->want) == 0;
        json_decref(r);
    }
    return all;
}

/* Set the resources' target and wait until each reaches want. */
bool wp_app_resources_to(wp_app_cluster *c, const json_t *names, bool online, wp_err *err)
{
    const char *want = online ? "Online" : "Offline";
    size_t n = json_array_size(names);
    for (size_t k = 0; k < n; k++) {
        size_t i = online ? k : n - 1 - k;
        const char *name = json_string_value(json_array_get(names, i));
        if (!wp_app_change(c, online ? "resource.online" : "resource.offline",
                           json_pack("{s:s}", "name", name), err))
            return false;
    }
    resources_watch w = {.names = names, .want = want};
    int r = wp_app_wait_for(c, resources_there, &w, wp_app_task_timeout_s() * 1000, err);
    if (r == 0) {
        wp_errf(err, WP_E_UNAVAILABLE, "the application's resources did not become %s", want);
        wp_err_why(err, "waited %ld s", wp_app_task_timeout_s());
        wp_err_todo(err, "see wolfpack status and the resources' last errors");
    }
    return r > 0;
}

/* Offline and delete resources (dependents first); missing ones are fine. */
bool wp_app_delete_resources(wp_app_cluster *c, const json_t *names, wp_err *err)
{
    json_t *there = json_array();
    size_t i;
    json_t *nm;
    json_array_foreach(names, i, nm)
    {
        json_t *r = wp_app_call(c, "resource.show",
                                json_pack("{s:s}", "name", json_string_value(nm)), NULL);
        if (r)
            json_array_append(there, nm);
        json_decref(r);
    }
    bool ok = wp_app_resources_to(c, there, false, err);
    for (size_t k = json_array_size(there); ok && k-- > 0;)
        ok = wp_app_change(c, "resource.delete",
                           json_pack("{s:s}", "name", json_string_value(json_array_get(there, k))),
                           err);
    json_decref(there);
    return ok;
}

/* ---- the clustered install ---------------------------------------------------------- */

/* The assessment of group, refusing (with the article's message) when it
 * does not qualify.  Caller owns. */
/* Lacks nothing but being online, while the cluster is bringing it
 * online (target online: pending, a resource restarting, a failed group
 * the coordinator recovers): worth waiting for, within a bound. */
static bool only_coming_online(const json_t *a)
{
    const char *target = wp_json_str(a, "target");
    return json_array_size(json_object_get(a, "missing")) == 1 && target &&
           strcmp(target, "online") == 0;
}

/* wp_app_wait_for: the group's assessment (ctx->a) is not only coming
 * online (said once while it is). */
typedef struct group_watch {
    const char *group;
    json_t *a;
} group_watch;

static int group_settled(wp_app_cluster *c, void *ctx, wp_err *err)
{
    group_watch *w = ctx;
    bool first = !w->a;
    json_decref(w->a);
    w->a = wp_app_group_assess_one(c, w->group, err);
    if (!w->a)
        return -1;
    if (!only_coming_online(w->a))
        return 1;
    if (first)
        fprintf(c->out, "  waiting for group %s to be Online (it is %s)\n",
                wp_json_str(w->a, "group"), wp_json_str(w->a, "state"));
    return 0;
}

json_t *wp_app_group_checked(wp_app_cluster *c, const char *group, wp_err *err)
{
    group_watch w = {.group = group};
    wp_app_wait_for(c, group_settled, &w, wp_app_task_timeout_s() * 1000, err);
    json_t *a = w.a; /* NULL: err; else qualifies, or not (any more) worth waiting for */
    if (!a || json_is_true(json_object_get(a, "qualifies")))
        return a;
    json_t *all = wp_app_groups_assess(c, err);
    json_t *q = all ? wp_app_qualifying(all) : json_array();
    wp_app_print_not_qualified(c->out, a, q);
    json_decref(all);
    json_decref(q);
    wp_errf(err, WP_E_CONFLICT, "group %s cannot hold a clustered application",
            wp_json_str(a, "group"));
    wp_err_why(err, "it lacks what is listed above");
    wp_err_todo(err, "choose a group that qualifies, or add the missing resources to it");
    json_decref(a);
    return NULL;
}

/* This node must own the group: its disk is mounted only on the owner. */
bool wp_app_must_own(wp_app_cluster *c, const json_t *a, wp_err *err)
{
    const char *owner = wp_json_str(a, "owner");
    if (owner && strcasecmp(owner, c->node) == 0)
        return true;
    wp_errf(err, WP_E_CONFLICT, "this node (%s) does not own group %s", c->node,
            wp_json_str(a, "group"));
    wp_err_why(err,
               "the group's disk %s is mounted on its owner (%s) only, and the databases "
               "must be reached there",
               wp_json_str(a, "disk") ? wp_json_str(a, "disk") : "?", owner ? owner : "none");
    wp_err_todo(err, "move the group here first: wolfpack group move '%s' --to %s",
                wp_json_str(a, "group"), c->node);
    return false;
}

static bool mountpoint_known(const json_t *a, wp_err *err)
{
    if (wp_json_str(a, "mountpoint"))
        return true;
    wp_errf(err, WP_E_CONFLICT, "the storage resource %s of group %s has no mount point",
            wp_json_str(a, "disk"), wp_json_str(a, "group"));
    wp_err_why(err, "an application's databases are files below the disk's mountpoint property");
    wp_err_todo(err, "use a group with a Physical Disk (its mountpoint property)");
    return false;
}

/* Resource depends_on for a service of a record. */
static json_t *service_deps(const char *app, const json_t *svc, const json_t *a)
{
    json_t *deps = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(svc, "depends_on"), i, d)
    {
        const char *dep = json_string_value(d);
        const char *res = strcmp(dep, WP_KIT_DEP_ADDRESS) == 0 ? wp_json_str(a, "address")
                          : strcmp(dep, WP_KIT_DEP_NAME) == 0  ? wp_json_str(a, "name")
                          : strcmp(dep, WP_KIT_DEP_DISK) == 0  ? wp_json_str(a, "disk")
                                                               : NULL;
        char name[128];
        if (!res) {
            wp_app_resource_name(app, dep, name, sizeof name);
            res = name;
        }
        json_array_append_new(deps, json_string(res));
    }
    return deps;
}

json_t *wp_app_service_props(const json_t *svc)
{
    char *cmd = wp_app_argv_join(json_object_get(svc, "command"));
    json_t *check = json_object_get(svc, "check");
    char *chk = json_is_array(check) ? wp_app_argv_join(check) : NULL;
    json_t *props = json_pack("{s:s}", "command", cmd);
    if (chk)
        json_object_set_new(props, "check_command", json_string(chk));
    if (wp_json_str(svc, "user"))
        json_object_set_new(props, "user", json_string(wp_json_str(svc, "user")));
    free(cmd);
    free(chk);
    return props;
}

/* Create the Generic Service resources of a record (dependencies first);
 * on failure delete those created. */
bool wp_app_create_resources(wp_app_cluster *c, const json_t *rec, const json_t *a,
                             bool existing_ok, wp_err *err)
{
    const char *app = wp_json_str(rec, "app");
    json_t *made = json_array();
    bool ok = true;
    size_t i;
    json_t *svc;
    json_array_foreach(json_object_get(rec, "services"), i, svc)
    {
        char name[128], timeout[32];
        wp_app_resource_name(app, wp_json_str(svc, "name"), name, sizeof name);
        snprintf(timeout, sizeof timeout, "%lld",
                 (long long)json_integer_value(json_object_get(svc, "start_timeout")) + 30);
        json_t *args = json_pack("{s:s, s:s, s:s, s:o, s:o, s:{s:s}}", "name", name, "group",
                                 wp_json_str(a, "group"), "type", "Generic Service", "props",
                                 wp_app_service_props(svc), "depends_on", service_deps(app, svc, a),
                                 "policy", "pending_timeout", timeout);
        wp_err one = {0};
        ok = wp_app_change(c, "resource.create", args, &one);
        if (!ok && existing_ok && one.code == WP_E_EXISTS) {
            ok = true; /* made by an earlier, interrupted run */
            continue;
        }
        if (!ok) {
            *err = one;
            break;
        }
        json_array_append_new(made, json_string(name));
        fprintf(c->out, "  resource %s (Generic Service) in group %s\n", name,
                wp_json_str(a, "group"));
    }
    /* added to a running group, a resource comes in Offline (docs/CLI.md,
     * safe edits): the setup asked for it, so it brings them online */
    for (size_t k = 0; ok && k < json_array_size(made); k++) {
        const char *name = json_string_value(json_array_get(made, k));
        json_t *r = wp_app_call(c, "resource.show", json_pack("{s:s}", "name", name), err);
        ok = r != NULL;
        if (ok && strcmp(wp_json_str_or(r, "target", ""), "offline") == 0)
            ok = wp_app_change(c, "resource.online", json_pack("{s:s}", "name", name), err);
        json_decref(r);
    }
    for (size_t k = json_array_size(made); !ok && k-- > 0;)
        wp_app_change(c, "resource.delete",
                      json_pack("{s:s}", "name", json_string_value(json_array_get(made, k))), NULL);
    json_decref(made);
    return ok;
}

/* Refusals before anything changes. */
static bool install_preflight(wp_app_cluster *c, const wp_kit *kit, wp_err *err)
{
    json_t *have = wp_app_call(c, "app.show", json_pack("{s:s}", "name", kit->name), NULL);
    if (have) {
        wp_errf(err, WP_E_EXISTS, "%s is already installed in the cluster (group %s)", kit->name,
                wp_json_str(have, "group"));
        wp_err_why(err, "an application is installed into one group once");
        wp_err_todo(err, "apply a service pack to update it (wolfpack app sp apply SP)");
        json_decref(have);
        return false;
    }
    json_t *local = wp_app_record_load(c->env, kit->name, NULL);
    if (local) {
        wp_errf(err, WP_E_EXISTS, "%s is installed standalone on this node", kit->name);
        wp_err_why(err, "a standalone install and a cluster install of one application cannot "
                        "share a node");
        wp_err_todo(err,
                    "move it into the cluster with its databases: wolfpack app migrate %s "
                    "--group G",
                    kit->name);
        json_decref(local);
        return false;
    }
    if (wp_kit_is_service_pack(kit)) {
        wp_errf(err, WP_E_INVALID, "%s is a service pack, not an installable kit", kit->path);
        wp_err_why(err, "a service pack updates an installed version");
        wp_err_todo(err, "install %s %s first, then apply the service pack", kit->name,
                    kit->upgrades_from[0]);
        return false;
    }
    return true;
}

/* --set address=IP of the group, and hostname=its network name (for kits
 * with such a parameter), unless given.  buf holds both texts. */
static const char **sets_with_address(const wp_kit *kit, const wp_app_install_opts *opts,
                                      const json_t *a, size_t *n, char *buf, size_t size)
{
    const char **sets = calloc(opts->nset + 2, sizeof *sets);
    bool given = false, host_given = false;
    for (size_t i = 0; sets && i < opts->nset; i++) {
        sets[i] = opts->set[i];
        given = given || strncmp(opts->set[i], "address=", 8) == 0;
        host_given = host_given || strncmp(opts->set[i], "hostname=", 9) == 0;
    }
    *n = opts->nset;
    size_t half = size / 2;
    if (sets && !given && wp_kit_param_get(kit, "address") && wp_json_str(a, "ip")) {
        snprintf(buf, half, "address=%s", wp_json_str(a, "ip"));
        sets[(*n)++] = buf;
    }
    if (sets && !host_given && wp_kit_param_get(kit, "hostname") && wp_json_str(a, "hostname")) {
        snprintf(buf + half, size - half, "hostname=%s", wp_json_str(a, "hostname"));
        sets[(*n)++] = buf + half;
    }
    return sets;
}

json_t *wp_app_install_clustered(wp_app_cluster *c, const wp_kit *kit, const char *group,
                                 const wp_app_install_opts *opts, wp_err *err)
{
    json_t *a = wp_app_group_checked(c, group, err);
    if (!a || !install_preflight(c, kit, err) || !wp_app_must_own(c, a, err) ||
        !mountpoint_known(a, err)) {
        json_decref(a);
        return NULL;
    }
    char addr[640];
    size_t nset = 0;
    const char **sets = sets_with_address(kit, opts, a, &nset, addr, sizeof addr);
    wp_app_install_opts io = {.set = sets,
                              .nset = nset,
                              .group = wp_json_str(a, "group"),
                              .disk_mount = wp_json_str(a, "mountpoint")};
    json_t *rec = sets ? wp_app_record_from_kit(c->env, kit, &io, err) : NULL;
    free(sets);
    json_t *notes = json_array();
    bool ok = rec && wp_app_disk_ready(c, wp_json_str(a, "mountpoint"), err) &&
              wp_app_put_program_files(c->env, kit, err) &&
              wp_app_create_databases(kit, rec, notes, err);
    if (ok)
        ok = wp_app_change(c, "app.register",
                           json_pack("{s:s, s:O}", "name", kit->name, "record", rec), err);
    if (ok &&
        !(wp_app_change(c, "app.node",
                        json_pack("{s:s, s:s, s:s}", "name", kit->name, "node", c->node, "version",
                                  kit->version),
                        err) &&
          wp_app_save_local_copy(c, rec, err) && wp_app_create_resources(c, rec, a, false, err))) {
        wp_app_change(c, "app.unregister", json_pack("{s:s}", "name", kit->name), NULL);
        wp_app_record_delete(c->env, kit->name, NULL);
        ok = false;
    }
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n) fprintf(c->out, "  %s\n", json_string_value(n));
    json_decref(notes);
    if (ok)
        ok = wp_app_tasks_everywhere(c, kit->name, "files", json_pack("{s:s}", "app", kit->name),
                                     err);
    json_decref(a);
    if (!ok) {
        json_decref(rec);
        return NULL;
    }
    return rec;
}
