/*
 * privexec.c -- the root executor process of privilege separation
 * (wolfpackd --user NAME; privsep.c forks it and holds the other end of
 * its channel).
 *
 * It serves one SOCK_SEQPACKET socket: each message is one packet of at
 * most WP_PRIVSEP_MAX_MSG bytes holding a JSON object.  It takes only the
 * requests of one table (`requests` below) whose keys, types and sizes the
 * table fixes (`header_fields`, req and id, for every request, then each
 * entry's own); a request not in the table, a key not in its entry, a value
 * of the wrong type or size, a packet too big or not a JSON object is
 * refused, logged, answered with a `permission` error, and runs nothing.
 *
 *   agent.op      {req, id, type, op, name, props, timeout_ms}: one agent
 *                 operation (src/agents/run.c on this side: its own op
 *                 child, timeout, log); the properties are checked again by
 *                 the agent layer (model.h) before anything runs, and a
 *                 Generic Service that would run as root runs only what the
 *                 root-owned allow-list (--root-services, rootlist.h) names
 *   agent.cancel  {req, id}: kill the op's process group, answer nothing
 *   corosync.write  render corosync.conf from typed nodes and timers
 *                 (decoded by src/lib/corosync_msg.c, which also encodes
 *                 them on wolfpackd's side), write it, corosync-cfgtool -R
 *   apptask.run   `wolfpack-task --socket S TASK` (its own program and socket)
 *   disk.heartbeat, disk.fence, disk.watch, disk.unwatch: the Physical
 *                 Disk keepers' feed and the lease watchers
 *   fence.run     fencer.c's runner on a plan whose agents it looks up
 *                 in its own fence path
 *   watchdog.open, watchdog.pet, watchdog.close: the --watchdog device,
 *                 petted on the daemon's word (wdog.c)
 *
 * Answers: {id, rc, err: {code, what, why, todo}} (fence.run: and result;
 * an answer may be WP_PRIVSEP_MAX_ANSWER bytes).  The run directory
 * (wp_agent_run_dir: the daemon's, inherited), the log
 * (STATE_DIR/agents.log), the socket and the programs are its own, never
 * taken from a request.  It exits when the channel closes (wolfpackd
 * gone), killing the op children it runs; it ignores SIGINT, SIGTERM and
 * SIGHUP (wolfpackd's shut-down stops still go through it).
 * docs/SECURITY.md ("Privilege separation") has the table.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <libgen.h>
#include <poll.h>
#include <qb/qblog.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon.h"
#include "../agents/agent.h"
#include "../agents/disk.h"
#include "../agents/fence.h"
#include "../lib/rt.h"
#include "../agents/watchdog.h"
#include "../lib/corosync_conf.h"
#include "../lib/corosync_msg.h"
#include "../lib/fs.h"
#include "../lib/rootlist.h"
#include "../lib/json.h"

#define AGENT_TIMEOUT_MAX_MS 86400000L /* one day: more is a bug or an attack */

/* ---- the one request table ------------------------------------------------ */

typedef enum field_kind { F_STRING, F_INT, F_OBJECT, F_ARRAY } field_kind;

typedef struct field_def {
    const char *key;
    field_kind kind;
    long long max; /* string: bytes; int: largest value (smallest is 0); array: items */
} field_def;

typedef struct exec_state exec_state;
typedef void (*request_fn)(exec_state *x, uint64_t id, const json_t *msg);

typedef struct request_def {
    const char *name;
    const field_def *fields; /* every key the request has beside header_fields' */
    request_fn handle;
} request_def;

static void handle_agent_op(exec_state *x, uint64_t id, const json_t *msg);
static void handle_agent_cancel(exec_state *x, uint64_t id, const json_t *msg);
static void handle_corosync_write(exec_state *x, uint64_t id, const json_t *msg);
static void handle_apptask_run(exec_state *x, uint64_t id, const json_t *msg);
static void handle_disk_feed(exec_state *x, uint64_t id, const json_t *msg);
static void handle_disk_watch(exec_state *x, uint64_t id, const json_t *msg);
static void handle_fence_run(exec_state *x, uint64_t id, const json_t *msg);
static void handle_watchdog(exec_state *x, uint64_t id, const json_t *msg);

/* The keys every request has; each request's table lists only its own. */
static const field_def header_fields[] = {
    {"req", F_STRING, 32},
    {"id", F_INT, INT64_MAX},
    {NULL, F_STRING, 0},
};

static const field_def no_own_fields[] = {
    {NULL, F_STRING, 0},
};

static const field_def agent_op_fields[] = {
    {"type", F_STRING, 32},
    {"op", F_STRING, 32},
    {"name", F_STRING, 255},
    {"props", F_OBJECT, 0},
    {"timeout_ms", F_INT, AGENT_TIMEOUT_MAX_MS},
    {NULL, F_STRING, 0},
};

static const field_def corosync_write_fields[] = {
    {"cluster_name", F_STRING, 32},
    {"nodes", F_ARRAY, WP_CS_MAX_NODES}, /* of {name, id, address}: render checks them */
    {"token_ms", F_INT, WP_CS_TOKEN_MAX},
    {"ping_interval_ms", F_INT, 60000},
    {"ping_timeout_ms", F_INT, 60000},
    {"quorum", F_OBJECT, 0}, /* votequorum options, quorum device: checked below */
    {NULL, F_STRING, 0},
};

