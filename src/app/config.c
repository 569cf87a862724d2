/*
 * config.c -- `wolfpack app config APP [NAME=VALUE ...]` (cluster.h;
 * docs/APP.md, docs/MAIL.md): show or change an installed application's
 * parameters, which are its configuration.
 *
 * A clustered install's parameters live in its cluster record, which the
 * cluster replicates to every node, and its Generic Service resources carry
 * the commands expanded from them.  A change, from ANY node: the record is
 * rebuilt from the kit with the new values (the same way a service pack
 * rebuilds it), registered again (app.register), the resources get the new
 * commands (resource.set), every node refreshes its copy of the record
 * (`files` node tasks), and -- when the application's resources are online
 * -- they are taken offline and brought online again, so the services
 * start with the new configuration wherever the group runs.  An
 * application such as mailserver renders its configuration files from the
 * parameters at every start, so no node keeps configuration of its own.
 *
 * A standalone install: the node's record is rebuilt and saved, and
 * running services are restarted.
 *
 * Unknown names are refused (the kit declares the parameters); so is
 * `address` of a clustered install (it is the group's IP address).
 * Nothing changes when a check fails.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cluster.h"
#include "cluster_internal.h"
#include "../lib/json.h"
#include "secret.h"

static void print_params(FILE *out, const json_t *rec, const char *where)
{
    fprintf(out, "%s %s (%s):\n", wp_json_str(rec, "app"), wp_json_str(rec, "version"), where);
    json_t *shown = json_deep_copy(rec);
    wp_secret_mask_record(shown); /* secret.h: secrets read "(secret)" */
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(shown, "parameters"), key, v)
        fprintf(out, "  %s=%s\n", key, json_string_value(v));
    json_decref(shown);
}

/* Check every NAME=VALUE against the kit; the parameters with them applied
 * (caller owns), or NULL with err. */
static json_t *merged_params(const wp_kit *kit, const json_t *rec, const char *const *sets,
                             size_t nsets, wp_err *err)
{
    json_t *params = json_deep_copy(json_object_get(rec, "parameters"));
    bool clustered = wp_json_str(rec, "group") != NULL;
    for (size_t i = 0; params && i < nsets; i++) {
        const char *eq = strchr(sets[i], '=');
        char name[128];
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - sets[i]) : 0, sets[i]);
        const char *why = !eq || !name[0]                ? "it is not NAME=VALUE"
                          : !wp_kit_param_get(kit, name) ? "the kit declares no such parameter"
                          : clustered && strcmp(name, "address") == 0
                              ? "a clustered install's address is its group's IP address"
                              : NULL;
        if (why) {
            wp_errf(err, WP_E_INVALID, "cannot set '%s' of %s", name[0] ? name : "?", kit->name);
            wp_err_why(err, "%s", why);
            wp_err_todo(err,
                        "show the parameters with: wolfpack app config %s; nothing was "
                        "changed",
                        kit->name);
            json_decref(params);
            return NULL;
        }
        json_object_set_new(params, name, json_string(eq + 1));
    }
    return params;
}

/* Are any of the application's resources online (or coming online)? */
static bool any_online(wp_app_cluster *c, const json_t *names)
{
    size_t i;
    json_t *n;
    bool on = false;
    json_array_foreach(names, i, n)
    {
        wp_err ignored = {0};
        json_t *r = wp_app_call(c, "resource.show",
                                json_pack("{s:s}", "name", json_string_value(n)), &ignored);
        const char *st = r ? wp_json_str(r, "state") : NULL;
        on = on || (st && strcmp(st, "Offline") != 0);
        json_decref(r);
    }
    return on;
}

