/*
 * wpload.c -- a load generator for wolfpackd (tests and bench).
 *
 *   wpload [--socket PATH] [--connections K] [--requests M] [--prefix NAME]
 *          [--op group.create|resource.create] [--group G]
 *   wpload --db-checksum DBFILE
 *   wpload --cpg-garbage CLUSTER
 *
 * The first form opens K connections to the daemon's socket and sends M
 * mutating requests in all (each a unique name: PREFIX-<i>), keeping every
 * connection busy with one request at a time.  It prints one JSON object:
 *   {"sent", "acked", "failed", "errors": {code: count},
 *    "latency_ms": {"median", "p99", "max"}, "seconds", "per_second"}
 * and exits 0 when every request was acknowledged, 1 otherwise.
 * resource.create makes Generic Service resources (command /bin/true, user
 * nobody) in --group (default "Cluster Group").
 *
 * The second form opens a copy of a cluster database and prints
 * {"version": N, "checksum": HEX} (wp_db_checksum), for tests that compare
 * nodes' databases on disk.
 *
 * The third joins the CPG group of the cluster ("wolfpack:CLUSTER") as a
 * rogue member, mcasts malformed messages (bad magic, unknown type or
 * version, truncated and oversized bodies, a command that is not JSON, a
 * chunk of a sync round that does not exist, random bodies) and leaves:
 * the daemons must drop them, stay up and stay consistent.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <corosync/cpg.h>

#include "../../src/client/client.h"
#include "../../src/db/db.h"
#include "../../src/lib/proto.h"
#include "wire.h"

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
                    "       wpload --db-checksum DBFILE\n"
                    "       wpload --cpg-garbage CLUSTER\n");
    return 2;
}

static json_t *request(const load *l, long i)
{
    char name[64];

    snprintf(name, sizeof name, "%s-%ld", l->o.prefix, i);
    if (strcmp(l->o.op, "resource.create") == 0)
        return json_pack("{s:s, s:{s:s, s:s, s:s, s:{s:s, s:s}}}", "op", "resource.create", "args",
                         "name", name, "group", l->o.group, "type", "Generic Service", "props",
                         "command", "/bin/true", "user", "nobody");
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

static cs_error_t mcast_bytes(cpg_handle_t h, const void *buf, size_t len)
{
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    cs_error_t rc = CS_OK;

    for (int i = 0; i < 100; i++) {
        rc = cpg_mcast_joined(h, CPG_TYPE_AGREED, &iov, 1);
        if (rc != CS_ERR_TRY_AGAIN)
            break;
        usleep(10000);
    }
    return rc;
}

static void le(unsigned char *p, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* A header "WPR1", protocol version, type. */
static void header(unsigned char *m, unsigned version, unsigned type)
{
    le(m, 0x57505231u, 4);
    le(m + 4, version, 2);
    le(m + 6, type, 2);
}

