/* SQLite backend of the store: opening a state directory (creating it,
 * taking the lock file, checking or creating the schema), the prepared
 * statements, meta records and the ops table. Commits are in
 * store_sqlite_commit.c, reads in store_sqlite_read.c; the schema is
 * described in store_sqlite.h and argued for in docs/store.md.
 *
 * Durability: WAL with synchronous=FULL, so that a revision the caller was
 * told about (commit returned 0) survives kill -9 and power loss as far as
 * SQLite and the file system guarantee it: each commit syncs the WAL. */
#include "store_sqlite.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_backend.h"

#define BUSY_TIMEOUT_MS 5000

static const char *const sqls_sql[SQ_COUNT] = {
        [SQ_BEGIN_IMMEDIATE] = "BEGIN IMMEDIATE",
        [SQ_BEGIN] = "BEGIN",
        [SQ_COMMIT] = "COMMIT",
        [SQ_ROLLBACK] = "ROLLBACK",
        [SQ_HEAD] = "SELECT rev, resources FROM revisions ORDER BY rev DESC LIMIT 1",
        [SQ_OLDEST] = "SELECT min(rev) FROM revisions",
        [SQ_REV_GET] = "SELECT rev, time_ms, author, message, resources, changed "
                       "FROM revisions WHERE rev = ?1",
        [SQ_REV_INSERT] = "INSERT INTO revisions(rev, time_ms, author, message, resources, "
                          "changed) VALUES (?1, ?2, ?3, ?4, 0, 0)",
        [SQ_REV_COUNTS] = "UPDATE revisions SET resources = ?2, changed = ?3 WHERE rev = ?1",
        [SQ_LIVE_GET] = "SELECT id, json FROM resources "
                        "WHERE kind = ?1 AND ns = ?2 AND name = ?3 AND rev_to IS NULL",
        [SQ_LIVE_CLOSE_ID] = "UPDATE resources SET rev_to = ?1 WHERE id = ?2",
        [SQ_LIVE_CLOSE_KEY] = "UPDATE resources SET rev_to = ?1 "
                              "WHERE kind = ?2 AND ns = ?3 AND name = ?4 AND rev_to IS NULL",
        [SQ_RES_INSERT] = "INSERT INTO resources(kind, ns, name, rev_from, rev_to, json, file, "
                          "line) VALUES (?1, ?2, ?3, ?4, NULL, ?5, ?6, ?7)",
        [SQ_LOAD_HEAD] = "SELECT kind, ns, name, json, file, line FROM resources "
                         "WHERE rev_to IS NULL",
        [SQ_LOAD_REV] = "SELECT kind, ns, name, json, file, line FROM resources "
                        "WHERE rev_from <= ?1 AND (rev_to IS NULL OR rev_to > ?1)",
        [SQ_HISTORY] = "SELECT rev, time_ms, author, message, resources, changed "
                       "FROM revisions ORDER BY rev DESC LIMIT ?1",
        [SQ_PRUNE_RES] = "DELETE FROM resources WHERE rev_to <= ?1",
        [SQ_PRUNE_REV] = "DELETE FROM revisions WHERE rev < ?1",
        [SQ_META_PUT] = "INSERT INTO meta(key, value) VALUES (?1, ?2) "
                        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [SQ_META_DEL] = "DELETE FROM meta WHERE key = ?1",
        [SQ_META_GET] = "SELECT value FROM meta WHERE key = ?1",
};

/* Version 1. A later version adds a migration step in schema_ensure() and
 * bumps WEFT_SQLITE_SCHEMA_VERSION; an older weft then refuses the file. */
static const char schema_v1[] =
        "CREATE TABLE revisions ("
        " rev INTEGER PRIMARY KEY,"
        " time_ms INTEGER NOT NULL,"
        " author TEXT NOT NULL,"
        " message TEXT NOT NULL,"
        " resources INTEGER NOT NULL,"
        " changed INTEGER NOT NULL);"
        "CREATE TABLE resources ("
        " id INTEGER PRIMARY KEY,"
        " kind TEXT NOT NULL,"
        " ns TEXT NOT NULL,"
        " name TEXT NOT NULL,"
        " rev_from INTEGER NOT NULL,"
        " rev_to INTEGER REFERENCES revisions(rev),"
        " json TEXT NOT NULL,"
        " file TEXT,"
        " line INTEGER NOT NULL DEFAULT 0,"
        " CHECK (rev_to IS NULL OR rev_to > rev_from));"
        "CREATE UNIQUE INDEX resources_live ON resources(kind, ns, name) WHERE rev_to IS NULL;"
        "CREATE INDEX resources_rev_to ON resources(rev_to);"
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;";

