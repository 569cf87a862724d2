/*
 * osupdate_task.c -- the node tasks of `wolfpack cluster update`
 * (osupdate.h; run by tasks.c's table on the node a task names):
 *
 *   os-update  the update command through /bin/sh on this node
 *              (WOLFPACK_NODE set), then the packages it changed, from the
 *              dpkg log below this node's install root (var/log/dpkg.log,
 *              the lines appended since it started: the seconds of its
 *              time stamps alone would take in an install of that same
 *              second before the command) and whether a reboot is
 *              required (run/reboot-required below the root); that result
 *              goes into the cluster database (app.op "os-update-NODE")
 *              for the run's report, whether the command succeeded or not,
 *              with the kernel's boot id (a run resumed after a reboot it
 *              asked for tells by it whether the node rebooted)
 *   os-reboot  this node reboots (systemctl reboot) two seconds after the
 *              task reports done
 *
 * The dpkg log parser (wp_osupdate_dpkg_changes) is here too.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "osupdate.h"
#include "cluster_internal.h"
#include "../lib/json.h"

#define OUTPUT_KEEP 900 /* the last bytes of the command's output kept */

/* ---- the dpkg log --------------------------------------------------------------- */

/* The entry of package in changes, or a new one. */
static json_t *change_of(json_t *changes, const char *package, const char *from)
{
    size_t i;
    json_t *x;
    json_array_foreach(changes, i, x) if (strcmp(wp_json_str(x, "package"), package) == 0) return x;
    x = json_pack("{s:s, s:s, s:s}", "package", package, "from", from, "to", from);
    json_array_append_new(changes, x);
    return x;
}

/* One line: "DATE TIME ACTION PKG OLD NEW" for install, upgrade, remove. */
static void parse_line(const char *line, const char *since, json_t *changes)
{
    char date[16], tm[16], action[16], pkg[256], from[128], to[128];
    if (sscanf(line, "%15s %15s %15s %255s %127s %127s", date, tm, action, pkg, from, to) != 6)
        return;
    char stamp[40];
    snprintf(stamp, sizeof stamp, "%s %s", date, tm);
    if (strcmp(stamp, since) < 0 ||
        (strcmp(action, "install") && strcmp(action, "upgrade") && strcmp(action, "remove")))
        return;
    char *arch = strchr(pkg, ':'); /* "name:arch" */
    if (arch)
        *arch = '\0';
    json_object_set_new(change_of(changes, pkg, from), "to", json_string(to));
}

json_t *wp_osupdate_dpkg_changes(const char *log, const char *since)
{
    json_t *changes = json_array();
    for (const char *p = log; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char line[800];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), p);
        parse_line(line, since, changes);
        p = nl ? nl + 1 : NULL;
    }
    return changes;
}

/* The whole file (NULL when it cannot be read: no log yet). */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t size = 0;
    FILE *mem = open_memstream(&text, &size);
    char buf[8192];
    size_t n;
    while (mem && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, mem);
    if (mem)
        fclose(mem);
    fclose(f);
    return text;
}

/* ---- os-update ------------------------------------------------------------------ */

/* Run command through /bin/sh here; *status its exit status (or 128 + the
 * signal); out gets the output's last bytes. */
