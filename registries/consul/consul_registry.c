/* The Consul registry backend (docs/registries.md, "Consul"). One thread
 * per Registry drives every watch over one libcurl multi handle capped at
 * CONSUL_MAX_CONNS connections to the agent (keep-alive, reused): with at
 * most that many Services each has its own blocking query on
 * /v1/health/service/NAME; with more, one blocking query on
 * /v1/catalog/services wakes the loop and every watched Service is read
 * again (non-blocking), because N blocking queries cannot share fewer
 * than N HTTP/1.1 connections. Client rules from Consul's blocking-query
 * documentation: the index resets to 0 when it goes backwards, a read
 * never blocks on index 0, requests of one watch are at least
 * CONSUL_MIN_GAP_MS apart, the client timeout is above wait + wait/16.
 * Failures report the Registry down (the manager keeps the endpoints),
 * back off (bounded) and move to the next address. */
#include "consul_registry.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "consul_parse.h"

#define CONSUL_MAX_CONNS      8
#define CONSUL_WAIT_S         60
#define CONSUL_MIN_GAP_MS     50
#define CONSUL_BACKOFF_MIN_MS 100
#define CONSUL_BACKOFF_MAX_MS 5000
#define CONSUL_MAX_BODY       (64u << 20) /* one answer; more fails the read */

struct cwatch {
	struct consul *c;
	long q; /* query index, -1 for the catalog watch */
	CURL *h;
	int busy, done_once;
	int want;    /* catalog mode: read this Service again (the catalog changed) */
	size_t addr; /* the address the request in flight went to */
	uint64_t index;
	long long next_ms, last_start_ms, backoff_ms;
	char *buf;
	size_t len;
	char idx_hdr[32];
};

struct consul {
	const weft_registry_spec *spec;
	const weft_registry_query *q;
	size_t n;
	weft_registry_sink *sink;
	CURLM *multi;
	struct curl_slist *hdrs;
	struct cwatch *w; /* n service watches */
	struct cwatch cat;
	int catalog_mode, reread; /* reread: catalog changed, read every service */
	size_t addr;
	atomic_int stop;
	pthread_t th;
};

static size_t on_body(char *d, size_t sz, size_t nm, void *arg)
{
	struct cwatch *w = arg;
	size_t k = sz * nm;
	if (w->len + k > CONSUL_MAX_BODY)
		return 0; /* CURLE_WRITE_ERROR: reported down, never unbounded */
	char *nb = realloc(w->buf, w->len + k + 1);
	if (!nb)
		return 0;
	memcpy(nb + w->len, d, k);
	w->buf = nb;
	w->len += k;
	w->buf[w->len] = 0;
	return k;
}

static size_t on_header(char *d, size_t sz, size_t nm, void *arg)
{
	struct cwatch *w = arg;
	size_t k = sz * nm;
	if (k > 15 && !strncasecmp(d, "X-Consul-Index:", 15)) {
		size_t i = 15, j = 0;
		while (i < k && d[i] == ' ')
			i++;
		while (i < k && d[i] >= '0' && d[i] <= '9' && j + 1 < sizeof(w->idx_hdr))
			w->idx_hdr[j++] = d[i++];
		w->idx_hdr[j] = 0;
	}
	return k;
}

static void url_add(char *u, size_t cap, const char *fmt, const char *v)
{
	size_t l = strlen(u);
	char *e = curl_easy_escape(NULL, v, 0);
	snprintf(u + l, cap - l, fmt, strchr(u, '?') ? '&' : '?', e ? e : "");
	curl_free(e);
}

/* The request of one watch: index and wait only when blocking. */
static void build_url(struct consul *c, struct cwatch *w, char *u, size_t cap)
{
	const char *scheme = c->spec->tls ? "https" : "http";
	w->addr = c->addr;
	const char *host = c->spec->addresses.items[c->addr % c->spec->addresses.count];
	int blocking = w->index > 0 && (w->q < 0 || !c->catalog_mode);
	if (w->q < 0) {
		snprintf(u, cap, "%s://%s/v1/catalog/services", scheme, host);
	} else {
		const weft_registry_query *q = &c->q[w->q];
		char *e = curl_easy_escape(NULL, q->service ? q->service : q->name, 0);
		snprintf(u, cap, "%s://%s/v1/health/service/%s", scheme, host, e ? e : "");
		curl_free(e);
		for (size_t i = 0; q->tags && i < q->tags->count; i++)
			url_add(u, cap, "%ctag=%s", q->tags->items[i]);
		if (q->passing_only)
			url_add(u, cap, "%cpassing=%s", "1");
	}
	if (c->spec->datacenter)
		url_add(u, cap, "%cdc=%s", c->spec->datacenter);
	if (blocking) {
		char idx[32];
		snprintf(idx, sizeof(idx), "%llu", (unsigned long long)w->index);
		url_add(u, cap, "%cindex=%s", idx);
		char wait[16];
		snprintf(wait, sizeof(wait), "%ds", CONSUL_WAIT_S);
		url_add(u, cap, "%cwait=%s", wait);
	}
}

