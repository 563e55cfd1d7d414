/* String-keyed hash map for validation (see strmap.h). Linear probing over
 * a power-of-two table kept at most half full. */
#include "strmap.h"

#include <stdlib.h>
#include <string.h>

#include "resource.h"

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_free(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static size_t find(const struct strmap_entry *slots, size_t cap, const char *key)
{
	size_t i = (size_t)weft_hash_str(WEFT_HASH_SEED, key) & (cap - 1);
	while (slots[i].key && strcmp(slots[i].key, key))
		i = (i + 1) & (cap - 1);
	return i;
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct strmap_entry *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			slots[find(slots, cap, m->slots[i].key)] = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

void **strmap_slot(struct strmap *m, const char *key)
{
	if ((m->count + 1) * 2 > m->cap && grow(m))
		return NULL;
	size_t i = find(m->slots, m->cap, key);
	if (!m->slots[i].key) {
		m->slots[i].key = strdup(key);
		if (!m->slots[i].key)
			return NULL;
		m->slots[i].value = NULL;
		m->count++;
	}
	return &m->slots[i].value;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t i = find(m->slots, m->cap, key);
	return m->slots[i].key ? m->slots[i].value : NULL;
}