static const field_def apptask_run_fields[] = {
    {"task", F_STRING, 100}, /* [A-Za-z0-9._-], not starting with '-' */
    {NULL, F_STRING, 0},
};

static const field_def disk_watch_fields[] = {
    {"name", F_STRING, 255},
    {"device", F_STRING, 4096}, /* checked as the device property (model.h) */
    {NULL, F_STRING, 0},
};
static const field_def disk_unwatch_fields[] = {
    {"name", F_STRING, 255},
    {NULL, F_STRING, 0},
};

static const field_def fence_run_fields[] = {
    {"plan", F_OBJECT, 0}, /* checked by fence_plan_check: agents resolved here */
    {NULL, F_STRING, 0},
};

static const field_def watchdog_open_fields[] = {
    {"timeout", F_INT, WP_WATCHDOG_TIMEOUT_MAX},
    {NULL, F_STRING, 0},
};
static const field_def watchdog_close_fields[] = {
    {"disarm", F_INT, 1},
    {NULL, F_STRING, 0},
};

static const request_def requests[] = {
    {"agent.op", agent_op_fields, handle_agent_op},
    {"agent.cancel", no_own_fields, handle_agent_cancel},
    {"corosync.write", corosync_write_fields, handle_corosync_write},
    {"apptask.run", apptask_run_fields, handle_apptask_run},
    {"disk.heartbeat", no_own_fields, handle_disk_feed},
    {"disk.fence", no_own_fields, handle_disk_feed},
    {"disk.watch", disk_watch_fields, handle_disk_watch},
    {"disk.unwatch", disk_unwatch_fields, handle_disk_watch},
    {"fence.run", fence_run_fields, handle_fence_run},
    {"watchdog.open", watchdog_open_fields, handle_watchdog},
    {"watchdog.pet", no_own_fields, handle_watchdog},
    {"watchdog.close", watchdog_close_fields, handle_watchdog},
};

/* The entry for key in fields, or the closing entry (key NULL). */
static const field_def *field_find(const field_def *fields, const char *key)
{
    while (fields->key && strcmp(fields->key, key) != 0)
        fields++;
    return fields;
}

/* True when msg has every key of fields; false with err (def refused). */
static bool fields_present(const request_def *def, const field_def *fields, const json_t *msg,
                           wp_err *err)
{
    for (const field_def *f = fields; f->key; f++) {
        if (!json_object_get(msg, f->key)) {
            wp_errf(err, WP_E_PERM, "the executor refused request \"%s\"", def->name);
            wp_err_why(err, "it lacks \"%s\"", f->key);
            wp_err_todo(err, "nothing runs; if wolfpackd sent it, report a bug");
            return false;
        }
    }
    return true;
}

/* Check msg against the table: its entry, or NULL with err (what is
 * wrong).  *id is the request's id when it could be read (0 otherwise). */
static const request_def *request_check(const json_t *msg, uint64_t *id, wp_err *err)
{
    const char *name = wp_json_str(msg, "req");
    const json_t *jid = json_object_get(msg, "id");
    const request_def *def = NULL;

    *id =
        json_is_integer(jid) && json_integer_value(jid) > 0 ? (uint64_t)json_integer_value(jid) : 0;
    for (size_t i = 0; name && i < sizeof requests / sizeof requests[0]; i++)
        if (strcmp(requests[i].name, name) == 0)
            def = &requests[i];
    if (!def) {
        wp_errf(err, WP_E_PERM, "the executor refused a request that is not in its table");
        wp_err_why(err, "request %.40s%s%s", name ? "\"" : "", name ? name : "without a name",
                   name ? "\"" : "");
        wp_err_todo(err, "nothing runs; if wolfpackd sent it, report a bug");
        return NULL;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)msg, key, v)
    {
        const field_def *f = field_find(header_fields, key);
        if (!f->key)
            f = field_find(def->fields, key);
        bool ok = f->key != NULL;
        if (ok && f->kind == F_STRING)
            ok = json_is_string(v) && json_string_length(v) <= (size_t)f->max &&
                 strlen(json_string_value(v)) == json_string_length(v);
        else if (ok && f->kind == F_INT)
            ok =
                json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= f->max;
        else if (ok && f->kind == F_ARRAY)
            ok = json_is_array(v) && json_array_size(v) <= (size_t)f->max;
        else if (ok)
            ok = json_is_object(v);
        if (!ok) {
            wp_errf(err, WP_E_PERM, "the executor refused request \"%s\"", def->name);
            wp_err_why(err, "%s \"%.40s\"",
                       f->key ? "its value is of the wrong type or size:" : "unknown key", key);
            wp_err_todo(err, "nothing runs; if wolfpackd sent it, report a bug");
            return NULL;
        }
    }
    return fields_present(def, header_fields, msg, err) &&
                   fields_present(def, def->fields, msg, err)
               ? def
               : NULL;
}

/* ---- messages -------------------------------------------------------------- */

