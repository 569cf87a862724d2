/*
 * web.h -- wolfpack-web, the HTTPS server of the web console: its one
 * context (wp_web) and the parts that share it (docs/WEB.md, docs/API.md).
 *
 *   main.c      start-up: options, certificate, the server, wait for a signal
 *   opts.c      options and /etc/wolfpack/web.conf (src/lib/conffile.c)
 *   tls.c       the configured certificate, or a self-signed one made once
 *   http.c      libmicrohttpd glue: routing, bodies, replies, security headers
 *   api.c       /api/login, logout, session, status, op, history
 *   sse.c       /api/events: the daemon's watch stream as server-sent events
 *   metrics.c   /metrics in the Prometheus text format
 *   files.c     the page's static files under --web-root
 *   session.c   logged-in sessions and their CSRF tokens (in memory)
 *   ratelimit.c failed logins per client address and per user name
 *   pam.c       the password check through PAM
 *   call.c      one call to wolfpackd for a user, and errors as HTTP
 *   stcache.c   the status read once per batch of events for every page
 *
 * libmicrohttpd runs one thread per connection (bounded), so everything a
 * request may touch that is shared (sessions, the limiter, PAM) is behind a
 * mutex of its own in here; there is no global mutable state.
 */
#ifndef WP_WEB_H
#define WP_WEB_H

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "../lib/conffile.h"
#include "../lib/err.h"

#define WP_WEB_CONFIG "/etc/wolfpack/web.conf"
#define WP_WEB_ROOT "/usr/share/wolfpack/web"
#define WP_WEB_STATE_DIR "/var/lib/wolfpack/web"
#define WP_WEB_PAM_SERVICE "wolfpack-web"
#define WP_WEB_LISTEN "0.0.0.0:8443"
#define WP_WEB_BODY_MAX (64 * 1024) /* request bodies: larger is 413 */
#define WP_WEB_CONNS_MAX 64         /* connections at once (threads) */
#define WP_WEB_CONNS_PER_IP 16      /* of those, from one address */
#define WP_WEB_STREAMS_MAX 16       /* /api/events streams at once (each a daemon watch) */
#define WP_WEB_SESSIONS_MAX 256     /* sessions kept; the least recently used goes */
#define WP_WEB_SESSION_IDLE 1800    /* s without a request: the session ends */
#define WP_WEB_KEEPALIVE 15         /* s between ": keepalive" comments of a stream */
#define WP_WEB_FAIL_MAX 5           /* failed logins per window ... */
#define WP_WEB_FAIL_WINDOW 60       /* ... of this many seconds, then 429 */
#define WP_WEB_USER_MAX 64          /* user names: at most this many bytes */
#define WP_WEB_CALL_TIMEOUT "30"    /* s: a call to wolfpackd */

typedef enum wp_web_role { WP_WEB_ROLE_READ, WP_WEB_ROLE_ADMIN } wp_web_role;

/* The settings: defaults, then the file, then the command line.  Strings
 * point into argv, the parsed file (conf) or string literals. */
typedef struct wp_web_opts {
    const char *config;
    const char *listen; /* ADDR:PORT */
    const char *cert, *key;
    const char *web_root;
    const char *socket;
    const char *pam_service;
    const char *state_dir;
    const char *metrics_token; /* NULL: /metrics needs no login */
    int session_idle;          /* s */
    struct sockaddr_in addr;   /* parsed listen */
    wp_conf conf;              /* owns the file's strings */
} wp_web_opts;

/* ---- session.c --------------------------------------------------------- */

typedef struct wp_session {
    char id[65];   /* 32 random bytes, hex; "" = free slot */
    char csrf[65]; /* 32 random bytes, hex */
    char user[WP_WEB_USER_MAX + 1];
    wp_web_role role;
    uint64_t last_ms; /* monotonic: the last request */
} wp_session;

typedef struct wp_sessions {
    pthread_mutex_t lock;
    wp_session slot[WP_WEB_SESSIONS_MAX];
    int idle_s;
} wp_sessions;

void wp_sessions_init(wp_sessions *s, int idle_s);
void wp_sessions_destroy(wp_sessions *s);
/* A new session for user; *out gets a copy.  False: no random bytes. */
bool wp_session_new(wp_sessions *s, const char *user, wp_web_role role, wp_session *out,
                    wp_err *err);
/* The live session of id (a copy in *out); touch: count this as activity. */
bool wp_session_get(wp_sessions *s, const char *id, bool touch, wp_session *out);
void wp_session_end(wp_sessions *s, const char *id);
/* Constant-time equality of two NUL-terminated secrets. */
bool wp_secret_equal(const char *a, const char *b);
/* n random bytes as 2n hex digits + NUL into hex. */
bool wp_random_hex(char *hex, size_t nbytes, wp_err *err);
uint64_t wp_web_now_ms(void);

/* ---- ratelimit.c ------------------------------------------------------- */

#define WP_WEB_LIMIT_SLOTS 1024

typedef struct wp_limit_slot {
    char key[WP_WEB_USER_MAX + 8]; /* "a:ADDR" or "u:USER"; "" = free */
    unsigned fails;
    uint64_t since_ms; /* the window's start */
} wp_limit_slot;

typedef struct wp_limiter {
    pthread_mutex_t lock;
    wp_limit_slot slot[WP_WEB_LIMIT_SLOTS];
} wp_limiter;

void wp_limiter_init(wp_limiter *l);
void wp_limiter_destroy(wp_limiter *l);
/* Seconds until addr or user may try again; 0: they may now. */
int wp_limiter_wait(wp_limiter *l, const char *addr, const char *user);
/* A failed login from addr for user. */
void wp_limiter_fail(wp_limiter *l, const char *addr, const char *user);

