/*
 * text.h -- text from outside, made safe to show on a terminal or write to
 * a log line.
 *
 * Names, property values, error texts of agents, kit and archive strings,
 * CLI arguments: any of them may hold ESC sequences (colours, OSC window
 * titles, cursor moves), a CR that overwrites the line, or a newline that
 * forges the next log line.  wp_text_escape() keeps valid printable UTF-8
 * as it is and writes everything else as a C-style escape:
 *   \t \n \r \a \b \v \f       those C0 controls
 *   \xHH                       other C0 controls, DEL, each byte that is not
 *                              part of valid UTF-8 (overlong, surrogate,
 *                              truncated, above U+10FFFF)
 *   \u0080 .. \u009f           C1 controls (U+009B is CSI on some terminals)
 *   \u2028 \u2029 \u200e \u200f \u202a..\u202e \u2066..\u2069
 *                              line separators and bidi controls
 * A backslash is kept as it is, so escaping twice changes nothing; the
 * exact text is in --json output (the JSON library escapes it).
 * docs/SECURITY.md, "Text from outside".
 */
#ifndef WP_TEXT_H
#define WP_TEXT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Escape len bytes of s into out (size bytes; NUL-terminated whenever
 * size > 0, cut at a whole escape).  Returns the length the whole escaped
 * text needs, not counting the NUL (like snprintf). */
size_t wp_text_escape_buf(char *out, size_t size, const char *s, size_t len);
/* The escaped copy of the string s (NULL: ""), malloc'd; NULL only when out
 * of memory. */
char *wp_text_escape(const char *s);
/* True when s needs no escaping (NULL counts as clean). */
bool wp_text_is_clean(const char *s);
/* fputs of the escaped s. */
void wp_text_fputs(const char *s, FILE *out);
/* Escape, in place, every string of a JSON value: strings, array items,
 * object values and object keys, at any depth.  For human output only:
 * --json prints the exact value. */
void wp_text_escape_json(json_t *v);

#endif
