/*
 * model.c -- the cluster model's validation: resource types and classes,
 * names, type properties, group and resource policies, durations and
 * command lines (see model.h for the contract, docs/MODEL.md for operators).
 *
 * Everything here is pure: no I/O, no clock, no globals.  The database calls
 * these functions before it applies a change, the CLI calls them to refuse
 * bad input early, the agents call wp_argv_split to exec without a shell.
 *
 * Shape: every value check is a small static function that returns false
 * and writes WHY into a buffer; one table per resource type and one per
 * policy kind tie keys to checks, defaults and an example.  The public
 * functions look the key up, run the check, and turn a failure into a full
 * wp_err (what, why, what to do).
 */
#include "model.h"
#include "json.h"
#include "json.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WHY_MAX 512
#define PATH_MAX_LEN 4095
#define CMD_MAX_LEN 4096
#define OCF_VALUE_MAX 4096
#define OCF_PARAM_MAX 64
#define OWNERS_MAX_LEN 4096

/* A value check: false with a reason in why[WHY_MAX]. */
typedef bool (*check_fn)(const char *value, char *why);
/* A policy check: like check_fn, and on success *out is a malloc'd
 * normalised value. */
typedef bool (*norm_fn)(const char *value, char **out, char *why);

static void whyf(char *why, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void whyf(char *why, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, WHY_MAX, fmt, ap);
    va_end(ap);
}

/* Quote s for a message: "...", control and non-ASCII bytes as \xNN, long
 * values cut with "...".  Returns buf. */
static const char *quote(char *buf, size_t n, const char *s)
{
    size_t o = 0;
    const size_t room = n - 8; /* closing quote, "...", NUL */
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (o + 4 >= room) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (*p < 0x20 || *p >= 0x7f || *p == '"' || *p == '\\')
            o += (size_t)snprintf(buf + o, n - o, *p == '"' || *p == '\\' ? "\\%c" : "\\x%02x", *p);
        else
            buf[o++] = (char)*p;
    }
    buf[o++] = '"';
    buf[o] = '\0';
    return buf;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    if (!d)
        abort(); /* out of memory: nothing sensible to do in a validator */
    return d;
}

/* ---------------------------------------------------------------------------
 * Small parsers
 * ------------------------------------------------------------------------- */

/* Decimal digits only (no sign, no space), value <= max. */
static bool parse_uint(const char *s, long max, long *out)
{
    long v = 0;
    if (!s || !*s)
        return false;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static bool has_ctrl(const char *s, bool allow_tab)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p < 0x20 && !(allow_tab && *p == '\t')) || *p == 0x7f)
            return true;
    return false;
}

#define DURATION_MAX 31536000L /* one year: far above every policy range */

bool wp_duration_parse(const char *text, long *seconds, wp_err *err)
{
    char q[96];
    size_t len = text ? strlen(text) : 0;
    long mult = 1, v;
    char digits[16];

    if (len > 0 && strchr("smh", text[len - 1])) {
        mult = text[len - 1] == 's' ? 1 : text[len - 1] == 'm' ? 60 : 3600;
        len--;
    }
    if (len == 0 || len >= sizeof digits)
        goto bad;
    memcpy(digits, text, len);
    digits[len] = '\0';
    if (!parse_uint(digits, DURATION_MAX, &v) || v > DURATION_MAX / mult)
        goto bad;
    if (seconds)
        *seconds = v * mult;
    return true;
bad:
    wp_errf(err, WP_E_INVALID, "invalid duration %s", quote(q, sizeof q, text));
    wp_err_why(err, "a duration is a whole number of seconds, optionally followed by "
                    "s, m or h (at most one year)");
    wp_err_todo(err, "write it like 90, 90s, 15m or 6h");
    return false;
}

/* ---------------------------------------------------------------------------
 * Types and classes
 * ------------------------------------------------------------------------- */

struct prop_def {
    const char *key;
    bool required;
    check_fn check;
    const char *example; /* a valid value */
};

struct type_info {
    const char *name;
    const char *alias;
    const char *article; /* "a" or "an" before the name */
    wp_rclass cls;
    const struct prop_def *props;
};

static const char *const class_names[WP_CLASS__COUNT] = {
    [WP_CLASS_NETADDR] = "network-address",
    [WP_CLASS_NETNAME] = "network-name",
    [WP_CLASS_STORAGE] = "storage",
    [WP_CLASS_SERVICE] = "service",
};

static const struct type_info *type_info(wp_rtype type);

const char *wp_rtype_name(wp_rtype type)
{
    const struct type_info *ti = type_info(type);
    return ti ? ti->name : "unknown";
}

bool wp_rtype_parse(const char *name, wp_rtype *out, wp_err *err)
{
    char q[96];
    for (int t = 0; name && t < WP_RT__COUNT; t++) {
        const struct type_info *ti = type_info((wp_rtype)t);
        if (strcasecmp(name, ti->name) == 0 || strcasecmp(name, ti->alias) == 0) {
            if (out)
                *out = (wp_rtype)t;
            return true;
        }
    }
    wp_errf(err, WP_E_INVALID, "unknown resource type %s", quote(q, sizeof q, name));
    wp_err_why(err, "the resource types are \"IP Address\" (ip), \"Network Name\" (netname), "
                    "\"Physical Disk\" (disk), \"Generic Service\" (service) and \"OCF\" (ocf)");
    wp_err_todo(err, "use one of them, e.g. --type \"IP Address\" or --type ip");
    return false;
}

wp_rclass wp_rtype_class(wp_rtype type)
{
    const struct type_info *ti = type_info(type);
    return ti ? ti->cls : WP_CLASS_SERVICE;
}

const char *wp_rclass_name(wp_rclass cls)
{
    if ((int)cls < 0 || cls >= WP_CLASS__COUNT)
        return "unknown";
    return class_names[cls];
}

/* ---------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------- */

bool wp_name_valid(const char *kind, const char *name, wp_err *err)
{
    char q[96];
    const bool node = kind && strcmp(kind, "node") == 0;
    const char *k = kind ? kind : "object";
    const char *why = NULL;
    size_t len = name ? strlen(name) : 0;

    if (len == 0)
        why = "a name cannot be empty";
    else if (len > WP_NAME_MAX)
        why = "a name is at most 63 bytes long";
    else if (!node && (name[0] == ' ' || name[len - 1] == ' '))
        why = "a name cannot start or end with a space";
    else if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        why = "\".\" and \"..\" are not names: they mean this and the parent directory "
              "wherever a name becomes part of a path";
    for (size_t i = 0; !why && i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (isalnum(c) && c < 0x80)
            continue;
        if (c == '_' || c == '-')
            continue;
        if (!node && (c == ' ' || c == '.'))
            continue;
        why = node ? "a node name may hold only letters, digits, '_' and '-' (it becomes a "
                     "corosync ring name and a host name)"
                   : "a name may hold only letters, digits, spaces, '.', '_' and '-'";
    }
    if (!why)
        return true;
    wp_errf(err, WP_E_INVALID, "invalid %s name %s", k, quote(q, sizeof q, name));
    wp_err_why(err, "%s", why);
    if (node)
        wp_err_todo(err, "choose 1..63 letters, digits, '_' or '-', e.g. node1");
    else
        wp_err_todo(err, "choose 1..63 letters, digits, spaces, '.', '_' or '-', "
                         "e.g. \"Mail Server\" or mail-ip");
    return false;
}

