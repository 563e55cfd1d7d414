/* consulsim: the Consul endpoints: query options, ACLs, blocking, and the
 * dispatch to catalog.c / read.c / agent.c / simapi.c.
 *
 * Order for a /v1/ request, as in Consul: counted, injected drop and
 * latency, method (405), datacenter (500 "No path to datacenter"), query
 * options (400), leader (500 "No cluster leader" unless ?stale), ACL (403),
 * then the endpoint. A read with ?index=N above 0 waits until the index of
 * what it reads passes N or the wait (default 5 min, max 10 min, plus up to
 * wait/16 of jitter) ends. docs/consulsim.md. */
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAGS 32

enum acl_who { WHO_ANY, WHO_MGMT, WHO_ANON, WHO_UNKNOWN };

struct qopts {
	const char *tags[MAX_TAGS + 1];
	int ntags, stale, consistent, passing;
	uint64_t index;
	long long wait_ms;
	const char *filter;
};

static int has_arg(struct MHD_Connection *conn, const char *key, const char **val)
{
	const char *v = NULL;
	size_t vl = 0;

	if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, key, strlen(key), &v, &vl) !=
	    MHD_YES)
		return 0;
	if (val)
		*val = v;
	return 1;
}

static enum MHD_Result collect_tag(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
	struct qopts *q = cls;

	(void)kind;
	if (!strcmp(key, "tag") && value && q->ntags < MAX_TAGS)
		q->tags[q->ntags++] = value;
	return MHD_YES;
}

/* ?index, ?wait, ?stale/?consistent, ?tag, ?passing, ?filter. Returns 0 or
 * 400 with msg. */
static int parse_qopts(struct MHD_Connection *conn, struct qopts *q, char *msg, size_t n)
{
	const char *v;
	char *end;

	memset(q, 0, sizeof(*q));
	q->wait_ms = CS_WAIT_DEFAULT_MS;
	q->stale = has_arg(conn, "stale", NULL);
	q->consistent = has_arg(conn, "consistent", NULL);
	if (q->stale && q->consistent) {
		snprintf(msg, n, "Cannot specify ?stale with ?consistent, conflicting semantics.");
		return 400;
	}
	if (has_arg(conn, "index", &v) && v && *v) {
		q->index = strtoull(v, &end, 10);
		if (*end || *v == '-') {
			snprintf(msg, n, "Invalid index");
			return 400;
		}
	}
	if (has_arg(conn, "wait", &v) && v && *v) {
		if (cs_parse_duration(v, &q->wait_ms)) {
			snprintf(msg, n, "Invalid wait time");
			return 400;
		}
		if (q->wait_ms > CS_WAIT_MAX_MS)
			q->wait_ms = CS_WAIT_MAX_MS;
		if (q->wait_ms <= 0)
			q->wait_ms = CS_WAIT_DEFAULT_MS;
	}
	if (has_arg(conn, "passing", &v))
		q->passing = !v || (strcmp(v, "false") && strcmp(v, "0"));
	if (has_arg(conn, "filter", &v) && v && *v)
		q->filter = v;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_tag, q);
	q->tags[q->ntags] = NULL;
	return 0;
}

static enum acl_who who(struct sim *s, struct MHD_Connection *conn)
{
	const char *tok = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Consul-Token");
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");

	if (!s->acl_on)
		return WHO_ANY;
	if ((!tok || !*tok) && auth && !strncasecmp(auth, "Bearer ", 7))
		tok = auth + 7;
	if (!tok || !*tok)
		tok = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
	if (!tok || !*tok || !strcmp(tok, "anonymous"))
		return WHO_ANON;
	return strcmp(tok, s->acl_token) ? WHO_UNKNOWN : WHO_MGMT;
}

static const char *endpoint_of(const char *path, char *buf, size_t n)
{
	static const char *const prefixes[] = {
	        "/v1/catalog/service/",   "/v1/health/service/",   "/v1/agent/service/deregister/",
	        "/v1/agent/check/pass/",  "/v1/agent/check/warn/", "/v1/agent/check/fail/",
	        "/v1/agent/check/update/"};
	size_t i;

	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (!strncmp(path, prefixes[i], strlen(prefixes[i]))) {
			snprintf(buf, n, "%s{%s}", prefixes[i], i < 2 ? "name" : "id");
			return buf;
		}
	}
	return path;
}

static void count(struct sim *s, const char *method, const char *path)
{
	char key[300], ep[200];

	snprintf(key, sizeof(key), "%s %s", method, endpoint_of(path, ep, sizeof(ep)));
	s->ctr.requests++;
	if (json_object_size(s->ctr.by_endpoint) < 256 || json_object_get(s->ctr.by_endpoint, key))
		json_object_set_new(
		        s->ctr.by_endpoint, key,
		        json_integer(json_integer_value(json_object_get(s->ctr.by_endpoint, key)) +
		                     1));
}

