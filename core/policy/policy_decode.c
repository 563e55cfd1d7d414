/* Document -> resource: the envelope of every policy document (apiVersion,
 * kind, metadata, spec), the per-kind spec schema (schema_*.c, run by the
 * engine in decode.c), the canonical JSON and content hash. This is the
 * entry point of the northbound's decoding step in docs/architecture.md: the store only
 * ever receives resources that came out of here. */
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "resource.h"
#include "schema.h"

/* Enums are stored through int pointers by the engine. */
_Static_assert(sizeof(weft_protocol) == sizeof(int), "enum storage");
_Static_assert(sizeof(weft_device_type) == sizeof(int), "enum storage");

#define API_VERSION "weft/v1"

static const struct schema *const kind_schemas[WEFT_KIND_COUNT] = {
        [WEFT_KIND_SERVICE] = &weft_schema_service,
        [WEFT_KIND_ROUTE] = &weft_schema_route,
        [WEFT_KIND_TRAFFIC_POLICY] = &weft_schema_traffic_policy,
        [WEFT_KIND_RATE_LIMIT] = &weft_schema_rate_limit,
        [WEFT_KIND_ACCESS_POLICY] = &weft_schema_access_policy,
        [WEFT_KIND_PEER_AUTHENTICATION] = &weft_schema_peer_authentication,
        [WEFT_KIND_TELEMETRY] = &weft_schema_telemetry,
        [WEFT_KIND_GATEWAY] = &weft_schema_gateway,
        [WEFT_KIND_DEVICE] = &weft_schema_device,
};

/* metadata, decoded by the same engine. */
struct metadata {
	weft_pos pos;
	const char *name;
	const char *ns;
	weft_labels labels;
};

#define T struct metadata
static const struct field metadata_fields[] = {
        FIELD(T, "name", T_SUBDOMAIN, F_REQ, name),
        FIELD(T, "namespace", T_NAME, 0, ns),
        FIELD(T, "labels", T_MAP, 0, labels, .key_type = T_LABELKEY, .val_type = T_LABELVAL),
};
static const struct schema metadata_schema = SCHEMA(T, metadata_fields);
#undef T

const struct schema *weft_schema_of(int kind)
{
	if (kind < 0)
		return &metadata_schema;
	return kind < WEFT_KIND_COUNT ? kind_schemas[kind] : NULL;
}

static const char *const top_fields[] = {"apiVersion", "kind", "metadata", "spec"};

static void check_top_keys(struct dctx *c, const weft_node *root)
{
	for (size_t i = 0; i < root->count; i++) {
		const weft_node *k = root->pairs[i].key;
		int known = 0;
		for (size_t j = 0; j < 4; j++)
			known |= !strcmp(k->str, top_fields[j]);
		if (known)
			continue;
		const char *best = weft_suggest(k->str, top_fields, 4);
		if (best)
			dctx_error(c, k->line, k->col, NULL,
			           "unknown field '%s' (did you mean '%s'?)", k->str, best);
		else
			dctx_error(c, k->line, k->col, NULL,
			           "unknown field '%s': a document has apiVersion, kind, metadata "
			           "and spec",
			           k->str);
	}
}

static const weft_node *required(struct dctx *c, const weft_node *root, const char *name)
{
	const weft_node *n = weft_node_get(root, name);
	if (!n || n->kind == WEFT_NODE_NULL) {
		dctx_error(c, root->line, root->col, name, "field '%s' is required", name);
		return NULL;
	}
	return n;
}

/* apiVersion and kind; returns the kind or -1. */
static int decode_header(struct dctx *c, const weft_node *root)
{
	const weft_node *v = required(c, root, "apiVersion");
	if (v && (v->kind != WEFT_NODE_SCALAR || strcmp(v->str, API_VERSION)))
		dctx_error(c, v->line, v->col, "apiVersion",
		           "unsupported apiVersion '%s': expected '" API_VERSION "'", v->str);
	const weft_node *k = required(c, root, "kind");
	if (!k)
		return -1;
	weft_kind kind;
	if (k->kind == WEFT_NODE_SCALAR && !weft_kind_from_name(k->str, &kind))
		return (int)kind;
	const char *names[WEFT_KIND_COUNT];
	for (int i = 0; i < WEFT_KIND_COUNT; i++)
		names[i] = weft_kind_name((weft_kind)i);
	const char *best = weft_suggest(k->str, names, WEFT_KIND_COUNT);
	if (best)
		dctx_error(c, k->line, k->col, "kind", "unknown kind '%s' (did you mean '%s'?)",
		           k->str, best);
	else
		dctx_error(c, k->line, k->col, "kind",
		           "unknown kind '%s': expected Service, Route, TrafficPolicy, RateLimit, "
		           "AccessPolicy, PeerAuthentication, Telemetry, Gateway or Device",
		           k->str);
	return -1;
}

