/*
 * cmd_app.c -- `wolfpack app ...`: applications on this node.
 *
 *     wolfpack app inspect KIT [--json]
 *     wolfpack app install KIT [--set NAME=VALUE ...] [--cluster --group G]
 *     wolfpack app remove APP [--purge]
 *     wolfpack app list [--json] | show APP [--json]
 *     wolfpack app start APP | stop APP
 *     wolfpack app backup APP --to FILE [--online]
 *     wolfpack app restore APP --from FILE
 *     wolfpack app verify FILE [--json]
 *     wolfpack app sp apply SP [--group G] [--single | --plan | --rollback] [--force]
 *                        [--retries N] [--max-failed-nodes N] [--pre-hook P] [--post-hook P]
 *     wolfpack app migrate APP --group G | migrate APP [--rollback]
 *     wolfpack app migrate APP --create-group NAME --ip A/P --name HOST --disk DEV
 *                              --mountpoint M [--fstype T] [--mount-options OPTS]
 *     wolfpack app task-run ID        (a node task; wolfpackd runs wolfpack-task)
 *
 * Unlike the cluster verbs these work on the node itself (src/app): install
 * records below the install root ($WOLFPACK_APP_ROOT, default /), local
 * supervised services, backup archives.  The daemon is only asked whether
 * this node is a cluster node, to warn about a standalone install there
 * (the trap of KB Q221393: its service pack will need a cluster install).
 * The clustered half (install --cluster, sp apply, node tasks, the cluster
 * records in list/show) is src/app/cluster.h; it talks to wolfpackd.
 * Every record or kit it prints goes through src/app/secret.h first: secret
 * parameters read "(secret)", with or without --json.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../lib/json.h"
#include "../app/app.h"
#include "../app/backup.h"
#include "../app/cluster.h"
#include "../app/kit.h"
#include "../app/secret.h"
#include "cli.h"

static const char usage[] =
    "wolfpack app inspect KIT | install KIT [--set NAME=VALUE ...] [--cluster --group G]\n"
    "         | remove APP [--purge] | list | show APP | start APP | stop APP\n"
    "         | backup APP --to FILE [--online] | restore APP --from FILE | verify FILE\n"
    "         | sp apply SP [--group G] [--single|--plan|--rollback] [--force] [--retries N]\n"
    "                       [--max-failed-nodes N] [--pre-hook PROG] [--post-hook PROG]\n"
    "         | migrate APP [--group G | --create-group NAME --ip A/P --name HOST --disk DEV\n"
    "                        --mountpoint M [--fstype T] [--mount-options OPTS]]\n"
    "                       [--rollback]\n"
    "         | config APP [NAME=VALUE ...]";

static bool env_of(wp_app_env *env, int *status)
{
    wp_err err = {0};
    if (wp_app_env_init(env, NULL, &err))
        return true;
    *status = wp_cli_fail(&err);
    return false;
}

/* A sub-command that works on this node: its command line (as
 * wp_cli_parse_sub, with the app usage) and the install environment.
 * False with *status set when the caller should return it. */
static bool parse_local(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts,
                        const char *what, int want, wp_cli_args *a, wp_app_env *env, int *status)
{
    return wp_cli_parse_sub(cli, argc, argv, opts, nopts, usage, what, want, a, status) &&
           env_of(env, status);
}

/* Progress on a terminal only: "\rbackup  42% (84 of 200 MB)". */
static void progress(const char *stage, uint64_t done, uint64_t total, void *user)
{
    int *last = user;
    int pct = total ? (int)(done * 100 / total) : 100;
    if (pct == *last)
        return;
    *last = pct;
    printf("\r%s %3d%% (%llu of %llu MB)", stage, pct, (unsigned long long)(done >> 20),
           (unsigned long long)(total >> 20));
    fflush(stdout);
}

static void end_progress(const int *last)
{
    if (*last >= 0)
        printf("\r\033[K");
}

/* ---- inspect ---------------------------------------------------------------------- */

static json_t *argv_text(char **argv)
{
    json_t *a = json_array();
    for (size_t i = 0; argv && argv[i]; i++)
        json_array_append_new(a, json_string(argv[i]));
    return a;
}

