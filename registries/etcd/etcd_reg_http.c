/* The etcd registry backend's HTTP/JSON gateway client (see
 * etcd_reg_http.h): libcurl easy handles, replies buffered up to a bound,
 * the watch stream split into JSON objects as they arrive. */
#include "etcd_reg_http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A reply bigger than this is refused rather than buffered: a registry
 * prefix is endpoints, not bulk data. */
#define EREG_MAX_REPLY (64u << 20)

struct ereg_http {
	CURL *curl;
};

typedef struct buf {
	char *data;
	size_t len, cap;
	int overflow;
} buf;

static int buf_add(buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > EREG_MAX_REPLY) {
		b->overflow = 1;
		return -1;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = 0;
	return 0;
}

ereg_http *ereg_http_new(void)
{
	ereg_http *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->curl = curl_easy_init();
	if (!h->curl) {
		free(h);
		return NULL;
	}
	return h;
}

void ereg_http_free(ereg_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

static size_t on_body(char *p, size_t sz, size_t n, void *arg)
{
	return buf_add(arg, p, sz * n) ? 0 : sz * n;
}

/* Sets the handle up for one POST of req to addr/path. */
static char *setup(ereg_http *h, const char *addr, const char *path, json_t *req,
                   struct curl_slist **hdr)
{
	char url[512];
	snprintf(url, sizeof(url), "http://%s%s", addr, path);
	char *body = json_dumps(req, JSON_COMPACT);
	curl_easy_reset(h->curl);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body ? body : "{}");
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http");
	*hdr = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, *hdr);
	return body;
}

static int finish(ereg_http *h, CURLcode rc, const char *addr, const char *path, buf *b,
                  weft_err *err)
{
	long status = 0;
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (b->overflow)
		return weft_err_set(err, "etcd %s%s: reply larger than %u bytes", addr, path,
		                    EREG_MAX_REPLY);
	if (rc != CURLE_OK)
		return weft_err_set(err, "etcd %s%s: %s", addr, path, curl_easy_strerror(rc));
	if (status != 200)
		return weft_err_set(err, "etcd %s%s: HTTP %ld: %.200s", addr, path, status,
		                    b->data ? b->data : "");
	return 0;
}

int ereg_post(ereg_http *h, const char *addr, const char *path, json_t *req, json_t **resp,
              weft_err *err)
{
	struct curl_slist *hdr = NULL;
	char *body = setup(h, addr, path, req, &hdr);
	buf b = {0};
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, 30000L);
	CURLcode rc = curl_easy_perform(h->curl);
	int r = finish(h, rc, addr, path, &b, err);
	curl_slist_free_all(hdr);
	free(body);
	if (!r) {
		json_error_t je;
		*resp = json_loadb(b.data ? b.data : "", b.len, 0, &je);
		if (!*resp)
			r = weft_err_set(err, "etcd %s%s: reply is not JSON: %s", addr, path,
			                 je.text);
	}
	free(b.data);
	return r;
}

typedef struct stream_ctx {
	buf b;
	int (*on_msg)(void *arg, json_t *msg);
	void *arg;
	volatile int *stop;
	int stopped; /* by on_msg or *stop: not an error */
} stream_ctx;

/* Hands every complete JSON object at the front of the buffer to on_msg. */
static int drain(stream_ctx *s)
{
	size_t off = 0;
	for (;;) {
		while (off < s->b.len && strchr(" \t\r\n", s->b.data[off]))
			off++;
		if (off >= s->b.len)
			break;
		json_error_t je;
		json_t *m =
		        json_loadb(s->b.data + off, s->b.len - off, JSON_DISABLE_EOF_CHECK, &je);
		if (!m)
			break; /* incomplete: wait for more */
		off += je.position;
		int r = s->on_msg(s->arg, m);
		json_decref(m);
		if (r) {
			s->stopped = 1;
			return -1;
		}
	}
	memmove(s->b.data, s->b.data + off, s->b.len - off);
	s->b.len -= off;
	if (s->b.data)
		s->b.data[s->b.len] = 0;
	return 0;
}

static size_t on_stream(char *p, size_t sz, size_t n, void *arg)
{
	stream_ctx *s = arg;
	if (buf_add(&s->b, p, sz * n) || drain(s))
		return 0;
	return sz * n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	stream_ctx *s = arg;
	if (*s->stop) {
		s->stopped = 1;
		return 1;
	}
	return 0;
}

int ereg_stream(ereg_http *h, const char *addr, const char *path, json_t *req,
                int (*on_msg)(void *arg, json_t *msg), void *arg, volatile int *stop, weft_err *err)
{
	struct curl_slist *hdr = NULL;
	char *body = setup(h, addr, path, req, &hdr);
	stream_ctx s = {.on_msg = on_msg, .arg = arg, .stop = stop};
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_stream);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, &s);
	/* TCP keepalive finds a peer that vanished without closing. */
	curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPIDLE, 5L);
	curl_easy_setopt(h->curl, CURLOPT_TCP_KEEPINTVL, 2L);
	CURLcode rc = curl_easy_perform(h->curl);
	int r = 0;
	if (!s.stopped) {
		r = finish(h, rc, addr, path, &s.b, err);
		if (!r)
			r = weft_err_set(err, "etcd %s%s: stream ended", addr, path);
	}
	curl_slist_free_all(hdr);
	free(body);
	free(s.b.data);
	return r;
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *ereg_b64(const char *data, size_t len)
{
	const unsigned char *d = (const unsigned char *)data;
	char *out = malloc(4 * ((len + 2) / 3) + 1), *o = out;
	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = d[i] << 16 | (i + 1 < len ? d[i + 1] << 8 : 0) |
		             (i + 2 < len ? d[i + 2] : 0);
		*o++ = B64[v >> 18 & 63];
		*o++ = B64[v >> 12 & 63];
		*o++ = i + 1 < len ? B64[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? B64[v & 63] : '=';
	}
	*o = 0;
	return out;
}

char *ereg_unb64(const char *b64, size_t *len)
{
	size_t n = strlen(b64);
	char *out = malloc(n / 4 * 3 + 1);
	if (!out || n % 4) {
		free(out);
		return NULL;
	}
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		unsigned v = 0;
		int pad = 0;
		for (int j = 0; j < 4; j++) {
			const char *p = b64[i + j] == '=' ? NULL : strchr(B64, b64[i + j]);
			if (b64[i + j] == '=' && i + 4 == n && j >= 2)
				pad++;
			else if (!p || !b64[i + j] || pad) {
				free(out);
				return NULL;
			}
			v = v << 6 | (p ? (unsigned)(p - B64) : 0);
		}
		out[o++] = (char)(v >> 16);
		if (pad < 2)
			out[o++] = (char)(v >> 8 & 255);
		if (pad < 1)
			out[o++] = (char)(v & 255);
	}
	out[o] = 0;
	*len = o;
	return out;
}
