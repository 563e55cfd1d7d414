/* Internal to the SQLite backend of the store (store_sqlite*.c): the
 * backend's state, its prepared statements and shared helpers. Not used
 * outside core/store/.
 *
 * Layout of DIR (the state directory):
 *   DIR/weft.lock   flock()ed exclusively while a process has the store open;
 *                   holds that process's pid (for the refusal message).
 *   DIR/weft.db     the SQLite database (+ weft.db-wal, weft.db-shm in WAL
 *                   mode), mode 0600.
 *
 * Schema (version WEFT_SQLITE_SCHEMA_VERSION in PRAGMA user_version, and
 * application_id 'weft' so that a foreign database is refused):
 *   revisions(rev PK, time_ms, author, message, resources, changed)
 *   resources(id PK, kind, ns, name, rev_from, rev_to, json, file, line)
 *     MVCC rows: the content of revision R is every row with
 *     rev_from <= R AND (rev_to IS NULL OR rev_to > R). A commit only
 *     writes the rows it changes: it closes the live row (rev_to = new rev)
 *     and inserts the new version. rev_to references revisions(rev).
 *   meta(key PK, value)
 * See docs/store.md for the reasoning. */
#ifndef WEFT_STORE_SQLITE_H
#define WEFT_STORE_SQLITE_H

#include <sqlite3.h>
#include <stdint.h>

#include "diag.h"
#include "store.h"

#define WEFT_SQLITE_SCHEMA_VERSION   1
#define WEFT_SQLITE_APPLICATION_ID   0x77656674 /* "weft" */
#define WEFT_STORE_DEFAULT_RETENTION 100

/* Prepared statements, compiled once at open (see sqls_sql in
 * store_sqlite.c for the text of each). */
enum sqls_stmt_id {
	SQ_BEGIN_IMMEDIATE,
	SQ_BEGIN,
	SQ_COMMIT,
	SQ_ROLLBACK,
	SQ_HEAD,           /* -> rev, resources of the newest revision */
	SQ_OLDEST,         /* -> min(rev) */
	SQ_REV_GET,        /* ?1 rev -> revision row */
	SQ_REV_INSERT,     /* ?1 rev ?2 time_ms ?3 author ?4 message */
	SQ_REV_COUNTS,     /* ?1 rev ?2 resources ?3 changed */
	SQ_LIVE_GET,       /* ?1 kind ?2 ns ?3 name -> id, json */
	SQ_LIVE_CLOSE_ID,  /* ?1 rev_to ?2 id */
	SQ_LIVE_CLOSE_KEY, /* ?1 rev_to ?2 kind ?3 ns ?4 name */
	SQ_RES_INSERT,     /* ?1 kind ?2 ns ?3 name ?4 rev_from ?5 json ?6 file ?7 line */
	SQ_LOAD_HEAD,      /* -> kind, ns, name, json, file, line */
	SQ_LOAD_REV,       /* ?1 rev -> same */
	SQ_HISTORY,        /* ?1 limit (-1 = all) */
	SQ_PRUNE_RES,      /* ?1 oldest kept rev */
	SQ_PRUNE_REV,      /* ?1 oldest kept rev */
	SQ_META_PUT,       /* ?1 key ?2 value */
	SQ_META_DEL,       /* ?1 key */
	SQ_META_GET,       /* ?1 key -> value */
	SQ_COUNT
};

struct sqls {
	sqlite3 *db;
	char *dir;       /* the state directory */
	char *path;      /* DIR/weft.db: named in every message */
	char *lock_path; /* DIR/weft.lock */
	int lock_fd;
	int64_t head; /* cached: the lock file makes this process the only writer */
	size_t keep;  /* retention, 0 = all */
	sqlite3_stmt *stmt[SQ_COUNT];
};

/* Returns the statement, reset and with bindings cleared, ready to bind. */
sqlite3_stmt *sqls_stmt(struct sqls *st, enum sqls_stmt_id id);
/* Steps a statement that returns no rows (or ignores them) and resets it.
 * Returns the SQLite result code (SQLITE_DONE on success). */
int sqls_run(struct sqls *st, enum sqls_stmt_id id);
/* Fills err with "store PATH: OP: <sqlite message>" (+ a hint for a
 * damaged file) and returns WEFT_EFAIL. rc is the failing result code. */
int sqls_fail(struct sqls *st, weft_err *err, const char *op, int rc);
/* Rolls back the open transaction, if any (errors ignored: the caller is
 * already reporting one). */
void sqls_rollback(struct sqls *st);
/* strdup that maps NULL to NULL. */
char *sqls_strdup(const char *s);

/* store_sqlite_commit.c */
int sqls_commit(void *impl, int64_t expected_rev, const char *author, const char *message,
                const weft_stored *upserts, size_t n_upserts, const weft_key *deletes,
                size_t n_deletes, int64_t *new_rev, weft_err *err);

/* store_sqlite_read.c */
int sqls_load(void *impl, int64_t rev, weft_stored **out, size_t *n, weft_err *err);
int sqls_history(void *impl, size_t limit, weft_revision_info **out, size_t *n, weft_err *err);

#endif
