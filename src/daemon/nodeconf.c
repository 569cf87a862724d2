/*
 * nodeconf.c -- runtime cluster membership in wolfpackd: the checks of a
 * `node.add` / `node.remove` request on the node that receives it, and
 * corosync.conf following the database on every node (docs/REPLICATION.md,
 * "Changing membership").
 *
 * Request checks (handlers.c calls wp_nodeconf_check before submitting):
 *   node.add     the address is an IP literal of the family the cluster
 *                uses; without an id the next free one (highest + 1) is
 *                written into the command, so every node applies the same;
 *   node.remove  never this node itself (run it on another node), and not
 *                a node whose wolfpackd is still a member of the CPG group
 *                unless "force": the rule is "stop the node, then remove it".
 * The database op refuses the rest (duplicates, the last node, a node that
 * owns groups), identically on every node.
 *
 * corosync.conf (events.c calls wp_nodeconf_reconcile after node.add and
 * node.remove, on every node, through replication, and whenever this node
 * becomes ready -- synced in a quorate partition -- since it may have been
 * down when one was applied): the database is the authority on the nodes;
 * when its node set differs from corosync's running nodelist (cmap), the file is
 * rendered from the database (src/lib/corosync_conf.c) with the running
 * token and knet ping timers, written atomically (temporary file, fsync,
 * rename, fsync of the directory), and `corosync-cfgtool -R` reloads it.
 * The reload is a child process watched from the event loop (its output
 * through a pipe, a timeout, a clear log line on failure), never waited
 * for.  Changes applied while a reload runs are taken by one more rewrite
 * when it ends.  Solo mode has no corosync: nothing is written.  Under
 * --user the daemon cannot write the file: it hands the nodes and timers
 * to the root executor (wp_privsep_corosync_write), which renders, writes
 * and reloads, and answers; the same "again" rule holds meanwhile.
 *
 * Environment (tests): WOLFPACK_COROSYNC_CONF (default
 * /etc/corosync/corosync.conf), WOLFPACK_COROSYNC_CFGTOOL (default
 * corosync-cfgtool, looked up in PATH).
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <qb/qblog.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lib/fs.h"
#include "../lib/corosync_conf.h"
#include "../lib/json.h"
#include "daemon.h"

#define RELOAD_TIMEOUT_MS 15000
#define RELOAD_OUT_MAX 2048

struct wp_nodeconf {
    pid_t pid;        /* the running corosync-cfgtool -R, or 0 */
    int out_fd;       /* its stdout+stderr, -1 when none */
    bool again;       /* a change came while it ran: rewrite once more */
    bool timed_out;   /* we killed it */
    bool remote_busy; /* --user: the executor writes and reloads */
    bool timer_armed;
    qb_loop_timer_handle timer;
    char out[RELOAD_OUT_MAX];
    size_t out_len;
};

static const char *conf_path(void)
{
    const char *p = getenv("WOLFPACK_COROSYNC_CONF");
    return p && *p ? p : "/etc/corosync/corosync.conf";
}

static const char *cfgtool(void)
{
    const char *p = getenv("WOLFPACK_COROSYNC_CFGTOOL");
    return p && *p ? p : "corosync-cfgtool";
}

/* ---- request checks ------------------------------------------------------ */

static int family_of(const char *addr)
{
    return strchr(addr, ':') ? 6 : 4;
}

/* A cluster that runs two knet links: a node added with one address
 * would leave corosync.conf unwritable (every node needs both links). */
static bool check_no_second_link(wp_daemon *d, const json_t *args, wp_err *err)
{
    if (d->opts.solo)
        return true;
    wp_err ignored = {0};
    json_t *cs = wp_repl_corosync_nodelist(&ignored);
    size_t i;
    json_t *x;
    bool two = false;
    json_array_foreach(cs, i, x) two = two || json_object_get(x, "address2") != NULL;
    json_decref(cs);
    if (!two)
        return true;
    wp_errf(err, WP_E_CONFLICT, "cannot add node '%s' to a cluster with two links",
            wp_json_str(args, "name"));
    wp_err_why(err, "corosync runs knet link 1 (ring1_addr) too, and node add takes one address");
    wp_err_todo(err, "write corosync.conf with `wolfpack cluster create` and every node's two "
                     "addresses (NAME=ADDRESS,ADDRESS2), copy it to every node and restart "
                     "corosync, then add the node to the database");
    return false;
}