static json_t *kit_json(const wp_kit *kit)
{
    json_t *params = json_object(), *files = json_array(), *dbs = json_array(),
           *svcs = json_array(), *from = json_array();
    json_t *secrets = json_object();
    for (size_t i = 0; i < kit->nparams; i++) {
        json_object_set_new(
            params, kit->params[i].name,
            json_string(kit->params[i].secret ? WP_SECRET_SHOWN : kit->params[i].value));
        if (kit->params[i].secret)
            json_object_set_new(secrets, kit->params[i].name,
                                json_string(wp_kit_secret_name(kit->params[i].secret)));
    }
    for (size_t i = 0; i < kit->nfiles; i++)
        json_array_append_new(
            files, json_pack("{s:s, s:s}", "from", kit->files[i].from, "to", kit->files[i].to));
    for (size_t i = 0; i < kit->ndbs; i++)
        json_array_append_new(dbs, json_pack("{s:s, s:s, s:s}", "name", kit->dbs[i].name,
                                             "standalone", kit->dbs[i].standalone, "clustered",
                                             kit->dbs[i].clustered));
    for (size_t i = 0; i < kit->nservices; i++) {
        const wp_kit_service *s = &kit->services[i];
        json_t *deps = json_array();
        for (size_t j = 0; j < s->ndepends; j++)
            json_array_append_new(deps, json_string(s->depends_on[j]));
        json_array_append_new(svcs, json_pack("{s:s, s:o, s:o, s:o}", "name", s->name, "command",
                                              argv_text(s->command), "check",
                                              s->check ? argv_text(s->check) : json_null(),
                                              "depends_on", deps));
    }
    for (size_t i = 0; i < kit->nupgrades_from; i++)
        json_array_append_new(from, json_string(kit->upgrades_from[i]));
    return json_pack("{s:s, s:s, s:s, s:b, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "name",
                     kit->name, "version", kit->version, "edition", kit->edition, "clusterable",
                     kit->clusterable, "service_pack", wp_kit_is_service_pack(kit), "parameters",
                     params, "secrets", secrets, "files", files, "databases", dbs, "services", svcs,
                     "upgrades_from", from, "upgrade",
                     kit->upgrade ? argv_text(kit->upgrade) : json_null());
}

static int sub_inspect(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage, "KIT", 1, &a, &status))
        return status;
    wp_err err = {0};
    wp_kit *kit = wp_kit_load(a.pos[0], &err);
    if (!kit)
        return wp_cli_fail(&err);
    json_t *j = kit_json(kit);
    if (cli->json) {
        wp_cli_print_json(j, stdout);
    } else {
        printf("Kit %s %s (%s edition, %s)%s\n", kit->name, kit->version, kit->edition,
               kit->clusterable ? "may be clustered" : "standalone only",
               wp_kit_is_service_pack(kit) ? ", a service pack" : "");
        printf("  %zu program file%s, %zu database%s, %zu service%s\n", kit->nfiles,
               kit->nfiles == 1 ? "" : "s", kit->ndbs, kit->ndbs == 1 ? "" : "s", kit->nservices,
               kit->nservices == 1 ? "" : "s");
        for (size_t i = 0; i < kit->nparams; i++)
            printf("  parameter %s = %s%s%s\n", kit->params[i].name,
                   kit->params[i].secret ? WP_SECRET_SHOWN : kit->params[i].value,
                   kit->params[i].secret ? ", kept as " : "",
                   kit->params[i].secret ? wp_kit_secret_name(kit->params[i].secret) : "");
    }
    json_decref(j);
    wp_kit_free(kit);
    return 0;
}

/* ---- install / remove ---------------------------------------------------------------- */

static void warn_cluster_node(const wp_kit *kit)
{
    fprintf(stderr,
            "warning: this node is a cluster node, but %s is being installed standalone.\n"
            "  A standalone install runs outside the cluster and cannot be added to a cluster\n"
            "  group later. Its service packs are cluster-aware: they will ask for the cluster\n"
            "  group configured for %s and find none, so a later service pack will need a\n"
            "  cluster install first (back up, remove, install with --cluster, restore).\n"
            "  to install into the cluster instead: wolfpack app install KIT --cluster --group G\n",
            kit->name, kit->name);
}

static int refuse_cluster(const wp_kit *kit)
{
    wp_err err = {0};
    wp_errf(&err, WP_E_INVALID, "the %s edition of %s may not be clustered", kit->edition,
            kit->name);
    wp_err_why(&err, "its kit says clusterable: false (like Exchange Server Standard Edition)");
    wp_err_todo(&err, "install it standalone (without --cluster), or use an edition that may "
                      "be clustered");
    return wp_cli_fail(&err);
}

/* install --cluster --group G: through wolfpackd (src/app/cluster.c). */
static int install_clustered(wp_cli *cli, const wp_app_env *env, const wp_kit *kit,
                             const char *group, const wp_cli_opt *set)
{
    wp_err err = {0};
    wp_app_cluster c;
    if (!group) {
        wp_errf(&err, WP_E_INVALID, "install --cluster needs --group G");
        wp_err_why(&err, "a clustered application lives in one group");
        wp_err_todo(&err, "name a group with an IP address, a network name and a disk");
        return wp_cli_fail(&err);
    }
    if (!wp_app_cluster_open(&c, env, cli->socket_opt, &err))
        return wp_cli_fail(&err);
    if (cli->json)
        c.out = stderr;
    wp_app_install_opts io = {.set = set->values, .nset = (size_t)set->count};
    json_t *rec = wp_app_install_clustered(&c, kit, group, &io, &err);
    wp_app_cluster_close(&c);
    if (!rec)
        return wp_cli_fail(&err);
    wp_secret_mask_record(rec);
    if (cli->json) {
        json_t *out = json_pack("{s:b, s:O}", "ok", 1, "record", rec);
        wp_cli_print_json(out, stdout);
        json_decref(out);
    } else {
        printf("OK: installed %s %s (%s edition) into group %s; databases on its disk:\n",
               kit->name, kit->version, kit->edition, group);
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(rec, "databases"), i, d)
            printf("  %s at %s\n", wp_json_str(d, "name"), wp_json_str(d, "path"));
    }
    json_decref(rec);
    return 0;
}

