/*
 * notify.c -- tells systemd how wolfpackd's start goes (Type=notify in
 * contrib/wolfpackd.service), with libsystemd's sd_notify:
 *
 *   STATUS=waiting: WHAT  while the node is not ready (the reason
 *                         wp_repl_ready gives: e.g. not yet synchronized in a
 *                         quorate partition), each time it changes;
 *   READY=1               once the socket listens (start() made it) and the
 *                         database is synced (wp_repl_ready), with a STATUS=
 *                         line saying so;
 *   STOPPING=1            when the shut-down begins.
 *
 * Without $NOTIFY_SOCKET (not started by systemd: by hand, by the tests, by
 * tools/testcluster) it does nothing at all.  Until ready, a timer of the
 * daemon's loop asks every WP_NOTIFY_POLL_MS; after READY=1 it stops.
 * docs/DAEMON.md ("systemd").
 */
#include <qb/qblog.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "daemon.h"

#define WP_NOTIFY_POLL_MS 200u

struct wp_notify {
    qb_loop_timer_handle timer;
    bool ready;       /* READY=1 sent */
    char status[800]; /* the last STATUS= sent */
};

/* Send STATUS=TEXT (and READY=1 when ready) unless it was the last one. */
static void send_status(wp_notify *n, bool ready, const char *text)
{
    if (!ready && strcmp(n->status, text) == 0)
        return;
    snprintf(n->status, sizeof n->status, "%s", text);
    int rc = ready ? sd_notifyf(0, "READY=1\nSTATUS=%s", text) : sd_notifyf(0, "STATUS=%s", text);
    if (rc < 0)
        qb_log(LOG_WARNING, "cannot tell systemd \"%s\": %s", text, strerror(-rc));
}

static void poll_ready(void *data)
{
    wp_daemon *d = data;
    wp_notify *n = d->notify;
    wp_err err = {0};
    char text[sizeof n->status];

    if (wp_repl_ready(d->repl, &err)) {
        snprintf(text, sizeof text, "ready: socket %s, database version %lld, transport %s",
                 d->opts.socket_path, (long long)wp_db_version(d->db),
                 d->opts.solo ? "solo" : "corosync");
        send_status(n, true, text);
        n->ready = true;
        return;
    }
    snprintf(text, sizeof text, "waiting: %s%s%s%s",
             err.what[0] ? err.what : "the transport is not ready", err.why[0] ? " (" : "", err.why,
             err.why[0] ? ")" : "");
    send_status(n, false, text);
    qb_loop_timer_add(d->loop, QB_LOOP_LOW, (uint64_t)WP_NOTIFY_POLL_MS * 1000000u, d, poll_ready,
                      &n->timer);
}

bool wp_notify_start(wp_daemon *d, wp_err *err)
{
    const char *sock = getenv("NOTIFY_SOCKET");
    if (!sock || !sock[0])
        return true; /* not under systemd: nothing to tell */
    d->notify = calloc(1, sizeof *d->notify);
    if (!d->notify) {
        wp_errf(err, WP_E_INTERNAL, "cannot start telling systemd the start-up state");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "check the memory limits of the service");
        return false;
    }
    poll_ready(d);
    return true;
}

void wp_notify_stopping(wp_daemon *d)
{
    if (!d->notify)
        return;
    sd_notify(0, "STOPPING=1\nSTATUS=stopping: the resources of this node stop first");
}

void wp_notify_free(wp_daemon *d)
{
    if (!d->notify)
        return;
    if (d->loop && !d->notify->ready)
        qb_loop_timer_del(d->loop, d->notify->timer);
    free(d->notify);
    d->notify = NULL;
}
