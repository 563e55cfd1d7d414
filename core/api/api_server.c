/* The HTTP side of the REST API: libmicrohttpd, a thread per connection,
 * on a socket we bind ourselves (api_listen.c), optional TLS (MHD built
 * with GnuTLS). Each request is authenticated and authorised on its
 * headers alone (a headers-only api_dispatch() pass) before any body byte
 * is read; bodies are collected up to a bound (413 beyond, refused before
 * upload when Content-Length already says so), then one api_dispatch()
 * call per request. Connections are bounded in all and per client IP, with
 * a short idle timeout until a request is accepted (docs/security.md).
 * Stopping is graceful: stop accepting, let requests in flight finish
 * (bounded), then stop the server. */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api-int.h"
#include "api-listen.h"

struct weft_api {
	struct MHD_Daemon *mhd;
	api_ctx ctx;
	char address[80];
	int port;
	char *cert_pem, *key_pem;
	atomic_int in_flight;
	atomic_int stopping; /* ends event streams at shutdown */
	api_conns *conns;    /* header deadline, anonymous share, rate-limited
	                      * lines of the HTTP library */
};

/* Memory of a connection's header buffer: large enough that a request line
 * far beyond API_MAX_PATH still reaches api_route_match and gets the JSON
 * 414; only lines beyond this get libmicrohttpd's own (HTML) 414. */
#define API_CONN_MEMORY (128 * 1024)

/* Per-request state between MHD callbacks. */
typedef struct conn_state {
	char *body;
	size_t len, cap;
	int too_large;
	int refused; /* answered from the headers: the body is never read */
	api_query *query;
	size_t n_query, cap_query;
} conn_state;

static void conn_state_free(conn_state *st)
{
	free(st->body);
	free(st->query);
	free(st);
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
	conn_state *st = cls;
	if (st->n_query == st->cap_query) {
		size_t cap = st->cap_query ? st->cap_query * 2 : 8;
		api_query *q = realloc(st->query, cap * sizeof(*q));
		if (!q)
			return MHD_NO;
		st->query = q;
		st->cap_query = cap;
	}
	st->query[st->n_query++] = (api_query){key, value};
	return MHD_YES;
}

static enum MHD_Result send_response(weft_api *api, struct MHD_Connection *conn, api_response *resp)
{
	struct MHD_Response *r =
	        resp->events_stream
	                ? api_events_response(api->ctx.controller, &api->stopping,
	                                      resp->events_after)
	                : MHD_create_response_from_buffer(
	                          resp->body_len, resp->body ? resp->body : (void *)"",
	                          resp->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		api_response_free(resp);
		return MHD_NO;
	}
	resp->body = NULL; /* now owned by MHD */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        resp->content_type ? resp->content_type : "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (resp->revision >= 0) {
		char rev[32];
		snprintf(rev, sizeof(rev), "%lld", (long long)resp->revision);
		MHD_add_response_header(r, "X-Weft-Revision", rev);
	}
	if (resp->allow && *resp->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, resp->allow);
	if (resp->challenge)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		                        "Bearer realm=\"weft\"");
	enum MHD_Result ret = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_too_large(weft_api *api, const char *url, struct MHD_Connection *conn)
{
	api_response resp = {0};
	api_route route;
	api_route_match("POST", url, &route);
	api_reply_error(&resp, 413, "request body larger than %zu bytes", api->ctx.max_body);
	api_metrics_count(api->ctx.metrics, route.id, 413);
	weft_log_event(api->ctx.log, WEFT_LOG_WARN, "api request too large", "path", url, NULL);
	return send_response(api, conn, &resp);
}

/* Every connection passes here before it is accepted (MHD's accept
 * policy): room is made among the unauthenticated ones. */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	weft_api *api = cls;
	api_conns_admit(api->conns);
	return MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	weft_api *api = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = ci ? api_conns_started(api->conns, ci->connect_fd) : NULL;
	} else {
		api_conns_closed(api->conns, *socket_context);
		*socket_context = NULL;
	}
}

/* The guard's entry of a connection (NULL when it could not be made). */
static void *conn_entry_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Whether the headers announce a body (a length > 0, or chunked). */
static int body_announced(struct MHD_Connection *conn, unsigned long long *length)
{
	const char *cl =
	        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                             MHD_HTTP_HEADER_TRANSFER_ENCODING);
	*length = cl ? strtoull(cl, NULL, 10) : 0;
	return *length > 0 || (te && *te);
}

