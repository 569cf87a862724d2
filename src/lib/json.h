/*
 * json.h -- reading a string member of a JSON object (jansson), the one
 * getter every part uses instead of spelling
 * json_string_value(json_object_get(o, key)) or keeping its own copy; and
 * finding the object of a list (groups, nodes) by its name.
 */
#ifndef WP_JSON_H
#define WP_JSON_H

#include <jansson.h>

/* o[key] when o is an object and the member a string; otherwise NULL. */
const char *wp_json_str(const json_t *o, const char *key);
/* The same, with fallback in place of NULL. */
const char *wp_json_str_or(const json_t *o, const char *key, const char *fallback);

/* The first object of the array list whose member key is a string equal
 * to value, ignoring case (wolfpack's names are case-insensitive); NULL
 * when there is none or list is not an array. */
const json_t *wp_json_find(const json_t *list, const char *key, const char *value);

#endif
