/* YAML/JSON -> positioned node trees (see doc.h). libyaml's event parser
 * builds the tree; JSON input is first checked by jansson so that JSON files
 * follow JSON's own rules (no duplicate keys, no YAML-only syntax), then
 * parsed by the same event parser to get positions. */
#include "doc.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "dirwalk.h"

int weft_docset_init(weft_docset *set)
{
	memset(set, 0, sizeof(*set));
	set->arena = weft_arena_new();
	return set->arena ? 0 : -1;
}

void weft_docset_free(weft_docset *set)
{
	weft_arena_free(set->arena);
	free(set->docs);
	memset(set, 0, sizeof(*set));
}

const char *weft_node_kind_name(weft_node_kind kind)
{
	switch (kind) {
	case WEFT_NODE_NULL:
		return "null";
	case WEFT_NODE_SCALAR:
		return "a scalar";
	case WEFT_NODE_MAP:
		return "a map";
	case WEFT_NODE_SEQ:
		return "a list";
	}
	return "?";
}

const weft_node *weft_node_get(const weft_node *map, const char *key)
{
	if (!map || map->kind != WEFT_NODE_MAP)
		return NULL;
	for (size_t i = 0; i < map->count; i++)
		if (strcmp(map->pairs[i].key->str, key) == 0)
			return map->pairs[i].value;
	return NULL;
}

/* Parser state for one buffer. */
struct builder {
	yaml_parser_t parser;
	weft_arena *arena;
	const char *file;
	weft_diags *diags;
	int failed;
	size_t *nodes; /* the set's node count */
	/* Field path of the node being built ("spec.ports[0].port"), so that
	 * refusals in this layer name the field like the decoder does. */
	char path[512];
	size_t path_len;
};

/* Appends ".key" (or "key" at the root, "[i]" for key == NULL) to the
 * path; returns the old length for path_pop. Truncates silently: the path
 * only decorates a message. */
static size_t path_push(struct builder *b, const char *key, size_t index)
{
	size_t old = b->path_len, room = sizeof(b->path) - old;
	int n = key ? snprintf(b->path + old, room, "%s%s", old ? "." : "", key)
	            : snprintf(b->path + old, room, "[%zu]", index);
	if (n > 0)
		b->path_len = (size_t)n < room ? old + (size_t)n : sizeof(b->path) - 1;
	return old;
}

static void path_pop(struct builder *b, size_t old)
{
	b->path_len = old;
	b->path[old] = '\0';
}

