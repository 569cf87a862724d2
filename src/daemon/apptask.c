/*
 * apptask.c -- node tasks of the application setup (docs/APP.md): work
 * that `wolfpack app` on one node asks another node to do, such as copying
 * an application's program files there ("Update Node").
 *
 * The task is a replicated command, app.task {id, node, kind, args}
 * (src/db/db.h).  When a node applies one that names it, its wolfpackd
 * starts the node-task entry point `wolfpack-task --socket SOCKET ID`
 * (src/task/main.c) in a child process of its own session (the daemon's
 * loop never blocks on it), with stdin from /dev/null and its output in
 * STATE_DIR/agents.log.  The child does the work (src/app/tasks.c:
 * wp_app_task_run) and answers with the command
 * app.task.done {id, node, result, error}; the daemon does not wait for it
 * and the child reaper (events.c) reaps it.  A task that names this node
 * and is still pending when the node becomes ready (it was down when the
 * task came) is started then.  Running a task twice is harmless: the
 * runner does nothing for a task that is not pending any more.
 *
 * The wolfpack-task program is the one beside wolfpackd's own executable,
 * or $WOLFPACK_TASK when set; when only $WOLFPACK_CLI is set (as before
 * wolfpack-task existed) that wolfpack runs it as `app task-run ID`.
 * Under --user the root executor starts the same program (request
 * apptask.run, src/daemon/privexec.c), as root.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <qb/qblog.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/json.h"
#include "daemon.h"

/* The program to run a task with, into out: wolfpack-task ($WOLFPACK_TASK,
 * else beside this executable); *cli: it is a $WOLFPACK_CLI given alone
 * (run as `CLI --socket S app task-run ID`).  The root executor uses it too
 * (privexec.c), so both ways start the same program. */
bool wp_apptask_program(char *out, size_t size, bool *cli)
{
    const char *task = getenv("WOLFPACK_TASK"), *env = getenv("WOLFPACK_CLI");
    *cli = !(task && task[0] == '/') && env && env[0] == '/';
    if (task && task[0] == '/') {
        snprintf(out, size, "%s", task);
        return true;
    }
    if (*cli) {
        snprintf(out, size, "%s", env);
        return true;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return false;
    self[n] = '\0';
    snprintf(out, size, "%s/wolfpack-task", dirname(self));
    return access(out, X_OK) == 0;
}

/* --user: the executor's answer (started or not). */
static void remote_started(wp_daemon *d, bool ok, const wp_err *err)
{
    if (!ok)
        wp_log_err(LOG_ERR, "apptask: the executor could not start a node task", err);
}

static void spawn(wp_daemon *d, const char *id)
{
    char prog[PATH_MAX];
    bool cli = false;
    wp_err err = {0};
    if (d->privsep) { /* root's work: the executor runs it */
        if (wp_privsep_apptask_run(d, id, remote_started, &err))
            qb_log(LOG_INFO, "apptask: node task %s handed to the executor", id);
        else
            wp_log_err(LOG_ERR, "apptask: cannot start a node task", &err);
        return;
    }
    if (!wp_apptask_program(prog, sizeof prog, &cli)) {
        qb_log(LOG_ERR,
               "apptask: cannot run node task %s: no wolfpack-task program beside wolfpackd "
               "(install it there, or set WOLFPACK_TASK)",
               id);
        return;
    }
    const char *sock = d->opts.socket_path ? d->opts.socket_path : "/run/wolfpack/wolfpackd.sock";
    pid_t pid = fork();
    if (pid < 0) {
        qb_log(LOG_ERR, "apptask: cannot start node task %s: %s", id, strerror(errno));
        return;
    }
    if (pid == 0) {
        setsid();
        /* wolfpackd's own umask (077) guards its state; a node task installs
         * program files as an administrator's shell would (0755 directories),
         * or services that drop privileges could not reach them. */
        umask(022);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        int log = d->agent_log_fd >= 0 ? d->agent_log_fd : open("/dev/null", O_WRONLY);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
        }
        for (int fd = 3; fd < 1024; fd++)
            close(fd);
        if (cli)
            execl(prog, prog, "--socket", sock, "app", "task-run", id, (char *)NULL);
        else
            execl(prog, prog, "--socket", sock, id, (char *)NULL);
        _exit(127);
    }
    qb_log(LOG_INFO, "apptask: node task %s started (pid %d): %s", id, (int)pid, prog);
}

void wp_apptask_on_applied(wp_daemon *d, const json_t *args)
{
    const char *node = wp_json_str(args, "node");
    const char *id = wp_json_str(args, "id");
    if (node && id && d->view.local_name[0] && strcasecmp(node, d->view.local_name) == 0)
        spawn(d, id);
}

void wp_apptask_resume(wp_daemon *d)
{
    wp_err err = {0};
    json_t *tasks = wp_db_app_tasks(d->db, &err);
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        const char *state = wp_json_str(t, "state");
        if (state && strcmp(state, "pending") == 0)
            wp_apptask_on_applied(d, t);
    }
    json_decref(tasks);
}
