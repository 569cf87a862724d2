/*
 * test_client.c -- unit tests of the client library (src/client/client.c):
 * the socket path rules, the connect errors (no socket, nobody listening),
 * and wp_client_call against a small fake daemon run in a child process
 * (ok reply with version, error reply, a daemon that closes without a
 * reply, a daemon that never answers: the reply timeout), the rules of
 * the timeout's value (--timeout text, $WOLFPACK_TIMEOUT, default), and
 * a watch stream (events wake the waiter, queued ones are all read, its
 * end is said).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdbool.h>
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

/* The fake daemon: one connection after another; for each request, answer
 * by op: "echo" -> ok with the args and version 42; "fail" -> a not-found
 * error; "hangup" -> close without a reply; "silent" and "group.create" ->
 * no reply at all (it waits for the next request, or for the client to
 * go). */
static void serve(int c)
{
    json_t *req;
    wp_err err = {0};

    while ((req = wp_proto_recv(c, &err)) != NULL) {
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
        bool silent = op && (strcmp(op, "silent") == 0 || strcmp(op, "group.create") == 0);
        json_decref(req);
        if (silent)
            continue;
        if (!reply)
            break;
        wp_proto_send(c, reply, &err);
        json_decref(reply);
    }
}

/* A watch: the reply, two events; then (hold) the stream stays open until
 * the client goes, or it ends at once. */
static void serve_watch(int c, bool hold)
{
    wp_err err = {0};
    json_t *req = wp_proto_recv(c, &err);
    json_t *reply = wp_proto_reply_ok(json_pack("{s:b}", "watching", 1), 7);
    wp_proto_send(c, reply, &err);
    for (int i = 0; i < 2; i++) {
        json_t *ev = json_pack("{s:s, s:i, s:s}", "event", "applied", "version", 8 + i, "op",
                               "resource.report");
        wp_proto_send(c, ev, &err);
        json_decref(ev);
    }
    char byte;
    while (hold && read(c, &byte, 1) > 0)
        ;
    json_decref(reply);
    json_decref(req);
}

static void fake_daemon(int lfd, bool watch)
{
    for (int n = 0;; n++) {
        int c = accept(lfd, NULL, NULL);
        if (c < 0)
            break;
        if (watch)
            serve_watch(c, n == 0);
        else
            serve(c);
        close(c);
    }
    _exit(0);
}

static void start_fake_daemon(fixture *f, bool watch)
{
    int lfd = listen_on(f->path);
    f->server = fork();
    assert_true(f->server >= 0);
    if (f->server == 0)
        fake_daemon(lfd, watch);
    close(lfd);
}

static void start_fake(fixture *f)
{
    start_fake_daemon(f, false);
}

/* Wait on c until a wait returns other than 1; how many returned 1. */
static int wakes(wp_client *c, long timeout_ms, int *last, wp_err *err)
{
    int n = 0;
    while ((*last = wp_client_watch_wait(c, timeout_ms, err)) == 1 && n < 10)
        n++;
    return n;
}

/* Two events on a stream that stays open: they wake the waiter (once or
 * twice, by how they arrive), then a wait finds nothing (0) and no error.
 * On a stream that ends after its events, the wait that sees the end says
 * so (-1, unavailable). */
