/* Retention: the store keeps the last N revisions; older ones are pruned at
 * commit time with the rows that only they used. Pruned revisions load as
 * WEFT_ENOTFOUND, kept ones load intact -- including resources written by a
 * pruned revision and never changed since. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store_test_util.h"

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

/* Revision r: "stable" is written once at r=1 and never changed; "counter"
 * says r; "extra-r" is added and "extra-(r-1)" deleted. */
static int64_t commit_step(weft_store *s, int64_t r)
{
	char json[64], extra[32], prev[32];
	snprintf(json, sizeof(json), "{\"rev\":%lld}", (long long)r);
	snprintf(extra, sizeof(extra), "extra-%lld", (long long)r);
	snprintf(prev, sizeof(prev), "extra-%lld", (long long)(r - 1));
	weft_stored ups[3] = {tst_res(WEFT_KIND_SERVICE, "default", "counter", json),
	                      tst_res(WEFT_KIND_ROUTE, "default", extra, json),
	                      tst_res(WEFT_KIND_SERVICE, "default", "stable", "{\"s\":1}")};
	weft_key del = {WEFT_KIND_ROUTE, "default", prev};
	return tst_commit(s, ups, r == 1 ? 3 : 2, &del, r == 1 ? 0 : 1);
}

/* Revision r must hold exactly counter=r, stable, extra-r. */
static void check_revision(weft_store *s, int64_t r)
{
	weft_err err = {0};
	weft_stored *items = NULL;
	size_t n = 0;
	if (weft_store_load(s, r, &items, &n, &err))
		fail_msg("load %lld: %s", (long long)r, err.msg);
	char json[64], extra[32];
	snprintf(json, sizeof(json), "{\"rev\":%lld}", (long long)r);
	snprintf(extra, sizeof(extra), "extra-%lld", (long long)r);
	assert_int_equal(n, 3);
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "default", "counter"), json);
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "default", "stable"),
	                    "{\"s\":1}");
	assert_string_equal(tst_find(items, n, WEFT_KIND_ROUTE, "default", extra), json);
	weft_stored_free_array(items, n);
}

static void test_prune_keeps_last_n(void **state)
{
	const char *dir = *state;
	weft_store *s = tst_open(dir);
	weft_store_set_retention(s, 5);
	for (int64_t r = 1; r <= 12; r++)
		assert_int_equal(commit_step(s, r), r);
	weft_err err = {0};
	weft_stored *items = NULL;
	size_t n = 0;
	for (int64_t r = 1; r <= 7; r++) {
		assert_int_equal(weft_store_load(s, r, &items, &n, &err), WEFT_ENOTFOUND);
		assert_null(items);
	}
	tst_assert_contains(err.msg, "revision 7 was pruned (oldest kept is 8, retention keeps "
	                             "the last 5)");
	/* a not-found reaches API callers: it names no server path */
	assert_null(strstr(err.msg, tst_location(dir)));
	for (int64_t r = 8; r <= 12; r++)
		check_revision(s, r);
	assert_int_equal(weft_store_load(s, 13, &items, &n, &err), WEFT_ENOTFOUND);
	tst_assert_contains(err.msg, "revision 13 does not exist (head is 12)");

	weft_revision_info *h = NULL;
	assert_int_equal(weft_store_history(s, 0, &h, &n, &err), 0);
	assert_int_equal(n, 5);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(h[i].rev, 12 - (int64_t)i);
	weft_revision_info_free_array(h, n);

	/* Rows: revisions 8..12 need stable (1 row), counter 8..12 (5 rows),
	 * extra-8..12 (5 rows). Everything older is gone. */
	assert_int_equal(tst_rows(dir, TST_RESOURCE_ROWS), 11);
	assert_int_equal(tst_rows(dir, TST_REVISION_ROWS), 5);
	assert_int_equal(tst_rows(dir, TST_MIN_REV_FROM), 1);
	weft_store_close(s);

	/* Still consistent after reopening (retention is a runtime setting:
	 * back to the default of 100, nothing more is pruned). */
	s = tst_open(dir);
	for (int64_t r = 8; r <= 12; r++)
		check_revision(s, r);
	assert_int_equal(commit_step(s, 13), 13);
	check_revision(s, 8);
	weft_store_close(s);
}

static void test_retention_zero_keeps_all(void **state)
{
	weft_store *s = tst_open(*state);
	weft_store_set_retention(s, 0);
	for (int64_t r = 1; r <= 30; r++)
		commit_step(s, r);
	for (int64_t r = 1; r <= 30; r++)
		check_revision(s, r);
	weft_store_close(s);
}

static void test_default_retention_is_100(void **state)
{
	weft_store *s = tst_open(*state);
	for (int64_t r = 1; r <= 103; r++)
		commit_step(s, r);
	weft_err err = {0};
	weft_stored *items = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_load(s, 3, &items, &n, &err), WEFT_ENOTFOUND);
	check_revision(s, 4);
	check_revision(s, 103);
	weft_store_close(s);
}

/* Lowering the retention prunes at the next commit, not before. */
static void test_lowering_retention(void **state)
{
	weft_store *s = tst_open(*state);
	for (int64_t r = 1; r <= 10; r++)
		commit_step(s, r);
	weft_store_set_retention(s, 2);
	check_revision(s, 1);
	commit_step(s, 11);
	weft_err err = {0};
	weft_stored *items = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_load(s, 9, &items, &n, &err), WEFT_ENOTFOUND);
	check_revision(s, 10);
	check_revision(s, 11);
	/* Retention 1 keeps only the head. */
	weft_store_set_retention(s, 1);
	commit_step(s, 12);
	assert_int_equal(weft_store_load(s, 11, &items, &n, &err), WEFT_ENOTFOUND);
	check_revision(s, 12);
	weft_store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_prune_keeps_last_n, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_retention_zero_keeps_all, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_default_retention_is_100, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_lowering_retention, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
