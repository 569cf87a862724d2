/*
 * json.c -- string members of JSON objects, and an object of a list by
 * name (json.h).
 */
#include "json.h"

#include <strings.h>

const char *wp_json_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

const char *wp_json_str_or(const json_t *o, const char *key, const char *fallback)
{
    const char *s = wp_json_str(o, key);
    return s ? s : fallback;
}

const json_t *wp_json_find(const json_t *list, const char *key, const char *value)
{
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        const char *s = wp_json_str(v, key);
        if (s && value && strcasecmp(s, value) == 0)
            return v;
    }
    return NULL;
}
