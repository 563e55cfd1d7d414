/* f5sim: a string-keyed hash table that also keeps insertion order.
 *
 * Every object collection of the simulated BIG-IP (pools, virtuals, the
 * members of one pool, tokens, reference counts, request counters) is one of
 * these: lookups by full path are O(1), and iteration follows creation order
 * so that collection GETs are stable. Part of simulators/f5sim (docs/architecture.md,
 * "Simulators"); depends on jansson only. */
#ifndef F5SIM_TABLE_H
#define F5SIM_TABLE_H

#include <stddef.h>
#include <jansson.h>

struct tentry {
	char *key;
	json_t *obj;                /* owned reference, may be NULL */
	void *aux;                  /* owner-defined (a sub-table, a counter...) */
	long long num;              /* owner-defined number (counters, expiry) */
	char *text;                 /* owner-defined cached text, freed with the entry */
	struct tentry *hnext;       /* hash chain */
	struct tentry *prev, *next; /* insertion order */
};

struct table {
	struct tentry **buckets;
	size_t nbuckets;
	size_t count;
	struct tentry *head, *tail;
};

/* Callback that frees an entry's aux pointer (may be NULL). */
typedef void (*table_aux_free_fn)(void *aux);

void table_init(struct table *t);
/* Frees every entry (keys, json references, aux through free_aux). */
void table_clear(struct table *t, table_aux_free_fn free_aux);

/* The entry for key, or NULL. */
struct tentry *table_get(const struct table *t, const char *key);

/* The entry for key; created (obj NULL, aux NULL, num 0) at the tail when
 * missing. Returns NULL only when out of memory. */
struct tentry *table_put(struct table *t, const char *key);

/* Unlinks and frees e (key and obj; aux is freed with free_aux). */
void table_del(struct table *t, struct tentry *e, table_aux_free_fn free_aux);

#endif
