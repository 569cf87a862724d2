/*
 * test_proto.c -- unit tests of the IPC protocol (src/lib/proto.c): the
 * request decoder accepts a good request of every op and refuses every kind
 * of bad one with the right code and a message naming the problem; frames
 * survive a round trip through a socket and bad frames (zero, oversized,
 * truncated) are refused; replies are built and parsed back.  The two size
 * limits: a request is at most WP_PROTO_MAX_FRAME (1 MiB), a reply at most
 * WP_PROTO_MAX_REPLY (64 MiB), on the encoding and on the reading side.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../src/lib/proto.h"

static bool decode(const char *text, wp_request *req, wp_err *err)
{
    return wp_proto_decode_request((const unsigned char *)text, strlen(text), req, err);
}

/* ---- good requests --------------------------------------------------- */

static const struct {
    const char *json;
    const char *op;
    bool mutates;
} good[] = {
    {"{\"op\":\"status\"}", "status", false},
    {"{\"op\":\"status\",\"args\":{}}", "status", false},
    {"{\"op\":\"cluster.show\"}", "cluster.show", false},
    {"{\"op\":\"node.list\"}", "node.list", false},
    {"{\"op\":\"node.show\",\"args\":{\"name\":\"n1\"}}", "node.show", false},
    {"{\"op\":\"group.list\"}", "group.list", false},
    {"{\"op\":\"group.show\",\"args\":{\"name\":\"Cluster Group\"}}", "group.show", false},
    {"{\"op\":\"resource.list\"}", "resource.list", false},
    {"{\"op\":\"resource.list\",\"args\":{\"group\":\"g\"}}", "resource.list", false},
    {"{\"op\":\"resource.show\",\"args\":{\"name\":\"ip1\"}}", "resource.show", false},
    {"{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\"}}", "cluster.create", true},
    {"{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":[{\"name\":\"n1\","
     "\"address\":\"198.51.100.1\",\"id\":1},{\"name\":\"n2\",\"address\":\"198.51.100.2\","
     "\"id\":2}]}}",
     "cluster.create", true},
    {"{\"op\":\"node.add\",\"args\":{\"name\":\"n3\",\"address\":\"198.51.100.3\",\"id\":3}}",
     "node.add", true},
    {"{\"op\":\"node.remove\",\"args\":{\"name\":\"n3\"}}", "node.remove", true},
    {"{\"op\":\"group.create\",\"args\":{\"name\":\"g\"}}", "group.create", true},
    {"{\"op\":\"group.create\",\"args\":{\"name\":\"g\",\"policy\":{\"failback\":\"never\","
     "\"preferred_owners\":null}}}",
     "group.create", true},
    {"{\"op\":\"group.delete\",\"args\":{\"name\":\"g\"}}", "group.delete", true},
    {"{\"op\":\"group.set\",\"args\":{\"name\":\"g\",\"policy\":{\"failback\":null}}}", "group.set",
     true},
    {"{\"op\":\"resource.create\",\"args\":{\"name\":\"ip\",\"group\":\"g\",\"type\":\"ip\"}}",
     "resource.create", true},
    {"{\"op\":\"resource.create\",\"args\":{\"name\":\"nn\",\"group\":\"g\",\"type\":"
     "\"Network Name\",\"props\":{\"hostname\":\"web\"},\"policy\":{\"restart_threshold\":"
     "\"3\"},\"depends_on\":[\"ip\"]}}",
     "resource.create", true},
    {"{\"op\":\"resource.delete\",\"args\":{\"name\":\"ip\"}}", "resource.delete", true},
    {"{\"op\":\"resource.set\",\"args\":{\"name\":\"ip\",\"props\":{\"interface\":null},"
     "\"policy\":{\"pending_timeout\":\"60\"}}}",
     "resource.set", true},
    {"{\"op\":\"resource.depend\",\"args\":{\"name\":\"nn\",\"on\":\"ip\"}}", "resource.depend",
     true},
    {"{\"op\":\"resource.undepend\",\"args\":{\"name\":\"nn\",\"on\":\"ip\"}}", "resource.undepend",
     true},
    {"  {\"args\":{\"name\":\"caf\xc3\xa9\"},\"op\":\"group.show\"}\n", "group.show", false},
    {"{\"op\":\"watch\"}", "watch", false},
    {"{\"op\":\"node.pause\",\"args\":{\"name\":\"n1\"}}", "node.pause", true},
    {"{\"op\":\"node.resume\",\"args\":{\"name\":\"n1\"}}", "node.resume", true},
    {"{\"op\":\"node.drain\",\"args\":{\"name\":\"n1\"}}", "node.drain", true},
    {"{\"op\":\"group.online\",\"args\":{\"name\":\"g\"}}", "group.online", true},
    {"{\"op\":\"group.offline\",\"args\":{\"name\":\"g\"}}", "group.offline", true},
    {"{\"op\":\"group.move\",\"args\":{\"name\":\"g\"}}", "group.move", true},
    {"{\"op\":\"group.move\",\"args\":{\"name\":\"g\",\"to\":\"n2\"}}", "group.move", true},
    {"{\"op\":\"resource.online\",\"args\":{\"name\":\"r\"}}", "resource.online", true},
    {"{\"op\":\"resource.offline\",\"args\":{\"name\":\"r\"}}", "resource.offline", true},
    {"{\"op\":\"resource.fail\",\"args\":{\"name\":\"r\"}}", "resource.fail", true},
};

static void test_good_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        wp_request req;
        wp_err err = {0};
        if (!decode(good[i].json, &req, &err))
            fail_msg("refused good request %zu %s: %s / %s", i, good[i].json, err.what, err.why);
        assert_string_equal(req.op, good[i].op);
        assert_int_equal(req.mutates, good[i].mutates);
        assert_true(json_is_object(req.args));
        assert_ptr_equal(req.args, json_object_get(req.json, "args"));
        assert_string_equal(json_string_value(json_object_get(req.json, "op")), good[i].op);
        wp_request_free(&req);
        assert_null(req.json);
    }
}

