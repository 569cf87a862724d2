/*
 * tasks.c -- the node tasks of `wolfpack app` (cluster.h): what one node
 * asks another to do through the cluster database (app.task {id, node,
 * kind, args}).  The task's node runs it through wp_app_task_run (its
 * wolfpackd starts the node-task entry point, src/app/task_main.c), which
 * looks the kind up in one table and reports app.task.done.
 *
 * The table sits above cluster.c (talking to wolfpackd, files on this
 * node) and upgrade.c (the service pack's tasks): those two never call
 * each other's task code.  A new kind of node task is one row here.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cluster.h"
#include "cluster_internal.h"
#include "osupdate.h"
#include "../agents/precheck.h"
#include "../lib/json.h"

/* files {app}: the program files of the cluster record's kit, here. */
static bool task_files(wp_app_cluster *c, const json_t *args, wp_err *err)
{
    const char *app = wp_json_str(args, "app");
    json_t *rec = wp_app_call(c, "app.show", json_pack("{s:s}", "name", app), err);
    if (!rec)
        return false;
    wp_kit *kit = wp_kit_load(wp_json_str(rec, "kit"), err);
    bool ok = kit && wp_app_put_program_files(c->env, kit, err) &&
              wp_app_save_local_copy(c, rec, err) &&
              wp_app_change(c, "app.node",
                            json_pack("{s:s, s:s, s:s}", "name", app, "node", c->node, "version",
                                      wp_json_str(rec, "version")),
                            err);
    if (!kit)
        wp_err_todo(err, "a kit must be at the same path on every node (%s)",
                    wp_json_str(rec, "kit"));
    wp_kit_free(kit);
    json_decref(rec);
    return ok;
}

/* sp-files {app, kit?, pre?, post?}: without a kit (an older node's task)
 * it is the files task. */
static bool task_sp_files(wp_app_cluster *c, const json_t *args, wp_err *err)
{
    return wp_json_str(args, "kit") ? wp_app_task_sp_files(c, args, err) : task_files(c, args, err);
}

/* remove {app}: the install on this node; not installed here is done. */
static bool task_remove(wp_app_cluster *c, const json_t *args, wp_err *err)
{
    bool ok = wp_app_remove(c->env, wp_json_str(args, "app"), false, NULL, err);
    if (!ok && err->code == WP_E_NOTFOUND) {
        wp_err_clear(err);
        ok = true; /* not installed on this node: nothing to remove */
    }
    return ok;
}

/* resource-check {resources: JSON text of [{name, type, props}, ...]}:
 * this node's checks of resources (src/agents/precheck.c, without the
 * network's: the node that takes the command asks the network), before
 * `resource create` or for `verify`; the findings are the task's output. */
static bool task_resource_check(wp_app_cluster *c, const json_t *args, json_t *output, wp_err *err)
{
    const char *text = wp_json_str(args, "resources");
    json_t *list = text ? json_loads(text, 0, NULL) : NULL;
    if (!json_is_array(list)) {
        json_decref(list);
        wp_errf(err, WP_E_INVALID, "node task resource-check names no resources");
        wp_err_why(err, "its argument \"resources\" is not the JSON text of an array");
        wp_err_todo(err, "submit it as `resource create` does (src/cli/localcheck.c)");
        return false;
    }
    char here[96];
    snprintf(here, sizeof here, "on node %s", c->node);
    json_t *findings = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) if (json_is_object(r))
        wp_precheck_resource(r, false, here, findings);
    json_decref(list);
    json_object_set_new(output, "findings", findings);
    return true;
}

/* ---- report-part ---------------------------------------------------------- */

#define PART_LOG_MAX (192 * 1024)      /* the tail of wolfpackd.log */
#define PART_SMALL_MAX (96 * 1024)     /* of agents.log, corosync.log */
#define PART_INCIDENTS_MAX (96 * 1024) /* all incident files together */

