/*
 * netname_dns.c -- the Network Name's DNS side, on libldns: names and
 * addresses, bind-style TSIG key files, the RFC 2136 UPDATE messages that
 * register and release a name (TSIG-signed, RFC 8945, by ldns), and the
 * names of the server's answers (RCODE, TSIG error) for the messages a
 * person reads.  Sending and querying are in netname.c's helpers below the
 * builders (wp_netname_dns_*), so the builders stay pure for the tests.
 */
#include "netname.h"

#include <ldns/ldns.h>
#undef dprintf /* ldns/util.h's debugging macro hides POSIX dprintf */

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- names and addresses ------------------------------------------------ */

bool wp_netname_qualify(const char *hostname, const char *zone, bool need_fqdn, char *out, size_t n,
                        wp_err *err)
{
    size_t hl = hostname ? strlen(hostname) : 0;
    const char *z = zone && zone[0] ? zone : NULL;
    size_t zl = z ? strlen(z) : 0;
    int w;

    if (hl == 0) {
        wp_errf(err, WP_E_INVALID, "the Network Name has no hostname");
        wp_err_why(err, "hostname is the name to register");
        wp_err_todo(err, "set it, e.g. --prop hostname=mail");
        return false;
    }
    if (hostname[hl - 1] == '.')
        hl--;
    if (memchr(hostname, '.', hl) || !z) {
        if (!memchr(hostname, '.', hl) && need_fqdn) {
            wp_errf(err, WP_E_INVALID, "the host name \"%s\" is not fully qualified", hostname);
            wp_err_why(err, "a single label needs dns_zone to become a DNS name");
            wp_err_todo(err, "set dns_zone (e.g. --prop dns_zone=example.com) or give the full "
                             "name (hostname=mail.example.com)");
            return false;
        }
        w = snprintf(out, n, "%.*s%s", (int)hl, hostname, need_fqdn ? "." : "");
    } else {
        if (z[zl - 1] == '.')
            zl--;
        w = snprintf(out, n, "%.*s.%.*s%s", (int)hl, hostname, (int)zl, z, need_fqdn ? "." : "");
    }
    if (w < 0 || (size_t)w >= n || (size_t)w > 254) {
        wp_errf(err, WP_E_INVALID, "the name %s.%s is too long", hostname, z ? z : "");
        wp_err_why(err, "a DNS name is at most 253 characters");
        wp_err_todo(err, "use a shorter hostname or zone");
        return false;
    }
    return true;
}

bool wp_netname_in_zone(const char *fqdn, const char *zone)
{
    size_t fl = strlen(fqdn), zl = strlen(zone);
    if (fl && fqdn[fl - 1] == '.')
        fl--;
    if (zl && zone[zl - 1] == '.')
        zl--;
    if (zl == 0)
        return true; /* the root zone holds every name */
    if (fl < zl || strncasecmp(fqdn + fl - zl, zone, zl) != 0)
        return false;
    return fl == zl || fqdn[fl - zl - 1] == '.';
}

static bool parse_one_addr(const char *item, size_t len, wp_netname_addr *a, wp_err *err)
{
    char buf[64];
    const char *slash = memchr(item, '/', len);
    size_t al = slash ? (size_t)(slash - item) : len;
    if (al == 0 || al >= sizeof buf) {
        wp_errf(err, WP_E_INVALID, "\"%.*s\" is not an address", (int)len, item);
        wp_err_why(err, "address is a comma list of IPv4 or IPv6 addresses, each optionally "
                        "with /prefix");
        wp_err_todo(err, "give e.g. address=198.51.100.50");
        return false;
    }
    memcpy(buf, item, al);
    buf[al] = '\0';
    memset(a, 0, sizeof *a);
    if (inet_pton(AF_INET, buf, a->bytes) == 1)
        a->family = AF_INET;
    else if (inet_pton(AF_INET6, buf, a->bytes) == 1)
        a->family = AF_INET6;
    else {
        wp_errf(err, WP_E_INVALID, "\"%s\" is not an IP address", buf);
        wp_err_why(err, "it is neither IPv4 (a.b.c.d) nor IPv6 (x::y)");
        wp_err_todo(err, "give e.g. address=198.51.100.50");
        return false;
    }
    inet_ntop(a->family, a->bytes, a->text, sizeof a->text);
    return true;
}

