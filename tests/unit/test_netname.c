/*
 * test_netname.c -- the pure half of the Network Name agent
 * (src/agents/netname*.c): name qualification, the address list, TSIG key
 * files (good and bad), the RFC 2136 UPDATE messages built with libldns for
 * a known input (every section and record checked, also after a round trip
 * through wire format), answer names, and the hosts-file edit on a temporary
 * file (idempotent, other lines untouched).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <ldns/ldns.h>
#undef dprintf

#include "../../src/agents/netname.h"

static void assert_full_error(const wp_err *e)
{
    assert_true(e->what[0] != '\0');
    assert_true(e->why[0] != '\0');
    assert_true(e->todo[0] != '\0');
}

/* ---- names ------------------------------------------------------------------ */

static void test_qualify(void **state)
{
    char out[WP_NETNAME_FQDN_MAX];
    wp_err e = {0};
    (void)state;
    assert_true(wp_netname_qualify("mail", "wptc.test.", true, out, sizeof out, &e));
    assert_string_equal(out, "mail.wptc.test.");
    assert_true(wp_netname_qualify("mail", "wptc.test", true, out, sizeof out, &e));
    assert_string_equal(out, "mail.wptc.test.");
    /* a dotted name is fully qualified: the zone is not appended */
    assert_true(wp_netname_qualify("mail.example.com", "wptc.test", true, out, sizeof out, &e));
    assert_string_equal(out, "mail.example.com.");
    /* hosts-file mode: no trailing dot; a bare label stays bare */
    assert_true(wp_netname_qualify("mail", "wptc.test", false, out, sizeof out, &e));
    assert_string_equal(out, "mail.wptc.test");
    assert_true(wp_netname_qualify("mail", NULL, false, out, sizeof out, &e));
    assert_string_equal(out, "mail");
    /* DNS needs a zone for a bare label */
    assert_false(wp_netname_qualify("mail", NULL, true, out, sizeof out, &e));
    assert_non_null(strstr(e.what, "not fully qualified"));
    assert_full_error(&e);
    assert_false(wp_netname_qualify("", "wptc.test", true, out, sizeof out, &e));
    assert_full_error(&e);
    /* too long for DNS */
    char label[64], zone[400] = "";
    memset(label, 'a', 63);
    label[63] = '\0';
    for (int i = 0; i < 4; i++) /* 4 x 64 + "test": over 253 */
        strcat(strcat(zone, label), ".");
    strcat(zone, "test");
    assert_false(wp_netname_qualify("mail", zone, true, out, sizeof out, &e));
    assert_full_error(&e);
}

static void test_in_zone(void **state)
{
    (void)state;
    assert_true(wp_netname_in_zone("mail.wptc.test.", "wptc.test."));
    assert_true(wp_netname_in_zone("mail.WPTC.test.", "wptc.test"));
    assert_true(wp_netname_in_zone("wptc.test.", "wptc.test."));
    assert_true(wp_netname_in_zone("a.b.wptc.test.", "wptc.test."));
    assert_false(wp_netname_in_zone("mail.xwptc.test.", "wptc.test."));
    assert_false(wp_netname_in_zone("mail.other.test.", "wptc.test."));
    assert_false(wp_netname_in_zone("test.", "wptc.test."));
}

static void test_addrs(void **state)
{
    wp_netname_addr a[WP_NETNAME_MAX_ADDRS];
    size_t n;
    wp_err e = {0};
    (void)state;
    assert_true(wp_netname_parse_addrs("198.51.100.50/24", a, 8, &n, &e));
    assert_int_equal(n, 1);
    assert_int_equal(a[0].family, AF_INET);
    assert_string_equal(a[0].text, "198.51.100.50");
    assert_true(
        wp_netname_parse_addrs("198.51.100.50,2001:DB8::50/64,198.51.100.50", a, 8, &n, &e));
    assert_int_equal(n, 2); /* the duplicate is dropped */
    assert_int_equal(a[1].family, AF_INET6);
    assert_string_equal(a[1].text, "2001:db8::50");
    const char *bad[] = {"",
                         "mail",
                         "198.51.100.50,",
                         ",198.51.100.50",
                         "198.51.100.256",
                         "/24",
                         "198.51.100.50,,198.51.100.51"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&e, 0, sizeof e);
        if (wp_netname_parse_addrs(bad[i], a, 8, &n, &e))
            fail_msg("\"%s\" was accepted", bad[i]);
        assert_full_error(&e);
    }
    assert_false(wp_netname_parse_addrs("198.51.100.1,198.51.100.2,198.51.100.3", a, 2, &n, &e));
    assert_non_null(strstr(e.what, "too many"));
}