static bool check_add(wp_daemon *d, json_t *args, wp_err *err)
{
    const char *addr = wp_json_str(args, "address");
    if (!wp_cs_address_valid(addr, err) || !check_no_second_link(d, args, err))
        return false;
    json_t *nodes = wp_db_node_list(d->db, err);
    if (!nodes)
        return false;
    json_int_t next = 1;
    const char *other = NULL;
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        json_int_t id = json_integer_value(json_object_get(n, "id"));
        if (id >= next)
            next = id + 1;
        const char *a = wp_json_str(n, "address");
        if (a && family_of(a) != family_of(addr))
            other = wp_json_str(n, "name");
    }
    bool ok = other == NULL;
    if (!ok) {
        wp_errf(err, WP_E_INVALID, "cannot add node '%s' with address %s",
                wp_json_str(args, "name"), addr);
        wp_err_why(err, "node '%s' uses the other address family, and a corosync link uses one",
                   other);
        wp_err_todo(err, "give the node an address of the family the cluster uses");
    } else if (!json_object_get(args, "id")) {
        json_object_set_new(args, "id", json_integer(next));
    }
    json_decref(nodes);
    return ok;
}

/* The id of node `name` in the database, 0 when unknown. */
static uint32_t node_id(wp_daemon *d, const char *name)
{
    wp_err err = {0};
    json_t *nodes = wp_db_node_list(d->db, &err);
    uint32_t id = 0;
    size_t i;
    json_t *n;
    json_array_foreach(nodes, i, n)
    {
        const char *nm = wp_json_str(n, "name");
        if (nm && strcasecmp(nm, name) == 0)
            id = (uint32_t)json_integer_value(json_object_get(n, "id"));
    }
    json_decref(nodes);
    return id;
}

static bool check_remove(wp_daemon *d, const json_t *args, wp_err *err)
{
    const char *name = wp_json_str(args, "name");
    uint32_t id = node_id(d, name);
    if (id == 0)
        return true; /* the database op says "does not exist" */
    if (id == d->view.local_id) {
        wp_errf(err, WP_E_CONFLICT, "cannot remove node '%s' from itself", name);
        wp_err_why(err,
                   "this request reached the wolfpackd of '%s', which would rewrite its own "
                   "corosync.conf without itself",
                   name);
        wp_err_todo(err,
                    "stop node '%s' (wolfpackd and corosync), then run 'wolfpack node "
                    "remove %s' on another node",
                    name, name);
        return false;
    }
    if (wp_view_is_member(d, id) && !json_is_true(json_object_get(args, "force"))) {
        wp_errf(err, WP_E_CONFLICT, "cannot remove node '%s'", name);
        wp_err_why(err, "it is running: its wolfpackd is a member of the cluster");
        wp_err_todo(err, "stop it first (wolfpackd, then corosync), then remove it; --force "
                         "removes a running node (its corosync is then cut off at the reload)");
        return false;
    }
    return true;
}

/* ---- cluster.quorum ------------------------------------------------------ */

static const char *const quorum_flags[] = {"wait_for_all", "last_man_standing", "auto_tie_breaker"};

/* The options in force: the stored ones, else corosync's running ones
 * (a cluster made by `cluster create`, never changed since). */
static json_t *current_quorum(wp_daemon *d, json_t *running, wp_err *err)
{
    json_t *q = wp_db_quorum(d->db, err);
    if (q || err->code != WP_OK)
        return q;
    q = json_deep_copy(running);
    if (q && !json_object_get(q, "qdevice_host"))
        json_object_set_new(q, "qdevice_host", json_string(""));
    return q;
}

static bool flag_of(const json_t *q, const char *k)
{
    return json_is_true(json_object_get(q, k));
}

static const char *host_of(const json_t *q)
{
    const char *h = wp_json_str(q, "qdevice_host");
    return h ? h : "";
}

/* Options corosync reads only when it starts (votequorum(5): "Only votes,
 * quorum_votes, expected_votes and two_node can be changed at runtime"). */
