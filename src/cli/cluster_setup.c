/*
 * cluster_setup.c -- `wolfpack cluster create`: the first step of a new
 * cluster, done on one node before any daemon runs.
 *
 * It parses the words after "cluster create", checks every name and
 * address (nothing is written when one is wrong), renders corosync.conf
 * with src/lib/corosync_conf.c, draws a fresh corosync authkey from
 * OpenSSL's RAND_bytes, and writes the files atomically (a temporary file
 * in the same directory, fsync, rename).  With --ip it also writes
 * wolfpack.conf (src/lib/cluster_conf.c) holding the cluster's own address;
 * without --ip a wolfpack.conf left from an earlier cluster is removed
 * (with --force) so that it cannot lend that cluster's address to this one.
 * Existing files are kept unless --force is given.  Copying the files to
 * the other nodes is left to the administrator, and the command says so.
 */
#include "cluster_setup.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../lib/cluster_conf.h"
#include "../lib/corosync_conf.h"
#include "../lib/err.h"
#include "../lib/model.h"
#include "../lib/fs.h"
#include "cli.h"

#define CS_DEFAULT_DIR "/etc/corosync"
#define CS_AUTHKEY_BYTES 256

typedef struct setup_args {
    const char *cluster;
    const char *dir;
    const char *ip; /* --ip A.B.C.D/P, or NULL */
    unsigned token_ms;
    wp_cs_quorum quorum; /* votequorum options and the quorum device */
    bool force;
    bool help;
    size_t n_nodes;
    wp_cs_node nodes[WP_CS_MAX_NODES];
    char *node_words[WP_CS_MAX_NODES]; /* owned copies "NAME\0ADDRESS" */
} setup_args;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: wolfpack cluster create NAME --node NAME=ADDRESS[,ADDRESS2] [--node ...]\n"
            "                               [--config-dir DIR] [--token MS] [--ip A.B.C.D/P]\n"
            "                               [--wait-for-all] [--last-man-standing]\n"
            "                               [--auto-tie-breaker] [--qdevice HOST]\n"
            "                               [--qdevice-algorithm ffsplit|lms]"
            " [--qdevice-tls on|off]\n"
            "                               [--force]\n"
            "\n"
            "Writes DIR/corosync.conf and a new DIR/authkey (DIR defaults to " CS_DEFAULT_DIR ").\n"
            "Node ids are 1..N in the order given.  --token sets corosync's token timeout in\n"
            "milliseconds (default %d: a failed node is seen in about 0.5 s; docs/TIMING.md\n"
            "says when to choose more).  --ip gives the cluster its own address (in the\n"
            "nodes' subnet): it goes into DIR/" WP_CLUSTER_CONF_FILE ", and Cluster Group then\n"
            "holds \"Cluster IP Address\" and \"Cluster Name\".  ADDRESS2: a second address\n"
            "(knet link 1).  --wait-for-all, --last-man-standing, --auto-tie-breaker:\n"
            "votequorum's options.  --qdevice HOST: corosync-qnetd on HOST is the\n"
            "tie-breaker (corosync-qdevice on every node).  A two-node cluster without\n"
            "--qdevice is refused unless --force (it then needs fence devices:\n"
            "docs/FENCING.md).  --force also replaces files that already exist.\n",
            WP_CS_DEFAULT_TOKEN);
}

static void args_free(setup_args *a)
{
    for (size_t i = 0; i < a->n_nodes; i++)
        free(a->node_words[i]);
}

static bool parse_token(const char *text, unsigned *out, wp_err *err)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = text[0] >= '0' && text[0] <= '9' ? strtoul(text, &end, 10) : 0;
    if (end == NULL || *end != '\0' || errno != 0 || v < WP_CS_TOKEN_MIN || v > WP_CS_TOKEN_MAX) {
        wp_errf(err, WP_E_INVALID, "token \"%.64s\" is not valid", text);
        wp_err_why(err, "--token takes whole milliseconds from %d to %d", WP_CS_TOKEN_MIN,
                   WP_CS_TOKEN_MAX);
        wp_err_todo(err, "give e.g. --token 1000");
        return false;
    }
    *out = (unsigned)v;
    return true;
}

