/* SQLite backend: reading revisions (load) and the revision log (history).
 * A load runs in one read transaction, so the existence check and the rows
 * come from the same state of the file. The head is read through the live
 * rows (rev_to IS NULL); an older revision R through the MVCC condition
 * rev_from <= R AND (rev_to IS NULL OR rev_to > R). The result is sorted in
 * C with weft_key_cmp (kind order of the enum, then namespace, then name),
 * so the order is the one every other part of weft uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "store_sqlite.h"

struct stored_vec {
	weft_stored *items;
	size_t count, cap;
};

static int stored_cmp(const void *a, const void *b)
{
	const weft_stored *x = a, *y = b;
	weft_key kx = {x->kind, x->ns, x->name}, ky = {y->kind, y->ns, y->name};
	return weft_key_cmp(&kx, &ky);
}

static const char *col_text(sqlite3_stmt *stmt, int col)
{
	return (const char *)sqlite3_column_text(stmt, col);
}

/* Appends the current row of SQ_LOAD_*. 0, -1 on out of memory, -2 on a
 * row that this weft cannot read (unknown kind: written by a newer weft or
 * damaged). */
static int push_row(struct stored_vec *v, sqlite3_stmt *stmt)
{
	weft_kind kind;
	const char *kind_name = col_text(stmt, 0);
	if (!kind_name || weft_kind_from_name(kind_name, &kind))
		return -2;
	if (v->count == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		weft_stored *items = realloc(v->items, cap * sizeof(*items));
		if (!items)
			return -1;
		v->items = items;
		v->cap = cap;
	}
	weft_stored *s = &v->items[v->count];
	s->kind = kind;
	s->ns = sqls_strdup(col_text(stmt, 1));
	s->name = sqls_strdup(col_text(stmt, 2));
	s->json = sqls_strdup(col_text(stmt, 3));
	s->file = sqls_strdup(col_text(stmt, 4));
	s->line = sqlite3_column_int(stmt, 5);
	v->count++;
	if (!s->ns || !s->name || !s->json || (!s->file && col_text(stmt, 4)))
		return -1;
	return 0;
}

/* WEFT_ENOTFOUND with the reason: never existed, or pruned. The message
 * reaches API callers (a rollback's 404): it names no server path. */
static int explain_missing(struct sqls *st, int64_t rev, weft_err *err)
{
	if (rev > st->head || rev <= 0)
		return weft_err_setc(err, WEFT_ENOTFOUND,
		                     "revision %lld does not exist (head is %lld)", (long long)rev,
		                     (long long)st->head);
	sqlite3_stmt *stmt = sqls_stmt(st, SQ_OLDEST);
	int64_t oldest = sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
	sqlite3_reset(stmt);
	return weft_err_setc(err, WEFT_ENOTFOUND,
	                     "revision %lld was pruned (oldest kept is %lld, "
	                     "retention keeps the last %zu)",
	                     (long long)rev, (long long)oldest, st->keep);
}

/* Whether revision rev has a row: 1, 0, or a negative SQLite failure. */
static int revision_exists(struct sqls *st, int64_t rev, weft_err *err)
{
	sqlite3_stmt *stmt = sqls_stmt(st, SQ_REV_GET);
	sqlite3_bind_int64(stmt, 1, rev);
	int rc = sqlite3_step(stmt);
	sqlite3_reset(stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return sqls_fail(st, err, "load", rc);
}

static int read_rows(struct sqls *st, int64_t rev, struct stored_vec *v, weft_err *err)
{
	enum sqls_stmt_id id = rev == st->head ? SQ_LOAD_HEAD : SQ_LOAD_REV;
	sqlite3_stmt *stmt = sqls_stmt(st, id);
	if (id == SQ_LOAD_REV)
		sqlite3_bind_int64(stmt, 1, rev);
	int rc = SQLITE_DONE, status = 0;
	while (!status && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		int prc = push_row(v, stmt);
		if (prc == -1)
			status = weft_err_set(err, "store %s: load revision %lld: out of memory",
			                      st->path, (long long)rev);
		else if (prc == -2)
			status = weft_err_set(err,
			                      "store %s: load revision %lld: unknown kind "
			                      "'%s' (written by a newer weft, or the file is "
			                      "damaged)",
			                      st->path, (long long)rev,
			                      col_text(stmt, 0) ? col_text(stmt, 0) : "NULL");
	}
	if (!status && rc != SQLITE_DONE) {
		char op[64];
		snprintf(op, sizeof(op), "load revision %lld", (long long)rev);
		status = sqls_fail(st, err, op, rc);
	}
	sqlite3_reset(stmt);
	return status;
}

int sqls_load(void *impl, int64_t rev, weft_stored **out, size_t *n, weft_err *err)
{
	struct sqls *st = impl;
	if (rev == 0)
		rev = st->head;
	if (rev == 0)
		return 0; /* empty store: empty content */
	int rc = sqls_run(st, SQ_BEGIN);
	if (rc != SQLITE_DONE)
		return sqls_fail(st, err, "load: begin", rc);
	struct stored_vec v = {0};
	int status = revision_exists(st, rev, err);
	if (status == 0)
		status = explain_missing(st, rev, err);
	else if (status == 1)
		status = read_rows(st, rev, &v, err);
	sqls_run(st, SQ_COMMIT); /* ends the read transaction */
	sqls_rollback(st);       /* in case COMMIT failed */
	if (status) {
		weft_stored_free_array(v.items, v.count);
		return status;
	}
	if (v.count > 1)
		qsort(v.items, v.count, sizeof(*v.items), stored_cmp);
	*out = v.items;
	*n = v.count;
	return 0;
}

int sqls_history(void *impl, size_t limit, weft_revision_info **out, size_t *n, weft_err *err)
{
	struct sqls *st = impl;
	sqlite3_stmt *stmt = sqls_stmt(st, SQ_HISTORY);
	sqlite3_bind_int64(stmt, 1, limit ? (int64_t)limit : -1);
	weft_revision_info *items = NULL;
	size_t count = 0, cap = 0;
	int rc = SQLITE_DONE, status = 0;
	while (!status && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			weft_revision_info *nitems = realloc(items, ncap * sizeof(*items));
			if (!nitems) {
				status = weft_err_set(err, "store %s: history: out of memory",
				                      st->path);
				break;
			}
			items = nitems;
			cap = ncap;
		}
		weft_revision_info *r = &items[count++];
		r->rev = sqlite3_column_int64(stmt, 0);
		r->time_ms = sqlite3_column_int64(stmt, 1);
		r->author = strdup(col_text(stmt, 2) ? col_text(stmt, 2) : "");
		r->message = strdup(col_text(stmt, 3) ? col_text(stmt, 3) : "");
		r->resources = (size_t)sqlite3_column_int64(stmt, 4);
		r->changed = (size_t)sqlite3_column_int64(stmt, 5);
		if (!r->author || !r->message)
			status = weft_err_set(err, "store %s: history: out of memory", st->path);
	}
	if (!status && rc != SQLITE_DONE)
		status = sqls_fail(st, err, "history", rc);
	sqlite3_reset(stmt);
	if (status) {
		weft_revision_info_free_array(items, count);
		return status;
	}
	*out = items;
	*n = count;
	return 0;
}
