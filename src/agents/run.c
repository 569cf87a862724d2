/*
 * run.c -- running one agent operation in a child process, so the daemon's
 * single event loop never blocks on an agent (see agent.h).
 *
 * The child: its own process group, default signals, every inherited
 * descriptor closed but stdio, the op's log and the report pipe; it runs the
 * synchronous op (wp_agent_op_call) and writes one fixed-size report record
 * (smaller than PIPE_BUF, so it arrives whole) before _exit.  It may write a
 * "deadline" record first to move its timeout.
 *
 * The parent: a job watches the pipe and a pidfd of the child.  The pidfd
 * says "exited" even when someone else (the daemon's SIGCHLD handler, which
 * reaps with waitpid(-1)) reaped the child; the result comes from the pipe.
 * A timer enforces the deadline: SIGTERM to the group, then SIGKILL after
 * WP_AGENT_KILL_GRACE_MS or as soon as the leader is gone.  The same job
 * state machine is driven either by a qb_loop (wp_agent_op_spawn) or by a
 * private poll() loop (wp_agent_op_run).
 *
 * A remote job (ctx->remote, wolfpackd --user) forks nothing here: the
 * remote runner (the root executor process, src/daemon/privexec.c) runs the
 * op with this same code on its side and answers with
 * wp_agent_job_remote_done; the job then delivers done() from a zero-delay
 * timer, so the callback never runs inside the runner's own dispatch.
 */
#include "agent.h"
#include "../lib/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define REPORT_MAGIC 0x77706167u /* "wpag" */

enum { REPORT_DEADLINE = 1, REPORT_RESULT = 2 };

typedef struct report {
    uint32_t magic;
    int32_t kind;
    int32_t rc;
    int64_t ms;
    wp_err err;
} report;

_Static_assert(sizeof(report) <= 4096, "a report must be written atomically (PIPE_BUF)");

struct wp_agent_job {
    qb_loop_t *loop;               /* NULL: driven by wp_agent_op_run's poll loop */
    const wp_agent_remote *remote; /* set: the op runs in another process */
    pid_t pid;                     /* also the process group id */
    int pidfd;
    int rfd;
    bool pipe_open;
    bool exited;
    bool finished;
    bool got_result;
    bool timed_out;
    bool killed;
    bool timer_armed;
    qb_loop_timer_handle timer;
    int64_t deadline_ns; /* poll loop only (CLOCK_MONOTONIC) */
    long timeout_ms;     /* the deadline in force, for the message */
    wp_agent_rc rc;
    wp_err err;
    int status; /* waitid result; -1 = not known (reaped elsewhere) */
    unsigned char buf[sizeof(report)];
    size_t have;
    char label[160]; /* `start of IP Address "web"` */
    wp_agent_done_fn done;
    void *data;
};

/* ---- The child ---------------------------------------------------------- */

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        c += w;
        n -= (size_t)w;
    }
}

void wp_agent_child_set_deadline(const wp_agent_ctx *ctx, long timeout_ms)
{
    if (ctx->report_fd <= 2 || timeout_ms <= 0)
        return;
    report r = {.magic = REPORT_MAGIC, .kind = REPORT_DEADLINE, .ms = timeout_ms};
    write_all(ctx->report_fd, &r, sizeof r);
}

/* Close every descriptor from 3 up except keep1 and keep2. */
static void close_except(int keep1, int keep2)
{
    int lo = keep1 < keep2 ? keep1 : keep2;
    int hi = keep1 < keep2 ? keep2 : keep1;
    if (lo < 3)
        lo = hi; /* only one to keep above stdio */
    if (lo > 3)
        close_range(3, (unsigned)lo - 1, 0);
    if (hi > lo + 1)
        close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
    close_range((unsigned)hi + 1, ~0U, 0);
}

/* type >= 0: a table type (properties checked by model.h first); else t's op
 * as it is. */