/* One --node NAME=ADDRESS: split, check, append with the next node id. */
static bool add_node(setup_args *a, const char *word, wp_err *err)
{
    if (a->n_nodes == WP_CS_MAX_NODES) {
        wp_errf(err, WP_E_INVALID, "too many nodes");
        wp_err_why(err, "a cluster has at most %d nodes", WP_CS_MAX_NODES);
        wp_err_todo(err, "give fewer --node options");
        return false;
    }
    const char *eq = strchr(word, '=');
    if (eq == NULL || eq == word) {
        wp_errf(err, WP_E_INVALID, "--node \"%.200s\" is not NAME=ADDRESS", word);
        wp_err_why(err, "each node needs a name and the address corosync uses to reach it");
        wp_err_todo(err, "write it as --node n1=198.51.100.11");
        return false;
    }
    char *copy = strdup(word);
    if (copy == NULL) {
        wp_errf(err, WP_E_INTERNAL, "out of memory reading --node");
        return false;
    }
    copy[eq - word] = '\0';
    const char *name = copy, *address = copy + (eq - word) + 1;
    char *comma = strchr(address, ',');
    const char *address2 = NULL;
    if (comma) {
        *comma = '\0';
        address2 = comma + 1;
    }
    if (!wp_name_valid("node", name, err) || !wp_cs_address_valid(address, err) ||
        (address2 && !wp_cs_address_valid(address2, err))) {
        free(copy);
        return false;
    }
    a->node_words[a->n_nodes] = copy;
    a->nodes[a->n_nodes] = (wp_cs_node){name, (unsigned)a->n_nodes + 1, address, address2};
    a->n_nodes++;
    return true;
}

static bool parse_tls(setup_args *a, const char *v, wp_err *err)
{
    if (strcmp(v, "on") != 0 && strcmp(v, "off") != 0) {
        wp_errf(err, WP_E_INVALID, "--qdevice-tls \"%.40s\" is not on or off", v);
        wp_err_why(err, "corosync-qdevice talks to corosync-qnetd with TLS (on) or without (off)");
        wp_err_todo(err, "give --qdevice-tls on (the default) or off");
        return false;
    }
    a->quorum.qdevice_tls_off = strcmp(v, "off") == 0;
    return true;
}

/* Two nodes without a quorum device: each keeps quorum (two_node) when
 * the link between them fails; only fencing then decides (FENCING.md). */
static bool check_tie_breaker(const setup_args *a, wp_err *err)
{
    bool dev = a->quorum.qdevice_host && a->quorum.qdevice_host[0];
    if (a->n_nodes != 2 || dev || a->force)
        return true;
    wp_errf(err, WP_E_CONFLICT, "a two-node cluster without a quorum device is refused");
    wp_err_why(err, "with two_node each node keeps quorum when the link between them fails: "
                    "both would run the groups unless fence devices power one off first");
    wp_err_todo(err, "add --qdevice HOST (corosync-qnetd on a third machine), or add --force "
                     "and create a fence device for each node (wolfpack fence create)");
    return false;
}

/* The options of cluster create, in the order wp_cli_getopt fills them. */
enum {
    O_FORCE,
    O_WAIT_FOR_ALL,
    O_LAST_MAN,
    O_AUTO_TIE,
    O_QDEVICE_ALGO,
    O_QDEVICE_TLS,
    O_QDEVICE,
    O_NODE,
    O_DIR,
    O_IP,
    O_TOKEN,
    O_COUNT
};

/* The last value given for a single option, or NULL. */
static const char *last(const wp_cli_opt *o)
{
    return o->count ? o->values[o->count - 1] : NULL;
}

