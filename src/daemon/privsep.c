/*
 * privsep.c -- privilege separation (wolfpackd --user NAME): wolfpackd's
 * side.
 *
 * At start-up, still root, wolfpackd looks the user up, hands it its own
 * files in the state directory (never the application records the CLI
 * keeps beside them), makes the state directory and the socket's
 * directory writable for it without giving it root's entries (the user's
 * group, group write, sticky bit), opens a SOCK_SEQPACKET socketpair and
 * forks the executor (privexec.c: a small root process with a fixed entry
 * point that runs what needs root and takes only the requests of its
 * table).  The parent then drops everything (supplementary groups but the
 * admin group, gid, uid, PR_SET_NO_NEW_PRIVS) and goes on as the
 * unprivileged wolfpackd: socket, database, replication, scheduler.
 *
 * Then it is the channel's client: agent runs are a wp_agent_remote
 * (agent.h) -- the executor, monitors and probes set ctx.remote =
 * wp_privsep_remote(d) and keep their wp_agent_job handles as before --;
 * nodeconf.c, apptask.c, diskfeed.c and fencer.c send their requests
 * through the functions below.  An answer names its request by id; when
 * the executor is gone every pending request fails and wolfpackd stops.
 * docs/SECURITY.md ("Privilege separation") describes the split and what
 * it does not stop.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <pwd.h>
#include <qb/qblog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "daemon.h"
#include "../agents/agent.h"
#include "../lib/fs.h"
#include "../lib/corosync_msg.h"

/* ---- wolfpackd's side ----------------------------------------------------- */

typedef struct pending {
    uint64_t id;
    wp_agent_job *job;                /* agent.op: the job that stands for it */
    wp_privsep_done_fn done;          /* corosync.write, apptask.run: called with the answer */
    wp_privsep_result_fn result_done; /* fence.run: called with the result */
    void *cookie;
    json_t **answer; /* watchdog.open, .close: the caller waits for the answer here */
    struct pending *next;
} pending;

struct wp_privsep {
    wp_daemon *d;
    int fd;
    pid_t pid; /* the executor */
    bool watched;
    bool gone;
    uint64_t next_id;
    pending *pending;
    wp_agent_remote remote;
};

/* ---- wolfpackd's side: start-up ------------------------------------------ */

typedef struct account {
    uid_t uid;
    gid_t gid;
    gid_t admin_gid;
    bool has_admin;
} account;

static bool lookup_account(const wp_daemon_opts *o, account *a, wp_err *err)
{
    char buf[16384];
    struct passwd pw, *pf = NULL;
    struct group gr, *gf = NULL;
    if (getpwnam_r(o->user, &pw, buf, sizeof buf, &pf) != 0 || !pf) {
        wp_errf(err, WP_E_NOTFOUND, "user \"%s\" (--user) does not exist on this node", o->user);
        wp_err_why(err, "wolfpackd runs as that user and keeps root only in its executor");
        wp_err_todo(err,
                    "create it (adduser --system --group --no-create-home %s) or give "
                    "another --user",
                    o->user);
        return false;
    }
    if (pw.pw_uid == 0) {
        wp_errf(err, WP_E_INVALID, "--user %s is root", o->user);
        wp_err_why(err, "the point of --user is that wolfpackd does not run as root");
        wp_err_todo(err, "give an unprivileged user, or leave --user out");
        return false;
    }
    a->uid = pw.pw_uid;
    a->gid = pw.pw_gid;
    a->has_admin = getgrnam_r(o->admin_group, &gr, buf, sizeof buf, &gf) == 0 && gf;
    a->admin_gid = a->has_admin ? gr.gr_gid : 0;
    return true;
}

/* What wolfpackd itself keeps in its state directory: these (and the
 * directory) become the user's.  Nothing else: the application records
 * and backups the wolfpack CLI keeps beside them (apps/, app-backups/,
 * secrets in 0600 files) stay root's. */
