/* weftctl's remote commands: each builds one request to weftd's REST API
 * (docs/api.md), sends it and renders the answer (table or raw JSON). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resource.h"
#include "wctl-int.h"

const char *wctl_kind_plural(const char *kind)
{
	for (int k = 0; k < WEFT_KIND_COUNT; k++) {
		if (!strcasecmp(kind, weft_kind_name((weft_kind)k)) ||
		    !strcasecmp(kind, weft_kind_plural((weft_kind)k)))
			return weft_kind_plural((weft_kind)k);
	}
	return NULL;
}

/* Percent-encodes a path segment: libcurl's escaping (RFC 3986 unreserved
 * characters kept, every other byte %XX). */
static void escape(char *out, size_t size, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	snprintf(out, size, "%s", e ? e : "");
	curl_free(e);
}

static int unknown_kind(const wctl_opts *o, const char *kind)
{
	fprintf(o->err, "error: unknown kind '%s'; known kinds:", kind);
	for (int k = 0; k < WEFT_KIND_COUNT; k++)
		fprintf(o->err, " %s", weft_kind_name((weft_kind)k));
	fputc('\n', o->err);
	return WCTL_USAGE;
}

/* Sends, checks, and renders a 2xx answer with render (may be NULL). */
static int roundtrip(const wctl_opts *o, const char *method, const char *path, const char *ctype,
                     const char *body, size_t len, void (*render)(const wctl_opts *, json_t *),
                     const char *verb)
{
	wctl_resp r;
	if (wctl_http(o, method, path, ctype, body, len, &r) != 0)
		return WCTL_FAILED;
	int rc = wctl_check(o, &r, 1);
	if (rc == WCTL_OK && !o->json) {
		if (!r.json) {
			fprintf(o->err, "error: the server's answer is not JSON\n");
			rc = WCTL_FAILED;
		} else if (verb) {
			wctl_render_write(o, r.json, verb);
		} else if (render) {
			render(o, r.json);
		}
	}
	wctl_resp_free(&r);
	return rc;
}

int wctl_apply(const wctl_opts *o)
{
	size_t len;
	char *env = wctl_files_envelope(o, o->files, o->n_files, &len);
	if (!env)
		return WCTL_FAILED;
	char path[128];
	int n = snprintf(path, sizeof(path), "/v1/apply?dryRun=%s", o->dry_run ? "true" : "false");
	if (o->expected_rev >= 0)
		n += snprintf(path + n, sizeof(path) - (size_t)n, "&expectedRevision=%lld",
		              (long long)o->expected_rev);
	if (o->mode)
		snprintf(path + n, sizeof(path) - (size_t)n, "&mode=%s", o->mode);
	int rc = roundtrip(o, "POST", path, "application/vnd.weft.files+json", env, len, NULL,
	                   "applied");
	free(env);
	return rc;
}

int wctl_plan(const wctl_opts *o)
{
	if (o->n_files == 0)
		return roundtrip(o, "GET", "/v1/plan", NULL, NULL, 0, wctl_render_plan, NULL);
	size_t len;
	char *env = wctl_files_envelope(o, o->files, o->n_files, &len);
	if (!env)
		return WCTL_FAILED;
	int rc = roundtrip(o, "POST", "/v1/plan", "application/vnd.weft.files+json", env, len,
	                   wctl_render_plan, NULL);
	free(env);
	return rc;
}

static void render_list(const wctl_opts *o, json_t *list)
{
	wctl_render_resources(o, list, 0);
}

int wctl_get(const wctl_opts *o, const char *kind, const char *name)
{
	const char *plural = wctl_kind_plural(kind);
	if (!plural)
		return unknown_kind(o, kind);
	char path[1024], ens[300], ename[300];
	escape(ens, sizeof(ens), o->ns ? o->ns : "default");
	if (name) {
		escape(ename, sizeof(ename), name);
		snprintf(path, sizeof(path), "/v1/%s/%s/%s", plural, ens, ename);
		return roundtrip(o, "GET", path, NULL, NULL, 0, wctl_render_resource, NULL);
	}
	if (o->ns)
		snprintf(path, sizeof(path), "/v1/%s?namespace=%s", plural, ens);
	else
		snprintf(path, sizeof(path), "/v1/%s", plural);
	return roundtrip(o, "GET", path, NULL, NULL, 0, render_list, NULL);
}

int wctl_delete(const wctl_opts *o, const char *kind, const char *name)
{
	const char *plural = wctl_kind_plural(kind);
	if (!plural)
		return unknown_kind(o, kind);
	char path[1024], ens[300], ename[300];
	escape(ens, sizeof(ens), o->ns ? o->ns : "default");
	escape(ename, sizeof(ename), name);
	int n = snprintf(path, sizeof(path), "/v1/%s/%s/%s", plural, ens, ename);
	if (o->expected_rev >= 0)
		snprintf(path + n, sizeof(path) - (size_t)n, "?expectedRevision=%lld",
		         (long long)o->expected_rev);
	return roundtrip(o, "DELETE", path, NULL, NULL, 0, NULL, "deleted");
}

int wctl_status(const wctl_opts *o)
{
	return roundtrip(o, "GET", "/v1/status", NULL, NULL, 0, wctl_render_status, NULL);
}

int wctl_transactions(const wctl_opts *o)
{
	return roundtrip(o, "GET", "/v1/transactions", NULL, NULL, 0, wctl_render_transactions,
	                 NULL);
}

int wctl_history(const wctl_opts *o)
{
	char path[64];
	if (o->limit >= 0)
		snprintf(path, sizeof(path), "/v1/revisions?limit=%ld", o->limit);
	else
		snprintf(path, sizeof(path), "/v1/revisions");
	return roundtrip(o, "GET", path, NULL, NULL, 0, wctl_render_history, NULL);
}

int wctl_rollback(const wctl_opts *o, int64_t revision)
{
	char body[64];
	snprintf(body, sizeof(body), "{\"revision\": %lld}", (long long)revision);
	return roundtrip(o, "POST", "/v1/rollback", "application/json", body, strlen(body), NULL,
	                 "rolled back");
}