/* Send one message (stolen); false: the peer is gone or it is too big. */
bool wp_privsep_msg_send(int fd, json_t *msg, size_t max)
{
    char *text = json_dumps(msg, JSON_COMPACT);
    bool ok = false;
    json_decref(msg);
    if (text && strlen(text) <= max) {
        ssize_t n;
        do
            n = send(fd, text, strlen(text), MSG_NOSIGNAL);
        while (n < 0 && errno == EINTR);
        ok = n == (ssize_t)strlen(text);
    }
    free(text);
    return ok;
}

/* Receive one message: 1 got *msg (NULL: refused, err says why), 0 nothing
 * now (flags MSG_DONTWAIT), -1 the peer is gone. */
int wp_privsep_msg_recv(int fd, int flags, size_t max, json_t **msg, wp_err *err)
{
    const size_t cap = max + 1;
    char *buf = malloc(cap + 1);
    ssize_t n;
    *msg = NULL;
    if (!buf)
        return 0;
    do
        n = recv(fd, buf, cap, flags | MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        free(buf);
        return 0;
    }
    if (n <= 0) {
        free(buf);
        return -1;
    }
    if ((size_t)n > max) {
        wp_errf(err, WP_E_PERM, "a message of %zd bytes was refused", n);
        wp_err_why(err, "a message on the executor channel is at most %zu bytes", max);
        wp_err_todo(err, "nothing runs; if wolfpackd sent it, report a bug");
        free(buf);
        return 1;
    }
    buf[n] = '\0';
    json_error_t je;
    *msg = json_loadb(buf, (size_t)n, JSON_REJECT_DUPLICATES, &je);
    if (*msg && !json_is_object(*msg)) {
        json_decref(*msg);
        *msg = NULL;
    }
    if (!*msg) {
        wp_errf(err, WP_E_PERM, "a message that is not a JSON object was refused");
        wp_err_why(err, "%s", je.text[0] ? je.text : "not an object");
        wp_err_todo(err, "nothing runs; if wolfpackd sent it, report a bug");
    }
    free(buf);
    return 1;
}

static json_t *err_json(const wp_err *err)
{
    return json_pack("{s:s, s:s, s:s, s:s}", "code", wp_code_name(err->code), "what", err->what,
                     "why", err->why, "todo", err->todo);
}

void wp_privsep_err_from_json(const json_t *j, wp_err *err)
{
    const char *s;
    wp_err_clear(err);
    if (!json_is_object(j))
        return;
    err->code = (s = wp_json_str(j, "code")) ? wp_code_parse(s) : WP_OK;
    snprintf(err->what, sizeof err->what, "%s", wp_json_str_or(j, "what", ""));
    snprintf(err->why, sizeof err->why, "%s", wp_json_str_or(j, "why", ""));
    snprintf(err->todo, sizeof err->todo, "%s", wp_json_str_or(j, "todo", ""));
}

/* ---- the executor process -------------------------------------------------- */

typedef struct exec_job {
    exec_state *x;
    uint64_t id;
    wp_agent_job *job;
    struct exec_job *next;
} exec_job;

struct exec_state {
    qb_loop_t *loop;
    int fd;
    int log_fd;
    const char *watchdog_path; /* --watchdog PATH (fixed at the fork); NULL: none */
    wp_watchdog *wd;           /* open (armed) watchdog */
    const char *socket_path;   /* wolfpackd's socket: node tasks answer there */
    const char *root_services; /* the allow-list of root services (rootlist.h) */
    int fed;                   /* keepers fed by the last disk.heartbeat; -1 none yet */
    exec_job *jobs;
    qb_loop_timer_handle rt_timer; /* restore_daemon_rt */
    pid_t daemon_pid;              /* its parent at the start: wolfpackd */
};

/* The one answer encoder: {id, rc[, err]} and the keys of extra (stolen;
 * NULL: none), at most max bytes. */
static void answer_with(exec_state *x, uint64_t id, wp_agent_rc rc, const wp_err *err,
                        json_t *extra, size_t max)
{
    json_t *msg = json_pack("{s:I, s:i}", "id", (json_int_t)id, "rc", (int)rc);
    if (msg && err && (err->what[0] || err->code != WP_OK))
        json_object_set_new(msg, "err", err_json(err));
    if (msg && extra)
        json_object_update(msg, extra);
    json_decref(extra);
    if (!wp_privsep_msg_send(x->fd, msg, max))
        qb_log(LOG_WARNING, "executor: cannot answer request %llu", (unsigned long long)id);
}

static void answer(exec_state *x, uint64_t id, wp_agent_rc rc, const wp_err *err)
{
    answer_with(x, id, rc, err, NULL, WP_PRIVSEP_MAX_MSG);
}

/* After j's spawn: track it (on_agent_done answers), or answer the
 * failure in err and free j when it did not start. */
static void job_track(exec_state *x, exec_job *j, const wp_err *err)
{
    if (!j->job) {
        answer(x, j->id, WP_AGENT_FAILED, err);
        free(j);
        return;
    }
    j->next = x->jobs;
    x->jobs = j;
}

static void job_unlink(exec_state *x, exec_job *j)
{
    for (exec_job **pp = &x->jobs; *pp; pp = &(*pp)->next)
        if (*pp == j) {
            *pp = j->next;
            return;
        }
}

