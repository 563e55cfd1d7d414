/* Connection guard of the API server (api_server.c): the limits that keep
 * the API up when clients open sockets and send nothing, or send headers
 * slowly (slowloris). libmicrohttpd bounds connections in all and per
 * client IP, and closes a connection idle for its timeout; it cannot bound
 * the TIME a request takes to arrive, nor tell a caller that has shown a
 * valid token from one that has not. This file adds both:
 *   - header deadline: a connection that has not passed authentication
 *     must complete each request's headers within WEFT_API_HEADER_TIMEOUT_S
 *     of its start (or of its previous request's end), however it trickles
 *     bytes; a watcher thread shuts such sockets down;
 *   - anonymous share: at most anon_max connections may be unauthenticated
 *     at once; when a new one arrives beyond that, the oldest of them is
 *     shut down, so that a flood of idle sockets can delay a newcomer (a
 *     probe, a weftctl call) but not lock it out, and connections that
 *     authenticated keep the rest of the pool.
 * Numbers: docs/security.md. shutdown() only ends the socket's traffic; the
 * HTTP library still closes it, after telling us (api_conns_closed), and
 * the entry lives under the mutex until then, so a descriptor number is
 * never shut down after it was reused. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "api-int.h"

typedef struct conn_entry {
	struct conn_entry *prev, *next;
	int fd;
	long long since_ms; /* start of the current request's header phase */
	int in_request;     /* headers complete: the request runs */
	int trusted;        /* a request passed authentication on it */
	int shut;           /* already shut down by the guard */
} conn_entry;

struct api_conns {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	conn_entry *head;
	size_t anon; /* entries neither trusted nor shut */
	unsigned anon_max;
	long long deadline_ms;
	int stopping;
	pthread_t thread;
	int thread_started;
	weft_log *log;
	api_ratelog rl;   /* connections the guard closed */
	api_ratelog http; /* the HTTP library's own lines (refusals...) */
};

static long long now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void api_ratelog_init(api_ratelog *rl)
{
	memset(rl, 0, sizeof(*rl));
	pthread_mutex_init(&rl->mu, NULL);
	rl->second = -1;
}

void api_ratelog_destroy(api_ratelog *rl)
{
	pthread_mutex_destroy(&rl->mu);
}

static void ratelog_write(weft_log *log, const char *msg, const char *detail, unsigned long dropped)
{
	char more[32];
	snprintf(more, sizeof(more), "%lu", dropped);
	if (dropped)
		weft_log_event(log, WEFT_LOG_WARN, msg, "detail", detail, "suppressed", more, NULL);
	else
		weft_log_event(log, WEFT_LOG_WARN, msg, "detail", detail, NULL);
}

void api_ratelog_event(api_ratelog *rl, weft_log *log, const char *msg, const char *detail)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&rl->mu);
	unsigned long dropped = 0;
	int emit = now.tv_sec != rl->second;
	if (emit) {
		rl->second = now.tv_sec;
		dropped = rl->dropped;
		rl->dropped = 0;
	} else {
		rl->dropped++;
		snprintf(rl->last, sizeof(rl->last), "%s", detail);
	}
	pthread_mutex_unlock(&rl->mu);
	/* a flood of refusals must not become a flood of lines */
	if (emit)
		ratelog_write(log, msg, detail, dropped);
}

void api_ratelog_flush(api_ratelog *rl, weft_log *log, const char *msg)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&rl->mu);
	unsigned long dropped = 0;
	char last[sizeof(rl->last)];
	if (rl->dropped && now.tv_sec != rl->second) {
		rl->second = now.tv_sec;
		dropped = rl->dropped;
		rl->dropped = 0;
		memcpy(last, rl->last, sizeof(last));
	}
	pthread_mutex_unlock(&rl->mu);
	if (dropped)
		ratelog_write(log, msg, last, dropped);
}

void api_conns_log_http(api_conns *g, const char *detail)
{
	api_ratelog_event(&g->http, g->log, "http server", detail);
}