static void print_install(const json_t *rec, const json_t *notes)
{
    printf("OK: installed %s %s (%s edition) standalone under %s\n", wp_json_str(rec, "app"),
           wp_json_str(rec, "version"), wp_json_str(rec, "edition"), wp_json_str(rec, "root"));
    size_t i;
    json_t *n;
    json_array_foreach(notes, i, n) printf("  %s\n", json_string_value(n));
    printf("  start it with: wolfpack app start %s\n", wp_json_str(rec, "app"));
}

static int sub_install(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--set", .has_value = true},
                         {.name = "--cluster", .has_value = false},
                         {.name = "--group", .has_value = true}};
    wp_cli_args a;
    int status;
    wp_app_env env;
    if (!parse_local(cli, argc, argv, opts, 3, "KIT", 1, &a, &env, &status))
        return status;
    wp_err err = {0};
    wp_kit *kit = wp_kit_load(a.pos[0], &err);
    if (!kit)
        return wp_cli_fail(&err);
    if (opts[1].count || opts[2].count) {
        status = !kit->clusterable
                     ? refuse_cluster(kit)
                     : install_clustered(cli, &env, kit, opts[2].count ? opts[2].values[0] : NULL,
                                         &opts[0]);
        wp_kit_free(kit);
        return status;
    }
    if (wp_app_node_in_cluster(cli->socket_opt))
        warn_cluster_node(kit);
    wp_app_install_opts io = {.set = opts[0].values, .nset = (size_t)opts[0].count};
    json_t *notes = NULL;
    json_t *rec = wp_app_install_standalone(&env, kit, &io, &notes, &err);
    wp_kit_free(kit);
    if (!rec)
        return wp_cli_fail(&err);
    wp_secret_mask_record(rec);
    if (cli->json) {
        json_t *out = json_pack("{s:b, s:O, s:O}", "ok", 1, "record", rec, "notes", notes);
        wp_cli_print_json(out, stdout);
        json_decref(out);
    } else {
        print_install(rec, notes);
    }
    json_decref(notes);
    json_decref(rec);
    return 0;
}

static int sub_remove(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--purge", .has_value = false}};
    wp_cli_args a;
    int status;
    wp_app_env env;
    if (!parse_local(cli, argc, argv, opts, 1, "APP", 1, &a, &env, &status))
        return status;
    wp_err err = {0};
    json_t *kept = NULL;
    if (!wp_app_remove(&env, a.pos[0], opts[0].count > 0, &kept, &err))
        return wp_cli_fail(&err);
    if (cli->json) {
        json_t *out = json_pack("{s:b, s:s, s:O}", "ok", 1, "app", a.pos[0], "kept", kept);
        wp_cli_print_json(out, stdout);
        json_decref(out);
    } else {
        printf("OK: removed %s from this node\n", a.pos[0]);
        size_t i;
        json_t *k;
        bool purge = opts[0].count > 0;
        json_array_foreach(kept, i, k) printf(
            purge ? "  kept the database %s (the install found it there; purge deletes only what "
                    "the install created)\n"
                  : "  kept the database %s (remove --purge deletes databases)\n",
            json_string_value(k));
    }
    json_decref(kept);
    return 0;
}

/* ---- list / show --------------------------------------------------------------------- */

static const char *where_text(const json_t *rec, char *buf, size_t size)
{
    const char *mode = wp_json_str(rec, "mode");
    if (mode && strcmp(mode, WP_APP_MODE_CLUSTERED) == 0)
        snprintf(buf, size, "clustered in group %s", wp_json_str(rec, "group"));
    else
        snprintf(buf, size, "standalone");
    return buf;
}

static json_t *with_status(const wp_app_env *env, const json_t *rec, bool cluster_node)
{
    json_t *out = json_deep_copy(rec);
    if (json_object_get(rec, "error"))
        return out;
    json_t *svcs = wp_app_services_status(env, rec);
    json_object_set_new(out, "running", json_boolean(wp_app_any_running(env, rec)));
    json_object_set_new(out, "service_status", svcs);
    const char *mode = wp_json_str(rec, "mode");
    json_object_set_new(
        out, "standalone_on_cluster_node",
        json_boolean(cluster_node && mode && strcmp(mode, WP_APP_MODE_STANDALONE) == 0));
    return out;
}