/* Serialises the canonical document into the resource's arena: compact,
 * keys sorted, non-ASCII escaped (so the text survives any parser, libyaml
 * included, byte for byte), reals with 15 significant digits (stable
 * through a parse/print round trip). */
static int finish_json(weft_resource *r, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII |
	                                     JSON_REAL_PRECISION(15));
	if (!text)
		return -1;
	size_t len = strlen(text);
	char *copy = weft_arena_strndup(r->arena, text, len);
	free(text);
	if (!copy)
		return -1;
	r->json = copy;
	r->json_len = len;
	r->hash = weft_hash_bytes(WEFT_HASH_SEED, copy, len);
	return 0;
}

/* metadata: returns its JSON (namespace always present: it is identity). */
static json_t *decode_metadata(struct dctx *c, weft_resource *r, const weft_node *root)
{
	const weft_node *m = required(c, root, "metadata");
	if (!m)
		return NULL;
	struct metadata md = {0};
	size_t old = dctx_push_field(c, "metadata");
	json_t *j = schema_decode_object(c, &metadata_schema, m, &md);
	dctx_pop(c, old);
	if (!j)
		return NULL;
	if (md.name)
		r->name = md.name;
	if (md.ns)
		r->ns = md.ns;
	r->labels = md.labels;
	json_object_set_new(j, "namespace", json_string(r->ns));
	return j;
}

static weft_resource *decode_root(struct dctx *c, const weft_doc *doc, weft_diags *diags)
{
	const weft_node *root = doc->root;
	int kind = decode_header(c, root);
	check_top_keys(c, root);
	weft_resource *r = weft_resource_new(kind < 0 ? WEFT_KIND_SERVICE : (weft_kind)kind);
	if (!r)
		return NULL;
	c->arena = r->arena;
	r->file = weft_arena_strdup(r->arena, doc->file ? doc->file : "-");
	r->line = root->line;
	c->file = r->file;
	json_t *jdoc = json_object();
	json_t *meta = decode_metadata(c, r, root);
	c->ns = r->ns;
	const weft_node *spec = required(c, root, "spec");
	if (spec && kind >= 0) {
		const struct schema *s = kind_schemas[kind];
		void *obj = weft_arena_alloc(r->arena, s->size);
		size_t old = dctx_push_field(c, "spec");
		json_t *js = obj ? schema_decode_object(c, s, spec, obj) : NULL;
		dctx_pop(c, old);
		r->spec = obj;
		if (js)
			json_object_set_new(jdoc, "spec", js);
	}
	if (kind >= 0) {
		json_object_set_new(jdoc, "apiVersion", json_string(API_VERSION));
		json_object_set_new(jdoc, "kind", json_string(weft_kind_name((weft_kind)kind)));
	}
	if (meta)
		json_object_set_new(jdoc, "metadata", meta);
	if (!c->errors && finish_json(r, jdoc)) {
		weft_diags_add(diags, c->file, root->line, root->col, NULL, "out of memory");
		c->errors++;
	}
	json_decref(jdoc);
	if (c->errors || kind < 0) {
		weft_resource_unref(r);
		return NULL;
	}
	return r;
}

int weft_policy_decode(const weft_doc *doc, weft_resource **out, weft_diags *diags)
{
	*out = NULL;
	const char *file = doc->file ? doc->file : "-";
	if (!doc->root) {
		weft_diags_add(diags, file, 0, 0, NULL, "empty document");
		return -1;
	}
	if (doc->root->kind != WEFT_NODE_MAP) {
		weft_diags_add(diags, file, doc->root->line, doc->root->col, NULL,
		               "a policy document must be a map with apiVersion, kind, metadata "
		               "and spec, got %s",
		               weft_node_kind_name(doc->root->kind));
		return -1;
	}
	struct dctx c = {.diags = diags, .file = file, .ns = "default"};
	weft_resource *r = decode_root(&c, doc, diags);
	if (!r)
		return -1;
	*out = r;
	return 0;
}

/* Whether root is a list of documents: {apiVersion: weft/v1, kind: List,
 * items: [...]}, what `weftctl get -o json` prints for a list, so that it
 * applies as it is (docs/policy.md). Its other keys are refused. */
