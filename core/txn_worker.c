/* The device side of a network-wide transaction: each phase the
 * coordinator (txn.c) asks for runs here, on the device's own worker
 * thread, with the worker's session (so at most one write is in flight per
 * device, transaction or not). PLAN renders, observes and diffs and keeps
 * the plan; PREPARE stages it; APPLY makes it live; CONFIRM finishes it;
 * ABORT drops what was staged or rolls back what was applied. */
#include <string.h>

#include "device_worker-int.h"

static int txn_plan(struct device_worker *w, const weft_adapter_instance *ai,
                    const weft_snapshot *snap, weft_err *err)
{
	const weft_adapter *a = ai->ops;
	const weft_resource *dev = worker_find_device(snap, w->key);
	if (!dev)
		return weft_err_set(err, "device %s: not in revision %lld", w->key,
		                    (long long)weft_snapshot_revision(snap));
	if (worker_session(w, ai, dev, err))
		return -1;
	weft_plan_init(&w->txn_plan, w->key, a->kind, weft_snapshot_revision(snap));
	w->txn_has_plan = 1;
	w->txn_entered = 0;
	void *desired = NULL, *actual = NULL;
	int rc = a->render(ai->ctx, snap, dev, &desired, err);
	if (!rc && a->observe)
		rc = a->observe(ai->ctx, w->session, dev, &actual, err);
	if (!rc)
		rc = a->diff(ai->ctx, dev, desired, actual, &w->txn_plan, err);
	if (!rc)
		worker_note_warnings(w, &w->txn_plan);
	if (!rc)
		rc = weft_plan_check_strict(dev, &w->txn_plan, err);
	if (desired)
		a->free_config(ai->ctx, desired);
	if (actual)
		a->free_config(ai->ctx, actual);
	return rc;
}

static void drop_plan(struct device_worker *w)
{
	if (w->txn_has_plan)
		weft_plan_free(&w->txn_plan);
	w->txn_has_plan = 0;
	w->txn_entered = 0;
}

/* Runs one phase; returns its status. abort is told the furthest phase
 * the device entered (core/adapter.h), whether that phase succeeded or
 * not; a device that never entered prepare has nothing to undo. */
static int run_phase(struct device_worker *w, const weft_adapter_instance *ai, int cmd,
                     weft_err *err)
{
	const weft_adapter *a = ai->ops;
	void *ctx = ai->ctx;
	int has_ops = w->txn_has_plan && w->txn_plan.n_ops > 0;
	switch (cmd) {
	case TXN_PLAN:
		drop_plan(w);
		return txn_plan(w, ai, w->txn_snap, err);
	case TXN_PREPARE:
		if (has_ops)
			w->txn_entered = WEFT_PHASE_PREPARE;
		return has_ops && a->prepare ? a->prepare(ctx, w->session, &w->txn_plan, err) : 0;
	case TXN_APPLY:
		if (has_ops)
			w->txn_entered = WEFT_PHASE_APPLY;
		return has_ops ? a->apply(ctx, w->session, &w->txn_plan, err) : 0;
	case TXN_CONFIRM: {
		if (has_ops)
			w->txn_entered = WEFT_PHASE_CONFIRM;
		int rc = has_ops && a->confirm ? a->confirm(ctx, w->session, &w->txn_plan, err) : 0;
		if (rc == 0)
			drop_plan(w);
		return rc;
	}
	case TXN_ABORT: {
		int rc = 0;
		if (has_ops && w->txn_entered && a->abort)
			rc = a->abort(ctx, w->session, &w->txn_plan, w->txn_entered, err);
		drop_plan(w);
		/* What the device holds is uncertain after an abort: the next
		 * push starts with a fresh session and observes it. */
		worker_drop_session(w);
		return rc;
	}
	}
	return weft_err_set(err, "unknown transaction phase %d", cmd);
}

void txn_worker_run(struct device_worker *w, int cmd)
{
	weft_controller *c = w->c;
	const weft_adapter_instance *ai = weft_controller_adapter(c, w->type);
	weft_err err = {0};
	int64_t t0 = controller_now_ms();
	int rc;
	if (!ai)
		rc = weft_err_set(&err, "device %s: no adapter for type '%s'", w->key, w->type);
	else
		rc = run_phase(w, ai, cmd, &err);
	if (rc && !strstr(err.msg, w->key))
		weft_err_prefix(&err, "device %s", w->key);
	pthread_mutex_lock(&c->mu);
	w->txn_ms[cmd] += controller_now_ms() - t0; /* a revert pass adds to it */
	if (cmd == TXN_ABORT)
		w->txn_abort_failed = rc != 0;
	if (cmd == TXN_ABORT && w->txn_rc) {
		/* Keep the error of the phase that failed: it is the one the
		 * transaction record reports for this device. */
		if (rc)
			weft_err_prefix(&err, "%s; abort also failed", w->txn_err);
		if (rc)
			memcpy(w->txn_err, err.msg, sizeof(w->txn_err));
	} else {
		w->txn_rc = rc;
		w->txn_fail_cmd = rc ? cmd : TXN_NONE;
		memcpy(w->txn_err, err.msg, sizeof(w->txn_err));
	}
	if (rc == 0) {
		if (cmd == TXN_PLAN) {
			w->txn_reached = TXN_R_PLANNED;
			w->txn_ops = w->txn_has_plan ? w->txn_plan.n_ops : 0;
		} else if (cmd == TXN_PREPARE) {
			w->txn_reached = TXN_R_PREPARED;
		} else if (cmd == TXN_APPLY) {
			w->txn_reached = TXN_R_APPLIED;
		} else if (cmd == TXN_CONFIRM) {
			w->txn_reached = TXN_R_CONFIRMED;
		}
	}
	w->txn_cmd = TXN_NONE;
	pthread_cond_broadcast(&c->done_cond);
	pthread_mutex_unlock(&c->mu);
}
