/*
 * netname.c -- the Network Name agent (docs/NETNAME.md): a host name bound
 * to the address of the IP Address resource it depends on, registered so
 * that clients resolve it.
 *
 * Two modes, chosen by the property dns_server:
 *
 *   DNS (dns_server set): start sends an RFC 2136 UPDATE to the server (TSIG
 *   signed when tsig_key_file is set) that replaces the name's A/AAAA
 *   records with ours (ttl, default 20 s) and a TXT owner record naming this
 *   node.  stop deletes them only while that owner record is still ours, so
 *   a node that was cut off (or frozen) and stops late never deletes the
 *   name its successor registered.  quick: the server answers the name with
 *   exactly our addresses (a direct, non-recursive query); a server that
 *   does not answer is logged, not failed (every node asks the same server,
 *   a failover cannot help).  thorough: the same, and the system resolver
 *   (getaddrinfo) gives our addresses too.
 *
 *   hosts file (no dns_server): start writes marked lines into this node's
 *   /etc/hosts (netname_hosts.c); stop removes them; quick: the lines are
 *   there; thorough: getaddrinfo gives our addresses.  Only this node sees
 *   the name: clients need DNS.
 *
 * The address comes in the property `address` (netname.h says who fills it).
 */
#include "netname.h"
#include "../lib/fs.h"

#include <ldns/ldns.h>
#undef dprintf /* ldns/util.h's debugging macro hides POSIX dprintf */

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DNS_TIMEOUT_S 2 /* per try; two tries */
#define RESOLVE_WAIT_MAX_S 30

typedef struct nn_req {
    const wp_agent_ctx *ctx;
    const char *hostname;
    const char *server;             /* NULL: hosts-file mode */
    const char *key_file;           /* NULL: unsigned updates */
    char fqdn[WP_NETNAME_FQDN_MAX]; /* DNS: trailing dot; hosts: none */
    char zone[WP_NETNAME_FQDN_MAX]; /* "" until known */
    long ttl;
    wp_netname_addr addrs[WP_NETNAME_MAX_ADDRS];
    size_t naddrs;
} nn_req;

