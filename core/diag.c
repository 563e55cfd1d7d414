/* Diagnostics list and single-error helpers. See diag.h. */
#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void weft_diags_init(weft_diags *d)
{
	memset(d, 0, sizeof(*d));
}

void weft_diags_free(weft_diags *d)
{
	for (size_t i = 0; i < d->count; i++) {
		free(d->items[i].file);
		free(d->items[i].path);
		free(d->items[i].msg);
	}
	free(d->items);
	memset(d, 0, sizeof(*d));
}

void weft_diags_add(weft_diags *d, const char *file, int line, int col, const char *path,
                    const char *fmt, ...)
{
	if (d->count >= WEFT_DIAGS_MAX) {
		d->omitted++;
		return;
	}
	if (d->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		weft_diag *items = realloc(d->items, cap * sizeof(*items));
		if (!items)
			return;
		d->items = items;
		d->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	weft_diag *g = &d->items[d->count++];
	g->file = strdup(file ? file : "-");
	g->line = line;
	g->col = col;
	g->path = strdup(path ? path : "");
	g->msg = msg ? msg : strdup("(out of memory)");
}

void weft_diags_move(weft_diags *dst, weft_diags *src)
{
	for (size_t i = 0; i < src->count; i++) {
		weft_diag *g = &src->items[i];
		weft_diags_add(dst, g->file, g->line, g->col, g->path, "%s", g->msg);
	}
	dst->omitted += src->omitted;
	weft_diags_free(src);
}

size_t weft_diags_total(const weft_diags *d)
{
	return d ? d->count + d->omitted : 0;
}

static int diag_cmp(const void *a, const void *b)
{
	const weft_diag *x = a, *y = b;
	int c = strcmp(x->file, y->file);
	if (c)
		return c;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->col != y->col)
		return x->col < y->col ? -1 : 1;
	return 0;
}

void weft_diags_sort(weft_diags *d)
{
	/* Insertion sort keeps equal positions in insertion order (stable);
	 * lists are short. */
	for (size_t i = 1; i < d->count; i++) {
		weft_diag tmp = d->items[i];
		size_t j = i;
		while (j > 0 && diag_cmp(&d->items[j - 1], &tmp) > 0) {
			d->items[j] = d->items[j - 1];
			j--;
		}
		d->items[j] = tmp;
	}
}

char *weft_diag_format(const weft_diag *g)
{
	char pos[64] = "";
	if (g->line > 0 && g->col > 0)
		snprintf(pos, sizeof(pos), ":%d:%d", g->line, g->col);
	else if (g->line > 0)
		snprintf(pos, sizeof(pos), ":%d", g->line);
	char *out = NULL;
	if (asprintf(&out, "%s%s: %s%s%s", g->file, pos, g->path, *g->path ? ": " : "", g->msg) < 0)
		return NULL;
	return out;
}

void weft_diags_print(FILE *out, const weft_diags *d)
{
	for (size_t i = 0; i < d->count; i++) {
		char *s = weft_diag_format(&d->items[i]);
		if (s) {
			fprintf(out, "%s\n", s);
			free(s);
		}
	}
	if (d->omitted)
		fprintf(out, "... and %zu more errors\n", d->omitted);
}

static void err_vset(weft_err *err, int code, const char *fmt, va_list ap)
{
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int weft_err_set(weft_err *err, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err_vset(err, WEFT_EFAIL, fmt, ap);
		va_end(ap);
	}
	return WEFT_EFAIL;
}

int weft_err_setc(weft_err *err, int code, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		err_vset(err, code, fmt, ap);
		va_end(ap);
	}
	return code;
}

void weft_err_prefix(weft_err *err, const char *fmt, ...)
{
	if (!err)
		return;
	char prefix[512], old[sizeof(err->msg)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	size_t n = strlen(prefix);
	if (n + 2 >= sizeof(err->msg))
		n = sizeof(err->msg) - 3;
	memcpy(err->msg, prefix, n);
	memcpy(err->msg + n, ": ", 2);
	size_t room = sizeof(err->msg) - n - 3;
	size_t m = strlen(old);
	if (m > room)
		m = room;
	memcpy(err->msg + n + 2, old, m);
	err->msg[n + 2 + m] = 0;
}
