/* Snapshots: (store revision, endpoint table) compiled into an immutable,
 * reference-counted view that adapters render from. Each resource carries a
 * content hash; indexes answer "what belongs to service X" and "what does
 * device D serve" without scanning. Published by atomic pointer swap (see
 * controller.c): readers take a reference and never lock.
 *
 * Compilation is incremental: resources whose hash did not change since the
 * previous snapshot reuse their compiled entries. */
#ifndef WEFT_SNAPSHOT_H
#define WEFT_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "model-t.h"
#include "policyset.h"
#include "resource-t.h"

typedef struct weft_snapshot weft_snapshot;

/* Compiles policy (already validated) at revision. prev may be NULL; when
 * given, unchanged parts are shared with it. NULL with err on failure. */
weft_snapshot *weft_snapshot_compile(weft_policyset *policy, int64_t revision,
                                     const weft_snapshot *prev, weft_err *err);
weft_snapshot *weft_snapshot_ref(weft_snapshot *s);
void weft_snapshot_unref(weft_snapshot *s);

int64_t weft_snapshot_revision(const weft_snapshot *s);
const weft_policyset *weft_snapshot_policy(const weft_snapshot *s);
/* When the change this snapshot carries was stored (wall clock, ms; the
 * first of the revisions debounced into it), or 0 when unknown (loaded at
 * start). Set by the controller before publication. For convergence
 * metrics (change stored -> applied). */
void weft_snapshot_set_stored_ms(weft_snapshot *s, int64_t unix_ms);
int64_t weft_snapshot_stored_ms(const weft_snapshot *s);
/* Hash over every resource hash: equal snapshots have equal hashes. */
uint64_t weft_snapshot_hash(const weft_snapshot *s);

/* Resources that belong to a service (the Service itself, Routes whose
 * destinations or target name it, TrafficPolicies, RateLimits,
 * AccessPolicies, PeerAuthentications and Telemetries aimed at it). */
weft_resource *const *weft_snapshot_by_service(const weft_snapshot *s, const char *ns,
                                               const char *name, size_t *n);
/* Devices (kind Device) of the snapshot, sorted. */
weft_resource *const *weft_snapshot_devices(const weft_snapshot *s, size_t *n);
/* Resources a device's scope selects (all kinds except Device), sorted. */
weft_resource *const *weft_snapshot_by_device(const weft_snapshot *s, const char *ns,
                                              const char *name, size_t *n);

/* The resolved model of the snapshot (model.h): what adapters render. */
const weft_model *weft_snapshot_model(const weft_snapshot *s);
/* A Device's slice (model-t.h): what its scope selects, with one content
 * hash. NULL when the snapshot (may be NULL) has no such Device. */
const weft_model_slice *weft_snapshot_slice(const weft_snapshot *s, const char *ns,
                                            const char *name);

/* What changed from a to b (a may be NULL: everything is added). */
typedef struct weft_snapshot_change {
	weft_key key;
	enum { WEFT_CHANGE_ADDED, WEFT_CHANGE_UPDATED, WEFT_CHANGE_REMOVED } what;
} weft_snapshot_change;

typedef struct weft_snapshot_diff {
	weft_snapshot_change *items; /* sorted by key; keys point into a or b */
	size_t count;
	size_t per_kind[WEFT_KIND_COUNT];
} weft_snapshot_diff;

int weft_snapshot_diff_compute(const weft_snapshot *a, const weft_snapshot *b,
                               weft_snapshot_diff *out);
void weft_snapshot_diff_free(weft_snapshot_diff *d);
/* Whether the device's slice differs between a (may be NULL) and b: its
 * slice hash (the Device and everything its scope selects) changed, or the
 * device is in one snapshot only. */
int weft_snapshot_diff_touches_device(const weft_snapshot_diff *d, const weft_snapshot *a,
                                      const weft_snapshot *b, const weft_resource *device);

#endif