/* A note in the op's log (the daemon's agent log). */
static void note(const nn_req *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const nn_req *r, const char *fmt, ...)
{
    if (r->ctx->log_fd < 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    dprintf(r->ctx->log_fd, "Network Name %s: ", r->ctx->name);
    vdprintf(r->ctx->log_fd, fmt, ap);
    dprintf(r->ctx->log_fd, "\n");
    va_end(ap);
}

static bool req_parse(const wp_agent_ctx *ctx, bool need_addr, nn_req *r, wp_err *err)
{
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
    r->hostname = wp_agent_prop(ctx, "hostname");
    r->server = wp_agent_prop(ctx, "dns_server");
    r->key_file = wp_agent_prop(ctx, "tsig_key_file");
    const char *zone = wp_agent_prop(ctx, "dns_zone");
    const char *ttl = wp_agent_prop(ctx, "ttl");
    r->ttl = ttl ? strtol(ttl, NULL, 10) : WP_NETNAME_DEFAULT_TTL;
    if (!wp_netname_qualify(r->hostname, zone, r->server != NULL, r->fqdn, sizeof r->fqdn, err))
        return false;
    if (zone)
        snprintf(r->zone, sizeof r->zone, "%s%s", zone, zone[strlen(zone) - 1] == '.' ? "" : ".");
    if (r->server && zone && !wp_netname_in_zone(r->fqdn, r->zone)) {
        wp_errf(err, WP_E_INVALID, "the name %s is not inside the zone %s", r->fqdn, r->zone);
        wp_err_why(err, "a DNS server updates names of its zone only (it would answer NOTZONE)");
        wp_err_todo(err, "give a hostname inside dns_zone, or the right dns_zone");
        return false;
    }
    if (r->key_file && !r->server) {
        wp_errf(err, WP_E_INVALID, "tsig_key_file is set but dns_server is not");
        wp_err_why(err, "the key signs DNS updates; without dns_server the name goes into the "
                        "hosts file");
        wp_err_todo(err, "set dns_server, or remove tsig_key_file");
        return false;
    }
    if (!need_addr && !wp_agent_prop(ctx, "address"))
        return true;
    return wp_netname_parse_addrs(wp_agent_prop(ctx, "address"), r->addrs, WP_NETNAME_MAX_ADDRS,
                                  &r->naddrs, err);
}

/* ---- talking to the DNS server ------------------------------------------- */

static ldns_resolver *resolver_new(const char *server, const wp_tsig_key *key, wp_err *err)
{
    ldns_rdf *ns =
        ldns_rdf_new_frm_str(strchr(server, ':') ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, server);
    ldns_resolver *res = ns ? ldns_resolver_new() : NULL;
    if (!res || ldns_resolver_push_nameserver(res, ns) != LDNS_STATUS_OK) {
        ldns_rdf_deep_free(ns);
        ldns_resolver_deep_free(res);
        wp_errf(err, WP_E_INVALID, "cannot use the DNS server %s", server);
        wp_err_why(err, "it is not an IP address libldns accepts");
        wp_err_todo(err, "set dns_server to the server's IP address");
        return NULL;
    }
    ldns_rdf_deep_free(ns);
    ldns_resolver_set_recursive(res, false);
    ldns_resolver_set_random(res, false);
    ldns_resolver_set_timeout(res, (struct timeval){.tv_sec = DNS_TIMEOUT_S});
    ldns_resolver_set_retry(res, 2);
    ldns_resolver_set_retrans(res, 1);
    if (key) {
        ldns_resolver_set_tsig_keyname(res, key->name);
        ldns_resolver_set_tsig_algorithm(res, key->algorithm);
        ldns_resolver_set_tsig_keydata(res, key->secret);
    }
    return res;
}

static int tsig_error(const ldns_pkt *reply)
{
    const ldns_rr *t = ldns_pkt_tsig(reply);
    const ldns_rdf *e = t && ldns_rr_rd_count(t) > 5 ? ldns_rr_rdf(t, 5) : NULL;
    return e && ldns_rdf_size(e) == 2 ? ldns_rdf2native_int16(e) : 0;
}

static void no_answer(const nn_req *r, const char *what, ldns_status st, wp_err *err)
{
    wp_errf(err, WP_E_UNAVAILABLE, "%s: no answer from the DNS server %s", what, r->server);
    wp_err_why(err, "%s (waited %d s, 2 tries)", ldns_get_errorstr_by_id(st), DNS_TIMEOUT_S);
    wp_err_todo(err,
                "check that the server runs and that this node reaches %s on port 53 "
                "(UDP and TCP)",
                r->server);
}

/* Explain a refused UPDATE: what the server answered and what to do. */
static void update_refused(const nn_req *r, const char *what, int rcode, int terr,
                           const wp_tsig_key *key, wp_err *err)
{
    wp_errf(err, WP_E_CONFLICT, "%s: the DNS server %s answered %s%s%s", what, r->server,
            wp_dns_rcode_name(rcode), terr ? " with TSIG error " : "",
            terr ? wp_dns_tsig_error_name(terr) : "");
    if (terr == 16) {
        wp_err_why(err,
                   "the server knows key %s but the signature does not match: the secret "
                   "in %s differs from the server's",
                   key ? key->name : "?", r->key_file);
        wp_err_todo(err, "copy the server's key file for %s to %s on every node",
                    key ? key->name : "the zone", r->key_file);
    } else if (terr == 17) {
        wp_err_why(err, "the server does not know the key %s with algorithm %s",
                   key ? key->name : "?", key ? key->algorithm : "?");
        wp_err_todo(err,
                    "declare the key in the server's configuration (same name, algorithm "
                    "and secret), or fix %s",
                    r->key_file);
    } else if (terr == 18) {
        wp_err_why(err, "this node's clock and the server's differ by more than 5 minutes");
        wp_err_todo(err, "synchronise the clocks (NTP) of the nodes and the DNS server");
    } else if (rcode == LDNS_RCODE_REFUSED) {
        wp_err_why(err, "the server does not allow %s updates of zone %s",
                   key ? "this key's" : "unsigned", r->zone);
        wp_err_todo(err, "%s",
                    key ? "grant the key in the zone's update-policy (bind: update-policy { "
                          "grant KEY zonesub ANY; };)"
                        : "set tsig_key_file to a key the zone's update-policy grants "
                          "(unsigned updates should not be allowed)");
    } else if (rcode == LDNS_RCODE_NOTAUTH) {
        wp_err_why(err, "the server is not authoritative (primary) for zone %s%s", r->zone,
                   key ? "" : ", or it wants a signed update");
        wp_err_todo(err, "point dns_server at the zone's primary server and check dns_zone%s",
                    key ? "" : "; set tsig_key_file if the zone needs a key");
    } else if (rcode == LDNS_RCODE_NOTZONE) {
        wp_err_why(err, "the name %s is not inside zone %s", r->fqdn, r->zone);
        wp_err_todo(err, "fix hostname or dns_zone");
    } else if (rcode == LDNS_RCODE_SERVFAIL) {
        wp_err_why(err, "the server failed to apply the update (its zone may be unloaded or its "
                        "journal not writable)");
        wp_err_todo(err, "read the DNS server's log");
    } else {
        wp_err_why(err, "the server did not apply the update");
        wp_err_todo(err, "read the DNS server's log");
    }
}

/* Send an update; *rcode is the server's answer when true is returned.
 * false: no answer or a reply that cannot be trusted (err set). */
static bool send_update(const nn_req *r, const wp_tsig_key *key, ldns_pkt *pkt, int *rcode,
                        int *terr, wp_err *err)
{
    ldns_resolver *res = resolver_new(r->server, key, err);
    ldns_pkt *reply = NULL;
    if (!res)
        return false;
    ldns_status st = key ? ldns_update_pkt_tsig_add(pkt, res) : LDNS_STATUS_OK;
    if (st != LDNS_STATUS_OK) {
        ldns_resolver_deep_free(res);
        wp_errf(err, WP_E_INVALID, "cannot sign the DNS update with key %s", key->name);
        wp_err_why(err, "%s", ldns_get_errorstr_by_id(st));
        wp_err_todo(err, "check the algorithm and secret in %s", r->key_file);
        return false;
    }
    /* ldns_send, not ldns_resolver_send_pkt: that one drops an answer
     * whose TSIG does not verify, and a refusal (BADSIG, BADKEY) comes
     * unsigned -- its RCODE and TSIG error are what a person needs */
    st = ldns_send(&reply, res, pkt);
    ldns_resolver_deep_free(res);
    if (!reply) {
        no_answer(r, "DNS update failed", st, err);
        return false;
    }
    *rcode = ldns_pkt_get_rcode(reply);
    *terr = tsig_error(reply);
    ldns_pkt_free(reply);
    if (st == LDNS_STATUS_CRYPTO_TSIG_BOGUS && *rcode == LDNS_RCODE_NOERROR) {
        wp_errf(err, WP_E_CONFLICT,
                "the DNS server's answer to the update is not signed with "
                "our key");
        wp_err_why(err, "the answer's TSIG does not verify: it may not come from %s", r->server);
        wp_err_todo(err, "check the server's key and the network path to it");
        return false;
    }
    return true;
}

/* A direct, unsigned, non-recursive query; *reply owned by the caller. */
static bool query(const nn_req *r, const char *name, ldns_rr_type type, ldns_pkt **reply,
                  wp_err *err)
{
    ldns_resolver *res = resolver_new(r->server, NULL, err);
    if (!res)
        return false;
    ldns_rdf *dn = ldns_dname_new_frm_str(name);
    ldns_pkt *q = dn ? ldns_pkt_query_new(dn, type, LDNS_RR_CLASS_IN, 0) : NULL;
    *reply = NULL;
    if (!q) {
        ldns_resolver_deep_free(res);
        wp_errf(err, WP_E_INVALID, "cannot ask the DNS server for %s", name);
        wp_err_why(err, "libldns refused the name");
        wp_err_todo(err, "check hostname and dns_zone");
        return false;
    }
    ldns_pkt_set_random_id(q);
    ldns_status st = ldns_resolver_send_pkt(reply, res, q);
    ldns_pkt_free(q);
    ldns_resolver_deep_free(res);
    if (!*reply) {
        no_answer(r, "DNS query failed", st, err);
        return false;
    }
    int rc = ldns_pkt_get_rcode(*reply);
    if (rc != LDNS_RCODE_NOERROR && rc != LDNS_RCODE_NXDOMAIN) {
        wp_errf(err, WP_E_CONFLICT, "the DNS server %s answered %s to a query for %s", r->server,
                wp_dns_rcode_name(rc), name);
        wp_err_why(err, "%s",
                   rc == LDNS_RCODE_REFUSED
                       ? "it does not answer this node for that name (not its zone, or queries "
                         "are not allowed from here)"
                       : "it could not answer (is the zone loaded?)");
        wp_err_todo(err, "check the server's configuration and log");
        ldns_pkt_free(*reply);
        *reply = NULL;
        return false;
    }
    return true;
}

static bool find_zone(nn_req *r, wp_err *err)
{
    ldns_pkt *reply;
    if (r->zone[0])
        return true;
    if (!query(r, r->fqdn, LDNS_RR_TYPE_SOA, &reply, err))
        return false;
    ldns_rr_list *lists[] = {ldns_pkt_answer(reply), ldns_pkt_authority(reply)};
    for (size_t l = 0; l < 2 && !r->zone[0]; l++) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(lists[l]); i++) {
            const ldns_rr *rr = ldns_rr_list_rr(lists[l], i);
            if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
                continue;
            char *z = ldns_rdf2str(ldns_rr_owner(rr));
            if (z)
                snprintf(r->zone, sizeof r->zone, "%s", z);
            free(z);
            break;
        }
    }
    ldns_pkt_free(reply);
    if (r->zone[0] && wp_netname_in_zone(r->fqdn, r->zone))
        return true;
    wp_errf(err, WP_E_INVALID, "cannot tell which zone holds %s", r->fqdn);
    wp_err_why(err, "the DNS server %s gave no SOA record for it", r->server);
    wp_err_todo(err, "set dns_zone to the zone the server updates");
    r->zone[0] = '\0';
    return false;
}

