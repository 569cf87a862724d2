/*
 * test_agents.c -- unit tests of src/agents: the child runner (blocking and
 * on a qb_loop, results through the pipe, timeouts that kill the whole
 * process group, a crashing op, a child that moves its deadline), the table
 * lookup, OCF exit-code mapping, meta-data parsing, OCF environment
 * building and agent names, address parsing and the interface choice by
 * subnet.
 *
 * The runner tests use a probe agent type of their own (not in the table)
 * whose ops run /bin/sh snippets.  The process makes itself a child
 * subreaper, as wolfpackd does, so it can see that a timed-out op's
 * background processes are gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../src/agents/agent.h"

/* ---- the probe agent ----------------------------------------------------- */

static const char *prop(const wp_agent_ctx *ctx, const char *key)
{
    return json_string_value(json_object_get(ctx->props, key));
}

/* start: run props.sh with /bin/sh; exit 0 ok, 7 not running, else failed. */
static wp_agent_rc probe_start(const wp_agent_ctx *ctx, wp_err *err)
{
    char *argv[] = {"/bin/sh", "-c", (char *)prop(ctx, "sh"), NULL};
    int status;
    if (!wp_agent_exec(argv, wp_agent_base_env, ctx->log_fd, &status, err))
        return WP_AGENT_FAILED;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return WP_AGENT_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 7)
        return WP_AGENT_NOT_RUNNING;
    char how[96];
    wp_agent_status_text(status, how, sizeof how);
    wp_errf(err, WP_E_IO, "probe failed");
    wp_err_why(err, "the snippet %s", how);
    wp_err_todo(err, "nothing");
    return WP_AGENT_FAILED;
}

/* stop: write the op's process group to props.pgfile, then run props.sh. */
static wp_agent_rc probe_stop(const wp_agent_ctx *ctx, wp_err *err)
{
    FILE *f = fopen(prop(ctx, "pgfile"), "w");
    if (f) {
        fprintf(f, "%d\n", (int)getpgrp());
        fclose(f);
    }
    return probe_start(ctx, err);
}

/* quick: ask for a 200 ms deadline, then take 30 s and say ok. */
static wp_agent_rc probe_deadline(const wp_agent_ctx *ctx, wp_err *err)
{
    wp_agent_child_set_deadline(ctx, 200);
    sleep(30);
    return WP_AGENT_OK;
}

/* thorough: crash. */
static wp_agent_rc probe_crash(const wp_agent_ctx *ctx, wp_err *err)
{
    abort();
}

static const wp_agent_type probe = {
    .name = "Probe",
    .ops =
        {
            [WP_OP_START] = probe_start,
            [WP_OP_STOP] = probe_stop,
            [WP_OP_QUICK_CHECK] = probe_deadline,
            [WP_OP_THOROUGH_CHECK] = probe_crash,
        },
};

/* Where the probe's stop op writes its process group (per test process). */
static const char *pgfile(void)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/wpag-unit-%d.pgid", (int)getpid());
    return path;
}

static wp_agent_rc run_probe(wp_agent_op op, const char *sh, long timeout_ms, wp_err *err)
{
    json_t *props = json_pack("{s:s, s:s}", "sh", sh, "pgfile", pgfile());
    wp_agent_ctx ctx = {.name = "probe", .props = props, .log_fd = -1, .timeout_ms = timeout_ms};
    wp_agent_rc rc = wp_agent_type_run(&probe, op, &ctx, err);
    json_decref(props);
    return rc;
}

/* Reap our orphans (we are a subreaper) until no live member of pgid is
 * left; bounded so a failure cannot hang the test.  true if gone. */
static bool group_gone(pid_t pgid)
{
    for (int i = 0; i < 200; i++) {
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (kill(-pgid, 0) != 0 && errno == ESRCH)
            return true;
        struct timespec ts = {0, 10 * 1000000};
        nanosleep(&ts, NULL);
    }
    return false;
}

static pid_t read_pgid(void)
{
    FILE *f = fopen(pgfile(), "r");
    int pg = 0;
    if (f) {
        if (fscanf(f, "%d", &pg) != 1)
            pg = 0;
        fclose(f);
    }
    return (pid_t)pg;
}

static void test_runner_codes(void **state)
{
    wp_err err = {0};
    assert_int_equal(run_probe(WP_OP_START, "exit 0", 10000, &err), WP_AGENT_OK);
    assert_int_equal(run_probe(WP_OP_START, "exit 7", 10000, &err), WP_AGENT_NOT_RUNNING);
    assert_int_equal(run_probe(WP_OP_START, "exit 1", 10000, &err), WP_AGENT_FAILED);
    assert_string_equal(err.what, "probe failed");
    assert_string_equal(err.why, "the snippet exited with status 1");
}

