/*
 * client.h -- the client side of the IPC protocol (src/lib/proto.h): what
 * the CLI and the application setup use to talk to the local wolfpackd.
 *
 * The socket path: an explicit path, else $WOLFPACK_SOCKET, else
 * WP_DEFAULT_SOCKET.  The reply timeout: an explicit value (the CLI's
 * --timeout), else $WOLFPACK_TIMEOUT, else WP_CLIENT_TIMEOUT seconds; 0
 * waits forever (docs/CLI.md, "Timeouts").  It bounds connect, send and
 * the wait for each reply; a call that times out fails with
 * WP_E_UNAVAILABLE and closes the connection.  A connection may instead
 * become a watch stream: its events wake a waiter at once (src/app waits
 * on them for a state instead of sleeping and polling).
 */
#ifndef WP_CLIENT_H
#define WP_CLIENT_H

#include <jansson.h>
#include <stdbool.h>

#include "../lib/err.h"

#define WP_DEFAULT_SOCKET "/run/wolfpack/wolfpackd.sock"
#define WP_CLIENT_TIMEOUT 30        /* seconds */
#define WP_CLIENT_TIMEOUT_MAX 86400 /* a day */

typedef struct wp_client wp_client;

const char *wp_client_socket_path(const char *explicit_path);
/* The timeout in seconds from text (NULL or "": $WOLFPACK_TIMEOUT, else the
 * default).  False with err (WP_E_INVALID) when it is not 0..MAX seconds. */
bool wp_client_timeout(const char *text, int *seconds, wp_err *err);
/* Connect with the timeout of text (see wp_client_timeout). */
wp_client *wp_client_open(const char *path, const char *timeout, wp_err *err);
/* wp_client_open(path, NULL, err) */
wp_client *wp_client_connect(const char *path, wp_err *err);
/* Send {"op": op, "args": args} (args stolen, may be NULL) and wait for the
 * reply.  Returns the result (caller owns) or NULL with err filled from the
 * daemon's error (or the transport's).  *version (if not NULL) receives the
 * database version the reply was made at. */
json_t *wp_client_call(wp_client *c, const char *op, json_t *args, long long *version, wp_err *err);
void wp_client_close(wp_client *c);

/* Make every later request of c carry "as": user (NULL or "": none): the
 * web console acting for the user logged in to it.  wolfpackd honours it
 * only from a trusted peer and decides the user's role itself
 * (src/daemon/access.c, docs/WEB.md).  False when the name is too long. */
bool wp_client_set_as(wp_client *c, const char *user, wp_err *err);

/* Turn the connection into a watch stream (the `watch` op, docs/DAEMON.md):
 * from then on it carries only event frames; do not call on it again. */
bool wp_client_watch(wp_client *c, wp_err *err);
/* Wait up to timeout_ms for events on a watch stream and read every frame
 * queued: 1 when at least one came, 0 when none came in time, -1 when the
 * stream ended (err says so; close it). */
int wp_client_watch_wait(wp_client *c, long timeout_ms, wp_err *err);
/* Wait up to timeout_ms for the next event of a watch stream: 1 with
 * *event (caller owns), 0 when none came in time, -1 when the stream ended
 * (err says so). */
int wp_client_watch_next(wp_client *c, long timeout_ms, json_t **event, wp_err *err);

#endif
