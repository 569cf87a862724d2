/*
 * events.c -- what drives the running of resources in wolfpackd.
 *
 * Three sources of events reach the coordinator, the executor and the
 * monitors (docs/EXECUTOR.md):
 *   - an applied command (repl's on_applied, via handlers.c): the executor
 *     takes its sched.commit actions and resource.report results at once;
 *     then a tick is queued;
 *   - a membership, quorum or sync change (repl's membership callback): the
 *     view is refreshed, the executor reacts (quorum lost: stop everything
 *     here; ready again: probe), a tick is queued;
 *   - a 1 s timer (failback windows, pending timeouts, and a safety net for
 *     a transport that does not call the membership callback).
 * A tick is a qb_loop timer, queued at most once: many commands applied in
 * one loop pass give one scheduler run (the debounce), and a stream of them
 * at most one run every 20 ms, or every TICK_SHARE x the last tick's own
 * duration when that is longer (a tick reads the whole database: with
 * thousands of resources it takes tens of ms, and a stream of changes must
 * not spend the CPU on it; a view change ticks at once).
 *
 * The view (wp_view, view.c) is this node's knowledge of its partition;
 * events.c refreshes it on every membership change and timer run.
 *
 * Memory: a tick and the 1 s timer build JSON listings of the whole
 * database (tens of MB of small jansson objects at 10,000 resources) and
 * free them again.  glibc keeps the freed chunks in its heap, fragmented by
 * the few that live on, so the resident size stayed at the transient peak
 * (55-92 MB, bench/README.md).  wp_mem_setup() fixes glibc's thresholds at
 * start-up (no dynamic raise after a large reply), wp_mem_trim() gives the
 * free pages back after a tick and a timer run when more than
 * TRIM_FREE_MIN bytes lie free.
 *
 * The child reaper: wolfpackd is a child subreaper, so services started by
 * agents land on it when their op child exits.  The reaper reaps only the
 * children that no agent job owns: an op child is reaped by its job
 * (waitid on its pidfd), which then has its exit status.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <qb/qblog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "daemon.h"
#include "../lib/clock.h"
#include "../lib/json.h"
#include "../lib/rt.h"

#define TICK_MS 1000
#define TICK_GAP_MS 20 /* between two ticks at most 50 runs a second */
#define TICK_SHARE 8   /* a stream of changes: a tick at most 1/8 of the time */
#define TICK_GAP_MAX_MS 1000
#define TRIM_FREE_MIN (4u << 20)    /* trim when this much heap lies free */
#define MMAP_THRESHOLD (256u << 10) /* a block this large: its own mapping */
#define TRIM_THRESHOLD (1u << 20)   /* free top of the heap kept at most */

/* ---- memory ---------------------------------------------------------------- */

void wp_mem_setup(void)
{
    /* fixed values also switch off glibc's dynamic thresholds, which after
     * one 4 MB reply would keep up to 64 MB of free heap untrimmed; one
     * arena: the daemon is one thread, a library's helper thread needs none */
    mallopt(M_MMAP_THRESHOLD, (int)MMAP_THRESHOLD);
    mallopt(M_TRIM_THRESHOLD, (int)TRIM_THRESHOLD);
    mallopt(M_ARENA_MAX, 1);
}

void wp_mem_trim(void)
{
    struct mallinfo2 mi = mallinfo2();

    if (mi.fordblks > TRIM_FREE_MIN)
        malloc_trim(0);
}

/* ---- the tick -------------------------------------------------------------- */

/* rt.c's busy guard put this loop back to ordinary scheduling (it ran
 * WP_RT_BUSY_MAX_MS without waiting): said once, then real-time again
 * (under --user, where the daemon may not, the executor does it:
 * privexec.c). */
static void rt_restore(const wp_daemon *d)
{
    char rt[200];
    if (wp_rt_restore_if_demoted(WP_RT_PRIO_DAEMON, WP_RT_BUSY_MAX_MS, rt, sizeof rt))
        qb_log(LOG_WARNING,
               "real-time: wolfpackd ran %d ms without waiting: it was put back to ordinary "
               "scheduling meanwhile (so as not to keep a core from other work); now %s%s",
               WP_RT_BUSY_MAX_MS, rt,
               d->opts.user && !strstr(rt, "SCHED_RR priority")
                   ? " (the root executor makes it real-time again within a second)"
                   : "");
}