bool wp_netname_parse_addrs(const char *text, wp_netname_addr *out, size_t max, size_t *n,
                            wp_err *err)
{
    *n = 0;
    const char *p = text ? text : "";
    for (bool more = *p != '\0'; more;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        more = comma != NULL; /* "a," has an empty last item: refused below */
        wp_netname_addr a;
        if (!parse_one_addr(p, len, &a, err))
            return false;
        bool dup = false;
        for (size_t i = 0; i < *n; i++)
            dup = dup || (out[i].family == a.family && memcmp(out[i].bytes, a.bytes, 16) == 0);
        if (!dup) {
            if (*n == max) {
                wp_errf(err, WP_E_INVALID, "too many addresses for one name");
                wp_err_why(err, "a Network Name registers at most %zu addresses", max);
                wp_err_todo(err, "depend on fewer IP Address resources");
                return false;
            }
            out[(*n)++] = a;
        }
        p += len + (more ? 1 : 0);
    }
    if (*n == 0) {
        wp_errf(err, WP_E_INVALID, "no address to register");
        wp_err_why(err, "the address property is empty or missing");
        wp_err_todo(err, "make the name depend on an IP Address resource (wolfpackd passes its "
                         "address), or give address=A.B.C.D");
        return false;
    }
    return true;
}

/* ---- TSIG key files ----------------------------------------------------- */

typedef struct keylex {
    const char *p;
    const char *origin;
    int line;
    char tok[600];
    bool quoted;
} keylex;

static bool key_fail(keylex *lx, wp_err *err, const char *why)
{
    wp_errf(err, WP_E_INVALID, "%s:%d: not a usable TSIG key file", lx->origin, lx->line);
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "write it as bind's tsig-keygen does: key \"NAME\" { algorithm hmac-sha256; "
                     "secret \"BASE64\"; };");
    return false;
}

static void skip_blank(keylex *lx)
{
    for (;;) {
        if (*lx->p == '\n')
            lx->line++;
        if (isspace((unsigned char)*lx->p)) {
            lx->p++;
        } else if (*lx->p == '#' || (lx->p[0] == '/' && lx->p[1] == '/')) {
            while (*lx->p && *lx->p != '\n')
                lx->p++;
        } else if (lx->p[0] == '/' && lx->p[1] == '*') {
            lx->p += 2;
            while (*lx->p && !(lx->p[0] == '*' && lx->p[1] == '/'))
                lx->line += *lx->p++ == '\n';
            if (*lx->p)
                lx->p += 2;
        } else {
            return;
        }
    }
}

/* Next token into lx->tok: a quoted string, one of "{};", or a word.
 * False at the end of the text or on a bad token (err set then). */
static bool key_next(keylex *lx, wp_err *err, bool *bad)
{
    size_t n = 0;
    *bad = false;
    skip_blank(lx);
    lx->quoted = false;
    if (!*lx->p)
        return false;
    if (strchr("{};", *lx->p)) {
        lx->tok[0] = *lx->p++;
        lx->tok[1] = '\0';
        return true;
    }
    if (*lx->p == '"') {
        lx->quoted = true;
        for (lx->p++; *lx->p && *lx->p != '"' && *lx->p != '\n'; lx->p++)
            if (n + 1 < sizeof lx->tok)
                lx->tok[n++] = *lx->p;
        if (*lx->p != '"') {
            *bad = true;
            return key_fail(lx, err, "a quoted string does not end on its line");
        }
        lx->p++;
    } else {
        while (*lx->p && !isspace((unsigned char)*lx->p) && !strchr("{};\"#", *lx->p))
            if (n + 1 < sizeof lx->tok)
                lx->tok[n++] = *lx->p++;
            else
                lx->p++;
    }
    lx->tok[n] = '\0';
    return true;
}

