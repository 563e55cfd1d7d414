/* Network-wide transactions (atomic mode): one snapshot applied to every
 * device as one unit, in phases after FRRouting's northbound and NETCONF's
 * confirmed commit:
 *
 *   plan     every device renders, observes, diffs   any failure: abort all
 *   prepare  devices with changes stage them          any failure: abort all
 *   apply    by push-order group (Device pushGroup, ascending; descending
 *            when the change only removes), a group's devices in parallel
 *                                                     any failure: roll back
 *                                                     every device applied
 *   confirm  e.g. NETCONF confirming commits           any failure: roll back
 *
 * Nothing is changed anywhere unless every device prepared; a failure
 * after apply rolls the applied devices back to what they held. Every
 * transaction is recorded (revision, devices, outcome, phase timings) in
 * memory and in the store's meta records. A failed transaction is retried
 * as a whole, with backoff, by the core thread. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "device_worker-int.h"

#define TXN_KEEP 100 /* transaction records kept in memory and in the store */

/* Sends cmd to every selected worker and waits for all. With mu held. */
static void run_phase(weft_controller *c, struct device_worker **ws, size_t n, const char *selected,
                      int cmd)
{
	for (size_t i = 0; i < n; i++)
		if (selected[i])
			ws[i]->txn_cmd = cmd;
	pthread_cond_broadcast(&c->work_cond);
	for (;;) {
		int busy = 0;
		for (size_t i = 0; i < n && !busy; i++)
			busy = selected[i] && ws[i]->txn_cmd != TXN_NONE;
		if (!busy)
			return;
		pthread_cond_wait(&c->done_cond, &c->mu);
	}
}

/* The first failure among the selected workers, or -1. */
static long first_failure(struct device_worker **ws, size_t n, const char *selected)
{
	for (size_t i = 0; i < n; i++)
		if (selected[i] && ws[i]->txn_rc)
			return (long)i;
	return -1;
}

static int64_t elapsed_ms(const struct timespec *since)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 + (now.tv_nsec - since->tv_nsec) / 1000000;
}

struct txn_run {
	weft_controller *c;
	struct device_worker **ws;
	size_t n;
	char *sel;
	char *skip; /* in sync at the intent and untouched by the change: not planned */
	int64_t rev;
	const char *outcome;
	char cause[800];
	long failed; /* index of the device that failed, or -1 */
	int64_t phase_ms[4];
};

static void select_where(struct txn_run *t, int min_reached, int with_ops)
{
	for (size_t i = 0; i < t->n; i++)
		t->sel[i] = t->ws[i]->txn_reached >= min_reached &&
		            (!with_ops || t->ws[i]->txn_ops > 0);
}

static void note_failure(struct txn_run *t, const char *phase)
{
	long f = first_failure(t->ws, t->n, t->sel);
	if (f < 0 || t->failed >= 0)
		return;
	t->failed = f;
	snprintf(t->cause, sizeof(t->cause), "%s failed: %.700s", phase, t->ws[f]->txn_err);
}

/* Rolls back (or drops) everything that got as far as prepared. */
static void abort_all(struct txn_run *t)
{
	select_where(t, TXN_R_PLANNED, 0);
	run_phase(t->c, t->ws, t->n, t->sel, TXN_ABORT);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Applies group by group; 0 when every group applied. */
static int apply_groups(struct txn_run *t, int descending)
{
	int *groups = calloc(t->n + 1, sizeof(int));
	size_t ng = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->ws[i]->txn_ops > 0)
			groups[ng++] = t->ws[i]->push_group;
	qsort(groups, ng, sizeof(int), cmp_int);
	int rc = 0;
	for (size_t k = 0; k < ng && !rc; k++) {
		int g = groups[descending ? ng - 1 - k : k];
		if (k > 0 && g == groups[descending ? ng - k : k - 1])
			continue; /* same group as the previous one */
		for (size_t i = 0; i < t->n; i++)
			t->sel[i] = t->ws[i]->txn_ops > 0 && t->ws[i]->push_group == g;
		run_phase(t->c, t->ws, t->n, t->sel, TXN_APPLY);
		if (first_failure(t->ws, t->n, t->sel) >= 0) {
			note_failure(t, "apply");
			rc = -1;
		}
	}
	free(groups);
	return rc;
}