static void test_runner_timeout_kills_group(void **state)
{
    wp_err err = {0};
    unlink(pgfile());
    /* a background process in the op's group, and a foreground one */
    wp_agent_rc rc = run_probe(WP_OP_STOP, "sleep 100 & sleep 100", 300, &err);
    assert_int_equal(rc, WP_AGENT_TIMEOUT);
    assert_non_null(strstr(err.what, "timed out"));
    assert_true(err.why[0] && err.todo[0]);
    pid_t pg = read_pgid();
    assert_true(pg > 1);
    assert_true(pg != getpgrp());
    assert_true(group_gone(pg));
}

static void test_runner_term_ignored(void **state)
{
    /* the op's program ignores SIGTERM: SIGKILL after the grace ends it */
    wp_err err = {0};
    unlink(pgfile());
    wp_agent_rc rc = run_probe(WP_OP_STOP, "trap '' TERM; sleep 100 & sleep 100", 300, &err);
    assert_int_equal(rc, WP_AGENT_TIMEOUT);
    pid_t pg = read_pgid();
    assert_true(pg > 1);
    assert_true(group_gone(pg));
}

static void test_runner_crash(void **state)
{
    wp_err err = {0};
    assert_int_equal(run_probe(WP_OP_THOROUGH_CHECK, "", 10000, &err), WP_AGENT_FAILED);
    assert_non_null(strstr(err.what, "ended without a result"));
    assert_non_null(strstr(err.why, "signal 6"));
}

static void test_runner_child_deadline(void **state)
{
    /* the op asks for 200 ms and then takes 30 s: a timeout, not "ok" */
    wp_err err = {0};
    assert_int_equal(run_probe(WP_OP_QUICK_CHECK, "", 60000, &err), WP_AGENT_TIMEOUT);
    assert_non_null(strstr(err.what, "200 ms"));
}

static void test_runner_missing_op(void **state)
{
    wp_err err = {0};
    assert_int_equal(run_probe(WP_OP_VALIDATE, "", 1000, &err), WP_AGENT_FAILED);
    assert_int_equal(err.code, WP_E_INTERNAL);
}

/* ---- the same on a qb_loop ----------------------------------------------- */

typedef struct loop_result {
    qb_loop_t *loop;
    int calls;
    wp_agent_rc rc;
    wp_err err;
} loop_result;

static void on_done(void *data, wp_agent_rc rc, const wp_err *err)
{
    loop_result *r = data;
    r->calls++;
    r->rc = rc;
    r->err = *err;
    qb_loop_stop(r->loop);
}

static void on_safety(void *data)
{
    qb_loop_stop(data);
}

/* Like wolfpackd: reap every child on SIGCHLD, ours included. */
static int32_t on_sigchld(int32_t sig, void *data)
{
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    return 0;
}

static wp_agent_rc spawn_probe(const char *sh, long timeout_ms, wp_err *err)
{
    loop_result r = {.loop = qb_loop_create()};
    qb_loop_signal_handle sh_chld;
    qb_loop_timer_handle safety;
    assert_non_null(r.loop);
    qb_loop_signal_add(r.loop, QB_LOOP_HIGH, SIGCHLD, NULL, on_sigchld, &sh_chld);
    qb_loop_timer_add(r.loop, QB_LOOP_LOW, 60ull * 1000000000, r.loop, on_safety, &safety);
    json_t *props = json_pack("{s:s, s:s}", "sh", sh, "pgfile", pgfile());
    wp_agent_ctx ctx = {.name = "probe", .props = props, .log_fd = -1, .timeout_ms = timeout_ms};
    wp_agent_job *job = wp_agent_type_spawn(r.loop, &probe, WP_OP_STOP, &ctx, on_done, &r, err);
    assert_non_null(job);
    assert_true(wp_agent_job_pid(job) > 1);
    qb_loop_run(r.loop);
    assert_int_equal(r.calls, 1);
    qb_loop_timer_del(r.loop, safety);
    qb_loop_signal_del(r.loop, sh_chld);
    qb_loop_destroy(r.loop);
    json_decref(props);
    *err = r.err;
    return r.rc;
}

static void test_spawn_codes(void **state)
{
    wp_err err = {0};
    assert_int_equal(spawn_probe("exit 0", 10000, &err), WP_AGENT_OK);
    assert_int_equal(spawn_probe("exit 7", 10000, &err), WP_AGENT_NOT_RUNNING);
    assert_int_equal(spawn_probe("exit 3", 10000, &err), WP_AGENT_FAILED);
    assert_string_equal(err.why, "the snippet exited with status 3");
}

