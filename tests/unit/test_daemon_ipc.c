/*
 * test_daemon_ipc.c -- wolfpackd's socket server and dispatch (src/daemon/
 * ipc.c, handlers.c, access.c) against a transport whose done() comes
 * later from the event loop, as the Corosync one does.  The solo transport
 * answers at once, so these paths are only reached here:
 *   - requests pipelined behind a change in flight are answered in order,
 *     also when they already sit whole in the input buffer;
 *   - a client that leaves while its change is in flight: the change
 *     stands, the daemon goes on;
 *   - reads are refused while the transport is not ready; status answers.
 * The daemon's files are compiled into this test (#include) with a fake
 * transport; the client runs in a child process.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/daemon/access.c"
#include "../../src/daemon/handlers.c"
#include "../../src/daemon/ipc.c"
#include "../../src/daemon/log.c"

/* nodeconf.c's request checks: node.add / node.remove are not sent here */
bool wp_nodeconf_check(wp_daemon *d, wp_request *req, wp_err *err)
{
    (void)d, (void)req, (void)err;
    return true;
}

/* fencer.c: no fence op is sent here */
bool wp_fencer_handles(const char *op)
{
    (void)op;
    return false;
}
bool wp_fencer_request(wp_daemon *d, wp_conn *c, const wp_request *req)
{
    (void)d, (void)c, (void)req;
    return true;
}
/* recovery.c: node.confirm-down is not sent here */
bool wp_recovery_check_confirm(wp_daemon *d, wp_request *req, wp_err *err)
{
    (void)d, (void)req, (void)err;
    return true;
}

#include <signal.h>
#include <sys/wait.h>

/* ---- a transport whose done() comes from the loop -------------------- */

typedef struct fake_cmd {
    json_t *cmd;
    wp_repl_done_fn done;
    void *cookie;
    struct fake_cmd *next;
} fake_cmd;

typedef struct fake {
    wp_db *db;
    qb_loop_t *loop;
    fake_cmd *queue;
} fake;

static void fake_fire(void *data)
{
    fake *f = data;
    fake_cmd *q = f->queue;
    wp_err err = {0};

    if (!q)
        return;
    f->queue = q->next;
    bool ok = wp_db_apply(f->db, q->cmd, &err);
    q->done(q->cookie, ok ? NULL : &err, wp_db_version(f->db));
    json_decref(q->cmd);
    free(q);
}

static bool fake_submit(void *impl, const json_t *cmd, wp_repl_done_fn done, void *cookie,
                        wp_err *err)
{
    fake *f = impl;
    fake_cmd *q = calloc(1, sizeof *q), **tail = &f->queue;

    (void)err;
    q->cmd = json_deep_copy(cmd);
    q->done = done;
    q->cookie = cookie;
    while (*tail)
        tail = &(*tail)->next;
    *tail = q;
    qb_loop_job_add(f->loop, QB_LOOP_LOW, f, fake_fire);
    return true;
}

/* Not ready once a group named "syncing" exists (the client creates it). */
static bool fake_ready(void *impl, wp_err *err)
{
    fake *f = impl;
    json_t *g = wp_db_group_show(f->db, "syncing", NULL);
    bool ready = g == NULL;
    (void)err;
    json_decref(g);
    return ready;
}

static json_t *fake_status(void *impl)
{
    bool ready = fake_ready(impl, NULL);
    return json_pack("{s:s, s:b, s:i, s:[i], s:s}", "transport", "fake", "quorate", 1,
                     "local_node_id", 1, "members", 1, "sync", ready ? "synced" : "syncing");
}

static void fake_destroy(void *impl)
{
    fake *f = impl;
    while (f->queue) {
        fake_cmd *q = f->queue;
        f->queue = q->next;
        json_decref(q->cmd);
        free(q);
    }
    free(f);
}

static const wp_repl_ops fake_ops = {"fake", fake_submit, fake_ready, fake_status, fake_destroy};

/* ---- the client (child process) -------------------------------------- */

static int failures;

#define EXPECT(cond, ...)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "client: FAIL line %d: ", __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static int client_connect(const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0)
        return -1;
    return fd;
}

/* Several frames in ONE write, so they arrive together. */
static void send_batch(int fd, const char *const *reqs, size_t n)
{
    unsigned char all[4096];
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_loads(reqs[i], 0, NULL);
        unsigned char *frame;
        size_t len;
        if (v && wp_proto_encode_frame(v, &frame, &len, NULL) && used + len <= sizeof all) {
            memcpy(all + used, frame, len);
            used += len;
            free(frame);
        }
        json_decref(v);
    }
    EXPECT(write(fd, all, used) == (ssize_t)used, "batch write");
}

static json_t *recv_reply(int fd)
{
    wp_err err = {0};
    json_t *r = wp_proto_recv(fd, &err);
    EXPECT(r != NULL, "no reply: %s", err.what);
    return r;
}

static const char *error_code(const json_t *r)
{
    const char *c = json_string_value(json_object_get(json_object_get(r, "error"), "code"));
    return c ? c : "";
}

