/*
 * log.c -- wolfpackd's logging: libqb's qb_log to stderr and syslog
 * (facility daemon), plus one helper that writes a wp_err in full.
 */
#include <qb/qblog.h>
#include <syslog.h>

#include "daemon.h"

void wp_log_start(void)
{
    qb_log_init("wolfpackd", LOG_DAEMON, LOG_INFO);
    qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_TRUE);
    qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_TRUE);
    qb_log_filter_ctl(QB_LOG_STDERR, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_INFO);
    qb_log_filter_ctl(QB_LOG_SYSLOG, QB_LOG_FILTER_ADD, QB_LOG_FILTER_FILE, "*", LOG_INFO);
    qb_log_format_set(QB_LOG_STDERR, "%t wolfpackd[%P] %p: %b");
}

void wp_log_stop(void)
{
    qb_log_fini();
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
