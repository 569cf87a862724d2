/*
 * opspec.h -- the one table of wolfpack's ops and the shape of their
 * arguments, shared by the two places that check requests:
 *
 *   - src/lib/proto.c  (wp_proto_decode_request): untrusted bytes from a
 *     client become a request; every QUERY and COMMAND op is an IPC op.
 *   - src/db/apply.c   (wp_db_apply): a command changes the database;
 *     every COMMAND and INTERNAL op has a handler there.
 *
 * Both check an op's args with wp_opspec_check_args against the same
 * entry, so the client gate and the database can never disagree about
 * which keys an op takes, their JSON types and which are required
 * (tests/unit/test_opspec.c walks the table and checks both).  The one
 * sanctioned difference is WP_ARG_FILLED: a key a client may leave out
 * because wolfpackd fills it in before the command is applied.  The values
 * themselves (names, policies, types) are checked by the model and the
 * database handlers, not here.
 */
#ifndef WP_OPSPEC_H
#define WP_OPSPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The JSON shape an argument must have. */
typedef enum wp_arg_shape {
    WP_ARG_STRING,      /* "text" */
    WP_ARG_INTEGER,     /* 42 */
    WP_ARG_BOOL,        /* true | false */
    WP_ARG_OBJ_STR,     /* {"k": "v", ...} */
    WP_ARG_OBJ_STR_NUL, /* {"k": "v" | null, ...}  (null: reset to the default) */
    WP_ARG_ARR_STR,     /* ["a", "b"] */
    WP_ARG_ARR_NODES,   /* [{"name": s, "address": s, "id": n}, ...] exactly those keys */
    WP_ARG_ARR_OBJ,     /* [{...}, ...] (the handler checks the members: sched.commit) */
    WP_ARG_OBJECT,      /* any object (the handler checks it: app.register) */
} wp_arg_shape;

/* Whether an argument must be there. */
typedef enum wp_arg_need {
    WP_ARG_OPTIONAL,
    WP_ARG_REQUIRED,
    WP_ARG_FILLED, /* optional in a client's request, required in the command:
                    * wolfpackd fills it in before it submits (node.add's id,
                    * src/daemon/nodeconf.c) */
} wp_arg_need;

typedef struct wp_arg_spec {
    const char *key; /* NULL ends a list */
    wp_arg_shape shape;
    wp_arg_need need;
} wp_arg_spec;

/* Who is checking: the client gate (a request) or the database (a command). */
typedef enum wp_arg_side { WP_SIDE_REQUEST, WP_SIDE_COMMAND } wp_arg_side;

typedef enum wp_op_kind {
    WP_OP_QUERY,    /* IPC op that only reads; not a database command */
    WP_OP_COMMAND,  /* IPC op that becomes a database command (wp_db_apply) */
    WP_OP_INTERNAL, /* database command that only wolfpackd makes (resource.report,
                     * sched.commit): no client may send it, so none can forge a
                     * resource state or a scheduler decision */
} wp_op_kind;

typedef struct wp_op_spec {
    const char *op;
    wp_op_kind kind;
    const wp_arg_spec *args; /* ends with {NULL} */
} wp_op_spec;

/* The entry for op, or NULL when there is none (op may be NULL). */
const wp_op_spec *wp_opspec_find(const char *op);
/* The whole table, for listing and for tests; *count gets its length. */
const wp_op_spec *wp_opspec_table(size_t *count);

/* Check an args object against a list: no unknown key, every value of its
 * shape, every required key present (WP_ARG_FILLED ones only on the
 * command side).  `where` (e.g. the op's name) starts every message.  False
 * with err filled (WP_E_INVALID) on the first fault. */
bool wp_opspec_check_args(const char *where, const json_t *args, const wp_arg_spec *specs,
                          wp_arg_side side, wp_err *err);
/* Is this argument required on that side? */
bool wp_opspec_required(const wp_arg_spec *spec, wp_arg_side side);
/* "a string", "an object of string values", ... */
const char *wp_opspec_shape_text(wp_arg_shape shape);

#endif
