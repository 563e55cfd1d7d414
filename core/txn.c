/* Network-wide transactions (atomic mode): one snapshot applied to every
 * device as one unit, in phases after FRRouting's northbound and NETCONF's
 * confirmed commit (docs/architecture.md, "Network-wide transactions"):
 *
 *   plan     every device renders, observes, diffs   any failure: abort all
 *   prepare  devices with changes stage them          any failure: abort all
 *   apply    by push-order group (Device pushGroup, ascending; descending
 *            when the change only removes), a group's devices in parallel
 *   confirm  in the same group order (e.g. NETCONF confirming commits)
 *
 * A failure in apply or confirm aborts every device that did not confirm
 * (its adapter rolls back what it applied). A confirmed change cannot be
 * aborted: the devices that confirmed are reverted by a second pass of the
 * same phases at the last committed revision (groups in reverse). Adapters
 * retry a failed confirm themselves where their protocol allows it (NETCONF
 * persist-id from a new session), so a confirm failure reaching the core
 * is final for that attempt.
 *
 * Every transaction is recorded (revision, outcome, phase timings, and per
 * device what it holds at the end: result and revision) in memory and in
 * the store's meta records. A failed transaction is retried as a whole,
 * with backoff, by the core thread. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "device_worker-int.h"

#define TXN_KEEP     100        /* transaction records kept in memory and in the store */
#define TXN_LAST_KEY "txn/last" /* meta record: the newest transaction id */

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

static int64_t elapsed_ms(int64_t since)
{
	return weft_mono_ms() - since;
}

/* What a device did in the forward pass, kept across the revert pass
 * (which reuses the worker's phase fields). */
struct txn_dev {
	int reached;
	size_t ops;
	int confirmed; /* confirmed a change: reverted when the transaction fails */
};

struct txn_run {
	weft_controller *c;
	struct device_worker **ws;
	size_t n;
	char *sel;
	char *in;   /* devices taking part in the pass being run */
	char *skip; /* in sync at the intent and untouched by the change: not planned */
	struct txn_dev *dev;
	int64_t rev;
	weft_snapshot *prev; /* the last committed snapshot (the revert target), or NULL */
	const char *outcome;
	char cause[800];
	long failed;         /* index of the device that failed, or -1 */
	int failed_phase;    /* TXN_PLAN .. TXN_CONFIRM of that failure; TXN_NONE: none */
	int64_t phase_ms[5]; /* plan, prepare, apply, confirm, revert */
};

static void select_where(struct txn_run *t, int min_reached, int with_ops)
{
	for (size_t i = 0; i < t->n; i++)
		t->sel[i] = t->in[i] && t->ws[i]->txn_reached >= min_reached &&
		            t->ws[i]->txn_reached < TXN_R_CONFIRMED &&
		            (!with_ops || t->ws[i]->txn_ops > 0);
}

static void note_failure(struct txn_run *t, const char *phase, int cmd)
{
	long f = first_failure(t->ws, t->n, t->sel);
	if (f < 0 || t->failed >= 0)
		return;
	t->failed = f;
	t->failed_phase = cmd;
	snprintf(t->cause, sizeof(t->cause), "%s failed: %.700s", phase, t->ws[f]->txn_err);
}

/* Drops what was staged, or rolls back what was applied, on every device
 * of the pass that got as far as planned and did not confirm. */
static void abort_unconfirmed(struct txn_run *t)
{
	select_where(t, TXN_R_PLANNED, 0);
	run_phase(t->c, t->ws, t->n, t->sel, TXN_ABORT);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Takes the selected devices that failed out of the pass (t->in) and
 * marks them in dropped, to be aborted at the pass's end. */
static void drop_failed(struct txn_run *t, char *dropped)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->sel[i] && t->ws[i]->txn_rc) {
			t->in[i] = 0;
			dropped[i] = 1;
		}
}

/* Runs cmd (APPLY or CONFIRM) group by group over the pass's devices with
 * changes; 0 when every group succeeded. Without dropped it stops after
 * the first group with a failure: confirming in the same order as
 * applying means a failed confirm leaves the later groups unconfirmed
 * (rolled back by abort) rather than confirmed (to be reverted). With
 * dropped (the revert pass) a failed device leaves and the others go on. */
