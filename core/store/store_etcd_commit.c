/* etcd backend: one commit = one revision = one etcd transaction.
 *   1. read, in one read-only transaction (one etcd revision): the head
 *      key and the live version of every key the commit touches (or the
 *      whole live range for a large commit);
 *   2. decide as SQLite does: expected_rev >= 0 must equal the head
 *      (WEFT_ECONFLICT), a delete of a key the head does not hold is
 *      WEFT_ENOTFOUND, identical JSON is not a change;
 *   3. write, in one transaction guarded by "the head key's mod_revision is
 *      still the one read": the new head, the revision record, the new live
 *      versions, the closed ones under old/, and the pruning deletes;
 *   4. when the guard fails another writer (replica) committed in between:
 *      with expected_rev >= 0 that is a conflict, with -1 the commit is
 *      decided again on the new head (bounded).
 * etcd applies the transaction atomically and acknowledges it after the
 * raft log is fsynced on a quorum: a crash leaves the old or the new
 * revision, never a part. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "resource.h"
#include "store_etcd.h"

/* Commits touching more keys read the whole live range in step 1 instead
 * of one range per key (etcd caps the operations of a transaction). */
#define PER_KEY_READ_MAX 64
#define MAX_ATTEMPTS     50

struct live_kv {
	char *key;
	char *value; /* version JSON */
};

