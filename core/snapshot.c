/* Snapshot compiler: indexes a validated policy set by service and by
 * device, compiles its resolved model (core/model.c) and each Device's
 * slice with its content hash, hashes it, and diffs two snapshots (see
 * snapshot.h). Resources are shared with the policy set by reference; the
 * snapshot owns its indexes and its model. */
#include "snapshot.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "hmap.h"
#include "model.h"
#include "policy.h"
#include "resource.h"

/* A growable list of resource pointers (not referenced: the policy set
 * holds the references for the snapshot's lifetime). */
struct res_list {
	weft_resource **items;
	size_t count, cap;
};

struct device_entry {
	weft_resource *device;
	struct res_list selected;
	weft_model_slice slice; /* items = selected.items */
};

struct weft_snapshot {
	atomic_int refs;
	int64_t revision;
	int64_t stored_unix_ms;
	uint64_t hash;
	weft_policyset *policy;
	weft_arena *arena;    /* index keys and list headers */
	weft_hmap by_service; /* "ns/name" -> struct res_list* */
	struct device_entry *devices;
	size_t n_devices;
	weft_resource **device_items; /* the Device resources, sorted */
	weft_model *model;
};

static int list_push(struct res_list *l, weft_resource *r)
{
	if (l->count && l->items[l->count - 1] == r)
		return 0; /* referenced twice by the same resource */
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4;
		weft_resource **items = realloc(l->items, cap * sizeof(*items));
		if (!items)
			return -1;
		l->items = items;
		l->cap = cap;
	}
	l->items[l->count++] = r;
	return 0;
}

struct index_ctx {
	weft_snapshot *snap;
	weft_resource *current;
	int failed;
};

static struct res_list *service_list(weft_snapshot *s, const char *ns, const char *name, int create)
{
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", ns, name);
	struct res_list *l = weft_hmap_get(&s->by_service, key);
	if (l || !create)
		return l;
	l = weft_arena_alloc(s->arena, sizeof(*l));
	char *k = weft_arena_strdup(s->arena, key);
	if (!l || !k || weft_hmap_put(&s->by_service, k, l))
		return NULL;
	return l;
}

static void on_ref(void *vctx, weft_kind kind, const char *ns, const char *name)
{
	struct index_ctx *ctx = vctx;
	if (kind != WEFT_KIND_SERVICE)
		return;
	struct res_list *l = service_list(ctx->snap, ns, name, 1);
	if (!l || list_push(l, ctx->current))
		ctx->failed = 1;
}

static int index_services(weft_snapshot *s)
{
	size_t n = weft_policyset_count(s->policy);
	weft_resource *const *items = weft_policyset_items(s->policy);
	struct index_ctx ctx = {.snap = s};
	for (size_t i = 0; i < n && !ctx.failed; i++) {
		weft_resource *r = items[i];
		if (r->kind == WEFT_KIND_DEVICE)
			continue;
		ctx.current = r;
		if (r->kind == WEFT_KIND_SERVICE)
			on_ref(&ctx, WEFT_KIND_SERVICE, r->ns, r->name);
		else
			weft_policy_refs(r, on_ref, &ctx);
	}
	return ctx.failed ? -1 : 0;
}

static int index_devices(weft_snapshot *s)
{
	size_t nd;
	weft_resource *const *devs = weft_policyset_kind(s->policy, WEFT_KIND_DEVICE, &nd);
	s->devices = calloc(nd + 1, sizeof(*s->devices));
	s->device_items = calloc(nd + 1, sizeof(*s->device_items));
	if (!s->devices || !s->device_items)
		return -1;
	s->n_devices = nd;
	size_t n = weft_policyset_count(s->policy);
	weft_resource *const *items = weft_policyset_items(s->policy);
	for (size_t d = 0; d < nd; d++) {
		s->devices[d].device = devs[d];
		s->device_items[d] = devs[d];
		for (size_t i = 0; i < n; i++) {
			if (items[i]->kind == WEFT_KIND_DEVICE)
				continue;
			if (weft_device_selects_in_set(s->policy, devs[d], items[i]) &&
			    list_push(&s->devices[d].selected, items[i]))
				return -1;
		}
	}
	return 0;
}

