/* The store dispatcher: picks a backend from the URL and forwards every call
 * of store.h through its ops table (store_backend.h). It also checks what is
 * the same for every backend -- pointers, kinds in range, a key appearing
 * twice in one commit -- so that backends only implement storage.
 *
 * In the data flow of docs/architecture.md this is the "store (rev N)" box: the
 * northbound (policy files, REST API, weftctl) commits validated content
 * here, and the controller loads revisions from here to compile snapshots.
 *
 * URLs: "sqlite:DIR", "sqlite:///abs/dir" or a plain directory path select
 * the embedded SQLite backend; "scheme://..." selects the backend named
 * scheme: "etcd://HOST:PORT[,...][/PREFIX]" selects the etcd backend. */
#include "store_backend.h"

#include <stdlib.h>
#include <string.h>

#include "resource.h"

struct weft_store {
	const struct weft_store_ops *ops;
	void *impl;
};

static const struct weft_store_ops *const backends[] = {
        &weft_store_sqlite_ops,
        &weft_store_etcd_ops,
};

#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

static const struct weft_store_ops *backend_by_scheme(const char *scheme, size_t len)
{
	for (size_t i = 0; i < N_BACKENDS; i++)
		if (strlen(backends[i]->scheme) == len &&
		    !strncmp(backends[i]->scheme, scheme, len))
			return backends[i];
	return NULL;
}

