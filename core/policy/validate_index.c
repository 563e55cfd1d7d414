/* The lookup tables of semantic validation (validate.h): endpoint keys
 * (plane, ip, port), TrafficPolicy keys (service, subset), per-kind name
 * indexes, and the namespaces in use. All are flat open-addressing tables
 * (linear probing, power-of-two capacity, at most half full) whose keys
 * point into the resources of the set being validated, so a validation
 * costs a handful of mallocs however large the policy is. */
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "validate.h"

/* ---- endpoint keys --------------------------------------------------------- */

uint64_t ep_hash(const char *plane, const char *ip, int port)
{
	uint64_t h = vhash_str(WEFT_HASH_SEED ^ (uint64_t)(unsigned)port, plane);
	return vhash_str(h, ip);
}

static uint32_t ep_tag(uint64_t hash)
{
	return (uint32_t)(hash >> 32);
}

static int ep_is(const struct ep_use *u, const char *plane, const char *ip, int port)
{
	return u->port == port && !strcmp(u->ip, ip) && !strcmp(u->plane, plane);
}

static size_t ep_find(const struct ep_table *t, uint64_t hash, const char *plane, const char *ip,
                      int port)
{
	size_t mask = t->cap - 1, i = (size_t)hash & mask;
	uint32_t tag = ep_tag(hash);
	for (; t->slots[i].use; i = (i + 1) & mask)
		if (t->slots[i].tag == tag && ep_is(&t->uses[t->slots[i].use - 1], plane, ip, port))
			break;
	return i;
}

struct ep_use *ep_table_get(const struct ep_table *t, uint64_t hash, const char *plane,
                            const char *ip, int port)
{
	if (!t->cap)
		return NULL;
	uint32_t u = t->slots[ep_find(t, hash, plane, ip, port)].use;
	return u ? &t->uses[u - 1] : NULL;
}

