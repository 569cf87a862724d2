/*
 * ip.c -- the "IP Address" agent: a real address on a real interface.
 *
 *   start     choose the interface (the `interface` property, or the one
 *             interface that already holds an address in the target's
 *             subnet), add the address with libnl-route (rtnl_addr_add),
 *             then announce it (first round before start returns, the rest
 *             from a detached process): IPv4 with gratuitous ARP (a request and a
 *             reply per round, WP_IP_ARP_ROUNDS rounds, from a raw AF_PACKET
 *             socket -- no arping needed); IPv6 with unsolicited neighbour
 *             advertisements (override flag) to ff02::1.  IPv6 addresses are
 *             added with IFA_F_NODAD so they are usable at once (the cluster
 *             guarantees a single owner; DAD would only delay failover).
 *   stop      remove it; an absent address is success.
 *   quick     the address is on the interface.
 *   thorough  quick, and the link is up with carrier, and the address did
 *             not fail duplicate address detection.
 *
 * The interface choice is a pure function (wp_ip_pick_iface) so the unit
 * tests drive it with lists of their own.
 */
#include "agent.h"
#include "../lib/clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/if_ether.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#define WP_IP_ARP_ROUNDS 3
#define WP_IP_ARP_GAP_MS 500

/* ---- Pure parts ---------------------------------------------------------- */

bool wp_ip_parse(const char *text, int *family, unsigned char addr[16], int *prefixlen, wp_err *err)
{
    char host[64];
    const char *slash = text ? strchr(text, '/') : NULL;
    char *end = NULL;
    long p = slash ? strtol(slash + 1, &end, 10) : -1;
    size_t hl = slash ? (size_t)(slash - text) : 0;
    memset(addr, 0, 16);
    if (slash && hl < sizeof host && end && *end == '\0' && end != slash + 1) {
        memcpy(host, text, hl);
        host[hl] = '\0';
        if (inet_pton(AF_INET, host, addr) == 1 && p >= 0 && p <= 32) {
            *family = AF_INET;
            *prefixlen = (int)p;
            return true;
        }
        if (inet_pton(AF_INET6, host, addr) == 1 && p >= 0 && p <= 128) {
            *family = AF_INET6;
            *prefixlen = (int)p;
            return true;
        }
    }
    wp_errf(err, WP_E_INVALID, "\"%s\" is not an address with a prefix length", text ? text : "");
    wp_err_why(err, "an IP Address resource needs ADDRESS/PREFIX, IPv4 (prefix 0-32) or IPv6 "
                    "(prefix 0-128)");
    wp_err_todo(err, "set address like 198.51.100.10/24 or 2001:db8::10/64");
    return false;
}

/* Do a and b agree on their first bits bits? */
static bool same_prefix(const unsigned char *a, const unsigned char *b, int bits)
{
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)whole) != 0)
        return false;
    if (rest == 0)
        return true;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

bool wp_ip_pick_iface(const wp_ip_ifaddr *list, size_t n, int family, const unsigned char addr[16],
                      int prefixlen, char ifname[32], wp_err *err)
{
    char found[256] = "";
    int nfound = 0;
    ifname[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        const wp_ip_ifaddr *a = &list[i];
        if (a->family != family || !same_prefix(a->addr, addr, prefixlen))
            continue;
        if (nfound > 0 && strcmp(ifname, a->ifname) == 0)
            continue;
        if (nfound == 0)
            snprintf(ifname, 32, "%s", a->ifname);
        size_t used = strlen(found);
        snprintf(found + used, sizeof found - used, "%s%s", nfound ? ", " : "", a->ifname);
        nfound++;
    }
    char text[INET6_ADDRSTRLEN] = "?";
    inet_ntop(family, addr, text, sizeof text);
    if (nfound == 1)
        return true;
    ifname[0] = '\0';
    if (nfound == 0) {
        wp_errf(err, WP_E_NOTFOUND, "no interface for %s/%d", text, prefixlen);
        wp_err_why(err, "no interface of this node has an address in that subnet, so none can "
                        "carry it");
        wp_err_todo(err, "give the node an address in that subnet, or set the resource's "
                         "interface property");
    } else {
        wp_errf(err, WP_E_CONFLICT, "several interfaces could carry %s/%d", text, prefixlen);
        wp_err_why(err, "%s all have an address in that subnet", found);
        wp_err_todo(err, "set the resource's interface property to the one to use");
    }
    return false;
}