static bool key_expect(keylex *lx, const char *want, const char *why, wp_err *err)
{
    bool bad;
    if (!key_next(lx, err, &bad))
        return bad ? false : key_fail(lx, err, why);
    if (lx->quoted || strcmp(lx->tok, want) != 0)
        return key_fail(lx, err, why);
    return true;
}

static const struct {
    const char *name; /* as in the key file */
    const char *ldns; /* as libldns signs it */
} tsig_algs[] = {
    {"hmac-sha256", "hmac-sha256."},
    {"hmac-sha512", "hmac-sha512."},
    {"hmac-sha1", "hmac-sha1."},
    {"hmac-md5", "hmac-md5.sig-alg.reg.int."},
    {"hmac-md5.sig-alg.reg.int", "hmac-md5.sig-alg.reg.int."},
};

static bool key_algorithm(keylex *lx, wp_tsig_key *key, wp_err *err)
{
    for (size_t i = 0; i < sizeof tsig_algs / sizeof tsig_algs[0]; i++) {
        if (strcasecmp(lx->tok, tsig_algs[i].name) == 0) {
            snprintf(key->algorithm, sizeof key->algorithm, "%s", tsig_algs[i].ldns);
            return true;
        }
    }
    char why[200];
    snprintf(why, sizeof why,
             "algorithm \"%.60s\" is not one wolfpack can sign with (hmac-sha256, "
             "hmac-sha512, hmac-sha1, hmac-md5)",
             lx->tok);
    return key_fail(lx, err, why);
}

static bool key_secret(keylex *lx, wp_tsig_key *key, wp_err *err)
{
    size_t n = strlen(lx->tok);
    if (!lx->quoted || n == 0 || n >= sizeof key->secret)
        return key_fail(lx, err, "the secret is a quoted, non-empty base64 string");
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)lx->tok[i]) && !strchr("+/=", lx->tok[i]))
            return key_fail(lx, err, "the secret is not base64 (letters, digits, + / =)");
    memcpy(key->secret, lx->tok, n + 1);
    return true;
}

static bool key_body(keylex *lx, wp_tsig_key *key, wp_err *err)
{
    bool bad;
    for (;;) {
        if (!key_next(lx, err, &bad))
            return bad ? false : key_fail(lx, err, "the key's \"}\" is missing");
        if (!lx->quoted && strcmp(lx->tok, "}") == 0)
            return true;
        bool alg = !lx->quoted && strcmp(lx->tok, "algorithm") == 0;
        bool sec = !lx->quoted && strcmp(lx->tok, "secret") == 0;
        if (!alg && !sec) {
            char why[160];
            snprintf(why, sizeof why,
                     "\"%.60s\" is not a key statement (only algorithm and secret are)", lx->tok);
            return key_fail(lx, err, why);
        }
        if (!key_next(lx, err, &bad))
            return bad ? false : key_fail(lx, err, "the file ends inside the key");
        if (alg ? !key_algorithm(lx, key, err) : !key_secret(lx, key, err))
            return false;
        if (!key_expect(lx, ";", "a statement ends with \";\"", err))
            return false;
    }
}

bool wp_tsig_key_parse(const char *text, const char *origin, wp_tsig_key *key, wp_err *err)
{
    keylex lx = {.p = text, .origin = origin ? origin : "key", .line = 1};
    bool bad;
    memset(key, 0, sizeof *key);
    if (!key_expect(&lx, "key", "the file does not start with a key statement", err))
        return false;
    if (!key_next(&lx, err, &bad))
        return bad ? false : key_fail(&lx, err, "the key has no name");
    size_t n = strlen(lx.tok);
    ldns_rdf *dn = n ? ldns_dname_new_frm_str(lx.tok) : NULL;
    bool name_ok = dn && n + 2 <= sizeof key->name && !strchr("{};", lx.tok[0]);
    ldns_rdf_deep_free(dn);
    if (!name_ok)
        return key_fail(&lx, err, "the key's name is not a domain name");
    snprintf(key->name, sizeof key->name, "%s%s", lx.tok, lx.tok[n - 1] == '.' ? "" : ".");
    if (!key_expect(&lx, "{", "the key's name is followed by \"{\"", err) ||
        !key_body(&lx, key, err) || !key_expect(&lx, ";", "the key ends with \"};\"", err))
        return false;
    if (!key->algorithm[0] || !key->secret[0])
        return key_fail(&lx, err,
                        key->secret[0] ? "the key has no algorithm" : "the key has no secret");
    if (key_next(&lx, err, &bad) || bad)
        return bad ? false : key_fail(&lx, err, "something follows the key (one key per file)");
    return true;
}

