/*
 * recordstore.c -- the test application of wolfpack's kits (docs/KITS.md):
 * a small daemon that keeps text records in one database file and serves
 * them over TCP, one request per line:
 *
 *     PUT text   -> the record is appended and fsync'ed, then "OK n"
 *     GET        -> every record, one per line, then "END"
 *     PING       -> "PONG"
 *     VERSION    -> "VERSION <program version> FORMAT <database format>"
 *
 *     recordstore --db FILE [--bind ADDR] [--port P]
 *     recordstore --check [--bind ADDR] [--port P]    (PING, expect PONG)
 *
 * The same source builds two versions.  Version 1.0 (this kit) keeps
 * format 1: one record per line.  Version 1.1 (kits/recordstore-sp1, which
 * defines RS_FORMAT 2 and includes this file) keeps format 2: a header line
 * "RECORDSTORE 2", then "id<TAB>length<TAB>text" per record.  Each version
 * refuses the other's files, so a service pack must convert the database
 * (recordstore-upgrade) before 1.1 can serve it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#ifndef RS_FORMAT
#define RS_FORMAT 1
#define RS_VERSION "1.0"
#endif
#define RS_HEADER "RECORDSTORE 2\n"
#define RS_MAX_CLIENTS 64
#define RS_LINE_MAX 65536

typedef struct rs_client {
    int fd;
    char buf[RS_LINE_MAX];
    size_t len;
} rs_client;

typedef struct rs_store {
    const char *path;
    int fd;       /* O_APPEND */
    long records; /* how many are stored */
} rs_store;

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* 0: empty file, 1: lines, 2: header "RECORDSTORE 2". */
static int detect_format(int fd)
{
    char head[sizeof RS_HEADER] = {0};
    ssize_t n = pread(fd, head, sizeof RS_HEADER - 1, 0);
    if (n <= 0)
        return 0;
    if (strncmp(head, "RECORDSTORE ", 12) == 0)
        return head[12] - '0';
    return 1;
}

/* Drop a last line that a crash left without its newline; count records. */
static long scan_store(rs_store *s, int format)
{
    FILE *f = fdopen(dup(s->fd), "r");
    if (!f)
        return -1;
    long count = 0;
    off_t good = 0, pos = 0;
    int c, prev = '\n';
    while ((c = getc(f)) != EOF) {
        pos++;
        if (c == '\n') {
            good = pos;
            count++;
        }
        prev = c;
    }
    fclose(f);
    if (prev != '\n' && ftruncate(s->fd, good) != 0)
        return -1;
    return format == 2 ? count - 1 : count;
}

static bool open_store(rs_store *s, const char *path)
{
    s->path = path;
    s->fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (s->fd < 0) {
        fprintf(stderr, "recordstore: cannot open %s: %s\n", path, strerror(errno));
        return false;
    }
    int format = detect_format(s->fd);
    if (format == 0 && RS_FORMAT == 2) {
        if (write(s->fd, RS_HEADER, strlen(RS_HEADER)) != (ssize_t)strlen(RS_HEADER) ||
            fsync(s->fd) != 0) {
            fprintf(stderr, "recordstore: cannot initialise %s: %s\n", path, strerror(errno));
            return false;
        }
        format = 2;
    }
    if (format != 0 && format != RS_FORMAT) {
        fprintf(stderr,
                "recordstore %s: %s is a format %d database; this version reads format %d\n%s",
                RS_VERSION, path, format, RS_FORMAT,
                format < RS_FORMAT ? "  to do: convert it first: recordstore-upgrade --db FILE "
                                     "(the service pack's upgrade step)\n"
                                   : "  to do: run the newer recordstore that wrote it\n");
        return false;
    }
    s->records = scan_store(s, RS_FORMAT);
    return s->records >= 0;
}

static bool store_put(rs_store *s, const char *text)
{
    char *rec = NULL;
    int len = RS_FORMAT == 2 ? asprintf(&rec, "%ld\t%zu\t%s\n", s->records + 1, strlen(text), text)
                             : asprintf(&rec, "%s\n", text);
    if (len < 0)
        return false;
    bool ok = write(s->fd, rec, (size_t)len) == len && fdatasync(s->fd) == 0;
    free(rec);
    if (ok)
        s->records++;
    return ok;
}

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

/* Each record's text, one per line, then END. */
static void store_get(const rs_store *s, int out)
{
    FILE *f = fopen(s->path, "r");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool first = true;
    while (f && (n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] != '\n')
            break;
        char *text = line;
        if (RS_FORMAT == 2) {
            if (first) {
                first = false;
                continue;
            }
            char *t1 = strchr(line, '\t');
            char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
            if (!t2)
                continue;
            text = t2 + 1;
        }
        send_all(out, text, strlen(text));
    }
    free(line);
    if (f)
        fclose(f);
    send_all(out, "END\n", 4);
}