static enum MHD_Result answer_read(struct sim *s, struct MHD_Connection *conn, json_t *v,
                                   uint64_t idx, const struct qopts *q, int filtered)
{
	char ib[32], lc[32];
	struct http_hdr h[6];
	size_t n = 0;

	snprintf(ib, sizeof(ib), "%llu", (unsigned long long)(idx ? idx : 1));
	snprintf(lc, sizeof(lc), "%lld",
	         s->no_leader && q->stale ? cs_now_ms() - s->leader_lost_ms : 0LL);
	h[n++] = (struct http_hdr){"X-Consul-Index", ib};
	h[n++] = (struct http_hdr){"X-Consul-KnownLeader", s->no_leader ? "false" : "true"};
	h[n++] = (struct http_hdr){"X-Consul-LastContact", lc};
	h[n++] = (struct http_hdr){"X-Consul-Effective-Consistency", q->stale        ? "stale"
	                                                             : q->consistent ? "consistent"
	                                                                             : "leader"};
	if (s->acl_on)
		h[n++] = (struct http_hdr){"X-Consul-Default-ACL-Policy", "deny"};
	if (filtered)
		h[n++] = (struct http_hdr){"X-Consul-Results-Filtered-By-ACLs", "true"};
	return http_json(conn, 200, v, h, n);
}

static const char *const health_roots[] = {"Node", "Service", "Checks", NULL};
static const char *const catalog_roots[] = {"ID",
                                            "Node",
                                            "Address",
                                            "Datacenter",
                                            "TaggedAddresses",
                                            "NodeMeta",
                                            "ServiceKind",
                                            "ServiceID",
                                            "ServiceName",
                                            "ServiceTags",
                                            "ServiceAddress",
                                            "ServiceTaggedAddresses",
                                            "ServiceWeights",
                                            "ServiceMeta",
                                            "ServicePort",
                                            "ServiceEnableTagOverride",
                                            "ServiceProxy",
                                            "ServiceConnect",
                                            "CreateIndex",
                                            "ModifyIndex",
                                            NULL};

/* The three blocking reads. kind: 0 catalog/services, 1 catalog/service,
 * 2 health/service. */
static enum MHD_Result serve_read(struct sim *s, struct req *r, struct MHD_Connection *conn,
                                  int kind, const char *name, const struct qopts *q, enum acl_who w)
{
	struct filter *flt = NULL;
	uint64_t idx;
	char err[512];
	json_t *v;
	int anon = w == WHO_ANON;

	if (kind && !*name)
		return http_text(conn, 400, "Missing service name");
	if (kind == 0)
		snprintf(r->watch, sizeof(r->watch), "services");
	else
		snprintf(r->watch, sizeof(r->watch), "svc:%s", name);
	if (q->filter) {
		flt = filter_compile(q->filter, kind == 2 ? health_roots : catalog_roots, err,
		                     sizeof(err));
		if (!flt)
			return http_text(conn, 400, err);
	}
	idx = catalog_watch_index(&s->cat, r->watch);
	if (q->index && idx <= q->index && !r->wake) {
		long long now = cs_now_ms();

		if (!r->deadline_ms) {
			long long jitter = q->wait_ms / 16;

			r->deadline_ms = now + q->wait_ms + (jitter ? rand() % (jitter + 1) : 0);
			s->ctr.blocking++;
		}
		if (now < r->deadline_ms) {
			filter_free(flt);
			r->min_index = q->index;
			http_suspend(s, r);
			return MHD_YES;
		}
	}
	if (kind == 0)
		v = anon ? json_object() : read_catalog_services(&s->cat, flt);
	else if (kind == 1)
		v = anon ? json_array() : read_catalog_service(&s->cat, name, q->tags, flt);
	else
		v = anon ? json_array()
		         : read_health_service(&s->cat, name, q->tags, q->passing, flt);
	filter_free(flt);
	return answer_read(s, conn, v, idx, q, anon);
}

static enum MHD_Result serve_write(struct sim *s, struct req *r, struct MHD_Connection *conn,
                                   const char *path, const char *method, enum acl_who w)
{
	json_t *body = NULL, *out = NULL;
	json_error_t je;
	uint64_t before = s->cat.index;
	const char *note = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "note");
	char msg[600] = "";
	int rc;

	if (w == WHO_ANON && strcmp(method, "GET"))
		return http_text(conn, 403, "Permission denied");
	if (r->too_big)
		return http_text(conn, 413, "Request body too large");
	if (r->len) {
		body = json_loadb(r->body, r->len, JSON_DECODE_ANY, &je);
		if (!body) {
			snprintf(msg, sizeof(msg), "Request decode failed: %s", je.text);
			return http_text(conn, 400, msg);
		}
	}
	if (!strncmp(path, "/v1/agent/", 10)) {
		if (w == WHO_ANON) { /* an anonymous agent read is filtered */
			json_decref(body);
			return http_json(conn, 200, json_object(), NULL, 0);
		}
		rc = agent_handle(s, method, path, body, note, &out, msg, sizeof(msg));
	} else if (strcmp(method, "PUT")) {
		rc = 405;
	} else if (!json_is_object(body)) {
		rc = 400;
		snprintf(msg, sizeof(msg), "Request decode failed: expected a JSON object");
	} else if (!strcmp(path, "/v1/catalog/register")) {
		rc = catalog_register(&s->cat, body, s->dc, msg, sizeof(msg));
		out = rc ? NULL : json_true();
	} else {
		rc = catalog_deregister(&s->cat, body, msg, sizeof(msg));
		out = rc ? NULL : json_true();
	}
	json_decref(body);
	if (s->cat.index != before)
		http_wake_waiters(s, 0);
	if (rc == 405) {
		struct http_hdr h = {"Allow", strcmp(path, "/v1/agent/services") &&
		                                              strcmp(path, "/v1/agent/checks")
		                                      ? "PUT"
		                                      : "GET"};

		snprintf(msg, sizeof(msg), "method %s not allowed", method);
		return http_reply(conn, 405, strdup(msg), "text/plain; charset=utf-8", &h, 1);
	}
	if (rc == 404 && !*msg)
		return http_text(conn, 404, "404 page not found");
	if (rc && rc != 200)
		return http_text(conn, rc, msg);
	if (!out)
		return http_reply(conn, 200, NULL, NULL, NULL, 0);
	return http_json(conn, 200, out, NULL, 0);
}

