/* Arena allocator: many small allocations freed together. Each decoded
 * policy resource owns one arena holding its strings and typed spec, so a
 * resource is freed in one call and shared (refcounted) between policy sets
 * and snapshots without deep copies. Not thread-safe while being filled;
 * read-only sharing afterwards is fine. */
#ifndef WEFT_ARENA_H
#define WEFT_ARENA_H

#include <stddef.h>

typedef struct weft_arena weft_arena;

/* A new empty arena; NULL when out of memory. */
weft_arena *weft_arena_new(void);
/* Frees the arena and everything allocated from it. NULL is accepted. */
void weft_arena_free(weft_arena *a);
/* Zeroed memory, aligned for any type. Aborts the allocation (returns NULL)
 * only when malloc fails. */
void *weft_arena_alloc(weft_arena *a, size_t size);
/* Copies of a string (NUL-terminated) or of n bytes plus a NUL. NULL in,
 * NULL out. */
char *weft_arena_strdup(weft_arena *a, const char *s);
char *weft_arena_strndup(weft_arena *a, const char *s, size_t n);
/* printf into the arena. */
char *weft_arena_printf(weft_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Bytes handed out so far (for memory benchmarks). */
size_t weft_arena_used(const weft_arena *a);

#endif
