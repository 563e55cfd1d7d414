/* Replicas on a shared store (docs/ha.md): following the revisions other
 * replicas commit, and leadership. The store's watch (weft_store_watch_head)
 * calls weft_controller_follow, which loads the new head and notes it for
 * the debounced compile like a local write, so every replica compiles and
 * serves (API, xDS) what the store holds. The store's election
 * (weft_store_elect) calls weft_controller_set_leader: only the leader
 * runs device workers, transactions, reconcile and drift repair; its meta
 * writes (transaction records) are fenced by the store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller-int.h"

struct controller_replica {
	char *name;
	weft_store_watch *watch;
	weft_store_election *election;
};

static void on_head_changed(void *arg)
{
	weft_err err = {0};
	if (weft_controller_follow(arg, &err))
		fprintf(stderr, "weft: following the store: %s\n", err.msg);
}

static void on_leader(void *arg, int leader)
{
	weft_controller_set_leader(arg, leader);
}

int weft_controller_replicate(weft_controller *c, const char *name, int64_t ttl_ms, weft_err *err)
{
	if (c->replica)
		return weft_err_setc(err, WEFT_EINVALID, "controller: already a replica");
	struct controller_replica *r = calloc(1, sizeof(*r));
	if (!r || !(r->name = strdup(name ? name : ""))) {
		free(r);
		return weft_err_set(err, "controller: out of memory");
	}
	pthread_mutex_lock(&c->store_mu);
	r->watch = weft_store_watch_head(c->store, on_head_changed, c, err);
	pthread_mutex_unlock(&c->store_mu);
	if (!r->watch) {
		free(r->name);
		free(r);
		return err && err->code ? err->code : WEFT_EFAIL;
	}
	pthread_mutex_lock(&c->mu);
	c->replica = r;
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_lock(&c->store_mu);
	r->election = weft_store_elect(c->store, name, ttl_ms, on_leader, c, err);
	pthread_mutex_unlock(&c->store_mu);
	if (!r->election) {
		int code = err && err->code ? err->code : WEFT_EFAIL;
		controller_replica_stop(c); /* frees r */
		return code;
	}
	return 0;
}

void controller_replica_stop(weft_controller *c)
{
	struct controller_replica *r = c->replica;
	if (!r)
		return;
	weft_store_elect_stop(r->election); /* steps down first: workers stop */
	weft_store_watch_stop(r->watch);
	pthread_mutex_lock(&c->mu);
	c->replica = NULL;
	pthread_mutex_unlock(&c->mu);
	free(r->name);
	free(r);
}

json_t *weft_controller_replica_status(weft_controller *c)
{
	pthread_mutex_lock(&c->mu);
	struct controller_replica *r = c->replica;
	pthread_mutex_unlock(&c->mu);
	if (!r)
		return NULL;
	int leader = 0;
	char leader_name[256] = "";
	int64_t ttl = 0;
	weft_store_elect_state(r->election, &leader, leader_name, sizeof(leader_name), &ttl);
	return json_pack("{s:s, s:b, s:o, s:I}", "name", r->name, "leader", leader, "leader_name",
	                 leader_name[0] ? json_string(leader_name) : json_null(), "lease_ttl_ms",
	                 (json_int_t)ttl);
}

void weft_controller_set_leader(weft_controller *c, int leader)
{
	/* A new leader continues the ids of the records the last one stored. */
	if (leader)
		controller_txn_log_load(c);
	pthread_mutex_lock(&c->mu);
	if (c->leader == !!leader || c->stopping) {
		pthread_mutex_unlock(&c->mu);
		return;
	}
	c->leader = !!leader;
	weft_snapshot *snap = leader ? weft_snapcell_get(&c->published) : NULL;
	int atomic = c->txn_default_atomic;
	size_t n_retired = 0;
	/* Atomic mode: the transaction drives the workers, run at once by the
	 * core thread (the retry path); independent: each worker on its own. */
	struct device_worker **retired = workers_reconcile(c, snap, &n_retired, !atomic);
	if (snap && atomic) {
		c->txn_retry_at_ms = controller_now_ms();
		c->txn_removals = 0;
	}
	pthread_cond_broadcast(&c->work_cond);
	pthread_cond_broadcast(&c->done_cond);
	pthread_cond_broadcast(&c->core_cond);
	pthread_mutex_unlock(&c->mu);
	workers_join(retired, n_retired);
	weft_snapshot_unref(snap);
	fprintf(stderr, "weft: %s\n",
	        leader ? "leading: driving the devices" : "following: not driving any device");
}

int weft_controller_follow(weft_controller *c, weft_err *err)
{
	pthread_mutex_lock(&c->write_mu);
	pthread_mutex_lock(&c->mu);
	int64_t mine = c->head_rev;
	pthread_mutex_unlock(&c->mu);
	weft_policyset *set = NULL;
	int64_t rev = 0;
	int rc = 0;
	pthread_mutex_lock(&c->store_mu);
	if (weft_store_head(c->store) > mine)
		rc = controller_load_head(c, &set, &rev, err);
	pthread_mutex_unlock(&c->store_mu);
	if (!rc && set && rev > mine) {
		pthread_mutex_lock(&c->mu);
		weft_policyset_unref(c->head_policy);
		c->head_policy = set;
		set = NULL;
		c->head_rev = rev;
		if (!c->pending_since_unix_ms)
			c->pending_since_unix_ms = controller_unix_ms();
		weft_debounce_note(&c->debounce, controller_now_ms());
		pthread_cond_signal(&c->core_cond);
		pthread_mutex_unlock(&c->mu);
	}
	weft_policyset_unref(set);
	pthread_mutex_unlock(&c->write_mu);
	return rc;
}
