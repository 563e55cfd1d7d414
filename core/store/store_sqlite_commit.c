/* SQLite backend: one commit = one revision, in one BEGIN IMMEDIATE
 * transaction. The steps, all inside it:
 *   1. read the head; expected_rev >= 0 must equal it (optimistic
 *      concurrency: WEFT_ECONFLICT names both revisions);
 *   2. insert the revision row (rev = head + 1);
 *   3. deletes close the live row of each key (rev_to = rev);
 *   4. upserts compare with the live row: identical JSON is not a change
 *      and writes nothing; otherwise the live row is closed and the new
 *      version inserted with rev_from = rev;
 *   5. store the revision's counts (resources, changed);
 *   6. prune revisions beyond the retention, and the rows that only they
 *      used;
 *   7. COMMIT (synchronous=FULL: the WAL is synced before it returns).
 * Any failure rolls the whole transaction back, so a crash or an error
 * leaves the store at the old revision or the new one, never between.
 * Cost is proportional to the size of the change, not of the policy. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "resource.h"
#include "store_sqlite.h"

struct commit_ctx {
	struct sqls *st;
	int64_t rev;       /* the revision being written */
	int64_t head;      /* the revision it follows */
	int64_t resources; /* how many the new revision holds */
	int64_t changed;   /* upserts that changed something + deletes */
	weft_err *err;
};

static void bind_key(sqlite3_stmt *stmt, int first, weft_kind kind, const char *ns,
                     const char *name)
{
	sqlite3_bind_text(stmt, first, weft_kind_name(kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, first + 1, ns, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, first + 2, name, -1, SQLITE_STATIC);
}

static int fail_key(struct commit_ctx *c, const char *what, weft_kind kind, const char *ns,
                    const char *name, int rc)
{
	char op[512];
	snprintf(op, sizeof(op), "commit: %s %s %.200s/%.200s", what, weft_kind_name(kind), ns,
	         name);
	return sqls_fail(c->st, c->err, op, rc);
}

/* Step 1 and 2. */
static int begin_revision(struct commit_ctx *c, int64_t expected_rev, const char *author,
                          const char *message)
{
	struct sqls *st = c->st;
	sqlite3_stmt *stmt = sqls_stmt(st, SQ_HEAD);
	int rc = sqlite3_step(stmt);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		sqls_fail(st, c->err, "commit: read head", rc);
		sqlite3_reset(stmt);
		return WEFT_EFAIL;
	}
	c->head = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	c->resources = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 1) : 0;
	sqlite3_reset(stmt);
	st->head = c->head;
	if (expected_rev >= 0 && expected_rev != c->head)
		return weft_err_setc(c->err, WEFT_ECONFLICT,
		                     "store %s: commit: expected revision %lld, store is at %lld",
		                     st->path, (long long)expected_rev, (long long)c->head);
	c->rev = c->head + 1;
	stmt = sqls_stmt(st, SQ_REV_INSERT);
	sqlite3_bind_int64(stmt, 1, c->rev);
	sqlite3_bind_int64(stmt, 2, weft_unix_ms());
	sqlite3_bind_text(stmt, 3, author, -1, SQLITE_STATIC);
	sqlite3_bind_text(stmt, 4, message, -1, SQLITE_STATIC);
	rc = sqls_run(st, SQ_REV_INSERT);
	return rc == SQLITE_DONE ? 0 : sqls_fail(st, c->err, "commit: insert revision", rc);
}

/* Step 3. Deleting a key that the head does not hold is an error
 * (WEFT_ENOTFOUND): the caller computed its change set from a stale view. */
static int apply_delete(struct commit_ctx *c, const weft_key *k)
{
	sqlite3_stmt *stmt = sqls_stmt(c->st, SQ_LIVE_CLOSE_KEY);
	sqlite3_bind_int64(stmt, 1, c->rev);
	bind_key(stmt, 2, k->kind, k->ns, k->name);
	int rc = sqls_run(c->st, SQ_LIVE_CLOSE_KEY);
	if (rc != SQLITE_DONE)
		return fail_key(c, "delete", k->kind, k->ns, k->name, rc);
	if (sqlite3_changes(c->st->db) == 0)
		return weft_err_setc(c->err, WEFT_ENOTFOUND,
		                     "store %s: commit: delete %s %s/%s: no such resource at "
		                     "revision %lld",
		                     c->st->path, weft_kind_name(k->kind), k->ns, k->name,
		                     (long long)c->head);
	c->resources--;
	c->changed++;
	return 0;
}

