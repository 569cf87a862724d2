/*
 * handlers.c -- what wolfpackd does with a decoded request.
 *
 * Reads (status, cluster.show, node.*, group.*, resource.list/show) are
 * answered at once from the local database; except for status they are
 * refused while the transport is not ready (the node is still syncing).
 * Changes: the request object itself ({"op", "args"}) is the command; it
 * goes to wp_repl_submit() and the reply is sent from done().  Every reply
 * carries the database version.  `watch` turns the connection into an
 * event stream (watch.c).  fence.create, fence.test and node.fence run a
 * fence agent first (fencer.c).  Applied commands go on to events.c (executor,
 * coordinator, watchers).
 *
 * The request's shape was checked by wp_proto_decode_request(), so
 * arguments are read without further type checks; values (names, types,
 * policies) are for the database to judge.
 */
#include <pwd.h>
#include <qb/qblog.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "../lib/clock.h"
#include "../lib/json.h"

typedef json_t *(*read_fn)(wp_daemon *d, const json_t *args, wp_err *err);

json_t *wp_reply_error(wp_daemon *d, const wp_err *err)
{
    json_t *reply = wp_proto_reply_err(err);
    if (reply && d && d->db)
        json_object_set_new(reply, "version", json_integer(wp_db_version(d->db)));
    return reply;
}

/* ---- reads ------------------------------------------------------------- */

static json_t *do_status(wp_daemon *d, const json_t *args, wp_err *err)
{
    static const char *const repl_keys[] = {"transport", "quorate", "local_node_id", "members",
                                            "sync"};
    json_t *st = wp_db_status(d->db, err);
    json_t *rs;

    (void)args;
    if (!st)
        return NULL;
    rs = wp_repl_status(d->repl);
    for (size_t i = 0; i < sizeof repl_keys / sizeof repl_keys[0]; i++) {
        json_t *v = json_object_get(rs, repl_keys[i]);
        if (v)
            json_object_set(st, repl_keys[i], v);
    }
    json_object_set_new(st, "replication", rs); /* the transport's whole view */
    if (!json_object_get(st, "version"))
        json_object_set_new(st, "version", json_integer(wp_db_version(d->db)));
    json_object_set_new(st, "ready", json_boolean(wp_repl_ready(d->repl, NULL)));
    json_t *fencing = wp_db_fence_status(d->db, NULL); /* docs/FENCING.md */
    if (fencing)
        json_object_set_new(st, "fencing", fencing);
    char sum[65];
    if (wp_db_checksum(d->db, sum, NULL))
        json_object_set_new(st, "checksum", json_string(sum));
    return st;
}

static json_t *do_cluster_show(wp_daemon *d, const json_t *args, wp_err *err)
{
    json_t *st = wp_db_status(d->db, err);
    json_t *out;

    (void)args;
    if (!st)
        return NULL;
    out = json_pack("{s:O, s:I, s:O}", "name",
                    json_object_get(st, "cluster") ? json_object_get(st, "cluster") : json_null(),
                    "version", (json_int_t)wp_db_version(d->db), "nodes",
                    json_object_get(st, "nodes") ? json_object_get(st, "nodes") : json_array());
    json_decref(st);
    if (!out)
        wp_errf(err, WP_E_INTERNAL, "could not build the cluster description");
    return out;
}

static json_t *do_node_list(wp_daemon *d, const json_t *args, wp_err *err)
{
    (void)args;
    return wp_db_node_list(d->db, err);
}

static json_t *do_node_show(wp_daemon *d, const json_t *args, wp_err *err)
{
    return wp_db_node_show(d->db, wp_json_str(args, "name"), err);
}

static json_t *do_group_list(wp_daemon *d, const json_t *args, wp_err *err)
{
    (void)args;
    return wp_db_group_list(d->db, err);
}

static json_t *do_group_show(wp_daemon *d, const json_t *args, wp_err *err)
{
    return wp_db_group_show(d->db, wp_json_str(args, "name"), err);
}

static json_t *do_resource_list(wp_daemon *d, const json_t *args, wp_err *err)
{
    return wp_db_resource_list(d->db, wp_json_str(args, "group"), err);
}

static json_t *do_resource_show(wp_daemon *d, const json_t *args, wp_err *err)
{
    return wp_db_resource_show(d->db, wp_json_str(args, "name"), err);
}

static json_t *do_app_list(wp_daemon *d, const json_t *args, wp_err *err)
{
    (void)args;
    return wp_db_app_list(d->db, err);
}

static json_t *do_app_show(wp_daemon *d, const json_t *args, wp_err *err)
{
    return wp_db_app_show(d->db, wp_json_str(args, "name"), err);
}