static bool check_restart_only(const json_t *want, const json_t *running, bool at_restart,
                               wp_err *err)
{
    for (size_t i = 0; i < sizeof quorum_flags / sizeof quorum_flags[0]; i++) {
        if (flag_of(want, quorum_flags[i]) == flag_of(running, quorum_flags[i]) || at_restart)
            continue;
        wp_errf(err, WP_E_CONFLICT, "%s cannot change while the cluster runs", quorum_flags[i]);
        wp_err_why(err, "corosync reads it only when it starts (votequorum(5)); a reload of "
                        "corosync.conf would leave the running cluster as it is");
        wp_err_todo(err, "add --at-restart: it is stored and written into corosync.conf now, "
                         "and takes effect when corosync restarts on every node");
        return false;
    }
    return true;
}

static bool check_quorum_change(wp_daemon *d, const json_t *want, const json_t *running,
                                bool at_restart, bool force, wp_err *err)
{
    const char *host = host_of(want), *algo = wp_json_str(want, "qdevice_algorithm");
    json_t *nodes = wp_db_node_list(d->db, err);
    json_t *fences = nodes ? wp_db_fence_list(d->db, err) : NULL;
    if (!fences) {
        json_decref(nodes);
        return false;
    }
    size_t n = json_array_size(nodes), nf = json_array_size(fences);
    json_decref(nodes);
    json_decref(fences);
    if (flag_of(want, "auto_tie_breaker") && *host) {
        wp_errf(err, WP_E_INVALID, "auto_tie_breaker and a quorum device do not go together");
        wp_err_why(err, "votequorum disables the quorum device when auto_tie_breaker is set");
        wp_err_todo(err, "choose one tie-breaker: remove the device (--no-qdevice) or leave "
                         "auto_tie_breaker off");
        return false;
    }
    if (*host && n % 2 == 1 && (!algo || strcmp(algo, "ffsplit") == 0)) {
        wp_errf(err, WP_E_INVALID,
                "the quorum device's algorithm ffsplit needs an even number of "
                "nodes; this cluster has %zu",
                n);
        wp_err_why(err,
                   "ffsplit breaks 50:50 splits; corosync-qdevice refuses it for an odd count");
        wp_err_todo(err, "give --qdevice-algorithm lms");
        return false;
    }
    if (!*host && *host_of(running) && n == 2 && nf == 0 && !force) {
        wp_errf(err, WP_E_CONFLICT,
                "removing the quorum device leaves two nodes without a "
                "tie-breaker and without fencing");
        wp_err_why(err, "with two_node each node keeps quorum when the link between them fails: "
                        "both would run the groups");
        wp_err_todo(err, "create a fence device for both nodes first (wolfpack fence create), or "
                         "add --force to accept the risk");
        return false;
    }
    return check_restart_only(want, running, at_restart, err);
}

/* cluster.quorum: merge the request over the options in force, check the
 * result, and submit the whole set. */
static bool check_quorum(wp_daemon *d, json_t *args, wp_err *err)
{
    if (d->opts.solo) {
        wp_errf(err, WP_E_CONFLICT, "this wolfpackd runs solo: there is no corosync to configure");
        wp_err_todo(err, "run it on a cluster node");
        return false;
    }
    json_t *running = wp_repl_corosync_quorum(err);
    json_t *want = running ? current_quorum(d, running, err) : NULL;
    bool ok = want != NULL;
    const char *k;
    json_t *v;
    json_object_foreach(args, k, v)
    {
        if (ok && strcmp(k, "at_restart") != 0 && strcmp(k, "force") != 0)
            json_object_set(want, k, v);
    }
    if (ok && !*host_of(want)) { /* no device: its settings go with it */
        json_object_del(want, "qdevice_algorithm");
        json_object_del(want, "qdevice_tls");
    }
    ok = ok && check_quorum_change(d, want, running, flag_of(args, "at_restart"),
                                   flag_of(args, "force"), err);
    json_object_foreach(want, k, v)
    {
        if (ok)
            json_object_set(args, k, v);
    }
    json_decref(want);
    json_decref(running);
    return ok;
}

bool wp_nodeconf_check(wp_daemon *d, wp_request *req, wp_err *err)
{
    if (strcmp(req->op, "cluster.quorum") == 0)
        return check_quorum(d, req->args, err);
    if (strcmp(req->op, "node.add") == 0)
        return check_add(d, req->args, err);
    if (strcmp(req->op, "node.remove") == 0)
        return check_remove(d, req->args, err);
    return true;
}

/* ---- corosync.conf ------------------------------------------------------- */