static void test_spawn_timeout(void **state)
{
    wp_err err = {0};
    unlink(pgfile());
    assert_int_equal(spawn_probe("sleep 100 & sleep 100", 300, &err), WP_AGENT_TIMEOUT);
    pid_t pg = read_pgid();
    assert_true(pg > 1);
    assert_true(group_gone(pg));
}

/* Several jobs at once on one loop, then many in a row (entry reuse). */
typedef struct multi {
    qb_loop_t *loop;
    int left;
    int calls[3];
    wp_agent_rc rc[3];
} multi;

typedef struct multi_slot {
    multi *m;
    int i;
} multi_slot;

static void on_multi_done(void *data, wp_agent_rc rc, const wp_err *err)
{
    multi_slot *s = data;
    s->m->calls[s->i]++;
    s->m->rc[s->i] = rc;
    if (--s->m->left == 0)
        qb_loop_stop(s->m->loop);
}

static void test_spawn_concurrent(void **state)
{
    static const char *const sh[3] = {"sleep 0.2; exit 0", "exit 7", "sleep 100"};
    static const long timeout[3] = {10000, 10000, 300};
    multi m = {.loop = qb_loop_create(), .left = 3};
    multi_slot slots[3];
    json_t *props[3];
    wp_err err;
    qb_loop_timer_handle safety;
    qb_loop_timer_add(m.loop, QB_LOOP_LOW, 60ull * 1000000000, m.loop, on_safety, &safety);
    for (int i = 0; i < 3; i++) {
        slots[i] = (multi_slot){&m, i};
        props[i] = json_pack("{s:s, s:s}", "sh", sh[i], "pgfile", "/dev/null");
        wp_agent_ctx ctx = {
            .name = "probe", .props = props[i], .log_fd = -1, .timeout_ms = timeout[i]};
        assert_non_null(
            wp_agent_type_spawn(m.loop, &probe, WP_OP_STOP, &ctx, on_multi_done, &slots[i], &err));
    }
    qb_loop_run(m.loop);
    for (int i = 0; i < 3; i++)
        assert_int_equal(m.calls[i], 1);
    assert_int_equal(m.rc[0], WP_AGENT_OK);
    assert_int_equal(m.rc[1], WP_AGENT_NOT_RUNNING);
    assert_int_equal(m.rc[2], WP_AGENT_TIMEOUT);

    /* one after the other on the same loop */
    for (int round = 0; round < 40; round++) {
        m.left = 1;
        m.calls[0] = 0;
        wp_agent_ctx ctx = {.name = "probe", .props = props[1], .log_fd = -1, .timeout_ms = 10000};
        assert_non_null(
            wp_agent_type_spawn(m.loop, &probe, WP_OP_STOP, &ctx, on_multi_done, &slots[0], &err));
        qb_loop_run(m.loop);
        assert_int_equal(m.calls[0], 1);
        assert_int_equal(m.rc[0], WP_AGENT_NOT_RUNNING);
    }
    /* a cancelled job never calls back */
    wp_agent_ctx ctx = {.name = "probe", .props = props[2], .log_fd = -1, .timeout_ms = 10000};
    wp_agent_job *job =
        wp_agent_type_spawn(m.loop, &probe, WP_OP_START, &ctx, on_multi_done, &slots[1], &err);
    assert_non_null(job);
    m.calls[1] = 0;
    wp_agent_job_cancel(job);
    qb_loop_timer_del(m.loop, safety);
    qb_loop_destroy(m.loop);
    assert_int_equal(m.calls[1], 0);
    for (int i = 0; i < 3; i++)
        json_decref(props[i]);
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

/* ---- table, names -------------------------------------------------------- */

static void test_lookup(void **state)
{
    wp_err err = {0};
    assert_ptr_equal(wp_agent_lookup(WP_RT_IP, &err), &wp_agent_ip);
    assert_ptr_equal(wp_agent_lookup(WP_RT_SERVICE, &err), &wp_agent_service);
    assert_ptr_equal(wp_agent_lookup(WP_RT_OCF, &err), &wp_agent_ocf);
    assert_non_null(wp_agent_lookup(WP_RT_NETNAME, &err)); /* netname.c */
    assert_non_null(wp_agent_lookup(WP_RT_DISK, &err));    /* disk.c */
    assert_null(wp_agent_lookup((wp_rtype)42, &err));
    for (int t = 0; t < WP_RT__COUNT; t++) {
        const wp_agent_type *a = wp_agent_lookup((wp_rtype)t, &err);
        for (int op = 0; a && op < WP_OP__COUNT; op++)
            assert_non_null(a->ops[op]);
    }
    /* a type without an agent fails through the runner with the same words */
    json_t *props = json_pack("{s:s}", "hostname", "web");
    wp_agent_ctx ctx = {.name = "n", .props = props, .log_fd = -1};
    assert_int_equal(wp_agent_op_run((wp_rtype)42, WP_OP_START, &ctx, &err), WP_AGENT_FAILED);
    assert_non_null(strstr(err.what, "no resource agent for type number 42"));
    json_decref(props);
}

static void test_op_parse(void **state)
{
    wp_err err = {0};
    wp_agent_op op;
    assert_true(wp_agent_op_parse("quick", &op, &err));
    assert_int_equal(op, WP_OP_QUICK_CHECK);
    assert_true(wp_agent_op_parse("IsAlive", &op, &err));
    assert_int_equal(op, WP_OP_THOROUGH_CHECK);
    assert_true(wp_agent_op_parse("stop", &op, &err));
    assert_int_equal(op, WP_OP_STOP);
    assert_false(wp_agent_op_parse("restart", &op, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_string_equal(wp_agent_rc_name(WP_AGENT_NOT_RUNNING), "not-running");
}

static void test_bad_props_refused_before_running(void **state)
{
    wp_err err = {0};
    json_t *props = json_pack("{s:s}", "address", "not-an-address");
    wp_agent_ctx ctx = {.name = "ip", .props = props, .log_fd = -1};
    assert_int_equal(wp_agent_op_call(WP_RT_IP, WP_OP_START, &ctx, &err), WP_AGENT_FAILED);
    assert_int_equal(err.code, WP_E_INVALID);
    json_decref(props);
}

/* ---- remote jobs (wolfpackd --user: the executor runs the op) ------------- */

/* A remote runner of the test's own: it records what is sent and
 * cancelled, and answers from the loop (a timer) or from wait(). */
typedef struct fake_remote {
    qb_loop_t *loop;
    wp_agent_job *job;
    int sent, cancelled, done_calls;
    wp_agent_rc rc;
    char sent_props[128];
} fake_remote;

static bool fake_send(void *data, wp_agent_job *job, wp_rtype type, wp_agent_op op,
                      const wp_agent_ctx *ctx, wp_err *err)
{
    fake_remote *f = data;
    char *p = json_dumps(ctx->props, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(f->sent_props, sizeof f->sent_props, "%s %s %s", wp_rtype_name(type),
             wp_agent_op_name(op), p ? p : "");
    free(p);
    f->job = job;
    f->sent++;
    return true;
}

static void fake_cancel(void *data, wp_agent_job *job)
{
    ((fake_remote *)data)->cancelled++;
}

static bool fake_wait(void *data, wp_agent_job *job)
{
    wp_agent_job_remote_done(job, WP_AGENT_NOT_RUNNING, NULL);
    return true;
}

static void fake_answer(void *data)
{
    fake_remote *f = data;
    wp_err note = {0};
    wp_agent_note(&note, "a note from the executor");
    wp_agent_job_remote_done(f->job, WP_AGENT_OK, &note);
    /* done() must not come from inside the runner's own dispatch */
    assert_int_equal(f->done_calls, 0);
}

static void on_fake_done(void *data, wp_agent_rc rc, const wp_err *err)
{
    fake_remote *f = data;
    f->done_calls++;
    f->rc = rc;
    assert_string_equal(err->what, "a note from the executor");
    qb_loop_stop(f->loop);
}

static void stop_loop(void *data)
{
    qb_loop_stop(data);
}

/* With ctx.remote nothing is forked here: the op goes to the runner, its
 * answer is the job's result, once, from the loop; a cancelled job tells
 * the runner and never calls back; the blocking runner waits for it. */
static void test_remote_jobs(void **state)
{
    fake_remote f = {.loop = qb_loop_create()};
    wp_agent_remote remote = {
        .data = &f, .send = fake_send, .cancel = fake_cancel, .wait = fake_wait};
    /* should the runner fork after all, nothing stays and nothing leaves dir */
    char dir[] = "/tmp/wpag-remote-XXXXXX";
    assert_non_null(mkdtemp(dir));
    json_t *props = json_pack("{s:s}", "command", "/bin/true");
    wp_agent_ctx ctx = {
        .name = "svc", .props = props, .run_dir = dir, .log_fd = -1, .remote = &remote};
    wp_err err = {0};
    qb_loop_timer_handle t1, t2;

    wp_agent_job *job =
        wp_agent_op_spawn(f.loop, WP_RT_SERVICE, WP_OP_START, &ctx, on_fake_done, &f, &err);
    assert_non_null(job);
    assert_int_equal(f.sent, 1);
    assert_string_equal(f.sent_props, "Generic Service start {\"command\":\"/bin/true\"}");
    assert_int_equal(wp_agent_job_pid(job), 0); /* not our child */
    qb_loop_timer_add(f.loop, QB_LOOP_MED, 1000000, &f, fake_answer, &t1);
    qb_loop_timer_add(f.loop, QB_LOOP_LOW, 10000000000ULL, f.loop, stop_loop, &t2);
    qb_loop_run(f.loop);
    qb_loop_timer_del(f.loop, t2);
    assert_int_equal(f.done_calls, 1);
    assert_int_equal(f.rc, WP_AGENT_OK);

    job = wp_agent_op_spawn(f.loop, WP_RT_SERVICE, WP_OP_STOP, &ctx, on_fake_done, &f, &err);
    assert_non_null(job);
    wp_agent_job_cancel(job);
    assert_int_equal(f.cancelled, 1);
    assert_int_equal(f.done_calls, 1);

    assert_int_equal(wp_agent_op_run(WP_RT_SERVICE, WP_OP_QUICK_CHECK, &ctx, &err),
                     WP_AGENT_NOT_RUNNING);
    assert_int_equal(f.sent, 3);
    qb_loop_destroy(f.loop);
    json_decref(props);
    rmdir(dir);
}

/* ---- Generic Service's user ----------------------------------------------- */

/* The real uid of a process (/proc/PID/status "Uid:"), -1 unknown. */
static long proc_uid(pid_t pid)
{
    char path[64], line[256];
    long uid = -1;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "Uid: %ld", &uid) == 1)
            break;
    if (f)
        fclose(f);
    return uid;
}

static wp_agent_rc run_service(const char *dir, const char *user, wp_agent_op op, wp_err *err)
{
    json_t *props = json_pack("{s:s}", "command", "/bin/sleep 60");
    if (user)
        json_object_set_new(props, "user", json_string(user));
    wp_agent_ctx ctx = {.name = "svc", .props = props, .run_dir = dir, .log_fd = -1};
    wp_agent_rc rc = wp_agent_op_run(WP_RT_SERVICE, op, &ctx, err);
    json_decref(props);
    return rc;
}

/* A service with user=nobody runs as nobody (and its check too); an unknown
 * user is refused before anything runs. */
static void test_service_user(void **state)
{
    wp_agent_cred nobody;
    wp_err err = {0};
    char dir[] = "/tmp/wpag-user-XXXXXX", pidfile[96];
    if (getuid() != 0 || !wp_agent_cred_lookup("nobody", &nobody, &err))
        skip();
    assert_non_null(mkdtemp(dir));
    assert_int_equal(run_service(dir, "nobody", WP_OP_START, &err), WP_AGENT_OK);
    snprintf(pidfile, sizeof pidfile, "%s/svc.pid", dir);
    FILE *f = fopen(pidfile, "r");
    int pid = 0;
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    assert_int_equal(proc_uid((pid_t)pid), (long)nobody.uid);
    assert_int_equal(run_service(dir, "nobody", WP_OP_QUICK_CHECK, &err), WP_AGENT_OK);
    assert_int_equal(run_service(dir, "nobody", WP_OP_STOP, &err), WP_AGENT_OK);
    assert_true(group_gone((pid_t)pid));

    assert_int_equal(run_service(dir, "no-such-user-wp", WP_OP_START, &err), WP_AGENT_FAILED);
    assert_int_equal(err.code, WP_E_NOTFOUND);
    assert_non_null(strstr(err.what, "no-such-user-wp"));
    assert_int_equal(access(pidfile, F_OK), -1); /* nothing was started */
    rmdir(dir);
}

/* ---- OCF ----------------------------------------------------------------- */

static void test_ocf_map(void **state)
{
    static const struct {
        int status;
        wp_agent_op op;
        wp_agent_rc rc;
        const char *name; /* in the message, or NULL */
    } cases[] = {
        {0, WP_OP_START, WP_AGENT_OK, NULL},
        {0, WP_OP_QUICK_CHECK, WP_AGENT_OK, NULL},
        {7, WP_OP_QUICK_CHECK, WP_AGENT_NOT_RUNNING, "OCF_NOT_RUNNING"},
        {7, WP_OP_THOROUGH_CHECK, WP_AGENT_NOT_RUNNING, "OCF_NOT_RUNNING"},
        {7, WP_OP_STOP, WP_AGENT_OK, NULL},
        {7, WP_OP_START, WP_AGENT_FAILED, "OCF_NOT_RUNNING"},
        {1, WP_OP_START, WP_AGENT_FAILED, "OCF_ERR_GENERIC"},
        {2, WP_OP_START, WP_AGENT_FAILED, "OCF_ERR_ARGS"},
        {3, WP_OP_STOP, WP_AGENT_FAILED, "OCF_ERR_UNIMPLEMENTED"},
        {4, WP_OP_START, WP_AGENT_FAILED, "OCF_ERR_PERM"},
        {5, WP_OP_START, WP_AGENT_FAILED, "OCF_ERR_INSTALLED"},
        {6, WP_OP_VALIDATE, WP_AGENT_FAILED, "OCF_ERR_CONFIGURED"},
        {8, WP_OP_QUICK_CHECK, WP_AGENT_FAILED, "OCF_RUNNING_PROMOTED"},
        {9, WP_OP_QUICK_CHECK, WP_AGENT_FAILED, "OCF_FAILED_PROMOTED"},
        {190, WP_OP_QUICK_CHECK, WP_AGENT_OK, NULL},
        {42, WP_OP_START, WP_AGENT_FAILED, "unknown"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wp_err err = {0};
        wp_agent_rc rc = wp_ocf_map_status(cases[i].status, cases[i].op, "ocf:x:Y", &err);
        assert_int_equal(rc, cases[i].rc);
        if (cases[i].name) {
            assert_non_null(strstr(err.what, cases[i].name));
            assert_true(err.why[0] && err.todo[0]);
        }
    }
    wp_err err = {0};
    wp_ocf_map_status(8, WP_OP_QUICK_CHECK, "ocf:x:Y", &err);
    assert_non_null(strstr(err.why, "promoted"));
}

static const char meta_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n"
    "<resource-agent name=\"Probe\" version=\"1.0\">\n"
    "<version>1.0</version>\n"
    "<parameters>\n"
    " <parameter name=\"ip\" unique=\"1\" required=\"1\"><content type=\"string\"/></parameter>\n"
    " <parameter name=\"cidr_netmask\"><content type=\"string\" default=\"\"/></parameter>\n"
    " <parameter name=\"nic\" required=\"0\"/>\n"
    "</parameters>\n"
    "<actions>\n"
    " <action name=\"start\" timeout=\"20s\"/>\n"
    " <action name=\"stop\" timeout=\"2m\"/>\n"
    " <action name=\"monitor\" depth=\"0\" timeout=\"20\" interval=\"10s\"/>\n"
    " <action name=\"monitor\" depth=\"10\" timeout=\"30s\" interval=\"60s\"/>\n"
    " <action name=\"meta-data\" timeout=\"5s\"/>\n"
    " <action name=\"validate-all\" timeout=\"500ms\"/>\n"
    "</actions>\n"
    "</resource-agent>\n";

static void test_ocf_meta(void **state)
{
    wp_err err = {0};
    wp_ocf_meta m;
    assert_true(wp_ocf_meta_parse(meta_xml, strlen(meta_xml), &m, &err));
    assert_int_equal(m.nparams, 3);
    assert_string_equal(m.params[0].name, "ip");
    assert_true(m.params[0].required);
    assert_false(m.params[1].required);
    assert_false(m.params[2].required);
    assert_int_equal(m.timeout_ms[WP_OP_START], 20000);
    assert_int_equal(m.timeout_ms[WP_OP_STOP], 120000);
    assert_int_equal(m.timeout_ms[WP_OP_QUICK_CHECK], 20000);
    assert_int_equal(m.timeout_ms[WP_OP_THOROUGH_CHECK], 30000);
    assert_int_equal(m.timeout_ms[WP_OP_VALIDATE], 500);
    assert_int_equal(m.deep_check_level, 10);
    assert_true(m.has_validate);

    assert_false(wp_ocf_meta_parse("<oops", 5, &m, &err));
    assert_int_equal(err.code, WP_E_CORRUPT);
    assert_false(wp_ocf_meta_parse("<other/>", 8, &m, &err));
    assert_true(wp_ocf_meta_parse("<resource-agent/>", 17, &m, &err));
    assert_int_equal(m.nparams, 0);
    assert_false(m.has_validate);
}

static bool env_has(char **env, const char *entry)
{
    for (; *env; env++)
        if (strcmp(*env, entry) == 0)
            return true;
    return false;
}

static bool env_has_key(char **env, const char *key)
{
    size_t n = strlen(key);
    for (; *env; env++)
        if (strncmp(*env, key, n) == 0 && (*env)[n] == '=')
            return true;
    return false;
}

static void test_ocf_env(void **state)
{
    wp_err err = {0};
    json_t *props = json_pack("{s:s, s:s, s:s}", "agent", "ocf:heartbeat:IPaddr2", "ip",
                              "198.51.100.5", "cidr_netmask", "24");
    wp_agent_ctx ctx = {.name = "web ip", .props = props, .log_fd = -1};
    char **env = wp_ocf_env_build(&ctx, "heartbeat", "IPaddr2", 20000, 10, &err);
    assert_non_null(env);
    assert_true(env_has(env, "OCF_RESKEY_ip=198.51.100.5"));
    assert_true(env_has(env, "OCF_RESKEY_cidr_netmask=24"));
    assert_false(env_has_key(env, "OCF_RESKEY_agent"));
    assert_true(env_has(env, "OCF_ROOT=/usr/lib/ocf"));
    assert_true(env_has(env, "OCF_RESOURCE_INSTANCE=web ip"));
    assert_true(env_has(env, "OCF_RESOURCE_TYPE=IPaddr2"));
    assert_true(env_has(env, "OCF_RESOURCE_PROVIDER=heartbeat"));
    assert_true(env_has(env, "OCF_RA_VERSION_MAJOR=1"));
    assert_true(env_has(env, "OCF_RESKEY_CRM_meta_timeout=20000"));
    assert_true(env_has(env, "OCF_CHECK_LEVEL=10"));
    assert_true(env_has_key(env, "PATH"));
    assert_false(env_has_key(env, "HOME")); /* nothing of the caller's environment */
    wp_agent_env_free(env);
    env = wp_ocf_env_build(&ctx, "heartbeat", "IPaddr2", 20000, -1, &err);
    assert_false(env_has_key(env, "OCF_CHECK_LEVEL"));
    wp_agent_env_free(env);
    json_decref(props);
}

static void test_ocf_agent_names(void **state)
{
    wp_err err = {0};
    char p[64], t[64];
    assert_true(wp_ocf_agent_parse("ocf:heartbeat:IPaddr2", p, t, &err));
    assert_string_equal(p, "heartbeat");
    assert_string_equal(t, "IPaddr2");
    assert_true(wp_ocf_agent_parse("pacemaker:Dummy", p, t, &err));
    assert_string_equal(p, "pacemaker");
    assert_string_equal(t, "Dummy");
    assert_false(wp_ocf_agent_parse("ocf:heartbeat", p, t, &err));
    assert_false(wp_ocf_agent_parse("ocf:../x:y", p, t, &err));
    assert_false(wp_ocf_agent_parse("ocf:a:b/c", p, t, &err));
    assert_false(wp_ocf_agent_parse("ocf:a:.x", p, t, &err));
    assert_false(wp_ocf_agent_parse(NULL, p, t, &err));
    assert_int_equal(err.code, WP_E_INVALID);
}

/* ---- IP ------------------------------------------------------------------ */

static wp_ip_ifaddr ifa(const char *ifname, const char *addr, int prefixlen)
{
    wp_ip_ifaddr a = {.prefixlen = prefixlen};
    snprintf(a.ifname, sizeof a.ifname, "%s", ifname);
    a.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    inet_pton(a.family, addr, a.addr);
    return a;
}

/* A stopping service is looked at again soon, then less often; never a
 * fixed 50 ms poll (the first look after 1 ms) nor past the stop's grace. */
static void test_service_gone_gaps(void **state)
{
    (void)state;
    long gap = 0, slept = 0, looks = 0;
    assert_int_equal(wp_service_gone_gap(0, 10000), 1);
    assert_int_equal(wp_service_gone_gap(1, 10000), 2);
    assert_int_equal(wp_service_gone_gap(16, 10000), 32);
    assert_int_equal(wp_service_gone_gap(32, 10000), 50);
    assert_int_equal(wp_service_gone_gap(50, 10000), 50);
    assert_int_equal(wp_service_gone_gap(50, 7), 7);
    assert_int_equal(wp_service_gone_gap(4, 0), 0);
    while (slept < 1000) { /* a 1 s grace: the sleeps add up to it exactly */
        gap = wp_service_gone_gap(gap, 1000 - slept);
        assert_true(gap > 0 && gap <= 50);
        slept += gap;
        looks++;
    }
    assert_int_equal(slept, 1000);
    assert_true(looks >= 20 && looks <= 30);
}

static void test_ip_parse(void **state)
{
    wp_err err = {0};
    int fam, plen;
    unsigned char a[16];
    assert_true(wp_ip_parse("198.51.100.10/24", &fam, a, &plen, &err));
    assert_int_equal(fam, AF_INET);
    assert_int_equal(plen, 24);
    assert_int_equal(a[3], 10);
    assert_true(wp_ip_parse("2001:db8::1/64", &fam, a, &plen, &err));
    assert_int_equal(fam, AF_INET6);
    assert_int_equal(plen, 64);
    assert_false(wp_ip_parse("198.51.100.10", &fam, a, &plen, &err));
    assert_false(wp_ip_parse("198.51.100.10/33", &fam, a, &plen, &err));
    assert_false(wp_ip_parse("198.51.100.10/", &fam, a, &plen, &err));
    assert_false(wp_ip_parse("198.51.100.10/2x", &fam, a, &plen, &err));
    assert_false(wp_ip_parse("2001:db8::1/129", &fam, a, &plen, &err));
    assert_false(wp_ip_parse("web/24", &fam, a, &plen, &err));
    assert_int_equal(err.code, WP_E_INVALID);
}

static void test_ip_pick(void **state)
{
    wp_ip_ifaddr list[] = {
        ifa("lo", "127.0.0.1", 8),         ifa("eth0", "192.0.2.5", 24),
        ifa("veth1", "198.51.100.1", 24),  ifa("veth1", "198.51.100.200", 24),
        ifa("veth2", "203.0.113.1", 25),   ifa("veth3", "203.0.113.200", 25),
        ifa("veth1", "2001:db8:1::1", 64),
    };
    size_t n = sizeof list / sizeof list[0];
    wp_err err = {0};
    char name[32];
    int fam, plen;
    unsigned char a[16];

    assert_true(wp_ip_parse("198.51.100.10/24", &fam, a, &plen, &err));
    assert_true(wp_ip_pick_iface(list, n, fam, a, plen, name, &err));
    assert_string_equal(name, "veth1"); /* two addresses, one interface */

    /* the target's prefix decides: /25 splits 203.0.113.0/24 in two */
    assert_true(wp_ip_parse("203.0.113.100/25", &fam, a, &plen, &err));
    assert_true(wp_ip_pick_iface(list, n, fam, a, plen, name, &err));
    assert_string_equal(name, "veth2");
    assert_true(wp_ip_parse("203.0.113.130/25", &fam, a, &plen, &err));
    assert_true(wp_ip_pick_iface(list, n, fam, a, plen, name, &err));
    assert_string_equal(name, "veth3");

    /* /24 covers both: ambiguous, and the error names them */
    assert_true(wp_ip_parse("203.0.113.50/24", &fam, a, &plen, &err));
    assert_false(wp_ip_pick_iface(list, n, fam, a, plen, name, &err));
    assert_int_equal(err.code, WP_E_CONFLICT);
    assert_non_null(strstr(err.why, "veth2, veth3"));
    assert_string_equal(name, "");

    /* no interface in that subnet */
    assert_true(wp_ip_parse("198.51.101.10/24", &fam, a, &plen, &err));
    assert_false(wp_ip_pick_iface(list, n, fam, a, plen, name, &err));
    assert_int_equal(err.code, WP_E_NOTFOUND);
    assert_true(err.why[0] && err.todo[0]);

    /* families never mix */
    assert_true(wp_ip_parse("2001:db8:1::99/64", &fam, a, &plen, &err));
    assert_true(wp_ip_pick_iface(list, n, fam, a, plen, name, &err));
    assert_string_equal(name, "veth1");
    assert_true(wp_ip_parse("2001:db8:2::99/64", &fam, a, &plen, &err));
    assert_false(wp_ip_pick_iface(list, n, fam, a, plen, name, &err));

    /* an empty list */
    assert_true(wp_ip_parse("198.51.100.10/24", &fam, a, &plen, &err));
    assert_false(wp_ip_pick_iface(list, 0, fam, a, plen, name, &err));
}

int main(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runner_codes),
        cmocka_unit_test(test_runner_timeout_kills_group),
        cmocka_unit_test(test_runner_term_ignored),
        cmocka_unit_test(test_runner_crash),
        cmocka_unit_test(test_runner_child_deadline),
        cmocka_unit_test(test_runner_missing_op),
        cmocka_unit_test(test_spawn_codes),
        cmocka_unit_test(test_spawn_timeout),
        cmocka_unit_test(test_spawn_concurrent),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_op_parse),
        cmocka_unit_test(test_bad_props_refused_before_running),
        cmocka_unit_test(test_service_user),
        cmocka_unit_test(test_remote_jobs),
        cmocka_unit_test(test_ocf_map),
        cmocka_unit_test(test_ocf_meta),
        cmocka_unit_test(test_ocf_env),
        cmocka_unit_test(test_ocf_agent_names),
        cmocka_unit_test(test_service_gone_gaps),
        cmocka_unit_test(test_ip_parse),
        cmocka_unit_test(test_ip_pick),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    unlink(pgfile());
    return failed;
}
