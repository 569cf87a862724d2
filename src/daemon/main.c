/*
 * main.c -- wolfpackd: options, start-up, the event loop, shut-down.
 *
 *   wolfpackd [--solo] --state-dir DIR --socket PATH [--admin-group GROUP]
 *             [--read-group GROUP]
 *             [--cluster-name NAME] [--cluster-ip A.B.C.D/P] [--node-name NAME]
 *             [--idle-timeout SEC] [--frame-timeout SEC]
 *             [--watchdog PATH [--watchdog-timeout SEC]]
 *   wolfpackd --version
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

#include "daemon.h"
#include "../lib/fs.h"

#ifndef WP_VERSION
#error "WP_VERSION is set by the Makefile from the file VERSION"
#endif

static void usage(FILE *out)
{
    fprintf(out, "usage: wolfpackd [--solo] --state-dir DIR --socket PATH\n"
                 "                 [--admin-group GROUP] [--read-group GROUP]\n"
                 "                 [--cluster-name NAME]"
                 "\n                 [--cluster-ip A.B.C.D/P] [--node-name NAME]\n"
                 "                 [--idle-timeout SEC] [--frame-timeout SEC] [--user NAME]\n"
                 "                 [--watchdog PATH [--watchdog-timeout SEC]]\n"
                 "\n"
                 "  --solo               one-node cluster without Corosync\n"
                 "  --state-dir DIR      where cluster.db lives (created 0700)\n"
                 "  --socket PATH        the Unix socket clients use\n"
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
                 "  --watchdog PATH      self-fencing: pet the watchdog at PATH (e.g.\n"
                 "                       /dev/watchdog0) only while quorate and healthy\n"
                 "  --watchdog-timeout SEC  its timeout, 2 to 300 (default 10); must exceed\n"
                 "                       corosync's token + consensus (docs/FENCING.md)\n"
                 "  --version            print the version (wolfpackd VERSION) and exit\n"
                 "See docs/DAEMON.md and docs/FENCING.md.\n");
}

/* A timeout option: whole seconds, 1..WP_DAEMON_TIMEOUT_MAX. */
static bool parse_seconds(const char *opt, const char *text, int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > WP_DAEMON_TIMEOUT_MAX) {
        fprintf(stderr,
                "error: %s \"%s\" is not a number of seconds from 1 to %d\n"
                "  to do: give whole seconds, e.g. %s 15\n",
                opt, text, WP_DAEMON_TIMEOUT_MAX, opt);
        return false;
    }
    *out = (int)v;
    return true;
}

static bool parse_opts(int argc, char **argv, wp_daemon_opts *o)
{
    static const struct option longopts[] = {
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
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int ch;

    o->admin_group = "wolfpack";
    o->read_group = "wolfpack-read";
    o->idle_timeout = WP_DAEMON_IDLE_TIMEOUT;
    o->frame_timeout = WP_DAEMON_FRAME_TIMEOUT;
    o->watchdog_timeout = WP_DAEMON_WATCHDOG_TIMEOUT;
    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 's':
            o->solo = true;
            break;
        case 'd':
            o->state_dir = optarg;
            break;
        case 'S':
            o->socket_path = optarg;
            break;
        case 'g':
            o->admin_group = optarg;
            break;
        case 'r':
            o->read_group = optarg;
            break;
        case 'c':
            o->cluster_name = optarg;
            break;
        case 'i':
            o->cluster_ip = optarg;
            break;
        case 'n':
            o->node_name = optarg;
            break;
        case 'u':
            o->user = optarg;
            break;
        case 'I':
        case 'F':
            if (!parse_seconds(ch == 'I' ? "--idle-timeout" : "--frame-timeout", optarg,
                               ch == 'I' ? &o->idle_timeout : &o->frame_timeout))
                return false;
            break;
        case 'W':
            o->watchdog = optarg[0] ? optarg : NULL;
            break;
        case 'T':
            if (!parse_seconds("--watchdog-timeout", optarg, &o->watchdog_timeout))
                return false;
            if (o->watchdog_timeout < 2 || o->watchdog_timeout > 300) {
                fprintf(stderr,
                        "error: --watchdog-timeout %d is out of range\n"
                        "  why: the watchdog takes 2 to 300 seconds\n"
                        "  to do: give e.g. --watchdog-timeout 10\n",
                        o->watchdog_timeout);
                return false;
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        case 'V':
            printf("wolfpackd %s\n", WP_VERSION);
            exit(0);
        default:
            usage(stderr);
            return false;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "error: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return false;
    }
    if (!o->state_dir || !o->socket_path || !o->state_dir[0] || !o->socket_path[0]) {
        fprintf(stderr, "error: --state-dir and --socket are required\n"
                        "  to do: e.g. wolfpackd --solo --state-dir /var/lib/wolfpack"
                        " --socket /run/wolfpack/wolfpackd.sock\n");
        return false;
    }
    return true;
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

/* Report a fatal start-up error: the full message on stderr, and syslog. */
static void fatal(wp_daemon *d, const char *context, const wp_err *err)
{
    d->log_quiet = true;
    wp_log_err(LOG_ERR, context, err);
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

int main(int argc, char **argv)
{
    wp_daemon d = {.lock_fd = -1, .listen_fd = -1, .agent_log_fd = -1};
    wp_err err = {0};

    if (!parse_opts(argc, argv, &d.opts))
        return 2;
    wp_mem_setup();
    umask(077);
    signal(SIGPIPE, SIG_IGN);
    wp_log_start(&d.log_quiet);
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        qb_log(LOG_WARNING, "cannot become a child subreaper: %s", strerror(errno));
    if (!wp_privsep_start(&d, &err) || !start(&d, &err)) {
        fatal(&d, "cannot start", &err);
        stop(&d);
        wp_log_stop();
        return 1;
    }
    if (!wp_notify_start(&d, &err)) {
        fatal(&d, "cannot start", &err);
        stop(&d);
        wp_log_stop();
        return 1;
    }
    qb_log(LOG_NOTICE, "wolfpackd ready: socket %s, state %s, transport %s, version %lld",
           d.opts.socket_path, d.opts.state_dir, d.opts.solo ? "solo" : "corosync",
           (long long)wp_db_version(d.db));
    qb_loop_run(d.loop);
    stop(&d);
    qb_log(LOG_NOTICE, "wolfpackd stopped");
    wp_log_stop();
    return 0;
}