/* The slice of each device: its selected Services in the model, and one
 * hash over the Device and everything selected (docs/architecture.md, "The
 * resolved model"). */
static int build_slices(weft_snapshot *s)
{
	for (size_t d = 0; d < s->n_devices; d++) {
		struct device_entry *e = &s->devices[d];
		weft_model_slice *sl = &e->slice;
		sl->device = e->device;
		sl->items = e->selected.items;
		sl->n_items = e->selected.count;
		sl->services = calloc(sl->n_items + 1, sizeof(*sl->services));
		if (!sl->services)
			return -1;
		uint64_t h =
		        weft_hash_bytes(WEFT_HASH_SEED, &e->device->hash, sizeof(e->device->hash));
		for (size_t i = 0; i < sl->n_items; i++) {
			const weft_resource *r = sl->items[i];
			h = weft_hash_bytes(h, &r->hash, sizeof(r->hash));
			const weft_model_service *ms =
			        r->kind == WEFT_KIND_SERVICE
			                ? weft_model_find_service(s->model, r->ns, r->name)
			                : NULL;
			if (ms)
				sl->services[sl->n_services++] = ms;
		}
		sl->hash = h;
	}
	return 0;
}

static uint64_t hash_policy(const weft_policyset *p)
{
	uint64_t h = WEFT_HASH_SEED;
	size_t n = weft_policyset_count(p);
	weft_resource *const *items = weft_policyset_items(p);
	for (size_t i = 0; i < n; i++)
		h = weft_hash_bytes(h, &items[i]->hash, sizeof(items[i]->hash));
	return h;
}

void weft_snapshot_set_stored_ms(weft_snapshot *s, int64_t unix_ms)
{
	s->stored_unix_ms = unix_ms;
}

int64_t weft_snapshot_stored_ms(const weft_snapshot *s)
{
	return s->stored_unix_ms;
}

weft_snapshot *weft_snapshot_compile(weft_policyset *policy, int64_t revision,
                                     const weft_snapshot *prev, weft_err *err)
{
	/* Indexes are rebuilt in O(n) (resources are shared anyway); the
	 * model reuses prev's endpoint lists of unchanged Services. */
	weft_snapshot *s = calloc(1, sizeof(*s));
	if (!s) {
		weft_err_set(err, "snapshot: out of memory");
		return NULL;
	}
	atomic_init(&s->refs, 1);
	s->revision = revision;
	s->policy = weft_policyset_ref(policy);
	s->arena = weft_arena_new();
	weft_hmap_init(&s->by_service);
	if (s->arena && !index_services(s) && !index_devices(s))
		s->model = weft_model_compile(weft_policyset_items(policy),
		                              weft_policyset_count(policy), NULL,
		                              prev ? prev->model : NULL, err);
	if (!s->arena || !s->model || build_slices(s)) {
		weft_err_set(err, "snapshot of revision %lld: out of memory", (long long)revision);
		s->refs = 1;
		weft_snapshot_unref(s);
		return NULL;
	}
	s->hash = hash_policy(policy);
	return s;
}

