/*
 * sched_output.c -- what the scheduler decided, for machines and people.
 *
 * wp_sched_output_json gives the actions in order and one decision per
 * group (the fixtures' expected.json, and what the coordinator logs);
 * wp_sched_summary gives one screen of text: the nodes, each group with its
 * owner before and after, and the numbered actions (the fixtures'
 * summary.txt).  Both only read the input and the output.
 */
#include "sched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *wp_rstate_name(wp_rstate st)
{
    static const char *const names[WP_RS__COUNT] = {"Offline", "Online", "Failed", "Online Pending",
                                                    "Offline Pending"};
    return (unsigned)st < WP_RS__COUNT ? names[st] : "?";
}

const char *wp_gstate_name(wp_gstate st)
{
    static const char *const names[] = {"Online", "Partially Online", "Offline", "Failed",
                                        "Pending"};
    return (unsigned)st <= WP_GS_PENDING ? names[st] : "?";
}

const char *wp_sched_verb_name(wp_sched_verb verb)
{
    static const char *const names[] = {"stop", "start", "restart"};
    return (unsigned)verb <= WP_ACT_RESTART ? names[verb] : "?";
}

static json_t *node_json(const wp_sched_input *in, int n)
{
    return n >= 0 ? json_string(in->nodes[n].name) : json_null();
}

json_t *wp_sched_output_json(const wp_sched_input *in, const wp_sched_output *out)
{
    json_t *root = json_object(), *actions = json_array(), *groups = json_array();
    for (size_t i = 0; i < out->n_actions; i++) {
        const wp_sched_action *a = &out->actions[i];
        json_array_append_new(actions, json_pack("{s:s, s:s, s:s, s:o, s:s}", "action",
                                                 wp_sched_verb_name(a->verb), "resource",
                                                 in->resources[a->resource].name, "group",
                                                 in->groups[a->group].name, "node",
                                                 node_json(in, a->node), "reason", a->reason));
    }
    for (size_t i = 0; i < out->n_decisions; i++) {
        const wp_sched_decision *d = &out->decisions[i];
        json_array_append_new(
            groups, json_pack("{s:s, s:o, s:o, s:s, s:b, s:s}", "group", in->groups[d->group].name,
                              "owner_before", node_json(in, d->owner_before), "owner_after",
                              node_json(in, d->owner_after), "state", wp_gstate_name(d->state),
                              "failover", d->failover, "reason", d->reason));
    }
    json_object_set_new(root, "actions", actions);
    json_object_set_new(root, "groups", groups);
    return root;
}

/* ---------------------------------------------------------------------------
 * The summary
 * ------------------------------------------------------------------------- */

static int width_of(size_t n, const char *(*name)(const wp_sched_input *, size_t),
                    const wp_sched_input *in, int min)
{
    int w = min;
    for (size_t i = 0; i < n; i++) {
        int len = (int)strlen(name(in, i));
        w = len > w ? len : w;
    }
    return w;
}

static const char *node_at(const wp_sched_input *in, size_t i)
{
    return in->nodes[i].name;
}

static const char *group_at(const wp_sched_input *in, size_t i)
{
    return in->groups[i].name;
}

static const char *resource_at(const wp_sched_input *in, size_t i)
{
    return in->resources[i].name;
}

static const char *owner(const wp_sched_input *in, int n)
{
    return n >= 0 ? in->nodes[n].name : "-";
}

static void summary_nodes(FILE *f, const wp_sched_input *in)
{
    int w = width_of(in->n_nodes, node_at, in, 4);
    int64_t local = (in->now + in->tz_offset) % 86400;
    if (local < 0)
        local += 86400;
    fprintf(f, "now %lld, local time %02d:%02d (tz_offset %+ld s)\n\n", (long long)in->now,
            (int)(local / 3600), (int)(local % 3600 / 60), in->tz_offset);
    fprintf(f, "nodes\n");
    for (size_t i = 0; i < in->n_nodes; i++) {
        const wp_sched_node *n = &in->nodes[i];
        fprintf(f, "  %-*s  id %-3u  %s%s%s\n", w, n->name, n->id, n->up ? "up" : "down",
                n->paused ? ", paused" : "", n->drained ? ", drained" : "");
    }
}

