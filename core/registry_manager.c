/* The registry manager: one backend instance per Registry of the head
 * policy, the endpoint table they fill (immutable generations, see
 * registry_set.c) and each registry's health for status, events and
 * metrics. A registry that is down keeps its last endpoints; one that says
 * "none" is believed, with a warning (docs/registries.md). The controller
 * owns the manager; backends call the sink functions from their threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "registry-int.h"
#include "resource.h"

#define MAX_WARNINGS 16

struct weft_registry_sink {
	weft_registry_manager *m;
	struct reg_watch *w;
};

struct reg_watch {
	weft_resource *res;   /* the Registry (a reference) */
	weft_resource **svcs; /* the Services that name it (references) */
	weft_registry_query *q;
	size_t nq;
	uint64_t sig; /* content of res and svcs: restart when it changes */
	const weft_registry_backend *b;
	void *inst;
	struct weft_registry_sink sink;
	/* Under m->mu. */
	int up;
	int64_t stale_since_ms, last_sync_ms;
	char error[256];
	unsigned long long restarts, bad_values;
	json_t *warnings; /* recent warnings, at most MAX_WARNINGS */
};

struct weft_registry_manager {
	pthread_mutex_t apply_mu; /* serialises apply/free (start and stop run under it) */
	pthread_mutex_t mu;       /* the fields below */
	struct reg_watch **w;
	size_t n;
	weft_endpoint_set *set;
	weft_registry_notify_fn notify;
	weft_registry_event_fn event;
	void *arg;
};

static void emit(weft_registry_manager *m, const struct reg_watch *w, const char *type,
                 const char *fmt, const char *a, const char *b)
{
	char msg[512];
	snprintf(msg, sizeof(msg), fmt, a ? a : "", b ? b : "");
	if (m->event)
		m->event(m->arg, type,
		         json_pack("{s:s, s:s, s:s}", "registry", w->res->name, "namespace",
		                   w->res->ns, "message", msg));
}

static void warn_locked(struct reg_watch *w, const char *msg)
{
	if (json_array_size(w->warnings) >= MAX_WARNINGS)
		json_array_remove(w->warnings, 0);
	json_array_append_new(w->warnings, json_string(msg));
}

static int str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static int labels_eq(const weft_labels *a, const weft_labels *b)
{
	if (a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->items[i].key, b->items[i].key) ||
		    strcmp(a->items[i].value, b->items[i].value))
			return 0;
	return 1;
}

/* Whether a backend's report changes nothing (a blocking query that timed
 * out, a re-read after a reconnect): then no new generation. */
static int endpoints_equal(const weft_endpoint *a, size_t na, const weft_endpoint *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++) {
		int wb = b[i].weight > 0 ? b[i].weight : 1;
		if (!str_eq(a[i].address, b[i].address) || a[i].port != b[i].port ||
		    a[i].weight != wb || !str_eq(a[i].zone, b[i].zone) ||
		    !labels_eq(&a[i].labels, &b[i].labels) ||
		    !labels_eq(&a[i].addresses, &b[i].addresses))
			return 0;
	}
	return 1;
}

void weft_registry_sink_endpoints(weft_registry_sink *s, size_t q, const weft_endpoint *eps,
                                  size_t n)
{
	weft_registry_manager *m = s->m;
	struct reg_watch *w = s->w;
	if (q >= w->nq)
		return;
	const weft_registry_query *qq = &w->q[q];
	pthread_mutex_lock(&m->mu);
	int was_up = w->up;
	w->up = 1;
	w->stale_since_ms = 0;
	w->error[0] = 0;
	w->last_sync_ms = weft_unix_ms();
	size_t old_n = 0;
	const weft_endpoint *old = weft_endpoint_set_lookup(m->set, qq->ns, qq->name, &old_n);
	int changed = !old || !endpoints_equal(old, old_n, eps, n);
	weft_endpoint_set *next =
	        changed ? endpoint_set_with(m->set, qq->ns, qq->name, eps, n) : NULL;
	char warn[320] = "";
	if (next) {
		weft_endpoint_set_unref(m->set);
		m->set = next;
		if (!n) {
			snprintf(warn, sizeof(warn),
			         "Service %s/%s: the registry has no passing instance", qq->ns,
			         qq->name);
			warn_locked(w, warn);
		}
	}
	pthread_mutex_unlock(&m->mu);
	if (!was_up)
		emit(m, w, "registry-up", "registry is up%s%s", NULL, NULL);
	if (warn[0])
		emit(m, w, "registry-warning", "%s%s", warn, NULL);
	if (next && m->notify)
		m->notify(m->arg);
}