weft_snapshot *weft_snapshot_ref(weft_snapshot *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

static void free_service_lists(weft_snapshot *s)
{
	for (size_t i = 0; i < s->by_service.cap; i++)
		if (s->by_service.keys && s->by_service.keys[i]) {
			struct res_list *l = s->by_service.values[i];
			free(l->items);
		}
	weft_hmap_free(&s->by_service);
}

void weft_snapshot_unref(weft_snapshot *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	free_service_lists(s);
	for (size_t d = 0; s->devices && d < s->n_devices; d++) {
		free(s->devices[d].selected.items);
		free(s->devices[d].slice.services);
	}
	weft_model_free(s->model);
	free(s->devices);
	free(s->device_items);
	weft_arena_free(s->arena);
	weft_policyset_unref(s->policy);
	free(s);
}

int64_t weft_snapshot_revision(const weft_snapshot *s)
{
	return s->revision;
}

const weft_policyset *weft_snapshot_policy(const weft_snapshot *s)
{
	return s->policy;
}

uint64_t weft_snapshot_hash(const weft_snapshot *s)
{
	return s->hash;
}

weft_resource *const *weft_snapshot_by_service(const weft_snapshot *s, const char *ns,
                                               const char *name, size_t *n)
{
	struct res_list *l = service_list((weft_snapshot *)s, ns, name, 0);
	*n = l ? l->count : 0;
	return l ? l->items : NULL;
}

weft_resource *const *weft_snapshot_devices(const weft_snapshot *s, size_t *n)
{
	*n = s->n_devices;
	return s->device_items;
}

static const struct device_entry *find_device(const weft_snapshot *s, const char *ns,
                                              const char *name)
{
	for (size_t d = 0; d < s->n_devices; d++)
		if (!strcmp(s->devices[d].device->ns, ns) &&
		    !strcmp(s->devices[d].device->name, name))
			return &s->devices[d];
	return NULL;
}

const weft_model *weft_snapshot_model(const weft_snapshot *s)
{
	return s->model;
}

const weft_model_slice *weft_snapshot_slice(const weft_snapshot *s, const char *ns,
                                            const char *name)
{
	const struct device_entry *e = s ? find_device(s, ns, name) : NULL;
	return e ? &e->slice : NULL;
}

weft_resource *const *weft_snapshot_by_device(const weft_snapshot *s, const char *ns,
                                              const char *name, size_t *n)
{
	const struct device_entry *e = find_device(s, ns, name);
	*n = e ? e->selected.count : 0;
	return e ? e->selected.items : NULL;
}

static int push_change(weft_snapshot_diff *d, size_t *cap, const weft_resource *r, int what)
{
	if (d->count == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		weft_snapshot_change *items = realloc(d->items, *cap * sizeof(*items));
		if (!items)
			return -1;
		d->items = items;
	}
	d->items[d->count].key = weft_resource_key(r);
	d->items[d->count].what = what;
	d->count++;
	d->per_kind[r->kind]++;
	return 0;
}

int weft_snapshot_diff_compute(const weft_snapshot *a, const weft_snapshot *b,
                               weft_snapshot_diff *out)
{
	memset(out, 0, sizeof(*out));
	size_t cap = 0;
	size_t na = a ? weft_policyset_count(a->policy) : 0;
	size_t nb = weft_policyset_count(b->policy);
	weft_resource *const *ia = a ? weft_policyset_items(a->policy) : NULL;
	weft_resource *const *ib = weft_policyset_items(b->policy);
	size_t i = 0, j = 0;
	int rc = 0;
	while (!rc && (i < na || j < nb)) {
		int c;
		if (i == na)
			c = 1;
		else if (j == nb)
			c = -1;
		else {
			weft_key kb = weft_resource_key(ib[j]);
			c = weft_resource_cmp_key(ia[i], &kb);
		}
		if (c < 0)
			rc = push_change(out, &cap, ia[i++], WEFT_CHANGE_REMOVED);
		else if (c > 0)
			rc = push_change(out, &cap, ib[j++], WEFT_CHANGE_ADDED);
		else {
			if (ia[i] != ib[j] && ia[i]->hash != ib[j]->hash)
				rc = push_change(out, &cap, ib[j], WEFT_CHANGE_UPDATED);
			i++;
			j++;
		}
	}
	if (rc)
		weft_snapshot_diff_free(out);
	return rc;
}

void weft_snapshot_diff_free(weft_snapshot_diff *d)
{
	free(d->items);
	memset(d, 0, sizeof(*d));
}

int weft_snapshot_diff_touches_device(const weft_snapshot_diff *d, const weft_snapshot *a,
                                      const weft_snapshot *b, const weft_resource *device)
{
	if (!d->count)
		return 0;
	const weft_model_slice *sa = weft_snapshot_slice(a, device->ns, device->name);
	const weft_model_slice *sb = weft_snapshot_slice(b, device->ns, device->name);
	return !sa || !sb || sa->hash != sb->hash;
}