/* The words after "cluster create", read with wp_cli_getopt (cli.h). */
static bool read_words(setup_args *a, int argc, char **argv, wp_err *err)
{
    wp_cli_opt o[O_COUNT] = {
        [O_FORCE] = {.name = "--force"},
        [O_WAIT_FOR_ALL] = {.name = "--wait-for-all"},
        [O_LAST_MAN] = {.name = "--last-man-standing"},
        [O_AUTO_TIE] = {.name = "--auto-tie-breaker"},
        [O_QDEVICE_ALGO] = {.name = "--qdevice-algorithm", .has_value = true},
        [O_QDEVICE_TLS] = {.name = "--qdevice-tls", .has_value = true},
        [O_QDEVICE] = {.name = "--qdevice", .has_value = true},
        [O_NODE] = {.name = "--node", .has_value = true},
        [O_DIR] = {.name = "--config-dir", .has_value = true},
        [O_IP] = {.name = "--ip", .has_value = true},
        [O_TOKEN] = {.name = "--token", .has_value = true},
    };
    wp_cli_args w;
    if (wp_cli_getopt(NULL, argc, argv, o, O_COUNT, false, &w, err) < 0) {
        wp_err_todo(err, "see `wolfpack cluster create --help`");
        return false;
    }
    a->help = w.help;
    if (a->help)
        return true;
    a->force = o[O_FORCE].count > 0;
    a->quorum.wait_for_all = o[O_WAIT_FOR_ALL].count > 0;
    a->quorum.last_man_standing = o[O_LAST_MAN].count > 0;
    a->quorum.auto_tie_breaker = o[O_AUTO_TIE].count > 0;
    a->quorum.qdevice_algo = last(&o[O_QDEVICE_ALGO]);
    a->quorum.qdevice_host = last(&o[O_QDEVICE]);
    if (last(&o[O_DIR]))
        a->dir = last(&o[O_DIR]);
    a->ip = last(&o[O_IP]);
    if (w.npos > 1) {
        wp_errf(err, WP_E_INVALID, "unexpected word \"%.100s\"", w.pos[1]);
        wp_err_why(err, "the cluster name is already \"%s\"", w.pos[0]);
        wp_err_todo(err, "give nodes with --node NAME=ADDRESS");
        return false;
    }
    a->cluster = w.npos ? w.pos[0] : NULL;
    if (last(&o[O_QDEVICE_TLS]) && !parse_tls(a, last(&o[O_QDEVICE_TLS]), err))
        return false;
    if (last(&o[O_TOKEN]) && !parse_token(last(&o[O_TOKEN]), &a->token_ms, err))
        return false;
    for (int i = 0; i < o[O_NODE].count; i++)
        if (!add_node(a, o[O_NODE].values[i], err))
            return false;
    return true;
}

static bool parse_args(setup_args *a, int argc, char **argv, wp_err *err)
{
    a->dir = CS_DEFAULT_DIR;
    if (!read_words(a, argc, argv, err))
        return false;
    if (a->help)
        return true;
    if (a->cluster == NULL) {
        wp_errf(err, WP_E_INVALID, "no cluster name given");
        wp_err_why(err, "corosync needs a cluster name");
        wp_err_todo(err, "run e.g. `wolfpack cluster create prod --node n1=198.51.100.11`");
        return false;
    }
    if (!wp_cs_cluster_name_valid(a->cluster, err))
        return false;
    if (a->n_nodes == 0) {
        wp_errf(err, WP_E_INVALID, "no nodes given for cluster %s", a->cluster);
        wp_err_why(err, "the node list decides who may join the cluster");
        wp_err_todo(err, "name every node with --node NAME=ADDRESS");
        return false;
    }
    for (size_t i = 0; a->n_nodes > 1 && i < a->n_nodes; i++) /* loopback: one node only */
        if (!wp_node_address_valid(a->nodes[i].address, false, err))
            return false;
    if (a->ip) {
        const char *addrs[WP_CS_MAX_NODES];
        for (size_t i = 0; i < a->n_nodes; i++)
            addrs[i] = a->nodes[i].address;
        return wp_cluster_ip_check(a->ip, addrs, a->n_nodes, err);
    }
    return true;
}

