/* Resource identity, refcounting, labels and content hashing. */
#include "resource.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[WEFT_KIND_COUNT] = {
        "Service",   "Route",   "TrafficPolicy", "RateLimit", "AccessPolicy", "PeerAuthentication",
        "Telemetry", "Gateway", "Device",        "Registry",
};

static const char *const kind_plurals[WEFT_KIND_COUNT] = {
        "services",    "routes",         "trafficpolicies",
        "ratelimits",  "accesspolicies", "peerauthentications",
        "telemetries", "gateways",       "devices",
        "registries",
};

const char *weft_kind_name(weft_kind kind)
{
	return (unsigned)kind < WEFT_KIND_COUNT ? kind_names[kind] : "?";
}

const char *weft_kind_plural(weft_kind kind)
{
	return (unsigned)kind < WEFT_KIND_COUNT ? kind_plurals[kind] : "?";
}

int weft_kind_from_name(const char *name, weft_kind *out)
{
	for (int i = 0; i < WEFT_KIND_COUNT; i++)
		if (!strcmp(name, kind_names[i])) {
			*out = (weft_kind)i;
			return 0;
		}
	return -1;
}

int weft_kind_from_plural(const char *plural, weft_kind *out)
{
	for (int i = 0; i < WEFT_KIND_COUNT; i++)
		if (!strcmp(plural, kind_plurals[i])) {
			*out = (weft_kind)i;
			return 0;
		}
	return -1;
}

weft_resource *weft_resource_new(weft_kind kind)
{
	weft_arena *arena = weft_arena_new();
	if (!arena)
		return NULL;
	weft_resource *r = weft_arena_alloc(arena, sizeof(*r));
	if (!r) {
		weft_arena_free(arena);
		return NULL;
	}
	atomic_init(&r->refs, 1);
	r->kind = kind;
	r->arena = arena;
	r->ns = "default";
	r->name = "";
	r->file = "-";
	r->json = "{}";
	r->json_len = 2;
	return r;
}

weft_resource *weft_resource_ref(weft_resource *r)
{
	if (r)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void weft_resource_unref(weft_resource *r)
{
	if (r && atomic_fetch_sub(&r->refs, 1) == 1)
		weft_arena_free(r->arena); /* r itself lives in its arena */
}

int weft_key_cmp(const weft_key *a, const weft_key *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	int c = strcmp(a->ns, b->ns);
	return c ? c : strcmp(a->name, b->name);
}

weft_key weft_resource_key(const weft_resource *r)
{
	weft_key k = {r->kind, r->ns, r->name};
	return k;
}

int weft_resource_cmp_key(const weft_resource *r, const weft_key *k)
{
	weft_key rk = weft_resource_key(r);
	return weft_key_cmp(&rk, k);
}

const char *weft_labels_get(const weft_labels *labels, const char *key)
{
	for (size_t i = 0; i < labels->count; i++)
		if (!strcmp(labels->items[i].key, key))
			return labels->items[i].value;
	return NULL;
}

int weft_labels_match(const weft_labels *selector, const weft_labels *labels)
{
	for (size_t i = 0; i < selector->count; i++) {
		const char *v = weft_labels_get(labels, selector->items[i].key);
		if (!v || strcmp(v, selector->items[i].value))
			return 0;
	}
	return 1;
}

uint64_t weft_hash_bytes(uint64_t seed, const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = seed;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

uint64_t weft_hash_str(uint64_t seed, const char *s)
{
	return weft_hash_bytes(seed, s, strlen(s));
}
