/* Arena allocator implementation: a chain of blocks, bump allocation, one
 * free for all. See arena.h. */
#include "arena.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_BLOCK 4096
#define ARENA_ALIGN 16

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	_Alignas(ARENA_ALIGN) unsigned char data[];
};

struct weft_arena {
	struct arena_block *head;
	size_t total;
};

weft_arena *weft_arena_new(void)
{
	return calloc(1, sizeof(weft_arena));
}

void weft_arena_free(weft_arena *a)
{
	if (!a)
		return;
	struct arena_block *b = a->head;
	while (b) {
		struct arena_block *next = b->next;
		free(b);
		b = next;
	}
	free(a);
}

void *weft_arena_alloc(weft_arena *a, size_t size)
{
	size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (size == 0)
		size = ARENA_ALIGN;
	struct arena_block *b = a->head;
	if (!b || b->size - b->used < size) {
		size_t bsize = size > ARENA_BLOCK / 2 ? size : ARENA_BLOCK;
		b = malloc(sizeof(*b) + bsize);
		if (!b)
			return NULL;
		b->used = 0;
		b->size = bsize;
		/* Big one-off blocks go behind the head so the head keeps
		 * serving small allocations. */
		if (a->head && bsize != ARENA_BLOCK) {
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	void *p = b->data + b->used;
	b->used += size;
	a->total += size;
	memset(p, 0, size);
	return p;
}

char *weft_arena_strndup(weft_arena *a, const char *s, size_t n)
{
	if (!s)
		return NULL;
	char *p = weft_arena_alloc(a, n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = 0;
	}
	return p;
}

char *weft_arena_strdup(weft_arena *a, const char *s)
{
	return s ? weft_arena_strndup(a, s, strlen(s)) : NULL;
}

char *weft_arena_printf(weft_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = weft_arena_alloc(a, (size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t weft_arena_used(const weft_arena *a)
{
	return a->total;
}
