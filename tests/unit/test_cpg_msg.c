/*
 * test_cpg_msg.c -- unit tests of the Corosync transport's pure parts:
 * the message wire format (src/repl/cpg_msg.c) and the decisions of the
 * sync protocol (src/repl/cpg_sync.c: leader choice, check majority).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/repl/cpg_internal.h"

#define SUM_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SUM_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define SUM_0 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char cmd_json[] = "{\"op\":\"group.create\",\"args\":{\"name\":\"g1\"}}";
static const char cmd_json2[] = "{\"op\":\"group.delete\",\"args\":{\"name\":\"g1\"}}";

/* Two commands in one CMD body (built once). */
static const wp_cpg_cmdbuf *two_cmds(void)
{
    static wp_cpg_cmdbuf b;

    if (b.count == 0) {
        assert_true(wp_cpg_cmdbuf_add(&b, 0x0102030405060708ull, cmd_json, strlen(cmd_json), NULL));
        assert_true(wp_cpg_cmdbuf_add(&b, 9, cmd_json2, strlen(cmd_json2), NULL));
    }
    return &b;
}
static const unsigned char chunk[] = {1, 2, 3, 4, 5, 0, 255};

/* One valid message of every type. */
static wp_cpg_msg sample(wp_cpg_type type)
{
    wp_cpg_msg m = {.type = type};

    switch (type) {
    case WP_CPG_CMD:
        m.u.cmd.acked = 31;
        m.u.cmd.count = two_cmds()->count;
        m.u.cmd.entries = two_cmds()->p;
        m.u.cmd.len = two_cmds()->len;
        break;
    case WP_CPG_ACK:
        m.u.ack.version = 123456789012345;
        break;
    case WP_CPG_SYNC_START:
        m.u.start.epoch = (wp_cpg_epoch){7, 0xfedcba9876543210ull};
        break;
    case WP_CPG_SYNC_STATE:
        m.u.state.epoch = (wp_cpg_epoch){3, 99};
        m.u.state.version = 42;
        strcpy(m.u.state.checksum, SUM_0);
        m.u.state.dirty = true;
        m.u.state.trusted = false;
        break;
    case WP_CPG_SNAP:
        m.u.snap.epoch = (wp_cpg_epoch){3, 99};
        m.u.snap.total = 100;
        m.u.snap.offset = 93;
        m.u.snap.data = chunk;
        m.u.snap.len = sizeof chunk;
        break;
    case WP_CPG_CHECK_REQ:
        m.u.check_req.token = 77;
        break;
    case WP_CPG_CHECK_REPLY:
        m.u.check_reply.token = 77;
        m.u.check_reply.version = 5;
        strcpy(m.u.check_reply.checksum, SUM_A);
        break;
    default:
        break;
    }
    return m;
}

static void encode_ok(const wp_cpg_msg *m, unsigned char **buf, size_t *len)
{
    wp_err err = {0};

    assert_true(wp_cpg_msg_encode(m, buf, len, &err));
    assert_int_equal(err.code, WP_OK);
    assert_true(*len >= WP_CPG_HEADER_LEN);
}

