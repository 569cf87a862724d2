/*
 * cluster_conf.c -- wolfpack.conf: parse, read, render, and the check of a
 * cluster address against the nodes' subnet.  See cluster_conf.h.
 */
#include "cluster_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model.h"

static void warnf(wp_cluster_conf_warn_fn warn, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warnf(wp_cluster_conf_warn_fn warn, void *ctx, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    if (!warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    warn(ctx, msg);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Trim [*b, *e) of spaces on both ends. */
static void trim(const char **b, const char **e)
{
    while (*b < *e && is_space(**b))
        (*b)++;
    while (*e > *b && is_space((*e)[-1]))
        (*e)--;
}

static bool key_valid(const char *b, const char *e)
{
    if (b == e)
        return false;
    for (const char *p = b; p < e; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            return false;
    }
    return true;
}

/* One line [b, e) (no newline), number lineno. */
static void parse_line(const char *b, const char *e, unsigned lineno, wp_cluster_conf *out,
                       wp_cluster_conf_warn_fn warn, void *ctx)
{
    trim(&b, &e);
    if (b == e || *b == '#')
        return;
    const char *eq = memchr(b, '=', (size_t)(e - b));
    const char *kb = b, *ke = eq ? eq : e;
    trim(&kb, &ke);
    if (!eq || !key_valid(kb, ke)) {
        warnf(warn, ctx, "line %u: \"%.*s\" is not key=value (ignored)", lineno,
              (int)(e - b > 100 ? 100 : e - b), b);
        return;
    }
    const char *vb = eq + 1, *ve = e;
    trim(&vb, &ve);
    int klen = (int)(ke - kb), vlen = (int)(ve - vb);
    if (klen != 10 || memcmp(kb, "cluster_ip", 10) != 0) {
        warnf(warn, ctx, "line %u: unknown key \"%.*s\" (ignored; wolfpack knows cluster_ip)",
              lineno, klen > 64 ? 64 : klen, kb);
        return;
    }
    if (out->cluster_ip[0]) {
        warnf(warn, ctx, "line %u: cluster_ip is given again (ignored; the first one, %s, holds)",
              lineno, out->cluster_ip);
        return;
    }
    char value[sizeof out->cluster_ip];
    wp_err err = {0};
    if ((size_t)vlen >= sizeof value) {
        warnf(warn, ctx, "line %u: cluster_ip \"%.40s...\" is too long (ignored)", lineno, vb);
        return;
    }
    memcpy(value, vb, (size_t)vlen);
    value[vlen] = '\0';
    if (!wp_prop_validate(WP_RT_IP, "address", value, &err)) {
        warnf(warn, ctx, "line %u: cluster_ip \"%s\" is not valid (ignored): %s", lineno, value,
              err.why[0] ? err.why : err.what);
        return;
    }
    memcpy(out->cluster_ip, value, (size_t)vlen + 1);
}

void wp_cluster_conf_parse(const char *text, wp_cluster_conf *out, wp_cluster_conf_warn_fn warn,
                           void *ctx)
{
    memset(out, 0, sizeof *out);
    unsigned lineno = 1;
    for (const char *p = text; p && *p; lineno++) {
        const char *nl = strchr(p, '\n');
        const char *e = nl ? nl : p + strlen(p);
        parse_line(p, e, lineno, out, warn, ctx);
        p = nl ? nl + 1 : NULL;
    }
}

bool wp_cluster_conf_read(const char *path, wp_cluster_conf *out, wp_cluster_conf_warn_fn warn,
                          void *ctx)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            warnf(warn, ctx, "cannot open %s: %s (its settings are not used)", path,
                  strerror(errno));
        return false;
    }
    char *buf = malloc(WP_CLUSTER_CONF_MAX + 1);
    size_t len = 0;
    bool ok = buf != NULL;
    while (ok && len < WP_CLUSTER_CONF_MAX) {
        ssize_t r = read(fd, buf + len, WP_CLUSTER_CONF_MAX - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            ok = r == 0;
            break;
        }
        len += (size_t)r;
    }
    if (!ok)
        warnf(warn, ctx, "cannot read %s: %s (its settings are not used)", path,
              buf ? strerror(errno) : "out of memory");
    else if (len == WP_CLUSTER_CONF_MAX)
        warnf(warn, ctx, "%s is larger than %d bytes: the rest is ignored", path,
              WP_CLUSTER_CONF_MAX);
    close(fd);
    if (ok) {
        buf[len] = '\0';
        if (memchr(buf, '\0', len))
            warnf(warn, ctx, "%s holds a NUL byte: what follows it is ignored", path);
        wp_cluster_conf_parse(buf, out, warn, ctx);
    }
    free(buf);
    return ok;
}

char *wp_cluster_conf_render(const char *cluster_ip, wp_err *err)
{
    char *text = NULL;
    if (cluster_ip && !wp_prop_validate(WP_RT_IP, "address", cluster_ip, err))
        return NULL;
    int n = asprintf(&text,
                     "# wolfpack.conf -- written by `wolfpack cluster create`; copy it with\n"
                     "# corosync.conf to /etc/corosync/ on every node.  Read when wolfpackd\n"
                     "# creates the cluster in its database (docs/NETNAME.md).\n"
                     "%s%s%s",
                     cluster_ip ? "cluster_ip=" : "", cluster_ip ? cluster_ip : "",
                     cluster_ip ? "\n" : "");
    if (n < 0) {
        wp_errf(err, WP_E_INTERNAL, "cannot render wolfpack.conf");
        wp_err_why(err, "out of memory");
        wp_err_todo(err, "check the machine's memory and try again");
        return NULL;
    }
    return text;
}

/* "ADDR/P" (already validated) into family, bytes, prefix. */
static void split_prefix(const char *ip, int *family, unsigned char b[16], int *prefix)
{
    char addr[64];
    const char *slash = strrchr(ip, '/');
    size_t len = (size_t)(slash - ip);
    memcpy(addr, ip, len);
    addr[len] = '\0';
    *family = strchr(addr, ':') ? AF_INET6 : AF_INET;
    *prefix = atoi(slash + 1);
    if (inet_pton(*family, addr, b) != 1)
        memset(b, 0, 16);
}

static bool same_subnet(const unsigned char *a, const unsigned char *b, int prefix)
{
    int full = prefix / 8, rest = prefix % 8;
    if (memcmp(a, b, (size_t)full) != 0)
        return false;
    unsigned char mask = (unsigned char)(0xff << (8 - rest));
    return rest == 0 || (a[full] & mask) == (b[full] & mask);
}

bool wp_cluster_ip_check(const char *cluster_ip, const char *const *node_addrs, size_t n_nodes,
                         wp_err *err)
{
    unsigned char c[16], nb[16];
    int family, prefix;

    if (!wp_prop_validate(WP_RT_IP, "address", cluster_ip, err)) {
        wp_err_todo(err, "give the cluster's address with its prefix, e.g. --ip 198.51.100.99/24");
        return false;
    }
    split_prefix(cluster_ip, &family, c, &prefix);
    for (size_t i = 0; i < n_nodes; i++) {
        const char *a = node_addrs[i];
        int nfamily = strchr(a, ':') ? AF_INET6 : AF_INET;
        bool parsed = inet_pton(nfamily, a, nb) == 1;
        if (!parsed || nfamily != family || !same_subnet(c, nb, prefix)) {
            wp_errf(err, WP_E_INVALID, "cluster address %s is not in the subnet of node address %s",
                    cluster_ip, a);
            wp_err_why(err,
                       "the cluster's address is brought up on the interface that holds the "
                       "nodes' addresses, so every node must be inside %s's subnet",
                       cluster_ip);
            wp_err_todo(err, "choose a free address of the nodes' subnet (and its prefix length)");
            return false;
        }
        if (memcmp(c, nb, family == AF_INET ? 4 : 16) == 0) {
            wp_errf(err, WP_E_INVALID, "cluster address %s is node address %s", cluster_ip, a);
            wp_err_why(err, "the cluster's address moves between nodes; a node's own address "
                            "does not");
            wp_err_todo(err, "choose a free address of the nodes' subnet");
            return false;
        }
    }
    return true;
}