/* ---- The kernel's view, through libnl ------------------------------------ */

typedef struct ipnl {
    struct nl_sock *sk;
    struct nl_cache *links;
    struct nl_cache *addrs;
} ipnl;

/* What a resource asks for, parsed. */
typedef struct ipreq {
    int family;
    unsigned char addr[16];
    int prefixlen;
    const char *ifname; /* NULL: choose */
    char text[64];      /* the address without prefix, for messages */
} ipreq;

static void ipnl_close(ipnl *nl)
{
    if (nl->addrs)
        nl_cache_free(nl->addrs);
    if (nl->links)
        nl_cache_free(nl->links);
    if (nl->sk)
        nl_socket_free(nl->sk);
    memset(nl, 0, sizeof *nl);
}

static bool ipnl_open(ipnl *nl, wp_err *err)
{
    int rc = -NLE_NOMEM;
    memset(nl, 0, sizeof *nl);
    if (!(nl->sk = nl_socket_alloc()) || (rc = nl_connect(nl->sk, NETLINK_ROUTE)) < 0 ||
        (rc = rtnl_link_alloc_cache(nl->sk, AF_UNSPEC, &nl->links)) < 0 ||
        (rc = rtnl_addr_alloc_cache(nl->sk, &nl->addrs)) < 0) {
        wp_errf(err, WP_E_IO, "cannot read this node's interfaces and addresses");
        wp_err_why(err, "netlink: %s", nl_geterror(rc));
        wp_err_todo(err, "run wolfpackd as root on a Linux kernel with rtnetlink");
        ipnl_close(nl);
        return false;
    }
    return true;
}

static bool ipreq_parse(const wp_agent_ctx *ctx, ipreq *r, wp_err *err)
{
    json_t *a = json_object_get(ctx->props, "address");
    json_t *i = json_object_get(ctx->props, "interface");
    memset(r, 0, sizeof *r);
    if (!wp_ip_parse(json_string_value(a), &r->family, r->addr, &r->prefixlen, err))
        return false;
    r->ifname = i && json_string_length(i) > 0 ? json_string_value(i) : NULL;
    inet_ntop(r->family, r->addr, r->text, sizeof r->text);
    return true;
}

/* What every op starts with: the request, and netlink open (close nl). */
static bool ip_open(const wp_agent_ctx *ctx, ipreq *r, ipnl *nl, wp_err *err)
{
    return ipreq_parse(ctx, r, err) && ipnl_open(nl, err);
}

/* Every address of the node, as the pure chooser wants them (malloc'd). */
static wp_ip_ifaddr *ifaddr_list(ipnl *nl, size_t *n)
{
    size_t cap = (size_t)nl_cache_nitems(nl->addrs) + 1;
    wp_ip_ifaddr *list = calloc(cap, sizeof *list);
    *n = 0;
    for (struct nl_object *o = nl_cache_get_first(nl->addrs); list && o && *n < cap;
         o = nl_cache_get_next(o)) {
        struct rtnl_addr *a = (struct rtnl_addr *)o;
        struct nl_addr *local = rtnl_addr_get_local(a);
        wp_ip_ifaddr *e = &list[*n];
        if (!local || nl_addr_get_len(local) > sizeof e->addr)
            continue;
        e->family = rtnl_addr_get_family(a);
        memcpy(e->addr, nl_addr_get_binary_addr(local), nl_addr_get_len(local));
        e->prefixlen = rtnl_addr_get_prefixlen(a);
        if (!rtnl_link_i2name(nl->links, rtnl_addr_get_ifindex(a), e->ifname, sizeof e->ifname))
            continue;
        (*n)++;
    }
    return list;
}

