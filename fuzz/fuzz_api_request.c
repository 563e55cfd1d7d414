/* libFuzzer target for what the REST API reads from a request (core/api):
 * the route of a method and path (api_route_match: plural, namespace,
 * name segments), the query parameters the handlers read (api_query_get,
 * api_query_int, api_query_bool) and the body (api_body_docs: the files
 * envelope, JSON or YAML by Content-Type) down to typed resources and
 * their diagnostics as the API returns them (api_diags_json).
 * Input: four lines -- method, path, query string, Content-Type -- then
 * the body. The query string is split on '&' and the first '=' into the
 * key/value pairs libmicrohttpd hands to api_server.c (no percent
 * decoding here: the values reach the handlers as given). Any request
 * must only ever produce a route and diagnostics or an error.
 * Seeds: fuzz/corpus/api/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api-int.h"
#include "policy.h"
#include "resource.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_QUERY 64

/* The next line of buf (NUL-terminated in place), or NULL at the end. */
static char *next_line(char **p, char *end)
{
	if (*p >= end)
		return NULL;
	char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
	if (!nl)
		nl = end;
	*nl = 0;
	*p = nl + 1;
	return line;
}

static size_t split_query(char *q, api_query *out)
{
	size_t n = 0;
	for (char *tok = strtok(q, "&"); tok && n < MAX_QUERY; tok = strtok(NULL, "&")) {
		char *eq = strchr(tok, '=');
		if (eq)
			*eq = 0;
		out[n].key = tok;
		out[n].value = eq ? eq + 1 : NULL;
		n++;
	}
	return n;
}

static void read_query(const api_request *req)
{
	/* the keys the handlers read (core/api/api_*.c) */
	static const char *const ints[] = {"since", "limit", "expectedRevision", "to"};
	static const char *const bools[] = {"dryRun"};
	for (size_t i = 0; i < sizeof(ints) / sizeof(*ints); i++) {
		int64_t v = 0;
		api_query_int(req, ints[i], -1, &v);
	}
	for (size_t i = 0; i < sizeof(bools) / sizeof(*bools); i++)
		api_query_bool(req, bools[i]);
	api_query_get(req, "namespace");
	api_query_get(req, "mode");
}

static void read_body(const api_request *req)
{
	weft_docset set;
	if (weft_docset_init(&set))
		return;
	weft_diags diags;
	weft_diags_init(&diags);
	weft_err err = {0};
	if (api_body_docs(req, &set, &diags, &err) == 0) {
		weft_resource **res = NULL;
		size_t n = 0;
		if (weft_policy_decode_all(&set, &res, &n, &diags) == 0) {
			for (size_t i = 0; i < n; i++)
				weft_resource_unref(res[i]);
			free(res);
		}
	}
	json_decref(api_diags_json(&diags));
	weft_diags_free(&diags);
	weft_docset_free(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = 0;
	char *p = buf, *end = buf + size;
	char *method = next_line(&p, end), *path = next_line(&p, end);
	char *query = next_line(&p, end), *ctype = next_line(&p, end);
	api_query q[MAX_QUERY];
	api_request req = {
	        .method = method ? method : "GET",
	        .path = path ? path : "/",
	        .content_type = ctype && *ctype ? ctype : NULL,
	        .body = p < end ? p : NULL,
	        .body_len = p < end ? (size_t)(end - p) : 0,
	        .query = q,
	        .n_query = query ? split_query(query, q) : 0,
	};
	api_route route;
	api_route_match(req.method, req.path, &route);
	api_route_template(route.id);
	api_method_is_read(req.method);
	read_query(&req);
	read_body(&req);
	free(buf);
	return 0;
}
