/* A small open-addressing hash map from string keys to pointers, for
 * indexes built while compiling snapshots (service -> resources). Keys are
 * not copied: they must outlive the map (they point into resources). */
#ifndef WEFT_HMAP_H
#define WEFT_HMAP_H

#include <stddef.h>

typedef struct weft_hmap {
	const char **keys;
	void **values;
	size_t cap, count;
} weft_hmap;

void weft_hmap_init(weft_hmap *m);
void weft_hmap_free(weft_hmap *m);
/* Inserts or replaces. 0 or -1 (out of memory). */
int weft_hmap_put(weft_hmap *m, const char *key, void *value);
/* The value, or NULL. */
void *weft_hmap_get(const weft_hmap *m, const char *key);

#endif