/* ---------------------------------------------------------------------------
 * Property value checks
 * ------------------------------------------------------------------------- */

/* An IP address without prefix; fills the family and the bytes. */
static bool parse_ip(const char *s, int *family, unsigned char bytes[16])
{
    *family = strchr(s, ':') ? AF_INET6 : AF_INET;
    return inet_pton(*family, s, bytes) == 1;
}

/* Addresses a resource can never own: unspecified, multicast, broadcast. */
static const char *ip_unusable(int family, const unsigned char *b)
{
    static const unsigned char zero[16];
    if (family == AF_INET) {
        if (memcmp(b, zero, 4) == 0)
            return "0.0.0.0 is the unspecified address";
        if ((b[0] & 0xf0) == 0xe0)
            return "224.0.0.0/4 holds multicast addresses";
        if (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)
            return "255.255.255.255 is the broadcast address";
        return NULL;
    }
    if (memcmp(b, zero, 16) == 0)
        return ":: is the unspecified address";
    if (b[0] == 0xff)
        return "ff00::/8 holds multicast addresses";
    return NULL;
}

/* Loopback addresses (127.0.0.0/8, ::1) never leave the node. */
static bool ip_loopback(int family, const unsigned char *b)
{
    static const unsigned char v6_loop[16] = {[15] = 1};
    return family == AF_INET ? b[0] == 127 : memcmp(b, v6_loop, 16) == 0;
}

/* Is the host part of an IPv4 address under prefix all zeros (the
 * network) or all ones (the subnet's broadcast)?  Only for prefixes up to
 * /30: /31 (RFC 3021) and /32 have no network or broadcast address. */
static const char *ip4_subnet_reserved(const unsigned char *b, long prefix)
{
    if (prefix > 30)
        return NULL;
    unsigned long a =
        (unsigned long)b[0] << 24 | (unsigned long)b[1] << 16 | (unsigned long)b[2] << 8 | b[3];
    unsigned long host = prefix == 0 ? 0xffffffffUL : (1UL << (32 - prefix)) - 1;
    if ((a & host) == 0)
        return "it is the network address of its subnet (the host part is all zeros)";
    if ((a & host) == host)
        return "it is the broadcast address of its subnet (the host part is all ones)";
    return NULL;
}

static bool check_ip_host(const char *v, char *why)
{
    unsigned char b[16];
    int family;
    const char *bad;
    if (strchr(v, '/')) {
        whyf(why, "a DNS server is a plain address without a prefix length");
        return false;
    }
    if (!parse_ip(v, &family, b)) {
        whyf(why, "it is neither an IPv4 address (a.b.c.d) nor an IPv6 address (x::y)");
        return false;
    }
    if ((bad = ip_unusable(family, b))) {
        whyf(why, "%s", bad);
        return false;
    }
    return true;
}

static bool check_ip_prefix(const char *v, char *why)
{
    char addr[64];
    unsigned char b[16];
    int family;
    long prefix;
    const char *slash = strrchr(v, '/');
    const char *bad;

    if (!slash) {
        whyf(why, "an address needs a prefix length, e.g. 198.51.100.10/24");
        return false;
    }
    if ((size_t)(slash - v) >= sizeof addr || slash == v) {
        whyf(why, "there is no address before the '/'");
        return false;
    }
    memcpy(addr, v, (size_t)(slash - v));
    addr[slash - v] = '\0';
    if (!parse_ip(addr, &family, b)) {
        whyf(why, "%s",
             family == AF_INET6 ? "the part before '/' is not an IPv6 address"
                                : "the part before '/' is not an IPv4 address "
                                  "(four numbers 0..255 separated by dots)");
        return false;
    }
    if (!parse_uint(slash + 1, family == AF_INET ? 32 : 128, &prefix)) {
        whyf(why, "the prefix length after '/' must be a number from 0 to %d",
             family == AF_INET ? 32 : 128);
        return false;
    }
    if ((bad = ip_unusable(family, b))) {
        whyf(why, "%s, which no node can own", bad);
        return false;
    }
    if (ip_loopback(family, b)) {
        whyf(why,
             "%s is a loopback address: it never leaves the node that holds it, so "
             "clients cannot follow it to another node",
             addr);
        return false;
    }
    if (family == AF_INET && (bad = ip4_subnet_reserved(b, prefix))) {
        whyf(why,
             "%s: hosts of the subnet would take it for the whole subnet, and no node "
             "can own it",
             bad);
        return false;
    }
    return true;
}

/* Linux interface names (dev_valid_name): 1..15 bytes, no '/', ':' or
 * whitespace, not "." or "..". */
static bool check_ifname(const char *v, char *why)
{
    size_t len = strlen(v);
    if (len == 0 || len > 15) {
        whyf(why, "an interface name is 1 to 15 characters long");
        return false;
    }
    if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0) {
        whyf(why, "\".\" and \"..\" are not interface names");
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '/' || *p == ':' || *p <= ' ' || *p >= 0x7f) {
            whyf(why, "an interface name cannot hold '/', ':', spaces or control characters");
            return false;
        }
    }
    return true;
}

/* A domain name of RFC 1123 labels; allow_dot: one trailing dot allowed. */
static bool check_domain(const char *v, bool allow_dot, char *why)
{
    size_t len = strlen(v);
    if (allow_dot && len > 1 && v[len - 1] == '.')
        len--;
    if (len == 0 || len > 253) {
        whyf(why, "a host or domain name is 1 to 253 characters long");
        return false;
    }
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = i < len ? v[i] : '.';
        if (c == '.') {
            if (label == 0 || label > 63) {
                whyf(why, "each dot-separated label is 1 to 63 characters long");
                return false;
            }
            if (v[i - 1] == '-' || v[i - label] == '-') {
                whyf(why, "a label cannot start or end with '-'");
                return false;
            }
            label = 0;
            continue;
        }
        if (!(isalnum((unsigned char)c) && (unsigned char)c < 0x80) && c != '-') {
            whyf(why, "a host name may hold only letters, digits, '-' and dots (RFC 1123)");
            return false;
        }
        label++;
    }
    return true;
}

static bool check_hostname(const char *v, char *why)
{
    unsigned char b[16];
    if (!check_domain(v, false, why))
        return false;
    if (inet_pton(AF_INET, v, b) == 1) {
        whyf(why, "it is an IPv4 address, not a name");
        return false;
    }
    return true;
}

static bool check_zone(const char *v, char *why)
{
    return check_domain(v, true, why);
}

/* Absolute path: starts with '/', no ".." component, no control
 * characters, at most 4095 bytes. */
