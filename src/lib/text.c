/*
 * text.c -- the one escaping helper for text from outside shown on a
 * terminal or written to a log (text.h says what is escaped and how).
 * Users: wp_err_print (every error a person sees), the CLI's human output
 * (tables, show blocks, status, messages), the application setup's output
 * of kit and archive strings, and wolfpackd's log target (src/daemon/log.c).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

typedef struct emitter {
    char *out;
    size_t size;    /* of out */
    size_t written; /* bytes in out: whole escapes only */
    size_t need;    /* bytes the whole text needs */
} emitter;

/* Add n bytes; once one piece does not fit, nothing more is written, so
 * out never ends in half an escape. */
static void emit(emitter *e, const char *bytes, size_t n)
{
    if (e->out && e->written == e->need && e->need + n < e->size) {
        memcpy(e->out + e->written, bytes, n);
        e->written += n;
    }
    e->need += n;
}

/* Decode one UTF-8 sequence at s (avail bytes).  Returns its length and the
 * code point, or 0 when the bytes are not valid UTF-8 there. */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
    size_t n;
    uint32_t c, min;

    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if ((s[0] & 0xe0) == 0xc0) {
        n = 2, c = s[0] & 0x1f, min = 0x80;
    } else if ((s[0] & 0xf0) == 0xe0) {
        n = 3, c = s[0] & 0x0f, min = 0x800;
    } else if ((s[0] & 0xf8) == 0xf0) {
        n = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n > avail)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return n;
}

/* Code points shown as \uXXXX although they are valid UTF-8. */
static bool is_hidden(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9f) || c == 0x2028 || c == 0x2029 || c == 0x200e || c == 0x200f ||
           (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

static void emit_control(emitter *e, unsigned char b)
{
    static const char names[] = {['\t'] = 't', ['\n'] = 'n', ['\r'] = 'r', ['\a'] = 'a',
                                 ['\b'] = 'b', ['\v'] = 'v', ['\f'] = 'f'};
    char buf[8];

    if (b < sizeof names && names[b]) {
        buf[0] = '\\', buf[1] = names[b];
        emit(e, buf, 2);
    } else {
        snprintf(buf, sizeof buf, "\\x%02x", b);
        emit(e, buf, 4);
    }
}

size_t wp_text_escape_buf(char *out, size_t size, const char *s, size_t len)
{
    emitter e = {.out = out, .size = size};
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (p && i < len) {
        uint32_t cp;
        size_t n = utf8_decode(p + i, len - i, &cp);
        if (n == 0 || cp < 0x20 || cp == 0x7f) {
            emit_control(&e, p[i]); /* a control, or a byte that is not UTF-8 */
            i++;
            continue;
        }
        if (is_hidden(cp)) {
            char buf[8];
            snprintf(buf, sizeof buf, "\\u%04x", (unsigned)cp);
            emit(&e, buf, 6);
        } else {
            emit(&e, (const char *)p + i, n);
        }
        i += n;
    }
    if (out && size > 0)
        out[e.written] = '\0';
    return e.need;
}

char *wp_text_escape(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    size_t need = wp_text_escape_buf(NULL, 0, s, len);
    char *out = malloc(need + 1);

    if (out)
        wp_text_escape_buf(out, need + 1, s, len);
    return out;
}

bool wp_text_is_clean(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    return wp_text_escape_buf(NULL, 0, s, len) == len;
}

void wp_text_fputs(const char *s, FILE *out)
{
    char *esc = wp_text_escape(s);

    fputs(esc ? esc : "?", out);
    free(esc);
}

void wp_text_escape_json(json_t *v)
{
    if (json_is_string(v)) {
        /* with its length: json_string_value stops at a NUL inside */
        const char *s = json_string_value(v);
        size_t len = json_string_length(v);
        size_t need = wp_text_escape_buf(NULL, 0, s, len);
        if (need == len) /* a NUL inside would have grown it */
            return;
        char *esc = malloc(need + 1);
        if (esc) {
            wp_text_escape_buf(esc, need + 1, s, len);
            json_string_set(v, esc);
        }
        free(esc);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item) wp_text_escape_json(item);
    } else if (json_is_object(v)) {
        const char *key;
        json_t *value;
        size_t dirty = 0;
        json_object_foreach(v, key, value)
        {
            wp_text_escape_json(value);
            dirty += !wp_text_is_clean(key);
        }
        while (dirty-- > 0) { /* rename the keys that need it, one at a time */
            json_object_foreach(v, key, value)
            {
                if (wp_text_is_clean(key))
                    continue;
                char *esc = wp_text_escape(key);
                json_incref(value);
                json_object_del(v, key);
                if (esc)
                    json_object_set_new(v, esc, value);
                else
                    json_decref(value);
                free(esc);
                break;
            }
        }
    }
}
