/*
 * client.h -- the client side of the IPC protocol (src/lib/proto.h): what
 * the CLI and the application setup use to talk to the local wolfpackd.
 *
 * The socket path: an explicit path, else $WOLFPACK_SOCKET, else
 * WP_DEFAULT_SOCKET.
 */
#ifndef WP_CLIENT_H
#define WP_CLIENT_H

#include <jansson.h>

#include "../lib/err.h"

#define WP_DEFAULT_SOCKET "/run/wolfpack/wolfpackd.sock"

typedef struct wp_client wp_client;

const char *wp_client_socket_path(const char *explicit_path);
wp_client *wp_client_connect(const char *path, wp_err *err);
/* Send {"op": op, "args": args} (args stolen, may be NULL) and wait for the
 * reply.  Returns the result (caller owns) or NULL with err filled from the
 * daemon's error (or the transport's).  *version (if not NULL) receives the
 * database version the reply was made at. */
json_t *wp_client_call(wp_client *c, const char *op, json_t *args, long long *version, wp_err *err);
void wp_client_close(wp_client *c);

#endif