static weft_node *node_new(struct builder *b, weft_node_kind kind, const yaml_mark_t *mark)
{
	if (++*b->nodes > WEFT_DOCSET_MAX_NODES) {
		weft_diags_add(b->diags, b->file, (int)mark->line + 1, (int)mark->column + 1, NULL,
		               "too many YAML nodes (more than %d in one request or policy "
		               "directory)",
		               WEFT_DOCSET_MAX_NODES);
		b->failed = 1;
		return NULL;
	}
	weft_node *n = weft_arena_alloc(b->arena, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	n->str = "";
	return n;
}

static void fail_at(struct builder *b, const yaml_mark_t *mark, const char *msg)
{
	weft_diags_add(b->diags, b->file, (int)mark->line + 1, (int)mark->column + 1, NULL, "%s",
	               msg);
	b->failed = 1;
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
	if (yaml_parser_parse(&b->parser, ev))
		return 0;
	const char *problem = b->parser.problem ? b->parser.problem : "syntax error";
	const yaml_mark_t *mark = &b->parser.problem_mark;
	if (b->parser.context)
		weft_diags_add(b->diags, b->file, (int)mark->line + 1, (int)mark->column + 1, NULL,
		               "YAML syntax error: %s %s", problem, b->parser.context);
	else
		weft_diags_add(b->diags, b->file, (int)mark->line + 1, (int)mark->column + 1, NULL,
		               "YAML syntax error: %s", problem);
	b->failed = 1;
	return -1;
}

static int is_null_scalar(const yaml_event_t *ev)
{
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	const char *v = (const char *)ev->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static weft_node *build_node(struct builder *b, yaml_event_t *ev, int depth);

/* Appends to a growable array kept in the arena (copy on growth; the lists
 * of a policy document are short, and the arena frees everything at once). */
static void *grow(struct builder *b, void *old, size_t count, size_t elem)
{
	/* Capacity is implicit: 4 for counts below 4, else the next power of
	 * two, so a new block is needed only at 0 and at powers of two >= 4. */
	if (count != 0 && (count < 4 || (count & (count - 1)) != 0))
		return old;
	size_t cap = count == 0 ? 4 : count * 2;
	void *p = weft_arena_alloc(b->arena, cap * elem);
	if (p && old)
		memcpy(p, old, count * elem);
	return p;
}

static weft_node *build_seq(struct builder *b, yaml_event_t *start, int depth)
{
	weft_node *n = node_new(b, WEFT_NODE_SEQ, &start->start_mark);
	yaml_event_delete(start);
	if (!n)
		return NULL;
	for (;;) {
		yaml_event_t ev;
		if (next_event(b, &ev))
			return NULL;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return n;
		}
		size_t old = path_push(b, NULL, n->count);
		weft_node *item = build_node(b, &ev, depth + 1);
		path_pop(b, old);
		if (!item)
			return NULL;
		n->items = grow(b, n->items, n->count, sizeof(*n->items));
		n->items[n->count++] = item;
	}
}

static void report_duplicate(struct builder *b, const weft_node *key, const weft_node *first)
{
	weft_diags_add(b->diags, b->file, key->line, key->col, NULL,
	               "duplicate key '%s' (first at line %d)", key->str, first->line);
	b->failed = 1;
}

struct key_ref {
	const weft_node *key;
	size_t index;
};

static int key_ref_cmp(const void *a, const void *b)
{
	const struct key_ref *x = a, *y = b;
	int c = strcmp(x->key->str, y->key->str);
	return c ? c : (x->index < y->index ? -1 : x->index > y->index);
}

/* Every key of a map is unique. Small maps compare pairwise; large ones
 * are sorted, so that a map of 100,000 keys costs milliseconds, not the
 * minutes a pairwise check would take. */
static void check_duplicate_keys(struct builder *b, const weft_node *map)
{
	size_t n = map->count;
	struct key_ref *refs = n > 16 ? malloc(n * sizeof(*refs)) : NULL;
	if (!refs) {
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (!strcmp(map->pairs[j].key->str, map->pairs[i].key->str)) {
					report_duplicate(b, map->pairs[i].key, map->pairs[j].key);
					break;
				}
		return;
	}
	for (size_t i = 0; i < n; i++)
		refs[i] = (struct key_ref){map->pairs[i].key, i};
	qsort(refs, n, sizeof(*refs), key_ref_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(refs[i].key->str, refs[first].key->str))
			first = i;
		else
			report_duplicate(b, refs[i].key, refs[first].key);
	}
	free(refs);
}

static weft_node *build_map(struct builder *b, yaml_event_t *start, int depth)
{
	weft_node *n = node_new(b, WEFT_NODE_MAP, &start->start_mark);
	yaml_event_delete(start);
	if (!n)
		return NULL;
	for (;;) {
		yaml_event_t ev;
		if (next_event(b, &ev))
			return NULL;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			check_duplicate_keys(b, n);
			return n;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			fail_at(b, &ev.start_mark, "map keys must be plain strings");
			yaml_event_delete(&ev);
			return NULL;
		}
		weft_node *key = build_node(b, &ev, depth + 1);
		if (!key)
			return NULL;
		yaml_event_t vev;
		if (next_event(b, &vev))
			return NULL;
		size_t old = path_push(b, key->str, 0);
		weft_node *value = build_node(b, &vev, depth + 1);
		path_pop(b, old);
		if (!value)
			return NULL;
		n->pairs = grow(b, n->pairs, n->count, sizeof(*n->pairs));
		n->pairs[n->count].key = key;
		n->pairs[n->count].value = value;
		n->count++;
	}
}

