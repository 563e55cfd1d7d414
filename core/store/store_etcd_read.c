/* etcd backend: reading revisions (load) and the revision log (history).
 * A load is one read-only etcd transaction, so the head, the revision's
 * record and the versions all come from one etcd revision, whatever other
 * replicas commit meanwhile. Revision R is every live version with
 * from <= R plus every old one (closed by a revision > R) with from <= R;
 * the result is sorted with weft_key_cmp like the SQLite backend's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "store_etcd.h"

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

static char *dup_str(json_t *v)
{
	const char *s = json_string_value(v);
	return s ? strdup(s) : NULL;
}

static void free_item(weft_stored *item)
{
	free(item->ns);
	free(item->name);
	free(item->json);
	free(item->file);
}

int ests_parse_version(const char *value, weft_stored *out, int64_t *from)
{
	memset(out, 0, sizeof(*out));
	json_t *v = json_loads(value, 0, NULL);
	const char *kind = json_string_value(json_object_get(v, "kind"));
	json_t *fv = json_object_get(v, "from");
	int rc = -1;
	if (kind && !weft_kind_from_name(kind, &out->kind) && json_is_integer(fv)) {
		out->ns = dup_str(json_object_get(v, "ns"));
		out->name = dup_str(json_object_get(v, "name"));
		out->json = dup_str(json_object_get(v, "json"));
		out->file = dup_str(json_object_get(v, "file"));
		out->line = (int)json_integer_value(json_object_get(v, "line"));
		*from = json_integer_value(fv);
		rc = out->ns && out->name && out->json ? 0 : -1;
	}
	json_decref(v);
	if (rc) {
		free_item(out);
		memset(out, 0, sizeof(*out));
	}
	return rc;
}

/* Appends the versions of kvs visible in revision rev. */
static int add_visible(struct ests *st, struct stored_vec *v, json_t *kvs, int64_t rev,
                       weft_err *err)
{
	for (size_t i = 0; i < json_array_size(kvs); i++) {
		char *value = etcd_kv_value(json_array_get(kvs, i));
		weft_stored item;
		int64_t from = 0;
		int bad = !value || ests_parse_version(value, &item, &from);
		free(value);
		if (bad)
			return weft_err_set(err,
			                    "store %s: load revision %lld: a resource version does "
			                    "not parse (unknown kind: written by a newer weft, or "
			                    "damaged)",
			                    st->url, (long long)rev);
		if (from > rev) {
			free_item(&item);
			continue;
		}
		if (v->count == v->cap) {
			size_t cap = v->cap ? v->cap * 2 : 64;
			weft_stored *items = realloc(v->items, cap * sizeof(*items));
			if (!items) {
				free_item(&item);
				return weft_err_set(err, "store %s: load: out of memory", st->url);
			}
			v->items = items;
			v->cap = cap;
		}
		v->items[v->count++] = item;
	}
	return 0;
}

/* WEFT_ENOTFOUND with the reason. The message reaches API callers (a
 * rollback's 404): it names no server address. */
static int explain_missing(struct ests *st, int64_t rev, int64_t head, json_t *first_rev_kvs,
                           weft_err *err)
{
	if (rev > head || rev <= 0)
		return weft_err_setc(err, WEFT_ENOTFOUND,
		                     "revision %lld does not exist (head is %lld)", (long long)rev,
		                     (long long)head);
	const char *k64 =
	        json_string_value(json_object_get(json_array_get(first_rev_kvs, 0), "key"));
	char *key = k64 ? etcd_unb64(k64, NULL) : NULL;
	size_t plen = strlen(st->prefix) + 5; /* "/rev/" */
	long long oldest = key && strlen(key) > plen ? strtoll(key + plen, NULL, 10) : 0;
	free(key);
	return weft_err_setc(err, WEFT_ENOTFOUND,
	                     "revision %lld was pruned (oldest kept is %lld, "
	                     "retention keeps the last %zu)",
	                     (long long)rev, oldest, st->keep);
}

/* The read transaction: head, rev/R, the oldest rev, live/..., old/ after R. */
static json_t *load_request(struct ests *st, int64_t rev)
{
	char *hk = ests_key(st, "head"), *rk = ests_rev_key(st, rev > 0 ? rev : 1);
	char *rp = ests_key(st, "rev/"), *lp = ests_key(st, "live/");
	char *after = ests_rev_key(st, rev + 1), *old_from = NULL, *old_end = ests_key(st, "old0");
	json_t *req = NULL;
	if (hk && rk && rp && lp && after && old_end &&
	    asprintf(&old_from, "%s/old/%s", st->prefix, after + strlen(st->prefix) + 5) >= 0) {
		json_t *first = etcd_range_req(rp, "");
		json_object_set_new(first, "limit", json_string("1"));
		req = json_pack("{s:[o,o,o,o,o]}", "success",
		                ests_range_op(etcd_range_req(hk, NULL)),
		                ests_range_op(etcd_range_req(rk, NULL)), ests_range_op(first),
		                ests_range_op(etcd_range_req(lp, "")),
		                ests_range_op(etcd_range_req(old_from, old_end)));
	}
	free(hk);
	free(rk);
	free(rp);
	free(lp);
	free(after);
	free(old_from);
	free(old_end);
	return req;
}

