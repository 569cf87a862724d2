/*
 * proc.h -- what /proc/PID/stat says about a process: its state, parent,
 * process group and start time.  The start time (clock ticks since boot)
 * and the pid together name one process for good: a recorded pid whose
 * start time no longer matches has been reused by another process.
 */
#ifndef WP_PROC_H
#define WP_PROC_H

#include <stdbool.h>
#include <sys/types.h>

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

#endif
