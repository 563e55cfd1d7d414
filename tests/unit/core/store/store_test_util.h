/* Helpers shared by the store tests: a temporary state directory per test,
 * building weft_stored values, and direct SQLite queries on DIR/weft.db to
 * check what the store wrote (row counts, schema version). */
#ifndef WEFT_STORE_TEST_UTIL_H
#define WEFT_STORE_TEST_UTIL_H

#include <stdint.h>

#include "store.h"

/* A new temporary directory (free with tst_rmdir). */
char *tst_mkdir(void);
/* Removes the directory tree and frees the string. */
void tst_rmdir(char *dir);
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
