/*
 * fencer.c -- wolfpackd runs fence agents (docs/FENCING.md).
 *
 * Three requests come here from handlers.c, and the coordinator's
 * recovery uses the same runner:
 *
 *   fence.create  before the command is submitted, the agent's metadata
 *                 (AGENT -o metadata) is read on this node and the device's
 *                 properties are checked against it (src/agents/fence.c);
 *                 only then does the command go to the cluster
 *   fence.test    monitor, then status of each of the device's nodes
 *   node.fence    every device that fences the node, by level: a level
 *                 succeeds when each of its devices does (action off, or
 *                 reboot); the first level that succeeds ends it
 *
 * An agent may take a minute, so the loop never waits for one: a job
 * forks a runner child that runs the agents one after another
 * (wp_fence_exec: no shell, key=value on stdin, a timeout each) and writes
 * one JSON result to a pipe; the loop reads the pipe and calls the job's
 * done() at EOF (under --user the root executor runs the same runner on
 * a plan it checks: privexec.c, fence.run).  The runner is reaped by the
 * daemon's reaper
 * (events.c: it owns no job status).  Secret values never leave the
 * runner: the output of each agent is scrubbed of them before it is
 * written, logged or replied.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <qb/qblog.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "../lib/json.h"
#include "../agents/fence.h"
#include "daemon.h"

#define META_OUT_MAX (256 * 1024) /* fence_ipmilan's metadata is ~10 KiB */
#define RESULT_MAX (1024 * 1024)

typedef void (*fence_done_fn)(wp_daemon *d, void *cookie, json_t *result);

typedef struct fence_job {
    wp_daemon *d;
    int fd;
    char *buf;
    size_t len;
    fence_done_fn done;
    void *cookie;
    void (*cookie_free)(void *cookie); /* at shut-down, when done() never came */
    struct fence_job *next;
} fence_job;

struct wp_fencer {
    fence_job *jobs;
};

/* ---- the runner (child) --------------------------------------------------- */

static json_t *run_step(const json_t *step, const char *action, const char *node)
{
    const json_t *props = json_object_get(step, "props");
    const char *path = wp_json_str(step, "path");
    const char *plug = NULL;
    if (node) {
        plug = wp_json_str(json_object_get(step, "plugs"), node);
        plug = plug ? plug : node;
    }
    char *input = wp_fence_stdin(action, plug, props);
    int timeout_s = (int)json_integer_value(json_object_get(step, "timeout"));
    char out[WP_FENCE_OUT_MAX];
    int status = -1;
    bool timed_out = false;
    wp_err err = {0};
    bool ran = input && path &&
               wp_fence_exec(path, NULL, input, timeout_s * 1000, &status, &timed_out, out,
                             sizeof out, &err);
    free(input);
    if (!ran)
        snprintf(out, sizeof out, "%s: %s", err.what, err.why);
    wp_fence_scrub(out, sizeof out, props);
    return json_pack("{s:s, s:s, s:s?, s:I, s:i, s:b, s:s}", "device", wp_json_str(step, "device"),
                     "action", action, "node", node, "level",
                     json_integer_value(json_object_get(step, "level")), "exit", status,
                     "timed_out", timed_out, "output", out);
}

static bool step_ok(const json_t *attempt, bool off_is_ok)
{
    int rc = (int)json_integer_value(json_object_get(attempt, "exit"));
    return rc == 0 || (off_is_ok && rc == 2);
}

/* node.fence: by level; a level succeeds when all of its devices do. */
static json_t *run_fence(const json_t *plan)
{
    const json_t *steps = json_object_get(plan, "steps");
    const char *node = wp_json_str(plan, "node");
    const char *action = wp_json_str(plan, "action");
    json_t *attempts = json_array();
    json_int_t done_level = 0;
    for (size_t i = 0; i < json_array_size(steps) && !done_level;) {
        json_int_t level = json_integer_value(json_object_get(json_array_get(steps, i), "level"));
        bool all = true;
        for (; i < json_array_size(steps) &&
               json_integer_value(json_object_get(json_array_get(steps, i), "level")) == level;
             i++) {
            if (!all)
                continue; /* this level failed already: the next level is tried */
            json_t *a = run_step(json_array_get(steps, i), action, node);
            all = a && step_ok(a, false);
            json_array_append_new(attempts, a);
        }
        if (all)
            done_level = level;
    }
    return json_pack("{s:b, s:I, s:o}", "ok", done_level != 0, "level", done_level, "attempts",
                     attempts);
}