static bool same_node(const json_t *a, const json_t *b)
{
    const char *na = wp_json_str(a, "name");
    const char *nb = wp_json_str(b, "name");
    const char *aa = wp_json_str(a, "address");
    const char *ab = wp_json_str(b, "address");
    return na && nb && aa && ab && strcasecmp(na, nb) == 0 && strcmp(aa, ab) == 0 &&
           json_integer_value(json_object_get(a, "id")) ==
               json_integer_value(json_object_get(b, "id"));
}

/* Is node x (name, id, address) in the list? */
static bool node_listed(const json_t *x, const json_t *list)
{
    size_t j;
    json_t *y;
    json_array_foreach(list, j, y)
    {
        if (same_node(x, y))
            return true;
    }
    return false;
}

/* Every node of a is in b. */
static bool nodes_within(const json_t *a, const json_t *b)
{
    size_t i;
    json_t *x;
    json_array_foreach(a, i, x)
    {
        if (!node_listed(x, b))
            return false;
    }
    return true;
}

static int by_id(const void *a, const void *b)
{
    const wp_cs_node *x = a, *y = b;
    return x->nodeid < y->nodeid ? -1 : x->nodeid > y->nodeid;
}

/* The second address (ring1_addr) corosync runs for node id, or NULL. */
static const char *running_address2(const json_t *cs_nodes, json_int_t id)
{
    size_t i;
    json_t *x;
    json_array_foreach(cs_nodes, i, x)
    {
        if (json_integer_value(json_object_get(x, "id")) == id)
            return wp_json_str(x, "address2");
    }
    return NULL;
}

/* corosync's running votequorum options and quorum device (q's strings
 * point into rq, which the caller frees) */
static void running_quorum(const json_t *rq, wp_cs_quorum *q)
{
    q->wait_for_all = json_is_true(json_object_get(rq, "wait_for_all"));
    q->last_man_standing = json_is_true(json_object_get(rq, "last_man_standing"));
    q->auto_tie_breaker = json_is_true(json_object_get(rq, "auto_tie_breaker"));
    q->qdevice_host = wp_json_str(rq, "qdevice_host");
    q->qdevice_algo = wp_json_str(rq, "qdevice_algorithm");
    const char *tls = wp_json_str(rq, "qdevice_tls");
    q->qdevice_tls_off = tls && (strcmp(tls, "off") == 0 || strcmp(tls, "0") == 0);
}

/* What the file is made of: the cluster's name, the database's nodes by
 * id (with the second addresses corosync runs), corosync's running timing,
 * votequorum options and quorum device (kept: they are set by `cluster
 * create` or by hand, and not in the database).  The strings belong to
 * st, rq, nodes and cs_nodes. */
typedef struct conf_input {
    json_t *st;  /* wp_db_status: the cluster's name */
    json_t *rq;  /* wp_repl_corosync_quorum */
    json_t *dbq; /* wp_db_quorum: the stored options, or NULL */
    const char *cluster;
    wp_cs_node *cs;
    size_t n;
    wp_cs_timing timing;
    wp_cs_quorum quorum;
} conf_input;

static void input_free(conf_input *in)
{
    free(in->cs);
    json_decref(in->dbq);
    json_decref(in->rq);
    json_decref(in->st);
}

static bool input_collect(wp_daemon *d, const json_t *nodes, const json_t *cs_nodes, conf_input *in,
                          wp_err *err)
{
    unsigned token = 0, iv = 0, to = 0;
    *in = (conf_input){.st = wp_db_status(d->db, err), .n = json_array_size(nodes)};
    in->cluster = in->st ? wp_json_str(in->st, "cluster") : NULL;
    in->cluster = in->cluster ? in->cluster : "";
    in->cs = calloc(in->n ? in->n : 1, sizeof *in->cs);
    if (!in->cs)
        wp_errf(err, WP_E_INTERNAL, "out of memory");
    if (!in->st || !in->cs || !wp_repl_corosync_timing(&token, &iv, &to, err) ||
        !(in->rq = wp_repl_corosync_quorum(err)) ||
        (!(in->dbq = wp_db_quorum(d->db, err)) && err->code != WP_OK)) {
        input_free(in);
        return false;
    }
    size_t i;
    json_t *x;
    json_array_foreach(nodes, i, x)
    {
        in->cs[i].name = wp_json_str(x, "name");
        in->cs[i].address = wp_json_str(x, "address");
        in->cs[i].nodeid = (unsigned)json_integer_value(json_object_get(x, "id"));
        in->cs[i].address2 =
            running_address2(cs_nodes, json_integer_value(json_object_get(x, "id")));
    }
    qsort(in->cs, in->n, sizeof *in->cs, by_id);
    in->timing =
        (wp_cs_timing){.token_ms = token, .knet_ping_interval_ms = iv, .knet_ping_timeout_ms = to};
    running_quorum(in->dbq ? in->dbq : in->rq, &in->quorum); /* the stored ones win */
    return true;
}

