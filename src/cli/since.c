/*
 * since.c -- the --since argument shared by `wolfpack history` and
 * `wolfpack report` (since.h): a unix time or a duration back from now.
 * now is the caller's, so the rule can be tested without a clock.
 */
#include "since.h"

#include <errno.h>
#include <stdlib.h>

#include "../lib/model.h"

/* Below this a number is not taken as a unix time (it is 1973-03-03). */
#define UNIX_TIME_MIN 100000000LL

bool wp_cli_since(const char *text, long long now, long long *out)
{
    char *end;
    long secs;
    if (!text || !*text)
        return false;
    errno = 0;
    long long t = strtoll(text, &end, 10);
    if (!*end && errno == 0 && t > UNIX_TIME_MIN) {
        *out = t;
        return true;
    }
    if (!wp_duration_parse(text, &secs, NULL) || secs <= 0)
        return false;
    *out = now - secs;
    return true;
}
