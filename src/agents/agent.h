/*
 * agent.h -- resource agents: one interface for every resource type.
 *
 * Every type (src/lib/model.h: wp_rtype) implements the same five
 * synchronous operations and is registered in one table (agent.c):
 *
 *   validate        are the properties usable on this node?
 *   start / stop    bring the resource online / offline; stop of something
 *                   that is not there is success
 *   quick_check     MSCS "LooksAlive": cheap, run every 5 s
 *   thorough_check  MSCS "IsAlive": deeper, run every 60 s
 *
 * Each returns a wp_agent_rc (OCF-like) and fills a wp_err on anything but
 * OK, so a person reads what failed, why, and what to do.
 *
 * The daemon has one event loop and no threads, so an operation never runs
 * in the daemon itself: wp_agent_op_spawn() forks a child that puts itself in
 * its own process group, runs the synchronous operation and sends its result
 * (code + error) through a close-on-exec pipe, then exits.  The parent
 * watches the pipe and a pidfd from the caller's qb_loop and calls back once.
 * The result travels through the pipe, not the exit status, so the daemon's
 * SIGCHLD handler may reap the child first without losing anything.  After
 * the timeout the child's process group gets SIGTERM, then SIGKILL after a
 * grace period (or as soon as the leader is gone), and the result is
 * WP_AGENT_TIMEOUT.  wp_agent_op_run() is the same mechanism, blocking (for
 * tools and tests).  A child may move its own deadline once (an OCF agent
 * whose caller asked for "the agent's default" timeout, see ocf.c).
 *
 * Programs are exec'd without a shell (wp_argv_split), with a clean
 * environment, stdin from /dev/null and stdout/stderr to the op's log fd, and
 * every other descriptor closed.
 *
 * Types: IP Address (ip.c), Network Name (netname.c, netname.h), Physical
 * Disk (disk.c, disk.h), Generic Service (service.c), OCF (ocf.c).
 * docs/AGENTS.md describes every type's checks, the timeouts and the
 * exit-code mapping.
 */
#ifndef WP_AGENT_H
#define WP_AGENT_H

#include <jansson.h>
#include <qb/qbloop.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "../lib/err.h"
#include "../lib/model.h"

/* Results.  The values are wpagent's exit statuses. */
typedef enum wp_agent_rc {
    WP_AGENT_OK = 0,
    WP_AGENT_FAILED = 1,      /* err says what, why, what to do */
    WP_AGENT_NOT_RUNNING = 7, /* cleanly stopped (OCF_NOT_RUNNING) */
    WP_AGENT_TIMEOUT = 124,   /* killed after the op's timeout */
} wp_agent_rc;

typedef enum wp_agent_op {
    WP_OP_VALIDATE = 0,
    WP_OP_START,
    WP_OP_STOP,
    WP_OP_QUICK_CHECK,
    WP_OP_THOROUGH_CHECK,
    WP_OP__COUNT
} wp_agent_op;

#define WP_AGENT_DEFAULT_TIMEOUT_MS 180000L /* pending_timeout default */
#define WP_AGENT_KILL_GRACE_MS 5000L        /* SIGTERM -> SIGKILL */
#define WP_AGENT_RUN_DIR "/run/wolfpack/agents"
/* The agents' run directory (pid files, disk keepers' files): given when
 * not NULL or empty, else $WOLFPACK_RUN_DIR (wolfpackd sets it once at
 * start: each daemon its own, docs/DAEMON.md), else WP_AGENT_RUN_DIR. */
const char *wp_agent_run_dir(const char *given);

typedef struct wp_agent_job wp_agent_job;
typedef struct wp_agent_ctx wp_agent_ctx;

/* Another process runs the op (wolfpackd --user: the root executor,
 * src/daemon/privexec.c).  The runner calls send() once per op with the job
 * that stands for it; the remote side answers through
 * wp_agent_job_remote_done(job, ...), from the caller's loop (async) or
 * from inside wait() (blocking: wait() returns once this job has its
 * answer, or false when the remote side is gone).  cancel() forgets a job
 * whose answer has not come. */
typedef struct wp_agent_remote {
    void *data;
    bool (*send)(void *data, wp_agent_job *job, wp_rtype type, wp_agent_op op,
                 const wp_agent_ctx *ctx, wp_err *err);
    void (*cancel)(void *data, wp_agent_job *job);
    bool (*wait)(void *data, wp_agent_job *job);
} wp_agent_remote;

/* What an operation sees.  The caller owns every pointer; the child gets a
 * copy of the parent's memory, so nothing is serialised -- unless remote
 * is set: then type, op, name, props and timeout_ms travel to the remote
 * runner, which uses its own log and run directory. */
