/* Helpers shared by the store tests; see store_test_util.h. */
#include "store_test_util.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "etcd_http.h"
#include "testsupport.h"

static void etcd_delete_prefix(const char *url);

char *tst_mkdir(void)
{
	if (getenv("WEFT_TEST_STORE_ETCD") && *getenv("WEFT_TEST_STORE_ETCD")) {
		static unsigned n;
		char *url = NULL;
		if (asprintf(&url, "etcd://%s/weft-test-%ld-%u-%ld", getenv("WEFT_TEST_STORE_ETCD"),
		             (long)getpid(), n++, (long)ts_now_ms()) < 0)
			url = NULL;
		assert_non_null(url);
		return url;
	}
	char *dir = ts_mkdtemp("weft-store-test");
	assert_non_null(dir);
	return dir;
}

void tst_rmdir(char *dir)
{
	if (dir && !strncmp(dir, "etcd://", 7))
		etcd_delete_prefix(dir);
	else if (dir)
		ts_rmtree(dir);
	free(dir);
}

weft_store *tst_open(const char *dir)
{
	weft_err err = {0};
	weft_store *s = weft_store_open(dir, &err);
	if (!s)
		fail_msg("open %s: %s", dir, err.msg);
	return s;
}

weft_stored tst_res(weft_kind kind, const char *ns, const char *name, const char *json)
{
	weft_stored r = {kind, (char *)ns, (char *)name, (char *)json, (char *)"test.yaml", 1};
	return r;
}

int64_t tst_commit(weft_store *s, const weft_stored *ups, size_t n_ups, const weft_key *dels,
                   size_t n_dels)
{
	weft_err err = {0};
	int64_t rev = -1;
	int rc = weft_store_commit(s, -1, "tester", "test commit", ups, n_ups, dels, n_dels, &rev,
	                           &err);
	if (rc)
		fail_msg("commit: %s", err.msg);
	return rev;
}

const char *tst_find(const weft_stored *items, size_t n, weft_kind kind, const char *ns,
                     const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (items[i].kind == kind && !strcmp(items[i].ns, ns) &&
		    !strcmp(items[i].name, name))
			return items[i].json;
	return NULL;
}

static sqlite3 *open_db(const char *dir, int flags)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/weft.db", dir);
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
		fail_msg("sqlite open %s: %s", path, db ? sqlite3_errmsg(db) : "?");
	sqlite3_busy_timeout(db, 2000);
	return db;
}

int64_t tst_sql_int(const char *dir, const char *sql)
{
	sqlite3 *db = open_db(dir, SQLITE_OPEN_READONLY);
	sqlite3_stmt *stmt = NULL;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK ||
	    sqlite3_step(stmt) != SQLITE_ROW) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(db));
		sqlite3_finalize(stmt);
		sqlite3_close(db);
		fail_msg("query '%s': %s", sql, msg);
	}
	v = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return v;
}

void tst_sql_exec(const char *dir, const char *sql)
{
	sqlite3 *db = open_db(dir, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		char copy[512];
		snprintf(copy, sizeof(copy), "%s", msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(db);
		fail_msg("exec '%s': %s", sql, copy);
	}
	sqlite3_close(db);
}

void tst_assert_contains(const char *s, const char *sub)
{
	if (!s || !strstr(s, sub))
		fail_msg("expected \"%s\" in \"%s\"", sub, s ? s : "(null)");
}

/* ---- backend selection (see store_test_util.h) ---- */

int tst_is_etcd(void)
{
	const char *ep = getenv("WEFT_TEST_STORE_ETCD");
	return ep && *ep;
}

const char *tst_location(const char *dir)
{
	return tst_is_etcd() ? dir : "weft.db";
}

static struct etcd_client *test_client(void)
{
	weft_err err = {0};
	struct etcd_client *cl = etcd_client_new(getenv("WEFT_TEST_STORE_ETCD"), NULL, &err);
	if (!cl)
		fail_msg("etcd client: %s", err.msg);
	return cl;
}

/* The kvs of a range over every key starting with PREFIX/sub. */
static json_t *etcd_range_all(const char *url, const char *sub)
{
	const char *prefix = strchr(url + strlen("etcd://"), '/');
	char key[1024];
	snprintf(key, sizeof(key), "%s/%s", prefix, sub);
	struct etcd_client *cl = test_client();
	json_t *req = etcd_range_req(key, ""), *resp = NULL;
	weft_err err = {0};
	if (etcd_post(cl, "/v3/kv/range", req, &resp, &err))
		fail_msg("etcd range %s: %s", key, err.msg);
	json_decref(req);
	etcd_client_free(cl);
	json_t *kvs = json_incref(json_object_get(resp, "kvs"));
	json_decref(resp);
	return kvs ? kvs : json_array();
}

static void etcd_delete_prefix(const char *url)
{
	const char *prefix = strchr(url + strlen("etcd://"), '/');
	char key[1024];
	snprintf(key, sizeof(key), "%s/", prefix);
	struct etcd_client *cl = test_client();
	json_t *req = etcd_range_req(key, ""), *resp = NULL;
	weft_err err = {0};
	if (etcd_post(cl, "/v3/kv/deleterange", req, &resp, &err))
		fail_msg("etcd delete %s: %s", key, err.msg);
	json_decref(req);
	json_decref(resp);
	etcd_client_free(cl);
}

static int64_t etcd_rows(const char *url, enum tst_rows_what what)
{
	if (what == TST_REVISION_ROWS) {
		json_t *kvs = etcd_range_all(url, "rev/");
		int64_t n = (int64_t)json_array_size(kvs);
		json_decref(kvs);
		return n;
	}
	int64_t count = 0, min_from = 0;
	const char *subs[] = {"live/", "old/"};
	for (int s = 0; s < 2; s++) {
		json_t *kvs = etcd_range_all(url, subs[s]);
		for (size_t i = 0; i < json_array_size(kvs); i++) {
			char *v = etcd_kv_value(json_array_get(kvs, i));
			json_t *j = v ? json_loads(v, 0, NULL) : NULL;
			int64_t from = json_integer_value(json_object_get(j, "from"));
			if (!count || from < min_from)
				min_from = from;
			count++;
			json_decref(j);
			free(v);
		}
		json_decref(kvs);
	}
	return what == TST_RESOURCE_ROWS ? count : min_from;
}

int64_t tst_rows(const char *dir, enum tst_rows_what what)
{
	if (tst_is_etcd())
		return etcd_rows(dir, what);
	switch (what) {
	case TST_RESOURCE_ROWS:
		return tst_sql_int(dir, "SELECT count(*) FROM resources");
	case TST_REVISION_ROWS:
		return tst_sql_int(dir, "SELECT count(*) FROM revisions");
	case TST_MIN_REV_FROM:
		return tst_sql_int(dir, "SELECT min(rev_from) FROM resources");
	}
	return -1;
}
