/*
 * wpmute.c -- a stand-in for a wedged wolfpackd, for the CLI's timeout
 * tests (tests/cli/test_timeout.sh).
 *
 *   wpmute SOCKET [--partial]
 *
 * Listens on the Unix socket SOCKET, accepts every connection, reads and
 * discards what it is sent, and never answers -- with --partial it sends
 * the first two bytes of a frame header after the first request bytes and
 * then nothing, like a daemon stuck in the middle of a reply.  It prints
 * "ready" once listening and exits 0 on SIGTERM (removing SOCKET).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_CONN 32

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static int listen_on(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof addr.sun_path) {
        fprintf(stderr, "wpmute: socket path too long: %s\n", path);
        return -1;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(fd, 8) != 0) {
        fprintf(stderr, "wpmute: cannot listen on %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Read and drop what a client sends; on its first bytes, --partial sends
 * half a frame header.  False when the client has gone. */
static bool drain(int fd, bool *answered, bool partial)
{
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0)
        return n < 0 && errno == EINTR;
    if (partial && !*answered) {
        static const unsigned char half[2] = {0, 0};
        if (write(fd, half, sizeof half) < 0)
            return false;
        *answered = true;
    }
    return true;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--partial") != 0)) {
        fprintf(stderr, "usage: wpmute SOCKET [--partial]\n");
        return 2;
    }
    bool partial = argc == 3;
    struct sigaction sa = {.sa_handler = on_term};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int lfd = listen_on(argv[1]);
    if (lfd < 0)
        return 1;
    printf("ready\n");
    fflush(stdout);

    struct pollfd p[MAX_CONN + 1] = {{.fd = lfd, .events = POLLIN}};
    bool answered[MAX_CONN + 1] = {false};
    int n = 1;
    while (!stop) {
        if (poll(p, (nfds_t)n, 1000) < 0)
            continue; /* EINTR: look at stop */
        if ((p[0].revents & POLLIN) && n <= MAX_CONN) {
            int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            if (c >= 0) {
                p[n] = (struct pollfd){.fd = c, .events = POLLIN};
                answered[n++] = false;
            }
        }
        for (int i = n - 1; i >= 1; i--) {
            if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (drain(p[i].fd, &answered[i], partial))
                continue;
            close(p[i].fd);
            p[i] = p[n - 1];
            answered[i] = answered[n - 1];
            n--;
        }
    }
    for (int i = 1; i < n; i++)
        close(p[i].fd);
    close(lfd);
    unlink(argv[1]);
    return 0;
}