static int run_groups(struct txn_run *t, int cmd, int descending, const char *phase, char *dropped)
{
	int *groups = calloc(t->n + 1, sizeof(int));
	size_t ng = 0;
	for (size_t i = 0; i < t->n; i++)
		if (t->in[i] && t->ws[i]->txn_ops > 0)
			groups[ng++] = t->ws[i]->push_group;
	qsort(groups, ng, sizeof(int), cmp_int);
	int rc = 0;
	for (size_t k = 0; k < ng && !rc; k++) {
		int g = groups[descending ? ng - 1 - k : k];
		if (k > 0 && g == groups[descending ? ng - k : k - 1])
			continue; /* same group as the previous one */
		for (size_t i = 0; i < t->n; i++)
			t->sel[i] = t->in[i] && t->ws[i]->txn_ops > 0 && t->ws[i]->push_group == g;
		run_phase(t->c, t->ws, t->n, t->sel, cmd);
		if (first_failure(t->ws, t->n, t->sel) < 0)
			continue;
		if (dropped) {
			drop_failed(t, dropped);
		} else {
			note_failure(t, phase, cmd);
			rc = -1;
		}
	}
	free(groups);
	return rc;
}

/* One pass of the phases over the devices in t->in. Returns TXN_NONE when
 * every device confirmed, else the phase that failed; then everything
 * staged or applied and not confirmed has been aborted. ms: the time per
 * phase. With mu held. */
static int run_pass(struct txn_run *t, int descending, int64_t ms[4])
{
	static const char *names[] = {"", "plan", "prepare", "apply", "confirm"};
	int64_t ts;
	int failed = TXN_NONE;
	memcpy(t->sel, t->in, t->n);
	ts = weft_mono_ms();
	run_phase(t->c, t->ws, t->n, t->sel, TXN_PLAN);
	ms[0] += elapsed_ms(ts);
	if (first_failure(t->ws, t->n, t->sel) >= 0) {
		note_failure(t, names[TXN_PLAN], TXN_PLAN);
		failed = TXN_PLAN;
	}
	if (!failed) {
		select_where(t, TXN_R_PLANNED, 1);
		ts = weft_mono_ms();
		run_phase(t->c, t->ws, t->n, t->sel, TXN_PREPARE);
		ms[1] += elapsed_ms(ts);
		if (first_failure(t->ws, t->n, t->sel) >= 0) {
			note_failure(t, names[TXN_PREPARE], TXN_PREPARE);
			failed = TXN_PREPARE;
		}
	}
	for (int cmd = TXN_APPLY; !failed && cmd <= TXN_CONFIRM; cmd++) {
		ts = weft_mono_ms();
		if (run_groups(t, cmd, descending, names[cmd], NULL))
			failed = cmd;
		ms[cmd - 1] += elapsed_ms(ts);
	}
	if (failed)
		abort_unconfirmed(t);
	return failed;
}

/* The snapshot a confirmed device is reverted to: the last committed one;
 * for a Device that was not in it (new in the failed revision), the empty
 * slice, as when a Device is deleted (device_removal.c) -- unless its
 * onDelete is keep: then its revert plan fails and the record says it
 * kept the new revision. With mu held. */
static weft_snapshot *revert_target(struct txn_run *t, struct device_worker *w)
{
	if (worker_find_device(t->prev, w->key) || !device_removes_on_delete(w->device))
		return weft_snapshot_ref(t->prev);
	weft_err err = {0};
	weft_snapshot *empty =
	        device_removal_snapshot(w->device, weft_snapshot_revision(t->prev), &err);
	return empty ? empty : weft_snapshot_ref(t->prev);
}

/* Brings every device that confirmed the failed transaction's change back
 * to the last committed revision, through the same phases (plan, prepare,
 * apply, confirm at that revision): a confirmed change cannot be aborted.
 * Groups run in the reverse order of the forward pass. With mu held. */