static _Noreturn void child_main(const wp_agent_type *t, int type, wp_agent_op op,
                                 const wp_agent_ctx *ctx, int wfd)
{
    setpgid(0, 0);
    wp_agent_child_reset_signals();
    close_except(wfd, ctx->log_fd >= 3 ? ctx->log_fd : wfd);

    wp_agent_ctx c = *ctx;
    c.report_fd = wfd;
    report r = {.magic = REPORT_MAGIC, .kind = REPORT_RESULT};
    if (type >= 0)
        r.rc = (int32_t)wp_agent_op_call((wp_rtype)type, op, &c, &r.err);
    else
        r.rc = (int32_t)t->ops[op](&c, &r.err);
    if (r.rc == WP_AGENT_OK && !(r.err.code == WP_OK && r.err.what[0]))
        wp_err_clear(&r.err); /* keep only a note (wp_agent_note) */
    write_all(wfd, &r, sizeof r);
    _exit(r.rc == WP_AGENT_OK || r.rc == WP_AGENT_NOT_RUNNING ? r.rc : WP_AGENT_FAILED);
}

/* ---- The parent's job state machine ------------------------------------- */

static void on_timer(void *data);

static void arm_timer(wp_agent_job *job, long ms)
{
    if (!job->loop) {
        job->deadline_ns = wp_clock_ns() + (int64_t)ms * 1000000;
        return;
    }
    if (job->timer_armed)
        qb_loop_timer_del(job->loop, job->timer);
    job->timer_armed = qb_loop_timer_add(job->loop, QB_LOOP_MED, (uint64_t)ms * 1000000, job,
                                         on_timer, &job->timer) == 0;
}

static void handle_record(wp_agent_job *job, const report *r)
{
    if (r->magic != REPORT_MAGIC)
        return;
    if (r->kind == REPORT_DEADLINE && !job->timed_out && r->ms > 0) {
        job->timeout_ms = (long)r->ms;
        arm_timer(job, job->timeout_ms);
    } else if (r->kind == REPORT_RESULT) {
        job->got_result = true;
        job->rc = (wp_agent_rc)r->rc;
        job->err = r->err;
    }
}

