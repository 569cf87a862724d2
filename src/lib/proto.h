/*
 * proto.h -- the local IPC protocol between wolfpack (CLI, app setup) and
 * wolfpackd, over a Unix stream socket.
 *
 * Frame:   4-byte big-endian length N, then N bytes of UTF-8 JSON.
 *          A request (client -> daemon) has N in 1..WP_PROTO_MAX_FRAME
 *          (1 MiB); anything else is a protocol error (the daemon replies
 *          with an error and closes that connection).  A reply or watch
 *          event (daemon -> client) has N in 1..WP_PROTO_MAX_REPLY (64 MiB):
 *          the daemon answers a reply that would be larger with an error
 *          reply instead, and a client treats a larger length as a protocol
 *          error.  Requests stay small because they are untrusted input the
 *          daemon must buffer whole; replies grow with the cluster (status
 *          at thousands of groups is several MiB).
 * Request: {"op": OP, "args": {...}}            ("args" may be omitted)
 *          + "as": USER from a trusted peer (the web console acting for a
 *          user; wolfpackd decides USER's role: src/daemon/access.c)
 * Reply:   {"ok": true,  "result": ANY, "version": N}
 *          {"ok": false, "error": {"code": NAME, "what": S, "why": S,
 *                                  "todo": S}}
 *
 * OPs that only read (served from the local database):
 *   status, cluster.show, node.list, node.show {name}, group.list,
 *   group.show {name}, resource.list {group?}, resource.show {name},
 *   watch (the connection then receives one event frame per applied change),
 *   whoami (the user and role the request is made for)
 * OPs that change (become commands, see src/db/db.h for their args):
 *   cluster.create, node.add, node.remove, group.create, group.delete,
 *   group.set, resource.create, resource.delete, resource.set,
 *   resource.depend, resource.undepend, node.pause, node.resume,
 *   node.drain, group.online, group.offline, group.move {name, to?},
 *   resource.online, resource.offline, resource.fail
 * Clustered applications (docs/APP.md): reads app.list, app.show {name},
 *   app.task.show {id}, app.op.show {name}, app.lock.show; changes
 *   app.register, app.unregister, app.node, app.task, app.task.done,
 *   app.op, app.lock, app.unlock (args in src/db/db.h)
 * The daemon's own commands (resource.report, sched.commit) are not OPs:
 * a client sending them gets an unknown-op error.
 *
 * wp_proto_decode_request() is the single entry point for untrusted bytes:
 * it checks the JSON, the op and the type of every argument against the one
 * op table of src/lib/opspec.h (which wp_db_apply uses too), so later code
 * can trust the shape.  It is the libFuzzer target.
 */
#ifndef WP_PROTO_H
#define WP_PROTO_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define WP_PROTO_MAX_FRAME (1u << 20)  /* requests, client -> daemon: 1 MiB */
#define WP_PROTO_MAX_REPLY (64u << 20) /* replies and events, daemon -> client: 64 MiB */

typedef struct wp_request {
    const char *op; /* points into json; valid while json lives */
    bool mutates;   /* true: a command for wp_db_apply */
    json_t *json;   /* the whole request object: {"op":..., "args":{...}} (owned) */
    json_t *args;   /* borrowed from json; an empty object if absent */
    const char *as; /* "as": the user a trusted peer (the web console) acts for,
                     * NULL when absent; points into json (access.c decides) */
} wp_request;

/* Decode a frame body (without the 4-byte length).  On success fills req
 * (free with wp_request_free).  On failure err says what was wrong. */
bool wp_proto_decode_request(const unsigned char *body, size_t len, wp_request *req, wp_err *err);
void wp_request_free(wp_request *req);

/* Is op a known op, and does it change the cluster? */
bool wp_proto_op_known(const char *op, bool *mutates);

/* Build replies (new references; caller owns). result is stolen. */
json_t *wp_proto_reply_ok(json_t *result, int64_t version);
json_t *wp_proto_reply_err(const wp_err *err);
/* Read a reply: true if ok (result borrowed from reply), else fills err. */
bool wp_proto_reply_parse(const json_t *reply, json_t **result, wp_err *err);

/* Encode a JSON value as a frame (length prefix + compact JSON).
 * *out is malloc'd.  wp_proto_encode_frame is for requests and fails if the
 * JSON is larger than WP_PROTO_MAX_FRAME; wp_proto_encode_reply is for
 * replies and events (the daemon) and fails above WP_PROTO_MAX_REPLY. */
bool wp_proto_encode_frame(const json_t *value, unsigned char **out, size_t *out_len, wp_err *err);
bool wp_proto_encode_reply(const json_t *value, unsigned char **out, size_t *out_len, wp_err *err);

/* Blocking helpers for clients on a connected fd: wp_proto_send sends a
 * request (at most WP_PROTO_MAX_FRAME), wp_proto_recv reads a reply or
 * event (at most WP_PROTO_MAX_REPLY).  wp_proto_recv waits as long as it
 * takes (event streams: `status --watch`). */
bool wp_proto_send(int fd, const json_t *value, wp_err *err);
json_t *wp_proto_recv(int fd, wp_err *err);
/* The same, but gives up when the whole frame has not arrived within
 * timeout_ms (<= 0: no limit): NULL, err WP_E_UNAVAILABLE "no reply within
 * N s", *timed_out (if not NULL) true.  The fd is then mid-frame: close it. */
json_t *wp_proto_recv_timeout(int fd, int timeout_ms, bool *timed_out, wp_err *err);

#endif
