/*
 * cmd_disk.c -- `wolfpack disk prepare|show|release`: operator helpers for
 * the shared disks of Physical Disk resources (docs/DISK.md).
 *
 * They work on the block device itself, on this node, without wolfpackd:
 *   prepare  makes the file system (ending before the 1 MiB lease area at
 *            the end of the device) and writes a fresh lease area
 *   show     reads the lease area: who holds it, generation, counter, and
 *            until when the lease holds as seen from here (--observe
 *            watches it for a little longer than L to tell a live holder
 *            from a dead one)
 *   release  marks the lease released, for an operator who knows the
 *            holder is dead (--force required, loud warning, syslog)
 */
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "../agents/disk.h"
#include "cli.h"
#include "../lib/clock.h"

static const char usage[] = "wolfpack disk prepare|show|release DEVICE ...";
static const char usage_prepare[] = "wolfpack disk prepare DEVICE [--fstype ext4] [--mmp|--no-mmp] "
                                    "[--lease-ms MS] [--force]";
static const char usage_show[] = "wolfpack disk show DEVICE [--observe] [--json]";
static const char usage_release[] = "wolfpack disk release DEVICE --force";

static bool parse_one(wp_cli *cli, int argc, char **argv, const char *use, wp_cli_opt *opts,
                      int nopts, wp_cli_args *a, int *status)
{
    if (!wp_cli_parse_sub(cli, argc, argv, opts, nopts, use, "DEVICE", 1, a, status))
        return false;
    if (a->pos[0][0] != '/') {
        *status = wp_cli_usage_error(use, "DEVICE must be an absolute path, not \"%s\"", a->pos[0]);
        return false;
    }
    return true;
}

static void wall_text(int64_t wall_ms, char *out, size_t n)
{
    time_t t = (time_t)(wall_ms / 1000);
    struct tm tm;
    size_t len = strftime(out, n, "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
    snprintf(out + len, n - len, ".%03lld", (long long)(wall_ms % 1000));
}

static const char *lease_state(const wp_disk_lease *l, bool valid)
{
    if (!valid)
        return "damaged";
    if (!l->owner[0])
        return "free";
    if (l->flags & WP_DISK_F_FORCED)
        return "released (forced)";
    if (l->flags & WP_DISK_F_RELEASED)
        return "released";
    return "held";
}

static int disk_prepare(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{"--fstype", true, 0, {0}},
                         {"--mmp", false, 0, {0}},
                         {"--no-mmp", false, 0, {0}},
                         {"--lease-ms", true, 0, {0}},
                         {"--force", false, 0, {0}}};
    wp_cli_args a;
    int status;
    if (!parse_one(cli, argc, argv, usage_prepare, opts, 5, &a, &status))
        return status;
    if (opts[1].count && opts[2].count)
        return wp_cli_usage_error(usage_prepare, "--mmp and --no-mmp exclude each other");
    wp_disk_prepare_opts o = {.device = a.pos[0],
                              .fstype = opts[0].count ? opts[0].values[0] : "ext4",
                              .mmp = opts[1].count > 0,
                              .force = opts[4].count > 0,
                              .log_fd = 2};
    if (opts[3].count) {
        char *end;
        long v = strtol(opts[3].values[0], &end, 10);
        if (*end || v <= 0 || v > WP_DISK_MAX_LEASE_MS)
            return wp_cli_usage_error(usage_prepare, "--lease-ms wants milliseconds, not \"%s\"",
                                      opts[3].values[0]);
        o.lease_ms = (uint32_t)v;
    }
    wp_err err = {0};
    wp_disk_header h;
    if (!wp_disk_prepare(&o, &h, &err))
        return wp_cli_fail(&err);
    char uuid[37];
    wp_disk_uuid_text(h.uuid, uuid);
    if (cli->json) {
        json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:b}", "device", o.device, "uuid", uuid,
                              "fstype", h.fstype, "fs_bytes", (json_int_t)h.fs_bytes, "lease_ms",
                              (json_int_t)h.lease_ms, "mmp", h.mmp != 0);
        json_dumpf(j, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(j);
        return 0;
    }
    printf("Prepared %s for the cluster: %s file system of %llu MiB%s, lease area of 1 MiB at "
           "the end, L = %u ms, disk UUID %s\n",
           o.device, h.fstype, (unsigned long long)(h.fs_bytes >> 20),
           h.mmp ? " with multi-mount protection" : "", h.lease_ms, uuid);
    return 0;
}

/* Watch the lease for a little more than L: did it move? */
static bool observe(const char *device, uint32_t lease_ms, bool *moved, wp_err *err)
{
    wp_disk_observer obs = {0};
    int64_t begin = wp_clock_ms();
    *moved = false;
    while (wp_clock_ms() - begin <= lease_ms + wp_disk_observe_ms(lease_ms)) {
        wp_disk_header h;
        wp_disk_lease l;
        bool valid;
        if (!wp_disk_inspect(device, &h, &l, &valid, err))
            return false;
        int64_t now = wp_clock_ms();
        wp_disk_observe(&obs, &l, valid, now);
        *moved = *moved || obs.changed_ms > begin + 1;
        wp_clock_sleep_ms(wp_disk_observe_ms(lease_ms));
    }
    return true;
}

