/* YAML / JSON output of imported documents (northbound/emit.h). The YAML is
 * written by hand rather than with libyaml's emitter so that the layout is
 * fixed (two-space indent, one key per line, lists under their key) and the
 * text is the same for the same input, byte for byte. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "xlate.h"

typedef struct buf {
	char *p;
	size_t len, cap;
	int oom;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void puts_(buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void indent(buf *b, int n)
{
	for (int i = 0; i < n; i++)
		put(b, " ", 1);
}

/* A string may be written plain when it reads back as the same string in
 * YAML 1.2 core schema (and in YAML 1.1 readers): a conservative alphabet,
 * not a number, not a boolean or null word. */
static int plain_ok(const char *s)
{
	static const char *const words[] = {"true", "false", "null", "yes", "no",
	                                    "on",   "off",   "y",    "n",   "~"};
	if (!*s || !(s[0] == '/' || s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') ||
	             (s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-",
		            *p))
			return 0;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcasecmp(s, words[i]))
			return 0;
	char *end;
	strtod(s, &end);
	if (*end == '\0')
		return 0;
	return 1;
}

static void put_scalar(buf *b, const json_t *v)
{
	if (json_is_string(v) && plain_ok(json_string_value(v))) {
		puts_(b, json_string_value(v));
		return;
	}
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
	if (!s) {
		b->oom = 1;
		return;
	}
	puts_(b, s);
	free(s);
}

static int is_leaf(const json_t *v)
{
	return !(json_is_object(v) && json_object_size(v)) &&
	       !(json_is_array(v) && json_array_size(v));
}

static void put_leaf(buf *b, const json_t *v)
{
	if (json_is_object(v))
		puts_(b, "{}");
	else if (json_is_array(v))
		puts_(b, "[]");
	else
		put_scalar(b, v);
}

static void put_block(buf *b, const json_t *v, int ind, int first_inline);

static void put_object(buf *b, const json_t *obj, int ind, int first_inline)
{
	const char *key;
	json_t *val;
	int first = 1;
	json_object_foreach((json_t *)obj, key, val)
	{
		if (!(first && first_inline))
			indent(b, ind);
		first = 0;
		json_t *k = json_string(key);
		if (!k) {
			b->oom = 1;
			return;
		}
		put_scalar(b, k);
		json_decref(k);
		if (is_leaf(val)) {
			puts_(b, ": ");
			put_leaf(b, val);
			puts_(b, "\n");
		} else {
			puts_(b, ":\n");
			put_block(b, val, ind + 2, 0);
		}
	}
}

static void put_block(buf *b, const json_t *v, int ind, int first_inline)
{
	if (json_is_object(v)) {
		put_object(b, v, ind, first_inline);
		return;
	}
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item)
	{
		indent(b, ind);
		puts_(b, "- ");
		if (is_leaf(item)) {
			put_leaf(b, item);
			puts_(b, "\n");
		} else if (json_is_object(item)) {
			put_object(b, item, ind + 2, 1);
		} else {
			puts_(b, "\n");
			put_block(b, item, ind + 2, 0);
		}
	}
}

static void put_comment(buf *b, const char *text)
{
	puts_(b, "# ");
	for (const char *p = text; *p; p++)
		put(b, *p == '\n' || *p == '\r' ? " " : p, 1);
	puts_(b, "\n");
}

static void put_source(buf *b, const nb_emit_src *e)
{
	char line[1200];
	const weft_xsrc *s = e->src;
	snprintf(line, sizeof(line), "from %s:%d: %s %s %s/%s", s->doc->file,
	         s->root ? s->root->line : 0, s->api_version, s->kind, s->ns, s->name);
	put_comment(b, line);
}

static void put_notes(buf *b, const nb_emit_src *e)
{
	for (size_t j = 0; j < e->n_notes; j++) {
		char line[1500];
		snprintf(line, sizeof(line), "warning: %s", e->notes[j]);
		put_comment(b, line);
	}
}

char *nb_emit(const nb_out *outs, size_t n_outs, const nb_emit_src *srcs, size_t n_srcs, int json)
{
	buf b = {0};
	puts_(&b, "# weft/v1 documents written by weftctl import (docs/northbound.md)\n");
	for (size_t i = 0; i < n_outs; i++) {
		puts_(&b, "---\n");
		for (size_t j = 0; j < outs[i].n_srcs; j++)
			put_source(&b, &srcs[outs[i].srcs[j]]);
		for (size_t j = 0; j < outs[i].n_srcs; j++)
			put_notes(&b, &srcs[outs[i].srcs[j]]);
		if (json) {
			char *s = json_dumps(outs[i].doc, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
			if (!s)
				b.oom = 1;
			else
				puts_(&b, s);
			free(s);
			puts_(&b, "\n");
		} else {
			put_block(&b, outs[i].doc, 0, 0);
		}
	}
	/* Sources that fed no document still say why, at the end. */
	int header = 0;
	for (size_t i = 0; i < n_srcs; i++) {
		if (srcs[i].produced)
			continue;
		if (!header)
			puts_(&b, "---\n# sources that produced no document:\n");
		header = 1;
		put_source(&b, &srcs[i]);
		put_notes(&b, &srcs[i]);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

json_t *nb_node_to_json(const weft_node *n)
{
	if (n->kind == WEFT_NODE_NULL)
		return json_null();
	if (n->kind == WEFT_NODE_MAP) {
		json_t *o = json_object();
		for (size_t i = 0; o && i < n->count; i++) {
			json_t *v = nb_node_to_json(n->pairs[i].value);
			if (!v || json_object_set_new(o, n->pairs[i].key->str, v)) {
				json_decref(o);
				return NULL;
			}
		}
		return o;
	}
	if (n->kind == WEFT_NODE_SEQ) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < n->count; i++)
			if (json_array_append_new(a, nb_node_to_json(n->items[i]))) {
				json_decref(a);
				return NULL;
			}
		return a;
	}
	if (!n->quoted) {
		if (!strcmp(n->str, "true") || !strcmp(n->str, "false"))
			return json_boolean(!strcmp(n->str, "true"));
		char *end;
		long long ll = strtoll(n->str, &end, 10);
		if (*n->str && !*end)
			return json_integer(ll);
		double d = strtod(n->str, &end);
		if (*n->str && !*end && isfinite(d) && strchr("+-.0123456789", n->str[0]))
			return json_real(d);
	}
	return json_stringn(n->str, n->len);
}
