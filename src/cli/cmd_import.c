/*
 * cmd_import.c -- `wolfpack cluster import FILE --dry-run | --apply`: make
 * the cluster's configuration what an export file (`cluster export`,
 * format wolfpack-export-1) says, the difference printed first
 * (docs/CLI.md, "cluster import").
 *
 * The file is checked as `verify --file --no-local` does (verify.c): an
 * error refuses the import.  The difference against the running cluster
 * (the same read as `cluster export`) becomes a list of configuration
 * commands -- group.create / group.set, resource.create / resource.set,
 * resource.depend / resource.undepend, alert.create -- in that order;
 * --apply sends them as one cluster.import command, which the database
 * applies in one transaction (src/db/apply.c): all or nothing.
 *
 * An import adds and changes; it deletes only with --prune: groups and
 * resources that are only in the cluster are listed (left alone), and with
 * --prune they are deleted too -- resources first, each after those that
 * depend on it, then their groups -- but never a resource that is not
 * Offline (the import is refused: take it offline first) nor Cluster
 * Group.  Nodes, fence devices and applications are not imported nor
 * pruned (their differences are listed).  A resource whose group or type
 * differs cannot be changed in place: the import is refused.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../lib/model.h"
#include "cli.h"
#include "verify.h"
#include "../lib/json.h"

static const char usage[] = "wolfpack cluster import FILE --dry-run | --apply [--prune] [--json]";

/* The plan: commands to send, lines to print, notes. */
typedef struct plan {
    json_t *commands;
    json_t *lines;
    json_t *notes;
    bool refused;
    bool prune; /* delete what is only in the cluster */
} plan;

static void add_cmd(plan *p, const char *op, json_t *args, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void add_cmd(plan *p, const char *op, json_t *args, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    json_array_append_new(p->commands, json_pack("{s:s, s:o}", "op", op, "args", args));
    json_array_append_new(p->lines, json_string(line));
}

static void note(plan *p, bool refuse, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void note(plan *p, bool refuse, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    json_array_append_new(p->notes, json_string(line));
    p->refused = p->refused || refuse;
}

/* {key: new value} for every key whose value differs, null for a key
 * only in cur; "k=new" text of the change into text.  dflt (may be NULL):
 * the policy defaults, which a key absent from want stands for. */
static json_t *obj_diff(const json_t *cur, const json_t *want_given, const json_t *dflt, char *text,
                        size_t size)
{
    json_t *want = json_deep_copy(want_given);
    const char *dk;
    json_t *dv;
    json_object_foreach((json_t *)dflt, dk, dv) if (!json_object_get(want, dk))
        json_object_set(want, dk, dv);
    json_t *out = json_object();
    size_t used = 0;
    text[0] = '\0';
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)want, key, v)
    {
        if (json_equal(v, json_object_get(cur, key)))
            continue;
        json_object_set(out, key, v);
        used += (size_t)snprintf(text + used, used < size ? size - used : 0, "%s%s=%s",
                                 used ? ", " : "", key,
                                 json_string_value(v) ? json_string_value(v) : "?");
    }
    json_object_foreach((json_t *)cur, key, v)
    {
        if (json_object_get(want, key))
            continue;
        json_object_set_new(out, key, json_null());
        used += (size_t)snprintf(text + used, used < size ? size - used : 0, "%s%s reset",
                                 used ? ", " : "", key);
    }
    json_decref(want);
    return out;
}

static void plan_groups(plan *p, const json_t *cur, const json_t *want)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(want, "groups"), i, g)
    {
        const json_t *have =
            wp_verify_by_name(json_object_get(cur, "groups"), wp_json_str_or(g, "name", ""));
        const json_t *policy = json_object_get(g, "policy");
        char text[600];
        if (!have) {
            json_t *args = json_pack("{s:s}", "name", wp_json_str_or(g, "name", ""));
            if (json_object_size(policy))
                json_object_set(args, "policy", (json_t *)policy);
            add_cmd(p, "group.create", args, "+ group %s", wp_json_str_or(g, "name", ""));
            continue;
        }
        json_t *empty = json_object(), *dflt = wp_group_policy_defaults();
        json_t *d =
            obj_diff(json_object_get(have, "policy") ? json_object_get(have, "policy") : empty,
                     policy ? policy : empty, dflt, text, sizeof text);
        json_decref(empty);
        json_decref(dflt);
        if (json_object_size(d))
            add_cmd(p, "group.set",
                    json_pack("{s:s, s:o}", "name", wp_json_str_or(have, "name", ""), "policy", d),
                    "~ group %s: policy %s", wp_json_str_or(have, "name", ""), text);
        else
            json_decref(d);
    }
    json_array_foreach(json_object_get(cur, "groups"), i,
                       g) if (!p->prune && !wp_verify_by_name(json_object_get(want, "groups"),
                                                              wp_json_str_or(g, "name", "")))
        note(p, false, "= group %s: only in the cluster, left alone (--prune deletes it)",
             wp_json_str_or(g, "name", ""));
}

