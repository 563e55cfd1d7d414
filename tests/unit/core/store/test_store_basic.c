/* Store basics: commit/load/head, upsert replaces, delete, history order
 * and fields, expected-revision conflicts, restoring an old revision, meta
 * records, persistence across reopen, identical upserts, argument checks
 * and the URL forms of weft_store_open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <cmocka.h>

#include "store_test_util.h"
#include "testsupport.h"

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

static int64_t wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void test_empty_store(void **state)
{
	weft_store *s = tst_open(*state);
	weft_err err = {0};
	assert_int_equal(weft_store_head(s), 0);
	weft_stored *items = (weft_stored *)1;
	size_t n = 99;
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	assert_null(items);
	assert_int_equal(n, 0);
	weft_revision_info *hist = NULL;
	assert_int_equal(weft_store_history(s, 0, &hist, &n, &err), 0);
	assert_int_equal(n, 0);
	weft_revision_info_free_array(hist, n);
	assert_int_equal(weft_store_load(s, 1, &items, &n, &err), WEFT_ENOTFOUND);
	tst_assert_contains(err.msg, "revision 1 does not exist (head is 0)");
	weft_store_close(s);
}

static void test_commit_load_head(void **state)
{
	weft_store *s = tst_open(*state);
	weft_stored ups[3] = {
	        tst_res(WEFT_KIND_ROUTE, "default", "r1", "{\"r\":1}"),
	        tst_res(WEFT_KIND_SERVICE, "prod", "b", "{\"s\":\"b\"}"),
	        tst_res(WEFT_KIND_SERVICE, "default", "a", "{\"s\":\"a\"}"),
	};
	ups[0].file = "policy/routes.yaml";
	ups[0].line = 42;
	ups[2].file = NULL;
	ups[2].line = 0;
	weft_err err = {0};
	int64_t rev = 0;
	assert_int_equal(weft_store_commit(s, 0, "alice", "first", ups, 3, NULL, 0, &rev, &err), 0);
	assert_int_equal(rev, 1);
	assert_int_equal(weft_store_head(s), 1);

	weft_stored *items = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	assert_int_equal(n, 3);
	/* Sorted by key: kind order (Service before Route), then ns, name. */
	assert_int_equal(items[0].kind, WEFT_KIND_SERVICE);
	assert_string_equal(items[0].ns, "default");
	assert_string_equal(items[0].name, "a");
	assert_null(items[0].file);
	assert_string_equal(items[1].ns, "prod");
	assert_string_equal(items[1].json, "{\"s\":\"b\"}");
	assert_int_equal(items[2].kind, WEFT_KIND_ROUTE);
	assert_string_equal(items[2].json, "{\"r\":1}");
	assert_string_equal(items[2].file, "policy/routes.yaml");
	assert_int_equal(items[2].line, 42);
	weft_stored_free_array(items, n);

	/* Loading revision 1 explicitly gives the same. */
	assert_int_equal(weft_store_load(s, 1, &items, &n, &err), 0);
	assert_int_equal(n, 3);
	weft_stored_free_array(items, n);
	weft_store_close(s);
}

static void test_upsert_replaces_and_delete(void **state)
{
	weft_store *s = tst_open(*state);
	weft_stored v1[2] = {tst_res(WEFT_KIND_SERVICE, "default", "a", "{\"v\":1}"),
	                     tst_res(WEFT_KIND_SERVICE, "default", "b", "{\"v\":1}")};
	tst_commit(s, v1, 2, NULL, 0);
	weft_stored v2 = tst_res(WEFT_KIND_SERVICE, "default", "a", "{\"v\":2}");
	assert_int_equal(tst_commit(s, &v2, 1, NULL, 0), 2);

	weft_stored *items = NULL;
	size_t n = 0;
	weft_err err = {0};
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "default", "a"), "{\"v\":2}");
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "default", "b"), "{\"v\":1}");
	weft_stored_free_array(items, n);

	weft_key del = {WEFT_KIND_SERVICE, "default", "b"};
	assert_int_equal(tst_commit(s, NULL, 0, &del, 1), 3);
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_null(tst_find(items, n, WEFT_KIND_SERVICE, "default", "b"));
	weft_stored_free_array(items, n);

	/* Older revisions are untouched by later changes. */
	assert_int_equal(weft_store_load(s, 1, &items, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "default", "a"), "{\"v\":1}");
	weft_stored_free_array(items, n);
	assert_int_equal(weft_store_load(s, 2, &items, &n, &err), 0);
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "default", "a"), "{\"v\":2}");
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "default", "b"), "{\"v\":1}");
	weft_stored_free_array(items, n);

	/* Deleting what the head does not hold fails and changes nothing. */
	int64_t rev = -1;
	assert_int_equal(weft_store_commit(s, -1, "t", "m", &v2, 1, &del, 1, &rev, &err),
	                 WEFT_ENOTFOUND);
	tst_assert_contains(err.msg, "delete Service default/b: no such resource at revision 3");
	char where[4200];
	snprintf(where, sizeof(where), "%s: commit", tst_location(*state));
	tst_assert_contains(err.msg, where);
	assert_int_equal(rev, -1);
	assert_int_equal(weft_store_head(s), 3);

	/* A deleted key can come back; the old version stays in history. */
	weft_stored back = tst_res(WEFT_KIND_SERVICE, "default", "b", "{\"v\":3}");
	assert_int_equal(tst_commit(s, &back, 1, NULL, 0), 4);
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "default", "b"), "{\"v\":3}");
	weft_stored_free_array(items, n);
	assert_int_equal(weft_store_load(s, 3, &items, &n, &err), 0);
	assert_int_equal(n, 1);
	weft_stored_free_array(items, n);
	weft_store_close(s);
}