/* Length of a "scheme://" prefix's scheme (RFC 3986 letters), or 0. */
static size_t url_scheme_len(const char *url)
{
	size_t i = 0;
	while (url[i] && ((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
	                  (i > 0 && ((url[i] >= '0' && url[i] <= '9') || url[i] == '+' ||
	                             url[i] == '-' || url[i] == '.'))))
		i++;
	return (i > 0 && !strncmp(url + i, "://", 3)) ? i : 0;
}

weft_store *weft_store_open(const char *url, weft_err *err)
{
	return weft_store_open_opts(url, NULL, err);
}

weft_store *weft_store_open_opts(const char *url, const weft_store_opts *opts, weft_err *err)
{
	if (!url || !*url) {
		weft_err_setc(err, WEFT_EINVALID, "store: open: empty store URL");
		return NULL;
	}
	const struct weft_store_ops *ops = &weft_store_sqlite_ops;
	const char *location = url;
	size_t slen = url_scheme_len(url);
	if (!strncmp(url, "sqlite:", 7)) {
		location = url + 7;
		if (!strncmp(location, "///", 3))
			location += 2; /* sqlite:///abs/dir -> /abs/dir */
	} else if (slen) {
		ops = backend_by_scheme(url, slen);
		if (!ops) {
			weft_err_setc(err, WEFT_EINVALID,
			              "store %s: open: no '%.*s' backend in this build "
			              "(available: sqlite:DIR or a directory path)",
			              url, (int)slen, url);
			return NULL;
		}
		location = url + slen + 3;
	}
	if (!*location) {
		weft_err_setc(err, WEFT_EINVALID, "store %s: open: no location after the scheme",
		              url);
		return NULL;
	}
	weft_store *s = calloc(1, sizeof(*s));
	if (!s) {
		weft_err_set(err, "store %s: open: out of memory", url);
		return NULL;
	}
	s->ops = ops;
	s->impl = ops->open(location, opts, err);
	if (!s->impl) {
		free(s);
		return NULL;
	}
	return s;
}

void weft_store_close(weft_store *s)
{
	if (!s)
		return;
	s->ops->close(s->impl);
	free(s);
}

int64_t weft_store_head(weft_store *s)
{
	return s ? s->ops->head(s->impl) : 0;
}

/* What is wrong with one key, or NULL. */
static const char *key_problem(const weft_key *k)
{
	if ((unsigned)k->kind >= WEFT_KIND_COUNT)
		return "kind out of range";
	if (!k->ns || !*k->ns)
		return "empty namespace";
	if (!k->name || !*k->name)
		return "empty name";
	return NULL;
}

struct tagged_key {
	weft_key key;
	int is_delete;
};

static int tagged_key_cmp(const void *a, const void *b)
{
	return weft_key_cmp(&((const struct tagged_key *)a)->key,
	                    &((const struct tagged_key *)b)->key);
}

/* Rejects a key that appears twice in one commit (upsert+upsert,
 * upsert+delete, delete+delete): the outcome would depend on order. */
static int check_duplicates(weft_store *s, const weft_stored *upserts, size_t n_upserts,
                            const weft_key *deletes, size_t n_deletes, weft_err *err)
{
	size_t n = n_upserts + n_deletes;
	if (n < 2)
		return 0;
	struct tagged_key *keys = malloc(n * sizeof(*keys));
	if (!keys)
		return weft_err_set(err, "store %s: commit: out of memory",
		                    s->ops->describe(s->impl));
	for (size_t i = 0; i < n_upserts; i++) {
		keys[i].key = (weft_key){upserts[i].kind, upserts[i].ns, upserts[i].name};
		keys[i].is_delete = 0;
	}
	for (size_t i = 0; i < n_deletes; i++) {
		keys[n_upserts + i].key = deletes[i];
		keys[n_upserts + i].is_delete = 1;
	}
	qsort(keys, n, sizeof(*keys), tagged_key_cmp);
	int rc = 0;
	for (size_t i = 1; i < n && !rc; i++) {
		if (tagged_key_cmp(&keys[i - 1], &keys[i]))
			continue;
		const char *how = keys[i - 1].is_delete != keys[i].is_delete
		                          ? "upserted and deleted"
		                  : keys[i].is_delete ? "deleted twice"
		                                      : "upserted twice";
		rc = weft_err_setc(err, WEFT_EINVALID,
		                   "store %s: commit: %s %s/%s is %s in one commit",
		                   s->ops->describe(s->impl), weft_kind_name(keys[i].key.kind),
		                   keys[i].key.ns, keys[i].key.name, how);
	}
	free(keys);
	return rc;
}

static int check_commit_args(weft_store *s, int64_t expected_rev, const weft_stored *upserts,
                             size_t n_upserts, const weft_key *deletes, size_t n_deletes,
                             weft_err *err)
{
	const char *where = s->ops->describe(s->impl);
	if (expected_rev < -1)
		return weft_err_setc(err, WEFT_EINVALID,
		                     "store %s: commit: expected revision %lld is not >= -1", where,
		                     (long long)expected_rev);
	if ((n_upserts && !upserts) || (n_deletes && !deletes))
		return weft_err_setc(err, WEFT_EINVALID, "store %s: commit: NULL change array",
		                     where);
	for (size_t i = 0; i < n_upserts; i++) {
		weft_key k = {upserts[i].kind, upserts[i].ns, upserts[i].name};
		const char *why = key_problem(&k);
		if (!why && (!upserts[i].json || !*upserts[i].json))
			why = "empty JSON";
		if (why)
			return weft_err_setc(err, WEFT_EINVALID,
			                     "store %s: commit: upsert[%zu]: %s", where, i, why);
	}
	for (size_t i = 0; i < n_deletes; i++) {
		const char *why = key_problem(&deletes[i]);
		if (why)
			return weft_err_setc(err, WEFT_EINVALID,
			                     "store %s: commit: delete[%zu]: %s", where, i, why);
	}
	return check_duplicates(s, upserts, n_upserts, deletes, n_deletes, err);
}

int weft_store_commit(weft_store *s, int64_t expected_rev, const char *author, const char *message,
                      const weft_stored *upserts, size_t n_upserts, const weft_key *deletes,
                      size_t n_deletes, int64_t *new_rev, weft_err *err)
{
	if (!s)
		return weft_err_setc(err, WEFT_EINVALID, "store: commit: no store");
	int rc = check_commit_args(s, expected_rev, upserts, n_upserts, deletes, n_deletes, err);
	if (rc)
		return rc;
	int64_t rev = 0;
	rc = s->ops->commit(s->impl, expected_rev, author ? author : "", message ? message : "",
	                    upserts, n_upserts, deletes, n_deletes, &rev, err);
	if (!rc && new_rev)
		*new_rev = rev;
	return rc;
}

int weft_store_load(weft_store *s, int64_t rev, weft_stored **out, size_t *n, weft_err *err)
{
	if (!s || !out || !n)
		return weft_err_setc(err, WEFT_EINVALID, "store: load: NULL argument");
	*out = NULL;
	*n = 0;
	return s->ops->load(s->impl, rev, out, n, err);
}

int weft_store_history(weft_store *s, size_t limit, weft_revision_info **out, size_t *n,
                       weft_err *err)
{
	if (!s || !out || !n)
		return weft_err_setc(err, WEFT_EINVALID, "store: history: NULL argument");
	*out = NULL;
	*n = 0;
	return s->ops->history(s->impl, limit, out, n, err);
}

void weft_store_set_retention(weft_store *s, size_t keep)
{
	if (s)
		s->ops->set_retention(s->impl, keep);
}

int weft_store_put_meta(weft_store *s, const char *key, const char *value, weft_err *err)
{
	if (!s)
		return weft_err_setc(err, WEFT_EINVALID, "store: put_meta: no store");
	if (!key || !*key)
		return weft_err_setc(err, WEFT_EINVALID, "store %s: put_meta: empty key",
		                     s->ops->describe(s->impl));
	return s->ops->put_meta(s->impl, key, value, err);
}

int weft_store_get_meta(weft_store *s, const char *key, char **value, weft_err *err)
{
	if (!s || !value)
		return weft_err_setc(err, WEFT_EINVALID, "store: get_meta: NULL argument");
	*value = NULL;
	if (!key || !*key)
		return weft_err_setc(err, WEFT_EINVALID, "store %s: get_meta: empty key",
		                     s->ops->describe(s->impl));
	return s->ops->get_meta(s->impl, key, value, err);
}

void weft_stored_free_array(weft_stored *items, size_t n)
{
	if (!items)
		return;
	for (size_t i = 0; i < n; i++) {
		free(items[i].ns);
		free(items[i].name);
		free(items[i].json);
		free(items[i].file);
	}
	free(items);
}

void weft_revision_info_free_array(weft_revision_info *items, size_t n)
{
	if (!items)
		return;
	for (size_t i = 0; i < n; i++) {
		free(items[i].author);
		free(items[i].message);
	}
	free(items);
}

struct weft_store_watch {
	const struct weft_store_ops *ops;
	void *impl;
};

struct weft_store_election {
	const struct weft_store_ops *ops;
	void *impl;
};

weft_store_watch *weft_store_watch_head(weft_store *s, void (*fn)(void *arg), void *arg,
                                        weft_err *err)
{
	if (!s || !fn) {
		weft_err_setc(err, WEFT_EINVALID, "store: watch: NULL argument");
		return NULL;
	}
	if (!s->ops->watch_start) {
		weft_err_setc(err, WEFT_EINVALID,
		              "store %s: watch: this backend has one writer (use etcd to share a "
		              "store between processes)",
		              s->ops->describe(s->impl));
		return NULL;
	}
	weft_store_watch *w = calloc(1, sizeof(*w));
	if (!w) {
		weft_err_set(err, "store: watch: out of memory");
		return NULL;
	}
	w->ops = s->ops;
	w->impl = s->ops->watch_start(s->impl, fn, arg, err);
	if (!w->impl) {
		free(w);
		return NULL;
	}
	return w;
}

void weft_store_watch_stop(weft_store_watch *w)
{
	if (!w)
		return;
	w->ops->watch_stop(w->impl);
	free(w);
}

weft_store_election *weft_store_elect(weft_store *s, const char *name, int64_t ttl_ms,
                                      void (*fn)(void *arg, int leader), void *arg, weft_err *err)
{
	if (!s || !fn || !name || !*name || ttl_ms <= 0) {
		weft_err_setc(err, WEFT_EINVALID,
		              "store: elect: a name, a TTL and a callback are "
		              "required");
		return NULL;
	}
	if (!s->ops->elect_start) {
		weft_err_setc(err, WEFT_EINVALID,
		              "store %s: elect: this backend has one writer (use etcd for "
		              "replicas)",
		              s->ops->describe(s->impl));
		return NULL;
	}
	weft_store_election *e = calloc(1, sizeof(*e));
	if (!e) {
		weft_err_set(err, "store: elect: out of memory");
		return NULL;
	}
	e->ops = s->ops;
	e->impl = s->ops->elect_start(s->impl, name, ttl_ms, fn, arg, err);
	if (!e->impl) {
		free(e);
		return NULL;
	}
	return e;
}

void weft_store_elect_stop(weft_store_election *e)
{
	if (!e)
		return;
	e->ops->elect_stop(e->impl);
	free(e);
}

void weft_store_elect_state(weft_store_election *e, int *leader, char *leader_name, size_t cap,
                            int64_t *lease_ttl_ms)
{
	if (e)
		e->ops->elect_state(e->impl, leader, leader_name, cap, lease_ttl_ms);
}
