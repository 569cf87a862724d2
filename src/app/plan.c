/*
 * plan.c -- the plan of `sp apply` on a clustered install (cluster.h,
 * wp_app_sp_plan): built once from the cluster record -- its group, the up
 * nodes besides the owner in update order, the application's resources,
 * and at its first use the record the service pack gives -- then passed to
 * the single run (sp.c) and the rolling update (rollout.c), which ask
 * wolfpackd and the kit for none of it again.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cluster.h"
#include "cluster_internal.h"
#include "../lib/json.h"

/* Up nodes other than the owner, in preferred order, then by name. */
static json_t *order_nodes(wp_app_cluster *c, const json_t *group, wp_err *err)
{
    json_t *st = wp_app_call(c, "status", NULL, err);
    if (!st)
        return NULL;
    const char *owner = wp_json_str(group, "owner");
    const char *pref = wp_json_str(json_object_get(group, "policy"), "preferred_owners");
    json_t *out = json_array();
    size_t i, j;
    json_t *n, *m;
    for (int pass = 0; pass < 2; pass++) {
        json_array_foreach(json_object_get(st, "nodes"), i, n)
        {
            const char *name = wp_json_str(n, "name");
            bool up = false;
            json_array_foreach(json_object_get(st, "members"), j, m) up =
                up || json_integer_value(m) == json_integer_value(json_object_get(n, "id"));
            bool preferred = false;
            if (pref && *pref) {
                char buf[1024];
                snprintf(buf, sizeof buf, ",%s,", pref);
                char key[128];
                snprintf(key, sizeof key, ",%s,", name);
                preferred = strcasestr(buf, key) != NULL;
            }
            if (!up || (owner && strcasecmp(owner, name) == 0) || preferred != (pass == 0))
                continue;
            json_array_append_new(out, json_string(name));
        }
    }
    json_decref(st);
    return out;
}

bool wp_app_sp_plan_build(wp_app_cluster *c, const wp_kit *sp, json_t *cur, wp_app_sp_plan *p,
                          wp_err *err)
{
    *p = (wp_app_sp_plan){.sp = sp, .cur = cur, .names = wp_app_resource_names(cur)};
    p->group =
        wp_app_call(c, "group.show", json_pack("{s:s}", "name", wp_json_str(cur, "group")), err);
    p->others = p->group ? order_nodes(c, p->group, err) : NULL;
    return p->others != NULL;
}

const json_t *wp_app_sp_plan_record(wp_app_cluster *c, wp_app_sp_plan *p, wp_err *err)
{
    if (!p->rec)
        p->rec = wp_app_sp_record(c, p->sp, p->cur, err);
    return p->rec;
}

void wp_app_sp_plan_free(wp_app_sp_plan *p)
{
    json_decref(p->cur);
    json_decref(p->group);
    json_decref(p->others);
    json_decref(p->names);
    json_decref(p->rec);
    *p = (wp_app_sp_plan){0};
}