/* ---- TSIG key files ----------------------------------------------------------- */

static const char good_key[] = "key \"wptc-update\" {\n"
                               "\talgorithm hmac-sha256;\n"
                               "\tsecret \"c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=\";\n"
                               "};\n";

static void test_key_good(void **state)
{
    wp_tsig_key k;
    wp_err e = {0};
    (void)state;
    assert_true(wp_tsig_key_parse(good_key, "k", &k, &e));
    assert_string_equal(k.name, "wptc-update.");
    assert_string_equal(k.algorithm, "hmac-sha256.");
    assert_string_equal(k.secret, "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=");
    /* comments, another order, unquoted name with a dot, other algorithms */
    assert_true(wp_tsig_key_parse("# made by hand\n// twice\n/* and\n so */ key ddns.key. {\n"
                                  "  secret \"AAAA\"; algorithm HMAC-SHA512; };",
                                  "k", &k, &e));
    assert_string_equal(k.name, "ddns.key.");
    assert_string_equal(k.algorithm, "hmac-sha512.");
    assert_true(wp_tsig_key_parse("key k { algorithm hmac-md5; secret \"AAAA\"; };", "k", &k, &e));
    assert_string_equal(k.algorithm, "hmac-md5.sig-alg.reg.int.");
}

static void test_key_bad(void **state)
{
    static const struct {
        const char *text;
        const char *why; /* a piece of the reason */
    } bad[] = {
        {"", "does not start with a key"},
        {"options { };", "does not start with a key"},
        {"key { algorithm hmac-sha256; secret \"AAAA\"; };", "not a domain name"},
        {"key k algorithm hmac-sha256; secret \"AAAA\"; };", "followed by \"{\""},
        {"key k { algorithm hmac-sha384; secret \"AAAA\"; };", "hmac-sha384"},
        {"key k { algorithm hmac-sha256; secret AAAA; };", "quoted"},
        {"key k { algorithm hmac-sha256; secret \"AA AA\"; };", "not base64"},
        {"key k { algorithm hmac-sha256; secret \"AAAA; };", "does not end"},
        {"key k { algorithm hmac-sha256 secret \"AAAA\"; };", "ends with \";\""},
        {"key k { secret \"AAAA\"; };", "no algorithm"},
        {"key k { algorithm hmac-sha256; };", "no secret"},
        {"key k { algorithm hmac-sha256; secret \"AAAA\"; ", "\"}\" is missing"},
        {"key k { algorithm hmac-sha256; secret \"AAAA\"; }", "ends with \"};\""},
        {"key k { algorithm hmac-sha256; secret \"AAAA\"; keyid 3; };", "not a key statement"},
        {"key k { algorithm hmac-sha256; secret \"AAAA\"; };\nkey j { };", "one key per file"},
    };
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wp_tsig_key k;
        wp_err e = {0};
        if (wp_tsig_key_parse(bad[i].text, "/etc/wolfpack/tsig.key", &k, &e))
            fail_msg("case %zu accepted: %s", i, bad[i].text);
        assert_full_error(&e);
        if (!strstr(e.why, bad[i].why))
            fail_msg("case %zu: why \"%s\" lacks \"%s\"", i, e.why, bad[i].why);
        assert_non_null(strstr(e.what, "/etc/wolfpack/tsig.key:"));
    }
    /* the line number points at the trouble */
    wp_tsig_key k;
    wp_err e = {0};
    assert_false(
        wp_tsig_key_parse("key k {\n algorithm hmac-sha256;\n secret AAAA;\n};", "f", &k, &e));
    assert_non_null(strstr(e.what, "f:3:"));
}

static void test_key_load(void **state)
{
    char path[] = "/tmp/test_netname_keyXXXXXX";
    wp_tsig_key k;
    wp_err e = {0};
    (void)state;
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, good_key, strlen(good_key)), (ssize_t)strlen(good_key));
    close(fd);
    assert_true(wp_tsig_key_load(path, &k, &e));
    assert_string_equal(k.name, "wptc-update.");
    unlink(path);
    assert_false(wp_tsig_key_load(path, &k, &e));
    assert_non_null(strstr(e.what, path));
    assert_full_error(&e);
}

/* ---- UPDATE messages ----------------------------------------------------------- */

