/* The registry backend contract and the registry manager: where the
 * endpoints of Services with spec.registry come from (docs/registries.md).
 * The core knows no registry protocol: a backend (registries/consul,
 * registries/etcd) is a table of functions registered by type, like an
 * adapter (core/adapter.h).
 *
 * A backend instance watches one Registry resource for a set of queries
 * (one per Service that names it) on its own thread(s), and reports what it
 * learns through the sink functions below, from any thread:
 *   weft_registry_sink_endpoints  the full current endpoints of one query
 *   weft_registry_sink_down       the registry cannot be reached / answers
 *                                 errors (the last endpoints are kept)
 *   weft_registry_sink_bad_value  one entry was skipped (e.g. an etcd key
 *                                 whose value does not decode)
 *   weft_registry_sink_restart    a watch had to start over (index reset,
 *                                 compaction, reconnect)
 *
 * The manager keeps the endpoint table: an immutable, reference-counted
 * weft_endpoint_set per generation. Each change makes a new set (entries
 * of unchanged Services are shared) and calls the manager's notify
 * function, so the controller compiles a new snapshot through its
 * debouncer: an observation, not a store revision. A snapshot keeps a
 * reference to the set it was compiled from, because the model points into
 * the set's endpoints. */
#ifndef WEFT_REGISTRY_H
#define WEFT_REGISTRY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "model-t.h"
#include "policy-t.h"
#include "policyset.h"
#include "resource-t.h"

/* What one Service asks of its Registry (spec.registry resolved). */
typedef struct weft_registry_query {
	const char *ns, *name;     /* the Service */
	const char *service;       /* consul service name (default: Service name) */
	const weft_strs *tags;     /* consul */
	const char *key;           /* etcd prefix */
	int passing_only;          /* consul */
	const weft_labels *planes; /* the Registry's spec.planes */
} weft_registry_query;

/* Handle a backend reports through; owned by the manager. */
typedef struct weft_registry_sink weft_registry_sink;

typedef struct weft_registry_backend {
	const char *type; /* the Registry's spec.type: "consul", "etcd" */
	/* Starts watching registry (a Registry resource, kept alive by the
	 * manager until stop returns) for the queries; the array and its
	 * strings live until stop. Returns the instance, or NULL with err. */
	void *(*start)(const weft_resource *registry, const weft_registry_query *queries, size_t n,
	               weft_registry_sink *sink, weft_err *err);
	/* Stops every watch and joins the backend's threads; no sink call
	 * happens after it returns. */
	void (*stop)(void *instance);
} weft_registry_backend;

/* Registers a backend for its type (at start-up, before any manager). 0, or
 * -1 when the type is taken or the table is full. */
int weft_registry_backend_register(const weft_registry_backend *b);
const weft_registry_backend *weft_registry_backend_find(const char *type);

/* ---- sink (called by backends, any thread) ------------------------------- */

/* The complete endpoints of query index q (copied; n may be 0: the
 * registry says there are none, which is believed, with a warning). Also
 * marks the registry up. */
void weft_registry_sink_endpoints(weft_registry_sink *s, size_t q, const weft_endpoint *eps,
                                  size_t n);
/* The registry is unreachable or failing: stale since now, last endpoints
 * kept. */
void weft_registry_sink_down(weft_registry_sink *s, const char *error);
/* An entry was skipped: what names it (an etcd key) and why. */
void weft_registry_sink_bad_value(weft_registry_sink *s, const char *what, const char *why);
/* A watch started over (counted in status and metrics). */
void weft_registry_sink_restart(weft_registry_sink *s, const char *why);

/* ---- endpoint sets ---------------------------------------------------------- */

typedef struct weft_endpoint_set weft_endpoint_set;

weft_endpoint_set *weft_endpoint_set_ref(weft_endpoint_set *set);
void weft_endpoint_set_unref(weft_endpoint_set *set);
/* Generation: 0 for the empty set, +1 for every change. */
uint64_t weft_endpoint_set_generation(const weft_endpoint_set *set);
/* The endpoints the set holds for a Service, or NULL when the registry has
 * not answered for it yet (then the Service has no endpoints). */
const weft_endpoint *weft_endpoint_set_lookup(const weft_endpoint_set *set, const char *ns,
                                              const char *name, size_t *n);
/* The table weft_model_compile reads (arg is the set). */
weft_endpoint_table weft_endpoint_set_table(const weft_endpoint_set *set);

/* ---- manager ---------------------------------------------------------------- */

typedef struct weft_registry_manager weft_registry_manager;

/* notify(arg) is called (from a backend thread, without the manager's
 * lock) after every change of the endpoint set; event(arg, type, json)
 * reports registry events (new reference passed; may be NULL). */
typedef void (*weft_registry_notify_fn)(void *arg);
typedef void (*weft_registry_event_fn)(void *arg, const char *type, json_t *detail);

weft_registry_manager *weft_registry_manager_new(weft_registry_notify_fn notify,
                                                 weft_registry_event_fn event, void *arg);
/* Stops every watch and frees the manager. */
void weft_registry_manager_free(weft_registry_manager *m);
/* Makes the watches match policy: starts the Registries it has that are
 * not watched, restarts those whose resource or Services changed, stops
 * the others (their Services' endpoints leave the set). A Registry whose
 * backend type is not registered, or whose start fails, is reported in
 * status (down, with the error); the others still run. */
void weft_registry_manager_apply(weft_registry_manager *m, const weft_policyset *policy);
/* The current set (a reference). */
weft_endpoint_set *weft_registry_manager_endpoints(weft_registry_manager *m);
/* Status: {"generation": N, "registries": [{"namespace", "name", "type",
 * "up", "staleSince" (unix ms, when down), "error", "lastSyncUnixMs",
 * "watchRestarts", "badValues", "warnings": [...]}]}. New reference. */
json_t *weft_registry_manager_status(weft_registry_manager *m);

#endif
