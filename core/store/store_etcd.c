/* etcd backend of the store: opening (endpoints, prefix, the layout
 * version), the head, meta records, key helpers and the ops table. Commits
 * are in store_etcd_commit.c, reads in store_etcd_read.c, HTTP in
 * etcd_http.c; the key layout is described in store_etcd.h and argued for
 * in docs/store.md ("etcd backend").
 *
 * Durability: etcd acknowledges a transaction once a quorum of members has
 * it in their fsynced raft logs, so a revision the caller was told about
 * survives kill -9 of weftd and of a minority of etcd members. */
#include "store_etcd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "store_backend.h"

char *ests_key(const struct ests *st, const char *suffix)
{
	char *k = NULL;
	return asprintf(&k, "%s/%s", st->prefix, suffix) < 0 ? NULL : k;
}

/* '%' and '/' escaped so that NS/NAME split one way only; cap is at least
 * 3 * strlen(s) + 1. */
static void escape_part(char *out, size_t cap, const char *s)
{
	size_t o = 0;
	for (; *s && o + 3 < cap; s++) {
		if (*s == '%' || *s == '/') {
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", (unsigned char)*s);
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

char *ests_res_key(const struct ests *st, int64_t rev_to, weft_kind kind, const char *ns,
                   const char *name)
{
	size_t cap_ns = strlen(ns) * 3 + 1, cap_name = strlen(name) * 3 + 1;
	char *ens = malloc(cap_ns), *ename = malloc(cap_name), *k = NULL;
	if (ens && ename) {
		escape_part(ens, cap_ns, ns);
		escape_part(ename, cap_name, name);
		int rc = rev_to ? asprintf(&k, "%s/old/%020lld/%s/%s/%s", st->prefix,
		                           (long long)rev_to, weft_kind_name(kind), ens, ename)
		                : asprintf(&k, "%s/live/%s/%s/%s", st->prefix, weft_kind_name(kind),
		                           ens, ename);
		if (rc < 0)
			k = NULL;
	}
	free(ens);
	free(ename);
	return k;
}

char *ests_rev_key(const struct ests *st, int64_t rev)
{
	char *k = NULL;
	return asprintf(&k, "%s/rev/%020lld", st->prefix, (long long)rev) < 0 ? NULL : k;
}

json_t *ests_put_op(const char *key, const char *value)
{
	char *k = etcd_b64(key, strlen(key)), *v = etcd_b64(value, strlen(value));
	json_t *op =
	        k && v ? json_pack("{s:{s:s,s:s}}", "request_put", "key", k, "value", v) : NULL;
	free(k);
	free(v);
	return op;
}

json_t *ests_delete_op(const char *key, const char *range_end)
{
	json_t *r = etcd_range_req(key, range_end);
	return r ? json_pack("{s:o}", "request_delete_range", r) : NULL;
}

json_t *ests_range_op(json_t *range)
{
	return range ? json_pack("{s:o}", "request_range", range) : NULL;
}

int ests_txn(struct ests *st, json_t *req, json_t **resp, weft_err *err, const char *op)
{
	if (!req)
		return weft_err_set(err, "store %s: %s: out of memory", st->url, op);
	int rc = etcd_post(st->cl, "/v3/kv/txn", req, resp, err);
	if (rc) {
		weft_err_prefix(err, "store %s: %s", st->url, op);
		if (err && strstr(err->msg, "too many operations in txn request"))
			snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
			         " (one revision is one etcd transaction: raise etcd's "
			         "--max-txn-ops)");
		else if (err && strstr(err->msg, "request is too large"))
			snprintf(err->msg + strlen(err->msg), sizeof(err->msg) - strlen(err->msg),
			         " (one revision is one etcd transaction: raise etcd's "
			         "--max-request-bytes)");
	}
	return rc;
}

int ests_parse_head(struct ests *st, json_t *kvs, int64_t *rev, int64_t *resources,
                    int64_t *mod_revision, weft_err *err, const char *op)
{
	*rev = *resources = *mod_revision = 0;
	json_t *kv = json_array_get(kvs, 0);
	if (!kv)
		return 0;
	*mod_revision = etcd_int(kv, "mod_revision");
	char *v = etcd_kv_value(kv);
	json_t *h = v ? json_loads(v, 0, NULL) : NULL;
	free(v);
	json_t *r = json_object_get(h, "rev"), *n = json_object_get(h, "resources");
	int ok = json_is_integer(r) && json_is_integer(n) && json_integer_value(r) > 0;
	if (ok) {
		*rev = json_integer_value(r);
		*resources = json_integer_value(n);
	}
	json_decref(h);
	if (!ok)
		return weft_err_set(err,
		                    "store %s: %s: %s/head does not hold a weft head "
		                    "(damaged, or written by something else)",
		                    st->url, op, st->prefix);
	return 0;
}

/* Writes the layout version when the prefix is new, refuses another one.
 * Also the first request: an unreachable etcd fails the open here. */
static int check_format(struct ests *st, weft_err *err)
{
	char *fk = ests_key(st, "format");
	char *k64 = fk ? etcd_b64(fk, strlen(fk)) : NULL;
	json_t *req = k64 ? json_pack("{s:[{s:s,s:s,s:s,s:s}],s:[o],s:[o]}", "compare", "key", k64,
	                              "target", "CREATE", "result", "EQUAL", "create_revision", "0",
	                              "success", ests_put_op(fk, WEFT_ETCD_FORMAT), "failure",
	                              ests_range_op(etcd_range_req(fk, NULL)))
	                  : NULL;
	json_t *resp = NULL;
	int rc = ests_txn(st, req, &resp, err, "open");
	json_decref(req);
	free(k64);
	free(fk);
	if (rc)
		return rc;
	if (json_is_true(json_object_get(resp, "succeeded"))) {
		json_decref(resp);
		return 0;
	}
	char *v = etcd_kv_value(json_array_get(etcd_txn_kvs(resp, 0), 0));
	json_decref(resp);
	if (v && !strcmp(v, WEFT_ETCD_FORMAT)) {
		free(v);
		return 0;
	}
	rc = weft_err_set(err,
	                  "store %s: open: %s/format is '%.40s', this weft writes layout %s "
	                  "(written by a newer weft, or the prefix belongs to something else: "
	                  "choose another prefix)",
	                  st->url, st->prefix, v ? v : "?", WEFT_ETCD_FORMAT);
	free(v);
	return rc;
}

static int64_t ests_head(void *impl);

static void ests_free(struct ests *st)
{
	etcd_client_free(st->cl);
	free(st->hosts);
	free(st->ca);
	free(st->cert);
	free(st->key);
	free(st->credentials);
	pthread_mutex_destroy(&st->fence_mu);
	free(st->url);
	free(st->prefix);
	free(st);
}

/* location: "HOST:PORT[,HOST:PORT...][/PREFIX]". */
static int split_location(struct ests *st, const char *location, char **hosts, weft_err *err)
{
	const char *slash = strchr(location, '/');
	*hosts = slash ? strndup(location, (size_t)(slash - location)) : strdup(location);
	const char *p = slash && slash[1] ? slash : WEFT_ETCD_DEFAULT_PREFIX;
	st->prefix = strdup(p);
	if (!*hosts || !st->prefix)
		return weft_err_set(err, "store etcd://%s: open: out of memory", location);
	size_t n = strlen(st->prefix);
	while (n > 1 && st->prefix[n - 1] == '/')
		st->prefix[--n] = '\0';
	for (const char *c = st->prefix; *c; c++)
		if (*c <= ' ' || *c > '~')
			return weft_err_setc(err, WEFT_EINVALID,
			                     "store etcd://%s: open: the key prefix must be "
			                     "printable ASCII without spaces",
			                     location);
	if (asprintf(&st->url, "etcd://%s%s", *hosts, st->prefix) < 0)
		st->url = NULL;
	return st->url ? 0 : weft_err_set(err, "store etcd://%s: open: out of memory", location);
}

static void *ests_open(const char *location, const weft_store_opts *opts, weft_err *err)
{
	struct ests *st = calloc(1, sizeof(*st));
	char *hosts = NULL;
	if (!st) {
		weft_err_set(err, "store etcd://%s: open: out of memory", location);
		return NULL;
	}
	st->keep = WEFT_ETCD_DEFAULT_RETENTION;
	pthread_mutex_init(&st->fence_mu, NULL);
	if (split_location(st, location, &hosts, err))
		goto fail;
	st->hosts = strdup(hosts);
	if (opts) {
		st->ca = opts->ca_file ? strdup(opts->ca_file) : NULL;
		st->cert = opts->cert_file ? strdup(opts->cert_file) : NULL;
		st->key = opts->key_file ? strdup(opts->key_file) : NULL;
		st->credentials = opts->credentials_file ? strdup(opts->credentials_file) : NULL;
	}
	st->cl = etcd_client_new(hosts, opts, err);
	if (!st->cl) {
		weft_err_prefix(err, "store %s: open", st->url);
		goto fail;
	}
	/* etcd elects a new raft leader within a few seconds of losing one */
	etcd_client_set_unavailable_retry(st->cl, 3000);
	if (check_format(st, err))
		goto fail;
	st->head = -1;
	if (ests_head(st) < 0) {
		weft_err_set(err, "store %s: open: cannot read the head", st->url);
		goto fail;
	}
	free(hosts);
	return st;
fail:
	free(hosts);
	ests_free(st);
	return NULL;
}

static void ests_close(void *impl)
{
	ests_free(impl);
}

static const char *ests_describe(void *impl)
{
	return ((struct ests *)impl)->url;
}

/* Asks etcd (a linearizable read): other replicas commit too. */
static int64_t ests_head(void *impl)
{
	struct ests *st = impl;
	char *hk = ests_key(st, "head");
	json_t *range = hk ? etcd_range_req(hk, NULL) : NULL;
	free(hk);
	json_t *resp = NULL;
	weft_err err = {0};
	if (range && !etcd_post(st->cl, "/v3/kv/range", range, &resp, &err)) {
		int64_t rev, resources, mod;
		if (!ests_parse_head(st, json_object_get(resp, "kvs"), &rev, &resources, &mod, &err,
		                     "head"))
			st->head = rev;
	}
	json_decref(range);
	json_decref(resp);
	return st->head;
}

static void ests_set_retention(void *impl, size_t keep)
{
	((struct ests *)impl)->keep = keep;
}

static char *meta_key(struct ests *st, const char *key)
{
	char *k = NULL;
	return asprintf(&k, "%s/meta/%s", st->prefix, key) < 0 ? NULL : k;
}

/* Fenced while an election exists (store.h, weft_store_elect): a deposed
 * leader's write of a transaction record or device state fails at etcd. */
static int ests_put_meta(void *impl, const char *key, const char *value, weft_err *err)
{
	struct ests *st = impl;
	char what[160];
	snprintf(what, sizeof(what), "put_meta '%.120s'", key);
	int refuse = 0;
	json_t *fence = ests_fence_compare(st, &refuse);
	if (refuse)
		return weft_err_setc(err, WEFT_ECONFLICT,
		                     "store %s: %s: not the leader (meta records are written by "
		                     "the leader only)",
		                     st->url, what);
	char *k = meta_key(st, key);
	json_t *op = k ? (value ? ests_put_op(k, value) : ests_delete_op(k, NULL)) : NULL;
	json_t *req = op ? json_pack("{s:[o]}", "success", op) : NULL;
	free(k);
	if (req && fence)
		json_object_set_new(req, "compare", json_pack("[o]", fence));
	else
		json_decref(fence);
	json_t *resp = NULL;
	int rc = ests_txn(st, req, &resp, err, what);
	json_decref(req);
	if (!rc && fence && !json_is_true(json_object_get(resp, "succeeded")))
		rc = weft_err_setc(err, WEFT_ECONFLICT,
		                   "store %s: %s: not the leader any more (the leader key changed: "
		                   "fenced)",
		                   st->url, what);
	json_decref(resp);
	return rc;
}

static int ests_get_meta(void *impl, const char *key, char **value, weft_err *err)
{
	struct ests *st = impl;
	char *k = meta_key(st, key);
	json_t *range = k ? etcd_range_req(k, NULL) : NULL;
	free(k);
	json_t *resp = NULL;
	int rc = range ? etcd_post(st->cl, "/v3/kv/range", range, &resp, err)
	               : weft_err_set(err, "out of memory");
	json_decref(range);
	if (rc) {
		weft_err_prefix(err, "store %s: get_meta '%.120s'", st->url, key);
		return rc;
	}
	json_t *kv = json_array_get(json_object_get(resp, "kvs"), 0);
	if (kv) {
		*value = etcd_kv_value(kv);
		if (!*value)
			rc = weft_err_set(err, "store %s: get_meta '%.120s': bad base64 from etcd",
			                  st->url, key);
	}
	json_decref(resp);
	return rc;
}

const struct weft_store_ops weft_store_etcd_ops = {
        .scheme = "etcd",
        .open = ests_open,
        .close = ests_close,
        .describe = ests_describe,
        .head = ests_head,
        .commit = ests_commit,
        .load = ests_load,
        .history = ests_history,
        .set_retention = ests_set_retention,
        .put_meta = ests_put_meta,
        .get_meta = ests_get_meta,
        .watch_start = ests_watch_start,
        .watch_stop = ests_watch_stop,
        .elect_start = ests_elect_start,
        .elect_stop = ests_elect_stop,
        .elect_state = ests_elect_state,
};
