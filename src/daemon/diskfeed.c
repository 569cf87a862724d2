/*
 * diskfeed.c -- wolfpackd's side of the Physical Disk keepers' contract
 * (docs/DISK.md, src/agents/disk.h):
 *
 *   - every WP_DISKFEED_MS (100 ms), while this node is in a quorate, synced
 *     partition, a heartbeat to every keeper of the agents' run directory
 *     (wp_disk_keepers_heartbeat_all; the keepers find nothing else to
 *     prove that the node still belongs to the majority, and fence L/2
 *     after the last heartbeat).  A node that was fed-ready and has stayed
 *     quorate goes on feeding while a sync runs (another node joins): it
 *     never left the majority, and a sync that outlasts L/2 would fence a
 *     healthy owner's disk (seen: a new owner fenced 2 s after its takeover,
 *     when the old owner came back).  A daemon that starts feeds only once
 *     it is synced;
 *   - when quorum is lost, wp_disk_keepers_fence_all at once, before the
 *     executor's stops (events.c calls wp_diskfeed_on_view first): the
 *     keepers fence in milliseconds, while the agents' stops run one after
 *     the other and could outlast the lease;
 *   - every second, a lease watcher (wp_disk_watcher_ensure) for every
 *     Physical Disk of a group this node is a possible owner of, so that a
 *     takeover only waits what remains of the lease since the last change
 *     the watcher saw; watchers of disks that are gone (or no longer
 *     possible here) are stopped.
 *
 * Under --user the FIFOs and watchers are root's: each step is a request
 * to the executor (disk.heartbeat, disk.fence, disk.watch, disk.unwatch).
 */
#include <dirent.h>
#include <qb/qblog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/json.h"
#include "../agents/disk.h"
#include "daemon.h"

#define WATCH_SUFFIX ".disk.watch"

/* The keepers' FIFOs and the watchers are root's: under --user every step
 * goes through the executor (src/daemon/privexec.c), which logs the counts;
 * -1 when nothing was sent, else 0 (the count is the executor's). */
static int keepers_heartbeat(wp_daemon *d)
{
    if (d->privsep)
        return wp_privsep_disk(d, "disk.heartbeat", NULL, NULL) ? 0 : -1;
    return wp_disk_keepers_heartbeat_all(wp_agent_run_dir(NULL));
}

static int keepers_fence(wp_daemon *d)
{
    if (d->privsep)
        return wp_privsep_disk(d, "disk.fence", NULL, NULL) ? 0 : -1;
    return wp_disk_keepers_fence_all(wp_agent_run_dir(NULL));
}

static pid_t watcher_ensure(wp_daemon *d, const char *name, const char *device, wp_err *err)
{
    if (d->privsep)
        return wp_privsep_disk(d, "disk.watch", name, device) ? 0 : -1;
    return wp_disk_watcher_ensure(wp_agent_run_dir(NULL), name, device, err);
}

static void watcher_stop(wp_daemon *d, const char *name)
{
    if (d->privsep)
        wp_privsep_disk(d, "disk.unwatch", name, NULL);
    else
        wp_disk_watcher_stop(wp_agent_run_dir(NULL), name);
}

/* The agents' run directory: this daemon's (main.c sets it), the
 * executor's agents use it too. */
static const char *run_dir(const wp_daemon *d)
{
    (void)d;
    return wp_agent_run_dir(NULL);
}

static void feed(void *data)
{
    wp_daemon *d = data;

    if (d->stopping)
        return;
    wp_diskfeed_beat(d);
    qb_loop_timer_add(d->loop, QB_LOOP_HIGH, (uint64_t)WP_DISKFEED_MS * 1000000u, d, feed,
                      &d->feed_timer);
}

void wp_diskfeed_beat(wp_daemon *d)
{
    if (wp_view_ready(d))
        d->feed_through_sync = true;
    else if (!d->view.quorate)
        d->feed_through_sync = false;
    bool feed = wp_view_ready(d) || d->feed_through_sync;
    int n = feed ? keepers_heartbeat(d) : -1;
    if (n != d->feed_count) { /* log the changes only: 10 calls a second */
        if (n < 0)
            qb_log(LOG_INFO, "diskfeed: not feeding (this node is not quorate and synced)");
        else if (d->privsep)
            qb_log(LOG_INFO, "diskfeed: feeding the disk keepers through the executor%s",
                   wp_view_ready(d) ? "" : " (a sync runs; this node stayed quorate)");
        else
            qb_log(LOG_INFO, "diskfeed: feeding %d disk keeper(s)%s", n,
                   wp_view_ready(d) ? "" : " (a sync runs; this node stayed quorate)");
    }
    d->feed_count = n;
}

