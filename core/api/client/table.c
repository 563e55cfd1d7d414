/* Aligned text tables for weftctl's default output: columns padded to the
 * widest cell, measured in UTF-8 code points (names may be non-ASCII),
 * separated by three spaces, no trailing blanks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wctl-int.h"

struct wctl_table {
	size_t ncols;
	char **cells; /* rows * ncols, row 0 = headers */
	size_t rows, cap;
};

static size_t display_width(const char *s)
{
	size_t w = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		w += (*p & 0xc0) != 0x80;
	return w;
}

static void add_row(wctl_table *t, const char *const *cells)
{
	if (t->rows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **c = realloc(t->cells, cap * t->ncols * sizeof(*c));
		if (!c)
			return;
		t->cells = c;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		const char *v = cells[i] && *cells[i] ? cells[i] : "-";
		char *copy = strdup(v);
		/* one line per row: newlines and tabs become spaces */
		for (char *p = copy; p && *p; p++)
			if (*p == '\n' || *p == '\t' || *p == '\r')
				*p = ' ';
		t->cells[t->rows * t->ncols + i] = copy;
	}
	t->rows++;
}

wctl_table *wctl_table_new(size_t ncols, const char *const *headers)
{
	wctl_table *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->ncols = ncols;
	add_row(t, headers);
	return t;
}

void wctl_table_add(wctl_table *t, const char *const *cells)
{
	if (t)
		add_row(t, cells);
}

size_t wctl_table_rows(const wctl_table *t)
{
	return t && t->rows ? t->rows - 1 : 0;
}

void wctl_table_print(const wctl_table *t, FILE *out)
{
	if (!t)
		return;
	size_t *width = calloc(t->ncols, sizeof(*width));
	if (!width)
		return;
	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			size_t w = s ? display_width(s) : 0;
			if (w > width[c])
				width[c] = w;
		}
	for (size_t r = 0; r < t->rows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];
			s = s ? s : "";
			fputs(s, out);
			if (c + 1 < t->ncols)
				fprintf(out, "%*s", (int)(width[c] - display_width(s) + 3), "");
		}
		fputc('\n', out);
	}
	free(width);
}

void wctl_table_free(wctl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->rows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