char *sqls_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

sqlite3_stmt *sqls_stmt(struct sqls *st, enum sqls_stmt_id id)
{
	sqlite3_stmt *stmt = st->stmt[id];
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return stmt;
}

int sqls_run(struct sqls *st, enum sqls_stmt_id id)
{
	sqlite3_stmt *stmt = st->stmt[id];
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;
	int rrc = sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? (rrc == SQLITE_OK ? SQLITE_DONE : rrc) : rc;
}

int sqls_fail(struct sqls *st, weft_err *err, const char *op, int rc)
{
	const char *msg = st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	const char *hint = "";
	switch (rc & 0xff) {
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		hint = " (the database file is damaged or is not a weft store: move the state "
		       "directory aside and restore a backup, or start from an empty one)";
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		hint = " (another connection holds the database)";
		break;
	case SQLITE_FULL:
		hint = " (disk full)";
		break;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		hint = " (check permissions of the state directory and its files)";
		break;
	}
	return weft_err_set(err, "store %s: %s: %s%s", st->path, op, msg, hint);
}

void sqls_rollback(struct sqls *st)
{
	if (!sqlite3_get_autocommit(st->db))
		sqls_run(st, SQ_ROLLBACK);
}

/* mkdir -p with mode 0700 for every directory it creates. */
static int make_dirs(const char *dir, weft_err *err)
{
	char *p = strdup(dir);
	if (!p)
		return weft_err_set(err, "store %s: open: out of memory", dir);
	int rc = 0;
	for (char *c = p + 1; !rc; c++) {
		if (*c != '/' && *c != '\0')
			continue;
		char save = *c;
		*c = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST)
			rc = weft_err_set(err, "store %s: open: cannot create directory %s: %s",
			                  dir, p, strerror(errno));
		*c = save;
		if (!save)
			break;
	}
	free(p);
	struct stat sb;
	if (rc)
		return rc;
	if (stat(dir, &sb) < 0)
		return weft_err_set(err, "store %s: open: %s", dir, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return weft_err_set(err, "store %s: open: not a directory", dir);
	return 0;
}

/* Takes DIR/weft.lock exclusively (flock, non-blocking) so that a second
 * process on the same state directory is refused, and writes our pid in it
 * for the message that the second one prints. The lock goes away with the
 * process, so a crash never leaves a stale lock. */
static int lock_dir(struct sqls *st, weft_err *err)
{
	int fd = open(st->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return weft_err_set(err, "store %s: open: cannot open lock file %s: %s", st->path,
		                    st->lock_path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		char holder[32] = "";
		ssize_t r = pread(fd, holder, sizeof(holder) - 1, 0);
		holder[r > 0 ? r : 0] = '\0';
		holder[strcspn(holder, "\r\n")] = '\0';
		close(fd);
		if (e == EWOULDBLOCK)
			return weft_err_set(err,
			                    "store %s: open: lock file %s is held by another "
			                    "process%s%s%s (is another weftd running on this state "
			                    "directory?)",
			                    st->path, st->lock_path, *holder ? " (pid " : "",
			                    holder, *holder ? ")" : "");
		return weft_err_set(err, "store %s: open: cannot lock %s: %s", st->path,
		                    st->lock_path, strerror(e));
	}
	char pid[32];
	int len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, (size_t)len, 0) != len) {
		/* Only the message of a refused second process loses the pid. */
	}
	st->lock_fd = fd;
	return 0;
}

/* One integer from a one-row query (PRAGMA ...). */
static int query_int(struct sqls *st, const char *sql, int64_t *out, weft_err *err, const char *op)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(stmt);
		if (rc == SQLITE_ROW) {
			*out = sqlite3_column_int64(stmt, 0);
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		sqls_fail(st, err, op, rc);
		sqlite3_finalize(stmt);
		return WEFT_EFAIL;
	}
	sqlite3_finalize(stmt);
	return 0;
}

static int exec_sql(struct sqls *st, const char *sql, weft_err *err, const char *op)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sqls_fail(st, err, op, rc);
}

static int schema_create(struct sqls *st, weft_err *err)
{
	char sql[sizeof(schema_v1) + 128];
	snprintf(sql, sizeof(sql),
	         "BEGIN IMMEDIATE;%sPRAGMA application_id = %d;"
	         "PRAGMA user_version = %d;COMMIT;",
	         schema_v1, WEFT_SQLITE_APPLICATION_ID, WEFT_SQLITE_SCHEMA_VERSION);
	if (exec_sql(st, sql, err, "open: create schema")) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return WEFT_EFAIL;
	}
	return 0;
}