/* Refuse (WP_E_EXISTS) when path exists and force is off. */
static bool check_absent(const char *path, bool force, wp_err *err)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return true;
        wp_errf(err, WP_E_IO, "cannot check %s", path);
        wp_err_why(err, "%s", strerror(errno));
        wp_err_todo(err, "check the directory's permissions");
        return false;
    }
    if (force)
        return true;
    wp_errf(err, WP_E_EXISTS, "%s already exists", path);
    wp_err_why(err, "replacing it would cut this node off from a cluster it may belong to");
    wp_err_todo(err, "remove it, choose another --config-dir, or add --force to replace it");
    return false;
}

static bool check_dir(const char *dir, wp_err *err)
{
    struct stat st;
    int rc = stat(dir, &st);
    if (rc == 0 && S_ISDIR(st.st_mode))
        return true;
    wp_errf(err, WP_E_IO, "cannot use config directory %s", dir);
    wp_err_why(err, "%s", rc == 0 ? "it is not a directory" : strerror(errno));
    wp_err_todo(err, "create it (mkdir -p %s) or give another --config-dir", dir);
    return false;
}

typedef struct out_file {
    const char *path;
    const void *data; /* NULL: remove path if it exists (a stale file) */
    size_t len;
    mode_t mode;
    char tmp[PATH_MAX]; /* the written temporary beside path, "" if none */
} out_file;

/* Every temporary first, then the renames (corosync.conf last): a failure
 * before the renames leaves the directory as it was. */
static bool write_files(out_file *files, size_t n, wp_err *err)
{
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) {
        if (files[i].data)
            ok = wp_fs_write_temp(files[i].path, files[i].data, files[i].len, files[i].mode,
                                  files[i].tmp, sizeof files[i].tmp, err);
    }
    for (size_t i = n; i-- > 0 && ok;) {
        if (!files[i].data && unlink(files[i].path) != 0 && errno != ENOENT) {
            wp_fs_err(err, errno, "cannot remove the stale", files[i].path);
            ok = false;
        } else if (files[i].data && rename(files[i].tmp, files[i].path) != 0) {
            wp_fs_err(err, errno, "cannot rename into place", files[i].path);
            ok = false;
        } else {
            files[i].tmp[0] = '\0';
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (files[i].tmp[0])
            unlink(files[i].tmp);
    }
    return ok && wp_fs_fsync_parent(files[0].path, err);
}

static bool random_key(unsigned char *key, wp_err *err)
{
    if (RAND_bytes(key, CS_AUTHKEY_BYTES) == 1)
        return true;
    wp_errf(err, WP_E_IO, "cannot draw random bytes for the authkey");
    wp_err_why(err, "OpenSSL's random generator is not seeded or failed");
    wp_err_todo(err, "check that /dev/urandom is readable and try again");
    return false;
}

