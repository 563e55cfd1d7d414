/* Types of a policy resource: the unit the northbound accepts, the store
 * keeps and the compiler reads. A resource is immutable once decoded and is
 * shared by reference count between policy sets and snapshots. Types only;
 * functions are in resource.h. */
#ifndef WEFT_RESOURCE_T_H
#define WEFT_RESOURCE_T_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* Policy kinds, in the order validation reports and stores them. */
typedef enum weft_kind {
	WEFT_KIND_SERVICE,
	WEFT_KIND_ROUTE,
	WEFT_KIND_TRAFFIC_POLICY,
	WEFT_KIND_RATE_LIMIT,
	WEFT_KIND_ACCESS_POLICY,
	WEFT_KIND_PEER_AUTHENTICATION,
	WEFT_KIND_TELEMETRY,
	WEFT_KIND_GATEWAY,
	WEFT_KIND_DEVICE,
	WEFT_KIND_REGISTRY,
	WEFT_KIND_COUNT
} weft_kind;

/* One label, key=value. */
typedef struct weft_label {
	const char *key;
	const char *value;
} weft_label;

typedef struct weft_labels {
	weft_label *items; /* sorted by key */
	size_t count;
} weft_labels;

/* Identity of a resource: kind, namespace, name. */
typedef struct weft_key {
	weft_kind kind;
	const char *ns;
	const char *name;
} weft_key;

typedef struct weft_resource {
	atomic_int refs;
	weft_kind kind;
	const char *ns;   /* metadata.namespace, "default" when absent */
	const char *name; /* metadata.name */
	weft_labels labels;
	const char *file; /* where it was defined ("request" for API input) */
	int line;         /* line of the document start */
	const char *json; /* canonical JSON (sorted keys, defaults NOT filled in):
	                   * what the store keeps and the API returns */
	size_t json_len;
	uint64_t hash;     /* FNV-1a 64 of json: the content hash */
	const void *spec;  /* typed spec, see policy-t.h (weft_service_spec ...) */
	weft_arena *arena; /* owns every field above */
} weft_resource;

#endif