static void client_pipelined(const char *path)
{
    static const char *const reqs[] = {
        "{\"op\":\"group.create\",\"args\":{\"name\":\"g1\"}}",
        "{\"op\":\"group.show\",\"args\":{\"name\":\"g1\"}}",
        "{\"op\":\"group.create\",\"args\":{\"name\":\"g1\"}}",
        "{\"op\":\"status\"}",
    };
    int fd = client_connect(path);
    json_t *r;

    EXPECT(fd >= 0, "connect");
    send_batch(fd, reqs, 4);
    r = recv_reply(fd);
    EXPECT(json_is_true(json_object_get(json_object_get(r, "result"), "applied")),
           "1st reply: applied");
    json_decref(r);
    r = recv_reply(fd);
    EXPECT(json_is_true(json_object_get(r, "ok")), "2nd reply: g1 is there (order kept)");
    json_decref(r);
    r = recv_reply(fd);
    EXPECT(strcmp(error_code(r), "exists") == 0, "3rd reply: exists, got %s", error_code(r));
    json_decref(r);
    r = recv_reply(fd);
    EXPECT(json_is_integer(json_object_get(r, "version")), "4th reply: status has version");
    json_decref(r);
    close(fd);
}

static void client_leaves(const char *path)
{
    static const char *const create[] = {"{\"op\":\"group.create\",\"args\":{\"name\":\"g2\"}}"};
    static const char *const show[] = {"{\"op\":\"group.show\",\"args\":{\"name\":\"g2\"}}"};
    int fd = client_connect(path);
    json_t *r = NULL;

    send_batch(fd, create, 1);
    close(fd); /* gone before done() */
    for (int tries = 0; tries < 200; tries++) {
        fd = client_connect(path);
        send_batch(fd, show, 1);
        r = recv_reply(fd);
        close(fd);
        if (json_is_true(json_object_get(r, "ok")))
            break;
        json_decref(r);
        r = NULL;
        usleep(10000);
    }
    EXPECT(r != NULL, "the change of a client that left stands");
    json_decref(r);
}

static void client_not_ready(const char *path)
{
    static const char *const reqs[] = {
        "{\"op\":\"group.create\",\"args\":{\"name\":\"syncing\"}}",
        "{\"op\":\"group.list\"}",
        "{\"op\":\"status\"}",
    };
    int fd = client_connect(path);
    json_t *r;

    send_batch(fd, reqs, 3);
    json_decref(recv_reply(fd));
    r = recv_reply(fd);
    EXPECT(strcmp(error_code(r), "unavailable") == 0, "reads refused while not ready: %s",
           error_code(r));
    json_decref(r);
    r = recv_reply(fd);
    EXPECT(json_is_false(json_object_get(json_object_get(r, "result"), "ready")) &&
               strcmp(json_string_value(json_object_get(json_object_get(r, "result"), "sync")),
                      "syncing") == 0,
           "status answers and says syncing");
    json_decref(r);
    close(fd);
}

/* ---- the test ---------------------------------------------------------- */

static int32_t on_child_exit(int32_t sig, void *data)
{
    (void)sig;
    qb_loop_stop(data);
    return 0;
}

static void on_timeout(void *data)
{
    qb_loop_stop(data);
}

static void test_async_transport(void **state)
{
    char dir[] = "/tmp/wp-test-ipc.XXXXXX";
    char db_path[128], sock[128];
    wp_daemon d = {.lock_fd = -1, .listen_fd = -1};
    wp_err err = {0};
    qb_loop_signal_handle sh;
    qb_loop_timer_handle th;
    int status = -1;
    (void)state;

    assert_non_null(mkdtemp(dir));
    snprintf(db_path, sizeof db_path, "%s/cluster.db", dir);
    snprintf(sock, sizeof sock, "%s/sock", dir);
    d.opts.socket_path = sock;
    d.opts.state_dir = dir;
    d.opts.admin_group = "wolfpack";
    d.loop = qb_loop_create();
    assert_non_null(d.loop);
    d.db = wp_db_open(db_path, &err);
    assert_non_null(d.db);
    fake *f = calloc(1, sizeof *f);
    f->db = d.db;
    f->loop = d.loop;
    d.repl = calloc(1, sizeof *d.repl);
    d.repl->ops = &fake_ops;
    d.repl->impl = f;
    assert_true(wp_ipc_listen(&d, &err));

    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        client_pipelined(sock);
        client_leaves(sock);
        client_not_ready(sock);
        _exit(failures ? 1 : 0);
    }
    qb_loop_signal_add(d.loop, QB_LOOP_HIGH, SIGCHLD, d.loop, on_child_exit, &sh);
    /* a safety net against a hang, not a measured duration */
    qb_loop_timer_add(d.loop, QB_LOOP_HIGH, 60ull * 1000 * 1000 * 1000, d.loop, on_timeout, &th);
    qb_loop_run(d.loop);
    if (waitpid(child, &status, WNOHANG) == 0) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        fail_msg("the client did not finish");
    }
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    wp_ipc_close_all(&d);
    wp_repl_free(d.repl);
    wp_handlers_free_pending(&d);
    wp_db_close(d.db);
    qb_loop_destroy(d.loop);
    static const char *const files[] = {"sock", "cluster.db", "cluster.db-wal", "cluster.db-shm"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_async_transport),
    };
    signal(SIGPIPE, SIG_IGN);
    qb_log_init("test_daemon_ipc", LOG_DAEMON, LOG_WARNING);
    qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_FALSE);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
