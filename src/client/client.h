/*
 * client.h -- the client side of the IPC protocol (src/lib/proto.h): what
 * the CLI and the application setup use to talk to the local wolfpackd.
 *
 * The socket path: an explicit path, else $WOLFPACK_SOCKET, else
 * WP_DEFAULT_SOCKET.  The reply timeout: an explicit value (the CLI's
 * --timeout), else $WOLFPACK_TIMEOUT, else WP_CLIENT_TIMEOUT seconds; 0
 * waits forever (docs/CLI.md, "Timeouts").  It bounds connect, send and
 * the wait for each reply; a call that times out fails with
 * WP_E_UNAVAILABLE and closes the connection.
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

#endif
