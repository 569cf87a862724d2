/*
 * service.c -- the "Generic Service" agent: a plain process or a systemd
 * unit.
 *
 * command (a program the agent supervises itself):
 *   start     if the recorded process still runs, nothing to do; else exec
 *             the command (no shell, clean environment) detached in its own
 *             session and process group, record "PID STARTTIME" in
 *             RUN_DIR/<resource>.pid (starttime from /proc/PID/stat, so a
 *             reused PID is never taken for the service), and wait
 *             WP_SERVICE_SETTLE_MS (50 ms) to see that it did not exit at once
 *             (a later exit is caught by the quick check).
 *             With the user property the program (and check_command) runs
 *             as that user: its groups, gid and uid are set in the child
 *             before exec; without it (or with user=root), as root --
 *             under the root executor only a program its root-owned
 *             allow-list names (src/lib/rootlist.h; validate, start and
 *             the check refuse any other, the resource shows why).
 *             The daemon is a child subreaper, so the service stays its
 *             descendant after the op child exits.
 *   stop      SIGTERM to the process group, wait up to the stop grace
 *             (10 s, or half the op's timeout if shorter), then SIGKILL;
 *             no record or a dead process is success.
 *   quick     the recorded PID is alive (not a zombie) with the same start
 *             time.
 *   thorough  quick, then check_command (if set) must exit 0.
 * unit (systemd): start/stop/is-active through systemctl when systemd runs
 *   this node (/run/systemd/system exists); refused otherwise.  Under the
 *   executor, validate and start need `unit NAME` on the allow-list.
 */
#include "agent.h"
#include "../lib/clock.h"
#include "../lib/fs.h"
#include "../lib/proc.h"
#include "../lib/rootlist.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WP_SERVICE_SETTLE_MS                                                                       \
    50 /* long enough for exec failures and bad configs; later exits are the monitors' job */
#define WP_SERVICE_STOP_GRACE_MS 10000L
#define WP_SERVICE_KILL_WAIT_MS 3000L
/* the longest gap between two looks at a stopping group */
#define WP_SERVICE_GONE_POLL_MAX_MS 50L

static const char *run_dir(const wp_agent_ctx *ctx)
{
    return wp_agent_run_dir(ctx->run_dir);
}

/* ---- /proc ---------------------------------------------------------------- */

/* A living (not zombie) process in group pgid? */
static bool group_alive(pid_t pgid)
{
    DIR *d = opendir("/proc");
    bool alive = false;
    for (struct dirent *e; d && !alive && (e = readdir(d));) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        wp_proc_stat ps;
        if (wp_proc_stat_read((pid_t)atol(e->d_name), &ps) && ps.pgrp == pgid && ps.state != 'Z' &&
            ps.state != 'X')
            alive = true;
    }
    if (d)
        closedir(d);
    return alive;
}

long wp_service_gone_gap(long last, long left)
{
    long gap = last <= 0 ? 1 : last * 2;
    if (gap > WP_SERVICE_GONE_POLL_MAX_MS)
        gap = WP_SERVICE_GONE_POLL_MAX_MS;
    return gap < left ? gap : left > 0 ? left : 0;
}

/* Wait up to ms for the group to be gone; true if it is.  The looks come
 * after 1, 2, 4 ... ms (wp_service_gone_gap): a service that exits at once
 * on SIGTERM costs a planned move a few ms, not a fixed 50 ms poll
 * (docs/TIMING.md, "A planned move"). */
static bool wait_group_gone(pid_t pgid, long ms)
{
    int64_t start = wp_clock_ms();
    long gap = 0;
    for (;;) {
        if (!group_alive(pgid))
            return true;
        long left = ms - (long)(wp_clock_ms() - start);
        if (left <= 0)
            return false;
        gap = wp_service_gone_gap(gap, left);
        wp_clock_sleep_ms(gap);
    }
}

/* ---- The state file -------------------------------------------------------- */

static void state_path(const wp_agent_ctx *ctx, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s.pid", run_dir(ctx), ctx->name);
}

/* Read "PID STARTTIME"; false if there is no (usable) record. */
static bool state_read(const wp_agent_ctx *ctx, pid_t *pid, unsigned long long *start)
{
    char path[4200];
    state_path(ctx, path, sizeof path);
    FILE *f = fopen(path, "re");
    long p = 0;
    bool ok = f && fscanf(f, "%ld %llu", &p, start) == 2 && p > 1;
    if (f)
        fclose(f);
    *pid = (pid_t)p;
    return ok;
}

static bool state_write(const wp_agent_ctx *ctx, pid_t pid, unsigned long long start, wp_err *err)
{
    char path[4200], text[64];
    state_path(ctx, path, sizeof path);
    int n = snprintf(text, sizeof text, "%d %llu\n", (int)pid, start);
    return wp_fs_mkdir_p(run_dir(ctx), 0755, err) &&
           wp_fs_write_atomic(path, text, (size_t)n, 0644, err);
}

