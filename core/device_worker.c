/* Device workers: one thread per Device, so a slow or failing device never
 * holds back the others, and at most one write is in flight per device.
 * A worker waits for a newer snapshot (or a retry deadline), then runs the
 * adapter pipeline: open -> render -> observe -> diff -> prepare -> apply ->
 * confirm (abort on failure), and records the outcome as device status.
 * Failed pushes are retried with exponential backoff (1 s doubling to 60 s).
 *
 * Between pushes a worker reconciles every reconcile_ms: it observes the
 * device with a fresh session (so adapters that cache what they wrote read
 * the device itself), diffs it against the intent, and on a difference
 * marks the device "drift" (Device spec.drift: alert) or pushes again
 * (drift: repair). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controller-int.h"
#include "clock.h"
#include "device_worker-int.h"
#include "resource.h"

int64_t worker_unix_ms(void)
{
	return weft_unix_ms();
}

const weft_resource *worker_find_device(const weft_snapshot *snap, const char *key)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(snap, &n);
	for (size_t i = 0; i < n; i++) {
		char k[512];
		controller_device_key(devs[i], k, sizeof(k));
		if (!strcmp(k, key))
			return devs[i];
	}
	return NULL;
}

void worker_drop_session(struct device_worker *w)
{
	const weft_adapter_instance *ai = weft_controller_adapter(w->c, w->type);
	if (w->session && ai && ai->ops->close)
		ai->ops->close(ai->ctx, w->session);
	w->session = NULL;
}

int worker_session(struct device_worker *w, const weft_adapter_instance *ai,
                   const weft_resource *dev, weft_err *err)
{
	if (w->session && w->session_device_hash != dev->hash)
		worker_drop_session(w);
	if (!w->session && ai->ops->open) {
		if (ai->ops->open(ai->ctx, dev, &w->session, err))
			return -1;
		w->session_device_hash = dev->hash;
	}
	return 0;
}

/* Runs the whole pipeline once. Fills plan (ops count) and err. */
static int push_once(struct device_worker *w, const weft_adapter_instance *ai,
                     const weft_snapshot *snap, const weft_resource *dev, size_t *n_ops,
                     weft_err *err)
{
	const weft_adapter *a = ai->ops;
	void *ctx = ai->ctx;
	if (worker_session(w, ai, dev, err))
		return -1;
	void *desired = NULL, *actual = NULL;
	weft_plan plan;
	weft_plan_init(&plan, w->key, a->kind, weft_snapshot_revision(snap));
	int rc = a->render(ctx, snap, dev, &desired, err);
	if (!rc && a->observe)
		rc = a->observe(ctx, w->session, dev, &actual, err);
	if (!rc)
		rc = a->diff(ctx, dev, desired, actual, &plan, err);
	if (!rc)
		worker_note_warnings(w, &plan);
	if (!rc)
		rc = weft_plan_check_strict(dev, &plan, err);
	*n_ops = plan.n_ops;
	if (!rc && plan.n_ops > 0) {
		weft_phase entered = WEFT_PHASE_PREPARE;
		if (a->prepare)
			rc = a->prepare(ctx, w->session, &plan, err);
		if (!rc) {
			entered = WEFT_PHASE_APPLY;
			rc = a->apply(ctx, w->session, &plan, err);
		}
		if (!rc && a->confirm) {
			entered = WEFT_PHASE_CONFIRM;
			rc = a->confirm(ctx, w->session, &plan, err);
		}
		if (rc && a->abort) {
			weft_err aerr = {0};
			if (a->abort(ctx, w->session, &plan, entered, &aerr))
				weft_err_prefix(err, "abort also failed (%s)", aerr.msg);
		}
	}
	if (rc)
		worker_drop_session(w); /* a failed session may be broken */
	weft_plan_free(&plan);
	if (desired)
		a->free_config(ctx, desired);
	if (actual)
		a->free_config(ctx, actual);
	return rc;
}