static void start_one(struct consul *c, struct cwatch *w, long long now)
{
	char url[2048];
	build_url(c, w, url, sizeof(url));
	free(w->buf);
	w->buf = NULL;
	w->len = 0;
	w->idx_hdr[0] = 0;
	curl_easy_setopt(w->h, CURLOPT_URL, url);
	curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, c->hdrs);
	w->busy = 1;
	w->want = 0;
	w->last_start_ms = now;
	curl_multi_add_handle(c->multi, w->h);
}

static void failed(struct consul *c, struct cwatch *w, const char *why, long long now)
{
	char msg[600];
	const char *host = c->spec->addresses.items[w->addr % c->spec->addresses.count];
	snprintf(msg, sizeof(msg), "consul %s: %s", host, why);
	weft_registry_sink_down(c->sink, msg);
	if (w->addr == c->addr)
		c->addr++; /* the next address; once, however many watches failed on it */
	w->backoff_ms = w->backoff_ms ? w->backoff_ms * 2 : CONSUL_BACKOFF_MIN_MS;
	if (w->backoff_ms > CONSUL_BACKOFF_MAX_MS)
		w->backoff_ms = CONSUL_BACKOFF_MAX_MS;
	w->next_ms = now + w->backoff_ms;
	w->index = 0; /* the next read is immediate and complete: a resync */
	if (w->done_once > 1)
		w->done_once = 1; /* deliver the next answer even if unchanged: marks up */
}

/* Applies Consul's index rules; returns 1 when the answer may carry news. */
static int take_index(struct consul *c, struct cwatch *w)
{
	uint64_t x = strtoull(w->idx_hdr, NULL, 10);
	int news = w->done_once < 2 || x != w->index;
	if (w->done_once && x < w->index) {
		weft_registry_sink_restart(c->sink, "consul index went backwards: read again");
		w->index = 0; /* the next read is a full, non-blocking one */
		return 1;
	}
	w->index = x < 1 ? 1 : x; /* never block on index 0 */
	return news;
}

static void finished(struct consul *c, struct cwatch *w, CURLcode rc, long long now)
{
	long status = 0;
	w->busy = 0;
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK) {
		failed(c, w, curl_easy_strerror(rc), now);
		return;
	}
	if (status != 200) {
		char why[300];
		snprintf(why, sizeof(why), "HTTP %ld: %.200s", status, w->buf ? w->buf : "");
		char *nl = strchr(why, '\n');
		if (nl)
			*nl = 0;
		failed(c, w, why, now);
		return;
	}
	w->backoff_ms = 0;
	w->next_ms = w->last_start_ms + CONSUL_MIN_GAP_MS;
	int news = take_index(c, w);
	if (w->q < 0) {
		/* catalog watch: every answer re-reads every Service, a timed-out
		 * one too, because a check turning critical moves no catalog
		 * index: that bounds how late a health change is seen to the
		 * wait (docs/registries.md, "Consul") */
		(void)news;
		c->reread = 1;
		w->done_once = 2;
		return;
	}
	if (!news)
		return;
	struct consul_eps e;
	char why[300];
	if (consul_parse_health(w->buf ? w->buf : "", &c->q[w->q], &e, why, sizeof(why))) {
		failed(c, w, why, now);
		return;
	}
	w->done_once = 2;
	weft_registry_sink_endpoints(c->sink, (size_t)w->q, e.items, e.count);
	consul_eps_free(&e);
}

static void start_due(struct consul *c, long long now, long *wait_ms)
{
	if (c->catalog_mode) {
		if (!c->cat.busy && c->cat.next_ms <= now)
			start_one(c, &c->cat, now);
		else if (!c->cat.busy && c->cat.next_ms - now < *wait_ms)
			*wait_ms = (long)(c->cat.next_ms - now);
	}
	for (size_t i = 0; c->reread && i < c->n; i++)
		c->w[i].want = 1; /* kept while the watch is busy: no reread is lost */
	c->reread = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct cwatch *w = &c->w[i];
		if (w->busy)
			continue;
		if (c->catalog_mode && !w->want && !w->backoff_ms)
			continue;
		if (w->next_ms <= now)
			start_one(c, w, now);
		else if (w->next_ms - now < *wait_ms)
			*wait_ms = (long)(w->next_ms - now);
	}
}

static void *consul_loop(void *arg)
{
	struct consul *c = arg;
	while (!atomic_load(&c->stop)) {
		long long now = weft_mono_ms();
		long wait_ms = 1000;
		start_due(c, now, &wait_ms);
		int running = 0;
		curl_multi_perform(c->multi, &running);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(c->multi, &left))) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct cwatch *w = NULL;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&w);
			CURLcode rc = m->data.result;
			curl_multi_remove_handle(c->multi, m->easy_handle);
			if (w)
				finished(c, w, rc, weft_mono_ms());
		}
		if (c->reread)
			continue;
		curl_multi_poll(c->multi, NULL, 0, wait_ms < 1 ? 1 : (int)wait_ms, NULL);
	}
	return NULL;
}

