/* consulsim: libmicrohttpd glue: connections, the per-IP cap, suspended
 * requests and their wake-ups.
 *
 * MHD runs ONE internal thread on epoll: a pending blocking query is a
 * suspended connection on the waiter list, not a thread, so thousands of
 * them cost a list entry each (bounded by the connection limit). A request
 * is resumed when a write moves the index it reads (http_wake_waiters, in
 * the MHD thread), when its wait or injected delay is over (http_tick, in
 * the ticker thread), or by a fault knob. Resumed, the handler runs again
 * and either answers or suspends once more. Connections over the per-IP
 * cap get Consul's 429 and are closed. docs/consulsim.md. */
#include "http.h"

#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define BODY_MAX (4u << 20)

enum MHD_Result http_reply(struct MHD_Connection *conn, int status, char *body, const char *ctype,
                           const struct http_hdr *hdrs, size_t nhdrs)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t i;

	if (!body)
		body = strdup("");
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	for (i = 0; i < nhdrs; i++)
		MHD_add_response_header(resp, hdrs[i].name, hdrs[i].value);
	ret = MHD_queue_response(conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result http_text(struct MHD_Connection *conn, int status, const char *text)
{
	char *b = malloc(strlen(text) + 2);

	if (!b)
		return MHD_NO;
	sprintf(b, "%s\n", text);
	return http_reply(conn, status, b, "text/plain; charset=utf-8", NULL, 0);
}

enum MHD_Result http_json(struct MHD_Connection *conn, int status, json_t *v,
                          const struct http_hdr *hdrs, size_t nhdrs)
{
	char *b = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

	json_decref(v);
	return http_reply(conn, status, b, "application/json", hdrs, nhdrs);
}

static void waiter_unlink(struct sim *s, struct req *r)
{
	if (!r->waiting)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		s->waiters = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->waiting = 0;
	s->waiters_n--;
	if (r->min_index)
		s->ctr.blocking_now--;
}

static long long due_ms(const struct req *r)
{
	if (r->delay_until_ms)
		return r->delay_until_ms;
	return r->deadline_ms ? r->deadline_ms : LLONG_MAX;
}

void http_suspend(struct sim *s, struct req *r)
{
	r->next = s->waiters;
	r->prev = NULL;
	if (s->waiters)
		s->waiters->prev = r;
	s->waiters = r;
	r->waiting = 1;
	s->waiters_n++;
	if (r->min_index)
		s->ctr.blocking_now++;
	if (due_ms(r) < s->next_due_ms)
		s->next_due_ms = due_ms(r);
	MHD_suspend_connection(r->conn);
}

void http_wake_waiters(struct sim *s, int all)
{
	struct req *r = s->waiters, *next;

	for (; r; r = next) {
		next = r->next;
		if (!all &&
		    (!r->min_index || catalog_watch_index(&s->cat, r->watch) <= r->min_index))
			continue;
		waiter_unlink(s, r);
		r->wake = all;
		MHD_resume_connection(r->conn);
	}
}

void http_drop_waiters(struct sim *s)
{
	struct req *r = s->waiters, *next;

	for (; r; r = next) {
		next = r->next;
		if (!r->min_index)
			continue;
		waiter_unlink(s, r);
		r->drop = 1;
		s->ctr.dropped++;
		MHD_resume_connection(r->conn);
	}
}

/* The ticker: TTLs, then the waiters whose time is up. The list is walked
 * only once the earliest deadline has come (next_due_ms), so thousands of
 * pending queries cost nothing between deadlines. Connections are resumed
 * outside the lock; a suspended connection cannot go away, and once off the
 * list nothing else resumes it. */
void http_tick(struct sim *s)
{
	struct MHD_Connection **due = NULL;
	long long now = cs_now_ms();
	size_t n = 0, i;
	struct req *r, *next;

	pthread_mutex_lock(&s->lock);
	if (agent_expire_ttls(s, now))
		http_wake_waiters(s, 0);
	if (s->waiters_n > 0 && now >= s->next_due_ms)
		due = malloc((size_t)s->waiters_n * sizeof(*due));
	if (due)
		s->next_due_ms = LLONG_MAX;
	for (r = s->waiters; due && r; r = next) {
		next = r->next;
		if (now >= due_ms(r)) {
			waiter_unlink(s, r);
			due[n++] = r->conn;
		} else if (due_ms(r) < s->next_due_ms) {
			s->next_due_ms = due_ms(r);
		}
	}
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < n; i++)
		MHD_resume_connection(due[i]);
	free(due);
}