/* Read what the pipe holds now (non-blocking); close it at EOF. */
static void drain_pipe(wp_agent_job *job)
{
    while (job->pipe_open) {
        ssize_t n = read(job->rfd, job->buf + job->have, sizeof job->buf - job->have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN: nothing more now */
        if (n == 0) {
            job->pipe_open = false;
            if (job->loop)
                qb_loop_poll_del(job->loop, job->rfd);
            return;
        }
        job->have += (size_t)n;
        if (job->have == sizeof job->buf) {
            report r;
            memcpy(&r, job->buf, sizeof r);
            handle_record(job, &r);
            job->have = 0;
        }
    }
}

static void kill_group(wp_agent_job *job, int sig)
{
    if (kill(-job->pid, sig) != 0 && errno == ESRCH && !job->exited)
        kill(job->pid, sig); /* the child had no time to call setpgid yet */
}

/* Compute the final result and call back (async) or leave it (blocking). */
static void finish(wp_agent_job *job)
{
    if (job->finished)
        return;
    job->finished = true;
    if (job->loop) {
        if (job->timer_armed)
            qb_loop_timer_del(job->loop, job->timer);
        job->timer_armed = false;
        if (job->pipe_open)
            qb_loop_poll_del(job->loop, job->rfd);
        qb_loop_poll_del(job->loop, job->pidfd);
    }
    if (job->got_result && !(job->timed_out && job->rc != WP_AGENT_OK)) {
        /* the child's own word */
    } else if (job->timed_out) {
        job->rc = WP_AGENT_TIMEOUT;
        if (job->timeout_ms % 1000 == 0)
            wp_errf(&job->err, WP_E_UNAVAILABLE, "%s timed out after %ld s", job->label,
                    job->timeout_ms / 1000);
        else
            wp_errf(&job->err, WP_E_UNAVAILABLE, "%s timed out after %ld ms", job->label,
                    job->timeout_ms);
        wp_err_why(&job->err, "the operation did not finish within its timeout; its process "
                              "group was sent SIGTERM, then SIGKILL");
        wp_err_todo(&job->err, "read the agent's log to see where it hangs, or raise the "
                               "resource's pending_timeout");
    } else {
        char how[96] = "was reaped elsewhere";
        if (job->status != -1)
            wp_agent_status_text(job->status, how, sizeof how);
        job->rc = WP_AGENT_FAILED;
        wp_errf(&job->err, WP_E_INTERNAL, "%s ended without a result", job->label);
        wp_err_why(&job->err, "the agent process (pid %d) %s before it reported", (int)job->pid,
                   how);
        wp_err_todo(&job->err, "look for a crash in the daemon's log and report it as a bug");
    }
}

/* The child is gone (pidfd readable). */
static void on_exited(wp_agent_job *job)
{
    job->exited = true;
    drain_pipe(job);
    siginfo_t si = {0};
    if (waitid(P_PIDFD, (id_t)job->pidfd, &si, WEXITED | WNOHANG) == 0 && si.si_pid != 0)
        job->status = si.si_code == CLD_EXITED ? W_EXITCODE(si.si_status, 0) : si.si_status;
    if (job->timed_out) /* the leader went first: take the rest of the group */
        kill_group(job, SIGKILL);
    finish(job);
}

static void timer_fired(wp_agent_job *job)
{
    if (job->finished)
        return;
    if (!job->timed_out) {
        job->timed_out = true;
        kill_group(job, SIGTERM);
        arm_timer(job, WP_AGENT_KILL_GRACE_MS);
    } else if (!job->killed) {
        job->killed = true;
        kill_group(job, SIGKILL);
        arm_timer(job, WP_AGENT_KILL_GRACE_MS); /* SIGKILL cannot be ignored: pidfd follows */
    } else {
        /* a child in uninterruptible sleep: give up on it, report */
        job->exited = true;
        finish(job);
    }
}

static void on_timer(void *data)
{
    wp_agent_job *job = data;
    job->timer_armed = false;
    timer_fired(job);
    if (job->finished && job->loop) {
        job->done(job->data, job->rc, &job->err);
        wp_agent_job_cancel(job);
    }
}

/* qb_loop dispatch functions return -1 once they removed their own entry
 * (libqb would otherwise mark the deleted entry active again). */
static int32_t on_pipe(int32_t fd, int32_t revents, void *data)
{
    wp_agent_job *job = data;
    drain_pipe(job);
    return job->pipe_open ? 0 : -1;
}

static int32_t on_pidfd(int32_t fd, int32_t revents, void *data)
{
    wp_agent_job *job = data;
    on_exited(job);
    job->done(job->data, job->rc, &job->err);
    wp_agent_job_cancel(job);
    return -1;
}

/* Fork the child and set up the job (not yet watched). */
static wp_agent_job *job_start(const wp_agent_type *t, int type, wp_agent_op op,
                               const wp_agent_ctx *ctx, wp_err *err)
{
    if (!wp_agent_has_op(t, op, err))
        return NULL;
    wp_agent_job *job = calloc(1, sizeof *job);
    int p[2] = {-1, -1};
    if (!job || pipe2(p, O_CLOEXEC) != 0) {
        wp_errf(err, WP_E_IO, "cannot run %s of %s \"%s\"", wp_agent_op_name(op), t->name,
                ctx->name ? ctx->name : "");
        wp_err_why(err, "%s", job ? strerror(errno) : "out of memory");
        wp_err_todo(err, "check the descriptor and memory limits of the daemon");
        free(job);
        return NULL;
    }
    /* keep the write end above stdio so the child never mistakes it */
    if (p[1] <= 2) {
        int hi = fcntl(p[1], F_DUPFD_CLOEXEC, 3);
        close(p[1]);
        p[1] = hi;
    }
    snprintf(job->label, sizeof job->label, "%s of %s \"%s\"", wp_agent_op_name(op), t->name,
             ctx->name ? ctx->name : "");
    job->timeout_ms = wp_agent_timeout_ms(ctx);
    job->status = -1;
    job->pidfd = -1;
    pid_t pid = p[1] < 0 ? -1 : fork();
    if (pid == 0) {
        close(p[0]);
        child_main(t, type, op, ctx, p[1]);
    }
    int fork_errno = errno;
    close(p[1]);
    if (pid > 0) {
        setpgid(pid, pid); /* also from here: no race with an early kill */
        job->pidfd = pidfd_open(pid, 0);
        fork_errno = errno;
    }
    if (pid < 0 || job->pidfd < 0) {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        wp_errf(err, WP_E_IO, "cannot run %s", job->label);
        wp_err_why(err, "%s failed: %s", pid < 0 ? "fork" : "pidfd_open", strerror(fork_errno));
        wp_err_todo(err, "check the process limits and memory of this node");
        close(p[0]);
        free(job);
        return NULL;
    }
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    job->pid = pid;
    job->rfd = p[0];
    job->pipe_open = true;
    return job;
}

/* A job that stands for an op the remote runner runs; not yet sent. */
static wp_agent_job *remote_job_start(int type, wp_agent_op op, const wp_agent_ctx *ctx,
                                      wp_err *err)
{
    wp_agent_job *job = calloc(1, sizeof *job);
    if (type < 0 || !job) {
        wp_errf(err, WP_E_INTERNAL, "cannot run %s of \"%s\" in the executor", wp_agent_op_name(op),
                ctx->name ? ctx->name : "");
        wp_err_why(err, "%s", job ? "only table types run remotely" : "out of memory");
        wp_err_todo(err, "report this as a bug");
        free(job);
        return NULL;
    }
    snprintf(job->label, sizeof job->label, "%s of %s \"%s\"", wp_agent_op_name(op),
             wp_rtype_name((wp_rtype)type), ctx->name ? ctx->name : "");
    job->remote = ctx->remote;
    job->rfd = -1;
    job->pidfd = -1;
    job->status = -1;
    job->timeout_ms = wp_agent_timeout_ms(ctx);
    return job;
}

void wp_agent_job_remote_done(wp_agent_job *job, wp_agent_rc rc, const wp_err *err)
{
    if (!job || job->finished)
        return;
    job->finished = true;
    job->got_result = true;
    job->rc = rc;
    if (err)
        job->err = *err;
    else
        wp_err_clear(&job->err);
    if (job->loop) /* deliver from the loop, outside the runner's dispatch */
        job->timer_armed =
            qb_loop_timer_add(job->loop, QB_LOOP_MED, 0, job, on_timer, &job->timer) == 0;
}

static void job_free(wp_agent_job *job)
{
    if (!job)
        return;
    if (job->rfd >= 0)
        close(job->rfd);
    if (job->pidfd >= 0)
        close(job->pidfd);
    free(job);
}

static wp_agent_rc run_remote_blocking(int type, wp_agent_op op, const wp_agent_ctx *ctx,
                                       wp_err *err)
{
    wp_agent_job *job = remote_job_start(type, op, ctx, err);
    if (!job)
        return WP_AGENT_FAILED;
    if (!ctx->remote->send(ctx->remote->data, job, (wp_rtype)type, op, ctx, err)) {
        job_free(job);
        return WP_AGENT_FAILED;
    }
    if (!ctx->remote->wait(ctx->remote->data, job) || !job->finished) {
        ctx->remote->cancel(ctx->remote->data, job);
        wp_errf(&job->err, WP_E_UNAVAILABLE, "%s got no answer from the executor", job->label);
        wp_err_why(&job->err, "the root executor process is gone");
        wp_err_todo(&job->err, "see the daemon's log; restart wolfpackd");
        job->rc = WP_AGENT_FAILED;
    }
    wp_agent_rc rc = job->rc;
    if (err && (rc != WP_AGENT_OK || job->err.what[0]))
        *err = job->err;
    job_free(job);
    return rc;
}

static wp_agent_rc run_blocking(const wp_agent_type *t, int type, wp_agent_op op,
                                const wp_agent_ctx *ctx, wp_err *err)
{
    if (ctx->remote)
        return run_remote_blocking(type, op, ctx, err);
    wp_agent_job *job = job_start(t, type, op, ctx, err);
    if (!job)
        return WP_AGENT_FAILED;
    arm_timer(job, job->timeout_ms);
    while (!job->finished) {
        struct pollfd fds[2] = {{.fd = job->pidfd, .events = POLLIN},
                                {.fd = job->pipe_open ? job->rfd : -1, .events = POLLIN}};
        int64_t left = (job->deadline_ns - wp_clock_ns()) / 1000000;
        int n = poll(fds, 2, left < 0 ? 0 : left > 60000 ? 60000 : (int)left + 1);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && fds[1].revents)
            drain_pipe(job);
        if (n > 0 && fds[0].revents)
            on_exited(job);
        else if (wp_clock_ns() >= job->deadline_ns)
            timer_fired(job);
    }
    if (!job->finished) { /* poll itself failed: do not leave the child behind */
        kill_group(job, SIGKILL);
        job->timed_out = true;
        finish(job);
    }
    wp_agent_rc rc = job->rc;
    if (err && (rc != WP_AGENT_OK || job->err.what[0]))
        *err = job->err; /* a failure, or the note of a success */
    job_free(job);
    return rc;
}

