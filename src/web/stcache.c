/*
 * stcache.c -- the status every page asks for, kept once for all of them
 * (web.h, docs/WEB.md "Live").  A thread of its own holds one `watch`
 * connection to wolfpackd (as wolfpack-web's own user) and, on each batch
 * of events (those already queued behind the first are taken together),
 * reads wp_web_status once and keeps it as JSON text.  /api/status serves
 * that text while it is current: the watch is connected, no event came
 * since it was read, and its database version is at least the one the
 * page saw in an event (?version=N; the page's and the cache's watch are
 * separate connections, so the page may hear of a change first).  A page
 * that asks while a read runs that began after this cache heard of version
 * N waits for it (all pages share one read); otherwise (the cache has not
 * heard of N yet), or with ?fresh=1 (after a membership event), the request
 * reads the status itself as before, so a page never waits longer than
 * without the cache.  Without the watch (wolfpackd down or
 * restarting) nothing is cached; the thread retries every second.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "../client/client.h"
#include "../lib/clock.h"
#include "web.h"

#define STCACHE_WAIT_MS 2000 /* a page waits at most this for a refresh in flight */

/* Read the status now and keep it.  Events that come meanwhile wait in
 * the watch connection for the next pass; the version guard of
 * wp_stcache_get keeps a page from getting this older text after one. */
static void refresh(wp_stcache *c, wp_web *w, int64_t heard)
{
    pthread_mutex_lock(&c->lock);
    c->refreshing = true;
    c->covers = heard;
    pthread_mutex_unlock(&c->lock);

    wp_err err = {0};
    json_t *st = wp_web_status(w, NULL, &err);
    char *text = st ? json_dumps(st, JSON_COMPACT) : NULL;
    json_int_t version = json_integer_value(json_object_get(st, "version"));
    json_decref(st);

    pthread_mutex_lock(&c->lock);
    c->failed = text == NULL; /* waiting pages read it themselves */
    c->refreshing = false;
    if (text) {
        free(c->text);
        c->text = text;
        c->version = version;
        c->valid = true;
        text = NULL;
    }
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
    free(text);
}

static void invalidate(wp_stcache *c, bool connected)
{
    pthread_mutex_lock(&c->lock);
    c->valid = false;
    c->failed = false;
    c->connected = connected;
    pthread_cond_broadcast(&c->changed);
    pthread_mutex_unlock(&c->lock);
}

/* Follow one watch connection until it ends or the server stops. */
static void follow(wp_stcache *c, wp_web *w, wp_client *watch)
{
    int64_t heard = 0; /* the newest database version of an event */
    invalidate(c, true);
    refresh(c, w, heard);
    while (!atomic_load(&w->stopping)) {
        json_t *ev = NULL;
        wp_err err = {0};
        int got = wp_client_watch_next(watch, 1000, &ev, &err);
        if (got < 0)
            return;
        if (got == 0)
            continue;
        do { /* the batch: this one and those queued behind it */
            json_int_t v = json_integer_value(json_object_get(ev, "version"));
            heard = v > heard ? v : heard;
            json_decref(ev);
            ev = NULL;
        } while ((got = wp_client_watch_next(watch, 0, &ev, &err)) > 0);
        invalidate(c, true);
        if (got < 0)
            return;
        refresh(c, w, heard);
    }
}

static void *run(void *arg)
{
    wp_web *w = arg;
    wp_stcache *c = &w->stcache;

    while (!atomic_load(&w->stopping)) {
        wp_err err = {0};
        wp_client *watch = wp_client_open(w->opts.socket, WP_WEB_CALL_TIMEOUT, &err);
        if (watch && wp_client_watch(watch, &err))
            follow(c, w, watch);
        wp_client_close(watch);
        invalidate(c, false);
        for (int i = 0; i < 10 && !atomic_load(&w->stopping); i++)
            wp_clock_sleep_ms(100);
    }
    return NULL;
}

bool wp_stcache_start(wp_web *w, wp_err *err)
{
    wp_stcache *c = &w->stcache;

    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&c->changed, &attr);
    pthread_condattr_destroy(&attr);
    int e = pthread_create(&c->thread, NULL, run, w);
    if (e != 0) {
        wp_errf(err, WP_E_INTERNAL, "cannot start the status cache's thread");
        wp_err_why(err, "pthread_create: %s", strerror(e));
        wp_err_todo(err, "check the limits of the service (TasksMax) and restart it");
        return false;
    }
    c->started = true;
    return true;
}

void wp_stcache_stop(wp_web *w)
{
    wp_stcache *c = &w->stcache;

    if (!c->started)
        return;
    pthread_join(c->thread, NULL); /* it looks at w->stopping every second */
    free(c->text);
    c->text = NULL;
    pthread_cond_destroy(&c->changed);
    pthread_mutex_destroy(&c->lock);
    c->started = false;
}

char *wp_stcache_get(wp_web *w, int64_t min_version)
{
    wp_stcache *c = &w->stcache;
    struct timespec until;
    char *text = NULL;

    if (!c->started)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += STCACHE_WAIT_MS / 1000;
    pthread_mutex_lock(&c->lock);
    while (c->connected && !c->failed && !(c->valid && c->version >= min_version) &&
           c->refreshing && c->covers >= min_version)
        if (pthread_cond_timedwait(&c->changed, &c->lock, &until) == ETIMEDOUT)
            break;
    if (c->connected && c->valid && c->version >= min_version && c->text)
        text = strdup(c->text);
    pthread_mutex_unlock(&c->lock);
    return text;
}
