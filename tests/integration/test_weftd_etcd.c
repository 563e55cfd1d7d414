/* Integration test of weftd on the etcd store (--store etcd://...), run by
 * store_etcd_harness against a real etcd on loopback: revisions survive a
 * restart; kill -9 of weftd in the middle of a stream of applies loses no
 * acknowledged revision and leaves no gap in history; two weftd processes
 * on one store share revisions and history and follow each other's
 * revisions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "testsupport.h"

static wd a, b;
static char store_arg[256];

static const char *const *store_args(void)
{
	static const char *args[3];
	args[0] = "--store";
	args[1] = store_arg;
	args[2] = NULL;
	return args;
}

static char *service_yaml(const char *name, int port)
{
	char *y = NULL;
	if (asprintf(&y,
	             "apiVersion: weft/v1\nkind: Service\nmetadata: {name: %s}\n"
	             "spec: {ports: [{name: http, port: 80}], endpoints: [{address: 10.0.0.1, "
	             "port: %d}]}\n",
	             name, port) < 0)
		return NULL;
	return y;
}

/* POST /v1/apply of one Service; the HTTP status, *rev the revision. */
static long apply_service(const wd *d, const char *name, int port, long long *rev)
{
	char *y = service_yaml(name, port);
	http_resp r;
	long status = -1;
	if (y &&
	    http_do(d->url, "POST", "/v1/apply", NULL, "application/yaml", y, strlen(y), &r) == 0) {
		status = r.status;
		if (rev)
			*rev = json_integer_value(json_object_get(r.json, "revision"));
		http_resp_free(&r);
	}
	free(y);
	return status;
}

/* The newest revision in GET /v1/revisions (read from the store), -1. */
static long long newest_revision(const wd *d)
{
	http_resp r;
	if (http_do(d->url, "GET", "/v1/revisions?limit=1", NULL, NULL, NULL, 0, &r))
		return -1;
	json_t *first = json_array_get(json_object_get(r.json, "revisions"), 0);
	long long rev = first ? json_integer_value(json_object_get(first, "revision")) : -1;
	http_resp_free(&r);
	return rev;
}

static int group_setup(void **state)
{
	const char *ep = getenv("WEFT_TEST_STORE_ETCD");
	if (!ep) {
		fprintf(stderr, "run through store_etcd_harness (WEFT_TEST_STORE_ETCD unset)\n");
		return -1;
	}
	snprintf(store_arg, sizeof(store_arg), "etcd://%s/it-%ld", ep, (long)getpid());
	if (wd_init(&a, "weft-it-etcd-a") || wd_init(&b, "weft-it-etcd-b") || chdir(a.dir))
		return -1;
	return wd_start(&a, store_args());
}

static int group_teardown(void **state)
{
	wd_cleanup(&a);
	wd_cleanup(&b);
	return 0;
}

static void test_apply_and_restart(void **state)
{
	long long rev = 0;
	assert_int_equal(apply_service(&a, "svc", 8080, &rev), 200);
	assert_int_equal(rev, 1);
	assert_int_equal(wd_stop(&a), 0);
	assert_int_equal(wd_start(&a, store_args()), 0);
	assert_int_equal(wd_head(&a, NULL), 1);
	http_resp r;
	assert_int_equal(http_do(a.url, "GET", "/v1/services", NULL, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"svc\""));
	http_resp_free(&r);
}

/* A child applies in a loop and reports each acknowledged revision on a
 * pipe; weftd is killed with SIGKILL while it runs. */
static void test_kill9_mid_apply(void **state)
{
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		close(fds[0]);
		for (int i = 0; i < 100000; i++) {
			long long rev = 0;
			if (apply_service(&a, "svc", 9000 + i % 50000, &rev) != 200)
				_exit(0);
			if (write(fds[1], &rev, sizeof(rev)) != sizeof(rev))
				_exit(1);
		}
		_exit(0);
	}
	close(fds[1]);
	long long last = 0, rev;
	int acks = 0;
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	srand(seed);
	int target = 5 + rand() % 20;
	print_message("kill -9 after %d acknowledged applies (seed %u)\n", target, seed);
	while (acks < target && read(fds[0], &rev, sizeof(rev)) == sizeof(rev)) {
		last = rev;
		acks++;
	}
	ts_kill9(a.pid);
	a.pid = 0;
	while (read(fds[0], &rev, sizeof(rev)) == sizeof(rev))
		last = rev;
	close(fds[0]);
	int status = 0;
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_true(acks >= target);
	assert_int_equal(wd_start(&a, store_args()), 0);
	long long head = wd_head(&a, NULL);
	print_message("last acknowledged %lld, head after restart %lld\n", last, head);
	assert_true(head >= last);
	assert_true(head <= last + 1);
	/* History has every revision, newest first, without a gap. */
	http_resp r;
	assert_int_equal(http_do(a.url, "GET", "/v1/revisions?limit=0", NULL, NULL, NULL, 0, &r),
	                 0);
	json_t *items = json_object_get(r.json, "revisions");
	assert_true(json_array_size(items) >= (size_t)head);
	for (size_t i = 0; i < (size_t)head; i++)
		assert_int_equal(
		        json_integer_value(json_object_get(json_array_get(items, i), "revision")),
		        head - (long long)i);
	http_resp_free(&r);
}

static void test_two_daemons_one_store(void **state)
{
	long long head = wd_head(&a, NULL);
	assert_true(head >= 2);
	assert_int_equal(wd_start(&b, store_args()), 0);
	assert_int_equal(wd_head(&b, NULL), head);
	long long rev = 0;
	assert_int_equal(apply_service(&b, "svc-b", 7070, &rev), 200);
	assert_int_equal(rev, head + 1);
	/* a reads the revision log from the store, and follows b's revision
	 * (store watch, docs/ha.md) before it commits its own on top */
	assert_int_equal(newest_revision(&a), head + 1);
	assert_int_equal(wd_wait_head(&a, head + 1, 5000), 0);
	assert_int_equal(apply_service(&a, "svc-a", 6060, &rev), 200);
	assert_int_equal(rev, head + 2);
	assert_int_equal(wd_wait_head(&b, head + 2, 5000), 0);
	http_resp r;
	assert_int_equal(http_do(b.url, "GET", "/v1/services", NULL, NULL, NULL, 0, &r), 0);
	assert_non_null(strstr(r.body, "svc-a"));
	assert_non_null(strstr(r.body, "svc-b"));
	http_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_apply_and_restart),
	        cmocka_unit_test(test_kill9_mid_apply),
	        cmocka_unit_test(test_two_daemons_one_store),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