static void test_args_default_to_empty_object(void **state)
{
    wp_request req;
    wp_err err = {0};
    (void)state;
    assert_true(decode("{\"op\":\"group.list\"}", &req, &err));
    assert_true(json_is_object(req.args));
    assert_int_equal(json_object_size(req.args), 0);
    wp_request_free(&req);
}

static void test_op_known(void **state)
{
    bool mutates = true;
    (void)state;
    assert_true(wp_proto_op_known("status", &mutates));
    assert_false(mutates);
    assert_true(wp_proto_op_known("resource.depend", &mutates));
    assert_true(mutates);
    assert_false(wp_proto_op_known("resource.explode", &mutates));
    assert_true(wp_proto_op_known("watch", &mutates));
    assert_false(mutates);
    assert_true(wp_proto_op_known("group.move", &mutates));
    assert_true(mutates);
    /* wolfpackd's own commands are not ops: no client may send them. */
    assert_false(wp_proto_op_known("resource.report", &mutates));
    assert_false(wp_proto_op_known("sched.commit", &mutates));
    assert_false(wp_proto_op_known(NULL, NULL));
}

/* ---- bad requests ---------------------------------------------------- */

static const struct {
    const char *json;
    wp_code code;
    const char *what_has; /* a piece of err.what (or why) */
} bad[] = {
    {"not json", WP_E_PROTO, "not valid JSON"},
    {"{\"op\":\"status\"", WP_E_PROTO, "not valid JSON"},
    {"{\"op\":\"status\"} trailing", WP_E_PROTO, "not valid JSON"},
    {"{\"op\":\"status\",\"op\":\"status\"}", WP_E_PROTO, "not valid JSON"},
    {"{\"op\":\"group.show\",\"args\":{\"name\":\"\xff\xfe\"}}", WP_E_PROTO, "not valid JSON"},
    {"{\"op\":\"group.show\",\"args\":{\"name\":\"a\\u0000b\"}}", WP_E_PROTO, "not valid JSON"},
    {"[\"status\"]", WP_E_PROTO, "not a JSON object"},
    {"\"status\"", WP_E_PROTO, "not a JSON object"},
    {"42", WP_E_PROTO, "not a JSON object"},
    {"null", WP_E_PROTO, "not a JSON object"},
    {"{}", WP_E_PROTO, "no \"op\""},
    {"{\"op\":7}", WP_E_PROTO, "no \"op\""},
    {"{\"op\":\"status\",\"args\":[]}", WP_E_PROTO, "\"args\" is not an object"},
    {"{\"op\":\"status\",\"id\":1}", WP_E_PROTO, "unknown key \"id\""},
    {"{\"op\":\"cluster.destroy\"}", WP_E_INVALID, "unknown op \"cluster.destroy\""},
    {"{\"op\":\"node.show\"}", WP_E_INVALID, "missing argument \"name\""},
    {"{\"op\":\"node.show\",\"args\":{\"name\":5}}", WP_E_INVALID, "\"name\" has the wrong"},
    {"{\"op\":\"status\",\"args\":{\"verbose\":true}}", WP_E_INVALID,
     "unknown argument \"verbose\""},
    {"{\"op\":\"node.add\",\"args\":{\"name\":\"n\",\"address\":\"a\",\"id\":\"1\"}}", WP_E_INVALID,
     "\"id\" has the wrong"},
    {"{\"op\":\"node.add\",\"args\":{\"name\":\"n\",\"address\":\"a\",\"id\":1.5}}", WP_E_INVALID,
     "\"id\" has the wrong"},
    {"{\"op\":\"node.add\",\"args\":{\"name\":\"n\",\"id\":1}}", WP_E_INVALID,
     "missing argument \"address\""},
    {"{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":{}}}", WP_E_INVALID,
     "\"nodes\" has the wrong"},
    {"{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":[\"n1\"]}}", WP_E_INVALID,
     "\"nodes\" has the wrong"},
    {"{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":[{\"name\":\"n1\","
     "\"address\":\"x\"}]}}",
     WP_E_INVALID, "nodes[0]: missing argument \"id\""},
    {"{\"op\":\"cluster.create\",\"args\":{\"name\":\"c\",\"nodes\":[{\"name\":\"n1\","
     "\"address\":\"x\",\"id\":1,\"ring\":0}]}}",
     WP_E_INVALID, "unknown argument \"ring\""},
    {"{\"op\":\"group.create\",\"args\":{\"name\":\"g\",\"policy\":{\"failback\":1}}}",
     WP_E_INVALID, "\"policy\" has the wrong"},
    {"{\"op\":\"group.set\",\"args\":{\"name\":\"g\"}}", WP_E_INVALID,
     "missing argument \"policy\""},
    {"{\"op\":\"resource.create\",\"args\":{\"name\":\"r\",\"group\":\"g\"}}", WP_E_INVALID,
     "missing argument \"type\""},
    {"{\"op\":\"resource.create\",\"args\":{\"name\":\"r\",\"group\":\"g\",\"type\":\"ip\","
     "\"props\":{\"address\":null}}}",
     WP_E_INVALID, "\"props\" has the wrong"},
    {"{\"op\":\"resource.create\",\"args\":{\"name\":\"r\",\"group\":\"g\",\"type\":\"ip\","
     "\"depends_on\":\"ip\"}}",
     WP_E_INVALID, "\"depends_on\" has the wrong"},
    {"{\"op\":\"resource.create\",\"args\":{\"name\":\"r\",\"group\":\"g\",\"type\":\"ip\","
     "\"depends_on\":[1]}}",
     WP_E_INVALID, "\"depends_on\" has the wrong"},
    {"{\"op\":\"resource.set\",\"args\":{\"name\":\"r\",\"props\":{\"a\":[]}}}", WP_E_INVALID,
     "\"props\" has the wrong"},
    {"{\"op\":\"resource.depend\",\"args\":{\"name\":\"r\"}}", WP_E_INVALID,
     "missing argument \"on\""},
    {"{\"op\":\"resource.list\",\"args\":{\"group\":null}}", WP_E_INVALID,
     "\"group\" has the wrong"},
    {"{\"op\":\"resource.report\",\"args\":{\"name\":\"r\",\"node\":\"n1\",\"state\":"
     "\"Online\",\"at\":1}}",
     WP_E_INVALID, "unknown op \"resource.report\""},
    {"{\"op\":\"sched.commit\",\"args\":{\"at\":1,\"coordinator\":\"n1\",\"decisions\":[]}}",
     WP_E_INVALID, "unknown op \"sched.commit\""},
    {"{\"op\":\"watch\",\"args\":{\"since\":1}}", WP_E_INVALID, "unknown argument \"since\""},
    {"{\"op\":\"group.move\",\"args\":{\"to\":\"n1\"}}", WP_E_INVALID, "missing argument \"name\""},
    {"{\"op\":\"group.move\",\"args\":{\"name\":\"g\",\"to\":null}}", WP_E_INVALID,
     "\"to\" has the wrong"},
    {"{\"op\":\"node.pause\",\"args\":{\"name\":\"n1\",\"force\":true}}", WP_E_INVALID,
     "unknown argument \"force\""},
    {"{\"op\":\"resource.fail\"}", WP_E_INVALID, "missing argument \"name\""},
    {"{\"op\":\"status\",\"args\":{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":1}}}"
     "}}}}}}",
     WP_E_PROTO, "nested too deeply"},
};