static int ep_rehash(struct ep_table *t, size_t cap)
{
	if (cap / 2 >= UINT32_MAX)
		return -1;
	struct ep_slot *slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t k = 0; k < t->count; k++) {
		size_t i = (size_t)t->uses[k].hash & (cap - 1);
		while (slots[i].use)
			i = (i + 1) & (cap - 1);
		slots[i] = (struct ep_slot){(uint32_t)(k + 1), ep_tag(t->uses[k].hash)};
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

static int ep_reserve_uses(struct ep_table *t, size_t n)
{
	if (n <= t->uses_cap)
		return 0;
	struct ep_use *uses = realloc(t->uses, n * sizeof(*uses));
	if (!uses)
		return -1;
	t->uses = uses;
	t->uses_cap = n;
	return 0;
}

int ep_table_reserve(struct ep_table *t, size_t n)
{
	size_t cap = t->cap ? t->cap : 64;
	while (cap < 2 * n)
		cap *= 2;
	if (ep_reserve_uses(t, n))
		return -1;
	return cap > t->cap ? ep_rehash(t, cap) : 0;
}

struct ep_use *ep_table_use(struct ep_table *t, uint64_t hash, const char *plane, const char *ip,
                            int port, int *fresh)
{
	*fresh = 0;
	if ((t->count + 1) * 2 > t->cap && ep_rehash(t, t->cap ? t->cap * 2 : 64))
		return NULL;
	size_t i = ep_find(t, hash, plane, ip, port);
	if (t->slots[i].use)
		return &t->uses[t->slots[i].use - 1];
	if (t->count == t->uses_cap && ep_reserve_uses(t, t->uses_cap ? t->uses_cap * 2 : 32))
		return NULL;
	struct ep_use *u = &t->uses[t->count];
	memset(u, 0, sizeof(*u));
	u->hash = hash;
	u->plane = plane;
	u->ip = ip;
	u->port = port;
	t->count++;
	t->slots[i] = (struct ep_slot){(uint32_t)t->count, ep_tag(hash)};
	*fresh = 1;
	return u;
}

void ep_table_free(struct ep_table *t)
{
	free(t->uses);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---- TrafficPolicy keys ------------------------------------------------------ */

static size_t tp_hash(const weft_resource *service, const char *subset)
{
	uint64_t h = (uint64_t)(uintptr_t)service * 0x9e3779b97f4a7c15ULL;
	if (subset)
		h = vhash_str(h ^ 1, subset);
	return (size_t)(h ^ (h >> 31));
}

/* NULL and "" are one key, as in the "ns/name/subset" keys this replaces. */
static int same_subset(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

static size_t tp_find(const struct tp_slot *slots, size_t cap, const weft_resource *service,
                      const char *subset)
{
	size_t mask = cap - 1;
	size_t i = tp_hash(service, subset && *subset ? subset : NULL) & mask;
	while (slots[i].service &&
	       (slots[i].service != service || !same_subset(slots[i].subset, subset)))
		i = (i + 1) & mask;
	return i;
}

struct tp_slot *tp_table_slot(struct tp_table *t, const weft_resource *service, const char *subset)
{
	if ((t->count + 1) * 2 > t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tp_slot *slots = calloc(cap, sizeof(*slots));
		if (!slots)
			return NULL;
		for (size_t k = 0; k < t->cap; k++)
			if (t->slots[k].service)
				slots[tp_find(slots, cap, t->slots[k].service,
				              t->slots[k].subset)] = t->slots[k];
		free(t->slots);
		t->slots = slots;
		t->cap = cap;
	}
	size_t i = tp_find(t->slots, t->cap, service, subset);
	if (!t->slots[i].service) {
		t->slots[i] = (struct tp_slot){.service = service, .subset = subset};
		t->count++;
	}
	return &t->slots[i];
}

void tp_table_free(struct tp_table *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---- names ------------------------------------------------------------------- */

static uint64_t name_hash(const char *ns, const char *name)
{
	return vhash_str(vhash_str(WEFT_HASH_SEED, ns), name);
}

/* Builds the index of one kind; on out of memory the index stays empty and
 * lookups fall back to the set's binary search. */
static void name_index_build(struct vctx *v, weft_kind kind)
{
	struct name_index *x = &v->names[kind];
	x->built = 1;
	size_t n = 0;
	weft_resource *const *items = weft_policyset_kind(v->set, kind, &n);
	if (!n)
		return;
	size_t cap = 16;
	while (cap < n * 2)
		cap *= 2;
	x->slots = calloc(cap, sizeof(*x->slots));
	if (!x->slots)
		return;
	x->cap = cap;
	for (size_t k = 0; k < n; k++) {
		uint64_t h = name_hash(items[k]->ns, items[k]->name);
		size_t i = (size_t)h & (cap - 1);
		while (x->slots[i].r)
			i = (i + 1) & (cap - 1);
		x->slots[i] = (struct name_slot){.hash = h, .r = items[k]};
	}
}

const weft_resource *vfind(struct vctx *v, weft_kind kind, const char *ns, const char *name)
{
	if ((unsigned)kind >= WEFT_KIND_COUNT)
		return NULL;
	/* a route names the same service in its spec and its destinations */
	const weft_resource *last = v->last_found.r;
	if (last && last->kind == kind && !strcmp(last->name, name) && !strcmp(last->ns, ns))
		return last;
	struct name_index *x = &v->names[kind];
	if (!x->built)
		name_index_build(v, kind);
	if (!x->cap)
		return weft_policyset_find(v->set, kind, ns, name);
	uint64_t h = name_hash(ns, name);
	size_t mask = x->cap - 1;
	for (size_t i = (size_t)h & mask; x->slots[i].r; i = (i + 1) & mask) {
		const weft_resource *r = x->slots[i].r;
		if (x->slots[i].hash == h && !strcmp(r->name, name) && !strcmp(r->ns, ns)) {
			v->last_found.r = r;
			return r;
		}
	}
	return NULL;
}

/* ---- namespaces -------------------------------------------------------------- */

int vnamespace_used(struct vctx *v, const char *ns)
{
	if (!v->namespaces_built) {
		v->namespaces_built = 1;
		size_t n = weft_policyset_count(v->set);
		weft_resource *const *items = weft_policyset_items(v->set);
		const char *last = NULL;
		for (size_t i = 0; i < n; i++) {
			/* sorted by kind, then namespace: runs of one namespace */
			if (last && !strcmp(last, items[i]->ns))
				continue;
			last = items[i]->ns;
			void **slot = strmap_slot(&v->namespaces, last);
			if (slot)
				*slot = (void *)items[i];
		}
	}
	return strmap_get(&v->namespaces, ns) != NULL;
}

/* ---- context ----------------------------------------------------------------- */

void vctx_init(struct vctx *v, const weft_policyset *set, weft_diags *diags)
{
	memset(v, 0, sizeof(*v));
	v->set = set;
	v->diags = diags;
	strmap_init(&v->namespaces);
}

void vctx_free(struct vctx *v)
{
	ep_table_free(&v->endpoints);
	strmap_free(&v->namespaces);
	tp_table_free(&v->policy_keys);
	for (int k = 0; k < WEFT_KIND_COUNT; k++)
		free(v->names[k].slots);
}
