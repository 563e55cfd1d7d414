/* Internal to the etcd backend of the store (store_etcd*.c). The HTTP part
 * is etcd_http.c; this is weft's key layout on top of it.
 *
 * Keys under PREFIX (default "/weft"; docs/store.md "etcd backend"):
 *   PREFIX/format                 "1": the layout version
 *   PREFIX/head                   {"rev":N,"resources":M}; every commit is
 *                                 an etcd transaction comparing this key's
 *                                 mod_revision with the one it read
 *   PREFIX/rev/<rev %020>         {"time_ms","author","message","resources","changed"}
 *   PREFIX/live/KIND/NS/NAME      the head's version of a resource:
 *                                 {"kind","ns","name","json","file","line","from"}
 *   PREFIX/old/<rev_to %020>/KIND/NS/NAME
 *                                 a version closed (replaced or deleted) by
 *                                 revision rev_to, same value
 *   PREFIX/meta/KEY               meta records (raw value)
 * The content of revision R is every live version with from <= R plus
 * every old one with from <= R < rev_to: the same MVCC rule as the SQLite
 * rows, with rev_to in the key so that pruning is one delete_range. NS and
 * NAME escape '%' and '/' (%25, %2F) so a key names one resource. */
#ifndef WEFT_STORE_ETCD_H
#define WEFT_STORE_ETCD_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "diag.h"
#include "etcd_http.h"
#include "store.h"

#define WEFT_ETCD_FORMAT            "1"
#define WEFT_ETCD_DEFAULT_PREFIX    "/weft"
#define WEFT_ETCD_DEFAULT_RETENTION 100

struct ests {
	struct etcd_client *cl;
	/* For the watch's and the election's own connections. */
	char *hosts;
	char *ca, *cert, *key, *credentials;
	/* Fencing (store_etcd_ha.c): while an election exists, meta writes
	 * must find PREFIX/leader created at fence_rev (0: not the leader). */
	pthread_mutex_t fence_mu;
	int fenced;
	int64_t fence_rev;
	char *url;    /* "etcd://HOSTS/PREFIX": named in every message */
	char *prefix; /* no trailing '/' */
	int64_t head; /* the last head seen (see weft_store_head in store.h) */
	size_t keep;  /* retention, 0 = all */
};

/* PREFIX + "/" + suffix (malloc'd). */
char *ests_key(const struct ests *st, const char *suffix);
/* PREFIX/live/KIND/NS/NAME or PREFIX/old/<rev_to>/KIND/NS/NAME (rev_to 0:
 * live). */
char *ests_res_key(const struct ests *st, int64_t rev_to, weft_kind kind, const char *ns,
                   const char *name);
/* PREFIX/rev/<rev %020>. */
char *ests_rev_key(const struct ests *st, int64_t rev);
/* Reads the head key from a kvs array (NULL: empty store). 0, or -1 when
 * its value does not parse (err set). */
int ests_parse_head(struct ests *st, json_t *kvs, int64_t *rev, int64_t *resources,
                    int64_t *mod_revision, weft_err *err, const char *op);
/* {"request_put":{"key","value"}} */
json_t *ests_put_op(const char *key, const char *value);
/* {"request_delete_range":{"key","range_end"?}} */
json_t *ests_delete_op(const char *key, const char *range_end);
/* {"request_range": range} (range stolen). */
json_t *ests_range_op(json_t *range);
/* etcd_post(/v3/kv/txn) with "store URL: op: " before a failure's message. */
int ests_txn(struct ests *st, json_t *req, json_t **resp, weft_err *err, const char *op);

/* store_etcd_commit.c */
int ests_commit(void *impl, int64_t expected_rev, const char *author, const char *message,
                const weft_stored *upserts, size_t n_upserts, const weft_key *deletes,
                size_t n_deletes, int64_t *new_rev, weft_err *err);

/* store_etcd_ha.c: store.h's watch and election (ops table entries), and
 * the compare that fences meta writes (NULL when not fenced; *refuse set
 * when this process is fenced out). */
void *ests_watch_start(void *impl, void (*fn)(void *arg), void *arg, weft_err *err);
void ests_watch_stop(void *watch);
void *ests_elect_start(void *impl, const char *name, int64_t ttl_ms,
                       void (*fn)(void *arg, int leader), void *arg, weft_err *err);
void ests_elect_stop(void *election);
void ests_elect_state(void *election, int *leader, char *leader_name, size_t cap,
                      int64_t *lease_ttl_ms);
json_t *ests_fence_compare(struct ests *st, int *refuse);
/* A new connection to the same etcd with the same options. */
struct etcd_client *ests_new_client(struct ests *st, weft_err *err);

/* store_etcd_read.c */
int ests_load(void *impl, int64_t rev, weft_stored **out, size_t *n, weft_err *err);
int ests_history(void *impl, size_t limit, weft_revision_info **out, size_t *n, weft_err *err);
/* A resource version's value -> weft_stored (strings copied). 0, or -1. */
int ests_parse_version(const char *value, weft_stored *out, int64_t *from);

#endif
