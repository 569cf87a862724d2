/*
 * wdog.c -- watchdog self-fencing, SBD style (docs/FENCING.md).
 *
 * With `--watchdog PATH` (and `--watchdog-timeout SEC`), wolfpackd arms the
 * watchdog at PATH (src/agents/watchdog.c: the kernel's API) the first
 * time the node is ready (quorate, synced, named: before that it runs
 * nothing), and from then on pets it every PET_MS only while
 *   - this loop runs (the pet is a timer of wolfpackd's one event loop: a
 *     stuck or stopped wolfpackd does not pet),
 *   - corosync answers (a quorum_getquorate round trip on every pet: a
 *     dead corosync fails it, a stopped one blocks it, and then this loop),
 *   - the partition is quorate (the node that loses quorum stops
 *     petting: that is the poison pill every minority swallows),
 *   - and no poison pill for this node was applied in this life
 *     (node.poison, `wolfpack node fence NODE --watchdog`; a pill found in
 *     the database when the node is ready again is one it swallowed before
 *     its reset: it clears it, node.unpoison).
 * The watchdog then resets the node within its timeout T.  The node
 * announces T in the database (node.watchdog {name, timeout}; 0 when it
 * has no watchdog), so the coordinator of the majority may take a lost
 * node for down once 2 x T has passed since it was lost (recovery.c).
 * A clean stop (SIGTERM: what ran here is stopped first, which blocks
 * this loop: it must end within T) disarms it with the magic close; a
 * crash does not, and the watchdog fires.  Without
 * --watchdog nothing here opens anything.  Under --user the root executor
 * holds the device (privexec.c: watchdog.open, .pet, .close) and pets it
 * when this loop says so; a crashed daemon closes its channel, and the
 * executor's end closes the device without the magic close: it fires.
 */
#include <corosync/cmap.h>
#include <corosync/quorum.h>
#include <errno.h>
#include <qb/qblog.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../lib/json.h"
#include "../agents/watchdog.h"
#include "daemon.h"

#define PET_MS_MAX 1000

struct wp_wdog {
    wp_watchdog *dev;  /* the open watchdog (NULL under --user: the executor's) */
    bool armed;        /* opened, here or by the executor */
    int timeout;       /* s in force (announced) */
    uint64_t pet_ms;   /* period */
    quorum_handle_t q; /* corosync's quorum service: alive and quorate? */
    bool q_open;
    bool healthy;  /* the last pet decision (for logging the changes) */
    bool poisoned; /* a poison pill was applied in this life: never pet again */
    bool unpoison_inflight;
    bool announce_inflight;
    qb_loop_timer_handle timer;
};

static void schedule(wp_daemon *d);

/* Does corosync answer and say quorate?  (solo: there is no corosync) */
static bool corosync_quorate(wp_daemon *d, wp_wdog *w, char *why, size_t size)
{
    if (d->opts.solo)
        return true;
    if (!w->q_open) {
        uint32_t type;
        if (quorum_initialize(&w->q, NULL, &type) != CS_OK) {
            snprintf(why, size, "corosync does not answer (quorum_initialize failed)");
            return false;
        }
        w->q_open = true;
    }
    int quorate = 0;
    cs_error_t rc = quorum_getquorate(w->q, &quorate);
    if (rc != CS_OK) {
        quorum_finalize(w->q);
        w->q_open = false;
        snprintf(why, size, "corosync does not answer (quorum_getquorate: error %d)", (int)rc);
        return false;
    }
    if (!quorate)
        snprintf(why, size, "this partition has lost quorum");
    return quorate != 0;
}