/* At most max bytes of the file's end (whole lines), as JSON-safe text
 * (bytes outside ASCII become '?': a log may hold anything); NULL with
 * why. */
static json_t *file_tail(const char *path, long max, char *why, size_t why_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_size, "%s: %s", path, strerror(errno));
        return NULL;
    }
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    long from = size > max ? size - max : 0;
    char *buf = size >= 0 ? malloc((size_t)(size - from) + 1) : NULL;
    size_t n = buf && fseek(f, from, SEEK_SET) == 0 ? fread(buf, 1, (size_t)(size - from), f) : 0;
    fclose(f);
    if (!buf) {
        snprintf(why, why_size, "%s: cannot read it", path);
        return NULL;
    }
    size_t start = 0;
    while (from > 0 && start < n && buf[start++] != '\n')
        ; /* a cut line */
    for (size_t i = start; i < n; i++)
        if ((unsigned char)buf[i] >= 0x80 || (buf[i] < 0x20 && buf[i] != '\n' && buf[i] != '\t'))
            buf[i] = '?';
    json_t *text = json_stringn(buf + start, n - start);
    free(buf);
    return text;
}

static void part_file(json_t *files, json_t *errors, const char *name, const char *path, long max)
{
    char why[600];
    json_t *text = file_tail(path, max, why, sizeof why);
    if (text)
        json_object_set_new(files, name, text);
    else
        json_array_append_new(errors, json_sprintf("%s: %s", name, why));
}

/* The incident files (unix-ms-vN.json) from since on, newest first, up to
 * PART_INCIDENTS_MAX bytes together. */
static void part_incidents(json_t *files, json_t *errors, const char *state_dir, long long since)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/incidents", state_dir);
    struct dirent **list = NULL;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) {
        json_array_append_new(errors, json_sprintf("incidents/: %s: %s", dir, strerror(errno)));
        return;
    }
    long left = PART_INCIDENTS_MAX;
    for (int i = n - 1; i >= 0; i--) {
        long long ms = strtoll(list[i]->d_name, NULL, 10);
        if (list[i]->d_name[0] != '.' && ms / 1000 >= since && left > 0) {
            char name[300], path[4500];
            snprintf(name, sizeof name, "incidents/%s", list[i]->d_name);
            snprintf(path, sizeof path, "%s/%s", dir, list[i]->d_name);
            part_file(files, errors, name, path, left);
            left -= (long)json_string_length(json_object_get(files, name));
        }
        free(list[i]);
    }
    free(list);
}

/* report-part {since: unix time, state_dir}: this node's part of `wolfpack
 * report` (src/cli/cmd_report.c) as the task's output {files: {NAME:
 * text}, errors: [...]}: its daemon's status, the tails of its logs and
 * its incident files since then, each bounded (the output travels through
 * the cluster as one command: at most 768 KiB, src/db/ops_app.c). */
