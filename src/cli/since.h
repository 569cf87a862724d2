/*
 * since.h -- the --since argument of `wolfpack history` and `wolfpack
 * report`: a duration back from now ("1h", "30m", "90s") or a unix time.
 * One parser for both verbs (since.c).
 */
#ifndef WP_CLI_SINCE_H
#define WP_CLI_SINCE_H

#include <stdbool.h>

/* text as a unix time in seconds: a whole number above 100000000 (1973)
 * is that unix time; a positive duration (wp_duration_parse) is now minus
 * it.  False, *out unchanged, for anything else (the caller reports it). */
bool wp_cli_since(const char *text, long long now, long long *out);

#endif
