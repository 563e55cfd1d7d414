/* The controller: the core's single entry point for the northbound (REST
 * API, policy directory watch, weftctl through the API). It owns the store,
 * the current policy set and the published snapshot, and runs the core
 * thread that debounces changes, compiles snapshots and drives the devices'
 * adapters.
 *
 * Every write goes validate -> store -> (debounced) compile -> push, so the
 * store never holds a policy that does not compile. All functions are safe
 * to call from any thread (API worker threads); writes are serialised by
 * the controller. JSON shapes are documented in docs/api.md. */
#ifndef WEFT_CONTROLLER_H
#define WEFT_CONTROLLER_H

#include <jansson.h>
#include <stdint.h>

#include "adapter.h"
#include "diag.h"
#include "doc.h"
#include "resource-t.h"
#include "snapshot.h"
#include "store.h"

typedef struct weft_controller weft_controller;

typedef struct weft_controller_opts {
	const char *state_dir;             /* required: store and runtime state live here */
	const char *store_url;             /* NULL: sqlite in state_dir */
	const weft_store_opts *store_opts; /* TLS, credentials (etcd); may be NULL */
	int quiet_ms;                      /* debounce quiet window, default 100 */
	int max_delay_ms;                  /* debounce max delay, default 1000 */
	size_t keep_revisions;             /* revisions kept; 0 keeps all (weftd's default: 100) */
	const char *plugin_dir;            /* adapter plugins (*.so), may be NULL; one
	                                    * that does not load fails the open */
	int reconcile_ms;                  /* drift check period per device: 0 = default
	                                    * 30000, < 0 = never */
	int atomic;                        /* default transaction mode: 1 atomic (all
	                                    * devices or none), 0 independent */
	/* Configuration of the adapter instances, an object keyed by kind
	 * ({"file": {"root": DIR}, "xds": {"listen": ADDR}}); a kind not in it
	 * gets {}. Each registered kind's init sees its part when the
	 * controller opens (core/adapter.h); a key naming no registered kind
	 * is an error. May be NULL. Not kept: copied as needed by init. */
	const json_t *adapter_config;
	int replica; /* 1: start as a follower that drives no device until
	              * weft_controller_replicate's election makes it the leader
	              * (a store shared by several weftd, docs/ha.md) */
} weft_controller_opts;

/* Opens the store, loads and compiles the head revision, starts the core
 * thread. NULL with err on failure (e.g. the head revision does not decode). */
weft_controller *weft_controller_open(const weft_controller_opts *opts, weft_err *err);
/* Stops the core thread after finishing the push in progress, closes the
 * store, frees the adapter instances. Nothing accepted is lost: accepted
 * changes are in the store. */
void weft_controller_close(weft_controller *c);

/* The controller's instance of adapter kind (built at open), or NULL. The
 * instance lives until weft_controller_close. */
const weft_adapter_instance *weft_controller_adapter(weft_controller *c, const char *kind);

/* Outcome of a write. */
typedef struct weft_write_result {
	int64_t revision; /* new revision (or current one if nothing changed) */
	size_t created, updated, deleted, unchanged;
	json_t *changes; /* [{"kind","namespace","name","action"}], caller decrefs */
} weft_write_result;

/* Applies documents (create or replace by key). mode SYNC makes the docs the
 * whole policy: resources not in them are deleted (the --policy directory
 * watch). expected_rev >= 0 -> WEFT_ECONFLICT when the head moved. dry_run
 * validates and reports what would change without storing. Invalid input:
 * WEFT_EINVALID with every problem in diags, nothing stored. An apply that
 * changes nothing stores no revision. */
enum { WEFT_APPLY_MERGE = 0, WEFT_APPLY_SYNC = 1 };
/* Bits that may be or'ed into mode: how the revision is pushed. atomic:
 * every device or none (plan, prepare all, apply by push group, confirm;
 * roll back on failure); independent: each device on its own. When several
 * applies are debounced into one push, atomic wins. Default: the
 * controller's opts.atomic. */
enum { WEFT_APPLY_ATOMIC = 2, WEFT_APPLY_INDEPENDENT = 4 };
int weft_controller_apply(weft_controller *c, const weft_docset *docs, int mode, const char *author,
                          int64_t expected_rev, int dry_run, weft_write_result *res,
                          weft_diags *diags, weft_err *err);
/* Deletes resources by key; references left dangling make it WEFT_EINVALID. */
int weft_controller_delete(weft_controller *c, const weft_key *keys, size_t n, const char *author,
                           int64_t expected_rev, weft_write_result *res, weft_diags *diags,
                           weft_err *err);
/* Restores revision rev's content as a new revision. */
int weft_controller_rollback(weft_controller *c, int64_t rev, const char *author,
                             weft_write_result *res, weft_err *err);
void weft_write_result_free(weft_write_result *res);

/* Reads. kind < 0: all kinds; ns NULL: all namespaces; name NULL: all.
 * Returns {"revision":N,"items":[resource JSON...]} or WEFT_ENOTFOUND for a
 * named resource that does not exist. */
int weft_controller_get(weft_controller *c, int kind, const char *ns, const char *name,
                        json_t **out, weft_err *err);
/* Dry-run: per-device plan of bringing every device from what it holds
 * (observed, or last applied) to the head revision -- or, when docs is not
 * NULL, to head + docs applied (validated first; WEFT_EINVALID as apply).
 * {"revision":N,"devices":[plan JSON...]} */