/* The kernel's entry for the address (on ifindex, or anywhere if 0). */
static struct rtnl_addr *find_addr(ipnl *nl, const ipreq *r, int ifindex)
{
    size_t len = r->family == AF_INET ? 4 : 16;
    for (struct nl_object *o = nl_cache_get_first(nl->addrs); o; o = nl_cache_get_next(o)) {
        struct rtnl_addr *a = (struct rtnl_addr *)o;
        struct nl_addr *local = rtnl_addr_get_local(a);
        if (rtnl_addr_get_family(a) != r->family || !local || nl_addr_get_len(local) != len ||
            memcmp(nl_addr_get_binary_addr(local), r->addr, len) != 0)
            continue;
        if (ifindex == 0 || rtnl_addr_get_ifindex(a) == ifindex)
            return a;
    }
    return NULL;
}

/* The kernel's entry for r's address on its interface (NULL when that
 * interface does not exist), or on any interface when it names none. */
static struct rtnl_addr *find_configured(ipnl *nl, const ipreq *r)
{
    int idx = r->ifname ? rtnl_link_name2i(nl->links, r->ifname) : 0;
    return r->ifname && idx <= 0 ? NULL : find_addr(nl, r, idx);
}

/* The named interface's index, or 0 with err. */
static int named_ifindex(ipnl *nl, const char *name, wp_err *err)
{
    int idx = rtnl_link_name2i(nl->links, name);
    if (idx <= 0) {
        wp_errf(err, WP_E_NOTFOUND, "no interface named \"%s\" on this node", name);
        wp_err_why(err, "the resource's interface property names it, but the kernel has no "
                        "such link");
        wp_err_todo(err, "correct the interface property (see `ip link`), or clear it to let "
                         "the agent choose by subnet");
    }
    return idx > 0 ? idx : 0;
}

/* Which interface the address goes on: named, or chosen by subnet. */
static int pick_ifindex(ipnl *nl, const ipreq *r, wp_err *err)
{
    if (r->ifname)
        return named_ifindex(nl, r->ifname, err);
    size_t n = 0;
    wp_ip_ifaddr *list = ifaddr_list(nl, &n);
    char name[32];
    bool ok = list && wp_ip_pick_iface(list, n, r->family, r->addr, r->prefixlen, name, err);
    free(list);
    return ok ? rtnl_link_name2i(nl->links, name) : 0;
}

/* ---- Announcing ---------------------------------------------------------- */

/* Rounds first..last-1 (WP_IP_ARP_GAP_MS apart) of the n packets of len
 * bytes at pkts, sent on fd (closed here) to `to`; what names them in the
 * error. */
static bool send_rounds(int fd, const void *pkts, size_t n, size_t len, const struct sockaddr *to,
                        socklen_t tolen, int first, int last, const char *what, wp_err *err)
{
    bool ok = true;
    for (int round = first; round < last && ok; round++) {
        if (round > 0)
            wp_clock_sleep_ms(WP_IP_ARP_GAP_MS);
        for (size_t i = 0; i < n && ok; i++) {
            if (sendto(fd, (const char *)pkts + i * len, len, 0, to, tolen) < 0) {
                wp_errf(err, WP_E_IO, "cannot send a %s", what);
                wp_err_why(err, "sendto: %s", strerror(errno));
                wp_err_todo(err, "check that the interface is up");
                ok = false;
            }
        }
    }
    close(fd);
    return ok;
}

/* Gratuitous ARP: per round an unsolicited request (sender = target = the
 * address) and a reply, both broadcast, so neighbours replace their entry. */
