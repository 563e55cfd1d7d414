/* The etcd backend's own cases (run by store_etcd_harness against a real
 * etcd): two stores on one prefix behave like two weftd replicas (each sees
 * the other's revisions, a stale expected revision is a conflict, writers
 * racing from several processes each get their own revision), endpoint
 * failover at open, unreachable etcd, URL errors, and data under the prefix
 * that is not weft's; election and fencing of meta writes; the head watch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "etcd_http.h"
#include "store_test_util.h"
#include "testsupport.h"

static int setup(void **state)
{
	if (!tst_is_etcd())
		fail_msg("run through store_etcd_harness (WEFT_TEST_STORE_ETCD unset)");
	*state = tst_mkdir();
	return 0;
}

static int teardown(void **state)
{
	tst_rmdir(*state);
	return 0;
}

static void test_two_replicas(void **state)
{
	weft_store *a = tst_open(*state), *b = tst_open(*state);
	weft_stored x = tst_res(WEFT_KIND_SERVICE, "default", "x", "{\"v\":1}");
	assert_int_equal(tst_commit(a, &x, 1, NULL, 0), 1);
	assert_int_equal(weft_store_head(b), 1); /* asked of etcd, not cached */
	weft_stored *items = NULL;
	size_t n = 0;
	weft_err err = {0};
	assert_int_equal(weft_store_load(b, 0, &items, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].json, "{\"v\":1}");
	weft_stored_free_array(items, n);

	/* b commits on a head it read, a then commits on a stale one. */
	x.json = "{\"v\":2}";
	int64_t rev = 0;
	assert_int_equal(weft_store_commit(b, 1, "b", "m", &x, 1, NULL, 0, &rev, &err), 0);
	assert_int_equal(rev, 2);
	x.json = "{\"v\":3}";
	assert_int_equal(weft_store_commit(a, 1, "a", "m", &x, 1, NULL, 0, &rev, &err),
	                 WEFT_ECONFLICT);
	tst_assert_contains(err.msg, "expected revision 1, store is at 2");
	/* -1 commits on whatever the head is now. */
	assert_int_equal(weft_store_commit(a, -1, "a", "m", &x, 1, NULL, 0, &rev, &err), 0);
	assert_int_equal(rev, 3);
	weft_revision_info *ha = NULL, *hb = NULL;
	size_t na = 0, nb = 0;
	assert_int_equal(weft_store_history(a, 0, &ha, &na, &err), 0);
	assert_int_equal(weft_store_history(b, 0, &hb, &nb, &err), 0);
	assert_int_equal(na, 3);
	assert_int_equal(nb, 3);
	for (size_t i = 0; i < na; i++) {
		assert_int_equal(ha[i].rev, hb[i].rev);
		assert_string_equal(ha[i].author, hb[i].author);
		assert_int_equal(ha[i].time_ms, hb[i].time_ms);
	}
	assert_string_equal(ha[0].author, "a");
	assert_string_equal(ha[1].author, "b");
	weft_revision_info_free_array(ha, na);
	weft_revision_info_free_array(hb, nb);
	/* Meta records are shared too. */
	assert_int_equal(weft_store_put_meta(a, "txn/1", "{}", &err), 0);
	char *v = NULL;
	assert_int_equal(weft_store_get_meta(b, "txn/1", &v, &err), 0);
	assert_string_equal(v, "{}");
	free(v);
	weft_store_close(a);
	weft_store_close(b);
}

#define WRITERS 4
#define COMMITS 15

/* Writers in several processes, each with its own store, all with -1: the
 * head guard makes every commit its own revision (none lost, none shared). */
