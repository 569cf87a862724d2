/*
 * wpsched_bench.c -- how long one scheduler run takes on a large cluster.
 *
 *   wpsched_bench [RUNS]     (default 200 runs)
 *
 * Builds, in memory, a cluster of 16 nodes and 1,000 groups of 10
 * resources each (a dependency tree per group: addresses, a name, disks,
 * services), with a realistic mix: most groups stable and Online on their
 * preferred owner, the groups of one downed node to fail over, a paused
 * node, some failed resources to restart, some groups taken offline, some
 * waiting for failback.  It parses that input once, then runs the scheduler
 * RUNS times and prints the median and the maximum time of one run beside
 * the target (10 ms).  bench/bench_sched.sh wraps it.  The clock is read
 * here, never inside the scheduler.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../src/sched/sched.h"

#define NODES 16
#define GROUPS 1000
#define PER_GROUP 10
#define NOW 1700000000LL
#define TARGET_MS 10.0

/* The 10 resources of a group: name suffix, type, dependencies. */
static const struct {
    const char *suffix;
    const char *type;
    const char *deps[3];
} LAYOUT[PER_GROUP] = {
    {"ip", "IP Address", {NULL}},
    {"ip6", "IP Address", {NULL}},
    {"name", "Network Name", {"ip", "ip6", NULL}},
    {"data", "Physical Disk", {NULL}},
    {"logs", "Physical Disk", {NULL}},
    {"db", "Generic Service", {"data", "logs", NULL}},
    {"app", "Generic Service", {"db", "name", NULL}},
    {"web", "Generic Service", {"app", NULL}},
    {"mon", "OCF", {"app", NULL}},
    {"backup", "Generic Service", {"data", NULL}},
};

static json_t *bench_nodes(void)
{
    json_t *nodes = json_array();
    for (int i = 1; i <= NODES; i++) {
        char name[16];
        snprintf(name, sizeof name, "node%02d", i);
        json_array_append_new(nodes,
                              json_pack("{s:s, s:i, s:s, s:b}", "name", name, "id", i, "state",
                                        i == NODES ? "down" : "up", "paused", i == NODES - 1));
    }
    return nodes;
}

/* Group g: owner node (g % NODES) + 1, preferred that node and the next. */
static json_t *bench_group(int g)
{
    char name[32], owner[16], pref[40];
    int home = g % NODES + 1, next = (g + 1) % NODES + 1;
    int o = g % 50 == 7 ? next : home; /* a few wait for failback */
    snprintf(name, sizeof name, "group%04d", g);
    snprintf(owner, sizeof owner, "node%02d", o);
    snprintf(pref, sizeof pref, "node%02d,node%02d", home, next);
    return json_pack("{s:s, s:{s:s, s:s}, s:s, s:s}", "name", name, "policy", "preferred_owners",
                     pref, "failback", g % 100 == 7 ? "immediate" : "never", "owner", owner,
                     "target", g % 97 == 3 ? "offline" : "online");
}

static json_t *bench_resource(int g, int k, const char *owner)
{
    char name[48], group[32], dep[48];
    json_t *deps = json_array();
    bool failed = g % 53 == 5 && k == 6;
    snprintf(group, sizeof group, "group%04d", g);
    snprintf(name, sizeof name, "g%04d-%s", g, LAYOUT[k].suffix);
    for (int d = 0; LAYOUT[k].deps[d]; d++) {
        snprintf(dep, sizeof dep, "g%04d-%s", g, LAYOUT[k].deps[d]);
        json_array_append_new(deps, json_string(dep));
    }
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:s}", "name", name, "group", group, "type",
                     LAYOUT[k].type, "depends_on", deps, "state", failed ? "Failed" : "Online",
                     "node", owner);
}

static json_t *bench_input(void)
{
    json_t *groups = json_array(), *res = json_array();
    for (int g = 0; g < GROUPS; g++) {
        json_t *grp = bench_group(g);
        const char *owner = json_string_value(json_object_get(grp, "owner"));
        for (int k = 0; k < PER_GROUP; k++)
            json_array_append_new(res, bench_resource(g, k, owner));
        json_array_append_new(groups, grp);
    }
    return json_pack("{s:I, s:i, s:o, s:o, s:o}", "now", (json_int_t)NOW, "tz_offset", 0, "nodes",
                     bench_nodes(), "groups", groups, "resources", res);
}

static double ms_since(clockid_t clock, const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(clock, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 200;
    json_t *json = bench_input();
    wp_err err = {0};
    struct timespec t0, c0;
    wp_sched_input *in = NULL;
    size_t actions = 0, failovers = 0;
    double parse_ms = 0, *ms, *cpu;

    if (runs < 1 || runs > 100000) {
        fprintf(stderr, "usage: wpsched_bench [RUNS]   (1..100000, default 200)\n");
        return 1;
    }
    for (int i = 0; i < 5; i++) { /* the coordinator parses once per run too */
        wp_sched_input_free(in);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        in = wp_sched_input_parse(json, &err);
        double t = ms_since(CLOCK_MONOTONIC, &t0);
        parse_ms = i == 0 || t < parse_ms ? t : parse_ms;
    }
    json_decref(json);
    if (!in) {
        wp_err_print(&err, stderr);
        return 2;
    }
    ms = calloc((size_t)runs, sizeof *ms);
    cpu = calloc((size_t)runs, sizeof *cpu);
    for (int i = 0; i < runs; i++) {
        wp_sched_output out = {0};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (!wp_sched_run(in, &out, &err)) {
            wp_err_print(&err, stderr);
            return 2;
        }
        ms[i] = ms_since(CLOCK_MONOTONIC, &t0);
        cpu[i] = ms_since(CLOCK_THREAD_CPUTIME_ID, &c0);
        actions = out.n_actions;
        failovers = 0;
        for (size_t d = 0; d < out.n_decisions; d++)
            failovers += out.decisions[d].failover;
        wp_sched_output_free(&out);
    }
    qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
    qsort(cpu, (size_t)runs, sizeof *cpu, cmp_double);
    printf("scheduler: %d groups x %d resources on %d nodes (node%02d down, node%02d paused)\n",
           GROUPS, PER_GROUP, NODES, NODES, NODES - 1);
    printf("each run: %zu actions, %zu group failovers\n", actions, failovers);
    printf("parse of the input JSON: %.3f ms (best of 5)\n", parse_ms);
    printf("run: median %.3f ms, max %.3f ms over %d runs (target <= %.0f ms): %s\n", ms[runs / 2],
           ms[runs - 1], runs, TARGET_MS,
           ms[runs / 2] <= TARGET_MS ? "within target" : "ABOVE TARGET");
    printf("cpu time of a run: median %.3f ms, max %.3f ms (wall-clock spikes above it are "
           "other load on the machine)\n",
           cpu[runs / 2], cpu[runs - 1]);
    free(ms);
    free(cpu);
    wp_sched_input_free(in);
    return 0;
}
