/* Internals of the REST API shared by the files of core/api/ (and by its
 * unit tests): the transport-neutral request/response pair that the MHD
 * layer (api_server.c) fills and sends, the route table, and the helpers
 * the handlers share. Not a public header. */
#ifndef WEFT_API_INT_H
#define WEFT_API_INT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "api.h"
#include "diag.h"
#include "doc.h"
#include "resource-t.h"

/* ---- request and response ---------------------------------------------- */

typedef struct api_query {
	const char *key;
	const char *value; /* NULL for "?flag" without '=' */
} api_query;

typedef struct api_request {
	const char *method;        /* "GET", "POST", ... */
	const char *path;          /* decoded path, no query */
	const char *content_type;  /* may be NULL */
	const char *authorization; /* may be NULL; never logged */
	const char *body;          /* may be NULL when body_len is 0 */
	size_t body_len;
	const api_query *query;
	size_t n_query;
	/* Headers-only pass (api_server.c, before any body byte is read):
	 * dispatch checks authentication, route, method, role and whether a
	 * body is allowed, and answers only to refuse (resp->status 0: go on). */
	int headers_only;
	int body_announced; /* Content-Length > 0 or a chunked body */
} api_request;

typedef struct api_response {
	int status;
	const char *content_type; /* static string */
	char *body;               /* malloc'd, owned by the response */
	size_t body_len;
	int64_t revision;  /* >= 0: sent as X-Weft-Revision */
	const char *allow; /* for 405: the Allow header (static) */
	int challenge;     /* 401: send WWW-Authenticate: Bearer */
	int events_stream; /* GET /v1/events: stream events after events_after */
	uint64_t events_after;
} api_response;

void api_response_free(api_response *resp);
/* Sets a JSON body (json_t is decref'd) with status. */
void api_reply_json(api_response *resp, int status, json_t *body);
/* Sets a text body (copied). */
void api_reply_text(api_response *resp, int status, const char *content_type, const char *text);
/* A JSON string of s; invalid UTF-8 bytes (user input echoed in messages)
 * are replaced by '?' instead of failing. */