/* fence.test: monitor, then status of each node (0 on, 2 off: both fine). */
static json_t *run_test(const json_t *plan)
{
    const json_t *step = json_array_get(json_object_get(plan, "steps"), 0);
    json_t *attempts = json_array();
    json_t *a = run_step(step, "monitor", NULL);
    bool ok = a && step_ok(a, false);
    json_array_append_new(attempts, a);
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(step, "nodes"), i, n)
    {
        if (!ok)
            break;
        a = run_step(step, "status", json_string_value(n));
        ok = a && step_ok(a, true);
        json_array_append_new(attempts, a);
    }
    return json_pack("{s:b, s:o}", "ok", ok, "attempts", attempts);
}

static json_t *run_metadata(const json_t *plan)
{
    const char *path = wp_json_str(plan, "path");
    const char *args[] = {path, "-o", "metadata", NULL};
    char *out = malloc(META_OUT_MAX);
    int status = -1;
    bool timed_out = false;
    wp_err err = {0};
    if (!out)
        return NULL;
    if (!wp_fence_exec(path, args, NULL, 30000, &status, &timed_out, out, META_OUT_MAX, &err))
        snprintf(out, META_OUT_MAX, "%s: %s", err.what, err.why);
    json_t *r = json_pack("{s:b, s:i, s:b, s:s}", "ok", status == 0, "exit", status, "timed_out",
                          timed_out, "output", out);
    free(out);
    return r;
}

_Noreturn void wp_fencer_runner(const json_t *plan, int fd)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGCHLD};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        signal(sigs[i], SIG_DFL); /* not the daemon's handlers (its signal pipe) */
    signal(SIGPIPE, SIG_IGN);
    /* keep only the result pipe (as 3): the daemon's sockets, its corosync
     * connections and its database lock must not outlive the daemon here */
    if (fd != 3 && dup2(fd, 3) < 0)
        _exit(1);
    fd = 3;
    close_range(4, ~0U, 0);
    const char *mode = wp_json_str(plan, "mode");
    json_t *r = strcmp(mode, "metadata") == 0 ? run_metadata(plan)
                : strcmp(mode, "test") == 0   ? run_test(plan)
                                              : run_fence(plan);
    char *text = r ? json_dumps(r, JSON_COMPACT) : NULL;
    for (size_t off = 0, n = text ? strlen(text) : 0; off < n;) {
        ssize_t w = write(fd, text + off, n - off);
        if (w <= 0 && errno != EINTR)
            break;
        off += w > 0 ? (size_t)w : 0;
    }
    _exit(text ? 0 : 1);
}

/* ---- jobs (the daemon's side) --------------------------------------------- */

static void job_unlink(wp_daemon *d, fence_job *job)
{
    for (fence_job **pp = &d->fencer->jobs; *pp; pp = &(*pp)->next)
        if (*pp == job) {
            *pp = job->next;
            return;
        }
}

static void job_end(fence_job *job)
{
    wp_daemon *d = job->d;
    qb_loop_poll_del(d->loop, job->fd);
    close(job->fd);
    job_unlink(d, job);
    json_t *result = job->len ? json_loadb(job->buf, job->len, 0, NULL) : NULL;
    if (!result)
        result = json_pack("{s:b, s:s}", "ok", 0, "error",
                           "the fence runner ended without a result (killed?)");
    free(job->buf);
    fence_done_fn done = job->done;
    void *cookie = job->cookie;
    free(job);
    done(d, cookie, result);
    json_decref(result);
}

static int on_result(int fd, int revents, void *data)
{
    fence_job *job = data;
    if (wp_fs_read_more(fd, &job->buf, &job->len, RESULT_MAX))
        return 0;
    job_end(job); /* too big: len 0, no result */
    return 0;
}

/* --user: the executor's result of a job's plan. */
static void remote_result(wp_daemon *d, void *cookie, json_t *result)
{
    fence_job *job = cookie;
    job_unlink(d, job);
    fence_done_fn done = job->done;
    void *c = job->cookie;
    free(job);
    done(d, c, result);
}