/* "n1 1.0, n2 1.0" from a cluster record's nodes. */
static const char *nodes_text(const json_t *rec, char *buf, size_t size)
{
    size_t used = 0, i;
    json_t *n;
    buf[0] = '\0';
    json_array_foreach(json_object_get(rec, "nodes"), i, n)
    {
        int k = snprintf(buf + used, size - used, "%s%s %s", i ? ", " : "", wp_json_str(n, "node"),
                         wp_json_str(n, "version"));
        if (k < 0 || (size_t)k >= size - used)
            break;
        used += (size_t)k;
    }
    return buf[0] ? buf : "-";
}

static void print_list(const json_t *list)
{
    static const char *const head[] = {"APP",     "VERSION",   "EDITION", "INSTALL",
                                       "RUNNING", "DATABASES", "NODES"};
    wp_table *t = wp_table_new(7, head);
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r)
    {
        char where[128], nodes[512];
        json_t *dbs = json_object_get(r, "databases");
        json_t *cl = json_object_get(r, "cluster");
        char ndb[32];
        snprintf(ndb, sizeof ndb, "%zu", json_array_size(dbs));
        const char *running = json_object_get(r, "running")
                                  ? (json_is_true(json_object_get(r, "running")) ? "yes" : "no")
                                  : "-";
        const char *row[] = {wp_json_str(r, "app"),
                             wp_json_str(r, "version"),
                             wp_json_str(r, "edition"),
                             json_object_get(r, "error") ? "damaged record"
                                                         : where_text(r, where, sizeof where),
                             cl ? "(cluster)" : running,
                             ndb,
                             cl ? nodes_text(cl, nodes, sizeof nodes) : "this node"};
        wp_table_add(t, row);
    }
    wp_table_print(t, stdout, "");
    wp_table_free(t);
}

/* The cluster database's application records, or NULL (no daemon, or one
 * that does not know them): list and show work without a daemon. */
static json_t *cluster_apps(wp_cli *cli)
{
    wp_err err = {0};
    return wp_cli_call(cli, "app.list", NULL, NULL, &err);
}

static json_t *find_app(const json_t *list, const char *app)
{
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) if (strcmp(wp_json_str(r, "app"), app) == 0) return r;
    return NULL;
}

static int sub_list(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    wp_app_env env;
    if (!parse_local(cli, argc, argv, NULL, 0, "argument", 0, &a, &env, &status))
        return status;
    wp_err err = {0};
    json_t *recs = wp_app_record_list(&env, &err);
    if (!recs)
        return wp_cli_fail(&err);
    bool cluster_node = wp_app_node_in_cluster(cli->socket_opt);
    json_t *cl = cluster_apps(cli);
    json_t *out = json_array();
    size_t i;
    json_t *r;
    json_array_foreach(recs, i, r) wp_secret_mask_record(r); /* secret.h: never shown */
    json_array_foreach(cl, i, r) wp_secret_mask_record(r);
    json_array_foreach(recs, i, r)
    {
        json_t *row = with_status(&env, r, cluster_node);
        json_t *c = find_app(cl, wp_json_str(r, "app"));
        if (c)
            json_object_set(row, "cluster", c);
        json_array_append_new(out, row);
    }
    json_array_foreach(cl, i, r)
    {
        if (find_app(recs, wp_json_str(r, "app")))
            continue;
        json_t *row = json_deep_copy(r);
        json_object_set(row, "cluster", r);
        json_object_set_new(row, "here", json_false());
        json_array_append_new(out, row);
    }
    if (cli->json) {
        wp_cli_print_json(out, stdout);
    } else {
        wp_text_escape_json(out); /* records and kits come from outside */
        print_list(out);
    }
    json_decref(out);
    json_decref(recs);
    json_decref(cl);
    return 0;
}

