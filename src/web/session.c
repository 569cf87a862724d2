/*
 * session.c -- the web console's logged-in sessions (web.h).
 *
 * A session is two secrets of 32 random bytes (gnutls_rnd, GNUTLS_RND_KEY):
 * its id, sent once as the cookie wp_session (Secure, HttpOnly,
 * SameSite=Strict), and its CSRF token, which every POST but the login
 * must echo in the X-CSRF-Token header (http.c).  Sessions live in memory
 * only: a restart of wolfpack-web logs everybody out.  A session ends at
 * logout or after --session-idle seconds without a request (the event
 * stream does not count as activity: an open page alone does not keep an
 * admin logged in, docs/WEB.md).  When all WP_WEB_SESSIONS_MAX slots are
 * taken, the least recently used session goes.
 */
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <string.h>

#include "web.h"

uint64_t wp_web_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool wp_random_hex(char *hex, size_t nbytes, wp_err *err)
{
    unsigned char raw[64];
    static const char digits[] = "0123456789abcdef";

    if (nbytes > sizeof raw || gnutls_rnd(GNUTLS_RND_KEY, raw, nbytes) != 0) {
        wp_errf(err, WP_E_INTERNAL, "cannot make a session secret");
        wp_err_why(err, "GnuTLS gave no random bytes");
        wp_err_todo(err, "check the system's random source; retry");
        return false;
    }
    for (size_t i = 0; i < nbytes; i++) {
        hex[2 * i] = digits[raw[i] >> 4];
        hex[2 * i + 1] = digits[raw[i] & 15];
    }
    hex[2 * nbytes] = '\0';
    gnutls_memset(raw, 0, sizeof raw);
    return true;
}

bool wp_secret_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = la != lb;

    for (size_t i = 0; i < la && i < lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

void wp_sessions_init(wp_sessions *s, int idle_s)
{
    memset(s->slot, 0, sizeof s->slot);
    pthread_mutex_init(&s->lock, NULL);
    s->idle_s = idle_s;
}

void wp_sessions_destroy(wp_sessions *s)
{
    memset(s->slot, 0, sizeof s->slot);
    pthread_mutex_destroy(&s->lock);
}

static bool expired(const wp_sessions *s, const wp_session *x, uint64_t now)
{
    return now - x->last_ms > (uint64_t)s->idle_s * 1000u;
}

/* A free slot, an expired one, else the least recently used (lock held). */
static wp_session *slot_for_new(wp_sessions *s, uint64_t now)
{
    wp_session *oldest = &s->slot[0];

    for (size_t i = 0; i < WP_WEB_SESSIONS_MAX; i++) {
        wp_session *x = &s->slot[i];
        if (!x->id[0] || expired(s, x, now))
            return x;
        if (x->last_ms < oldest->last_ms)
            oldest = x;
    }
    return oldest;
}

bool wp_session_new(wp_sessions *s, const char *user, wp_web_role role, wp_session *out,
                    wp_err *err)
{
    wp_session fresh = {.role = role};

    if (!wp_random_hex(fresh.id, 32, err) || !wp_random_hex(fresh.csrf, 32, err))
        return false;
    snprintf(fresh.user, sizeof fresh.user, "%s", user);
    pthread_mutex_lock(&s->lock);
    fresh.last_ms = wp_web_now_ms();
    *slot_for_new(s, fresh.last_ms) = fresh;
    pthread_mutex_unlock(&s->lock);
    *out = fresh;
    return true;
}

/* The slot of id (lock held), or NULL. */
static wp_session *find(wp_sessions *s, const char *id)
{
    if (!id || strlen(id) != 64)
        return NULL;
    for (size_t i = 0; i < WP_WEB_SESSIONS_MAX; i++)
        if (s->slot[i].id[0] && wp_secret_equal(s->slot[i].id, id))
            return &s->slot[i];
    return NULL;
}

bool wp_session_get(wp_sessions *s, const char *id, bool touch, wp_session *out)
{
    bool live = false;

    pthread_mutex_lock(&s->lock);
    wp_session *x = find(s, id);
    uint64_t now = wp_web_now_ms();
    if (x && expired(s, x, now)) {
        memset(x, 0, sizeof *x);
    } else if (x) {
        if (touch)
            x->last_ms = now;
        *out = *x;
        live = true;
    }
    pthread_mutex_unlock(&s->lock);
    return live;
}

void wp_session_end(wp_sessions *s, const char *id)
{
    pthread_mutex_lock(&s->lock);
    wp_session *x = find(s, id);
    if (x)
        memset(x, 0, sizeof *x);
    pthread_mutex_unlock(&s->lock);
}
