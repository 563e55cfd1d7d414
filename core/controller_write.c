/* Controller writes: apply, delete, rollback. Each write runs under
 * write_mu: decode -> derive the new policy set -> validate the WHOLE set ->
 * commit one store revision -> swap the head -> note the change for the
 * debounced compile. Invalid input stores nothing and changes nothing. */
#include <stdlib.h>
#include <string.h>

#include "controller-int.h"
#include "hmap.h"
#include "policy.h"
#include "resource.h"

void weft_write_result_free(weft_write_result *res)
{
	if (res && res->changes) {
		json_decref(res->changes);
		res->changes = NULL;
	}
}

static void note_change(weft_write_result *res, const weft_key *k, const char *action)
{
	json_array_append_new(res->changes,
	                      json_pack("{s:s, s:s, s:s, s:s}", "kind", weft_kind_name(k->kind),
	                                "namespace", k->ns, "name", k->name, "action", action));
}

/* Classifies upserts against the head and collects real changes: unchanged
 * resources are dropped from the commit. Returns the number of changes. */
static size_t classify(const weft_policyset *head, weft_resource **ups, size_t n,
                       const weft_key *dels, size_t n_dels, weft_stored *stored, size_t *n_stored,
                       weft_write_result *res)
{
	*n_stored = 0;
	for (size_t i = 0; i < n; i++) {
		weft_resource *r = ups[i];
		weft_key k = weft_resource_key(r);
		const weft_resource *old = weft_policyset_find(head, r->kind, r->ns, r->name);
		if (old && old->hash == r->hash && !strcmp(old->json, r->json)) {
			res->unchanged++;
			continue;
		}
		if (old)
			res->updated++;
		else
			res->created++;
		note_change(res, &k, old ? "updated" : "created");
		stored[*n_stored] = (weft_stored){.kind = r->kind,
		                                  .ns = (char *)r->ns,
		                                  .name = (char *)r->name,
		                                  .json = (char *)r->json,
		                                  .file = (char *)r->file,
		                                  .line = r->line};
		(*n_stored)++;
	}
	for (size_t i = 0; i < n_dels; i++) {
		res->deleted++;
		note_change(res, &dels[i], "deleted");
	}
	return *n_stored + n_dels;
}

/* The common tail of every write: derive, validate, classify, commit, swap.
 * Called with write_mu held. */
static int commit_change(weft_controller *c, weft_resource **ups, size_t n_ups,
                         const weft_key *dels, size_t n_dels, const char *author,
                         const char *message, int64_t expected_rev, int dry_run, int push_mode,
                         weft_write_result *res, weft_diags *diags, weft_err *err)
{
	pthread_mutex_lock(&c->mu);
	weft_policyset *head = weft_policyset_ref(c->head_policy);
	int64_t head_rev = c->head_rev;
	pthread_mutex_unlock(&c->mu);

	res->changes = json_array();
	res->revision = head_rev;
	int rc = 0;
	weft_stored *stored = calloc(n_ups + 1, sizeof(*stored));
	weft_policyset *next = NULL;
	if (expected_rev >= 0 && expected_rev != head_rev) {
		rc = weft_err_setc(err, WEFT_ECONFLICT,
		                   "conflict: expected revision %lld, the store is at %lld",
		                   (long long)expected_rev, (long long)head_rev);
		goto out;
	}
	next = weft_policyset_derive(head, ups, n_ups, dels, n_dels, diags);
	/* The head passed full validation, so only what the change can
	 * affect is re-checked (same diagnostics as a full validation). */
	if (!next || weft_policy_validate_change(head, next, diags)) {
		rc = weft_err_setc(err, WEFT_EINVALID, "policy is invalid: %zu problem(s)",
		                   weft_diags_total(diags));
		goto out;
	}
	size_t n_stored = 0;
	size_t changed = classify(head, ups, n_ups, dels, n_dels, stored, &n_stored, res);
	if (changed == 0 || dry_run)
		goto out;
	int64_t new_rev = 0;
	pthread_mutex_lock(&c->store_mu);
	/* head_rev, not expected_rev: the change was validated against the
	 * policy of head_rev, so it may only be stored on top of it. With one
	 * writer (SQLite) that is always the store's head; on a shared store
	 * (etcd, docs/store.md) another replica may have committed since, and
	 * storing anyway could keep a policy that does not compile. */
	rc = weft_store_commit(c->store, head_rev, author, message, stored, n_stored, dels, n_dels,
	                       &new_rev, err);
	pthread_mutex_unlock(&c->store_mu);
	if (rc)
		goto out;
	res->revision = new_rev;
	pthread_mutex_lock(&c->mu);
	weft_policyset_unref(c->head_policy);
	c->head_policy = next;
	next = NULL;
	c->head_rev = new_rev;
	if (!c->pending_since_unix_ms)
		c->pending_since_unix_ms = controller_unix_ms();
	if (push_mode & WEFT_APPLY_ATOMIC)
		c->next_txn_mode = WEFT_APPLY_ATOMIC;
	else if ((push_mode & WEFT_APPLY_INDEPENDENT) && !c->next_txn_mode)
		c->next_txn_mode = WEFT_APPLY_INDEPENDENT;
	weft_debounce_note(&c->debounce, controller_now_ms());
	if (push_mode & WEFT_APPLY_ATOMIC)
		weft_debounce_flush(&c->debounce); /* an explicit change set: compile now */
	events_emit(&c->events, "revision",
	            json_pack("{s:I, s:s, s:s, s:I, s:I, s:I}", "revision", (json_int_t)new_rev,
	                      "author", author ? author : "", "message", message ? message : "",
	                      "created", (json_int_t)res->created, "updated",
	                      (json_int_t)res->updated, "deleted", (json_int_t)res->deleted));
	pthread_cond_signal(&c->core_cond);
	pthread_mutex_unlock(&c->mu);
out:
	pthread_mutex_lock(&c->mu);
	if (rc == WEFT_EINVALID)
		c->m.writes_invalid++;
	else if (rc == WEFT_ECONFLICT)
		c->m.writes_conflict++;
	else if (rc)
		c->m.writes_failed++;
	else if (!dry_run)
		c->m.writes_ok++;
	pthread_mutex_unlock(&c->mu);
	free(stored);
	weft_policyset_unref(next);
	weft_policyset_unref(head);
	return rc;
}

