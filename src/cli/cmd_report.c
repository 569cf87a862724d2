/*
 * cmd_report.c -- `wolfpack report [--since T] [--to FILE] [--state-dir
 * DIR]`: what a support case needs from this node, in one tar.gz archive
 * (libarchive), as crm_report and Get-ClusterLog gather it
 * (docs/OPERATIONS.md, "Collecting a report").
 *
 * Into report-NODE/ of the archive:
 *   status.json, export.json, history.json   from the daemon (the database
 *              as data, its secrets masked as `cluster export` masks them;
 *              the database file itself is left out: it holds the fence
 *              devices' passwords)
 *   journal.txt      journalctl -u wolfpackd -u corosync --since T
 *   wolfpackd.log, agents.log, corosync.log  the log files, whole
 *   quorum.txt, links.txt  corosync-quorumtool -s, corosync-cfgtool -s
 *   incidents/       the coordinator's incident files since T
 *   errors.txt       what could not be gathered, and why
 * A part that cannot be gathered (no daemon, no journal, no corosync) is
 * named in errors.txt; the report is still written.  Every program runs
 * without a shell, with a clean environment, at most 20 s.
 *
 * Every other node of the cluster adds its part, through the cluster (no
 * ssh): a node task report-part (src/app/tasks.c) gathers there its
 * daemon's status, the tails of its logs and its incidents since T, and
 * answers with them as the task's output (bounded: it travels as one
 * replicated command); they go into report-NODE/ of the archive, that
 * node's errors.txt says what it could not give, and the task is
 * forgotten (app.task.forget) once read.  A node that is down, or does not
 * answer, is listed in MISSING.txt at the top of the archive.  --local:
 * this node only.
 */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../agents/agent.h"
#include "../lib/clock.h"
#include "../app/cluster.h"
#include "../lib/json.h"
#include "../lib/model.h"
#include "cli.h"
#include "since.h"

static const char usage[] =
    "wolfpack report [--since DURATION|UNIXTIME] [--to FILE] [--state-dir DIR] [--local]";
static const char doc[] =
    "\n"
    "Gathers this node's logs, corosync and quorum state, incident records and the\n"
    "Database as data (secrets masked), and every other node's part through the\n"
    "cluster, into one tar.gz (docs/OPERATIONS.md).\n"
    "  --since T       From T: a duration back (1h, 30m) or a unix time (default 1h)\n"
    "  --to FILE       The archive (default wolfpack-report-NODE-TIME.tar.gz here)\n"
    "  --state-dir DIR Where wolfpackd keeps its state (default /var/lib/wolfpack)\n"
    "  --local         This node's part only\n";

#define CAPTURE_MAX (64u << 20)
#define CAPTURE_MS 20000

typedef struct report {
    struct archive *a;
    char top[160];  /* report-NODE */
    json_t *errors; /* lines for errors.txt */
} report;

/* Write data into the archive as TOP/NAME (TOP NULL: NAME at the top). */
static void add_at(report *r, const char *top, const char *name, const char *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    char path[512];
    snprintf(path, sizeof path, "%s%s%s", top ? top : "", top ? "/" : "", name);
    archive_entry_set_pathname(e, path);
    archive_entry_set_size(e, (la_int64_t)len);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0600);
    archive_entry_set_mtime(e, time(NULL), 0);
    if (archive_write_header(r->a, e) != ARCHIVE_OK ||
        (len && archive_write_data(r->a, data, len) < 0))
        json_array_append_new(r->errors, json_sprintf("%s: cannot write it into the archive: %s",
                                                      name, archive_error_string(r->a)));
    archive_entry_free(e);
}

static void add_member(report *r, const char *name, const char *data, size_t len)
{
    add_at(r, r->top, name, data, len);
}