struct wp_agent_ctx {
    const char *name;              /* resource name (OCF_RESOURCE_INSTANCE, state files) */
    const json_t *props;           /* the type's properties, string values */
    const char *run_dir;           /* state files; NULL = WP_AGENT_RUN_DIR */
    int log_fd;                    /* stdout/stderr of exec'd programs; -1 = /dev/null */
    long timeout_ms;               /* the op's deadline; 0 = the type's default */
    int report_fd;                 /* private: set by run.c in the op child; leave 0 */
    const wp_agent_remote *remote; /* NULL: fork the op child here */
    /* The root executor's allow-list directory (src/lib/rootlist.h): a
     * Generic Service that would run as root runs only what it lists.
     * NULL (wolfpackd without --user): no check. */
    const char *root_services;
};

/* One synchronous operation, run inside the op child. */
typedef wp_agent_rc (*wp_agent_fn)(const wp_agent_ctx *ctx, wp_err *err);

typedef struct wp_agent_type {
    const char *name; /* "IP Address" */
    wp_agent_fn ops[WP_OP__COUNT];
} wp_agent_type;

/* The five registered types, one per wp_rtype (the table is in agent.c). */
extern const wp_agent_type wp_agent_ip;      /* ip.c */
extern const wp_agent_type wp_agent_netname; /* netname.c (netname.h: its helpers) */
extern const wp_agent_type wp_agent_disk;    /* disk.c (disk.h: keeper, watcher, fencing) */
extern const wp_agent_type wp_agent_service; /* service.c */
extern const wp_agent_type wp_agent_ocf;     /* ocf.c */

/* The agent of a type, or NULL with err ("not built yet", "unknown type"). */
const wp_agent_type *wp_agent_lookup(wp_rtype type, wp_err *err);

const char *wp_agent_rc_name(wp_agent_rc rc); /* "ok", "not-running", ... */
/* An op that succeeds may still leave a note for the operator in err:
 * code WP_OK with WHAT set (e.g. "DNS updates are not signed").  The runner
 * hands it back with the success, and the executor records it with the
 * resource's Online report (its last_error), so `resource show` says it. */