/* One resource as "name State@node (notes)". */
static void resource_brief(const wp_sched_input *in, const wp_sched_resource *r, char *buf,
                           size_t len)
{
    size_t n = 0, recent = 0;
    for (size_t i = 0; i < r->n_restarts; i++)
        recent += r->restarts[i] > in->now - r->restart_period;
    n += (size_t)snprintf(buf, len, "%s %s", r->name, wp_rstate_name(r->state));
    if (r->node >= 0 && n < len)
        n += (size_t)snprintf(buf + n, len - n, "@%s", in->nodes[r->node].name);
    if (recent > 0 && n < len)
        n +=
            (size_t)snprintf(buf + n, len - n, " (%zu/%ld restarts)", recent, r->restart_threshold);
    if (r->has_pending_since && n < len)
        n += (size_t)snprintf(buf + n, len - n, " (for %lld s)",
                              (long long)(in->now - r->pending_since));
    if (!r->target_online && n < len)
        snprintf(buf + n, len - n, " (target offline)");
}

/* Each group's resources in start order, wrapped at about 100 columns. */
static void summary_resources(FILE *f, const wp_sched_input *in)
{
    int w = width_of(in->n_groups, group_at, in, 5);
    fprintf(f, "\nresources before (start order: name state@node)\n");
    for (size_t gi = 0; gi < in->n_groups; gi++) {
        const wp_sched_group *g = &in->groups[gi];
        int col = fprintf(f, "  %-*s ", w, g->name);
        for (size_t i = 0; i < g->n_order; i++) {
            char item[160];
            resource_brief(in, &in->resources[g->order[i]], item, sizeof item);
            if (i > 0 && col + (int)strlen(item) + 2 > 100)
                col = fprintf(f, ",\n  %-*s ", w, "") - 2;
            else if (i > 0)
                col += fprintf(f, ",");
            col += fprintf(f, " %s", item);
        }
        fprintf(f, "%s\n", g->n_order ? "" : " (no resources)");
    }
}

static void summary_groups(FILE *f, const wp_sched_input *in, const wp_sched_output *out)
{
    int w = width_of(in->n_groups, group_at, in, 5);
    int wn = width_of(in->n_nodes, node_at, in, 1);
    fprintf(f, "\ngroups (owner before -> after, state after, reason)\n");
    for (size_t i = 0; i < out->n_decisions; i++) {
        const wp_sched_decision *d = &out->decisions[i];
        fprintf(f, "  %-*s  %*s -> %-*s  %-16s  %s%s\n", w, in->groups[d->group].name, wn,
                owner(in, d->owner_before), wn, owner(in, d->owner_after), wp_gstate_name(d->state),
                d->failover ? "[failover] " : "", d->reason);
    }
}

static void summary_actions(FILE *f, const wp_sched_input *in, const wp_sched_output *out)
{
    int wr = width_of(in->n_resources, resource_at, in, 1);
    int wn = width_of(in->n_nodes, node_at, in, 1);
    fprintf(f, "\nactions, in order\n");
    if (out->n_actions == 0)
        fprintf(f, "  (none)\n");
    for (size_t i = 0; i < out->n_actions; i++) {
        const wp_sched_action *a = &out->actions[i];
        fprintf(f, "  %3zu. %-7s  %-*s  on %-*s  (%s) %s\n", i + 1, wp_sched_verb_name(a->verb), wr,
                in->resources[a->resource].name, wn, owner(in, a->node), in->groups[a->group].name,
                a->reason);
    }
}

char *wp_sched_summary(const wp_sched_input *in, const wp_sched_output *out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        abort();
    summary_nodes(f, in);
    summary_resources(f, in);
    summary_groups(f, in, out);
    summary_actions(f, in, out);
    fclose(f);
    return buf;
}