static const char *const daemon_files[] = {
    "cluster.db",     "cluster.db-wal", "cluster.db-shm", "cluster.db-journal",
    "wolfpackd.lock", "agents.log",     "incidents",
};

/* Hand one entry of dfd to the user, never through a link; a directory
 * (incidents) with its plain files. */
static void own_entry(int dfd, const char *name, const account *a)
{
    struct stat st;
    if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return;
    if (fchownat(dfd, name, a->uid, a->gid, AT_SYMLINK_NOFOLLOW) != 0)
        qb_log(LOG_WARNING, "privsep: chown %s: %s", name, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return;
    int sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *dir = sub >= 0 ? fdopendir(sub) : NULL;
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL)
        if (e->d_type == DT_REG &&
            fchownat(sub, e->d_name, a->uid, a->gid, AT_SYMLINK_NOFOLLOW) != 0)
            qb_log(LOG_WARNING, "privsep: chown %s/%s: %s", name, e->d_name, strerror(errno));
    if (dir)
        closedir(dir);
    else if (sub >= 0)
        close(sub);
}

/* wolfpackd's files in the state directory belong to the user (the
 * database, the lock, incidents, agents.log); the directory stays root's,
 * with the user's group, group-writable and sticky (1770): the user
 * creates and replaces its own files (SQLite's journal, snapshot imports)
 * but cannot rename or remove root's (apps/, which the root CLI trusts).
 * What others could do there before stays (0700 by default: nothing; a
 * directory an administrator made 0755 keeps o+rx, as without --user). */
static bool own_state_dir(const char *dir, const account *a, wp_err *err)
{
    char log[4200];
    if (!wp_fs_mkdir_p(dir, 0700, err))
        return false;
    snprintf(log, sizeof log, "%s/agents.log", dir);
    int fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0)
        close(fd);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (dfd < 0 || fstat(dfd, &st) != 0 || (st.st_uid != 0 && st.st_uid != a->uid)) {
        wp_errf(err, WP_E_IO, "cannot hand the state directory %s to the user", dir);
        wp_err_why(err, "%s", dfd < 0 ? strerror(errno) : "it belongs to another user");
        wp_err_todo(err, "give a --state-dir of wolfpackd's own (a directory, not a link)");
        if (dfd >= 0)
            close(dfd);
        return false;
    }
    if (fchown(dfd, 0, a->gid) != 0 || fchmod(dfd, 01770 | (st.st_mode & 0005)) != 0)
        qb_log(LOG_WARNING, "privsep: chown/chmod %s: %s", dir, strerror(errno));
    for (size_t i = 0; i < sizeof daemon_files / sizeof daemon_files[0]; i++)
        own_entry(dfd, daemon_files[i], a);
    close(dfd);
    return true;
}

/* The socket's directory: the user must create its socket there, and must
 * not move root's entries (WP_AGENT_RUN_DIR may live beside it): group of
 * the user, group-writable, sticky.  A directory the user may write to
 * already (its own, or /tmp) is left as it is.  A stale socket of a root
 * daemon is handed over, so the user can replace it. */
static bool prepare_socket_dir(const char *socket_path, const account *a, wp_err *err)
{
    char buf[4096], dir[4096];
    struct stat st;
    snprintf(buf, sizeof buf, "%s", socket_path);
    snprintf(dir, sizeof dir, "%s", dirname(buf));
    if (!wp_fs_mkdir_p(dir, 0755, err) || lstat(dir, &st) != 0)
        return false;
    bool writable = st.st_uid == a->uid ||
                    (st.st_gid == a->gid && (st.st_mode & S_IWGRP) && (st.st_mode & S_IXGRP)) ||
                    ((st.st_mode & S_IWOTH) && (st.st_mode & S_ISVTX));
    if (!writable &&
        (chown(dir, 0, a->gid) != 0 || chmod(dir, (st.st_mode & 07777) | S_IRWXG | S_ISVTX) != 0)) {
        wp_errf(err, WP_E_IO, "cannot let user %u create its socket in %s", (unsigned)a->uid, dir);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "make %s group-writable for the user, or choose another --socket", dir);
        return false;
    }
    if (lstat(socket_path, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid != a->uid &&
        lchown(socket_path, a->uid, a->gid) != 0)
        qb_log(LOG_WARNING, "privsep: chown %s: %s", socket_path, strerror(errno));
    /* root's run directory for the agents, made by root before the user can */
    return wp_fs_mkdir_p(wp_agent_run_dir(NULL), 0755, err);
}