/* The A and AAAA records the server holds for the name. */
static bool lookup_addrs(const nn_req *r, wp_netname_addr *out, size_t max, size_t *n, wp_err *err)
{
    static const ldns_rr_type types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA};
    ldns_rdf *me = ldns_dname_new_frm_str(r->fqdn);
    bool ok = me != NULL;
    *n = 0;
    for (size_t t = 0; ok && t < 2; t++) {
        ldns_pkt *reply;
        if (!(ok = query(r, r->fqdn, types[t], &reply, err)))
            break;
        ldns_rr_list *ans = ldns_pkt_answer(reply);
        for (size_t i = 0; i < ldns_rr_list_rr_count(ans) && *n < max; i++) {
            const ldns_rr *rr = ldns_rr_list_rr(ans, i);
            const ldns_rdf *rd = ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, 0) : NULL;
            size_t len = types[t] == LDNS_RR_TYPE_A ? 4 : 16;
            if (ldns_rr_get_type(rr) != types[t] || !rd || ldns_rdf_size(rd) != len ||
                ldns_dname_compare(ldns_rr_owner(rr), me) != 0)
                continue;
            wp_netname_addr *a = &out[(*n)++];
            memset(a, 0, sizeof *a);
            a->family = len == 4 ? AF_INET : AF_INET6;
            memcpy(a->bytes, ldns_rdf_data(rd), len);
            inet_ntop(a->family, a->bytes, a->text, sizeof a->text);
        }
        ldns_pkt_free(reply);
    }
    ldns_rdf_deep_free(me);
    return ok;
}

