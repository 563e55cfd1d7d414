/* The store: every accepted change becomes one atomic revision (author,
 * time, message, full content). Callers validate BEFORE committing: the
 * store never holds a policy that does not compile. Behind an ops table so
 * that backends are interchangeable for callers: the embedded default is
 * SQLite in WAL mode (store_sqlite*.c), the shared one etcd (store_etcd*.c).
 *
 * Revisions are numbered 1, 2, 3...; revision 0 means "empty / none".
 * Restoring an old revision is done by the caller as a new revision whose
 * content is the old one's (history is append-only). */
#ifndef WEFT_STORE_H
#define WEFT_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "resource-t.h"

/* A resource as stored: its identity, canonical JSON and origin. */
typedef struct weft_stored {
	weft_kind kind;
	char *ns;
	char *name;
	char *json;
	char *file;
	int line;
} weft_stored;

typedef struct weft_revision_info {
	int64_t rev;
	int64_t time_ms; /* unix time in milliseconds */
	char *author;
	char *message;
	size_t resources; /* how many resources the revision holds */
	size_t changed;   /* how many it changed (upserts + deletes) */
} weft_revision_info;

typedef struct weft_store weft_store;

/* How to reach a networked backend (etcd); the SQLite backend refuses any
 * of them. Every field may be NULL. */
typedef struct weft_store_opts {
	const char *ca_file;          /* PEM CA bundle: endpoints are HTTPS */
	const char *cert_file;        /* client certificate (PEM), with key_file */
	const char *key_file;         /* client key (PEM) */
	const char *credentials_file; /* "USER:PASSWORD" (else WEFT_STORE_USER and
	                               * WEFT_STORE_PASSWORD from the environment) */
} weft_store_opts;

/* Opens (creating if needed) a store. url: "sqlite:PATH_TO_DIR" or a plain
 * directory path (SQLite file DIR/weft.db), or
 * "etcd://HOST:PORT[,HOST:PORT...][/PREFIX]" (docs/store.md). NULL with err
 * on failure. */
weft_store *weft_store_open(const char *url, weft_err *err);
/* The same with connection options (opts may be NULL). */
weft_store *weft_store_open_opts(const char *url, const weft_store_opts *opts, weft_err *err);
void weft_store_close(weft_store *s);

/* The newest revision number (0 when empty). SQLite: cached (one writer).
 * etcd: asked of etcd (other processes write); when etcd cannot be reached,
 * the last head this store saw -- a commit against it then fails as a
 * conflict or an error, never silently. */
int64_t weft_store_head(weft_store *s);

/* Commits one revision: upserts (replace by key) and deletes applied to the
 * head's content, atomically. expected_rev >= 0 must equal the head, else
 * WEFT_ECONFLICT ("expected revision 4, store is at 5"); -1 skips the check.
 * *new_rev receives the revision number. A crash at any moment leaves the
 * store at the old or the new revision, never between. */
int weft_store_commit(weft_store *s, int64_t expected_rev, const char *author, const char *message,
                      const weft_stored *upserts, size_t n_upserts, const weft_key *deletes,
                      size_t n_deletes, int64_t *new_rev, weft_err *err);

/* Content of a revision (0 = head): a malloc'd array sorted by key; free with
 * weft_stored_free_array. WEFT_ENOTFOUND for a pruned or unknown revision. */
int weft_store_load(weft_store *s, int64_t rev, weft_stored **out, size_t *n, weft_err *err);
void weft_stored_free_array(weft_stored *items, size_t n);

/* Newest first, at most limit entries (0 = all kept). Free with
 * weft_revision_info_free_array. */
int weft_store_history(weft_store *s, size_t limit, weft_revision_info **out, size_t *n,
                       weft_err *err);
void weft_revision_info_free_array(weft_revision_info *items, size_t n);

/* How many revisions to keep (older ones are pruned at the next commit);
 * 0 keeps all. Default 100. */
void weft_store_set_retention(weft_store *s, size_t keep);

/* Small key/value records beside revisions (per-device last applied
 * revision, transaction records...). Committed atomically on their own. */
int weft_store_put_meta(weft_store *s, const char *key, const char *value, weft_err *err);
/* *value is malloc'd, or NULL when missing (returns 0 either way). */
int weft_store_get_meta(weft_store *s, const char *key, char **value, weft_err *err);

/* ---- Several processes on one store (etcd; docs/ha.md) ----
 * Both need a backend that others can write (etcd): the SQLite backend has
 * one writer, so they fail there with WEFT_EINVALID. Both run a thread of
 * their own with their own connection; the store itself stays on its
 * thread. */

typedef struct weft_store_watch weft_store_watch;
/* fn(arg) is called from the watch's thread after every change of the head
 * by any process, and after every (re)connection of the watch (changes
 * during a disconnection are not replayed: fn reloads the head). */
weft_store_watch *weft_store_watch_head(weft_store *s, void (*fn)(void *arg), void *arg,
                                        weft_err *err);
void weft_store_watch_stop(weft_store_watch *w);

typedef struct weft_store_election weft_store_election;
/* Campaigns for leadership as name, on a lease of ttl_ms (etcd rounds it up
 * to whole seconds, at least 2 s). fn(arg, leader) is called from the
 * election's thread whenever this process becomes or stops being the
 * leader. The leader renews its lease every ttl/4; when it has not renewed
 * for ttl/2 it steps down (fn(arg, 0)) before the lease can expire at etcd.
 * While an election exists, the store's meta writes (weft_store_put_meta:
 * device state, transaction records) are fenced: one etcd transaction that
 * succeeds only while this process's leader key is the current one, else
 * WEFT_ECONFLICT ("not the leader"). */
weft_store_election *weft_store_elect(weft_store *s, const char *name, int64_t ttl_ms,
                                      void (*fn)(void *arg, int leader), void *arg, weft_err *err);
/* Resigns (revokes the lease, so another replica takes over at once). */
void weft_store_elect_stop(weft_store_election *e);
/* The election's view: whether this process leads, the current leader's
 * name ("" when none is known) and the lease TTL etcd granted. */
void weft_store_elect_state(weft_store_election *e, int *leader, char *leader_name, size_t cap,
                            int64_t *lease_ttl_ms);

#endif