static void revert_confirmed(struct txn_run *t, int forward_descending)
{
	size_t n = 0;
	for (size_t i = 0; i < t->n; i++) {
		struct device_worker *w = t->ws[i];
		t->in[i] = t->dev[i].confirmed && t->prev;
		if (!t->in[i])
			continue;
		n++;
		weft_snapshot_unref(w->txn_snap);
		w->txn_snap = revert_target(t, w);
		w->txn_reached = TXN_R_NONE;
		w->txn_ops = 0;
		w->txn_rc = 0;
		w->txn_fail_cmd = TXN_NONE;
		w->txn_abort_failed = 0;
		w->txn_err[0] = 0;
	}
	if (!n)
		return;
	int64_t ts;
	ts = weft_mono_ms();
	char *dropped = calloc(t->n + 1, 1);
	if (!dropped)
		return; /* the devices keep the new revision, and the record says so */
	/* Each device on its own: a revert that can succeed on one device is
	 * not held back by another's failure. */
	memcpy(t->sel, t->in, t->n);
	run_phase(t->c, t->ws, t->n, t->sel, TXN_PLAN);
	drop_failed(t, dropped);
	select_where(t, TXN_R_PLANNED, 1);
	run_phase(t->c, t->ws, t->n, t->sel, TXN_PREPARE);
	drop_failed(t, dropped);
	run_groups(t, TXN_APPLY, !forward_descending, "revert apply", dropped);
	run_groups(t, TXN_CONFIRM, !forward_descending, "revert confirm", dropped);
	for (size_t i = 0; i < t->n; i++)
		t->sel[i] = dropped[i] && t->ws[i]->txn_reached >= TXN_R_PLANNED;
	run_phase(t->c, t->ws, t->n, t->sel, TXN_ABORT);
	free(dropped);
	t->phase_ms[4] = elapsed_ms(ts);
}

/* The phases; sets t->outcome and t->cause. With mu held. */
static void run_phases(struct txn_run *t, int removal_only)
{
	for (size_t i = 0; i < t->n; i++)
		t->in[i] = !t->skip[i];
	t->failed_phase = run_pass(t, removal_only, t->phase_ms);
	if (!t->failed_phase) {
		t->outcome = "committed";
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		struct device_worker *w = t->ws[i];
		t->dev[i].reached = w->txn_reached;
		t->dev[i].ops = w->txn_ops;
		t->dev[i].confirmed =
		        t->in[i] && w->txn_reached == TXN_R_CONFIRMED && w->txn_ops > 0;
	}
	revert_confirmed(t, removal_only);
	t->outcome = t->failed_phase <= TXN_PREPARE ? "aborted" : "rolled-back";
}

/* What device i holds after a failed transaction: its result, the
 * revision (-1: unknown) and why, when something went wrong for it. */
static const char *failed_result(struct txn_run *t, size_t i, int64_t *held, const char **why)
{
	struct device_worker *w = t->ws[i];
	struct txn_dev *d = &t->dev[i];
	int64_t before = w->applied_rev;
	int failed = w->txn_rc && w->txn_fail_cmd != TXN_ABORT;
	*why = w->txn_rc || w->txn_abort_failed ? w->txn_err : NULL;
	if (d->confirmed) {
		if (!t->prev) {
			*held = t->rev;
			*why = "confirmed, and there is no committed revision to revert to";
			return "applied";
		}
		/* Reverted: its revert pass confirmed, or found nothing to do. */
		if (!w->txn_rc && (w->txn_reached == TXN_R_CONFIRMED ||
		                   (w->txn_reached >= TXN_R_PLANNED && !w->txn_ops))) {
			*held = weft_snapshot_revision(t->prev);
			return "reverted";
		}
		/* The revert failed; an aborted revert leaves the new revision. */
		if (failed && w->txn_fail_cmd < TXN_APPLY) {
			*held = t->rev;
			return "applied";
		}
		*held = w->txn_abort_failed ? -1 : t->rev;
		return w->txn_abort_failed ? "unknown" : "applied";
	}
	if (w->txn_abort_failed && d->reached >= TXN_R_APPLIED) {
		*held = -1;
		return "unknown";
	}
	*held = before;
	if (failed)
		return "failed";
	return d->reached >= TXN_R_APPLIED ? "rolled-back" : "not-applied";
}

