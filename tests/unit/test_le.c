/*
 * test_le.c -- little-endian fields (src/lib/le.h): the bytes on the wire
 * and on the disk are least significant first on every host, at any
 * alignment, and read back to the same values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/lib/le.h"

static void test_byte_order(void **state)
{
    (void)state;
    unsigned char b[8];
    wp_le16_put(b, 0x0102);
    assert_memory_equal(b, "\x02\x01", 2);
    wp_le32_put(b, 0x01020304u);
    assert_memory_equal(b, "\x04\x03\x02\x01", 4);
    wp_le64_put(b, 0x0102030405060708ull);
    assert_memory_equal(b, "\x08\x07\x06\x05\x04\x03\x02\x01", 8);
    const unsigned char in[8] = {0xff, 0, 0, 0, 0, 0, 0, 0x80};
    assert_int_equal(wp_le16_get(in), 0x00ff);
    assert_int_equal(wp_le32_get(in), 0x000000ffu);
    assert_true(wp_le64_get(in) == 0x80000000000000ffull);
}

static void test_round_trip_unaligned(void **state)
{
    (void)state;
    unsigned char buf[32];
    const uint64_t values[] = {0, 1, 0xdeadbeefcafef00dull, UINT64_MAX};
    for (size_t off = 0; off < 8; off++) {
        for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
            memset(buf, 0xaa, sizeof buf);
            wp_le64_put(buf + off, values[i]);
            assert_true(wp_le64_get(buf + off) == values[i]);
            wp_le32_put(buf + off + 8, (uint32_t)values[i]);
            assert_int_equal(wp_le32_get(buf + off + 8), (uint32_t)values[i]);
            wp_le16_put(buf + off + 12, (uint16_t)values[i]);
            assert_int_equal(wp_le16_get(buf + off + 12), (uint16_t)values[i]);
            assert_int_equal(buf[off + 14], 0xaa); /* nothing written past the field */
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_byte_order),
        cmocka_unit_test(test_round_trip_unaligned),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