/* The phases; sets t->outcome and t->cause. With mu held. */
static void run_phases(struct txn_run *t, int removal_only)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	for (size_t i = 0; i < t->n; i++)
		t->sel[i] = !t->skip[i];
	run_phase(t->c, t->ws, t->n, t->sel, TXN_PLAN);
	t->phase_ms[0] = elapsed_ms(&ts);
	if (first_failure(t->ws, t->n, t->sel) >= 0) {
		note_failure(t, "plan");
		abort_all(t);
		t->outcome = "aborted";
		return;
	}
	select_where(t, TXN_R_PLANNED, 1);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	run_phase(t->c, t->ws, t->n, t->sel, TXN_PREPARE);
	t->phase_ms[1] = elapsed_ms(&ts);
	if (first_failure(t->ws, t->n, t->sel) >= 0) {
		note_failure(t, "prepare");
		abort_all(t);
		t->outcome = "aborted";
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int rc = apply_groups(t, removal_only);
	t->phase_ms[2] = elapsed_ms(&ts);
	if (!rc) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		select_where(t, TXN_R_APPLIED, 1);
		run_phase(t->c, t->ws, t->n, t->sel, TXN_CONFIRM);
		t->phase_ms[3] = elapsed_ms(&ts);
		if (first_failure(t->ws, t->n, t->sel) >= 0) {
			note_failure(t, "confirm");
			rc = -1;
		}
	}
	if (rc) {
		abort_all(t);
		t->outcome = "rolled-back";
		return;
	}
	t->outcome = "committed";
}

/* Per-device outcome and status after the phases. With mu held. */
static json_t *settle_devices(struct txn_run *t, int64_t started_unix, int64_t dur)
{
	json_t *devices = json_array();
	int ok = !strcmp(t->outcome, "committed");
	for (size_t i = 0; i < t->n; i++) {
		struct device_worker *w = t->ws[i];
		const char *result;
		if (t->skip[i])
			result = "untouched";
		else if (ok)
			result = w->txn_ops ? "applied" : "unchanged";
		else if ((long)i == t->failed)
			result = "failed";
		else
			result = w->txn_reached >= TXN_R_APPLIED ? "rolled-back" : "not-applied";
		json_t *d = json_pack("{s:s, s:s, s:I, s:s}", "name", w->key, "kind", w->type,
		                      "ops", (json_int_t)w->txn_ops, "result", result);
		if ((long)i == t->failed)
			json_object_set_new(d, "error", json_string(w->txn_err));
		json_object_set_new(d, "phases_ms",
		                    json_pack("{s:I, s:I, s:I, s:I}", "plan",
		                              (json_int_t)w->txn_ms[TXN_PLAN], "prepare",
		                              (json_int_t)w->txn_ms[TXN_PREPARE], "apply",
		                              (json_int_t)w->txn_ms[TXN_APPLY], "confirm",
		                              (json_int_t)w->txn_ms[TXN_CONFIRM]));
		memset(w->txn_ms, 0, sizeof(w->txn_ms));
		json_array_append_new(devices, d);
		if (w->txn_ops)
			metrics_observe_push(&t->c->m, w->type, dur);
		w->done_rev = w->target_rev = t->rev;
		if (!t->skip[i]) {
			w->last_push_unix_ms = started_unix;
			w->last_push_duration_ms = dur;
			w->last_ops = w->txn_ops;
		}
		if (ok) {
			w->state = "in-sync";
			w->applied_rev = t->rev;
			w->last_error[0] = 0;
			w->drift_diffs = 0;
			w->reconcile_at_ms = t->c->reconcile_ms > 0
			                             ? controller_now_ms() + t->c->reconcile_ms
			                             : 0;
		} else if (t->skip[i]) {
			w->state = "in-sync"; /* still at the intent: nothing was sent */
		} else {
			w->state = "error";
			snprintf(w->last_error, sizeof(w->last_error),
			         "transaction for revision %lld %s: %.900s", (long long)t->rev,
			         t->outcome, t->cause);
		}
		events_emit(&t->c->events, "device", worker_status_json(w));
		w->txn_reached = TXN_R_NONE;
		w->txn_ops = 0;
		weft_snapshot_unref(w->txn_snap);
		w->txn_snap = NULL;
	}
	return devices;
}

/* Keeps the record in the store's meta records. Without mu. */
static void record(weft_controller *c, json_t *rec)
{
	char *text = json_dumps(rec, JSON_COMPACT);
	json_int_t id = json_integer_value(json_object_get(rec, "id"));
	char key[64], old[64];
	snprintf(key, sizeof(key), "txn/%020lld", (long long)id);
	snprintf(old, sizeof(old), "txn/%020lld", (long long)(id - TXN_KEEP));
	weft_err err = {0};
	pthread_mutex_lock(&c->store_mu);
	if (text && weft_store_put_meta(c->store, key, text, &err))
		fprintf(stderr, "weft: transaction %lld not recorded: %s\n", (long long)id,
		        err.msg);
	if (id > TXN_KEEP)
		weft_store_put_meta(c->store, old, NULL, &err);
	pthread_mutex_unlock(&c->store_mu);
	free(text);
}