static enum MHD_Result serve_status(struct sim *s, struct MHD_Connection *conn, const char *path)
{
	if (!strcmp(path, "/v1/status/leader"))
		return http_json(conn, 200, json_string(s->no_leader ? "" : s->leader), NULL, 0);
	return http_json(conn, 200, s->no_leader ? json_array() : json_pack("[s]", s->leader), NULL,
	                 0);
}

/* Which read endpoint path is (or -1), and its service name. */
static int read_kind(const char *path, const char **name)
{
	*name = "";
	if (!strcmp(path, "/v1/catalog/services"))
		return 0;
	if (!strncmp(path, "/v1/catalog/service/", 20)) {
		*name = path + 20;
		return 1;
	}
	if (!strncmp(path, "/v1/health/service/", 19)) {
		*name = path + 19;
		return 2;
	}
	return -1;
}

static int is_write(const char *path)
{
	return !strcmp(path, "/v1/catalog/register") || !strcmp(path, "/v1/catalog/deregister") ||
	       !strncmp(path, "/v1/agent/", 10);
}

static enum MHD_Result serve_v1(struct sim *s, struct req *r, struct MHD_Connection *conn,
                                const char *path, const char *method)
{
	const char *name, *dc = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "dc");
	int kind = read_kind(path, &name), rc;
	struct qopts q;
	enum acl_who w;
	char msg[256];

	if (kind < 0 && !is_write(path) && strncmp(path, "/v1/status/", 11))
		return http_text(conn, 404, "404 page not found");
	if ((kind >= 0 || !strncmp(path, "/v1/status/", 11)) && strcmp(method, "GET")) {
		struct http_hdr h = {"Allow", "GET"};

		snprintf(msg, sizeof(msg), "method %s not allowed", method);
		return http_reply(conn, 405, strdup(msg), "text/plain; charset=utf-8", &h, 1);
	}
	if (dc && *dc && strcmp(dc, s->dc))
		return http_text(conn, 500, "No path to datacenter");
	rc = parse_qopts(conn, &q, msg, sizeof(msg));
	if (rc)
		return http_text(conn, rc, msg);
	if (!strncmp(path, "/v1/status/", 11))
		return serve_status(s, conn, path);
	if (s->no_leader && !(kind >= 0 && q.stale))
		return http_text(conn, 500, "No cluster leader");
	w = who(s, conn);
	if (w == WHO_UNKNOWN)
		return http_text(conn, 403, "ACL not found");
	if (kind >= 0)
		return serve_read(s, r, conn, kind, name, &q, w);
	return serve_write(s, r, conn, path, method, w);
}

enum MHD_Result routes_serve(struct sim *s, struct req *r, struct MHD_Connection *conn,
                             const char *url, const char *method)
{
	if (!strncmp(url, "/sim/", 5)) {
		json_t *body = r->len ? json_loadb(r->body, r->len, 0, NULL) : NULL, *out = NULL;
		int st = simapi_handle(s, method, url, body, &out);

		json_decref(body);
		return http_json(conn, st, out ? out : json_object(), NULL, 0);
	}
	if (!r->counted) {
		r->counted = 1;
		count(s, method, url);
		if (s->drop_next > 0) {
			s->drop_next--;
			s->ctr.dropped++;
			return MHD_NO;
		}
		if (s->latency_ms > 0) {
			r->delay_until_ms = cs_now_ms() + s->latency_ms;
			http_suspend(s, r);
			return MHD_YES;
		}
	}
	if (r->delay_until_ms) {
		if (cs_now_ms() < r->delay_until_ms) {
			http_suspend(s, r);
			return MHD_YES;
		}
		r->delay_until_ms = 0;
	}
	if (strncmp(url, "/v1/", 4))
		return http_text(conn, 404, "404 page not found");
	return serve_v1(s, r, conn, url, method);
}