/* Start a runner for plan (borrowed); done(result) comes later, always.
 * Under --user the root executor runs it (fence.run, privexec.c). */
static bool job_start(wp_daemon *d, const json_t *plan, fence_done_fn done, void *cookie,
                      void (*cookie_free)(void *), wp_err *err)
{
    if (!d->fencer && !(d->fencer = calloc(1, sizeof *d->fencer)))
        return wp_errf(err, WP_E_INTERNAL, "out of memory"), false;
    if (d->privsep) {
        fence_job *job = calloc(1, sizeof *job);
        if (!job)
            return wp_errf(err, WP_E_INTERNAL, "out of memory"), false;
        *job = (fence_job){.d = d,
                           .fd = -1,
                           .done = done,
                           .cookie = cookie,
                           .cookie_free = cookie_free,
                           .next = d->fencer->jobs};
        if (!wp_privsep_fence_run(d, plan, remote_result, job, err)) {
            free(job);
            return false;
        }
        d->fencer->jobs = job;
        return true;
    }
    fence_job *job = calloc(1, sizeof *job);
    int p[2] = {-1, -1};
    if (!job || pipe2(p, O_CLOEXEC) != 0) {
        free(job);
        wp_errf(err, WP_E_IO, "cannot start a fence runner");
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check the system's limits (processes, files)");
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        wp_fencer_runner(plan, p[1]);
    }
    close(p[1]);
    if (pid < 0) {
        close(p[0]);
        free(job);
        wp_errf(err, WP_E_IO, "cannot start a fence runner");
        wp_err_why(err, "fork: %s", strerror(errno));
        wp_err_todo(err, "check the system's limits (processes, memory)");
        return false;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    *job = (fence_job){.d = d,
                       .fd = p[0],
                       .done = done,
                       .cookie = cookie,
                       .cookie_free = cookie_free,
                       .next = d->fencer->jobs};
    d->fencer->jobs = job;
    qb_loop_poll_add(d->loop, QB_LOOP_MED, p[0], POLLIN, job, on_result);
    return true;
}

void wp_fencer_free(wp_daemon *d)
{
    if (!d->fencer)
        return;
    while (d->fencer->jobs) {
        fence_job *job = d->fencer->jobs;
        d->fencer->jobs = job->next;
        if (job->fd < 0) { /* the executor runs it: its answer must not come */
            wp_privsep_forget(d, job);
        } else {
            qb_loop_poll_del(d->loop, job->fd);
            close(job->fd);
        }
        free(job->buf);
        if (job->cookie_free)
            job->cookie_free(job->cookie);
        free(job);
    }
    free(d->fencer);
    d->fencer = NULL;
}

/* ---- plans -------------------------------------------------------------- */

/* A step for a stored device: its agent's path on this node and what the
 * runner needs.  NULL with err when the agent is not installed here. */
static json_t *device_step(const json_t *dev, wp_err *err)
{
    char path[4096];
    if (!wp_fence_agent_path(wp_json_str(dev, "agent"), NULL, path, sizeof path, err))
        return NULL;
    json_t *step = json_deep_copy(dev);
    json_object_set_new(step, "device", json_string(wp_json_str(dev, "name")));
    json_object_set_new(step, "path", json_string(path));
    return step;
}

/* The plan to fence node with action: its devices by level.  NULL + err. */
json_t *wp_fencer_plan(wp_daemon *d, const char *node, const char *action, wp_err *err)
{
    json_t *devs = wp_db_fence_for_node(d->db, node, err);
    if (!devs)
        return NULL;
    if (json_array_size(devs) == 0) {
        json_decref(devs);
        wp_errf(err, WP_E_NOTFOUND, "no fence device fences node %s", node);
        wp_err_why(err, "no device of `wolfpack fence list` names %s in its nodes", node);
        wp_err_todo(err,
                    "create one: wolfpack fence create NAME --agent fence_xxx --prop K=V "
                    "--nodes %s",
                    node);
        return NULL;
    }
    json_t *steps = json_array();
    size_t i;
    json_t *dev;
    json_array_foreach(devs, i, dev)
    {
        json_t *step = device_step(dev, err);
        if (!step) {
            json_decref(steps);
            json_decref(devs);
            return NULL;
        }
        json_array_append_new(steps, step);
    }
    json_decref(devs);
    return json_pack("{s:s, s:s, s:s, s:o}", "mode", "fence", "node", node, "action", action,
                     "steps", steps);
}

/* A short account of a result for logs and replies: "DEVICE level N
 * ACTION NODE: exit X, OUTPUT; ..." (secrets were scrubbed by the runner). */
void wp_fencer_summary(const json_t *result, char *buf, size_t size)
{
    size_t used = 0, i;
    json_t *a;
    buf[0] = '\0';
    if (json_object_get(result, "error"))
        used = (size_t)snprintf(buf, size, "%s", wp_json_str(result, "error"));
    json_array_foreach(json_object_get(result, "attempts"), i, a)
    {
        char out[240], how[32];
        snprintf(out, sizeof out, "%s", wp_json_str(a, "output"));
        for (char *c = out; *c; c++)
            if (*c == '\n')
                *c = ' ';
        if (json_is_true(json_object_get(a, "timed_out")))
            snprintf(how, sizeof how, "timed out");
        else
            snprintf(how, sizeof how, "exit %lld",
                     (long long)json_integer_value(json_object_get(a, "exit")));
        const char *node = wp_json_str(a, "node");
        int n = snprintf(buf + used, size - used, "%s%s level %lld %s%s%s: %s%s%s",
                         used ? "; " : "", wp_json_str(a, "device"),
                         (long long)json_integer_value(json_object_get(a, "level")),
                         wp_json_str(a, "action"), node ? " " : "", node ? node : "", how,
                         out[0] ? ", " : "", out);
        if (n < 0 || (size_t)n >= size - used)
            break;
        used += (size_t)n;
    }
}

bool wp_fencer_run(wp_daemon *d, const json_t *plan,
                   void (*done)(wp_daemon *d, void *cookie, json_t *result), void *cookie,
                   void (*cookie_free)(void *cookie), wp_err *err)
{
    return job_start(d, plan, done, cookie, cookie_free, err);
}

/* ---- requests (handlers.c) ---------------------------------------------- */

typedef struct request_cookie {
    uint64_t conn_id;
    json_t *cmd; /* fence.create: the command to submit once checked; fence.test,
                  * node.fence: the request with "by", for the history */
} request_cookie;

static void on_recorded(void *cookie, const wp_err *err, int64_t version)
{
    (void)cookie;
    (void)version;
    if (err)
        wp_log_err(LOG_WARNING, "fencer: the run is not in the change history", err);
}

/* A run by hand (fence.test, node.fence) into the change history with who
 * asked (fence.record; docs/FENCING.md): "alice (web)" from the console. */
static void record_run(wp_daemon *d, const request_cookie *rc, bool ok, const char *summary)
{
    const json_t *args = json_object_get(rc->cmd, "args");
    const char *action = wp_json_str(args, "action");
    char result[WP_DB_FENCE_RECORD_MAX + 1];
    wp_err err = {0};

    if (!rc->cmd)
        return;
    snprintf(result, sizeof result, "%s", summary);
    json_t *cmd = json_pack("{s:s, s:{s:s, s:s, s:b, s:s}, s:O}", "op", "fence.record", "args",
                            "op", wp_json_str(rc->cmd, "op"), "name", wp_json_str(args, "name"),
                            "ok", ok, "result", result, "by", json_object_get(rc->cmd, "by"));
    if (cmd && action)
        json_object_set_new(json_object_get(cmd, "args"), "action", json_string(action));
    if (!cmd || !wp_repl_submit(d->repl, cmd, on_recorded, NULL, &err)) {
        if (err.code == WP_OK)
            wp_errf(&err, WP_E_INTERNAL, "out of memory");
        on_recorded(NULL, &err, 0);
    }
    json_decref(cmd);
}

static void reply(wp_daemon *d, uint64_t conn_id, json_t *msg)
{
    wp_conn *c = wp_ipc_conn_find(d, conn_id);
    if (!c) {
        json_decref(msg);
        return;
    }
    wp_ipc_reply(d, c, msg);
    wp_ipc_request_done(d, c);
}

static void reply_err(wp_daemon *d, uint64_t conn_id, const wp_err *err)
{
    reply(d, conn_id, wp_reply_error(d, err));
}

static void on_fence_done(wp_daemon *d, void *cookie, json_t *result)
{
    request_cookie *rc = cookie;
    char sum[2048];
    wp_fencer_summary(result, sum, sizeof sum);
    record_run(d, rc, json_is_true(json_object_get(result, "ok")), sum);
    json_decref(rc->cmd);
    if (json_is_true(json_object_get(result, "ok"))) {
        qb_log(LOG_NOTICE, "fencer: done: %s", sum);
        reply(d, rc->conn_id, wp_proto_reply_ok(json_incref(result), wp_db_version(d->db)));
    } else {
        wp_err err = {0};
        qb_log(LOG_ERR, "fencer: failed: %s", sum);
        wp_errf(&err, WP_E_UNAVAILABLE, "fencing failed");
        wp_err_why(&err, "%s", sum[0] ? sum : "no device succeeded");
        wp_err_todo(&err, "check the fence device (wolfpack fence test DEVICE), its network and "
                          "credentials; the node is NOT known to be off");
        reply_err(d, rc->conn_id, &err);
    }
    free(rc);
}

static void on_test_done(wp_daemon *d, void *cookie, json_t *result)
{
    request_cookie *rc = cookie;
    char sum[2048];
    wp_fencer_summary(result, sum, sizeof sum);
    record_run(d, rc, json_is_true(json_object_get(result, "ok")), sum);
    json_decref(rc->cmd);
    qb_log(LOG_INFO, "fencer: test %s: %s",
           json_is_true(json_object_get(result, "ok")) ? "ok" : "failed", sum);
    if (json_is_true(json_object_get(result, "ok"))) {
        reply(d, rc->conn_id, wp_proto_reply_ok(json_incref(result), wp_db_version(d->db)));
    } else {
        wp_err err = {0};
        wp_errf(&err, WP_E_UNAVAILABLE, "the fence device does not answer as it should");
        wp_err_why(&err, "%s", sum);
        wp_err_todo(&err, "check its address, credentials and plugs (wolfpack fence show)");
        reply_err(d, rc->conn_id, &err);
    }
    free(rc);
}

static void on_metadata_done(wp_daemon *d, void *cookie, json_t *result)
{
    request_cookie *rc = cookie;
    const json_t *args = json_object_get(rc->cmd, "args");
    const char *name = wp_json_str(args, "name");
    const char *agent = wp_json_str(args, "agent");
    const char *out = wp_json_str(result, "output");
    wp_fence_meta meta;
    wp_err err = {0};
    bool ok = json_is_true(json_object_get(result, "ok"));
    if (!ok) {
        wp_errf(&err, WP_E_INVALID, "cannot read the metadata of fence agent %s", agent);
        wp_err_why(&err, "%s -o metadata %s: %.200s", agent,
                   json_is_true(json_object_get(result, "timed_out")) ? "timed out" : "failed",
                   out ? out : "");
        wp_err_todo(&err, "run `%s -o metadata` by hand on this node and fix the agent", agent);
    } else if (wp_fence_meta_parse(out, strlen(out), &meta, &err)) {
        ok = wp_fence_validate(&meta, name, json_object_get(args, "props"), &err);
        wp_fence_meta_free(&meta);
    } else {
        ok = false;
    }
    if (ok)
        wp_handlers_submit(d, rc->conn_id, rc->cmd);
    else
        reply_err(d, rc->conn_id, &err);
    json_decref(rc->cmd);
    free(rc);
}

static void cookie_free(void *cookie)
{
    request_cookie *rc = cookie;
    json_decref(rc->cmd);
    free(rc);
}

static request_cookie *cookie_new(wp_conn *c)
{
    request_cookie *rc = calloc(1, sizeof *rc);
    if (rc)
        rc->conn_id = wp_ipc_conn_id(c);
    return rc;
}

static bool start_or_reply(wp_daemon *d, wp_conn *c, json_t *plan, fence_done_fn done,
                           request_cookie *rc, wp_err *err)
{
    bool started = plan && rc && job_start(d, plan, done, rc, cookie_free, err);
    json_decref(plan);
    if (started)
        return false; /* the reply comes from done() */
    if (rc)
        json_decref(rc->cmd);
    free(rc);
    if (err->code == WP_OK)
        wp_errf(err, WP_E_INTERNAL, "out of memory");
    wp_ipc_reply(d, c, wp_reply_error(d, err));
    return true;
}

static json_t *create_plan(const wp_request *req, wp_err *err)
{
    const char *agent = wp_json_str(req->args, "agent");
    char path[4096];
    if (!wp_fence_agent_path(agent, NULL, path, sizeof path, err))
        return NULL;
    return json_pack("{s:s, s:s, s:s}", "mode", "metadata", "agent", agent, "path", path);
}

static json_t *test_plan(wp_daemon *d, const char *name, wp_err *err)
{
    json_t *dev = wp_db_fence_show(d->db, name, false, err);
    json_t *step = dev ? device_step(dev, err) : NULL;
    json_decref(dev);
    return step ? json_pack("{s:s, s:[o]}", "mode", "test", "steps", step) : NULL;
}

static bool node_fence_checks(wp_daemon *d, const char *node, const char *action, wp_err *err)
{
    if (strcmp(action, "off") != 0 && strcmp(action, "reboot") != 0) {
        wp_errf(err, WP_E_INVALID, "bad fence action '%.40s'", action);
        wp_err_why(err, "a node is fenced with off or reboot");
        wp_err_todo(err, "give --action off (the default) or --action reboot");
        return false;
    }
    if (!wp_view_ready(d)) {
        wp_errf(err, WP_E_NOQUORUM, "this node may not fence another one");
        wp_err_why(err, "it is not in a quorate, synchronised partition: the two sides of a "
                        "split would fence each other");
        wp_err_todo(err, "run it on a node of the quorate partition (wolfpack status)");
        return false;
    }
    if (strcasecmp(node, d->view.local_name) == 0) {
        wp_errf(err, WP_E_CONFLICT, "node %s would fence itself", node);
        wp_err_why(err, "the daemon that runs the agent is on the node to be powered off");
        wp_err_todo(err, "run `wolfpack node fence %s` on another node", node);
        return false;
    }
    return true;
}

bool wp_fencer_request(wp_daemon *d, wp_conn *c, const wp_request *req)
{
    wp_err err = {0};
    const char *name = wp_json_str(req->args, "name");
    request_cookie *rc = cookie_new(c);
    json_t *plan = NULL;
    fence_done_fn done = on_fence_done;
    if (strcmp(req->op, "fence.create") == 0) {
        plan = create_plan(req, &err);
        if (rc) /* with its author for the history, as every change */
            rc->cmd = wp_handlers_authored(d, c, req->json);
        done = on_metadata_done;
    } else if (strcmp(req->op, "fence.test") == 0) {
        plan = test_plan(d, name, &err);
        if (rc)
            rc->cmd = wp_handlers_authored(d, c, req->json);
        done = on_test_done;
    } else {
        if (rc)
            rc->cmd = wp_handlers_authored(d, c, req->json);
        const char *action = wp_json_str(req->args, "action");
        json_t *shown = wp_db_node_show(d->db, name, &err);
        const char *stored = wp_json_str(shown, "name");
        if (stored && node_fence_checks(d, stored, action ? action : "off", &err)) {
            qb_log(LOG_WARNING, "fencer: fencing node %s (%s), asked by a client", stored,
                   action ? action : "off");
            plan = wp_fencer_plan(d, stored, action ? action : "off", &err);
        }
        json_decref(shown);
    }
    return start_or_reply(d, c, plan, done, rc, &err);
}

bool wp_fencer_handles(const char *op)
{
    return strcmp(op, "fence.create") == 0 || strcmp(op, "fence.test") == 0 ||
           strcmp(op, "node.fence") == 0;
}

/* node has at least one fence device (recovery.c, escalate.c) */
bool wp_fencer_node_has_device(wp_daemon *d, const char *node)
{
    wp_err err = {0};
    json_t *devs = wp_db_fence_for_node(d->db, node, &err);
    bool any = json_array_size(devs) > 0;
    json_decref(devs);
    return any;
}