/* ---- stcache.c: the status, read once per batch of events ---------------- */

typedef struct wp_stcache {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* the text, or the watch's state, changed */
    pthread_t thread;
    bool started;
    bool connected;  /* the cache's watch is open */
    bool valid;      /* text is the status since the last event */
    bool failed;     /* the last read failed: pages read it themselves */
    bool refreshing; /* a read runs ... */
    int64_t covers;  /* ... begun after events up to this database version */
    char *text;      /* wp_web_status as compact JSON, owned */
    int64_t version;
} wp_stcache;

/* ---- the context ------------------------------------------------------- */

typedef struct wp_web {
    wp_web_opts opts;
    char *cert_pem, *key_pem; /* owned */
    wp_sessions sessions;
    wp_limiter limiter;
    pthread_mutex_t pam_lock; /* one PAM conversation at a time */
    pthread_mutex_t stream_lock;
    int streams;           /* /api/events streams open */
    _Atomic bool stopping; /* the server stops: streams end */
    wp_stcache stcache;    /* stcache.c */
    struct MHD_Daemon *mhd;
} wp_web;

/* ---- opts.c ------------------------------------------------------------ */

/* Parse argv (and the file): 0 ok, 1 exit 0 (--help, --version), 2 error
 * (printed to errs). */
int wp_web_opts_parse(int argc, char **argv, wp_web_opts *o, FILE *errs);
void wp_web_opts_free(wp_web_opts *o);

/* ---- tls.c ------------------------------------------------------------- */

/* Load the configured cert/key, or the one in state_dir, or make and store
 * a self-signed one there (0600).  The PEM texts go to w. */
bool wp_web_tls_load(wp_web *w, wp_err *err);

/* ---- pam.c ------------------------------------------------------------- */

/* Does PAM service accept user's password (and the account)?  False with
 * err: WP_E_PERM for a wrong password or refused account. */
bool wp_web_pam_check(wp_web *w, const char *user, const char *password, wp_err *err);

/* ---- call.c ------------------------------------------------------------ */

/* Call op with args (stolen) on wolfpackd for user (NULL: as ourselves).
 * Returns the whole reply {"ok": true, "result", "version"} or NULL. */
json_t *wp_web_call(wp_web *w, const char *user, const char *op, json_t *args, wp_err *err);
/* What `wolfpack status --json` prints: the status op's result with
 * "resources" (resource.list; absent while the node syncs) and "version".
 * NULL with err when the status cannot be read. */
json_t *wp_web_status(wp_web *w, const char *user, wp_err *err);
/* The HTTP status for an error code. */
unsigned wp_web_http_status(wp_code code);
/* {"ok": false, "error": {"what", "why", "todo", "code"}} */
json_t *wp_web_error_json(const wp_err *err);

/* ---- http.c: one request ---------------------------------------------- */

typedef struct wp_web_req {
    wp_web *w;
    struct MHD_Connection *conn;
    const char *method;
    const char *url;
    char addr[INET6_ADDRSTRLEN]; /* the client's address */
    char *body;                  /* the whole body (NUL-terminated), owned */
    size_t body_len;
    bool too_large; /* more than WP_WEB_BODY_MAX came: 413 */
} wp_web_req;

/* Queue resp (destroyed here) with status and every security header. */
enum MHD_Result wp_web_send(wp_web_req *r, unsigned status, struct MHD_Response *resp);
/* A JSON body (stolen; NULL: 500). */
enum MHD_Result wp_web_send_json(wp_web_req *r, unsigned status, json_t *body);
/* A text (stolen, freed here) of this Content-Type. */
enum MHD_Result wp_web_send_text(wp_web_req *r, unsigned status, char *text, const char *type);
/* The same with one more header (Set-Cookie, Retry-After, ...). */
enum MHD_Result wp_web_send_json_with(wp_web_req *r, unsigned status, json_t *body,
                                      const char *header, const char *value);
/* An error: its status from the code, the body wp_web_error_json. */
enum MHD_Result wp_web_send_error(wp_web_req *r, const wp_err *err);
/* 204 No Content. */
enum MHD_Result wp_web_send_empty(wp_web_req *r, unsigned status);
/* The session of the request's cookie, or false (then the reply is sent:
 * 401).  csrf: also require X-CSRF-Token (403 without it). */
bool wp_web_need_session(wp_web_req *r, bool csrf, wp_session *s, enum MHD_Result *sent);

/* ---- the handlers ------------------------------------------------------ */

enum MHD_Result wp_api_login(wp_web_req *r);
enum MHD_Result wp_api_logout(wp_web_req *r);
enum MHD_Result wp_api_session(wp_web_req *r);
enum MHD_Result wp_api_status(wp_web_req *r);
enum MHD_Result wp_api_op(wp_web_req *r);
enum MHD_Result wp_api_history(wp_web_req *r);
enum MHD_Result wp_api_events(wp_web_req *r);  /* sse.c */
enum MHD_Result wp_web_metrics(wp_web_req *r); /* metrics.c */
enum MHD_Result wp_web_file(wp_web_req *r);    /* files.c */

/* metrics.c: the Prometheus text for a status result (caller frees). */
char *wp_web_metrics_text(const json_t *status);

/* stcache.c: start its thread (false: err); stop it once w->stopping is
 * set; the cached status for a page that saw min_version in an event
 * (caller frees), or NULL: read it yourself. */
bool wp_stcache_start(wp_web *w, wp_err *err);
void wp_stcache_stop(wp_web *w);
char *wp_stcache_get(wp_web *w, int64_t min_version);

/* http.c: start and stop the server. */
bool wp_web_start(wp_web *w, wp_err *err);
void wp_web_stop(wp_web *w);

#endif