/* For SYNC applies and rollbacks: every head resource whose key is not
 * among ups (hashed, so a 10,000-resource sync stays linear). */
static weft_key *sync_deletes(const weft_policyset *head, weft_resource **ups, size_t n_ups,
                              size_t *n_dels)
{
	size_t n = weft_policyset_count(head);
	weft_resource *const *items = weft_policyset_items(head);
	weft_key *dels = calloc(n + 1, sizeof(*dels));
	weft_arena *arena = weft_arena_new();
	weft_hmap keys;
	weft_hmap_init(&keys);
	*n_dels = 0;
	for (size_t j = 0; arena && j < n_ups; j++)
		weft_hmap_put(&keys,
		              weft_arena_printf(arena, "%d/%s/%s", ups[j]->kind, ups[j]->ns,
		                                ups[j]->name),
		              ups[j]);
	for (size_t i = 0; dels && arena && i < n; i++) {
		char key[600];
		snprintf(key, sizeof(key), "%d/%s/%s", items[i]->kind, items[i]->ns,
		         items[i]->name);
		if (!weft_hmap_get(&keys, key))
			dels[(*n_dels)++] = weft_resource_key(items[i]);
	}
	weft_hmap_free(&keys);
	weft_arena_free(arena);
	return dels;
}

int weft_controller_apply(weft_controller *c, const weft_docset *docs, int mode, const char *author,
                          int64_t expected_rev, int dry_run, weft_write_result *res,
                          weft_diags *diags, weft_err *err)
{
	memset(res, 0, sizeof(*res));
	weft_resource **ups = NULL;
	size_t n_ups = 0;
	if (weft_policy_decode_all(docs, &ups, &n_ups, diags)) {
		pthread_mutex_lock(&c->mu);
		c->m.writes_invalid++;
		pthread_mutex_unlock(&c->mu);
		return weft_err_setc(err, WEFT_EINVALID, "policy is invalid: %zu problem(s)",
		                     weft_diags_total(diags));
	}
	pthread_mutex_lock(&c->write_mu);
	weft_key *dels = NULL;
	size_t n_dels = 0;
	if (mode & WEFT_APPLY_SYNC) {
		pthread_mutex_lock(&c->mu);
		weft_policyset *head = weft_policyset_ref(c->head_policy);
		pthread_mutex_unlock(&c->mu);
		dels = sync_deletes(head, ups, n_ups, &n_dels);
		/* keys point into head's resources: keep head alive until done */
		int rc = commit_change(c, ups, n_ups, dels, n_dels, author,
		                       "sync from policy directory", expected_rev, dry_run, mode,
		                       res, diags, err);
		weft_policyset_unref(head);
		pthread_mutex_unlock(&c->write_mu);
		free(dels);
		for (size_t i = 0; i < n_ups; i++)
			weft_resource_unref(ups[i]);
		free(ups);
		return rc;
	}
	int rc = commit_change(c, ups, n_ups, NULL, 0, author, "apply", expected_rev, dry_run, mode,
	                       res, diags, err);
	pthread_mutex_unlock(&c->write_mu);
	for (size_t i = 0; i < n_ups; i++)
		weft_resource_unref(ups[i]);
	free(ups);
	return rc;
}

