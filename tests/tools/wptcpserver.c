/*
 * wptcpserver.c -- a tiny TCP record server that tests run as a Generic
 * Service (and later tests reuse as "the application" that must keep its
 * data across a failover).
 *
 *   wptcpserver --bind ADDR --port P [--data FILE]
 *
 * One line per request, one client at a time (enough for tests):
 *   PUT text   append "text\n" to the data file, fsync, reply "OK n" where n
 *              is the number of lines the file now holds
 *   GET        reply with every line of the file, then "END"
 *   PING       reply "PONG"
 * Anything else gets "ERR unknown request".  Without --data the lines are
 * kept in ./wptcpserver.data.  It exits 0 on SIGTERM.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int bind_listen(const char *addr, int port)
{
    struct sockaddr_storage ss = {0};
    socklen_t len;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        len = sizeof *in4;
    } else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        len = sizeof *in6;
    } else {
        fprintf(stderr, "wptcpserver: %s is not an IP address\n", addr);
        return -1;
    }
    int one = 1;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 16) != 0) {
        fprintf(stderr, "wptcpserver: cannot listen on %s port %d: %s\n", addr, port,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Append one line and fsync; returns the file's line count, -1 on error. */
static long put_line(const char *path, const char *text)
{
    FILE *f = fopen(path, "a+e");
    if (!f)
        return -1;
    bool ok = fprintf(f, "%s\n", text) >= 0 && fflush(f) == 0 && fsync(fileno(f)) == 0;
    long lines = 0;
    rewind(f);
    for (int c; ok && (c = fgetc(f)) != EOF;)
        lines += c == '\n';
    fclose(f);
    return ok ? lines : -1;
}

static void get_lines(const char *path, FILE *out)
{
    FILE *f = fopen(path, "re");
    char line[4096];
    while (f && fgets(line, sizeof line, f))
        fputs(line, out);
    if (f)
        fclose(f);
    fputs("END\n", out);
}

static void serve(int cfd, const char *data)
{
    FILE *in = fdopen(cfd, "r+");
    if (!in) {
        close(cfd);
        return;
    }
    char line[4096];
    while (fgets(line, sizeof line, in)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(line, "PUT ", 4) == 0) {
            long n = put_line(data, line + 4);
            if (n < 0)
                fprintf(in, "ERR cannot write %s: %s\n", data, strerror(errno));
            else
                fprintf(in, "OK %ld\n", n);
        } else if (strcmp(line, "GET") == 0) {
            get_lines(data, in);
        } else if (strcmp(line, "PING") == 0) {
            fputs("PONG\n", in);
        } else {
            fputs("ERR unknown request\n", in);
        }
        fflush(in);
    }
    fclose(in);
}

static void on_term(int sig)
{
    _exit(0);
}

int main(int argc, char **argv)
{
    const char *addr = NULL, *data = "wptcpserver.data";
    int port = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--bind") == 0)
            addr = argv[i + 1];
        else if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--data") == 0)
            data = argv[i + 1];
    }
    if (!addr || port <= 0 || port > 65535) {
        fprintf(stderr, "usage: wptcpserver --bind ADDR --port P [--data FILE]\n");
        return 2;
    }
    signal(SIGTERM, on_term);
    signal(SIGPIPE, SIG_IGN);
    int lfd = bind_listen(addr, port);
    if (lfd < 0)
        return 1;
    for (;;) {
        int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (cfd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            fprintf(stderr, "wptcpserver: accept: %s\n", strerror(errno));
            return 1;
        }
        serve(cfd, data);
    }
}