static void on_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                      enum MHD_ConnectionNotificationCode toe)
{
	struct sim *s = cls;
	struct conn *c = *socket_ctx;
	const union MHD_ConnectionInfo *ci;
	json_t *v;
	long long n;

	pthread_mutex_lock(&s->lock);
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		c = calloc(1, sizeof(*c));
		*socket_ctx = c;
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (c && ci && ci->client_addr) {
			const struct sockaddr *sa = ci->client_addr;

			if (sa->sa_family == AF_INET6)
				inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr,
				          c->ip, sizeof(c->ip));
			else
				inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
				          c->ip, sizeof(c->ip));
		}
		if (c) {
			n = json_integer_value(json_object_get(s->per_ip, c->ip)) + 1;
			json_object_set_new(s->per_ip, c->ip, json_integer(n));
			c->over_cap = n > s->conn_cap;
		}
		s->ctr.conns_now++;
		s->ctr.conns_total++;
		if (s->ctr.conns_now > s->ctr.conns_peak)
			s->ctr.conns_peak = s->ctr.conns_now;
	} else if (c) {
		v = json_object_get(s->per_ip, c->ip);
		if (json_integer_value(v) <= 1)
			json_object_del(s->per_ip, c->ip);
		else
			json_object_set_new(s->per_ip, c->ip,
			                    json_integer(json_integer_value(v) - 1));
		s->ctr.conns_now--;
		free(c);
		*socket_ctx = NULL;
	}
	pthread_mutex_unlock(&s->lock);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct sim *s = cls;
	struct req *r = *con_cls;

	(void)conn;
	(void)toe;
	if (!r)
		return;
	pthread_mutex_lock(&s->lock);
	waiter_unlink(s, r);
	pthread_mutex_unlock(&s->lock);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
	struct sim *s = cls;
	struct req *r = *con_cls;
	const union MHD_ConnectionInfo *ci;
	enum MHD_Result ret;

	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->conn = conn;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_size) {
		if (r->len + *upload_size > BODY_MAX) {
			r->too_big = 1;
		} else {
			if (r->len + *upload_size + 1 > r->cap) {
				size_t cap = (r->len + *upload_size + 1) * 2;
				char *nb = realloc(r->body, cap);

				if (!nb)
					return MHD_NO;
				r->body = nb;
				r->cap = cap;
			}
			memcpy(r->body + r->len, upload, *upload_size);
			r->len += *upload_size;
			r->body[r->len] = '\0';
		}
		*upload_size = 0;
		return MHD_YES;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	pthread_mutex_lock(&s->lock);
	if (r->drop || s->stopping) {
		pthread_mutex_unlock(&s->lock);
		return MHD_NO;
	}
	/* /sim/ is the test's control channel: never capped */
	if (ci && ci->socket_context && ((struct conn *)ci->socket_context)->over_cap &&
	    strncmp(url, "/sim/", 5)) {
		struct http_hdr h = {"Connection", "close"};

		s->ctr.rejected_429++;
		pthread_mutex_unlock(&s->lock);
		return http_reply(
		        conn, 429,
		        strdup("Your IP is issuing too many concurrent connections, please "
		               "rate limit your calls\n"),
		        "text/plain; charset=utf-8", &h, 1);
	}
	ret = routes_serve(s, r, conn, url, method);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, char *host, size_t hn,
                        int *port, char *err, size_t n)
{
	const char *colon = strrchr(listen, ':');
	char h[128];
	size_t len;

	memset(ss, 0, sizeof(*ss));
	if (!colon || colon == listen || !colon[1]) {
		snprintf(err, n, "--listen %s: expected HOST:PORT", listen);
		return -1;
	}
	*port = atoi(colon + 1);
	len = (size_t)(colon - listen);
	if (listen[0] == '[' && len > 2 && listen[len - 1] == ']') {
		snprintf(h, sizeof(h), "%.*s", (int)(len - 2), listen + 1);
	} else {
		snprintf(h, sizeof(h), "%.*s", (int)len, listen);
	}
	if (!strcmp(h, "localhost"))
		snprintf(h, sizeof(h), "127.0.0.1");
	snprintf(host, hn, "%s", h);
	if (*port < 0 || *port > 65535) {
		snprintf(err, n, "--listen %s: bad port", listen);
		return -1;
	}
	if (inet_pton(AF_INET, h, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)*port);
		return 0;
	}
	if (inet_pton(AF_INET6, h, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)*port);
		return 0;
	}
	snprintf(err, n, "--listen %s: HOST must be an IP address", listen);
	return -1;
}

/* The connection limit follows the descriptor limit (raised to its hard
 * maximum), keeping room for the listener, epoll and state files. */
static unsigned conn_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1000;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	return rl.rlim_cur > 164 ? (unsigned)(rl.rlim_cur - 64) : 100;
}

struct MHD_Daemon *http_start(struct sim *s, const char *listen, char *err, size_t n)
{
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *di;
	struct MHD_Daemon *d;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;

	if (parse_listen(listen, &ss, s->host, sizeof(s->host), &s->port, err, n))
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	d = MHD_start_daemon(
	        flags, (uint16_t)s->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR,
	        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_CONNECTION, on_notify, s,
	        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_LIMIT,
	        conn_limit(), MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)900, MHD_OPTION_END);
	if (!d) {
		snprintf(err, n, "cannot listen on %s", listen);
		return NULL;
	}
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (di && di->port)
		s->port = di->port;
	s->daemon = d;
	return d;
}

/* Pending requests are closed unanswered (resumed outside the lock, as in
 * http_tick), then the daemon stops. */
void http_stop(struct sim *s)
{
	struct MHD_Connection **all = NULL;
	struct req *r, *next;
	size_t n = 0, i;

	pthread_mutex_lock(&s->lock);
	s->stopping = 1;
	if (s->waiters_n > 0)
		all = malloc((size_t)s->waiters_n * sizeof(*all));
	for (r = s->waiters; all && r; r = next) {
		next = r->next;
		waiter_unlink(s, r);
		r->drop = 1;
		all[n++] = r->conn;
	}
	pthread_mutex_unlock(&s->lock);
	for (i = 0; i < n; i++)
		MHD_resume_connection(all[i]);
	free(all);
	MHD_stop_daemon(s->daemon);
	s->daemon = NULL;
}
