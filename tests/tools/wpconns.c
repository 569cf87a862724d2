/*
 * wpconns.c -- open as many connections to wolfpackd as it serves, and hold
 * them.  A test tool for the daemon's connection limits (docs/DAEMON.md,
 * "Connection limits"): it plays the client that tries to lock the socket.
 *
 *   wpconns [--op status|watch] [--max N] [--timeout SEC] SOCKET
 *
 * It opens connections one at a time; on each it sends one request (`status`,
 * or `watch` to become an event stream) and reads the first reply.  A reply
 * with "ok": true counts as served and the connection is kept open; the
 * first connection that gets an error reply (or is closed without one) ends
 * the opening.  Then it prints two lines on stdout:
 *   served N
 *   REPLY          the refusal's JSON body, or "closed" when there was none
 * and holds every served connection open until it is killed (SIGTERM; the
 * kernel closes them).  --max N (default 1000) stops opening after N
 * served connections ("REPLY" is then "max").
 *
 * Exit status (before it holds): 2 usage error; 3 cannot connect;
 * 5 timeout waiting for a reply (default 20 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../src/lib/proto.h"
#include "wire.h"

static int usage(void)
{
    fprintf(stderr, "usage: wpconns [--op status|watch] [--max N] [--timeout SEC] SOCKET\n");
    return 2;
}

/* Send one request frame and read the first reply.  Returns 1 served,
 * 0 refused (*reply holds the body or NULL when closed), -2 timeout. */
static int one_request(int fd, const char *op, int timeout_ms, char **reply)
{
    char body[64];
    unsigned char frame[68], hdr[4];
    int n = snprintf(body, sizeof body, "{\"op\":\"%s\"}", op);
    uint32_t be = htonl((uint32_t)n);

    *reply = NULL;
    memcpy(frame, &be, 4);
    memcpy(frame + 4, body, (size_t)n);
    /* a refused client may find the connection closed before it sends:
     * the refusal is still there to read */
    (void)send(fd, frame, (size_t)n + 4, MSG_NOSIGNAL);
    int r = wire_read_exact(fd, hdr, 4, timeout_ms);
    if (r != 1)
        return r == -2 ? -2 : 0;
    memcpy(&be, hdr, 4);
    size_t len = ntohl(be);
    if (len == 0 || len > WP_PROTO_MAX_REPLY)
        return 0;
    *reply = calloc(1, len + 1);
    if (!*reply || wire_read_exact(fd, (unsigned char *)*reply, len, timeout_ms) != 1)
        return 0;
    json_t *v = json_loads(*reply, 0, NULL);
    bool ok = json_is_true(json_object_get(v, "ok"));
    json_decref(v);
    return ok ? 1 : 0;
}

int main(int argc, char **argv)
{
    const char *op = "status";
    long max = 1000, timeout = 20;
    int i = 1;

    signal(SIGPIPE, SIG_IGN);
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--op") == 0 && i + 1 < argc)
            op = argv[++i];
        else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc)
            max = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout = strtol(argv[++i], NULL, 10);
        else
            return usage();
    }
    if (argc - i != 1 || max < 1 || max > 4096 || timeout < 1 ||
        (strcmp(op, "status") != 0 && strcmp(op, "watch") != 0))
        return usage();
    int *fds = calloc((size_t)max, sizeof *fds);
    long served = 0;
    char *reply = NULL;
    if (!fds)
        return 2;
    while (served < max) {
        int fd = wire_connect("wpconns", argv[i]);
        if (fd < 0)
            return 3;
        int r = one_request(fd, op, (int)(timeout * 1000), &reply);
        if (r == -2) {
            fprintf(stderr, "wpconns: timeout waiting for a reply on connection %ld\n", served + 1);
            return 5;
        }
        if (r == 0) {
            close(fd);
            break;
        }
        free(reply);
        reply = NULL;
        fds[served++] = fd;
    }
    printf("served %ld\n%s\n", served, served == max ? "max" : reply ? reply : "closed");
    fflush(stdout);
    free(reply);
    /* hold them: watch events that arrive meanwhile are not read (the
     * daemon closes a watcher only above 4 MiB of unread events) */
    for (;;)
        pause();
}