static void test_bad_requests(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        wp_request req;
        wp_err err = {0};
        if (decode(bad[i].json, &req, &err))
            fail_msg("accepted bad request %zu: %s", i, bad[i].json);
        assert_null(req.json);
        if (err.code != bad[i].code)
            fail_msg("request %zu %s: code %s, expected %s (%s)", i, bad[i].json,
                     wp_code_name(err.code), wp_code_name(bad[i].code), err.what);
        if (!strstr(err.what, bad[i].what_has))
            fail_msg("request %zu: \"%s\" lacks \"%s\"", i, err.what, bad[i].what_has);
        assert_true(err.why[0] != '\0');
        assert_true(err.todo[0] != '\0');
    }
}

static void test_nul_byte_and_lengths(void **state)
{
    static const unsigned char nul[] = "{\"op\":\"status\"}\0";
    wp_request req;
    wp_err err = {0};
    unsigned char *big;
    (void)state;

    assert_false(wp_proto_decode_request(nul, sizeof nul - 1, &req, &err));
    assert_int_equal(err.code, WP_E_PROTO);
    assert_non_null(strstr(err.why, "NUL"));

    assert_false(wp_proto_decode_request(nul, 0, &req, &err));
    assert_int_equal(err.code, WP_E_PROTO);

    big = calloc(1, WP_PROTO_MAX_FRAME + 1);
    assert_non_null(big);
    memset(big, ' ', WP_PROTO_MAX_FRAME + 1);
    assert_false(wp_proto_decode_request(big, WP_PROTO_MAX_FRAME + 1, &req, &err));
    assert_int_equal(err.code, WP_E_PROTO);
    assert_non_null(strstr(err.what, "bad length"));
    free(big);
}

