/*
 * agent.c -- the table of resource agents and what every agent shares:
 * lookup by type, op and result names, running one op in-process, and
 * exec'ing a program the clean way (no shell, clean environment, stdin from
 * /dev/null, output to the op's log, no inherited descriptors), and the
 * note a successful op may leave (wp_agent_note).
 *
 * The child mechanism that runs ops away from the daemon is in run.c; the
 * five types themselves are ip.c (IP Address), netname.c (Network Name),
 * disk.c (Physical Disk), service.c (Generic Service) and ocf.c (OCF).
 */
#include "agent.h"
#include "../lib/json.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

/* Indexed by wp_rtype. */
static const wp_agent_type *const agent_table[WP_RT__COUNT] = {
    [WP_RT_IP] = &wp_agent_ip,     [WP_RT_NETNAME] = &wp_agent_netname,
    [WP_RT_DISK] = &wp_agent_disk, [WP_RT_SERVICE] = &wp_agent_service,
    [WP_RT_OCF] = &wp_agent_ocf,
};

char *const wp_agent_base_env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};

const wp_agent_type *wp_agent_lookup(wp_rtype type, wp_err *err)
{
    if ((int)type < 0 || type >= WP_RT__COUNT) {
        wp_errf(err, WP_E_INTERNAL, "no resource agent for type number %d", (int)type);
        wp_err_why(err, "the number is not a resource type");
        wp_err_todo(err, "report this as a bug");
        return NULL;
    }
    if (!agent_table[type]) {
        wp_errf(err, WP_E_UNAVAILABLE, "the agent for type \"%s\" is not built yet",
                wp_rtype_name(type));
        wp_err_why(err, "this version of wolfpack has no agent that can start, stop or check "
                        "a resource of this type");
        wp_err_todo(err, "use a type that has an agent (IP Address, Generic Service, OCF), or "
                         "update wolfpack");
        return NULL;
    }
    return agent_table[type];
}

void wp_agent_note(wp_err *err, const char *fmt, ...)
{
    char what[sizeof err->what];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    wp_errf(err, WP_OK, "%s", what);
}

const char *wp_agent_rc_name(wp_agent_rc rc)
{
    switch (rc) {
    case WP_AGENT_OK:
        return "ok";
    case WP_AGENT_FAILED:
        return "failed";
    case WP_AGENT_NOT_RUNNING:
        return "not-running";
    case WP_AGENT_TIMEOUT:
        return "timeout";
    }
    return "unknown";
}

static const char *const op_names[WP_OP__COUNT] = {
    [WP_OP_VALIDATE] = "validate",
    [WP_OP_START] = "start",
    [WP_OP_STOP] = "stop",
    [WP_OP_QUICK_CHECK] = "quick-check",
    [WP_OP_THOROUGH_CHECK] = "thorough-check",
};

const char *wp_agent_op_name(wp_agent_op op)
{
    if ((int)op < 0 || op >= WP_OP__COUNT)
        return "unknown";
    return op_names[op];
}

bool wp_agent_op_parse(const char *text, wp_agent_op *out, wp_err *err)
{
    static const struct {
        const char *name;
        wp_agent_op op;
    } names[] = {
        {"validate", WP_OP_VALIDATE},
        {"start", WP_OP_START},
        {"stop", WP_OP_STOP},
        {"quick", WP_OP_QUICK_CHECK},
        {"quick-check", WP_OP_QUICK_CHECK},
        {"looksalive", WP_OP_QUICK_CHECK},
        {"thorough", WP_OP_THOROUGH_CHECK},
        {"thorough-check", WP_OP_THOROUGH_CHECK},
        {"isalive", WP_OP_THOROUGH_CHECK},
        {"monitor", WP_OP_THOROUGH_CHECK},
    };
    for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(text, names[i].name) == 0) {
            *out = names[i].op;
            return true;
        }
    }
    wp_errf(err, WP_E_INVALID, "unknown agent operation \"%s\"", text ? text : "");
    wp_err_why(err, "an agent knows validate, start, stop, quick (LooksAlive) and thorough "
                    "(IsAlive)");
    wp_err_todo(err, "use one of: validate start stop quick thorough");
    return false;
}

bool wp_agent_has_op(const wp_agent_type *t, wp_agent_op op, wp_err *err)
{
    if ((int)op >= 0 && op < WP_OP__COUNT && t->ops[op])
        return true;
    wp_errf(err, WP_E_INTERNAL, "the %s agent has no %s operation", t->name, wp_agent_op_name(op));
    wp_err_why(err, "the agent table is incomplete");
    wp_err_todo(err, "report this as a bug");
    return false;
}

const char *wp_agent_prop(const wp_agent_ctx *ctx, const char *key)
{
    const char *v = wp_json_str(ctx->props, key);
    return v && v[0] ? v : NULL;
}

long wp_agent_timeout_ms(const wp_agent_ctx *ctx)
{
    return ctx->timeout_ms > 0 ? ctx->timeout_ms : WP_AGENT_DEFAULT_TIMEOUT_MS;
}