static void test_racing_writers(void **state)
{
	const char *url = *state;
	pid_t pids[WRITERS];
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		assert_true(pids[w] >= 0);
		if (pids[w] == 0) {
			weft_err err = {0};
			weft_store *s = weft_store_open(url, &err);
			if (!s)
				_exit(2);
			for (int i = 0; i < COMMITS; i++) {
				char name[32], json[64];
				snprintf(name, sizeof(name), "w%d-%d", w, i);
				snprintf(json, sizeof(json), "{\"w\":%d,\"i\":%d}", w, i);
				weft_stored r = tst_res(WEFT_KIND_SERVICE, "race", name, json);
				int64_t rev;
				if (weft_store_commit(s, -1, name, "race", &r, 1, NULL, 0, &rev,
				                      &err)) {
					fprintf(stderr, "writer %d: %s\n", w, err.msg);
					_exit(3);
				}
			}
			weft_store_close(s);
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status = 0;
		assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	weft_store *s = tst_open(url);
	assert_int_equal(weft_store_head(s), WRITERS * COMMITS);
	weft_revision_info *h = NULL;
	size_t n = 0;
	weft_err err = {0};
	assert_int_equal(weft_store_history(s, 0, &h, &n, &err), 0);
	assert_int_equal(n, WRITERS * COMMITS);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(h[i].rev, (int64_t)(n - i));
		assert_int_equal(h[i].changed, 1);
		assert_int_equal(h[i].resources, n - i); /* each added one resource */
	}
	weft_revision_info_free_array(h, n);
	weft_stored *items = NULL;
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	assert_int_equal(n, WRITERS * COMMITS);
	weft_stored_free_array(items, n);
	weft_store_close(s);
}

static void test_endpoints(void **state)
{
	const char *url = *state;
	const char *ep = getenv("WEFT_TEST_STORE_ETCD");
	const char *prefix = strchr(url + 7, '/');
	int dead = ts_free_port();
	char u[512];
	weft_err err = {0};
	/* A dead endpoint first: the next one serves. */
	snprintf(u, sizeof(u), "etcd://127.0.0.1:%d,%s%s", dead, ep, prefix);
	weft_store *s = weft_store_open(u, &err);
	if (!s)
		fail_msg("%s", err.msg);
	tst_commit(s, (weft_stored[]){tst_res(WEFT_KIND_SERVICE, "d", "a", "{}")}, 1, NULL, 0);
	weft_store_close(s);
	/* Nothing serves: the message names the store and the endpoint. */
	snprintf(u, sizeof(u), "etcd://127.0.0.1:%d/x", dead);
	assert_null(weft_store_open(u, &err));
	char want[128];
	snprintf(want, sizeof(want), "store etcd://127.0.0.1:%d/x: open: http://127.0.0.1:%d", dead,
	         dead);
	tst_assert_contains(err.msg, want);
	assert_null(weft_store_open("etcd://", &err));
	tst_assert_contains(err.msg, "no location");
	assert_null(weft_store_open("etcd://localhost/p", &err));
	tst_assert_contains(err.msg, "endpoint 'localhost' is not HOST:PORT");
	weft_store_opts opts = {.cert_file = "/nonexistent.pem"};
	snprintf(u, sizeof(u), "etcd://%s%s", ep, prefix);
	assert_null(weft_store_open_opts(u, &opts, &err));
	tst_assert_contains(err.msg, "needs its key");
}

/* Puts key=value under the test's prefix with the raw client. */
static void raw_put(const char *url, const char *sub, const char *value)
{
	weft_err err = {0};
	struct etcd_client *cl = etcd_client_new(getenv("WEFT_TEST_STORE_ETCD"), NULL, &err);
	assert_non_null(cl);
	char key[1024];
	snprintf(key, sizeof(key), "%s/%s", strchr(url + 7, '/'), sub);
	char *k = etcd_b64(key, strlen(key)), *v = etcd_b64(value, strlen(value));
	json_t *req = json_pack("{s:s,s:s}", "key", k, "value", v), *resp = NULL;
	if (etcd_post(cl, "/v3/kv/put", req, &resp, &err))
		fail_msg("put: %s", err.msg);
	json_decref(req);
	json_decref(resp);
	free(k);
	free(v);
	etcd_client_free(cl);
}