void wp_diskfeed_start(wp_daemon *d)
{
    qb_loop_timer_add(d->loop, QB_LOOP_HIGH, (uint64_t)WP_DISKFEED_MS * 1000000u, d, feed,
                      &d->feed_timer);
}

void wp_diskfeed_stop(wp_daemon *d)
{
    if (d->loop)
        qb_loop_timer_del(d->loop, d->feed_timer);
}

void wp_diskfeed_on_view(wp_daemon *d)
{
    if (d->was_quorate && !d->view.quorate) {
        d->feed_through_sync = false;
        int n = keepers_fence(d);
        if (n > 0)
            qb_log(LOG_WARNING, "diskfeed: quorum lost: told %d disk keeper(s) to fence", n);
    } else if (wp_view_ready(d)) {
        d->feed_through_sync = true;
        keepers_heartbeat(d); /* ready again: at once */
    }
}

/* Is `node` allowed by the group's possible_owners (empty: every node)? */
static bool possible_here(const json_t *group, const char *node)
{
    const char *list = wp_json_str(json_object_get(group, "policy"), "possible_owners");
    if (!list || !*list)
        return true;
    char *copy = strdup(list), *save = NULL;
    bool ok = false;
    for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !ok;
         tok = strtok_r(NULL, ",", &save))
        ok = strcasecmp(tok, node) == 0;
    free(copy);
    return ok;
}

/* Is this resource (a db resource object) a disk we keep a watcher for? */
static bool watched(const json_t *r, const json_t *groups, const char *me)
{
    const char *type = wp_json_str(r, "type");
    const char *group = wp_json_str(r, "group");
    const char *device = wp_json_str(json_object_get(r, "props"), "device");
    const json_t *g = group ? wp_json_find(groups, "name", group) : NULL;
    return type && strcmp(type, wp_rtype_name(WP_RT_DISK)) == 0 && device && *device && g &&
           possible_here(g, me);
}

static bool listed(const json_t *list, const json_t *groups, const char *me, const char *name)
{
    size_t i;
    const json_t *r;
    json_array_foreach(list, i, r)
    {
        const char *n = wp_json_str(r, "name");
        if (n && strcmp(n, name) == 0 && watched(r, groups, me))
            return true;
    }
    return false;
}

void wp_diskfeed_reconcile(wp_daemon *d)
{
    wp_err err = {0};
    const char *me = d->view.local_name;
    json_t *list, *groups;

    if (d->stopping || !wp_view_ready(d))
        return;
    /* the disks only, and the groups only when there is a disk: every
     * second, not a listing of the whole database */
    list = wp_db_resource_select(d->db, wp_rtype_name(WP_RT_DISK), NULL, &err);
    groups = json_array_size(list) > 0 ? wp_db_group_list(d->db, &err) : json_array();
    if (!list || !groups) {
        json_decref(list);
        json_decref(groups);
        return;
    }
    size_t i;
    const json_t *r;
    json_array_foreach(list, i, r)
    {
        if (!watched(r, groups, me))
            continue;
        const char *name = wp_json_str(r, "name");
        const char *device = wp_json_str(json_object_get(r, "props"), "device");
        wp_err werr = {0};
        if (watcher_ensure(d, name, device, &werr) < 0)
            wp_log_err(LOG_WARNING, "diskfeed: no lease watcher", &werr);
    }
    /* watchers whose disk is gone or no longer possible here */
    DIR *dir = opendir(run_dir(d));
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        size_t n = strlen(e->d_name), s = strlen(WATCH_SUFFIX);
        if (n <= s || strcmp(e->d_name + n - s, WATCH_SUFFIX) != 0)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(n - s), e->d_name);
        if (!listed(list, groups, me, name)) {
            qb_log(LOG_INFO, "diskfeed: stopping the lease watcher of %s", name);
            watcher_stop(d, name);
        }
    }
    if (dir)
        closedir(dir);
    json_decref(list);
    json_decref(groups);
}
