/* f5sim: the HTTP(S) front: libmicrohttpd glue and request routing.
 *
 * Every request below /mgmt/ goes through, in order: added latency (slept
 * outside the lock), the injected 503s, an outage window, authentication,
 * then routing to auth.c, txn.c or ltm.c (transaction-tagged writes are
 * queued instead of applied). Each /mgmt/ request is counted and logged
 * (simapi.c). A direct write runs inside the store's undo log, so a failing
 * request leaves no partial change. /sim/ goes to simapi.c uncounted. MHD
 * runs a small internal thread pool; sim->lock serialises all state. */
#include "f5sim.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BODY_MAX (64u << 20)

struct req {
	char *buf;
	size_t len, cap;
	int too_big;
};

long long sim_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long sim_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

json_t *f5_error(int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:i, s:s, s:[], s:i}", "code", code, "message", msg, "errorStack",
	                 "apiError",
	                 code == 404   ? 3
	                 : code == 409 ? 3
	                               : 1);
}

json_t *f5_rest_error(struct sim *s, int code, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:i, s:s, s:s, s:I, s:[], s:s}", "code", code, "message", msg, "referer",
	                 "127.0.0.1", "restOperationId", (json_int_t)++s->rest_op_id, "errorStack",
	                 "kind", ":resterrorresponse");
}

static const char restarting_html[] =
        "<html><head><title>Configuration Utility restarting...</title></head>"
        "<body>Configuration Utility restarting...</body></html>";

struct args_ctx {
	struct query *q;
	char qs[700];
};

static enum MHD_Result arg_cb(void *cls, enum MHD_ValueKind kind, const char *k, const char *v)
{
	struct args_ctx *a = cls;
	size_t l = strlen(a->qs);

	query_add(a->q, k, v);
	snprintf(a->qs + l, sizeof(a->qs) - l, "%s%s=%s", l ? "&" : "", k, v ? v : "");
	return MHD_YES;
}

static void pattern_of(const char *url, char *buf, size_t len)
{
	if (!strncmp(url, "/mgmt/tm/transaction", 20)) {
		const char *p = url + 20;
		int n = 0;

		snprintf(buf, len, "/mgmt/tm/transaction");
		while (*p == '/' && p[1]) {
			const char *seg = p + 1;
			size_t sl = strcspn(seg, "/"), l = strlen(buf);

			if (!strncmp(seg, "commands", sl) && sl == 8)
				snprintf(buf + l, len - l, "/commands");
			else
				snprintf(buf + l, len - l, "/{id}");
			p = seg + sl;
			if (++n > 4)
				break;
		}
	} else if (!strncmp(url, "/mgmt/tm/", 9)) {
		ltm_pattern(url + 9, buf, len);
	} else if (!strncmp(url, "/mgmt/shared/authz/tokens/", 26)) {
		snprintf(buf, len, "/mgmt/shared/authz/tokens/{token}");
	} else {
		snprintf(buf, len, "%s", url);
	}
}

/* Fault windows and injected failures; 0 when none applies. */
static int faults(struct sim *s, const char *url, json_t **out, const char **html)
{
	if (s->fail_next > 0) {
		s->fail_next--;
		if (s->fail_status == 503) {
			*html = restarting_html;
		} else {
			*out = f5_error(s->fail_status, "injected failure (HTTP %d)",
			                s->fail_status);
		}
		return s->fail_status;
	}
	if (!s->outage || sim_now_ms() >= s->outage_until_ms)
		return 0;
	if (s->outage == 1) {
		*out = f5_rest_error(s, 404,
		                     "URI path %s not registered.  Please verify URI is "
		                     "supported and wait for /available suffix to be responsive.",
		                     url);
		return 404;
	}
	if (s->outage == 2) {
		*out = json_pack("{s:i, s:s, s:[], s:i}", "code", 500, "message",
		                 "The connection to mcpd has been lost, try again.", "errorStack",
		                 "apiError", 32768001);
		return 500;
	}
	*html = restarting_html;
	return 503;
}

