/*
 * fuzz_kit.c -- libFuzzer target for the kit loader's parser,
 * wp_kit_parse() (src/app/kit.c): kit manifests come from outside (a kit
 * directory anyone may hand to `wolfpack app install`).  Any input must
 * either be refused with an error that has a code and a message, or give a
 * kit whose checked invariants hold (a valid name, a version, commands that
 * name a program, databases with both paths); a kit that parses must parse
 * again the same from the same text.  docs/SECURITY.md, "Kits".
 *
 *   make fuzz
 *   build-fuzz/fuzz_kit -max_total_time=120 -dict=tests/fuzz/kit.dict tests/fuzz/corpus/kit
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../src/app/kit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_kit(const wp_kit *kit)
{
    wp_err err = {0};
    if (!kit->name || !wp_app_name_valid(kit->name, &err) || !kit->version || !kit->edition)
        abort();
    for (size_t i = 0; i < kit->nservices; i++)
        if (!kit->services[i].name || !kit->services[i].command || !kit->services[i].command[0])
            abort();
    for (size_t i = 0; i < kit->ndbs; i++)
        if (!kit->dbs[i].standalone || kit->dbs[i].standalone[0] != '/' || !kit->dbs[i].clustered)
            abort();
    for (size_t i = 0; i < kit->nparams; i++)
        if (!kit->params[i].name || !kit->params[i].value)
            abort();
    if ((kit->nupgrades_from > 0) != (kit->upgrade != NULL))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wp_err err = {0};
    wp_kit *kit = wp_kit_parse((const char *)data, size, "kit.yaml", NULL, &err);
    if (!kit) {
        if (err.code == WP_OK || !err.what[0] || !err.todo[0])
            abort(); /* a refusal must say what was wrong and what to do */
        return 0;
    }
    check_kit(kit);
    wp_err again_err = {0};
    wp_kit *again = wp_kit_parse((const char *)data, size, "kit.yaml", NULL, &again_err);
    if (!again || strcmp(again->name, kit->name) != 0 || again->nparams != kit->nparams ||
        again->nservices != kit->nservices || again->ndbs != kit->ndbs)
        abort();
    wp_kit_free(again);
    wp_kit_free(kit);
    return 0;
}
