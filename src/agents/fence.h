/*
 * fence.h -- fence agents: the interface of Debian's `fence-agents`
 * (fence_ipmilan, fence_virsh, fence_apc_snmp, ... and the test cluster's
 * tools/fence_wptc), as wolfpack uses it (docs/FENCING.md):
 *
 *   - an agent is a program named fence_* found in the fence path
 *     (WOLFPACK_FENCE_PATH, else /usr/sbin:/sbin:/usr/local/sbin);
 *   - `AGENT -o metadata` prints XML naming its parameters (required or
 *     not, deprecated aliases and what they obsolete, the values of a
 *     select) and actions; a device's properties are validated against it
 *     before the device is stored;
 *   - an operation runs the agent without a shell, its options as
 *     key=value lines on stdin (action=off, plug=n3, ip=..., password=...),
 *     bounded by a timeout; exit 0 is success, and for `status` 2 is "off".
 *
 * The parsing, validation and rendering here are pure (unit-tested:
 * tests/unit/test_fence.c); wp_fence_exec forks and waits.  Secret
 * parameters (wp_fence_is_secret) are never printed back nor logged:
 * callers mask them with wp_fence_props_masked and wp_fence_scrub.
 */
#ifndef WP_FENCE_H
#define WP_FENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/err.h"

#define WP_FENCE_NAME_MAX 63
#define WP_FENCE_OUT_MAX 4096       /* agent output kept (its end) */
#define WP_FENCE_TIMEOUT_DEFAULT 60 /* s, per agent run, as Pacemaker's */
#define WP_FENCE_LEVEL_MAX 9
#define WP_FENCE_MASK "(hidden)"

typedef struct wp_fence_param {
    char name[WP_FENCE_NAME_MAX + 1];
    bool required;
    bool deprecated;
    char obsoletes[WP_FENCE_NAME_MAX + 1]; /* "" or the older name it replaces */
    char type[16];                         /* string, boolean, integer, second, select */
    char **choices;                        /* select: the allowed values */
    size_t n_choices;
} wp_fence_param;

typedef struct wp_fence_meta {
    char agent[WP_FENCE_NAME_MAX + 1];
    wp_fence_param *params;
    size_t n_params;
    char **actions;
    size_t n_actions;
} wp_fence_meta;

/* Parse an agent's metadata XML (len bytes).  False with err (what, why,
 * to do) when it is not the metadata of a fence agent. */
bool wp_fence_meta_parse(const char *xml, size_t len, wp_fence_meta *meta, wp_err *err);
void wp_fence_meta_free(wp_fence_meta *meta);
const wp_fence_param *wp_fence_meta_param(const wp_fence_meta *meta, const char *name);
bool wp_fence_meta_has_action(const wp_fence_meta *meta, const char *action);
/* Does the agent take a plug (plug or its old name port)? */
bool wp_fence_meta_takes_plug(const wp_fence_meta *meta);

/* Check a device's properties ({"name": "value"}) against the metadata:
 * every name known, every required parameter given (or its alias), a
 * select's value among its choices, booleans and numbers well-formed; the
 * agent must offer off and status (or monitor).  action, plug, port and
 * nodename are wolfpack's to set, never properties.  device names the
 * device in messages. */
bool wp_fence_validate(const wp_fence_meta *meta, const char *device, const json_t *props,
                       wp_err *err);

/* Names and values wolfpack accepts at all (also checked by the database,
 * which cannot run agents): agent fence_[A-Za-z0-9_.-]+, property names
 * [a-z0-9_-]+, values without newline or NUL, at most 1024 bytes. */
bool wp_fence_agent_name_valid(const char *agent, wp_err *err);
bool wp_fence_prop_valid(const char *key, const char *value, wp_err *err);

/* Is this parameter a secret (password, passwd, passwd_script, community,
 * ...)?  Its value is never shown back. */
bool wp_fence_is_secret(const char *name);
/* A copy of props with every secret's value replaced by WP_FENCE_MASK. */
json_t *wp_fence_props_masked(const json_t *props);
/* Replace in buf (NUL-terminated) every occurrence of a secret value of
 * props by WP_FENCE_MASK, in place (the text only shrinks or is cut). */
void wp_fence_scrub(char *buf, size_t size, const json_t *props);

/* The agent's stdin: "action=ACTION\n", "plug=PLUG\n" when plug is not
 * NULL, then each property "key=value\n" in key order.  malloc'd. */
char *wp_fence_stdin(const char *action, const char *plug, const json_t *props);

/* Find agent (a bare name) in the fence path: out gets the executable's
 * path.  search may be NULL (then WOLFPACK_FENCE_PATH or the default). */
bool wp_fence_agent_path(const char *agent, const char *search, char *out, size_t size,
                         wp_err *err);

/* Run path with no argument (args NULL) or with argv args (NULL-ended),
 * input on its stdin, in its own process group, stdout and stderr into
 * out (the last WP_FENCE_OUT_MAX bytes, NUL-terminated).  After
 * timeout_ms the group is killed.  *exit_status: the exit code, or -1 when
 * it was killed or timed out (*timed_out says which).  False with err only
 * when it could not be started. */
bool wp_fence_exec(const char *path, const char *const *args, const char *input, int timeout_ms,
                   int *exit_status, bool *timed_out, char *out, size_t out_size, wp_err *err);

#endif