/* Become the user for good; false: the process must not go on. */
static bool drop_privileges(const char *user, const account *a, wp_err *err)
{
    gid_t groups[1] = {a->admin_gid};
    if (setgroups(a->has_admin ? 1 : 0, groups) != 0 || setgid(a->gid) != 0 ||
        setuid(a->uid) != 0 || setuid(0) == 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        wp_errf(err, WP_E_PERM, "cannot drop root for user %s", user);
        wp_err_why(err, "setgroups/setgid/setuid/no_new_privs: %s", strerror(errno));
        wp_err_todo(err, "start wolfpackd as root with --user, or without --user");
        return false;
    }
    /* a process that changed its uid is not dumpable: make the daemon's
     * core files and /proc entries its user's again */
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    return true;
}

bool wp_privsep_start(wp_daemon *d, wp_err *err)
{
    account a;
    int sv[2];

    if (!d->opts.user)
        return true;
    if (geteuid() != 0) {
        wp_errf(err, WP_E_PERM, "--user needs wolfpackd started as root");
        wp_err_why(err, "the executor keeps root for the agents; the rest runs as the user");
        wp_err_todo(err, "start wolfpackd as root, or leave --user out");
        return false;
    }
    if (!lookup_account(&d->opts, &a, err) || !own_state_dir(d->opts.state_dir, &a, err) ||
        !prepare_socket_dir(d->opts.socket_path, &a, err))
        return false;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        wp_errf(err, WP_E_IO, "cannot make the executor's channel");
        wp_err_why(err, "socketpair: %s", strerror(errno));
        wp_err_todo(err, "check the open-file limit");
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        wp_errf(err, WP_E_IO, "cannot start the executor");
        wp_err_why(err, "fork: %s", strerror(errno));
        wp_err_todo(err, "check the process limits of this node");
        close(sv[0]);
        close(sv[1]);
        return false;
    }
    if (pid == 0) {
        close(sv[0]);
        wp_privsep_exec_conf conf = {.state_dir = d->opts.state_dir,
                                     .socket_path = d->opts.socket_path,
                                     .watchdog = d->opts.watchdog,
                                     .root_services = d->opts.root_services};
        wp_privsep_executor_main(sv[1], &conf);
    }
    close(sv[1]);
    d->privsep = calloc(1, sizeof *d->privsep);
    if (!d->privsep) {
        close(sv[0]);
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        wp_err_why(err, "calloc failed");
        wp_err_todo(err, "free memory on this node");
        return false;
    }
    d->privsep->d = d;
    d->privsep->fd = sv[0];
    d->privsep->pid = pid;
    d->privsep->next_id = 1;
    if (!drop_privileges(d->opts.user, &a, err))
        return false;
    qb_log(LOG_NOTICE, "privsep: running as %s (uid %u); executor pid %d keeps root", d->opts.user,
           (unsigned)a.uid, (int)pid);
    return true;
}

/* ---- wolfpackd's side: the remote runner --------------------------------- */

static pending *pending_take(wp_privsep *ps, uint64_t id, const wp_agent_job *job)
{
    for (pending **pp = &ps->pending; *pp; pp = &(*pp)->next) {
        pending *p = *pp;
        if ((id && p->id == id) || (job && p->job == job)) {
            *pp = p->next;
            return p;
        }
    }
    return NULL;
}

