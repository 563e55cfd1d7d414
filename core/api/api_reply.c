/* Response and query-string helpers shared by the API handlers: every error
 * leaves as JSON {"error": "...", "errors": [...]} with a status derived
 * from the controller's WEFT_E* code, so clients (weftctl) handle all
 * failures one way. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-int.h"

void api_response_free(api_response *resp)
{
	free(resp->body);
	resp->body = NULL;
	resp->body_len = 0;
}

void api_reply_json(api_response *resp, int status, json_t *body)
{
	api_response_free(resp);
	resp->status = status;
	resp->content_type = "application/json";
	char *text = body ? json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(body);
	if (!text) {
		resp->status = 500;
		text = strdup("{\"error\": \"out of memory\"}");
	}
	size_t len = text ? strlen(text) : 0;
	char *nl = text ? realloc(text, len + 2) : NULL;
	if (nl) {
		nl[len++] = '\n';
		nl[len] = '\0';
		text = nl;
	}
	resp->body = text;
	resp->body_len = text ? len : 0;
}

void api_reply_text(api_response *resp, int status, const char *content_type, const char *text)
{
	api_response_free(resp);
	resp->status = status;
	resp->content_type = content_type;
	resp->body = strdup(text);
	resp->body_len = resp->body ? strlen(text) : 0;
}

json_t *api_json_string(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	char *copy = strdup(s);
	if (!copy)
		return NULL;
	for (unsigned char *p = (unsigned char *)copy; *p; p++)
		if (*p >= 0x80)
			*p = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

void api_reply_error(api_response *resp, int status, const char *fmt, ...)
{
	char msg[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_reply_json(resp, status,
	               json_pack("{s:o, s:[]}", "error", api_json_string(msg), "errors"));
}

void api_reply_diags(api_response *resp, int status, const char *msg, weft_diags *diags)
{
	if (diags)
		weft_diags_sort(diags);
	json_t *body = json_pack("{s:o}", "error", api_json_string(msg));
	if (body)
		json_object_set_new(body, "errors", api_diags_json(diags));
	if (body && diags && diags->omitted)
		json_object_set_new(body, "omitted", json_integer((json_int_t)diags->omitted));
	api_reply_json(resp, status, body);
}

void api_reply_status(api_response *resp, int code, const weft_err *err, weft_diags *diags)
{
	const char *msg = err && err->msg[0] ? err->msg : NULL;
	char summary[128];
	switch (code) {
	case WEFT_EINVALID:
		if (!msg) {
			snprintf(summary, sizeof(summary), "policy is invalid: %zu problem%s",
			         weft_diags_total(diags), weft_diags_total(diags) == 1 ? "" : "s");
			msg = summary;
		}
		api_reply_diags(resp, 422, msg, diags);
		return;
	case WEFT_ECONFLICT:
		api_reply_diags(resp, 409, msg ? msg : "revision conflict", diags);
		return;
	case WEFT_ENOTFOUND:
		api_reply_diags(resp, 404, msg ? msg : "not found", diags);
		return;
	default:
		api_reply_diags(resp, 500, msg ? msg : "internal error", diags);
	}
}

const char *api_query_get(const api_request *req, const char *key)
{
	for (size_t i = 0; i < req->n_query; i++)
		if (!strcmp(req->query[i].key, key))
			return req->query[i].value ? req->query[i].value : "";
	return NULL;
}

int api_query_bool(const api_request *req, const char *key)
{
	const char *v = api_query_get(req, key);
	if (!v)
		return 0;
	if (!*v || !strcmp(v, "1") || !strcmp(v, "true"))
		return 1;
	if (!strcmp(v, "0") || !strcmp(v, "false"))
		return 0;
	return -1;
}

int api_query_int(const api_request *req, const char *key, int64_t dflt, int64_t *out)
{
	const char *v = api_query_get(req, key);
	*out = dflt;
	if (!v)
		return 0;
	if (*v < '0' || *v > '9')
		return -1;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno || *end)
		return -1;
	*out = n;
	return 0;
}