static void record(struct device_worker *w, int64_t rev, int rc, const weft_err *err,
                   int64_t started_unix, int64_t dur_ms, size_t ops)
{
	weft_controller *c = w->c;
	w->done_rev = rev;
	w->last_push_unix_ms = started_unix;
	w->last_push_duration_ms = dur_ms;
	w->last_ops = ops;
	if (ops > 0 || rc)
		metrics_observe_push(&c->m, w->type, dur_ms);
	if (rc == 0) {
		w->state = w->removal ? "removed" : "in-sync";
		w->applied_rev = rev;
		w->last_error[0] = 0;
		w->retry_at_ms = 0;
		w->backoff_ms = 0;
		w->drift_diffs = 0;
		w->reconcile_at_ms = c->reconcile_ms > 0 && !w->removal
		                             ? controller_now_ms() + c->reconcile_ms
		                             : 0;
		c->m.pushes_ok++;
		c->m.push_ops += ops;
	} else {
		w->state = "error";
		snprintf(w->last_error, sizeof(w->last_error), "%s", err->msg);
		w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : RETRY_MIN_MS;
		if (w->backoff_ms > RETRY_MAX_MS)
			w->backoff_ms = RETRY_MAX_MS;
		w->retry_at_ms = controller_now_ms() + w->backoff_ms;
		c->m.pushes_failed++;
	}
	events_emit(&c->events, "device", worker_status_json(w));
	pthread_cond_broadcast(&c->done_cond);
}

static void work_once(struct device_worker *w)
{
	weft_controller *c = w->c;
	pthread_mutex_lock(&c->mu);
	weft_snapshot *snap = w->removal ? weft_snapshot_ref(w->removal) : NULL;
	pthread_mutex_unlock(&c->mu);
	if (!snap)
		snap = controller_intent(c);
	if (!snap)
		return;
	int64_t rev = weft_snapshot_revision(snap);
	const weft_resource *dev = worker_find_device(snap, w->key);
	weft_err err = {0};
	int rc;
	size_t ops = 0;
	int64_t t0 = controller_now_ms(), started = worker_unix_ms();
	const weft_adapter_instance *ai = weft_controller_adapter(c, w->type);
	if (!dev)
		rc = weft_err_set(&err, "device %s: not in revision %lld", w->key, (long long)rev);
	else if (!ai)
		rc = weft_err_set(&err, "device %s: no adapter for type '%s'", w->key, w->type);
	else
		rc = push_once(w, ai, snap, dev, &ops, &err);
	if (rc && !strstr(err.msg, w->key))
		weft_err_prefix(&err, "device %s", w->key);
	pthread_mutex_lock(&c->mu);
	record(w, rev, rc, &err, started, controller_now_ms() - t0, ops);
	pthread_mutex_unlock(&c->mu);
	weft_snapshot_unref(snap);
}

static int retry_due(const struct device_worker *w, int64_t now)
{
	return w->retry_at_ms && now >= w->retry_at_ms;
}

static int reconcile_due(const struct device_worker *w, int64_t now)
{
	return w->reconcile_at_ms && now >= w->reconcile_at_ms;
}

static void wait_for_work(struct device_worker *w)
{
	weft_controller *c = w->c;
	for (;;) {
		int64_t now = controller_now_ms();
		if (w->stop || w->txn_cmd != TXN_NONE || w->target_rev > w->done_rev ||
		    retry_due(w, now) || reconcile_due(w, now))
			return;
		int64_t at = w->retry_at_ms;
		if (w->reconcile_at_ms && (!at || w->reconcile_at_ms < at))
			at = w->reconcile_at_ms;
		if (!at) {
			pthread_cond_wait(&c->work_cond, &c->mu);
			continue;
		}
		struct timespec ts = weft_deadline_ms(at - now);
		pthread_cond_timedwait(&c->work_cond, &c->mu, &ts);
	}
}

/* The Device's spec.drift is "repair". */
static int drift_repairs(const weft_resource *dev)
{
	json_t *doc = json_loadb(dev->json, dev->json_len, 0, NULL);
	const char *mode =
	        json_string_value(json_object_get(json_object_get(doc, "spec"), "drift"));
	int repair = mode && !strcmp(mode, "repair");
	json_decref(doc);
	return repair;
}