struct commit_ctx {
	struct ests *st;
	int64_t expected_rev;
	const weft_stored *ups;
	size_t n_ups;
	const weft_key *dels;
	size_t n_dels;
	/* step 1 */
	int64_t head, resources, head_mod;
	struct live_kv *live; /* sorted by key */
	size_t n_live;
	weft_err *err;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void free_live(struct commit_ctx *c)
{
	for (size_t i = 0; i < c->n_live; i++) {
		free(c->live[i].key);
		free(c->live[i].value);
	}
	free(c->live);
	c->live = NULL;
	c->n_live = 0;
}

static int live_cmp(const void *a, const void *b)
{
	return strcmp(((const struct live_kv *)a)->key, ((const struct live_kv *)b)->key);
}

/* Appends every kv of one range response to c->live. */
static int collect_kvs(struct commit_ctx *c, json_t *kvs)
{
	size_t n = json_array_size(kvs);
	if (!n)
		return 0;
	struct live_kv *grown = realloc(c->live, (c->n_live + n) * sizeof(*grown));
	if (!grown)
		return -1;
	c->live = grown;
	for (size_t i = 0; i < n; i++) {
		json_t *kv = json_array_get(kvs, i);
		const char *k64 = json_string_value(json_object_get(kv, "key"));
		char *key = k64 ? etcd_unb64(k64, NULL) : NULL;
		char *value = etcd_kv_value(kv);
		if (!key || !value) {
			free(key);
			free(value);
			return -1;
		}
		c->live[c->n_live++] = (struct live_kv){key, value};
	}
	return 0;
}

static const char *find_live(struct commit_ctx *c, const char *key)
{
	struct live_kv probe = {(char *)key, NULL};
	struct live_kv *hit =
	        c->n_live ? bsearch(&probe, c->live, c->n_live, sizeof(*c->live), live_cmp) : NULL;
	return hit ? hit->value : NULL;
}

static char *key_of(struct commit_ctx *c, size_t i, int64_t rev_to)
{
	if (i < c->n_dels)
		return ests_res_key(c->st, rev_to, c->dels[i].kind, c->dels[i].ns, c->dels[i].name);
	const weft_stored *u = &c->ups[i - c->n_dels];
	return ests_res_key(c->st, rev_to, u->kind, u->ns, u->name);
}

struct write_plan {
	json_t *ops;
	int64_t rev, resources, changed;
	int write_old; /* closed versions are kept (not pruned at once) */
	int oom;       /* an operation could not be built: never send the rest */
};

static void add_op(struct write_plan *w, json_t *op)
{
	if (!op || json_array_append_new(w->ops, op))
		w->oom = 1;
}

/* Step 1. */
static int read_state(struct commit_ctx *c)
{
	struct ests *st = c->st;
	size_t n_keys = c->n_dels + c->n_ups;
	int per_key = n_keys <= PER_KEY_READ_MAX;
	char *hk = ests_key(st, "head"), *lp = ests_key(st, "live/");
	struct write_plan r = {.ops = json_array()};
	r.oom = !hk || !lp;
	add_op(&r, ests_range_op(etcd_range_req(hk ? hk : "", NULL)));
	if (!per_key)
		add_op(&r, ests_range_op(etcd_range_req(lp ? lp : "", "")));
	for (size_t i = 0; per_key && i < n_keys; i++) {
		char *k = key_of(c, i, 0);
		add_op(&r, ests_range_op(k ? etcd_range_req(k, NULL) : NULL));
		free(k);
	}
	free(hk);
	free(lp);
	if (r.oom) {
		json_decref(r.ops);
		return weft_err_set(c->err, "store %s: commit: out of memory", st->url);
	}
	json_t *req = json_pack("{s:o}", "success", r.ops), *resp = NULL;
	int rc = ests_txn(st, req, &resp, c->err, "commit: read");
	json_decref(req);
	if (rc)
		return rc;
	free_live(c);
	rc = ests_parse_head(st, etcd_txn_kvs(resp, 0), &c->head, &c->resources, &c->head_mod,
	                     c->err, "commit");
	for (size_t i = 1; !rc && i < json_array_size(json_object_get(resp, "responses")); i++)
		if (collect_kvs(c, etcd_txn_kvs(resp, i)))
			rc = weft_err_set(c->err, "store %s: commit: out of memory or bad reply",
			                  st->url);
	json_decref(resp);
	if (!rc && c->n_live > 1)
		qsort(c->live, c->n_live, sizeof(*c->live), live_cmp);
	if (!rc)
		st->head = c->head;
	return rc;
}

/* The JSON stored for one resource version. */
static char *version_value(const weft_stored *u, int64_t from)
{
	json_t *v = json_pack("{s:s,s:s,s:s,s:s,s:o,s:i,s:I}", "kind", weft_kind_name(u->kind),
	                      "ns", u->ns, "name", u->name, "json", u->json, "file",
	                      u->file ? json_string(u->file) : json_null(), "line", u->line, "from",
	                      (json_int_t)from);
	char *s = v ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	return s;
}

/* Whether the live version's content equals json. */
static int same_json(const char *version, const char *json)
{
	json_t *v = json_loads(version, 0, NULL);
	const char *j = json_string_value(json_object_get(v, "json"));
	int same = j && !strcmp(j, json);
	json_decref(v);
	return same;
}

/* Closes a live version: its value moves to old/<rev>/KEY. */
static void close_version(struct commit_ctx *c, struct write_plan *w, size_t i,
                          const char *old_value)
{
	if (!w->write_old)
		return;
	char *ok = key_of(c, i, w->rev);
	add_op(w, ok ? ests_put_op(ok, old_value) : NULL);
	free(ok);
}

/* Step 2 for the deletes and upserts: fills w->ops. */
static int plan_changes(struct commit_ctx *c, struct write_plan *w)
{
	for (size_t i = 0; i < c->n_dels + c->n_ups; i++) {
		char *lk = key_of(c, i, 0);
		if (!lk)
			return weft_err_set(c->err, "store %s: commit: out of memory", c->st->url);
		const char *live = find_live(c, lk);
		if (i < c->n_dels) {
			const weft_key *k = &c->dels[i];
			if (!live) {
				free(lk);
				return weft_err_setc(c->err, WEFT_ENOTFOUND,
				                     "store %s: commit: delete %s %s/%s: no such "
				                     "resource at revision %lld",
				                     c->st->url, weft_kind_name(k->kind), k->ns,
				                     k->name, (long long)c->head);
			}
			add_op(w, ests_delete_op(lk, NULL));
			close_version(c, w, i, live);
			w->resources--;
			w->changed++;
		} else {
			const weft_stored *u = &c->ups[i - c->n_dels];
			if (live && same_json(live, u->json)) {
				free(lk);
				continue; /* identical content: not a change */
			}
			char *value = version_value(u, w->rev);
			add_op(w, value ? ests_put_op(lk, value) : NULL);
			free(value);
			if (live)
				close_version(c, w, i, live);
			else
				w->resources++;
			w->changed++;
		}
		free(lk);
	}
	return 0;
}

/* Head, revision record and pruning: old versions closed at or before the
 * oldest kept revision K = rev - keep + 1, and revisions before K. */
static int plan_revision(struct commit_ctx *c, struct write_plan *w, const char *author,
                         const char *message)
{
	struct ests *st = c->st;
	char *hk = ests_key(st, "head"), *rk = ests_rev_key(st, w->rev);
	json_t *head = json_pack("{s:I,s:I}", "rev", (json_int_t)w->rev, "resources",
	                         (json_int_t)w->resources);
	json_t *info = json_pack("{s:I,s:s,s:s,s:I,s:I}", "time_ms", (json_int_t)now_ms(), "author",
	                         author, "message", message, "resources", (json_int_t)w->resources,
	                         "changed", (json_int_t)w->changed);
	char *hv = head ? json_dumps(head, JSON_COMPACT) : NULL;
	char *iv = info ? json_dumps(info, JSON_COMPACT) : NULL;
	int rc = hk && rk && hv && iv
	                 ? 0
	                 : weft_err_set(c->err, "store %s: commit: out of memory", st->url);
	if (!rc) {
		add_op(w, ests_put_op(hk, hv));
		add_op(w, ests_put_op(rk, iv));
	}
	if (!rc && st->keep && (uint64_t)w->rev > st->keep) {
		int64_t oldest_kept = w->rev - (int64_t)st->keep + 1;
		char *op = ests_key(st, "old/"), *rp = ests_key(st, "rev/");
		char *oe = ests_rev_key(st, oldest_kept + 1), *re = ests_rev_key(st, oldest_kept);
		/* old/<rev_to> keys: same width as rev/<rev>, so rev/ -> old/. */
		char *oend = NULL;
		if (op && rp && oe && re &&
		    asprintf(&oend, "%s/old/%s", st->prefix, oe + strlen(st->prefix) + 5) >= 0) {
			add_op(w, ests_delete_op(op, oend));
			add_op(w, ests_delete_op(rp, re));
		} else {
			rc = weft_err_set(c->err, "store %s: commit: out of memory", st->url);
		}
		free(oend);
		free(op);
		free(rp);
		free(oe);
		free(re);
	}
	free(hk);
	free(rk);
	free(hv);
	free(iv);
	json_decref(head);
	json_decref(info);
	return rc;
}

/* Step 3: 1 committed, 0 the guard failed (someone else committed), < 0 error. */
static int write_revision(struct commit_ctx *c, struct write_plan *w)
{
	char *hk = ests_key(c->st, "head");
	char *h64 = hk ? etcd_b64(hk, strlen(hk)) : NULL;
	char mod[32];
	snprintf(mod, sizeof(mod), "%lld", (long long)c->head_mod);
	json_t *req =
	        h64 ? json_pack("{s:[{s:s,s:s,s:s,s:s}],s:O}", "compare", "key", h64, "target",
	                        "MOD", "result", "EQUAL", "mod_revision", mod, "success", w->ops)
	            : NULL;
	free(hk);
	free(h64);
	json_t *resp = NULL;
	int rc = ests_txn(c->st, req, &resp, c->err, "commit");
	json_decref(req);
	if (rc)
		return rc;
	int ok = json_is_true(json_object_get(resp, "succeeded"));
	json_decref(resp);
	return ok ? 1 : 0;
}

static int attempt(struct commit_ctx *c, const char *author, const char *message, int64_t *new_rev)
{
	int rc = read_state(c);
	if (rc)
		return rc;
	if (c->expected_rev >= 0 && c->expected_rev != c->head)
		return weft_err_setc(c->err, WEFT_ECONFLICT,
		                     "store %s: commit: expected revision %lld, store is at %lld",
		                     c->st->url, (long long)c->expected_rev, (long long)c->head);
	struct write_plan w = {.ops = json_array(), .rev = c->head + 1, .resources = c->resources};
	w.write_old = !(c->st->keep == 1);
	rc = plan_changes(c, &w);
	if (!rc)
		rc = plan_revision(c, &w, author, message);
	if (!rc && w.oom)
		rc = weft_err_set(c->err, "store %s: commit: out of memory", c->st->url);
	if (!rc) {
		rc = write_revision(c, &w);
		if (rc == 1) {
			c->st->head = w.rev;
			*new_rev = w.rev;
			rc = 0;
		} else if (rc == 0) {
			rc = 1; /* try again on the new head */
		}
	}
	json_decref(w.ops);
	return rc;
}

int ests_commit(void *impl, int64_t expected_rev, const char *author, const char *message,
                const weft_stored *upserts, size_t n_upserts, const weft_key *deletes,
                size_t n_deletes, int64_t *new_rev, weft_err *err)
{
	struct commit_ctx c = {.st = impl,
	                       .expected_rev = expected_rev,
	                       .ups = upserts,
	                       .n_ups = n_upserts,
	                       .dels = deletes,
	                       .n_dels = n_deletes,
	                       .err = err};
	int rc = 1;
	for (int i = 0; rc == 1 && i < MAX_ATTEMPTS; i++)
		rc = attempt(&c, author, message, new_rev);
	free_live(&c);
	if (rc == 1)
		rc = weft_err_set(err,
		                  "store %s: commit: the head moved %d times while committing "
		                  "(other writers); nothing stored",
		                  c.st->url, MAX_ATTEMPTS);
	return rc;
}
