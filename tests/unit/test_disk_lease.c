/*
 * test_disk_lease.c -- the pure half of the Physical Disk lease
 * (src/agents/disk_lease.c): record encoding and the refusal of damaged
 * records, the observer and the takeover wait, the keeper's decisions with
 * a fake clock, and the no-overlap argument of docs/DISK.md checked on a
 * grid of timings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/agents/disk.h"

static wp_disk_lease sample_lease(void)
{
    wp_disk_lease l = {0};
    for (int i = 0; i < 16; i++)
        l.uuid[i] = (uint8_t)(i * 7 + 1);
    strcpy(l.owner, "n2");
    l.nonce = 0x1122334455667788ull;
    l.generation = 42;
    l.counter = 1000;
    l.lease_ms = 1200;
    l.wall_ms = 1795000000123;
    return l;
}

static void test_lease_roundtrip(void **state)
{
    (void)state;
    wp_disk_lease l = sample_lease(), back;
    unsigned char rec[WP_DISK_REC_BYTES];
    wp_disk_lease_encode(&l, rec);
    wp_err err = {0};
    assert_true(wp_disk_lease_decode(rec, &back, &err));
    assert_true(wp_disk_lease_same(&l, &back));
    assert_memory_equal(l.uuid, back.uuid, 16);
    assert_int_equal(back.lease_ms, 1200);
    assert_int_equal(back.wall_ms, l.wall_ms);
    assert_true(wp_disk_lease_is_mine(&back, "n2", l.nonce));
    assert_false(wp_disk_lease_is_mine(&back, "n2", l.nonce + 1));
    assert_false(wp_disk_lease_is_mine(&back, "n1", l.nonce));
    back.flags = WP_DISK_F_RELEASED;
    assert_false(wp_disk_lease_is_mine(&back, "n2", l.nonce));
    assert_true(wp_disk_lease_free(&back));
}

static void test_damaged_refused(void **state)
{
    (void)state;
    wp_disk_lease l = sample_lease(), back;
    unsigned char rec[WP_DISK_REC_BYTES], bad[WP_DISK_REC_BYTES];
    wp_disk_lease_encode(&l, rec);
    wp_err err;
    /* every single flipped bit of the record is refused */
    for (int i = 0; i < WP_DISK_REC_BYTES * 8; i++) {
        memcpy(bad, rec, sizeof bad);
        bad[i / 8] ^= (unsigned char)(1u << (i % 8));
        assert_false(wp_disk_lease_decode(bad, &back, &err));
        assert_int_equal(err.code, WP_E_CORRUPT);
    }
    /* a torn write: the first half new, the second half old */
    wp_disk_lease l2 = l;
    l2.counter++;
    unsigned char rec2[WP_DISK_REC_BYTES];
    wp_disk_lease_encode(&l2, rec2);
    memcpy(bad, rec2, 256);
    memcpy(bad + 256, rec, 256);
    assert_false(wp_disk_lease_decode(bad, &back, &err));
    /* zeros, and a header where a lease should be */
    memset(bad, 0, sizeof bad);
    assert_false(wp_disk_lease_decode(bad, &back, &err));
    assert_non_null(strstr(err.what, "no wolfpack lease record"));
    wp_disk_header h = {.lease_ms = 1200, .fs_bytes = 1 << 20, .fstype = "ext4"};
    wp_disk_header_encode(&h, bad);
    assert_false(wp_disk_lease_decode(bad, &back, &err));
}