/* One drift check (see the top of the file). Called without mu. */
static void reconcile_once(struct device_worker *w)
{
	weft_controller *c = w->c;
	pthread_mutex_lock(&c->mu);
	int busy = c->txn_running;
	if (busy) /* the transaction settles this device; check again later */
		w->reconcile_at_ms =
		        controller_now_ms() + (c->reconcile_ms > 0 ? c->reconcile_ms : 1000);
	pthread_mutex_unlock(&c->mu);
	if (busy)
		return;
	weft_snapshot *snap = controller_intent(c);
	const weft_resource *dev = snap ? worker_find_device(snap, w->key) : NULL;
	if (!dev) {
		weft_snapshot_unref(snap);
		return;
	}
	weft_plan plan;
	weft_plan_init(&plan, w->key, w->type, weft_snapshot_revision(snap));
	weft_err err = {0};
	int rc = controller_plan_device(c, snap, dev, &plan, &err);
	int repair = rc == 0 && plan.n_ops > 0 && drift_repairs(dev);
	pthread_mutex_lock(&c->mu);
	c->m.reconciles++;
	w->reconcile_at_ms = c->reconcile_ms > 0 ? controller_now_ms() + c->reconcile_ms : 0;
	const char *state_before = w->state;
	size_t drift_before = w->drift_diffs;
	if (rc == 0 && plan.n_ops > 0) {
		if (!w->drift_diffs)
			c->m.drifts_detected++;
		w->drift_diffs = plan.n_ops;
		w->drift_detected_unix_ms = worker_unix_ms();
		snprintf(w->drift_first, sizeof(w->drift_first), "%s %s", plan.ops[0].action,
		         plan.ops[0].target);
		if (!repair)
			w->state = "drift";
	} else if (rc == 0) {
		w->drift_diffs = 0;
		if (!strcmp(w->state, "drift"))
			w->state = "in-sync";
	} else {
		/* The device cannot be read: a push retry will say why. */
		w->state = "error";
		weft_err_prefix(&err, "reconcile");
		memcpy(w->last_error, err.msg, sizeof(w->last_error));
		w->retry_at_ms = controller_now_ms() + RETRY_MIN_MS;
	}
	/* Followers hear of transitions only, not of every quiet check. */
	if (strcmp(state_before, w->state) || !drift_before != !w->drift_diffs)
		events_emit(&c->events, "device", worker_status_json(w));
	pthread_mutex_unlock(&c->mu);
	weft_plan_free(&plan);
	weft_snapshot_unref(snap);
	if (!repair)
		return;
	/* Repair with a fresh session: an adapter's session may cache what it
	 * wrote last and would not see the hand edit. */
	worker_drop_session(w);
	work_once(w);
	pthread_mutex_lock(&c->mu);
	if (!strcmp(w->state, "in-sync"))
		c->m.drifts_repaired++;
	pthread_mutex_unlock(&c->mu);
}

static void *worker_main(void *arg)
{
	struct device_worker *w = arg;
	weft_controller *c = w->c;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		wait_for_work(w);
		if (w->stop)
			break;
		if (w->txn_cmd != TXN_NONE) {
			int cmd = w->txn_cmd;
			pthread_mutex_unlock(&c->mu);
			txn_worker_run(w, cmd);
			pthread_mutex_lock(&c->mu);
			continue;
		}
		int64_t now = controller_now_ms();
		if (w->target_rev <= w->done_rev && !retry_due(w, now) && reconcile_due(w, now)) {
			pthread_mutex_unlock(&c->mu);
			reconcile_once(w);
			pthread_mutex_lock(&c->mu);
			continue;
		}
		if (strcmp(w->state, "error"))
			w->state = "pending";
		pthread_mutex_unlock(&c->mu);
		work_once(w);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	if (w->txn_has_plan) {
		weft_plan_free(&w->txn_plan);
		w->txn_has_plan = 0;
	}
	worker_drop_session(w);
	return NULL;
}