static void on_agent_done(void *data, wp_agent_rc rc, const wp_err *err)
{
    exec_job *j = data;
    answer(j->x, j->id, rc, err);
    job_unlink(j->x, j);
    free(j);
}

static exec_job *job_find(exec_state *x, uint64_t id)
{
    exec_job *j = x->jobs;
    while (j && j->id != id)
        j = j->next;
    return j;
}

static void handle_agent_op(exec_state *x, uint64_t id, const json_t *msg)
{
    wp_err err = {0};
    wp_rtype type;
    wp_agent_op op;
    const char *name = wp_json_str(msg, "name");

    if (id == 0 || job_find(x, id)) {
        wp_errf(&err, WP_E_PERM, "the executor refused agent.op %llu", (unsigned long long)id);
        wp_err_why(&err, "the id is 0 or already running");
        wp_err_todo(&err, "nothing runs; report a bug");
        wp_log_err(LOG_WARNING, "executor: refused", &err);
        answer(x, id, WP_AGENT_FAILED, &err);
        return;
    }
    if (!wp_rtype_parse(wp_json_str(msg, "type"), &type, &err) ||
        !wp_agent_op_parse(wp_json_str(msg, "op"), &op, &err) ||
        !wp_name_valid("resource", name, &err)) {
        wp_log_err(LOG_WARNING, "executor: refused agent.op", &err);
        answer(x, id, WP_AGENT_FAILED, &err);
        return;
    }
    exec_job *j = calloc(1, sizeof *j);
    if (!j) {
        wp_errf(&err, WP_E_INTERNAL, "the executor is out of memory");
        wp_err_why(&err, "calloc failed");
        wp_err_todo(&err, "free memory on this node");
        answer(x, id, WP_AGENT_FAILED, &err);
        return;
    }
    wp_agent_ctx ctx = {
        .name = name,
        .props = json_object_get(msg, "props"),
        .log_fd = x->log_fd,
        .timeout_ms = (long)json_integer_value(json_object_get(msg, "timeout_ms")),
        .root_services = x->root_services,
    };
    j->x = x;
    j->id = id;
    j->job = wp_agent_op_spawn(x->loop, type, op, &ctx, on_agent_done, j, &err);
    job_track(x, j, &err);
}

/* corosync.write, in an op child of the executor: render corosync.conf
 * from the request's structured fields (wp_corosync_conf_render checks
 * every name, id, address and timer), write it atomically to the one path
 * (WOLFPACK_COROSYNC_CONF of the executor's environment, for tests; else
 * /etc/corosync/corosync.conf), then `corosync-cfgtool -R`. */
static const char *corosync_conf_path(void)
{
    const char *p = getenv("WOLFPACK_COROSYNC_CONF");
    return p && *p ? p : "/etc/corosync/corosync.conf";
}

/* corosync-cfgtool by absolute path (agents exec nothing through PATH). */
static bool cfgtool_path(char *out, size_t size)
{
    const char *p = getenv("WOLFPACK_COROSYNC_CFGTOOL");
    const char *tool = p && *p ? p : "corosync-cfgtool";
    static const char *const dirs[] = {"/usr/sbin", "/usr/bin", "/sbin", "/bin"};
    if (tool[0] == '/') {
        snprintf(out, size, "%s", tool);
        return true;
    }
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        snprintf(out, size, "%s/%s", dirs[i], tool);
        if (access(out, X_OK) == 0)
            return true;
    }
    return false;
}

static wp_agent_rc corosync_write_op(const wp_agent_ctx *ctx, wp_err *err)
{
    wp_cs_write w;
    if (!wp_cs_write_decode(ctx->props, &w, err))
        return WP_AGENT_FAILED;
    char *text = wp_corosync_conf_render_q(w.cluster, w.nodes, w.n, &w.timing, &w.quorum, err);
    if (!text)
        return WP_AGENT_FAILED;
    bool ok = wp_fs_write_atomic(corosync_conf_path(), text, strlen(text), 0644, err);
    free(text);
    if (!ok)
        return WP_AGENT_FAILED;
    char tool[4096];
    int status = 0;
    if (!cfgtool_path(tool, sizeof tool)) {
        wp_errf(err, WP_E_NOTFOUND, "wrote %s, but corosync-cfgtool is not installed",
                corosync_conf_path());
        wp_err_why(err, "it is needed to reload corosync");
        wp_err_todo(err, "install corosync, then run corosync-cfgtool -R");
        return WP_AGENT_FAILED;
    }
    char *argv[] = {tool, "-R", NULL};
    if (!wp_agent_exec(argv, wp_agent_base_env, ctx->log_fd, &status, err))
        return WP_AGENT_FAILED;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char how[96];
        wp_agent_status_text(status, how, sizeof how);
        wp_errf(err, WP_E_IO, "wrote %s, but %s -R %s", corosync_conf_path(), tool, how);
        wp_err_why(err, "corosync refused or did not take the reload (its output is in "
                        "agents.log)");
        wp_err_todo(err, "corosync runs the old nodelist until a reload succeeds: fix the "
                         "cause, then run corosync-cfgtool -R");
        return WP_AGENT_FAILED;
    }
    return WP_AGENT_OK;
}

static const wp_agent_type corosync_writer = {
    .name = "corosync.conf",
    .ops = {[WP_OP_START] = corosync_write_op},
};

