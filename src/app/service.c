/*
 * service.c -- the local services of a standalone install (app.h): each
 * runs under a small supervisor process of its own, since PID 1 is not
 * necessarily systemd.
 *
 * Starting forks twice (the supervisor is re-parented to init and is
 * nobody's child); the supervisor takes a POSIX write lock on its PID file
 * and holds it for its life, so "running" means "the lock is held", which a
 * reused PID cannot fake.  It runs the command (no shell) with output
 * appended to the service's log, restarts it when it exits (at most
 * RESTARTS times within a minute), and on SIGTERM stops it (SIGTERM, then
 * SIGKILL after STOP_GRACE seconds) and exits.  `start` waits for the
 * service's check command to succeed; `stop` waits for the lock to go.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "app.h"
#include "../lib/fs.h"
#include "../lib/clock.h"
#include "../lib/json.h"

#define RESTARTS 5
#define RESTART_WINDOW 60
#define STOP_GRACE 10
#define STOP_WAIT (STOP_GRACE + 5)
#define CHECK_TIMEOUT 10

static void pid_path(const wp_app_env *env, const char *app, const char *svc, char *out,
                     size_t size)
{
    char dir[PATH_MAX - 128];
    wp_app_run_dir(env, app, dir, sizeof dir);
    snprintf(out, size, "%s/%.64s.pid", dir, svc);
}

static void log_path(const wp_app_env *env, const char *app, const char *svc, char *out,
                     size_t size)
{
    char dir[PATH_MAX - 128];
    wp_app_log_dir(env, app, dir, sizeof dir);
    snprintf(out, size, "%s/%.64s.log", dir, svc);
}

pid_t wp_app_service_pid(const wp_app_env *env, const char *app, const char *service)
{
    char path[PATH_MAX];
    pid_path(env, app, service, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    pid_t pid = 0;
    if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
        pid = fl.l_pid;
    close(fd);
    return pid;
}

/* ---- the supervisor (runs in its own process, never returns) ---------------- */

typedef struct super {
    char **argv;
    int pidfd;
    pid_t child;
} super;

static void say(const char *fmt, const char *a, long n)
{
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(stderr, "%s wolfpack supervisor: ", when);
    fprintf(stderr, fmt, a, n);
    fputc('\n', stderr);
}

static pid_t spawn(super *s, const sigset_t *old)
{
    pid_t pid = fork();
    if (pid == 0) {
        sigprocmask(SIG_SETMASK, old, NULL);
        signal(SIGHUP, SIG_DFL);
        execv(s->argv[0], s->argv);
        say("cannot run %s: errno %ld", s->argv[0], errno);
        _exit(127);
    }
    if (pid > 0) {
        char text[64];
        int len = snprintf(text, sizeof text, "%ld\n%ld\n", (long)getpid(), (long)pid);
        if (ftruncate(s->pidfd, 0) == 0 && pwrite(s->pidfd, text, (size_t)len, 0) == len)
            say("started %s as pid %ld", s->argv[0], pid);
    }
    return pid;
}

/* SIGTERM the service, SIGKILL after the grace time; reap it. */
static void stop_child(super *s, const sigset_t *set)
{
    if (s->child <= 0)
        return;
    kill(s->child, SIGTERM);
    int64_t until = wp_clock_ms() + STOP_GRACE * 1000;
    while (waitpid(s->child, NULL, WNOHANG) == 0) {
        if (wp_clock_ms() > until) {
            kill(s->child, SIGKILL);
            waitpid(s->child, NULL, 0);
            break;
        }
        struct timespec ts = {.tv_nsec = 100000000L};
        sigtimedwait(set, NULL, &ts);
    }
    s->child = 0;
}