static struct device_worker *worker_start(weft_controller *c, const weft_resource *dev)
{
	struct device_worker *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->c = c;
	controller_device_key(dev, w->key, sizeof(w->key));
	if (!controller_device_type(dev, w->type, sizeof(w->type)))
		snprintf(w->type, sizeof(w->type), "?");
	w->state = "pending";
	/* Nothing to do until a target is set (independent pushes) or a
	 * transaction drives the worker. */
	w->target_rev = -1;
	w->done_rev = -1;
	w->device = weft_resource_ref((weft_resource *)dev);
	json_t *doc = json_loadb(dev->json, dev->json_len, 0, NULL);
	w->push_group =
	        (int)json_integer_value(json_object_get(json_object_get(doc, "spec"), "pushGroup"));
	json_decref(doc);
	if (pthread_create(&w->thread, NULL, worker_main, w)) {
		weft_resource_unref(w->device);
		free(w);
		return NULL;
	}
	return w;
}

/* Whether worker w stays for snap: its Device is there with the same
 * type (w->device follows it), or it was deleted with onDelete remove and
 * the device is not emptied yet (w->removal: the empty slice at snap's
 * revision). With mu held. */
static int worker_keeps(struct device_worker *w, const weft_snapshot *snap,
                        const weft_resource *dev)
{
	char type[64];
	if (dev) {
		if (!controller_device_type(dev, type, sizeof(type)) || strcmp(type, w->type))
			return 0;
		weft_resource_unref(w->device);
		w->device = weft_resource_ref((weft_resource *)dev);
		weft_snapshot_unref(w->removal);
		w->removal = NULL;
		return 1;
	}
	if (!snap || (w->removal && !strcmp(w->state, "removed")) ||
	    !device_removes_on_delete(w->device))
		return 0;
	weft_err err = {0};
	weft_snapshot *r = device_removal_snapshot(w->device, weft_snapshot_revision(snap), &err);
	if (!r) {
		fprintf(stderr, "weft: device %s deleted, its config not removed: %s\n", w->key,
		        err.msg);
		return 0;
	}
	weft_snapshot_unref(w->removal);
	w->removal = r;
	w->reconcile_at_ms = 0; /* nothing to keep in sync any more */
	return 1;
}

struct device_worker **workers_reconcile(weft_controller *c, const weft_snapshot *snap,
                                         size_t *n_retired, int set_target)
{
	size_t n_devs = 0;
	weft_resource *const *devs = snap ? weft_snapshot_devices(snap, &n_devs) : NULL;
	struct device_worker **keep = calloc(n_devs + 1, sizeof(*keep));
	struct device_worker **retired = calloc(c->n_workers + 1, sizeof(*retired));
	*n_retired = 0;
	size_t n_keep = 0;
	for (size_t i = 0; i < c->n_workers; i++) {
		struct device_worker *w = c->workers[i];
		const weft_resource *dev = snap ? worker_find_device(snap, w->key) : NULL;
		if (worker_keeps(w, snap, dev))
			keep[n_keep++] = w;
		else {
			w->stop = 1; /* gone, or its type changed: a new worker takes over */
			retired[(*n_retired)++] = w;
		}
	}
	for (size_t d = 0; d < n_devs; d++) {
		char key[512];
		controller_device_key(devs[d], key, sizeof(key));
		int found = 0;
		for (size_t i = 0; i < n_keep && !found; i++)
			found = !strcmp(keep[i]->key, key);
		if (!found) {
			struct device_worker *w = worker_start(c, devs[d]);
			if (w)
				keep[n_keep++] = w;
		}
	}
	for (size_t i = 0; set_target && i < n_keep; i++) {
		keep[i]->target_rev = weft_snapshot_revision(snap);
		keep[i]->retry_at_ms = 0; /* a new revision is tried at once */
	}
	free(c->workers);
	c->workers = keep;
	c->n_workers = n_keep;
	return retired;
}

void workers_join(struct device_worker **retired, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		pthread_join(retired[i]->thread, NULL);
		weft_resource_unref(retired[i]->device);
		weft_snapshot_unref(retired[i]->removal);
		json_decref(retired[i]->warnings);
		free(retired[i]);
	}
	free(retired);
}

