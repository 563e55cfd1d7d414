/* Internal to core/policy: a small string-keyed hash map (open addressing,
 * FNV-1a), used by validation to cross-reference names and endpoint
 * addresses in linear time. Keys are copied; values are caller pointers. */
#ifndef WEFT_POLICY_STRMAP_H
#define WEFT_POLICY_STRMAP_H

#include <stddef.h>

struct strmap_entry {
	char *key;
	void *value;
};

struct strmap {
	struct strmap_entry *slots;
	size_t cap, count;
};

void strmap_init(struct strmap *m);
void strmap_free(struct strmap *m);
/* The value slot for key, inserting key (value NULL) when missing.
 * NULL only when out of memory. */
void **strmap_slot(struct strmap *m, const char *key);
/* The value for key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key);

#endif