static int route_tm(struct sim *s, struct MHD_Connection *c, const char *method, const char *rest,
                    json_t *body, long long *trans_id, json_t **out)
{
	const char *coord =
	        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-F5-REST-Coordination-Id");
	struct args_ctx a;
	struct query q;
	int rc;

	memset(&q, 0, sizeof(q));
	a.q = &q;
	a.qs[0] = '\0';
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, arg_cb, &a);
	if (!strncmp(rest, "transaction", 11) && (rest[11] == '\0' || rest[11] == '/'))
		return txn_handle(s, method, rest + 11, body, out);
	if (!strcmp(rest, "sys/version") && !strcmp(method, "GET")) {
		*out = json_pack("{s:s, s:s, s:{s:{s:{s:{s:{s:{s:s}, s:{s:s}}}}}}}", "kind",
		                 "tm:sys:version:versionstats", "selfLink",
		                 F5SIM_LINK "sys/version?ver=" F5SIM_VER, "entries",
		                 F5SIM_LINK "sys/version/0", "nestedStats", "entries", "Product",
		                 "description", "BIG-IP", "Version", "description", F5SIM_VER);
		return 200;
	}
	if (coord && strcmp(method, "GET")) {
		*trans_id = atoll(coord);
		return txn_queue(s, coord, method, rest, a.qs, body, out);
	}
	if (!strcmp(method, "GET"))
		return ltm_handle(s, method, rest, &q, body, out);
	store_undo_begin(&s->store);
	rc = ltm_handle(s, method, rest, &q, body, out);
	if (rc >= 300)
		store_undo_rollback(&s->store);
	else
		store_undo_commit(&s->store);
	return rc;
}