static void test_round_trip(void **state)
{
    (void)state;
    for (int t = WP_CPG_CMD; t < WP_CPG__TYPE_END; t++) {
        wp_cpg_msg in = sample((wp_cpg_type)t), out;
        unsigned char *buf;
        size_t len;
        wp_err err = {0};

        encode_ok(&in, &buf, &len);
        assert_true(wp_cpg_msg_decode(buf, len, &out, &err));
        assert_int_equal(out.type, t);
        switch (t) {
        case WP_CPG_CMD: {
            wp_cpg_cmd_iter it;
            uint64_t seq;
            const unsigned char *json;
            size_t jlen;
            assert_int_equal(out.u.cmd.count, 2);
            assert_int_equal(out.u.cmd.acked, 31);
            wp_cpg_cmd_iter_init(&it, &out);
            assert_true(wp_cpg_cmd_next(&it, &seq, &json, &jlen));
            assert_int_equal(seq, 0x0102030405060708ull);
            assert_int_equal(jlen, strlen(cmd_json));
            assert_memory_equal(json, cmd_json, jlen);
            assert_true(wp_cpg_cmd_next(&it, &seq, &json, &jlen));
            assert_int_equal(seq, 9);
            assert_memory_equal(json, cmd_json2, jlen);
            assert_false(wp_cpg_cmd_next(&it, &seq, &json, &jlen));
            break;
        }
        case WP_CPG_ACK:
            assert_int_equal(out.u.ack.version, in.u.ack.version);
            break;
        case WP_CPG_SYNC_START:
            assert_int_equal(out.u.start.epoch.nodeid, 7);
            assert_int_equal(out.u.start.epoch.counter, in.u.start.epoch.counter);
            break;
        case WP_CPG_SYNC_STATE:
            assert_int_equal(out.u.state.version, 42);
            assert_string_equal(out.u.state.checksum, SUM_0);
            assert_true(out.u.state.dirty);
            assert_false(out.u.state.trusted);
            assert_int_equal(out.u.state.epoch.counter, 99);
            break;
        case WP_CPG_SNAP:
            assert_int_equal(out.u.snap.total, 100);
            assert_int_equal(out.u.snap.offset, 93);
            assert_int_equal(out.u.snap.len, sizeof chunk);
            assert_memory_equal(out.u.snap.data, chunk, sizeof chunk);
            break;
        case WP_CPG_CHECK_REQ:
            assert_int_equal(out.u.check_req.token, 77);
            break;
        case WP_CPG_CHECK_REPLY:
            assert_int_equal(out.u.check_reply.version, 5);
            assert_string_equal(out.u.check_reply.checksum, SUM_A);
            break;
        }
        free(buf);
    }
}

/* Every strict prefix and every one-byte extension of a valid message is refused. */
static void test_truncated_and_trailing(void **state)
{
    (void)state;
    for (int t = WP_CPG_CMD; t < WP_CPG__TYPE_END; t++) {
        wp_cpg_msg in = sample((wp_cpg_type)t), out;
        unsigned char *buf;
        size_t len;

        encode_ok(&in, &buf, &len);
        for (size_t cut = 0; cut < len; cut++) {
            wp_err err = {0};
            assert_false(wp_cpg_msg_decode(buf, cut, &out, &err));
            assert_int_equal(err.code, WP_E_PROTO);
            assert_true(err.why[0] != '\0');
        }
        unsigned char *longer = malloc(len + 1);
        memcpy(longer, buf, len);
        longer[len] = 0;
        wp_err err = {0};
        assert_false(wp_cpg_msg_decode(longer, len + 1, &out, &err));
        assert_int_equal(err.code, WP_E_PROTO);
        free(longer);
        free(buf);
    }
}

/* Patch one byte of a valid message and expect a refusal. */
static void refuse_patched(wp_cpg_type type, size_t at, unsigned char value)
{
    wp_cpg_msg in = sample(type), out;
    unsigned char *buf;
    size_t len;
    wp_err err = {0};

    encode_ok(&in, &buf, &len);
    assert_true(at < len);
    buf[at] = value;
    assert_false(wp_cpg_msg_decode(buf, len, &out, &err));
    assert_int_equal(err.code, WP_E_PROTO);
    free(buf);
}

static void test_bad_header(void **state)
{
    (void)state;
    refuse_patched(WP_CPG_ACK, 0, 'X'); /* magic */
    refuse_patched(WP_CPG_ACK, 4, 2);   /* protocol version */
    refuse_patched(WP_CPG_ACK, 6, 0);   /* type 0 */
    refuse_patched(WP_CPG_ACK, 6, 99);  /* unknown type */
    refuse_patched(WP_CPG_ACK, 7, 1);   /* type high byte */
    assert_false(wp_cpg_msg_decode(NULL, 0, &(wp_cpg_msg){0}, NULL));
}