static int disk_show(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{"--observe", false, 0, {0}}};
    wp_cli_args a;
    int status;
    if (!parse_one(cli, argc, argv, usage_show, opts, 1, &a, &status))
        return status;
    wp_err err = {0};
    wp_disk_header h;
    wp_disk_lease l;
    bool valid, moved = false;
    if (!wp_disk_inspect(a.pos[0], &h, &l, &valid, &err))
        return wp_cli_fail(&err);
    int64_t now_wall = (int64_t)time(NULL) * 1000;
    if (opts[0].count && !observe(a.pos[0], h.lease_ms, &moved, &err))
        return wp_cli_fail(&err);
    char uuid[37], written[64], until[64], me[WP_DISK_OWNER_MAX] = "?";
    wp_disk_uuid_text(h.uuid, uuid);
    wall_text(l.wall_ms, written, sizeof written);
    wall_text(now_wall + h.lease_ms, until, sizeof until);
    wp_disk_node_name(me, NULL);
    const char *state = lease_state(&l, valid);
    bool held = valid && !wp_disk_lease_free(&l);
    if (cli->json) {
        json_t *j =
            json_pack("{s:s,s:s,s:s,s:I,s:I,s:b,s:s,s:s,s:I,s:I,s:s,s:s}", "device", a.pos[0],
                      "uuid", uuid, "fstype", h.fstype, "fs_bytes", (json_int_t)h.fs_bytes,
                      "lease_ms", (json_int_t)h.lease_ms, "mmp", h.mmp != 0, "state", state,
                      "owner", l.owner, "generation", (json_int_t)l.generation, "counter",
                      (json_int_t)l.counter, "written_at", written, "seen_from", me);
        if (held)
            json_object_set_new(j, "held_until_at_least", json_string(until));
        if (opts[0].count)
            json_object_set_new(j, "renewing", json_boolean(moved));
        json_dumpf(j, stdout, JSON_INDENT(2));
        printf("\n");
        json_decref(j);
        return 0;
    }
    printf("Disk %s (UUID %s):\n", a.pos[0], uuid);
    char buf[160];
    snprintf(buf, sizeof buf, "%s, %llu MiB%s", h.fstype, (unsigned long long)(h.fs_bytes >> 20),
             h.mmp ? ", mmp" : "");
    wp_cli_print_kv(stdout, 12, "filesystem", buf);
    snprintf(buf, sizeof buf, "%u ms", h.lease_ms);
    wp_cli_print_kv(stdout, 12, "lease (L)", buf);
    wp_cli_print_kv(stdout, 12, "state", state);
    wp_cli_print_kv(stdout, 12, "owner", l.owner[0] ? l.owner : "-");
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)l.generation);
    wp_cli_print_kv(stdout, 12, "generation", buf);
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)l.counter);
    wp_cli_print_kv(stdout, 12, "counter", buf);
    wp_cli_print_kv(stdout, 12, "written", written);
    if (held) {
        snprintf(buf, sizeof buf, "at least %s (now + L)", until);
        wp_cli_print_kv(stdout, 12, "held until", buf);
    }
    if (opts[0].count)
        wp_cli_print_kv(stdout, 12, "renewing",
                        moved ? "yes (the holder is alive)" : "no change seen for more than L");
    wp_cli_print_kv(stdout, 12, "seen from", me);
    return 0;
}

static int disk_release(wp_cli *cli, int argc, char **argv)
{
    wp_cli_opt opts[] = {{"--force", false, 0, {0}}};
    wp_cli_args a;
    int status;
    if (!parse_one(cli, argc, argv, usage_release, opts, 1, &a, &status))
        return status;
    if (!opts[0].count)
        return wp_cli_usage_error(
            usage_release, "release needs --force: it is only for a holder known to be dead");
    fprintf(stderr,
            "WARNING: releasing the lease of %s.\n"
            "WARNING: if the node holding it is still alive, another node may mount the disk\n"
            "WARNING: while it is in use there, and the file system WILL BE CORRUPTED.\n"
            "WARNING: a live holder's keeper fences the disk when it sees the release.\n",
            a.pos[0]);
    char me[WP_DISK_OWNER_MAX] = "operator";
    wp_disk_node_name(me, NULL);
    wp_err err = {0};
    wp_disk_lease before;
    if (!wp_disk_release_forced(a.pos[0], me, &before, &err))
        return wp_cli_fail(&err);
    openlog("wolfpack", LOG_PID, LOG_DAEMON);
    syslog(LOG_WARNING, "disk %s: lease of \"%s\" (generation %llu) released by force from %s",
           a.pos[0], before.owner, (unsigned long long)before.generation, me);
    closelog();
    printf("Released the lease of %s (was: \"%s\", generation %llu)\n", a.pos[0],
           before.owner[0] ? before.owner : "-", (unsigned long long)before.generation);
    return 0;
}

int wp_cmd_disk(wp_cli *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(wp_cli *, int, char **);
    } subs[] = {{"prepare", disk_prepare}, {"show", disk_show}, {"release", disk_release}};
    if (argc < 1)
        return wp_cli_usage_error(usage, "missing sub-command");
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("usage: %s\n", usage);
        return 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (strcmp(argv[0], subs[i].name) == 0)
            return subs[i].run(cli, argc - 1, argv + 1);
    return wp_cli_usage_error(usage, "unknown sub-command \"%s\"", argv[0]);
}
