/* A small client of etcd's v3 HTTP/JSON gateway (POST /v3/kv/range,
 * /v3/kv/txn, /v3/auth/authenticate) on libcurl and jansson, used by the
 * etcd store backend (store_etcd*.c). It knows HTTP, endpoints, TLS, the
 * auth token and the gateway's JSON conventions (keys and values base64,
 * int64 as strings, zero-valued fields left out); it knows nothing of
 * weft's key layout. One client belongs to one thread (like the store).
 * See docs/store.md ("etcd backend"). */
#ifndef WEFT_ETCD_HTTP_H
#define WEFT_ETCD_HTTP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "store.h"

struct etcd_client;

/* hosts: "HOST:PORT[,HOST:PORT...]". opts may be NULL (plain HTTP, no
 * auth); with a CA, client certificate or key the endpoints are HTTPS.
 * Credentials come from opts->credentials_file ("USER:PASSWORD" on its
 * first line) or the environment (WEFT_STORE_USER, WEFT_STORE_PASSWORD).
 * NULL with err ("...: <what>", no "store" prefix) on failure. */
struct etcd_client *etcd_client_new(const char *hosts, const weft_store_opts *opts, weft_err *err);
void etcd_client_free(struct etcd_client *cl);

/* POSTs req (borrowed) to path ("/v3/kv/txn") and parses the reply into
 * *resp (new reference). An endpoint that refuses the connection (nothing
 * was sent) is skipped for the next one, and so is one that fails in any
 * way for a request that only reads (ranges, read-only transactions,
 * lease renewals); any other failure of a write is returned, as the write
 * may have been applied. Errors: the endpoint and what failed,
 * etcd's own message for a gateway error ("etcdserver: ..."). An expired
 * auth token is renewed once. */
int etcd_post(struct etcd_client *cl, const char *path, json_t *req, json_t **resp, weft_err *err);

/* Per-request timeout (default 30 s): the election keeps its requests
 * shorter than the lease. */
void etcd_client_set_timeout(struct etcd_client *cl, long timeout_ms);
/* A request that only reads and gets HTTP 503 from etcd ("leader changed",
 * "no leader": etcd electing its own leader) is sent again every 100 ms for
 * up to max_ms (default 0). Not for the election: its requests must stay
 * shorter than the lease. */
void etcd_client_set_unavailable_retry(struct etcd_client *cl, long max_ms);

/* A streaming POST (/v3/watch): on_msg(arg, msg) for every JSON object of
 * the reply (msg borrowed); returns when the server ends the stream, on an
 * error, when on_msg returns non-zero, or when *stop becomes non-zero
 * (checked about once a second). 0 when it ended without an error. */
int etcd_stream(struct etcd_client *cl, const char *path, json_t *req,
                int (*on_msg)(void *arg, json_t *msg), void *arg, volatile int *stop,
                weft_err *err);

/* Base64 of len bytes (malloc'd, NUL-terminated). */
char *etcd_b64(const char *data, size_t len);
/* Decodes base64 (malloc'd, NUL-terminated, *len without the NUL); NULL on
 * bad input. */
char *etcd_unb64(const char *b64, size_t *len);

/* The gateway's int64 fields are strings ("12"), absent when zero. */
int64_t etcd_int(const json_t *obj, const char *field);

/* JSON helpers for requests: {"key": b64(key)} with optional range_end
 * (NULL: a single key; "" -> the end of the key's prefix range). */
json_t *etcd_range_req(const char *key, const char *range_end);
/* The smallest key greater than every key starting with prefix. */
char *etcd_prefix_end(const char *prefix);
/* response_range.kvs of txn response i, or NULL. */
json_t *etcd_txn_kvs(json_t *txn_resp, size_t i);
/* Value of a kv (decoded, malloc'd) or NULL. */
char *etcd_kv_value(const json_t *kv);

#endif
