/*
 * conffile.h -- strict `key = value` configuration files: wolfpackd's
 * /etc/wolfpack/wolfpackd.conf (src/daemon/main.c, docs/DAEMON.md).
 *
 * One setting per line, `key = value`; spaces around key and value are
 * trimmed; blank lines and lines whose first non-blank is '#' are comments.
 * There is no quoting and no comment after a value: the value is everything
 * after the first '=' (a '#' in it is part of it).  The caller names the
 * keys it knows.  Unlike wolfpack.conf (cluster_conf.h) nothing is ignored:
 * a line that is not `key = value`, an unknown or repeated key, an empty
 * value, a control character or invalid UTF-8, a line longer than
 * WP_CONFFILE_LINE_MAX or a file larger than WP_CONFFILE_MAX is an error
 * whose WHAT starts with "FILE:LINE:", so that a mistyped setting stops
 * the program instead of being silently dropped.
 * wp_conf_first_pass finds --config (and answers --help, --version) on the
 * command line before the file is read, for both programs.
 */
#ifndef WP_CONFFILE_H
#define WP_CONFFILE_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

#define WP_CONFFILE_MAX (64 * 1024)
#define WP_CONFFILE_LINE_MAX 4096

typedef struct wp_conf_entry {
    char *key;
    char *value;
    unsigned line;
} wp_conf_entry;

/* A parsed file: owns path, the entries and their strings (wp_conf_free). */
typedef struct wp_conf {
    char *path;
    wp_conf_entry *entries; /* in file order */
    size_t n;
} wp_conf;

/* Parse len bytes of text, read from path (for the messages).  keys: the
 * known keys, NULL-terminated.  On error *out is left empty. */
bool wp_conf_parse(const char *path, const char *text, size_t len, const char *const *keys,
                   wp_conf *out, wp_err *err);

/* Read and parse the file at path.  A file that does not exist gives an
 * empty *out and true when missing_ok, else an error. */
bool wp_conf_read(const char *path, bool missing_ok, const char *const *keys, wp_conf *out,
                  wp_err *err);

/* The entry of key, or NULL. */
const wp_conf_entry *wp_conf_get(const wp_conf *c, const char *key);

void wp_conf_free(wp_conf *c);

/* The first pass over the command line of a program that reads such a
 * file (wolfpackd, wolfpack-web): getopt_long with longopts, whose
 * --config has the value 'C', --help 'h' and --version 'V'.  Returns the
 * --config path (the last one given) or NULL.  --help writes usage(out),
 * --version "PROGRAM VERSION" to out and sets *exit_now: the program ends
 * with status 0 without reading its file.  Every other option, and every
 * error, is left to the program's own second pass: getopt starts afresh
 * after this. */
const char *wp_conf_first_pass(int argc, char **argv, const struct option *longopts,
                               const char *program, void (*usage)(FILE *out), FILE *out,
                               bool *exit_now);

#endif