/* resource.set for what differs in props and policy. */
static void plan_resource_set(plan *p, const json_t *have, const json_t *r)
{
    json_t *empty = json_object();
    char ptext[600], qtext[600];
    const json_t *hp = json_object_get(have, "props"), *wp = json_object_get(r, "props");
    const json_t *hq = json_object_get(have, "policy"), *wq = json_object_get(r, "policy");
    json_t *dflt = wp_resource_policy_defaults();
    json_t *props = obj_diff(hp ? hp : empty, wp ? wp : empty, NULL, ptext, sizeof ptext);
    json_t *policy = obj_diff(hq ? hq : empty, wq ? wq : empty, dflt, qtext, sizeof qtext);
    json_decref(empty);
    json_decref(dflt);
    if (!json_object_size(props) && !json_object_size(policy)) {
        json_decref(props);
        json_decref(policy);
        return;
    }
    json_t *args = json_pack("{s:s}", "name", wp_json_str_or(have, "name", ""));
    if (json_object_size(props))
        json_object_set(args, "props", props);
    if (json_object_size(policy))
        json_object_set(args, "policy", policy);
    add_cmd(p, "resource.set", args, "~ resource %s:%s%s%s%s", wp_json_str_or(have, "name", ""),
            json_object_size(props) ? " props " : "", json_object_size(props) ? ptext : "",
            json_object_size(policy) ? " policy " : "", json_object_size(policy) ? qtext : "");
    json_decref(props);
    json_decref(policy);
}

static void plan_resources(plan *p, const json_t *cur, const json_t *want)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(want, "resources"), i, r)
    {
        const json_t *have =
            wp_verify_by_name(json_object_get(cur, "resources"), wp_json_str_or(r, "name", ""));
        if (!have) {
            json_t *args =
                json_pack("{s:s, s:s, s:s}", "name", wp_json_str_or(r, "name", ""), "group",
                          wp_json_str_or(r, "group", ""), "type", wp_json_str_or(r, "type", ""));
            if (json_object_size(json_object_get(r, "props")))
                json_object_set(args, "props", json_object_get(r, "props"));
            if (json_object_size(json_object_get(r, "policy")))
                json_object_set(args, "policy", json_object_get(r, "policy"));
            add_cmd(p, "resource.create", args, "+ resource %s in group %s (%s)",
                    wp_json_str_or(r, "name", ""), wp_json_str_or(r, "group", ""),
                    wp_json_str_or(r, "type", ""));
        } else if (strcasecmp(wp_json_str_or(have, "group", ""), wp_json_str_or(r, "group", "")) !=
                       0 ||
                   strcasecmp(wp_json_str_or(have, "type", ""), wp_json_str_or(r, "type", "")) !=
                       0) {
            note(p, true,
                 "! resource %s: %s %s in the cluster, %s %s in the file: it cannot be changed "
                 "in place (delete it first, then import)",
                 wp_json_str_or(r, "name", ""), wp_json_str_or(have, "type", ""),
                 wp_json_str_or(have, "group", ""), wp_json_str_or(r, "type", ""),
                 wp_json_str_or(r, "group", ""));
        } else {
            plan_resource_set(p, have, r);
        }
    }
    json_array_foreach(json_object_get(cur, "resources"), i,
                       r) if (!p->prune && !wp_verify_by_name(json_object_get(want, "resources"),
                                                              wp_json_str_or(r, "name", "")))
        note(p, false, "= resource %s: only in the cluster, left alone (--prune deletes it)",
             wp_json_str_or(r, "name", ""));
}

static bool has_dep(const json_t *r, const char *on)
{
    size_t i;
    json_t *d;
    json_array_foreach(json_object_get(r, "depends_on"), i,
                       d) if (json_string_value(d) &&
                              strcasecmp(json_string_value(d), on) == 0) return true;
    return false;
}