static void test_foreign_data(void **state)
{
	const char *url = *state;
	raw_put(url, "format", "9");
	weft_err err = {0};
	assert_null(weft_store_open(url, &err));
	tst_assert_contains(err.msg, "open: ");
	tst_assert_contains(err.msg, "/format is '9', this weft writes layout 1");
	raw_put(url, "format", "1");
	weft_store *s = tst_open(url);
	raw_put(url, "head", "not json");
	weft_stored *items = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), WEFT_EFAIL);
	tst_assert_contains(err.msg, "/head does not hold a weft head");
	weft_stored x = tst_res(WEFT_KIND_SERVICE, "default", "x", "{}");
	int64_t rev = 0;
	assert_int_equal(weft_store_commit(s, -1, "t", "m", &x, 1, NULL, 0, &rev, &err),
	                 WEFT_EFAIL);
	tst_assert_contains(err.msg, "/head does not hold a weft head");
	weft_store_close(s);
}

/* Names with '/' and '%' stay distinct keys. */
static void test_names_escaped(void **state)
{
	weft_store *s = tst_open(*state);
	weft_stored r[3] = {tst_res(WEFT_KIND_SERVICE, "a/b", "c", "{\"n\":1}"),
	                    tst_res(WEFT_KIND_SERVICE, "a", "b/c", "{\"n\":2}"),
	                    tst_res(WEFT_KIND_SERVICE, "a%2Fb", "c", "{\"n\":3}")};
	tst_commit(s, r, 3, NULL, 0);
	weft_stored *items = NULL;
	size_t n = 0;
	weft_err err = {0};
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "a/b", "c"), "{\"n\":1}");
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "a", "b/c"), "{\"n\":2}");
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "a%2Fb", "c"), "{\"n\":3}");
	weft_stored_free_array(items, n);
	weft_store_close(s);
}

struct lstate {
	volatile int leader; /* as last reported */
	volatile int downs;  /* how many times it stepped down */
};

static void on_leader(void *arg, int leader)
{
	struct lstate *l = arg;
	if (!leader)
		l->downs++;
	l->leader = leader;
}

static int wait_flag(volatile int *flag, int want, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	while (*flag != want && ts_now_ms() < end)
		usleep(10000);
	return *flag == want ? 0 : -1;
}

/* Revokes the lease that holds PREFIX/leader, as etcd does when it expires. */
static void revoke_leader_lease(const char *url)
{
	weft_err err = {0};
	struct etcd_client *cl = etcd_client_new(getenv("WEFT_TEST_STORE_ETCD"), NULL, &err);
	assert_non_null(cl);
	char key[1024];
	snprintf(key, sizeof(key), "%s/leader", strchr(url + 7, '/'));
	json_t *req = etcd_range_req(key, NULL), *resp = NULL;
	assert_int_equal(etcd_post(cl, "/v3/kv/range", req, &resp, &err), 0);
	json_decref(req);
	const char *lease = json_string_value(
	        json_object_get(json_array_get(json_object_get(resp, "kvs"), 0), "lease"));
	assert_non_null(lease);
	req = json_pack("{s:s}", "ID", lease);
	json_decref(resp);
	assert_int_equal(etcd_post(cl, "/v3/lease/revoke", req, &resp, &err), 0);
	json_decref(req);
	json_decref(resp);
	etcd_client_free(cl);
}

/* Election and fencing: one leader; only its meta writes go through; when
 * its lease is gone its writes fail at etcd at once, it steps down and the
 * other process leads. */