/* Render the file for the database's nodes with corosync's running timing,
 * second addresses, votequorum options and quorum device. */
static char *render(wp_daemon *d, const json_t *nodes, const json_t *cs_nodes, wp_err *err)
{
    conf_input in;
    if (!input_collect(d, nodes, cs_nodes, &in, err))
        return NULL;
    char *text = wp_corosync_conf_render_q(in.cluster, in.cs, in.n, &in.timing, &in.quorum, err);
    input_free(&in);
    return text;
}

/* --user: the executor's answer to the rewrite and reload. */
static void remote_done(wp_daemon *d, bool ok, const wp_err *err)
{
    wp_nodeconf *nc = d->nodeconf;
    if (!nc)
        return;
    nc->remote_busy = false;
    if (ok)
        qb_log(LOG_NOTICE, "nodeconf: corosync reloaded %s (written by the executor)", conf_path());
    else
        wp_log_err(LOG_ERR, "nodeconf: the executor could not bring corosync.conf up to date", err);
    if (nc->again && !d->stopping) {
        nc->again = false;
        wp_nodeconf_reconcile(d, true);
    }
}

/* --user: hand the rewrite to the executor. */
static bool remote_rewrite(wp_daemon *d, const json_t *nodes, const json_t *cs_nodes, wp_err *err)
{
    conf_input in;
    if (!input_collect(d, nodes, cs_nodes, &in, err))
        return false;
    bool ok = wp_privsep_corosync_write(d, in.cluster, in.cs, in.n, &in.timing, &in.quorum,
                                        remote_done, err);
    input_free(&in);
    if (ok) {
        d->nodeconf->remote_busy = true;
        qb_log(LOG_NOTICE, "nodeconf: the executor writes %s (%zu node(s)) and reloads corosync",
               conf_path(), json_array_size(nodes));
    }
    return ok;
}

/* temp file + fsync + rename + fsync of the directory (src/lib/fs.c) */
static bool write_atomic(const char *path, const char *text, wp_err *err)
{
    if (wp_fs_write_atomic(path, text, strlen(text), 0644, err))
        return true;
    wp_err_todo(err, "check the directory's permissions and free space; the node's corosync "
                     "keeps its old nodelist until the file is written");
    return false;
}

static void reload_finish(wp_daemon *d, int status)
{
    wp_nodeconf *nc = d->nodeconf;
    if (nc->timer_armed)
        qb_loop_timer_del(d->loop, nc->timer);
    nc->timer_armed = false;
    nc->out[nc->out_len] = '\0';
    for (char *p = nc->out; *p; p++)
        if (*p == '\n')
            *p = ' ';
    if (nc->timed_out)
        qb_log(LOG_ERR,
               "nodeconf: '%s -R' did not finish within %d ms and was killed: corosync may "
               "still run the old nodelist (check with corosync-cmapctl nodelist; run "
               "'corosync-cfgtool -R' by hand)",
               cfgtool(), RELOAD_TIMEOUT_MS);
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        qb_log(LOG_ERR,
               "nodeconf: '%s -R' failed (status %d): %s -- corosync runs the old nodelist "
               "until the reload succeeds (fix the cause, then run 'corosync-cfgtool -R')",
               cfgtool(), WIFEXITED(status) ? WEXITSTATUS(status) : -1,
               nc->out_len ? nc->out : "no output");
    else
        qb_log(LOG_NOTICE, "nodeconf: corosync reloaded %s", conf_path());
    nc->pid = 0;
    nc->timed_out = false;
    nc->out_len = 0;
    if (nc->again && !d->stopping) {
        nc->again = false;
        wp_nodeconf_reconcile(d, true);
    }
}