static void test_header(void **state)
{
    (void)state;
    wp_disk_header h = {
        .lease_ms = 1200, .fs_bytes = 66060288, .created = 1795000000, .fstype = "ext4", .mmp = 1};
    h.uuid[0] = 0xab;
    unsigned char rec[WP_DISK_REC_BYTES];
    wp_disk_header_encode(&h, rec);
    wp_disk_header back;
    wp_err err;
    assert_true(wp_disk_header_decode(rec, &back, &err));
    assert_int_equal(back.version, WP_DISK_VERSION);
    assert_int_equal(back.fs_bytes, 66060288);
    assert_string_equal(back.fstype, "ext4");
    assert_int_equal(back.mmp, 1);
    assert_int_equal(back.uuid[0], 0xab);
    /* an impossible lease length is refused even with a good checksum */
    h.lease_ms = 5;
    wp_disk_header_encode(&h, rec);
    assert_false(wp_disk_header_decode(rec, &back, &err));
    rec[WP_DISK_REC_BYTES - 1] ^= 1;
    assert_false(wp_disk_header_decode(rec, &back, &err));
    char text[37];
    memset(h.uuid, 0x0f, 16);
    wp_disk_uuid_text(h.uuid, text);
    assert_string_equal(text, "0f0f0f0f-0f0f-0f0f-0f0f-0f0f0f0f0f0f");
}

static void test_area_offset(void **state)
{
    (void)state;
    assert_int_equal(wp_disk_area_offset(1 << 20), 0);
    assert_int_equal(wp_disk_area_offset(64ull << 20), 63ull << 20);
    /* not a multiple of 4096: rounded down */
    assert_int_equal(wp_disk_area_offset((64ull << 20) + 512), 63ull << 20);
    assert_int_equal(wp_disk_area_offset((64ull << 20) + 5000), (63ull << 20) + 4096);
}

static void test_takeover_wait(void **state)
{
    (void)state;
    const int64_t L = 1200;
    wp_disk_observer obs = {0};
    assert_int_equal(wp_disk_takeover_wait_ms(&obs, L, 0), -1);
    wp_disk_lease l = sample_lease();
    wp_disk_observe(&obs, &l, true, 1000);
    assert_int_equal(wp_disk_takeover_wait_ms(&obs, L, 1000), L + 1);
    /* unchanged samples do not restart the wait */
    wp_disk_observe(&obs, &l, true, 1300);
    wp_disk_observe(&obs, &l, true, 1600);
    assert_int_equal(wp_disk_takeover_wait_ms(&obs, L, 1600), 601);
    /* a renewal restarts it */
    l.counter++;
    wp_disk_observe(&obs, &l, true, 1900);
    assert_int_equal(wp_disk_takeover_wait_ms(&obs, L, 1900), L + 1);
    /* strictly more than L */
    assert_int_equal(wp_disk_takeover_wait_ms(&obs, L, 1900 + L), 1);
    assert_int_equal(wp_disk_takeover_wait_ms(&obs, L, 1901 + L), 0);
    /* a damaged read counts as a change */
    wp_disk_observe(&obs, &l, false, 5000);
    assert_int_equal(wp_disk_takeover_wait_ms(&obs, L, 5000), L + 1);
    /* a released lease can be claimed at once */
    l.flags = WP_DISK_F_RELEASED;
    wp_disk_observe(&obs, &l, true, 5100);
    assert_int_equal(wp_disk_takeover_wait_ms(&obs, L, 5100), 0);
    /* an observer that watched for a while pays only what remains of L */
    wp_disk_observer w = {0};
    wp_disk_lease h = sample_lease();
    wp_disk_observe(&w, &h, true, 0);
    for (int64_t t = 300; t <= 2100; t += 300)
        wp_disk_observe(&w, &h, true, t);
    assert_int_equal(wp_disk_takeover_wait_ms(&w, L, 2100), 0);
}