/* ---- replies --------------------------------------------------------- */

static void test_replies(void **state)
{
    json_t *ok = wp_proto_reply_ok(json_pack("{s:i}", "n", 3), 17);
    json_t *result = NULL;
    wp_err err = {0}, back = {0};
    (void)state;

    assert_true(wp_proto_reply_parse(ok, &result, &back));
    assert_int_equal(json_integer_value(json_object_get(result, "n")), 3);
    assert_int_equal(json_integer_value(json_object_get(ok, "version")), 17);
    json_decref(ok);

    wp_errf(&err, WP_E_NOTFOUND, "no group \"%s\"", "web");
    wp_err_why(&err, "it was never created");
    wp_err_todo(&err, "create it");
    json_t *no = wp_proto_reply_err(&err);
    assert_false(wp_proto_reply_parse(no, &result, &back));
    assert_int_equal(back.code, WP_E_NOTFOUND);
    assert_string_equal(back.what, err.what);
    assert_string_equal(back.why, err.why);
    assert_string_equal(back.todo, err.todo);
    json_decref(no);

    json_t *junk = json_pack("{s:s}", "hello", "world");
    assert_false(wp_proto_reply_parse(junk, &result, &back));
    assert_int_equal(back.code, WP_E_PROTO);
    json_decref(junk);

    junk = json_pack("{s:b, s:s}", "ok", 0, "error", "boom");
    assert_false(wp_proto_reply_parse(junk, &result, &back));
    assert_int_equal(back.code, WP_E_PROTO);
    json_decref(junk);
}