static int32_t on_output(int32_t fd, int32_t revents, void *data)
{
    wp_daemon *d = data;
    wp_nodeconf *nc = d->nodeconf;
    char buf[512];
    ssize_t r = read(fd, buf, sizeof buf);
    if (r < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (r > 0) {
        size_t room = sizeof nc->out - 1 - nc->out_len;
        size_t take = (size_t)r < room ? (size_t)r : room;
        memcpy(nc->out + nc->out_len, buf, take);
        nc->out_len += take;
        return 0;
    }
    (void)revents;
    /* EOF: the child closed its output, it is exiting; wait for it */
    qb_loop_poll_del(d->loop, fd);
    close(fd);
    nc->out_fd = -1;
    int status = 0;
    pid_t got;
    while ((got = waitpid(nc->pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (got != nc->pid) {
        qb_log(LOG_WARNING,
               "nodeconf: cannot get the exit status of %s -R (%s); check "
               "corosync-cmapctl nodelist",
               cfgtool(), strerror(errno));
        status = 0;
    }
    reload_finish(d, status);
    return 0;
}

static void on_timeout(void *data)
{
    wp_daemon *d = data;
    wp_nodeconf *nc = d->nodeconf;
    nc->timer_armed = false;
    if (nc->pid > 0) {
        nc->timed_out = true;
        kill(-nc->pid, SIGKILL); /* its process group; EOF follows */
    }
}

static void reload_start(wp_daemon *d)
{
    wp_nodeconf *nc = d->nodeconf;
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        qb_log(LOG_ERR, "nodeconf: cannot run %s -R: pipe: %s", cfgtool(), strerror(errno));
        return;
    }
    pid_t pid = fork();
    if (pid < 0) {
        qb_log(LOG_ERR, "nodeconf: cannot run %s -R: fork: %s", cfgtool(), strerror(errno));
        close(p[0]);
        close(p[1]);
        return;
    }
    if (pid == 0) {
        setpgid(0, 0);
        int nul = open("/dev/null", O_RDONLY);
        if (nul >= 0)
            dup2(nul, 0);
        dup2(p[1], 1);
        dup2(p[1], 2);
        for (int fd = 3; fd < 1024; fd++) /* the daemon's sockets and database */
            close(fd);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execlp(cfgtool(), cfgtool(), "-R", (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", cfgtool(), strerror(errno));
        _exit(127);
    }
    setpgid(pid, pid);
    close(p[1]);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    nc->pid = pid;
    nc->out_fd = p[0];
    nc->out_len = 0;
    qb_loop_poll_add(d->loop, QB_LOOP_MED, p[0], POLLIN, d, on_output);
    nc->timer_armed =
        qb_loop_timer_add(d->loop, QB_LOOP_MED, (uint64_t)RELOAD_TIMEOUT_MS * 1000000u, d,
                          on_timeout, &nc->timer) == 0;
    qb_log(LOG_INFO, "nodeconf: running %s -R (pid %d)", cfgtool(), (int)pid);
}

static bool has_id(const json_t *nodes, uint32_t id)
{
    size_t i;
    json_t *x;
    bool found = false;
    json_array_foreach(nodes, i, x)
    {
        found = found || (uint32_t)json_integer_value(json_object_get(x, "id")) == id;
    }
    return found;
}

/* A node corosync runs that the database lacks is left out of the file:
 * say so (one written into corosync.conf by hand, or removed while this
 * node was down). */
static void warn_unknown(const json_t *cs_nodes, const json_t *db_nodes)
{
    size_t i;
    json_t *x;
    json_array_foreach(cs_nodes, i, x)
    {
        if (!node_listed(x, db_nodes))
            qb_log(LOG_WARNING,
                   "nodeconf: corosync lists node %s (id %lld, %s), which the cluster database "
                   "does not: it is left out of corosync.conf (add nodes with 'wolfpack node "
                   "add')",
                   wp_json_str(x, "name"), (long long)json_integer_value(json_object_get(x, "id")),
                   wp_json_str(x, "address"));
    }
}

static bool same_string(const json_t *a, const json_t *b, const char *k, const char *dflt)
{
    const char *x = wp_json_str(a, k);
    const char *y = wp_json_str(b, k);
    return strcmp(x && *x ? x : dflt, y && *y ? y : dflt) == 0;
}

/* The stored quorum options (cluster.quorum) differ from corosync's running
 * ones.  Options corosync reads only at its start keep differing after a
 * reload: each reconcile then writes the same file again, harmlessly. */
static bool quorum_differs(wp_daemon *d, wp_err *err)
{
    json_t *dbq = wp_db_quorum(d->db, err);
    json_t *rq = dbq ? wp_repl_corosync_quorum(err) : NULL;
    bool differs = false;
    for (size_t i = 0; rq && i < sizeof quorum_flags / sizeof quorum_flags[0]; i++)
        differs = differs || flag_of(dbq, quorum_flags[i]) != flag_of(rq, quorum_flags[i]);
    differs = differs ||
              (rq && (!same_string(dbq, rq, "qdevice_host", "") ||
                      (*host_of(dbq) && (!same_string(dbq, rq, "qdevice_algorithm", "ffsplit") ||
                                         !same_string(dbq, rq, "qdevice_tls", "on")))));
    json_decref(rq);
    json_decref(dbq);
    return differs;
}

/* Rewrite the file when the database's nodes differ from corosync's, or
 * its stored quorum options from corosync's running ones. */
static void rewrite(wp_daemon *d, bool after_change)
{
    wp_err err = {0};
    json_t *db_nodes = wp_db_node_list(d->db, &err);
    json_t *cs_nodes = db_nodes ? wp_repl_corosync_nodelist(&err) : NULL;
    char *text = NULL;
    if (cs_nodes && !has_id(db_nodes, d->view.local_id)) {
        /* removed with --force while running: its corosync.conf without
         * itself would not load; the node is out of the cluster */
        qb_log(LOG_WARNING,
               "nodeconf: this node (id %u) is no longer in the cluster database: "
               "corosync.conf left as it is; stop wolfpackd and corosync here",
               (unsigned)d->view.local_id);
        json_decref(cs_nodes);
        json_decref(db_nodes);
        return;
    }
    if (cs_nodes && !after_change) /* after a node.remove cmap lists it until the reload */
        warn_unknown(cs_nodes, db_nodes);
    if (cs_nodes && nodes_within(db_nodes, cs_nodes) && nodes_within(cs_nodes, db_nodes) &&
        !quorum_differs(d, &err)) {
        qb_log(LOG_DEBUG, "nodeconf: corosync already runs the database's %zu node(s)",
               json_array_size(db_nodes));
    } else if (cs_nodes && d->privsep) {
        remote_rewrite(d, db_nodes, cs_nodes, &err);
    } else if (cs_nodes && (text = render(d, db_nodes, cs_nodes, &err)) != NULL &&
               write_atomic(conf_path(), text, &err)) {
        qb_log(LOG_NOTICE, "nodeconf: wrote %s (%zu node(s)); reloading corosync", conf_path(),
               json_array_size(db_nodes));
        reload_start(d);
    }
    if (err.code != WP_OK)
        wp_log_err(LOG_ERR, "nodeconf: cannot bring corosync.conf up to date", &err);
    free(text);
    json_decref(cs_nodes);
    json_decref(db_nodes);
}

void wp_nodeconf_reconcile(wp_daemon *d, bool after_change)
{
    if (d->opts.solo || d->stopping || !d->loop)
        return;
    if (!d->nodeconf) {
        d->nodeconf = calloc(1, sizeof *d->nodeconf);
        if (!d->nodeconf) {
            qb_log(LOG_ERR, "nodeconf: out of memory: corosync.conf not rewritten");
            return;
        }
        d->nodeconf->out_fd = -1;
    }
    if (d->nodeconf->pid > 0 || d->nodeconf->remote_busy) {
        d->nodeconf->again = true; /* after the running reload */
        return;
    }
    rewrite(d, after_change);
}

bool wp_nodeconf_owns_pid(const wp_daemon *d, pid_t pid)
{
    return d->nodeconf && d->nodeconf->pid > 0 && d->nodeconf->pid == pid;
}

void wp_nodeconf_free(wp_daemon *d)
{
    wp_nodeconf *nc = d->nodeconf;
    if (!nc)
        return;
    if (nc->timer_armed && d->loop)
        qb_loop_timer_del(d->loop, nc->timer);
    if (nc->out_fd >= 0) {
        if (d->loop)
            qb_loop_poll_del(d->loop, nc->out_fd);
        close(nc->out_fd);
    }
    if (nc->pid > 0) { /* shut-down: end a reload still running, reap it */
        kill(-nc->pid, SIGKILL);
        waitpid(nc->pid, NULL, 0);
    }
    free(nc);
    d->nodeconf = NULL;
}