static void state_remove(const wp_agent_ctx *ctx)
{
    char path[4200];
    state_path(ctx, path, sizeof path);
    unlink(path);
}

/* Is the recorded process running?  *pid receives it. */
static wp_agent_rc recorded_alive(const wp_agent_ctx *ctx, pid_t *pid, wp_err *err)
{
    unsigned long long want;
    if (!state_read(ctx, pid, &want)) {
        wp_errf(err, WP_E_NOTFOUND, "service \"%s\" is not running", ctx->name);
        wp_err_why(err, "there is no record of a started process in %s", run_dir(ctx));
        wp_err_todo(err, "start the resource");
        return WP_AGENT_NOT_RUNNING;
    }
    wp_proc_stat ps = {0};
    bool exists = wp_proc_stat_read(*pid, &ps);
    unsigned long long have = ps.start;
    if (!exists || ps.state == 'Z' || ps.state == 'X' || have != want) {
        wp_errf(err, WP_E_NOTFOUND, "service \"%s\" is not running", ctx->name);
        wp_err_why(err, "its process %d %s", (int)*pid,
                   exists && have != want ? "is gone (the PID now belongs to another process)"
                                          : "has exited");
        wp_err_todo(err, "look in the service's log why it ended, then start the resource");
        return WP_AGENT_NOT_RUNNING;
    }
    return WP_AGENT_OK;
}

/* ---- systemd units ------------------------------------------------------- */

static bool systemd_running(const char *unit, wp_err *err)
{
    struct stat sb;
    if (stat("/run/systemd/system", &sb) == 0 && S_ISDIR(sb.st_mode))
        return true;
    wp_errf(err, WP_E_UNAVAILABLE, "cannot manage unit %s: systemd is not running on this node",
            unit);
    wp_err_why(err, "/run/systemd/system does not exist, so systemctl cannot start or stop "
                    "units here");
    wp_err_todo(err, "run the service with the command property instead of unit");
    return false;
}

/* systemctl VERB [--quiet] UNIT; *status is its wait status. */
static bool systemctl(const wp_agent_ctx *ctx, const char *verb, const char *unit, int *status,
                      wp_err *err)
{
    const char *prog =
        access("/usr/bin/systemctl", X_OK) == 0 ? "/usr/bin/systemctl" : "/bin/systemctl";
    char *argv[] = {(char *)prog, (char *)verb, "--quiet", (char *)unit, NULL};
    return wp_agent_exec(argv, wp_agent_base_env, ctx->log_fd, status, err);
}

static wp_agent_rc unit_op(const wp_agent_ctx *ctx, const char *verb, wp_err *err)
{
    const char *unit = wp_agent_prop(ctx, "unit");
    int status;
    if (!systemd_running(unit, err) || !systemctl(ctx, verb, unit, &status, err))
        return WP_AGENT_FAILED;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return WP_AGENT_OK;
    char how[96];
    wp_agent_status_text(status, how, sizeof how);
    bool check = strcmp(verb, "is-active") == 0;
    wp_errf(err, check ? WP_E_NOTFOUND : WP_E_IO, "systemctl %s %s %s", verb, unit, how);
    wp_err_why(err, check ? "systemd says the unit is not active" : "systemd refused or failed");
    wp_err_todo(err, "see `systemctl status %s` and `journalctl -u %s`", unit, unit);
    return check ? WP_AGENT_NOT_RUNNING : WP_AGENT_FAILED;
}

/* ---- Operations ---------------------------------------------------------- */

/* Split a command property and check its program; NULL with err. */
static char **command_argv(const char *key, const char *line, wp_err *err)
{
    char **argv = wp_argv_split(line, err);
    if (argv && access(argv[0], X_OK) != 0) {
        wp_errf(err, WP_E_NOTFOUND, "the %s program %s cannot be run%s", key, argv[0],
                errno == ENOENT ? " (not installed)" : "");
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "install it on this node or correct the %s property", key);
        wp_argv_free(argv);
        return NULL;
    }
    return argv;
}

/* Under the root executor (ctx->root_services set): a program or unit
 * that runs as root must be on the node's root-owned allow-list
 * (src/lib/rootlist.h); what runs as a user of its own need not be. */
static bool root_allowed(const wp_agent_ctx *ctx, const char *entry, bool as_user, wp_err *err)
{
    if (!ctx->root_services || as_user)
        return true;
    if (wp_rootlist_allows(ctx->root_services, entry, err))
        return true;
    if (ctx->log_fd >= 0)
        dprintf(ctx->log_fd, "wolfpack agent: service %s refused: %s\n", ctx->name, err->what);
    return false;
}