static void print_show(const json_t *s)
{
    char buf[256];
    printf("Application %s:\n", wp_json_str(s, "app"));
    wp_cli_print_kv(stdout, 10, "version", wp_json_str(s, "version"));
    snprintf(buf, sizeof buf, "%s (%s)", wp_json_str(s, "edition"),
             json_is_true(json_object_get(s, "clusterable")) ? "may be clustered"
                                                             : "standalone only");
    wp_cli_print_kv(stdout, 10, "edition", buf);
    wp_cli_print_kv(stdout, 10, "install", where_text(s, buf, sizeof buf));
    wp_cli_print_kv(stdout, 10, "root", wp_json_str(s, "root"));
    wp_cli_print_kv(stdout, 10, "installed", wp_json_str(s, "installed_at"));
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(s, "databases"), i, d)
    {
        snprintf(buf, sizeof buf, "%s at %s", wp_json_str(d, "name"), wp_json_str(d, "path"));
        wp_cli_print_kv(stdout, 10, i ? "" : "databases", buf);
    }
    json_array_foreach(json_object_get(s, "service_status"), i, d)
    {
        if (json_is_true(json_object_get(d, "running")))
            snprintf(buf, sizeof buf, "%s running (supervisor pid %lld)", wp_json_str(d, "name"),
                     (long long)json_integer_value(json_object_get(d, "pid")));
        else
            snprintf(buf, sizeof buf, "%s stopped", wp_json_str(d, "name"));
        wp_cli_print_kv(stdout, 10, i ? "" : "services", buf);
    }
    if (json_is_true(json_object_get(s, "standalone_on_cluster_node")))
        printf("\nNote: this node is a cluster node, but %s is a standalone install. Its\n"
               "resources cannot be added to a cluster group, so a service pack cannot be\n"
               "applied to it as it is: it must first become a cluster install (back up its\n"
               "databases, remove it, install it with --cluster, restore the databases).\n",
               wp_json_str(s, "app"));
}

static void print_cluster_part(const json_t *cl, bool here)
{
    char buf[512];
    if (!here) {
        printf("Application %s (not installed on this node):\n", wp_json_str(cl, "app"));
        wp_cli_print_kv(stdout, 10, "version", wp_json_str(cl, "version"));
        wp_cli_print_kv(stdout, 10, "install", where_text(cl, buf, sizeof buf));
        size_t i;
        json_t *d;
        json_array_foreach(json_object_get(cl, "databases"), i, d)
        {
            snprintf(buf, sizeof buf, "%s at %s (on the group's disk)", wp_json_str(d, "name"),
                     wp_json_str(d, "path"));
            wp_cli_print_kv(stdout, 10, i ? "" : "databases", buf);
        }
    }
    wp_cli_print_kv(stdout, 10, "nodes", nodes_text(cl, buf, sizeof buf));
    json_t *op = json_object_get(cl, "operation");
    if (json_is_object(op))
        wp_cli_print_kv(stdout, 10, "operation",
                        wp_json_str(op, "summary") ? wp_json_str(op, "summary") : "in progress");
}

static int sub_show(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    wp_app_env env;
    if (!parse_local(cli, argc, argv, NULL, 0, "APP", 1, &a, &env, &status))
        return status;
    wp_err err = {0}, cerr = {0};
    json_t *rec = wp_app_record_load(&env, a.pos[0], &err);
    if (!rec && err.code != WP_E_NOTFOUND)
        return wp_cli_fail(&err);
    json_t *cl = wp_cli_call(cli, "app.show", json_pack("{s:s}", "name", a.pos[0]), NULL, &cerr);
    /* an operation (migrate) in progress before the cluster record exists */
    json_t *op =
        cl ? NULL
           : wp_cli_call(cli, "app.op.show", json_pack("{s:s}", "name", a.pos[0]), NULL, &cerr);
    if (json_is_object(op) && !rec && !cl) {
        json_t *line = json_pack("[s, s]", a.pos[0], wp_json_str(op, "summary"));
        wp_text_escape_json(line);
        printf("Application %s: not installed on this node; %s\n",
               json_string_value(json_array_get(line, 0)),
               json_string_value(json_array_get(line, 1)));
        json_decref(line);
        json_decref(op);
        return 0;
    }
    if (!rec && !cl) {
        json_decref(op);
        return wp_cli_fail(&err);
    }
    wp_secret_mask_record(rec); /* secret.h: secrets are never shown */
    wp_secret_mask_record(cl);
    wp_secret_mask_record(op);
    json_t *out =
        rec ? with_status(&env, rec, wp_app_node_in_cluster(cli->socket_opt)) : json_deep_copy(cl);
    if (cl)
        json_object_set(out, "cluster", cl);
    if (json_is_object(op))
        json_object_set(out, "operation", op);
    if (cli->json) {
        wp_cli_print_json(out, stdout);
    } else {
        wp_text_escape_json(out); /* records and kits come from outside */
        if (rec)
            print_show(out);
        if (cl)
            print_cluster_part(cl, rec != NULL);
        else if (json_is_object(op))
            wp_cli_print_kv(stdout, 10, "operation", wp_json_str(op, "summary"));
    }
    json_decref(op);
    json_decref(out);
    json_decref(rec);
    json_decref(cl);
    return 0;
}

/* ---- the clustered half: sp apply, task-run ------------------------------------------- */

