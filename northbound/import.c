/* The import engine (northbound/xlate.h): finds each document's translator,
 * walks its fields against the kind's table (core/translator.h), runs the
 * translators in phase order and collects the weft/v1 output documents,
 * each with the sources it came from and the warnings that concern it.
 * Output order is fixed (kind, namespace, name), so importing the same
 * files twice gives the same text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "xlate.h"

typedef struct src_state {
	weft_xsrc s;
	char **notes; /* warnings about this source, formatted, in position order */
	int *lines, *cols;
	size_t n_notes, cap_notes;
	int produced; /* has fed an output document */
} src_state;

struct weft_xlate {
	const weft_import_opts *o;
	src_state *srcs;
	size_t n_srcs;
	nb_out *outs;
	size_t n_outs, cap_outs;
	weft_diags *errors, *warnings;
	int oom;
	int quiet;
};

int nb_quiet(weft_xlate *x, int on)
{
	int was = x->quiet;
	x->quiet = on;
	return was;
}

size_t nb_src_count(const weft_xlate *x)
{
	return x->n_srcs;
}

const weft_xsrc *nb_src_at(const weft_xlate *x, size_t i)
{
	return i < x->n_srcs ? &x->srcs[i].s : NULL;
}

const char *nb_default_ns(const weft_xlate *x)
{
	return x->o->default_ns ? x->o->default_ns : "default";
}

const weft_xsrc *nb_find_src(weft_xlate *x, const char *group, const char *kind, const char *ns,
                             const char *name)
{
	for (size_t i = 0; i < x->n_srcs; i++) {
		const weft_xsrc *s = &x->srcs[i].s;
		if (s->t && !strcmp(s->t->group, group) && !strcmp(s->kind, kind) &&
		    !strcmp(s->ns, ns) && !strcmp(s->name, name))
			return s;
	}
	return NULL;
}

static nb_out *find_out(weft_xlate *x, const char *kind, const char *ns, const char *name)
{
	for (size_t i = 0; i < x->n_outs; i++)
		if (!strcmp(x->outs[i].kind, kind) && !strcmp(x->outs[i].ns, ns) &&
		    !strcmp(x->outs[i].name, name))
			return &x->outs[i];
	return NULL;
}

static int out_add_src(nb_out *o, size_t idx)
{
	for (size_t i = 0; i < o->n_srcs; i++)
		if (o->srcs[i] == idx)
			return 0;
	if (o->n_srcs == o->cap_srcs) {
		size_t cap = o->cap_srcs ? o->cap_srcs * 2 : 4;
		size_t *n = realloc(o->srcs, cap * sizeof(*n));
		if (!n)
			return -1;
		o->srcs = n;
		o->cap_srcs = cap;
	}
	o->srcs[o->n_srcs++] = idx;
	return 0;
}

static nb_out *new_out(weft_xlate *x, const char *kind, const char *ns, const char *name)
{
	if (x->n_outs == x->cap_outs) {
		size_t cap = x->cap_outs ? x->cap_outs * 2 : 16;
		nb_out *n = realloc(x->outs, cap * sizeof(*n));
		if (!n)
			return NULL;
		x->outs = n;
		x->cap_outs = cap;
	}
	nb_out *o = &x->outs[x->n_outs];
	memset(o, 0, sizeof(*o));
	o->kind = strdup(kind);
	o->ns = strdup(ns);
	o->name = strdup(name);
	o->doc = json_pack("{s:s, s:s, s:{s:s, s:s}, s:{}}", "apiVersion", "weft/v1", "kind", kind,
	                   "metadata", "name", name, "namespace", ns, "spec");
	if (!o->kind || !o->ns || !o->name || !o->doc) {
		free(o->kind);
		free(o->ns);
		free(o->name);
		json_decref(o->doc);
		return NULL;
	}
	x->n_outs++;
	return o;
}

json_t *nb_out_spec(weft_xlate *x, const weft_xsrc *src, const char *kind, const char *ns,
                    const char *name)
{
	nb_out *o = find_out(x, kind, ns, name);
	if (!o)
		o = new_out(x, kind, ns, name);
	if (!o || out_add_src(o, src->index)) {
		x->oom = 1;
		return NULL;
	}
	x->srcs[src->index].produced = 1;
	return json_object_get(o->doc, "spec");
}

json_t *nb_out_meta(weft_xlate *x, const char *kind, const char *ns, const char *name)
{
	nb_out *o = find_out(x, kind, ns, name);
	return o ? json_object_get(o->doc, "metadata") : NULL;
}

json_t *nb_out_find(weft_xlate *x, const char *kind, const char *ns, const char *name)
{
	nb_out *o = find_out(x, kind, ns, name);
	return o ? json_object_get(o->doc, "spec") : NULL;
}

/* Notes are kept in position order (line, column), the order of the
 * source, whatever order the translator found them in. */