/* Creates the schema in an empty file, accepts our current version, refuses
 * a newer version and anything that is not a weft store. */
static int schema_ensure(struct sqls *st, weft_err *err)
{
	int64_t app_id = 0, version = 0, objects = 0;
	if (query_int(st, "PRAGMA application_id", &app_id, err, "open: read schema") ||
	    query_int(st, "PRAGMA user_version", &version, err, "open: read schema") ||
	    query_int(st, "SELECT count(*) FROM sqlite_master", &objects, err, "open: read schema"))
		return WEFT_EFAIL;
	if (app_id != 0 && app_id != WEFT_SQLITE_APPLICATION_ID)
		return weft_err_set(err,
		                    "store %s: open: not a weft store (SQLite application_id "
		                    "0x%08llx, weft uses 0x%08x)",
		                    st->path, (unsigned long long)app_id,
		                    WEFT_SQLITE_APPLICATION_ID);
	if (version > WEFT_SQLITE_SCHEMA_VERSION)
		return weft_err_set(err,
		                    "store %s: open: schema version %lld is newer than this "
		                    "weft supports (%d): run a newer weft, or restore a backup "
		                    "written by this version",
		                    st->path, (long long)version, WEFT_SQLITE_SCHEMA_VERSION);
	if (version == 0 && objects == 0 && app_id == 0)
		return schema_create(st, err);
	if (version == 0 || app_id == 0)
		return weft_err_set(err,
		                    "store %s: open: not a weft store (an SQLite database "
		                    "with %lld schema objects but no weft schema version)",
		                    st->path, (long long)objects);
	/* version == WEFT_SQLITE_SCHEMA_VERSION: nothing to migrate yet. */
	return 0;
}

/* PRAGMA quick_check: a damaged file is reported at open, with the first
 * problem SQLite found, instead of failing some later commit. */
static int integrity_check(struct sqls *st, weft_err *err)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA quick_check(1)", -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sqls_fail(st, err, "open: integrity check", rc);
		sqlite3_finalize(stmt);
		return WEFT_EFAIL;
	}
	const char *res = (const char *)sqlite3_column_text(stmt, 0);
	if (!res || strcmp(res, "ok") != 0) {
		/* "*** in database main ***\nPage 6: ..." -> one line */
		char first[256];
		snprintf(first, sizeof(first), "%s", res ? res : "?");
		if (!strncmp(first, "*** in database main ***\n", 25))
			memmove(first, first + 25, strlen(first + 25) + 1);
		for (char *c = first; *c; c++)
			if (*c == '\n')
				*c = ' ';
		weft_err_set(err,
		             "store %s: open: integrity check failed: %s (the database file "
		             "is damaged: move the state directory aside and restore a backup)",
		             st->path, first);
		sqlite3_finalize(stmt);
		return WEFT_EFAIL;
	}
	sqlite3_finalize(stmt);
	return 0;
}

static int configure(struct sqls *st, weft_err *err)
{
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	/* A damaged or hostile file must not be able to do more than fail. */
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
	sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
	if (exec_sql(st, "PRAGMA cell_size_check = ON; PRAGMA foreign_keys = ON;", err,
	             "open: configure"))
		return WEFT_EFAIL;
	/* The first statement that reads the file: a file that is not a
	 * database fails here. */
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &stmt, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW) {
		sqls_fail(st, err, "open: read the database", rc);
		sqlite3_finalize(stmt);
		return WEFT_EFAIL;
	}
	const char *mode = (const char *)sqlite3_column_text(stmt, 0);
	int is_wal = mode && !strcmp(mode, "wal");
	sqlite3_finalize(stmt);
	if (!is_wal)
		return weft_err_set(err, "store %s: open: cannot use WAL journal mode (got %s)",
		                    st->path, mode ? mode : "?");
	return exec_sql(st, "PRAGMA synchronous = FULL;", err, "open: configure");
}

static int prepare_all(struct sqls *st, weft_err *err)
{
	for (int i = 0; i < SQ_COUNT; i++) {
		int rc = sqlite3_prepare_v3(st->db, sqls_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                            &st->stmt[i], NULL);
		if (rc != SQLITE_OK)
			return sqls_fail(st, err, "open: prepare statements", rc);
	}
	return 0;
}

static int read_head(struct sqls *st, weft_err *err)
{
	sqlite3_stmt *stmt = sqls_stmt(st, SQ_HEAD);
	int rc = sqlite3_step(stmt);
	st->head = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_reset(stmt);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0
	                                               : sqls_fail(st, err, "open: read head", rc);
}

