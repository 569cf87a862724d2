/*
 * wpsched.c -- run the scheduler on one input file.
 *
 *   wpsched INPUT.json            print the actions JSON (expected.json)
 *   wpsched --summary INPUT.json  print the one-screen summary (summary.txt)
 *
 * tests/run-sched runs it on every fixture in tests/sched/; a person uses it
 * to replay a recorded scheduler input.  Exit status: 0 ok, 1 usage, 2 the
 * input was refused (the error says why).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/sched/sched.h"

static int usage(void)
{
    fprintf(stderr, "usage: wpsched [--summary] INPUT.json\n");
    return 1;
}

static int refuse(const wp_err *err)
{
    wp_err_print(err, stderr);
    return 2;
}

int main(int argc, char **argv)
{
    bool summary = argc == 3 && strcmp(argv[1], "--summary") == 0;
    const char *path = argv[argc - 1];
    wp_sched_output out = {0};
    wp_sched_input *in;
    json_error_t jerr;
    json_t *json;
    wp_err err = {0};

    if (argc != 2 + summary || path[0] == '-')
        return usage();
    json = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (!json) {
        wp_errf(&err, WP_E_INVALID, "cannot read scheduler input %s", path);
        wp_err_why(&err, "line %d: %s", jerr.line, jerr.text);
        wp_err_todo(&err, "give a readable JSON file (docs/SCHEDULER.md describes it)");
        return refuse(&err);
    }
    in = wp_sched_input_parse(json, &err);
    json_decref(json);
    if (!in)
        return refuse(&err);
    if (!wp_sched_run(in, &out, &err)) {
        wp_sched_input_free(in);
        return refuse(&err);
    }
    if (summary) {
        char *text = wp_sched_summary(in, &out);
        fputs(text, stdout);
        free(text);
    } else {
        json_t *res = wp_sched_output_json(in, &out);
        json_dumpf(res, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        fputc('\n', stdout);
        json_decref(res);
    }
    wp_sched_output_free(&out);
    wp_sched_input_free(in);
    return 0;
}