void wp_agent_note(wp_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *wp_agent_op_name(wp_agent_op op); /* "start", "quick-check", ... */
/* Parse "validate", "start", "stop", "quick"/"quick-check"/"looksalive",
 * "thorough"/"thorough-check"/"isalive"/"monitor". */
bool wp_agent_op_parse(const char *text, wp_agent_op *out, wp_err *err);

/* Run the op in this very process (the child side; tests). */
wp_agent_rc wp_agent_op_call(wp_rtype type, wp_agent_op op, const wp_agent_ctx *ctx, wp_err *err);

/* Run the op in a child and wait for it (tools, tests). */
wp_agent_rc wp_agent_op_run(wp_rtype type, wp_agent_op op, const wp_agent_ctx *ctx, wp_err *err);

/* Run the op in a child driven by loop; done() is called exactly once, from
 * the loop, unless the job is cancelled first; the job is freed after done()
 * returns.  ctx is read only during this call (the child has its own copy of
 * memory), so it may live on the caller's stack.  The err given to done() is
 * valid during the call only.  NULL (err set) when no child could start. */
typedef void (*wp_agent_done_fn)(void *data, wp_agent_rc rc, const wp_err *err);
wp_agent_job *wp_agent_op_spawn(qb_loop_t *loop, wp_rtype type, wp_agent_op op,
                                const wp_agent_ctx *ctx, wp_agent_done_fn done, void *data,
                                wp_err *err);
/* The op child's pid; 0 for a job run by a remote runner (not our child). */
pid_t wp_agent_job_pid(const wp_agent_job *job);
/* The remote runner's answer for job (see wp_agent_remote): rc and err
 * (NULL: none) become the job's result; done() follows from the loop. */
void wp_agent_job_remote_done(wp_agent_job *job, wp_agent_rc rc, const wp_err *err);
/* For tests (tests/unit/test_agents.c) and the executor's own jobs
 * (src/daemon/privexec.c: corosync.conf rewrites):
 * the same two runners for a type that is not in the table, whose op runs
 * as it is, without model.h's property check. */
wp_agent_rc wp_agent_type_run(const wp_agent_type *t, wp_agent_op op, const wp_agent_ctx *ctx,
                              wp_err *err);
wp_agent_job *wp_agent_type_spawn(qb_loop_t *loop, const wp_agent_type *t, wp_agent_op op,
                                  const wp_agent_ctx *ctx, wp_agent_done_fn done, void *data,
                                  wp_err *err);
/* Kill the job's process group (SIGKILL), forget it; done() is not called. */
void wp_agent_job_cancel(wp_agent_job *job);

/* ---- For the op children (agent types); see run.c ---------------------- */

/* In an op child: ask the parent to move the deadline to timeout_ms from
 * now (OCF, for the agent's advertised timeout).  No-op outside a child. */
void wp_agent_child_set_deadline(const wp_agent_ctx *ctx, long timeout_ms);

/* Does t implement op?  false with err (a bug: the table is incomplete). */
bool wp_agent_has_op(const wp_agent_type *t, wp_agent_op op, wp_err *err);
/* The op's effective timeout: ctx->timeout_ms or the default. */
long wp_agent_timeout_ms(const wp_agent_ctx *ctx);
/* A property of the resource: its string value, or NULL when it is not
 * set, empty or not a string. */
const char *wp_agent_prop(const wp_agent_ctx *ctx, const char *key);

/* Fork+exec argv[0] (absolute, no PATH search) with envp, stdin /dev/null,
 * stdout/stderr to log_fd, other fds closed, default signals; the program
 * stays in the caller's process group (so the op's timeout reaches it).
 * Waits for it; *status is the waitpid status.  false: could not run. */
bool wp_agent_exec(char *const argv[], char *const envp[], int log_fd, int *status, wp_err *err);
/* The account a program runs as (Generic Service's user property). */
typedef struct wp_agent_cred {
    char name[33];
    uid_t uid;
    gid_t gid; /* the user's primary group */
} wp_agent_cred;
/* Look the user up on this node (NSS); false with err (no such user). */
bool wp_agent_cred_lookup(const char *user, wp_agent_cred *cred, wp_err *err);
/* In a forked child, before exec: the user's supplementary groups, gid,
 * uid, in that order; false (errno set) when one step failed -- the child
 * must then exit without running anything. */
bool wp_agent_cred_apply(const wp_agent_cred *cred);
/* wp_agent_exec as cred (NULL: as the caller). */
bool wp_agent_exec_as(char *const argv[], char *const envp[], int log_fd, const wp_agent_cred *cred,
                      int *status, wp_err *err);
/* In a freshly forked process: stdin /dev/null, stdout to out_fd, stderr to
 * err_fd (-1 = /dev/null), close fds >= 3, default signals, execve.  Never
 * returns (exit 127 when exec fails). */
_Noreturn void wp_agent_exec_child(char *const argv[], char *const envp[], int out_fd, int err_fd);
/* In a forked child: no signal blocked, every handler back to default
 * (the daemon's mask and handlers must not reach agents and programs). */
void wp_agent_child_reset_signals(void);
/* Describe a waitpid status: "exited with status 3", "was killed by SIGKILL". */
void wp_agent_status_text(int status, char *buf, size_t n);
/* The clean environment every program gets: PATH only (static storage). */
extern char *const wp_agent_base_env[];

/* ---- Pure helpers, public for the unit tests ---------------------------- */

/* One address of one interface, as ip.c reads them from the kernel. */
typedef struct wp_ip_ifaddr {
    char ifname[32];
    int family; /* AF_INET / AF_INET6 */
    unsigned char addr[16];
    int prefixlen;
} wp_ip_ifaddr;

/* Parse "A.B.C.D/P" or "IPV6/P" (prefix required). */
bool wp_ip_parse(const char *text, int *family, unsigned char addr[16], int *prefixlen,
                 wp_err *err);
/* Choose the interface for an address: the one interface that holds an
 * address of the same family in the target's subnet (target prefix).  No
 * match, or several different interfaces, is an error naming them. */
bool wp_ip_pick_iface(const wp_ip_ifaddr *list, size_t n, int family, const unsigned char addr[16],
                      int prefixlen, char ifname[32], wp_err *err);

/* Generic Service stop: how long to sleep (ms) before the next look at the
 * stopping process group, after a sleep of last ms (0: none yet) with left
 * ms of the wait remaining: 1, then twice the last, at most 50, never past
 * the end of the wait. */
long wp_service_gone_gap(long last, long left);

/* OCF exit status -> result.  op decides the meaning of 7 (success for
 * stop, failure for start).  On failure err names the OCF code. */
wp_agent_rc wp_ocf_map_status(int status, wp_agent_op op, const char *agent, wp_err *err);
/* Name of an OCF exit code ("OCF_ERR_CONFIGURED"), "unknown" otherwise. */
const char *wp_ocf_code_name(int code);

/* What ocf.c reads from an agent's meta-data. */
#define WP_OCF_MAX_PARAMS 128
typedef struct wp_ocf_meta {
    size_t nparams;
    struct {
        char name[64];
        bool required;
    } params[WP_OCF_MAX_PARAMS];
    long timeout_ms[WP_OP__COUNT]; /* advertised, 0 = none */
    int deep_check_level;          /* deepest monitor depth advertised, 0 = none */
    bool has_validate;             /* advertises validate-all */
} wp_ocf_meta;
bool wp_ocf_meta_parse(const char *xml, size_t len, wp_ocf_meta *meta, wp_err *err);

/* Build the OCF environment for an action: NULL-terminated, malloc'd
 * "KEY=VALUE" strings (free with wp_agent_env_free).  check_level < 0: no
 * OCF_CHECK_LEVEL. */
char **wp_ocf_env_build(const wp_agent_ctx *ctx, const char *provider, const char *type,
                        long timeout_ms, int check_level, wp_err *err);
void wp_agent_env_free(char **env);
/* Split "ocf:PROVIDER:TYPE" or "PROVIDER:TYPE" (each [A-Za-z0-9_.-]+, not
 * starting with '.'). */
bool wp_ocf_agent_parse(const char *agent, char provider[64], char type[64], wp_err *err);

#endif
