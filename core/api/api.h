/* The northbound REST API server (libmicrohttpd, a thread per connection;
 * JSON via jansson). It turns HTTP requests into controller calls
 * (controller.h) and controller results into JSON responses; it holds no
 * policy state of its own. Routes, bodies and status codes are documented
 * in docs/api.md.
 *
 * Layers inside core/api/ (each unit-testable without a socket):
 *   api_route.c     method + path -> route and path parameters
 *   api_auth.c      bearer tokens file, roles, constant-time comparison
 *   api_body.c      request bodies -> documents; diagnostics -> JSON errors
 *   api_read.c      GET handlers        api_write.c  POST/PUT/DELETE handlers
 *   api_dispatch.c  auth + route + handler + counters for one request
 *   api_metrics.c   request counters per route and status (Prometheus)
 *   api_server.c    listening socket, TLS, MHD callbacks, graceful stop
 *   api_conns.c     connection guard: header deadline, unauthenticated
 *                   share of the pool, rate-limited refusal lines
 *                   (limits: docs/security.md)
 *   watch.c         the --policy directory watch (inotify)
 *   log.c           structured logs */
#ifndef WEFT_API_H
#define WEFT_API_H

#include <stddef.h>

#include "controller.h"
#include "diag.h"
#include "log.h"
#include "snapshot.h"

/* Default listen address of weftd, and default server of weftctl. */
#define WEFT_API_DEFAULT_LISTEN "127.0.0.1:7070"
/* Default bound on request bodies (larger -> 413). */
#define WEFT_API_DEFAULT_MAX_BODY ((size_t)16 << 20)
/* Connection limits (docs/security.md): connections in all, and from one
 * client IP address; beyond them a new connection is closed at once. */
#define WEFT_API_DEFAULT_MAX_CONNECTIONS    512u
#define WEFT_API_DEFAULT_PER_IP_CONNECTIONS 64u
/* Idle timeouts in seconds: a connection that sends nothing for this long
 * is closed. HEADER applies until a request's headers are complete and
 * accepted (and to /healthz and refused requests), IDLE once a request has
 * passed authentication (its body, its handler, keep-alive after it). */
#define WEFT_API_HEADER_TIMEOUT_S 10u
#define WEFT_API_IDLE_TIMEOUT_S   60u

/* Bearer tokens, loaded from a file of lines `TOKEN ROLE [NAME]` (blank
 * lines and lines starting with '#' skipped). Roles: admin (everything),
 * viewer (GET/HEAD only, without a body). NAME is the author recorded for writes (default: the
 * role). */
typedef struct weft_api_tokens weft_api_tokens;

typedef enum weft_api_role {
	WEFT_ROLE_NONE = 0, /* not authenticated */
	WEFT_ROLE_VIEWER,
	WEFT_ROLE_ADMIN,
} weft_api_role;

/* Loads a tokens file. NULL with err naming file:line on a bad line, an
 * unknown role, a duplicate or a too short token (< 16 characters). */
weft_api_tokens *weft_api_tokens_load(const char *path, weft_err *err);
void weft_api_tokens_free(weft_api_tokens *t);
size_t weft_api_tokens_count(const weft_api_tokens *t);
/* Checks a presented token against every entry in constant time (does not
 * stop at the first match). Returns the role (WEFT_ROLE_NONE when unknown)
 * and, when name is not NULL, the entry's name (owned by t). */
weft_api_role weft_api_tokens_check(const weft_api_tokens *t, const char *token, size_t len,
                                    const char **name);

typedef struct weft_api_opts {
	const char *listen;   /* "HOST:PORT" or "[V6]:PORT"; NULL = default.
	                       * PORT 0 picks a free port (see weft_api_address) */
	const char *tls_cert; /* PEM files: both or neither */
	const char *tls_key;
	const weft_api_tokens *tokens; /* NULL: no authentication (author "api") */
	size_t max_body;               /* 0 = WEFT_API_DEFAULT_MAX_BODY */
	unsigned max_connections;      /* 0 = WEFT_API_DEFAULT_MAX_CONNECTIONS */
	unsigned per_ip_connections;   /* 0 = WEFT_API_DEFAULT_PER_IP_CONNECTIONS */
	weft_log *log;                 /* access and error logs; may be NULL */
	/* Optional parts of /v1/status and /metrics served by other components
	 * (weftd's xDS server): status_extra returns an object merged into the
	 * status under its keys; metrics_extra returns malloc'd Prometheus text. */
	json_t *(*status_extra)(void *arg);
	char *(*metrics_extra)(void *arg);
	/* Optional part of GET/POST /v1/plan (the dry-run) served by other
	 * components: called with the plan's candidate snapshot (the revision
	 * the plan shows), returns an object merged into the plan under its
	 * keys (weftd: "proxies", the xDS proxies the change would reach), or
	 * NULL. Must not change anything. */
	json_t *(*plan_extra)(void *arg, weft_snapshot *planned);
	void *extra_arg;
	/* The build, for the weft_build_info metric (static strings; NULL:
	 * "unknown"). */
	const char *version, *commit;
} weft_api_opts;

/* The exposure rule: listening on a non-loopback address requires both TLS
 * and a tokens file. 0 when allowed (or loopback); -1 with a clear err
 * otherwise, or when listen cannot be parsed or resolved. */
int weft_api_check_listen(const weft_api_opts *opts, weft_err *err);

typedef struct weft_api weft_api;

/* Checks the exposure rule, binds the address and starts serving requests
 * on behalf of c (not owned; must outlive the server). NULL with err on
 * failure (address in use, TLS unavailable or files unreadable...). */
weft_api *weft_api_start(weft_controller *c, const weft_api_opts *opts, weft_err *err);
/* The bound address, "127.0.0.1:PORT" or "[::1]:PORT". */
const char *weft_api_address(const weft_api *api);
int weft_api_port(const weft_api *api);
/* Stops accepting connections, waits up to drain_ms for requests in flight
 * to finish, then stops the server and frees it. NULL is accepted. */
void weft_api_stop(weft_api *api, int drain_ms);

#endif