static void test_keeper_decide(void **state)
{
    (void)state;
    const int64_t L = 1200;
    wp_disk_keeper_clock c = {.lease_ms = L, .last_hb_ms = 0};
    wp_disk_keeper_renewed(&c, 0, 5);
    assert_int_equal(c.deadline_ms, L - L / 4);
    assert_int_equal(c.next_renew_ms, L / 3); /* from the renewal's start */
    assert_int_equal(wp_disk_keeper_decide(&c, 100), WP_DISK_WAIT);
    assert_int_equal(wp_disk_keeper_next(&c), L / 3);
    assert_int_equal(wp_disk_keeper_decide(&c, L / 3), WP_DISK_RENEW);
    /* a slow write (600 ms: past L - L/4 - L/3 = 500) still leaves time for
     * the next renewal before the deadline: it starts at once, no fence */
    wp_disk_keeper_renewed(&c, 0, 600);
    c.last_hb_ms = 500;
    assert_int_equal(c.deadline_ms, L - L / 4);
    assert_int_equal(wp_disk_keeper_decide(&c, 600), WP_DISK_RENEW);
    assert_int_equal(wp_disk_keeper_decide(&c, 899), WP_DISK_RENEW);
    /* heartbeats stop: fence past L/2 */
    c.last_hb_ms = 0;
    c.next_renew_ms = 10000;
    assert_int_equal(wp_disk_keeper_decide(&c, L / 2), WP_DISK_WAIT);
    assert_int_equal(wp_disk_keeper_decide(&c, L / 2 + 1), WP_DISK_FENCE_HB);
    /* frozen past the deadline, heartbeats waiting in the FIFO: the deadline
     * wins over renewing and over a fresh heartbeat */
    c.last_hb_ms = 5000;
    c.next_renew_ms = 0;
    assert_int_equal(wp_disk_keeper_decide(&c, 5000), WP_DISK_FENCE_LEASE);
    assert_int_equal(wp_disk_keeper_decide(&c, c.deadline_ms), WP_DISK_FENCE_LEASE);
    assert_int_equal(wp_disk_keeper_decide(&c, c.deadline_ms - 1), WP_DISK_RENEW);
}

static void test_fence_late(void **state)
{
    (void)state;
    const int64_t L = 1200; /* deadline = start + 900; late after + 150 */
    assert_false(wp_disk_fence_late(900, L, 900));
    assert_false(wp_disk_fence_late(900, L, 1050));
    assert_true(wp_disk_fence_late(900, L, 1051));
    /* a late fence still begins before a taker's earliest claim would be
     * unsafe: on time means start + L - margin/2 < start + L */
    for (int64_t l = WP_DISK_MIN_LEASE_MS; l <= 5000; l += 50)
        assert_true(wp_disk_owner_deadline(0, l) + wp_disk_margin_ms(l) / 2 < l);
}

static void test_pr_key(void **state)
{
    (void)state;
    assert_true(wp_disk_pr_key("") != 0);
    assert_true(wp_disk_pr_key("n1") != wp_disk_pr_key("n2"));
    assert_true(wp_disk_pr_key("n1") == wp_disk_pr_key("n1"));
    assert_true(wp_disk_pr_key("n1") & 1);
}

/* The timing argument: for every owner write start w (its deadline is
 * w + L - margin) and any observation of that write by a taker at o >= w,
 * the taker's earliest claim (o + wait) comes after the owner stopped. */
static void test_no_overlap_grid(void **state)
{
    (void)state;
    for (int64_t L = WP_DISK_MIN_LEASE_MS; L <= 3000; L += 100) {
        for (int64_t w = 0; w < 500; w += 37) {
            int64_t owner_stop = wp_disk_owner_deadline(w, L);
            for (int64_t o = w; o < w + 2 * L; o += 53) {
                wp_disk_observer obs = {0};
                wp_disk_lease l = sample_lease();
                wp_disk_observe(&obs, &l, true, o);
                int64_t wait = wp_disk_takeover_wait_ms(&obs, L, o);
                assert_true(o + wait > owner_stop);
                assert_true(o + wait > w + L);
            }
        }
        /* the renewal period leaves room before the deadline */
        assert_true(wp_disk_renew_ms(L) < L - wp_disk_margin_ms(L));
        assert_true(wp_disk_heartbeat_ms(L) < L - wp_disk_margin_ms(L));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lease_roundtrip), cmocka_unit_test(test_damaged_refused),
        cmocka_unit_test(test_header),          cmocka_unit_test(test_area_offset),
        cmocka_unit_test(test_takeover_wait),   cmocka_unit_test(test_keeper_decide),
        cmocka_unit_test(test_fence_late),      cmocka_unit_test(test_pr_key),
        cmocka_unit_test(test_no_overlap_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
