/*
 * test_text.c -- wp_text_escape (src/lib/text.c): what an attacker would
 * put in a name, a property value or an agent's error (ESC sequences, OSC
 * titles, CR, newlines, C1 CSI, bidi overrides, broken UTF-8) comes out as
 * visible escapes; printable UTF-8 comes out unchanged; escaping twice
 * changes nothing; a short buffer is cut at a whole escape; JSON values
 * are escaped everywhere, keys included.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../src/lib/text.h"

static void expect_escaped(const char *in, const char *want)
{
    char *got = wp_text_escape(in);
    assert_non_null(got);
    assert_string_equal(got, want);
    free(got);
}

static void test_printable_is_kept(void **state)
{
    (void)state;
    expect_escaped("Mail Server", "Mail Server");
    expect_escaped("Grüße, 日本語, emoji \xf0\x9f\x90\xba",
                   "Grüße, 日本語, emoji \xf0\x9f\x90\xba");
    expect_escaped("back\\slash \"quotes\" ~", "back\\slash \"quotes\" ~");
    expect_escaped("", "");
    expect_escaped(NULL, "");
    assert_true(wp_text_is_clean("plain text ü"));
}

static void test_controls_are_escaped(void **state)
{
    (void)state;
    expect_escaped("red\x1b[31mtext", "red\\x1b[31mtext");
    expect_escaped("\x1b]0;owned\x07", "\\x1b]0;owned\\a");
    expect_escaped("line1\nline2\r\t", "line1\\nline2\\r\\t");
    expect_escaped("\x01\x7f\b\v\f", "\\x01\\x7f\\b\\v\\f");
    assert_false(wp_text_is_clean("a\nb"));
}

static void test_c1_and_bidi_are_escaped(void **state)
{
    (void)state;
    expect_escaped("\xc2\x9b"
                   "31m",
                   "\\u009b31m"); /* C1 CSI */
    expect_escaped("abc\xe2\x80\xae"
                   "def",
                   "abc\\u202edef"); /* right-to-left override */
    expect_escaped("a\xe2\x80\xa8"
                   "b",
                   "a\\u2028b"); /* line separator */
}

static void test_bad_utf8_is_escaped(void **state)
{
    (void)state;
    expect_escaped("\xff\xfe", "\\xff\\xfe");
    expect_escaped("\xc0\xaf", "\\xc0\\xaf");                   /* overlong '/' */
    expect_escaped("\xed\xa0\x80", "\\xed\\xa0\\x80");          /* a surrogate */
    expect_escaped("cut \xe6\x97", "cut \\xe6\\x97");           /* half a character */
    expect_escaped("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
}

static void test_twice_is_once(void **state)
{
    (void)state;
    const char *nasty = "\x1b[2J\r\nroot\xff\xc2\x9b";
    char *once = wp_text_escape(nasty);
    char *twice = wp_text_escape(once);
    assert_string_equal(once, twice);
    assert_true(wp_text_is_clean(once));
    free(once);
    free(twice);
}

static void test_buffer_is_cut_at_a_whole_escape(void **state)
{
    (void)state;
    char buf[8];
    size_t need = wp_text_escape_buf(buf, sizeof buf, "ab\x1b\x1b\x1b", 5);
    assert_int_equal(need, 2 + 3 * 4);
    assert_string_equal(buf, "ab\\x1b"); /* not "ab\x1b\x" */
    need = wp_text_escape_buf(buf, 3, "abcdef", 6);
    assert_int_equal(need, 6);
    assert_string_equal(buf, "ab");
    /* a NUL inside a length-given text is escaped too */
    need = wp_text_escape_buf(buf, sizeof buf, "a\0b", 3);
    assert_string_equal(buf, "a\\x00b");
}

static void test_json_everywhere(void **state)
{
    (void)state;
    json_t *v = json_pack("{s:s, s:[s, {s:s}], s:i}", "name", "x\x1b]2;t\x07", "list", "ok", "e",
                          "err\r\n", "n", 7);
    json_object_set_new(v, "key\nnew", json_stringn("nul\0x", 5));
    wp_text_escape_json(v);
    assert_string_equal(json_string_value(json_object_get(v, "name")), "x\\x1b]2;t\\a");
    json_t *list = json_object_get(v, "list");
    assert_string_equal(json_string_value(json_array_get(list, 0)), "ok");
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "e")),
                        "err\\r\\n");
    assert_null(json_object_get(v, "key\nnew"));
    assert_string_equal(json_string_value(json_object_get(v, "key\\nnew")), "nul\\x00x");
    assert_int_equal(json_integer_value(json_object_get(v, "n")), 7);
    json_decref(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_printable_is_kept),
        cmocka_unit_test(test_controls_are_escaped),
        cmocka_unit_test(test_c1_and_bidi_are_escaped),
        cmocka_unit_test(test_bad_utf8_is_escaped),
        cmocka_unit_test(test_twice_is_once),
        cmocka_unit_test(test_buffer_is_cut_at_a_whole_escape),
        cmocka_unit_test(test_json_everywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