static _Noreturn void supervise(super *s, const char *pidfile)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    signal(SIGHUP, SIG_IGN);
    int64_t starts[RESTARTS + 1] = {0};
    int nstarts = 0;
    int64_t restart_at = 0;
    s->child = spawn(s, &old);
    starts[nstarts++] = wp_clock_ms();
    for (;;) {
        struct timespec ts = {.tv_nsec = 200000000L};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT) {
            say("stopping %s (signal %ld)", s->argv[0], sig);
            stop_child(s, &set);
            unlink(pidfile);
            _exit(0);
        }
        int status;
        if (s->child > 0 && waitpid(s->child, &status, WNOHANG) == s->child) {
            say("%s ended with status %ld", s->argv[0],
                WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
            s->child = 0;
            restart_at = wp_clock_ms() + 1000;
        }
        if (s->child == 0 && restart_at > 0 && wp_clock_ms() >= restart_at) {
            if (nstarts > RESTARTS && wp_clock_ms() - starts[0] < RESTART_WINDOW * 1000) {
                say("%s failed %ld times within a minute: giving up", s->argv[0], RESTARTS + 1);
                unlink(pidfile);
                _exit(1);
            }
            if (nstarts > RESTARTS) {
                memmove(starts, starts + 1, RESTARTS * sizeof starts[0]);
                nstarts = RESTARTS;
            }
            s->child = spawn(s, &old);
            starts[nstarts++] = wp_clock_ms();
            restart_at = 0;
        }
    }
}

/* In the grandchild: lock the PID file, point output at the log, supervise. */
static _Noreturn void become_supervisor(char **argv, const char *pidfile, const char *logfile)
{
    close_range(3, ~0U, 0);
    int pidfd = open(pidfile, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (pidfd < 0 || fcntl(pidfd, F_SETLK, &fl) != 0)
        _exit(0); /* another supervisor holds it */
    int null = open("/dev/null", O_RDONLY);
    int log = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0640);
    if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
        _exit(1);
    close(null);
    close(log);
    if (chdir("/") != 0)
        _exit(1);
    super s = {.argv = argv, .pidfd = pidfd};
    supervise(&s, pidfile);
}

/* ---- starting and stopping ---------------------------------------------------- */

/* Run argv (no shell) with output discarded; true when it exits 0 within
 * timeout seconds. */
static bool run_quiet(char **argv, int timeout)
{
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int64_t until = wp_clock_ms() + timeout * 1000L;
    int status;
    while (waitpid(pid, &status, WNOHANG) == 0) {
        if (wp_clock_ms() > until) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            return false;
        }
        wp_clock_sleep_ms(20);
    }
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static char **argv_of(const json_t *arr)
{
    size_t n = json_array_size(arr), i;
    char **argv = calloc(n + 1, sizeof *argv);
    json_t *v;
    json_array_foreach(arr, i, v) argv[i] = (char *)json_string_value(v);
    return argv;
}

/* The last lines of a log, for an error message. */
static void log_tail(const char *path, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long end = ftell(f);
    fseek(f, end > (long)size - 1 ? end - (long)size + 1 : 0, SEEK_SET);
    size_t n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
    while (n > 0 && out[n - 1] == '\n')
        out[--n] = '\0';
    char *nl = n ? strchr(out, '\n') : NULL;
    if (nl && end > (long)size - 1)
        memmove(out, nl + 1, strlen(nl + 1) + 1);
}

static bool start_failed(const char *app, const char *svc, const char *logfile, const char *why,
                         wp_err *err)
{
    char tail[400];
    log_tail(logfile, tail, sizeof tail);
    wp_errf(err, WP_E_IO, "the service %s of %s did not start", svc, app);
    wp_err_why(err, "%s%s%s", why, tail[0] ? "; its log ends: " : "", tail);
    wp_err_todo(err, "read %s, fix the cause, and start it again", logfile);
    return false;
}

static bool start_service(const wp_app_env *env, const char *app, const json_t *svc, wp_err *err)
{
    const char *name = wp_json_str(svc, "name");
    if (wp_app_service_pid(env, app, name) > 0)
        return true;
    char dir[PATH_MAX], pidfile[PATH_MAX], logfile[PATH_MAX];
    wp_app_run_dir(env, app, dir, sizeof dir);
    if (!wp_fs_mkdir_p(dir, 0755, err))
        return false;
    wp_app_log_dir(env, app, dir, sizeof dir);
    if (!wp_fs_mkdir_p(dir, 0755, err))
        return false;
    pid_path(env, app, name, pidfile, sizeof pidfile);
    log_path(env, app, name, logfile, sizeof logfile);
    char **argv = argv_of(json_object_get(svc, "command"));
    char **check = json_is_array(json_object_get(svc, "check"))
                       ? argv_of(json_object_get(svc, "check"))
                       : NULL;
    fflush(NULL);
    pid_t first = fork();
    if (first == 0) {
        setsid();
        if (fork() == 0)
            become_supervisor(argv, pidfile, logfile);
        _exit(0);
    }
    if (first > 0)
        waitpid(first, NULL, 0);
    bool ok = first > 0;
    int64_t until = wp_clock_ms() + 5000;
    while (ok && wp_app_service_pid(env, app, name) == 0 && wp_clock_ms() < until)
        wp_clock_sleep_ms(10);
    ok = ok && wp_app_service_pid(env, app, name) > 0;
    if (!ok) {
        start_failed(app, name, logfile, "its supervisor did not come up", err);
    } else if (check) {
        json_int_t timeout = json_integer_value(json_object_get(svc, "start_timeout"));
        until = wp_clock_ms() + (timeout > 0 ? timeout : 30) * 1000L;
        while (!(ok = run_quiet(check, CHECK_TIMEOUT)) && wp_clock_ms() < until &&
               wp_app_service_pid(env, app, name) > 0)
            wp_clock_sleep_ms(100);
        if (!ok) {
            pid_t pid = wp_app_service_pid(env, app, name);
            if (pid > 0)
                kill(pid, SIGTERM);
            start_failed(app, name, logfile,
                         pid > 0 ? "its check command did not succeed in time"
                                 : "it ended before its check command succeeded",
                         err);
        }
    }
    free(argv);
    free(check);
    return ok;
}