json_t *api_json_string(const char *s);
/* {"error": msg} with status. */
void api_reply_error(api_response *resp, int status, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* {"error": msg, "errors": [diagnostics]} with status; diags are sorted by
 * place first, so answers are deterministic. */
void api_reply_diags(api_response *resp, int status, const char *msg, weft_diags *diags);
/* Maps a controller status (WEFT_E*) to an HTTP error reply. */
void api_reply_status(api_response *resp, int code, const weft_err *err, weft_diags *diags);

/* The value of a query parameter ("" for a bare flag), or NULL. */
const char *api_query_get(const api_request *req, const char *key);
/* Boolean parameter: absent -> 0; "", "1", "true" -> 1; "0", "false" -> 0;
 * anything else -> -1. */
int api_query_bool(const api_request *req, const char *key);
/* Non-negative integer parameter: absent -> 0 with *out = dflt; valid -> 0;
 * malformed -> -1. */
int api_query_int(const api_request *req, const char *key, int64_t dflt, int64_t *out);

/* ---- routes -------------------------------------------------------------- */

typedef enum api_route_id {
	API_ROUTE_NONE = 0, /* unknown path: 404 */
	API_ROUTE_HEALTHZ,
	API_ROUTE_METRICS,
	API_ROUTE_STATUS,
	API_ROUTE_REVISIONS,
	API_ROUTE_ROLLBACK,
	API_ROUTE_APPLY,
	API_ROUTE_PLAN,
	API_ROUTE_TRANSACTIONS,
	API_ROUTE_EVENTS,
	API_ROUTE_LIST,     /* /v1/{plural} and /v1/{plural}/{namespace} */
	API_ROUTE_RESOURCE, /* /v1/{plural}/{namespace}/{name} */
	API_ROUTE_COUNT
} api_route_id;

typedef struct api_route {
	api_route_id id;
	int method_ok;       /* 0: path known but method not allowed (405) */
	const char *allow;   /* allowed methods, for the Allow header */
	int kind;            /* LIST/RESOURCE: the weft_kind; -1 otherwise */
	char ns[254];        /* LIST (optional) / RESOURCE: the namespace */
	char name[254];      /* RESOURCE: the name */
	const char *unknown; /* API_ROUTE_NONE: why (then name holds the segment) */
	int bad_status;      /* 414: path too long; 400: name holds a segment with a
	                        control byte (as sent, escapes kept) */
} api_route;

/* Paths longer than this are refused with 414 (the JSON error shape). */
#define API_MAX_PATH 8192

/* Matches method and path. Never fails: API_ROUTE_NONE for unknown paths. */
void api_route_match(const char *method, const char *path, api_route *out);
/* The HTTP layer's percent-decoder (MHD_OPTION_UNESCAPE_CALLBACK): decodes
 * %XX in place except the escapes of control bytes and of '%', which stay
 * as written for api_route_match to refuse or decode. Returns the length. */
struct MHD_Connection;
size_t api_unescape(void *cls, struct MHD_Connection *conn, char *s);
/* Route template for metrics and logs ("/v1/{plural}/{namespace}/{name}"). */
const char *api_route_template(api_route_id id);
/* Whether a method only reads (GET, HEAD). */
int api_method_is_read(const char *method);

/* ---- bodies ------------------------------------------------------------- */

#define API_FILES_CONTENT_TYPE "application/vnd.weft.files+json"

/* Parses a request body into set: the files envelope, JSON or YAML. Syntax
 * problems go to diags (returns -1); a malformed envelope or an unsupported
 * content type returns -2 with err set (status in err->code: 400 or 415). */
int api_body_docs(const api_request *req, weft_docset *set, weft_diags *diags, weft_err *err);
/* A diagnostic list as a JSON array of {file,line,column,path,message}. */
json_t *api_diags_json(const weft_diags *diags);
/* A write result as {revision, created, updated, deleted, unchanged,
 * changes, dryRun}. Takes a reference to res->changes. */
json_t *api_write_result_json(const weft_write_result *res, int dry_run);

/* ---- server context and handlers ---------------------------------------- */

typedef struct api_metrics api_metrics;
api_metrics *api_metrics_new(void);
void api_metrics_free(api_metrics *m);
void api_metrics_count(api_metrics *m, api_route_id route, int status);
/* Appends the API's counters in Prometheus text format to f. */
void api_metrics_write(const api_metrics *m, FILE *f);
/* Appends the per-device gauges (labels device, kind; state as one 0/1
 * series per state) of a weft_controller_status() object to f. */
void api_metrics_write_devices(json_t *status, FILE *f);
/* Appends weft_build_info{version,commit} 1 (NULLs print "unknown"). */
void api_metrics_write_build_info(const char *version, const char *commit, FILE *f);

/* What the handlers see: the controller and the server's settings. */
typedef struct api_ctx {
	weft_controller *controller;
	const weft_api_tokens *tokens; /* NULL: no auth */
	api_metrics *metrics;
	weft_log *log;
	size_t max_body;
	json_t *(*status_extra)(void *arg);
	char *(*metrics_extra)(void *arg);
	json_t *(*plan_extra)(void *arg, weft_snapshot *planned);
	void *extra_arg;
	const char *version, *commit; /* weft_build_info */
} api_ctx;

/* Who is asking (filled by the dispatcher from the bearer token). */
typedef struct api_caller {
	weft_api_role role;
	const char *author; /* "api" without auth, else the token's name */
} api_caller;

typedef void (*api_handler)(api_ctx *ctx, const api_request *req, const api_route *route,
                            const api_caller *who, api_response *resp);

void api_handle_healthz(api_ctx *, const api_request *, const api_route *, const api_caller *,
                        api_response *);
void api_handle_metrics(api_ctx *, const api_request *, const api_route *, const api_caller *,
                        api_response *);
void api_handle_status(api_ctx *, const api_request *, const api_route *, const api_caller *,
                       api_response *);
void api_handle_events(api_ctx *, const api_request *, const api_route *, const api_caller *,
                       api_response *);
/* The streaming response of GET /v1/events (api_events.c). */
struct MHD_Response;
struct MHD_Response *api_events_response(weft_controller *c, atomic_int *stopping, uint64_t after);
void api_handle_transactions(api_ctx *, const api_request *, const api_route *, const api_caller *,
                             api_response *);
void api_handle_revisions(api_ctx *, const api_request *, const api_route *, const api_caller *,
                          api_response *);
void api_handle_get(api_ctx *, const api_request *, const api_route *, const api_caller *,
                    api_response *);
void api_handle_apply(api_ctx *, const api_request *, const api_route *, const api_caller *,
                      api_response *);
void api_handle_plan(api_ctx *, const api_request *, const api_route *, const api_caller *,
                     api_response *);
void api_handle_rollback(api_ctx *, const api_request *, const api_route *, const api_caller *,
                         api_response *);
void api_handle_put(api_ctx *, const api_request *, const api_route *, const api_caller *,
                    api_response *);
void api_handle_delete(api_ctx *, const api_request *, const api_route *, const api_caller *,
                       api_response *);

/* api_plan.c: merges ctx->plan_extra's object, computed from the plan's
 * candidate snapshot, into the plan JSON (no-op without the hook or the
 * snapshot). */
void api_plan_add_extra(api_ctx *ctx, weft_snapshot *snap, json_t *plan);

/* ---- connection guard (api_conns.c) -------------------------------------- */

/* A log line at most once a second; the lines left out are counted and
 * reported ("suppressed=N", with the last one's detail) by the next line,
 * or by a flush once their second is over. */
typedef struct api_ratelog {
	pthread_mutex_t mu;
	time_t second;
	unsigned long dropped;
	char last[256];
} api_ratelog;
void api_ratelog_init(api_ratelog *rl);
void api_ratelog_destroy(api_ratelog *rl);
void api_ratelog_event(api_ratelog *rl, weft_log *log, const char *msg, const char *detail);
void api_ratelog_flush(api_ratelog *rl, weft_log *log, const char *msg);

/* Header deadline and anonymous share of the connection pool (see
 * api_conns.c). NULL when out of memory or no thread. */
typedef struct api_conns api_conns;
api_conns *api_conns_new(weft_log *log, unsigned anon_max, unsigned header_timeout_s);
/* After the HTTP server stopped (every connection closed). */
void api_conns_free(api_conns *g);
/* A new connection is about to be accepted: makes room among the
 * unauthenticated ones when they are at their limit. */
void api_conns_admit(api_conns *g);
/* A connection started (its entry, the connection's context) / closed. */
void *api_conns_started(api_conns *g, int fd);
void api_conns_closed(api_conns *g, void *ctx);
/* A request's headers are complete (trusted: it passed authentication,
 * the connection leaves the anonymous share for good) / it ended. */
void api_conns_request(api_conns *g, void *ctx, int trusted);
void api_conns_request_done(api_conns *g, void *ctx);
/* A line of the HTTP library, rate-limited (flushed by the guard). */
void api_conns_log_http(api_conns *g, const char *detail);

/* Handles one complete request: authentication, authorisation, routing,
 * the handler, counters and the access log line. resp is filled, except
 * for a headers-only pass that refuses nothing (resp->status stays 0). */
void api_dispatch(api_ctx *ctx, const api_request *req, api_response *resp);

#endif