static void pet(void *data)
{
    wp_daemon *d = data;
    wp_wdog *w = d->wdog;
    char why[160] = "";
    wp_err err = {0};

    if (!w || !w->armed)
        return;
    bool healthy = !w->poisoned && corosync_quorate(d, w, why, sizeof why);
    if (w->poisoned)
        snprintf(why, sizeof why, "a poison pill for this node was applied");
    if (healthy && d->privsep)
        wp_privsep_watchdog_pet(d); /* a failed pet is the executor's to log */
    else if (healthy && !wp_watchdog_pet(w->dev, &err)) {
        snprintf(why, sizeof why, "%.80s: %.70s", err.what, err.why);
        healthy = false;
    }
    if (healthy != w->healthy) {
        if (healthy)
            qb_log(LOG_NOTICE, "watchdog: petting again");
        else
            qb_log(LOG_CRIT,
                   "watchdog: no longer petting: %s; the watchdog resets this node within %d s",
                   why, w->timeout);
        w->healthy = healthy;
    }
    schedule(d);
}

static void schedule(wp_daemon *d)
{
    wp_wdog *w = d->wdog;
    if (d->loop && w && w->armed)
        qb_loop_timer_add(d->loop, QB_LOOP_HIGH, w->pet_ms * 1000000u, d, pet, &w->timer);
}

/* The timing inequality (docs/FENCING.md): a minority learns of its loss
 * within token + consensus, so T must be longer.  Warn when it is not. */
static void check_timing(wp_daemon *d, int timeout)
{
    cmap_handle_t h;
    uint32_t token = 0, consensus = 0;
    if (d->opts.solo || cmap_initialize(&h) != CS_OK)
        return;
    cmap_get_uint32(h, "runtime.config.totem.token", &token);
    cmap_get_uint32(h, "runtime.config.totem.consensus", &consensus);
    cmap_finalize(h);
    if (token && (uint64_t)timeout * 1000u <= (uint64_t)token + consensus)
        qb_log(LOG_CRIT,
               "watchdog: its timeout %d s is not longer than corosync's token + consensus "
               "(%u + %u ms): a node cut off may still pet it when the majority takes it for "
               "reset; give --watchdog-timeout more than %u s",
               timeout, token, consensus, (token + consensus) / 1000u);
}

/* Arm the watchdog: the first time the node is ready. */
static void arm(wp_daemon *d, wp_wdog *w)
{
    wp_err err = {0};
    bool is_device = false;
    int actual = 0;

    if (d->privsep) /* --user: the executor holds the device */
        w->armed = wp_privsep_watchdog_open(d, d->opts.watchdog_timeout, &actual, &is_device, &err);
    else
        w->armed = (w->dev = wp_watchdog_open(d->opts.watchdog, d->opts.watchdog_timeout, &actual,
                                              &is_device, &err)) != NULL;
    if (!w->armed) {
        wp_log_err(LOG_CRIT, "watchdog: cannot arm it (self-fencing is off; retried)", &err);
        return;
    }
    w->timeout = actual;
    w->pet_ms = (uint64_t)actual * 1000u / 4;
    if (w->pet_ms > PET_MS_MAX)
        w->pet_ms = PET_MS_MAX;
    if (is_device)
        qb_log(LOG_NOTICE, "watchdog: %s armed, timeout %d s, petted every %llu ms",
               d->opts.watchdog, actual, (unsigned long long)w->pet_ms);
    else
        qb_log(LOG_NOTICE,
               "watchdog: %s armed; it is not a watchdog device (its ioctls fail: %s): its "
               "timeout must be set to %d s by its owner; every keepalive is a write, every %llu "
               "ms",
               d->opts.watchdog, strerror(ENOTTY), actual, (unsigned long long)w->pet_ms);
    check_timing(d, actual);
    w->healthy = true;
    pet(d);
}

static void on_unpoisoned(void *cookie, const wp_err *err, int64_t version)
{
    (void)version;
    wp_daemon *d = cookie;
    if (d->wdog)
        d->wdog->unpoison_inflight = false;
    if (err)
        wp_log_err(LOG_WARNING, "watchdog: clearing an old poison pill was refused (retried)", err);
}

/* A pill in the database that this life did not swallow is from before the
 * node's reset (or came while it was away): clear it. */
