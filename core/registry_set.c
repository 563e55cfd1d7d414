/* Endpoint sets (immutable, reference-counted generations of the registry
 * endpoint table) and the table of registry backends. See registry.h. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "registry-int.h"

/* One Service's endpoints, shared by every set that has them. */
struct ep_entry {
	atomic_int refs;
	weft_arena *a;
	const char *ns, *name;
	weft_endpoint *eps;
	size_t n;
};

struct weft_endpoint_set {
	atomic_int refs;
	uint64_t generation;
	struct ep_entry **items; /* sorted by (ns, name) */
	size_t n;
};

static void entry_unref(struct ep_entry *e)
{
	if (e && atomic_fetch_sub(&e->refs, 1) == 1) {
		weft_arena_free(e->a);
		free(e);
	}
}

static int copy_labels(weft_arena *a, weft_labels *dst, const weft_labels *src)
{
	dst->count = 0;
	dst->items = src->count ? weft_arena_alloc(a, src->count * sizeof(*dst->items)) : NULL;
	if (src->count && !dst->items)
		return -1;
	for (size_t i = 0; i < src->count; i++) {
		dst->items[i].key = weft_arena_strdup(a, src->items[i].key);
		dst->items[i].value = weft_arena_strdup(a, src->items[i].value);
		if (!dst->items[i].key || !dst->items[i].value)
			return -1;
		dst->count++;
	}
	return 0;
}

static struct ep_entry *entry_new(const char *ns, const char *name, const weft_endpoint *eps,
                                  size_t n)
{
	struct ep_entry *e = calloc(1, sizeof(*e));
	if (!e || !(e->a = weft_arena_new())) {
		free(e);
		return NULL;
	}
	atomic_init(&e->refs, 1);
	e->ns = weft_arena_strdup(e->a, ns);
	e->name = weft_arena_strdup(e->a, name);
	e->eps = weft_arena_alloc(e->a, (n ? n : 1) * sizeof(*e->eps));
	int bad = !e->ns || !e->name || !e->eps;
	for (size_t i = 0; !bad && i < n; i++) {
		weft_endpoint *d = &e->eps[i];
		*d = eps[i];
		d->address = eps[i].address ? weft_arena_strdup(e->a, eps[i].address) : NULL;
		d->zone = eps[i].zone ? weft_arena_strdup(e->a, eps[i].zone) : NULL;
		bad = (eps[i].address && !d->address) || (eps[i].zone && !d->zone) ||
		      copy_labels(e->a, &d->addresses, &eps[i].addresses) ||
		      copy_labels(e->a, &d->labels, &eps[i].labels);
		if (d->weight <= 0)
			d->weight = 1;
	}
	if (bad) {
		entry_unref(e);
		return NULL;
	}
	e->n = n;
	return e;
}

static int key_cmp(const char *ns, const char *name, const struct ep_entry *e)
{
	int c = strcmp(ns, e->ns);
	return c ? c : strcmp(name, e->name);
}