/* ---- frames over a socket -------------------------------------------- */

static void test_frame_round_trip(void **state)
{
    int sv[2];
    wp_err err = {0};
    json_t *v = json_pack("{s:s, s:{s:s}}", "op", "group.show", "args", "name", "caf\xc3\xa9");
    json_t *back;
    (void)state;

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    assert_true(wp_proto_send(sv[0], v, &err));
    back = wp_proto_recv(sv[1], &err);
    assert_non_null(back);
    assert_true(json_equal(v, back));
    json_decref(back);
    json_decref(v);
    close(sv[0]);
    close(sv[1]);
}

static void write_raw(int fd, const void *buf, size_t len)
{
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
}

static wp_err recv_error(const void *bytes, size_t len)
{
    int sv[2];
    wp_err err = {0};

    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    if (len)
        write_raw(sv[0], bytes, len);
    close(sv[0]);
    assert_null(wp_proto_recv(sv[1], &err));
    close(sv[1]);
    return err;
}

static void test_bad_frames(void **state)
{
    uint32_t zero = htonl(0), huge = htonl(WP_PROTO_MAX_REPLY + 1);
    unsigned char trunc[14];
    uint32_t hundred = htonl(100);
    wp_err err;
    (void)state;

    err = recv_error(&zero, 4);
    assert_int_equal(err.code, WP_E_PROTO);
    assert_non_null(strstr(err.what, "bad length"));

    err = recv_error(&huge, 4);
    assert_int_equal(err.code, WP_E_PROTO);
    assert_non_null(strstr(err.what, "bad length"));

    memcpy(trunc, &hundred, 4);
    memcpy(trunc + 4, "{\"ok\":true", 10);
    err = recv_error(trunc, sizeof trunc);
    assert_int_equal(err.code, WP_E_PROTO);
    assert_non_null(strstr(err.what, "truncated"));

    err = recv_error(&hundred, 2); /* EOF inside the length */
    assert_int_equal(err.code, WP_E_PROTO);
    assert_non_null(strstr(err.what, "truncated"));

    err = recv_error(NULL, 0); /* EOF before anything */
    assert_int_equal(err.code, WP_E_UNAVAILABLE);
}

static void test_encode_limits(void **state)
{
    unsigned char *frame = NULL;
    size_t len = 0;
    wp_err err = {0};
    char *s = malloc(WP_PROTO_MAX_FRAME + 1);
    (void)state;

    assert_non_null(s);
    memset(s, 'x', WP_PROTO_MAX_FRAME);
    s[WP_PROTO_MAX_FRAME] = '\0';
    json_t *v = json_pack("{s:s}", "big", s);
    free(s);
    assert_false(wp_proto_encode_frame(v, &frame, &len, &err));
    assert_int_equal(err.code, WP_E_PROTO);
    assert_null(frame);
    json_decref(v);

    v = json_pack("{s:b}", "ok", 1);
    assert_true(wp_proto_encode_frame(v, &frame, &len, &err));
    uint32_t be;
    memcpy(&be, frame, 4);
    assert_int_equal(ntohl(be), len - 4);
    assert_memory_equal(frame + 4, "{\"ok\":true}", len - 4);
    free(frame);
    json_decref(v);
}

/* A JSON object {"big": "xxx..."} whose compact text is exactly len bytes. */
static json_t *object_of_size(size_t len)
{
    const size_t overhead = strlen("{\"big\":\"\"}");
    char *s = malloc(len - overhead + 1);
    assert_non_null(s);
    memset(s, 'x', len - overhead);
    s[len - overhead] = '\0';
    json_t *v = json_pack("{s:s}", "big", s);
    free(s);
    assert_non_null(v);
    return v;
}

