/*
 * main.c -- wolfpack-web: the HTTPS server of the web console and of
 * /metrics (web.h, docs/WEB.md).  Reads its settings (opts.c), loads or
 * makes its certificate (tls.c), starts libmicrohttpd (http.c) and waits
 * for SIGTERM or SIGINT, then stops the server (open event streams end
 * within a second).  It runs unprivileged; it talks to the local wolfpackd
 * through its socket, for each logged-in user with "as" (call.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "web.h"

/* Log to syslog, and to stderr unless stderr is the journal already. */
static void log_open(void)
{
    int opts = LOG_PID | (getenv("JOURNAL_STREAM") ? 0 : LOG_PERROR);
    openlog("wolfpack-web", opts, LOG_DAEMON);
}

static int serve(wp_web *w)
{
    sigset_t set;
    int sig = 0;
    wp_err err = {0};

    /* block the signals before libmicrohttpd makes its threads: sigwait
     * below is the only one that takes them */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!wp_web_tls_load(w, &err) || !wp_web_start(w, &err)) {
        wp_err_print(&err, stderr);
        syslog(LOG_ERR, "not started: %s (%s)", err.what, err.why);
        return 1;
    }
    if (!wp_stcache_start(w, &err)) /* without it every page reads the status itself */
        syslog(LOG_WARNING, "%s (%s); serving without the status cache", err.what, err.why);
    syslog(LOG_NOTICE, "serving https://%s/ (wolfpackd at %s, page from %s)", w->opts.listen,
           w->opts.socket, w->opts.web_root);
    while (sigwait(&set, &sig) == 0 && sig == SIGHUP)
        syslog(LOG_INFO, "SIGHUP ignored: restart wolfpack-web to read its settings again");
    syslog(LOG_NOTICE, "stopping (signal %d)", sig);
    atomic_store(&w->stopping, true);
    wp_web_stop(w);
    wp_stcache_stop(w);
    return 0;
}

int main(int argc, char **argv)
{
    wp_web *w = calloc(1, sizeof *w);
    int rc;

    if (!w) {
        fprintf(stderr, "wolfpack-web: out of memory\n");
        return 1;
    }
    rc = wp_web_opts_parse(argc, argv, &w->opts, stderr);
    if (rc != 0) {
        wp_web_opts_free(&w->opts);
        free(w);
        return rc == 1 ? 0 : 2;
    }
    log_open();
    wp_sessions_init(&w->sessions, w->opts.session_idle);
    wp_limiter_init(&w->limiter);
    pthread_mutex_init(&w->pam_lock, NULL);
    pthread_mutex_init(&w->stream_lock, NULL);
    rc = serve(w);
    pthread_mutex_destroy(&w->stream_lock);
    pthread_mutex_destroy(&w->pam_lock);
    wp_limiter_destroy(&w->limiter);
    wp_sessions_destroy(&w->sessions);
    if (w->key_pem)
        memset(w->key_pem, 0, strlen(w->key_pem));
    free(w->key_pem);
    free(w->cert_pem);
    wp_web_opts_free(&w->opts);
    free(w);
    closelog();
    return rc;
}
