/* Controller reads: resources, revisions, dry-run plans, status and
 * metrics. Reads take a reference to the head policy or the published
 * snapshot and work outside every lock. */
#include <stdlib.h>
#include <string.h>

#include "controller-int.h"
#include "policy.h"
#include "resource.h"

static json_t *resource_json(const weft_resource *r)
{
	json_t *doc = json_loadb(r->json, r->json_len, 0, NULL);
	return doc ? doc : json_pack("{s:s}", "error", "stored JSON does not parse");
}

int weft_controller_get(weft_controller *c, int kind, const char *ns, const char *name,
                        json_t **out, weft_err *err)
{
	pthread_mutex_lock(&c->mu);
	weft_policyset *head = weft_policyset_ref(c->head_policy);
	int64_t rev = c->head_rev;
	pthread_mutex_unlock(&c->mu);
	json_t *items = json_array();
	int rc = 0;
	if (kind >= 0 && ns && name) {
		const weft_resource *r = weft_policyset_find(head, (weft_kind)kind, ns, name);
		if (r)
			json_array_append_new(items, resource_json(r));
		else
			rc = weft_err_setc(err, WEFT_ENOTFOUND, "%s '%s/%s' not found",
			                   weft_kind_name((weft_kind)kind), ns, name);
	} else {
		size_t n = weft_policyset_count(head);
		weft_resource *const *all = weft_policyset_items(head);
		for (size_t i = 0; i < n; i++) {
			const weft_resource *r = all[i];
			if ((kind >= 0 && (int)r->kind != kind) || (ns && strcmp(ns, r->ns)) ||
			    (name && strcmp(name, r->name)))
				continue;
			json_array_append_new(items, resource_json(r));
		}
	}
	weft_policyset_unref(head);
	if (rc) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:I, s:o}", "revision", (json_int_t)rev, "items", items);
	return 0;
}

int weft_controller_revisions(weft_controller *c, size_t limit, json_t **out, weft_err *err)
{
	weft_revision_info *infos = NULL;
	size_t n = 0;
	pthread_mutex_lock(&c->store_mu);
	int rc = weft_store_history(c->store, limit, &infos, &n, err);
	pthread_mutex_unlock(&c->store_mu);
	if (rc)
		return -1;
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr,
		                      json_pack("{s:I, s:I, s:s, s:s, s:I, s:I}", "revision",
		                                (json_int_t)infos[i].rev, "time",
		                                (json_int_t)infos[i].time_ms, "author",
		                                infos[i].author ? infos[i].author : "", "message",
		                                infos[i].message ? infos[i].message : "",
		                                "resources", (json_int_t)infos[i].resources,
		                                "changed", (json_int_t)infos[i].changed));
	weft_revision_info_free_array(infos, n);
	*out = json_pack("{s:I, s:o}", "head", (json_int_t)weft_controller_head(c), "revisions",
	                 arr);
	return 0;
}

/* A candidate snapshot: head + docs, validated; NULL docs -> the published
 * snapshot of the head (compiled now if the debounce has not run yet).
 * *head_out gets a reference to the head policy the candidate derives from. */
static weft_snapshot *candidate_snapshot(weft_controller *c, const weft_docset *docs,
                                         weft_policyset **head_out, weft_diags *diags,
                                         weft_err *err)
{
	pthread_mutex_lock(&c->mu);
	weft_policyset *head = weft_policyset_ref(c->head_policy);
	int64_t rev = c->head_rev;
	pthread_mutex_unlock(&c->mu);
	weft_resource **ups = NULL;
	size_t n_ups = 0;
	weft_policyset *next = NULL;
	if (docs) {
		if (weft_policy_decode_all(docs, &ups, &n_ups, diags) == 0) {
			next = weft_policyset_derive(head, ups, n_ups, NULL, 0, diags);
			if (next && weft_policy_validate_change(head, next, diags)) {
				weft_policyset_unref(next);
				next = NULL;
			}
		}
		for (size_t i = 0; i < n_ups; i++)
			weft_resource_unref(ups[i]);
		free(ups);
		if (!next) {
			weft_policyset_unref(head);
			weft_err_setc(err, WEFT_EINVALID, "policy is invalid: %zu problem(s)",
			              weft_diags_total(diags));
			return NULL;
		}
	} else {
		next = weft_policyset_ref(head);
	}
	/* A candidate plan shows the revision the change would become. */
	weft_snapshot *snap = weft_snapshot_compile(next, docs ? rev + 1 : rev, NULL, err);
	weft_policyset_unref(next);
	if (snap)
		*head_out = head;
	else
		weft_policyset_unref(head);
	return snap;
}

