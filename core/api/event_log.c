/* weftd's story in its log (docs/weftd.md, "Logs"): a thread that follows
 * the controller's events (weft_controller_events, the same stream as
 * GET /v1/events) and writes one line per thing that happened:
 *
 *   revision stored       revision, author, created/updated/deleted
 *   transaction started   id, revision, mode, devices, started (its time)
 *   transaction device    id, device, kind, result, ops, duration_ms, error
 *   transaction committed / transaction failed   id, outcome, duration_ms, cause
 *   device pushed         device, kind, revision, ops, duration_ms
 *   push failed           device, kind, target_revision, error       (warn)
 *   drift found           device, kind, differences, first            (warn)
 *   drift repaired        device, kind, revision
 *   device removed        device, kind
 *
 * A transaction's lines are written when its record is published (the
 * record holds its start time and each device's phases), so they stay
 * together even when other lines interleave. Device lines are written on
 * transitions only: the thread keeps each device's last state and drift. */
#include "event_log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct seen_device {
	char *name;
	char state[16];
	int drift;
	long long push_ms;
};

struct weft_event_log {
	weft_controller *c;
	weft_log *log;
	pthread_t thread;
	atomic_int stop;
	struct seen_device *devs;
	size_t n_devs, cap_devs;
};

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static void num(char *buf, size_t size, json_t *o, const char *k)
{
	snprintf(buf, size, "%lld", (long long)json_integer_value(json_object_get(o, k)));
}

static void log_revision(weft_event_log *el, json_t *d)
{
	char rev[24], cr[24], up[24], del[24];
	num(rev, sizeof(rev), d, "revision");
	num(cr, sizeof(cr), d, "created");
	num(up, sizeof(up), d, "updated");
	num(del, sizeof(del), d, "deleted");
	weft_log_event(el->log, WEFT_LOG_INFO, "revision stored", "revision", rev, "author",
	               str(d, "author"), "created", cr, "updated", up, "deleted", del, NULL);
}

/* RFC 3339 UTC with milliseconds of a unix ms time. */
static void rfc3339(char *buf, size_t size, long long ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%03lldZ", ms % 1000);
}

static void log_transaction(weft_event_log *el, json_t *t)
{
	char id[24], rev[24], ndev[24], dur[24], at[40];
	json_t *devices = json_object_get(t, "devices");
	num(id, sizeof(id), t, "id");
	num(rev, sizeof(rev), t, "revision");
	num(dur, sizeof(dur), t, "duration_ms");
	snprintf(ndev, sizeof(ndev), "%zu", json_array_size(devices));
	rfc3339(at, sizeof(at), (long long)json_integer_value(json_object_get(t, "started_ms")));
	weft_log_event(el->log, WEFT_LOG_INFO, "transaction started", "id", id, "revision", rev,
	               "mode", str(t, "mode"), "devices", ndev, "started", at, NULL);
	size_t i;
	json_t *d;
	json_array_foreach(devices, i, d)
	{
		char ops[24], ms[24], held[24];
		long long sum = 0;
		const char *phase;
		json_t *v;
		json_object_foreach(json_object_get(d, "phases_ms"), phase, v) sum +=
		        json_integer_value(v);
		num(ops, sizeof(ops), d, "ops");
		snprintf(ms, sizeof(ms), "%lld", sum);
		if (json_is_integer(json_object_get(d, "revision")))
			num(held, sizeof(held), d, "revision");
		else
			snprintf(held, sizeof(held), "none");
		int ok = strcmp(str(d, "result"), "applied") == 0 ||
		         strcmp(str(d, "result"), "unchanged") == 0;
		weft_log_event(el->log, ok ? WEFT_LOG_INFO : WEFT_LOG_WARN, "transaction device",
		               "id", id, "device", str(d, "name"), "kind", str(d, "kind"), "result",
		               str(d, "result"), "ops", ops, "duration_ms", ms, "held_revision",
		               held, json_is_string(json_object_get(d, "error")) ? "error" : NULL,
		               str(d, "error"), NULL);
	}
	int committed = !strcmp(str(t, "outcome"), "committed");
	weft_log_event(el->log, committed ? WEFT_LOG_INFO : WEFT_LOG_ERROR,
	               committed ? "transaction committed" : "transaction failed", "id", id,
	               "revision", rev, "outcome", str(t, "outcome"), "duration_ms", dur,
	               json_is_string(json_object_get(t, "cause")) ? "cause" : NULL,
	               str(t, "cause"), NULL);
}

