/* HTTP requests of weftctl to weftd (libcurl easy interface, one request
 * per call: a CLI makes a handful). Bounded: 5 s to connect, 120 s per
 * request. The token travels only in the Authorization header and is never
 * printed. An unreachable server is reported with its URL and a hint. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wctl-int.h"

typedef struct buffer {
	char *data;
	size_t len, cap;
} buffer;

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	buffer *b = userdata;
	size_t n = size * nmemb;
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

/* X-Weft-Revision: the head revision the answer was made at. */
static size_t on_header(char *line, size_t size, size_t n, void *userdata)
{
	wctl_resp *r = userdata;
	size_t len = size * n;
	static const char name[] = "x-weft-revision:";
	if (len > sizeof(name) - 1 && !strncasecmp(line, name, sizeof(name) - 1))
		r->revision = strtoll(line + sizeof(name) - 1, NULL, 10);
	return len;
}

void wctl_resp_free(wctl_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

static struct curl_slist *make_headers(const wctl_opts *o, const char *content_type)
{
	struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
	h = curl_slist_append(h, "Expect:"); /* no 100-continue round trip */
	if (content_type) {
		char line[256];
		snprintf(line, sizeof(line), "Content-Type: %s", content_type);
		h = curl_slist_append(h, line);
	}
	if (o->token && *o->token) {
		size_t n = strlen(o->token) + 32;
		char *line = malloc(n);
		if (line) {
			snprintf(line, n, "Authorization: Bearer %s", o->token);
			h = curl_slist_append(h, line);
			memset(line, 0, n);
			free(line);
		}
	}
	return h;
}

static void set_method(CURL *curl, const char *method, const char *body, size_t len)
{
	if (!strcmp(method, "GET"))
		return;
	if (!strcmp(method, "POST") || body) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
	}
	if (strcmp(method, "POST") != 0)
		curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
}

int wctl_http(const wctl_opts *o, const char *method, const char *path, const char *content_type,
              const char *body, size_t len, wctl_resp *r)
{
	const char *server = o->server && *o->server ? o->server : WCTL_DEFAULT_SERVER;
	size_t slen = strlen(server);
	while (slen && server[slen - 1] == '/')
		slen--;
	char *url = malloc(slen + strlen(path) + 1);
	CURL *curl = curl_easy_init();
	memset(r, 0, sizeof(*r));
	r->revision = -1;
	if (!url || !curl) {
		free(url);
		curl_easy_cleanup(curl);
		fprintf(o->err, "error: out of memory\n");
		return -1;
	}
	memcpy(url, server, slen);
	strcpy(url + slen, path);
	buffer b = {0};
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *headers = make_headers(o, body ? content_type : NULL);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 120000L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	if (o->cacert)
		curl_easy_setopt(curl, CURLOPT_CAINFO, o->cacert);
	set_method(curl, method, body, len);
	CURLcode rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	if (rc != CURLE_OK) {
		fprintf(o->err,
		        "error: cannot reach weftd at %s: %s\n"
		        "hint: is weftd running there? Set --server or WEFT_SERVER.\n",
		        url, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		free(url);
		free(b.data);
		return -1;
	}
	free(url);
	r->body = b.data ? b.data : strdup("");
	r->len = b.len;
	r->json = json_loadb(r->body ? r->body : "", r->len, 0, NULL);
	return 0;
}

int wctl_check(const wctl_opts *o, const wctl_resp *r, int print_json)
{
	int ok = r->status >= 200 && r->status < 300;
	if (o->json && (print_json || !ok)) {
		fputs(r->body ? r->body : "", o->out);
		if (r->len && r->body[r->len - 1] != '\n')
			fputc('\n', o->out);
	}
	if (ok)
		return WCTL_OK;
	const char *msg = json_string_value(json_object_get(r->json, "error"));
	fprintf(o->err, "error: %s (HTTP %ld)\n", msg ? msg : "unexpected response", r->status);
	wctl_render_errors(o->err, json_object_get(r->json, "errors"));
	if (r->status == 401)
		fprintf(o->err, "hint: give a token with --token or WEFT_TOKEN\n");
	return WCTL_FAILED;
}