/* Step 4. */
static int apply_upsert(struct commit_ctx *c, const weft_stored *u)
{
	struct sqls *st = c->st;
	sqlite3_stmt *stmt = sqls_stmt(st, SQ_LIVE_GET);
	bind_key(stmt, 1, u->kind, u->ns, u->name);
	int rc = sqlite3_step(stmt);
	int64_t live_id = -1;
	int same = 0;
	if (rc == SQLITE_ROW) {
		live_id = sqlite3_column_int64(stmt, 0);
		const char *json = (const char *)sqlite3_column_text(stmt, 1);
		same = json && !strcmp(json, u->json);
	} else if (rc != SQLITE_DONE) {
		fail_key(c, "read", u->kind, u->ns, u->name, rc);
		sqlite3_reset(stmt);
		return WEFT_EFAIL;
	}
	sqlite3_reset(stmt);
	if (same)
		return 0; /* identical content: not a change, nothing written */
	if (live_id >= 0) {
		stmt = sqls_stmt(st, SQ_LIVE_CLOSE_ID);
		sqlite3_bind_int64(stmt, 1, c->rev);
		sqlite3_bind_int64(stmt, 2, live_id);
		rc = sqls_run(st, SQ_LIVE_CLOSE_ID);
		if (rc != SQLITE_DONE)
			return fail_key(c, "replace", u->kind, u->ns, u->name, rc);
	} else {
		c->resources++;
	}
	stmt = sqls_stmt(st, SQ_RES_INSERT);
	bind_key(stmt, 1, u->kind, u->ns, u->name);
	sqlite3_bind_int64(stmt, 4, c->rev);
	sqlite3_bind_text(stmt, 5, u->json, -1, SQLITE_STATIC);
	if (u->file)
		sqlite3_bind_text(stmt, 6, u->file, -1, SQLITE_STATIC);
	sqlite3_bind_int(stmt, 7, u->line);
	rc = sqls_run(st, SQ_RES_INSERT);
	if (rc != SQLITE_DONE)
		return fail_key(c, "write", u->kind, u->ns, u->name, rc);
	c->changed++;
	return 0;
}

/* Step 5 and 6. Keeping N revisions means the oldest kept is rev - N + 1.
 * A row closed at or before it (rev_to <= oldest kept) is visible only in
 * pruned revisions, so it goes; every other row is still visible in a kept
 * revision, including rows created long ago and never changed. */
static int finish_revision(struct commit_ctx *c)
{
	struct sqls *st = c->st;
	sqlite3_stmt *stmt = sqls_stmt(st, SQ_REV_COUNTS);
	sqlite3_bind_int64(stmt, 1, c->rev);
	sqlite3_bind_int64(stmt, 2, c->resources);
	sqlite3_bind_int64(stmt, 3, c->changed);
	int rc = sqls_run(st, SQ_REV_COUNTS);
	if (rc != SQLITE_DONE)
		return sqls_fail(st, c->err, "commit: update revision", rc);
	if (st->keep == 0 || (uint64_t)c->rev <= st->keep)
		return 0;
	int64_t oldest_kept = c->rev - (int64_t)st->keep + 1;
	stmt = sqls_stmt(st, SQ_PRUNE_RES);
	sqlite3_bind_int64(stmt, 1, oldest_kept);
	rc = sqls_run(st, SQ_PRUNE_RES);
	if (rc == SQLITE_DONE) {
		stmt = sqls_stmt(st, SQ_PRUNE_REV);
		sqlite3_bind_int64(stmt, 1, oldest_kept);
		rc = sqls_run(st, SQ_PRUNE_REV);
	}
	return rc == SQLITE_DONE ? 0 : sqls_fail(st, c->err, "commit: prune old revisions", rc);
}

int sqls_commit(void *impl, int64_t expected_rev, const char *author, const char *message,
                const weft_stored *upserts, size_t n_upserts, const weft_key *deletes,
                size_t n_deletes, int64_t *new_rev, weft_err *err)
{
	struct commit_ctx c = {.st = impl, .err = err};
	struct sqls *st = c.st;
	int rc = sqls_run(st, SQ_BEGIN_IMMEDIATE);
	if (rc != SQLITE_DONE)
		return sqls_fail(st, err, "commit: begin", rc);
	int status = begin_revision(&c, expected_rev, author, message);
	for (size_t i = 0; !status && i < n_deletes; i++)
		status = apply_delete(&c, &deletes[i]);
	for (size_t i = 0; !status && i < n_upserts; i++)
		status = apply_upsert(&c, &upserts[i]);
	if (!status)
		status = finish_revision(&c);
	if (!status) {
		rc = sqls_run(st, SQ_COMMIT);
		if (rc != SQLITE_DONE)
			status = sqls_fail(st, err, "commit: write to disk", rc);
	}
	if (status) {
		sqls_rollback(st);
		return status;
	}
	st->head = c.rev;
	*new_rev = c.rev;
	return 0;
}
