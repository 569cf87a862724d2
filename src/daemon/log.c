/*
 * log.c -- wolfpackd's logging: libqb's qb_log, written to stderr and
 * syslog (facility daemon) by one custom libqb target that escapes every
 * message first (wp_text_escape, src/lib/text.h): names, property values,
 * agents' error texts and clients' bytes reach the log, and a control
 * character in them must not forge a log line or drive the terminal that
 * shows the log.  Plus one helper that writes a wp_err in full.
 */
#include <qb/qblog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "../lib/text.h"
#include "daemon.h"

#define LOG_FORMAT "%t wolfpackd[%P] %p: %b"

/* The target's user data: the daemon's log_quiet (true: syslog only). */
static void write_escaped(int32_t t, struct qb_log_callsite *cs, struct timespec *timestamp,
                          const char *msg)
{
    const bool *quiet = qb_log_target_user_data_get(t);
    char line[4 * QB_LOG_MAX_LEN + 256];
    char *esc = wp_text_escape(msg);
    const char *text = esc ? esc : "(a log message could not be escaped: out of memory)";

    /* qb_log_target_format cuts at QB_LOG_MAX_LEN; 4 x is the most an
     * escaped message of that size can grow to */
    if (!quiet || !*quiet) {
        qb_log_target_format(t, cs, timestamp, text, line);
        fprintf(stderr, "%s\n", line);
    }
    syslog(cs->priority, "%s", text);
    free(esc);
}

void wp_log_start(bool *quiet)
{
    int32_t t;

    qb_log_init("wolfpackd", LOG_DAEMON, LOG_INFO);
    qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_FALSE);
    qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_FALSE);
    openlog("wolfpackd", LOG_PID, LOG_DAEMON);
    t = qb_log_custom_open(write_escaped, NULL, NULL, quiet);
    if (t < 0) { /* cannot happen with free targets; log raw rather than not at all */
        qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
        qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_INFO);
        qb_log_format_set(QB_LOG_STDERR, LOG_FORMAT);
        return;
    }
    qb_log_ctl(t, QB_LOG_CONF_ENABLED, QB_TRUE);
    qb_log_filter_ctl(t, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_INFO);
    qb_log_format_set(t, LOG_FORMAT);
}

void wp_log_stop(void)
{
    qb_log_fini();
    closelog();
}

void wp_log_err(int prio, const char *context, const wp_err *err)
{
    qb_log(prio, "%s: %s (%s)", context, err->what[0] ? err->what : "error",
           wp_code_name(err->code));
    if (err->why[0])
        qb_log(prio, "  why: %s", err->why);
    if (err->todo[0])
        qb_log(prio, "  to do: %s", err->todo);
}