static void test_election_fencing(void **state)
{
	const char *url = *state;
	weft_store *sa = tst_open(url), *sb = tst_open(url);
	struct lstate la = {-1, 0}, lb = {-1, 0};
	weft_err err = {0};
	weft_store_election *ea = weft_store_elect(sa, "a", 2000, on_leader, &la, &err);
	assert_non_null(ea);
	assert_int_equal(wait_flag(&la.leader, 1, 5000), 0);
	weft_store_election *eb = weft_store_elect(sb, "b", 2000, on_leader, &lb, &err);
	assert_non_null(eb);
	int leader = -1;
	char name[64] = "";
	int64_t ttl = 0;
	long long end = ts_now_ms() + 3000;
	while (!name[0] && ts_now_ms() < end) {
		usleep(20000);
		weft_store_elect_state(eb, &leader, name, sizeof(name), &ttl);
	}
	assert_int_equal(leader, 0);
	assert_string_equal(name, "a");
	assert_int_equal(ttl, 2000);
	assert_int_equal(weft_store_put_meta(sa, "txn/1", "{\"by\":\"a\"}", &err), 0);
	assert_int_equal(weft_store_put_meta(sb, "txn/1", "{\"by\":\"b\"}", &err), WEFT_ECONFLICT);
	tst_assert_contains(err.msg, "not the leader");

	revoke_leader_lease(url);
	/* a has not noticed yet, but etcd refuses its write: fenced */
	int rc = weft_store_put_meta(sa, "txn/2", "{\"by\":\"a\"}", &err);
	assert_int_equal(rc, WEFT_ECONFLICT);
	tst_assert_contains(err.msg, "not the leader");
	assert_int_equal(wait_flag(&la.downs, 1, 5000), 0);
	/* a new leader (either: a campaigns again with a new lease) */
	end = ts_now_ms() + 5000;
	while (la.leader != 1 && lb.leader != 1 && ts_now_ms() < end)
		usleep(10000);
	assert_true(la.leader == 1 || lb.leader == 1);
	weft_store *now = la.leader == 1 ? sa : sb, *other = now == sa ? sb : sa;
	assert_int_equal(weft_store_put_meta(now, "txn/2", "{\"by\":\"leader\"}", &err), 0);
	assert_int_equal(weft_store_put_meta(other, "txn/2", "{}", &err), WEFT_ECONFLICT);
	char *v = NULL;
	assert_int_equal(weft_store_get_meta(other, "txn/2", &v, &err), 0);
	assert_string_equal(v, "{\"by\":\"leader\"}");
	free(v);
	/* resigning hands over at once (well within the 2 s TTL) */
	struct lstate *follower = now == sa ? &lb : &la;
	long long t0 = ts_now_ms();
	weft_store_elect_stop(now == sa ? ea : eb);
	assert_int_equal(wait_flag(&follower->leader, 1, 1500), 0);
	print_message("handover after resign: %lld ms\n", ts_now_ms() - t0);
	weft_store_elect_stop(now == sa ? eb : ea);
	weft_store_close(sa);
	weft_store_close(sb);
}

/* The watch reports every commit another store makes. */
static volatile int head_events;

static void on_head(void *arg)
{
	(void)arg;
	head_events++;
}

static void test_watch(void **state)
{
	weft_store *s = tst_open(*state), *w = tst_open(*state);
	weft_err err = {0};
	weft_store_watch *watch = weft_store_watch_head(w, on_head, NULL, &err);
	assert_non_null(watch);
	assert_int_equal(wait_flag(&head_events, 1, 3000), 0); /* created */
	for (int i = 1; i <= 3; i++) {
		char json[32];
		snprintf(json, sizeof(json), "{\"v\":%d}", i);
		tst_commit(s, (weft_stored[]){tst_res(WEFT_KIND_SERVICE, "d", "a", json)}, 1, NULL,
		           0);
		assert_int_equal(wait_flag(&head_events, 1 + i, 3000), 0);
		assert_int_equal(weft_store_head(w), i);
	}
	weft_store_watch_stop(watch);
	weft_store_close(w);
	weft_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_two_replicas, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_racing_writers, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_endpoints, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_foreign_data, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_names_escaped, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_election_fencing, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