static void handle_line(rs_store *s, int fd, char *line)
{
    char reply[128];
    if (strncmp(line, "PUT ", 4) == 0) {
        if (store_put(s, line + 4))
            snprintf(reply, sizeof reply, "OK %ld\n", s->records);
        else
            snprintf(reply, sizeof reply, "ERR write failed: %s\n", strerror(errno));
    } else if (strcmp(line, "GET") == 0) {
        store_get(s, fd);
        return;
    } else if (strcmp(line, "PING") == 0) {
        snprintf(reply, sizeof reply, "PONG\n");
    } else if (strcmp(line, "VERSION") == 0) {
        snprintf(reply, sizeof reply, "VERSION %s FORMAT %d\n", RS_VERSION, RS_FORMAT);
    } else {
        snprintf(reply, sizeof reply, "ERR unknown request (PUT text, GET, PING, VERSION)\n");
    }
    send_all(fd, reply, strlen(reply));
}

/* Read what is there; handle every complete line.  False: close it. */
static bool client_input(rs_store *s, rs_client *c)
{
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len - 1, 0);
    if (n <= 0)
        return false;
    c->len += (size_t)n;
    char *start = c->buf, *nl;
    while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf)))) {
        *nl = '\0';
        if (nl > start && nl[-1] == '\r')
            nl[-1] = '\0';
        handle_line(s, c->fd, start);
        start = nl + 1;
    }
    c->len -= (size_t)(start - c->buf);
    memmove(c->buf, start, c->len);
    return c->len < sizeof c->buf - 1;
}

static int listen_on(const char *addr, const char *port)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICHOST};
    struct addrinfo *ai;
    int rc = getaddrinfo(addr, port, &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "recordstore: bad address %s port %s: %s\n", addr, port, gai_strerror(rc));
        return -1;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        fprintf(stderr, "recordstore: cannot listen on %s port %s: %s\n", addr, port,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int serve(rs_store *s, int lfd)
{
    static rs_client clients[RS_MAX_CLIENTS];
    struct pollfd pfd[RS_MAX_CLIENTS + 1];
    for (int i = 0; i < RS_MAX_CLIENTS; i++)
        clients[i].fd = -1;
    while (!stop_requested) {
        pfd[0] = (struct pollfd){.fd = lfd, .events = POLLIN};
        for (int i = 0; i < RS_MAX_CLIENTS; i++)
            pfd[i + 1] = (struct pollfd){.fd = clients[i].fd, .events = POLLIN};
        if (poll(pfd, RS_MAX_CLIENTS + 1, -1) < 0)
            continue; /* EINTR: look at stop_requested */
        if (pfd[0].revents & POLLIN) {
            int cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
            int slot = 0;
            while (slot < RS_MAX_CLIENTS && clients[slot].fd >= 0)
                slot++;
            if (cfd >= 0 && slot == RS_MAX_CLIENTS)
                close(cfd);
            else if (cfd >= 0)
                clients[slot] = (rs_client){.fd = cfd};
        }
        for (int i = 0; i < RS_MAX_CLIENTS; i++)
            if (clients[i].fd >= 0 && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
                !client_input(s, &clients[i])) {
                close(clients[i].fd);
                clients[i].fd = -1;
            }
    }
    return 0;
}

/* --check: PING the server, expect PONG within 5 seconds. */
static int check(const char *addr, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST};
    struct addrinfo *ai;
    if (getaddrinfo(addr, port, &hints, &ai) != 0)
        return 2;
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {.tv_sec = 5};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    char buf[16] = {0};
    bool ok = fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
              send(fd, "PING\n", 5, MSG_NOSIGNAL) == 5 && recv(fd, buf, sizeof buf - 1, 0) > 0 &&
              strcmp(buf, "PONG\n") == 0;
    freeaddrinfo(ai);
    if (fd >= 0)
        close(fd);
    return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *db = NULL, *addr = "127.0.0.1", *port = "7070";
    bool check_mode = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--check") == 0)
            check_mode = true;
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc)
            addr = argv[++i];
        else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc)
            port = argv[++i];
        else if (strcmp(argv[i], "--version") == 0) {
            printf("recordstore %s (database format %d)\n", RS_VERSION, RS_FORMAT);
            return 0;
        } else {
            fprintf(stderr, "usage: recordstore --db FILE [--bind ADDR] [--port P]\n"
                            "       recordstore --check [--bind ADDR] [--port P]\n");
            return 2;
        }
    }
    if (check_mode)
        return check(addr, port);
    if (!db) {
        fprintf(stderr, "recordstore: --db FILE is required\n");
        return 2;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    rs_store store;
    if (!open_store(&store, db))
        return 1;
    int lfd = listen_on(addr, port);
    if (lfd < 0)
        return 1;
    fprintf(stderr, "recordstore %s: serving %s (%ld records, format %d) on %s port %s\n",
            RS_VERSION, db, store.records, RS_FORMAT, addr, port);
    return serve(&store, lfd);
}
