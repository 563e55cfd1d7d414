/* consulsim conformance: blocking queries and consistency modes. Each test
 * starts its own consulsim, so counts never depend on test order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cst.h"
#include "testsupport.h"

static struct cst T;

static int setup(void **state)
{
	static const char *const extra[] = {"--max-conns-per-client", "5000", NULL};

	(void)state;
	return cst_start(&T, extra);
}

static int teardown(void **state)
{
	int st = cst_stop(&T, 0);

	(void)state;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static long long health_index(const char *svc)
{
	char path[256];
	struct csr r;
	long long idx;

	snprintf(path, sizeof(path), "/v1/health/service/%s", svc);
	r = cst_do(&T, "GET", path, NULL, NULL);
	idx = r.index;
	csr_free(&r);
	return idx;
}

struct bg {
	char path[256];
	struct csr r;
	long long done_ms;
};

static void *bg_get(void *arg)
{
	struct bg *b = arg;

	b->r = cst_do(&T, "GET", b->path, NULL, NULL);
	b->done_ms = ts_now_ms();
	return NULL;
}

/* Every read carries X-Consul-Index and the leader headers; index=0 never
 * blocks; a wait with no change returns after the wait (plus at most
 * wait/16 of jitter) with the same index. */
static void test_wait_times_out_with_same_index(void **state)
{
	char path[256];
	struct csr r;
	long long idx;

	(void)state;
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", NULL), 0);
	r = cst_do(&T, "GET", "/v1/health/service/web?index=0&wait=5s", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_true(r.seconds < 0.5);
	assert_true(r.index >= 1);
	assert_string_equal(r.known_leader, "true");
	assert_string_equal(r.last_contact, "0");
	assert_string_equal(r.consistency, "leader");
	idx = r.index;
	csr_free(&r);
	snprintf(path, sizeof(path), "/v1/health/service/web?index=%lld&wait=1s", idx);
	r = cst_do(&T, "GET", path, NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_true(r.seconds >= 0.95);
	assert_true(r.seconds < 1.0 + 1.0 / 16 + 0.5); /* slack for a loaded machine */
	assert_int_equal(r.index, idx);
	assert_int_equal(json_array_size(r.json), 1);
	csr_free(&r);
}

/* A change to the service wakes the query at once with a higher index; a
 * change to another service does not. */
static void test_change_wakes_only_its_watchers(void **state)
{
	struct bg web, other;
	pthread_t th1, th2;
	long long idx, t_write;

	(void)state;
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", NULL), 0);
	assert_int_equal(cst_register(&T, "n1", "api", 90, "passing", NULL), 0);
	idx = health_index("web");
	snprintf(web.path, sizeof(web.path), "/v1/health/service/web?index=%lld&wait=10s", idx);
	snprintf(other.path, sizeof(other.path), "/v1/health/service/api?index=%lld&wait=2s",
	         health_index("api"));
	pthread_create(&th1, NULL, bg_get, &web);
	pthread_create(&th2, NULL, bg_get, &other);
	/* both are pending before the write */
	for (long long end = ts_now_ms() + 5000; ts_now_ms() < end;) {
		struct csr c = cst_do(&T, "GET", "/sim/counters", NULL, NULL);
		long long n = json_integer_value(json_object_get(c.json, "blockingPending"));

		csr_free(&c);
		if (n == 2)
			break;
		usleep(10000);
	}
	t_write = ts_now_ms();
	assert_int_equal(cst_register(&T, "n2", "web", 81, "passing", NULL), 0);
	pthread_join(th1, NULL);
	assert_int_equal(web.r.status, 200);
	assert_true(web.done_ms - t_write < 2000); /* far below the 10 s wait */
	assert_true(web.r.index > idx);
	assert_int_equal(json_array_size(web.r.json), 2);
	pthread_join(th2, NULL);
	assert_true(other.r.seconds >= 1.9); /* slept through the web change */
	csr_free(&web.r);
	csr_free(&other.r);
}

/* An idempotent re-registration does not move the index. */
static void test_idempotent_write_keeps_index(void **state)
{
	long long idx;

	(void)state;
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", NULL), 0);
	idx = health_index("web");
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", NULL), 0);
	assert_int_equal(health_index("web"), idx);
	assert_int_equal(cst_register(&T, "n1", "web", 80, "critical", NULL), 0);
	assert_true(health_index("web") > idx);
}

static void test_bad_index_and_wait(void **state)
{
	struct csr r;

	(void)state;
	r = cst_do(&T, "GET", "/v1/health/service/web?index=abc", NULL, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "Invalid index\n");
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/health/service/web?index=-3", NULL, NULL);
	assert_int_equal(r.status, 400);
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/catalog/services?index=1&wait=10", NULL, NULL);
	assert_int_equal(r.status, 400);
	assert_string_equal(r.body, "Invalid wait time\n");
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/catalog/services?stale&consistent", NULL, NULL);
	assert_int_equal(r.status, 400);
	assert_non_null(strstr(r.body, "conflicting semantics"));
	csr_free(&r);
}

/* After an index reset (snapshot restore) pending queries return at once
 * with an index lower than the one they held. */
static void test_index_reset_goes_backwards(void **state)
{
	struct bg w;
	pthread_t th;
	long long idx, t0;

	(void)state;
	for (int i = 0; i < 5; i++)
		assert_int_equal(cst_register(&T, "n1", "web", 80 + i, "passing", NULL), 0);
	idx = health_index("web");
	assert_true(idx > 2);
	snprintf(w.path, sizeof(w.path), "/v1/health/service/web?index=%lld&wait=20s", idx);
	pthread_create(&th, NULL, bg_get, &w);
	for (long long end = ts_now_ms() + 5000; ts_now_ms() < end;) {
		struct csr c = cst_do(&T, "GET", "/sim/counters", NULL, NULL);
		long long n = json_integer_value(json_object_get(c.json, "blockingPending"));

		csr_free(&c);
		if (n == 1)
			break;
		usleep(10000);
	}
	t0 = ts_now_ms();
	assert_int_equal(cst_status(&T, "POST", "/sim/index-reset", "{}"), 200);
	pthread_join(th, NULL);
	assert_int_equal(w.r.status, 200);
	assert_true(w.done_ms - t0 < 1000);
	assert_true(w.r.index >= 1 && w.r.index < idx);
	assert_int_equal(json_array_size(w.r.json), 5); /* same data, lower index */
	csr_free(&w.r);
}

/* No leader: reads and writes 500 "No cluster leader", a stale read is
 * still answered, with X-Consul-KnownLeader: false. */
static void test_no_leader(void **state)
{
	struct csr r;

	(void)state;
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", NULL), 0);
	assert_int_equal(cst_status(&T, "POST", "/sim/no-leader", "{\"on\":true}"), 200);
	r = cst_do(&T, "GET", "/v1/health/service/web", NULL, NULL);
	assert_int_equal(r.status, 500);
	assert_string_equal(r.body, "No cluster leader\n");
	csr_free(&r);
	assert_int_equal(cst_register(&T, "n1", "web", 81, "passing", NULL), -1);
	r = cst_do(&T, "GET", "/v1/health/service/web?stale", NULL, NULL);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.known_leader, "false");
	assert_string_equal(r.consistency, "stale");
	assert_int_equal(json_array_size(r.json), 1);
	csr_free(&r);
	r = cst_do(&T, "GET", "/v1/status/leader", NULL, NULL);
	assert_string_equal(json_string_value(r.json), "");
	csr_free(&r);
	assert_int_equal(cst_status(&T, "POST", "/sim/no-leader", "{\"on\":false}"), 200);
	r = cst_do(&T, "GET", "/v1/status/leader", NULL, NULL);
	assert_non_null(strstr(json_string_value(r.json), ":8300"));
	csr_free(&r);
}

static size_t discard(char *d, size_t sz, size_t nm, void *u)
{
	(void)d;
	(void)u;
	return sz * nm;
}

static int sim_threads(pid_t pid)
{
	char path[64], *text, *p;
	int n = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = ts_read_file(path, NULL);
	if (text && (p = strstr(text, "Threads:")))
		n = atoi(p + 8);
	free(text);
	return n;
}

/* 2,000 pending blocking queries hold no thread each (consulsim keeps its
 * 3 threads), and one write answers all of them. */
static void test_thousands_pending_without_threads(void **state)
{
	enum { N = 2000 };
	static CURL *h[N];
	CURLM *m = curl_multi_init();
	char url[256];
	long long idx, end, t_write = 0;
	int running = 1, ok = 0;
	CURLMsg *msg;
	struct rlimit rl;
	int left;

	(void)state;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max; /* N client sockets */
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur < N + 100)
		skip();
	assert_int_equal(cst_register(&T, "n1", "web", 80, "passing", NULL), 0);
	idx = health_index("web");
	snprintf(url, sizeof(url), "%s/v1/health/service/web?index=%lld&wait=60s", T.base, idx);
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)N);
	for (int i = 0; i < N; i++) {
		h[i] = curl_easy_init();
		curl_easy_setopt(h[i], CURLOPT_URL, url);
		curl_easy_setopt(h[i], CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(h[i], CURLOPT_TIMEOUT, 90L);
		curl_easy_setopt(h[i], CURLOPT_FORBID_REUSE, 1L);
		curl_multi_add_handle(m, h[i]);
	}
	for (end = ts_now_ms() + 30000; ts_now_ms() < end && running;) {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 50, NULL);
		if (!t_write) {
			struct csr c = cst_do(&T, "GET", "/sim/counters", NULL, NULL);
			long long n =
			        json_integer_value(json_object_get(c.json, "blockingPending"));

			csr_free(&c);
			if (n == N) {
				print_message("pending %d, consulsim threads %d\n", N,
				              sim_threads(T.pid));
				assert_true(sim_threads(T.pid) <= 3);
				t_write = ts_now_ms();
				assert_int_equal(cst_register(&T, "n2", "web", 81, "passing", NULL),
				                 0);
			}
		}
	}
	assert_true(t_write > 0);
	while ((msg = curl_multi_info_read(m, &left))) {
		long code = 0;

		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &code);
		ok += msg->msg == CURLMSG_DONE && msg->data.result == CURLE_OK && code == 200;
	}
	print_message("%d answered %lld ms after the write\n", ok, ts_now_ms() - t_write);
	assert_int_equal(ok, N);
	assert_true(ts_now_ms() - t_write < 10000);
	for (int i = 0; i < N; i++) {
		curl_multi_remove_handle(m, h[i]);
		curl_easy_cleanup(h[i]);
	}
	curl_multi_cleanup(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_wait_times_out_with_same_index, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_change_wakes_only_its_watchers, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_idempotent_write_keeps_index, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_index_and_wait, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_index_reset_goes_backwards, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_no_leader, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_thousands_pending_without_threads, setup,
	                                        teardown),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_ALL);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