static wp_agent_job *spawn_remote(qb_loop_t *loop, int type, wp_agent_op op,
                                  const wp_agent_ctx *ctx, wp_agent_done_fn done, void *data,
                                  wp_err *err)
{
    wp_agent_job *job = remote_job_start(type, op, ctx, err);
    if (!job)
        return NULL;
    job->loop = loop;
    job->done = done;
    job->data = data;
    if (!ctx->remote->send(ctx->remote->data, job, (wp_rtype)type, op, ctx, err)) {
        job_free(job);
        return NULL;
    }
    return job;
}

static wp_agent_job *spawn(qb_loop_t *loop, const wp_agent_type *t, int type, wp_agent_op op,
                           const wp_agent_ctx *ctx, wp_agent_done_fn done, void *data, wp_err *err)
{
    if (ctx->remote)
        return spawn_remote(loop, type, op, ctx, done, data, err);
    wp_agent_job *job = job_start(t, type, op, ctx, err);
    if (!job)
        return NULL;
    job->loop = loop;
    job->done = done;
    job->data = data;
    if (qb_loop_poll_add(loop, QB_LOOP_MED, job->pidfd, POLLIN, job, on_pidfd) != 0 ||
        qb_loop_poll_add(loop, QB_LOOP_MED, job->rfd, POLLIN, job, on_pipe) != 0) {
        qb_loop_poll_del(loop, job->pidfd);
        kill_group(job, SIGKILL);
        wp_errf(err, WP_E_INTERNAL, "cannot watch %s", job->label);
        wp_err_why(err, "the event loop refused its descriptors");
        wp_err_todo(err, "report this as a bug");
        job->loop = NULL;
        job_free(job);
        return NULL;
    }
    arm_timer(job, job->timeout_ms);
    return job;
}

