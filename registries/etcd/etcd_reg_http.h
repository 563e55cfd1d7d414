/* The etcd registry backend's own small client of etcd's v3 HTTP/JSON
 * gateway (libcurl): one POST with a JSON reply, one streaming POST
 * (/v3/watch) delivering each JSON object of the reply, and base64 (the
 * gateway's encoding of keys and values). One client per thread; it knows
 * one address at a time (the backend rotates them). docs/registries.md. */
#ifndef WEFT_ETCD_REG_HTTP_H
#define WEFT_ETCD_REG_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "diag.h"

typedef struct ereg_http ereg_http;

ereg_http *ereg_http_new(void);
void ereg_http_free(ereg_http *h);

/* POSTs req to http://addr/path; *resp is the parsed reply (new
 * reference). -1 with err naming addr on a transport error, an HTTP
 * status other than 200 or a reply that is not JSON. */
int ereg_post(ereg_http *h, const char *addr, const char *path, json_t *req, json_t **resp,
              weft_err *err);

/* Streaming POST: on_msg(arg, msg) for every JSON object of the reply (msg
 * borrowed). Returns when the server ends the stream (-1, "stream ended"),
 * on a transport error (-1), when on_msg returns non-zero (0), or when
 * *stop is set (0; checked about every 100 ms). */
int ereg_stream(ereg_http *h, const char *addr, const char *path, json_t *req,
                int (*on_msg)(void *arg, json_t *msg), void *arg, volatile int *stop,
                weft_err *err);

/* Base64 of len bytes (malloc'd, NUL-terminated). */
char *ereg_b64(const char *data, size_t len);
/* Decodes base64 (malloc'd, NUL-terminated, *len without the NUL); NULL on
 * bad input. */
char *ereg_unb64(const char *b64, size_t *len);

#endif
