/*
 * ratelimit.c -- failed logins, counted per client address and per user
 * name (web.h).  WP_WEB_FAIL_MAX failures within WP_WEB_FAIL_WINDOW
 * seconds block further tries from that address, and for that user name
 * from anywhere, until the window ends: the login then answers 429 with
 * Retry-After, without asking PAM.  A success does not clear the count (a
 * guesser who knows one password must not reset its budget).  The table is
 * bounded (WP_WEB_LIMIT_SLOTS); when full, the oldest window goes.
 */
#include <stdio.h>
#include <string.h>

#include "web.h"

void wp_limiter_init(wp_limiter *l)
{
    memset(l->slot, 0, sizeof l->slot);
    pthread_mutex_init(&l->lock, NULL);
}

void wp_limiter_destroy(wp_limiter *l)
{
    pthread_mutex_destroy(&l->lock);
}

static bool window_over(const wp_limit_slot *x, uint64_t now)
{
    return now - x->since_ms >= (uint64_t)WP_WEB_FAIL_WINDOW * 1000u;
}

/* The slot of key (lock held); create: make one (reusing the oldest). */
static wp_limit_slot *slot_of(wp_limiter *l, const char *key, bool create, uint64_t now)
{
    wp_limit_slot *spare = NULL;

    for (size_t i = 0; i < WP_WEB_LIMIT_SLOTS; i++) {
        wp_limit_slot *x = &l->slot[i];
        if (x->key[0] && strcmp(x->key, key) == 0)
            return x;
        if (!x->key[0] || window_over(x, now))
            spare = spare ? spare : x;
    }
    if (!create)
        return NULL;
    if (!spare) {
        spare = &l->slot[0];
        for (size_t i = 1; i < WP_WEB_LIMIT_SLOTS; i++)
            if (l->slot[i].since_ms < spare->since_ms)
                spare = &l->slot[i];
    }
    memset(spare, 0, sizeof *spare);
    snprintf(spare->key, sizeof spare->key, "%s", key);
    spare->since_ms = now;
    return spare;
}

/* Seconds key must still wait (lock held). */
static int wait_of(wp_limiter *l, const char *key, uint64_t now)
{
    wp_limit_slot *x = slot_of(l, key, false, now);

    if (!x || window_over(x, now) || x->fails < WP_WEB_FAIL_MAX)
        return 0;
    uint64_t end = x->since_ms + (uint64_t)WP_WEB_FAIL_WINDOW * 1000u;
    return (int)((end - now + 999) / 1000);
}

/* The two slots an attempt counts in: its address's and its user's. */
static void keys_of(const char *addr, const char *user, char *ka, char *ku, size_t size)
{
    snprintf(ka, size, "a:%s", addr);
    snprintf(ku, size, "u:%s", user);
}

int wp_limiter_wait(wp_limiter *l, const char *addr, const char *user)
{
    char ka[sizeof l->slot[0].key], ku[sizeof l->slot[0].key];

    keys_of(addr, user, ka, ku, sizeof ka);
    pthread_mutex_lock(&l->lock);
    uint64_t now = wp_web_now_ms();
    int a = wait_of(l, ka, now), u = wait_of(l, ku, now);
    pthread_mutex_unlock(&l->lock);
    return a > u ? a : u;
}

static void count(wp_limiter *l, const char *key, uint64_t now)
{
    wp_limit_slot *x = slot_of(l, key, true, now);

    if (window_over(x, now)) {
        x->fails = 0;
        x->since_ms = now;
    }
    x->fails++;
}

void wp_limiter_fail(wp_limiter *l, const char *addr, const char *user)
{
    char ka[sizeof l->slot[0].key], ku[sizeof l->slot[0].key];

    keys_of(addr, user, ka, ku, sizeof ka);
    pthread_mutex_lock(&l->lock);
    uint64_t now = wp_web_now_ms();
    count(l, ka, now);
    count(l, ku, now);
    pthread_mutex_unlock(&l->lock);
}
