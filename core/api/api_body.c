/* Request bodies of the REST API -> policy documents (doc.h), and results
 * -> JSON. Three body forms are accepted:
 *   - the files envelope (Content-Type application/vnd.weft.files+json):
 *     {"files":[{"name":"examples/a.yaml","content":"..."}]}, each file
 *     parsed under its own name, so diagnostics point at the user's own
 *     file:line:col (weftctl sends this);
 *   - JSON (application/json), parsed as the file "request.json";
 *   - YAML or anything text-like, parsed as the file "request" (JSON is
 *     still recognised by its first character).
 * Syntax errors inside documents become diagnostics (-1); a malformed
 * envelope or an unsupported content type is a request error (-2). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api-int.h"

#define MAX_FILE_NAME 1024

/* Whether the media type (before any ';' parameters) equals want. */
static int media_is(const char *ct, const char *want)
{
	while (*ct == ' ')
		ct++;
	size_t n = strcspn(ct, "; ");
	return n == strlen(want) && strncasecmp(ct, want, n) == 0;
}

static int name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len == 0 || len > MAX_FILE_NAME)
		return 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return 0;
	return 1;
}

static int envelope_file(weft_docset *set, json_t *file, size_t i, weft_diags *diags, weft_err *err)
{
	const char *key;
	json_t *value;
	if (!json_is_object(file))
		return weft_err_setc(err, 400, "files[%zu]: expected an object", i);
	json_object_foreach(file, key, value)
	{
		if (strcmp(key, "name") != 0 && strcmp(key, "content") != 0)
			return weft_err_setc(err, 400, "files[%zu]: unknown field '%s'", i, key);
	}
	json_t *name = json_object_get(file, "name");
	json_t *content = json_object_get(file, "content");
	if (!json_is_string(name) || !name_ok(json_string_value(name)))
		return weft_err_setc(
		        err, 400,
		        "files[%zu].name: expected a file name (1-%d printable characters)", i,
		        MAX_FILE_NAME);
	if (!json_is_string(content))
		return weft_err_setc(err, 400, "files[%zu].content: expected a string", i);
	return weft_docset_parse(set, json_string_value(name), json_string_value(content),
	                         json_string_length(content), diags);
}

static int parse_envelope(const api_request *req, weft_docset *set, weft_diags *diags,
                          weft_err *err)
{
	json_error_t jerr;
	json_t *root = json_loadb(req->body ? req->body : "", req->body_len, JSON_REJECT_DUPLICATES,
	                          &jerr);
	if (!root)
		return weft_err_setc(err, 400, "files envelope: line %d column %d: %s", jerr.line,
		                     jerr.column, jerr.text);
	json_t *files = json_object_get(root, "files");
	int rc = 0;
	if (!json_is_object(root) || !json_is_array(files) || json_object_size(root) != 1) {
		rc = weft_err_setc(err, 400, "files envelope: expected {\"files\": [...]} only");
	} else if (json_array_size(files) == 0) {
		rc = weft_err_setc(err, 400, "files envelope: no files");
	} else {
		size_t i;
		json_t *file;
		json_array_foreach(files, i, file)
		{
			int r = envelope_file(set, file, i, diags, err);
			if (r == -1)
				rc = -1; /* keep parsing: report every file's problems */
			else if (r != 0) {
				rc = r;
				break;
			}
		}
	}
	json_decref(root);
	return rc;
}

int api_body_docs(const api_request *req, weft_docset *set, weft_diags *diags, weft_err *err)
{
	const char *ct = req->content_type ? req->content_type : "";
	if (media_is(ct, API_FILES_CONTENT_TYPE)) {
		/* request errors come back as their HTTP status (> 0) */
		int rc = parse_envelope(req, set, diags, err);
		return rc > 0 ? -2 : rc;
	}
	const char *name;
	if (media_is(ct, "application/json"))
		name = "request.json";
	else if (!*ct || media_is(ct, "application/yaml") || media_is(ct, "application/x-yaml") ||
	         media_is(ct, "text/yaml") || media_is(ct, "text/x-yaml") ||
	         media_is(ct, "text/plain") || media_is(ct, "application/octet-stream") ||
	         media_is(ct, "application/x-www-form-urlencoded"))
		name = "request";
	else {
		weft_err_setc(err, 415,
		              "unsupported Content-Type '%s' (use application/yaml, "
		              "application/json or " API_FILES_CONTENT_TYPE ")",
		              ct);
		return -2;
	}
	return weft_docset_parse(set, name, req->body ? req->body : "", req->body_len, diags);
}

json_t *api_diags_json(const weft_diags *diags)
{
	json_t *arr = json_array();
	for (size_t i = 0; diags && arr && i < diags->count; i++) {
		const weft_diag *d = &diags->items[i];
		json_array_append_new(arr,
		                      json_pack("{s:o, s:i, s:i, s:o, s:o}", "file",
		                                api_json_string(d->file ? d->file : "-"), "line",
		                                d->line, "column", d->col, "path",
		                                api_json_string(d->path ? d->path : ""), "message",
		                                api_json_string(d->msg ? d->msg : "")));
	}
	if (diags && diags->omitted && arr) {
		char more[96];
		snprintf(more, sizeof(more), "... and %zu more errors", diags->omitted);
		json_array_append_new(arr,
		                      json_pack("{s:s, s:i, s:i, s:s, s:s}", "file", "-", "line", 0,
		                                "column", 0, "path", "", "message", more));
	}
	return arr;
}

json_t *api_write_result_json(const weft_write_result *res, int dry_run)
{
	json_t *changes = res->changes ? json_incref(res->changes) : json_array();
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:b}", "revision",
	                 (json_int_t)res->revision, "created", (json_int_t)res->created, "updated",
	                 (json_int_t)res->updated, "deleted", (json_int_t)res->deleted, "unchanged",
	                 (json_int_t)res->unchanged, "changes", changes, "dryRun", dry_run);
}