/* Devices the transaction need not plan: in sync at the intent (the last
 * committed revision) and untouched by the change from it to snap. They
 * are not read or written: a one-service change across a fleet plans the
 * devices that serve that service. Drift on the others is the
 * reconciler's (it reads every device on its own schedule). With mu. */
static void mark_untouched(weft_controller *c, struct txn_run *t, const weft_snapshot *snap)
{
	if (!c->intent)
		return;
	weft_snapshot_diff d;
	if (weft_snapshot_diff_compute(c->intent, snap, &d))
		return;
	int64_t held = weft_snapshot_revision(c->intent);
	for (size_t i = 0; i < t->n; i++) {
		struct device_worker *w = t->ws[i];
		const weft_resource *dev = worker_find_device(snap, w->key);
		t->skip[i] = dev && w->applied_rev == held && w->state &&
		             !strcmp(w->state, "in-sync") &&
		             !weft_snapshot_diff_touches_device(&d, c->intent, snap, dev);
	}
	weft_snapshot_diff_free(&d);
}

int controller_txn_run(weft_controller *c, weft_snapshot *snap, int removal_only)
{
	int64_t started_unix = worker_unix_ms();
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&c->mu);
	struct txn_run t = {
	        .c = c, .n = c->n_workers, .rev = weft_snapshot_revision(snap), .failed = -1};
	t.ws = calloc(t.n + 1, sizeof(*t.ws));
	t.sel = calloc(t.n + 1, 1);
	t.skip = calloc(t.n + 1, 1);
	if (t.ws && t.skip)
		for (size_t i = 0; i < t.n; i++)
			t.ws[i] = c->workers[i];
	if (t.ws && t.skip)
		mark_untouched(c, &t, snap);
	for (size_t i = 0; i < t.n; i++) {
		t.ws[i] = c->workers[i];
		t.ws[i]->txn_snap = weft_snapshot_ref(snap);
		t.ws[i]->txn_reached = TXN_R_NONE;
		t.ws[i]->txn_ops = 0;
		t.ws[i]->txn_rc = 0;
		t.ws[i]->state = "pending";
	}
	if (t.n == 0) {
		/* No device: nothing to transact or record; the revision is
		 * trivially committed and becomes the intent. */
		controller_set_intent(c, snap);
		pthread_mutex_unlock(&c->mu);
		free(t.ws);
		free(t.sel);
		free(t.skip);
		return 0;
	}
	c->txn_running = 1;
	run_phases(&t, removal_only);
	int64_t dur = elapsed_ms(&t0);
	json_t *devices = settle_devices(&t, started_unix, dur);
	json_t *rec = json_pack("{s:I, s:I, s:s, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I}, s:o}", "id",
	                        (json_int_t)++c->txn_seq, "revision", (json_int_t)t.rev, "mode",
	                        "atomic", "outcome", t.outcome, "started_ms",
	                        (json_int_t)started_unix, "duration_ms", (json_int_t)dur,
	                        "phases_ms", "plan", (json_int_t)t.phase_ms[0], "prepare",
	                        (json_int_t)t.phase_ms[1], "apply", (json_int_t)t.phase_ms[2],
	                        "confirm", (json_int_t)t.phase_ms[3], "devices", devices);
	if (t.cause[0])
		json_object_set_new(rec, "cause", json_string(t.cause));
	int ok = !strcmp(t.outcome, "committed");
	if (ok) {
		c->m.txn_committed++;
		controller_set_intent(c, snap);
	} else {
		c->m.txn_failed++;
	}
	c->txn_running = 0;
	/* Workers sleeping without a deadline must see their new reconcile
	 * time. */
	pthread_cond_broadcast(&c->work_cond);
	json_array_append(c->txn_log, rec);
	events_emit(&c->events, "transaction", json_incref(rec));
	while (json_array_size(c->txn_log) > TXN_KEEP)
		json_array_remove(c->txn_log, 0);
	pthread_cond_broadcast(&c->done_cond);
	pthread_mutex_unlock(&c->mu);
	record(c, rec);
	json_decref(rec);
	free(t.ws);
	free(t.sel);
	free(t.skip);
	return ok ? 0 : -1;
}