static void tick(void *data)
{
    wp_daemon *d = data;

    d->tick_queued = false;
    rt_restore(d); /* the busy guard demoted this loop: say so, real-time again */
    if (d->stopping || !wp_view_ready(d))
        return;
    d->last_tick_ms = wp_clock_ms();
    wp_exec_flush_reports(d);
    wp_exec_sweep(d);
    wp_coord_tick(d);
    wp_mon_reconcile(d);
    wp_mem_trim();
    d->tick_gap_ms = (wp_clock_ms() - d->last_tick_ms) * TICK_SHARE;
    if (d->tick_gap_ms < TICK_GAP_MS)
        d->tick_gap_ms = TICK_GAP_MS;
    if (d->tick_gap_ms > TICK_GAP_MAX_MS)
        d->tick_gap_ms = TICK_GAP_MAX_MS;
}

/* A timer rather than a qb_loop job: a job added from inside another
 * job's dispatch may wait for the next poll wake-up (measured: up to 50 ms),
 * a timer makes the loop's poll timeout exact.  The first event after a
 * quiet spell ticks at once; a stream of applied commands (a bulk load)
 * ticks at most every tick_gap_ms (TICK_GAP_MS, more after a long tick), so
 * the scheduler does not run per batch. */
static void kick(wp_daemon *d, bool urgent)
{
    uint64_t now, delay_ms = 0;

    if (d->stopping || !d->loop)
        return;
    if (d->tick_queued) {
        if (!urgent)
            return;
        qb_loop_timer_del(d->loop, d->tick_now); /* sooner */
        d->tick_queued = false;
    }
    now = wp_clock_ms();
    if (!urgent && now < d->last_tick_ms + d->tick_gap_ms)
        delay_ms = d->last_tick_ms + d->tick_gap_ms - now;
    if (qb_loop_timer_add(d->loop, QB_LOOP_LOW, delay_ms * 1000000u, d, tick, &d->tick_now) == 0)
        d->tick_queued = true;
}

void wp_events_kick(wp_daemon *d)
{
    kick(d, false);
}

static void view_changed(wp_daemon *d)
{
    wp_wdog_tick(d); /* arm the watchdog the first time the node is ready */
    if (!d->was_ready && wp_view_ready(d)) {
        wp_apptask_resume(d);
        wp_nodeconf_reconcile(d, false); /* a node.add/remove missed while away */
    }
    wp_watch_membership(d);
    wp_dmfeed_view(d);
    wp_alerts_on_view(d);
    wp_diskfeed_on_view(d); /* quorum lost: fence the disks before the stops */
    wp_exec_on_view(d);
    kick(d, true); /* a membership change never waits for the gap */
}

static void events_before_import(void *ctx)
{
    wp_daemon *d = ctx;

    if (!d->stopping)
        wp_exec_before_import(d);
}

void wp_events_on_membership(void *ctx)
{
    wp_daemon *d = ctx;

    if (d->stopping)
        return;
    if (wp_view_refresh(d))
        view_changed(d);
    else
        wp_events_kick(d);
}

static void on_timer(void *data)
{
    wp_daemon *d = data;

    if (d->stopping)
        return;
    if (wp_view_refresh(d))
        view_changed(d);
    wp_diskfeed_reconcile(d);
    wp_wdog_tick(d);
    wp_mem_trim();
    wp_events_kick(d);
    qb_loop_timer_add(d->loop, QB_LOOP_LOW, (uint64_t)TICK_MS * 1000000u, d, on_timer,
                      &d->tick_timer);
}

void wp_events_on_applied(wp_daemon *d, const json_t *cmd, int64_t version)
{
    const char *op = wp_json_str(cmd, "op");
    const json_t *args = json_object_get(cmd, "args");

    wp_watch_applied(d, cmd, version);
    if (d->stopping || !op)
        return;
    wp_dmfeed_applied(d, cmd);
    wp_alerts_on_applied(d, cmd);
    if (strcmp(op, "sched.commit") == 0)
        wp_exec_on_commit(d, args);
    else if (strcmp(op, "resource.report") == 0)
        wp_exec_on_report(d, args);
    else if (strcmp(op, "app.task") == 0)
        wp_apptask_on_applied(d, args);
    else if ((strcmp(op, "cluster.maintenance") == 0 &&
              !json_is_true(json_object_get(args, "on"))) ||
             strcmp(op, "resource.cleanup") == 0 || strcmp(op, "group.cleanup") == 0)
        wp_exec_request_probe(d); /* what really runs here, before the next decision */
    else if (strcmp(op, "node.poison") == 0)
        wp_wdog_on_poison(d, args);
    else if (strcmp(op, "cluster.quorum") == 0)
        wp_nodeconf_reconcile(d, true); /* corosync.conf follows the stored options */
    else if (strcmp(op, "node.add") == 0 || strcmp(op, "cluster.create") == 0 ||
             strcmp(op, "node.remove") == 0) {
        if (wp_view_refresh(d))
            view_changed(d);
        if (strcmp(op, "cluster.create") != 0)
            wp_nodeconf_reconcile(d, true); /* corosync.conf follows the database */
    }
    wp_events_kick(d);
}

