/* `weftctl -o yaml`: JSON answers printed as block YAML that weft's own
 * decoder (core/doc.c, YAML 1.2 core schema, tags refused) reads back as
 * the same JSON, so that `weftctl get KIND -o yaml | weftctl apply -f -`
 * round-trips. Keys are sorted (a stable text to diff); a string is
 * written plain only when it cannot read as anything else, otherwise as a
 * JSON string literal, which is valid double-quoted YAML. */
#include <stdlib.h>
#include <string.h>

#include "wctl-int.h"

/* Whether s can be written without quotes: a conservative set of
 * characters, and never a word or number the core schema would type. */
static int plain_ok(const char *s)
{
	static const char *const words[] = {"true", "false", "null", "~",     "yes",
	                                    "no",   "on",    "off",  "True",  "False",
	                                    "Null", "NULL",  "TRUE", "FALSE", ""};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(s, words[i]))
			return 0;
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '/' || *s == '_'))
		return 0; /* digits, '-', '.', '*' ... could start a number or an indicator */
	for (const char *p = s; *p; p++) {
		char c = *p;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		         (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '/';
		if (!ok)
			return 0;
	}
	return 1;
}

static void put_string(FILE *out, const char *s)
{
	if (plain_ok(s)) {
		fputs(s, out);
		return;
	}
	json_t *j = json_string(s);
	char *text = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
	fputs(text ? text : "\"\"", out);
	free(text);
	json_decref(j);
}

static void put_scalar(FILE *out, json_t *v)
{
	if (json_is_string(v)) {
		put_string(out, json_string_value(v));
		return;
	}
	char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	fputs(text ? text : "null", out);
	free(text);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_empty_container(json_t *v)
{
	return (json_is_object(v) && json_object_size(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

static void put_node(FILE *out, json_t *v, int indent);
static void put_node_at(FILE *out, json_t *v, int indent, int first_inline);

/* The value after "key:" or "- ": inline when a scalar or empty, else on
 * the next lines, indented. */
static void put_value(FILE *out, json_t *v, int indent)
{
	if (json_is_object(v) && json_object_size(v)) {
		fputc('\n', out);
		put_node(out, v, indent);
	} else if (json_is_array(v) && json_array_size(v)) {
		fputc('\n', out);
		put_node(out, v, indent);
	} else {
		fputc(' ', out);
		if (is_empty_container(v))
			fputs(json_is_object(v) ? "{}" : "[]", out);
		else
			put_scalar(out, v);
		fputc('\n', out);
	}
}

/* first_inline: the first key goes right after a "- " already written. */
static void put_node_at(FILE *out, json_t *v, int indent, int first_inline)
{
	if (json_is_object(v)) {
		size_t n = json_object_size(v), i = 0;
		const char **keys = malloc((n ? n : 1) * sizeof(*keys));
		const char *k;
		json_t *child;
		if (!keys)
			return;
		json_object_foreach(v, k, child) keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_keys);
		for (i = 0; i < n; i++) {
			if (i || !first_inline)
				fprintf(out, "%*s", indent, "");
			put_string(out, keys[i]);
			fputc(':', out);
			put_value(out, json_object_get(v, keys[i]), indent + 2);
		}
		free(keys);
	} else if (json_is_array(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child)
		{
			fprintf(out, "%*s-", indent, "");
			if (json_is_object(child) && json_object_size(child)) {
				fputc(' ', out);
				put_node_at(out, child, indent + 2, 1);
			} else {
				put_value(out, child, indent + 2);
			}
		}
	} else {
		fprintf(out, "%*s", indent, "");
		put_scalar(out, v);
		fputc('\n', out);
	}
}

static void put_node(FILE *out, json_t *v, int indent)
{
	put_node_at(out, v, indent, 0);
}

void wctl_yaml_print(FILE *out, json_t *v)
{
	if (is_empty_container(v)) {
		fputs(json_is_object(v) ? "{}\n" : "[]\n", out);
		return;
	}
	put_node(out, v, 0);
}
