/* Write handlers of the REST API: apply, plan (dry-run per device, plus
 * the plan_extra part: see api_plan.c), PUT and DELETE of one resource,
 * rollback. Each parses the request into documents
 * or keys, then makes ONE controller call; the controller validates before
 * storing, so an invalid request stores nothing and answers 422 with every
 * diagnostic. The author recorded with a revision is the caller's token
 * name ("api" without authentication). */
#include <string.h>

#include "api-int.h"
#include "resource.h"

/* Query parameters shared by writes. 0, or -1 after replying 400. */
static int write_params(const api_request *req, int want_dry, int *dry, int64_t *expected,
                        api_response *resp)
{
	*dry = 0;
	if (want_dry && (*dry = api_query_bool(req, "dryRun")) < 0) {
		api_reply_error(resp, 400, "dryRun: expected true or false");
		return -1;
	}
	if (api_query_int(req, "expectedRevision", -1, expected) != 0) {
		api_reply_error(resp, 400, "expectedRevision: expected a non-negative integer");
		return -1;
	}
	return 0;
}

static size_t count_docs(const weft_docset *set)
{
	size_t n = 0;
	for (size_t i = 0; i < set->count; i++)
		n += set->docs[i].root != NULL;
	return n;
}

/* Parses the body into set. 0, or -1 after replying (400/413/415). */
static int read_docs(const api_request *req, weft_docset *set, api_response *resp)
{
	weft_diags diags;
	weft_err err = {0};
	weft_diags_init(&diags);
	if (weft_docset_init(set) != 0) {
		api_reply_error(resp, 500, "out of memory");
		return -1;
	}
	int rc = api_body_docs(req, set, &diags, &err);
	if (rc == -2)
		api_reply_error(resp, err.code, "%s", err.msg);
	else if (rc != 0)
		api_reply_diags(resp, 400, "documents do not parse", &diags);
	else if (count_docs(set) == 0)
		api_reply_error(resp, 400, "no documents in the request body");
	weft_diags_free(&diags);
	if (rc == 0 && count_docs(set) > 0)
		return 0;
	weft_docset_free(set);
	return -1;
}

static void reply_write(api_response *resp, int status, weft_write_result *res, int dry)
{
	resp->revision = res->revision;
	api_reply_json(resp, status, api_write_result_json(res, dry));
}

/* ?mode=atomic|independent: how this revision is pushed. -1 after 400. */
static int push_mode(const api_request *req, api_response *resp)
{
	const char *mode = api_query_get(req, "mode");
	if (!mode)
		return 0;
	if (!strcmp(mode, "atomic"))
		return WEFT_APPLY_ATOMIC;
	if (!strcmp(mode, "independent"))
		return WEFT_APPLY_INDEPENDENT;
	api_reply_error(resp, 400, "mode: expected atomic or independent, got '%s'", mode);
	return -1;
}

void api_handle_apply(api_ctx *ctx, const api_request *req, const api_route *route,
                      const api_caller *who, api_response *resp)
{
	int dry;
	int64_t expected;
	weft_docset set;
	if (write_params(req, 1, &dry, &expected, resp) != 0)
		return;
	int mode = push_mode(req, resp);
	if (mode < 0)
		return;
	if (req->body_len == 0) {
		api_reply_error(resp, 400, "request body is empty: send YAML or JSON documents");
		return;
	}
	if (read_docs(req, &set, resp) != 0)
		return;
	weft_write_result res = {0};
	weft_diags diags;
	weft_err err = {0};
	weft_diags_init(&diags);
	int rc = weft_controller_apply(ctx->controller, &set, WEFT_APPLY_MERGE | mode, who->author,
	                               expected, dry, &res, &diags, &err);
	if (rc != 0)
		api_reply_status(resp, rc, &err, &diags);
	else
		reply_write(resp, 200, &res, dry);
	weft_write_result_free(&res); /* also filled on failure */
	weft_diags_free(&diags);
	weft_docset_free(&set);
}

void api_handle_plan(api_ctx *ctx, const api_request *req, const api_route *route,
                     const api_caller *who, api_response *resp)
{
	weft_docset set;
	/* reads are refused a body by the dispatcher; never plan one here */
	int with_docs = req->body_len > 0 && !api_method_is_read(req->method);
	if (with_docs && read_docs(req, &set, resp) != 0)
		return;
	json_t *out = NULL;
	weft_diags diags;
	weft_err err = {0};
	weft_diags_init(&diags);
	weft_snapshot *snap = NULL;
	int rc = weft_controller_plan_snapshot(ctx->controller, with_docs ? &set : NULL, &out,
	                                       ctx->plan_extra ? &snap : NULL, &diags, &err);
	if (rc != 0) {
		api_reply_status(resp, rc, &err, &diags);
	} else {
		api_plan_add_extra(ctx, snap, out);
		api_reply_json(resp, 200, out);
	}
	weft_snapshot_unref(snap);
	weft_diags_free(&diags);
	if (with_docs)
		weft_docset_free(&set);
}

/* The revision to roll back to: ?to=N, else the body {"revision": N}. */
static int rollback_target(const api_request *req, int64_t *rev, api_response *resp)
{
	if (api_query_get(req, "to")) {
		if (api_query_int(req, "to", 0, rev) != 0 || *rev < 1) {
			api_reply_error(resp, 400, "to: expected a revision number (>= 1)");
			return -1;
		}
		return 0;
	}
	json_error_t jerr;
	json_t *body = json_loadb(req->body ? req->body : "", req->body_len, 0, &jerr);
	json_t *r = json_object_get(body, "revision");
	int ok = json_is_integer(r) && json_integer_value(r) >= 1;
	*rev = ok ? json_integer_value(r) : 0;
	json_decref(body);
	if (!ok) {
		api_reply_error(resp, 400,
		                "expected a body {\"revision\": N} (N >= 1) or the query ?to=N");
		return -1;
	}
	return 0;
}

void api_handle_rollback(api_ctx *ctx, const api_request *req, const api_route *route,
                         const api_caller *who, api_response *resp)
{
	int64_t rev;
	if (rollback_target(req, &rev, resp) != 0)
		return;
	weft_write_result res = {0};
	weft_err err = {0};
	int rc = weft_controller_rollback(ctx->controller, rev, who->author, &res, &err);
	if (rc != 0) {
		if (rc == WEFT_ENOTFOUND && !err.msg[0])
			snprintf(err.msg, sizeof(err.msg), "revision %lld not found",
			         (long long)rev);
		api_reply_status(resp, rc, &err, NULL);
	} else {
		reply_write(resp, 200, &res, 0);
	}
	weft_write_result_free(&res);
}
