/* weftctl's remote commands: each builds one request to weftd's REST API
 * (docs/api.md), sends it and renders the answer (table or raw JSON). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resource.h"
#include "wctl-int.h"

/* Short names, kubectl style (docs/weftctl.md), in weft_kind order. */
static const char *const short_names[WEFT_KIND_COUNT] = {
        [WEFT_KIND_SERVICE] = "svc",       [WEFT_KIND_ROUTE] = "rt",
        [WEFT_KIND_TRAFFIC_POLICY] = "tp", [WEFT_KIND_RATE_LIMIT] = "rl",
        [WEFT_KIND_ACCESS_POLICY] = "ap",  [WEFT_KIND_PEER_AUTHENTICATION] = "pa",
        [WEFT_KIND_TELEMETRY] = "tel",     [WEFT_KIND_GATEWAY] = "gw",
        [WEFT_KIND_DEVICE] = "dev",
};

const char *wctl_kind_short(weft_kind k)
{
	return k < WEFT_KIND_COUNT && short_names[k] ? short_names[k] : "-";
}

const char *wctl_kind_short_name(int k)
{
	return k < 0 ? "-" : wctl_kind_short((weft_kind)k);
}

int wctl_kind_find(const char *kind)
{
	for (int k = 0; k < WEFT_KIND_COUNT; k++) {
		if (!strcasecmp(kind, weft_kind_name((weft_kind)k)) ||
		    !strcasecmp(kind, weft_kind_plural((weft_kind)k)) ||
		    (short_names[k] && !strcasecmp(kind, short_names[k])))
			return k;
	}
	return -1;
}

const char *wctl_kind_plural(const char *kind)
{
	int k = wctl_kind_find(kind);
	return k < 0 ? NULL : weft_kind_plural((weft_kind)k);
}

/* Percent-encodes a path segment: libcurl's escaping (RFC 3986 unreserved
 * characters kept, every other byte %XX). */
static void escape(char *out, size_t size, const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	snprintf(out, size, "%s", e ? e : "");
	curl_free(e);
}

int wctl_unknown_kind(const wctl_opts *o, const char *kind)
{
	fprintf(o->err, "error: unknown kind '%s'; known kinds (and short names):", kind);
	for (int k = 0; k < WEFT_KIND_COUNT; k++)
		fprintf(o->err, " %s (%s)", weft_kind_name((weft_kind)k),
		        wctl_kind_short((weft_kind)k));
	fputc('\n', o->err);
	return WCTL_USAGE;
}

int wctl_split_name(const wctl_opts *o, const char *name, char *ns, size_t ns_size, char *nm,
                    size_t nm_size)
{
	const char *want_ns = o->ns ? o->ns : "default";
	const char *slash = name ? strchr(name, '/') : NULL;
	char given[300];
	if (slash) {
		snprintf(given, sizeof(given), "%.*s", (int)(slash - name), name);
		if (o->ns && strcmp(o->ns, given)) {
			fprintf(o->err, "error: %s names namespace '%s' but -n says '%s'\n", name,
			        given, o->ns);
			return -1;
		}
		if (!*given || !slash[1] || strchr(slash + 1, '/')) {
			fprintf(o->err, "error: '%s': expected NAME or NAMESPACE/NAME\n", name);
			return -1;
		}
		want_ns = given;
		name = slash + 1;
	}
	escape(ns, ns_size, want_ns);
	if (name)
		escape(nm, nm_size, name);
	return 0;
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
		} else if (o->output == WCTL_OUT_YAML) {
			wctl_yaml_print(o->out, r.json);
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

int wctl_delete(const wctl_opts *o, const char *kind, const char *name)
{
	const char *plural = wctl_kind_plural(kind);
	if (!plural)
		return wctl_unknown_kind(o, kind);
	char path[1024], ens[300], ename[300];
	if (wctl_split_name(o, name, ens, sizeof(ens), ename, sizeof(ename)) != 0)
		return WCTL_USAGE;
	int n = snprintf(path, sizeof(path), "/v1/%s/%s/%s", plural, ens, ename);
	if (o->expected_rev >= 0)
		snprintf(path + n, sizeof(path) - (size_t)n, "?expectedRevision=%lld",
		         (long long)o->expected_rev);
	return roundtrip(o, "DELETE", path, NULL, NULL, 0, NULL, "deleted");
}

/* status --watch: the status is fetched once the event stream is live
 * (so no change falls between the two), then again after every event (a
 * revision, a device's change, a transaction), separated by a blank line. */
struct status_watch {
	const wctl_opts *o;
	int rc, shown;
};

static void status_now(void *arg)
{
	struct status_watch *w = arg;
	if (w->shown++)
		fputc('\n', w->o->out);
	w->rc = roundtrip(w->o, "GET", "/v1/status", NULL, NULL, 0, wctl_render_status, NULL);
	fflush(w->o->out);
}

static int on_status_event(void *arg, const char *type, json_t *data)
{
	(void)data;
	if (!strcmp(type, "gap"))
		return 0;
	status_now(arg);
	return 1;
}

int wctl_status(const wctl_opts *o)
{
	if (!o->watch)
		return roundtrip(o, "GET", "/v1/status", NULL, NULL, 0, wctl_render_status, NULL);
	struct status_watch w = {.o = o, .rc = WCTL_OK};
	int rc = wctl_follow(o, 0, o->watch_timeout_s, -1, on_status_event, status_now, &w);
	return rc != WCTL_OK ? rc : w.rc;
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