static json_t *do_app_task_show(wp_daemon *d, const json_t *args, wp_err *err)
{
    return wp_db_app_task_show(d->db, wp_json_str(args, "id"), err);
}

static json_t *do_app_op_show(wp_daemon *d, const json_t *args, wp_err *err)
{
    return wp_db_app_op_show(d->db, wp_json_str(args, "name"), err);
}

static json_t *do_app_lock_show(wp_daemon *d, const json_t *args, wp_err *err)
{
    (void)args;
    return wp_db_app_lock_show(d->db, err);
}

static json_t *do_fence_list(wp_daemon *d, const json_t *args, wp_err *err)
{
    (void)args;
    return wp_db_fence_list(d->db, err);
}

static json_t *do_alert_list(wp_daemon *d, const json_t *args, wp_err *err)
{
    (void)args;
    return wp_db_alert_list(d->db, err);
}

static json_t *do_fence_show(wp_daemon *d, const json_t *args, wp_err *err)
{
    return wp_db_fence_show(d->db, wp_json_str(args, "name"), true, err);
}

static json_t *do_history(wp_daemon *d, const json_t *args, wp_err *err)
{
    (void)args;
    return wp_db_history(d->db, err);
}

static json_t *do_metrics(wp_daemon *d, const json_t *args, wp_err *err)
{
    (void)args;
    json_t *m = wp_dm_json(&d->metrics);
    if (!m)
        wp_errf(err, WP_E_INTERNAL, "out of memory building the metrics");
    return m;
}

static const struct {
    const char *op;
    read_fn fn;
} read_ops[] = {
    {"status", do_status},
    {"history", do_history},
    {"metrics", do_metrics},
    {"cluster.show", do_cluster_show},
    {"node.list", do_node_list},
    {"node.show", do_node_show},
    {"group.list", do_group_list},
    {"group.show", do_group_show},
    {"resource.list", do_resource_list},
    {"resource.show", do_resource_show},
    {"app.list", do_app_list},
    {"app.show", do_app_show},
    {"app.task.show", do_app_task_show},
    {"app.op.show", do_app_op_show},
    {"app.lock.show", do_app_lock_show},
    {"fence.list", do_fence_list},
    {"fence.show", do_fence_show},
    {"alert.list", do_alert_list},
};

static json_t *answer_read(wp_daemon *d, const wp_request *req)
{
    wp_err err = {0};
    json_t *result;

    for (size_t i = 0; i < sizeof read_ops / sizeof read_ops[0]; i++) {
        if (strcmp(read_ops[i].op, req->op) != 0)
            continue;
        if (read_ops[i].fn != do_status && read_ops[i].fn != do_metrics &&
            !wp_repl_ready(d->repl, &err)) {
            if (err.code == WP_OK) {
                wp_errf(&err, WP_E_UNAVAILABLE, "this node is not ready to answer");
                wp_err_why(&err, "it is still synchronising its database with the cluster");
                wp_err_todo(&err, "retry in a moment; `wolfpack status` shows the sync state");
            }
            return wp_reply_error(d, &err);
        }
        result = read_ops[i].fn(d, req->args, &err);
        if (!result) {
            if (err.code == WP_OK)
                wp_errf(&err, WP_E_INTERNAL, "%s returned nothing", req->op);
            return wp_reply_error(d, &err);
        }
        return wp_proto_reply_ok(result, wp_db_version(d->db));
    }
    wp_errf(&err, WP_E_INTERNAL, "no handler for op \"%s\"", req->op);
    wp_err_why(&err, "the op table and the handler table of wolfpackd disagree");
    wp_err_todo(&err, "report this as a bug");
    return wp_reply_error(d, &err);
}

/* ---- changes ----------------------------------------------------------- */

static void pending_unlink(wp_daemon *d, wp_pending *p)
{
    for (wp_pending **pp = &d->pending; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            return;
        }
    }
}

static void on_done(void *cookie, const wp_err *err, int64_t version)
{
    wp_pending *p = cookie;
    wp_daemon *d = p->d;
    wp_conn *c = wp_ipc_conn_find(d, p->conn_id);

    pending_unlink(d, p);
    if (!err)
        wp_dm_commit(&d->metrics, wp_clock_ms() - p->submitted_ms);
    free(p);
    if (err)
        qb_log(LOG_INFO, "command refused: %s", err->what);
    if (!c)
        return; /* the client left; the command stands */
    if (err)
        wp_ipc_reply(d, c, wp_reply_error(d, err));
    else
        wp_ipc_reply(d, c, wp_proto_reply_ok(json_pack("{s:b}", "applied", 1), version));
    wp_ipc_request_done(d, c);
}