int ests_load(void *impl, int64_t rev, weft_stored **out, size_t *n, weft_err *err)
{
	struct ests *st = impl;
	json_t *req = load_request(st, rev), *resp = NULL;
	int rc = ests_txn(st, req, &resp, err, "load");
	json_decref(req);
	if (rc)
		return rc;
	int64_t head, resources, mod;
	rc = ests_parse_head(st, etcd_txn_kvs(resp, 0), &head, &resources, &mod, err, "load");
	if (!rc)
		st->head = head;
	if (!rc && rev == 0)
		rev = head;
	struct stored_vec v = {0};
	if (rc || rev == 0) {
		/* error, or the empty store: empty content */
	} else if (rev < 0 || rev > head || !json_array_size(etcd_txn_kvs(resp, 1))) {
		rc = explain_missing(st, rev, head, etcd_txn_kvs(resp, 2), err);
	} else {
		rc = add_visible(st, &v, etcd_txn_kvs(resp, 3), rev, err);
		if (!rc && rev < head)
			rc = add_visible(st, &v, etcd_txn_kvs(resp, 4), rev, err);
	}
	json_decref(resp);
	if (rc) {
		weft_stored_free_array(v.items, v.count);
		return rc;
	}
	if (v.count > 1)
		qsort(v.items, v.count, sizeof(*v.items), stored_cmp);
	*out = v.items;
	*n = v.count;
	return 0;
}

static int parse_info(struct ests *st, json_t *kv, weft_revision_info *r)
{
	const char *k64 = json_string_value(json_object_get(kv, "key"));
	char *key = k64 ? etcd_unb64(k64, NULL) : NULL;
	char *value = etcd_kv_value(kv);
	json_t *v = value ? json_loads(value, 0, NULL) : NULL;
	size_t plen = strlen(st->prefix) + 5;
	int rc = key && strlen(key) > plen && json_is_object(v) ? 0 : -1;
	if (!rc) {
		r->rev = strtoll(key + plen, NULL, 10);
		r->time_ms = json_integer_value(json_object_get(v, "time_ms"));
		r->author = dup_str(json_object_get(v, "author"));
		r->message = dup_str(json_object_get(v, "message"));
		r->resources = (size_t)json_integer_value(json_object_get(v, "resources"));
		r->changed = (size_t)json_integer_value(json_object_get(v, "changed"));
		rc = r->author && r->message ? 0 : -1;
	}
	free(key);
	free(value);
	json_decref(v);
	return rc;
}

int ests_history(void *impl, size_t limit, weft_revision_info **out, size_t *n, weft_err *err)
{
	struct ests *st = impl;
	char *rp = ests_key(st, "rev/");
	json_t *range = rp ? etcd_range_req(rp, "") : NULL;
	free(rp);
	if (range) {
		json_object_set_new(range, "sort_order", json_string("DESCEND"));
		json_object_set_new(range, "sort_target", json_string("KEY"));
		if (limit) {
			char l[32];
			snprintf(l, sizeof(l), "%zu", limit);
			json_object_set_new(range, "limit", json_string(l));
		}
	}
	json_t *req = range ? json_pack("{s:[o]}", "success", ests_range_op(range)) : NULL;
	json_t *resp = NULL;
	int rc = ests_txn(st, req, &resp, err, "history");
	json_decref(req);
	if (rc)
		return rc;
	json_t *kvs = etcd_txn_kvs(resp, 0);
	size_t count = json_array_size(kvs);
	weft_revision_info *items = count ? calloc(count, sizeof(*items)) : NULL;
	if (count && !items)
		rc = weft_err_set(err, "store %s: history: out of memory", st->url);
	for (size_t i = 0; !rc && i < count; i++)
		if (parse_info(st, json_array_get(kvs, i), &items[i]))
			rc = weft_err_set(err,
			                  "store %s: history: revision record %zu does not parse",
			                  st->url, i);
	json_decref(resp);
	if (rc) {
		weft_revision_info_free_array(items, count);
		return rc;
	}
	*out = items;
	*n = count;
	return 0;
}