static bool check_abs_path(const char *v, char *why)
{
    size_t len = strlen(v);
    if (v[0] != '/') {
        whyf(why, "it must be an absolute path (starting with '/')");
        return false;
    }
    if (len > PATH_MAX_LEN) {
        whyf(why, "a path is at most %d bytes long", PATH_MAX_LEN);
        return false;
    }
    if (has_ctrl(v, false)) {
        whyf(why, "a path cannot hold control characters");
        return false;
    }
    for (const char *p = v; (p = strstr(p, "..")); p += 2) {
        if (p[-1] == '/' && (p[2] == '/' || p[2] == '\0')) {
            whyf(why, "a path cannot hold a \"..\" component");
            return false;
        }
    }
    return true;
}

/* v with runs of '/' collapsed and without a trailing '/' into out ("/"
 * stays "/"). */
static void path_normalise(const char *v, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = v; *p && n + 1 < size; p++)
        if (!(*p == '/' && n > 0 && out[n - 1] == '/'))
            out[n++] = *p;
    if (n > 1 && out[n - 1] == '/')
        n--;
    out[n] = '\0';
}

/* Directories of the operating system that a shared disk must never be
 * mounted on: it would hide the node's own files (docs/SECURITY.md, "Values
 * refused").  "below" also refuses every directory under it. */
static const struct {
    const char *dir;
    bool below;
} system_dirs[] = {
    {"/", false},        {"/etc", true},        {"/proc", true},     {"/sys", true},
    {"/dev", true},      {"/boot", true},       {"/usr", false},     {"/bin", false},
    {"/sbin", false},    {"/lib", false},       {"/lib32", false},   {"/lib64", false},
    {"/libx32", false},  {"/run", false},       {"/var", false},     {"/root", false},
    {"/home", false},    {"/tmp", false},       {"/var/lib", false}, {"/var/log", false},
    {"/var/tmp", false}, {"/usr/local", false},
};

static bool check_mountpoint(const char *v, char *why)
{
    char norm[PATH_MAX_LEN + 1];
    if (!check_abs_path(v, why))
        return false;
    path_normalise(v, norm, sizeof norm);
    if (strcmp(norm, "/") == 0) {
        whyf(why, "the root directory cannot be a mount point of a shared disk");
        return false;
    }
    for (size_t i = 0; i < sizeof system_dirs / sizeof system_dirs[0]; i++) {
        size_t n = strlen(system_dirs[i].dir);
        bool same = strcmp(norm, system_dirs[i].dir) == 0;
        bool under =
            system_dirs[i].below && strncmp(norm, system_dirs[i].dir, n) == 0 && norm[n] == '/';
        if (same || under) {
            whyf(why,
                 "%s is %sthe system directory %s: a shared disk mounted there would "
                 "hide the node's own files",
                 norm, same ? "" : "below ", system_dirs[i].dir);
            return false;
        }
    }
    return true;
}

static bool check_fstype(const char *v, char *why)
{
    static const char *const fs[] = {"ext4", "ext3", "ext2", "xfs", "btrfs", "vfat"};
    for (size_t i = 0; i < sizeof fs / sizeof fs[0]; i++)
        if (strcmp(v, fs[i]) == 0)
            return true;
    whyf(why, "the file system types are ext4, ext3, ext2, xfs, btrfs and vfat");
    return false;
}

static bool check_mount_options(const char *v, char *why)
{
    size_t item = 0;
    for (const char *p = v;; p++) {
        if (*p == ',' || *p == '\0') {
            if (item == 0) {
                whyf(why, "an option list is options separated by single commas, "
                          "with no empty option");
                return false;
            }
            if (*p == '\0')
                return true;
            item = 0;
            continue;
        }
        if (!(isalnum((unsigned char)*p) && (unsigned char)*p < 0x80) && !strchr("_=.-", *p)) {
            whyf(why, "an option may hold only letters, digits, '_', '=', '.' and '-'");
            return false;
        }
        item++;
    }
}

/* Network Name address: a comma list of addresses, each plain or with
 * /prefix (wolfpackd fills it from the IP Address resources the name
 * depends on; see src/agents/netname.h). */
static bool check_ip_list(const char *v, char *why)
{
    char item[80];
    size_t n = 0;
    for (const char *p = v;; p++) {
        if (*p != ',' && *p != '\0') {
            if (n + 1 >= sizeof item) {
                whyf(why, "an address list is addresses separated by single commas");
                return false;
            }
            item[n++] = *p;
            continue;
        }
        item[n] = '\0';
        if (n == 0) {
            whyf(why, "an address list is addresses separated by single commas, with no empty "
                      "item");
            return false;
        }
        if (!(strchr(item, '/') ? check_ip_prefix(item, why) : check_ip_host(item, why)))
            return false;
        if (*p == '\0')
            return true;
        n = 0;
    }
}

static bool check_ttl(const char *v, char *why)
{
    long ttl;
    if (parse_uint(v, 86400, &ttl))
        return true;
    whyf(why, "a TTL is a whole number of seconds from 0 to 86400");
    return false;
}

static bool check_command(const char *v, char *why)
{
    wp_err e;
    char **argv;
    bool ok;
    if (strlen(v) > CMD_MAX_LEN) {
        whyf(why, "a command line is at most %d bytes long", CMD_MAX_LEN);
        return false;
    }
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f) {
            whyf(why, "a command line is one line: it cannot hold a newline, a carriage return "
                      "or another control character (tab is allowed)");
            return false;
        }
    }
    if (!(argv = wp_argv_split(v, &e))) {
        whyf(why, "%s: %s", e.what, e.why);
        return false;
    }
    ok = argv[0][0] == '/';
    if (!ok)
        whyf(why, "the program must be an absolute path (commands never run through a shell "
                  "or a PATH search)");
    else
        ok = check_abs_path(argv[0], why); /* why says it when it fails */
    wp_argv_free(argv);
    return ok;
}

/* A user name (Generic Service's user): what Debian's adduser accepts by
 * default, [a-z_][a-z0-9_-]* with an optional trailing $, 1..32 bytes.
 * Whether the user exists is checked on the node that runs the service. */
static bool check_user(const char *v, char *why)
{
    size_t len = strlen(v);
    bool ok = len >= 1 && len <= 32 && ((v[0] >= 'a' && v[0] <= 'z') || v[0] == '_');
    for (size_t i = 1; ok && i < len; i++) {
        char c = v[i];
        ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
             (c == '$' && i == len - 1);
    }
    if (!ok)
        whyf(why, "a user name is 1 to 32 characters: a lower-case letter or '_', then "
                  "lower-case letters, digits, '_' or '-' (and an optional final '$')");
    return ok;
}

