/* f5sim: string-keyed hash table with insertion order (see table.h).
 * Chained buckets, FNV-1a hash, doubled when the load passes 1. */
#include "table.h"

#include <stdlib.h>
#include <string.h>

static size_t hash_key(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void table_init(struct table *t)
{
	memset(t, 0, sizeof(*t));
}

void table_clear(struct table *t, table_aux_free_fn free_aux)
{
	struct tentry *e = t->head, *n;

	while (e) {
		n = e->next;
		if (free_aux && e->aux)
			free_aux(e->aux);
		json_decref(e->obj);
		free(e->text);
		free(e->key);
		free(e);
		e = n;
	}
	free(t->buckets);
	table_init(t);
}

struct tentry *table_get(const struct table *t, const char *key)
{
	struct tentry *e;

	if (!t->nbuckets)
		return NULL;
	e = t->buckets[hash_key(key) % t->nbuckets];
	for (; e; e = e->hnext)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

static int table_grow(struct table *t)
{
	size_t n = t->nbuckets ? t->nbuckets * 2 : 64;
	struct tentry **b = calloc(n, sizeof(*b));
	struct tentry *e;

	if (!b)
		return -1;
	for (e = t->head; e; e = e->next) {
		size_t i = hash_key(e->key) % n;

		e->hnext = b[i];
		b[i] = e;
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
	return 0;
}

struct tentry *table_put(struct table *t, const char *key)
{
	struct tentry *e = table_get(t, key);
	size_t i;

	if (e)
		return e;
	if (t->count + 1 > t->nbuckets && table_grow(t))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = strdup(key);
	if (!e->key) {
		free(e);
		return NULL;
	}
	i = hash_key(key) % t->nbuckets;
	e->hnext = t->buckets[i];
	t->buckets[i] = e;
	e->prev = t->tail;
	if (t->tail)
		t->tail->next = e;
	else
		t->head = e;
	t->tail = e;
	t->count++;
	return e;
}

void table_del(struct table *t, struct tentry *e, table_aux_free_fn free_aux)
{
	struct tentry **pp = &t->buckets[hash_key(e->key) % t->nbuckets];

	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	t->count--;
	if (free_aux && e->aux)
		free_aux(e->aux);
	json_decref(e->obj);
	free(e->text);
	free(e->key);
	free(e);
}
