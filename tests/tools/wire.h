/*
 * wire.h -- what the raw protocol test tools share: connect to
 * wolfpackd's Unix socket (wpcall.c, wpconns.c, wpload.c), and read
 * exactly N bytes of a frame within a timeout (wpcall.c, wpconns.c).
 * Header-only (static functions), as every test tool is built from its one
 * .c file and libwolfpack.
 */
#ifndef WP_TEST_WIRE_H
#define WP_TEST_WIRE_H

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* A connected stream socket to path, or -1 after a message on stderr
 * naming the tool. */
static inline int wire_connect(const char *tool, const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        fprintf(stderr, "%s: socket path too long: %s\n", tool, path);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        fprintf(stderr, "%s: cannot connect to %s: %s\n", tool, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Read exactly len bytes within the timeout: 1 ok, 0 EOF first, -1 EOF
 * midway, -2 timeout, -3 error. */
static inline int wire_read_exact(int fd, unsigned char *buf, size_t len, int timeout_ms)
{
    size_t got = 0;
    while (got < len) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, timeout_ms);
        if (r < 0 && errno == EINTR)
            continue;
        if (r == 0)
            return -2;
        if (r < 0)
            return -3;
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno == ECONNRESET ? (got ? -1 : 0) : -3;
        if (n == 0)
            return got ? -1 : 0;
        got += (size_t)n;
    }
    return 1;
}

#endif