/* A key file must be root's and readable by nobody else: whoever can read
 * it can change the zone's records, whoever can write it chooses the key
 * (docs/SECURITY.md, "Values refused"). */
static bool key_file_private(const char *path, const struct stat *st, wp_err *err)
{
    const char *why = NULL;
    if (!S_ISREG(st->st_mode))
        why = "it is not a regular file";
    else if (st->st_uid != 0)
        why = "it is not owned by root";
    else if (st->st_mode & 0077)
        why = (st->st_mode & 0022) ? "its group or other users may write it"
                                   : "its group or other users may read it";
    if (!why)
        return true;
    wp_errf(err, WP_E_PERM, "the TSIG key file %s is not private (mode %04o, owner uid %u)", path,
            (unsigned)(st->st_mode & 07777), (unsigned)st->st_uid);
    wp_err_why(err, "%s: anyone who can read the key can change the zone's records", why);
    wp_err_todo(err, "chown root:root %s && chmod 0600 %s (on every node)", path, path);
    return false;
}

bool wp_tsig_key_load(const char *path, wp_tsig_key *key, wp_err *err)
{
    char buf[8192];
    FILE *f = fopen(path, "re");
    if (!f) {
        wp_errf(err, WP_E_NOTFOUND, "cannot read the TSIG key file %s", path);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err,
                    "copy the zone's update key to %s on every node (mode 0600), or fix "
                    "tsig_key_file",
                    path);
        return false;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !key_file_private(path, &st, err)) {
        fclose(f);
        return false;
    }
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    bool big = n == sizeof buf - 1 && fgetc(f) != EOF;
    fclose(f);
    buf[n] = '\0';
    if (big || memchr(buf, '\0', n)) {
        wp_errf(err, WP_E_INVALID, "%s is not a TSIG key file", path);
        wp_err_why(err, "it is larger than 8 KiB or holds NUL bytes");
        wp_err_todo(err, "point tsig_key_file at a key file made by tsig-keygen");
        return false;
    }
    return wp_tsig_key_parse(buf, path, key, err);
}

/* ---- UPDATE messages ---------------------------------------------------- */

static bool build_fail(wp_err *err, const char *what)
{
    wp_errf(err, WP_E_INVALID, "cannot build the DNS update: %s", what);
    wp_err_why(err, "libldns refused the name or record");
    wp_err_todo(err, "check hostname and dns_zone");
    return false;
}

/* An RR without rdata: class ANY = "delete the RRset" (RFC 2136 2.5.2). */
static ldns_rr *rr_bare(const char *fqdn, ldns_rr_type type, ldns_rr_class cls)
{
    ldns_rdf *owner = ldns_dname_new_frm_str(fqdn);
    ldns_rr *rr = owner ? ldns_rr_new() : NULL;
    if (!rr) {
        ldns_rdf_deep_free(owner);
        return NULL;
    }
    ldns_rr_set_owner(rr, owner);
    ldns_rr_set_type(rr, type);
    ldns_rr_set_class(rr, cls);
    ldns_rr_set_ttl(rr, 0);
    return rr;
}

static ldns_rr *rr_with(const char *fqdn, ldns_rr_type type, ldns_rr_class cls, uint32_t ttl,
                        ldns_rdf_type rdtype, const char *value)
{
    ldns_rdf *rd = ldns_rdf_new_frm_str(rdtype, value);
    ldns_rr *rr = rd ? rr_bare(fqdn, type, cls) : NULL;
    if (!rr) {
        ldns_rdf_deep_free(rd);
        return NULL;
    }
    ldns_rr_set_ttl(rr, ttl);
    ldns_rr_push_rdf(rr, rd);
    return rr;
}