static void assert_rr(const ldns_rr *rr, const char *owner, ldns_rr_type type, ldns_rr_class cls,
                      uint32_t ttl, const char *rdata)
{
    char *o = ldns_rdf2str(ldns_rr_owner(rr));
    assert_string_equal(o, owner);
    free(o);
    assert_int_equal(ldns_rr_get_type(rr), type);
    assert_int_equal(ldns_rr_get_class(rr), cls);
    assert_int_equal(ldns_rr_ttl(rr), ttl);
    if (!rdata) {
        assert_int_equal(ldns_rr_rd_count(rr), 0);
        return;
    }
    assert_int_equal(ldns_rr_rd_count(rr), 1);
    char *r = ldns_rdf2str(ldns_rr_rdf(rr, 0));
    assert_string_equal(r, rdata);
    free(r);
}

/* The packet, written to wire format and read back (what the server gets). */
static ldns_pkt *round_trip(ldns_pkt *p)
{
    uint8_t *wire = NULL;
    size_t len = 0;
    ldns_pkt *back = NULL;
    assert_int_equal(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
    assert_int_equal(ldns_wire2pkt(&back, wire, len), LDNS_STATUS_OK);
    free(wire);
    ldns_pkt_free(p);
    return back;
}

static void assert_zone_section(const ldns_pkt *p, const char *zone)
{
    assert_int_equal(ldns_pkt_get_opcode(p), LDNS_PACKET_UPDATE);
    assert_false(ldns_pkt_rd(p));
    assert_int_equal(ldns_update_zocount(p), 1);
    const ldns_rr *z = ldns_rr_list_rr(ldns_pkt_question(p), 0);
    char *o = ldns_rdf2str(ldns_rr_owner(z));
    assert_string_equal(o, zone);
    free(o);
    assert_int_equal(ldns_rr_get_type(z), LDNS_RR_TYPE_SOA);
    assert_int_equal(ldns_rr_get_class(z), LDNS_RR_CLASS_IN);
}

static void test_update_register(void **state)
{
    wp_netname_addr a[2];
    size_t n;
    wp_err e = {0};
    (void)state;
    assert_true(wp_netname_parse_addrs("198.51.100.50,2001:db8::50", a, 2, &n, &e));
    const char *old[] = {"wolfpack-owner=n2 resource=mail"};
    ldns_pkt *p = wp_netname_update_register("wptc.test.", "mail.wptc.test.", a, n, 20,
                                             "wolfpack-owner=n1 resource=mail", old, 1, &e);
    assert_non_null(p);
    p = round_trip(p);
    assert_zone_section(p, "wptc.test.");
    assert_int_equal(ldns_update_prcount(p), 0);
    assert_int_equal(ldns_update_upcount(p), 6);
    const ldns_rr_list *up = ldns_pkt_authority(p);
    /* delete the A and AAAA RRsets (class ANY, TTL 0, no rdata) */
    assert_rr(ldns_rr_list_rr(up, 0), "mail.wptc.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY, 0,
              NULL);
    assert_rr(ldns_rr_list_rr(up, 1), "mail.wptc.test.", LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_ANY, 0,
              NULL);
    /* delete the previous owner's record only (class NONE) */
    assert_rr(ldns_rr_list_rr(up, 2), "mail.wptc.test.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_NONE, 0,
              "\"wolfpack-owner=n2 resource=mail\"");
    /* add ours */
    assert_rr(ldns_rr_list_rr(up, 3), "mail.wptc.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 20,
              "198.51.100.50");
    assert_rr(ldns_rr_list_rr(up, 4), "mail.wptc.test.", LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN, 20,
              "2001:db8::50");
    assert_rr(ldns_rr_list_rr(up, 5), "mail.wptc.test.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_IN, 20,
              "\"wolfpack-owner=n1 resource=mail\"");
    assert_int_equal(ldns_pkt_arcount(p), 0); /* not signed yet */
    ldns_pkt_free(p);
}

static void test_update_release(void **state)
{
    wp_err e = {0};
    (void)state;
    ldns_pkt *p = wp_netname_update_release("wptc.test.", "mail.wptc.test.",
                                            "wolfpack-owner=n1 resource=mail", &e);
    assert_non_null(p);
    p = round_trip(p);
    assert_zone_section(p, "wptc.test.");
    /* prerequisite: our owner record exists (class IN, TTL 0, with rdata) */
    assert_int_equal(ldns_update_prcount(p), 1);
    assert_rr(ldns_rr_list_rr(ldns_pkt_answer(p), 0), "mail.wptc.test.", LDNS_RR_TYPE_TXT,
              LDNS_RR_CLASS_IN, 0, "\"wolfpack-owner=n1 resource=mail\"");
    assert_int_equal(ldns_update_upcount(p), 3);
    const ldns_rr_list *up = ldns_pkt_authority(p);
    assert_rr(ldns_rr_list_rr(up, 0), "mail.wptc.test.", LDNS_RR_TYPE_A, LDNS_RR_CLASS_ANY, 0,
              NULL);
    assert_rr(ldns_rr_list_rr(up, 1), "mail.wptc.test.", LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_ANY, 0,
              NULL);
    assert_rr(ldns_rr_list_rr(up, 2), "mail.wptc.test.", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_NONE, 0,
              "\"wolfpack-owner=n1 resource=mail\"");
    ldns_pkt_free(p);
}

static void test_update_signed(void **state)
{
    wp_netname_addr a[1];
    size_t n;
    wp_tsig_key k;
    wp_err e = {0};
    (void)state;
    assert_true(wp_netname_parse_addrs("198.51.100.50", a, 1, &n, &e));
    assert_true(wp_tsig_key_parse(good_key, "k", &k, &e));
    ldns_pkt *p =
        wp_netname_update_register("wptc.test.", "mail.wptc.test.", a, n, 20, "o", NULL, 0, &e);
    assert_non_null(p);
    /* what send_update does: sign with the key through a resolver */
    ldns_resolver *r = ldns_resolver_new();
    ldns_resolver_set_tsig_keyname(r, k.name);
    ldns_resolver_set_tsig_algorithm(r, k.algorithm);
    ldns_resolver_set_tsig_keydata(r, k.secret);
    assert_int_equal(ldns_update_pkt_tsig_add(p, r), LDNS_STATUS_OK);
    ldns_resolver_deep_free(r);
    p = round_trip(p);
    const ldns_rr *t = ldns_pkt_tsig(p);
    assert_non_null(t);
    char *o = ldns_rdf2str(ldns_rr_owner(t));
    assert_string_equal(o, "wptc-update.");
    free(o);
    char *alg = ldns_rdf2str(ldns_rr_rdf(t, 0));
    assert_string_equal(alg, "hmac-sha256.");
    free(alg);
    ldns_pkt_free(p);
}

static void test_update_bad_input(void **state)
{
    wp_netname_addr a[1];
    size_t n;
    wp_err e = {0};
    (void)state;
    assert_true(wp_netname_parse_addrs("198.51.100.50", a, 1, &n, &e));
    char longname[400];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_null(wp_netname_update_register("wptc.test.", longname, a, n, 20, "o", NULL, 0, &e));
    assert_full_error(&e);
    assert_null(wp_netname_update_release(longname, "mail.wptc.test.", "o", &e));
    assert_full_error(&e);
}

static void test_owner_and_names(void **state)
{
    char out[256];
    (void)state;
    wp_netname_owner_text("n1", "mail", out, sizeof out);
    assert_string_equal(out, "wolfpack-owner=n1 resource=mail");
    wp_netname_owner_text("n1", "Cluster Name", out, sizeof out);
    assert_string_equal(out, "wolfpack-owner=n1 resource=Cluster_Name");
    wp_netname_owner_text("n\"1", "a\\b", out, sizeof out);
    assert_string_equal(out, "wolfpack-owner=n_1 resource=a_b");
    assert_string_equal(wp_dns_rcode_name(5), "REFUSED");
    assert_string_equal(wp_dns_rcode_name(9), "NOTAUTH");
    assert_string_equal(wp_dns_rcode_name(8), "NXRRSET");
    assert_string_equal(wp_dns_rcode_name(99), "an unknown RCODE");
    assert_string_equal(wp_dns_tsig_error_name(16), "BADSIG");
    assert_string_equal(wp_dns_tsig_error_name(17), "BADKEY");
    assert_string_equal(wp_dns_tsig_error_name(18), "BADTIME");
}

/* ---- hosts file ----------------------------------------------------------------- */

static const char hosts0[] = "127.0.0.1\tlocalhost\n"
                             "# a comment # wolfpack:mail in the middle stays\n"
                             "198.51.100.9 other # wolfpack:mailx\n"
                             "198.51.100.8 stale # wolfpack:mail\n"
                             "::1 localhost ip6-localhost";

static void test_hosts_edit(void **state)
{
    (void)state;
    char *lines = NULL;
    wp_netname_addr a[2];
    size_t n;
    wp_err e = {0};
    assert_true(wp_netname_parse_addrs("198.51.100.50,2001:db8::50", a, 2, &n, &e));
    lines = wp_hosts_lines(a, n, "mail.wptc.test", "mail", "mail");
    assert_string_equal(lines, "198.51.100.50 mail.wptc.test mail # wolfpack:mail\n"
                               "2001:db8::50 mail.wptc.test mail # wolfpack:mail\n");
    char *one = wp_hosts_edit(hosts0, "mail", lines);
    assert_string_equal(one, "127.0.0.1\tlocalhost\n"
                             "# a comment # wolfpack:mail in the middle stays\n"
                             "198.51.100.9 other # wolfpack:mailx\n"
                             "::1 localhost ip6-localhost\n"
                             "198.51.100.50 mail.wptc.test mail # wolfpack:mail\n"
                             "2001:db8::50 mail.wptc.test mail # wolfpack:mail\n");
    char *two = wp_hosts_edit(one, "mail", lines); /* idempotent */
    assert_string_equal(two, one);
    char *gone = wp_hosts_edit(two, "mail", NULL);
    assert_string_equal(gone, "127.0.0.1\tlocalhost\n"
                              "# a comment # wolfpack:mail in the middle stays\n"
                              "198.51.100.9 other # wolfpack:mailx\n"
                              "::1 localhost ip6-localhost\n");
    char *bare = wp_hosts_lines(a, 1, "mail", NULL, "Cluster Name");
    assert_string_equal(bare, "198.51.100.50 mail # wolfpack:Cluster Name\n");
    free(bare);
    free(gone);
    free(two);
    free(one);
    free(lines);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = calloc(1, 65536);
    assert_non_null(f);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_hosts_file(void **state)
{
    char dir[] = "/tmp/test_netname_hostsXXXXXX";
    char path[128], lock[128];
    wp_netname_addr a[1];
    size_t n;
    wp_err e = {0};
    bool has;
    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/hosts", dir);
    snprintf(lock, sizeof lock, "%s/lock", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(hosts0, f);
    fclose(f);
    assert_true(wp_netname_parse_addrs("198.51.100.50", a, 1, &n, &e));
    char *lines = wp_hosts_lines(a, n, "mail.wptc.test", "mail", "mail");

    assert_true(wp_hosts_has(path, "mail", lines, &has, &e));
    assert_false(has); /* the stale line is not ours */
    assert_true(wp_hosts_update(path, lock, "mail", lines, &e));
    assert_true(wp_hosts_has(path, "mail", lines, &has, &e));
    assert_true(has);
    char *after1 = slurp(path);
    assert_non_null(strstr(after1, "198.51.100.9 other # wolfpack:mailx\n"));
    assert_null(strstr(after1, "stale"));
    assert_true(wp_hosts_update(path, lock, "mail", lines, &e));
    char *after2 = slurp(path);
    assert_string_equal(after1, after2); /* idempotent */
    assert_true(wp_hosts_update(path, lock, "mail", NULL, &e));
    char *after3 = slurp(path);
    assert_string_equal(after3, "127.0.0.1\tlocalhost\n"
                                "# a comment # wolfpack:mail in the middle stays\n"
                                "198.51.100.9 other # wolfpack:mailx\n"
                                "::1 localhost ip6-localhost\n");
    assert_true(wp_hosts_has(path, "mail", "", &has, &e));
    assert_true(has);                                           /* no line left */
    assert_true(wp_hosts_update(path, lock, "mail", NULL, &e)); /* absent: fine */

    /* a missing file is an empty one */
    unlink(path);
    assert_true(wp_hosts_update(path, lock, "mail", lines, &e));
    char *fresh = slurp(path);
    assert_string_equal(fresh, lines);
    /* an unwritable place fails with a full error */
    assert_false(wp_hosts_update("/nonexistent-dir/hosts", lock, "mail", lines, &e));
    assert_full_error(&e);

    free(fresh);
    free(after3);
    free(after2);
    free(after1);
    free(lines);
    unlink(path);
    unlink(lock);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qualify),         cmocka_unit_test(test_in_zone),
        cmocka_unit_test(test_addrs),           cmocka_unit_test(test_key_good),
        cmocka_unit_test(test_key_bad),         cmocka_unit_test(test_key_load),
        cmocka_unit_test(test_update_register), cmocka_unit_test(test_update_release),
        cmocka_unit_test(test_update_signed),   cmocka_unit_test(test_update_bad_input),
        cmocka_unit_test(test_owner_and_names), cmocka_unit_test(test_hosts_edit),
        cmocka_unit_test(test_hosts_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
