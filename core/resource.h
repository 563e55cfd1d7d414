/* Resource lifetime and identity helpers. See resource-t.h for the type. */
#ifndef WEFT_RESOURCE_H
#define WEFT_RESOURCE_H

#include "resource-t.h"

/* "Service", "Route", ... (the kind field of a document). */
const char *weft_kind_name(weft_kind kind);
/* Parses a kind name (exact, case-sensitive). 0 or -1. */
int weft_kind_from_name(const char *name, weft_kind *out);
/* Lower-case plural used in API paths: "services", "routes",
 * "trafficpolicies", "ratelimits", "accesspolicies",
 * "peerauthentications", "telemetries", "gateways", "devices". */
const char *weft_kind_plural(weft_kind kind);
int weft_kind_from_plural(const char *plural, weft_kind *out);

/* A new resource with refs = 1 owning a new arena; the decoder fills it.
 * NULL when out of memory. */
weft_resource *weft_resource_new(weft_kind kind);
weft_resource *weft_resource_ref(weft_resource *r);
/* Drops a reference; frees the arena at zero. NULL is accepted. */
void weft_resource_unref(weft_resource *r);

/* Total order by (kind, ns, name). */
int weft_key_cmp(const weft_key *a, const weft_key *b);
int weft_resource_cmp_key(const weft_resource *r, const weft_key *k);
weft_key weft_resource_key(const weft_resource *r);

/* The value of a label, or NULL. */
const char *weft_labels_get(const weft_labels *labels, const char *key);
/* Whether every label of selector is present with the same value in labels. */
int weft_labels_match(const weft_labels *selector, const weft_labels *labels);

/* FNV-1a 64-bit over bytes; chainable (pass the previous hash as seed, or
 * WEFT_HASH_SEED to start). */
#define WEFT_HASH_SEED 0xcbf29ce484222325ULL
uint64_t weft_hash_bytes(uint64_t seed, const void *data, size_t len);
uint64_t weft_hash_str(uint64_t seed, const char *s);

#endif
