/*
 * test_err.c -- the error type: names, exit statuses, and that every
 * formatted part is valid UTF-8 (an error must always travel as JSON; the
 * fuzzer found a request whose refusal quoted half a character).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "../../src/lib/err.h"
#include "../../src/lib/proto.h"

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int c = 0; c < WP_CODE__COUNT; c++)
        assert_int_equal(wp_code_parse(wp_code_name((wp_code)c)), c);
    assert_int_equal(wp_code_parse("no-such-code"), WP_E_INTERNAL);
}

static void test_exit_statuses(void **state)
{
    (void)state;
    assert_int_equal(wp_code_exit_status(WP_OK), 0);
    assert_int_equal(wp_code_exit_status(WP_E_INVALID), 2);
    assert_int_equal(wp_code_exit_status(WP_E_NOTFOUND), 3);
    assert_int_equal(wp_code_exit_status(WP_E_CONFLICT), 4);
    assert_int_equal(wp_code_exit_status(WP_E_NOQUORUM), 5);
    assert_int_equal(wp_code_exit_status(WP_E_UNAVAILABLE), 6);
    assert_int_equal(wp_code_exit_status(WP_E_CORRUPT), 7);
}

static void test_bad_utf8_is_scrubbed(void **state)
{
    (void)state;
    wp_err err;
    /* a lone continuation byte, an overlong form, a surrogate, a cut
     * sequence at the end */
    wp_errf(&err, WP_E_PROTO, "bad %s|%s|%s|%s", "\x94", "\xc0\xaf", "\xed\xa0\x80", "\xc5");
    wp_err_why(&err, "why \xff");
    wp_err_todo(&err, "ok \xc3\xa9");
    assert_string_equal(err.what, "bad ?|??|???|?");
    assert_string_equal(err.why, "why ?");
    assert_string_equal(err.todo, "ok \xc3\xa9"); /* valid UTF-8 is kept */
    json_t *reply = wp_proto_reply_err(&err);
    assert_non_null(reply);
    json_decref(reply);
}

static void test_cut_character_is_scrubbed(void **state)
{
    (void)state;
    wp_err err;
    char longname[600];
    /* 'é' (2 bytes) repeated so the 256-byte buffer cuts one in half */
    for (size_t i = 0; i + 2 < sizeof longname; i += 2)
        memcpy(longname + i, "\xc3\xa9", 2);
    longname[sizeof longname - 1] = '\0';
    wp_errf(&err, WP_E_INVALID, "x%s", longname);
    json_t *s = json_string(err.what);
    assert_non_null(s);
    json_decref(s);
}

static void test_reply_of_hand_filled_error(void **state)
{
    (void)state;
    wp_err err = {.code = WP_E_PROTO};
    strcpy(err.what, "raw \xc5");
    json_t *reply = wp_proto_reply_err(&err);
    assert_non_null(reply); /* falls back to a generic text */
    json_t *result = NULL;
    wp_err back;
    assert_false(wp_proto_reply_parse(reply, &result, &back));
    assert_int_equal(back.code, WP_E_PROTO);
    json_decref(reply);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_round_trip),
        cmocka_unit_test(test_exit_statuses),
        cmocka_unit_test(test_bad_utf8_is_scrubbed),
        cmocka_unit_test(test_cut_character_is_scrubbed),
        cmocka_unit_test(test_reply_of_hand_filled_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