/* Submit cmd for the client conn_id; false with err when it was not sent. */
static bool submit_for(wp_daemon *d, uint64_t conn_id, const json_t *cmd, wp_err *err)
{
    wp_pending *p = calloc(1, sizeof *p);

    if (!p) {
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        return false;
    }
    p->d = d;
    p->conn_id = conn_id;
    p->submitted_ms = wp_clock_ms();
    p->next = d->pending;
    d->pending = p;
    if (!wp_repl_submit(d->repl, cmd, on_done, p, err)) {
        pending_unlink(d, p);
        free(p);
        if (err->code == WP_OK)
            wp_errf(err, WP_E_UNAVAILABLE, "the change could not be sent to the cluster");
        return false;
    }
    return true;
}

/* The client's command with "by": who made it (the socket's peer
 * credentials, or the user a trusted peer acts for: "alice (web)",
 * access.c), on which node, when (audit: src/db/audit.c).  "as" itself
 * is not replicated. */
json_t *wp_handlers_authored(wp_daemon *d, const wp_conn *c, const json_t *cmd)
{
    uid_t uid = wp_ipc_conn_uid(c);
    const char *as = wp_json_str(cmd, "as");
    char buf[1024], user[96];
    struct passwd pw, *found = NULL;
    json_t *out = json_copy((json_t *)cmd);
    if (as && getpwnam_r(as, &pw, buf, sizeof buf, &found) == 0 && found) {
        uid = found->pw_uid;
        snprintf(user, sizeof user, "%s (web)", found->pw_name);
    } else if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found)
        snprintf(user, sizeof user, "%s", found->pw_name);
    else
        snprintf(user, sizeof user, "uid %u", (unsigned)uid);
    if (out) {
        json_object_del(out, "as");
        json_object_set_new(out, "by",
                            json_pack("{s:I, s:s, s:s, s:I}", "uid", (json_int_t)uid, "user", user,
                                      "node", d->view.local_name[0] ? d->view.local_name : "?",
                                      "at", (json_int_t)time(NULL)));
    }
    return out;
}

/* whoami: the user a request is made for and the role wolfpackd gives it
 * (the web console shows it after a login: docs/WEB.md). */
static json_t *whoami_reply(wp_daemon *d, const wp_conn *c, const wp_request *req, wp_role role)
{
    char buf[1024], user[64];
    struct passwd pw, *found = NULL;
    uid_t uid = wp_ipc_conn_uid(c);

    if (req->as)
        snprintf(user, sizeof user, "%s", req->as);
    else if (getpwuid_r(uid, &pw, buf, sizeof buf, &found) == 0 && found)
        snprintf(user, sizeof user, "%s", found->pw_name);
    else
        snprintf(user, sizeof user, "uid %u", (unsigned)uid);
    return wp_proto_reply_ok(json_pack("{s:s, s:s, s:s, s:s}", "user", user, "role",
                                       role == WP_ROLE_ADMIN ? "admin" : "read", "admin_group",
                                       d->opts.admin_group ? d->opts.admin_group : "", "read_group",
                                       d->opts.read_group ? d->opts.read_group : ""),
                             wp_db_version(d->db));
}

static bool submit_change(wp_daemon *d, wp_conn *c, const wp_request *req)
{
    wp_err err = {0};
    json_t *cmd = wp_handlers_authored(d, c, req->json);
    if (strcmp(req->op, "group.move") == 0) /* the first stamp of a move's split */
        qb_log(LOG_INFO, "received group.move from a client");
    bool sent = submit_for(d, wp_ipc_conn_id(c), cmd ? cmd : req->json, &err);
    json_decref(cmd);
    if (sent)
        return false;
    wp_ipc_reply(d, c, wp_reply_error(d, &err));
    return true;
}

void wp_handlers_submit(wp_daemon *d, uint64_t conn_id, const json_t *cmd)
{
    wp_err err = {0};
    if (submit_for(d, conn_id, cmd, &err))
        return;
    wp_conn *c = wp_ipc_conn_find(d, conn_id);
    if (c) {
        wp_ipc_reply(d, c, wp_reply_error(d, &err));
        wp_ipc_request_done(d, c);
    }
}