static int route_mgmt(struct sim *s, struct MHD_Connection *c, const char *url, const char *method,
                      json_t *body, int bad_json, long long *trans_id, json_t **out,
                      const char **html)
{
	int rc = faults(s, url, out, html);

	if (rc)
		return rc;
	if (!strcmp(url, "/mgmt/shared/authn/login") && !strcmp(method, "POST")) {
		if (bad_json) {
			*out = f5_error(400, "Found invalid JSON body in the request.");
			return 400;
		}
		return auth_login(s, body, "127.0.0.1", out);
	}
	rc = auth_check(s, MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-F5-Auth-Token"),
	                MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"), url, out);
	if (rc)
		return rc;
	if (bad_json) {
		*out = f5_error(400, "Found invalid JSON body in the request.");
		return 400;
	}
	if (!strncmp(url, "/mgmt/shared/authz/tokens", 25))
		return auth_tokens(s, method, url + 25, body, out);
	if (!strncmp(url, "/mgmt/tm/", 9))
		return route_tm(s, c, method, url + 9, body, trans_id, out);
	*out = f5_rest_error(s, 404,
	                     "URI path %s not registered.  Please verify URI is "
	                     "supported and wait for /available suffix to be responsive.",
	                     url);
	return 404;
}

static enum MHD_Result send_answer(struct MHD_Connection *c, int status, char *text,
                                   const char *ctype)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t n = text ? strlen(text) : 0;

	r = MHD_create_response_from_buffer(n, text ? text : (char *)"",
	                                    text ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(text);
		return MHD_NO;
	}
	if (n)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	ret = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result handle(struct sim *s, struct MHD_Connection *c, const char *url,
                              const char *method, struct req *rq)
{
	json_t *body = NULL, *out = NULL;
	const char *html = NULL;
	long long trans_id = 0;
	char pattern[700], *text;
	int status, bad_json = 0, latency;

	if (rq->len) {
		body = json_loadb(rq->buf, rq->len, 0, NULL);
		bad_json = !body || rq->too_big;
	}
	if (!strncmp(url, "/sim/", 5)) {
		pthread_mutex_lock(&s->lock);
		status = simapi_handle(s, method, url, body, &out);
		pthread_mutex_unlock(&s->lock);
		text = out ? json_dumps(out, JSON_COMPACT) : NULL;
		json_decref(out);
		json_decref(body);
		return send_answer(c, status, text, "application/json");
	}
	pthread_mutex_lock(&s->lock);
	latency = s->latency_ms;
	pthread_mutex_unlock(&s->lock);
	if (latency > 0)
		usleep((useconds_t)latency * 1000);
	pthread_mutex_lock(&s->lock);
	if (strncmp(url, "/mgmt/", 6)) {
		status = 404;
		out = f5_rest_error(s, 404, "URI path %s not registered.", url);
	} else {
		status = route_mgmt(s, c, url, method, body, bad_json, &trans_id, &out, &html);
	}
	if (s->raw_out && !html && !out)
		text = s->raw_out;
	else
		text = html ? strdup(html) : out ? json_dumps(out, JSON_COMPACT) : NULL;
	if (text != s->raw_out)
		free(s->raw_out);
	s->raw_out = NULL;
	pattern_of(url, pattern, sizeof(pattern));
	sim_count(s, method, pattern, trans_id, url, status, rq->len, text ? strlen(text) : 0);
	pthread_mutex_unlock(&s->lock);
	json_decref(out);
	json_decref(body);
	return send_answer(c, status, text, html ? "text/html" : "application/json; charset=UTF-8");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct req *rq = *con_cls;

	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		*con_cls = rq;
		return rq ? MHD_YES : MHD_NO;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (rq->too_big || rq->len + n > BODY_MAX) {
			rq->too_big = 1;
			return MHD_YES;
		}
		if (rq->len + n + 1 > rq->cap) {
			size_t cap = (rq->len + n + 1) * 2;
			char *b = realloc(rq->buf, cap);

			if (!b)
				return MHD_NO;
			rq->buf = b;
			rq->cap = cap;
		}
		memcpy(rq->buf + rq->len, upload, n);
		rq->len += n;
		return MHD_YES;
	}
	return handle(cls, c, url, method, rq);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
                    enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	if (rq) {
		free(rq->buf);
		free(rq);
	}
	*con_cls = NULL;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6)
{
	char host[128];
	const char *colon = strrchr(listen, ':');
	long port;
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return -1;
	port = strtol(colon + 1, NULL, 10);
	if (port <= 0 || port > 65535)
		return -1;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - listen), listen);
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = '\0';
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return inet_pton(AF_INET6, host + 1, &in6->sin6_addr) == 1 ? 0 : -1;
	}
	in4->sin_family = AF_INET;
	in4->sin_port = htons((uint16_t)port);
	*v6 = 0;
	return inet_pton(AF_INET, host, &in4->sin_addr) == 1 ? 0 : -1;
}

struct MHD_Daemon *http_start(struct sim *s, const char *listen, const char *cert, const char *key,
                              int plain, char *err, size_t errlen)
{
	static struct sockaddr_storage ss;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls[] = {
	        {MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key},
	        {MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert},
	        {MHD_OPTION_END, 0, NULL},
	};
	struct MHD_Daemon *d;
	int v6;

	if (parse_listen(listen, &ss, &v6)) {
		snprintf(err, errlen, "--listen %s: expected ADDRESS:PORT", listen);
		return NULL;
	}
	if (v6)
		flags |= MHD_USE_IPv6;
	if (!plain) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			snprintf(err, errlen, "this libmicrohttpd has no TLS support; use --plain");
			return NULL;
		}
		flags |= MHD_USE_TLS;
	} else {
		tls[0].option = MHD_OPTION_END;
	}
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
	                     (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
	                     MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)4,
	                     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)120, MHD_OPTION_ARRAY,
	                     tls, MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "cannot listen on %s (address in use?)", listen);
	return d;
}
