/*
 * proc.h -- what /proc/PID/stat says about a process: its state, parent,
 * process group and start time.  The start time (clock ticks since boot)
 * and the pid together name one process for good: a recorded pid whose
 * start time no longer matches has been reused by another process.
 * And the start of a child that talks to its parent over one pipe (the
 * disk keeper and the lease watcher, src/agents/disk_*.c).
 */
#ifndef WP_PROC_H
#define WP_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

typedef struct wp_proc_stat {
    char state;               /* R, S, D, Z, T ... */
    long ppid;                /* parent */
    long pgrp;                /* process group */
    unsigned long long start; /* start time, clock ticks since boot */
} wp_proc_stat;

/* Parse the text of a /proc/PID/stat file (the command name may hold
 * spaces and ')').  False when it is not one. */
bool wp_proc_stat_parse(const char *text, wp_proc_stat *out);
/* Read /proc/PID/stat; false when the process is gone. */
bool wp_proc_stat_read(pid_t pid, wp_proc_stat *out);
/* Start time of pid if it lives (a zombie or dead one does not), else 0. */
unsigned long long wp_proc_start_time(pid_t pid);

/* pipe2(fds, O_CLOEXEC), then fork: the child's pid in the parent, 0 in
 * the child, each with both ends open (each closes the one it does not
 * use).  -1 with nothing left open and err saying "cannot start <what>"
 * and why when either step fails. */
pid_t wp_proc_fork_piped(int fds[2], const char *what, wp_err *err);

#endif