/* Malformed messages; returns how many corosync took. */
static int send_garbage(cpg_handle_t h)
{
    unsigned char m[96];
    int sent = 0;
    unsigned seed = 7;

    memset(m, 0, sizeof m);
    sent += mcast_bytes(h, "hello", 5) == CS_OK; /* short, no magic */
    header(m, 1, 99);                            /* unknown type */
    sent += mcast_bytes(h, m, 16) == CS_OK;
    header(m, 7, 2); /* another protocol version */
    sent += mcast_bytes(h, m, 16) == CS_OK;
    header(m, 1, 1); /* CMD: count 3, no entries */
    le(m + 8, 0, 8);
    le(m + 16, 3, 4);
    sent += mcast_bytes(h, m, 20) == CS_OK;
    le(m + 16, 1, 4); /* CMD: one entry that is not JSON */
    le(m + 20, 1, 8);
    le(m + 28, 8, 4);
    memcpy(m + 32, "not json", 8);
    sent += mcast_bytes(h, m, 40) == CS_OK;
    le(m + 28, 1u << 30, 4); /* CMD: entry length beyond the message */
    sent += mcast_bytes(h, m, 40) == CS_OK;
    header(m, 1, 2); /* ACK: negative version */
    le(m + 8, 0x8000000000000000ull, 8);
    sent += mcast_bytes(h, m, 16) == CS_OK;
    header(m, 1, 5); /* SNAP of a round that does not exist */
    le(m + 8, 1, 4);
    le(m + 12, 42, 8);
    le(m + 20, 4, 8);
    le(m + 28, 0, 8);
    le(m + 36, 4, 4);
    sent += mcast_bytes(h, m, 44) == CS_OK;
    header(m, 1, 7); /* CHECK_REPLY with a checksum that is not hex */
    memset(m + 24, 'Z', 64);
    sent += mcast_bytes(h, m, 88) == CS_OK;
    for (int i = 0; i < 50; i++) { /* random bodies of every type */
        for (size_t k = 8; k < sizeof m; k++)
            m[k] = (unsigned char)rand_r(&seed);
        header(m, 1, 1 + (unsigned)rand_r(&seed) % 7);
        sent += mcast_bytes(h, m, 8 + (size_t)rand_r(&seed) % (sizeof m - 8)) == CS_OK;
    }
    return sent;
}

static void no_deliver(cpg_handle_t h, const struct cpg_name *g, uint32_t n, uint32_t p, void *msg,
                       size_t len)
{
    (void)h, (void)g, (void)n, (void)p, (void)msg, (void)len;
}

static int cpg_garbage(const char *cluster)
{
    cpg_callbacks_t cb = {.cpg_deliver_fn = no_deliver};
    cpg_handle_t h;
    struct cpg_name name;

    snprintf(name.value, sizeof name.value, "wolfpack:%.100s", cluster);
    name.length = (uint32_t)strlen(name.value);
    if (cpg_initialize(&h, &cb) != CS_OK) {
        fprintf(stderr, "wpload: cannot connect to corosync\n");
        return 1;
    }
    if (cpg_join(h, &name) != CS_OK) {
        fprintf(stderr, "wpload: cannot join %s\n", name.value);
        cpg_finalize(h);
        return 1;
    }
    int sent = send_garbage(h);
    usleep(200000);
    cpg_leave(h, &name);
    cpg_finalize(h);
    printf("{\"garbage_sent\":%d}\n", sent);
    return sent > 0 ? 0 : 1;
}

static bool parse(int argc, char **argv, opts *o, const char **dbfile, const char **garbage)
{
    static const struct option longs[] = {{"socket", required_argument, 0, 's'},
                                          {"connections", required_argument, 0, 'c'},
                                          {"requests", required_argument, 0, 'n'},
                                          {"prefix", required_argument, 0, 'p'},
                                          {"op", required_argument, 0, 'o'},
                                          {"group", required_argument, 0, 'g'},
                                          {"db-checksum", required_argument, 0, 'd'},
                                          {"cpg-garbage", required_argument, 0, 'x'},
                                          {0, 0, 0, 0}};
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
        case 'x':
            *garbage = optarg;
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
    const char *dbfile = NULL, *garbage = NULL;

    if (!parse(argc, argv, &l.o, &dbfile, &garbage))
        return usage();
    if (dbfile)
        return db_checksum(dbfile);
    if (garbage)
        return cpg_garbage(garbage);
    l.o.socket = wp_client_socket_path(l.o.socket);
    if (l.o.conns > l.o.requests && l.o.requests > 0)
        l.o.conns = l.o.requests;
    l.conns = calloc((size_t)l.o.conns, sizeof *l.conns);
    l.lat = calloc((size_t)l.o.requests + 1, sizeof *l.lat);
    l.errs = json_object();
    for (long i = 0; i < l.o.conns; i++) {
        l.conns[i].fd = wire_connect("wpload", l.o.socket);
        if (l.conns[i].fd < 0)
            return 1;
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
