/*
 * main.c -- wolfpackd: options, start-up, the event loop, shut-down.
 *
 *   wolfpackd [--config PATH] [--solo] [--state-dir DIR] [--socket PATH]
 *             [--admin-group GROUP] [--read-group GROUP]
 *             [--cluster-name NAME] [--cluster-ip A.B.C.D/P] [--node-name NAME]
 *             [--idle-timeout SEC] [--frame-timeout SEC]
 *             [--watchdog PATH [--watchdog-timeout SEC]]
 *   wolfpackd --version
 *
 * Options: defaults (state /var/lib/wolfpack, the CLI's default socket
 * /run/wolfpack/wolfpackd.sock), then the configuration file
 * (/etc/wolfpack/wolfpackd.conf or --config; src/lib/conffile.c; a bad line
 * stops the daemon with exit 2), then the command line, which overrides it.
 *
 * Start-up: create DIR (0700) and the socket's directory (0755), lock
 * DIR/wolfpackd.lock (one daemon per state dir), open DIR/cluster.db,
 * start the transport (solo, or Corosync CPG), name a solo cluster on first
 * start, listen on the socket.  Then one qb_loop runs everything; SIGTERM or
 * SIGINT stops it and the daemon closes clients, transport and database and
 * removes its socket.  Under systemd, notify.c tells it when the node is
 * ready (Type=notify).  docs/DAEMON.md is the user's description; running
 * resources (events.c, coordinator.c, executor.c, monitor.c) is in
 * docs/EXECUTOR.md.  With --user, privsep.c first forks the root executor
 * and drops root (docs/SECURITY.md, "Privilege separation").
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <malloc.h>
#include <qb/qblog.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../agents/agent.h"
#include "../client/client.h"
#include "../lib/conffile.h"
#include "../lib/fs.h"
#include "../lib/rt.h"
#include "daemon.h"
#include "../lib/rootlist.h"

/* The defaults that fit a Debian system (FHS); the socket's is the CLI's. */
#define WP_DAEMON_CONFIG "/etc/wolfpack/wolfpackd.conf"
#define WP_DAEMON_STATE_DIR "/var/lib/wolfpack"

#ifndef WP_VERSION
#error "WP_VERSION is set by the Makefile from the file VERSION"
#endif

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: wolfpackd [--config PATH] [--solo] [--state-dir DIR] [--socket PATH]\n"
        "                 [--admin-group GROUP] [--read-group GROUP]\n"
        "                 [--cluster-name NAME]"
        "\n                 [--cluster-ip A.B.C.D/P] [--node-name NAME]\n"
        "                 [--idle-timeout SEC] [--frame-timeout SEC] [--user NAME]\n"
        "                 [--watchdog PATH [--watchdog-timeout SEC]] [--root-services DIR]\n"
        "                 [--web-user NAME]\n"
        "\n"
        "  --config PATH        the configuration file (default " WP_DAEMON_CONFIG ",\n"
        "                       read when it exists); options given here override it\n"
        "  --solo               one-node cluster without Corosync\n"
        "  --state-dir DIR      where cluster.db lives (created 0700; default " WP_DAEMON_STATE_DIR
        ")\n"
        "  --socket PATH        the Unix socket clients use\n"
        "                       (default " WP_DEFAULT_SOCKET ")\n"
        "  --admin-group GROUP  group allowed to connect besides root"
        " (default wolfpack)\n"
        "  --read-group GROUP   group allowed to read only: status, list, show,"
        " watch\n"
        "                       (default wolfpack-read)\n"
        "  --cluster-name NAME  name of a new solo cluster (default solo)\n"
        "  --cluster-ip A/P     address of a new solo cluster: Cluster Group gets\n"
        "                       Cluster IP Address and Cluster Name\n"
        "  --node-name NAME     name of this node in a new solo cluster"
        " (default: host name)\n"
        "  --idle-timeout SEC   close a connection that sends no request by then"
        " (default 15)\n"
        "  --frame-timeout SEC  close a connection whose request frame is not whole"
        " by then\n"
        "                       (default 15)\n"
        "  --user NAME          run as NAME; only a small executor process keeps"
        " root\n"
        "                       to run the agents (docs/SECURITY.md)\n"
        "  --web-user NAME      the user of wolfpack-web, which may act for the users\n"
        "                       who log in to it (default wolfpack, a dedicated user;\n"
        "                       docs/WEB.md)\n"
        "  --root-services DIR  with --user: the root-owned allow-list of what may run\n"
        "                       as root (default " WP_ROOTLIST_DIR ")\n"
        "  --watchdog PATH      self-fencing: pet the watchdog at PATH (e.g.\n"
        "                       /dev/watchdog0) only while quorate and healthy\n"
        "  --watchdog-timeout SEC  its timeout, 2 to 300 (default 10); must exceed\n"
        "                       corosync's token + consensus (docs/FENCING.md)\n"
        "  --version            print the version (wolfpackd VERSION) and exit\n"
        "Every option but --config and --version can be set in the configuration file\n"
        "as `NAME = VALUE` (solo = yes|no).  See wolfpackd(8), docs/DAEMON.md and\n"
        "docs/FENCING.md.\n");
}