/* The token from spec.token ({file} or {env}), trailing newline cut. */
static int read_token(const weft_secret_ref *t, char *out, size_t cap, weft_err *err)
{
	out[0] = 0;
	if (!t)
		return 0;
	if (t->env) {
		const char *v = getenv(t->env);
		if (!v || !*v)
			return weft_err_set(err, "spec.token.env: %s is not set", t->env);
		snprintf(out, cap, "%s", v);
	} else if (t->file) {
		FILE *f = fopen(t->file, "r");
		if (!f)
			return weft_err_set(err, "spec.token.file: %s: %s", t->file,
			                    strerror(errno));
		size_t k = fread(out, 1, cap - 1, f);
		fclose(f);
		out[k] = 0;
	}
	size_t l = strlen(out);
	while (l && (out[l - 1] == '\n' || out[l - 1] == '\r' || out[l - 1] == ' '))
		out[--l] = 0;
	if (!l || strpbrk(out, "\r\n"))
		return weft_err_set(err, "spec.token: empty or not one line");
	return 0;
}

static int watch_init(struct consul *c, struct cwatch *w, long q)
{
	w->c = c;
	w->q = q;
	w->h = curl_easy_init();
	if (!w->h)
		return -1;
	const weft_registry_tls *tls = c->spec->tls;
	curl_easy_setopt(w->h, CURLOPT_PRIVATE, (char *)w);
	curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(w->h, CURLOPT_HEADERDATA, w);
	curl_easy_setopt(w->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(w->h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	/* above wait + wait/16 (the agent's jitter) plus slack for the answer */
	curl_easy_setopt(w->h, CURLOPT_TIMEOUT_MS,
	                 (long)(CONSUL_WAIT_S * 1000 + CONSUL_WAIT_S * 1000 / 16 + 5000));
	curl_easy_setopt(w->h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(w->h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (tls) {
		if (tls->ca_file)
			curl_easy_setopt(w->h, CURLOPT_CAINFO, tls->ca_file);
		if (tls->cert_file)
			curl_easy_setopt(w->h, CURLOPT_SSLCERT, tls->cert_file);
		if (tls->key_file)
			curl_easy_setopt(w->h, CURLOPT_SSLKEY, tls->key_file);
	}
	return 0;
}

static void consul_free(struct consul *c)
{
	for (size_t i = 0; c->w && i < c->n; i++) {
		if (c->w[i].busy)
			curl_multi_remove_handle(c->multi, c->w[i].h);
		curl_easy_cleanup(c->w[i].h);
		free(c->w[i].buf);
	}
	if (c->cat.busy)
		curl_multi_remove_handle(c->multi, c->cat.h);
	curl_easy_cleanup(c->cat.h);
	free(c->cat.buf);
	free(c->w);
	if (c->multi)
		curl_multi_cleanup(c->multi);
	curl_slist_free_all(c->hdrs);
	free(c);
}

static void *consul_start(const weft_resource *reg, const weft_registry_query *q, size_t n,
                          weft_registry_sink *sink, weft_err *err)
{
	const weft_registry_spec *spec = reg->spec;
	char token[4096], hdr[4200];
	if (!spec || !spec->addresses.count) {
		weft_err_set(err, "Registry %s/%s: no spec.addresses", reg->ns, reg->name);
		return NULL;
	}
	if (read_token(spec->token, token, sizeof(token), err))
		return NULL;
	struct consul *c = calloc(1, sizeof(*c));
	if (!c || !(c->w = calloc(n ? n : 1, sizeof(*c->w))) || !(c->multi = curl_multi_init())) {
		weft_err_set(err, "out of memory");
		if (c)
			consul_free(c);
		return NULL;
	}
	c->spec = spec;
	c->q = q;
	c->n = n;
	c->sink = sink;
	c->catalog_mode = n > CONSUL_MAX_CONNS;
	if (*token) {
		snprintf(hdr, sizeof(hdr), "X-Consul-Token: %s", token);
		c->hdrs = curl_slist_append(NULL, hdr);
	}
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)CONSUL_MAX_CONNS);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)CONSUL_MAX_CONNS);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)CONSUL_MAX_CONNS);
	int bad = watch_init(c, &c->cat, -1);
	for (size_t i = 0; i < n && !bad; i++)
		bad = watch_init(c, &c->w[i], (long)i);
	if (bad || pthread_create(&c->th, NULL, consul_loop, c)) {
		weft_err_set(err, "Registry %s/%s: cannot start the watch thread", reg->ns,
		             reg->name);
		consul_free(c);
		return NULL;
	}
	return c;
}

static void consul_stop(void *inst)
{
	struct consul *c = inst;
	atomic_store(&c->stop, 1);
	curl_multi_wakeup(c->multi);
	pthread_join(c->th, NULL);
	consul_free(c);
}

static const weft_registry_backend consul_backend = {"consul", consul_start, consul_stop};

const weft_registry_backend *consul_registry_backend(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT); /* at registration: start-up, one thread */
	return &consul_backend;
}
