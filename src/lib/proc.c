/*
 * proc.c -- reading and parsing /proc/PID/stat, and starting a child over
 * a pipe (proc.h).
 */
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

bool wp_proc_stat_parse(const char *text, wp_proc_stat *out)
{
    const char *p = strrchr(text, ')'); /* the end of the command name */
    wp_proc_stat st = {0};
    /* after ") ": field 3 state, 4 ppid, 5 pgrp, ..., 22 starttime */
    if (!p || sscanf(p + 1,
                     " %c %ld %ld %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
                     "%*d %llu",
                     &st.state, &st.ppid, &st.pgrp, &st.start) != 4)
        return false;
    *out = st;
    return true;
}

bool wp_proc_stat_read(pid_t pid, wp_proc_stat *out)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    return wp_proc_stat_parse(buf, out);
}

unsigned long long wp_proc_start_time(pid_t pid)
{
    wp_proc_stat st;
    return pid > 0 && wp_proc_stat_read(pid, &st) && st.state != 'Z' && st.state != 'X' ? st.start
                                                                                        : 0;
}

pid_t wp_proc_fork_piped(int fds[2], const char *what, wp_err *err)
{
    if (pipe2(fds, O_CLOEXEC) != 0) {
        wp_errf(err, WP_E_IO, "cannot start %s", what);
        wp_err_why(err, "pipe: %s", strerror(errno));
        wp_err_todo(err, "check the process limits of this node");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        wp_errf(err, WP_E_IO, "cannot start %s", what);
        wp_err_why(err, "fork: %s", strerror(e));
        wp_err_todo(err, "check the process limits and memory of this node");
    }
    return pid;
}