static void fail_all(wp_privsep *ps)
{
    wp_err err = {0};
    wp_errf(&err, WP_E_UNAVAILABLE, "the root executor process is gone");
    wp_err_why(&err, "it ended or closed its channel");
    wp_err_todo(&err, "see the daemon's log; restart wolfpackd");
    while (ps->pending) {
        pending *p = ps->pending;
        ps->pending = p->next;
        if (p->job)
            wp_agent_job_remote_done(p->job, WP_AGENT_FAILED, &err);
        else if (p->result_done) {
            json_t *r = json_pack("{s:b, s:s}", "ok", 0, "error", err.what);
            p->result_done(ps->d, p->cookie, r);
            json_decref(r);
        } else if (p->done)
            p->done(ps->d, false, &err);
        /* p->answer: its caller sees no answer */
        free(p);
    }
}

/* One answer from the executor. */
static void take_answer(wp_privsep *ps, const json_t *msg)
{
    const json_t *jid = json_object_get(msg, "id");
    const json_t *jrc = json_object_get(msg, "rc");
    wp_err err;
    pending *p =
        json_is_integer(jid) ? pending_take(ps, (uint64_t)json_integer_value(jid), NULL) : NULL;
    wp_privsep_err_from_json(json_object_get(msg, "err"), &err);
    if (!p) {
        if (err.what[0])
            wp_log_err(LOG_WARNING, "privsep: the executor answered", &err);
        return;
    }
    wp_agent_rc rc = json_is_integer(jrc) ? (wp_agent_rc)json_integer_value(jrc) : WP_AGENT_FAILED;
    if (p->answer)
        *p->answer = json_incref((json_t *)msg);
    else if (p->job)
        wp_agent_job_remote_done(p->job, rc, &err);
    else if (p->result_done) {
        json_t *r = json_object_get(msg, "result");
        json_t *own = json_is_object(r) ? json_incref(r)
                                        : json_pack("{s:b, s:s}", "ok", 0, "error",
                                                    err.what[0] ? err.what : "no result");
        p->result_done(ps->d, p->cookie, own);
        json_decref(own);
    } else
        p->done(ps->d, rc == WP_AGENT_OK, &err);
    free(p);
}

/* Read every answer there is now (flags 0: wait for one); false: gone. */
static bool read_answers(wp_privsep *ps, int flags)
{
    for (;;) {
        json_t *msg;
        wp_err err = {0};
        int r = wp_privsep_msg_recv(ps->fd, flags, WP_PRIVSEP_MAX_ANSWER, &msg, &err);
        if (r == 0)
            return true;
        if (r < 0) {
            if (!ps->gone)
                qb_log(LOG_ERR, "privsep: the root executor (pid %d) is gone: stopping",
                       (int)ps->pid);
            ps->gone = true;
            fail_all(ps);
            return false;
        }
        if (msg)
            take_answer(ps, msg);
        else
            wp_log_err(LOG_WARNING, "privsep", &err);
        json_decref(msg);
        flags = MSG_DONTWAIT;
    }
}

static int32_t on_channel(int32_t fd, int32_t revents, void *data)
{
    wp_privsep *ps = data;
    if (read_answers(ps, MSG_DONTWAIT))
        return 0;
    ps->watched = false;
    qb_loop_stop(ps->d->loop);
    return -1;
}

/* Send request msg (stolen; its "id" is set here) and, when it is sent,
 * remember what its answer goes to (a copy of how: job, done, result_done,
 * cookie, answer).  false with err ("cannot hand WHAT to the executor"):
 * nothing pending. */
static bool send_request(wp_privsep *ps, json_t *msg, const pending *how, const char *what,
                         wp_err *err)
{
    pending *p = calloc(1, sizeof *p);
    if (msg)
        json_object_set_new(msg, "id", json_integer((json_int_t)ps->next_id));
    if (!p || !msg || ps->gone || !wp_privsep_msg_send(ps->fd, msg, WP_PRIVSEP_MAX_MSG)) {
        if (!p || ps->gone)
            json_decref(msg);
        free(p);
        wp_errf(err, WP_E_UNAVAILABLE, "cannot hand %s to the executor", what);
        wp_err_why(err, "%s",
                   ps->gone ? "the root executor process is gone"
                            : "the request is larger than the channel's limit, or the executor "
                              "does not read");
        wp_err_todo(err, "see the daemon's log; restart wolfpackd");
        return false;
    }
    *p = *how;
    p->id = ps->next_id++;
    p->next = ps->pending;
    ps->pending = p;
    return true;
}