static struct seen_device *seen(weft_event_log *el, const char *name)
{
	for (size_t i = 0; i < el->n_devs; i++)
		if (!strcmp(el->devs[i].name, name))
			return &el->devs[i];
	if (el->n_devs == el->cap_devs) {
		size_t cap = el->cap_devs ? el->cap_devs * 2 : 16;
		struct seen_device *n = realloc(el->devs, cap * sizeof(*n));
		if (!n)
			return NULL;
		el->devs = n;
		el->cap_devs = cap;
	}
	struct seen_device *s = &el->devs[el->n_devs];
	memset(s, 0, sizeof(*s));
	if (!(s->name = strdup(name)))
		return NULL;
	el->n_devs++;
	return s;
}

static void log_device(weft_event_log *el, json_t *d)
{
	struct seen_device *s = seen(el, str(d, "name"));
	if (!s)
		return;
	const char *state = str(d, "state"), *name = str(d, "name"), *kind = str(d, "kind");
	json_t *drift = json_object_get(d, "drift");
	int has_drift = json_is_object(drift);
	long long push_ms = (long long)json_integer_value(json_object_get(d, "last_push_ms"));
	char rev[24], target[24], ops[24], ms[24], diffs[24];
	num(rev, sizeof(rev), d, "revision");
	num(target, sizeof(target), d, "target_revision");
	num(ops, sizeof(ops), d, "last_ops");
	num(ms, sizeof(ms), d, "last_push_duration_ms");
	num(diffs, sizeof(diffs), drift, "differences");
	if (!strcmp(state, "error") && (strcmp(s->state, "error") || push_ms != s->push_ms))
		weft_log_event(el->log, WEFT_LOG_WARN, "push failed", "device", name, "kind", kind,
		               "target_revision", target, "error", str(d, "last_error"), NULL);
	else if (!strcmp(state, "removed") && strcmp(s->state, "removed"))
		weft_log_event(el->log, WEFT_LOG_INFO, "device removed", "device", name, "kind",
		               kind, NULL);
	else if (!strcmp(state, "in-sync") && push_ms != s->push_ms && !(s->drift && !has_drift))
		weft_log_event(el->log, WEFT_LOG_INFO, "device pushed", "device", name, "kind",
		               kind, "revision", rev, "ops", ops, "duration_ms", ms, NULL);
	if (has_drift && !s->drift)
		weft_log_event(el->log, WEFT_LOG_WARN, "drift found", "device", name, "kind", kind,
		               "differences", diffs, "first", str(drift, "first"), "state", state,
		               NULL);
	else if (!has_drift && s->drift && !strcmp(state, "in-sync"))
		weft_log_event(el->log, WEFT_LOG_INFO, "drift repaired", "device", name, "kind",
		               kind, "revision", rev, NULL);
	snprintf(s->state, sizeof(s->state), "%s", state);
	s->drift = has_drift;
	s->push_ms = push_ms;
}

static void *follow(void *arg)
{
	weft_event_log *el = arg;
	/* From this process's first event: the controller may have pushed
	 * before this thread started. The gap before it (the previous run's
	 * events) is no news. */
	uint64_t after = 0;
	int first = 1;
	while (!atomic_load(&el->stop)) {
		json_t *r = weft_controller_events(el->c, after, 500);
		size_t i;
		json_t *e;
		json_array_foreach(json_object_get(r, "events"), i, e)
		{
			const char *type = str(e, "type");
			json_t *data = json_object_get(e, "data");
			if (!strcmp(type, "revision"))
				log_revision(el, data);
			else if (!strcmp(type, "transaction"))
				log_transaction(el, data);
			else if (!strcmp(type, "device"))
				log_device(el, data);
			else if (!strcmp(type, "gap") && !first)
				weft_log_event(el->log, WEFT_LOG_WARN, "log fell behind the events",
				               NULL);
			after = (uint64_t)json_integer_value(json_object_get(e, "seq"));
		}
		int closed = json_is_true(json_object_get(r, "closed"));
		json_decref(r);
		first = 0;
		if (closed)
			break;
	}
	return NULL;
}

weft_event_log *weft_event_log_start(weft_controller *c, weft_log *log)
{
	weft_event_log *el = calloc(1, sizeof(*el));
	if (!el)
		return NULL;
	el->c = c;
	el->log = log;
	if (pthread_create(&el->thread, NULL, follow, el) != 0) {
		free(el);
		return NULL;
	}
	return el;
}

void weft_event_log_stop(weft_event_log *el)
{
	if (!el)
		return;
	atomic_store(&el->stop, 1);
	pthread_join(el->thread, NULL);
	for (size_t i = 0; i < el->n_devs; i++)
		free(el->devs[i].name);
	free(el->devs);
	free(el);
}