static void plan_dependencies(plan *p, const json_t *cur, const json_t *want)
{
    size_t i, k;
    json_t *r, *d;
    json_array_foreach(json_object_get(want, "resources"), i, r)
    {
        const json_t *have =
            wp_verify_by_name(json_object_get(cur, "resources"), wp_json_str_or(r, "name", ""));
        json_array_foreach(json_object_get(r, "depends_on"), k,
                           d) if (json_string_value(d) &&
                                  !(have && has_dep(have, json_string_value(d))))
            add_cmd(p, "resource.depend",
                    json_pack("{s:s, s:s}", "name", wp_json_str_or(r, "name", ""), "on",
                              json_string_value(d)),
                    "+ dependency %s -> %s", wp_json_str_or(r, "name", ""), json_string_value(d));
        json_array_foreach(json_object_get(have, "depends_on"), k,
                           d) if (json_string_value(d) && !has_dep(r, json_string_value(d)))
            add_cmd(p, "resource.undepend",
                    json_pack("{s:s, s:s}", "name", wp_json_str_or(have, "name", ""), "on",
                              json_string_value(d)),
                    "- dependency %s -> %s", wp_json_str_or(have, "name", ""),
                    json_string_value(d));
    }
}

/* --prune: may the resource only in the cluster be deleted?  Only when it
 * is Offline (an import never stops anything: a deleted running resource
 * would keep running, unmonitored); else the import is refused. */
static bool prunable(plan *p, const json_t *r, const json_t *states)
{
    const json_t *s = wp_verify_by_name(states, wp_json_str_or(r, "name", ""));
    const char *state = s ? wp_json_str_or(s, "state", "") : "Offline";
    if (strcmp(state, "Offline") == 0)
        return true;
    note(p, true,
         "! resource %s: only in the cluster, but %s%s%s: a prune deletes only what is Offline "
         "(take it offline first: wolfpack resource offline %s)",
         wp_json_str_or(r, "name", ""), state, *wp_json_str_or(s, "node", "") ? " on " : "",
         wp_json_str_or(s, "node", ""), wp_json_str_or(r, "name", ""));
    return false;
}

/* Does a resource of `list` that is not done yet depend on `name`? */
static bool needed_by(const json_t *list, const bool *done, const char *name)
{
    size_t i;
    json_t *r;
    json_array_foreach(list, i, r) if (!done[i] && has_dep(r, name)) return true;
    return false;
}

/* --prune: resource.delete for the resources only in the cluster (each
 * after what depends on it), then group.delete for the groups. */
static void plan_prune(plan *p, const json_t *cur, const json_t *want, const json_t *states)
{
    json_t *gone = json_array();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(cur, "resources"), i, v)
    {
        if (!wp_verify_by_name(json_object_get(want, "resources"), wp_json_str_or(v, "name", "")) &&
            prunable(p, v, states))
            json_array_append(gone, v);
    }
    size_t n = json_array_size(gone), left = n;
    bool *done = calloc(n + 1, sizeof *done);
    while (done && left > 0) {
        size_t before = left;
        json_array_foreach(gone, i, v)
        {
            if (done[i] || needed_by(gone, done, wp_json_str_or(v, "name", "")))
                continue;
            add_cmd(p, "resource.delete", json_pack("{s:s}", "name", wp_json_str_or(v, "name", "")),
                    "- resource %s", wp_json_str_or(v, "name", ""));
            done[i] = true;
            left--;
        }
        if (left == before)
            break; /* a cycle cannot be stored; never loop */
    }
    free(done);
    json_decref(gone);
    json_array_foreach(json_object_get(cur, "groups"), i, v)
    {
        if (wp_verify_by_name(json_object_get(want, "groups"), wp_json_str_or(v, "name", "")))
            continue;
        if (strcasecmp(wp_json_str_or(v, "name", ""), "Cluster Group") == 0)
            note(p, false, "= group Cluster Group: the cluster's own, never pruned");
        else
            add_cmd(p, "group.delete", json_pack("{s:s}", "name", wp_json_str_or(v, "name", "")),
                    "- group %s", wp_json_str_or(v, "name", ""));
    }
}

/* What is not imported: nodes, fence devices, applications. */
static void plan_left_out(plan *p, const json_t *cur, const json_t *want)
{
    static const char *const lists[] = {"nodes", "fence_devices", "apps"};
    static const char *const what[] = {"node", "fence device", "application"};
    for (size_t l = 0; l < 3; l++) {
        size_t i;
        json_t *v;
        json_array_foreach(json_object_get(want, lists[l]), i,
                           v) if (!wp_verify_by_name(json_object_get(cur, lists[l]),
                                                     wp_json_str_or(v, "name", "")))
            note(p, false, "= %s %s: not imported (add it with its own command)", what[l],
                 wp_json_str_or(v, "name", ""));
    }
}

