/* Helpers shared by the store tests; see store_test_util.h. */
#include "store_test_util.h"

#include <setjmp.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testsupport.h"

char *tst_mkdir(void)
{
	char *dir = ts_mkdtemp("weft-store-test");
	assert_non_null(dir);
	return dir;
}

void tst_rmdir(char *dir)
{
	if (dir)
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