static bool stop_service(const wp_app_env *env, const char *app, const char *name, wp_err *err)
{
    pid_t pid = wp_app_service_pid(env, app, name);
    if (pid <= 0)
        return true;
    kill(pid, SIGTERM);
    int64_t until = wp_clock_ms() + STOP_WAIT * 1000;
    while (wp_app_service_pid(env, app, name) > 0 && wp_clock_ms() < until)
        wp_clock_sleep_ms(20);
    if (wp_app_service_pid(env, app, name) <= 0)
        return true;
    wp_errf(err, WP_E_IO, "the service %s of %s did not stop", name, app);
    wp_err_why(err, "its supervisor (pid %ld) still runs %d seconds after SIGTERM", (long)pid,
               STOP_WAIT);
    wp_err_todo(err, "look at it (ps -p %ld) and end it: kill %ld", (long)pid, (long)pid);
    return false;
}

bool wp_app_start(const wp_app_env *env, const json_t *record, wp_err *err)
{
    const char *app = wp_json_str(record, "app");
    const char *mode = wp_json_str(record, "mode");
    if (mode && strcmp(mode, WP_APP_MODE_CLUSTERED) == 0) {
        wp_errf(err, WP_E_CONFLICT, "%s is a clustered install", app);
        wp_err_why(err, "its services are resources of the group %s and the cluster runs them",
                   wp_json_str(record, "group"));
        wp_err_todo(err, "bring the group online instead (wolfpack group ...)");
        return false;
    }
    size_t i;
    json_t *svc;
    json_array_foreach(json_object_get(record, "services"), i, svc)
    {
        if (!start_service(env, app, svc, err)) {
            for (size_t j = i; j-- > 0;)
                stop_service(
                    env, app,
                    wp_json_str(json_array_get(json_object_get(record, "services"), j), "name"),
                    NULL);
            return false;
        }
    }
    return true;
}

bool wp_app_stop(const wp_app_env *env, const json_t *record, wp_err *err)
{
    const char *app = wp_json_str(record, "app");
    json_t *list = json_object_get(record, "services");
    for (size_t i = json_array_size(list); i-- > 0;)
        if (!stop_service(env, app, wp_json_str(json_array_get(list, i), "name"), err))
            return false;
    return true;
}

json_t *wp_app_services_status(const wp_app_env *env, const json_t *record)
{
    const char *app = wp_json_str(record, "app");
    json_t *out = json_array();
    size_t i;
    json_t *svc;
    json_array_foreach(json_object_get(record, "services"), i, svc)
    {
        const char *name = wp_json_str(svc, "name");
        pid_t pid = name ? wp_app_service_pid(env, app, name) : 0;
        json_array_append_new(out, json_pack("{s:s?, s:b, s:I}", "name", name, "running", pid > 0,
                                             "pid", (json_int_t)pid));
    }
    return out;
}

bool wp_app_any_running(const wp_app_env *env, const json_t *record)
{
    const char *app = wp_json_str(record, "app");
    size_t i;
    json_t *svc;
    json_array_foreach(json_object_get(record, "services"), i, svc)
    {
        const char *name = wp_json_str(svc, "name");
        if (name && wp_app_service_pid(env, app, name) > 0)
            return true;
    }
    return false;
}