/* With mu held. */
static void shut(api_conns *g, conn_entry *e, const char *why)
{
	shutdown(e->fd, SHUT_RDWR);
	e->shut = 1;
	if (!e->trusted)
		g->anon--;
	api_ratelog_event(&g->rl, g->log, "api connection closed", why);
}

static void *watch_deadlines(void *arg)
{
	api_conns *g = arg;
	pthread_mutex_lock(&g->mu);
	while (!g->stopping) {
		long long now = now_ms();
		for (conn_entry *e = g->head; e; e = e->next)
			if (!e->trusted && !e->in_request && !e->shut &&
			    now - e->since_ms > g->deadline_ms)
				shut(g, e,
				     "request headers not complete within the header timeout");
		/* the counts of lines left out reach the log within a second */
		api_ratelog_flush(&g->rl, g->log, "api connection closed");
		api_ratelog_flush(&g->http, g->log, "http server");
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 250 * 1000 * 1000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&g->cv, &g->mu, &until);
	}
	pthread_mutex_unlock(&g->mu);
	return NULL;
}

api_conns *api_conns_new(weft_log *log, unsigned anon_max, unsigned header_timeout_s)
{
	api_conns *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	api_ratelog_init(&g->rl);
	api_ratelog_init(&g->http);
	g->log = log;
	g->anon_max = anon_max;
	g->deadline_ms = (long long)header_timeout_s * 1000;
	if (pthread_create(&g->thread, NULL, watch_deadlines, g) != 0) {
		api_conns_free(g);
		return NULL;
	}
	g->thread_started = 1;
	return g;
}

void api_conns_free(api_conns *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->mu);
	g->stopping = 1;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (g->thread_started)
		pthread_join(g->thread, NULL);
	/* the server is stopped first: every entry was closed and freed */
	api_ratelog_destroy(&g->rl);
	api_ratelog_destroy(&g->http);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void api_conns_admit(api_conns *g)
{
	pthread_mutex_lock(&g->mu);
	if (g->anon >= g->anon_max) {
		conn_entry *oldest = NULL;
		for (conn_entry *e = g->head; e; e = e->next)
			if (!e->trusted && !e->in_request && !e->shut &&
			    (!oldest || e->since_ms < oldest->since_ms))
				oldest = e;
		if (oldest)
			shut(g, oldest,
			     "unauthenticated connections at their limit: oldest closed");
	}
	pthread_mutex_unlock(&g->mu);
}

void *api_conns_started(api_conns *g, int fd)
{
	conn_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->fd = fd;
	e->since_ms = now_ms();
	pthread_mutex_lock(&g->mu);
	e->next = g->head;
	if (g->head)
		g->head->prev = e;
	g->head = e;
	g->anon++;
	pthread_mutex_unlock(&g->mu);
	return e;
}

void api_conns_closed(api_conns *g, void *ctx)
{
	conn_entry *e = ctx;
	if (!e)
		return;
	pthread_mutex_lock(&g->mu);
	if (e->prev)
		e->prev->next = e->next;
	else
		g->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	if (!e->trusted && !e->shut)
		g->anon--;
	pthread_mutex_unlock(&g->mu);
	free(e);
}

void api_conns_request(api_conns *g, void *ctx, int trusted)
{
	conn_entry *e = ctx;
	if (!e)
		return;
	pthread_mutex_lock(&g->mu);
	e->in_request = 1;
	if (trusted && !e->trusted) {
		e->trusted = 1;
		if (!e->shut)
			g->anon--;
	}
	pthread_mutex_unlock(&g->mu);
}

void api_conns_request_done(api_conns *g, void *ctx)
{
	conn_entry *e = ctx;
	if (!e)
		return;
	pthread_mutex_lock(&g->mu);
	e->in_request = 0;
	e->since_ms = now_ms(); /* the next request's headers start now */
	pthread_mutex_unlock(&g->mu);
}