/* The owner TXT records ("wolfpack-owner=...") the server holds for the name. */
static bool lookup_owners(const nn_req *r, char (*out)[256], size_t max, size_t *n, wp_err *err)
{
    ldns_pkt *reply;
    size_t tl = strlen(WP_NETNAME_OWNER_TAG);
    *n = 0;
    if (!query(r, r->fqdn, LDNS_RR_TYPE_TXT, &reply, err))
        return false;
    ldns_rr_list *ans = ldns_pkt_answer(reply);
    for (size_t i = 0; i < ldns_rr_list_rr_count(ans) && *n < max; i++) {
        const ldns_rr *rr = ldns_rr_list_rr(ans, i);
        const ldns_rdf *rd = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
        const uint8_t *d = rd ? ldns_rdf_data(rd) : NULL;
        if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT || !d || ldns_rdf_size(rd) < 1 ||
            (size_t)d[0] + 1 != ldns_rdf_size(rd) || d[0] < tl ||
            memcmp(d + 1, WP_NETNAME_OWNER_TAG, tl) != 0 || memchr(d + 1, '\0', d[0]))
            continue;
        snprintf(out[(*n)++], 256, "%.*s", (int)d[0], (const char *)d + 1);
    }
    ldns_pkt_free(reply);
    return true;
}

