/* PUT and DELETE of one resource at /v1/{plural}/{namespace}/{name}. A PUT
 * carries exactly one document whose kind, metadata.name and
 * metadata.namespace must match the URL (400 naming the field and its
 * file:line:col otherwise), and is then an apply of that one document. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-int.h"
#include "resource.h"

/* Checks that the scalar under key equals want (dflt when absent). 0, or -1
 * with a diagnostic naming path. */
static int check_field(const weft_doc *doc, const weft_node *map, const char *key, const char *path,
                       const char *want, const char *dflt, weft_diags *d)
{
	const weft_node *n = weft_node_get(map, key);
	const weft_node *at = n ? n : map;
	if (!n && dflt && !strcmp(want, dflt))
		return 0;
	if (!n || n->kind != WEFT_NODE_SCALAR) {
		weft_diags_add(d, doc->file, at->line, at->col, path,
		               "%s, expected '%s' to match the URL", n ? "not a scalar" : "missing",
		               want);
		return -1;
	}
	if (strcmp(n->str, want) != 0) {
		weft_diags_add(d, doc->file, n->line, n->col, path,
		               "'%s' does not match the URL, which names '%s'", n->str, want);
		return -1;
	}
	return 0;
}

/* The single document of set, checked against the route. NULL after a 400. */
static const weft_doc *put_document(const weft_docset *set, const api_route *route,
                                    api_response *resp)
{
	const weft_doc *doc = NULL;
	size_t n = 0;
	for (size_t i = 0; i < set->count; i++)
		if (set->docs[i].root && n++ == 0)
			doc = &set->docs[i];
	if (n != 1) {
		api_reply_error(resp, 400, "PUT takes exactly one document, got %zu", n);
		return NULL;
	}
	weft_diags d;
	weft_diags_init(&d);
	const weft_node *root = doc->root;
	if (root->kind != WEFT_NODE_MAP) {
		weft_diags_add(&d, doc->file, root->line, root->col, "", "expected a map");
	} else {
		const char *kind = weft_kind_name((weft_kind)route->kind);
		check_field(doc, root, "kind", "kind", kind, NULL, &d);
		const weft_node *meta = weft_node_get(root, "metadata");
		if (meta && meta->kind == WEFT_NODE_MAP) {
			check_field(doc, meta, "name", "metadata.name", route->name, NULL, &d);
			check_field(doc, meta, "namespace", "metadata.namespace", route->ns,
			            "default", &d);
		} else {
			const weft_node *at = meta ? meta : root;
			weft_diags_add(&d, doc->file, at->line, at->col, "metadata",
			               "expected a map with name '%s' to match the URL",
			               route->name);
		}
	}
	if (d.count) {
		char msg[1100];
		char *first = weft_diag_format(&d.items[0]);
		snprintf(msg, sizeof(msg), "document does not match the URL: %s",
		         first ? first : "");
		free(first);
		api_reply_diags(resp, 400, msg, &d);
		doc = NULL;
	}
	weft_diags_free(&d);
	return doc;
}

void api_handle_put(api_ctx *ctx, const api_request *req, const api_route *route,
                    const api_caller *who, api_response *resp)
{
	int64_t expected;
	if (api_query_int(req, "expectedRevision", -1, &expected) != 0) {
		api_reply_error(resp, 400, "expectedRevision: expected a non-negative integer");
		return;
	}
	weft_docset set;
	weft_diags diags;
	weft_err err = {0};
	if (weft_docset_init(&set) != 0) {
		api_reply_error(resp, 500, "out of memory");
		return;
	}
	weft_diags_init(&diags);
	int rc = api_body_docs(req, &set, &diags, &err);
	if (rc == -2)
		api_reply_error(resp, err.code, "%s", err.msg);
	else if (rc != 0)
		api_reply_diags(resp, 400, "document does not parse", &diags);
	else if (put_document(&set, route, resp)) {
		weft_write_result res = {0};
		rc = weft_controller_apply(ctx->controller, &set, WEFT_APPLY_MERGE, who->author,
		                           expected, 0, &res, &diags, &err);
		if (rc != 0) {
			api_reply_status(resp, rc, &err, &diags);
		} else {
			resp->revision = res.revision;
			api_reply_json(resp, res.created ? 201 : 200,
			               api_write_result_json(&res, 0));
		}
		weft_write_result_free(&res); /* also filled on failure */
	}
	weft_diags_free(&diags);
	weft_docset_free(&set);
}

void api_handle_delete(api_ctx *ctx, const api_request *req, const api_route *route,
                       const api_caller *who, api_response *resp)
{
	int64_t expected;
	if (api_query_int(req, "expectedRevision", -1, &expected) != 0) {
		api_reply_error(resp, 400, "expectedRevision: expected a non-negative integer");
		return;
	}
	weft_kind kind = (weft_kind)route->kind;
	json_t *found = NULL;
	weft_err err = {0};
	int rc = weft_controller_get(ctx->controller, (int)kind, route->ns, route->name, &found,
	                             &err);
	size_t n = json_array_size(json_object_get(found, "items"));
	json_decref(found);
	if (rc == WEFT_ENOTFOUND || (rc == 0 && n == 0)) {
		api_reply_error(resp, 404, "%s %s/%s not found", weft_kind_name(kind), route->ns,
		                route->name);
		return;
	}
	weft_key key = {.kind = kind, .ns = route->ns, .name = route->name};
	weft_write_result res = {0};
	weft_diags diags;
	weft_diags_init(&diags);
	memset(&err, 0, sizeof(err));
	rc = weft_controller_delete(ctx->controller, &key, 1, who->author, expected, &res, &diags,
	                            &err);
	if (rc != 0) {
		api_reply_status(resp, rc, &err, &diags);
	} else {
		resp->revision = res.revision;
		api_reply_json(resp, 200, api_write_result_json(&res, 0));
	}
	weft_write_result_free(&res); /* also filled on failure */
	weft_diags_free(&diags);
}