static void test_history(void **state)
{
	weft_store *s = tst_open(*state);
	weft_err err = {0};
	int64_t before = wall_ms();
	weft_stored a = tst_res(WEFT_KIND_SERVICE, "default", "a", "{\"v\":1}");
	weft_stored b = tst_res(WEFT_KIND_ROUTE, "default", "b", "{\"v\":1}");
	int64_t rev;
	assert_int_equal(weft_store_commit(s, 0, "alice", "add a", &a, 1, NULL, 0, &rev, &err), 0);
	assert_int_equal(weft_store_commit(s, 1, "bob", "add b", &b, 1, NULL, 0, &rev, &err), 0);
	weft_key del = {WEFT_KIND_SERVICE, "default", "a"};
	assert_int_equal(weft_store_commit(s, 2, NULL, NULL, NULL, 0, &del, 1, &rev, &err), 0);
	int64_t after = wall_ms();

	weft_revision_info *h = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_history(s, 0, &h, &n, &err), 0);
	assert_int_equal(n, 3);
	assert_int_equal(h[0].rev, 3);
	assert_string_equal(h[0].author, "");
	assert_string_equal(h[0].message, "");
	assert_int_equal(h[0].resources, 1);
	assert_int_equal(h[0].changed, 1);
	assert_int_equal(h[1].rev, 2);
	assert_string_equal(h[1].author, "bob");
	assert_string_equal(h[1].message, "add b");
	assert_int_equal(h[1].resources, 2);
	assert_int_equal(h[2].rev, 1);
	assert_string_equal(h[2].author, "alice");
	assert_int_equal(h[2].resources, 1);
	assert_int_equal(h[2].changed, 1);
	for (size_t i = 0; i < n; i++) {
		assert_true(h[i].time_ms >= before - 1);
		assert_true(h[i].time_ms <= after + 1);
	}
	assert_true(h[0].time_ms >= h[1].time_ms && h[1].time_ms >= h[2].time_ms);
	weft_revision_info_free_array(h, n);

	assert_int_equal(weft_store_history(s, 2, &h, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_int_equal(h[0].rev, 3);
	assert_int_equal(h[1].rev, 2);
	weft_revision_info_free_array(h, n);
	weft_store_close(s);
}

static void test_conflict(void **state)
{
	weft_store *s = tst_open(*state);
	weft_err err = {0};
	weft_stored a = tst_res(WEFT_KIND_SERVICE, "default", "a", "{\"v\":1}");
	int64_t rev = 0;
	assert_int_equal(weft_store_commit(s, 0, "t", "m", &a, 1, NULL, 0, &rev, &err), 0);
	a.json = "{\"v\":2}";
	rev = -7;
	assert_int_equal(weft_store_commit(s, 0, "t", "m", &a, 1, NULL, 0, &rev, &err),
	                 WEFT_ECONFLICT);
	assert_int_equal(err.code, WEFT_ECONFLICT);
	tst_assert_contains(err.msg, "expected revision 0, store is at 1");
	tst_assert_contains(err.msg, tst_location(*state));
	assert_int_equal(rev, -7);
	assert_int_equal(weft_store_commit(s, 5, "t", "m", &a, 1, NULL, 0, &rev, &err),
	                 WEFT_ECONFLICT);
	tst_assert_contains(err.msg, "expected revision 5, store is at 1");
	assert_int_equal(weft_store_head(s), 1);
	/* Nothing of the refused commits was stored. */
	weft_stored *items = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	assert_string_equal(items[0].json, "{\"v\":1}");
	weft_stored_free_array(items, n);
	assert_int_equal(weft_store_commit(s, 1, "t", "m", &a, 1, NULL, 0, &rev, &err), 0);
	assert_int_equal(rev, 2);
	/* -1 skips the check. */
	a.json = "{\"v\":3}";
	assert_int_equal(weft_store_commit(s, -1, "t", "m", &a, 1, NULL, 0, &rev, &err), 0);
	assert_int_equal(rev, 3);
	weft_store_close(s);
}

/* Restore = the caller commits the old content as a new revision: every
 * resource of the old revision upserted, every other head resource deleted. */
static void test_restore_old_revision(void **state)
{
	weft_store *s = tst_open(*state);
	weft_err err = {0};
	weft_stored v1[2] = {tst_res(WEFT_KIND_SERVICE, "default", "a", "{\"v\":1}"),
	                     tst_res(WEFT_KIND_SERVICE, "default", "b", "{\"v\":1}")};
	tst_commit(s, v1, 2, NULL, 0);
	weft_stored v2[2] = {tst_res(WEFT_KIND_SERVICE, "default", "a", "{\"v\":2}"),
	                     tst_res(WEFT_KIND_SERVICE, "default", "c", "{\"v\":2}")};
	weft_key del_b = {WEFT_KIND_SERVICE, "default", "b"};
	tst_commit(s, v2, 2, &del_b, 1);

	weft_stored *old = NULL, *head = NULL;
	size_t n_old = 0, n_head = 0;
	assert_int_equal(weft_store_load(s, 1, &old, &n_old, &err), 0);
	assert_int_equal(weft_store_load(s, 0, &head, &n_head, &err), 0);
	weft_key dels[4];
	size_t n_dels = 0;
	for (size_t i = 0; i < n_head; i++)
		if (!tst_find(old, n_old, head[i].kind, head[i].ns, head[i].name))
			dels[n_dels++] = (weft_key){head[i].kind, head[i].ns, head[i].name};
	int64_t rev = 0;
	assert_int_equal(weft_store_commit(s, 2, "op", "restore revision 1", old, n_old, dels,
	                                   n_dels, &rev, &err),
	                 0);
	assert_int_equal(rev, 3);
	weft_stored_free_array(head, n_head);

	assert_int_equal(weft_store_load(s, 3, &head, &n_head, &err), 0);
	assert_int_equal(n_head, n_old);
	for (size_t i = 0; i < n_old; i++) {
		assert_string_equal(head[i].name, old[i].name);
		assert_string_equal(head[i].json, old[i].json);
	}
	weft_stored_free_array(head, n_head);
	weft_stored_free_array(old, n_old);
	weft_revision_info *h = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_history(s, 1, &h, &n, &err), 0);
	assert_string_equal(h[0].message, "restore revision 1");
	assert_int_equal(h[0].changed, 3); /* a changed back, b re-added, c deleted */
	weft_revision_info_free_array(h, n);
	weft_store_close(s);
}