/* The JSON of one member of a resource's spec (NULL when absent). */
static json_t *spec_member(json_t *doc, const char *key)
{
	return json_object_get(json_object_get(doc, "spec"), key);
}

/* Whether a Device of a candidate may be contacted by a dry-run: only when
 * the stored policy holds the same Device with the same type, connection
 * (address, port, username, credentials reference, tls, host key, timeout)
 * and options. A plan request may change what a Device is sent, never
 * where weftd connects or which credential it reads (docs/security.md). */
static int device_trusted(const weft_policyset *head, const weft_resource *dev)
{
	const weft_resource *stored =
	        weft_policyset_find(head, WEFT_KIND_DEVICE, dev->ns, dev->name);
	if (!stored)
		return 0;
	if (stored == dev ||
	    (stored->json_len == dev->json_len && !memcmp(stored->json, dev->json, dev->json_len)))
		return 1;
	json_t *a = json_loadb(stored->json, stored->json_len, 0, NULL);
	json_t *b = json_loadb(dev->json, dev->json_len, 0, NULL);
	static const char *const keys[] = {"type", "connection", "options"};
	int same = a && b;
	for (size_t i = 0; same && i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *x = spec_member(a, keys[i]), *y = spec_member(b, keys[i]);
		same = (!x && !y) || (x && y && json_equal(x, y));
	}
	json_decref(a);
	json_decref(b);
	return same;
}

#define UNTRUSTED_NOTE                                                                             \
	"not contacted: not in the stored policy with this connection and options; "               \
	"planned offline against an empty device"

/* The offline plan of an untrusted Device: render, then diff against
 * nothing (no session, no observe: nothing is opened, read or created). */
static int plan_device_offline(weft_controller *c, const weft_snapshot *snap,
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
	void *desired = NULL;
	int rc = a->render(ai->ctx, snap, device, &desired, err);
	if (!rc)
		rc = a->diff(ai->ctx, device, desired, NULL, plan, err);
	if (desired)
		a->free_config(ai->ctx, desired);
	return rc;
}

static json_t *plan_one_device(weft_controller *c, const weft_snapshot *snap,
                               const weft_resource *dev, int trusted)
{
	char key[512], type[64];
	controller_device_key(dev, key, sizeof(key));
	const char *kind = controller_device_type(dev, type, sizeof(type));
	weft_plan plan;
	weft_plan_init(&plan, key, kind, weft_snapshot_revision(snap));
	weft_err derr = {0};
	int rc = trusted ? controller_plan_device(c, snap, dev, &plan, &derr)
	                 : plan_device_offline(c, snap, dev, &plan, &derr);
	json_t *pj = rc ? json_pack("{s:s, s:s, s:s}", "device", key, "kind", kind ? kind : "?",
	                            "error", derr.msg)
	                : weft_plan_to_json(&plan);
	weft_err serr = {0};
	if (pj && !rc && weft_plan_check_strict(dev, &plan, &serr))
		json_object_set_new(pj, "refused", json_string(serr.msg));
	weft_plan_free(&plan);
	if (pj && !trusted) {
		json_object_set_new(pj, "contacted", json_false());
		json_object_set_new(pj, "note", json_string(UNTRUSTED_NOTE));
	}
	return pj;
}

int weft_controller_plan(weft_controller *c, const weft_docset *docs, json_t **out,
                         weft_diags *diags, weft_err *err)
{
	return weft_controller_plan_snapshot(c, docs, out, NULL, diags, err);
}

