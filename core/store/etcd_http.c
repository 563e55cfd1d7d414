/* etcd's v3 HTTP/JSON gateway over libcurl: endpoints, TLS, the auth
 * token, base64 and the gateway's JSON conventions. See etcd_http.h. */
#include "etcd_http.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CONNECT_TIMEOUT_MS 2000L
#define REQUEST_TIMEOUT_MS 30000L
/* A reply larger than this is refused rather than grown without bound. */
#define MAX_REPLY_BYTES (256u << 20)

struct etcd_client {
	char **endpoints; /* "http://host:port" or "https://host:port" */
	size_t n_endpoints, cur;
	char *ca, *cert, *key;
	char *user, *password;
	char *token; /* from /v3/auth/authenticate, NULL without auth */
	CURL *curl;
	long timeout_ms;
	long unavailable_retry_ms; /* see etcd_client_set_unavailable_retry */
};

struct buf {
	char *data;
	size_t len, cap;
	int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct buf *b = arg;
	size_t n = size * nmemb;
	if (b->len + n + 1 > MAX_REPLY_BYTES) {
		b->too_big = 1;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

static const char b64_alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *etcd_b64(const char *data, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	if (!out)
		return NULL;
	const unsigned char *in = (const unsigned char *)data;
	size_t o = 0;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)in[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)in[i + 1] << 8;
		if (i + 2 < len)
			v |= in[i + 2];
		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = i + 1 < len ? b64_alphabet[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < len ? b64_alphabet[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int b64_value(char c)
{
	const char *p = c ? strchr(b64_alphabet, c) : NULL;
	return p ? (int)(p - b64_alphabet) : -1;
}

char *etcd_unb64(const char *b64, size_t *len)
{
	size_t n = strlen(b64);
	if (n % 4)
		return NULL;
	char *out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		for (int j = 0; j < 4; j++)
			v[j] = b64[i + j] == '=' && j >= 2 && i + 4 == n ? -2
			                                                 : b64_value(b64[i + j]);
		if (v[0] < 0 || v[1] < 0 || v[2] == -1 || v[3] == -1 ||
		    (v[2] == -2 && v[3] != -2)) {
			free(out);
			return NULL;
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 |
		             (unsigned)(v[2] < 0 ? 0 : v[2]) << 6 | (unsigned)(v[3] < 0 ? 0 : v[3]);
		out[o++] = (char)(w >> 16);
		if (v[2] >= 0)
			out[o++] = (char)(w >> 8 & 0xff);
		if (v[3] >= 0)
			out[o++] = (char)(w & 0xff);
	}
	out[o] = '\0';
	if (len)
		*len = o;
	return out;
}

int64_t etcd_int(const json_t *obj, const char *field)
{
	json_t *v = json_object_get(obj, field);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	if (json_is_integer(v))
		return json_integer_value(v);
	return 0;
}

char *etcd_prefix_end(const char *prefix)
{
	char *end = strdup(prefix);
	if (!end)
		return NULL;
	size_t n = strlen(end);
	/* Keys here are printable ASCII, so the last byte never overflows. */
	if (n)
		end[n - 1]++;
	return end;
}

json_t *etcd_range_req(const char *key, const char *range_end)
{
	char *k = etcd_b64(key, strlen(key));
	char *e = NULL;
	if (range_end && !*range_end) {
		char *pe = etcd_prefix_end(key);
		e = pe ? etcd_b64(pe, strlen(pe)) : NULL;
		free(pe);
	} else if (range_end) {
		e = etcd_b64(range_end, strlen(range_end));
	}
	json_t *r = json_object();
	json_object_set_new(r, "key", json_string(k ? k : ""));
	if (e)
		json_object_set_new(r, "range_end", json_string(e));
	free(k);
	free(e);
	return r;
}

json_t *etcd_txn_kvs(json_t *txn_resp, size_t i)
{
	json_t *r = json_array_get(json_object_get(txn_resp, "responses"), i);
	return json_object_get(json_object_get(r, "response_range"), "kvs");
}

char *etcd_kv_value(const json_t *kv)
{
	const char *v = json_string_value(json_object_get(kv, "value"));
	return etcd_unb64(v ? v : "", NULL); /* an empty value is left out */
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* "USER:PASSWORD" from the file's first line, else the environment. */
static int load_credentials(struct etcd_client *cl, const weft_store_opts *opts, weft_err *err)
{
	const char *user = getenv("WEFT_STORE_USER"), *pass = getenv("WEFT_STORE_PASSWORD");
	char line[1024] = "";
	if (opts && opts->credentials_file) {
		FILE *f = fopen(opts->credentials_file, "r");
		if (!f || !fgets(line, sizeof(line), f)) {
			if (f)
				fclose(f);
			return weft_err_setc(err, WEFT_EINVALID,
			                     "credentials file %s: cannot read it",
			                     opts->credentials_file);
		}
		fclose(f);
		line[strcspn(line, "\r\n")] = '\0';
		char *colon = strchr(line, ':');
		if (!colon || colon == line)
			return weft_err_setc(err, WEFT_EINVALID,
			                     "credentials file %s:1: expected USER:PASSWORD",
			                     opts->credentials_file);
		*colon = '\0';
		user = line;
		pass = colon + 1;
	}
	if (!user || !*user)
		return 0;
	if (!pass)
		return weft_err_setc(err, WEFT_EINVALID,
		                     "WEFT_STORE_USER is set but WEFT_STORE_PASSWORD is not");
	cl->user = strdup(user);
	cl->password = strdup(pass);
	return cl->user && cl->password ? 0 : weft_err_set(err, "out of memory");
}

static int parse_hosts(struct etcd_client *cl, const char *hosts, int tls, weft_err *err)
{
	char *copy = strdup(hosts), *save = NULL;
	if (!copy)
		return weft_err_set(err, "out of memory");
	size_t max = 1;
	for (const char *c = hosts; *c; c++)
		max += *c == ',';
	cl->endpoints = calloc(max, sizeof(*cl->endpoints));
	for (char *h = strtok_r(copy, ",", &save); h && cl->endpoints;
	     h = strtok_r(NULL, ",", &save)) {
		const char *colon = strrchr(h, ':');
		if (!*h || !colon || colon == h || !colon[1] ||
		    strspn(colon + 1, "0123456789") != strlen(colon + 1) || strchr(h, '/')) {
			weft_err_setc(err, WEFT_EINVALID, "endpoint '%s' is not HOST:PORT", h);
			free(copy);
			return WEFT_EINVALID;
		}
		if (asprintf(&cl->endpoints[cl->n_endpoints], "%s://%s", tls ? "https" : "http",
		             h) < 0)
			break;
		cl->n_endpoints++;
	}
	free(copy);
	if (!cl->endpoints)
		return weft_err_set(err, "out of memory");
	if (!cl->n_endpoints)
		return weft_err_setc(err, WEFT_EINVALID, "no endpoint (expected HOST:PORT[,...])");
	return 0;
}

static char *dup_opt(const char *s)
{
	return s ? strdup(s) : NULL;
}

struct etcd_client *etcd_client_new(const char *hosts, const weft_store_opts *opts, weft_err *err)
{
	pthread_once(&curl_once, curl_init_once);
	struct etcd_client *cl = calloc(1, sizeof(*cl));
	if (!cl) {
		weft_err_set(err, "out of memory");
		return NULL;
	}
	int tls = opts && (opts->ca_file || opts->cert_file || opts->key_file);
	if (opts && (opts->cert_file != NULL) != (opts->key_file != NULL)) {
		weft_err_setc(err, WEFT_EINVALID, "a client certificate needs its key and back");
		etcd_client_free(cl);
		return NULL;
	}
	if (opts) {
		cl->ca = dup_opt(opts->ca_file);
		cl->cert = dup_opt(opts->cert_file);
		cl->key = dup_opt(opts->key_file);
	}
	cl->curl = curl_easy_init();
	cl->timeout_ms = REQUEST_TIMEOUT_MS;
	if (!cl->curl || parse_hosts(cl, hosts, tls, err) || load_credentials(cl, opts, err)) {
		if (!cl->curl)
			weft_err_set(err, "cannot create a libcurl handle");
		etcd_client_free(cl);
		return NULL;
	}
	return cl;
}

void etcd_client_free(struct etcd_client *cl)
{
	if (!cl)
		return;
	for (size_t i = 0; i < cl->n_endpoints; i++)
		free(cl->endpoints[i]);
	free(cl->endpoints);
	free(cl->ca);
	free(cl->cert);
	free(cl->key);
	free(cl->user);
	free(cl->password);
	free(cl->token);
	if (cl->curl)
		curl_easy_cleanup(cl->curl);
	free(cl);
}

/* One POST to the current endpoint. Returns the CURLcode; *status the HTTP
 * status. */
static CURLcode post_once(struct etcd_client *cl, const char *path, const char *body,
                          struct buf *reply, long *status, char *curl_err)
{
	char url[1024];
	snprintf(url, sizeof(url), "%s%s", cl->endpoints[cl->cur], path);
	CURL *c = cl->curl;
	curl_easy_reset(c);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	char auth[2048];
	if (cl->token && strcmp(path, "/v3/auth/authenticate")) {
		snprintf(auth, sizeof(auth), "Authorization: %s", cl->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, reply);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, cl->timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cl->ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, cl->ca);
	if (cl->cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, cl->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, cl->key);
	}
	curl_err[0] = '\0';
	CURLcode rc = curl_easy_perform(c);
	*status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdrs);
	return rc;
}

/* Nothing reached the server: another endpoint may be tried safely. */
static int not_sent(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST;
}

/* Whether sending req again cannot change anything: ranges, renewals,
 * transactions that only read. Those fail over to the next endpoint on any
 * transport error (a member that died with the connection open); a write
 * only when nothing was sent, since it may have been applied. */
static int idempotent(const char *path, json_t *req)
{
	if (!strcmp(path, "/v3/kv/range") || !strcmp(path, "/v3/lease/keepalive"))
		return 1;
	if (strcmp(path, "/v3/kv/txn"))
		return 0;
	const char *branches[] = {"success", "failure"};
	for (int b = 0; b < 2; b++) {
		size_t i;
		json_t *op;
		json_array_foreach(json_object_get(req, branches[b]), i, op)
		{
			if (json_object_size(op) != 1 || !json_object_get(op, "request_range"))
				return 0;
		}
	}
	return 1;
}

/* POST with failover over the endpoints; reply parsed into *resp. */
static int post_raw(struct etcd_client *cl, const char *path, const char *body, json_t **resp,
                    int retry_any, weft_err *err)
{
	char curl_err[CURL_ERROR_SIZE];
	for (size_t tries = 0; tries < cl->n_endpoints; tries++) {
		struct buf reply = {0};
		long status = 0;
		CURLcode rc = post_once(cl, path, body, &reply, &status, curl_err);
		if (rc != CURLE_OK) {
			int skip = not_sent(rc) || retry_any;
			weft_err_set(err, "%s%s: %s", cl->endpoints[cl->cur], path,
			             reply.too_big ? "reply too large"
			             : curl_err[0] ? curl_err
			                           : curl_easy_strerror(rc));
			free(reply.data);
			if (!skip)
				return WEFT_EFAIL;
			cl->cur = (cl->cur + 1) % cl->n_endpoints;
			continue;
		}
		json_error_t jerr;
		*resp = reply.data ? json_loads(reply.data, 0, &jerr) : NULL;
		if (!*resp) {
			weft_err_set(err, "%s%s: HTTP %ld with a reply that is not JSON: %.120s",
			             cl->endpoints[cl->cur], path, status,
			             reply.data ? reply.data : "(empty)");
			free(reply.data);
			return WEFT_EFAIL;
		}
		free(reply.data);
		const char *msg = json_string_value(json_object_get(*resp, "message"));
		if (status != 200 || json_object_get(*resp, "error")) {
			weft_err_set(err, "%s%s: HTTP %ld: %s", cl->endpoints[cl->cur], path,
			             status, msg ? msg : "error without a message");
			json_decref(*resp);
			*resp = NULL;
			return WEFT_EFAIL;
		}
		return 0;
	}
	return WEFT_EFAIL;
}

static int authenticate(struct etcd_client *cl, weft_err *err)
{
	json_t *req = json_pack("{s:s,s:s}", "name", cl->user, "password", cl->password);
	char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
	json_decref(req);
	if (!body)
		return weft_err_set(err, "out of memory");
	json_t *resp = NULL;
	int rc = post_raw(cl, "/v3/auth/authenticate", body, &resp, 1, err);
	free(body);
	if (rc) {
		weft_err_prefix(err, "authenticate as '%s'", cl->user);
		return rc;
	}
	const char *tok = json_string_value(json_object_get(resp, "token"));
	free(cl->token);
	cl->token = tok ? strdup(tok) : NULL;
	json_decref(resp);
	return cl->token ? 0 : weft_err_set(err, "authenticate as '%s': no token", cl->user);
}

int etcd_post(struct etcd_client *cl, const char *path, json_t *req, json_t **resp, weft_err *err)
{
	weft_err local = {0};
	if (!err)
		err = &local;
	*resp = NULL;
	if (cl->user && !cl->token && authenticate(cl, err))
		return WEFT_EFAIL;
	char *body = json_dumps(req, JSON_COMPACT);
	if (!body)
		return weft_err_set(err, "out of memory");
	int retry_any = idempotent(path, req);
	int rc = post_raw(cl, path, body, resp, retry_any, err);
	/* etcd's own leader election (a member died): reads wait for it. */
	for (long waited = 0; rc && retry_any && waited < cl->unavailable_retry_ms &&
	                      strstr(err->msg, ": HTTP 503: ");
	     waited += 100) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
		rc = post_raw(cl, path, body, resp, retry_any, err);
	}
	/* Simple tokens expire after a few idle minutes: renew once. */
	if (rc && cl->user && strstr(err->msg, "invalid auth token") && !authenticate(cl, err))
		rc = post_raw(cl, path, body, resp, retry_any, err);
	free(body);
	return rc;
}

void etcd_client_set_timeout(struct etcd_client *cl, long timeout_ms)
{
	cl->timeout_ms = timeout_ms;
}

void etcd_client_set_unavailable_retry(struct etcd_client *cl, long max_ms)
{
	cl->unavailable_retry_ms = max_ms;
}

struct stream_ctx {
	struct buf line; /* bytes of the current, unfinished message */
	int (*on_msg)(void *arg, json_t *msg);
	void *arg;
	volatile int *stop;
	int stopped_by_msg;
};

/* The gateway sends one JSON object per line. */
static size_t on_stream_data(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct stream_ctx *sc = arg;
	size_t n = size * nmemb;
	for (size_t i = 0; i < n; i++) {
		if (ptr[i] != '\n') {
			if (on_data(ptr + i, 1, 1, &sc->line) != 1)
				return 0;
			continue;
		}
		json_t *msg = sc->line.len ? json_loads(sc->line.data, 0, NULL) : NULL;
		sc->line.len = 0;
		int rc = msg ? sc->on_msg(sc->arg, msg) : 0;
		json_decref(msg);
		if (rc) {
			sc->stopped_by_msg = 1;
			return 0;
		}
	}
	return n;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a;
	(void)b;
	(void)c;
	(void)d;
	return *((struct stream_ctx *)arg)->stop ? 1 : 0;
}

int etcd_stream(struct etcd_client *cl, const char *path, json_t *req,
                int (*on_msg)(void *arg, json_t *msg), void *arg, volatile int *stop, weft_err *err)
{
	if (cl->user && !cl->token && authenticate(cl, err))
		return WEFT_EFAIL;
	char *body = json_dumps(req, JSON_COMPACT);
	if (!body)
		return weft_err_set(err, "out of memory");
	char url[1024], auth[2048], curl_err[CURL_ERROR_SIZE] = "";
	snprintf(url, sizeof(url), "%s%s", cl->endpoints[cl->cur], path);
	struct stream_ctx sc = {.on_msg = on_msg, .arg = arg, .stop = stop};
	CURL *c = cl->curl;
	curl_easy_reset(c);
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	if (cl->token) {
		snprintf(auth, sizeof(auth), "Authorization: %s", cl->token);
		hdrs = curl_slist_append(hdrs, auth);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sc);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &sc);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	if (cl->ca)
		curl_easy_setopt(c, CURLOPT_CAINFO, cl->ca);
	if (cl->cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, cl->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, cl->key);
	}
	CURLcode rc = curl_easy_perform(c);
	curl_slist_free_all(hdrs);
	free(body);
	free(sc.line.data);
	if (rc == CURLE_OK || sc.stopped_by_msg || *stop)
		return 0;
	weft_err_set(err, "%s%s: %s", cl->endpoints[cl->cur], path,
	             curl_err[0] ? curl_err : curl_easy_strerror(rc));
	if (not_sent(rc))
		cl->cur = (cl->cur + 1) % cl->n_endpoints;
	return WEFT_EFAIL;
}