/* The options, also the keys of the configuration file (without "--"). */
static const struct option LONGOPTS[] = {
    {"solo", no_argument, NULL, 's'},
    {"state-dir", required_argument, NULL, 'd'},
    {"socket", required_argument, NULL, 'S'},
    {"admin-group", required_argument, NULL, 'g'},
    {"read-group", required_argument, NULL, 'r'},
    {"cluster-name", required_argument, NULL, 'c'},
    {"cluster-ip", required_argument, NULL, 'i'},
    {"node-name", required_argument, NULL, 'n'},
    {"idle-timeout", required_argument, NULL, 'I'},
    {"frame-timeout", required_argument, NULL, 'F'},
    {"user", required_argument, NULL, 'u'},
    {"watchdog", required_argument, NULL, 'W'},
    {"watchdog-timeout", required_argument, NULL, 'T'},
    {"root-services", required_argument, NULL, 'R'},
    {"web-user", required_argument, NULL, 'w'},
    {"config", required_argument, NULL, 'C'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The keys the configuration file may set: the options up to "config". */
static const char *const CONF_KEYS[] = {"solo",
                                        "state-dir",
                                        "socket",
                                        "admin-group",
                                        "read-group",
                                        "cluster-name",
                                        "cluster-ip",
                                        "node-name",
                                        "idle-timeout",
                                        "frame-timeout",
                                        "user",
                                        "watchdog",
                                        "watchdog-timeout",
                                        "root-services",
                                        "web-user",
                                        NULL};

/* A bad value: "error: WHERE: NAME "VALUE" is not ..." on errs. */
static void bad_value(FILE *errs, const char *where, const char *name, const char *value,
                      const char *want, const char *example)
{
    fprintf(errs, "error: %s%s%s \"%s\" is not %s\n  to do: give e.g. %s\n", where,
            where[0] ? ": " : "", name, value, want, example);
}

/* A timeout: whole seconds, 1..WP_DAEMON_TIMEOUT_MAX. */
static bool parse_seconds(FILE *errs, const char *where, const char *name, const char *text,
                          int *out)
{
    char *end;
    long v;
    char want[80], example[80];

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > WP_DAEMON_TIMEOUT_MAX) {
        snprintf(want, sizeof want, "a number of seconds from 1 to %d", WP_DAEMON_TIMEOUT_MAX);
        snprintf(example, sizeof example, where[0] ? "%s = 15" : "%s 15", name);
        bad_value(errs, where, name, text, want, example);
        return false;
    }
    *out = (int)v;
    return true;
}

/* Apply option ch (LONGOPTS) with value.  where: "" for the command line,
 * else "FILE:LINE" (the name is then the key, and solo takes yes or no). */
static bool set_opt(FILE *errs, wp_daemon_opts *o, int ch, const char *name, const char *value,
                    const char *where)
{
    switch (ch) {
    case 's':
        if (!value || strcmp(value, "yes") == 0 || strcmp(value, "true") == 0)
            o->solo = true;
        else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0)
            o->solo = false;
        else {
            bad_value(errs, where, name, value, "yes or no", "solo = yes");
            return false;
        }
        return true;
    case 'd':
        o->state_dir = value;
        return true;
    case 'S':
        o->socket_path = value;
        return true;
    case 'g':
        o->admin_group = value;
        return true;
    case 'r':
        o->read_group = value;
        return true;
    case 'c':
        o->cluster_name = value;
        return true;
    case 'i':
        o->cluster_ip = value;
        return true;
    case 'n':
        o->node_name = value;
        return true;
    case 'I':
        return parse_seconds(errs, where, name, value, &o->idle_timeout);
    case 'F':
        return parse_seconds(errs, where, name, value, &o->frame_timeout);
    case 'u':
        o->user = value[0] ? value : NULL;
        return true;
    case 'w':
        o->web_user = value[0] ? value : NULL;
        return true;
    case 'W':
        o->watchdog = value[0] ? value : NULL;
        return true;
    case 'R':
        if (value[0] != '/') {
            bad_value(errs, where, name, value, "an absolute directory path",
                      where[0] ? "root-services = /etc/wolfpack/root-services.d"
                               : "--root-services /etc/wolfpack/root-services.d");
            return false;
        }
        o->root_services = value;
        return true;
    case 'T':
        if (!parse_seconds(errs, where, name, value, &o->watchdog_timeout))
            return false;
        if (o->watchdog_timeout < 2 || o->watchdog_timeout > 300) {
            bad_value(errs, where, name, value, "from 2 to 300 seconds (the watchdog's range)",
                      where[0] ? "watchdog-timeout = 10" : "--watchdog-timeout 10");
            return false;
        }
        return true;
    default:
        return false;
    }
}