static void test_bad_fields(void **state)
{
    (void)state;
    const size_t h = WP_CPG_HEADER_LEN;

    /* CMD: a count larger than the entries, zero, over the limit; an entry length
     * larger than the bytes that follow, or zero */
    refuse_patched(WP_CPG_CMD, h + 8, 3);
    refuse_patched(WP_CPG_CMD, h + 8, 0);
    refuse_patched(WP_CPG_CMD, h + 8 + 3, 0x10);
    refuse_patched(WP_CPG_CMD, h + 12 + 8, 0xff);
    refuse_patched(WP_CPG_CMD, h + 12 + 8, 0);
    /* CMD: a negative piggybacked ACK */
    refuse_patched(WP_CPG_CMD, h + 7, 0x80);
    /* ACK: negative version */
    refuse_patched(WP_CPG_ACK, h + 7, 0x80);
    /* SYNC_STATE: a checksum byte that is not lower-case hex, unknown flags */
    refuse_patched(WP_CPG_SYNC_STATE, h + 12 + 8, 'G');
    refuse_patched(WP_CPG_SYNC_STATE, h + 12 + 8 + 5, 'A');
    refuse_patched(WP_CPG_SYNC_STATE, h + 12 + 8 + 64, 4);
    /* SNAP: offset beyond total, chunk beyond total, chunk over the limit */
    refuse_patched(WP_CPG_SNAP, h + 12 + 8, 101);
    refuse_patched(WP_CPG_SNAP, h + 12 + 8, 95);
    refuse_patched(WP_CPG_SNAP, h + 12 + 8 + 8 + 3, 1);
    /* CHECK_REPLY: bad checksum */
    refuse_patched(WP_CPG_CHECK_REPLY, h + 16 + 63, 'z');
}

static void test_encode_refuses(void **state)
{
    (void)state;
    wp_cpg_msg m = sample(WP_CPG_CMD);
    unsigned char *buf = NULL;
    size_t len = 0;
    wp_err err = {0};
    wp_cpg_cmdbuf b = {0};

    /* a command larger than the limit, or empty, is refused before it is queued */
    char *big = calloc(1, WP_CPG_CMD_MAX + 2);
    memset(big, ' ', WP_CPG_CMD_MAX + 1);
    assert_false(wp_cpg_cmdbuf_add(&b, 1, big, WP_CPG_CMD_MAX + 1, &err));
    assert_int_equal(err.code, WP_E_INVALID);
    assert_int_equal(b.count, 0);
    assert_false(wp_cpg_cmdbuf_add(&b, 1, "", 0, &err));
    free(big);
    wp_cpg_cmdbuf_free(&b);
    /* a CMD message without commands */
    m.u.cmd.count = 0;
    assert_false(wp_cpg_msg_encode(&m, &buf, &len, &err));
    assert_int_equal(err.code, WP_E_INTERNAL);

    m = sample(WP_CPG_SYNC_STATE);
    strcpy(m.u.state.checksum, "short");
    assert_false(wp_cpg_msg_encode(&m, &buf, &len, &err));
    assert_int_equal(err.code, WP_E_INTERNAL);

    m.type = (wp_cpg_type)0;
    assert_false(wp_cpg_msg_encode(&m, &buf, &len, &err));
    assert_null(buf);
}

/* Random bytes (fixed seed) behind a valid header: refused or decoded, never a crash. */
static void test_random_bytes(void **state)
{
    (void)state;
    unsigned seed = 12345;
    unsigned char buf[256];
    int accepted = 0;

    for (int round = 0; round < 20000; round++) {
        size_t len = (size_t)(rand_r(&seed) % (int)sizeof buf);
        for (size_t i = 0; i < len; i++)
            buf[i] = (unsigned char)rand_r(&seed);
        if (len >= 8 && round % 2) {
            memcpy(buf, "1RPW", 4); /* magic, little-endian */
            buf[4] = 1, buf[5] = 0;
            buf[6] = (unsigned char)(1 + rand_r(&seed) % 7), buf[7] = 0;
        }
        wp_cpg_msg m;
        if (wp_cpg_msg_decode(buf, len, &m, NULL)) {
            accepted++;
            assert_true(m.type > 0 && m.type < WP_CPG__TYPE_END);
        }
    }
    /* fixed-size bodies (ACK, SYNC_START, CHECK_REQ) do decode from random bytes */
    assert_true(accepted > 0);
}

static wp_cpg_state st(uint32_t id, int64_t v, const char *sum, bool dirty, bool trusted)
{
    wp_cpg_state s = {.nodeid = id, .version = v, .dirty = dirty, .trusted = trusted};

    strcpy(s.checksum, sum);
    return s;
}