/* systemd unit names: [A-Za-z0-9@_.:-]+ with a startable unit suffix. */
static bool check_unit(const char *v, char *why)
{
    static const char *const suffix[] = {".service",   ".socket", ".target", ".mount",
                                         ".automount", ".swap",   ".timer",  ".path"};
    size_t len = strlen(v);
    if (len == 0 || len > 255) {
        whyf(why, "a unit name is 1 to 255 characters long");
        return false;
    }
    if (v[0] == '-' || v[0] == '.') {
        whyf(why, "a unit name cannot start with '-' (systemctl would take it for an option) "
                  "or '.'");
        return false;
    }
    for (const char *p = v; *p; p++) {
        if (!(isalnum((unsigned char)*p) && (unsigned char)*p < 0x80) && !strchr("@_.:-\\", *p)) {
            whyf(why, "a unit name may hold only letters, digits and @ _ . : - \\");
            return false;
        }
    }
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        size_t sl = strlen(suffix[i]);
        if (len > sl && strcmp(v + len - sl, suffix[i]) == 0) {
            if (v[len - sl - 1] == '@') {
                whyf(why, "a template unit needs an instance name after '@'");
                return false;
            }
            return true;
        }
    }
    whyf(why, "a unit name ends in .service, .socket, .target, .mount, .automount, .swap, "
              ".timer or .path");
    return false;
}

/* One OCF name part (provider or type): [A-Za-z0-9_.-]{1,63}, not . or .. */
static bool ocf_part_ok(const char *s, size_t len)
{
    if (len == 0 || len > 63 || (len == 1 && s[0] == '.') ||
        (len == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) && (unsigned char)s[i] < 0x80) && !strchr("_.-", s[i]))
            return false;
    return true;
}

static bool check_ocf_agent(const char *v, char *why)
{
    const char *p = strncmp(v, "ocf:", 4) == 0 ? v + 4 : v;
    const char *colon = strchr(p, ':');
    if (colon && ocf_part_ok(p, (size_t)(colon - p)) && ocf_part_ok(colon + 1, strlen(colon + 1)))
        return true;
    whyf(why, "an OCF agent is named ocf:PROVIDER:TYPE (or PROVIDER:TYPE), each part 1..63 "
              "letters, digits, '_', '.' or '-'");
    return false;
}

static bool check_ocf_value(const char *v, char *why)
{
    if (strlen(v) > OCF_VALUE_MAX) {
        whyf(why, "an agent parameter is at most %d bytes long", OCF_VALUE_MAX);
        return false;
    }
    if (has_ctrl(v, true)) {
        whyf(why, "an agent parameter cannot hold control characters (tab is allowed)");
        return false;
    }
    return true;
}

static bool ocf_param_name_ok(const char *k)
{
    size_t len = strlen(k);
    if (len == 0 || len > OCF_PARAM_MAX || isdigit((unsigned char)k[0]))
        return false;
    for (const char *p = k; *p; p++)
        if (!(isalnum((unsigned char)*p) && (unsigned char)*p < 0x80) && *p != '_')
            return false;
    return true;
}

/* ---------------------------------------------------------------------------
 * Node addresses
 * ------------------------------------------------------------------------- */

static bool node_address_why(const char *addr, bool loopback_ok, char *why)
{
    unsigned char b[16];
    int family;
    const char *bad;
    if (parse_ip(addr, &family, b)) {
        if ((bad = ip_unusable(family, b))) {
            whyf(why, "%s: corosync cannot reach a node there", bad);
            return false;
        }
        if (!loopback_ok && ip_loopback(family, b)) {
            whyf(why,
                 "%s is a loopback address: the other nodes cannot reach it (only a "
                 "one-node cluster may use it)",
                 addr);
            return false;
        }
        return true;
    }
    size_t len = strlen(addr);
    bool ok = len >= 1 && len <= 253 && addr[0] != '-' && addr[0] != '.';
    for (size_t i = 0; i < len && ok; i++) {
        char c = addr[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '-' || c == '.';
    }
    if (!ok)
        whyf(why, "an address is an IPv4 or IPv6 address or a host name");
    else if (!loopback_ok && strcasecmp(addr, "localhost") == 0) {
        whyf(why, "localhost is the loopback address: the other nodes cannot reach it");
        ok = false;
    }
    return ok;
}

bool wp_node_address_valid(const char *addr, bool loopback_ok, wp_err *err)
{
    char why[WHY_MAX], q[128];
    if (addr && node_address_why(addr, loopback_ok, why))
        return true;
    if (!addr)
        whyf(why, "a node needs an address");
    wp_errf(err, WP_E_INVALID, "invalid node address %s", quote(q, sizeof q, addr ? addr : ""));
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "give the address corosync uses to reach the node, e.g. 198.51.100.11");
    return false;
}

/* ---------------------------------------------------------------------------
 * Type table
 * ------------------------------------------------------------------------- */

static const struct prop_def ip_props[] = {
    {"address", true, check_ip_prefix, "198.51.100.10/24"},
    {"interface", false, check_ifname, "eth0"},
    {NULL, false, NULL, NULL},
};
static const struct prop_def netname_props[] = {
    {"hostname", true, check_hostname, "mail.example.com"},
    {"dns_server", false, check_ip_host, "198.51.100.2"},
    {"dns_zone", false, check_zone, "example.com"},
    {"tsig_key_file", false, check_abs_path, "/etc/wolfpack/tsig.key"},
    {"ttl", false, check_ttl, "300"},
    {"address", false, check_ip_list, "198.51.100.50"},
    {NULL, false, NULL, NULL},
};
static const struct prop_def disk_props[] = {
    {"device", true, check_abs_path, "/dev/disk/by-uuid/0b7c3e3a-..."},
    {"mountpoint", true, check_mountpoint, "/srv/mail"},
    {"fstype", true, check_fstype, "ext4"},
    {"mount_options", false, check_mount_options, "noatime,nodev"},
    {NULL, false, NULL, NULL},
};
static const struct prop_def service_props[] = {
    {"command", false, check_command, "/usr/sbin/exim4 -bd -q30m"},
    {"unit", false, check_unit, "exim4.service"},
    {"check_command", false, check_command, "/usr/bin/test -S /run/exim4/sock"},
    {"user", false, check_user, "www-data"},
    {NULL, false, NULL, NULL},
};
static const struct prop_def ocf_props[] = {
    {"agent", true, check_ocf_agent, "ocf:heartbeat:IPaddr2"},
    {NULL, false, NULL, NULL},
};

static const struct type_info types[WP_RT__COUNT] = {
    [WP_RT_IP] = {"IP Address", "ip", "an", WP_CLASS_NETADDR, ip_props},
    [WP_RT_NETNAME] = {"Network Name", "netname", "a", WP_CLASS_NETNAME, netname_props},
    [WP_RT_DISK] = {"Physical Disk", "disk", "a", WP_CLASS_STORAGE, disk_props},
    [WP_RT_SERVICE] = {"Generic Service", "service", "a", WP_CLASS_SERVICE, service_props},
    [WP_RT_OCF] = {"OCF", "ocf", "an", WP_CLASS_SERVICE, ocf_props},
};

