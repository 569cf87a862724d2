/*
 * test_client.c -- unit tests of the client library (src/client/client.c):
 * the socket path rules, the connect errors (no socket, nobody listening),
 * and wp_client_call against a small fake daemon run in a child process
 * (ok reply with version, error reply, a daemon that closes without a
 * reply).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../src/client/client.h"
#include "../../src/lib/proto.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    pid_t server;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/wp-test-client.XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/sock", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f->server > 0) {
        kill(f->server, SIGTERM);
        waitpid(f->server, NULL, 0);
    }
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static int listen_on(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    assert_int_equal(listen(fd, 4), 0);
    return fd;
}

/* The fake daemon: for each request on one connection, answer by op:
 * "echo" -> ok with the args and version 42; "fail" -> a not-found error;
 * "hangup" -> close without a reply. */
static void fake_daemon(int lfd)
{
    int c = accept(lfd, NULL, NULL);
    json_t *req;
    wp_err err = {0};

    while (c >= 0 && (req = wp_proto_recv(c, &err)) != NULL) {
        const char *op = json_string_value(json_object_get(req, "op"));
        json_t *reply = NULL;
        if (op && strcmp(op, "echo") == 0) {
            reply = wp_proto_reply_ok(json_incref(json_object_get(req, "args")), 42);
        } else if (op && strcmp(op, "fail") == 0) {
            wp_errf(&err, WP_E_NOTFOUND, "no such thing");
            wp_err_why(&err, "it was never made");
            wp_err_todo(&err, "make it");
            reply = wp_proto_reply_err(&err);
        }
        json_decref(req);
        if (!reply)
            break;
        wp_proto_send(c, reply, &err);
        json_decref(reply);
    }
    _exit(0);
}

static void start_fake(fixture *f)
{
    int lfd = listen_on(f->path);
    f->server = fork();
    assert_true(f->server >= 0);
    if (f->server == 0)
        fake_daemon(lfd);
    close(lfd);
}

static void test_socket_path(void **state)
{
    (void)state;
    unsetenv("WOLFPACK_SOCKET");
    assert_string_equal(wp_client_socket_path(NULL), WP_DEFAULT_SOCKET);
    assert_string_equal(wp_client_socket_path(""), WP_DEFAULT_SOCKET);
    setenv("WOLFPACK_SOCKET", "/tmp/env.sock", 1);
    assert_string_equal(wp_client_socket_path(NULL), "/tmp/env.sock");
    assert_string_equal(wp_client_socket_path("/x.sock"), "/x.sock");
    unsetenv("WOLFPACK_SOCKET");
}

static void test_connect_missing(void **state)
{
    fixture *f = *state;
    wp_err err = {0};

    assert_null(wp_client_connect(f->path, &err));
    assert_int_equal(err.code, WP_E_UNAVAILABLE);
    assert_non_null(strstr(err.what, f->path));
    assert_non_null(strstr(err.todo, "is wolfpackd running?"));
}

static void test_connect_refused(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    int lfd = listen_on(f->path);

    close(lfd); /* the socket file stays, nobody listens */
    assert_null(wp_client_connect(f->path, &err));
    assert_int_equal(err.code, WP_E_UNAVAILABLE);
    assert_non_null(strstr(err.why, "nothing is listening"));
}

static void test_connect_long_path(void **state)
{
    char path[200];
    wp_err err = {0};
    (void)state;
    memset(path, 'a', sizeof path - 1);
    path[0] = '/';
    path[sizeof path - 1] = '\0';
    assert_null(wp_client_connect(path, &err));
    assert_int_equal(err.code, WP_E_INVALID);
}

static void test_call(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    long long version = 0;
    wp_client *c;
    json_t *r;

    start_fake(f);
    c = wp_client_connect(f->path, &err);
    assert_non_null(c);

    r = wp_client_call(c, "echo", json_pack("{s:s}", "name", "web"), &version, &err);
    assert_non_null(r);
    assert_string_equal(json_string_value(json_object_get(r, "name")), "web");
    assert_int_equal(version, 42);
    json_decref(r);

    r = wp_client_call(c, "echo", NULL, NULL, &err);
    assert_non_null(r);
    assert_int_equal(json_object_size(r), 0);
    json_decref(r);

    r = wp_client_call(c, "fail", NULL, &version, &err);
    assert_null(r);
    assert_int_equal(err.code, WP_E_NOTFOUND);
    assert_string_equal(err.what, "no such thing");
    assert_string_equal(err.todo, "make it");

    r = wp_client_call(c, "hangup", NULL, &version, &err);
    assert_null(r);
    assert_int_equal(err.code, WP_E_UNAVAILABLE);
    assert_int_equal(version, -1);
    wp_client_close(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_socket_path),
        cmocka_unit_test_setup_teardown(test_connect_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
        cmocka_unit_test(test_connect_long_path),
        cmocka_unit_test_setup_teardown(test_call, setup, teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