static void add_note(weft_xlate *x, const weft_xsrc *src, int line, int col, const char *text)
{
	src_state *st = &x->srcs[src->index];
	if (st->n_notes == st->cap_notes) {
		size_t cap = st->cap_notes ? st->cap_notes * 2 : 4;
		char **n = realloc(st->notes, cap * sizeof(*n));
		if (n)
			st->notes = n;
		int *l = n ? realloc(st->lines, cap * sizeof(*l)) : NULL;
		if (l)
			st->lines = l;
		int *c = l ? realloc(st->cols, cap * sizeof(*c)) : NULL;
		if (!c) {
			x->oom = 1;
			return;
		}
		st->cols = c;
		st->cap_notes = cap;
	}
	char *t = strdup(text);
	if (!t) {
		x->oom = 1;
		return;
	}
	size_t at = st->n_notes;
	while (at > 0 && (st->lines[at - 1] > line ||
	                  (st->lines[at - 1] == line && st->cols[at - 1] > col))) {
		st->notes[at] = st->notes[at - 1];
		st->lines[at] = st->lines[at - 1];
		st->cols[at] = st->cols[at - 1];
		at--;
	}
	st->notes[at] = t;
	st->lines[at] = line;
	st->cols[at] = col;
	st->n_notes++;
}

/* One problem: an error (refusal without --allow-partial), or a warning that
 * is also kept as a comment next to the output. */
static void report(weft_xlate *x, const weft_xsrc *src, const weft_node *at, const char *path,
                   int refusal, const char *fmt, va_list ap)
{
	char msg[1024];
	if (x->quiet)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	int line = at ? at->line : 0, col = at ? at->col : 0;
	const char *file = src->doc->file;
	if (refusal && !x->o->allow_partial) {
		weft_diags_add(x->errors, file, line, col, path, "%s", msg);
		return;
	}
	const char *tag = refusal ? "refused (--allow-partial): " : "";
	weft_diags_add(x->warnings, file, line, col, path, "%s%s", tag, msg);
	char note[1400];
	snprintf(note, sizeof(note), "%s:%d:%d: %s%s%s%s", file, line, col, path ? path : "",
	         path && *path ? ": " : "", tag, msg);
	add_note(x, src, line, col, note);
}

void nb_refuse(weft_xlate *x, const weft_xsrc *src, const weft_node *at, const char *path,
               const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(x, src, at, path, 1, fmt, ap);
	va_end(ap);
}

void nb_warn(weft_xlate *x, const weft_xsrc *src, const weft_node *at, const char *path,
             const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(x, src, at, path, 0, fmt, ap);
	va_end(ap);
}

typedef struct walk_ctx {
	weft_xlate *x;
	const weft_xsrc *src;
} walk_ctx;

static void field_cb(void *ctx, const weft_field_rule *rule, const weft_node *key,
                     const weft_node *value, const char *path)
{
	walk_ctx *w = ctx;
	if (!rule)
		nb_refuse(w->x, w->src, key, path, "unknown field '%s' for %s %s", key->str,
		          w->src->api_version, w->src->kind);
	else if (rule->action == WEFT_FIELD_REFUSED)
		nb_refuse(w->x, w->src, key, path, "not translated: %s", rule->what);
	else if (rule->action == WEFT_FIELD_WARNED)
		nb_warn(w->x, w->src, key, path, "not carried over: %s", rule->what);
}

/* Envelope of one document: apiVersion, kind, metadata.name/namespace. The
 * strings live in the docset's arena (node text) or are static. */
static int read_envelope(weft_xlate *x, const weft_doc *d, src_state *st)
{
	weft_xsrc *s = &st->s;
	const weft_node *root = d->root;
	s->doc = d;
	s->root = root;
	s->ns = nb_default_ns(x);
	s->name = "";
	s->api_version = s->kind = "";
	if (root->kind != WEFT_NODE_MAP) {
		nb_refuse(x, s, root, "", "a document must be a map, not %s",
		          weft_node_kind_name(root->kind));
		return -1;
	}
	const char *av = nb_str(x, s, root, "apiVersion", "apiVersion");
	const char *kind = nb_str(x, s, root, "kind", "kind");
	if (!av || !kind) {
		nb_refuse(x, s, root, av ? "kind" : "apiVersion", "required field is missing");
		return -1;
	}
	s->api_version = av;
	s->kind = kind;
	const weft_node *meta = nb_map(x, s, root, "metadata", "metadata");
	const char *name = meta ? nb_str(x, s, meta, "name", "metadata.name") : NULL;
	const char *ns = meta ? nb_str(x, s, meta, "namespace", "metadata.namespace") : NULL;
	if (ns && *ns)
		s->ns = ns;
	if (!name || !*name) {
		nb_refuse(x, s, meta ? meta : root, "metadata.name", "required field is missing");
		return -1;
	}
	s->name = name;
	return 0;
}

