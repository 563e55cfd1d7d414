/* Controller lifetime and the core thread: opens the store, loads the head
 * revision, and runs the loop "debounce -> compile -> publish -> hand the
 * new snapshot to the device workers" (docs/architecture.md data flow, steps 3-5).
 * Writes live in controller_write.c, reads in controller_read.c, pushes in
 * device_worker.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "controller-int.h"
#include "clock.h"
#include "policy.h"
#include "resource.h"

int64_t controller_now_ms(void)
{
	return weft_mono_ms();
}

int64_t controller_unix_ms(void)
{
	return weft_unix_ms();
}

const char *controller_device_type(const weft_resource *device, char *buf, size_t len)
{
	/* Read from the canonical JSON so that the core depends only on the
	 * documented document shape, not on the typed spec's layout. */
	json_t *doc = json_loadb(device->json, device->json_len, 0, NULL);
	const char *type = json_string_value(json_object_get(json_object_get(doc, "spec"), "type"));
	if (type)
		snprintf(buf, len, "%s", type);
	json_decref(doc);
	return type ? buf : NULL;
}

void controller_device_key(const weft_resource *device, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", device->ns, device->name);
}

/* Loads the head revision's content into a validated policy set. */
int controller_load_head(weft_controller *c, weft_policyset **out, int64_t *rev, weft_err *err)
{
	weft_stored *items = NULL;
	size_t n = 0;
	*out = NULL;
	int64_t head = weft_store_head(c->store);
	*rev = head;
	if (head > 0 && weft_store_load(c->store, head, &items, &n, err))
		return -1;
	weft_resource **res = calloc(n + 1, sizeof(*res));
	weft_diags diags;
	weft_diags_init(&diags);
	int rc = res ? 0 : -1;
	for (size_t i = 0; i < n && !rc; i++)
		rc = weft_policy_decode_json(items[i].json, strlen(items[i].json), items[i].file,
		                             items[i].line, &res[i], &diags);
	weft_policyset *set = rc ? NULL : weft_policyset_new(res, n, &diags);
	if (set && weft_policy_validate(set, &diags)) {
		weft_policyset_unref(set);
		set = NULL;
	}
	if (!set) {
		char *first = diags.count ? weft_diag_format(&diags.items[0]) : NULL;
		weft_err_set(err, "store %s: revision %lld does not load: %s", c->store_url,
		             (long long)head, first ? first : "out of memory");
		free(first);
	}
	for (size_t i = 0; res && i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_stored_free_array(items, n);
	weft_diags_free(&diags);
	*out = set;
	return set ? 0 : -1;
}

/* Whether the change from prev to snap only removes resources (then an
 * atomic push runs its groups in reverse: proxies before hardware). */
static int removal_only(const weft_snapshot *prev, const weft_snapshot *snap)
{
	weft_snapshot_diff d;
	if (!prev || weft_snapshot_diff_compute(prev, snap, &d))
		return 0;
	int only = d.count > 0;
	for (size_t i = 0; i < d.count; i++)
		if (d.items[i].what != WEFT_CHANGE_REMOVED)
			only = 0;
	weft_snapshot_diff_free(&d);
	return only;
}

/* Runs an atomic transaction for snap and schedules a retry on failure.
 * Called without mu. */
static void push_atomic(weft_controller *c, weft_snapshot *snap, int removals)
{
	int rc = controller_txn_run(c, snap, removals);
	pthread_mutex_lock(&c->mu);
	if (rc == 0) {
		c->txn_retry_at_ms = 0;
		c->txn_backoff_ms = 0;
	} else {
		c->txn_backoff_ms = c->txn_backoff_ms ? c->txn_backoff_ms * 2 : 1000;
		if (c->txn_backoff_ms > 60000)
			c->txn_backoff_ms = 60000;
		c->txn_retry_at_ms = controller_now_ms() + c->txn_backoff_ms;
	}
	pthread_mutex_unlock(&c->mu);
}

/* Compiles and publishes the given policy; hands it to the workers, or
 * runs it as one atomic transaction. Called without mu. */
static void compile_and_publish(weft_controller *c, weft_policyset *policy, int64_t rev, int atomic,
                                int64_t stored_unix_ms)
{
	int64_t a = weft_mono_us();
	weft_snapshot *prev = weft_snapcell_get(&c->published);
	weft_err err = {0};
	weft_snapshot *snap = weft_snapshot_compile(policy, rev, prev, &err);
	int64_t b = weft_mono_us();
	if (!snap) {
		weft_snapshot_unref(prev);
		fprintf(stderr, "weft: compile of revision %lld failed: %s\n", (long long)rev,
		        err.msg);
		return;
	}
	weft_snapshot_set_stored_ms(snap, stored_unix_ms);
	int removals = atomic && removal_only(prev, snap);
	weft_snapshot_unref(prev);
	unsigned long long us = (unsigned long long)(b - a);
	weft_snapcell_publish(&c->published, weft_snapshot_ref(snap));
	pthread_mutex_lock(&c->mu);
	/* A follower replica pushes nothing: it serves (API, xDS) the revision
	 * the store holds, and its transactions are the leader's to run. */
	int leader = c->leader;
	atomic = atomic && leader;
	if (!atomic)
		controller_set_intent(c, snap);
	c->compiled_rev = rev;
	c->txn_retry_at_ms = 0; /* a newer revision replaces a pending retry */
	c->txn_removals = removals;
	c->txn_backoff_ms = 0;
	c->m.compiles++;
	c->m.compile_us_last = us;
	c->m.compile_us_total += us;
	size_t n_retired = 0;
	struct device_worker **retired =
	        workers_reconcile(c, leader ? snap : NULL, &n_retired, !atomic);
	pthread_cond_broadcast(&c->work_cond);
	pthread_cond_broadcast(&c->done_cond);
	pthread_mutex_unlock(&c->mu);
	workers_join(retired, n_retired);
	if (atomic)
		push_atomic(c, snap, removals);
	weft_snapshot_unref(snap);
}

/* Milliseconds the core thread may sleep: until the debouncer fires or a
 * failed transaction is retried; -1 for "until signalled". With mu. */
static int64_t core_wait_ms(weft_controller *c, int64_t now)
{
	int64_t wait = weft_debounce_wait(&c->debounce, now);
	if (c->txn_retry_at_ms) {
		int64_t r = c->txn_retry_at_ms > now ? c->txn_retry_at_ms - now : 0;
		if (wait < 0 || r < wait)
			wait = r;
	}
	return wait;
}

static void timed_wait(weft_controller *c, int64_t wait)
{
	struct timespec ts = weft_deadline_ms(wait);
	pthread_cond_timedwait(&c->core_cond, &c->mu, &ts);
}

static void *core_thread_main(void *arg)
{
	weft_controller *c = arg;
	pthread_mutex_lock(&c->mu);
	while (!c->stopping) {
		int64_t now = controller_now_ms();
		int64_t wait = core_wait_ms(c, now);
		if (wait < 0) {
			pthread_cond_wait(&c->core_cond, &c->mu);
			continue;
		}
		if (wait > 0) {
			timed_wait(c, wait);
			continue;
		}
		if (weft_debounce_wait(&c->debounce, now) == 0) {
			weft_debounce_fired(&c->debounce);
			weft_policyset *policy = weft_policyset_ref(c->head_policy);
			int64_t rev = c->head_rev, since = c->pending_since_unix_ms;
			int atomic = c->next_txn_mode ? c->next_txn_mode == WEFT_APPLY_ATOMIC
			                              : c->txn_default_atomic;
			c->next_txn_mode = 0;
			c->pending_since_unix_ms = 0;
			pthread_mutex_unlock(&c->mu);
			compile_and_publish(c, policy, rev, atomic, since);
			weft_policyset_unref(policy);
		} else {
			/* Retry of a failed atomic transaction, same snapshot and
			 * the same group order. */
			c->txn_retry_at_ms = 0;
			int removals = c->txn_removals, leader = c->leader;
			pthread_mutex_unlock(&c->mu);
			weft_snapshot *snap = leader ? weft_snapcell_get(&c->published) : NULL;
			if (snap)
				push_atomic(c, snap, removals);
			weft_snapshot_unref(snap);
		}
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

static char *dup_or(const char *s, const char *fallback)
{
	return strdup(s ? s : fallback);
}

static int init_sync(weft_controller *c)
{
	if (pthread_mutex_init(&c->write_mu, NULL) || pthread_mutex_init(&c->mu, NULL) ||
	    pthread_mutex_init(&c->store_mu, NULL) || pthread_mutex_init(&c->sub_mu, NULL) ||
	    events_init(&c->events))
		return -1;
	/* Timed waits on these use monotonic deadlines (clock.h). */
	int rc = weft_cond_init(&c->core_cond) || weft_cond_init(&c->work_cond) ||
	         weft_cond_init(&c->done_cond);
	return rc ? -1 : 0;
}

/* One instance per registered adapter kind, each from its part of
 * config. A key of config that names no registered kind is refused (a
 * typo would otherwise configure nothing). */
static int open_adapters(weft_controller *c, const json_t *config, weft_err *err)
{
	const char *kinds[64];
	size_t n = weft_adapter_kinds(kinds, 64);
	const char *key;
	json_t *v;
	if (config && !json_is_object(config))
		return weft_err_set(err, "adapter configuration: expected an object");
	json_object_foreach((json_t *)config, key, v)
	{
		if (!weft_adapter_find(key))
			return weft_err_set(err, "adapter configuration: no adapter kind '%s'",
			                    key);
		if (!json_is_object(v))
			return weft_err_set(err, "adapter configuration %s: expected an object",
			                    key);
	}
	c->adapters = calloc(n ? n : 1, sizeof(*c->adapters));
	if (!c->adapters)
		return weft_err_set(err, "controller: out of memory");
	for (size_t i = 0; i < n; i++) {
		const weft_adapter *a = weft_adapter_find(kinds[i]);
		if (weft_adapter_instance_init(&c->adapters[i], a, c,
		                               json_object_get(config, kinds[i]), err))
			return -1;
		c->n_adapters = i + 1;
	}
	return 0;
}

static void close_adapters(weft_controller *c)
{
	for (size_t i = 0; i < c->n_adapters; i++)
		weft_adapter_instance_fini(&c->adapters[i]);
	free(c->adapters);
	c->adapters = NULL;
	c->n_adapters = 0;
}

const weft_adapter_instance *weft_controller_adapter(weft_controller *c, const char *kind)
{
	for (size_t i = 0; i < c->n_adapters; i++)
		if (!strcmp(c->adapters[i].ops->kind, kind))
			return &c->adapters[i];
	return NULL;
}

weft_controller *weft_controller_open(const weft_controller_opts *opts, weft_err *err)
{
	if (!opts || !opts->state_dir) {
		weft_err_set(err, "controller: a state directory is required");
		return NULL;
	}
	if (mkdir(opts->state_dir, 0700) && errno != EEXIST) {
		weft_err_set(err, "state directory %s: %s", opts->state_dir, strerror(errno));
		return NULL;
	}
	weft_controller *c = calloc(1, sizeof(*c));
	if (!c || init_sync(c)) {
		free(c);
		weft_err_set(err, "controller: out of resources");
		return NULL;
	}
	c->state_dir = strdup(opts->state_dir);
	c->plugin_dir = opts->plugin_dir ? strdup(opts->plugin_dir) : NULL;
	if (opts->store_url)
		c->store_url = strdup(opts->store_url);
	else if (asprintf(&c->store_url, "sqlite:%s", opts->state_dir) < 0)
		c->store_url = dup_or(NULL, opts->state_dir);
	c->keep_revisions = opts->keep_revisions;
	c->reconcile_ms = opts->reconcile_ms == 0 ? 30000 : opts->reconcile_ms;
	weft_debounce_init(&c->debounce, opts->quiet_ms > 0 ? opts->quiet_ms : 100,
	                   opts->max_delay_ms > 0 ? opts->max_delay_ms : 1000);
	weft_snapcell_init(&c->published);
	/* A plugin that does not load is a start-up error: carrying on would
	 * leave its Devices unserved with nothing but a log line. */
	if (c->plugin_dir) {
		weft_err perr = {0};
		if (weft_adapter_load_dir(c->plugin_dir, &perr) < 0 || perr.msg[0]) {
			weft_err_set(err, "plugins: %s", perr.msg);
			weft_controller_close(c);
			return NULL;
		}
	}
	/* Before the first push: workers find their instance ready. */
	if (open_adapters(c, opts->adapter_config, err)) {
		weft_controller_close(c);
		return NULL;
	}
	c->store = weft_store_open_opts(c->store_url, opts->store_opts, err);
	if (!c->store) {
		weft_controller_close(c);
		return NULL;
	}
	weft_store_set_retention(c->store, c->keep_revisions);
	/* Event ids continue across restarts (core/events.h); after the store
	 * is open, so that its lock keeps a second weftd off the file. */
	char seq_path[4096];
	snprintf(seq_path, sizeof(seq_path), "%s/events.seq", opts->state_dir);
	if (events_persist(&c->events, seq_path, err) != 0) {
		weft_controller_close(c);
		return NULL;
	}
	if (controller_load_head(c, &c->head_policy, &c->head_rev, err)) {
		weft_controller_close(c);
		return NULL;
	}
	/* The head is compiled and pushed at once: devices resync on start. */
	c->txn_log = json_array();
	controller_txn_log_load(c);
	c->txn_default_atomic = opts->atomic ? 1 : 0;
	c->leader = !opts->replica; /* a replica waits for weft_controller_replicate */
	compile_and_publish(c, c->head_policy, c->head_rev, c->txn_default_atomic, 0);
	if (pthread_create(&c->core_thread, NULL, core_thread_main, c)) {
		weft_err_set(err, "controller: cannot start the core thread");
		weft_controller_close(c);
		return NULL;
	}
	c->core_started = 1;
	return c;
}

void weft_controller_close(weft_controller *c)
{
	if (!c)
		return;
	controller_replica_stop(c); /* resigns: another replica takes over at once */
	pthread_mutex_lock(&c->mu);
	c->stopping = 1;
	pthread_cond_broadcast(&c->core_cond);
	pthread_mutex_unlock(&c->mu);
	events_close(&c->events);
	if (c->core_started)
		pthread_join(c->core_thread, NULL);
	/* Stop every worker: reconcile against "no snapshot". */
	pthread_mutex_lock(&c->mu);
	size_t n_retired = 0;
	struct device_worker **retired = workers_reconcile(c, NULL, &n_retired, 1);
	pthread_cond_broadcast(&c->work_cond);
	pthread_mutex_unlock(&c->mu);
	workers_join(retired, n_retired);
	free(c->workers);
	close_adapters(c); /* no worker uses them any more */
	weft_snapcell_clear(&c->published);
	weft_snapshot_unref(c->intent);
	weft_policyset_unref(c->head_policy);
	json_decref(c->txn_log);
	if (c->store)
		weft_store_close(c->store);
	pthread_mutex_destroy(&c->mu);
	pthread_mutex_destroy(&c->write_mu);
	pthread_mutex_destroy(&c->store_mu);
	pthread_mutex_destroy(&c->sub_mu);
	free(c->subs);
	events_destroy(&c->events);
	pthread_cond_destroy(&c->core_cond);
	pthread_cond_destroy(&c->work_cond);
	pthread_cond_destroy(&c->done_cond);
	free(c->state_dir);
	free(c->store_url);
	free(c->plugin_dir);
	free(c);
}

weft_snapshot *controller_intent(weft_controller *c)
{
	pthread_mutex_lock(&c->mu);
	weft_snapshot *s = weft_snapshot_ref(c->intent);
	pthread_mutex_unlock(&c->mu);
	return s; /* NULL in atomic mode until a transaction commits */
}

weft_snapshot *weft_controller_intent(weft_controller *c)
{
	return controller_intent(c);
}

void controller_set_intent(weft_controller *c, weft_snapshot *snap)
{
	weft_snapshot_unref(c->intent);
	c->intent = weft_snapshot_ref(snap);
	pthread_mutex_lock(&c->sub_mu);
	for (size_t i = 0; i < c->n_subs; i++)
		c->subs[i].fn(c->subs[i].arg);
	pthread_mutex_unlock(&c->sub_mu);
}

int weft_controller_subscribe(weft_controller *c, weft_intent_fn fn, void *arg)
{
	pthread_mutex_lock(&c->sub_mu);
	int id = -1;
	if (c->n_subs == c->cap_subs) {
		size_t cap = c->cap_subs ? c->cap_subs * 2 : 4;
		struct intent_sub *subs = realloc(c->subs, cap * sizeof(*subs));
		if (subs) {
			c->subs = subs;
			c->cap_subs = cap;
		}
	}
	if (c->n_subs < c->cap_subs) {
		id = ++c->next_sub_id;
		c->subs[c->n_subs++] = (struct intent_sub){id, fn, arg};
	}
	pthread_mutex_unlock(&c->sub_mu);
	return id;
}

void weft_controller_unsubscribe(weft_controller *c, int id)
{
	pthread_mutex_lock(&c->sub_mu);
	for (size_t i = 0; i < c->n_subs; i++)
		if (c->subs[i].id == id) {
			c->subs[i] = c->subs[--c->n_subs];
			break;
		}
	pthread_mutex_unlock(&c->sub_mu);
}

weft_snapshot *weft_controller_snapshot(weft_controller *c)
{
	return weft_snapcell_get(&c->published);
}

int64_t weft_controller_head(weft_controller *c)
{
	pthread_mutex_lock(&c->mu);
	int64_t rev = c->head_rev;
	pthread_mutex_unlock(&c->mu);
	return rev;
}

int weft_controller_wait_pushed(weft_controller *c, int64_t rev, int timeout_ms)
{
	struct timespec ts = weft_deadline_ms(timeout_ms);
	pthread_mutex_lock(&c->mu);
	int rc = 0;
	while (!(c->compiled_rev >= rev && workers_done(c, c->compiled_rev))) {
		if (pthread_cond_timedwait(&c->done_cond, &c->mu, &ts) == ETIMEDOUT) {
			rc = -1;
			break;
		}
	}
	pthread_mutex_unlock(&c->mu);
	return rc;
}
