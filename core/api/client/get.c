/* `weftctl get KIND [[NS/]NAME]` with kubectl's habits (docs/weftctl.md):
 * output as a table, a wide table, JSON, YAML or kind/ns/name lines;
 * lists as a weft/v1 List (JSON) or a document stream (YAML) that
 * `weftctl apply -f -` takes back as they are; -l label selectors
 * (applied here, to the server's list); --watch prints the answer again
 * after every stored revision that changes it (following /v1/events from
 * the oldest event held, so that nothing between the first answer and the
 * stream is missed). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "resource.h"
#include "wctl-int.h"

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* Whether labels satisfy one requirement: "k=v", "k==v", "k!=v" or "k"
 * (present). */
static int label_match(json_t *labels, const char *req)
{
	const char *ne = strstr(req, "!="), *eq = strchr(req, '=');
	char key[256];
	if (!eq && !ne)
		return json_object_get(labels, req) != NULL;
	const char *op = ne ? ne : eq;
	snprintf(key, sizeof(key), "%.*s", (int)(op - req), req);
	const char *want = op + (ne ? 2 : (op[1] == '=' ? 2 : 1));
	const char *have = json_string_value(json_object_get(labels, key));
	int same = have && !strcmp(have, want);
	return ne ? !same : same;
}

/* A requirement is KEY, KEY=V, KEY==V or KEY!=V, KEY non-empty, no other
 * '=' or '!'. */
static int requirement_ok(const char *req, size_t len)
{
	size_t key = strcspn(req, "=!");
	if (key == 0 || key > len)
		return 0;
	if (key == len)
		return 1;
	const char *op = req + key;
	size_t oplen = !strncmp(op, "==", 2) || !strncmp(op, "!=", 2) ? 2 : *op == '=' ? 1 : 0;
	if (!oplen || key + oplen > len)
		return 0;
	for (size_t i = key + oplen; i < len; i++)
		if (req[i] == '=' || req[i] == '!')
			return 0;
	return 1;
}

int wctl_selector_valid(const char *sel)
{
	for (const char *p = sel;;) {
		size_t len = strcspn(p, ",");
		if (!requirement_ok(p, len))
			return 0;
		if (!p[len])
			return 1;
		p += len + 1;
	}
}

int wctl_selector_match(const wctl_opts *o, json_t *resource)
{
	json_t *labels = json_object_get(json_object_get(resource, "metadata"), "labels");
	for (size_t i = 0; i < o->n_selectors; i++) {
		char *copy = strdup(o->selectors[i]), *save = NULL;
		int ok = copy != NULL;
		for (char *req = copy ? strtok_r(copy, ",", &save) : NULL; req && ok;
		     req = strtok_r(NULL, ",", &save))
			ok = label_match(labels, req);
		free(copy);
		if (!ok)
			return 0;
	}
	return 1;
}

/* kind/namespace/name, kind in lower case singular, as `delete` takes it. */
static void print_name(const wctl_opts *o, json_t *r)
{
	json_t *meta = json_object_get(r, "metadata");
	char kind[64];
	snprintf(kind, sizeof(kind), "%s", str(r, "kind") ? str(r, "kind") : "-");
	for (char *p = kind; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	fprintf(o->out, "%s/%s/%s\n", kind, str(meta, "namespace") ? str(meta, "namespace") : "-",
	        str(meta, "name") ? str(meta, "name") : "-");
}

/* The items of a list answer that the selectors keep. */
static json_t *selected(const wctl_opts *o, json_t *list)
{
	json_t *items = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(list, "items"), i, r)
	{
		if (wctl_selector_match(o, r))
			json_array_append(items, r);
	}
	return items;
}

static void print_json(const wctl_opts *o, json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_REAL_PRECISION(15));
	fprintf(o->out, "%s\n", text ? text : "null");
	free(text);
}