static bool announce_arp(int ifindex, const unsigned char mac[6], const unsigned char ip[4],
                         int first, int last, wp_err *err)
{
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
    if (fd < 0) {
        wp_errf(err, WP_E_IO, "cannot announce the address with gratuitous ARP");
        wp_err_why(err, "AF_PACKET socket: %s", strerror(errno));
        wp_err_todo(err, "run wolfpackd as root (CAP_NET_RAW)");
        return false;
    }
    struct sockaddr_ll to = {.sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_ARP),
                             .sll_ifindex = ifindex,
                             .sll_halen = ETH_ALEN};
    memset(to.sll_addr, 0xff, ETH_ALEN);
    struct ether_arp p[2];
    memset(p, 0, sizeof p);
    for (int op = 0; op < 2; op++) {
        p[op].arp_hrd = htons(ARPHRD_ETHER);
        p[op].arp_pro = htons(ETHERTYPE_IP);
        p[op].arp_hln = ETH_ALEN;
        p[op].arp_pln = 4;
        p[op].arp_op = htons(op == 0 ? ARPOP_REQUEST : ARPOP_REPLY);
        memcpy(p[op].arp_sha, mac, ETH_ALEN);
        memcpy(p[op].arp_spa, ip, 4);
        memset(p[op].arp_tha, op == 0 ? 0x00 : 0xff, ETH_ALEN);
        memcpy(p[op].arp_tpa, ip, 4);
    }
    return send_rounds(fd, p, 2, sizeof p[0], (struct sockaddr *)&to, sizeof to, first, last,
                       "gratuitous ARP", err);
}

/* Unsolicited neighbour advertisement (RFC 4861 7.2.6) to all nodes. */
static bool announce_na(int ifindex, const unsigned char mac[6], const unsigned char ip[16],
                        int first, int last, wp_err *err)
{
    int fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
    int hops = 255;
    struct sockaddr_in6 from = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex};
    memcpy(&from.sin6_addr, ip, 16);
    if (fd < 0 || setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops, sizeof hops) != 0 ||
        setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex, sizeof ifindex) != 0 ||
        bind(fd, (struct sockaddr *)&from, sizeof from) != 0) {
        wp_errf(err, WP_E_IO, "cannot announce the address with a neighbour advertisement");
        wp_err_why(err, "raw ICMPv6 socket: %s", strerror(errno));
        wp_err_todo(err, "run wolfpackd as root (CAP_NET_RAW) and check that the address is "
                         "not tentative");
        if (fd >= 0)
            close(fd);
        return false;
    }
    struct {
        struct nd_neighbor_advert na;
        struct nd_opt_hdr opt;
        unsigned char mac[6];
    } __attribute__((packed)) p = {0};
    p.na.nd_na_type = ND_NEIGHBOR_ADVERT;
    p.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
    memcpy(&p.na.nd_na_target, ip, 16);
    p.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
    p.opt.nd_opt_len = 1;
    memcpy(p.mac, mac, 6);
    struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex};
    inet_pton(AF_INET6, "ff02::1", &to.sin6_addr);
    return send_rounds(fd, &p, 1, sizeof p, (struct sockaddr *)&to, sizeof to, first, last,
                       "neighbour advertisement", err);
}

/* Announce on ifindex if it is an Ethernet-like link that does ARP/ND. */
static bool announce(ipnl *nl, int ifindex, const ipreq *r, int first, int last, wp_err *err)
{
    struct rtnl_link *link = rtnl_link_get(nl->links, ifindex);
    if (!link)
        return true;
    struct nl_addr *hw = rtnl_link_get_addr(link);
    unsigned flags = rtnl_link_get_flags(link);
    unsigned char mac[6];
    bool ether = hw && nl_addr_get_len(hw) == 6 && !(flags & IFF_NOARP) &&
                 rtnl_link_get_arptype(link) == ARPHRD_ETHER;
    if (ether)
        memcpy(mac, nl_addr_get_binary_addr(hw), 6);
    rtnl_link_put(link);
    if (!ether)
        return true; /* loopback, tunnels: no neighbours to tell */
    return r->family == AF_INET ? announce_arp(ifindex, mac, r->addr, first, last, err)
                                : announce_na(ifindex, mac, r->addr, first, last, err);
}

