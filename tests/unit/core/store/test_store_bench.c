/* Store benchmark: what a one-resource change costs on a policy of 13,000
 * resources (the scale weft targets), next to the bulk operations around
 * it. Prints the timings; asserts only correctness, never time. Each commit
 * is durable (WAL, synchronous=FULL), so the fsync of the disk under
 * $TMPDIR is part of every commit figure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "store_test_util.h"

#define N_RESOURCES 13000
#define N_SINGLE    25

struct bench_set {
	weft_stored items[N_RESOURCES];
	char names[N_RESOURCES][32];
	char nss[N_RESOURCES][16];
	char *json[N_RESOURCES];
};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static char *resource_json(int i, int version)
{
	char *json = NULL;
	if (asprintf(&json,
	             "{\"hosts\":[\"svc-%d.example.internal\"],\"ports\":[{\"name\":\"http\","
	             "\"port\":%d,\"protocol\":\"HTTP\"}],\"routing\":{\"retries\":{\"attempts\":3,"
	             "\"perTryTimeout\":\"2s\"},\"timeout\":\"10s\"},\"selector\":{\"app\":\"svc-%"
	             "d\","
	             "\"tier\":\"backend\"},\"version\":%d}",
	             i, 8000 + i % 1000, i, version) < 0)
		return NULL;
	return json;
}

static void fill(struct bench_set *b)
{
	static const weft_kind kinds[] = {WEFT_KIND_SERVICE, WEFT_KIND_ROUTE,
	                                  WEFT_KIND_TRAFFIC_POLICY, WEFT_KIND_ACCESS_POLICY};
	for (int i = 0; i < N_RESOURCES; i++) {
		snprintf(b->names[i], sizeof(b->names[i]), "svc-%05d", i);
		snprintf(b->nss[i], sizeof(b->nss[i]), "team-%02d", i % 40);
		b->json[i] = resource_json(i, 1);
		assert_non_null(b->json[i]);
		b->items[i] = tst_res(kinds[i % 4], b->nss[i], b->names[i], b->json[i]);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void test_one_resource_commit_on_13000(void **state)
{
	const char *dir = *state;
	struct bench_set *b = calloc(1, sizeof(*b));
	assert_non_null(b);
	fill(b);
	weft_store *s = tst_open(dir);
	double t0 = now_us();
	assert_int_equal(tst_commit(s, b->items, N_RESOURCES, NULL, 0), 1);
	double bulk = now_us() - t0;

	double single[N_SINGLE];
	for (int k = 0; k < N_SINGLE; k++) {
		int i = (k * 523) % N_RESOURCES;
		free(b->json[i]);
		b->json[i] = resource_json(i, 2 + k);
		b->items[i].json = b->json[i];
		t0 = now_us();
		tst_commit(s, &b->items[i], 1, NULL, 0);
		single[k] = now_us() - t0;
	}
	qsort(single, N_SINGLE, sizeof(double), cmp_double);

	t0 = now_us();
	tst_commit(s, b->items, N_RESOURCES, NULL, 0); /* a full reload, nothing changed */
	double noop = now_us() - t0;

	weft_stored *items = NULL;
	size_t n = 0;
	weft_err err = {0};
	t0 = now_us();
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	double load_head = now_us() - t0;
	assert_int_equal(n, N_RESOURCES);
	char *expect = resource_json(523, 3);
	assert_string_equal(tst_find(items, n, b->items[523].kind, b->nss[523], "svc-00523"),
	                    expect);
	free(expect);
	weft_stored_free_array(items, n);
	t0 = now_us();
	assert_int_equal(weft_store_load(s, 1, &items, &n, &err), 0);
	double load_old = now_us() - t0;
	assert_int_equal(n, N_RESOURCES);
	expect = resource_json(523, 1);
	assert_string_equal(tst_find(items, n, b->items[523].kind, b->nss[523], "svc-00523"),
	                    expect);
	free(expect);
	weft_stored_free_array(items, n);
	weft_store_close(s);

	t0 = now_us();
	s = tst_open(dir);
	double reopen = now_us() - t0;
	weft_store_close(s);

	print_message("store bench (%d resources, WAL, synchronous=FULL):\n", N_RESOURCES);
	print_message("  one-resource commit: median %.2f ms, min %.2f ms, max %.2f ms "
	              "(%d commits)\n",
	              single[N_SINGLE / 2] / 1e3, single[0] / 1e3, single[N_SINGLE - 1] / 1e3,
	              N_SINGLE);
	print_message("  initial commit of %d resources: %.1f ms\n", N_RESOURCES, bulk / 1e3);
	print_message("  commit of %d unchanged upserts: %.1f ms\n", N_RESOURCES, noop / 1e3);
	print_message("  load head: %.1f ms, load revision 1: %.1f ms\n", load_head / 1e3,
	              load_old / 1e3);
	print_message("  reopen (with integrity quick_check): %.1f ms\n", reopen / 1e3);
	for (int i = 0; i < N_RESOURCES; i++)
		free(b->json[i]);
	free(b);
}

static int setup(void **state)
{
	*state = tst_mkdir();
	return 0;
}

static int teardown(void **state)
{
	tst_rmdir(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_one_resource_commit_on_13000, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
