/*
 * err.c -- filling, naming and printing wp_err (see err.h).
 *
 * Exit statuses of the CLI come from here so that the table in docs/CLI.md
 * and the code cannot drift apart: one switch, one place.
 *
 * Messages often quote what a user or a peer sent, and a fixed buffer may
 * cut a multi-byte character in half, so every formatted part is scrubbed
 * to valid UTF-8 (bad bytes become '?'): an error can always travel as JSON.
 */
#include "err.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const code_names[WP_CODE__COUNT] = {
    [WP_OK] = "ok",
    [WP_E_INVALID] = "invalid",
    [WP_E_NOTFOUND] = "not-found",
    [WP_E_EXISTS] = "exists",
    [WP_E_CONFLICT] = "conflict",
    [WP_E_NOQUORUM] = "no-quorum",
    [WP_E_UNAVAILABLE] = "unavailable",
    [WP_E_PERM] = "permission",
    [WP_E_PROTO] = "protocol",
    [WP_E_CORRUPT] = "corrupt",
    [WP_E_IO] = "io",
    [WP_E_INTERNAL] = "internal",
};

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    unsigned min;
    unsigned cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2, cp = c & 0x1f, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3, cp = c & 0x0f, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4, cp = c & 0x07, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* Replace every byte that is not part of valid UTF-8 with '?', in place. */
static void utf8_scrub(char *text)
{
    unsigned char *s = (unsigned char *)text;
    while (*s) {
        size_t n = utf8_seq_len(s);
        if (n == 0)
            *s++ = '?';
        else
            s += n;
    }
}

void wp_errf(wp_err *err, wp_code code, const char *what_fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    err->code = code;
    va_start(ap, what_fmt);
    vsnprintf(err->what, sizeof err->what, what_fmt, ap);
    va_end(ap);
    utf8_scrub(err->what);
    err->why[0] = '\0';
    err->todo[0] = '\0';
}

void wp_err_why(wp_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->why, sizeof err->why, fmt, ap);
    va_end(ap);
    utf8_scrub(err->why);
}

void wp_err_todo(wp_err *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->todo, sizeof err->todo, fmt, ap);
    va_end(ap);
    utf8_scrub(err->todo);
}

void wp_err_clear(wp_err *err)
{
    if (!err)
        return;
    memset(err, 0, sizeof *err);
}

const char *wp_code_name(wp_code code)
{
    if ((int)code < 0 || code >= WP_CODE__COUNT)
        return "internal";
    return code_names[code];
}

wp_code wp_code_parse(const char *name)
{
    for (int i = 0; name && i < WP_CODE__COUNT; i++)
        if (strcmp(name, code_names[i]) == 0)
            return (wp_code)i;
    return WP_E_INTERNAL;
}

int wp_code_exit_status(wp_code code)
{
    switch (code) {
    case WP_OK:
        return 0;
    case WP_E_INVALID:
        return 2;
    case WP_E_NOTFOUND:
        return 3;
    case WP_E_EXISTS:
    case WP_E_CONFLICT:
        return 4;
    case WP_E_NOQUORUM:
        return 5;
    case WP_E_UNAVAILABLE:
    case WP_E_PERM:
        return 6;
    case WP_E_PROTO:
    case WP_E_CORRUPT:
    case WP_E_IO:
        return 7;
    default:
        return 1;
    }
}

/* An error quotes names, values and other programs' messages: escaped
 * (text.h), so that they cannot drive the terminal or forge a line. */
void wp_err_print(const wp_err *err, FILE *out)
{
    fputs("error: ", out);
    wp_text_fputs(err->what[0] ? err->what : wp_code_name(err->code), out);
    fputc('\n', out);
    if (err->why[0]) {
        fputs("  why: ", out);
        wp_text_fputs(err->why, out);
        fputc('\n', out);
    }
    if (err->todo[0]) {
        fputs("  to do: ", out);
        wp_text_fputs(err->todo, out);
        fputc('\n', out);
    }
}