static void test_meta(void **state)
{
	weft_store *s = tst_open(*state);
	weft_err err = {0};
	char *v = (char *)"x";
	assert_int_equal(weft_store_get_meta(s, "device/f5-1/applied", &v, &err), 0);
	assert_null(v);
	assert_int_equal(weft_store_put_meta(s, "device/f5-1/applied", "7", &err), 0);
	assert_int_equal(weft_store_put_meta(s, "txn/12", "{\"state\":\"applied\"}", &err), 0);
	assert_int_equal(weft_store_put_meta(s, "device/f5-1/applied", "8", &err), 0);
	assert_int_equal(weft_store_get_meta(s, "device/f5-1/applied", &v, &err), 0);
	assert_string_equal(v, "8");
	free(v);
	/* Meta records do not create revisions. */
	assert_int_equal(weft_store_head(s), 0);
	/* NULL deletes. */
	assert_int_equal(weft_store_put_meta(s, "txn/12", NULL, &err), 0);
	assert_int_equal(weft_store_get_meta(s, "txn/12", &v, &err), 0);
	assert_null(v);
	assert_int_equal(weft_store_put_meta(s, "", "x", &err), WEFT_EINVALID);
	tst_assert_contains(err.msg, "put_meta: empty key");
	weft_store_close(s);

	s = tst_open(*state);
	assert_int_equal(weft_store_get_meta(s, "device/f5-1/applied", &v, &err), 0);
	assert_string_equal(v, "8");
	free(v);
	weft_store_close(s);
}