static const struct type_info *type_info(wp_rtype type)
{
    if ((int)type < 0 || type >= WP_RT__COUNT)
        return NULL;
    return &types[type];
}

static const struct prop_def *prop_find(const struct type_info *ti, const char *key)
{
    for (const struct prop_def *d = ti->props; d->key; d++)
        if (strcmp(d->key, key) == 0)
            return d;
    return NULL;
}

/* "address, interface" into buf. */
static const char *prop_key_list(const struct type_info *ti, char *buf, size_t n)
{
    size_t o = 0;
    buf[0] = '\0';
    for (const struct prop_def *d = ti->props; d->key && o < n; d++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", o ? ", " : "", d->key);
    return buf;
}

static bool unknown_prop(const struct type_info *ti, const char *key, wp_err *err)
{
    char q[96], keys[160];
    const struct prop_def *first = ti->props;
    wp_errf(err, WP_E_INVALID, "unknown property %s for %s %s resource", quote(q, sizeof q, key),
            ti->article, ti->name);
    if (ti->props == ocf_props)
        wp_err_why(err,
                   "an OCF resource has the property agent and agent parameters named "
                   "[A-Za-z_][A-Za-z0-9_]* (at most %d characters)",
                   OCF_PARAM_MAX);
    else
        wp_err_why(err, "%s %s resource has the properties %s", ti->article, ti->name,
                   prop_key_list(ti, keys, sizeof keys));
    wp_err_todo(err, "use one of them, e.g. --prop %s=%s", first->key, first->example);
    return false;
}

static bool bad_prop_value(const struct type_info *ti, const char *key, const char *value,
                           const char *why, const char *example, wp_err *err)
{
    char qv[96], qk[96];
    wp_errf(err, WP_E_INVALID, "invalid value %s for property %s of %s %s resource",
            quote(qv, sizeof qv, value), quote(qk, sizeof qk, key), ti->article, ti->name);
    wp_err_why(err, "%s", why);
    if (example)
        wp_err_todo(err, "give a valid value, e.g. --prop %s=%s", key, example);
    else
        wp_err_todo(err,
                    "give a value of at most %d bytes without control characters, "
                    "e.g. --prop %s=on",
                    OCF_VALUE_MAX, key);
    return false;
}

bool wp_prop_validate(wp_rtype type, const char *key, const char *value, wp_err *err)
{
    char why[WHY_MAX];
    const struct type_info *ti = type_info(type);
    const struct prop_def *d;

    if (!ti) {
        wp_errf(err, WP_E_INTERNAL, "resource type %d does not exist", (int)type);
        wp_err_why(err, "the caller passed a type outside the type table");
        wp_err_todo(err, "report this bug");
        return false;
    }
    if (!key)
        key = "";
    d = prop_find(ti, key);
    if (!d && !(type == WP_RT_OCF && ocf_param_name_ok(key)))
        return unknown_prop(ti, key, err);
    if (!value)
        return bad_prop_value(ti, key, "", "the property has no value", d ? d->example : NULL, err);
    if (!*value)
        return bad_prop_value(ti, key, value,
                              "a property value cannot be empty (to remove an optional "
                              "property, unset it)",
                              d ? d->example : NULL, err);
    if (d ? d->check(value, why) : check_ocf_value(value, why))
        return true;
    return bad_prop_value(ti, key, value, why, d ? d->example : NULL, err);
}

static bool missing_props(const struct type_info *ti, const json_t *props, wp_err *err)
{
    char list[256];
    size_t o = 0, n = 0;
    const struct prop_def *first = NULL;
    list[0] = '\0';
    for (const struct prop_def *d = ti->props; d->key; d++) {
        if (!d->required || json_object_get(props, d->key))
            continue;
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", d->key);
        first = first ? first : d;
        n++;
    }
    if (n == 0)
        return true;
    wp_errf(err, WP_E_INVALID, "%s %s resource needs the propert%s %s", ti->article, ti->name,
            n == 1 ? "y" : "ies", list);
    wp_err_why(err, "%s required", n == 1 ? "this property is" : "these properties are");
    wp_err_todo(err, "add %s, e.g. --prop %s=%s", n == 1 ? "it" : "them", first->key,
                first->example);
    return false;
}

static bool service_exclusive(const json_t *props, wp_err *err)
{
    bool cmd = json_object_get(props, "command") != NULL;
    bool unit = json_object_get(props, "unit") != NULL;
    if (unit && json_object_get(props, "user")) {
        wp_errf(err, WP_E_INVALID, "a Generic Service resource with a unit cannot have a user");
        wp_err_why(err, "systemd starts the unit as the user its unit file names (User=); the "
                        "user property applies to a command that wolfpack runs");
        wp_err_todo(err, "set User= in the unit file, or unset the user property");
        return false;
    }
    if (cmd != unit)
        return true;
    if (cmd)
        wp_errf(err, WP_E_INVALID, "a Generic Service resource has both command and unit");
    else
        wp_errf(err, WP_E_INVALID, "a Generic Service resource needs command or unit");
    wp_err_why(err, "a service is either a program that wolfpack runs (command) or a systemd "
                    "unit (unit): exactly one of them");
    wp_err_todo(err, "give one, e.g. --prop command=\"/usr/sbin/exim4 -bd\" or "
                     "--prop unit=exim4.service");
    return false;
}

bool wp_props_validate_all(wp_rtype type, const json_t *props, wp_err *err)
{
    const struct type_info *ti = type_info(type);
    const char *key;
    json_t *value;
    json_t *empty = NULL;
    bool ok = true;
    char q[96];

    if (!ti)
        return wp_prop_validate(type, "", "", err);
    if (!props)
        props = empty = json_object();
    if (!json_is_object(props)) {
        wp_errf(err, WP_E_INVALID, "the properties of %s %s resource are not an object",
                ti->article, ti->name);
        wp_err_why(err, "properties are a JSON object of string values");
        wp_err_todo(err, "send {\"KEY\": \"VALUE\", ...}");
        return false;
    }
    json_object_foreach((json_t *)props, key, value)
    {
        if (!json_is_string(value) ||
            strlen(json_string_value(value)) != json_string_length(value)) {
            wp_errf(err, WP_E_INVALID,
                    "the value of property %s of %s %s resource is not a "
                    "string",
                    quote(q, sizeof q, key), ti->article, ti->name);
            wp_err_why(err, "property values are strings without NUL bytes");
            wp_err_todo(err, "send the value as a JSON string");
            ok = false;
            break;
        }
        if (!(ok = wp_prop_validate(type, key, json_string_value(value), err)))
            break;
    }
    if (ok)
        ok = missing_props(ti, props, err);
    if (ok && type == WP_RT_SERVICE)
        ok = service_exclusive(props, err);
    json_decref(empty);
    return ok;
}

/* ---------------------------------------------------------------------------
 * Policy value checks (each normalises into a malloc'd *out)
 * ------------------------------------------------------------------------- */

static bool norm_keyword(const char *v, const char *const *words, char **out)
{
    for (; *words; words++) {
        if (strcasecmp(v, *words) == 0) {
            *out = xstrdup(*words);
            return true;
        }
    }
    return false;
}

static bool norm_failback(const char *v, char **out, char *why)
{
    static const char *const w[] = {"never", "immediate", "window", NULL};
    if (norm_keyword(v, w, out))
        return true;
    whyf(why, "failback is never, immediate or window");
    return false;
}

static bool norm_restart_action(const char *v, char **out, char *why)
{
    static const char *const w[] = {"none", "restart", "failover", NULL};
    if (norm_keyword(v, w, out))
        return true;
    whyf(why, "the restart action is none (leave it failed), restart (restart it, never fail "
              "the group over) or failover (restart it, then fail the group over)");
    return false;
}

static bool norm_managed(const char *v, char **out, char *why)
{
    static const char *const w[] = {"true", "false", NULL};
    if (norm_keyword(v, w, out))
        return true;
    whyf(why, "managed is true (the cluster starts, stops, restarts and moves it) or false "
              "(unmanaged: the cluster leaves it as it is)");
    return false;
}

static bool norm_uint(const char *v, long max, char **out)
{
    long n;
    char buf[24];
    if (!parse_uint(v, max, &n))
        return false;
    snprintf(buf, sizeof buf, "%ld", n);
    *out = xstrdup(buf);
    return true;
}

static bool norm_failover_threshold(const char *v, char **out, char *why)
{
    if (strcasecmp(v, "auto") == 0) {
        *out = xstrdup("auto");
        return true;
    }
    if (norm_uint(v, 10000, out))
        return true;
    whyf(why, "the failover threshold is auto (number of nodes - 1) or a number from 0 to "
              "10000");
    return false;
}

static bool norm_restart_threshold(const char *v, char **out, char *why)
{
    if (norm_uint(v, 1000, out))
        return true;
    whyf(why, "the restart threshold is a number from 0 to 1000");
    return false;
}

static bool norm_duration(const char *v, long min, long max, char **out, char *why)
{
    long s;
    char buf[24];
    if (!wp_duration_parse(v, &s, NULL) || s < min || s > max) {
        whyf(why,
             "this duration is from %ld to %ld seconds, written as seconds or with a "
             "unit s, m or h",
             min, max);
        return false;
    }
    snprintf(buf, sizeof buf, "%ld", s);
    *out = xstrdup(buf);
    return true;
}

#define PERIOD_MAX 604800L /* 7 days */

static bool norm_period(const char *v, char **out, char *why)
{
    return norm_duration(v, 1, PERIOD_MAX, out, why);
}

/* 0 (never) or a period: how long until a resource's failures are forgotten. */
static bool norm_failure_timeout(const char *v, char **out, char *why)
{
    return norm_duration(v, 0, PERIOD_MAX, out, why);
}

static bool norm_interval(const char *v, char **out, char *why)
{
    return norm_duration(v, 1, 86400, out, why);
}

/* 0 (off) or 1 s .. 1 h: the first restart delay, doubled at each restart. */
static bool norm_restart_delay(const char *v, char **out, char *why)
{
    return norm_duration(v, 0, 3600, out, why);
}

/* 0 (the resource's pending_timeout) or 1 s .. 1 day: one operation's timeout. */
static bool norm_op_timeout(const char *v, char **out, char *why)
{
    return norm_duration(v, 0, 86400, out, why);
}

/* "" or a group name: the group another group is placed with / starts after. */
static bool norm_group_ref(const char *v, char **out, char *why)
{
    wp_err e;
    if (*v && !wp_name_valid("group", v, &e)) {
        whyf(why, "%s: %s (give a group's name, or \"\" for none)", e.what, e.why);
        return false;
    }
    *out = xstrdup(v);
    return true;
}

#define CLASSES_MAX_LEN 255

/* Comma list of anti-affinity class names ([A-Za-z0-9_.-], 1..63 bytes
 * each), spaces around commas trimmed, no duplicates. */
static bool norm_classes(const char *v, char **out, char *why)
{
    size_t len = strlen(v);
    char *res, *o;
    const char *p = v;

    if (len > CLASSES_MAX_LEN) {
        whyf(why, "an anti-affinity class list is at most %d bytes long", CLASSES_MAX_LEN);
        return false;
    }
    res = o = calloc(len + 1, 1);
    if (!res)
        abort();
    while (*p) {
        size_t n, skip = strspn(p, " ");
        p += skip;
        n = strcspn(p, ",");
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (n == 0 || n > WP_NAME_MAX ||
            strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                      "0123456789_.-") < n) {
            whyf(why, "a class name is 1..63 characters of letters, digits, '_', '.' and '-', "
                      "classes separated by commas");
            free(res);
            return false;
        }
        for (const char *q = res; *q;) {
            size_t ql = strcspn(q, ",");
            if (ql == n && strncmp(q, p, n) == 0) {
                whyf(why, "class \"%.*s\" is listed twice", (int)n, p);
                free(res);
                return false;
            }
            q += ql + (q[ql] == ',');
        }
        o += sprintf(o, "%s%.*s", o == res ? "" : ",", (int)n, p);
        p += strcspn(p, ",");
        if (*p == ',' && !*++p) {
            whyf(why, "the list ends with a comma");
            free(res);
            return false;
        }
    }
    *out = res;
    return true;
}

