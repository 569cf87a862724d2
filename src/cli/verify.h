/*
 * verify.h -- `wolfpack verify`'s checks of a whole configuration, as
 * crm_verify does for Pacemaker (docs/CLI.md, "verify").
 *
 * The configuration is the JSON that `wolfpack cluster export` prints
 * (format wolfpack-export-1): cluster, nodes, groups, resources,
 * fence_devices, apps.  verify.c holds the pure checks (no I/O: the same
 * answer on every node, unit-testable with a file); cmd_verify.c reads the
 * configuration (from the daemon or --file), adds what only this node can
 * tell (localcheck.c: is the OCF agent installed, does its meta-data know
 * the parameters, does the command exist) and prints the findings.
 */
#ifndef WP_CLI_VERIFY_H
#define WP_CLI_VERIFY_H

#include <jansson.h>
#include <stdbool.h>

#include "../lib/err.h"

/* Exit statuses of `wolfpack verify` (after the common 0-7). */
#define WP_VERIFY_EXIT_WARNINGS 8
#define WP_VERIFY_EXIT_ERRORS 9

/* Each finding is added with wp_precheck_add (src/agents/precheck.h), the
 * one builder of the form that precheck and verify share. */

/* Check config (an export object) and append every finding to findings
 * (a JSON array the caller owns).  Never fails: what cannot be read is
 * itself a finding. */
void wp_verify_config(const json_t *config, json_t *findings);
/* The element of list (an export's nodes, groups, resources...) whose
 * "name" is name, ignoring case as the database does (an element without
 * a name has the name ""), or NULL.  cluster import matches by it too. */
const json_t *wp_verify_by_name(const json_t *list, const char *name);

/* localcheck.c: what this node can tell about one resource ({name, type,
 * props}); network: also ask the network whether an IP Address resource's
 * address is free (arping -D: seconds, so only before it is created). */
void wp_verify_local_resource(const json_t *resource, bool network, json_t *findings);
/* The same for every resource of config, without the network question
 * (the addresses of running resources answer, as they should). */
void wp_verify_local(const json_t *config, json_t *findings);

/* Every other node's checks (through the daemon at socket_path, NULL: the
 * default) of the resources of config it may own: each node that is up
 * runs them in a node task (resource-check), one that is down is a
 * warning; no daemon: nothing added. */
void wp_verify_others(const json_t *config, const char *socket_path, json_t *findings);

/* Before `resource create` (creating) or `resource set` stores resource
 * ({name, group, type, props}: for set, as it will be after the change):
 * this node's checks (network: with the network's question, whether an
 * address is free), and every other possible owner's (through the daemon
 * at socket_path, NULL: the default); warnings to stderr; false with err
 * ("cannot create|change ...", exit 4 for an address in use, 2 for what
 * the agent refuses) on an error unless force, which prints it as a
 * warning instead. */
bool wp_verify_precheck(const json_t *resource, bool creating, bool network, bool force,
                        const char *socket_path, wp_err *err);

/* Count the findings of one level. */
size_t wp_verify_count(const json_t *findings, bool errors);

#endif