static bool config_clustered(wp_app_cluster *c, json_t *cur, const char *const *sets, size_t nsets,
                             wp_err *err)
{
    if (nsets == 0) {
        print_params(c->out, cur, "clustered, from the cluster database");
        return true;
    }
    wp_kit *kit = wp_kit_load(wp_json_str(cur, "kit"), err);
    json_t *params = kit ? merged_params(kit, cur, sets, nsets, err) : NULL;
    json_t *want = params ? json_deep_copy(cur) : NULL;
    json_t *rec = NULL;
    if (want) {
        json_object_set(want, "parameters", params);
        rec = wp_app_sp_record(c, kit, want, err); /* same kit, new values */
    }
    json_t *names = rec ? wp_app_resource_names(rec) : NULL;
    bool restart = names && any_online(c, names);
    bool ok = rec &&
              wp_app_change(c, "app.register",
                            json_pack("{s:s, s:O}", "name", wp_json_str(rec, "app"), "record", rec),
                            err) &&
              wp_app_update_resources(c, rec, err);
    if (ok)
        fprintf(c->out, "  the cluster record and the resources of %s have the new values\n",
                wp_json_str(rec, "app"));
    if (ok && restart) {
        fprintf(c->out, "  restarting %s's services where its group runs\n",
                wp_json_str(rec, "app"));
        ok = wp_app_resources_to(c, names, false, err) && wp_app_resources_to(c, names, true, err);
    }
    if (ok) /* every node's copy of the record (a node that is down: when it starts) */
        ok = wp_app_tasks_everywhere(c, wp_json_str(rec, "app"), "files",
                                     json_pack("{s:s}", "app", wp_json_str(rec, "app")), err);
    json_decref(names);
    json_decref(rec);
    json_decref(want);
    json_decref(params);
    wp_kit_free(kit);
    return ok;
}

static bool config_standalone(const wp_app_env *env, FILE *out, const char *app,
                              const char *const *sets, size_t nsets, wp_err *err)
{
    json_t *cur = wp_app_record_load(env, app, err);
    if (!cur)
        return false;
    if (nsets == 0) {
        print_params(out, cur, "standalone, from this node's install record");
        json_decref(cur);
        return true;
    }
    wp_kit *kit = wp_kit_load(wp_json_str(cur, "kit"), err);
    json_t *params = kit ? merged_params(kit, cur, sets, nsets, err) : NULL;
    size_t n = json_object_size(params), k = 0;
    char **bufs = calloc(n + 1, sizeof *bufs);
    const char *key;
    json_t *v;
    json_object_foreach(params, key, v) if (bufs && asprintf(&bufs[k], "%s=%s", key,
                                                             json_string_value(v)) >= 0) k++;
    wp_app_install_opts io = {.set = (const char *const *)bufs, .nset = k};
    json_t *rec = params && bufs ? wp_app_record_from_kit(env, kit, &io, err) : NULL;
    if (rec) /* keep when it was installed, and what the install created */
        json_object_set(rec, "installed_at", json_object_get(cur, "installed_at"));
    if (rec && json_object_get(cur, "created"))
        json_object_set(rec, "created", json_object_get(cur, "created"));
    bool running = rec && wp_app_any_running(env, cur);
    bool ok = rec && (!running || wp_app_stop(env, cur, err)) && wp_app_record_save(env, rec, err);
    if (ok && running) {
        fprintf(out, "  restarting %s's services\n", app);
        ok = wp_app_start(env, rec, err);
    }
    for (size_t i = 0; i < k; i++)
        free(bufs[i]);
    free(bufs);
    json_decref(rec);
    json_decref(params);
    wp_kit_free(kit);
    json_decref(cur);
    return ok;
}

bool wp_app_config(const wp_app_env *env, const char *socket_path, const char *app,
                   const char *const *sets, size_t nsets, FILE *out, wp_err *err)
{
    wp_app_cluster c;
    wp_err no_daemon = {0};
    json_t *cur = NULL;
    if (wp_app_cluster_open(&c, env, socket_path, &no_daemon)) {
        c.out = out;
        wp_err not_there = {0};
        cur = wp_app_call(&c, "app.show", json_pack("{s:s}", "name", app), &not_there);
        if (!cur && not_there.code != WP_E_NOTFOUND) {
            *err = not_there;
            wp_app_cluster_close(&c);
            return false;
        }
    }
    bool ok;
    if (cur) {
        ok = config_clustered(&c, cur, sets, nsets, err);
        json_decref(cur);
    } else {
        ok = config_standalone(env, out, app, sets, nsets, err);
    }
    if (c.client)
        wp_app_cluster_close(&c);
    if (ok && nsets > 0) { /* names only: a value may be a secret (secret.h) */
        fprintf(out, "OK: %s has new values for", app);
        for (size_t i = 0; i < nsets; i++)
            fprintf(out, "%s %.*s", i ? "," : "", (int)strcspn(sets[i], "="), sets[i]);
        fprintf(out, " (wolfpack app config %s shows them)\n", app);
    }
    return ok;
}