static void test_leader_choice(void **state)
{
    (void)state;
    /* highest version wins */
    wp_cpg_state a[] = {st(1, 5, SUM_A, false, false), st(2, 9, SUM_B, false, false),
                        st(3, 7, SUM_A, false, false)};
    assert_int_equal(wp_cpg_choose_leader(a, 3), 1);
    /* a tie goes to the lowest nodeid, wherever it is in the list */
    wp_cpg_state b[] = {st(4, 9, SUM_A, false, false), st(2, 9, SUM_A, false, false),
                        st(3, 9, SUM_A, false, false)};
    assert_int_equal(wp_cpg_choose_leader(b, 3), 1);
    /* a dirty node is never leader, even with the highest version */
    wp_cpg_state c[] = {st(1, 100, SUM_A, true, true), st(2, 3, SUM_B, false, false)};
    assert_int_equal(wp_cpg_choose_leader(c, 2), 1);
    /* a trusted node (stayed in the quorate partition) beats a higher untrusted version */
    wp_cpg_state d[] = {st(3, 12, SUM_A, false, false), st(1, 10, SUM_B, false, true),
                        st(2, 10, SUM_B, false, true)};
    assert_int_equal(wp_cpg_choose_leader(d, 3), 1);
    /* all dirty: still one leader (the best of them) */
    wp_cpg_state e[] = {st(2, 1, SUM_A, true, false), st(1, 1, SUM_A, true, false)};
    assert_int_equal(wp_cpg_choose_leader(e, 2), 1);
    /* one member */
    assert_int_equal(wp_cpg_choose_leader(a, 1), 0);
}

static void test_state_matches(void **state)
{
    (void)state;
    wp_cpg_state x = st(1, 5, SUM_A, false, false), y = st(2, 5, SUM_A, true, true);

    assert_true(wp_cpg_state_matches(&x, &y));
    y.version = 6;
    assert_false(wp_cpg_state_matches(&x, &y));
    y = st(2, 5, SUM_B, false, false);
    assert_false(wp_cpg_state_matches(&x, &y));
}

static wp_cpg_reply rep(uint32_t id, int64_t v, const char *sum)
{
    wp_cpg_reply r = {.nodeid = id, .version = v};

    strcpy(r.checksum, sum);
    return r;
}

static void test_check_majority(void **state)
{
    (void)state;
    /* two against one: the odd one out is not the majority */
    wp_cpg_reply a[] = {rep(1, 5, SUM_B), rep(2, 5, SUM_A), rep(3, 5, SUM_A)};
    size_t m = wp_cpg_check_majority(a, 3);
    assert_string_equal(a[m].checksum, SUM_A);
    /* a tie between two answers: the one held by the lowest nodeid */
    wp_cpg_reply b[] = {rep(4, 5, SUM_A), rep(2, 5, SUM_B), rep(3, 5, SUM_A), rep(1, 5, SUM_B)};
    m = wp_cpg_check_majority(b, 4);
    assert_string_equal(b[m].checksum, SUM_B);
    /* same checksum, different versions are different answers */
    wp_cpg_reply c[] = {rep(1, 6, SUM_A), rep(2, 5, SUM_A), rep(3, 5, SUM_A)};
    m = wp_cpg_check_majority(c, 3);
    assert_int_equal(c[m].version, 5);
    /* everyone agrees */
    wp_cpg_reply d[] = {rep(2, 1, SUM_0), rep(1, 1, SUM_0)};
    m = wp_cpg_check_majority(d, 2);
    assert_string_equal(d[m].checksum, SUM_0);
}

static void test_checksum_valid(void **state)
{
    (void)state;
    assert_true(wp_cpg_checksum_valid(SUM_0));
    assert_false(wp_cpg_checksum_valid(""));
    assert_false(wp_cpg_checksum_valid(SUM_0 "0"));
    assert_false(
        wp_cpg_checksum_valid("ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),     cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_bad_header),     cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_encode_refuses), cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_leader_choice),  cmocka_unit_test(test_state_matches),
        cmocka_unit_test(test_check_majority), cmocka_unit_test(test_checksum_valid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