static bool task_report_part(wp_app_cluster *c, const json_t *args, json_t *output, wp_err *err)
{
    (void)err;
    long long since = strtoll(wp_json_str_or(args, "since", "0"), NULL, 10);
    const char *state_dir = wp_json_str_or(args, "state_dir", "/var/lib/wolfpack");
    json_t *files = json_object(), *errors = json_array();
    wp_err got = {0};
    json_t *st = wp_app_call(c, "status", NULL, &got);
    char *text = st ? json_dumps(st, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (text)
        json_object_set_new(files, "status.json", json_string(text));
    else
        json_array_append_new(errors, json_sprintf("status.json: %s", got.what));
    free(text);
    json_decref(st);
    char path[4200];
    part_file(files, errors, "wolfpackd.log", "/var/log/wolfpack/wolfpackd.log", PART_LOG_MAX);
    part_file(files, errors, "corosync.log", "/var/log/corosync/corosync.log", PART_SMALL_MAX);
    snprintf(path, sizeof path, "%s/agents.log", state_dir);
    part_file(files, errors, "agents.log", path, PART_SMALL_MAX);
    part_incidents(files, errors, state_dir, since);
    json_array_append_new(errors, json_string("journal.txt, quorum.txt, links.txt: gathered by "
                                              "`wolfpack report` run on this node only"));
    json_object_set_new(output, "files", files);
    json_object_set_new(output, "errors", errors);
    return true;
}

typedef struct node_task {
    const char *kind;
    bool (*run)(wp_app_cluster *c, const json_t *args, wp_err *err);
    /* instead of run: a task that answers with an output object */
    bool (*answer)(wp_app_cluster *c, const json_t *args, json_t *output, wp_err *err);
} node_task;

static const node_task node_tasks[] = {
    {"files", task_files, NULL},
    {"remove", task_remove, NULL},
    {"sp-files", task_sp_files, NULL},
    {"sp-upgrade", wp_app_task_sp_upgrade, NULL},
    {"sp-restore", wp_app_task_sp_restore, NULL},
    {"os-update", wp_osupdate_task_update, NULL}, /* osupdate_task.c */
    {"os-reboot", wp_osupdate_task_reboot, NULL},
    {"resource-check", NULL, task_resource_check},
    {"report-part", NULL, task_report_part},
    {NULL, NULL, NULL},
};

static const node_task *task_kind(const char *kind)
{
    for (const node_task *k = node_tasks; kind && k->kind; k++)
        if (strcmp(k->kind, kind) == 0)
            return k;
    return NULL;
}

/* Do task t's work here (its answer into output); false with work. */
static bool task_work(wp_app_cluster *c, const char *id, const json_t *t, json_t *output,
                      wp_err *work)
{
    const json_t *args = json_object_get(t, "args");
    const node_task *k = task_kind(wp_json_str(t, "kind"));
    if (!wp_json_str(args, "app")) {
        wp_errf(work, WP_E_INVALID, "node task %s names no application", id);
        return false;
    }
    if (!k) {
        wp_errf(work, WP_E_INVALID, "unknown node task kind %s", wp_json_str(t, "kind"));
        return false;
    }
    return k->answer ? k->answer(c, args, output, work) : k->run(c, args, work);
}

bool wp_app_task_run(wp_app_cluster *c, const char *id, wp_err *err)
{
    json_t *t = wp_app_call(c, "app.task.show", json_pack("{s:s}", "id", id), err);
    if (!t)
        return false;
    if (strcasecmp(wp_json_str(t, "node"), c->node) != 0 ||
        strcmp(wp_json_str(t, "state"), "pending") != 0) {
        json_decref(t);
        return true; /* not ours, or done already: nothing to do */
    }
    wp_err work = {0};
    json_t *output = json_object();
    bool ok = task_work(c, id, t, output, &work);
    char text[1000];
    snprintf(text, sizeof text, "%s%s%s", work.what, work.why[0] ? ": " : "", work.why);
    json_t *done =
        json_pack("{s:s, s:s, s:s}", "id", id, "node", c->node, "result", ok ? "ok" : "failed");
    if (!ok)
        json_object_set_new(done, "error", json_string(text));
    if (json_object_size(output))
        json_object_set(done, "output", output);
    json_decref(output);
    bool reported = wp_app_change(c, "app.task.done", done, err);
    json_decref(t);
    if (!ok)
        *err = work;
    return ok && reported;
}

bool wp_app_task_run_id(const char *socket_path, const char *id, FILE *out, wp_err *err)
{
    wp_app_env env;
    wp_app_cluster c;
    if (!wp_app_env_init(&env, NULL, err) || !wp_app_cluster_open(&c, &env, socket_path, err))
        return false;
    c.out = out;
    bool ok = wp_app_task_run(&c, id, err);
    wp_app_cluster_close(&c);
    if (ok)
        fprintf(out, "OK: node task %s done\n", id);
    return ok;
}