static void clear_old_pill(wp_daemon *d, wp_wdog *w, const json_t *status)
{
    if (!w || !w->armed || w->poisoned || w->unpoison_inflight ||
        !json_object_get(json_object_get(status, "poison"), d->view.local_name))
        return;
    wp_err err = {0};
    json_t *cmd =
        json_pack("{s:s, s:{s:s}}", "op", "node.unpoison", "args", "name", d->view.local_name);
    if (cmd && wp_repl_submit(d->repl, cmd, on_unpoisoned, d, &err)) {
        w->unpoison_inflight = true;
        qb_log(LOG_NOTICE, "watchdog: clearing a poison pill of an earlier life of this node");
    }
    json_decref(cmd);
}

void wp_wdog_on_poison(wp_daemon *d, const json_t *args)
{
    const char *name = wp_json_str(args, "name");
    wp_wdog *w = d->wdog;
    if (!name || strcasecmp(name, d->view.local_name) != 0)
        return;
    if (!w || !w->armed) {
        qb_log(LOG_WARNING, "watchdog: a poison pill for this node, but no watchdog is armed "
                            "here: ignored");
        return;
    }
    w->poisoned = true;
    qb_log(LOG_CRIT,
           "watchdog: poison pill for this node: no more keepalives; the watchdog "
           "resets it within %d s",
           w->timeout);
    wp_wdog_pet_now(d); /* logs the change at once */
}

static void on_announced(void *cookie, const wp_err *err, int64_t version)
{
    (void)version;
    wp_daemon *d = cookie;
    if (d->wdog)
        d->wdog->announce_inflight = false;
    if (err)
        wp_log_err(LOG_WARNING, "watchdog: announcing the timeout was refused (retried)", err);
}

/* The database says what this node's watchdog is (recovery counts on it). */
static void announce(wp_daemon *d, wp_wdog *w)
{
    wp_err err = {0};
    json_t *st = wp_db_fence_status(d->db, &err);
    json_t *rec = json_object_get(json_object_get(st, "watchdog"), d->view.local_name);
    json_int_t have = json_integer_value(json_object_get(rec, "timeout"));
    json_int_t want = w && w->armed ? w->timeout : 0;
    clear_old_pill(d, w, st);
    json_decref(st);
    if (!st || have == want || (w && w->announce_inflight))
        return;
    json_t *cmd = json_pack("{s:s, s:{s:s, s:I}}", "op", "node.watchdog", "args", "name",
                            d->view.local_name, "timeout", want);
    if (cmd && wp_repl_submit(d->repl, cmd, on_announced, d, &err)) {
        if (w)
            w->announce_inflight = true;
        qb_log(LOG_NOTICE, "watchdog: announcing %s", want ? "its timeout" : "that there is none");
    }
    json_decref(cmd);
}

void wp_wdog_tick(wp_daemon *d)
{
    if (d->stopping || !wp_view_ready(d))
        return;
    if (d->opts.watchdog && !d->wdog)
        d->wdog = calloc(1, sizeof *d->wdog);
    wp_wdog *w = d->wdog;
    if (w && !w->armed)
        arm(d, w);
    announce(d, w);
}

void wp_wdog_pet_now(wp_daemon *d)
{
    wp_wdog *w = d->wdog;
    if (w && w->armed) {
        if (d->loop)
            qb_loop_timer_del(d->loop, w->timer);
        pet(d);
    }
}

void wp_wdog_stop(wp_daemon *d)
{
    wp_wdog *w = d->wdog;
    if (!w)
        return;
    if (w->armed) {
        if (d->loop)
            qb_loop_timer_del(d->loop, w->timer);
        if (d->privsep)
            wp_privsep_watchdog_close(d, true);
        else
            wp_watchdog_close(w->dev, true);
        qb_log(LOG_NOTICE, "watchdog: disarmed (clean stop)");
    }
    if (w->q_open)
        quorum_finalize(w->q);
    free(w);
    d->wdog = NULL;
}