/* A request without an answer (watchdog.pet, disk feed, agent.cancel). */
static bool send_unanswered(wp_privsep *ps, json_t *msg)
{
    if (msg)
        json_object_set_new(msg, "id", json_integer((json_int_t)ps->next_id++));
    if (ps->gone || !msg) {
        json_decref(msg);
        return false;
    }
    return wp_privsep_msg_send(ps->fd, msg, WP_PRIVSEP_MAX_MSG);
}

static bool remote_send(void *data, wp_agent_job *job, wp_rtype type, wp_agent_op op,
                        const wp_agent_ctx *ctx, wp_err *err)
{
    char what[320];
    json_t *props = ctx->props ? json_incref((json_t *)ctx->props) : json_object();
    json_t *msg =
        json_pack("{s:s, s:s, s:s, s:s, s:o, s:I}", "req", "agent.op", "type", wp_rtype_name(type),
                  "op", wp_agent_op_name(op), "name", ctx->name ? ctx->name : "", "props", props,
                  "timeout_ms", (json_int_t)(ctx->timeout_ms > 0 ? ctx->timeout_ms : 0));
    snprintf(what, sizeof what, "%s of \"%s\"", wp_agent_op_name(op), ctx->name ? ctx->name : "");
    return send_request(data, msg, &(pending){.job = job}, what, err);
}

bool wp_privsep_disk(wp_daemon *d, const char *req, const char *name, const char *device)
{
    json_t *msg = json_pack("{s:s}", "req", req);
    if (msg && name)
        json_object_set_new(msg, "name", json_string(name));
    if (msg && device)
        json_object_set_new(msg, "device", json_string(device));
    return send_unanswered(d->privsep, msg);
}

bool wp_privsep_fence_run(wp_daemon *d, const json_t *plan, wp_privsep_result_fn done, void *cookie,
                          wp_err *err)
{
    return send_request(d->privsep, json_pack("{s:s, s:O}", "req", "fence.run", "plan", plan),
                        &(pending){.result_done = done, .cookie = cookie}, "the fence run", err);
}

/* Send msg (stolen) and wait for its answer (answers of other requests
 * are taken meanwhile); NULL with err: not sent, or the executor is gone. */
static json_t *call(wp_privsep *ps, json_t *msg, wp_err *err)
{
    json_t *ans = NULL;
    if (!send_request(ps, msg, &(pending){.answer = &ans}, "a request", err))
        return NULL;
    while (!ans && read_answers(ps, 0)) {
    }
    if (!ans) {
        wp_errf(err, WP_E_UNAVAILABLE, "the executor did not answer");
        wp_err_why(err, "the root executor process is gone");
        wp_err_todo(err, "see the daemon's log; restart wolfpackd");
    }
    return ans;
}

bool wp_privsep_watchdog_open(wp_daemon *d, int timeout, int *actual, bool *is_device, wp_err *err)
{
    json_t *ans =
        call(d->privsep, json_pack("{s:s, s:i}", "req", "watchdog.open", "timeout", timeout), err);
    bool ok = ans && json_integer_value(json_object_get(ans, "rc")) == WP_AGENT_OK;
    if (ans && !ok)
        wp_privsep_err_from_json(json_object_get(ans, "err"), err);
    *actual = (int)json_integer_value(json_object_get(ans, "actual"));
    *is_device = json_is_true(json_object_get(ans, "device"));
    json_decref(ans);
    return ok;
}

void wp_privsep_watchdog_pet(wp_daemon *d)
{
    send_unanswered(d->privsep, json_pack("{s:s}", "req", "watchdog.pet"));
}