static int sub_sp(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--group", .has_value = true},
                         {.name = "--single", .has_value = false},
                         {.name = "--plan", .has_value = false},
                         {.name = "--force", .has_value = false},
                         {.name = "--rollback", .has_value = false},
                         {.name = "--retries", .has_value = true},
                         {.name = "--max-failed-nodes", .has_value = true},
                         {.name = "--pre-hook", .has_value = true},
                         {.name = "--post-hook", .has_value = true}};
    wp_cli_args a;
    int status;
    wp_app_env env;
    if (argc >= 1 && strcmp(argv[0], "--help") == 0)
        return printf("usage: %s\n", usage), 0;
    if (argc < 1 || strcmp(argv[0], "apply") != 0)
        return wp_cli_usage_error(usage, "app sp takes: apply SP [--group G] [options]");
    if (!parse_local(cli, argc - 1, argv + 1, opts, 9, "service pack SP", 1, &a, &env, &status))
        return status;
    wp_app_rollout_opts ro = {.single = opts[1].count > 0,
                              .plan = opts[2].count > 0,
                              .force = opts[3].count > 0,
                              .rollback = opts[4].count > 0,
                              .retries = 1,
                              .max_failed = 0,
                              .pre_hook = opts[7].count ? opts[7].values[0] : NULL,
                              .post_hook = opts[8].count ? opts[8].values[0] : NULL};
    for (int k = 5; k <= 6; k++) {
        if (!opts[k].count)
            continue;
        char *end;
        long v = strtol(opts[k].values[0], &end, 10);
        if (*end || end == opts[k].values[0] || v < 0 || v > 100)
            return wp_cli_usage_error(usage, "%s takes a number from 0 to 100", opts[k].name);
        *(k == 5 ? &ro.retries : &ro.max_failed) = (int)v;
    }
    wp_err err = {0};
    wp_kit *sp = wp_kit_load(a.pos[0], &err);
    if (!sp)
        return wp_cli_fail(&err);
    wp_app_cluster c;
    bool ok = wp_app_cluster_open(&c, &env, cli->socket_opt, &err);
    if (!ok)
        wp_err_todo(&err, "a service pack is applied through wolfpackd: start it (a one-node "
                          "wolfpackd --solo will do for a node outside a cluster)");
    ok = ok && wp_app_sp_apply(&c, sp, opts[0].count ? opts[0].values[0] : NULL, &ro, &err);
    if (c.client)
        wp_app_cluster_close(&c);
    wp_kit_free(sp);
    return ok ? 0 : wp_cli_fail(&err);
}

static int sub_migrate(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {
        {.name = "--group", .has_value = true},        {.name = "--rollback", .has_value = false},
        {.name = "--create-group", .has_value = true}, {.name = "--ip", .has_value = true},
        {.name = "--name", .has_value = true},         {.name = "--disk", .has_value = true},
        {.name = "--mountpoint", .has_value = true},   {.name = "--fstype", .has_value = true},
        {.name = "--mount-options", .has_value = true}};
    wp_cli_args a;
    int status;
    wp_app_env env;
    if (!parse_local(cli, argc, argv, opts, 9, "APP", 1, &a, &env, &status))
        return status;
    bool create = opts[2].count > 0;
    if (create &&
        (opts[0].count || !opts[3].count || !opts[4].count || !opts[5].count || !opts[6].count))
        return wp_cli_usage_error(usage, "--create-group NAME needs --ip A/P --name HOST --disk "
                                         "DEVICE --mountpoint M (and no --group)");
    if (!create && (opts[3].count || opts[4].count || opts[5].count || opts[6].count ||
                    opts[7].count || opts[8].count))
        return wp_cli_usage_error(usage, "--ip, --name, --disk, --mountpoint, --fstype and "
                                         "--mount-options go with --create-group");
    wp_app_new_group ng = {.name = create ? opts[2].values[0] : NULL,
                           .ip = create ? opts[3].values[0] : NULL,
                           .hostname = create ? opts[4].values[0] : NULL,
                           .device = create ? opts[5].values[0] : NULL,
                           .mountpoint = create ? opts[6].values[0] : NULL,
                           .fstype = opts[7].count ? opts[7].values[0] : NULL,
                           .mount_options = opts[8].count ? opts[8].values[0] : NULL};
    wp_err err = {0};
    wp_app_cluster c;
    if (!wp_app_cluster_open(&c, &env, cli->socket_opt, &err))
        return wp_cli_fail(&err);
    bool back = opts[1].count > 0;
    bool ok = wp_app_migrate(&c, a.pos[0], opts[0].count ? opts[0].values[0] : NULL,
                             create ? &ng : NULL, back, &err);
    wp_app_cluster_close(&c);
    if (!ok)
        return wp_cli_fail(&err);
    if (back)
        printf("OK: rolled back; %s is a standalone install on this node again\n", a.pos[0]);
    else
        printf("OK: %s is a cluster install now; its service packs apply (wolfpack app sp "
               "apply SP)\n",
               a.pos[0]);
    return 0;
}

/* The older entry of a node task (the executor under --user still runs
 * it): the same work as wolfpack-task (src/task/main.c). */
