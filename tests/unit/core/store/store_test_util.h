/* Helpers shared by the store tests: a temporary store per test, building
 * weft_stored values, and direct looks at what the store wrote (row counts;
 * SQL on DIR/weft.db for the SQLite-only tests).
 *
 * The same tests run against both backends: with WEFT_TEST_STORE_ETCD set
 * to HOST:PORT (store_etcd_harness starts a real etcd and sets it), "dir"
 * is the URL etcd://HOST:PORT/weft-test-<unique> instead of a directory,
 * and tst_rmdir deletes that prefix. Tests of one backend's own files skip
 * themselves on the other (tst_is_etcd). */
#ifndef WEFT_STORE_TEST_UTIL_H
#define WEFT_STORE_TEST_UTIL_H

#include <stdint.h>

#include "store.h"

/* A new empty store location: a temporary directory, or an etcd URL with a
 * prefix of its own (free with tst_rmdir). */
char *tst_mkdir(void);
/* Removes the directory tree (or the etcd prefix) and frees the string. */
void tst_rmdir(char *dir);
/* Whether the tests run against etcd. */
int tst_is_etcd(void);
/* What the store's messages name: "weft.db" (DIR/weft.db) or the URL. */
const char *tst_location(const char *dir);
/* What the store wrote, counted the same way on both backends. */
enum tst_rows_what {
	TST_RESOURCE_ROWS, /* stored resource versions (live and closed) */
	TST_REVISION_ROWS, /* revision records */
	TST_MIN_REV_FROM,  /* oldest revision that wrote a stored version */
};
int64_t tst_rows(const char *dir, enum tst_rows_what what);
/* Opens dir, failing the test with the message when it does not open. */
weft_store *tst_open(const char *dir);
/* A stored value pointing at the given strings (not copied). */
weft_stored tst_res(weft_kind kind, const char *ns, const char *name, const char *json);
/* Commits, failing the test on error; returns the new revision. */
int64_t tst_commit(weft_store *s, const weft_stored *ups, size_t n_ups, const weft_key *dels,
                   size_t n_dels);
/* The json of kind/ns/name in items, or NULL. */
const char *tst_find(const weft_stored *items, size_t n, weft_kind kind, const char *ns,
                     const char *name);
/* One integer from a query on DIR/weft.db (opened read-only beside the
 * store; fine in WAL mode). Fails the test on error. */
int64_t tst_sql_int(const char *dir, const char *sql);
/* Runs SQL on DIR/weft.db (the store must be closed). Fails the test on
 * error. */
void tst_sql_exec(const char *dir, const char *sql);
/* Whether s contains sub (for message assertions, with a readable failure). */
void tst_assert_contains(const char *s, const char *sub);

#endif