/* First call of a request, with its headers only: authenticate, route and
 * authorise now (api_dispatch's headers-only pass), so that a request that
 * will be refused never has its body read; then refuse an announced body
 * that is too large before it is uploaded. A request that passed gets the
 * long idle timeout, except /healthz (docs/security.md). */
static enum MHD_Result on_first_call(weft_api *api, struct MHD_Connection *conn, const char *url,
                                     const char *method, void **con_cls)
{
	conn_state *st = calloc(1, sizeof(*st));
	if (!st)
		return MHD_NO;
	*con_cls = st;
	atomic_fetch_add(&api->in_flight, 1);
	unsigned long long length;
	api_request req = {
	        .method = method,
	        .path = url,
	        .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                                     MHD_HTTP_HEADER_AUTHORIZATION),
	        .headers_only = 1,
	        .body_announced = body_announced(conn, &length),
	};
	api_response resp;
	api_dispatch(&api->ctx, &req, &resp);
	api_route route;
	api_route_match(method, url, &route);
	/* a request that passed authentication makes its connection trusted:
	 * no header deadline, the long idle timeout (not for /healthz, which
	 * needs no token) */
	int trusted = !resp.status && route.id != API_ROUTE_HEALTHZ;
	api_conns_request(api->conns, conn_entry_of(conn), trusted);
	if (resp.status) {
		st->refused = 1;
		return send_response(api, conn, &resp);
	}
	if (length > api->ctx.max_body) {
		st->too_large = 1;
		return reply_too_large(api, url, conn);
	}
	if (trusted)
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
		                          (unsigned)WEFT_API_IDLE_TIMEOUT_S);
	return MHD_YES;
}

static void append_body(weft_api *api, conn_state *st, const char *data, size_t size)
{
	if (st->too_large)
		return;
	if (st->len + size > api->ctx.max_body) {
		st->too_large = 1;
		free(st->body);
		st->body = NULL;
		st->len = st->cap = 0;
		return;
	}
	if (st->len + size + 1 > st->cap) {
		size_t cap = st->cap ? st->cap : 4096;
		while (cap < st->len + size + 1)
			cap *= 2;
		char *b = realloc(st->body, cap);
		if (!b) {
			st->too_large = 1;
			return;
		}
		st->body = b;
		st->cap = cap;
	}
	memcpy(st->body + st->len, data, size);
	st->len += size;
	st->body[st->len] = '\0';
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	weft_api *api = cls;
	conn_state *st = *con_cls;
	if (!st)
		return on_first_call(api, conn, url, method, con_cls);
	if (st->refused) {
		*upload_data_size = 0; /* already answered: drop what still comes */
		return MHD_YES;
	}
	if (*upload_data_size) {
		append_body(api, st, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (st->too_large)
		return reply_too_large(api, url, conn);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, st);
	api_request req = {
	        .method = method,
	        .path = url,
	        .content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                                    MHD_HTTP_HEADER_CONTENT_TYPE),
	        .authorization = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	                                                     MHD_HTTP_HEADER_AUTHORIZATION),
	        .body = st->body,
	        .body_len = st->len,
	        .query = st->query,
	        .n_query = st->n_query,
	};
	api_response resp;
	api_dispatch(&api->ctx, &req, &resp);
	return send_response(api, conn, &resp);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	weft_api *api = cls;
	api_conns_request_done(api->conns, conn_entry_of(conn));
	if (*con_cls) {
		conn_state_free(*con_cls);
		*con_cls = NULL;
		atomic_fetch_sub(&api->in_flight, 1);
	}
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	weft_api *api = cls;
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	if (api->conns)
		api_conns_log_http(api->conns, msg);
}

static char *read_pem(const char *path, const char *what, weft_err *err)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		weft_err_set(err, "TLS %s %s: %s", what, path, strerror(errno));
		return NULL;
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while (mem && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	fclose(f);
	if (mem)
		fclose(mem);
	if (!buf || len == 0) {
		free(buf);
		weft_err_set(err, "TLS %s %s: empty or unreadable", what, path);
		return NULL;
	}
	return buf;
}

static int load_tls(weft_api *api, const weft_api_opts *opts, weft_err *err)
{
	if (!opts->tls_cert)
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return weft_err_set(err, "TLS requested but libmicrohttpd was built without TLS");
	api->cert_pem = read_pem(opts->tls_cert, "certificate", err);
	api->key_pem = api->cert_pem ? read_pem(opts->tls_key, "key", err) : NULL;
	return api->key_pem ? 0 : -1;
}

