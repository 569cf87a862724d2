/*
 * model.h -- the cluster model: resource types, their classes, their
 * properties, and the policies of groups and resources.
 *
 * Pure functions only (no I/O, no clock, no globals): the database (src/db)
 * calls them to validate every change before it is applied, the CLI calls
 * them to refuse bad input early, the scheduler reads the parsed policies.
 *
 * Values are strings at this layer (they travel in JSON commands and live in
 * SQLite as text); validation normalises where it helps (durations become
 * whole seconds, type names their canonical spelling).
 *
 * Names:   groups, resources and nodes: 1..63 bytes of [A-Za-z0-9 ._-], not
 *          starting or ending with a space.  Nodes: [A-Za-z0-9_-] only
 *          (they become corosync ring names and host names).
 */
#ifndef WP_MODEL_H
#define WP_MODEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define WP_NAME_MAX 63
#define WP_CLUSTER_GROUP "Cluster Group"
/* The cluster's own core resources in Cluster Group (cluster.create {ip}). */
#define WP_CLUSTER_IP_RESOURCE "Cluster IP Address"
#define WP_CLUSTER_NAME_RESOURCE "Cluster Name"

typedef enum wp_rtype {
    WP_RT_IP = 0,  /* "IP Address"      class network-address */
    WP_RT_NETNAME, /* "Network Name"   class network-name    */
    WP_RT_DISK,    /* "Physical Disk"  class storage         */
    WP_RT_SERVICE, /* "Generic Service" class service        */
    WP_RT_OCF,     /* "OCF"            class service         */
    WP_RT__COUNT
} wp_rtype;

typedef enum wp_rclass {
    WP_CLASS_NETADDR = 0, /* "network-address" */
    WP_CLASS_NETNAME,     /* "network-name" */
    WP_CLASS_STORAGE,     /* "storage" */
    WP_CLASS_SERVICE,     /* "service" */
    WP_CLASS__COUNT
} wp_rclass;

/* Canonical type name ("IP Address"). */
const char *wp_rtype_name(wp_rtype type);
/* Parse a type name, case-insensitively; also accepts the short aliases
 * "ip", "netname", "disk", "service", "ocf". */
bool wp_rtype_parse(const char *name, wp_rtype *out, wp_err *err);
wp_rclass wp_rtype_class(wp_rtype type);
const char *wp_rclass_name(wp_rclass cls);

/* kind is "group", "resource" or "node" (used in the message). */
bool wp_name_valid(const char *kind, const char *name, wp_err *err);

/* A node's address as corosync uses it: an IPv4/IPv6 literal or a host
 * name; never the unspecified, a multicast or the broadcast address, and a
 * loopback address (or localhost) only when loopback_ok (a one-node
 * cluster). */
bool wp_node_address_valid(const char *addr, bool loopback_ok, wp_err *err);

/*
 * Type properties (the keys of `--prop KEY=VALUE`):
 *   IP Address:      address (required, IPv4 or IPv6 with /prefix), interface
 *   Network Name:    hostname (required, RFC 1123), dns_server, dns_zone,
 *                    tsig_key_file, ttl
 *   Physical Disk:   device (required, absolute path), mountpoint (required,
 *                    absolute path), fstype (required: ext4 ext3 ext2 xfs
 *                    btrfs vfat), mount_options
 *   Generic Service: command (absolute program path and arguments, split
 *                    like a shell word list but never run by a shell) or
 *                    unit (a systemd unit name) -- exactly one of them;
 *                    check_command
 *   OCF:             agent (required, ocf:PROVIDER:TYPE) and any agent
 *                    parameter named [A-Za-z_][A-Za-z0-9_]*
 * Unknown keys are refused (except OCF parameters).
 */
bool wp_prop_validate(wp_rtype type, const char *key, const char *value, wp_err *err);
/* Check a whole property object (string values) of a type: every value valid,
 * every required key present, exclusive keys respected. */
bool wp_props_validate_all(wp_rtype type, const json_t *props, wp_err *err);
/* A request that creates or changes a resource (op resource.create or
 * resource.set, its args): a Generic Service command runs as root only
 * when said -- creating one without the user property, or unsetting it,
 * is refused (user=root is the way to say it).  Stored resources are not
 * checked (docs/SECURITY.md, "Root services": they keep running). */
bool wp_service_user_said(const char *op, const json_t *args, wp_err *err);

/*
 * Policies (the keys of `--policy KEY=VALUE`), with defaults that follow
 * Windows failover clustering (docs/MODEL.md lists them):
 *  group:    preferred_owners ""        ordered comma list of node names
 *            possible_owners ""         comma list; empty means every node
 *            failback "never"           never | immediate | window
 *            failback_window ""         "HH-HH" (hours, local time), needed
 *                                       when failback=window
 *            failover_threshold "auto"  auto (= nodes - 1) or 0..10000
 *            failover_period "21600"    seconds (6 h)
 *            managed "true"             false: unmanaged, the cluster neither
 *                                       starts, stops nor moves the group
 *  resource: restart_action "failover"  none | restart | failover
 *                                       (failover = restart, then fail the
 *                                       group over past the threshold)
 *            restart_threshold "3"      0..1000
 *            restart_period "900"       seconds (15 min)
 *            quick_check_interval "5"   seconds, 1..86400
 *            thorough_check_interval "60"
 *            pending_timeout "180"      seconds, 1..86400
 *            managed "true"             false: unmanaged, the cluster neither
 *                                       starts, stops nor restarts it
 *            failure_timeout "0"        seconds (0: never): its failures are
 *                                       forgotten this long after the last one
 * Durations accept a unit suffix s, m or h ("15m") and are normalised to
 * whole seconds. On success *normalised (if not NULL) receives a malloc'd
 * normalised value that the caller frees.
 */
bool wp_group_policy_validate(const char *key, const char *value, char **normalised, wp_err *err);
bool wp_resource_policy_validate(const char *key, const char *value, char **normalised,
                                 wp_err *err);
/* Check a whole policy object (string values; a missing key counts as its
 * default): every value valid, and the rules between keys -- failback
 * "window" needs a failback_window, every preferred owner must be a possible
 * owner when possible_owners is not empty.  The database calls these on the
 * merged policy before it stores it.  (Added by the model helper.) */
bool wp_group_policy_check(const json_t *policy, wp_err *err);
bool wp_resource_policy_check(const json_t *policy, wp_err *err);
/* New JSON objects holding every policy key with its default (caller owns). */
json_t *wp_group_policy_defaults(void);
json_t *wp_resource_policy_defaults(void);

/* Split a command line into argv without a shell: whitespace separates,
 * '...' and "..." quote, backslash escapes outside single quotes.
 * Returns a NULL-terminated malloc'd array (free with wp_argv_free). */
char **wp_argv_split(const char *line, wp_err *err);
void wp_argv_free(char **argv);

/* Parse a duration ("90", "90s", "15m", "6h") into seconds. */
bool wp_duration_parse(const char *text, long *seconds, wp_err *err);

/* Does an agent's error text (a resource's last_error) say something that
 * retrying cannot mend: OCF_ERR_INSTALLED, OCF_ERR_CONFIGURED, or an agent's
 * "(not installed)" / "(not configured)"?  The scheduler then leaves the
 * resource Failed without a restart (docs/SCHEDULER.md). */
bool wp_error_permanent(const char *text);

#endif