int weft_controller_plan(weft_controller *c, const weft_docset *docs, json_t **out,
                         weft_diags *diags, weft_err *err);
/* The same, also handing out (referenced) the candidate snapshot the plan
 * was made from, for components outside the controller (the xDS server's
 * proxies section of a plan). */
int weft_controller_plan_snapshot(weft_controller *c, const weft_docset *docs, json_t **out,
                                  weft_snapshot **snap_out, weft_diags *diags, weft_err *err);
/* {"revision":N,"snapshot_revision":M,"devices":[{"name","kind","state",
 * "revision","last_error","last_push_ms","last_push_duration_ms",
 * "drift": null | {"detected_ms","differences","first"}}]}. States:
 * pending, in-sync, error, drift (the device differs from its intent and
 * its Device says drift: alert; with drift: repair it is pushed again). */
json_t *weft_controller_status(weft_controller *c);
/* {"head":N,"revisions":[{"revision","time","author","message","resources","changed"}]} */
int weft_controller_revisions(weft_controller *c, size_t limit, json_t **out, weft_err *err);
int64_t weft_controller_head(weft_controller *c);
/* The published snapshot, referenced (caller unrefs); NULL before the first. */
weft_snapshot *weft_controller_snapshot(weft_controller *c);
/* The snapshot devices are meant to hold, referenced (caller unrefs): the
 * published one in independent mode; in atomic mode the last one whose
 * transaction committed (NULL before the first commit), so that followers outside the transaction
 * (the xDS default feed) switch only when the hardware did, and never to a revision that was rolled
 * back. */
weft_snapshot *weft_controller_intent(weft_controller *c);

/* Followers of the intent (the xDS server) are told when it changes
 * instead of polling weft_controller_intent: fn(arg) is called after every
 * change, on the thread that made it and with the controller's lock held,
 * so fn must be short and must not call into the controller (set a flag,
 * wake a thread; the follower then reads weft_controller_intent itself).
 * Returns a subscription id (> 0), or -1 when out of memory. */
typedef void (*weft_intent_fn)(void *arg);
int weft_controller_subscribe(weft_controller *c, weft_intent_fn fn, void *arg);
/* Ends a subscription: when it returns, fn is not running and is never
 * called again. Must not be called from fn. */
void weft_controller_unsubscribe(weft_controller *c, int id);
/* The last transaction records, newest last: {"transactions":[{"id",
 * "revision","mode","outcome","cause","started_ms","duration_ms",
 * "previous_revision","phases_ms":{plan,prepare,apply,confirm,revert},
 * "devices":[{"name","kind","ops","result","revision","error"}]}]}.
 * Outcomes: committed, aborted (nothing changed), rolled-back (every device
 * holds what it held before), partial (some device could not be brought
 * back). Results and fields: docs/api.md. */
json_t *weft_controller_transactions(weft_controller *c);
/* Events after sequence number `after` (0: from the oldest kept), waiting
 * up to timeout_ms for the first: {"last":N,"closed":bool,"events":[{"seq",
 * "time","type","data"}]}. Types: "revision" (a change was stored),
 * "device" (a push or drift check changed a device's status; data as in
 * status), "warnings" (a device's translation warnings changed: {"device",
 * "kind","revision","warnings"}), "transaction" (an atomic push ended; data as in
 * transactions), "gap" (first, when events after `after` are no longer
 * held: data {"from","to","missed"}, see core/events.h). Ids continue
 * across restarts (STATE/events.seq). "closed" is true once the controller
 * is closing. */
json_t *weft_controller_events(weft_controller *c, uint64_t after, int timeout_ms);
/* The sequence number of the newest event (0 when none). */
uint64_t weft_controller_events_last(weft_controller *c);
/* Prometheus text exposition of the controller's metrics; malloc'd. */
char *weft_controller_metrics(weft_controller *c);
/* Blocks until the snapshot of revision >= rev is compiled and its pushes
 * are done, or timeout_ms passes. 0 when reached, -1 on timeout. */
int weft_controller_wait_pushed(weft_controller *c, int64_t rev, int timeout_ms);

/* Replicas on a shared store (etcd; docs/ha.md). Follows the store's head
 * through a watch (every new revision, whoever wrote it, is loaded and
 * compiled here) and campaigns for leadership as name on a lease of
 * ttl_ms; only the leader drives devices (workers, transactions, reconcile
 * and drift repair). A controller opened with opts.replica stays a follower
 * until then. WEFT_EINVALID for a store with one writer (SQLite). */
int weft_controller_replicate(weft_controller *c, const char *name, int64_t ttl_ms, weft_err *err);
/* {"name", "leader": bool, "leader_name": string|null, "lease_ttl_ms"}, or
 * NULL when the controller does not replicate. Caller decrefs. */
json_t *weft_controller_replica_status(weft_controller *c);
/* Makes the controller the leader (1: starts the device workers on the
 * published snapshot, runs a pending transaction) or a follower (0: stops
 * every worker, waiting for a push in progress). Called by the election. */
void weft_controller_set_leader(weft_controller *c, int leader);
/* Loads and compiles the store's head when it is newer than the
 * controller's (a revision another replica committed). 0, or -1 with err. */
int weft_controller_follow(weft_controller *c, weft_err *err);

#endif