static void api_free(weft_api *api)
{
	if (api->key_pem) {
		memset(api->key_pem, 0, strlen(api->key_pem));
		free(api->key_pem);
	}
	free(api->cert_pem);
	api_metrics_free(api->ctx.metrics);
	api_conns_free(api->conns);
	free(api);
}

static struct MHD_Daemon *start_mhd(weft_api *api, int fd, int family, const weft_api_opts *opts)
{
	unsigned max_conn =
	        opts->max_connections ? opts->max_connections : WEFT_API_DEFAULT_MAX_CONNECTIONS;
	unsigned per_ip = opts->per_ip_connections ? opts->per_ip_connections
	                                           : WEFT_API_DEFAULT_PER_IP_CONNECTIONS;
	/* A thread per connection: event streams (GET /v1/events) block
	 * while they wait, which would stall a shared pool thread. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
	                 MHD_USE_AUTO | MHD_USE_ITC | MHD_USE_ERROR_LOG;
	if (family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (api->cert_pem)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls[] = {
	        {MHD_OPTION_HTTPS_MEM_CERT, 0, api->cert_pem},
	        {MHD_OPTION_HTTPS_MEM_KEY, 0, api->key_pem},
	        {MHD_OPTION_END, 0, NULL},
	};
	return MHD_start_daemon(
	        flags, 0, on_accept, api, on_request, api, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log,
	        api, MHD_OPTION_NOTIFY_CONNECTION, on_connection, api, MHD_OPTION_UNESCAPE_CALLBACK,
	        api_unescape, NULL, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)API_CONN_MEMORY,
	        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT, max_conn,
	        MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip, MHD_OPTION_CONNECTION_TIMEOUT,
	        WEFT_API_HEADER_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, on_completed, api,
	        MHD_OPTION_ARRAY, api->cert_pem ? tls : tls + 2, MHD_OPTION_END);
}

weft_api *weft_api_start(weft_controller *c, const weft_api_opts *opts, weft_err *err)
{
	if (weft_api_check_listen(opts, err) != 0)
		return NULL;
	weft_api *api = calloc(1, sizeof(*api));
	if (!api || !(api->ctx.metrics = api_metrics_new())) {
		free(api);
		weft_err_set(err, "out of memory");
		return NULL;
	}
	api->ctx.controller = c;
	api->ctx.tokens = opts->tokens;
	api->ctx.log = opts->log;
	api->ctx.status_extra = opts->status_extra;
	api->ctx.metrics_extra = opts->metrics_extra;
	api->ctx.plan_extra = opts->plan_extra;
	api->ctx.extra_arg = opts->extra_arg;
	api->ctx.version = opts->version;
	api->ctx.commit = opts->commit;
	api->ctx.max_body = opts->max_body ? opts->max_body : WEFT_API_DEFAULT_MAX_BODY;
	unsigned max_conn =
	        opts->max_connections ? opts->max_connections : WEFT_API_DEFAULT_MAX_CONNECTIONS;
	api->conns = api_conns_new(opts->log, max_conn / 2, WEFT_API_HEADER_TIMEOUT_S);
	if (!api->conns) {
		weft_err_set(err, "out of memory");
		api_free(api);
		return NULL;
	}
	if (load_tls(api, opts, err) != 0) {
		api_free(api);
		return NULL;
	}
	int family = 0;
	int fd = api_listen_bind(opts->listen ? opts->listen : WEFT_API_DEFAULT_LISTEN, &family,
	                         api->address, sizeof(api->address), &api->port, err);
	if (fd < 0) {
		api_free(api);
		return NULL;
	}
	api->mhd = start_mhd(api, fd, family, opts);
	if (!api->mhd) {
		close(fd);
		weft_err_set(err, "cannot start the HTTP server on %s (see the log)", api->address);
		api_free(api);
		return NULL;
	}
	return api;
}

const char *weft_api_address(const weft_api *api)
{
	return api->address;
}

int weft_api_port(const weft_api *api)
{
	return api->port;
}

void weft_api_stop(weft_api *api, int drain_ms)
{
	if (!api)
		return;
	atomic_store(&api->stopping, 1);
	MHD_socket fd = MHD_quiesce_daemon(api->mhd);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	struct timespec step = {0, 10 * 1000 * 1000};
	for (int waited = 0; waited < drain_ms && atomic_load(&api->in_flight) > 0; waited += 10)
		nanosleep(&step, NULL);
	MHD_stop_daemon(api->mhd);
	api_free(api);
}
