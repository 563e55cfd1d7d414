/* Read handlers of the REST API: health, metrics, status, revision history
 * and resources. They only call the controller's read functions, which
 * work on the published snapshot and store, so they never wait for a
 * write in progress. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-int.h"
#include "resource.h"

#define DEFAULT_REVISIONS_LIMIT 50

void api_handle_healthz(api_ctx *ctx, const api_request *req, const api_route *route,
                        const api_caller *who, api_response *resp)
{
	api_reply_text(resp, 200, "text/plain; charset=utf-8", "ok\n");
}

void api_handle_metrics(api_ctx *ctx, const api_request *req, const api_route *route,
                        const api_caller *who, api_response *resp)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f) {
		api_reply_error(resp, 500, "out of memory");
		return;
	}
	char *core = weft_controller_metrics(ctx->controller);
	if (core) {
		fputs(core, f);
		if (*core && core[strlen(core) - 1] != '\n')
			fputc('\n', f);
		free(core);
	}
	char *extra = ctx->metrics_extra ? ctx->metrics_extra(ctx->extra_arg) : NULL;
	if (extra) {
		fputs(extra, f);
		if (*extra && extra[strlen(extra) - 1] != '\n')
			fputc('\n', f);
		free(extra);
	}
	json_t *status = weft_controller_status(ctx->controller);
	api_metrics_write_devices(status, f);
	json_decref(status);
	api_metrics_write_build_info(ctx->version, ctx->commit, f);
	api_metrics_write(ctx->metrics, f);
	fclose(f);
	api_response_free(resp);
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
	resp->body = text;
	resp->body_len = len;
}

void api_handle_status(api_ctx *ctx, const api_request *req, const api_route *route,
                       const api_caller *who, api_response *resp)
{
	json_t *st = weft_controller_status(ctx->controller);
	if (!st) {
		api_reply_error(resp, 500, "controller status unavailable");
		return;
	}
	if (ctx->status_extra) {
		json_t *extra = ctx->status_extra(ctx->extra_arg);
		if (json_is_object(extra))
			json_object_update(st, extra);
		json_decref(extra);
	}
	api_reply_json(resp, 200, st);
}

/* GET /v1/transactions: the last atomic transaction records. */
void api_handle_transactions(api_ctx *ctx, const api_request *req, const api_route *route,
                             const api_caller *who, api_response *resp)
{
	api_reply_json(resp, 200, weft_controller_transactions(ctx->controller));
}

void api_handle_revisions(api_ctx *ctx, const api_request *req, const api_route *route,
                          const api_caller *who, api_response *resp)
{
	int64_t limit;
	if (api_query_int(req, "limit", DEFAULT_REVISIONS_LIMIT, &limit) != 0) {
		api_reply_error(resp, 400, "limit: expected a non-negative integer");
		return;
	}
	json_t *out = NULL;
	weft_err err = {0};
	int rc = weft_controller_revisions(ctx->controller, (size_t)limit, &out, &err);
	if (rc != 0) {
		api_reply_status(resp, rc, &err, NULL);
		return;
	}
	api_reply_json(resp, 200, out);
}

/* GET /v1/{plural}[/{namespace}[/{name}]]; ?namespace= filters a list.
 * A named resource is returned alone (with X-Weft-Revision), a list as
 * {"revision": N, "items": [...]}. */
void api_handle_get(api_ctx *ctx, const api_request *req, const api_route *route,
                    const api_caller *who, api_response *resp)
{
	const char *ns = route->ns[0] ? route->ns : api_query_get(req, "namespace");
	const char *name = route->id == API_ROUTE_RESOURCE ? route->name : NULL;
	if (ns && !*ns)
		ns = NULL;
	json_t *out = NULL;
	weft_err err = {0};
	int rc = weft_controller_get(ctx->controller, route->kind, ns, name, &out, &err);
	if (rc != 0) {
		if (rc == WEFT_ENOTFOUND && !err.msg[0])
			snprintf(err.msg, sizeof(err.msg), "%s %s/%s not found",
			         weft_kind_name((weft_kind)route->kind), route->ns, route->name);
		api_reply_status(resp, rc, &err, NULL);
		return;
	}
	if (!name) {
		api_reply_json(resp, 200, out);
		return;
	}
	json_t *items = json_object_get(out, "items");
	json_t *item = json_array_get(items, 0);
	resp->revision = json_integer_value(json_object_get(out, "revision"));
	if (!item) {
		json_decref(out);
		api_reply_error(resp, 404, "%s %s/%s not found",
		                weft_kind_name((weft_kind)route->kind), route->ns, route->name);
		return;
	}
	json_incref(item);
	json_decref(out);
	api_reply_json(resp, 200, item);
}