static void handle_corosync_write(exec_state *x, uint64_t id, const json_t *msg)
{
    wp_err err = {0};
    exec_job *j = id && !job_find(x, id) ? calloc(1, sizeof *j) : NULL;
    if (!j) {
        wp_errf(&err, WP_E_PERM, "the executor refused corosync.write %llu",
                (unsigned long long)id);
        wp_err_why(&err, "the id is 0 or already running, or memory is short");
        wp_err_todo(&err, "nothing was written; report a bug");
        answer(x, id, WP_AGENT_FAILED, &err);
        return;
    }
    wp_agent_ctx ctx = {.name = "corosync", .props = msg, .log_fd = x->log_fd, .timeout_ms = 15000};
    j->x = x;
    j->id = id;
    j->job =
        wp_agent_type_spawn(x->loop, &corosync_writer, WP_OP_START, &ctx, on_agent_done, j, &err);
    job_track(x, j, &err);
}

/* apptask.run: `wolfpack-task --socket SOCKET TASK` (wp_apptask_program) as root in
 * its own session, with the executor's own environment (docs/APP.md, node tasks); it answers
 * through wolfpackd's socket itself, so the executor answers "started" and reaps it later. */
static void handle_apptask_run(exec_state *x, uint64_t id, const json_t *msg)
{
    const char *task = wp_json_str(msg, "task");
    char prog[4096];
    bool cli = false;
    wp_err err = {0};
    bool ok = task[0] && task[0] != '-';
    for (const char *p = task; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             strchr("._-", *p);
    if (!ok) {
        wp_errf(&err, WP_E_PERM, "the executor refused apptask.run");
        wp_err_why(&err, "a task id is 1..100 of A-Z a-z 0-9 . _ -, not starting with '-'");
        wp_err_todo(&err, "nothing runs; if wolfpackd sent it, report a bug");
        wp_log_err(LOG_WARNING, "executor", &err);
        answer(x, id, WP_AGENT_FAILED, &err);
        return;
    }
    if (!wp_apptask_program(prog, sizeof prog, &cli)) {
        wp_errf(&err, WP_E_NOTFOUND, "cannot run node task %s", task);
        wp_err_why(&err, "no wolfpack-task program beside wolfpackd");
        wp_err_todo(&err, "install wolfpack-task beside wolfpackd, or set WOLFPACK_TASK");
        answer(x, id, WP_AGENT_FAILED, &err);
        return;
    }
    pid_t pid = fork();
    if (pid == 0) {
        char *with_cli[] = {prog,         "--socket", (char *)x->socket_path, "app", "task-run",
                            (char *)task, NULL};
        char *with_task[] = {prog, "--socket", (char *)x->socket_path, (char *)task, NULL};
        char **argv = cli ? with_cli : with_task;
        setsid();
        umask(022); /* program files as an administrator's shell makes them */
        /* the environment wolfpackd was started with (fixed at the fork,
         * never a request's): as without --user, where wolfpackd starts
         * it itself ($WOLFPACK_APP_ROOT, $WOLFPACK_APP_TASK_TIMEOUT...) */
        wp_agent_exec_child(argv, environ, x->log_fd, x->log_fd);
    }
    if (pid < 0) {
        wp_errf(&err, WP_E_IO, "cannot start node task %s", task);
        wp_err_why(&err, "fork: %s", strerror(errno));
        wp_err_todo(&err, "check the process limits of this node");
    }
    answer(x, id, pid < 0 ? WP_AGENT_FAILED : WP_AGENT_OK, &err);
}

/* disk.heartbeat / disk.fence: the Physical Disk keepers' contract
 * (src/daemon/diskfeed.c, docs/DISK.md), every 100 ms: not answered (the
 * executor logs what changes). */
static void handle_disk_feed(exec_state *x, uint64_t id, const json_t *msg)
{
    if (strcmp(wp_json_str(msg, "req"), "disk.fence") == 0) {
        int n = wp_disk_keepers_fence_all(wp_agent_run_dir(NULL));
        if (n > 0)
            qb_log(LOG_WARNING, "executor: told %d disk keeper(s) to fence", n);
        x->fed = -1;
        return;
    }
    int n = wp_disk_keepers_heartbeat_all(wp_agent_run_dir(NULL));
    if (n != x->fed)
        qb_log(LOG_INFO, "executor: feeding %d disk keeper(s)", n);
    x->fed = n;
}

/* disk.watch / disk.unwatch: a lease watcher of a disk this node may own. */
static void handle_disk_watch(exec_state *x, uint64_t id, const json_t *msg)
{
    const char *name = wp_json_str(msg, "name");
    const char *device = wp_json_str(msg, "device");
    wp_err err = {0};
    if (!wp_name_valid("resource", name, &err) ||
        (device && !wp_prop_validate(WP_RT_DISK, "device", device, &err))) {
        wp_log_err(LOG_WARNING, "executor: refused a lease watcher request", &err);
        answer(x, id, WP_AGENT_FAILED, &err);
        return;
    }
    if (!device)
        wp_disk_watcher_stop(wp_agent_run_dir(NULL), name);
    else if (wp_disk_watcher_ensure(wp_agent_run_dir(NULL), name, device, &err) < 0)
        wp_log_err(LOG_WARNING, "executor: no lease watcher", &err);
}

/* fence.run: a plan of src/daemon/fencer.c (metadata, test or fence),
 * run by fencer.c's own runner in a child.  The executor never runs a
 * program the plan names: each agent is a bare name that it looks up in
 * its own fence path (wp_fence_agent_path), and the path is replaced. */
static bool agent_resolve(json_t *obj, wp_err *err)
{
    const char *agent = wp_json_str(obj, "agent");
    char path[4096];
    if (!agent || !wp_fence_agent_path(agent, NULL, path, sizeof path, err)) {
        if (!agent)
            wp_errf(err, WP_E_PERM, "the executor refused fence.run: a step names no agent");
        return false;
    }
    json_object_set_new(obj, "path", json_string(path));
    return true;
}

static json_t *fence_plan_check(const json_t *plan, wp_err *err)
{
    const char *mode = wp_json_str(plan, "mode");
    const char *action = wp_json_str(plan, "action");
    const char *node = wp_json_str(plan, "node");
    const json_t *steps = json_object_get(plan, "steps");
    json_t *copy = json_deep_copy(plan);
    bool ok = copy && mode;
    if (ok && strcmp(mode, "metadata") == 0)
        ok = agent_resolve(copy, err);
    else if (ok && (strcmp(mode, "test") == 0 || strcmp(mode, "fence") == 0)) {
        ok = json_is_array(steps) && json_array_size(steps) >= 1 && json_array_size(steps) <= 64 &&
             (strcmp(mode, "test") == 0 ||
              (action && (strcmp(action, "off") == 0 || strcmp(action, "reboot") == 0) &&
               wp_name_valid("node", node, err)));
        size_t i;
        json_t *step;
        json_array_foreach(json_object_get(copy, "steps"), i, step)
        {
            ok = ok && json_is_object(step) && json_is_object(json_object_get(step, "props")) &&
                 agent_resolve(step, err);
        }
    } else {
        ok = false;
    }
    if (!ok) {
        if (!err->what[0]) {
            wp_errf(err, WP_E_PERM, "the executor refused fence.run");
            wp_err_why(err, "the plan is not a metadata, test or fence plan of fencer.c");
            wp_err_todo(err, "nothing runs; if wolfpackd sent it, report a bug");
        }
        json_decref(copy);
        return NULL;
    }
    return copy;
}

typedef struct fence_run {
    exec_state *x;
    uint64_t id;
    int fd;
    char *buf;
    size_t len;
} fence_run;

static int32_t on_fence_output(int32_t fd, int32_t revents, void *data)
{
    fence_run *f = data;
    if (wp_fs_read_more(fd, &f->buf, &f->len, 1024 * 1024))
        return 0; /* more to come; at the end len 0 is no result */
    json_t *result = f->len ? json_loadb(f->buf, f->len, 0, NULL) : NULL;
    answer_with(f->x, f->id, result ? WP_AGENT_OK : WP_AGENT_FAILED, NULL,
                json_pack("{s:o}", "result",
                          result ? result
                                 : json_pack("{s:b, s:s}", "ok", 0, "error",
                                             "the fence runner ended without a result")),
                WP_PRIVSEP_MAX_ANSWER);
    qb_loop_poll_del(f->x->loop, fd);
    close(fd);
    free(f->buf);
    free(f);
    return -1;
}

static void handle_fence_run(exec_state *x, uint64_t id, const json_t *msg)
{
    wp_err err = {0};
    json_t *plan = fence_plan_check(json_object_get(msg, "plan"), &err);
    fence_run *f = plan ? calloc(1, sizeof *f) : NULL;
    int p[2] = {-1, -1};
    if (plan && (!f || pipe2(p, O_CLOEXEC) != 0)) {
        wp_errf(&err, WP_E_IO, "the executor cannot start a fence runner");
        wp_err_why(&err, "%s", strerror(errno));
        wp_err_todo(&err, "check the system's limits");
    }
    pid_t pid = p[0] >= 0 ? fork() : -1;
    if (pid == 0) {
        close(p[0]);
        wp_fencer_runner(plan, p[1]);
    }
    json_decref(plan);
    if (p[1] >= 0)
        close(p[1]);
    if (pid < 0) {
        if (!err.what[0])
            wp_errf(&err, WP_E_IO, "the executor cannot fork a fence runner");
        wp_log_err(LOG_WARNING, "executor: fence.run", &err);
        answer(x, id, WP_AGENT_FAILED, &err);
        if (p[0] >= 0)
            close(p[0]);
        free(f);
        return;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    *f = (fence_run){.x = x, .id = id, .fd = p[0]};
    qb_loop_poll_add(x->loop, QB_LOOP_MED, p[0], POLLIN, f, on_fence_output);
}

/* watchdog.open / .pet / .close: wolfpackd's self-fencing (wdog.c) on the
 * one watchdog given at start-up; the daemon decides when to pet, the
 * executor holds the device.  open answers {id, rc, actual, device}; a pet
 * is answered only when it fails.  The channel's end (a crashed daemon)
 * closes it without the magic close: the watchdog fires. */
static void handle_watchdog(exec_state *x, uint64_t id, const json_t *msg)
{
    const char *req = wp_json_str(msg, "req");
    wp_err err = {0};
    if (strcmp(req, "watchdog.pet") == 0) {
        if (x->wd && !wp_watchdog_pet(x->wd, &err)) {
            wp_log_err(LOG_CRIT, "executor: watchdog", &err);
            answer(x, id, WP_AGENT_FAILED, &err);
        }
        return;
    }
    if (strcmp(req, "watchdog.close") == 0) {
        if (x->wd)
            wp_watchdog_close(x->wd, json_integer_value(json_object_get(msg, "disarm")) == 1);
        x->wd = NULL;
        answer(x, id, WP_AGENT_OK, NULL);
        return;
    }
    int timeout = (int)json_integer_value(json_object_get(msg, "timeout")), actual = 0;
    bool is_device = false;
    if (!x->watchdog_path) {
        wp_errf(&err, WP_E_PERM, "the executor refused watchdog.open");
        wp_err_why(&err, "wolfpackd was started without --watchdog");
        wp_err_todo(&err, "nothing was opened; if wolfpackd sent it, report a bug");
        answer(x, id, WP_AGENT_FAILED, &err);
        return;
    }
    if (x->wd) /* already armed: as before */
        wp_watchdog_close(x->wd, false);
    x->wd = wp_watchdog_open(x->watchdog_path, timeout, &actual, &is_device, &err);
    answer_with(x, id, x->wd ? WP_AGENT_OK : WP_AGENT_FAILED, x->wd ? NULL : &err,
                json_pack("{s:i, s:b}", "actual", actual, "device", is_device), WP_PRIVSEP_MAX_MSG);
}

static void handle_agent_cancel(exec_state *x, uint64_t id, const json_t *msg)
{
    exec_job *j = job_find(x, id);
    if (!j)
        return; /* finished meanwhile: its answer is on the way */
    job_unlink(x, j);
    wp_agent_job_cancel(j->job);
    free(j);
}

static void exec_handle(exec_state *x, const json_t *msg)
{
    wp_err err = {0};
    uint64_t id = 0;
    const request_def *def = request_check(msg, &id, &err);
    if (!def) {
        wp_log_err(LOG_WARNING, "executor", &err);
        answer(x, id, WP_AGENT_FAILED, &err);
        return;
    }
    def->handle(x, id, msg);
}

static void exec_shutdown(exec_state *x)
{
    while (x->jobs) {
        exec_job *j = x->jobs;
        x->jobs = j->next;
        wp_agent_job_cancel(j->job);
        free(j);
    }
    qb_loop_stop(x->loop);
}

static int32_t exec_on_channel(int32_t fd, int32_t revents, void *data)
{
    exec_state *x = data;
    for (;;) {
        json_t *msg;
        wp_err err = {0};
        int r = wp_privsep_msg_recv(x->fd, MSG_DONTWAIT, WP_PRIVSEP_MAX_MSG, &msg, &err);
        if (r == 0)
            return 0;
        if (r < 0) {
            qb_log(LOG_NOTICE, "executor: wolfpackd closed the channel: exiting");
            exec_shutdown(x);
            return -1;
        }
        if (msg)
            exec_handle(x, msg);
        else {
            wp_log_err(LOG_WARNING, "executor", &err);
            answer(x, 0, WP_AGENT_FAILED, &err);
        }
        json_decref(msg);
    }
}

static bool exec_owns(const exec_state *x, pid_t pid)
{
    for (const exec_job *j = x->jobs; j; j = j->next)
        if (wp_agent_job_pid(j->job) == pid)
            return true;
    return false;
}

/* SIGCHLD: reap the orphans that land on the executor (it is the services'
 * subreaper), never an op child a job waits for: every child the kernel
 * lists (/proc/self/task/PID/children; the executor has one thread) that
 * no job owns, as events.c does for wolfpackd. */
static int32_t exec_on_sigchld(int32_t sig, void *data)
{
    exec_state *x = data;
    char path[64], word[32];
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "re");
    if (!f) { /* no /proc: reap what no job owns, stop at the first owned */
        siginfo_t si = {0};
        while (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid > 0 &&
               !exec_owns(x, si.si_pid)) {
            waitpid(si.si_pid, NULL, WNOHANG);
            memset(&si, 0, sizeof si);
        }
        return 0;
    }
    while (fscanf(f, "%31s", word) == 1) {
        pid_t pid = (pid_t)strtol(word, NULL, 10);
        if (pid > 0 && !exec_owns(x, pid))
            waitpid(pid, NULL, WNOHANG);
    }
    fclose(f);
    return 0;
}

/* Capabilities that nothing the executor runs needs -- agents, fence
 * agents, corosync-cfgtool, services started as root -- dropped from its
 * bounding set, so no program it starts can have them.  The rest stays:
 * a Generic Service without `user` may need any of them (postfix chroots,
 * an OCF agent may modprobe); docs/SECURITY.md. */
static const int dropped_caps[] = {
    CAP_SYS_BOOT,        CAP_MAC_ADMIN, CAP_MAC_OVERRIDE, CAP_AUDIT_CONTROL,
    CAP_LINUX_IMMUTABLE, CAP_SYS_PACCT, CAP_WAKE_ALARM,   CAP_BLOCK_SUSPEND,
    CAP_SYSLOG,          CAP_PERFMON,   CAP_BPF,          CAP_CHECKPOINT_RESTORE,
};

static void drop_bounding_set(void)
{
    for (size_t i = 0; i < sizeof dropped_caps / sizeof dropped_caps[0]; i++)
        if (prctl(PR_CAPBSET_DROP, dropped_caps[i], 0, 0, 0) != 0 && errno != EINVAL)
            qb_log(LOG_WARNING, "executor: cannot drop capability %d: %s", dropped_caps[i],
                   strerror(errno));
}

/* agents.log: appended by root in a directory the user owns, so never
 * through a link the user may have put there. */
static int open_agent_log(const char *state_dir)
{
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/agents.log", state_dir);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)) {
        qb_log(LOG_WARNING, "executor: %s is not a plain file: agents write to /dev/null", path);
        close(fd);
        fd = -1;
    }
    return fd;
}