/* "HH-HH", hours 0..23, start != end; normalised to two digits each. */
static bool norm_failback_window(const char *v, char **out, char *why)
{
    char a[4], b[4], buf[48];
    long h1, h2;
    const char *dash = strchr(v, '-');
    if (!*v) {
        *out = xstrdup("");
        return true;
    }
    if (dash && dash - v <= 2 && strlen(dash + 1) <= 2) {
        memcpy(a, v, (size_t)(dash - v));
        a[dash - v] = '\0';
        strcpy(b, dash + 1);
        if (parse_uint(a, 23, &h1) && parse_uint(b, 23, &h2) && h1 != h2) {
            snprintf(buf, sizeof buf, "%02ld-%02ld", h1, h2);
            *out = xstrdup(buf);
            return true;
        }
    }
    whyf(why, "a failback window is START-END in whole hours 0..23 of local time, START "
              "different from END (it may wrap past midnight)");
    return false;
}

/* Comma list of node names, spaces around commas trimmed, no duplicates. */
static bool norm_owners(const char *v, char **out, char *why)
{
    char *res, *o;
    size_t len = strlen(v);
    const char *p = v;
    wp_err e;

    if (len > OWNERS_MAX_LEN) {
        whyf(why, "an owner list is at most %d bytes long", OWNERS_MAX_LEN);
        return false;
    }
    res = o = malloc(len + 1);
    if (!res)
        abort();
    *o = '\0';
    while (*p == ' ')
        p++;
    while (*p) {
        char name[WP_NAME_MAX + 2];
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n > 0 && p[n - 1] == ' ')
            n--;
        if (n == 0 || n > WP_NAME_MAX) {
            whyf(why, "%s",
                 n == 0 ? "the list has an empty entry (two commas in a row, or a "
                          "comma at an end)"
                        : "a node name is at most 63 characters long");
            goto bad;
        }
        memcpy(name, p, n);
        name[n] = '\0';
        if (!wp_name_valid("node", name, &e)) {
            whyf(why, "%s: %s", e.what, e.why);
            goto bad;
        }
        for (const char *q = res; *q;) {
            size_t ql = strcspn(q, ",");
            if (ql == n && strncasecmp(q, name, n) == 0) {
                whyf(why, "node \"%s\" is listed twice", name);
                goto bad;
            }
            q += ql + (q[ql] == ',');
        }
        o += sprintf(o, "%s%s", o == res ? "" : ",", name);
        if (!end)
            break;
        p = end + 1;
        while (*p == ' ')
            p++;
        if (!*p) {
            whyf(why, "the list ends with a comma");
            goto bad;
        }
    }
    *out = res;
    return true;