static json_t *load(const char *path, wp_err *err)
{
    json_error_t je;
    json_t *v = json_load_file(path, 0, &je);
    if (!v) {
        wp_errf(err, WP_E_INVALID, "cannot read the configuration file %s", path);
        wp_err_why(err, "line %d: %s", je.line, je.text);
        wp_err_todo(err, "give a file that `wolfpack cluster export` wrote");
    }
    return v;
}

static void print_plan(const plan *p)
{
    size_t i;
    json_t *v;
    json_array_foreach(p->lines, i, v) printf("%s\n", json_string_value(v));
    json_array_foreach(p->notes, i, v) printf("%s\n", json_string_value(v));
}

/* The file's errors (verify.c) refuse the import: printed, exit 2. */
static bool file_valid(const json_t *want, const char *path)
{
    json_t *findings = json_array();
    wp_verify_config(want, findings);
    size_t errors = wp_verify_count(findings, true);
    size_t i;
    json_t *f;
    json_array_foreach(findings, i, f) if (strcmp(wp_json_str_or(f, "level", ""), "error") == 0)
        fprintf(stderr, "  %s: %s\n", wp_json_str_or(f, "object", ""),
                wp_json_str_or(f, "message", ""));
    if (errors)
        fprintf(stderr,
                "error: cannot import %s\n  why: it has %zu error%s (listed above; `wolfpack "
                "verify --file %s` shows them all)\n  to do: correct the file; nothing was "
                "changed\n",
                path, errors, errors == 1 ? "" : "s", path);
    json_decref(findings);
    return errors == 0;
}

int wp_cli_cluster_import(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{.name = "--dry-run"}, {.name = "--apply"}, {.name = "--prune"}};
    wp_cli_args a;
    int status;
    if (!wp_cli_parse_sub(cli, argc, argv, opts, 3, usage, "FILE", 1, &a, &status))
        return status;
    bool apply = opts[1].count > 0;
    if (opts[0].count + opts[1].count != 1)
        return wp_cli_usage_error(usage, "give exactly one of --dry-run and --apply");
    wp_err err = {0};
    json_t *want = load(a.pos[0], &err);
    if (!want)
        return wp_cli_fail(&err);
    if (!file_valid(want, a.pos[0])) {
        json_decref(want);
        return wp_code_exit_status(WP_E_INVALID);
    }
    json_t *cur = wp_cli_config_read(cli, &err);
    bool prune = opts[2].count > 0;
    /* the resources' states: a prune deletes only what is Offline */
    json_t *states = cur && prune ? wp_cli_call(cli, "resource.list", NULL, NULL, &err) : NULL;
    if (!cur || (prune && !states)) {
        json_decref(cur);
        json_decref(want);
        return wp_cli_fail(&err);
    }
    plan p = {json_array(), json_array(), json_array(), false, prune};
    plan_groups(&p, cur, want);
    plan_resources(&p, cur, want);
    plan_dependencies(&p, cur, want);
    if (prune)
        plan_prune(&p, cur, want, states);
    plan_left_out(&p, cur, want);
    json_decref(states);
    json_decref(cur);
    json_decref(want);
    size_t n = json_array_size(p.commands);
    if (cli->json && !apply) {
        json_t *out = json_pack("{s:O, s:O}", "commands", p.commands, "notes", p.notes);
        wp_cli_print_json(out, stdout);
        json_decref(out);
    } else {
        print_plan(&p);
    }
    int rc = 0;
    if (p.refused) {
        wp_errf(&err, WP_E_CONFLICT, "cannot import %s", a.pos[0]);
        wp_err_why(&err, "a difference cannot be made by an import (the lines with '!')");
        wp_err_todo(&err, "make those changes by hand first; nothing was changed");
        rc = wp_cli_fail(&err);
    } else if (!apply || n == 0) {
        if (!cli->json)
            printf("%zu change%s%s\n", n, n == 1 ? "" : "s",
                   apply ? ": nothing to do" : " (dry run: nothing was changed)");
    } else {
        char msg[128];
        snprintf(msg, sizeof msg, "Imported %s: %zu change%s in one transaction", a.pos[0], n,
                 n == 1 ? "" : "s");
        rc = wp_cli_change(cli, "cluster.import", json_pack("{s:O}", "commands", p.commands), msg);
    }
    json_decref(p.commands);
    json_decref(p.lines);
    json_decref(p.notes);
    return rc;
}
