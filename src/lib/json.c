/*
 * json.c -- string members of JSON objects (json.h).
 */
#include "json.h"

const char *wp_json_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

const char *wp_json_str_or(const json_t *o, const char *key, const char *fallback)
{
    const char *s = wp_json_str(o, key);
    return s ? s : fallback;
}
