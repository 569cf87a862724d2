/*
 * cli.h -- what the files of the `wolfpack` command share.
 *
 * main.c parses the global options into one wp_cli context and hands the
 * rest of the command line to a verb (cmd_*.c).  Each verb parses its own
 * options with wp_cli_parse (args.c), talks to wolfpackd through
 * wp_cli_call (one lazily opened client connection), and prints either a
 * human view (table.c) or the daemon's JSON (--json).  Every verb returns
 * the process exit status (wp_code_exit_status of the error, 0 on success).
 */
#ifndef WP_CLI_H
#define WP_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "../client/client.h"
#include "../lib/err.h"
#include "../lib/text.h"

/* One per process: global options and the connection to the daemon. */
typedef struct wp_cli {
    const char *socket_opt; /* --socket PATH, or NULL */
    bool json;              /* --json given before or after the verb */
    wp_client *client;      /* opened by the first wp_cli_call */
} wp_cli;

/* ---- option parsing (args.c) ------------------------------------------- */

#define WP_CLI_MAX_VALUES 64

/* One option a verb accepts.  The parser fills count/values. */
typedef struct wp_cli_opt {
    const char *name; /* "--policy" */
    bool has_value;   /* takes an argument ("--policy K=V" or "--policy=K=V") */
    int count;        /* how many times it was given */
    const char *values[WP_CLI_MAX_VALUES]; /* borrowed from argv */
} wp_cli_opt;

typedef struct wp_cli_args {
    const char *pos[WP_CLI_MAX_VALUES]; /* positional arguments, borrowed */
    int npos;
    bool help; /* --help or -h was given */
} wp_cli_args;

/* Read argv with getopt_long: the options in opts (each spelled out in
 * full, "--name VALUE" or "--name=VALUE" for a value option), --help/-h
 * (sets out->help) and, when cli is not NULL, --json (sets cli->json); the
 * other words go to out->pos ("--" ends the options).  up_to_word stops at
 * the first word that is not an option (the global options before the
 * verb) and returns its index; otherwise options and words mix and it
 * returns argc.  -1 with err set on an unknown option, a missing value or
 * a value for an option that takes none. */
int wp_cli_getopt(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts, bool up_to_word,
                  wp_cli_args *out, wp_err *err);
/* Parse argv (after the verb words) with wp_cli_getopt: options and
 * positional arguments in any order. */
bool wp_cli_parse(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts, wp_cli_args *out,
                  wp_err *err);
/* The option named `name` in opts (it must be there). */
wp_cli_opt *wp_cli_opt_get(wp_cli_opt *opts, int nopts, const char *name);

/* Split "KEY=VALUE" into a malloc'd key and value (caller frees both). */
bool wp_cli_kv_split(const char *text, const char *option, char **key, char **value, wp_err *err);

typedef bool (*wp_cli_kv_check)(const char *key, const char *value, wp_err *err);
/* Build {"K": "V", ...} from the values of a K=V option, checking each pair
 * with check (may be NULL).  Adds into obj (which the caller owns). */
bool wp_cli_kv_into(json_t *obj, const wp_cli_opt *opt, wp_cli_kv_check check, wp_err *err);
/* Add {"K": null} for every value of a --reset/--unset option. */
bool wp_cli_null_into(json_t *obj, const wp_cli_opt *opt, wp_err *err);

/* Local policy checks with the model's validators (for wp_cli_kv_into). */
bool wp_cli_check_group_policy(const char *key, const char *value, wp_err *err);
bool wp_cli_check_resource_policy(const char *key, const char *value, wp_err *err);

/* ---- talking to the daemon (main.c) --------------------------------------- */

/* Send op with args (stolen, may be NULL); returns the result (caller owns)
 * or NULL with err filled.  *version gets the database version if wanted. */
json_t *wp_cli_call(wp_cli *cli, const char *op, json_t *args, long long *version, wp_err *err);