static void print_list(const wctl_opts *o, json_t *answer)
{
	json_t *items = selected(o, answer);
	size_t i;
	json_t *r;
	switch (o->output) {
	case WCTL_OUT_JSON: {
		json_t *list = json_pack("{s:s, s:s, s:O}", "apiVersion", "weft/v1", "kind", "List",
		                         "items", items);
		print_json(o, list);
		json_decref(list);
		break;
	}
	case WCTL_OUT_YAML:
		json_array_foreach(items, i, r)
		{
			fputs("---\n", o->out);
			wctl_yaml_print(o->out, r);
		}
		break;
	case WCTL_OUT_NAME:
		json_array_foreach(items, i, r) print_name(o, r);
		break;
	default: {
		json_t *shown = json_pack("{s:O}", "items", items);
		wctl_render_resources(o, shown, o->output == WCTL_OUT_WIDE);
		json_decref(shown);
	}
	}
	json_decref(items);
}

static void print_one(const wctl_opts *o, json_t *r)
{
	switch (o->output) {
	case WCTL_OUT_JSON:
		print_json(o, r);
		break;
	case WCTL_OUT_YAML:
		wctl_yaml_print(o->out, r);
		break;
	case WCTL_OUT_NAME:
		print_name(o, r);
		break;
	default:
		wctl_render_resource(o, r);
	}
}

struct get_req {
	const wctl_opts *o;
	char path[1024];
	int single;
	json_t *last;       /* what was printed last (--watch prints changes only) */
	long long revision; /* the head revision of the last answer, -1 unknown */
};

/* One GET and its output; WCTL_OK or WCTL_FAILED. */
static int get_once(struct get_req *g)
{
	wctl_opts quiet = *g->o;
	quiet.json = 0; /* the raw bytes are not printed: the List form is */
	wctl_resp r;
	if (wctl_http(&quiet, "GET", g->path, NULL, NULL, 0, &r) != 0)
		return WCTL_FAILED;
	int rc = wctl_check(&quiet, &r, 0);
	if (rc == WCTL_OK && !r.json) {
		fprintf(g->o->err, "error: the server's answer is not JSON\n");
		rc = WCTL_FAILED;
	}
	if (rc == WCTL_OK) {
		json_t *rev = json_object_get(r.json, "revision");
		g->revision =
		        !g->single && json_is_integer(rev) ? json_integer_value(rev) : r.revision;
		json_t *items = g->single ? NULL : json_object_get(r.json, "items");
		json_t *now = g->single ? r.json : items;
		if (!g->last || !json_equal(g->last, now)) {
			if (g->last && g->o->output != WCTL_OUT_JSON &&
			    g->o->output != WCTL_OUT_YAML)
				fputc('\n', g->o->out);
			if (g->single)
				print_one(g->o, r.json);
			else
				print_list(g->o, r.json);
			fflush(g->o->out);
			json_decref(g->last);
			g->last = json_incref(now);
		}
	}
	wctl_resp_free(&r);
	return rc;
}

/* The watch follows the events from the oldest weftd holds, so that no
 * revision stored between the first answer and the stream's start is
 * missed; revisions up to the one already answered are skipped. */
static int on_watch_event(void *arg, const char *type, json_t *data)
{
	struct get_req *g = arg;
	if (strcmp(type, "revision"))
		return 0;
	json_t *rev = json_object_get(data, "revision");
	if (g->revision >= 0 && json_is_integer(rev) && json_integer_value(rev) <= g->revision)
		return 0;
	get_once(g);
	return 1;
}

int wctl_get(const wctl_opts *o, const char *kind, const char *name)
{
	const char *plural = wctl_kind_plural(kind);
	if (!plural)
		return wctl_unknown_kind(o, kind);
	struct get_req g = {.o = o, .single = name != NULL, .revision = -1};
	char ns[300], nm[300];
	if (wctl_split_name(o, name, ns, sizeof(ns), nm, sizeof(nm)) != 0)
		return WCTL_USAGE;
	if (name) {
		snprintf(g.path, sizeof(g.path), "/v1/%s/%s/%s", plural, ns, nm);
	} else if (o->ns) {
		char *e = curl_easy_escape(NULL, o->ns, 0);
		snprintf(g.path, sizeof(g.path), "/v1/%s?namespace=%s", plural, e ? e : "");
		curl_free(e);
	} else {
		snprintf(g.path, sizeof(g.path), "/v1/%s", plural);
	}
	int rc = get_once(&g);
	if (rc == WCTL_OK && o->watch)
		rc = wctl_follow(o, 0, o->watch_timeout_s, 0, on_watch_event, NULL, &g);
	json_decref(g.last);
	return rc;
}
