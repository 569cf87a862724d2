/*
 * netname.h -- the Network Name agent's pieces beyond agent.h, public for
 * the unit tests: name qualification, the address list, TSIG key files,
 * the RFC 2136 UPDATE messages (built with libldns) and the hosts-file
 * edit.  docs/NETNAME.md describes the agent.
 *
 *   netname.c        the agent: properties, start/stop/checks, both modes
 *   netname_dns.c    DNS: key file, UPDATE messages, sending, queries, RCODEs
 *   netname_hosts.c  hosts-file mode: the marked line, added and removed
 *
 * Where the address comes from: the property `address` (a comma list of
 * addresses, each optionally with "/prefix").  wolfpackd's executor fills
 * it, when the resource does not set it itself, with the `address` of every
 * IP Address resource the name depends on (wp_exec_agent_ctx).
 */
#ifndef WP_NETNAME_H
#define WP_NETNAME_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "../lib/err.h"
#include "agent.h"

/* libldns's packet (ldns_pkt).  Its headers are not included here: they
 * define a dprintf() macro that breaks POSIX dprintf in every includer. */
struct ldns_struct_pkt;

#define WP_NETNAME_DEFAULT_TTL 20 /* seconds: clients follow a failover fast */
#define WP_NETNAME_MAX_ADDRS 8
#define WP_NETNAME_FQDN_MAX 256 /* 253 + trailing dot + NUL, rounded */
#define WP_NETNAME_HOSTS "/etc/hosts"
/* The TXT record that says which node registered the name (see stop). */
#define WP_NETNAME_OWNER_TAG "wolfpack-owner="

typedef struct wp_netname_addr {
    int family; /* AF_INET or AF_INET6 */
    unsigned char bytes[16];
    char text[INET6_ADDRSTRLEN]; /* canonical text, no prefix */
} wp_netname_addr;

/* hostname + zone -> the fully qualified name with a trailing dot.  A
 * hostname holding a dot is taken as fully qualified ("mail.example.com"),
 * a single label gets the zone appended ("mail" + "example.com" ->
 * "mail.example.com.").  A single label without a zone is an error when
 * need_fqdn (DNS mode); otherwise it stays a bare label (no dot added). */
bool wp_netname_qualify(const char *hostname, const char *zone, bool need_fqdn, char *out, size_t n,
                        wp_err *err);
/* True when fqdn (trailing dot) is zone itself or inside it (case-blind). */
bool wp_netname_in_zone(const char *fqdn, const char *zone);

/* "A[/P][,B[/P]...]" -> up to max addresses (duplicates dropped). */
bool wp_netname_parse_addrs(const char *text, wp_netname_addr *out, size_t max, size_t *n,
                            wp_err *err);

/* A TSIG key as bind's key files hold it (tsig-keygen, ddns-confgen):
 *     key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
 * Comments (#, //, / * * /) are allowed; exactly one key. */
typedef struct wp_tsig_key {
    char name[256];     /* with a trailing dot */
    char algorithm[64]; /* ldns's name: "hmac-sha256." */
    char secret[512];   /* base64, as in the file */
} wp_tsig_key;
bool wp_tsig_key_parse(const char *text, const char *origin, wp_tsig_key *key, wp_err *err);
bool wp_tsig_key_load(const char *path, wp_tsig_key *key, wp_err *err);

/* The UPDATE that registers fqdn in zone: delete the A and AAAA RRsets and
 * the TXT records in old_owners (exact values), add one A/AAAA per address
 * with ttl and the TXT owner record.  NULL + err on a bad input. */
struct ldns_struct_pkt *wp_netname_update_register(const char *zone, const char *fqdn,
                                                   const wp_netname_addr *addrs, size_t naddrs,
                                                   long ttl, const char *owner,
                                                   const char *const *old_owners, size_t nold,
                                                   wp_err *err);
/* The UPDATE that removes the name, only while it is still ours: the
 * prerequisite is our TXT owner record; the update deletes the A and AAAA
 * RRsets and that TXT record. */
struct ldns_struct_pkt *wp_netname_update_release(const char *zone, const char *fqdn,
                                                  const char *owner, wp_err *err);
/* The owner record's text for this node and resource:
 * "wolfpack-owner=NODE resource=NAME" (characters outside [A-Za-z0-9._-]
 * become '_'). */
void wp_netname_owner_text(const char *node, const char *resource, char *out, size_t n);

/* Names of an RCODE and of a TSIG error ("REFUSED", "BADSIG"). */
const char *wp_dns_rcode_name(int rcode);
const char *wp_dns_tsig_error_name(int error);

/* Hosts file: the marked line of a resource is
 *     "ADDR NAME [ALIAS] # wolfpack:RESOURCE"
 * wp_hosts_edit returns a malloc'd copy of text without the resource's
 * marked lines and, when lines is not NULL, with lines appended (other lines
 * untouched, a missing final newline added).  NULL only when out of memory. */
char *wp_hosts_edit(const char *text, const char *resource, const char *lines);
/* The marked lines, one per address: "198.51.100.50 mail.wptc.test mail # wolfpack:R\n".
 * alias may be NULL.  malloc'd. */
char *wp_hosts_lines(const wp_netname_addr *addrs, size_t naddrs, const char *name,
                     const char *alias, const char *resource);
/* Rewrite path with wp_hosts_edit (atomic rename next to it; in place when
 * path is a mount point, e.g. a bind-mounted file), under lock_path's lock. */
bool wp_hosts_update(const char *path, const char *lock_path, const char *resource,
                     const char *lines, wp_err *err);
/* Does path hold exactly these marked lines for resource? */
bool wp_hosts_has(const char *path, const char *resource, const char *lines, bool *has,
                  wp_err *err);

#endif