/* The first round goes out before start returns, so clients follow at once;
 * the later rounds (for neighbours that missed it) are sent by a detached
 * process, so a start -- and a failover -- does not wait for them.  Since
 * wolfpackd is a child subreaper, it reaps that process when it ends. */
static void announce_later(ipnl *nl, int ifindex, const ipreq *r)
{
    pid_t pid = fork();
    if (pid != 0)
        return; /* parent, or fork failed: the first round was sent anyway */
    setsid();
    wp_err ignored;
    announce(nl, ifindex, r, 1, WP_IP_ARP_ROUNDS, &ignored);
    _exit(0);
}

/* ---- Operations ---------------------------------------------------------- */

static wp_agent_rc ip_validate(const wp_agent_ctx *ctx, wp_err *err)
{
    ipreq r;
    ipnl nl;
    if (!ip_open(ctx, &r, &nl, err))
        return WP_AGENT_FAILED;
    int idx = find_addr(&nl, &r, 0) && !r.ifname ? 1 : pick_ifindex(&nl, &r, err);
    ipnl_close(&nl);
    return idx > 0 ? WP_AGENT_OK : WP_AGENT_FAILED;
}

static wp_agent_rc ip_start(const wp_agent_ctx *ctx, wp_err *err)
{
    ipreq r;
    ipnl nl;
    if (!ip_open(ctx, &r, &nl, err))
        return WP_AGENT_FAILED;
    int idx = pick_ifindex(&nl, &r, err);
    wp_agent_rc rc = WP_AGENT_FAILED;
    if (idx > 0 && !find_addr(&nl, &r, idx)) {
        struct rtnl_addr *a = rtnl_addr_alloc();
        struct nl_addr *local = nl_addr_build(r.family, r.addr, r.family == AF_INET ? 4 : 16);
        int e = -NLE_NOMEM;
        if (a && local) {
            rtnl_addr_set_ifindex(a, idx);
            rtnl_addr_set_local(a, local);
            rtnl_addr_set_prefixlen(a, r.prefixlen);
            if (r.family == AF_INET && r.prefixlen < 31) {
                unsigned char b[4];
                uint32_t host = r.prefixlen == 0 ? ~0u : (~0u >> r.prefixlen);
                uint32_t v;
                memcpy(&v, r.addr, 4);
                v = htonl(ntohl(v) | host);
                memcpy(b, &v, 4);
                struct nl_addr *brd = nl_addr_build(AF_INET, b, 4);
                if (brd) {
                    rtnl_addr_set_broadcast(a, brd);
                    nl_addr_put(brd);
                }
            }
            if (r.family == AF_INET6)
                rtnl_addr_set_flags(a, IFA_F_NODAD);
            e = rtnl_addr_add(nl.sk, a, 0);
        }
        if (e < 0 && e != -NLE_EXIST) {
            char ifn[IFNAMSIZ] = "?";
            rtnl_link_i2name(nl.links, idx, ifn, sizeof ifn);
            wp_errf(err, WP_E_IO, "cannot add %s/%d to %s", r.text, r.prefixlen, ifn);
            wp_err_why(err, "netlink: %s", nl_geterror(e));
            wp_err_todo(err, "check the interface with `ip addr show %s`", ifn);
            idx = 0;
        }
        if (local)
            nl_addr_put(local);
        if (a)
            rtnl_addr_put(a);
    }
    if (idx > 0 && announce(&nl, idx, &r, 0, 1, err)) {
        rc = WP_AGENT_OK;
        announce_later(&nl, idx, &r);
    }
    ipnl_close(&nl);
    return rc;
}

