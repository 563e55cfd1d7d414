/* weftd integration harness (see harness.h). */
#include "harness.h"

#include <curl/curl.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testsupport.h"

int wd_init(wd *d, const char *prefix)
{
	memset(d, 0, sizeof(*d));
	d->dir = ts_mkdtemp(prefix);
	if (!d->dir)
		return -1;
	snprintf(d->state, sizeof(d->state), "%s/state", d->dir);
	snprintf(d->ready, sizeof(d->ready), "%s/ready", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/weftd.log", d->dir);
	return 0;
}

char *wd_log(const wd *d)
{
	char *text = ts_read_file(d->log, NULL);
	return text ? text : strdup("");
}

int wd_start(wd *d, const char *const *extra)
{
	char bin[1024];
	const char *argv[64];
	int n = 0;
	snprintf(bin, sizeof(bin), "%s/weftd", ts_bin_dir());
	unlink(d->ready);
	argv[n++] = bin;
	argv[n++] = "--state";
	argv[n++] = d->state;
	argv[n++] = "--api";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--ready-file";
	argv[n++] = d->ready;
	argv[n++] = "--quiet-ms";
	argv[n++] = "20";
	for (int i = 0; extra && extra[i] && n < 62; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	d->pid = ts_spawn(argv, d->log);
	if (d->pid <= 0 || ts_wait_path(d->ready, d->pid, 15000) != 0) {
		char *log = wd_log(d);
		fprintf(stderr, "weftd did not become ready; its log:\n%s\n", log);
		free(log);
		if (d->pid > 0)
			ts_stop(d->pid, 5000);
		d->pid = 0;
		return -1;
	}
	char *addr = ts_read_file(d->ready, NULL);
	if (!addr)
		return -1;
	addr[strcspn(addr, "\n")] = '\0';
	snprintf(d->addr, sizeof(d->addr), "%s", addr);
	snprintf(d->url, sizeof(d->url), "http://%s", addr);
	free(addr);
	return 0;
}

int wd_stop(wd *d)
{
	if (d->pid <= 0)
		return -1;
	int status = ts_stop(d->pid, 10000);
	d->pid = 0;
	return status >= 0 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void wd_cleanup(wd *d)
{
	if (d->pid > 0)
		wd_stop(d);
	if (d->dir) {
		ts_rmtree(d->dir);
		free(d->dir);
		d->dir = NULL;
	}
}

/* ---- HTTP ---------------------------------------------------------------- */

typedef struct sink {
	char *data;
	size_t len;
	long long revision;
} sink;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	sink *s = ud;
	char *d = realloc(s->data, s->len + size * n + 1);
	if (!d)
		return 0;
	memcpy(d + s->len, p, size * n);
	s->data = d;
	s->len += size * n;
	d[s->len] = '\0';
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	sink *s = ud;
	if (size * n > 16 && !strncasecmp(p, "X-Weft-Revision:", 16))
		s->revision = atoll(p + 16);
	return size * n;
}

static int perform(CURL *c, const char *base, const char *path, http_resp *r)
{
	/* sized to the path: tests send very long ones on purpose */
	size_t size = strlen(base) + strlen(path) + 1;
	char *url = malloc(size);
	if (!url)
		return -1;
	sink s = {.revision = -1};
	snprintf(url, size, "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 30000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &s);
	CURLcode rc = curl_easy_perform(c);
	free(url);
	memset(r, 0, sizeof(*r));
	r->revision = s.revision;
	if (rc != CURLE_OK) {
		fprintf(stderr, "http %s%.200s: %s\n", base, path, curl_easy_strerror(rc));
		free(s.data);
		return -1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = s.data ? s.data : strdup("");
	r->json = json_loads(r->body, 0, NULL);
	return 0;
}

int http_do(const char *base, const char *method, const char *path, const char *token,
            const char *ctype, const char *body, size_t len, http_resp *r)
{
	CURL *c = curl_easy_init();
	/* big bodies keep curl's "Expect: 100-continue", so that a refused
	 * upload (413) is answered before the body is sent */
	struct curl_slist *h = curl_slist_append(NULL, len < (1u << 20) ? "Expect:" : "X-Big: 1");
	char line[512];
	if (token) {
		snprintf(line, sizeof(line), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, line);
	}
	if (ctype) {
		snprintf(line, sizeof(line), "Content-Type: %s", ctype);
		h = curl_slist_append(h, line);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body || strcmp(method, "GET")) {
		if (body || !strcmp(method, "POST")) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		}
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	int rc = perform(c, base, path, r);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return rc;
}

int http_do_tls(const char *base, const char *cafile, const char *method, const char *path,
                http_resp *r)
{
	CURL *c = curl_easy_init();
	if (cafile)
		curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	int rc = perform(c, base, path, r);
	curl_easy_cleanup(c);
	return rc;
}

void http_resp_free(http_resp *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

/* ---- files --------------------------------------------------------------- */

static int is_yaml(const char *name)
{
	size_t n = strlen(name);
	return name[0] != '.' && n > 5 && !strcmp(name + n - 5, ".yaml");
}

static int sorted_yaml(const char *dir, struct dirent ***list)
{
	int n = scandir(dir, list, NULL, alphasort);
	int k = 0;
	for (int i = 0; i < n; i++) {
		if (is_yaml((*list)[i]->d_name))
			(*list)[k++] = (*list)[i];
		else
			free((*list)[i]);
	}
	return n < 0 ? -1 : k;
}

char *files_envelope_dir(const char *dir, const char *prefix)
{
	struct dirent **list;
	int n = sorted_yaml(dir, &list);
	json_t *files = json_array();
	for (int i = 0; i < n; i++) {
		char path[1024], name[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		snprintf(name, sizeof(name), "%s/%s", prefix, list[i]->d_name);
		char *content = ts_read_file(path, NULL);
		json_array_append_new(files, json_pack("{s:s, s:s}", "name", name, "content",
		                                       content ? content : ""));
		free(content);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	json_t *env = json_pack("{s:o}", "files", files);
	char *text = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	return text;
}

char *files_envelope_one(const char *name, const char *content)
{
	json_t *env = json_pack("{s:[{s:s, s:s}]}", "files", "name", name, "content", content);
	char *text = json_dumps(env, JSON_COMPACT);
	json_decref(env);
	return text;
}

int count_docs_dir(const char *dir)
{
	struct dirent **list;
	int n = sorted_yaml(dir, &list), docs = 0;
	for (int i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s", dir, list[i]->d_name);
		char *text = ts_read_file(path, NULL);
		for (char *p = text; p && (p = strstr(p, "kind:")); p += 5)
			docs += p == text || p[-1] == '\n';
		free(text);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
	return docs;
}

long long wd_head(const wd *d, const char *token)
{
	http_resp r;
	if (http_do(d->url, "GET", "/v1/revisions?limit=1", token, NULL, NULL, 0, &r) != 0)
		return -1;
	long long head = r.status == 200 ? json_integer_value(json_object_get(r.json, "head")) : -1;
	http_resp_free(&r);
	return head;
}

int wd_wait_head(const wd *d, long long rev, int timeout_ms)
{
	long long end = ts_now_ms() + timeout_ms;
	while (ts_now_ms() < end) {
		if (wd_head(d, NULL) >= rev)
			return 0;
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return -1;
}

int wctl_run(const wd *d, char **out, const char *arg, ...)
{
	char bin[1024];
	const char *argv[64];
	int n = 0;
	snprintf(bin, sizeof(bin), "%s/weftctl", ts_bin_dir());
	argv[n++] = bin;
	argv[n++] = "--server";
	argv[n++] = d ? d->url : "http://127.0.0.1:1";
	va_list ap;
	va_start(ap, arg);
	for (const char *a = arg; a && n < 63; a = va_arg(ap, const char *))
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	char *text = NULL;
	int rc = ts_run(argv, &text, 30000);
	if (out)
		*out = text ? text : strdup("");
	else
		free(text);
	return rc;
}