static bool push(ldns_rr_list *l, ldns_rr *rr)
{
    if (!rr)
        return false;
    if (!ldns_rr_list_push_rr(l, rr)) {
        ldns_rr_free(rr);
        return false;
    }
    return true;
}

static ldns_pkt *make_update(const char *zone, ldns_rr_list *pre, ldns_rr_list *up, wp_err *err)
{
    ldns_rdf *z = ldns_dname_new_frm_str(zone);
    ldns_pkt *p = z ? ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, pre, up, NULL) : NULL;
    if (!z)
        build_fail(err, "the zone is not a domain name");
    else if (!p)
        build_fail(err, "out of memory");
    if (p) {
        ldns_pkt_set_rd(p, false); /* RFC 2136 2.2: the update header has no RD */
        ldns_pkt_set_random_id(p);
    }
    ldns_rr_list_deep_free(pre);
    ldns_rr_list_deep_free(up);
    return p;
}

ldns_pkt *wp_netname_update_register(const char *zone, const char *fqdn,
                                     const wp_netname_addr *addrs, size_t naddrs, long ttl,
                                     const char *owner, const char *const *old_owners, size_t nold,
                                     wp_err *err)
{
    ldns_rr_list *up = ldns_rr_list_new();
    bool ok = up && push(up, rr_bare(fqdn, LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY)) &&
              push(up, rr_bare(fqdn, LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_ANY));
    for (size_t i = 0; ok && i < nold; i++) /* class NONE: delete this RR only */
        ok = push(up, rr_with(fqdn, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_NONE, 0, LDNS_RDF_TYPE_STR,
                              old_owners[i]));
    for (size_t i = 0; ok && i < naddrs; i++) {
        bool v4 = addrs[i].family == AF_INET;
        ok = push(up,
                  rr_with(fqdn, v4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN,
                          (uint32_t)ttl, v4 ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA, addrs[i].text));
    }
    ok = ok && push(up, rr_with(fqdn, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, (uint32_t)ttl,
                                LDNS_RDF_TYPE_STR, owner));
    if (!ok) {
        ldns_rr_list_deep_free(up);
        build_fail(err, "a record could not be made");
        return NULL;
    }
    return make_update(zone, NULL, up, err);
}

ldns_pkt *wp_netname_update_release(const char *zone, const char *fqdn, const char *owner,
                                    wp_err *err)
{
    ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
    /* prerequisite "RR exists (value dependent)", RFC 2136 2.4.2: class IN, TTL 0 */
    bool ok =
        pre && up &&
        push(pre, rr_with(fqdn, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 0, LDNS_RDF_TYPE_STR, owner)) &&
        push(up, rr_bare(fqdn, LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY)) &&
        push(up, rr_bare(fqdn, LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_ANY)) &&
        push(up, rr_with(fqdn, LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_NONE, 0, LDNS_RDF_TYPE_STR, owner));
    if (!ok) {
        ldns_rr_list_deep_free(pre);
        ldns_rr_list_deep_free(up);
        build_fail(err, "a record could not be made");
        return NULL;
    }
    return make_update(zone, pre, up, err);
}

void wp_netname_owner_text(const char *node, const char *resource, char *out, size_t n)
{
    snprintf(out, n, WP_NETNAME_OWNER_TAG "%s resource=%s", node, resource);
    for (char *p = out + strlen(WP_NETNAME_OWNER_TAG); *p; p++) {
        if (strncmp(p, " resource=", 10) == 0) {
            p += 9;
            continue;
        }
        if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
            *p = '_';
    }
}

/* ---- answer names ------------------------------------------------------- */

const char *wp_dns_rcode_name(int rcode)
{
    static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                        "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                        "NXRRSET", "NOTAUTH", "NOTZONE"};
    if (rcode >= 0 && rcode < (int)(sizeof names / sizeof names[0]))
        return names[rcode];
    return "an unknown RCODE";
}

const char *wp_dns_tsig_error_name(int error)
{
    switch (error) {
    case 0:
        return "NOERROR";
    case 16:
        return "BADSIG";
    case 17:
        return "BADKEY";
    case 18:
        return "BADTIME";
    case 22:
        return "BADTRUNC";
    }
    return "an unknown TSIG error";
}