static int kind_rank(const char *kind)
{
	static const char *const order[] = {"Service",   "TrafficPolicy", "Route",
	                                    "Gateway",   "AccessPolicy",  "PeerAuthentication",
	                                    "RateLimit", "Telemetry",     "Device"};
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(order[i], kind))
			return (int)i;
	return 100;
}

static int cmp_out(const void *a, const void *b)
{
	const nb_out *x = a, *y = b;
	int d = kind_rank(x->kind) - kind_rank(y->kind);
	if (d)
		return d;
	if ((d = strcmp(x->kind, y->kind)))
		return d;
	if ((d = strcmp(x->ns, y->ns)))
		return d;
	return strcmp(x->name, y->name);
}

/* Runs every translator, phase by phase, in document order. */
static void translate_all(weft_xlate *x)
{
	for (int phase = 0; phase <= 3 && !x->oom; phase++)
		for (size_t i = 0; i < x->n_srcs && !x->oom; i++) {
			const weft_xsrc *s = &x->srcs[i].s;
			if (s->t && s->t->phase == phase && s->t->translate((weft_xlate *)x, s))
				x->oom = 1;
		}
}

/* Classifies one document: a translator, a weft/v1 pass-through, or refused. */
static void classify(weft_xlate *x, src_state *st)
{
	weft_xsrc *s = &st->s;
	int known = 0;
	if (!strcmp(s->api_version, "weft/v1")) {
		json_t *spec = nb_out_spec(x, s, s->kind, s->ns, s->name);
		json_t *whole = spec ? nb_node_to_json(s->root) : NULL;
		nb_out *o = find_out(x, s->kind, s->ns, s->name);
		if (!whole || !o) {
			x->oom = 1;
			return;
		}
		json_t *meta = json_object_get(whole, "metadata");
		if (json_is_object(meta))
			json_object_set_new(meta, "namespace", json_string(s->ns));
		json_decref(o->doc);
		o->doc = whole;
		return;
	}
	s->t = weft_translator_find(s->api_version, s->kind, &known);
	if (!s->t) {
		const weft_node *at = weft_node_get(s->root, known ? "apiVersion" : "kind");
		nb_refuse(x, s, at, known ? "apiVersion" : "kind",
		          known ? "unsupported version '%s' of %s" : "unsupported kind: %s %s",
		          s->api_version, s->kind);
		return;
	}
	walk_ctx w = {.x = x, .src = s};
	weft_field_walk(s->t->fields, s->t->n_fields, s->root, field_cb, &w);
}

static void free_xlate(weft_xlate *x)
{
	for (size_t i = 0; i < x->n_srcs; i++) {
		for (size_t j = 0; j < x->srcs[i].n_notes; j++)
			free(x->srcs[i].notes[j]);
		free(x->srcs[i].notes);
		free(x->srcs[i].lines);
		free(x->srcs[i].cols);
	}
	free(x->srcs);
	for (size_t i = 0; i < x->n_outs; i++) {
		free(x->outs[i].kind);
		free(x->outs[i].ns);
		free(x->outs[i].name);
		free(x->outs[i].srcs);
		json_decref(x->outs[i].doc);
	}
	free(x->outs);
}

int weft_import(const weft_docset *set, const weft_import_opts *o, char **text, weft_diags *errors,
                weft_diags *warnings)
{
	weft_xlate x = {.o = o, .errors = errors, .warnings = warnings};
	*text = NULL;
	x.srcs = calloc(set->count ? set->count : 1, sizeof(*x.srcs));
	if (!x.srcs)
		return -1;
	for (size_t i = 0; i < set->count; i++) {
		if (!set->docs[i].root)
			continue;
		src_state *st = &x.srcs[x.n_srcs];
		st->s.index = x.n_srcs++;
		if (read_envelope(&x, &set->docs[i], st) == 0)
			classify(&x, st);
	}
	translate_all(&x);
	int rc = -1;
	if (x.oom) {
		weft_diags_add(errors, NULL, 0, 0, NULL, "out of memory");
	} else if (errors->count == 0) {
		if (x.n_outs)
			qsort(x.outs, x.n_outs, sizeof(*x.outs), cmp_out);
		nb_emit_src *srcs = calloc(x.n_srcs ? x.n_srcs : 1, sizeof(*srcs));
		if (srcs) {
			for (size_t i = 0; i < x.n_srcs; i++) {
				srcs[i].src = &x.srcs[i].s;
				srcs[i].notes = (const char *const *)x.srcs[i].notes;
				srcs[i].n_notes = x.srcs[i].n_notes;
				srcs[i].produced = x.srcs[i].produced;
			}
			*text = nb_emit(x.outs, x.n_outs, srcs, x.n_srcs, o->json);
			free(srcs);
		}
		rc = *text ? 0 : -1;
		if (rc)
			weft_diags_add(errors, NULL, 0, 0, NULL, "out of memory");
	}
	free_xlate(&x);
	return rc;
}