void worker_note_warnings(struct device_worker *w, const weft_plan *plan)
{
	json_t *now = weft_warnings_to_json(&plan->warnings);
	pthread_mutex_lock(&w->c->mu);
	int changed = !w->warnings || !json_equal(w->warnings, now);
	json_decref(w->warnings);
	w->warnings = now;
	if (changed && json_array_size(now))
		events_emit(&w->c->events, "warnings",
		            json_pack("{s:s, s:s, s:I, s:O}", "device", w->key, "kind", w->type,
		                      "revision", (json_int_t)plan->revision, "warnings", now));
	pthread_mutex_unlock(&w->c->mu);
}

json_t *worker_status_json(const struct device_worker *w)
{
	const char *state =
	        w->target_rev > w->done_rev && strcmp(w->state, "error") ? "pending" : w->state;
	json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I}", "name", w->key, "kind",
	                      w->type, "state", state, "revision", (json_int_t)w->applied_rev,
	                      "target_revision", (json_int_t)w->target_rev, "last_push_ms",
	                      (json_int_t)w->last_push_unix_ms, "last_push_duration_ms",
	                      (json_int_t)w->last_push_duration_ms, "last_ops",
	                      (json_int_t)w->last_ops);
	json_object_set_new(o, "last_error",
	                    w->last_error[0] ? json_string(w->last_error) : json_null());
	json_object_set_new(o, "drift",
	                    w->drift_diffs ? json_pack("{s:I, s:I, s:s}", "detected_ms",
	                                               (json_int_t)w->drift_detected_unix_ms,
	                                               "differences", (json_int_t)w->drift_diffs,
	                                               "first", w->drift_first)
	                                   : json_null());
	json_object_set_new(o, "warnings", w->warnings ? json_incref(w->warnings) : json_array());
	return o;
}

void workers_status(weft_controller *c, json_t *arr)
{
	for (size_t i = 0; i < c->n_workers; i++)
		json_array_append_new(arr, worker_status_json(c->workers[i]));
}

int workers_done(weft_controller *c, int64_t rev)
{
	for (size_t i = 0; i < c->n_workers; i++)
		if (c->workers[i]->done_rev < rev)
			return 0;
	return 1;
}

void workers_count_states(weft_controller *c, size_t *in_sync, size_t *pending, size_t *error,
                          size_t *drift)
{
	for (size_t i = 0; i < c->n_workers; i++) {
		struct device_worker *w = c->workers[i];
		if (w->target_rev > w->done_rev)
			(*pending)++;
		else if (!strcmp(w->state, "error"))
			(*error)++;
		else if (!strcmp(w->state, "drift"))
			(*drift)++;
		else
			(*in_sync)++;
	}
}

int controller_plan_device(weft_controller *c, const weft_snapshot *snap,
                           const weft_resource *device, weft_plan *plan, weft_err *err)
{
	char type[64];
	if (!controller_device_type(device, type, sizeof(type)))
		return weft_err_set(err, "device %s/%s: no spec.type", device->ns, device->name);
	const weft_adapter_instance *ai = weft_controller_adapter(c, type);
	if (!ai)
		return weft_err_set(err, "device %s/%s: no adapter for type '%s'", device->ns,
		                    device->name, type);
	const weft_adapter *a = ai->ops;
	void *ctx = ai->ctx, *session = NULL, *desired = NULL, *actual = NULL;
	int rc = 0;
	if (a->open)
		rc = a->open(ctx, device, &session, err);
	if (!rc)
		rc = a->render(ctx, snap, device, &desired, err);
	if (!rc && a->observe)
		rc = a->observe(ctx, session, device, &actual, err);
	if (!rc)
		rc = a->diff(ctx, device, desired, actual, plan, err);
	if (desired)
		a->free_config(ctx, desired);
	if (actual)
		a->free_config(ctx, actual);
	if (session && a->close)
		a->close(ctx, session);
	return rc;
}