/* Lines (a JSON array of strings) as one text. */
static char *lines_text(const json_t *lines, size_t *len)
{
    char *text = NULL;
    *len = 0;
    FILE *mem = open_memstream(&text, len);
    size_t i;
    json_t *line;
    json_array_foreach(lines, i, line) if (mem && json_string_value(line))
        fprintf(mem, "%s\n", json_string_value(line));
    if (mem)
        fclose(mem);
    return text;
}

static void gather_failed(report *r, const char *name, const char *why)
{
    json_array_append_new(r->errors, json_sprintf("%s: %s", name, why));
}

/* Run argv, its stdout (and stderr) into the archive as name. */
static void add_command(report *r, const char *name, char *const argv[])
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return gather_failed(r, name, strerror(errno));
    pid_t pid = fork();
    if (pid == 0) {
        char *envp[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C", NULL};
        setpgid(0, 0);
        wp_agent_exec_child(argv, envp, fds[1], fds[1]);
    }
    close(fds[1]);
    size_t len = 0, cap = 0;
    char *buf = NULL;
    int64_t t0 = wp_clock_ms();
    while (pid > 0 && len < CAPTURE_MAX) {
        int64_t spent = wp_clock_ms() - t0;
        struct pollfd p = {.fd = fds[0], .events = POLLIN};
        if (spent >= CAPTURE_MS || poll(&p, 1, (int)(CAPTURE_MS - spent)) <= 0)
            break;
        if (cap - len < 65536) {
            char *grown = realloc(buf, cap = cap ? 2 * cap : 262144);
            if (!grown)
                break;
            buf = grown;
        }
        ssize_t n = read(fds[0], buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    close(fds[0]);
    int status = -1;
    if (pid > 0) {
        kill(-pid, SIGKILL); /* done, or past its time */
        waitpid(pid, &status, 0);
    }
    if (pid < 0)
        gather_failed(r, name, strerror(errno));
    else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        gather_failed(r, name, "the program is not installed on this node");
    else
        add_member(r, name, buf ? buf : "", len);
    free(buf);
}

static void add_file(report *r, const char *name, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        char why[600];
        snprintf(why, sizeof why, "%s: %s", path, strerror(errno));
        return gather_failed(r, name, why);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    char chunk[65536];
    size_t n;
    while (mem && (n = fread(chunk, 1, sizeof chunk, f)) > 0 && len < CAPTURE_MAX)
        fwrite(chunk, 1, n, mem);
    fclose(f);
    if (mem)
        fclose(mem);
    add_member(r, name, buf ? buf : "", buf ? len : 0);
    free(buf);
}

static void add_json(report *r, wp_cli *cli, const char *name, const char *op, json_t *args)
{
    wp_err err = {0};
    json_t *v = wp_cli_call(cli, op, args, NULL, &err);
    if (!v) {
        char why[900];
        snprintf(why, sizeof why, "%s%s%s", err.what, err.why[0] ? ": " : "", err.why);
        return gather_failed(r, name, why);
    }
    char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
    add_member(r, name, text ? text : "", text ? strlen(text) : 0);
    free(text);
    json_decref(v);
}

/* The incident files (unix-ms-vN.json) from since on. */
static void add_incidents(report *r, const char *state_dir, long long since)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/incidents", state_dir);
    DIR *d = opendir(dir);
    if (!d)
        return gather_failed(r, "incidents/", strerror(errno));
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long long ms = strtoll(e->d_name, NULL, 10);
        if (e->d_name[0] == '.' || ms / 1000 < since)
            continue;
        char name[300], path[4500];
        snprintf(name, sizeof name, "incidents/%s", e->d_name);
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        add_file(r, name, path);
    }
    closedir(d);
}

