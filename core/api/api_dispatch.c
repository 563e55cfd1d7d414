/* One request from start to end, independent of the HTTP library:
 * authentication (bearer token -> role and author), routing, authorisation
 * (viewers read only), the handler, the request counters and one access
 * log line. /healthz needs no token, so that probes work without secrets.
 * Order: 401 before 404/405, so that callers without a token learn nothing
 * about the routes. */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "clock.h"
#include "api-int.h"
#include "resource.h"

static api_handler handler_for(const api_route *route, const char *method)
{
	switch (route->id) {
	case API_ROUTE_HEALTHZ:
		return api_handle_healthz;
	case API_ROUTE_METRICS:
		return api_handle_metrics;
	case API_ROUTE_STATUS:
		return api_handle_status;
	case API_ROUTE_REVISIONS:
		return api_handle_revisions;
	case API_ROUTE_ROLLBACK:
		return api_handle_rollback;
	case API_ROUTE_APPLY:
		return api_handle_apply;
	case API_ROUTE_PLAN:
		return api_handle_plan;
	case API_ROUTE_TRANSACTIONS:
		return api_handle_transactions;
	case API_ROUTE_EVENTS:
		return api_handle_events;
	case API_ROUTE_LIST:
		return api_handle_get;
	case API_ROUTE_RESOURCE:
		if (!strcmp(method, "PUT"))
			return api_handle_put;
		if (!strcmp(method, "DELETE"))
			return api_handle_delete;
		return api_handle_get;
	default:
		return NULL;
	}
}

/* Fills who from the Authorization header. 0, or -1 after replying 401. */
static int authenticate(api_ctx *ctx, const api_request *req, api_caller *who, api_response *resp)
{
	if (!ctx->tokens) {
		who->role = WEFT_ROLE_ADMIN;
		who->author = "api";
		return 0;
	}
	/* refused callers stay anonymous (logged as user=-), never "api" */
	const char *h = req->authorization;
	if (!h || strncasecmp(h, "Bearer ", 7) != 0) {
		api_reply_error(resp, 401, "missing bearer token (Authorization: Bearer TOKEN)");
		resp->challenge = 1;
		return -1;
	}
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	size_t len = strlen(tok);
	while (len && (tok[len - 1] == ' ' || tok[len - 1] == '\t'))
		len--;
	who->role = weft_api_tokens_check(ctx->tokens, tok, len, &who->author);
	if (who->role == WEFT_ROLE_NONE) {
		/* never echo the presented token */
		api_reply_error(resp, 401, "invalid bearer token");
		resp->challenge = 1;
		return -1;
	}
	return 0;
}

static void route_and_handle(api_ctx *ctx, const api_request *req, const api_route *route,
                             const api_caller *who, api_response *resp)
{
	if (route->id == API_ROUTE_NONE) {
		if (route->bad_status == 414)
			api_reply_error(resp, 414, "request path longer than %d bytes",
			                API_MAX_PATH);
		else if (route->bad_status)
			api_reply_error(resp, 400,
			                "path segment '%s' holds a control character (NUL, CR, LF, "
			                "...), as raw byte or %%-escape",
			                route->name);
		else if (route->unknown) {
			char known[512];
			size_t n = 0;
			for (int k = 0; k < WEFT_KIND_COUNT && n < sizeof(known); k++)
				n += (size_t)snprintf(known + n, sizeof(known) - n, "%s%s",
				                      k ? ", " : "",
				                      weft_kind_plural((weft_kind)k));
			api_reply_error(resp, 404, "%s '%s' (known: %s)", route->unknown,
			                route->name, known);
		} else
			api_reply_error(resp, 404, "no such route: %s", req->path);
		return;
	}
	if (!route->method_ok) {
		api_reply_error(resp, 405, "method %s not allowed on %s (allowed: %s)", req->method,
		                api_route_template(route->id), route->allow);
		resp->allow = route->allow;
		return;
	}
	if (!api_method_is_read(req->method) && who->role != WEFT_ROLE_ADMIN) {
		api_reply_error(resp, 403, "role viewer may only read (%s %s needs admin)",
		                req->method, api_route_template(route->id));
		return;
	}
	/* A read never takes a body: what a body asks (a dry-run of new
	 * documents) is a write-role request (docs/security.md). */
	if (api_method_is_read(req->method) && (req->body_len > 0 || req->body_announced)) {
		api_reply_error(resp, 400, "%s %s takes no request body%s", req->method,
		                api_route_template(route->id),
		                route->id == API_ROUTE_PLAN
		                        ? " (a dry-run of documents is POST /v1/plan, role admin)"
		                        : "");
		return;
	}
	if (req->headers_only)
		return; /* accepted so far: the body is read, then the handler runs */
	handler_for(route, req->method)(ctx, req, route, who, resp);
}

void api_dispatch(api_ctx *ctx, const api_request *req, api_response *resp)
{
	int64_t t0 = weft_mono_ms();
	memset(resp, 0, sizeof(*resp));
	resp->revision = -1;
	api_route route;
	api_route_match(req->method, req->path, &route);
	api_caller who = {WEFT_ROLE_NONE, NULL};
	if (route.id == API_ROUTE_HEALTHZ || authenticate(ctx, req, &who, resp) == 0)
		route_and_handle(ctx, req, &route, &who, resp);
	if (req->headers_only && !resp->status)
		return;
	if (!resp->status)
		api_reply_error(resp, 500, "no response");
	api_metrics_count(ctx->metrics, route.id, resp->status);
	if (weft_log_enabled(ctx->log, WEFT_LOG_INFO) && route.id != API_ROUTE_HEALTHZ) {
		char status[16], ms[32], path[1100];
		snprintf(status, sizeof(status), "%d", resp->status);
		/* a long path (up to the 414 bound, or a 404's) is cut: one request
		 * is one short line */
		snprintf(path, sizeof(path), "%.1024s%s", req->path,
		         strlen(req->path) > 1024 ? "..." : "");
		snprintf(ms, sizeof(ms), "%lld", (long long)(weft_mono_ms() - t0));
		weft_log_event(ctx->log, WEFT_LOG_INFO, "api request", "method", req->method,
		               "path", path, "status", status, "duration_ms", ms, "user",
		               who.author ? who.author : "-", NULL);
	}
}