int weft_controller_plan_snapshot(weft_controller *c, const weft_docset *docs, json_t **out,
                                  weft_snapshot **snap_out, weft_diags *diags, weft_err *err)
{
	weft_policyset *head = NULL;
	weft_snapshot *snap = candidate_snapshot(c, docs, &head, diags, err);
	if (!snap)
		return err && err->code ? err->code : -1;
	size_t n;
	weft_resource *const *devices = weft_snapshot_devices(snap, &n);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		/* without docs the candidate is the stored policy itself */
		int trusted = !docs || device_trusted(head, devices[i]);
		json_array_append_new(arr, plan_one_device(c, snap, devices[i], trusted));
	}
	weft_policyset_unref(head);
	controller_plan_removals(c, snap, arr);
	*out = json_pack("{s:I, s:o}", "revision", (json_int_t)weft_snapshot_revision(snap),
	                 "devices", arr);
	if (snap_out)
		*snap_out = snap;
	else
		weft_snapshot_unref(snap);
	return 0;
}

json_t *weft_controller_status(weft_controller *c)
{
	json_t *devices = json_array();
	pthread_mutex_lock(&c->mu);
	int64_t head = c->head_rev, compiled = c->compiled_rev;
	workers_status(c, devices);
	pthread_mutex_unlock(&c->mu);
	json_t *st = json_pack("{s:I, s:I, s:o}", "revision", (json_int_t)head, "snapshot_revision",
	                       (json_int_t)compiled, "devices", devices);
	json_t *replica = weft_controller_replica_status(c);
	if (st && replica)
		json_object_set_new(st, "replica", replica);
	else
		json_decref(replica);
	return st;
}

json_t *weft_controller_events(weft_controller *c, uint64_t after, int timeout_ms)
{
	int closed = 0;
	json_t *events = events_since(&c->events, after, timeout_ms, &closed);
	json_t *last = json_array_get(events, json_array_size(events) - 1);
	json_int_t last_seq =
	        last ? json_integer_value(json_object_get(last, "seq")) : (json_int_t)after;
	return json_pack("{s:I, s:b, s:o}", "last", last_seq, "closed", closed, "events", events);
}

uint64_t weft_controller_events_last(weft_controller *c)
{
	return events_last(&c->events);
}

json_t *weft_controller_transactions(weft_controller *c)
{
	pthread_mutex_lock(&c->mu);
	json_t *copy = json_deep_copy(c->txn_log);
	pthread_mutex_unlock(&c->mu);
	return json_pack("{s:o}", "transactions", copy ? copy : json_array());
}

const int push_bucket_ms[PUSH_BUCKETS] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};

void metrics_observe_push(struct controller_metrics *m, const char *kind, int64_t ms)
{
	struct push_histogram *h = NULL;
	for (size_t i = 0; i < 8 && !h; i++)
		if (!m->push_latency[i].kind[0] || !strcmp(m->push_latency[i].kind, kind))
			h = &m->push_latency[i];
	if (!h)
		return; /* more than 8 kinds: not histogrammed */
	snprintf(h->kind, sizeof(h->kind), "%s", kind);
	for (int b = 0; b < PUSH_BUCKETS; b++)
		if (ms <= push_bucket_ms[b]) {
			h->buckets[b]++;
			break;
		}
	h->count++;
	h->sum_ms += (double)ms;
}

/* Appends the push latency histograms (cumulative buckets, seconds). */
static char *append_histograms(char *out, const struct controller_metrics *m)
{
	size_t len = strlen(out), cap = len + 4096;
	char *buf = realloc(out, cap);
	if (!buf)
		return out;
	len += (size_t)snprintf(
	        buf + len, cap - len,
	        "# HELP weft_push_duration_seconds Device push latency by adapter kind.\n"
	        "# TYPE weft_push_duration_seconds histogram\n");
	for (size_t i = 0; i < 8 && m->push_latency[i].kind[0]; i++) {
		const struct push_histogram *h = &m->push_latency[i];
		unsigned long long cum = 0;
		for (int b = 0; b < PUSH_BUCKETS && len < cap; b++) {
			cum += h->buckets[b];
			len += (size_t)snprintf(
			        buf + len, cap - len,
			        "weft_push_duration_seconds_bucket{kind=\"%s\",le=\"%g\"} %llu\n",
			        h->kind, push_bucket_ms[b] / 1000.0, cum);
		}
		if (len < cap)
			len += (size_t)snprintf(
			        buf + len, cap - len,
			        "weft_push_duration_seconds_bucket{kind=\"%s\",le=\"+Inf\"} %llu\n"
			        "weft_push_duration_seconds_sum{kind=\"%s\"} %.3f\n"
			        "weft_push_duration_seconds_count{kind=\"%s\"} %llu\n",
			        h->kind, h->count, h->kind, h->sum_ms / 1000.0, h->kind, h->count);
	}
	return buf;
}

