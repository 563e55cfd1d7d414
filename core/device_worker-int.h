/* The device worker's state, shared by device_worker.c (autonomous
 * pushes and reconcile) and txn_worker.c (phases of a network-wide
 * transaction run by txn.c). Internal to core/. */
#ifndef WEFT_DEVICE_WORKER_INT_H
#define WEFT_DEVICE_WORKER_INT_H

#include "controller-int.h"

#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 60000

/* Phases a transaction coordinator asks a worker to run. */
enum txn_cmd { TXN_NONE, TXN_PLAN, TXN_PREPARE, TXN_APPLY, TXN_CONFIRM, TXN_ABORT };
/* How far a device got in the current transaction. */
enum txn_reached { TXN_R_NONE, TXN_R_PLANNED, TXN_R_PREPARED, TXN_R_APPLIED, TXN_R_CONFIRMED };

struct device_worker {
	weft_controller *c;
	char key[512]; /* "ns/name" */
	char type[64];
	pthread_t thread;
	/* Under c->mu. */
	int stop;
	int64_t target_rev;  /* revision of the newest snapshot to reach */
	int64_t done_rev;    /* newest revision attempted (ok or failed) */
	int64_t retry_at_ms; /* 0: no retry scheduled */
	int64_t backoff_ms;
	const char *state;   /* pending, in-sync, error */
	int64_t applied_rev; /* revision the device runs (last success) */
	char last_error[1024];
	int64_t last_push_unix_ms, last_push_duration_ms;
	size_t last_ops;
	int64_t reconcile_at_ms; /* next drift check; 0: none scheduled */
	int64_t drift_detected_unix_ms;
	size_t drift_diffs;
	char drift_first[512];
	/* Transaction phase protocol (under c->mu): the coordinator sets
	 * txn_cmd and broadcasts work_cond; the worker runs the phase, sets
	 * txn_rc/txn_err, clears txn_cmd and broadcasts done_cond. */
	int txn_cmd;
	int txn_rc;
	int txn_fail_cmd;     /* the phase that failed (when txn_rc) */
	int txn_abort_failed; /* the last ABORT returned an error */
	char txn_err[1024];
	int txn_reached;
	size_t txn_ops;
	weft_resource *device;         /* the Device as last seen (referenced) */
	weft_snapshot *removal;        /* its Device was deleted with onDelete remove:
	                                * the empty slice to bring the device to
	                                * (device_removal.c); NULL otherwise */
	int push_group;                /* Device spec.pushGroup */
	int64_t txn_ms[TXN_ABORT + 1]; /* time spent per phase (index: txn_cmd) */
	weft_snapshot *txn_snap;       /* referenced for the transaction's length */
	json_t *warnings;              /* the last plan's translation warnings (array) */
	/* Worker thread only. */
	weft_plan txn_plan; /* valid from PLAN to CONFIRM/ABORT */
	int txn_has_plan;
	weft_phase txn_entered; /* furthest phase called on txn_plan (0: none) */
	void *session;
	uint64_t session_device_hash; /* device resource the session was opened for */
};

/* Helpers of device_worker.c used by txn_worker.c. */
const weft_resource *worker_find_device(const weft_snapshot *snap, const char *key);
/* Opens the worker's session when needed (reopens if the Device changed). */
int worker_session(struct device_worker *w, const weft_adapter_instance *ai,
                   const weft_resource *dev, weft_err *err);
void worker_drop_session(struct device_worker *w);
int64_t worker_unix_ms(void);

/* Records the translation warnings of a plan just made (status
 * "warnings"; a "warnings" event when they changed and are not empty).
 * Takes mu. */
void worker_note_warnings(struct device_worker *w, const weft_plan *plan);

/* The status object of one worker (as in weft_controller_status). With mu. */
json_t *worker_status_json(const struct device_worker *w);

/* device_removal.c */
/* Whether deleting this Device removes what weft owns on the device. */
int device_removes_on_delete(const weft_resource *device);
/* A snapshot at rev holding only device: its slice is empty. */
weft_snapshot *device_removal_snapshot(weft_resource *device, int64_t rev, weft_err *err);

/* txn_worker.c: runs the phase in w->txn_cmd. Called without mu. */
void txn_worker_run(struct device_worker *w, int cmd);

#endif