static void test_reply_encode_limits(void **state)
{
    unsigned char *frame = NULL;
    size_t len = 0;
    wp_err err = {0};
    (void)state;

    /* 2 MiB: too large for a request, fine for a reply */
    json_t *v = object_of_size(2u << 20);
    assert_false(wp_proto_encode_frame(v, &frame, &len, &err));
    assert_int_equal(err.code, WP_E_PROTO);
    assert_true(wp_proto_encode_reply(v, &frame, &len, &err));
    assert_int_equal(len, (2u << 20) + 4);
    uint32_t be;
    memcpy(&be, frame, 4);
    assert_int_equal(ntohl(be), 2u << 20);
    assert_memory_equal(frame + 4, "{\"big\":\"xxx", 11);
    free(frame);
    json_decref(v);

    /* exactly the reply limit passes, one byte more does not */
    v = object_of_size(WP_PROTO_MAX_REPLY);
    assert_true(wp_proto_encode_reply(v, &frame, &len, &err));
    assert_int_equal(len, WP_PROTO_MAX_REPLY + 4);
    free(frame);
    json_decref(v);
    v = object_of_size(WP_PROTO_MAX_REPLY + 1);
    frame = NULL;
    err = (wp_err){0};
    assert_false(wp_proto_encode_reply(v, &frame, &len, &err));
    assert_null(frame);
    assert_int_equal(err.code, WP_E_PROTO);
    assert_non_null(strstr(err.what, "too large"));
    assert_non_null(strstr(err.why, "64 MiB"));
    assert_true(err.todo[0] != '\0');
    json_decref(v);
}

typedef struct writer {
    int fd;
    const unsigned char *buf;
    size_t len;
} writer;

static void *write_thread(void *arg)
{
    writer *w = arg;
    size_t off = 0;

    while (off < w->len) {
        ssize_t n = write(w->fd, w->buf + off, w->len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    close(w->fd);
    return NULL;
}

static void test_reply_recv_limits(void **state)
{
    int sv[2];
    wp_err err = {0};
    unsigned char *frame;
    size_t len;
    pthread_t t;
    (void)state;

    /* a 3 MiB reply is read whole (the writer runs in a thread: the socket
     * buffer is smaller than the frame) */
    json_t *v = object_of_size(3u << 20);
    assert_true(wp_proto_encode_reply(v, &frame, &len, &err));
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    writer w = {.fd = sv[0], .buf = frame, .len = len};
    assert_int_equal(pthread_create(&t, NULL, write_thread, &w), 0);
    json_t *back = wp_proto_recv(sv[1], &err);
    pthread_join(t, NULL);
    close(sv[1]);
    free(frame);
    assert_non_null(back);
    assert_true(json_equal(v, back));
    json_decref(back);
    json_decref(v);

    /* a length just above the request limit is a valid reply length: what
     * fails is the missing body, not the length */
    uint32_t above = htonl(WP_PROTO_MAX_FRAME + 1);
    err = recv_error(&above, 4);
    assert_int_equal(err.code, WP_E_PROTO);
    assert_non_null(strstr(err.what, "truncated"));

    /* at the reply limit the length is still accepted, above it refused */
    uint32_t at = htonl(WP_PROTO_MAX_REPLY);
    err = recv_error(&at, 4);
    assert_non_null(strstr(err.what, "truncated"));
    uint32_t over = htonl(WP_PROTO_MAX_REPLY + 1);
    err = recv_error(&over, 4);
    assert_int_equal(err.code, WP_E_PROTO);
    assert_non_null(strstr(err.what, "bad length"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_requests),
        cmocka_unit_test(test_args_default_to_empty_object),
        cmocka_unit_test(test_op_known),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_nul_byte_and_lengths),
        cmocka_unit_test(test_replies),
        cmocka_unit_test(test_frame_round_trip),
        cmocka_unit_test(test_bad_frames),
        cmocka_unit_test(test_encode_limits),
        cmocka_unit_test(test_reply_encode_limits),
        cmocka_unit_test(test_reply_recv_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
