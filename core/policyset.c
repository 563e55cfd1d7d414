/* Policy set implementation: a sorted array of resource references plus
 * per-kind offsets. See policyset.h. */
#include "policyset.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"

struct weft_policyset {
	atomic_int refs;
	weft_resource **items;
	size_t count;
	size_t kind_start[WEFT_KIND_COUNT + 1];
};

static int cmp_res(const void *a, const void *b)
{
	const weft_resource *x = *(weft_resource *const *)a, *y = *(weft_resource *const *)b;
	weft_key kx = weft_resource_key(x), ky = weft_resource_key(y);
	return weft_key_cmp(&kx, &ky);
}

static void index_kinds(weft_policyset *s)
{
	size_t i = 0;
	for (int k = 0; k <= WEFT_KIND_COUNT; k++) {
		while (i < s->count && (int)s->items[i]->kind < k)
			i++;
		s->kind_start[k] = i;
	}
}

/* Takes ownership of items (already referenced). Sorts, checks duplicates. */
static weft_policyset *finish(weft_resource **items, size_t n, weft_diags *diags)
{
	qsort(items, n, sizeof(*items), cmp_res);
	int dup = 0;
	for (size_t i = 1; i < n; i++)
		if (cmp_res(&items[i - 1], &items[i]) == 0) {
			const weft_resource *a = items[i - 1], *b = items[i];
			weft_diags_add(diags, b->file, b->line, 1, "metadata.name",
			               "duplicate %s '%s/%s' (also defined at %s:%d)",
			               weft_kind_name(b->kind), b->ns, b->name, a->file, a->line);
			dup = 1;
		}
	weft_policyset *s = dup ? NULL : calloc(1, sizeof(*s));
	if (!s) {
		for (size_t i = 0; i < n; i++)
			weft_resource_unref(items[i]);
		free(items);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->items = items;
	s->count = n;
	index_kinds(s);
	return s;
}

weft_policyset *weft_policyset_new(weft_resource *const *res, size_t n, weft_diags *diags)
{
	weft_resource **items = malloc((n ? n : 1) * sizeof(*items));
	if (!items)
		return NULL;
	for (size_t i = 0; i < n; i++)
		items[i] = weft_resource_ref(res[i]);
	return finish(items, n, diags);
}

static int cmp_key_sorted(const void *a, const void *b)
{
	return weft_key_cmp(a, b);
}

/* Whether k is in the sorted array keys; marks the hit. */
static int key_in(const weft_key *k, const weft_key *keys, size_t n, char *hit)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = weft_key_cmp(&keys[mid], k);
		if (c == 0) {
			if (hit)
				hit[mid] = 1;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/* Sorted copies of the upsert and delete keys make derive O(n log m). */
weft_policyset *weft_policyset_derive(const weft_policyset *base, weft_resource *const *upserts,
                                      size_t n_upserts, const weft_key *deletes, size_t n_deletes,
                                      weft_diags *diags)
{
	size_t n_base = base ? base->count : 0;
	weft_resource **items = malloc((n_base + n_upserts + 1) * sizeof(*items));
	weft_key *up_keys = malloc((n_upserts + 1) * sizeof(*up_keys));
	weft_key *del_keys = malloc((n_deletes + 1) * sizeof(*del_keys));
	char *hit = calloc(n_deletes + 1, 1);
	if (!items || !up_keys || !del_keys || !hit) {
		free(items);
		free(up_keys);
		free(del_keys);
		free(hit);
		return NULL;
	}
	for (size_t i = 0; i < n_upserts; i++)
		up_keys[i] = weft_resource_key(upserts[i]);
	if (n_deletes)
		memcpy(del_keys, deletes, n_deletes * sizeof(*del_keys));
	qsort(up_keys, n_upserts, sizeof(*up_keys), cmp_key_sorted);
	qsort(del_keys, n_deletes, sizeof(*del_keys), cmp_key_sorted);
	size_t n = 0;
	for (size_t i = 0; i < n_base; i++) {
		weft_resource *r = base->items[i];
		weft_key k = weft_resource_key(r);
		int deleted = key_in(&k, del_keys, n_deletes, hit);
		if (deleted || key_in(&k, up_keys, n_upserts, NULL))
			continue;
		items[n++] = weft_resource_ref(r);
	}
	int bad = 0;
	for (size_t i = 0; i < n_deletes; i++)
		if (!hit[i]) {
			weft_diags_add(
			        diags, "request", 0, 0, NULL, "cannot delete %s '%s/%s': not found",
			        weft_kind_name(del_keys[i].kind), del_keys[i].ns, del_keys[i].name);
			bad = 1;
		}
	free(hit);
	free(up_keys);
	free(del_keys);
	for (size_t i = 0; i < n_upserts; i++)
		items[n++] = weft_resource_ref(upserts[i]);
	weft_policyset *s = finish(items, n, diags);
	if (s && bad) {
		weft_policyset_unref(s);
		return NULL;
	}
	return s;
}

weft_policyset *weft_policyset_ref(weft_policyset *set)
{
	if (set)
		atomic_fetch_add(&set->refs, 1);
	return set;
}

void weft_policyset_unref(weft_policyset *set)
{
	if (!set || atomic_fetch_sub(&set->refs, 1) != 1)
		return;
	for (size_t i = 0; i < set->count; i++)
		weft_resource_unref(set->items[i]);
	free(set->items);
	free(set);
}

size_t weft_policyset_count(const weft_policyset *set)
{
	return set ? set->count : 0;
}

weft_resource *const *weft_policyset_items(const weft_policyset *set)
{
	return set->items;
}

weft_resource *const *weft_policyset_kind(const weft_policyset *set, weft_kind kind, size_t *n)
{
	if (!set || (unsigned)kind >= WEFT_KIND_COUNT) {
		*n = 0;
		return NULL;
	}
	*n = set->kind_start[kind + 1] - set->kind_start[kind];
	return set->items + set->kind_start[kind];
}

const weft_resource *weft_policyset_find(const weft_policyset *set, weft_kind kind, const char *ns,
                                         const char *name)
{
	if (!set)
		return NULL;
	weft_key k = {kind, ns, name};
	size_t lo = set->kind_start[0], hi = set->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = weft_resource_cmp_key(set->items[mid], &k);
		if (c == 0)
			return set->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
