/* The F5 adapter's session to one BIG-IP: a libcurl easy handle kept open
 * (HTTP keep-alive), TLS verified against the Device's tls.caFile (only
 * tls.insecure turns verification off), token authentication and the
 * retry policy. One session per device worker thread: at most one request
 * (so at most one write) in flight per device.
 *
 * Auth: POST /mgmt/shared/authn/login {username, password,
 * loginProviderName: tmos} -> token.token sent as X-F5-Auth-Token. The
 * token is renewed by a new login when less than a tenth of its lifetime
 * (and at most 60 s) is left, and on a 401 (then the request is retried
 * once). The password comes from credentials.file (first line) or
 * credentials.env, read at open and never logged.
 *
 * Retries: 503 (restjavad restarting), 404 "not registered" (restjavad
 * still starting its workers), 500 "connection to mcpd has been lost" and
 * connection failures are retried with exponential backoff (100 ms
 * doubling to 2 s, with +-50% jitter), at most 8 tries and never beyond the
 * device timeout (connection.timeout, default 30 s) in total. */
#ifndef WEFT_F5_HTTP_H
#define WEFT_F5_HTTP_H

#include <jansson.h>
#include <stddef.h>

#include "diag.h"
#include "f5_model.h"
#include "resource-t.h"

struct f5_session {
	char device[300]; /* "ns/name" for messages */
	char base[600];   /* "https://host:port" */
	char user[128];
	char *password;
	char ca_file[1024];
	int insecure;
	long long timeout_ms;
	void *curl; /* CURL * */
	char token[512];
	long long token_expiry_ms, token_life_ms;
	/* Counters since open (for tests and benchmarks). */
	size_t calls, logins, bytes_sent, bytes_received, retries;
	/* Observe cache: the partition as last read or committed. */
	char partition[256];
	struct f5_config *cache;
	long long cache_read_ms; /* when it was last read in full */
	long long resync_ms;     /* read in full when older than this */
};

/* Opens a session for a Device resource (reads the password; no network
 * traffic until the first request). 0 or -1 with err. */
int f5_session_open(const weft_resource *dev, struct f5_session **out, weft_err *err);
void f5_session_close(struct f5_session *s);

/* One iControl REST request. body may be NULL; trans_id may be NULL or a
 * transaction id (X-F5-REST-Coordination-Id). On HTTP 2xx returns 0 with
 * *out the parsed answer (NULL when empty; caller decrefs; out may be
 * NULL). Otherwise -1 with err "device D: METHOD URI: STATUS message" and
 * *status (when not NULL) set to the HTTP status (0: no answer). */
int f5_request(struct f5_session *s, const char *method, const char *uri, json_t *body,
               const char *trans_id, json_t **out, long *status, weft_err *err);

/* Monotonic milliseconds. */
long long f5_now_ms(void);

#endif