void wp_privsep_watchdog_close(wp_daemon *d, bool disarm)
{
    wp_err err = {0};
    json_decref(call(d->privsep,
                     json_pack("{s:s, s:i}", "req", "watchdog.close", "disarm", disarm ? 1 : 0),
                     &err));
    if (err.what[0])
        wp_log_err(LOG_ERR, "watchdog: cannot close it", &err);
}

void wp_privsep_forget(wp_daemon *d, const void *cookie)
{
    wp_privsep *ps = d->privsep;
    for (pending **pp = ps ? &ps->pending : NULL; pp && *pp;) {
        pending *p = *pp;
        if (p->result_done && p->cookie == cookie) {
            *pp = p->next;
            free(p);
        } else {
            pp = &p->next;
        }
    }
}

bool wp_privsep_apptask_run(wp_daemon *d, const char *task, wp_privsep_done_fn done, wp_err *err)
{
    char what[160];
    snprintf(what, sizeof what, "node task %.100s", task);
    return send_request(d->privsep, json_pack("{s:s, s:s}", "req", "apptask.run", "task", task),
                        &(pending){.done = done}, what, err);
}

bool wp_privsep_corosync_write(wp_daemon *d, const char *cluster, const wp_cs_node *nodes, size_t n,
                               const wp_cs_timing *t, const wp_cs_quorum *q,
                               wp_privsep_done_fn done, wp_err *err)
{
    return send_request(d->privsep, wp_cs_write_encode(cluster, nodes, n, t, q),
                        &(pending){.done = done}, "the corosync.conf rewrite", err);
}

static void remote_cancel(void *data, wp_agent_job *job)
{
    wp_privsep *ps = data;
    pending *p = pending_take(ps, 0, job);
    if (!p)
        return;
    if (!ps->gone) /* the cancel names the op's id: not a new one */
        wp_privsep_msg_send(ps->fd,
                            json_pack("{s:s, s:I}", "req", "agent.cancel", "id", (json_int_t)p->id),
                            WP_PRIVSEP_MAX_MSG);
    free(p);
}

/* Blocking: answers for other jobs are taken too (they deliver from the
 * loop later); true once job has its answer. */
static bool remote_wait(void *data, wp_agent_job *job)
{
    wp_privsep *ps = data;
    for (;;) {
        bool waiting = false;
        for (pending *p = ps->pending; p; p = p->next)
            waiting = waiting || p->job == job;
        if (!waiting)
            return true;
        if (!read_answers(ps, 0))
            return false;
    }
}

bool wp_privsep_attach(wp_daemon *d, wp_err *err)
{
    wp_privsep *ps = d->privsep;
    if (!ps)
        return true;
    ps->remote = (wp_agent_remote){
        .data = ps, .send = remote_send, .cancel = remote_cancel, .wait = remote_wait};
    if (qb_loop_poll_add(d->loop, QB_LOOP_HIGH, ps->fd, POLLIN, ps, on_channel) != 0) {
        wp_errf(err, WP_E_INTERNAL, "cannot watch the executor's channel");
        wp_err_why(err, "qb_loop_poll_add failed");
        wp_err_todo(err, "report this as a bug");
        return false;
    }
    ps->watched = true;
    return true;
}

const wp_agent_remote *wp_privsep_remote(const wp_daemon *d)
{
    return d->privsep ? &d->privsep->remote : NULL;
}

void wp_privsep_free(wp_daemon *d)
{
    wp_privsep *ps = d->privsep;
    if (!ps)
        return;
    if (ps->watched && d->loop)
        qb_loop_poll_del(d->loop, ps->fd);
    while (ps->pending) { /* their jobs were cancelled with their owners */
        pending *p = ps->pending;
        ps->pending = p->next;
        free(p);
    }
    close(ps->fd); /* the executor sees EOF, kills what it still runs, exits */
    waitpid(ps->pid, NULL, 0);
    free(ps);
    d->privsep = NULL;
}
