/*
 * log.c -- wolfpackd's logging: libqb's qb_log, written by one custom libqb
 * target that escapes every message first (wp_text_escape, src/lib/text.h):
 * names, property values, agents' error texts and clients' bytes reach the
 * log, and a control character in them must not forge a log line or drive
 * the terminal that shows the log.  Where the target writes:
 *
 *   - under systemd, when standard error is the journal ($JOURNAL_STREAM
 *     names its device and inode): to the journal with sd_journal_send,
 *     with PRIORITY=, SYSLOG_IDENTIFIER=wolfpackd, SYSLOG_FACILITY=daemon
 *     and the code location, and nothing to stderr or syslog (both would
 *     land in the journal a second time, stderr at priority info);
 *     `journalctl -p warning -u wolfpackd` then shows warnings and worse;
 *   - otherwise: to stderr ("TIME wolfpackd[PID] PRIORITY: text", the time
 *     with milliseconds) and to syslog (facility daemon), as before.
 *
 * Plus a helper that writes a wp_err in full, and one for the messages
 * written before logging starts (a refused configuration).
 */
#include <qb/qblog.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

#include "../lib/text.h"
#include "daemon.h"

/* %T: the time with milliseconds, so that a move or a failover can be split
 * from the logs of its nodes (docs/TIMING.md, "A planned move") */
#define LOG_FORMAT "%T wolfpackd[%P] %p: %b"

bool wp_log_stderr_is_journal(void)
{
    const char *env = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;
    char tail;

    if (!env || sscanf(env, "%llu:%llu%c", &dev, &ino, &tail) != 2)
        return false;
    return fstat(STDERR_FILENO, &st) == 0 && (unsigned long long)st.st_dev == dev &&
           (unsigned long long)st.st_ino == ino;
}

/* One escaped message to the journal; false when journald did not take it. */
static bool send_journal(const struct qb_log_callsite *cs, const char *text)
{
    int rc = sd_journal_send("MESSAGE=%s", text, "PRIORITY=%d", (int)cs->priority,
                             "SYSLOG_IDENTIFIER=wolfpackd", "SYSLOG_FACILITY=%d", LOG_DAEMON >> 3,
                             "CODE_FILE=%s", cs->filename, "CODE_LINE=%d", (int)cs->lineno,
                             "CODE_FUNC=%s", cs->function, NULL);
    return rc >= 0;
}

/* The target's user data: the daemon's wp_log_state. */
static void write_escaped(int32_t t, struct qb_log_callsite *cs, struct timespec *timestamp,
                          const char *msg)
{
    const wp_log_state *st = qb_log_target_user_data_get(t);
    char line[4 * QB_LOG_MAX_LEN + 256];
    char *esc = wp_text_escape(msg);
    const char *text = esc ? esc : "(a log message could not be escaped: out of memory)";

    if (st && st->journal) {
        /* journald away: stderr is the journal's stream too; "<N>" gives
         * the priority there (sd-daemon.h's prefixes) */
        if (!send_journal(cs, text))
            fprintf(stderr, "<%d>%s\n", (int)cs->priority, text);
        free(esc);
        return;
    }
    /* qb_log_target_format cuts at QB_LOG_MAX_LEN; 4 x is the most an
     * escaped message of that size can grow to */
    if (!st || !st->quiet) {
        qb_log_target_format(t, cs, timestamp, text, line);
        fprintf(stderr, "%s\n", line);
    }
    syslog(cs->priority, "%s", text);
    free(esc);
}

void wp_log_start(wp_log_state *st)
{
    int32_t t;

    st->journal = wp_log_stderr_is_journal();
    qb_log_init("wolfpackd", LOG_DAEMON, LOG_INFO);
    qb_log_ctl(QB_LOG_SYSLOG, QB_LOG_CONF_ENABLED, QB_FALSE);
    qb_log_ctl(QB_LOG_STDERR, QB_LOG_CONF_ENABLED, QB_FALSE);
    if (!st->journal)
        openlog("wolfpackd", LOG_PID, LOG_DAEMON);
    t = qb_log_custom_open(write_escaped, NULL, NULL, st);
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

void wp_log_early(const char *text, int prio)
{
    bool journal = wp_log_stderr_is_journal();

    for (const char *p = text; p && *p;) {
        const char *nl = strchr(p, '\n');
        int len = (int)(nl ? nl - p : (long)strlen(p));
        if (journal)
            fprintf(stderr, "<%d>%.*s\n", prio, len, p);
        else
            fprintf(stderr, "%.*s\n", len, p);
        p = nl ? nl + 1 : NULL;
    }
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