/* A unit is started by systemctl, as root: under the executor its
 * "unit NAME" must be listed. */
static bool unit_allowed(const wp_agent_ctx *ctx, wp_err *err)
{
    const char *unit = wp_agent_prop(ctx, "unit");
    char entry[300];
    if (!unit)
        return true;
    snprintf(entry, sizeof entry, "unit %s", unit);
    return root_allowed(ctx, entry, false, err);
}

/* The user property resolved on this node; *use false: run as root
 * (user unset, or root). */
static bool service_cred(const wp_agent_ctx *ctx, wp_agent_cred *cred, bool *use, wp_err *err)
{
    const char *user = wp_agent_prop(ctx, "user");
    *use = user != NULL;
    if (user && !wp_agent_cred_lookup(user, cred, err))
        return false;
    *use = user && cred->uid != 0;
    return true;
}

/* Split a command property, check its program and, when it runs as root
 * under the executor, the allow-list; NULL with err. */
static char **command_argv_for(const wp_agent_ctx *ctx, const char *key, bool as_user, wp_err *err)
{
    char **argv = command_argv(key, wp_agent_prop(ctx, key), err);
    if (argv && !root_allowed(ctx, argv[0], as_user, err)) {
        wp_argv_free(argv);
        return NULL;
    }
    return argv;
}

static wp_agent_rc svc_validate(const wp_agent_ctx *ctx, wp_err *err)
{
    const char *cmd = wp_agent_prop(ctx, "command"), *check = wp_agent_prop(ctx, "check_command");
    char **argv = NULL;
    wp_agent_cred cred;
    bool use_cred;
    if (wp_agent_prop(ctx, "unit") && !systemd_running(wp_agent_prop(ctx, "unit"), err))
        return WP_AGENT_FAILED;
    if (!service_cred(ctx, &cred, &use_cred, err) || !unit_allowed(ctx, err))
        return WP_AGENT_FAILED;
    if (cmd && !(argv = command_argv_for(ctx, "command", use_cred, err)))
        return WP_AGENT_FAILED;
    wp_argv_free(argv);
    argv = NULL;
    if (check && !(argv = command_argv_for(ctx, "check_command", use_cred, err)))
        return WP_AGENT_FAILED;
    wp_argv_free(argv);
    if (cmd && !wp_fs_mkdir_p(run_dir(ctx), 0755, err))
        return WP_AGENT_FAILED;
    return WP_AGENT_OK;
}

/* Fork the service in its own session; wait to see it survive. */
static wp_agent_rc spawn_service(const wp_agent_ctx *ctx, char **argv, const wp_agent_cred *cred,
                                 wp_err *err)
{
    pid_t pid = fork();
    if (pid == 0) {
        setsid();
        if (cred && !wp_agent_cred_apply(cred)) {
            dprintf(ctx->log_fd >= 0 ? ctx->log_fd : 2,
                    "wolfpack agent: service %s: cannot become user %s: %s\n", ctx->name,
                    cred->name, strerror(errno));
            _exit(126);
        }
        wp_agent_exec_child(argv, wp_agent_base_env, ctx->log_fd, ctx->log_fd);
    }
    if (pid < 0) {
        wp_errf(err, WP_E_IO, "cannot start %s", argv[0]);
        wp_err_why(err, "fork failed: %s", strerror(errno));
        wp_err_todo(err, "check the process limits and memory of this node");
        return WP_AGENT_FAILED;
    }
    wp_proc_stat ps = {0};
    int pidfd = pidfd_open(pid, 0);
    if (!wp_proc_stat_read(pid, &ps) || pidfd < 0) {
        wp_errf(err, WP_E_IO, "cannot follow the started process %d of %s", (int)pid, argv[0]);
        wp_err_why(err, "/proc/%d/stat or pidfd_open failed: %s", (int)pid, strerror(errno));
        wp_err_todo(err, "check that /proc is mounted");
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        if (pidfd >= 0)
            close(pidfd);
        return WP_AGENT_FAILED;
    }
    struct pollfd pfd = {.fd = pidfd, .events = POLLIN};
    int r = poll(&pfd, 1, WP_SERVICE_SETTLE_MS);
    close(pidfd);
    if (r > 0) {
        int status = 0;
        char how[96];
        waitpid(pid, &status, 0);
        wp_agent_status_text(status, how, sizeof how);
        wp_errf(err, WP_E_IO, "service \"%s\" ended at once: %s %s", ctx->name, argv[0], how);
        wp_err_why(err, "%s",
                   WIFEXITED(status) && WEXITSTATUS(status) == 127
                       ? "the program could not be executed (see the agent log)"
                   : WIFEXITED(status) && WEXITSTATUS(status) == 126 && cred
                       ? "it could not switch to its user (see the agent log)"
                       : "the program did not stay running after start");
        wp_err_todo(err, "run the command by hand to see why, and look in the agent log");
        return WP_AGENT_FAILED;
    }
    if (!state_write(ctx, pid, ps.start, err)) {
        kill(-pid, SIGKILL);
        return WP_AGENT_FAILED;
    }
    return WP_AGENT_OK;
}