static void gather(report *r, wp_cli *cli, const char *state_dir, long long since)
{
    char at[32];
    snprintf(at, sizeof at, "@%lld", since);
    add_json(r, cli, "status.json", "status", NULL);
    wp_err err = {0};
    json_t *config = wp_cli_config_read(cli, &err); /* as cluster export: secrets masked */
    char *text = config ? json_dumps(config, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
    if (text)
        add_member(r, "export.json", text, strlen(text));
    else
        gather_failed(r, "export.json", err.what[0] ? err.what : "out of memory");
    free(text);
    json_decref(config);
    add_json(r, cli, "history.json", "history", NULL);
    char *journal[] = {"/usr/bin/journalctl",
                       "--no-pager",
                       "-o",
                       "short-iso",
                       "-u",
                       "wolfpackd",
                       "-u",
                       "corosync",
                       "--since",
                       at,
                       NULL};
    add_command(r, "journal.txt", journal);
    char *quorum[] = {"/usr/sbin/corosync-quorumtool", "-s", NULL};
    add_command(r, "quorum.txt", quorum);
    char *links[] = {"/usr/sbin/corosync-cfgtool", "-s", NULL};
    add_command(r, "links.txt", links);
    add_file(r, "wolfpackd.log", "/var/log/wolfpack/wolfpackd.log");
    add_file(r, "corosync.log", "/var/log/corosync/corosync.log");
    char path[4200];
    snprintf(path, sizeof path, "%s/agents.log", state_dir);
    add_file(r, "agents.log", path);
    add_incidents(r, state_dir, since);
}

/* One other node's part (its node task's output) into report-NODE/; what
 * cannot be had into missing. */
static void add_part(report *r, wp_app_cluster *c, const char *node, long long since,
                     const char *state_dir, json_t *missing)
{
    char since_text[32], top[96];
    snprintf(since_text, sizeof since_text, "%lld", since);
    snprintf(top, sizeof top, "report-%s", node);
    json_t *args = json_pack("{s:s, s:s, s:s}", "app", "wolfpack", "since", since_text, "state_dir",
                             state_dir);
    wp_err err = {0};
    json_t *done = wp_app_task_output(c, node, "wolfpack", "report-part", args, 60, &err);
    json_decref(args);
    const json_t *out = json_object_get(done, "output");
    if (!json_is_object(json_object_get(out, "files"))) {
        json_array_append_new(
            missing, json_sprintf("%s: its part could not be had: %s%s%s", node,
                                  done ? wp_json_str_or(done, "error", "no output") : err.what,
                                  done || !err.why[0] ? "" : ": ", done ? "" : err.why));
    } else {
        const char *name;
        json_t *text;
        json_object_foreach((json_t *)json_object_get(out, "files"), name, text)
            add_at(r, top, name, json_string_value(text), json_string_length(text));
        size_t len;
        char *errors = lines_text(json_object_get(out, "errors"), &len);
        add_at(r, top, "errors.txt", errors ? errors : "", errors ? len : 0);
        free(errors);
    }
    if (done) /* read: the part must not stay in the cluster database */
        json_decref(wp_client_call(c->client, "app.task.forget",
                                   json_pack("{s:s}", "id", wp_json_str_or(done, "id", "")), NULL,
                                   NULL));
    json_decref(done);
}

/* Every other node's part (up: its node task; down: missing), and
 * MISSING.txt when any is missing.  The nodes whose part is in into got. */
static void gather_others(report *r, const char *socket_path, long long since,
                          const char *state_dir, json_t *got)
{
    wp_app_env env;
    wp_app_cluster c;
    wp_err err = {0};
    if (!wp_app_env_init(&env, NULL, &err) || !wp_app_cluster_open(&c, &env, socket_path, &err))
        return gather_failed(r, "other nodes",
                             "this node's wolfpackd does not answer: "
                             "this node's part only");
    c.out = stderr;
    json_t *st = wp_client_call(c.client, "status", NULL, NULL, &err);
    json_t *missing = json_array();
    size_t i, j;
    json_t *n, *m;
    json_array_foreach(json_object_get(st, "nodes"), i, n)
    {
        const char *name = wp_json_str_or(n, "name", "?");
        bool up = false;
        json_array_foreach(json_object_get(st, "members"), j, m) up =
            up || json_integer_value(m) == json_integer_value(json_object_get(n, "id"));
        if (strcasecmp(name, c.node) == 0)
            continue;
        size_t before = json_array_size(missing);
        if (up)
            add_part(r, &c, name, since, state_dir, missing);
        else
            json_array_append_new(missing, json_sprintf("%s: down (not a member of the cluster): "
                                                        "its part is missing",
                                                        name));
        if (json_array_size(missing) == before)
            json_array_append_new(got, json_string(name));
    }
    if (json_array_size(missing)) {
        size_t len;
        char *text = lines_text(missing, &len);
        add_at(r, NULL, "MISSING.txt", text ? text : "", text ? len : 0);
        free(text);
        for (i = 0; i < json_array_size(missing); i++)
            fprintf(stderr, "warning: node %s\n", json_string_value(json_array_get(missing, i)));
    }
    json_decref(missing);
    json_decref(st);
    wp_app_cluster_close(&c);
}

int wp_cmd_report(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--since", .has_value = true},
                         {.name = "--to", .has_value = true},
                         {.name = "--state-dir", .has_value = true},
                         {.name = "--local"}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub_doc(cli, argc, argv, opts, 4, usage, doc, "nothing", 0, &a, &status))
        return status;
    time_t now = time(NULL);
    long long since = (long long)now - 3600;
    if (opts[0].count && !wp_cli_since(opts[0].values[0], (long long)now, &since))
        return wp_cli_usage_error(usage, "--since takes a duration (1h) or a unix time, got '%s'",
                                  opts[0].values[0]);
    const char *state_dir = opts[2].count ? opts[2].values[0] : "/var/lib/wolfpack";
    char host[64] = "node", stamp[32], deflt[160];
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", gmtime(&now));
    snprintf(deflt, sizeof deflt, "wolfpack-report-%s-%s.tar.gz", host, stamp);
    const char *to = opts[1].count ? opts[1].values[0] : deflt;
    report r = {.a = archive_write_new(), .errors = json_array()};
    json_t *others = json_array(); /* the other nodes whose part is in */
    snprintf(r.top, sizeof r.top, "report-%s", host);
    int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    wp_err err = {0};
    if (fd < 0 || !r.a || archive_write_add_filter_gzip(r.a) != ARCHIVE_OK ||
        archive_write_set_format_pax_restricted(r.a) != ARCHIVE_OK ||
        archive_write_open_fd(r.a, fd) != ARCHIVE_OK) {
        wp_errf(&err, WP_E_IO, "cannot write the report %s", to);
        wp_err_why(&err, "%s", fd < 0 ? strerror(errno) : archive_error_string(r.a));
        wp_err_todo(&err, "give --to a new file in a writable directory");
        if (fd >= 0)
            unlink(to);
    } else {
        gather(&r, cli, state_dir, since);
        if (!opts[3].count)
            gather_others(&r, cli->socket_opt, since, state_dir, others);
        size_t len = 0;
        char *text = lines_text(r.errors, &len);
        add_member(&r, "errors.txt", text ? text : "", text ? len : 0);
        free(text);
        if (archive_write_close(r.a) != ARCHIVE_OK) {
            wp_errf(&err, WP_E_IO, "cannot finish the report %s", to);
            wp_err_why(&err, "%s", archive_error_string(r.a));
            wp_err_todo(&err, "check the free space, then run it again");
        }
    }
    if (fd >= 0)
        close(fd);
    if (r.a)
        archive_write_free(r.a);
    size_t missing = json_array_size(r.errors);
    json_decref(r.errors);
    char more[600] = "";
    for (size_t i = 0, o = 0; i < json_array_size(others) && o < sizeof more; i++)
        o += (size_t)snprintf(more + o, sizeof more - o, ", %s",
                              json_string_value(json_array_get(others, i)));
    json_decref(others);
    if (err.code)
        return wp_cli_fail(&err);
    printf("Report of %s%s since %lld written to %s (%zu part%s not gathered: see errors.txt)\n",
           host, more, since, to, missing, missing == 1 ? "" : "s");
    return 0;
}
