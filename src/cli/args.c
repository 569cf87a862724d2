/*
 * args.c -- option and KEY=VALUE parsing for the verbs of `wolfpack`.
 *
 * Each verb declares the options it accepts as a small wp_cli_opt array;
 * wp_cli_getopt hands them to getopt_long (as wolfpackd's main does), once
 * over argv, collecting option values and positional arguments, and
 * refuses anything it does not know, abbreviations included.  "--json" and
 * "--help" are understood everywhere.  main.c reads the global options
 * with it too (up to the verb), cluster_setup.c those of cluster create.
 * KEY=VALUE pairs become JSON objects for the "props" and "policy"
 * arguments of the IPC requests, checked locally with the model's
 * validators so a typo is reported before the daemon is asked.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/model.h"
#include "cli.h"

wp_cli_opt *wp_cli_opt_get(wp_cli_opt *opts, int nopts, const char *name)
{
    for (int i = 0; i < nopts; i++)
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    return NULL;
}

/* getopt_long's answers beyond plain characters: a verb's own options are
 * OPT_BASE + their index in opts. */
enum { OPT_POSITIONAL = 1, OPT_JSON = 256, OPT_BASE = 512 };

static bool add_value(wp_cli_opt *o, const char *value, wp_err *err)
{
    if (o->count >= WP_CLI_MAX_VALUES) {
        wp_errf(err, WP_E_INVALID, "too many %s options", o->name);
        wp_err_why(err, "at most %d are accepted in one command", WP_CLI_MAX_VALUES);
        wp_err_todo(err, "split the change into several commands");
        return false;
    }
    o->values[o->count++] = value;
    return true;
}

static bool add_positional(wp_cli_args *out, const char *arg, wp_err *err)
{
    if (out->npos >= WP_CLI_MAX_VALUES) {
        wp_errf(err, WP_E_INVALID, "too many arguments");
        wp_err_todo(err, "see the usage line below");
        return false;
    }
    out->pos[out->npos++] = arg;
    return true;
}

static bool unknown_option(const char *word, wp_err *err)
{
    wp_errf(err, WP_E_INVALID, "unknown option '%s'", word);
    wp_err_why(err, "this command does not take that option");
    wp_err_todo(err, "see the usage line below");
    return false;
}

/* getopt_long also takes a unique prefix ("--forc"); the CLI does not, so
 * that adding an option later never changes what a script meant. */
static bool spelled_out(const char *word, const char *name)
{
    size_t len = strlen(name);
    return strncmp(word, name, len) == 0 && (word[len] == '\0' || word[len] == '=');
}

/* The long option table for getopt_long: --json, --help and opts (names
 * without their "--"), ending in a zero entry; longopts has nopts + 3. */
static void long_table(const wp_cli_opt *opts, int nopts, bool has_json, struct option *longopts)
{
    int n = 0;
    for (int i = 0; i < nopts; i++)
        longopts[n++] =
            (struct option){opts[i].name + 2, opts[i].has_value ? required_argument : no_argument,
                            NULL, OPT_BASE + i};
    if (has_json)
        longopts[n++] = (struct option){"json", no_argument, NULL, OPT_JSON};
    longopts[n++] = (struct option){"help", no_argument, NULL, 'h'};
    longopts[n] = (struct option){0};
}

/* One answer of getopt_long: word is the argument it was read from. */
static bool take(wp_cli *cli, int ch, const char *word, wp_cli_opt *opts, int nopts,
                 wp_cli_args *out, wp_err *err)
{
    switch (ch) {
    case OPT_POSITIONAL:
        return add_positional(out, optarg, err);
    case 'h':
        out->help = true;
        return strncmp(word, "--", 2) != 0 || spelled_out(word, "--help") ||
               unknown_option(word, err);
    case OPT_JSON:
        cli->json = true;
        return spelled_out(word, "--json") || unknown_option(word, err);
    case ':': /* a value option as the last word */
        if (optopt < OPT_BASE || optopt >= OPT_BASE + nopts)
            return unknown_option(word, err);
        wp_errf(err, WP_E_INVALID, "option %s needs a value", opts[optopt - OPT_BASE].name);
        wp_err_todo(err, "write '%s VALUE'", opts[optopt - OPT_BASE].name);
        return false;
    case '?':
        if (optopt < OPT_BASE || optopt >= OPT_BASE + nopts)
            return unknown_option(strncmp(word, "--", 2) == 0 || optopt <= 0 || optopt >= 128
                                      ? word
                                      : (char[]){'-', (char)optopt, 0},
                                  err);
        wp_errf(err, WP_E_INVALID, "option %s takes no value", opts[optopt - OPT_BASE].name);
        wp_err_todo(err, "write it as '%s' alone", opts[optopt - OPT_BASE].name);
        return false;
    default: {
        wp_cli_opt *o = &opts[ch - OPT_BASE];
        if (!spelled_out(word, o->name))
            return unknown_option(word, err);
        if (o->has_value)
            return add_value(o, optarg, err);
        o->count++;
        return true;
    }
    }
}

