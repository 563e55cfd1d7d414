/* The F5 session: libcurl, token auth, retries (see f5_http.h). */
#include "clock.h"
#include "f5_http.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy-t.h"

#define MAX_TRIES          8
#define BACKOFF_MIN_MS     100
#define BACKOFF_MAX_MS     2000
#define DEFAULT_TIMEOUT_MS 30000
#define DEFAULT_RESYNC_MS  30000

long long f5_now_ms(void)
{
	return weft_mono_ms();
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int read_password(const weft_resource *dev, const weft_credentials *c, char **out,
                         weft_err *err)
{
	if (c && c->env) {
		const char *v = getenv(c->env);
		if (!v)
			return weft_err_set(err,
			                    "device %s/%s: credentials: environment variable %s "
			                    "is not set",
			                    dev->ns, dev->name, c->env);
		*out = strdup(v);
		return *out ? 0 : weft_err_set(err, "out of memory");
	}
	if (c && c->file) {
		FILE *f = fopen(c->file, "r");
		if (!f)
			return weft_err_set(err, "device %s/%s: credentials: cannot read %s: %s",
			                    dev->ns, dev->name, c->file, strerror(errno));
		char line[1024] = "";
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
		line[strcspn(line, "\r\n")] = 0;
		*out = strdup(line);
		return *out ? 0 : weft_err_set(err, "out of memory");
	}
	return weft_err_set(err,
	                    "device %s/%s: spec.connection.credentials (file or env) is "
	                    "required for type f5",
	                    dev->ns, dev->name);
}

int f5_session_open(const weft_resource *dev, struct f5_session **out, weft_err *err)
{
	const weft_device_spec *ds = dev->spec;
	const weft_connection *c = ds ? ds->connection : NULL;
	if (!c || !c->address)
		return weft_err_set(err,
		                    "device %s/%s: spec.connection.address is required for "
		                    "type f5",
		                    dev->ns, dev->name);
	struct f5_session *s = calloc(1, sizeof(*s));
	if (!s)
		return weft_err_set(err, "out of memory");
	snprintf(s->device, sizeof(s->device), "%s/%s", dev->ns, dev->name);
	int v6 = strchr(c->address, ':') != NULL;
	snprintf(s->base, sizeof(s->base), "https://%s%s%s:%d", v6 ? "[" : "", c->address,
	         v6 ? "]" : "", c->port ? c->port : 443);
	snprintf(s->user, sizeof(s->user), "%s", c->username ? c->username : "admin");
	if (c->tls && c->tls->ca_file)
		snprintf(s->ca_file, sizeof(s->ca_file), "%s", c->tls->ca_file);
	s->insecure = c->tls && c->tls->insecure;
	s->timeout_ms = c->timeout_ms ? c->timeout_ms : DEFAULT_TIMEOUT_MS;
	const char *part =
	        ds->options && ds->options->partition ? ds->options->partition : "Common";
	snprintf(s->partition, sizeof(s->partition), "%s", part);
	const char *resync = getenv("WEFT_F5_RESYNC_MS");
	s->resync_ms = resync ? atoll(resync) : DEFAULT_RESYNC_MS;
	if (read_password(dev, c->credentials, &s->password, err)) {
		free(s);
		return -1;
	}
	pthread_once(&curl_once, curl_init_once);
	s->curl = curl_easy_init();
	if (!s->curl) {
		f5_session_close(s);
		return weft_err_set(err, "device %s: curl_easy_init failed", s->device);
	}
	*out = s;
	return 0;
}

void f5_session_close(struct f5_session *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	if (s->password) {
		memset(s->password, 0, strlen(s->password));
		free(s->password);
	}
	f5_config_free(s->cache);
	free(s);
}

/* ---- one HTTP exchange ---- */

struct buf {
	char *data;
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t add = size * n;
	char *d = realloc(b->data, b->len + add + 1);
	if (!d)
		return 0;
	memcpy(d + b->len, ptr, add);
	b->len += add;
	d[b->len] = 0;
	b->data = d;
	return add;
}

/* Sends once. Returns the curl code; *status the HTTP status. */
static CURLcode exchange(struct f5_session *s, const char *method, const char *uri,
                         const char *body, const char *trans_id, int auth, long *status,
                         struct buf *resp)
{
	CURL *c = s->curl;
	char url[2048], h_tok[700], h_txn[128];
	snprintf(url, sizeof(url), "%s%s", s->base, uri);
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (auth && s->token[0]) {
		snprintf(h_tok, sizeof(h_tok), "X-F5-Auth-Token: %s", s->token);
		hdr = curl_slist_append(hdr, h_tok);
	}
	if (trans_id && *trans_id) {
		snprintf(h_txn, sizeof(h_txn), "X-F5-REST-Coordination-Id: %s", trans_id);
		hdr = curl_slist_append(hdr, h_txn);
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	else if (strcmp(method, "GET") && strcmp(method, "DELETE"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(s->timeout_ms < 10000 ? s->timeout_ms : 10000));
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (s->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (s->ca_file[0]) {
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	}
	CURLcode rc = curl_easy_perform(c);
	*status = 0;
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hdr);
	s->bytes_sent += body ? strlen(body) : 0;
	s->bytes_received += resp->len;
	return rc;
}

/* Whether a failed answer is one BIG-IP gives while it is (re)starting. */
static int retryable(CURLcode rc, long status, const char *body)
{
	if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
	    rc == CURLE_GOT_NOTHING)
		return 1;
	if (rc != CURLE_OK)
		return 0;
	if (status == 503)
		return 1;
	if (status == 404 && body && strstr(body, "not registered"))
		return 1;
	if (status == 500 && body && strstr(body, "mcpd"))
		return 1;
	return 0;
}

static void sleep_ms(long long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Sends with retries. Returns the curl code of the last try. */
static CURLcode send_retry(struct f5_session *s, const char *method, const char *uri,
                           const char *body, const char *trans_id, int auth, long *status,
                           struct buf *resp)
{
	long long start = f5_now_ms(), backoff = BACKOFF_MIN_MS;
	for (int attempt = 1;; attempt++) {
		free(resp->data);
		resp->data = NULL;
		resp->len = 0;
		CURLcode rc = exchange(s, method, uri, body, trans_id, auth, status, resp);
		if (!retryable(rc, *status, resp->data) || attempt >= MAX_TRIES)
			return rc;
		/* jitter: 50% .. 150% of the backoff */
		long long delay = backoff / 2 + (long long)(rand() % (int)(backoff + 1));
		if (f5_now_ms() - start + delay >= s->timeout_ms)
			return rc;
		s->retries++;
		sleep_ms(delay);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
	}
}

/* What to do about a TLS failure, in the Device's own terms (docs/policy.md,
 * Device connection.tls), or "". */
static const char *tls_hint(const struct f5_session *s, CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ISSUER_ERROR:
		return s->ca_file[0]
		               ? " (hint: the device's certificate does not verify against "
		                 "connection.tls.caFile; check that file is the CA that signed it, "
		                 "and that connection.address matches the certificate's name)"
		               : " (hint: the device's certificate does not verify against the "
		                 "system CAs; set connection.tls.caFile to the CA that signed it)";
	default:
		return "";
	}
}

static int fail(struct f5_session *s, const char *method, const char *uri, CURLcode rc, long status,
                const char *body, weft_err *err)
{
	if (rc != CURLE_OK)
		return weft_err_set(err, "device %s: %s %s: %s%s", s->device, method, uri,
		                    curl_easy_strerror(rc), tls_hint(s, rc));
	json_t *j = body ? json_loads(body, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(j, "message"));
	char shortbody[200] = "";
	if (!msg && body)
		snprintf(shortbody, sizeof(shortbody), "%.*s", 160, body);
	weft_err_set(err, "device %s: %s %s: HTTP %ld %s", s->device, method, uri, status,
	             msg ? msg : shortbody);
	json_decref(j);
	return -1;
}

static int login(struct f5_session *s, weft_err *err)
{
	json_t *b = json_pack("{s:s, s:s, s:s}", "username", s->user, "password", s->password,
	                      "loginProviderName", "tmos");
	char *text = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	struct buf resp = {0};
	long status = 0;
	const char *uri = "/mgmt/shared/authn/login";
	CURLcode rc = send_retry(s, "POST", uri, text, NULL, 0, &status, &resp);
	if (text) {
		memset(text, 0, strlen(text));
		free(text);
	}
	s->logins++;
	if (rc != CURLE_OK || status / 100 != 2) {
		int r = fail(s, "POST", uri, rc, status, resp.data, err);
		if (status == 401)
			weft_err_set(err, "device %s: login as %s failed: authentication failed",
			             s->device, s->user);
		free(resp.data);
		return r;
	}
	json_t *j = json_loads(resp.data ? resp.data : "", 0, NULL);
	free(resp.data);
	json_t *tok = json_object_get(j, "token");
	const char *t = json_string_value(json_object_get(tok, "token"));
	if (!t) {
		json_decref(j);
		return weft_err_set(err, "device %s: login: no token in the answer", s->device);
	}
	long long life = json_integer_value(json_object_get(tok, "timeout"));
	if (life <= 0)
		life = 1200;
	snprintf(s->token, sizeof(s->token), "%s", t);
	s->token_life_ms = life * 1000;
	s->token_expiry_ms = f5_now_ms() + s->token_life_ms;
	json_decref(j);
	return 0;
}

static int token_fresh(struct f5_session *s)
{
	if (!s->token[0])
		return 0;
	long long left = s->token_expiry_ms - f5_now_ms();
	long long margin = s->token_life_ms / 10 < 60000 ? s->token_life_ms / 10 : 60000;
	return left > margin;
}

int f5_request(struct f5_session *s, const char *method, const char *uri, json_t *body,
               const char *trans_id, json_t **out, long *status_out, weft_err *err)
{
	if (out)
		*out = NULL;
	if (!token_fresh(s) && login(s, err))
		return -1;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct buf resp = {0};
	long status = 0;
	CURLcode rc;
	for (int again = 1;; again--) {
		s->calls++;
		rc = send_retry(s, method, uri, text, trans_id, 1, &status, &resp);
		if (rc != CURLE_OK || status != 401 || !again)
			break;
		s->token[0] = 0; /* expired or revoked: log in again, retry once */
		if (login(s, err)) {
			free(text);
			free(resp.data);
			return -1;
		}
	}
	free(text);
	if (status_out)
		*status_out = status;
	if (rc != CURLE_OK || status / 100 != 2) {
		int r = fail(s, method, uri, rc, status, resp.data, err);
		free(resp.data);
		return r;
	}
	if (out && resp.data && resp.len)
		*out = json_loads(resp.data, 0, NULL);
	free(resp.data);
	return 0;
}