static void test_reopen_persistence(void **state)
{
	weft_store *s = tst_open(*state);
	weft_stored a = tst_res(WEFT_KIND_DEVICE, "edge", "f5-1", "{\"host\":\"10.0.0.1\"}");
	a.line = 9;
	tst_commit(s, &a, 1, NULL, 0);
	a.json = "{\"host\":\"10.0.0.2\"}";
	tst_commit(s, &a, 1, NULL, 0);
	weft_store_close(s);

	s = tst_open(*state);
	assert_int_equal(weft_store_head(s), 2);
	weft_err err = {0};
	weft_stored *items = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_load(s, 0, &items, &n, &err), 0);
	assert_int_equal(n, 1);
	assert_string_equal(items[0].json, "{\"host\":\"10.0.0.2\"}");
	assert_string_equal(items[0].file, "test.yaml");
	assert_int_equal(items[0].line, 9);
	weft_stored_free_array(items, n);
	assert_int_equal(weft_store_load(s, 1, &items, &n, &err), 0);
	assert_string_equal(items[0].json, "{\"host\":\"10.0.0.1\"}");
	weft_stored_free_array(items, n);
	/* Numbering continues. */
	a.json = "{\"host\":\"10.0.0.3\"}";
	assert_int_equal(tst_commit(s, &a, 1, NULL, 0), 3);
	weft_store_close(s);
}

/* An upsert whose JSON equals the head's is not a change: no row is
 * written and it is not counted. The revision itself is still committed
 * (the caller decides whether to ask). */
static void test_identical_upsert(void **state)
{
	const char *dir = *state;
	weft_store *s = tst_open(dir);
	weft_stored v[2] = {tst_res(WEFT_KIND_SERVICE, "default", "a", "{\"v\":1}"),
	                    tst_res(WEFT_KIND_SERVICE, "default", "b", "{\"v\":1}")};
	tst_commit(s, v, 2, NULL, 0);
	assert_int_equal(tst_rows(dir, TST_RESOURCE_ROWS), 2);

	v[0].file = "moved.yaml"; /* a new origin alone is not a change either */
	assert_int_equal(tst_commit(s, v, 2, NULL, 0), 2);
	assert_int_equal(tst_rows(dir, TST_RESOURCE_ROWS), 2);
	weft_revision_info *h = NULL;
	size_t n = 0;
	weft_err err = {0};
	assert_int_equal(weft_store_history(s, 1, &h, &n, &err), 0);
	assert_int_equal(h[0].rev, 2);
	assert_int_equal(h[0].changed, 0);
	assert_int_equal(h[0].resources, 2);
	weft_revision_info_free_array(h, n);

	v[1].json = "{\"v\":2}";
	assert_int_equal(tst_commit(s, v, 2, NULL, 0), 3);
	assert_int_equal(tst_rows(dir, TST_RESOURCE_ROWS), 3);
	assert_int_equal(weft_store_history(s, 1, &h, &n, &err), 0);
	assert_int_equal(h[0].changed, 1);
	weft_revision_info_free_array(h, n);
	weft_stored *items = NULL;
	assert_int_equal(weft_store_load(s, 2, &items, &n, &err), 0);
	assert_string_equal(tst_find(items, n, WEFT_KIND_SERVICE, "default", "b"), "{\"v\":1}");
	assert_string_equal(items[0].file, "test.yaml"); /* origin of the stored content */
	weft_stored_free_array(items, n);
	weft_store_close(s);
}

