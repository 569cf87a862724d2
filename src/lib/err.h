/*
 * err.h -- the one error type of wolfpack.
 *
 * Every failure a person can see carries three parts: WHAT failed, WHY it
 * failed, and what TO DO next. Functions that can fail take a `wp_err *`
 * as their last argument and return false (or NULL) after filling it.
 * The code classifies the error; the CLI maps it to its exit status and the
 * IPC protocol carries it by name (see wp_code_name / wp_code_parse).
 */
#ifndef WP_ERR_H
#define WP_ERR_H

#include <stdbool.h>
#include <stdio.h>

typedef enum wp_code {
    WP_OK = 0,
    WP_E_INVALID,     /* bad input: syntax, value out of range, unknown key */
    WP_E_NOTFOUND,    /* a named object does not exist */
    WP_E_EXISTS,      /* an object with that name already exists */
    WP_E_CONFLICT,    /* valid input that the current state refuses (cycle, in use...) */
    WP_E_NOQUORUM,    /* this partition has no quorum: changes are refused */
    WP_E_UNAVAILABLE, /* daemon not running / not reachable / not ready (syncing) */
    WP_E_PERM,        /* permission denied */
    WP_E_PROTO,       /* malformed, truncated or oversized message */
    WP_E_CORRUPT,     /* a file (database, snapshot, archive) is damaged or foreign */
    WP_E_IO,          /* an operating-system call failed */
    WP_E_INTERNAL,    /* a bug: should never happen */
    WP_CODE__COUNT
} wp_code;

typedef struct wp_err {
    wp_code code;
    char what[256];
    char why[512];
    char todo[256];
} wp_err;

/* Set code and WHAT (printf-style); clears why/todo. NULL err is allowed. */
void wp_errf(wp_err *err, wp_code code, const char *what_fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Set WHY / TO DO of an error already set with wp_errf. */
void wp_err_why(wp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wp_err_todo(wp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void wp_err_clear(wp_err *err);

/* Stable lower-case names ("invalid", "not-found", "no-quorum", ...). */
const char *wp_code_name(wp_code code);
/* Parse a name back; unknown names give WP_E_INTERNAL. */
wp_code wp_code_parse(const char *name);
/* Exit status of the CLI for a code (documented in docs/CLI.md). */
int wp_code_exit_status(wp_code code);

/* Print "error: WHAT\n  why: WHY\n  to do: TODO\n" to a stdio stream. */
void wp_err_print(const wp_err *err, FILE *out);

#endif