/* The daemon's busy guard (rt.c) puts it back to ordinary scheduling when
 * it runs WP_RT_BUSY_MAX_MS without waiting.  Unprivileged, it may not go
 * real-time again by itself where root cannot raise its RLIMIT_RTPRIO (no
 * CAP_SYS_RESOURCE, as in containers), so this root process does: every
 * RT_RESTORE_MS, a daemon (its parent) that was real-time at the fork
 * and is ordinary now gets SCHED_RR back. */
#define RT_RESTORE_MS 1000u
static void restore_daemon_rt(void *data)
{
    exec_state *x = data;
    pid_t daemon = getppid();
    if (daemon != x->daemon_pid)
        return; /* wolfpackd is gone (this process ends with its channel) */
    int policy = sched_getscheduler(daemon);
    if (policy >= 0 && (policy & ~SCHED_RESET_ON_FORK) == SCHED_OTHER) {
        struct sched_param sp = {.sched_priority = WP_RT_PRIO_DAEMON};
        if (sched_setscheduler(daemon, SCHED_RR | SCHED_RESET_ON_FORK, &sp) == 0)
            qb_log(LOG_NOTICE,
                   "executor: wolfpackd (pid %d) was back to ordinary scheduling (its busy "
                   "guard): real-time again, SCHED_RR priority %d",
                   (int)daemon, WP_RT_PRIO_DAEMON);
        else
            qb_log(LOG_WARNING,
                   "executor: wolfpackd (pid %d) is back to ordinary scheduling and cannot be "
                   "made real-time again: %s",
                   (int)daemon, strerror(errno));
    }
    qb_loop_timer_add(x->loop, QB_LOOP_LOW, (uint64_t)RT_RESTORE_MS * 1000000u, x,
                      restore_daemon_rt, &x->rt_timer);
}