/* Read words[1..n] with getopt_long; returns optind at the end, or -1. */
static int read_words(wp_cli *cli, int n, char **words, const char *shape,
                      const struct option *longopts, wp_cli_opt *opts, int nopts, wp_cli_args *out,
                      wp_err *err)
{
    optind = 0; /* glibc: start afresh */
    opterr = 0;
    for (;;) {
        const char *word = words[optind ? optind : 1];
        int ch = getopt_long(n + 1, words, shape, longopts, NULL);
        if (ch == -1)
            return optind;
        if (!take(cli, ch, word ? word : "", opts, nopts, out, err))
            return -1;
    }
}

int wp_cli_getopt(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts, bool up_to_word,
                  wp_cli_args *out, wp_err *err)
{
    memset(out, 0, sizeof *out);
    struct option longopts[nopts + 3];
    long_table(opts, nopts, cli != NULL, longopts);
    /* getopt_long reads argv[1..]: lend it a copy with a program name in
     * front, so that the caller's argv is never reordered. */
    char **words = calloc((size_t)argc + 2, sizeof *words);
    if (!words) {
        wp_errf(err, WP_E_INTERNAL, "out of memory reading the command line");
        return -1;
    }
    char prog[] = "wolfpack";
    words[0] = prog;
    memcpy(words + 1, argv, (size_t)argc * sizeof *argv);
    /* '-': every word in the order given (positionals come back as 1);
     * '+': stop at the first word that is not an option; ':': no messages
     * from getopt itself, a missing value answers ':'. */
    int end =
        read_words(cli, argc, words, up_to_word ? "+:h" : "-:h", longopts, opts, nopts, out, err);
    free(words);
    if (end < 0)
        return -1;
    int next = end - 1;                              /* argv's index of the first word not read */
    for (int i = next; !up_to_word && i < argc; i++) /* after "--" */
        if (!add_positional(out, argv[i], err))
            return -1;
    return up_to_word ? next : argc;
}

bool wp_cli_parse(wp_cli *cli, int argc, char **argv, wp_cli_opt *opts, int nopts, wp_cli_args *out,
                  wp_err *err)
{
    return wp_cli_getopt(cli, argc, argv, opts, nopts, false, out, err) >= 0;
}

bool wp_cli_kv_split(const char *text, const char *option, char **key, char **value, wp_err *err)
{
    const char *eq = strchr(text, '=');
    if (!eq || eq == text) {
        wp_errf(err, WP_E_INVALID, "bad %s value '%s'", option, text);
        wp_err_why(err, "expected KEY=VALUE with a non-empty KEY");
        wp_err_todo(err, "write it as %s KEY=VALUE", option);
        return false;
    }
    *key = strndup(text, (size_t)(eq - text));
    *value = strdup(eq + 1);
    if (!*key || !*value) {
        free(*key);
        free(*value);
        wp_errf(err, WP_E_INTERNAL, "out of memory");
        return false;
    }
    return true;
}

static bool kv_add(json_t *obj, const char *option, const char *text, wp_cli_kv_check check,
                   wp_err *err)
{
    char *key = NULL, *value = NULL;
    if (!wp_cli_kv_split(text, option, &key, &value, err))
        return false;
    bool ok = true;
    if (json_object_get(obj, key)) {
        wp_errf(err, WP_E_INVALID, "%s %s given twice", option, key);
        wp_err_why(err, "each key may appear once in one command");
        wp_err_todo(err, "keep only the value you want");
        ok = false;
    }
    if (ok && check)
        ok = check(key, value, err);
    if (ok)
        json_object_set_new(obj, key, json_string(value));
    free(key);
    free(value);
    return ok;
}

bool wp_cli_kv_into(json_t *obj, const wp_cli_opt *opt, wp_cli_kv_check check, wp_err *err)
{
    for (int i = 0; i < opt->count; i++)
        if (!kv_add(obj, opt->name, opt->values[i], check, err))
            return false;
    return true;
}

bool wp_cli_null_into(json_t *obj, const wp_cli_opt *opt, wp_err *err)
{
    for (int i = 0; i < opt->count; i++) {
        const char *key = opt->values[i];
        if (key[0] == '\0' || strchr(key, '=')) {
            wp_errf(err, WP_E_INVALID, "bad %s value '%s'", opt->name, key);
            wp_err_why(err, "expected a key alone, without '=' or a value");
            wp_err_todo(err, "write it as %s KEY", opt->name);
            return false;
        }
        if (json_object_get(obj, key)) {
            wp_errf(err, WP_E_INVALID, "key '%s' is both set and reset", key);
            wp_err_why(err, "one command cannot both change and reset a key");
            wp_err_todo(err, "keep only one of them");
            return false;
        }
        json_object_set_new(obj, key, json_null());
    }
    return true;
}

bool wp_cli_check_group_policy(const char *key, const char *value, wp_err *err)
{
    return wp_group_policy_validate(key, value, NULL, err);
}

bool wp_cli_check_resource_policy(const char *key, const char *value, wp_err *err)
{
    return wp_resource_policy_validate(key, value, NULL, err);
}