static void sqls_free(struct sqls *st)
{
	for (int i = 0; i < SQ_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db)
		sqlite3_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd); /* releases the flock */
	free(st->dir);
	free(st->path);
	free(st->lock_path);
	free(st);
}

static int init_paths(struct sqls *st, const char *location)
{
	st->dir = strdup(location);
	if (!st->dir)
		return -1;
	size_t len = strlen(st->dir);
	while (len > 1 && st->dir[len - 1] == '/')
		st->dir[--len] = '\0';
	return (asprintf(&st->path, "%s/weft.db", st->dir) < 0 ||
	        asprintf(&st->lock_path, "%s/weft.lock", st->dir) < 0)
	               ? -1
	               : 0;
}

/* Creates the database file with mode 0600 (policies may name secrets);
 * SQLite gives its -wal and -shm files the same mode. */
static int create_db_file(struct sqls *st, weft_err *err)
{
	int fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return weft_err_set(err, "store %s: open: %s", st->path, strerror(errno));
	close(fd);
	return 0;
}

static void *sqls_open(const char *location, const weft_store_opts *opts, weft_err *err)
{
	if (opts &&
	    (opts->ca_file || opts->cert_file || opts->key_file || opts->credentials_file)) {
		weft_err_setc(err, WEFT_EINVALID,
		              "store %s: open: TLS and credentials options apply to etcd only",
		              location);
		return NULL;
	}
	struct sqls *st = calloc(1, sizeof(*st));
	if (!st) {
		weft_err_set(err, "store %s: open: out of memory", location);
		return NULL;
	}
	st->lock_fd = -1;
	st->keep = WEFT_STORE_DEFAULT_RETENTION;
	if (init_paths(st, location)) {
		weft_err_set(err, "store %s: open: out of memory", location);
		sqls_free(st);
		return NULL;
	}
	if (make_dirs(st->dir, err) || lock_dir(st, err) || create_db_file(st, err))
		goto fail;
	int rc = sqlite3_open_v2(st->path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
	                         NULL);
	if (rc != SQLITE_OK) {
		sqls_fail(st, err, "open", rc);
		goto fail;
	}
	if (configure(st, err) || schema_ensure(st, err) || integrity_check(st, err) ||
	    prepare_all(st, err) || read_head(st, err))
		goto fail;
	return st;
fail:
	sqls_free(st);
	return NULL;
}

static void sqls_close(void *impl)
{
	sqls_free(impl);
}

static const char *sqls_describe(void *impl)
{
	return ((struct sqls *)impl)->path;
}

static int64_t sqls_head(void *impl)
{
	return ((struct sqls *)impl)->head;
}

static void sqls_set_retention(void *impl, size_t keep)
{
	((struct sqls *)impl)->keep = keep;
}

static int sqls_put_meta(void *impl, const char *key, const char *value, weft_err *err)
{
	struct sqls *st = impl;
	sqlite3_stmt *stmt = sqls_stmt(st, value ? SQ_META_PUT : SQ_META_DEL);
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(stmt, 2, value, -1, SQLITE_STATIC);
	int rc = sqls_run(st, value ? SQ_META_PUT : SQ_META_DEL);
	if (rc != SQLITE_DONE) {
		char op[160];
		snprintf(op, sizeof(op), "put_meta '%.120s'", key);
		return sqls_fail(st, err, op, rc);
	}
	return 0;
}

static int sqls_get_meta(void *impl, const char *key, char **value, weft_err *err)
{
	struct sqls *st = impl;
	sqlite3_stmt *stmt = sqls_stmt(st, SQ_META_GET);
	sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(stmt, 0);
		*value = strdup(v ? v : "");
		sqlite3_reset(stmt);
		if (!*value)
			return weft_err_set(err, "store %s: get_meta: out of memory", st->path);
		return 0;
	}
	if (rc != SQLITE_DONE) {
		char op[160];
		snprintf(op, sizeof(op), "get_meta '%.120s'", key);
		sqls_fail(st, err, op, rc);
		sqlite3_reset(stmt);
		return WEFT_EFAIL;
	}
	sqlite3_reset(stmt);
	return 0;
}

const struct weft_store_ops weft_store_sqlite_ops = {
        .scheme = "sqlite",
        .open = sqls_open,
        .close = sqls_close,
        .describe = sqls_describe,
        .head = sqls_head,
        .commit = sqls_commit,
        .load = sqls_load,
        .history = sqls_history,
        .set_retention = sqls_set_retention,
        .put_meta = sqls_put_meta,
        .get_meta = sqls_get_meta,
};