static void test_watch(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    int last = 0;
    start_fake_daemon(f, true);

    wp_client *c = wp_client_connect(f->path, &err);
    assert_non_null(c);
    assert_true(wp_client_watch(c, &err));
    assert_int_equal(wp_client_watch_wait(c, 10000, &err), 1);
    int more = wakes(c, 300, &last, &err);
    assert_true(more <= 1);
    assert_int_equal(last, 0);
    assert_int_equal(err.code, WP_OK);
    wp_client_close(c);

    c = wp_client_connect(f->path, &err);
    assert_non_null(c);
    assert_true(wp_client_watch(c, &err));
    int n = wakes(c, 10000, &last, &err);
    assert_true(n >= 1 && n <= 2);
    assert_int_equal(last, -1);
    assert_int_equal(err.code, WP_E_UNAVAILABLE);
    wp_client_close(c);
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

/* A daemon that takes the request and never answers: the call gives up
 * after the timeout with WP_E_UNAVAILABLE naming the op, and the connection
 * is closed so later calls fail at once. */
static void test_call_timeout(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    long long version = 0;

    start_fake(f);
    wp_client *c = wp_client_open(f->path, "1", &err);
    assert_non_null(c);
    json_t *r = wp_client_call(c, "echo", NULL, NULL, &err);
    assert_non_null(r); /* a timeout does not get in the way of a prompt reply */
    json_decref(r);

    r = wp_client_call(c, "silent", NULL, &version, &err);
    assert_null(r);
    assert_int_equal(err.code, WP_E_UNAVAILABLE);
    assert_int_equal(wp_code_exit_status(err.code), 6);
    assert_non_null(strstr(err.what, "did not answer \"silent\" within 1 s"));
    assert_non_null(strstr(err.why, f->path));
    assert_non_null(strstr(err.todo, "WOLFPACK_TIMEOUT"));
    assert_int_equal(version, -1);

    r = wp_client_call(c, "group.create", json_pack("{s:s}", "name", "g"), NULL, &err);
    assert_null(r);
    assert_int_equal(err.code, WP_E_UNAVAILABLE);
    assert_non_null(strstr(err.what, "closed"));
    wp_client_close(c);
}

/* A change that times out warns that it may have been applied; a read
 * does not. */
static void test_change_timeout_warns(void **state)
{
    fixture *f = *state;
    wp_err err = {0};
    start_fake(f);
    const char *ops[] = {"group.create", "silent"};
    for (size_t i = 0; i < 2; i++) {
        wp_client *c = wp_client_open(f->path, "1", &err);
        assert_non_null(c);
        json_t *r = wp_client_call(c, ops[i], NULL, NULL, &err);
        assert_null(r);
        assert_int_equal(err.code, WP_E_UNAVAILABLE);
        assert_non_null(strstr(err.what, ops[i]));
        if ((strstr(err.todo, "may still be applied") != NULL) != (i == 0))
            fail_msg("%s: todo \"%s\"", ops[i], err.todo);
        wp_client_close(c);
    }
}

static void test_timeout_value(void **state)
{
    (void)state;
    wp_err err = {0};
    int s = -1;

    unsetenv("WOLFPACK_TIMEOUT");
    assert_true(wp_client_timeout(NULL, &s, &err));
    assert_int_equal(s, WP_CLIENT_TIMEOUT);
    assert_true(wp_client_timeout("", &s, &err));
    assert_int_equal(s, WP_CLIENT_TIMEOUT);
    assert_true(wp_client_timeout("0", &s, &err));
    assert_int_equal(s, 0);
    assert_true(wp_client_timeout("86400", &s, &err));
    assert_int_equal(s, 86400);
    const char *bad[] = {"abc", "-1", "+1", "1.5", "86401", "30s", " 5", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wp_err_clear(&err);
        if (wp_client_timeout(bad[i], &s, &err))
            fail_msg("timeout \"%s\" accepted", bad[i]);
        assert_int_equal(err.code, WP_E_INVALID);
        assert_non_null(strstr(err.what, "--timeout"));
        assert_true(err.why[0] && err.todo[0]);
    }

    setenv("WOLFPACK_TIMEOUT", "7", 1);
    assert_true(wp_client_timeout(NULL, &s, &err));
    assert_int_equal(s, 7);
    assert_true(wp_client_timeout("9", &s, &err)); /* the option wins */
    assert_int_equal(s, 9);
    setenv("WOLFPACK_TIMEOUT", "later", 1);
    assert_false(wp_client_timeout(NULL, &s, &err));
    assert_non_null(strstr(err.what, "WOLFPACK_TIMEOUT"));
    assert_true(wp_client_timeout("3", &s, &err)); /* a good option hides a bad variable */
    assert_null(wp_client_connect("/nonexistent/x.sock", &err));
    assert_int_equal(err.code, WP_E_INVALID); /* a bad variable is reported, not ignored */
    unsetenv("WOLFPACK_TIMEOUT");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_socket_path),
        cmocka_unit_test_setup_teardown(test_connect_missing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_connect_refused, setup, teardown),
        cmocka_unit_test(test_connect_long_path),
        cmocka_unit_test_setup_teardown(test_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_change_timeout_warns, setup, teardown),
        cmocka_unit_test(test_timeout_value),
        cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
    };
    signal(SIGPIPE, SIG_IGN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