/* Index of the entry for (ns, name), or where it would go (*found 0). */
static size_t set_search(const weft_endpoint_set *s, const char *ns, const char *name, int *found)
{
	size_t lo = 0, hi = s->n;
	*found = 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(ns, name, s->items[mid]);
		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

weft_endpoint_set *endpoint_set_empty(void)
{
	weft_endpoint_set *s = calloc(1, sizeof(*s));
	if (s)
		atomic_init(&s->refs, 1);
	return s;
}

static weft_endpoint_set *set_alloc(size_t n, uint64_t generation)
{
	weft_endpoint_set *s = endpoint_set_empty();
	if (!s)
		return NULL;
	s->generation = generation;
	s->items = calloc(n ? n : 1, sizeof(*s->items));
	if (!s->items) {
		free(s);
		return NULL;
	}
	return s;
}

weft_endpoint_set *endpoint_set_with(const weft_endpoint_set *old, const char *ns, const char *name,
                                     const weft_endpoint *eps, size_t n)
{
	int found;
	size_t at = set_search(old, ns, name, &found);
	struct ep_entry *e = entry_new(ns, name, eps, n);
	weft_endpoint_set *s = e ? set_alloc(old->n + !found, old->generation + 1) : NULL;
	if (!s) {
		entry_unref(e);
		return NULL;
	}
	for (size_t i = 0, j = 0; i < old->n; i++) {
		if (i == at)
			s->items[j++] = e;
		if (i == at && found)
			continue;
		atomic_fetch_add(&old->items[i]->refs, 1);
		s->items[j++] = old->items[i];
	}
	if (at == old->n)
		s->items[old->n] = e;
	s->n = old->n + !found;
	return s;
}

weft_endpoint_set *endpoint_set_filter(weft_endpoint_set *old,
                                       int (*keep)(void *arg, const char *ns, const char *name),
                                       void *arg)
{
	size_t kept = 0;
	for (size_t i = 0; i < old->n; i++)
		kept += keep(arg, old->items[i]->ns, old->items[i]->name) != 0;
	if (kept == old->n)
		return weft_endpoint_set_ref(old);
	weft_endpoint_set *s = set_alloc(kept, old->generation + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < old->n; i++)
		if (keep(arg, old->items[i]->ns, old->items[i]->name)) {
			atomic_fetch_add(&old->items[i]->refs, 1);
			s->items[s->n++] = old->items[i];
		}
	return s;
}

weft_endpoint_set *weft_endpoint_set_ref(weft_endpoint_set *set)
{
	if (set)
		atomic_fetch_add(&set->refs, 1);
	return set;
}

void weft_endpoint_set_unref(weft_endpoint_set *set)
{
	if (!set || atomic_fetch_sub(&set->refs, 1) != 1)
		return;
	for (size_t i = 0; i < set->n; i++)
		entry_unref(set->items[i]);
	free(set->items);
	free(set);
}

uint64_t weft_endpoint_set_generation(const weft_endpoint_set *set)
{
	return set ? set->generation : 0;
}

const weft_endpoint *weft_endpoint_set_lookup(const weft_endpoint_set *set, const char *ns,
                                              const char *name, size_t *n)
{
	int found = 0;
	size_t at = set ? set_search(set, ns, name, &found) : 0;
	*n = found ? set->items[at]->n : 0;
	return found ? set->items[at]->eps : NULL;
}

static const weft_endpoint *table_lookup(void *arg, const weft_resource *service, size_t *n)
{
	return weft_endpoint_set_lookup(arg, service->ns, service->name, n);
}

weft_endpoint_table weft_endpoint_set_table(const weft_endpoint_set *set)
{
	weft_endpoint_table t = {table_lookup, (void *)set};
	return t;
}

/* ---- backends ------------------------------------------------------------- */

#define MAX_BACKENDS 16
static const weft_registry_backend *backends[MAX_BACKENDS];
static size_t n_backends;
static pthread_mutex_t backends_lock = PTHREAD_MUTEX_INITIALIZER;

int weft_registry_backend_register(const weft_registry_backend *b)
{
	int rc = -1;
	pthread_mutex_lock(&backends_lock);
	if (b && b->type && b->start && b->stop && n_backends < MAX_BACKENDS) {
		rc = 0;
		for (size_t i = 0; i < n_backends; i++)
			if (!strcmp(backends[i]->type, b->type))
				rc = -1;
		if (!rc)
			backends[n_backends++] = b;
	}
	pthread_mutex_unlock(&backends_lock);
	return rc;
}

const weft_registry_backend *weft_registry_backend_find(const char *type)
{
	const weft_registry_backend *found = NULL;
	pthread_mutex_lock(&backends_lock);
	for (size_t i = 0; i < n_backends && !found; i++)
		if (!strcmp(backends[i]->type, type))
			found = backends[i];
	pthread_mutex_unlock(&backends_lock);
	return found;
}