/* The per-device object of the record; sets *held. With mu. */
static json_t *device_record(struct txn_run *t, size_t i, int ok, int64_t *held)
{
	struct device_worker *w = t->ws[i];
	const char *result, *why = NULL;
	size_t ops = ok || t->skip[i] ? w->txn_ops : t->dev[i].ops;
	if (t->skip[i]) {
		/* its slice is the same at both revisions */
		result = "untouched";
		*held = ok ? t->rev : w->applied_rev;
	} else if (ok) {
		result = w->txn_ops ? "applied" : "unchanged";
		*held = t->rev;
	} else {
		result = failed_result(t, i, held, &why);
	}
	json_t *d = json_pack("{s:s, s:s, s:I, s:s}", "name", w->key, "kind", w->type, "ops",
	                      (json_int_t)ops, "result", result);
	json_object_set_new(d, "revision", *held > 0 ? json_integer(*held) : json_null());
	if (why && *why)
		json_object_set_new(d, "error", json_string(why));
	json_object_set_new(d, "phases_ms",
	                    json_pack("{s:I, s:I, s:I, s:I}", "plan",
	                              (json_int_t)w->txn_ms[TXN_PLAN], "prepare",
	                              (json_int_t)w->txn_ms[TXN_PREPARE], "apply",
	                              (json_int_t)w->txn_ms[TXN_APPLY], "confirm",
	                              (json_int_t)w->txn_ms[TXN_CONFIRM]));
	memset(w->txn_ms, 0, sizeof(w->txn_ms));
	return d;
}

/* Per-device outcome and status after the phases; a failed transaction
 * whose devices do not all hold a known revision from before it is
 * "partial". With mu held. */
static json_t *settle_devices(struct txn_run *t, int64_t started_unix, int64_t dur)
{
	json_t *devices = json_array();
	int ok = !strcmp(t->outcome, "committed");
	for (size_t i = 0; i < t->n; i++) {
		struct device_worker *w = t->ws[i];
		int64_t held;
		json_t *d = device_record(t, i, ok, &held);
		const char *result = json_string_value(json_object_get(d, "result"));
		if (!ok && (!strcmp(result, "applied") || !strcmp(result, "unknown")))
			t->outcome = "partial";
		json_array_append_new(devices, d);
		if (w->txn_ops || t->dev[i].ops)
			metrics_observe_push(&t->c->m, w->type, dur);
		w->done_rev = w->target_rev = t->rev;
		if (!t->skip[i]) {
			w->last_push_unix_ms = started_unix;
			w->last_push_duration_ms = dur;
			w->last_ops = ok ? w->txn_ops : t->dev[i].ops;
		}
		w->applied_rev = held;
		if (ok) {
			w->state = w->removal ? "removed" : "in-sync";
			w->last_error[0] = 0;
			w->drift_diffs = 0;
			w->reconcile_at_ms = t->c->reconcile_ms > 0 && !w->removal
			                             ? controller_now_ms() + t->c->reconcile_ms
			                             : 0;
		} else if (t->skip[i]) {
			w->state = "in-sync"; /* still at the intent: nothing was sent */
		}
		w->txn_reached = TXN_R_NONE;
		w->txn_ops = 0;
		w->txn_abort_failed = 0;
		weft_snapshot_unref(w->txn_snap);
		w->txn_snap = NULL;
	}
	/* The error text needs the final outcome. */
	for (size_t i = 0; !ok && i < t->n; i++) {
		struct device_worker *w = t->ws[i];
		if (t->skip[i])
			continue;
		w->state = "error";
		snprintf(w->last_error, sizeof(w->last_error),
		         "transaction for revision %lld %s: %.900s", (long long)t->rev, t->outcome,
		         t->cause);
	}
	for (size_t i = 0; i < t->n; i++)
		events_emit(&t->c->events, "device", worker_status_json(t->ws[i]));
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
	char last[32];
	snprintf(last, sizeof(last), "%lld", (long long)id);
	if (text && weft_store_put_meta(c->store, TXN_LAST_KEY, last, &err))
		fprintf(stderr, "weft: transaction %lld: last id not recorded: %s\n", (long long)id,
		        err.msg);
	pthread_mutex_unlock(&c->store_mu);
	free(text);
}