/* The explicit tag of a node event, or NULL. libyaml leaves the tag NULL
 * when the source has none (types come from the schema decoder, which
 * reads plain vs quoted), so any tag here was written by the author. */
static const char *event_tag(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return (const char *)ev->data.scalar.tag;
	case YAML_SEQUENCE_START_EVENT:
		return (const char *)ev->data.sequence_start.tag;
	case YAML_MAPPING_START_EVENT:
		return (const char *)ev->data.mapping_start.tag;
	default:
		return NULL;
	}
}

/* Every explicit tag is refused, the core schema's own (!!str, !!int, ...)
 * included: a tag would either be ignored (the value typed as if it were
 * absent) or make the type depend on something other than the field, and
 * quoting already says "string" (docs/policy.md). */
static void fail_tag(struct builder *b, const yaml_event_t *ev, const char *tag)
{
	static const char core[] = "tag:yaml.org,2002:";
	int is_core = !strncmp(tag, core, sizeof(core) - 1);
	weft_diags_add(b->diags, b->file, (int)ev->start_mark.line + 1,
	               (int)ev->start_mark.column + 1, b->path,
	               "YAML tag '%s%.64s' is not supported: weft types values by field "
	               "(quote a value to make it a string)",
	               is_core ? "!!" : "", is_core ? tag + sizeof(core) - 1 : tag);
	b->failed = 1;
}

/* Consumes ev (and, for collections, everything up to their end). */
static weft_node *build_node(struct builder *b, yaml_event_t *ev, int depth)
{
	if (depth > WEFT_DOC_MAX_DEPTH) {
		fail_at(b, &ev->start_mark, "document nested too deeply");
		yaml_event_delete(ev);
		return NULL;
	}
	const char *tag = event_tag(ev);
	if (tag) {
		/* Reported, and the node is still built so that one run lists
		 * every tag (and other problems) of the file. */
		fail_tag(b, ev, tag);
	}
	weft_node *n = NULL;
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		fail_at(b, &ev->start_mark, "YAML aliases are not supported; write the value out");
		break;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor) {
			fail_at(b, &ev->start_mark, "YAML anchors are not supported");
			break;
		}
		n = node_new(b, is_null_scalar(ev) ? WEFT_NODE_NULL : WEFT_NODE_SCALAR,
		             &ev->start_mark);
		if (n) {
			n->str = weft_arena_strndup(b->arena, (const char *)ev->data.scalar.value,
			                            ev->data.scalar.length);
			n->len = ev->data.scalar.length;
			n->quoted = ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
			if (n->kind == WEFT_NODE_NULL)
				n->str = "";
		}
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.anchor) {
			fail_at(b, &ev->start_mark, "YAML anchors are not supported");
			break;
		}
		return build_seq(b, ev, depth);
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.anchor) {
			fail_at(b, &ev->start_mark, "YAML anchors are not supported");
			break;
		}
		return build_map(b, ev, depth);
	default:
		fail_at(b, &ev->start_mark, "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	return n;
}

static int add_doc(weft_docset *set, const char *file, weft_node *root)
{
	if (set->count == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		weft_doc *docs = realloc(set->docs, cap * sizeof(*docs));
		if (!docs)
			return -1;
		set->docs = docs;
		set->cap = cap;
	}
	set->docs[set->count].file = file;
	set->docs[set->count].root = root;
	set->count++;
	return 0;
}

/* Walks the event stream: STREAM_START, (DOCUMENT_START node DOCUMENT_END)*,
 * STREAM_END. */
