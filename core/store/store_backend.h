/* Internal contract between the store dispatcher (store.c) and its backends
 * (store_sqlite*.c, store_etcd*.c). Not installed, not included
 * by anything outside core/store/.
 *
 * store.c owns argument checking that is the same for every backend (NULL
 * pointers, kinds in range, duplicate keys within one commit), so a backend
 * receives only well-formed requests and implements storage semantics:
 * atomic revisions, optimistic concurrency, retention, meta records. Every
 * error a backend returns must name its location (path or endpoint) and the
 * operation, e.g. "store /var/lib/weft/weft.db: commit: ...". */
#ifndef WEFT_STORE_BACKEND_H
#define WEFT_STORE_BACKEND_H

#include "store.h"

struct weft_store_ops {
	/* URL scheme this backend serves ("sqlite"). */
	const char *scheme;
	/* location: the URL with "scheme:" (or "scheme://") removed; opts may
	 * be NULL. Returns the backend's
	 * state (passed back as impl below) or NULL with err set. */
	void *(*open)(const char *location, const weft_store_opts *opts, weft_err *err);
	void (*close)(void *impl);
	/* Where the store lives, for messages ("/var/lib/weft/weft.db"). */
	const char *(*describe)(void *impl);
	/* The semantics of each function are those of store.h. */
	int64_t (*head)(void *impl);
	int (*commit)(void *impl, int64_t expected_rev, const char *author, const char *message,
	              const weft_stored *upserts, size_t n_upserts, const weft_key *deletes,
	              size_t n_deletes, int64_t *new_rev, weft_err *err);
	int (*load)(void *impl, int64_t rev, weft_stored **out, size_t *n, weft_err *err);
	int (*history)(void *impl, size_t limit, weft_revision_info **out, size_t *n,
	               weft_err *err);
	void (*set_retention)(void *impl, size_t keep);
	/* value NULL deletes the key. */
	int (*put_meta)(void *impl, const char *key, const char *value, weft_err *err);
	int (*get_meta)(void *impl, const char *key, char **value, weft_err *err);
	/* Optional (NULL: one writer, nothing to follow or elect): store.h's
	 * weft_store_watch_head and weft_store_elect. */
	void *(*watch_start)(void *impl, void (*fn)(void *arg), void *arg, weft_err *err);
	void (*watch_stop)(void *watch);
	void *(*elect_start)(void *impl, const char *name, int64_t ttl_ms,
	                     void (*fn)(void *arg, int leader), void *arg, weft_err *err);
	void (*elect_stop)(void *election);
	void (*elect_state)(void *election, int *leader, char *leader_name, size_t cap,
	                    int64_t *lease_ttl_ms);
};

/* The SQLite backend (store_sqlite.c). */
extern const struct weft_store_ops weft_store_sqlite_ops;
/* The etcd backend (store_etcd.c). */
extern const struct weft_store_ops weft_store_etcd_ops;

#endif