wp_agent_rc wp_agent_op_call(wp_rtype type, wp_agent_op op, const wp_agent_ctx *ctx, wp_err *err)
{
    const wp_agent_type *t = wp_agent_lookup(type, err);
    if (!t)
        return WP_AGENT_FAILED;
    if (!wp_agent_has_op(t, op, err))
        return WP_AGENT_FAILED;
    if (!ctx->name || !wp_name_valid("resource", ctx->name, err))
        return WP_AGENT_FAILED;
    wp_err e;
    if (!ctx->props || !wp_props_validate_all(type, ctx->props, &e)) {
        wp_errf(err, WP_E_INVALID, "%s of %s \"%s\" refused: its properties are not valid",
                wp_agent_op_name(op), t->name, ctx->name);
        wp_err_why(err, "%s%s%s", ctx->props ? e.what : "no properties given",
                   ctx->props && e.why[0] ? ": " : "", ctx->props ? e.why : "");
        wp_err_todo(err, "%s", ctx->props && e.todo[0] ? e.todo : "fix the resource's properties");
        return WP_AGENT_FAILED;
    }
    return t->ops[op](ctx, err);
}

void wp_agent_status_text(int status, char *buf, size_t n)
{
    if (WIFEXITED(status))
        snprintf(buf, n, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, n, "was killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    else
        snprintf(buf, n, "ended with wait status 0x%x", (unsigned)status);
}

void wp_agent_child_reset_signals(void)
{
    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            signal(s, SIG_DFL);
}

const char *wp_agent_run_dir(const char *given)
{
    const char *env = getenv("WOLFPACK_RUN_DIR");
    return given && given[0] ? given : env && env[0] == '/' ? env : WP_AGENT_RUN_DIR;
}

void wp_agent_exec_child(char *const argv[], char *const envp[], int out_fd, int err_fd)
{
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    int out = out_fd >= 0 ? out_fd : null;
    int errfd = err_fd >= 0 ? err_fd : null;
    if (null < 0 || dup2(null, 0) < 0 || dup2(out, 1) < 0 || dup2(errfd, 2) < 0)
        _exit(126);
    close_range(3, ~0U, 0);
    wp_agent_child_reset_signals();
    execve(argv[0], argv, envp);
    dprintf(2, "wolfpack agent: cannot execute %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

bool wp_agent_cred_lookup(const char *user, wp_agent_cred *cred, wp_err *err)
{
    char buf[4096];
    struct passwd pw, *found = NULL;
    int rc = user && strlen(user) < sizeof cred->name
                 ? getpwnam_r(user, &pw, buf, sizeof buf, &found)
                 : EINVAL;
    if (rc != 0 || !found) {
        wp_errf(err, WP_E_NOTFOUND, "user \"%s\" does not exist on this node", user ? user : "");
        wp_err_why(err, "%s", rc ? strerror(rc) : "the user database (NSS) has no such user");
        wp_err_todo(err, "create the user on every node that may run the resource (adduser "
                         "--system NAME), or correct the user property");
        return false;
    }
    snprintf(cred->name, sizeof cred->name, "%s", user);
    cred->uid = pw.pw_uid;
    cred->gid = pw.pw_gid;
    return true;
}

bool wp_agent_cred_apply(const wp_agent_cred *cred)
{
    return initgroups(cred->name, cred->gid) == 0 && setgid(cred->gid) == 0 &&
           setuid(cred->uid) == 0 && (cred->uid == 0 || setuid(0) != 0);
}

bool wp_agent_exec(char *const argv[], char *const envp[], int log_fd, int *status, wp_err *err)
{
    return wp_agent_exec_as(argv, envp, log_fd, NULL, status, err);
}

bool wp_agent_exec_as(char *const argv[], char *const envp[], int log_fd, const wp_agent_cred *cred,
                      int *status, wp_err *err)
{
    if (!argv || !argv[0] || argv[0][0] != '/') {
        wp_errf(err, WP_E_INVALID, "cannot run \"%s\"", argv && argv[0] ? argv[0] : "");
        wp_err_why(err, "programs are run by absolute path, never through a shell or PATH");
        wp_err_todo(err, "give the program's absolute path");
        return false;
    }
    if (access(argv[0], X_OK) != 0) {
        wp_errf(err, WP_E_NOTFOUND, "cannot run %s", argv[0]);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "install the program or correct its path");
        return false;
    }
    pid_t pid = fork();
    if (pid < 0) {
        wp_errf(err, WP_E_IO, "cannot run %s", argv[0]);
        wp_err_why(err, "fork failed: %s", strerror(errno));
        wp_err_todo(err, "check the process limits and memory of this node");
        return false;
    }
    if (pid == 0) {
        if (cred && !wp_agent_cred_apply(cred)) {
            dprintf(log_fd >= 0 ? log_fd : 2, "wolfpack agent: cannot become user %s: %s\n",
                    cred->name, strerror(errno));
            _exit(126);
        }
        wp_agent_exec_child(argv, envp, log_fd, log_fd);
    }
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR) {
            wp_errf(err, WP_E_IO, "lost track of %s (pid %d)", argv[0], (int)pid);
            wp_err_why(err, "waitpid failed: %s", strerror(errno));
            wp_err_todo(err, "report this as a bug");
            return false;
        }
    }
    return true;
}

void wp_agent_env_free(char **env)
{
    if (!env)
        return;
    for (char **p = env; *p; p++)
        free(*p);
    free(env);
}
