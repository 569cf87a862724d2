/*
 * wpcall.c -- send one raw request to wolfpackd and print the raw replies.
 * A test tool: it adds nothing and checks nothing, so tests can send
 * exactly the bytes they mean (also malformed ones) and see exactly what
 * the daemon answers.
 *
 * Usage:
 *   wpcall [--timeout SEC] SOCKET [JSON]
 *       Frame JSON (argv, or stdin when absent) with its 4-byte big-endian
 *       length and send it.
 *   wpcall [--timeout SEC] --length N SOCKET [JSON]
 *       The same, but write N as the length prefix (a lying length: 0,
 *       oversized, or longer than the body to make a truncated frame).
 *   wpcall [--timeout SEC] --raw-hex SOCKET HEX
 *       Send the bytes HEX (hex digits, whitespace ignored) as they are:
 *       no length prefix is added.
 * More options (before SOCKET):
 *   --repeat N       send the message N times back to back (pipelining)
 *   --connections N  first open N idle connections and keep them open
 *                    until wpcall exits (to fill the daemon's table)
 *   --no-read        close right after sending, without reading replies
 *                    (exit 0 once the bytes were sent)
 *   --hold           keep the writing side open after sending (a client that
 *                    went quiet: idle, or in the middle of a frame)
 *
 * After sending, wpcall shuts down its writing side (unless --hold) and
 * reads replies until the daemon closes the connection; it prints each reply body on its own
 * line on stdout.
 *
 * Exit status: 0 the first reply has "ok": true; 1 it has "ok": false (or
 * is not a JSON object with "ok"); 2 usage error; 3 cannot connect;
 * 4 the connection closed without any reply; 5 timeout (default 30 s);
 * 6 a reply was truncated or had a bad length.
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

#define MAX_REPLY WP_PROTO_MAX_REPLY /* replies and events: the daemon sends up to 64 MiB */

static int usage(void)
{
    fprintf(stderr, "usage: wpcall [OPTIONS] [--length N] SOCKET [JSON]\n"
                    "       wpcall [OPTIONS] --raw-hex SOCKET HEX\n"
                    "options: --timeout SEC, --repeat N, --connections N, --no-read, --hold\n");
    return 2;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Decode hex into a malloc'd buffer; false on a bad digit or odd count. */
static bool parse_hex(const char *hex, unsigned char **out, size_t *len)
{
    size_t n = 0;
    int hi = -1;

    *out = malloc(strlen(hex) / 2 + 1);
    if (!*out)
        return false;
    for (; *hex; hex++) {
        if (*hex == ' ' || *hex == '\n' || *hex == '\t')
            continue;
        int v = hexval((unsigned char)*hex);
        if (v < 0)
            return false;
        if (hi < 0) {
            hi = v;
        } else {
            (*out)[n++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
    }
    *len = n;
    return hi < 0;
}

static char *read_stdin(size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);

    while (buf) {
        if (n == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0)
            break;
    }
    *len = n;
    return buf;
}

static bool write_all(int fd, const unsigned char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "wpcall: write: %s\n", n < 0 ? strerror(errno) : "0 bytes");
            return false;
        }
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

static int first_reply_status(const unsigned char *body, size_t len)
{
    json_t *v = json_loadb((const char *)body, len, 0, NULL);
    int status = json_is_true(json_object_get(v, "ok")) ? 0 : 1;
    json_decref(v);
    return status;
}

/* Print every reply until EOF; the exit status comes from the first. */
static int read_replies(int fd, int timeout_ms)
{
    int status = 4;
    unsigned char hdr[4];

    for (;;) {
        int r = wire_read_exact(fd, hdr, 4, timeout_ms);
        if (r == 0)
            return status;
        if (r == -2) {
            fprintf(stderr, "wpcall: timeout waiting for a reply\n");
            return 5;
        }
        if (r < 0) {
            fprintf(stderr, "wpcall: reply truncated in its length prefix\n");
            return 6;
        }
        uint32_t be;
        memcpy(&be, hdr, 4);
        size_t len = ntohl(be);
        if (len == 0 || len > MAX_REPLY) {
            fprintf(stderr, "wpcall: reply with a bad length %zu\n", len);
            return 6;
        }
        unsigned char *body = malloc(len);
        if (!body)
            return 6;
        r = wire_read_exact(fd, body, len, timeout_ms);
        if (r != 1) {
            fprintf(stderr, "wpcall: reply truncated (%s)\n", r == -2 ? "timeout" : "EOF");
            free(body);
            return r == -2 ? 5 : 6;
        }
        fwrite(body, 1, len, stdout);
        fputc('\n', stdout);
        fflush(stdout);
        if (status == 4)
            status = first_reply_status(body, len);
        free(body);
    }
}

int main(int argc, char **argv)
{
    long timeout = 30;
    long long length = -1;
    bool raw = false, no_read = false, hold = false;
    long repeat = 1, idle = 0;
    int i = 1;
    unsigned char *msg = NULL;
    size_t msg_len = 0;

    signal(SIGPIPE, SIG_IGN);
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--raw-hex") == 0)
            raw = true;
        else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--length") == 0 && i + 1 < argc)
            length = strtoll(argv[++i], NULL, 0);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--connections") == 0 && i + 1 < argc)
            idle = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--no-read") == 0)
            no_read = true;
        else if (strcmp(argv[i], "--hold") == 0)
            hold = true;
        else
            return usage();
    }
    if (i >= argc || argc - i > 2 || timeout <= 0 || length > 0xffffffffLL || repeat < 1 ||
        repeat > 100000 || idle < 0 || idle > 4096 || (raw && (argc - i != 2 || length >= 0)))
        return usage();
    const char *path = argv[i];
    if (raw) {
        if (!parse_hex(argv[i + 1], &msg, &msg_len)) {
            fprintf(stderr, "wpcall: bad hex string\n");
            free(msg);
            return 2;
        }
    } else {
        size_t body_len;
        char *body = argc - i == 2 ? strdup(argv[i + 1]) : read_stdin(&body_len);
        if (!body)
            return 2;
        if (argc - i == 2)
            body_len = strlen(body);
        uint32_t be = htonl(length >= 0 ? (uint32_t)length : (uint32_t)body_len);
        msg = malloc(body_len + 4);
        if (!msg)
            return 2;
        memcpy(msg, &be, 4);
        memcpy(msg + 4, body, body_len);
        msg_len = body_len + 4;
        free(body);
    }
    int *idle_fds = calloc((size_t)idle + 1, sizeof *idle_fds);
    for (long k = 0; idle_fds && k < idle; k++) {
        idle_fds[k] = wire_connect("wpcall", path);
        if (idle_fds[k] < 0) {
            free(msg);
            return 3;
        }
    }
    int fd = wire_connect("wpcall", path);
    if (fd < 0) {
        free(msg);
        free(idle_fds);
        return 3;
    }
    for (long k = 0; k < repeat && msg_len > 0; k++)
        if (!write_all(fd, msg, msg_len))
            break; /* the daemon may have answered and closed: read that */
    free(msg);
    int status = 0;
    if (!no_read) {
        if (!hold)
            shutdown(fd, SHUT_WR);
        status = read_replies(fd, (int)(timeout * 1000));
    }
    close(fd);
    for (long k = 0; idle_fds && k < idle; k++)
        close(idle_fds[k]);
    free(idle_fds);
    return status;
}