wp_agent_rc wp_agent_op_run(wp_rtype type, wp_agent_op op, const wp_agent_ctx *ctx, wp_err *err)
{
    const wp_agent_type *t = wp_agent_lookup(type, err);
    return t ? run_blocking(t, (int)type, op, ctx, err) : WP_AGENT_FAILED;
}

wp_agent_rc wp_agent_type_run(const wp_agent_type *t, wp_agent_op op, const wp_agent_ctx *ctx,
                              wp_err *err)
{
    return run_blocking(t, -1, op, ctx, err);
}

wp_agent_job *wp_agent_op_spawn(qb_loop_t *loop, wp_rtype type, wp_agent_op op,
                                const wp_agent_ctx *ctx, wp_agent_done_fn done, void *data,
                                wp_err *err)
{
    const wp_agent_type *t = wp_agent_lookup(type, err);
    return t ? spawn(loop, t, (int)type, op, ctx, done, data, err) : NULL;
}

wp_agent_job *wp_agent_type_spawn(qb_loop_t *loop, const wp_agent_type *t, wp_agent_op op,
                                  const wp_agent_ctx *ctx, wp_agent_done_fn done, void *data,
                                  wp_err *err)
{
    return spawn(loop, t, -1, op, ctx, done, data, err);
}

pid_t wp_agent_job_pid(const wp_agent_job *job)
{
    return job->pid;
}

void wp_agent_job_cancel(wp_agent_job *job)
{
    if (!job)
        return;
    if (job->remote) {
        if (!job->finished)
            job->remote->cancel(job->remote->data, job);
        else if (job->timer_armed && job->loop)
            qb_loop_timer_del(job->loop, job->timer);
        job_free(job);
        return;
    }
    if (!job->finished) {
        kill_group(job, SIGKILL);
        waitid(P_PIDFD, (id_t)job->pidfd, &(siginfo_t){0}, WEXITED | WNOHANG);
        job->finished = true;
        if (job->loop) {
            if (job->timer_armed)
                qb_loop_timer_del(job->loop, job->timer);
            if (job->pipe_open)
                qb_loop_poll_del(job->loop, job->rfd);
            qb_loop_poll_del(job->loop, job->pidfd);
        }
    }
    job_free(job);
}