void weft_registry_sink_down(weft_registry_sink *s, const char *error)
{
	weft_registry_manager *m = s->m;
	struct reg_watch *w = s->w;
	pthread_mutex_lock(&m->mu);
	int was_up = w->up || !w->stale_since_ms;
	w->up = 0;
	if (!w->stale_since_ms)
		w->stale_since_ms = weft_unix_ms();
	snprintf(w->error, sizeof(w->error), "%s", error ? error : "unreachable");
	pthread_mutex_unlock(&m->mu);
	if (was_up)
		emit(m, w, "registry-down", "registry is down (last endpoints kept): %s%s", error,
		     NULL);
}

void weft_registry_sink_bad_value(weft_registry_sink *s, const char *what, const char *why)
{
	char msg[512];
	snprintf(msg, sizeof(msg), "%s skipped: %s", what ? what : "?", why ? why : "bad value");
	pthread_mutex_lock(&s->m->mu);
	s->w->bad_values++;
	warn_locked(s->w, msg);
	pthread_mutex_unlock(&s->m->mu);
	emit(s->m, s->w, "registry-bad-value", "%s%s", msg, NULL);
}

void weft_registry_sink_restart(weft_registry_sink *s, const char *why)
{
	pthread_mutex_lock(&s->m->mu);
	s->w->restarts++;
	pthread_mutex_unlock(&s->m->mu);
	emit(s->m, s->w, "registry-restart", "watch restarted: %s%s", why, NULL);
}

/* ---- watches ------------------------------------------------------------------ */

static void watch_free(struct reg_watch *w)
{
	if (!w)
		return;
	if (w->inst)
		w->b->stop(w->inst);
	for (size_t i = 0; i < w->nq; i++)
		weft_resource_unref(w->svcs[i]);
	free(w->svcs);
	free(w->q);
	json_decref(w->warnings);
	weft_resource_unref(w->res);
	free(w);
}

static int names_registry(const weft_resource *svc, const weft_resource *reg)
{
	const weft_service_spec *s = svc->spec;
	return s && s->registry && s->registry->registry.name &&
	       !strcmp(s->registry->registry.name, reg->name) &&
	       !strcmp(s->registry->registry.ns ? s->registry->registry.ns : svc->ns, reg->ns);
}

/* A watch (not started) for reg and the Services of policy that name it. */
static struct reg_watch *watch_new(weft_registry_manager *m, const weft_policyset *policy,
                                   weft_resource *reg)
{
	size_t n_svc = 0, nq = 0;
	weft_resource *const *svcs = weft_policyset_kind(policy, WEFT_KIND_SERVICE, &n_svc);
	struct reg_watch *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->res = weft_resource_ref(reg);
	w->warnings = json_array();
	w->svcs = calloc(n_svc ? n_svc : 1, sizeof(*w->svcs));
	w->q = calloc(n_svc ? n_svc : 1, sizeof(*w->q));
	w->sink.m = m;
	w->sink.w = w;
	if (!w->svcs || !w->q || !w->warnings) {
		watch_free(w);
		return NULL;
	}
	const weft_registry_spec *rs = reg->spec;
	w->sig = reg->hash;
	for (size_t i = 0; i < n_svc; i++) {
		if (!names_registry(svcs[i], reg))
			continue;
		const weft_service_registry *sr =
		        ((const weft_service_spec *)svcs[i]->spec)->registry;
		w->svcs[nq] = weft_resource_ref(svcs[i]);
		w->q[nq] = (weft_registry_query){
		        svcs[i]->ns, svcs[i]->name, sr->service ? sr->service : svcs[i]->name,
		        &sr->tags,   sr->key,       sr->passing_only,
		        &rs->planes};
		w->sig = w->sig * 1099511628211ull ^ svcs[i]->hash;
		nq++;
	}
	w->nq = nq;
	return w;
}

/* Starts w's backend (without mu: a backend may report at once). */
static void watch_start(struct reg_watch *w)
{
	const weft_registry_spec *rs = w->res->spec;
	const char *type = rs->type == WEFT_REGISTRY_CONSUL ? "consul" : "etcd";
	weft_err err = {0};
	w->b = weft_registry_backend_find(type);
	if (!w->b)
		snprintf(err.msg, sizeof(err.msg), "no registry backend for type %s", type);
	else if (!(w->inst = w->b->start(w->res, w->q, w->nq, &w->sink, &err)) && !err.msg[0])
		snprintf(err.msg, sizeof(err.msg), "%s backend did not start", type);
	if (!w->inst)
		weft_registry_sink_down(&w->sink, err.msg);
}

static struct reg_watch *take_watch(weft_registry_manager *m, const weft_resource *reg)
{
	for (size_t i = 0; i < m->n; i++)
		if (m->w[i] && !strcmp(m->w[i]->res->ns, reg->ns) &&
		    !strcmp(m->w[i]->res->name, reg->name)) {
			struct reg_watch *w = m->w[i];
			m->w[i] = NULL;
			return w;
		}
	return NULL;
}

