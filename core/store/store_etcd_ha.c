/* etcd backend: what several weftd on one store need (docs/ha.md).
 *
 * Watch: a thread keeps one streaming POST /v3/watch on PREFIX/head open
 * and calls the caller's function after every event, after the watch is
 * (re)created, and when etcd cancels it for compaction (compact_revision):
 * the caller reloads the head, so nothing missed while disconnected is lost.
 *
 * Election: a thread holds a lease and campaigns with one transaction
 * "PREFIX/leader does not exist -> put it with my name on my lease". The
 * leader key's create_revision is the fencing token: meta writes compare it
 * (ests_fence_compare). The leader renews every ttl/4 with requests that
 * time out after ttl/4; when it has not renewed for ttl/2 it steps down
 * before etcd can expire the lease and let another replica lead, so two
 * leaders never act at once as far as clocks run at the same rate. A
 * follower campaigns every 200 ms, so a dead leader is replaced within the
 * TTL plus about 200 ms (plus etcd's lease expiry granularity). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_etcd.h"

#define FOLLOWER_TICK_MS 200
#define WATCH_BACKOFF_MS 500

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct etcd_client *ests_new_client(struct ests *st, weft_err *err)
{
	weft_store_opts o = {st->ca, st->cert, st->key, st->credentials};
	return etcd_client_new(st->hosts, &o, err);
}

/* Sleeps up to ms, waking early when *stop is set (checked every 50 ms). */
static void nap(volatile int *stop, int64_t ms)
{
	int64_t end = mono_ms() + ms;
	while (!*stop && mono_ms() < end) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* ---- watch ---- */

struct ests_watch {
	struct ests *st;
	struct etcd_client *cl;
	void (*fn)(void *arg);
	void *arg;
	volatile int stop;
	pthread_t thread;
};

static int on_watch_msg(void *arg, json_t *msg)
{
	struct ests_watch *w = arg;
	json_t *res = json_object_get(msg, "result");
	if (etcd_int(res, "compact_revision") > 0 || json_is_true(json_object_get(res, "canceled")))
		return 1; /* re-create the watch (and reload) */
	if (json_array_size(json_object_get(res, "events")) ||
	    json_is_true(json_object_get(res, "created")))
		w->fn(w->arg);
	return 0;
}

static void *watch_main(void *arg)
{
	struct ests_watch *w = arg;
	char *hk = ests_key(w->st, "head");
	char *k64 = hk ? etcd_b64(hk, strlen(hk)) : NULL;
	json_t *req = k64 ? json_pack("{s:{s:s}}", "create_request", "key", k64) : NULL;
	while (req && !w->stop) {
		weft_err err = {0};
		if (etcd_stream(w->cl, "/v3/watch", req, on_watch_msg, w, &w->stop, &err))
			fprintf(stderr, "weft: store %s: watch: %s (retrying)\n", w->st->url,
			        err.msg);
		nap(&w->stop, WATCH_BACKOFF_MS);
	}
	json_decref(req);
	free(k64);
	free(hk);
	return NULL;
}

void *ests_watch_start(void *impl, void (*fn)(void *arg), void *arg, weft_err *err)
{
	struct ests *st = impl;
	struct ests_watch *w = calloc(1, sizeof(*w));
	if (!w) {
		weft_err_set(err, "store %s: watch: out of memory", st->url);
		return NULL;
	}
	*w = (struct ests_watch){.st = st, .fn = fn, .arg = arg};
	w->cl = ests_new_client(st, err);
	if (!w->cl || pthread_create(&w->thread, NULL, watch_main, w)) {
		if (w->cl)
			weft_err_set(err, "store %s: watch: cannot start a thread", st->url);
		etcd_client_free(w->cl);
		free(w);
		return NULL;
	}
	return w;
}

void ests_watch_stop(void *watch)
{
	struct ests_watch *w = watch;
	w->stop = 1;
	pthread_join(w->thread, NULL);
	etcd_client_free(w->cl);
	free(w);
}

/* ---- election ---- */

struct ests_election {
	struct ests *st;
	struct etcd_client *cl;
	char *name;
	int64_t ttl_ms; /* as asked; granted_ttl_ms what etcd granted */
	void (*fn)(void *arg, int leader);
	void *arg;
	volatile int stop;
	pthread_t thread;
	/* thread-owned */
	char lease[32]; /* "" when none */
	int64_t last_renew_ms;
	/* shared, under mu */
	pthread_mutex_t mu;
	int leader;
	char leader_name[256];
	int64_t granted_ttl_ms;
};

json_t *ests_fence_compare(struct ests *st, int *refuse)
{
	pthread_mutex_lock(&st->fence_mu);
	int fenced = st->fenced;
	int64_t rev = st->fence_rev;
	pthread_mutex_unlock(&st->fence_mu);
	*refuse = fenced && rev == 0;
	if (!fenced || !rev)
		return NULL;
	char *lk = ests_key(st, "leader");
	char *k64 = lk ? etcd_b64(lk, strlen(lk)) : NULL;
	char r[32];
	snprintf(r, sizeof(r), "%lld", (long long)rev);
	json_t *c = k64 ? json_pack("{s:s,s:s,s:s,s:s}", "key", k64, "target", "CREATE", "result",
	                            "EQUAL", "create_revision", r)
	                : NULL;
	free(lk);
	free(k64);
	*refuse = !c;
	return c;
}

static void set_fence(struct ests *st, int fenced, int64_t rev)
{
	pthread_mutex_lock(&st->fence_mu);
	st->fenced = fenced;
	st->fence_rev = rev;
	pthread_mutex_unlock(&st->fence_mu);
}

static json_t *call(struct ests_election *e, const char *path, json_t *req)
{
	json_t *resp = NULL;
	weft_err err = {0};
	if (!req || etcd_post(e->cl, path, req, &resp, &err))
		resp = NULL;
	json_decref(req);
	return resp;
}

static int grant_lease(struct ests_election *e)
{
	char ttl[32];
	snprintf(ttl, sizeof(ttl), "%lld", (long long)((e->ttl_ms + 999) / 1000));
	json_t *resp = call(e, "/v3/lease/grant", json_pack("{s:s}", "TTL", ttl));
	const char *id = json_string_value(json_object_get(resp, "ID"));
	int64_t granted = etcd_int(resp, "TTL");
	if (id && granted > 0) {
		snprintf(e->lease, sizeof(e->lease), "%s", id);
		pthread_mutex_lock(&e->mu);
		e->granted_ttl_ms = granted * 1000;
		pthread_mutex_unlock(&e->mu);
	}
	json_decref(resp);
	return e->lease[0] ? 0 : -1;
}

/* 1 renewed, 0 the lease is gone, -1 no answer. */
static int renew(struct ests_election *e)
{
	json_t *resp = call(e, "/v3/lease/keepalive", json_pack("{s:s}", "ID", e->lease));
	if (!resp)
		return -1;
	int alive = etcd_int(json_object_get(resp, "result"), "TTL") > 0;
	json_decref(resp);
	return alive;
}

static void set_state(struct ests_election *e, int leader, const char *leader_name)
{
	pthread_mutex_lock(&e->mu);
	int changed = e->leader != leader;
	e->leader = leader;
	snprintf(e->leader_name, sizeof(e->leader_name), "%s", leader_name ? leader_name : "");
	pthread_mutex_unlock(&e->mu);
	if (changed)
		e->fn(e->arg, leader);
}

/* One campaign: 1 when this process now leads. */
static int campaign(struct ests_election *e)
{
	char *lk = ests_key(e->st, "leader");
	char *k64 = lk ? etcd_b64(lk, strlen(lk)) : NULL;
	char *v64 = etcd_b64(e->name, strlen(e->name));
	json_t *req = k64 && v64
	                      ? json_pack("{s:[{s:s,s:s,s:s,s:s}],s:[{s:{s:s,s:s,s:s}}],s:[o]}",
	                                  "compare", "key", k64, "target", "CREATE", "result",
	                                  "EQUAL", "create_revision", "0", "success", "request_put",
	                                  "key", k64, "value", v64, "lease", e->lease, "failure",
	                                  ests_range_op(etcd_range_req(lk, NULL)))
	                      : NULL;
	int64_t sent = mono_ms();
	json_t *resp = call(e, "/v3/kv/txn", req);
	free(lk);
	free(k64);
	free(v64);
	if (!resp)
		return 0;
	int won = json_is_true(json_object_get(resp, "succeeded"));
	int64_t fence = etcd_int(json_object_get(resp, "header"), "revision");
	char *holder = NULL;
	if (!won) {
		json_t *kv = json_array_get(etcd_txn_kvs(resp, 0), 0);
		holder = etcd_kv_value(kv);
		/* our own key from an earlier campaign whose answer was lost */
		const char *lease = json_string_value(json_object_get(kv, "lease"));
		if (lease && !strcmp(lease, e->lease)) {
			won = 1;
			fence = etcd_int(kv, "create_revision");
		}
	}
	json_decref(resp);
	if (won) {
		e->last_renew_ms = sent;
		set_fence(e->st, 1, fence);
		set_state(e, 1, e->name);
	} else {
		set_state(e, 0, holder);
	}
	free(holder);
	return won;
}

static void step_down(struct ests_election *e, int revoke)
{
	set_fence(e->st, 1, 0); /* before the workers hear of it: no write slips through */
	if (revoke && e->lease[0])
		json_decref(call(e, "/v3/lease/revoke", json_pack("{s:s}", "ID", e->lease)));
	e->lease[0] = '\0';
	set_state(e, 0, "");
}

static void *elect_main(void *arg)
{
	struct ests_election *e = arg;
	while (!e->stop) {
		pthread_mutex_lock(&e->mu);
		int leader = e->leader;
		pthread_mutex_unlock(&e->mu);
		if (!leader) {
			if ((e->lease[0] || !grant_lease(e)) && renew(e) == 0)
				e->lease[0] = '\0'; /* expired while following: a new one next */
			if (e->lease[0])
				campaign(e);
			nap(&e->stop, FOLLOWER_TICK_MS);
			continue;
		}
		int64_t sent = mono_ms();
		int r = renew(e);
		if (r == 1)
			e->last_renew_ms = sent;
		if (r == 0 || mono_ms() - e->last_renew_ms >= e->ttl_ms / 2) {
			fprintf(stderr, "weft: store %s: %s: stepping down (%s)\n", e->st->url,
			        e->name,
			        r == 0 ? "the lease expired" : "the lease could not be renewed");
			step_down(e, r != 0);
			continue;
		}
		nap(&e->stop, e->ttl_ms / 4);
	}
	pthread_mutex_lock(&e->mu);
	int leader = e->leader;
	pthread_mutex_unlock(&e->mu);
	if (leader || e->lease[0])
		step_down(e, 1);
	return NULL;
}

void *ests_elect_start(void *impl, const char *name, int64_t ttl_ms,
                       void (*fn)(void *arg, int leader), void *arg, weft_err *err)
{
	struct ests *st = impl;
	if (ttl_ms < 2000) {
		weft_err_setc(
		        err, WEFT_EINVALID,
		        "store %s: elect: a lease TTL of %lld ms is below etcd's minimum (2 s)",
		        st->url, (long long)ttl_ms);
		return NULL;
	}
	struct ests_election *e = calloc(1, sizeof(*e));
	if (!e || !(e->name = strdup(name))) {
		free(e);
		weft_err_set(err, "store %s: elect: out of memory", st->url);
		return NULL;
	}
	e->st = st;
	e->ttl_ms = ttl_ms;
	e->fn = fn;
	e->arg = arg;
	e->granted_ttl_ms = ttl_ms;
	pthread_mutex_init(&e->mu, NULL);
	e->cl = ests_new_client(st, err);
	if (e->cl)
		etcd_client_set_timeout(e->cl, ttl_ms / 4);
	set_fence(st, 1, 0); /* not the leader until the campaign says so */
	if (!e->cl || pthread_create(&e->thread, NULL, elect_main, e)) {
		if (e->cl)
			weft_err_set(err, "store %s: elect: cannot start a thread", st->url);
		set_fence(st, 0, 0);
		etcd_client_free(e->cl);
		pthread_mutex_destroy(&e->mu);
		free(e->name);
		free(e);
		return NULL;
	}
	return e;
}

void ests_elect_stop(void *election)
{
	struct ests_election *e = election;
	e->stop = 1;
	pthread_join(e->thread, NULL);
	etcd_client_free(e->cl);
	pthread_mutex_destroy(&e->mu);
	free(e->name);
	free(e);
}

void ests_elect_state(void *election, int *leader, char *leader_name, size_t cap,
                      int64_t *lease_ttl_ms)
{
	struct ests_election *e = election;
	pthread_mutex_lock(&e->mu);
	if (leader)
		*leader = e->leader;
	if (leader_name && cap)
		snprintf(leader_name, cap, "%s", e->leader_name);
	if (lease_ttl_ms)
		*lease_ttl_ms = e->granted_ttl_ms;
	pthread_mutex_unlock(&e->mu);
}