void controller_txn_log_load(weft_controller *c)
{
	weft_err err = {0};
	char *value = NULL;
	long long last = 0;
	json_t *log = json_array();
	pthread_mutex_lock(&c->store_mu);
	if (weft_store_get_meta(c->store, TXN_LAST_KEY, &value, &err) == 0 && value)
		last = strtoll(value, NULL, 10);
	free(value);
	for (long long id = last > TXN_KEEP ? last - TXN_KEEP + 1 : 1; last > 0 && id <= last;
	     id++) {
		char key[64];
		snprintf(key, sizeof(key), "txn/%020lld", id);
		value = NULL;
		if (weft_store_get_meta(c->store, key, &value, &err) == 0 && value) {
			json_t *rec = json_loads(value, 0, NULL);
			if (json_is_object(rec))
				json_array_append(log, rec);
			json_decref(rec);
		}
		free(value);
	}
	pthread_mutex_unlock(&c->store_mu);
	pthread_mutex_lock(&c->mu);
	if (last > c->txn_seq) {
		c->txn_seq = last;
		json_decref(c->txn_log);
		c->txn_log = log;
		log = NULL;
	}
	pthread_mutex_unlock(&c->mu);
	json_decref(log);
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

static void txn_run_free(struct txn_run *t)
{
	weft_snapshot_unref(t->prev);
	free(t->ws);
	free(t->sel);
	free(t->in);
	free(t->skip);
	free(t->dev);
}

int controller_txn_run(weft_controller *c, weft_snapshot *snap, int removal_only)
{
	int64_t started_unix = worker_unix_ms();
	int64_t t0;
	t0 = weft_mono_ms();
	pthread_mutex_lock(&c->mu);
	struct txn_run t = {
	        .c = c, .n = c->n_workers, .rev = weft_snapshot_revision(snap), .failed = -1};
	t.ws = calloc(t.n + 1, sizeof(*t.ws));
	t.sel = calloc(t.n + 1, 1);
	t.in = calloc(t.n + 1, 1);
	t.skip = calloc(t.n + 1, 1);
	t.dev = calloc(t.n + 1, sizeof(*t.dev));
	if (!t.ws || !t.sel || !t.in || !t.skip || !t.dev || t.n == 0) {
		/* No device: nothing to transact or record; the revision is
		 * trivially committed and becomes the intent. Out of memory:
		 * nothing was sent, the retry tries again. */
		int none = t.n == 0;
		if (none) {
			controller_set_intent(c, snap);
		}
		pthread_mutex_unlock(&c->mu);
		txn_run_free(&t);
		return none ? 0 : -1;
	}
	for (size_t i = 0; i < t.n; i++)
		t.ws[i] = c->workers[i];
	mark_untouched(c, &t, snap);
	t.prev = c->intent ? weft_snapshot_ref(c->intent) : NULL;
	for (size_t i = 0; i < t.n; i++) {
		/* A deleted Device's worker brings its device to the empty
		 * slice (device_removal.c), in the same transaction. */
		t.ws[i]->txn_snap = weft_snapshot_ref(t.ws[i]->removal ? t.ws[i]->removal : snap);
		t.ws[i]->txn_reached = TXN_R_NONE;
		t.ws[i]->txn_ops = 0;
		t.ws[i]->txn_rc = 0;
		t.ws[i]->txn_fail_cmd = TXN_NONE;
		t.ws[i]->txn_abort_failed = 0;
		t.ws[i]->state = "pending";
	}
	c->txn_running = 1;
	run_phases(&t, removal_only);
	int64_t dur = elapsed_ms(t0);
	json_t *devices = settle_devices(&t, started_unix, dur);
	json_t *rec = json_pack(
	        "{s:I, s:I, s:s, s:s, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}, s:o}", "id",
	        (json_int_t)++c->txn_seq, "revision", (json_int_t)t.rev, "mode", "atomic",
	        "outcome", t.outcome, "started_ms", (json_int_t)started_unix, "duration_ms",
	        (json_int_t)dur, "phases_ms", "plan", (json_int_t)t.phase_ms[0], "prepare",
	        (json_int_t)t.phase_ms[1], "apply", (json_int_t)t.phase_ms[2], "confirm",
	        (json_int_t)t.phase_ms[3], "revert", (json_int_t)t.phase_ms[4], "devices", devices);
	if (t.prev && strcmp(t.outcome, "committed"))
		json_object_set_new(rec, "previous_revision",
		                    json_integer(weft_snapshot_revision(t.prev)));
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
	txn_run_free(&t);
	return ok ? 0 : -1;
}