static int parse_stream(weft_docset *set, struct builder *b, const char *file)
{
	for (;;) {
		yaml_event_t ev;
		if (next_event(b, &ev))
			return -1;
		yaml_event_type_t type = ev.type;
		if (type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return b->failed ? -1 : 0;
		}
		if (type == YAML_STREAM_START_EVENT || type == YAML_DOCUMENT_END_EVENT ||
		    type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		weft_node *root = build_node(b, &ev, 0);
		if (!root)
			return -1;
		if (root->kind == WEFT_NODE_NULL)
			continue;
		if (set->count >= WEFT_DOCSET_MAX_DOCS) {
			weft_diags_add(b->diags, b->file, root->line, root->col, NULL,
			               "too many documents (more than %d in one request or policy "
			               "directory)",
			               WEFT_DOCSET_MAX_DOCS);
			b->failed = 1;
			return -1;
		}
		if (add_doc(set, file, root))
			return -1;
	}
}

static int looks_like_json(const char *file, const char *buf, size_t len)
{
	size_t n = strlen(file);
	if (n >= 5 && !strcmp(file + n - 5, ".json"))
		return 1;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')
			continue;
		return buf[i] == '{' || buf[i] == '[';
	}
	return 0;
}

/* JSON must be JSON: jansson checks it strictly, with exact positions. */
static int check_json(const char *file, const char *buf, size_t len, weft_diags *diags)
{
	json_error_t jerr;
	json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		weft_diags_add(diags, file, jerr.line > 0 ? jerr.line : 0,
		               jerr.column > 0 ? jerr.column : 0, NULL, "JSON syntax error: %s",
		               jerr.text);
		return -1;
	}
	json_decref(v);
	return 0;
}

int weft_docset_parse(weft_docset *set, const char *file, const char *buf, size_t len,
                      weft_diags *diags)
{
	const char *name = weft_arena_strdup(set->arena, file ? file : "-");
	if (looks_like_json(name, buf, len) && check_json(name, buf, len, diags))
		return -1;
	struct builder b = {
	        .arena = set->arena, .file = name, .diags = diags, .nodes = &set->nodes};
	if (!yaml_parser_initialize(&b.parser))
		return -1;
	yaml_parser_set_input_string(&b.parser, (const unsigned char *)buf, len);
	int rc = parse_stream(set, &b, name);
	yaml_parser_delete(&b.parser);
	return rc;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static int has_policy_ext(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && !strcmp(name + n - 5, ".yaml")) ||
	       (n > 4 && !strcmp(name + n - 4, ".yml")) ||
	       (n > 5 && !strcmp(name + n - 5, ".json"));
}

struct load_walk {
	weft_docset *set;
	weft_diags *diags;
	int rc;
};

static int load_file(void *ctx, const weft_dirwalk_entry *e)
{
	struct load_walk *l = ctx;
	if (has_policy_ext(e->name) && weft_docset_load_path(l->set, e->path, l->diags))
		l->rc = -1;
	return 0;
}

static void load_problem(void *ctx, const char *path, const char *msg)
{
	struct load_walk *l = ctx;
	weft_diags_add(l->diags, path, 0, 0, NULL, "%s", msg);
	l->rc = -1;
}

/* Every policy file below path, through the one walker (core/dirwalk.h):
 * a symbolic link loop is one diagnostic naming the link, not a blow-up. */
static int load_dir(weft_docset *set, const char *path, weft_diags *diags)
{
	struct load_walk l = {set, diags, 0};
	weft_dirwalk_ops ops = {
	        .file = load_file, .problem = load_problem, .max_depth = WEFT_DOC_MAX_DIR_DEPTH};
	int rc = weft_dirwalk(path, &ops, &l);
	return rc || l.rc ? -1 : 0;
}

int weft_docset_load_path(weft_docset *set, const char *path, weft_diags *diags)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		weft_diags_add(diags, path, 0, 0, NULL, "cannot read: %s", strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(set, path, diags);
	size_t len = 0;
	char *buf = read_all(path, &len);
	if (!buf) {
		weft_diags_add(diags, path, 0, 0, NULL, "cannot read: %s", strerror(errno));
		return -1;
	}
	int rc = weft_docset_parse(set, path, buf, len, diags);
	free(buf);
	return rc;
}