static int sub_task_run(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage, "task ID", 1, &a, &status))
        return status;
    wp_err err = {0};
    return wp_app_task_run_id(cli->socket_opt, a.pos[0], stdout, &err) ? 0 : wp_cli_fail(&err);
}

/* ---- start / stop ------------------------------------------------------------------------ */

static int sub_start_stop(wp_cli *cli, int argc, char **argv, bool start)
{
    wp_cli_args a;
    int status;
    wp_app_env env;
    if (!parse_local(cli, argc, argv, NULL, 0, "APP", 1, &a, &env, &status))
        return status;
    wp_err err = {0};
    json_t *rec = wp_app_record_load(&env, a.pos[0], &err);
    bool ok = rec && (start ? wp_app_start(&env, rec, &err) : wp_app_stop(&env, rec, &err));
    json_decref(rec);
    if (!ok)
        return wp_cli_fail(&err);
    if (cli->json)
        printf("{\n  \"ok\": true\n}\n");
    else
        printf("OK: %s %s\n", a.pos[0], start ? "started" : "stopped");
    return 0;
}

/* ---- backup / restore / verify --------------------------------------------------------------- */

/* Load the record and its databases spec; refuse while it runs unless
 * allowed. */
static json_t *record_for_data(const wp_app_env *env, const char *app, bool allow_running,
                               const char *what, wp_backup_spec *spec, wp_backup_db **dbs,
                               wp_err *err)
{
    json_t *rec = wp_app_record_load(env, app, err);
    if (!rec)
        return NULL;
    if (!allow_running && wp_app_any_running(env, rec)) {
        wp_errf(err, WP_E_CONFLICT, "%s is running", app);
        wp_err_why(err, "%s", what);
        wp_err_todo(err, "stop it first: wolfpack app stop %s", app);
        json_decref(rec);
        return NULL;
    }
    if (!wp_app_backup_spec(rec, spec, dbs, err)) {
        json_decref(rec);
        return NULL;
    }
    return rec;
}

/* What backup and restore share: APP, its FILE option (opts[0]), the
 * record with its databases spec, and the progress line on a terminal. */
typedef struct data_job {
    wp_app_env env;
    wp_cli_args a;
    wp_backup_spec spec;
    wp_backup_db *dbs;
    json_t *rec;
    int last;
    wp_backup_opts bo;
} data_job;

/* Parse `app VERB APP` with opts (opts[0] the FILE option, which it needs)
 * and load the record; allow (an option, or NULL) lets a running
 * application through.  False with *status after the error is printed. */
static bool data_job_open(wp_cli *cli, int argc, char **argv, const char *verb, wp_cli_opt *opts,
                          int nopts, const wp_cli_opt *allow, const char *why, data_job *j,
                          int *status)
{
    if (!parse_local(cli, argc, argv, opts, nopts, "APP", 1, &j->a, &j->env, status))
        return false;
    if (opts[0].count != 1) {
        *status = wp_cli_usage_error(usage, "app %s needs %s FILE", verb, opts[0].name);
        return false;
    }
    wp_err err = {0};
    j->dbs = NULL;
    j->rec = record_for_data(&j->env, j->a.pos[0], allow && allow->count > 0, why, &j->spec,
                             &j->dbs, &err);
    if (!j->rec) {
        *status = wp_cli_fail(&err);
        return false;
    }
    j->last = -1;
    j->bo =
        (wp_backup_opts){.progress = isatty(1) && !cli->json ? progress : NULL, .user = &j->last};
    return true;
}

/* Free what data_job_open loaded (spec points into it: print first). */
static void data_job_close(data_job *j)
{
    free(j->dbs);
    json_decref(j->rec);
}

static int sub_backup(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--to", .has_value = true},
                         {.name = "--online", .has_value = false}};
    data_job j;
    int status;
    if (!data_job_open(cli, argc, argv, "backup", opts, 2, &opts[1],
                       "a running application may change its databases while they are "
                       "copied (--online takes the copy anyway)",
                       &j, &status))
        return status;
    wp_err err = {0};
    uint64_t bytes = 0;
    bool ok = wp_backup_create(&j.spec, opts[0].values[0], &j.bo, &bytes, &err);
    end_progress(&j.last);
    if (ok && cli->json) {
        json_t *out = json_pack("{s:b, s:s, s:I}", "ok", 1, "file", opts[0].values[0], "bytes",
                                (json_int_t)bytes);
        wp_cli_print_json(out, stdout);
        json_decref(out);
    } else if (ok)
        printf("OK: backed up %zu database%s of %s %s to %s (%llu bytes)\n", j.spec.ndbs,
               j.spec.ndbs == 1 ? "" : "s", j.spec.app, j.spec.version, opts[0].values[0],
               (unsigned long long)bytes);
    data_job_close(&j);
    return ok ? 0 : wp_cli_fail(&err);
}

