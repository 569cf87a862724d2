/*
 * wppoll.c -- the benchmarks' client: how long is a service at a virtual
 * address out of reach?
 *
 *   wppoll HOST PORT [--interval MS] [--timeout MS] [--inflight N]
 *                    [--send TEXT] [--expect TEXT] [--duration S] [--log FILE]
 *                    [--until-up]
 *
 * Every --interval ms (default 10) it starts one request: a TCP connect to
 * HOST:PORT (an IPv4 address, or a name: looked up again for every
 * request, through DNS as a client would, a failed lookup counts as a
 * failed request; it must be found at the start), then
 * TEXT and a newline (default "PING"; --send '' sends nothing: the server
 * speaks first, as SMTP and IMAP do), and waits for a line that starts with
 * --expect (default "PONG").  Up to --inflight requests
 * (default 30) run at once, each for at most --timeout ms (default 150), so
 * a request that hangs (the address is nowhere, ARP unanswered) never stops
 * the next one from starting.  It logs only the changes of the verdict, one
 * line each, to --log FILE (default stdout), flushed at once:
 *
 *   F 1795826981.835571   requests started failing (unix time of the failed
 *                         request's start)
 *   S 1795826983.102234   requests answer again (unix time of the answer)
 *
 * and runs until SIGTERM / SIGINT or for --duration seconds; exit 0.
 * --until-up (the demo's poller): stop at the first answer, its S line
 * followed by the answer itself ("S 1795826983.102234 220 mail ESMTP"),
 * exit 0; exit 1 when --duration passes without one.  The
 * benchmarks (bench/peer/measure.sh: outage_ms; bench/bench_failover.sh)
 * take the first S after the first F that follows their start mark; the
 * demo (demo.sh, one wppoll per port) the first S.  It is the project's
 * only client poller.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_INFLIGHT 256

struct req {
    int fd;       /* -1: free slot */
    double start; /* unix time the request started */
    bool sent;    /* connected and the request written */
    char buf[128];
    size_t len;
};

