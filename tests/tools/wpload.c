/*
 * wpload.c -- a load generator for wolfpackd (tests and bench).
 *
 *   wpload [--socket PATH] [--connections K] [--requests M] [--prefix NAME]
 *          [--op group.create|resource.create] [--group G]
 *   wpload --db-checksum DBFILE
 *
 * The first form opens K connections to the daemon's socket and sends M
 * mutating requests in all (each a unique name: PREFIX-<i>), keeping every
 * connection busy with one request at a time.  It prints one JSON object:
 *   {"sent", "acked", "failed", "errors": {code: count},
 *    "latency_ms": {"median", "p99", "max"}, "seconds", "per_second"}
 * and exits 0 when every request was acknowledged, 1 otherwise.
 * resource.create makes Generic Service resources (command /bin/true) in
 * --group (default "Cluster Group").
 *
 * The second form opens a copy of a cluster database and prints
 * {"version": N, "checksum": HEX} (wp_db_checksum), for tests that compare
 * nodes' databases on disk.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../src/client/client.h"
#include "../../src/db/db.h"
#include "../../src/lib/proto.h"

#include <sys/socket.h>
#include <sys/un.h>

typedef struct opts {
    const char *socket;
    const char *prefix;
    const char *op;
    const char *group;
    long conns;
    long requests;
} opts;

typedef struct conn {
    int fd;
    bool busy;
    double started;
} conn;

typedef struct load {
    opts o;
    conn *conns;
    long next;    /* next request index to send */
    long done;    /* replies received */
    long acked;   /* ok replies */
    double *lat;  /* latencies of ok replies, ms */
    json_t *errs; /* code -> count */
    long send_failures;
} load;

static double now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int usage(void)
{
    fprintf(stderr, "usage: wpload [--socket PATH] [--connections K] [--requests M] "
                    "[--prefix NAME] [--op group.create|resource.create] [--group G]\n"
                    "       wpload --db-checksum DBFILE\n");
    return 2;
}

static int open_socket(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static json_t *request(const load *l, long i)
{
    char name[64];

    snprintf(name, sizeof name, "%s-%ld", l->o.prefix, i);
    if (strcmp(l->o.op, "resource.create") == 0)
        return json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:s}}}", "op", "resource.create", "args",
                         "name", name, "group", l->o.group, "type", "Generic Service", "props",
                         "command", "/bin/true");
    return json_pack("{s:s, s:{s:s}}", "op", l->o.op, "args", "name", name);
}

static void count_error(load *l, const char *code)
{
    json_t *n = json_object_get(l->errs, code);

    json_object_set_new(l->errs, code, json_integer(n ? json_integer_value(n) + 1 : 1));
}

static bool send_next(load *l, conn *c)
{
    wp_err err = {0};

    if (l->next >= l->o.requests)
        return true;
    json_t *req = request(l, l->next++);
    c->started = now_ms();
    bool ok = req && wp_proto_send(c->fd, req, &err);
    json_decref(req);
    if (!ok) {
        count_error(l, "send");
        if (l->send_failures++ < 3)
            fprintf(stderr, "wpload: send failed: %s\n", err.what);
    }
    c->busy = ok;
    return ok;
}

