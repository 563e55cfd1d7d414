/* Controller internals shared by controller*.c and device_worker.c. Not a
 * public header: the northbound uses controller.h only.
 *
 * Locks: write_mu serialises writes (decode, validate, store commit) and
 * is held for a whole write; mu protects the shared state below and is held
 * only briefly (never across I/O or compilation); store_mu serialises calls
 * into the store. Lock order: write_mu, mu, store_mu. */
#ifndef WEFT_CONTROLLER_INT_H
#define WEFT_CONTROLLER_INT_H

#include <pthread.h>

#include "adapter.h"
#include "controller.h"
#include "debounce.h"
#include "events.h"
#include "policyset.h"
#include "snapcell.h"
#include "store.h"

struct device_worker;

/* Push latency histogram of one adapter kind (Prometheus buckets in ms). */
#define PUSH_BUCKETS 11
extern const int push_bucket_ms[PUSH_BUCKETS];
struct push_histogram {
	char kind[16];
	unsigned long long buckets[PUSH_BUCKETS]; /* cumulative at export time */
	unsigned long long count;
	double sum_ms;
};

struct controller_metrics {
	unsigned long long writes_ok, writes_invalid, writes_conflict, writes_failed;
	unsigned long long compiles, compile_us_total, compile_us_last;
	unsigned long long pushes_ok, pushes_failed, push_ops;
	unsigned long long reconciles, drifts_detected, drifts_repaired;
	unsigned long long txn_committed, txn_failed;
	struct push_histogram push_latency[8]; /* per adapter kind */
};

/* Records one push (or one device's part of a transaction) of kind that
 * took ms. With mu held. */
void metrics_observe_push(struct controller_metrics *m, const char *kind, int64_t ms);

struct weft_controller {
	char *state_dir, *store_url, *plugin_dir;
	size_t keep_revisions;
	int64_t reconcile_ms; /* <= 0: no periodic drift checks */
	weft_store *store;

	pthread_mutex_t write_mu;
	pthread_mutex_t mu;
	pthread_mutex_t store_mu; /* the store is single-threaded (docs/store.md):
	                           * every call after open goes under store_mu */
	pthread_cond_t core_cond; /* wakes the core thread (changes, stop) */
	pthread_cond_t work_cond; /* wakes device workers (new target) */
	pthread_cond_t done_cond; /* a device worker finished a push */

	/* Under mu. */
	weft_policyset *head_policy;
	int64_t head_rev;
	int64_t compiled_rev; /* revision of the published snapshot */
	weft_debounce debounce;
	int stopping;
	struct device_worker **workers;
	size_t n_workers;
	struct controller_metrics m;
	/* Transactions (txn.c). */
	int txn_default_atomic;        /* weftd --txn-mode */
	int64_t pending_since_unix_ms; /* first store commit not compiled yet (0: none) */
	int next_txn_mode;             /* from the applies since the last compile:
	                                * 0 default, WEFT_APPLY_ATOMIC or _INDEPENDENT */
	int64_t txn_retry_at_ms;       /* a failed atomic transaction is retried */
	int txn_running;               /* a transaction drives the workers now */
	int txn_removals;              /* the pending retry's change only removes */
	weft_snapshot *intent;         /* what devices should hold: the published
	                                * snapshot in independent mode, the last
	                                * committed one in atomic mode (reconcile and
	                                * drift repair use it, never a snapshot a
	                                * transaction is still deciding on) */
	int64_t txn_backoff_ms;
	long long txn_seq;
	json_t *txn_log; /* the last transaction records */
	struct weft_event_bus events;

	weft_snapcell published;
	/* Followers of the intent (weft_controller_subscribe): called under
	 * sub_mu, which is taken with mu held (order: mu, then sub_mu). */
	pthread_mutex_t sub_mu;
	struct intent_sub {
		int id;
		weft_intent_fn fn;
		void *arg;
	} * subs;
	size_t n_subs, cap_subs;
	int next_sub_id;
	/* One instance per adapter kind registered at open (read-only after). */
	weft_adapter_instance *adapters;
	size_t n_adapters;
	pthread_t core_thread;
	int core_started;

	/* Replicas on a shared store (controller_replica.c, docs/ha.md).
	 * leader is under mu: 1 drives devices (workers, transactions,
	 * reconcile); 0 compiles and serves only. */
	int leader;
	struct controller_replica *replica; /* NULL: the only writer */
};

/* controller.c: the head revision's content as a validated policy set, and
 * the revision it is (read under store_mu). */
int controller_load_head(weft_controller *c, weft_policyset **out, int64_t *rev, weft_err *err);
/* controller_replica.c: stops the watch and the election (at close). */
void controller_replica_stop(weft_controller *c);

/* A reference to c->intent; NULL in atomic mode before the first commit. */
weft_snapshot *controller_intent(weft_controller *c);
/* Makes snap (referenced) the intent and tells the subscribers. With mu. */
void controller_set_intent(weft_controller *c, weft_snapshot *snap);

/* The adapter kind of a Device resource (its spec.type) copied into buf,
 * or NULL. */
const char *controller_device_type(const weft_resource *device, char *buf, size_t len);
/* "ns/name" into buf. */
void controller_device_key(const weft_resource *device, char *buf, size_t len);
int64_t controller_now_ms(void);
/* Wall clock, ms since the epoch. */
int64_t controller_unix_ms(void);

/* device_worker.c */
/* Starts/stops workers so that there is exactly one per Device of snap,
 * and (set_target) sets every worker's target to snap's revision so that
 * each pushes on its own; a transaction (txn.c) passes 0 and drives the
 * workers itself. Called with mu held; returns workers to stop, to be
 * joined by workers_join after unlocking. */
struct device_worker **workers_reconcile(weft_controller *c, const weft_snapshot *snap,
                                         size_t *n_retired, int set_target);
void workers_join(struct device_worker **retired, size_t n);
/* Appends each worker's status object to arr. With mu held. */
void workers_status(weft_controller *c, json_t *arr);
/* Whether every worker has processed revision >= rev. With mu held. */
int workers_done(weft_controller *c, int64_t rev);
/* Counts of workers per state, for metrics. With mu held. */
void workers_count_states(weft_controller *c, size_t *in_sync, size_t *pending, size_t *error,
                          size_t *drift);

/* txn.c: runs snap as one atomic transaction over every device worker
 * (which must not have their own targets set). Called without mu from the
 * core thread. 0 when committed, -1 when aborted or rolled back. */
int controller_txn_run(weft_controller *c, weft_snapshot *snap, int removal_only);
/* txn.c: continues the transaction ids and the in-memory log from the
 * store's records (meta txn/last and txn/ID), so that a restarted weftd or
 * a new leader never reuses an id and overwrites an earlier record. At
 * open and when a replica becomes leader; takes store_mu then mu. */
void controller_txn_log_load(weft_controller *c);

/* device_removal.c: appends to arr the dry-run plan of every device whose
 * Device is not in snap and that would be emptied (onDelete remove, not
 * removed yet), marked "deleted": true. Called without mu. */
void controller_plan_removals(weft_controller *c, const weft_snapshot *snap, json_t *arr);

/* Renders, observes and diffs one device against snap: fills plan. Opens
 * and closes its own session (for dry-runs). */
int controller_plan_device(weft_controller *c, const weft_snapshot *snap,
                           const weft_resource *device, weft_plan *plan, weft_err *err);

#endif