static int is_list(const weft_doc *doc, weft_diags *diags, int *bad)
{
	const weft_node *root = doc->root;
	const weft_node *kind = weft_node_get(root, "kind");
	*bad = 0;
	if (!kind || kind->kind != WEFT_NODE_SCALAR || strcmp(kind->str, "List"))
		return 0;
	const char *file = doc->file ? doc->file : "-";
	const weft_node *api = weft_node_get(root, "apiVersion");
	if (!api || api->kind != WEFT_NODE_SCALAR || strcmp(api->str, API_VERSION)) {
		weft_diags_add(diags, file, api ? api->line : root->line,
		               api ? api->col : root->col, "apiVersion", "a List has apiVersion %s",
		               API_VERSION);
		*bad = 1;
	}
	for (size_t i = 0; i < root->count; i++) {
		const weft_node *k = root->pairs[i].key;
		if (strcmp(k->str, "apiVersion") && strcmp(k->str, "kind") &&
		    strcmp(k->str, "items")) {
			weft_diags_add(diags, file, k->line, k->col, k->str,
			               "unknown field '%s': a List has apiVersion, kind and items",
			               k->str);
			*bad = 1;
		}
	}
	const weft_node *items = weft_node_get(root, "items");
	if (!items || items->kind != WEFT_NODE_SEQ) {
		weft_diags_add(diags, file, items ? items->line : root->line,
		               items ? items->col : root->col, "items",
		               "a List has items: a list of documents");
		*bad = 1;
	}
	return 1;
}

/* Decodes one document (or each item of a List) onto items/count. */
static int decode_one(const weft_doc *doc, weft_resource ***items, size_t *count, size_t *cap,
                      weft_diags *diags)
{
	int bad;
	if (doc->root->kind == WEFT_NODE_MAP && is_list(doc, diags, &bad)) {
		if (bad)
			return -1;
		const weft_node *list = weft_node_get(doc->root, "items");
		int failed = 0;
		for (size_t i = 0; i < list->count; i++) {
			weft_doc item = {.file = doc->file, .root = list->items[i]};
			if (decode_one(&item, items, count, cap, diags))
				failed = 1;
		}
		return failed ? -1 : 0;
	}
	if (*count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		weft_resource **n = realloc(*items, ncap * sizeof(*n));
		if (!n) {
			weft_diags_add(diags, doc->file, 0, 0, NULL, "out of memory");
			return -1;
		}
		*items = n;
		*cap = ncap;
	}
	weft_resource *r = NULL;
	if (weft_policy_decode(doc, &r, diags))
		return -1;
	(*items)[(*count)++] = r;
	return 0;
}

int weft_policy_decode_all(const weft_docset *set, weft_resource ***out, size_t *n,
                           weft_diags *diags)
{
	*out = NULL;
	*n = 0;
	weft_resource **items = NULL;
	size_t count = 0, cap = 0;
	int failed = 0;
	for (size_t i = 0; i < set->count; i++) {
		if (set->docs[i].root && decode_one(&set->docs[i], &items, &count, &cap, diags))
			failed = 1;
	}
	if (failed) {
		for (size_t i = 0; i < count; i++)
			weft_resource_unref(items[i]);
		free(items);
		return -1;
	}
	*out = items ? items : calloc(1, sizeof(*items));
	*n = count;
	return *out ? 0 : -1;
}

/* Positions inside stored canonical JSON mean nothing to the user: every
 * node of a resource loaded from the store points at its origin line (the
 * document start in the user's file), column unknown. */
static void reposition(weft_node *n, int line, int depth)
{
	if (!n || depth > WEFT_DOC_MAX_DEPTH)
		return;
	n->line = line;
	n->col = 0;
	for (size_t i = 0; n->kind == WEFT_NODE_SEQ && i < n->count; i++)
		reposition(n->items[i], line, depth + 1);
	for (size_t i = 0; n->kind == WEFT_NODE_MAP && i < n->count; i++) {
		reposition(n->pairs[i].key, line, depth + 1);
		reposition(n->pairs[i].value, line, depth + 1);
	}
}

int weft_policy_decode_json(const char *json, size_t len, const char *file, int line,
                            weft_resource **out, weft_diags *diags)
{
	*out = NULL;
	const char *name = file ? file : "-";
	weft_docset set;
	if (weft_docset_init(&set))
		return -1;
	int rc = -1;
	if (weft_docset_parse(&set, name, json, len, diags) == 0) {
		if (set.count != 1 || !set.docs[0].root)
			weft_diags_add(diags, name, line, 0, NULL,
			               "expected exactly one JSON document, got %zu", set.count);
		else {
			reposition(set.docs[0].root, line, 0);
			rc = weft_policy_decode(&set.docs[0], out, diags);
		}
	}
	if (rc == 0) {
		(*out)->file = weft_arena_strdup((*out)->arena, name);
		(*out)->line = line;
	}
	weft_docset_free(&set);
	return rc;
}