static void test_bad_arguments(void **state)
{
	weft_store *s = tst_open(*state);
	weft_err err = {0};
	int64_t rev = 0;
	weft_stored two[2] = {tst_res(WEFT_KIND_SERVICE, "default", "a", "{}"),
	                      tst_res(WEFT_KIND_SERVICE, "default", "a", "{\"x\":1}")};
	assert_int_equal(weft_store_commit(s, -1, "t", "m", two, 2, NULL, 0, &rev, &err),
	                 WEFT_EINVALID);
	tst_assert_contains(err.msg, "Service default/a is upserted twice in one commit");
	weft_key del = {WEFT_KIND_SERVICE, "default", "a"};
	assert_int_equal(weft_store_commit(s, -1, "t", "m", two, 1, &del, 1, &rev, &err),
	                 WEFT_EINVALID);
	tst_assert_contains(err.msg, "upserted and deleted");
	weft_stored bad = tst_res(WEFT_KIND_COUNT, "default", "a", "{}");
	assert_int_equal(weft_store_commit(s, -1, "t", "m", &bad, 1, NULL, 0, &rev, &err),
	                 WEFT_EINVALID);
	tst_assert_contains(err.msg, "upsert[0]: kind out of range");
	bad = tst_res(WEFT_KIND_SERVICE, "default", "", "{}");
	assert_int_equal(weft_store_commit(s, -1, "t", "m", &bad, 1, NULL, 0, &rev, &err),
	                 WEFT_EINVALID);
	tst_assert_contains(err.msg, "empty name");
	bad = tst_res(WEFT_KIND_SERVICE, "default", "a", NULL);
	assert_int_equal(weft_store_commit(s, -1, "t", "m", &bad, 1, NULL, 0, &rev, &err),
	                 WEFT_EINVALID);
	tst_assert_contains(err.msg, "empty JSON");
	assert_int_equal(weft_store_commit(s, -2, "t", "m", two, 1, NULL, 0, &rev, &err),
	                 WEFT_EINVALID);
	assert_int_equal(weft_store_commit(s, -1, "t", "m", NULL, 1, NULL, 0, &rev, &err),
	                 WEFT_EINVALID);
	assert_int_equal(weft_store_head(s), 0);
	weft_stored *items = NULL;
	size_t n = 0;
	assert_int_equal(weft_store_load(s, -3, &items, &n, &err), WEFT_ENOTFOUND);
	assert_int_equal(weft_store_load(NULL, 0, &items, &n, &err), WEFT_EINVALID);
	weft_store_close(s);
	weft_store_close(NULL);
}

/* The SQLite backend's URL forms and directory creation. */
static void test_open_urls(void **state)
{
	if (tst_is_etcd())
		skip(); /* its URL is the one every other test opens */
	const char *dir = *state;
	char path[4096];
	weft_err err = {0};

	/* A missing directory (and its parents) is created with mode 0700. */
	snprintf(path, sizeof(path), "sqlite:%s/state/deeper/", dir);
	weft_store *s = weft_store_open(path, &err);
	if (!s)
		fail_msg("%s", err.msg);
	weft_store_close(s);
	snprintf(path, sizeof(path), "%s/state/deeper", dir);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/state/deeper/weft.db", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);

	/* sqlite:///abs and a plain path reach the same store. */
	snprintf(path, sizeof(path), "sqlite://%s/state/deeper", dir);
	s = weft_store_open(path, &err);
	if (!s)
		fail_msg("%s", err.msg);
	tst_commit(s, (weft_stored[]){tst_res(WEFT_KIND_SERVICE, "d", "a", "{}")}, 1, NULL, 0);
	weft_store_close(s);
	snprintf(path, sizeof(path), "%s/state/deeper", dir);
	s = tst_open(path);
	assert_int_equal(weft_store_head(s), 1);
	weft_store_close(s);

	assert_null(weft_store_open("zk://127.0.0.1:2181", &err));
	assert_int_equal(err.code, WEFT_EINVALID);
	tst_assert_contains(err.msg, "no 'zk' backend");
	/* connection options are the etcd backend's */
	weft_store_opts opts = {.ca_file = "/etc/ssl/certs/ca-certificates.crt"};
	assert_null(weft_store_open_opts(dir, &opts, &err));
	tst_assert_contains(err.msg, "apply to etcd only");
	assert_null(weft_store_open("", &err));
	assert_null(weft_store_open("sqlite:", &err));
	tst_assert_contains(err.msg, "no location");

	/* A file where the directory should be. */
	snprintf(path, sizeof(path), "%s/plainfile", dir);
	assert_int_equal(ts_write_file(path, "x"), 0);
	assert_null(weft_store_open(path, &err));
	tst_assert_contains(err.msg, path);
	tst_assert_contains(err.msg, "not a directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_empty_store, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_commit_load_head, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_upsert_replaces_and_delete, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_history, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_conflict, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_restore_old_revision, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_reopen_persistence, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_identical_upsert, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_open_urls, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
