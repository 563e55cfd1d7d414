/* Test helper for the f5sim conformance tests (see f5t.h). */
#include "f5t.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testsupport.h"

struct buf {
	char *p;
	size_t n, cap;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *u)
{
	struct buf *b = u;

	if (b->n + sz * nm + 1 > b->cap) { /* grow geometrically: bodies reach MBs */
		size_t cap = (b->n + sz * nm + 1) * 2;
		char *np = realloc(b->p, cap);

		if (!np)
			return 0;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, d, sz * nm);
	b->n += sz * nm;
	b->p[b->n] = '\0';
	return sz * nm;
}

int f5t_start(struct f5t *t, const char *const *extra)
{
	char bin[1024], listen[64], user[64], log[1200];
	const char *argv[32];
	int n = 0;

	t->port = ts_free_port();
	if (!t->dir)
		t->dir = ts_mkdtemp("f5sim-test");
	if (t->port <= 0 || !t->dir)
		return -1;
	snprintf(bin, sizeof(bin), "%s/f5sim", ts_bin_dir());
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", t->port);
	snprintf(user, sizeof(user), "admin:%s", F5T_PASSWORD);
	snprintf(log, sizeof(log), "%s/f5sim.log", t->dir);
	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--user";
	argv[n++] = user;
	while (extra && *extra && n < 30)
		argv[n++] = *extra++;
	argv[n] = NULL;
	snprintf(t->base, sizeof(t->base), "%s://127.0.0.1:%d", t->plain ? "http" : "https",
	         t->port);
	t->pid = ts_spawn(argv, log);
	if (t->pid <= 0 || ts_wait_port(t->port, t->pid, 10000)) {
		if (t->pid > 0)
			ts_stop(t->pid, 2000);
		t->pid = 0;
		return -1;
	}
	t->auth = F5T_BASIC;
	return 0;
}

int f5t_stop(struct f5t *t, int keep_dir)
{
	int st = -1;

	if (t->pid > 0)
		st = ts_stop(t->pid, 5000);
	t->pid = 0;
	if (!keep_dir && t->dir) {
		ts_rmtree(t->dir);
		free(t->dir);
		t->dir = NULL;
	}
	return st;
}

int f5t_req(struct f5t *t, const char *method, const char *path, const char *body, const char *hdr,
            struct f5r *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct buf b = {NULL, 0, 0};
	char url[2048], line[256], up[128];
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if (!c)
		return -1;
	snprintf(url, sizeof(url), "%s%s", t->base, path);
	h = curl_slist_append(h, "Content-Type: application/json");
	if (t->auth == F5T_TOKEN) {
		snprintf(line, sizeof(line), "X-F5-Auth-Token: %s", t->token);
		h = curl_slist_append(h, line);
	} else if (t->auth == F5T_BASIC) {
		snprintf(up, sizeof(up), "admin:%s", F5T_PASSWORD);
		curl_easy_setopt(c, CURLOPT_USERPWD, up);
	}
	if (hdr)
		h = curl_slist_append(h, hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (t->cainfo) {
		curl_easy_setopt(c, CURLOPT_CAINFO, t->cainfo);
	} else {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r->seconds);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	r->body = b.p ? b.p : strdup("");
	r->json = json_loads(r->body, JSON_DECODE_ANY, NULL);
	if (rc != CURLE_OK) {
		fprintf(stderr, "f5t: %s %s: %s\n", method, url, curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

void f5r_free(struct f5r *r)
{
	json_decref(r->json);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

int f5t_login(struct f5t *t)
{
	struct f5r r;
	char body[256];
	const char *tok;
	int rc = -1;

	snprintf(body, sizeof(body),
	         "{\"username\":\"admin\",\"password\":\"%s\",\"loginProviderName\":\"tmos\"}",
	         F5T_PASSWORD);
	t->auth = F5T_NONE;
	if (f5t_req(t, "POST", "/mgmt/shared/authn/login", body, NULL, &r) == 0 &&
	    r.status == 200) {
		tok = f5_str(json_object_get(r.json, "token"), "token");
		if (tok) {
			snprintf(t->token, sizeof(t->token), "%s", tok);
			t->auth = F5T_TOKEN;
			rc = 0;
		}
	}
	f5r_free(&r);
	return rc;
}

const char *f5_str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

long f5t_status(struct f5t *t, const char *method, const char *path, const char *body)
{
	struct f5r r;
	long st;

	f5t_req(t, method, path, body, NULL, &r);
	st = r.status;
	f5r_free(&r);
	return st;
}

struct f5r f5t_do(struct f5t *t, const char *method, const char *path, const char *body,
                  const char *hdr)
{
	struct f5r r;

	f5t_req(t, method, path, body, hdr, &r);
	return r;
}

long long f5_int(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}