static bool take_reply(load *l, conn *c)
{
    wp_err err = {0};
    json_t *result = NULL;
    json_t *reply = wp_proto_recv(c->fd, &err);

    c->busy = false;
    l->done++;
    if (!reply) {
        count_error(l, wp_code_name(err.code));
        return false;
    }
    if (wp_proto_reply_parse(reply, &result, &err)) {
        l->lat[l->acked++] = now_ms() - c->started;
    } else {
        count_error(l, wp_code_name(err.code));
        if (l->done - l->acked <= 3)
            fprintf(stderr, "wpload: refused: %s (%s)\n", err.what, err.why);
    }
    json_decref(reply);
    return true;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static double percentile(const double *v, long n, double p)
{
    if (n == 0)
        return 0;
    long i = (long)(p * (double)(n - 1) + 0.5);
    return v[i];
}

static void report(load *l, double seconds)
{
    qsort(l->lat, (size_t)l->acked, sizeof l->lat[0], cmp_double);
    json_t *out = json_pack(
        "{s:I, s:I, s:I, s:O, s:{s:f, s:f, s:f}, s:f, s:f}", "sent", (json_int_t)l->next, "acked",
        (json_int_t)l->acked, "failed", (json_int_t)(l->next - l->acked), "errors", l->errs,
        "latency_ms", "median", percentile(l->lat, l->acked, 0.5), "p99",
        percentile(l->lat, l->acked, 0.99), "max", percentile(l->lat, l->acked, 1.0), "seconds",
        seconds, "per_second", seconds > 0 ? (double)l->acked / seconds : 0.0);
    char *text = json_dumps(out, JSON_COMPACT);
    printf("%s\n", text ? text : "{}");
    free(text);
    json_decref(out);
}

/* Run the poll loop until every request got its reply (or a connection died). */
static void run(load *l)
{
    struct pollfd *pfd = calloc((size_t)l->o.conns, sizeof *pfd);

    for (long i = 0; i < l->o.conns; i++)
        send_next(l, &l->conns[i]);
    for (;;) {
        long n = 0;
        for (long i = 0; i < l->o.conns; i++)
            if (l->conns[i].busy)
                pfd[n++] = (struct pollfd){.fd = l->conns[i].fd, .events = POLLIN};
        if (n == 0)
            break;
        if (poll(pfd, (nfds_t)n, 60000) <= 0) {
            fprintf(stderr, "wpload: no reply for 60 s: giving up\n");
            break;
        }
        for (long i = 0; i < l->o.conns; i++) {
            conn *c = &l->conns[i];
            for (long k = 0; k < n; k++)
                if (pfd[k].fd == c->fd && c->busy && pfd[k].revents) {
                    if (take_reply(l, c))
                        send_next(l, c);
                }
        }
    }
    free(pfd);
}

static int db_checksum(const char *path)
{
    wp_err err = {0};
    char sum[65];
    wp_db *db = wp_db_open(path, &err);

    if (!db || !wp_db_checksum(db, sum, &err)) {
        wp_err_print(&err, stderr);
        wp_db_close(db);
        return 1;
    }
    printf("{\"version\":%lld,\"checksum\":\"%s\"}\n", (long long)wp_db_version(db), sum);
    wp_db_close(db);
    return 0;
}

static bool parse(int argc, char **argv, opts *o, const char **dbfile)
{
    static const struct option longs[] = {
        {"socket", required_argument, 0, 's'},      {"connections", required_argument, 0, 'c'},
        {"requests", required_argument, 0, 'n'},    {"prefix", required_argument, 0, 'p'},
        {"op", required_argument, 0, 'o'},          {"group", required_argument, 0, 'g'},
        {"db-checksum", required_argument, 0, 'd'}, {0, 0, 0, 0}};
    int ch;

    while ((ch = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        switch (ch) {
        case 's':
            o->socket = optarg;
            break;
        case 'c':
            o->conns = strtol(optarg, NULL, 10);
            break;
        case 'n':
            o->requests = strtol(optarg, NULL, 10);
            break;
        case 'p':
            o->prefix = optarg;
            break;
        case 'o':
            o->op = optarg;
            break;
        case 'g':
            o->group = optarg;
            break;
        case 'd':
            *dbfile = optarg;
            break;
        default:
            return false;
        }
    }
    return optind == argc && o->conns > 0 && o->conns <= 1000 && o->requests >= 0 &&
           (strcmp(o->op, "group.create") == 0 || strcmp(o->op, "resource.create") == 0);
}

int main(int argc, char **argv)
{
    load l = {.o = {.prefix = "wpload",
                    .op = "group.create",
                    .group = "Cluster Group",
                    .conns = 8,
                    .requests = 1000}};
    const char *dbfile = NULL;

    if (!parse(argc, argv, &l.o, &dbfile))
        return usage();
    if (dbfile)
        return db_checksum(dbfile);
    l.o.socket = wp_client_socket_path(l.o.socket);
    if (l.o.conns > l.o.requests && l.o.requests > 0)
        l.o.conns = l.o.requests;
    l.conns = calloc((size_t)l.o.conns, sizeof *l.conns);
    l.lat = calloc((size_t)l.o.requests + 1, sizeof *l.lat);
    l.errs = json_object();
    for (long i = 0; i < l.o.conns; i++) {
        l.conns[i].fd = open_socket(l.o.socket);
        if (l.conns[i].fd < 0) {
            fprintf(stderr, "wpload: cannot connect to %s: %s\n", l.o.socket, strerror(errno));
            return 1;
        }
    }
    double t0 = now_ms();
    run(&l);
    report(&l, (now_ms() - t0) / 1e3);
    int rc = l.acked == l.o.requests ? 0 : 1;
    for (long i = 0; i < l.o.conns; i++)
        close(l.conns[i].fd);
    free(l.conns);
    free(l.lat);
    json_decref(l.errs);
    return rc;
}
