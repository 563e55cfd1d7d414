/* Translation warnings (warning.h): a growable list of owned strings. */
#include "warning.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

static int grow(weft_warnings *w)
{
	if (w->count < w->cap)
		return 0;
	size_t cap = w->cap ? w->cap * 2 : 8;
	weft_warning *items = realloc(w->items, cap * sizeof(*items));
	if (!items)
		return -1;
	w->items = items;
	w->cap = cap;
	return 0;
}

static void free_one(weft_warning *x)
{
	free(x->resource);
	free(x->file);
	free(x->field);
	free(x->message);
}

static int push(weft_warnings *w, const char *resource, const char *file, int line,
                const char *field, const char *message)
{
	if (grow(w))
		return -1;
	weft_warning *x = &w->items[w->count];
	x->resource = strdup(resource ? resource : "");
	x->file = strdup(file ? file : "");
	x->line = line;
	x->field = strdup(field ? field : "");
	x->message = strdup(message ? message : "");
	if (!x->resource || !x->file || !x->field || !x->message) {
		free_one(x);
		return -1;
	}
	w->count++;
	return 0;
}

int weft_warn(weft_warnings *w, const weft_resource *res, weft_pos pos, const char *field,
              const char *fmt, ...)
{
	char msg[1024], name[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(name, sizeof(name), "%s %s/%s", weft_kind_name(res->kind), res->ns, res->name);
	return push(w, name, res->file, pos.line ? pos.line : res->line, field, msg);
}

int weft_warnings_append(weft_warnings *dst, const weft_warnings *src)
{
	for (size_t i = 0; src && i < src->count; i++) {
		const weft_warning *x = &src->items[i];
		if (push(dst, x->resource, x->file, x->line, x->field, x->message))
			return -1;
	}
	return 0;
}

void weft_warnings_free(weft_warnings *w)
{
	for (size_t i = 0; i < w->count; i++)
		free_one(&w->items[i]);
	free(w->items);
	memset(w, 0, sizeof(*w));
}

json_t *weft_warnings_to_json(const weft_warnings *w)
{
	json_t *a = json_array();
	for (size_t i = 0; w && i < w->count; i++) {
		const weft_warning *x = &w->items[i];
		json_array_append_new(a, json_pack("{s:s, s:s, s:i, s:s, s:s}", "resource",
		                                   x->resource, "file", x->file, "line", x->line,
		                                   "field", x->field, "message", x->message));
	}
	return a;
}

void weft_warning_format(const weft_warning *w, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%d: %s: %s: %s", w->file, w->line, w->resource, w->field,
	         w->message);
}