bad:
    free(res);
    return false;
}

/* ---------------------------------------------------------------------------
 * Policy tables
 * ------------------------------------------------------------------------- */

struct policy_def {
    const char *key;
    const char *def;
    norm_fn check;
    const char *example;
};

static const struct policy_def group_policies[] = {
    {"preferred_owners", "", norm_owners, "node1,node2"},
    {"possible_owners", "", norm_owners, "node1,node2,node3"},
    {"failback", "never", norm_failback, "immediate"},
    {"failback_window", "", norm_failback_window, "22-04"},
    {"failover_threshold", "auto", norm_failover_threshold, "2"},
    {"failover_period", "21600", norm_period, "6h"},
    {"managed", "true", norm_managed, "false"},
    {"anti_affinity", "", norm_classes, "sql"},
    {"colocate_with", "", norm_group_ref, "db"},
    {"start_after", "", norm_group_ref, "db"},
    {"retry_period", "0", norm_failure_timeout, "1h"},
    {NULL, NULL, NULL, NULL},
};

static const struct policy_def resource_policies[] = {
    {"restart_action", "failover", norm_restart_action, "restart"},
    {"restart_threshold", "3", norm_restart_threshold, "3"},
    {"restart_period", "900", norm_period, "15m"},
    {"quick_check_interval", "5", norm_interval, "5s"},
    {"thorough_check_interval", "60", norm_interval, "1m"},
    {"pending_timeout", "180", norm_interval, "3m"},
    {"managed", "true", norm_managed, "false"},
    {"failure_timeout", "0", norm_failure_timeout, "1h"},
    {"restart_delay", "0", norm_restart_delay, "10s"},
    {"start_timeout", "0", norm_op_timeout, "5m"},
    {"stop_timeout", "0", norm_op_timeout, "5m"},
    {"check_timeout", "0", norm_op_timeout, "30s"},
    {NULL, NULL, NULL, NULL},
};

static bool policy_validate(const struct policy_def *table, const char *kind, const char *key,
                            const char *value, char **normalised, wp_err *err)
{
    char why[WHY_MAX], qk[96], qv[96], keys[400];
    const struct policy_def *d = table;
    char *out = NULL;

    if (normalised)
        *normalised = NULL;
    while (d->key && !(key && strcmp(d->key, key) == 0))
        d++;
    if (!d->key) {
        size_t o = 0;
        for (const struct policy_def *k = table; k->key; k++)
            o += (size_t)snprintf(keys + o, sizeof keys - o, "%s%s", o ? ", " : "", k->key);
        wp_errf(err, WP_E_INVALID, "unknown policy %s of a %s", quote(qk, sizeof qk, key), kind);
        wp_err_why(err, "the policies of a %s are %s", kind, keys);
        wp_err_todo(err, "use one of them, e.g. --policy %s=%s", table->key, table->example);
        return false;
    }
    if (value && d->check(value, &out, why)) {
        if (normalised)
            *normalised = out;
        else
            free(out);
        return true;
    }
    wp_errf(err, WP_E_INVALID, "invalid value %s for policy \"%s\" of a %s",
            quote(qv, sizeof qv, value), d->key, kind);
    wp_err_why(err, "%s", value ? why : "the policy has no value");
    wp_err_todo(err, "give a valid value, e.g. --policy %s=%s (default: \"%s\")", d->key,
                d->example, d->def);
    return false;
}

bool wp_group_policy_validate(const char *key, const char *value, char **normalised, wp_err *err)
{
    return policy_validate(group_policies, "group", key, value, normalised, err);
}

bool wp_resource_policy_validate(const char *key, const char *value, char **normalised, wp_err *err)
{
    return policy_validate(resource_policies, "resource", key, value, normalised, err);
}

static json_t *policy_defaults(const struct policy_def *table)
{
    json_t *obj = json_object();
    for (const struct policy_def *d = table; obj && d->key; d++) {
        if (json_object_set_new(obj, d->key, json_string(d->def)) != 0) {
            json_decref(obj);
            return NULL;
        }
    }
    return obj;
}

json_t *wp_group_policy_defaults(void)
{
    return policy_defaults(group_policies);
}

json_t *wp_resource_policy_defaults(void)
{
    return policy_defaults(resource_policies);
}

/* ---------------------------------------------------------------------------
 * Whole policy objects
 * ------------------------------------------------------------------------- */

/* The defaults overlaid with the normalised values of `policy` (a missing
 * or null key keeps its default); NULL with err set when a value is bad. */
static json_t *policy_merge(const struct policy_def *table, const char *kind, const json_t *policy,
                            wp_err *err)
{
    json_t *merged = policy_defaults(table);
    const char *key;
    json_t *v;
    char q[96];

    if (!merged || !policy)
        return merged;
    if (!json_is_object(policy)) {
        wp_errf(err, WP_E_INVALID, "the policy of a %s is not an object", kind);
        wp_err_why(err, "a policy is a JSON object of string values");
        wp_err_todo(err, "send {\"KEY\": \"VALUE\", ...}");
        json_decref(merged);
        return NULL;
    }
    json_object_foreach((json_t *)policy, key, v)
    {
        char *norm = NULL;
        if (json_is_null(v))
            continue;
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
            wp_errf(err, WP_E_INVALID, "the value of policy %s of a %s is not a string",
                    quote(q, sizeof q, key), kind);
            wp_err_why(err, "policy values are strings without NUL bytes");
            wp_err_todo(err, "send the value as a JSON string, e.g. \"15m\"");
            json_decref(merged);
            return NULL;
        }
        if (!policy_validate(table, kind, key, json_string_value(v), &norm, err)) {
            json_decref(merged);
            return NULL;
        }
        json_object_set_new(merged, key, json_string(norm));
        free(norm);
    }
    return merged;
}

/* Is `name` (n bytes) in the normalised comma list? */
static bool owner_listed(const char *list, const char *name, size_t n)
{
    while (*list) {
        size_t len = strcspn(list, ",");
        if (len == n && strncasecmp(list, name, n) == 0)
            return true;
        list += len + (list[len] == ',');
    }
    return false;
}