static wp_agent_rc svc_start(const wp_agent_ctx *ctx, wp_err *err)
{
    if (wp_agent_prop(ctx, "unit"))
        return unit_allowed(ctx, err) ? unit_op(ctx, "start", err) : WP_AGENT_FAILED;
    pid_t pid;
    wp_err ignored;
    if (recorded_alive(ctx, &pid, &ignored) == WP_AGENT_OK)
        return WP_AGENT_OK; /* already running: start is idempotent */
    wp_agent_cred cred;
    bool use_cred;
    if (!service_cred(ctx, &cred, &use_cred, err))
        return WP_AGENT_FAILED;
    char **argv = command_argv_for(ctx, "command", use_cred, err);
    if (!argv)
        return WP_AGENT_FAILED;
    if (!wp_fs_mkdir_p(run_dir(ctx), 0755, err)) {
        wp_argv_free(argv);
        return WP_AGENT_FAILED;
    }
    wp_agent_rc rc = spawn_service(ctx, argv, use_cred ? &cred : NULL, err);
    wp_argv_free(argv);
    return rc;
}

static wp_agent_rc svc_stop(const wp_agent_ctx *ctx, wp_err *err)
{
    if (wp_agent_prop(ctx, "unit"))
        return unit_op(ctx, "stop", err);
    pid_t pid;
    wp_err ignored;
    if (recorded_alive(ctx, &pid, &ignored) != WP_AGENT_OK) {
        state_remove(ctx);
        return WP_AGENT_OK;
    }
    long grace = wp_agent_timeout_ms(ctx) / 2;
    if (grace > WP_SERVICE_STOP_GRACE_MS)
        grace = WP_SERVICE_STOP_GRACE_MS;
    kill(-pid, SIGTERM);
    if (!wait_group_gone(pid, grace)) {
        kill(-pid, SIGKILL);
        if (!wait_group_gone(pid, WP_SERVICE_KILL_WAIT_MS)) {
            wp_errf(err, WP_E_IO, "service \"%s\" (process group %d) does not die", ctx->name,
                    (int)pid);
            wp_err_why(err, "it survived SIGTERM and SIGKILL; a process may hang in the kernel "
                            "(state D)");
            wp_err_todo(err, "inspect it with `ps -o pid,stat,wchan -g %d`", (int)pid);
            return WP_AGENT_FAILED;
        }
    }
    state_remove(ctx);
    return WP_AGENT_OK;
}

static wp_agent_rc svc_quick(const wp_agent_ctx *ctx, wp_err *err)
{
    if (wp_agent_prop(ctx, "unit"))
        return unit_op(ctx, "is-active", err);
    pid_t pid;
    return recorded_alive(ctx, &pid, err);
}

static wp_agent_rc svc_thorough(const wp_agent_ctx *ctx, wp_err *err)
{
    wp_agent_rc rc = svc_quick(ctx, err);
    const char *check = wp_agent_prop(ctx, "check_command");
    if (rc != WP_AGENT_OK || !check)
        return rc;
    wp_agent_cred cred;
    bool use_cred;
    if (!service_cred(ctx, &cred, &use_cred, err))
        return WP_AGENT_FAILED;
    char **argv = command_argv_for(ctx, "check_command", use_cred, err);
    int status;
    if (!argv || !wp_agent_exec_as(argv, wp_agent_base_env, ctx->log_fd, use_cred ? &cred : NULL,
                                   &status, err)) {
        wp_argv_free(argv);
        return WP_AGENT_FAILED;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char how[96];
        wp_agent_status_text(status, how, sizeof how);
        wp_errf(err, WP_E_UNAVAILABLE, "service \"%s\" runs but its check failed", ctx->name);
        wp_err_why(err, "check_command %s %s", argv[0], how);
        wp_err_todo(err, "run the check_command by hand and look in the service's log");
        rc = WP_AGENT_FAILED;
    }
    wp_argv_free(argv);
    return rc;
}

const wp_agent_type wp_agent_service = {
    .name = "Generic Service",
    .ops =
        {
            [WP_OP_VALIDATE] = svc_validate,
            [WP_OP_START] = svc_start,
            [WP_OP_STOP] = svc_stop,
            [WP_OP_QUICK_CHECK] = svc_quick,
            [WP_OP_THOROUGH_CHECK] = svc_thorough,
        },
};