static wp_agent_rc ip_stop(const wp_agent_ctx *ctx, wp_err *err)
{
    ipreq r;
    ipnl nl;
    if (!ip_open(ctx, &r, &nl, err))
        return WP_AGENT_FAILED;
    struct rtnl_addr *a = find_configured(&nl, &r);
    wp_agent_rc rc = WP_AGENT_OK;
    if (a) {
        int e = rtnl_addr_delete(nl.sk, a, 0);
        if (e < 0 && e != -NLE_NOADDR && e != -NLE_OBJ_NOTFOUND) {
            wp_errf(err, WP_E_IO, "cannot remove %s/%d", r.text, r.prefixlen);
            wp_err_why(err, "netlink: %s", nl_geterror(e));
            wp_err_todo(err, "remove it by hand with `ip addr del %s/%d dev IF`", r.text,
                        r.prefixlen);
            rc = WP_AGENT_FAILED;
        }
    }
    ipnl_close(&nl);
    return rc;
}

/* quick and thorough share this; deep adds link and DAD state. */
static wp_agent_rc ip_check(const wp_agent_ctx *ctx, bool deep, wp_err *err)
{
    ipreq r;
    ipnl nl;
    if (!ip_open(ctx, &r, &nl, err))
        return WP_AGENT_FAILED;
    struct rtnl_addr *a = find_configured(&nl, &r);
    wp_agent_rc rc = WP_AGENT_OK;
    if (!a) {
        wp_errf(err, WP_E_NOTFOUND, "%s is not on %s", r.text,
                r.ifname ? r.ifname : "any interface of this node");
        wp_err_why(err, "the address is not configured");
        wp_err_todo(err, "start the resource");
        rc = WP_AGENT_NOT_RUNNING;
    } else if (deep) {
        struct rtnl_link *link = rtnl_link_get(nl.links, rtnl_addr_get_ifindex(a));
        unsigned flags = link ? rtnl_link_get_flags(link) : 0;
        char ifn[IFNAMSIZ] = "?";
        rtnl_link_i2name(nl.links, rtnl_addr_get_ifindex(a), ifn, sizeof ifn);
        if (!(flags & IFF_UP) || !(flags & IFF_RUNNING)) {
            wp_errf(err, WP_E_UNAVAILABLE, "interface %s carrying %s is down", ifn, r.text);
            wp_err_why(err, "the link is %s",
                       !(flags & IFF_UP) ? "administratively down" : "up but has no carrier");
            wp_err_todo(err, "check the cable / peer of %s (`ip link show %s`)", ifn, ifn);
            rc = WP_AGENT_FAILED;
        } else if (rtnl_addr_get_flags(a) & IFA_F_DADFAILED) {
            wp_errf(err, WP_E_CONFLICT, "%s on %s failed duplicate address detection", r.text, ifn);
            wp_err_why(err, "another host on the link uses the same address");
            wp_err_todo(err, "find the other host and remove the address there");
            rc = WP_AGENT_FAILED;
        }
        if (link)
            rtnl_link_put(link);
    }
    ipnl_close(&nl);
    return rc;
}

static wp_agent_rc ip_quick(const wp_agent_ctx *ctx, wp_err *err)
{
    return ip_check(ctx, false, err);
}

static wp_agent_rc ip_thorough(const wp_agent_ctx *ctx, wp_err *err)
{
    return ip_check(ctx, true, err);
}

const wp_agent_type wp_agent_ip = {
    .name = "IP Address",
    .ops =
        {
            [WP_OP_VALIDATE] = ip_validate,
            [WP_OP_START] = ip_start,
            [WP_OP_STOP] = ip_stop,
            [WP_OP_QUICK_CHECK] = ip_quick,
            [WP_OP_THOROUGH_CHECK] = ip_thorough,
        },
};