/* Apply the settings of the configuration file. */
static bool apply_conf(FILE *errs, const wp_conf *conf, wp_daemon_opts *o)
{
    for (size_t i = 0; i < conf->n; i++) {
        const wp_conf_entry *e = &conf->entries[i];
        char where[4200];
        snprintf(where, sizeof where, "%s:%u", conf->path, e->line);
        for (const struct option *lo = LONGOPTS; lo->name; lo++) {
            if (strcmp(lo->name, e->key) == 0 &&
                !set_opt(errs, o, lo->val, e->key, e->value, where))
                return false;
        }
    }
    return true;
}

/* The options: defaults, then the configuration file, then the command
 * line.  *conf owns the strings the file gives (free it after the opts).
 * Returns 0, or the exit status (2) after writing the error to errs. */
static int parse_opts(int argc, char **argv, wp_daemon_opts *o, wp_conf *conf, FILE *errs)
{
    bool exit_now;
    const char *config =
        wp_conf_first_pass(argc, argv, LONGOPTS, "wolfpackd", usage, stdout, &exit_now);
    if (exit_now)
        exit(0);
    wp_err err = {0};
    int ch, idx = 0;

    o->admin_group = "wolfpack";
    o->read_group = "wolfpack-read";
    o->web_user = "wolfpack";
    o->idle_timeout = WP_DAEMON_IDLE_TIMEOUT;
    o->frame_timeout = WP_DAEMON_FRAME_TIMEOUT;
    o->watchdog_timeout = WP_DAEMON_WATCHDOG_TIMEOUT;
    if (!wp_conf_read(config ? config : WP_DAEMON_CONFIG, config == NULL, CONF_KEYS, conf, &err)) {
        wp_err_print(&err, errs);
        fprintf(errs, "wolfpackd: the configuration is refused; wolfpackd does not start\n");
        return 2;
    }
    if (!apply_conf(errs, conf, o)) {
        fprintf(errs, "wolfpackd: the configuration is refused; wolfpackd does not start\n");
        return 2;
    }
    while ((ch = getopt_long(argc, argv, "h", LONGOPTS, &idx)) != -1) {
        if (ch == 'C')
            continue;
        if (ch == '?' || ch == ':') {
            usage(errs);
            return 2;
        }
        char name[40];
        snprintf(name, sizeof name, "--%s", LONGOPTS[idx].name);
        if (!set_opt(errs, o, ch, name, optarg, ""))
            return 2;
    }
    if (optind < argc) {
        fprintf(errs, "error: unexpected argument \"%s\"\n", argv[optind]);
        usage(errs);
        return 2;
    }
    if (!o->state_dir)
        o->state_dir = WP_DAEMON_STATE_DIR;
    if (!o->socket_path)
        o->socket_path = WP_DEFAULT_SOCKET;
    if (!o->state_dir[0] || !o->socket_path[0]) {
        fprintf(errs, "error: the state directory and the socket must not be empty\n"
                      "  to do: leave them out for " WP_DAEMON_STATE_DIR " and " WP_DEFAULT_SOCKET
                      ", or give paths\n");
        return 2;
    }
    return 0;
}