static int sub_restore(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--from", .has_value = true}};
    data_job j;
    int status;
    if (!data_job_open(cli, argc, argv, "restore", opts, 1, NULL,
                       "its databases cannot be replaced under a running service", &j, &status))
        return status;
    wp_err err = {0};
    bool ok = wp_backup_restore(&j.spec, opts[0].values[0], &j.bo, &err);
    end_progress(&j.last);
    if (ok && cli->json)
        printf("{\n  \"ok\": true\n}\n");
    else if (ok)
        printf("OK: restored %zu database%s of %s from %s (every checksum verified)\n", j.spec.ndbs,
               j.spec.ndbs == 1 ? "" : "s", j.spec.app, opts[0].values[0]);
    data_job_close(&j);
    return ok ? 0 : wp_cli_fail(&err);
}

static int sub_verify(wp_cli *cli, int argc, char **argv)
{
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, NULL, 0, usage, "FILE", 1, &a, &status))
        return status;
    wp_err err = {0};
    json_t *info = NULL;
    if (!wp_backup_verify(a.pos[0], NULL, &info, &err))
        return wp_cli_fail(&err);
    if (cli->json) {
        wp_cli_print_json(info, stdout);
    } else {
        wp_text_escape_json(info); /* the archive's manifest comes from outside */
        char *file = wp_text_escape(a.pos[0]);
        printf("OK: %s is a backup of %s %s made %s; every checksum matches\n", file ? file : "?",
               wp_json_str(info, "app"), wp_json_str(info, "version"),
               wp_json_str(info, "created"));
        size_t i;
        json_t *f;
        json_array_foreach(json_object_get(info, "files"), i, f) printf(
            "  %s  %lld bytes  sha256 %s\n", wp_json_str(f, "database"),
            (long long)json_integer_value(json_object_get(f, "size")), wp_json_str(f, "sha256"));
        free(file);
    }
    json_decref(info);
    return 0;
}

/* ---- dispatch ----------------------------------------------------------------------------------
 */

static int sub_start(wp_cli *cli, int argc, char **argv)
{
    return sub_start_stop(cli, argc, argv, true);
}

static int sub_stop(wp_cli *cli, int argc, char **argv)
{
    return sub_start_stop(cli, argc, argv, false);
}

/* app config APP [NAME=VALUE ...]: the work is in src/app/config.c. */
static int sub_config(wp_cli *cli, int argc, char **argv)
{
    wp_app_env env;
    int status;
    if (argc < 1 || argv[0][0] == '-')
        return argc >= 1 && strcmp(argv[0], "--help") == 0
                   ? (printf("usage: %s\n", usage), 0)
                   : wp_cli_usage_error(usage, "app config takes APP [NAME=VALUE ...]");
    if (!env_of(&env, &status))
        return status;
    wp_err err = {0};
    return wp_app_config(&env, cli->socket_opt, argv[0], (const char *const *)argv + 1,
                         (size_t)argc - 1, stdout, &err)
               ? 0
               : wp_cli_fail(&err);
}

static const wp_cli_sub subs[] = {
    {"inspect", sub_inspect, "wolfpack app inspect KIT [--json]"},
    {"install", sub_install,
     "wolfpack app install KIT [--set NAME=VALUE ...] [--cluster --group G]"},
    {"remove", sub_remove, "wolfpack app remove APP [--purge]"},
    {"list", sub_list, "wolfpack app list [--json]"},
    {"show", sub_show, "wolfpack app show APP [--json]"},
    {"start", sub_start, "wolfpack app start APP"},
    {"stop", sub_stop, "wolfpack app stop APP"},
    {"backup", sub_backup, "wolfpack app backup APP --to FILE [--online]"},
    {"restore", sub_restore, "wolfpack app restore APP --from FILE"},
    {"verify", sub_verify, "wolfpack app verify FILE [--json]"},
    {"sp", sub_sp,
     "wolfpack app sp apply SP [--group G] [--single|--plan|--rollback] [--force] [--retries N]\n"
     "                              [--max-failed-nodes N] [--pre-hook PROG] [--post-hook PROG]"},
    {"task-run", sub_task_run, NULL}, /* internal: wolfpackd runs it for a node task */
    {"migrate", sub_migrate,
     "wolfpack app migrate APP [--group G | --create-group NAME --ip A/P --name HOST --disk DEV\n"
     "                                --mountpoint M [--fstype T] [--mount-options OPTS]]\n"
     "                                [--rollback]"},
    {"config", sub_config, "wolfpack app config APP [NAME=VALUE ...]"},
};

int wp_cmd_app(wp_cli *cli, int argc, char **argv)
{
    return wp_cli_dispatch(cli, argc, argv, "app", usage, subs, sizeof subs / sizeof subs[0]);
}