static volatile sig_atomic_t stop_now;
static void on_signal(int sig)
{
    (void)sig;
    stop_now = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static FILE *out;
static int up = -1; /* -1 unknown, 0 failing, 1 answering */

/* ANSWER: the line that made the verdict good (printed with --until-up), or NULL */
static void verdict(bool ok, double t, const char *answer)
{
    if ((int)ok != up) {
        if (answer)
            fprintf(out, "%c %.6f %.*s\n", ok ? 'S' : 'F', t, (int)strcspn(answer, "\r\n"), answer);
        else
            fprintf(out, "%c %.6f\n", ok ? 'S' : 'F', t);
        fflush(out);
        up = ok;
    }
}

/* HOST as an IPv4 address into SA; 0, or -1 (the error printed if LOUD) */
static int resolve(const char *host, struct sockaddr_in *sa, bool loud)
{
    if (inet_pton(AF_INET, host, &sa->sin_addr) == 1)
        return 0;
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int rc = getaddrinfo(host, NULL, &hints, &ai);
    if (rc != 0) {
        if (!loud)
            return -1;
        fprintf(stderr,
                "wppoll: cannot find the address of %s: %s\n"
                "  to do: give an IPv4 address, or a name the resolver knows (getent hosts %s)\n",
                host, gai_strerror(rc), host);
        return -1;
    }
    sa->sin_addr = ((struct sockaddr_in *)ai->ai_addr)->sin_addr;
    freeaddrinfo(ai);
    return 0;
}

static void drop(struct req *r)
{
    /* RST instead of FIN: no TIME_WAIT pile-up at 100 connections a second */
    struct linger lg = {1, 0};
    setsockopt(r->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(r->fd);
    r->fd = -1;
}

static int usage(void)
{
    fprintf(stderr, "usage: wppoll HOST PORT [--interval MS] [--timeout MS] [--inflight N]\n"
                    "              [--send TEXT] [--expect TEXT] [--duration S] [--log FILE]\n"
                    "              [--until-up]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *addr = argv[1], *send_text = "PING", *expect = "PONG", *log = NULL;
    int port = atoi(argv[2]);
    double interval = 0.010, timeout = 0.150, duration = 0;
    int inflight = 30;
    bool until_up = false;
    for (int i = 3; i < argc; i++) {
        if (strcmp(argv[i], "--until-up") == 0) {
            until_up = true;
            continue;
        }
        if (i + 1 >= argc)
            return usage();
        const char *o = argv[i], *v = argv[++i];
        if (strcmp(o, "--interval") == 0)
            interval = atof(v) / 1000;
        else if (strcmp(o, "--timeout") == 0)
            timeout = atof(v) / 1000;
        else if (strcmp(o, "--inflight") == 0)
            inflight = atoi(v);
        else if (strcmp(o, "--send") == 0)
            send_text = v;
        else if (strcmp(o, "--expect") == 0)
            expect = v;
        else if (strcmp(o, "--duration") == 0)
            duration = atof(v);
        else if (strcmp(o, "--log") == 0)
            log = v;
        else
            return usage();
    }
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (port <= 0 || port > 65535) {
        fprintf(stderr, "wppoll: %s is not a port (1..65535)\n", argv[2]);
        return 2;
    }
    bool by_name = inet_pton(AF_INET, addr, &sa.sin_addr) != 1;
    if (resolve(addr, &sa, true) != 0)
        return 2;
    if (interval <= 0 || timeout <= 0 || inflight < 1 || inflight > MAX_INFLIGHT) {
        fprintf(stderr, "wppoll: --interval and --timeout must be > 0, --inflight 1..%d\n",
                MAX_INFLIGHT);
        return 2;
    }
    out = stdout;
    if (log && !(out = fopen(log, "w"))) {
        fprintf(stderr, "wppoll: cannot write %s: %s\n", log, strerror(errno));
        return 1;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);

    char request[256] = "";
    if (*send_text)
        snprintf(request, sizeof request, "%s\n", send_text);
    size_t expect_len = strlen(expect);
    struct req reqs[MAX_INFLIGHT];
    for (int i = 0; i < MAX_INFLIGHT; i++)
        reqs[i].fd = -1;
    double t_end = duration > 0 ? now_s() + duration : 0;
    double next = now_s();

    while (!stop_now && (t_end == 0 || now_s() < t_end) && !(until_up && up == 1)) {
        double now = now_s();
        int busy = 0;
        for (int i = 0; i < inflight; i++)
            busy += reqs[i].fd >= 0;
        if (now >= next) {
            next += interval;
            if (next < now)
                next = now + interval; /* we were late: do not burst */
            if (busy < inflight) {
                int fd = by_name && resolve(addr, &sa, false) != 0
                             ? -1
                             : socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                if (fd < 0) {
                    verdict(false, now, NULL);
                } else if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0 &&
                           errno != EINPROGRESS) {
                    verdict(false, now, NULL);
                    close(fd);
                } else {
                    for (int i = 0; i < inflight; i++)
                        if (reqs[i].fd < 0) {
                            reqs[i] = (struct req){.fd = fd, .start = now};
                            break;
                        }
                }
            }
        }
        struct pollfd pfd[MAX_INFLIGHT];
        int map[MAX_INFLIGHT], n = 0;
        for (int i = 0; i < inflight; i++) {
            if (reqs[i].fd < 0)
                continue;
            pfd[n] = (struct pollfd){.fd = reqs[i].fd, .events = reqs[i].sent ? POLLIN : POLLOUT};
            map[n++] = i;
        }
        double wait = next - now_s();
        int ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
        if (ms > 10)
            ms = 10;
        int rc = poll(pfd, (nfds_t)n, ms);
        if (rc < 0 && errno != EINTR)
            break;
        for (int k = 0; rc > 0 && k < n; k++) {
            struct req *r = &reqs[map[k]];
            if (!pfd[k].revents)
                continue;
            if (!r->sent) {
                int err = 0;
                socklen_t el = sizeof err;
                getsockopt(r->fd, SOL_SOCKET, SO_ERROR, &err, &el);
                if (err || (*request && send(r->fd, request, strlen(request), 0) < 0)) {
                    verdict(false, r->start, NULL);
                    drop(r);
                } else {
                    r->sent = true;
                }
                continue;
            }
            ssize_t got = recv(r->fd, r->buf + r->len, sizeof r->buf - 1 - r->len, 0);
            if (got <= 0) {
                if (got < 0 && (errno == EAGAIN || errno == EINTR))
                    continue;
                verdict(false, r->start, NULL);
                drop(r);
                continue;
            }
            r->len += (size_t)got;
            r->buf[r->len] = 0;
            if (strchr(r->buf, '\n') || r->len >= sizeof r->buf - 1) {
                bool good = strncmp(r->buf, expect, expect_len) == 0;
                verdict(good, now_s(), good && until_up ? r->buf : NULL);
                drop(r);
            }
        }
        now = now_s();
        for (int i = 0; i < inflight; i++)
            if (reqs[i].fd >= 0 && now - reqs[i].start > timeout) {
                verdict(false, reqs[i].start, NULL);
                drop(&reqs[i]);
            }
    }
    for (int i = 0; i < MAX_INFLIGHT; i++)
        if (reqs[i].fd >= 0)
            drop(&reqs[i]);
    if (out != stdout)
        fclose(out);
    return until_up && up != 1 ? 1 : 0;
}