int weft_controller_delete(weft_controller *c, const weft_key *keys, size_t n, const char *author,
                           int64_t expected_rev, weft_write_result *res, weft_diags *diags,
                           weft_err *err)
{
	memset(res, 0, sizeof(*res));
	pthread_mutex_lock(&c->write_mu);
	pthread_mutex_lock(&c->mu);
	weft_policyset *head = weft_policyset_ref(c->head_policy);
	pthread_mutex_unlock(&c->mu);
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		if (!weft_policyset_find(head, keys[i].kind, keys[i].ns, keys[i].name))
			rc = weft_err_setc(err, WEFT_ENOTFOUND, "%s '%s/%s' not found",
			                   weft_kind_name(keys[i].kind), keys[i].ns, keys[i].name);
	if (!rc)
		rc = commit_change(c, NULL, 0, keys, n, author, "delete", expected_rev, 0, 0, res,
		                   diags, err);
	weft_policyset_unref(head);
	pthread_mutex_unlock(&c->write_mu);
	return rc;
}

/* Decodes a stored revision's content into resources. */
static int decode_stored(const weft_stored *items, size_t n, weft_resource ***out,
                         weft_diags *diags)
{
	weft_resource **res = calloc(n + 1, sizeof(*res));
	if (!res)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (weft_policy_decode_json(items[i].json, strlen(items[i].json), items[i].file,
		                            items[i].line, &res[i], diags)) {
			for (size_t j = 0; j < i; j++)
				weft_resource_unref(res[j]);
			free(res);
			return -1;
		}
	*out = res;
	return 0;
}

int weft_controller_rollback(weft_controller *c, int64_t rev, const char *author,
                             weft_write_result *res, weft_err *err)
{
	memset(res, 0, sizeof(*res));
	weft_stored *items = NULL;
	size_t n = 0;
	pthread_mutex_lock(&c->store_mu);
	int lrc = weft_store_load(c->store, rev, &items, &n, err);
	pthread_mutex_unlock(&c->store_mu);
	if (lrc)
		return err ? err->code : -1;
	weft_diags diags;
	weft_diags_init(&diags);
	weft_resource **ups = NULL;
	int rc = decode_stored(items, n, &ups, &diags);
	if (rc) {
		char *first = diags.count ? weft_diag_format(&diags.items[0]) : NULL;
		rc = weft_err_set(err, "revision %lld no longer decodes: %s", (long long)rev,
		                  first ? first : "out of memory");
		free(first);
		goto out;
	}
	pthread_mutex_lock(&c->write_mu);
	pthread_mutex_lock(&c->mu);
	weft_policyset *head = weft_policyset_ref(c->head_policy);
	pthread_mutex_unlock(&c->mu);
	size_t n_dels = 0;
	weft_key *dels = sync_deletes(head, ups, n, &n_dels);
	char message[64];
	snprintf(message, sizeof(message), "rollback to revision %lld", (long long)rev);
	rc = commit_change(c, ups, n, dels, n_dels, author, message, -1, 0, 0, res, &diags, err);
	if (rc == WEFT_EINVALID) {
		char *first = diags.count ? weft_diag_format(&diags.items[0]) : NULL;
		weft_err_set(err, "revision %lld is not valid any more: %s", (long long)rev,
		             first ? first : "?");
		free(first);
	}
	free(dels);
	weft_policyset_unref(head);
	pthread_mutex_unlock(&c->write_mu);
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(ups[i]);
	free(ups);
out:
	weft_diags_free(&diags);
	weft_stored_free_array(items, n);
	return rc;
}