/* Print err to stderr and return its exit status. */
int wp_cli_fail(const wp_err *err);
/* A usage error: print what was expected and the usage line, return 2. */
int wp_cli_usage_error(const char *usage, const char *what_fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- output (table.c) ----------------------------------------------------- */

typedef struct wp_table wp_table;

wp_table *wp_table_new(int ncols, const char *const *headers);
/* Add one row of ncols cells (copied; NULL prints as "-"). */
void wp_table_add(wp_table *t, const char *const *cells);
/* Paint cell `col` of the last row added (the header row before any) with
 * an SGR code such as "32" (green); sgr must outlive the table (a string
 * literal).  Only paint when colour is wanted: print uses it as given. */
void wp_table_paint(wp_table *t, int col, const char *sgr);
/* Print with columns padded to their widest cell, each line starting with
 * indent.  A table without rows prints its headers only. */
void wp_table_print(const wp_table *t, FILE *out, const char *indent);
void wp_table_free(wp_table *t);

/* Print a JSON value pretty with one trailing newline. */
void wp_cli_print_json(const json_t *value, FILE *out);
/* Text of a JSON scalar for humans: strings as is, null as "-", numbers,
 * booleans "yes"/"no", arrays of strings comma-joined.  Returns a pointer
 * into buf or into the value. */
const char *wp_cli_text(const json_t *value, char *buf, size_t size);
/* "  key:   value" lines, key padded to width. */
void wp_cli_print_kv(FILE *out, int width, const char *key, const char *value);
/* Print every key of an object (sorted) as a key/value block under a title. */
void wp_cli_print_object_block(FILE *out, const char *title, const json_t *obj);

/* ---- verbs (cmd_*.c) ------------------------------------------------------- */

int wp_cmd_status(wp_cli *cli, int argc, char **argv);
int wp_cmd_cluster(wp_cli *cli, int argc, char **argv);
int wp_cmd_node(wp_cli *cli, int argc, char **argv);
int wp_cmd_group(wp_cli *cli, int argc, char **argv);
int wp_cmd_resource(wp_cli *cli, int argc, char **argv);
/* Applications on this node (cmd_app.c; src/app, docs/APP.md). */
int wp_cmd_app(wp_cli *cli, int argc, char **argv);
int wp_cmd_disk(wp_cli *cli, int argc, char **argv); /* cmd_disk.c: local, no daemon */
/* cmd_fence.c: fence devices, and `node fence NODE` (docs/FENCING.md) */
int wp_cmd_fence(wp_cli *cli, int argc, char **argv);
int wp_cmd_node_fence(wp_cli *cli, int argc, char **argv);
int wp_cmd_node_confirm_down(wp_cli *cli, int argc, char **argv);
/* cmd_history.c: who changed what (src/db/audit.c) */
int wp_cmd_history(wp_cli *cli, int argc, char **argv);
/* cmd_report.c: this node's diagnostics in one archive */
int wp_cmd_report(wp_cli *cli, int argc, char **argv);
/* cmd_alert.c: alert agents (src/daemon/alerts.c) */
int wp_cmd_alert(wp_cli *cli, int argc, char **argv);
/* cmd_verify.c: the whole configuration checked (verify.c) */
int wp_cmd_verify(wp_cli *cli, int argc, char **argv);
/* cmd_cluster.c: the configuration as `cluster export` prints it (format
 * wolfpack-export-1; caller owns), or NULL with err. */
json_t *wp_cli_config_read(wp_cli *cli, wp_err *err);
/* cmd_import.c: `cluster import FILE --dry-run | --apply` */
int wp_cli_cluster_import(wp_cli *cli, int argc, char **argv);

/* Shared by verbs: run a read op that takes an optional {name} and print the
 * result as JSON (with --json) or through print_human. */
typedef void (*wp_cli_printer)(const json_t *result, FILE *out);
int wp_cli_show(wp_cli *cli, const char *op, json_t *args, wp_cli_printer print_human);
/* Run a changing op; prints "OK: MESSAGE (version N)" on success, or with
 * --json {"ok": true, "version": N, "result": ...}. */
int wp_cli_change(wp_cli *cli, const char *op, json_t *args, const char *message);

/* ---- shapes the verbs share (verb.c) ---------------------------------------- */

/* One subcommand of a verb: its name, its function, its usage line. */
typedef struct wp_cli_sub {
    const char *name;
    int (*run)(wp_cli *cli, int argc, char **argv);
    const char *usage; /* NULL: an internal subcommand, left out of --help */
} wp_cli_sub;

/* Run subcommand argv[0] of the verb `noun` ("group"); --help prints every
 * sub's usage line; a missing or unknown one is a usage error (usage). */
int wp_cli_dispatch(wp_cli *cli, int argc, char **argv, const char *noun, const char *usage,
                    const wp_cli_sub *subs, size_t nsubs);
/* Parse a subcommand's options, answer --help (status 0), and insist on
 * exactly `want` (0 or 1) positionals, "expected one WHAT" ("group NAME",
 * "DEVICE").  False with *status set when the caller should return it. */
bool wp_cli_parse_sub(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts,
                      const char *usage, const char *what, int want, wp_cli_args *a, int *status);
/* The same; --help prints doc (lines ending in '\n') after the usage. */
bool wp_cli_parse_sub_doc(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts,
                          const char *usage, const char *doc, const char *what, int want,
                          wp_cli_args *a, int *status);
/* SUB without arguments or options (list, show): read op, printed as
 * wp_cli_show does. */
int wp_cli_show_all(wp_cli *cli, int argc, char **argv, const char *op, const char *usage,
                    wp_cli_printer print_human);
/* SUB NAME (no options): read op {name}, printed as wp_cli_show does. */
int wp_cli_show_named(wp_cli *cli, int argc, char **argv, const char *noun, const char *op,
                      const char *usage, wp_cli_printer print_human);
/* SUB NAME (no options): NAME checked as a `noun` name, then change op
 * {name}, acknowledged "Noun NAME: done (version N)". */
int wp_cli_change_named(wp_cli *cli, int argc, char **argv, const char *noun, const char *op,
                        const char *usage, const char *done);
/* manage / unmanage NAME: op (group.set, resource.set) {name, policy:
 * {managed: "true"|"false"}}, acknowledged with what it means. */
int wp_cli_set_managed(wp_cli *cli, int argc, char **argv, const char *noun, const char *op,
                       const char *usage, bool managed);
/* placement.c: before a move or a drain, from one status read.  false with
 * err (what, why, to do) when it cannot be done now. */
bool wp_cli_move_possible(wp_cli *cli, const char *group, const char *to, wp_err *err);
bool wp_cli_drain_possible(wp_cli *cli, const char *node, wp_err *err);
/* SUB NAME (no options): delete op {name}, acknowledged "Deleted noun NAME
 * (version N)"; the name is left for the daemon to judge. */
int wp_cli_delete_named(wp_cli *cli, int argc, char **argv, const char *noun, const char *op,
                        const char *usage);
/* resource_stop.c: is the resource anything but Offline?  And: take it
 * offline and wait until it is Offline (false with err: its stop failed,
 * or it did not stop in time).  `doing` names the operation ("delete"). */
bool wp_cli_resource_running(wp_cli *cli, const char *name, bool *running, wp_err *err);
bool wp_cli_resource_stop_wait(wp_cli *cli, const char *name, const char *doing, wp_err *err);

#endif
