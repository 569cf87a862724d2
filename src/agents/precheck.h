/*
 * precheck.h -- a node's own checks of a resource before it is stored or
 * verified (precheck.c): the OCF agent and its meta-data and validate-all,
 * a service's program or unit, a disk's device, an address nobody answers
 * for.  Findings are JSON objects {"level": "error"|"warning", "object":
 * "resource NAME", "message", "todo"} appended to an array the caller owns
 * (the form `wolfpack verify` prints, src/cli/verify.h).
 */
#ifndef WP_AGENTS_PRECHECK_H
#define WP_AGENTS_PRECHECK_H

#include <jansson.h>
#include <stdbool.h>

/* Append one finding. */
void wp_precheck_add(json_t *findings, bool error, const char *object, const char *todo,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* This node's checks of resource ({name, type, props}); here ("on node
 * n2") starts each message; network: also ask the network whether an IP
 * Address's address is free (arping -D: seconds, so only before it is
 * created). */
void wp_precheck_resource(const json_t *resource, bool network, const char *here, json_t *findings);

#endif