static bool run_command(wp_app_cluster *c, const char *command, int *status, char *out, size_t size,
                        wp_err *err)
{
    int fd[2];
    if (pipe(fd) != 0) {
        wp_errf(err, WP_E_IO, "cannot run the update command on %s", c->node);
        wp_err_why(err, "pipe: %s", strerror(errno));
        wp_err_todo(err, "check the node's resources, then run the update again");
        return false;
    }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        dup2(fd[1], 2);
        close(fd[0]);
        close(fd[1]);
        setenv("WOLFPACK_NODE", c->node, 1);
        setenv("DEBIAN_FRONTEND", "noninteractive", 1);
        execl("/bin/sh", "sh", "-c", command, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    size_t have = 0;
    char buf[4096];
    ssize_t n;
    out[0] = '\0';
    while (pid > 0 && (n = read(fd[0], buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        for (ssize_t k = 0; k < n; k++) { /* keep the tail */
            if (have + 1 >= size) {
                memmove(out, out + size / 2, have - size / 2);
                have -= size / 2;
            }
            out[have++] = buf[k];
        }
        out[have] = '\0';
    }
    close(fd[0]);
    int ws = 0;
    if (pid < 0 || waitpid(pid, &ws, 0) < 0) {
        wp_errf(err, WP_E_IO, "cannot run the update command on %s", c->node);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check the node's resources, then run the update again");
        return false;
    }
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return true;
}

/* "YYYY-MM-DD HH:MM:SS" now, local time (as dpkg writes its log). */
static void now_stamp(char *out, size_t size)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, size, "%Y-%m-%d %H:%M:%S", &tm);
}

void wp_osupdate_result_key(const char *node, char *out, size_t size)
{
    snprintf(out, size, "%s-%s", WP_OSUPDATE_OP, node);
    for (char *p = out; *p; p++) /* an application name's characters */
        *p = isalnum((unsigned char)*p) || *p == '_' ? (char)tolower((unsigned char)*p) : '-';
}

bool wp_osupdate_task_update(wp_app_cluster *c, const json_t *args, wp_err *err)
{
    const char *command = wp_json_str(args, "command");
    char since[40], until[40], log[PATH_MAX], flag[PATH_MAX], output[OUTPUT_KEEP];
    int status = 0;
    wp_app_path(c->env, "/var/log/dpkg.log", log, sizeof log);
    wp_app_path(c->env, "/run/reboot-required", flag, sizeof flag);
    now_stamp(since, sizeof since);
    struct stat before;
    off_t offset = stat(log, &before) == 0 ? before.st_size : 0; /* the lines after it are new */
    if (!command) {
        wp_errf(err, WP_E_INVALID, "node task os-update names no command");
        wp_err_why(err, "the run that asked for it sent none");
        wp_err_todo(err, "run 'wolfpack cluster update' again");
        return false;
    }
    if (!run_command(c, command, &status, output, sizeof output, err))
        return false;
    now_stamp(until, sizeof until);
    for (size_t n = strlen(output); n > 0 && (output[n - 1] == '\n' || output[n - 1] == ' ');)
        output[--n] = '\0'; /* the tail's last line without its newline */
    char *text = read_text(log);
    size_t len = text ? strlen(text) : 0;
    /* the lines written since: after the old size (a log rotated meanwhile,
     * now shorter, is read whole), and at or after the start's second */
    json_t *found = wp_osupdate_dpkg_changes(text && (size_t)offset <= len ? text + offset : text,
                                             since),
           *changes = json_array();
    free(text);
    size_t i;
    json_t *x;
    json_array_foreach(found, i, x) /* flat: "PKG FROM -> TO" */
        json_array_append_new(changes, json_sprintf("%s %s -> %s", wp_json_str(x, "package"),
                                                    wp_json_str(x, "from"), wp_json_str(x, "to")));
    json_decref(found);
    struct stat sb;
    char key[128];
    wp_osupdate_result_key(c->node, key, sizeof key);
    char *boot_id = read_text("/proc/sys/kernel/random/boot_id");
    if (boot_id)
        boot_id[strcspn(boot_id, "\n")] = '\0';
    json_t *result =
        json_pack("{s:s, s:o, s:b, s:i, s:s, s:s, s:s, s:s}", "node", c->node, "packages", changes,
                  "reboot_required", stat(flag, &sb) == 0, "exit", status, "output", output,
                  "since", since, "until", until, "boot_id", boot_id ? boot_id : "");
    free(boot_id);
    bool ok =
        wp_app_change(c, "app.op", json_pack("{s:s, s:o}", "name", key, "state", result), err);
    if (ok && status != 0) {
        const char *tail = output;
        for (int lines = 0, k = (int)strlen(output) - 1; k > 0; k--)
            if (output[k - 1] == '\n' && ++lines >= 3 && (tail = output + k))
                break;
        wp_errf(err, WP_E_IO, "the update command failed on %s (exit status %d)", c->node, status);
        wp_err_why(err, "%s", tail);
        wp_err_todo(err, "fix the node's packages (the node stays paused), then run "
                         "'wolfpack cluster update' again to resume");
        ok = false;
    }
    return ok;
}

/* ---- os-reboot ------------------------------------------------------------------ */

bool wp_osupdate_task_reboot(wp_app_cluster *c, const json_t *args, wp_err *err)
{
    (void)args;
    pid_t pid = fork();
    if (pid == 0) { /* detached: the task reports done before the reboot */
        setsid();
        signal(SIGHUP, SIG_IGN);
        if (fork() == 0) {
            sleep(2);
            execl("/bin/systemctl", "systemctl", "reboot", (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    if (pid < 0) {
        wp_errf(err, WP_E_IO, "cannot reboot %s", c->node);
        wp_err_why(err, "fork: %s", strerror(errno));
        wp_err_todo(err, "reboot it by hand, then run 'wolfpack cluster update' again");
        return false;
    }
    waitpid(pid, NULL, 0);
    return true;
}