static void addrs_text(const wp_netname_addr *a, size_t n, char *out, size_t len)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", a[i].text);
    if (n == 0)
        snprintf(out, len, "nothing");
}

static bool addr_in(const wp_netname_addr *a, const wp_netname_addr *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (set[i].family == a->family && memcmp(set[i].bytes, a->bytes, 16) == 0)
            return true;
    return false;
}

/* Every address of want is in got (and, when exact, nothing else). */
static bool addrs_match(const wp_netname_addr *want, size_t nw, const wp_netname_addr *got,
                        size_t ng, bool exact)
{
    for (size_t i = 0; i < nw; i++)
        if (!addr_in(&want[i], got, ng))
            return false;
    for (size_t i = 0; exact && i < ng; i++)
        if (!addr_in(&got[i], want, nw))
            return false;
    return true;
}

/* ---- the system resolver ------------------------------------------------- */

static void resolve_system(const char *name, wp_netname_addr *out, size_t max, size_t *n, int *gai)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    *n = 0;
    *gai = getaddrinfo(name, NULL, &hints, &res);
    for (struct addrinfo *ai = *gai == 0 ? res : NULL; ai && *n < max; ai = ai->ai_next) {
        wp_netname_addr a = {.family = ai->ai_family};
        if (ai->ai_family == AF_INET)
            memcpy(a.bytes, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
        else if (ai->ai_family == AF_INET6)
            memcpy(a.bytes, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
        else
            continue;
        inet_ntop(a.family, a.bytes, a.text, sizeof a.text);
        if (!addr_in(&a, out, *n))
            out[(*n)++] = a;
    }
    if (res)
        freeaddrinfo(res);
}

/* The system resolver (nsswitch: hosts file, DNS) gives our addresses for
 * the name.  A caching resolver may still hold an older answer for up to
 * the TTL after a failover: ask again once a second for at most
 * min(ttl, 30) s before calling it a failure. */
static wp_agent_rc check_system(const nn_req *r, wp_err *err)
{
    char name[WP_NETNAME_FQDN_MAX], got_text[512], want_text[512];
    wp_netname_addr got[WP_NETNAME_MAX_ADDRS];
    size_t ng = 0;
    int gai = 0;
    long wait = r->server ? (r->ttl < RESOLVE_WAIT_MAX_S ? r->ttl : RESOLVE_WAIT_MAX_S) : 0;
    snprintf(name, sizeof name, "%s", r->fqdn);
    if (name[0] && name[strlen(name) - 1] == '.')
        name[strlen(name) - 1] = '\0';
    for (long waited = 0;; waited++) {
        resolve_system(name, got, WP_NETNAME_MAX_ADDRS, &ng, &gai);
        if (addrs_match(r->addrs, r->naddrs, got, ng, false))
            return WP_AGENT_OK;
        if (waited >= wait)
            break;
        sleep(1);
    }
    addrs_text(got, ng, got_text, sizeof got_text);
    addrs_text(r->addrs, r->naddrs, want_text, sizeof want_text);
    wp_errf(err, WP_E_CONFLICT, "this node's resolver gives %s for %s, not %s",
            gai ? gai_strerror(gai) : got_text, name, want_text);
    if (r->server) {
        wp_err_why(err,
                   "the DNS server %s holds the right records, but getaddrinfo() asks "
                   "another server (/etc/resolv.conf) or a cache older than %ld s",
                   r->server, wait);
        wp_err_todo(err,
                    "point this node's /etc/resolv.conf at servers of the zone %s, and "
                    "check that they receive the zone's updates",
                    r->zone[0] ? r->zone : "of the name");
    } else {
        wp_err_why(err,
                   "the line is in %s, but the name resolves otherwise: /etc/nsswitch.conf "
                   "may not list \"files\" first for hosts, or another line wins",
                   WP_NETNAME_HOSTS);
        wp_err_todo(err,
                    "put \"hosts: files dns\" in /etc/nsswitch.conf and remove other lines "
                    "for %s from %s",
                    name, WP_NETNAME_HOSTS);
    }
    return WP_AGENT_FAILED;
}

/* ---- DNS mode -------------------------------------------------------------- */

static bool load_key(const nn_req *r, wp_tsig_key *key, const wp_tsig_key **use, wp_err *err)
{
    *use = NULL;
    if (!r->key_file)
        return true;
    if (!wp_tsig_key_load(r->key_file, key, err))
        return false;
    *use = key;
    return true;
}

/* Decision (docs/SECURITY.md, "Values refused"): an update without a
 * tsig_key_file is sent unsigned -- some zones take updates by address --
 * but never silently: each start says it in the agent log before sending,
 * and a start that succeeds leaves the note on the resource (its
 * last_error while Online, shown by `resource show`). */
static void warn_unsigned(const nn_req *r)
{
    note(r,
         "WARNING: DNS updates for %s are sent UNSIGNED to %s (no tsig_key_file): anyone who "
         "can reach the server may change the name too; set tsig_key_file",
         r->fqdn, r->server);
}

static void owner_text(const nn_req *r, char *out, size_t n)
{
    char node[256] = "unknown";
    if (gethostname(node, sizeof node - 1) != 0)
        snprintf(node, sizeof node, "unknown");
    wp_netname_owner_text(node, r->ctx->name, out, n);
}

static wp_agent_rc dns_start(nn_req *r, wp_err *err)
{
    wp_tsig_key keybuf;
    const wp_tsig_key *key;
    char owner[256], old[8][256];
    size_t nold = 0;
    int rcode, terr;

    if (!load_key(r, &keybuf, &key, err) || !find_zone(r, err) ||
        !lookup_owners(r, old, 8, &nold, err))
        return WP_AGENT_FAILED;
    if (!key)
        warn_unsigned(r);
    owner_text(r, owner, sizeof owner);
    const char *olds[8];
    for (size_t i = 0; i < nold; i++)
        olds[i] = old[i];
    ldns_pkt *pkt = wp_netname_update_register(r->zone, r->fqdn, r->addrs, r->naddrs, r->ttl, owner,
                                               olds, nold, err);
    if (!pkt)
        return WP_AGENT_FAILED;
    bool sent = send_update(r, key, pkt, &rcode, &terr, err);
    ldns_pkt_free(pkt);
    if (!sent)
        return WP_AGENT_FAILED;
    if (rcode != LDNS_RCODE_NOERROR) {
        update_refused(r, "registering the name failed", rcode, terr, key, err);
        return WP_AGENT_FAILED;
    }
    char text[512];
    addrs_text(r->addrs, r->naddrs, text, sizeof text);
    note(r, "%s registered at %s: %s (ttl %ld s)", r->fqdn, r->server, text, r->ttl);
    if (!key)
        wp_agent_note(err, "WARNING: DNS updates for %s are sent unsigned (no tsig_key_file)",
                      r->fqdn);
    return WP_AGENT_OK;
}

/* Stop never blocks a failover: the record points at the group's address,
 * which moves with the group anyway.  So only bad properties fail a stop;
 * a server that cannot be reached or refuses is written to the log. */
static wp_agent_rc dns_stop(nn_req *r, wp_err *err)
{
    wp_tsig_key keybuf;
    const wp_tsig_key *key;
    char owner[256];
    int rcode = 0, terr = 0;
    wp_err e;

    if (!load_key(r, &keybuf, &key, err))
        return WP_AGENT_FAILED;
    owner_text(r, owner, sizeof owner);
    ldns_pkt *pkt = NULL;
    bool sent = find_zone(r, &e) &&
                (pkt = wp_netname_update_release(r->zone, r->fqdn, owner, &e)) &&
                send_update(r, key, pkt, &rcode, &terr, &e);
    ldns_pkt_free(pkt);
    if (sent && rcode == LDNS_RCODE_NXRRSET) {
        note(r,
             "%s left in place: this node's owner record is not there (absent, or another "
             "node registered the name since)",
             r->fqdn);
    } else if (sent && rcode != LDNS_RCODE_NOERROR) {
        update_refused(r, "removing the name failed", rcode, terr, key, &e);
        sent = false;
    }
    if (!sent) {
        note(r, "%s (%s; to do: %s); the record stays until the next start replaces it", e.what,
             e.why, e.todo);
        return WP_AGENT_OK;
    }
    if (rcode == LDNS_RCODE_NOERROR)
        note(r, "%s removed from %s", r->fqdn, r->server);
    return WP_AGENT_OK;
}

/* A server that does not answer does not fail the check (see below); a
 * wrong answer does. */
static wp_agent_rc dns_check(nn_req *r, bool deep, wp_err *err)
{
    wp_netname_addr got[WP_NETNAME_MAX_ADDRS];
    size_t ng;
    char got_text[512], want_text[512];

    if (!lookup_addrs(r, got, WP_NETNAME_MAX_ADDRS, &ng, err)) {
        if (err->code != WP_E_UNAVAILABLE)
            return WP_AGENT_FAILED;
        /* every node asks the same server: failing the group over cannot
         * help, and the record registered at start still stands */
        note(r, "check skipped: %s (%s)", err->what, err->why);
        wp_err_clear(err);
        return WP_AGENT_OK;
    }
    if (ng == 0) {
        wp_errf(err, WP_E_NOTFOUND, "the DNS server %s has no address for %s", r->server, r->fqdn);
        wp_err_why(err, "the name is not registered (it was removed, or never added)");
        wp_err_todo(err, "bring the Network Name online");
        return WP_AGENT_NOT_RUNNING;
    }
    if (!addrs_match(r->addrs, r->naddrs, got, ng, true)) {
        addrs_text(got, ng, got_text, sizeof got_text);
        addrs_text(r->addrs, r->naddrs, want_text, sizeof want_text);
        wp_errf(err, WP_E_CONFLICT, "the DNS server %s answers %s for %s, not %s", r->server,
                got_text, r->fqdn, want_text);
        wp_err_why(err, "someone else changed the name's records since it was registered");
        wp_err_todo(err,
                    "find who updates %s in zone %s; restarting the Network Name "
                    "registers it again",
                    r->fqdn, r->zone[0] ? r->zone : "of the name");
        return WP_AGENT_FAILED;
    }
    return deep ? check_system(r, err) : WP_AGENT_OK;
}

/* ---- hosts-file mode ------------------------------------------------------ */

static bool lock_path(const nn_req *r, char *out, size_t n, wp_err *err)
{
    const char *dir = wp_agent_run_dir(r->ctx->run_dir);
    if (!wp_fs_mkdir_p(dir, 0755, err))
        return false;
    snprintf(out, n, "%s/netname-hosts.lock", dir);
    return true;
}

static char *hosts_lines(const nn_req *r)
{
    char alias[64] = "";
    const char *dot = strchr(r->fqdn, '.');
    if (dot && (size_t)(dot - r->fqdn) < sizeof alias)
        snprintf(alias, sizeof alias, "%.*s", (int)(dot - r->fqdn), r->fqdn);
    return wp_hosts_lines(r->addrs, r->naddrs, r->fqdn, alias[0] ? alias : NULL, r->ctx->name);
}

static wp_agent_rc oom(wp_err *err)
{
    wp_errf(err, WP_E_IO, "out of memory");
    wp_err_why(err, "the agent could not allocate a few bytes");
    wp_err_todo(err, "check the node's memory");
    return WP_AGENT_FAILED;
}

static wp_agent_rc hosts_start(nn_req *r, wp_err *err)
{
    char lock[4200];
    char *lines = hosts_lines(r);
    if (!lines)
        return oom(err);
    bool ok = lock_path(r, lock, sizeof lock, err) &&
              wp_hosts_update(WP_NETNAME_HOSTS, lock, r->ctx->name, lines, err);
    free(lines);
    if (ok)
        note(r, "%s published in this node's %s (only this node sees it)", r->fqdn,
             WP_NETNAME_HOSTS);
    return ok ? WP_AGENT_OK : WP_AGENT_FAILED;
}

static wp_agent_rc hosts_stop(nn_req *r, wp_err *err)
{
    char lock[4200];
    return lock_path(r, lock, sizeof lock, err) &&
                   wp_hosts_update(WP_NETNAME_HOSTS, lock, r->ctx->name, NULL, err)
               ? WP_AGENT_OK
               : WP_AGENT_FAILED;
}

static wp_agent_rc hosts_check(nn_req *r, bool deep, wp_err *err)
{
    bool exact = false, none = false;
    char *lines = hosts_lines(r);
    if (!lines)
        return oom(err);
    bool ok = wp_hosts_has(WP_NETNAME_HOSTS, r->ctx->name, lines, &exact, err) &&
              wp_hosts_has(WP_NETNAME_HOSTS, r->ctx->name, "", &none, err);
    free(lines);
    if (!ok)
        return WP_AGENT_FAILED;
    if (none) {
        wp_errf(err, WP_E_NOTFOUND, "%s has no line for %s", WP_NETNAME_HOSTS, r->fqdn);
        wp_err_why(err, "the name is not published on this node");
        wp_err_todo(err, "bring the Network Name online");
        return WP_AGENT_NOT_RUNNING;
    }
    if (!exact) {
        wp_errf(err, WP_E_CONFLICT, "the lines of %s in %s are not what it publishes", r->ctx->name,
                WP_NETNAME_HOSTS);
        wp_err_why(err, "they were edited, or the address changed since start");
        wp_err_todo(err, "restart the Network Name; do not edit lines marked \"# wolfpack:\"");
        return WP_AGENT_FAILED;
    }
    return deep ? check_system(r, err) : WP_AGENT_OK;
}

/* ---- the operations ----------------------------------------------------------- */

static wp_agent_rc nn_validate(const wp_agent_ctx *ctx, wp_err *err)
{
    nn_req r;
    wp_tsig_key keybuf;
    const wp_tsig_key *key;
    if (!req_parse(ctx, true, &r, err) || !load_key(&r, &keybuf, &key, err))
        return WP_AGENT_FAILED;
    return WP_AGENT_OK;
}

static wp_agent_rc nn_start(const wp_agent_ctx *ctx, wp_err *err)
{
    nn_req r;
    if (!req_parse(ctx, true, &r, err))
        return WP_AGENT_FAILED;
    return r.server ? dns_start(&r, err) : hosts_start(&r, err);
}

static wp_agent_rc nn_stop(const wp_agent_ctx *ctx, wp_err *err)
{
    nn_req r;
    if (!req_parse(ctx, false, &r, err))
        return WP_AGENT_FAILED;
    return r.server ? dns_stop(&r, err) : hosts_stop(&r, err);
}

static wp_agent_rc nn_check(const wp_agent_ctx *ctx, bool deep, wp_err *err)
{
    nn_req r;
    if (!req_parse(ctx, true, &r, err))
        return WP_AGENT_FAILED;
    return r.server ? dns_check(&r, deep, err) : hosts_check(&r, deep, err);
}

static wp_agent_rc nn_quick(const wp_agent_ctx *ctx, wp_err *err)
{
    return nn_check(ctx, false, err);
}

static wp_agent_rc nn_thorough(const wp_agent_ctx *ctx, wp_err *err)
{
    return nn_check(ctx, true, err);
}

const wp_agent_type wp_agent_netname = {
    .name = "Network Name",
    .ops =
        {
            [WP_OP_VALIDATE] = nn_validate,
            [WP_OP_START] = nn_start,
            [WP_OP_STOP] = nn_stop,
            [WP_OP_QUICK_CHECK] = nn_quick,
            [WP_OP_THOROUGH_CHECK] = nn_thorough,
        },
};
