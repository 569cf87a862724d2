/*
 * wpexec.c -- speak the root executor's protocol (src/daemon/privsep.c) to
 * the executor's own code, as a compromised wolfpackd could: fork the
 * executor's entry point on one end of a SOCK_SEQPACKET socketpair, send
 * each line of stdin as one message, and print each answer on its own line
 * (an empty line when none came within 30 s).  The executor's allow-list
 * of root services is STATE_DIR/root-services.d.
 *
 *   wpexec STATE_DIR [--big N]  < messages
 *
 * --big N first sends one message of N bytes ('{' followed by spaces).
 * A line "!{...}" is sent without waiting for an answer (agent.cancel is
 * not answered).  Exits 0 when the
 * executor ended cleanly after stdin's end (the channel closed), 1 else.
 * tests/cli/test_privsep.sh uses it; it runs the real agents as root, so
 * run it in a private mount namespace with a tmpfs on /run.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/daemon/daemon.h"

static void print_answer(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    char *buf = malloc(WP_PRIVSEP_MAX_ANSWER + 1);
    ssize_t n = buf && poll(&p, 1, 30000) > 0 ? recv(fd, buf, WP_PRIVSEP_MAX_ANSWER, 0) : 0;
    printf("%.*s\n", n > 0 ? (int)n : 0, n > 0 ? buf : "");
    fflush(stdout);
    free(buf);
}

int main(int argc, char **argv)
{
    int sv[2];
    long big = 0;
    if (argc != 2 && !(argc == 4 && strcmp(argv[2], "--big") == 0 && (big = atol(argv[3])) > 0)) {
        fprintf(stderr, "usage: wpexec STATE_DIR [--big N] < messages\n");
        return 2;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        perror("wpexec: socketpair");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        wp_log_state log = {0}; /* the executor logs to stderr, as in wolfpackd */
        close(sv[0]);
        wp_log_start(&log);
        char list[4200];
        snprintf(list, sizeof list, "%s/root-services.d", argv[1]);
        wp_privsep_exec_conf conf = {
            .state_dir = argv[1], .socket_path = "/nonexistent/wpexec.sock", .root_services = list};
        wp_privsep_executor_main(sv[1], &conf);
    }
    close(sv[1]);
    if (big > 0) {
        char *m = malloc((size_t)big);
        if (!m)
            return 1;
        memset(m, ' ', (size_t)big);
        m[0] = '{';
        if (send(sv[0], m, (size_t)big, MSG_NOSIGNAL) != big)
            printf("send of %ld bytes failed: %s\n", big, strerror(errno));
        free(m);
        print_answer(sv[0]);
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, stdin)) > 0) {
        if (line[len - 1] == '\n')
            line[--len] = '\0';
        bool quiet = line[0] == '!';
        const char *m = quiet ? line + 1 : line;
        if (len == 0)
            continue;
        if (send(sv[0], m, strlen(m), MSG_NOSIGNAL) < 0) {
            perror("wpexec: send");
            break;
        }
        if (!quiet)
            print_answer(sv[0]);
    }
    free(line);
    close(sv[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