/* ---- children -------------------------------------------------------------- */

static bool owned(const wp_daemon *d, pid_t pid)
{
    return wp_exec_owns_pid(d, pid) || wp_mon_owns_pid(d, pid) || wp_nodeconf_owns_pid(d, pid);
}

/* Reap the children listed in one task's "children" file. */
static void reap_task(wp_daemon *d, const char *task)
{
    char path[128];
    char buf[8192];
    FILE *f;

    snprintf(path, sizeof path, "/proc/self/task/%s/children", task);
    f = fopen(path, "re");
    if (!f)
        return;
    while (fscanf(f, "%8191s", buf) == 1) {
        pid_t pid = (pid_t)strtol(buf, NULL, 10);
        int status;
        if (pid <= 0 || owned(d, pid))
            continue;
        if (waitpid(pid, &status, WNOHANG) == pid)
            qb_log(LOG_DEBUG, "reaped process %d (status %d)", (int)pid, status);
    }
    fclose(f);
}

void wp_events_reap(wp_daemon *d)
{
    DIR *dir = opendir("/proc/self/task");
    struct dirent *e;

    if (!dir) {
        /* no /proc: reap what no job owns, one status at a time */
        siginfo_t si;
        while (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid > 0 &&
               !owned(d, si.si_pid))
            waitpid(si.si_pid, NULL, WNOHANG);
        return;
    }
    while ((e = readdir(dir)) != NULL)
        if (e->d_name[0] != '.')
            reap_task(d, e->d_name);
    closedir(dir);
}

/* ---- start and stop ---------------------------------------------------- */

static int open_agent_log(const char *state_dir)
{
    char path[4200];
    int fd;

    snprintf(path, sizeof path, "%s/agents.log", state_dir);
    fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        qb_log(LOG_WARNING, "cannot open %s (%s): agents' programs write to /dev/null", path,
               strerror(errno));
    return fd;
}

bool wp_events_start(wp_daemon *d, wp_err *err)
{
    d->agent_log_fd = open_agent_log(d->opts.state_dir);
    d->coord = wp_coord_new(d);
    d->exec = wp_exec_new(d);
    d->mon = wp_mon_new(d);
    if (!d->coord || !d->exec || !d->mon) {
        wp_errf(err, WP_E_INTERNAL, "out of memory starting the executor");
        wp_err_why(err, "calloc failed");
        wp_err_todo(err, "free some memory and start wolfpackd again");
        return false;
    }
    /* what this node's own copy says runs here, before any sync replaces it */
    wp_view_read(d, &d->view);
    wp_exec_remember_local(d);
    memset(&d->view, 0, sizeof d->view);
    wp_repl_on_membership(d->repl, wp_events_on_membership, d);
    wp_repl_on_before_import(d->repl, events_before_import, d);
    d->on_applied_hook = wp_events_on_applied;
    if (wp_view_refresh(d))
        view_changed(d);
    qb_loop_timer_add(d->loop, QB_LOOP_LOW, (uint64_t)TICK_MS * 1000000u, d, on_timer,
                      &d->tick_timer);
    wp_diskfeed_start(d);
    return true;
}

void wp_events_stop(wp_daemon *d)
{
    d->stopping = true;
    d->on_applied_hook = NULL;
    if (d->loop)
        qb_loop_timer_del(d->loop, d->tick_timer);
    wp_diskfeed_stop(d);
    if (d->loop && d->tick_queued)
        qb_loop_timer_del(d->loop, d->tick_now);
    d->tick_queued = false;
    if (d->repl) {
        wp_repl_on_membership(d->repl, NULL, NULL);
        wp_repl_on_before_import(d->repl, NULL, NULL);
    }
    wp_mon_free(d->mon);
    d->mon = NULL;
    wp_wdog_pet_now(d);
    wp_exec_free(d->exec); /* stops what runs here (blocking) */
    d->exec = NULL;
    wp_wdog_stop(d); /* nothing runs here any more: disarm */
    wp_coord_free(d->coord);
    d->coord = NULL;
    wp_nodeconf_free(d);
    wp_fencer_free(d);
    wp_recovery_free(d);
    wp_escalate_free(d);
    wp_alerts_free(d);
    if (d->agent_log_fd >= 0)
        close(d->agent_log_fd);
    d->agent_log_fd = -1;
}
