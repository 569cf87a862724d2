/*
 * sse.c -- GET /api/events (web.h, docs/API.md): wolfpackd's `watch`
 * stream for the logged-in user, as server-sent events.
 *
 * Each stream holds its own watch connection to wolfpackd (opened "as" the
 * user, so the daemon decides whether that user may watch).  Every event
 * frame becomes `data: <one-line JSON>\n\n`; the stream opens with
 * `retry: 2000` and a `: connected` comment, and sends `: keepalive` after
 * WP_WEB_KEEPALIVE seconds without an event, which is also how a client
 * that left is noticed.  The stream ends when the session ends (logout,
 * idle timeout), when wolfpackd closes the watch (the browser's
 * EventSource then reconnects), or when the server stops.  libmicrohttpd
 * gives each connection its own thread, so the reader below may block on
 * the daemon; it looks at the session and the stop flag every second.  At
 * most WP_WEB_STREAMS_MAX streams at once (each is a daemon connection of
 * the web user, whom wolfpackd allows WP_DAEMON_MAX_PER_UID): beyond, 503.
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "../client/client.h"
#include "web.h"

typedef struct stream {
    wp_web *w;
    char session[65];
    char user[WP_WEB_USER_MAX + 1];
    wp_client *watch;
    char *out; /* what is still to be sent, owned */
    size_t out_len, out_off;
    uint64_t last_ms; /* monotonic: the last bytes queued */
} stream;

static bool queue_text(stream *s, const char *a, const char *b, const char *c)
{
    size_t len = strlen(a) + strlen(b) + strlen(c);
    char *text = malloc(len + 1);

    if (!text)
        return false;
    snprintf(text, len + 1, "%s%s%s", a, b, c);
    free(s->out);
    s->out = text;
    s->out_len = len;
    s->out_off = 0;
    s->last_ms = wp_web_now_ms();
    return true;
}

static bool queue_event(stream *s, json_t *ev)
{
    char *line = json_dumps(ev, JSON_COMPACT); /* one line: JSON escapes newlines */
    bool ok = line && queue_text(s, "data: ", line, "\n\n");

    free(line);
    json_decref(ev);
    return ok;
}

/* Wait for something to send: false when the stream is to end. */
static bool fill(stream *s)
{
    wp_session sess;

    while (!atomic_load(&s->w->stopping)) {
        if (!wp_session_get(&s->w->sessions, s->session, false, &sess))
            return false;
        json_t *ev = NULL;
        wp_err err = {0};
        int got = wp_client_watch_next(s->watch, 1000, &ev, &err);
        if (got < 0) {
            syslog(LOG_INFO, "event stream of user %s ends: %s", s->user, err.what);
            return false;
        }
        if (got > 0)
            return queue_event(s, ev);
        if (wp_web_now_ms() - s->last_ms >= WP_WEB_KEEPALIVE * 1000u)
            return queue_text(s, ": keepalive\n\n", "", "");
    }
    return false;
}

static ssize_t reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream *s = cls;

    (void)pos;
    if (s->out_off == s->out_len && !fill(s))
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = s->out_len - s->out_off;
    if (n > max)
        n = max;
    memcpy(buf, s->out + s->out_off, n);
    s->out_off += n;
    return (ssize_t)n;
}

static void release_slot(wp_web *w)
{
    pthread_mutex_lock(&w->stream_lock);
    w->streams--;
    pthread_mutex_unlock(&w->stream_lock);
}

static void stream_free(void *cls)
{
    stream *s = cls;

    release_slot(s->w);
    wp_client_close(s->watch);
    free(s->out);
    free(s);
}

static bool take_slot(wp_web *w, wp_err *err)
{
    bool ok;

    pthread_mutex_lock(&w->stream_lock);
    ok = w->streams < WP_WEB_STREAMS_MAX;
    if (ok)
        w->streams++;
    pthread_mutex_unlock(&w->stream_lock);
    if (!ok) {
        wp_errf(err, WP_E_UNAVAILABLE, "too many event streams are open");
        wp_err_why(err, "wolfpack-web serves at most %d at once", WP_WEB_STREAMS_MAX);
        wp_err_todo(err, "close pages of the console you do not use; retry in a moment");
    }
    return ok;
}

/* The watch connection for user, or NULL with err. */
static wp_client *open_watch(wp_web *w, const char *user, wp_err *err)
{
    wp_client *c = wp_client_open(w->opts.socket, WP_WEB_CALL_TIMEOUT, err);

    if (c && wp_client_set_as(c, user, err) && wp_client_watch(c, err))
        return c;
    wp_client_close(c);
    return NULL;
}

enum MHD_Result wp_api_events(wp_web_req *r)
{
    wp_session sess;
    enum MHD_Result sent;
    wp_err err = {0};

    if (!wp_web_need_session(r, false, &sess, &sent))
        return sent;
    if (!take_slot(r->w, &err))
        return wp_web_send_error(r, &err);
    stream *s = calloc(1, sizeof *s);
    if (s) {
        s->w = r->w;
        memcpy(s->session, sess.id, sizeof s->session);
        memcpy(s->user, sess.user, sizeof s->user);
        s->watch = open_watch(r->w, sess.user, &err);
    }
    if (!s || !s->watch || !queue_text(s, "retry: 2000\n", ": connected\n\n", "")) {
        if (err.code == WP_OK)
            wp_errf(&err, WP_E_INTERNAL, "out of memory opening an event stream");
        if (s)
            stream_free(s);
        else
            release_slot(r->w);
        return wp_web_send_error(r, &err);
    }
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader, s, stream_free);
    if (!resp) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(resp, "Content-Type", "text/event-stream");
    return wp_web_send(r, MHD_HTTP_OK, resp);
}
