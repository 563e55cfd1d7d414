/* Test helper for the consulsim conformance tests (see cst.h). */
#include "cst.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testsupport.h"

struct buf {
	char *p;
	size_t n, cap;
};

static size_t on_data(char *d, size_t sz, size_t nm, void *u)
{
	struct buf *b = u;

	if (b->n + sz * nm + 1 > b->cap) {
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

static void header_value(const char *line, size_t len, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name), k;

	if (len <= nl + 1 || strncasecmp(line, name, nl) || line[nl] != ':')
		return;
	line += nl + 1;
	len -= nl + 1;
	while (len && *line == ' ') {
		line++;
		len--;
	}
	for (k = 0; k < len && k + 1 < n && line[k] != '\r' && line[k] != '\n'; k++)
		out[k] = line[k];
	out[k] = '\0';
}

static size_t on_header(char *d, size_t sz, size_t nm, void *u)
{
	struct csr *r = u;
	char idx[32] = "";

	header_value(d, sz * nm, "X-Consul-Index", idx, sizeof(idx));
	if (*idx)
		r->index = atoll(idx);
	header_value(d, sz * nm, "X-Consul-KnownLeader", r->known_leader, sizeof(r->known_leader));
	header_value(d, sz * nm, "X-Consul-LastContact", r->last_contact, sizeof(r->last_contact));
	header_value(d, sz * nm, "X-Consul-Results-Filtered-By-ACLs", r->filtered,
	             sizeof(r->filtered));
	header_value(d, sz * nm, "X-Consul-Effective-Consistency", r->consistency,
	             sizeof(r->consistency));
	return sz * nm;
}

int cst_start(struct cst *t, const char *const *extra)
{
	char bin[1024], listen[64], log[1200], *text;
	const char *argv[32];
	long long end;
	int n = 0;

	t->port = ts_free_port();
	if (!t->dir)
		t->dir = ts_mkdtemp("consulsim-test");
	if (t->port <= 0 || !t->dir)
		return -1;
	snprintf(bin, sizeof(bin), "%s/consulsim", ts_bin_dir());
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", t->port);
	snprintf(log, sizeof(log), "%s/consulsim.log", t->dir);
	unlink(log);
	argv[n++] = bin;
	argv[n++] = "--listen";
	argv[n++] = listen;
	while (extra && *extra && n < 30)
		argv[n++] = *extra++;
	argv[n] = NULL;
	snprintf(t->base, sizeof(t->base), "http://127.0.0.1:%d", t->port);
	t->pid = ts_spawn(argv, log);
	if (t->pid <= 0)
		return -1;
	/* the ready line is the documented signal that it serves */
	for (end = ts_now_ms() + 10000; ts_now_ms() < end;) {
		text = ts_read_file(log, NULL);
		if (text && strstr(text, "consulsim: ready http://")) {
			free(text);
			return 0;
		}
		free(text);
		if (waitpid(t->pid, NULL, WNOHANG) == t->pid) { /* exited: bad args */
			t->pid = 0;
			return -1;
		}
		usleep(20 * 1000);
	}
	ts_stop(t->pid, 2000);
	t->pid = 0;
	return -1;
}

int cst_stop(struct cst *t, int keep_dir)
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

struct csr cst_do_timeout(struct cst *t, const char *method, const char *path, const char *body,
                          const char *hdr, long timeout_s)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct buf b = {NULL, 0, 0};
	struct csr r;
	char url[4096];

	memset(&r, 0, sizeof(r));
	r.index = -1;
	snprintf(url, sizeof(url), "%s%s", t->base, path);
	if (hdr)
		h = curl_slist_append(h, hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	if (body)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	r.curl_rc = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &r.seconds);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	r.body = b.p ? b.p : strdup("");
	r.json = json_loads(r.body, JSON_DECODE_ANY, NULL);
	return r;
}

struct csr cst_do(struct cst *t, const char *method, const char *path, const char *body,
                  const char *hdr)
{
	return cst_do_timeout(t, method, path, body, hdr, 20);
}

void csr_free(struct csr *r)
{
	json_decref(r->json);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

long cst_status(struct cst *t, const char *method, const char *path, const char *body)
{
	struct csr r = cst_do(t, method, path, body, NULL);
	long st = r.status;

	csr_free(&r);
	return st;
}

int cst_register(struct cst *t, const char *node, const char *svc, int port, const char *status,
                 const char *hdr)
{
	char body[1024];
	struct csr r;
	int rc;

	snprintf(body, sizeof(body),
	         "{\"Node\":\"%s\",\"Address\":\"10.0.0.%d\",\"Service\":{\"ID\":\"%s-%d\","
	         "\"Service\":\"%s\",\"Port\":%d},\"Check\":{\"CheckID\":\"chk-%s-%d\","
	         "\"Name\":\"c\",\"Status\":\"%s\",\"ServiceID\":\"%s-%d\"}}",
	         node, port % 250 + 1, svc, port, svc, port, svc, port, status, svc, port);
	r = cst_do(t, "PUT", "/v1/catalog/register", body, hdr);
	rc = r.status == 200 && json_is_true(r.json) ? 0 : -1;
	csr_free(&r);
	return rc;
}