static bool group_rules(const json_t *merged, wp_err *err)
{
    const char *pref = wp_json_str_or(merged, "preferred_owners", "");
    const char *poss = wp_json_str_or(merged, "possible_owners", "");

    if (strcmp(wp_json_str_or(merged, "failback", ""), "window") == 0 &&
        !*wp_json_str_or(merged, "failback_window", "")) {
        wp_errf(err, WP_E_INVALID, "a group with failback \"window\" has no failback_window");
        wp_err_why(err, "failback in a window needs the hours in which the group may move back");
        wp_err_todo(err, "add one, e.g. --policy failback_window=22-04, or choose "
                         "failback=immediate");
        return false;
    }
    while (*poss && *pref) {
        size_t len = strcspn(pref, ",");
        if (!owner_listed(poss, pref, len)) {
            wp_errf(err, WP_E_INVALID, "preferred owner \"%.*s\" is not a possible owner", (int)len,
                    pref);
            wp_err_why(err,
                       "the group may run only on its possible owners (%s), so preferring "
                       "another node has no effect",
                       poss);
            wp_err_todo(err, "add the node to possible_owners or remove it from "
                             "preferred_owners");
            return false;
        }
        pref += len + (pref[len] == ',');
    }
    return true;
}

bool wp_group_policy_check(const json_t *policy, wp_err *err)
{
    json_t *merged = policy_merge(group_policies, "group", policy, err);
    bool ok = merged && group_rules(merged, err);
    json_decref(merged);
    return ok;
}

bool wp_resource_policy_check(const json_t *policy, wp_err *err)
{
    json_t *merged = policy_merge(resource_policies, "resource", policy, err);
    bool ok = merged != NULL;
    json_decref(merged);
    return ok;
}

/* ---------------------------------------------------------------------------
 * Command lines
 * ------------------------------------------------------------------------- */

/* Growing list of words built in place. */
struct argv_builder {
    char **argv;
    size_t count;
    char *word; /* current word, NULL between words */
    size_t wlen;
};

/* Start a word if none is open (a quote starts one even when empty). */
static void ab_start(struct argv_builder *ab, size_t cap)
{
    if (ab->word)
        return;
    ab->word = malloc(cap + 1);
    if (!ab->word)
        abort();
    ab->wlen = 0;
}

static void ab_putc(struct argv_builder *ab, char c, size_t cap)
{
    ab_start(ab, cap);
    ab->word[ab->wlen++] = c;
}

static void ab_end_word(struct argv_builder *ab)
{
    if (!ab->word)
        return;
    ab->word[ab->wlen] = '\0';
    ab->argv[ab->count++] = ab->word;
    ab->argv[ab->count] = NULL;
    ab->word = NULL;
}

static char **argv_fail(struct argv_builder *ab, const char *line, const char *why, wp_err *err)
{
    char q[96];
    free(ab->word);
    ab->argv[ab->count] = NULL;
    wp_argv_free(ab->argv);
    wp_errf(err, WP_E_INVALID, "cannot split the command line %s", quote(q, sizeof q, line));
    wp_err_why(err, "%s", why);
    wp_err_todo(err, "quote words with '...' or \"...\", escape with \\, e.g. "
                     "/usr/bin/printf '%%s\\n' \"a b\"");
    return NULL;
}

/* Inside "...": backslash escapes only $ ` " \ and newline, as in sh. */
static bool dq_escapes(char c)
{
    return c == '$' || c == '`' || c == '"' || c == '\\' || c == '\n';
}

char **wp_argv_split(const char *line, wp_err *err)
{
    size_t len = line ? strlen(line) : 0;
    struct argv_builder ab = {0};
    const char *p = line;
    /* at most one word per two bytes, plus the NULL */
    ab.argv = calloc(len / 2 + 2, sizeof *ab.argv);
    if (!ab.argv)
        abort();
    while (p && *p) {
        char c = *p++;
        if (c == ' ' || c == '\t' || c == '\n') {
            ab_end_word(&ab);
        } else if (c == '\'') {
            ab_start(&ab, len); /* '' is an empty word */
            while (*p && *p != '\'')
                ab_putc(&ab, *p++, len);
            if (!*p++)
                return argv_fail(&ab, line, "a single quote (') is not closed", err);
        } else if (c == '"') {
            ab_start(&ab, len);
            while (*p && *p != '"') {
                if (*p == '\\' && p[1] && dq_escapes(p[1])) {
                    if (p[1] != '\n')
                        ab_putc(&ab, p[1], len);
                    p += 2;
                } else {
                    ab_putc(&ab, *p++, len);
                }
            }
            if (!*p++)
                return argv_fail(&ab, line, "a double quote (\") is not closed", err);
        } else if (c == '\\') {
            if (!*p)
                return argv_fail(&ab, line, "the line ends with a lone backslash", err);
            if (*p != '\n')
                ab_putc(&ab, *p, len);
            p++;
        } else {
            ab_putc(&ab, c, len);
        }
    }
    ab_end_word(&ab);
    if (ab.count == 0)
        return argv_fail(&ab, line ? line : "", "the command line holds no word", err);
    return ab.argv;
}

void wp_argv_free(char **argv)
{
    if (!argv)
        return;
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
}

/* ---------------------------------------------------------------------------
 * Errors retrying cannot mend
 * ------------------------------------------------------------------------- */

bool wp_error_permanent(const char *text)
{
    static const char *const marks[] = {"OCF_ERR_INSTALLED", "OCF_ERR_CONFIGURED",
                                        "(not installed)", "(not configured)", NULL};
    for (size_t i = 0; text && marks[i]; i++)
        if (strstr(text, marks[i]))
            return true;
    return false;
}

bool wp_service_user_said(const char *op, const json_t *args, wp_err *err)
{
    const json_t *props = json_object_get(args, "props");
    const char *name = wp_json_str(args, "name");
    wp_rtype type;
    wp_err ignored;
    bool create = strcmp(op, "resource.create") == 0;
    bool unset = strcmp(op, "resource.set") == 0 && json_is_null(json_object_get(props, "user"));
    if (create &&
        (!wp_rtype_parse(wp_json_str(args, "type"), &type, &ignored) || type != WP_RT_SERVICE ||
         !json_object_get(props, "command") || json_object_get(props, "user")))
        return true; /* not a command service, or its user is said */
    if (!create && !unset)
        return true;
    wp_errf(err, WP_E_INVALID, "Generic Service \"%.100s\" %s", name ? name : "",
            create ? "has no user to run its command as" : "cannot lose its user");
    wp_err_why(err, "a service runs as root only when said: its command would run as root, "
                    "which on a node with privilege separation only a program of the node's "
                    "root-owned allow-list may (docs/SECURITY.md)");
    wp_err_todo(err, "give the account it needs, e.g. --prop user=www-data; to run it as root, "
                     "say --prop user=root (and list its program in "
                     "/etc/wolfpack/root-services.d on every node)");
    return false;
}
