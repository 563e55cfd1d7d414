/* String-keyed open-addressing hash map (linear probing, power-of-two
 * capacity, load factor <= 1/2). See hmap.h. */
#include "hmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

void weft_hmap_init(weft_hmap *m)
{
	memset(m, 0, sizeof(*m));
}

void weft_hmap_free(weft_hmap *m)
{
	free(m->keys);
	free(m->values);
	memset(m, 0, sizeof(*m));
}

static size_t slot_of(const weft_hmap *m, const char *key)
{
	size_t mask = m->cap - 1;
	size_t i = (size_t)weft_hash_str(WEFT_HASH_SEED, key) & mask;
	while (m->keys[i] && strcmp(m->keys[i], key))
		i = (i + 1) & mask;
	return i;
}

static int grow(weft_hmap *m)
{
	weft_hmap n = {.cap = m->cap ? m->cap * 2 : 16};
	n.keys = calloc(n.cap, sizeof(*n.keys));
	n.values = calloc(n.cap, sizeof(*n.values));
	if (!n.keys || !n.values) {
		free(n.keys);
		free(n.values);
		return -1;
	}
	for (size_t i = 0; i < m->cap; i++)
		if (m->keys[i]) {
			size_t s = slot_of(&n, m->keys[i]);
			n.keys[s] = m->keys[i];
			n.values[s] = m->values[i];
			n.count++;
		}
	weft_hmap_free(m);
	*m = n;
	return 0;
}

int weft_hmap_put(weft_hmap *m, const char *key, void *value)
{
	if ((m->count + 1) * 2 > m->cap && grow(m))
		return -1;
	size_t s = slot_of(m, key);
	if (!m->keys[s]) {
		m->keys[s] = key;
		m->count++;
	}
	m->values[s] = value;
	return 0;
}

void *weft_hmap_get(const weft_hmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t s = slot_of(m, key);
	return m->keys[s] ? m->values[s] : NULL;
}