/* Whether (ns, name) is a Service some current watch queries. With mu. */
static int still_queried(void *arg, const char *ns, const char *name)
{
	weft_registry_manager *m = arg;
	for (size_t i = 0; i < m->n; i++)
		for (size_t j = 0; m->w[i] && j < m->w[i]->nq; j++)
			if (!strcmp(m->w[i]->q[j].ns, ns) && !strcmp(m->w[i]->q[j].name, name))
				return 1;
	return 0;
}

void weft_registry_manager_apply(weft_registry_manager *m, const weft_policyset *policy)
{
	size_t n_reg = 0;
	weft_resource *const *regs =
	        policy ? weft_policyset_kind(policy, WEFT_KIND_REGISTRY, &n_reg) : NULL;
	struct reg_watch **next = calloc(n_reg ? n_reg : 1, sizeof(*next));
	if (!next)
		return; /* out of memory: the watches stay as they are */
	pthread_mutex_lock(&m->apply_mu);
	size_t nn = 0;
	for (size_t i = 0; i < n_reg; i++) {
		struct reg_watch *fresh = watch_new(m, policy, regs[i]);
		pthread_mutex_lock(&m->mu);
		struct reg_watch *old = take_watch(m, regs[i]);
		pthread_mutex_unlock(&m->mu);
		if (old && (!fresh || old->sig == fresh->sig)) {
			watch_free(fresh);
			next[nn++] = old; /* unchanged: keeps watching */
			continue;
		}
		watch_free(old); /* changed: stop, start anew (endpoints kept meanwhile) */
		if (fresh) {
			watch_start(fresh);
			next[nn++] = fresh;
		}
	}
	pthread_mutex_lock(&m->mu);
	struct reg_watch **gone = m->w;
	size_t n_gone = m->n;
	m->w = next;
	m->n = nn;
	pthread_mutex_unlock(&m->mu);
	for (size_t i = 0; i < n_gone; i++)
		watch_free(gone[i]);
	free(gone);
	pthread_mutex_lock(&m->mu);
	weft_endpoint_set *kept = endpoint_set_filter(m->set, still_queried, m);
	int changed = kept && kept != m->set;
	if (kept) {
		weft_endpoint_set_unref(m->set);
		m->set = kept;
	}
	pthread_mutex_unlock(&m->mu);
	pthread_mutex_unlock(&m->apply_mu);
	if (changed && m->notify)
		m->notify(m->arg);
}

weft_registry_manager *weft_registry_manager_new(weft_registry_notify_fn notify,
                                                 weft_registry_event_fn event, void *arg)
{
	weft_registry_manager *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	if (!(m->set = endpoint_set_empty()) || pthread_mutex_init(&m->mu, NULL)) {
		free(m->set);
		free(m);
		return NULL;
	}
	pthread_mutex_init(&m->apply_mu, NULL);
	m->notify = notify;
	m->event = event;
	m->arg = arg;
	return m;
}

void weft_registry_manager_free(weft_registry_manager *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		watch_free(m->w[i]);
	free(m->w);
	weft_endpoint_set_unref(m->set);
	pthread_mutex_destroy(&m->mu);
	pthread_mutex_destroy(&m->apply_mu);
	free(m);
}

weft_endpoint_set *weft_registry_manager_endpoints(weft_registry_manager *m)
{
	pthread_mutex_lock(&m->mu);
	weft_endpoint_set *s = weft_endpoint_set_ref(m->set);
	pthread_mutex_unlock(&m->mu);
	return s;
}

static json_t *watch_status(const struct reg_watch *w)
{
	const weft_registry_spec *rs = w->res->spec;
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:O}", "namespace",
	                      w->res->ns, "name", w->res->name, "type",
	                      rs->type == WEFT_REGISTRY_CONSUL ? "consul" : "etcd", "up", w->up,
	                      "lastSyncUnixMs", (json_int_t)w->last_sync_ms, "watchRestarts",
	                      (json_int_t)w->restarts, "badValues", (json_int_t)w->bad_values,
	                      "services", (json_int_t)w->nq, "warnings", w->warnings);
	if (o && !w->up && w->stale_since_ms) {
		json_object_set_new(o, "staleSince", json_integer(w->stale_since_ms));
		json_object_set_new(o, "error", json_string(w->error));
	}
	return o;
}

json_t *weft_registry_manager_status(weft_registry_manager *m)
{
	json_t *arr = json_array();
	pthread_mutex_lock(&m->mu);
	for (size_t i = 0; arr && i < m->n; i++)
		json_array_append_new(arr, watch_status(m->w[i]));
	json_t *o = json_pack("{s:I, s:o}", "generation",
	                      (json_int_t)weft_endpoint_set_generation(m->set), "registries", arr);
	pthread_mutex_unlock(&m->mu);
	return o;
}