/* parse_opts, its errors written by wp_log_early: under systemd they reach
 * the journal at priority err ("<3>"), so `journalctl -p err` shows a
 * refused configuration. */
static int parse_opts_logged(int argc, char **argv, wp_daemon_opts *o, wp_conf *conf)
{
    char *text = NULL;
    size_t len = 0;
    FILE *errs = open_memstream(&text, &len);
    int rc = parse_opts(argc, argv, o, conf, errs ? errs : stderr);

    if (errs) {
        fclose(errs);
        wp_log_early(text, LOG_ERR);
        free(text);
    }
    return rc;
}

/* One daemon per state directory: an exclusive lock on DIR/wolfpackd.lock. */
static bool lock_state_dir(wp_daemon *d, wp_err *err)
{
    char path[4200];

    snprintf(path, sizeof path, "%s/wolfpackd.lock", d->opts.state_dir);
    d->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (d->lock_fd < 0) {
        wp_errf(err, WP_E_IO, "cannot open %s", path);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check the permissions of the state directory");
        return false;
    }
    if (flock(d->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        wp_errf(err, WP_E_CONFLICT, "another wolfpackd uses the state directory %s",
                d->opts.state_dir);
        wp_err_why(err, "%s is locked", path);
        wp_err_todo(err, "stop the other wolfpackd, or give this one its own --state-dir");
        return false;
    }
    return true;
}

static int32_t on_stop_signal(int32_t sig, void *data)
{
    wp_daemon *d = data;
    qb_log(LOG_NOTICE, "received %s: shutting down", strsignal(sig));
    wp_notify_stopping(d);
    qb_loop_stop(d->loop);
    return 0;
}

static int32_t on_sighup(int32_t sig, void *data)
{
    (void)sig, (void)data;
    qb_log(LOG_INFO, "received SIGHUP: nothing to reload (ignored)");
    return 0;
}

/* wolfpackd is a child subreaper: reap orphans that land on us, but leave
 * the agents' op children to their jobs (events.c). */
static int32_t on_sigchld(int32_t sig, void *data)
{
    (void)sig;
    wp_events_reap(data);
    return 0;
}

/* Report a fatal start-up error: the full message on stderr, and the log. */
static void fatal(wp_daemon *d, const char *context, const wp_err *err)
{
    d->log.quiet = true;
    wp_log_err(LOG_ERR, context, err);
    if (d->log.journal) /* stderr is the journal: it has the error already */
        return;
    fprintf(stderr, "wolfpackd: %s\n", context);
    wp_err_print(err, stderr);
}

static bool start(wp_daemon *d, wp_err *err)
{
    char dbpath[4200];
    char sockdir[4096];

    if (!wp_fs_mkdir_p(d->opts.state_dir, 0700, err))
        return false;
    snprintf(sockdir, sizeof sockdir, "%s", d->opts.socket_path);
    if (!wp_fs_mkdir_p(dirname(sockdir), 0755, err))
        return false;
    if (!lock_state_dir(d, err))
        return false;
    d->loop = qb_loop_create();
    if (!d->loop) {
        wp_errf(err, WP_E_INTERNAL, "cannot create the event loop");
        wp_err_why(err, "qb_loop_create failed");
        wp_err_todo(err, "check memory and open-file limits");
        return false;
    }
    if (!wp_privsep_attach(d, err))
        return false;
    /* listen before anything is opened or changed: a second daemon on this
     * socket fails first; clients wait in the backlog until the loop runs */
    if (!wp_ipc_listen(d, err))
        return false;
    snprintf(dbpath, sizeof dbpath, "%s/cluster.db", d->opts.state_dir);
    d->db = wp_db_open(dbpath, err);
    if (!d->db)
        return false;
    if (d->opts.solo)
        d->repl = wp_repl_solo_new(d->db, wp_handlers_on_applied, d, err);
    else
        d->repl = wp_repl_cpg_new(d->db, d->loop, NULL, wp_handlers_on_applied, d, err);
    if (!d->repl)
        return false;
    if (d->opts.solo && !wp_handlers_bootstrap_solo(d, err))
        return false;
    qb_loop_signal_add(d->loop, QB_LOOP_HIGH, SIGTERM, d, on_stop_signal, &d->sig_term);
    qb_loop_signal_add(d->loop, QB_LOOP_HIGH, SIGINT, d, on_stop_signal, &d->sig_int);
    qb_loop_signal_add(d->loop, QB_LOOP_LOW, SIGCHLD, d, on_sigchld, &d->sig_chld);
    qb_loop_signal_add(d->loop, QB_LOOP_LOW, SIGHUP, d, on_sighup, &d->sig_hup);
    return wp_events_start(d, err);
}

static void stop(wp_daemon *d)
{
    wp_events_stop(d); /* stops what runs here: the others take it over */
    wp_notify_free(d);
    if (d->loop)
        wp_ipc_close_all(d);
    wp_repl_free(d->repl);
    d->repl = NULL;
    wp_handlers_free_pending(d);
    wp_db_close(d->db);
    d->db = NULL;
    if (d->socket_created && unlink(d->opts.socket_path) != 0 && errno != ENOENT)
        qb_log(LOG_WARNING, "cannot remove %s: %s", d->opts.socket_path, strerror(errno));
    if (d->loop)
        qb_loop_destroy(d->loop);
    d->loop = NULL;
    if (d->lock_fd >= 0)
        close(d->lock_fd);
    d->lock_fd = -1;
    wp_privsep_free(d);
}

/* The loop heartbeats the disk keepers and pets the watchdog: keep it
 * running under a CPU hog and memory pressure (docs/FENCING.md, "No false
 * fencing under load").  Not the memory lock under --user: once the
 * daemon is unprivileged, a locked MCL_FUTURE would fail its allocations
 * at RLIMIT_MEMLOCK (the root executor locks its own).  The busy guard:
 * a wolfpackd that runs WP_RT_BUSY_MAX_MS without waiting is put back to
 * ordinary scheduling until its loop waits again (events.c's tick). */
static void harden(wp_daemon *d)
{
    char rt[400], guard[200];
    bool hard = wp_rt_harden(WP_RT_PRIO_DAEMON, !d->opts.user, rt, sizeof rt);
    bool guarded = wp_rt_limit_busy(WP_RT_PRIO_DAEMON, WP_RT_BUSY_MAX_MS, guard, sizeof guard);
    if (hard && guarded)
        qb_log(LOG_INFO, "real-time: %s; %s", rt, guard);
    else if (hard)
        qb_log(LOG_WARNING,
               "real-time: %s, but %s: a busy wolfpackd may keep ordinary work "
               "from a core for longer",
               rt, guard);
    else
        qb_log(LOG_WARNING,
               "real-time: %s; %s: under a CPU or memory shortage this node may miss a disk "
               "lease or watchdog deadline (a false fence); run wolfpackd as root",
               rt, guard);
}

/* Each wolfpackd its own agents' run directory (the services' pid files,
 * the disk keepers' files), on /run's tmpfs so that a boot clears it:
 * /run/wolfpack/agents with the default state directory, for any other
 * /run/wolfpack/agents plus the state directory's absolute path with every
 * '/' made '-' (--state-dir /srv/wp2 -> /run/wolfpack/agents-srv-wp2), so
 * two daemons on one host never feed each other's keepers or share pid
 * files.  The agents (here and in the executor, forked later) find it in
 * $WOLFPACK_RUN_DIR (wp_agent_run_dir). */
static bool set_run_dir(const wp_daemon_opts *o)
{
    char cwd[2048] = "";
    char dir[4096];
    if (strcmp(o->state_dir, WP_DAEMON_STATE_DIR) == 0) {
        snprintf(dir, sizeof dir, "%s", WP_AGENT_RUN_DIR);
    } else {
        if (o->state_dir[0] != '/' && !getcwd(cwd, sizeof cwd))
            return false;
        int n = snprintf(dir, sizeof dir, "%s%s%s%s", WP_AGENT_RUN_DIR, cwd,
                         o->state_dir[0] == '/' ? "" : "/", o->state_dir);
        if (n < 0 || (size_t)n >= sizeof dir - 16)
            return false;
        for (char *p = dir + strlen(WP_AGENT_RUN_DIR); *p; p++)
            if (*p == '/')
                *p = '-';
    }
    return setenv("WOLFPACK_RUN_DIR", dir, 1) == 0;
}

int main(int argc, char **argv)
{
    wp_daemon d = {.lock_fd = -1, .listen_fd = -1, .agent_log_fd = -1};
    wp_err err = {0};
    wp_conf conf = {0};
    int rc = parse_opts_logged(argc, argv, &d.opts, &conf);

    if (rc != 0) {
        wp_conf_free(&conf);
        return rc;
    }
    if (!set_run_dir(&d.opts)) {
        fprintf(stderr,
                "error: cannot name the agents' run directory for %s\n"
                "  why: the working directory cannot be read, or the path is too long\n"
                "  to do: give --state-dir as a shorter absolute path\n",
                d.opts.state_dir);
        wp_conf_free(&conf);
        return 1;
    }
    wp_dm_init(&d.metrics);
    wp_mem_setup();
    umask(077);
    signal(SIGPIPE, SIG_IGN);
    wp_log_start(&d.log);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        qb_log(LOG_WARNING, "cannot become a child subreaper: %s", strerror(errno));
    harden(&d);
    if (!wp_privsep_start(&d, &err) || !start(&d, &err) || !wp_notify_start(&d, &err)) {
        fatal(&d, "cannot start", &err);
        rc = 1;
    } else {
        qb_log(LOG_NOTICE, "wolfpackd ready: socket %s, state %s, transport %s, version %lld",
               d.opts.socket_path, d.opts.state_dir, d.opts.solo ? "solo" : "corosync",
               (long long)wp_db_version(d.db));
        qb_loop_run(d.loop);
    }
    stop(&d);
    wp_dm_free(&d.metrics);
    if (rc == 0)
        qb_log(LOG_NOTICE, "wolfpackd stopped");
    wp_log_stop();
    wp_conf_free(&conf); /* after the last use of d.opts */
    return rc;
}
