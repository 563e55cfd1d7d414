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

#endif