static void print_done(const setup_args *a, const char *conf_path, const char *key_path,
                       const char *wpconf_path)
{
    printf("Wrote %s: cluster %s, %zu node%s", conf_path, a->cluster, a->n_nodes,
           a->n_nodes == 1 ? "" : "s");
    printf(", token %u ms", a->token_ms);
    printf("\n");
    for (size_t i = 0; i < a->n_nodes; i++)
        printf("  node %-16s id %-3u address %s\n", a->nodes[i].name, a->nodes[i].nodeid,
               a->nodes[i].address);
    printf("Wrote %s: %d random bytes, mode 0400\n", key_path, CS_AUTHKEY_BYTES);
    if (a->ip)
        printf("Wrote %s: cluster_ip=%s (Cluster IP Address and Cluster Name)\n", wpconf_path,
               a->ip);
    printf("\nNext steps (as `pcs cluster setup` does, minus the copying):\n"
           "  1. Copy %s files, unchanged and with their modes, to /etc/corosync/ on every\n"
           "     node, e.g.  scp -p %s %s%s%s root@NODE:/etc/corosync/\n"
           "  2. Start corosync on every node:  corosync -f -c /etc/corosync/corosync.conf\n"
           "     (or your init system's corosync service), then check the membership with\n"
           "     corosync-quorumtool -s\n"
           "  3. Start wolfpackd on every node:  systemctl enable --now wolfpackd\n"
           "     (or by hand: wolfpackd; its settings are in /etc/wolfpack/wolfpackd.conf)\n",
           a->ip ? "the three" : "both", conf_path, key_path, a->ip ? " " : "",
           a->ip ? wpconf_path : "");
    printf("  4. Give every node a way to be fenced before it runs a group (docs/FENCING.md):\n"
           "     a fence device (wolfpack fence create NAME --agent fence_ipmilan ... --nodes "
           "NODE)\n"
           "     or a watchdog (wolfpackd --watchdog /dev/watchdog0).  Until then a lost "
           "node's\n"
           "     groups wait for `wolfpack node confirm-down NODE`; `wolfpack cluster fencing "
           "off`\n"
           "     accepts the risk of a group running twice instead.\n");
    fprintf(stderr,
            "warning: no node can be fenced yet: a node that is lost while it holds a group "
            "keeps the group (nothing starts it elsewhere) until it is fenced or you run "
            "`wolfpack node confirm-down NODE`; create fence devices or give wolfpackd a "
            "watchdog (next step 4)\n");
}

static int run(setup_args *a, wp_err *err)
{
    char *conf_path = NULL, *key_path = NULL, *wpconf_path = NULL, *conf = NULL, *wpconf = NULL;
    unsigned char key[CS_AUTHKEY_BYTES];
    if (a->token_ms == 0)
        a->token_ms = WP_CS_DEFAULT_TOKEN;
    wp_cs_timing timing = wp_cs_timing_for_token(a->token_ms);
    bool ok = (conf = wp_corosync_conf_render_q(a->cluster, a->nodes, a->n_nodes, &timing,
                                                &a->quorum, err)) &&
              (!a->ip || (wpconf = wp_cluster_conf_render(a->ip, err))) &&
              check_tie_breaker(a, err);
    if (ok && (asprintf(&conf_path, "%s/corosync.conf", a->dir) < 0 ||
               asprintf(&key_path, "%s/authkey", a->dir) < 0 ||
               asprintf(&wpconf_path, "%s/" WP_CLUSTER_CONF_FILE, a->dir) < 0)) {
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        ok = false;
    }
    /* without --ip an existing wolfpack.conf is stale: refused like the
     * others, removed with --force */
    out_file files[] = {
        {conf_path, conf, conf ? strlen(conf) : 0, 0644, ""},
        {key_path, key, CS_AUTHKEY_BYTES, 0400, ""},
        {wpconf_path, wpconf, wpconf ? strlen(wpconf) : 0, 0644, ""},
    };
    ok = ok && check_dir(a->dir, err) && check_absent(conf_path, a->force, err) &&
         check_absent(key_path, a->force, err) && check_absent(wpconf_path, a->force, err) &&
         random_key(key, err) && write_files(files, sizeof files / sizeof files[0], err);
    if (ok)
        print_done(a, conf_path, key_path, wpconf_path);
    OPENSSL_cleanse(key, sizeof(key));
    free(conf);
    free(wpconf);
    free(conf_path);
    free(key_path);
    free(wpconf_path);
    return ok ? 0 : wp_code_exit_status(err->code);
}

int wp_cli_cluster_create(int argc, char **argv)
{
    setup_args a = {0};
    wp_err err = {0};
    int status;
    if (!parse_args(&a, argc, argv, &err)) {
        status = wp_code_exit_status(err.code);
    } else if (a.help) {
        usage(stdout);
        status = 0;
    } else {
        status = run(&a, &err);
    }
    if (status != 0)
        wp_err_print(&err, stderr);
    args_free(&a);
    return status;
}