static void watch_daemon_rt(exec_state *x)
{
    x->daemon_pid = getppid();
    int policy = sched_getscheduler(x->daemon_pid);
    if (x->daemon_pid > 1 && policy >= 0 && (policy & ~SCHED_RESET_ON_FORK) == SCHED_RR)
        qb_loop_timer_add(x->loop, QB_LOOP_LOW, (uint64_t)RT_RESTORE_MS * 1000000u, x,
                          restore_daemon_rt, &x->rt_timer);
}

_Noreturn void wp_privsep_executor_main(int fd, const wp_privsep_exec_conf *conf)
{
    exec_state x = {.fd = fd,
                    .log_fd = -1,
                    .socket_path = conf->socket_path,
                    .fed = -1,
                    .watchdog_path = conf->watchdog,
                    .root_services = conf->root_services ? conf->root_services : WP_ROOTLIST_DIR};
    int keep = fd;

    if (fd != 3) { /* the channel becomes descriptor 3, every other one closed */
        keep = dup2(fd, 3);
        close(fd);
    }
    close_range(4, ~0U, 0);
    x.fd = keep;
    int big = 4 * WP_PRIVSEP_MAX_ANSWER; /* room for one fence result (root may force it) */
    setsockopt(x.fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
    prctl(PR_SET_NAME, "wolfpack-exec", 0, 0, 0);
    drop_bounding_set();
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    signal(SIGINT, SIG_IGN);
    signal(SIGTERM, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    x.log_fd = open_agent_log(conf->state_dir);
    x.loop = qb_loop_create();
    if (!x.loop || qb_loop_poll_add(x.loop, QB_LOOP_HIGH, x.fd, POLLIN, &x, exec_on_channel) != 0)
        _exit(1);
    qb_loop_signal_handle h;
    qb_loop_signal_add(x.loop, QB_LOOP_LOW, SIGCHLD, &x, exec_on_sigchld, &h);
    char rt[400]; /* it pets the watchdog and forks the disk keepers: rt.h */
    bool hard = wp_rt_harden(WP_RT_PRIO_DAEMON, true, rt, sizeof rt);
    qb_log(LOG_NOTICE, "executor: running as root (pid %d); real-time: %s", (int)getpid(), rt);
    if (!hard)
        qb_log(LOG_WARNING,
               "executor: under a CPU or memory shortage it may pet the watchdog late");
    watch_daemon_rt(&x);
    qb_loop_run(x.loop);
    qb_loop_destroy(x.loop);
    _exit(0);
}