bool wp_handle_request(wp_daemon *d, wp_conn *c, wp_request *req, wp_role role)
{
    if (strcmp(req->op, "whoami") == 0) {
        wp_ipc_reply(d, c, whoami_reply(d, c, req, role));
        return true;
    }
    if (strcmp(req->op, "watch") == 0) {
        wp_ipc_set_watcher(c); /* events follow from watch.c */
        wp_ipc_reply(d, c,
                     wp_proto_reply_ok(json_pack("{s:b}", "watching", 1), wp_db_version(d->db)));
        return true;
    }
    if (wp_fencer_handles(req->op))
        return wp_fencer_request(d, c, req); /* fencer.c: agents run first */
    if (req->mutates) {
        wp_err err = {0};
        if (!wp_nodeconf_check(d, req, &err) || /* node.add / node.remove */
            !wp_service_user_said(req->op, req->args, &err) ||
            !wp_recovery_check_confirm(d, req, &err)) {
            wp_ipc_reply(d, c, wp_reply_error(d, &err));
            return true;
        }
        return submit_change(d, c, req);
    }
    wp_ipc_reply(d, c, answer_read(d, req));
    return true;
}

void wp_handlers_free_pending(wp_daemon *d)
{
    while (d->pending) {
        wp_pending *p = d->pending;
        d->pending = p->next;
        free(p);
    }
}

/* ---- start-up ---------------------------------------------------------- */

typedef struct boot_result {
    bool called;
    wp_err err;
    bool failed;
} boot_result;

static void on_boot_done(void *cookie, const wp_err *err, int64_t version)
{
    boot_result *r = cookie;
    (void)version;
    r->called = true;
    if (err) {
        r->failed = true;
        r->err = *err;
    }
}

/* The host name up to its first dot: the default node name. */
static void default_node_name(char *out, size_t size)
{
    char host[256] = "";

    if (gethostname(host, sizeof host - 1) != 0 || !host[0])
        snprintf(host, sizeof host, "node1");
    host[strcspn(host, ".")] = '\0';
    snprintf(out, size, "%s", host);
}

bool wp_handlers_bootstrap_solo(wp_daemon *d, wp_err *err)
{
    json_t *st = wp_db_status(d->db, err);
    char node[256];
    boot_result r = {0};
    json_t *cmd;
    bool sent;

    if (!st)
        return false;
    if (!json_is_null(json_object_get(st, "cluster")) && json_object_get(st, "cluster")) {
        json_decref(st);
        return true;
    }
    json_decref(st);
    if (d->opts.cluster_ip && !wp_prop_validate(WP_RT_IP, "address", d->opts.cluster_ip, err)) {
        wp_err_todo(err, "give --cluster-ip as an address with its prefix, e.g. "
                         "198.51.100.99/24");
        return false;
    }
    if (d->opts.node_name)
        snprintf(node, sizeof node, "%s", d->opts.node_name);
    else
        default_node_name(node, sizeof node);
    cmd = json_pack("{s:s, s:{s:s, s:[{s:s, s:s, s:i}]}}", "op", "cluster.create", "args", "name",
                    d->opts.cluster_name ? d->opts.cluster_name : "solo", "nodes", "name", node,
                    "address", "127.0.0.1", "id", 1);
    if (cmd && d->opts.cluster_ip)
        json_object_set_new(json_object_get(cmd, "args"), "ip", json_string(d->opts.cluster_ip));
    if (!cmd) {
        wp_errf(err, WP_E_INVALID, "cannot build the cluster.create command");
        wp_err_why(err, "the cluster or node name is not valid UTF-8");
        wp_err_todo(err, "use --cluster-name and --node-name with plain ASCII names");
        return false;
    }
    sent = wp_repl_submit(d->repl, cmd, on_boot_done, &r, err);
    json_decref(cmd);
    if (!sent)
        return false;
    if (!r.called) {
        wp_errf(err, WP_E_INTERNAL, "the solo transport did not apply cluster.create at once");
        wp_err_todo(err, "report this as a bug");
        return false;
    }
    if (r.failed) {
        *err = r.err;
        if (!d->opts.node_name && !err->todo[0])
            wp_err_todo(err, "give a valid node name with --node-name");
        return false;
    }
    qb_log(LOG_INFO, "created the one-node cluster \"%s\" with node \"%s\"%s%s",
           d->opts.cluster_name ? d->opts.cluster_name : "solo", node,
           d->opts.cluster_ip ? " and address " : "", d->opts.cluster_ip ? d->opts.cluster_ip : "");
    return true;
}

void wp_handlers_on_applied(void *ctx, const json_t *cmd, int64_t version)
{
    wp_daemon *d = ctx;

    qb_log(LOG_INFO, "applied %s at version %lld",
           wp_json_str(cmd, "op") ? wp_json_str(cmd, "op") : "?", (long long)version);
    if (d && d->on_applied_hook)
        d->on_applied_hook(d, cmd, version);
}