char *weft_controller_metrics(weft_controller *c)
{
	pthread_mutex_lock(&c->mu);
	struct controller_metrics m = c->m;
	int64_t head = c->head_rev, compiled = c->compiled_rev;
	size_t in_sync = 0, pending = 0, error = 0, drift = 0;
	workers_count_states(c, &in_sync, &pending, &error, &drift);
	pthread_mutex_unlock(&c->mu);
	char *out = NULL;
	int n = asprintf(
	        &out,
	        "# HELP weft_head_revision Newest revision in the store.\n"
	        "# TYPE weft_head_revision gauge\nweft_head_revision %lld\n"
	        "# HELP weft_snapshot_revision Revision of the published snapshot.\n"
	        "# TYPE weft_snapshot_revision gauge\nweft_snapshot_revision %lld\n"
	        "# HELP weft_writes_total Policy writes by outcome.\n"
	        "# TYPE weft_writes_total counter\n"
	        "weft_writes_total{outcome=\"ok\"} %llu\nweft_writes_total{outcome=\"invalid\"} "
	        "%llu\n"
	        "weft_writes_total{outcome=\"conflict\"} "
	        "%llu\nweft_writes_total{outcome=\"failed\"} %llu\n"
	        "# HELP weft_compiles_total Snapshots compiled.\n"
	        "# TYPE weft_compiles_total counter\nweft_compiles_total %llu\n"
	        "# HELP weft_compile_seconds_last Duration of the last snapshot compile.\n"
	        "# TYPE weft_compile_seconds_last gauge\nweft_compile_seconds_last %.6f\n"
	        "# HELP weft_pushes_total Device pushes by outcome.\n"
	        "# TYPE weft_pushes_total counter\n"
	        "weft_pushes_total{outcome=\"ok\"} %llu\nweft_pushes_total{outcome=\"failed\"} "
	        "%llu\n"
	        "# HELP weft_push_ops_total Plan operations applied to devices.\n"
	        "# TYPE weft_push_ops_total counter\nweft_push_ops_total %llu\n"
	        "# HELP weft_devices Devices by state.\n# TYPE weft_devices gauge\n"
	        "weft_devices{state=\"in-sync\"} %zu\nweft_devices{state=\"pending\"} %zu\n"
	        "weft_devices{state=\"error\"} %zu\nweft_devices{state=\"drift\"} %zu\n"
	        "# HELP weft_reconciles_total Periodic drift checks run.\n"
	        "# TYPE weft_reconciles_total counter\nweft_reconciles_total %llu\n"
	        "# HELP weft_drift_total Drift found on devices, and repaired.\n"
	        "# TYPE weft_drift_total counter\n"
	        "weft_drift_total{outcome=\"detected\"} %llu\n"
	        "weft_drift_total{outcome=\"repaired\"} %llu\n"
	        "# HELP weft_transactions_total Atomic transactions by outcome.\n"
	        "# TYPE weft_transactions_total counter\n"
	        "weft_transactions_total{outcome=\"committed\"} %llu\n"
	        "weft_transactions_total{outcome=\"failed\"} %llu\n",
	        (long long)head, (long long)compiled, m.writes_ok, m.writes_invalid,
	        m.writes_conflict, m.writes_failed, m.compiles, m.compile_us_last / 1e6,
	        m.pushes_ok, m.pushes_failed, m.push_ops, in_sync, pending, error, drift,
	        m.reconciles, m.drifts_detected, m.drifts_repaired, m.txn_committed, m.txn_failed);
	return n < 0 ? NULL : append_histograms(out, &m);
}
