/* The generic schema engine (see schema.h): walks a map node against a
 * table of field descriptors, fills the typed struct and builds canonical
 * JSON in one pass, reporting every problem with file:line:col and field
 * path. Scalar types live in scalar.c; the tables in schema_*.c. This file
 * knows no kind: everything kind-specific is a row in a table. */
#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void dctx_error(struct dctx *c, int line, int col, const char *suffix, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	char path[1100];
	snprintf(path, sizeof(path), "%s%s", c->path, suffix ? suffix : "");
	weft_diags_add(c->diags, c->file, line, col, path, "%s", msg);
	c->errors++;
}

/* The path is built on every field of every document: plain copies, no
 * printf (it showed in profiles of 10,000-endpoint policies). */
static void path_append(struct dctx *c, const char *s, size_t n)
{
	if (c->plen + n >= sizeof(c->path))
		n = sizeof(c->path) - 1 - c->plen;
	memcpy(c->path + c->plen, s, n);
	c->plen += n;
	c->path[c->plen] = '\0';
}

size_t dctx_push_field(struct dctx *c, const char *name)
{
	size_t old = c->plen;
	if (c->plen)
		path_append(c, ".", 1);
	path_append(c, name, strlen(name));
	return old;
}

size_t dctx_push_index(struct dctx *c, size_t i)
{
	size_t old = c->plen;
	char buf[24], *p = buf + sizeof(buf);
	*--p = ']';
	do {
		*--p = (char)('0' + i % 10);
		i /= 10;
	} while (i);
	*--p = '[';
	path_append(c, p, (size_t)(buf + sizeof(buf) - p));
	return old;
}

void dctx_pop(struct dctx *c, size_t len)
{
	c->plen = len;
	c->path[len] = '\0';
}

static void set_pos(void *obj, size_t off, const weft_node *n)
{
	weft_pos *p = (weft_pos *)((char *)obj + off);
	p->line = n->line;
	p->col = n->col;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const weft_label *)a)->key, ((const weft_label *)b)->key);
}

/* T_MAP: key_type -> val_type, stored sorted as weft_labels. */
static json_t *decode_map(struct dctx *c, const struct field *f, const weft_node *n,
                          weft_labels *out)
{
	char what[96];
	if (n->kind != WEFT_NODE_MAP) {
		dctx_error(c, n->line, n->col, NULL, "expected a map, got %s",
		           scalar_describe(n, what, sizeof(what)));
		return NULL;
	}
	if ((f->flags & F_NONEMPTY) && n->count == 0) {
		dctx_error(c, n->line, n->col, NULL, "must not be empty");
		return NULL;
	}
	json_t *j = json_object();
	out->items = weft_arena_alloc(c->arena, (n->count ? n->count : 1) * sizeof(weft_label));
	out->count = 0;
	if (!out->items) {
		json_decref(j);
		dctx_error(c, n->line, n->col, NULL, "out of memory");
		return NULL;
	}
	struct field kf = {.name = f->name, .type = f->key_type};
	struct field vf = {.name = f->name, .type = f->val_type};
	for (size_t i = 0; i < n->count; i++) {
		const weft_node *k = n->pairs[i].key, *v = n->pairs[i].value;
		size_t old = dctx_push_field(c, k->str);
		const char *key = NULL, *val = NULL;
		json_t *jk = scalar_decode(c, &kf, f->key_type, k, &key);
		json_t *jv = scalar_decode(c, &vf, f->val_type, v, &val);
		if (jk && jv) {
			out->items[out->count].key = key;
			out->items[out->count].value = val;
			out->count++;
			json_object_set(j, key, jv);
		}
		json_decref(jk);
		json_decref(jv);
		dctx_pop(c, old);
	}
	qsort(out->items, out->count, sizeof(weft_label), cmp_label);
	return j;
}

/* Storage of one element of a field's type inside a list. */
static size_t elem_size(const struct field *f)
{
	if (f->type == T_OBJ)
		return f->sub->size;
	if (f->type == T_MAP)
		return sizeof(weft_labels);
	return scalar_size(f->type);
}

/* One value (not a list): dst is where it is stored. For T_OBJ in a list,
 * dst is the element itself; as a plain field, dst holds a pointer. */
static json_t *decode_one(struct dctx *c, const struct field *f, const weft_node *n, void *dst,
                          int in_list)
{
	if (f->type == T_OBJ) {
		void *obj = dst;
		if (!in_list) {
			obj = weft_arena_alloc(c->arena, f->sub->size);
			if (!obj) {
				dctx_error(c, n->line, n->col, NULL, "out of memory");
				return NULL;
			}
			*(void **)dst = obj;
		}
		return schema_decode_object(c, f->sub, n, obj);
	}
	if (f->type == T_MAP)
		return decode_map(c, f, n, dst);
	return scalar_decode(c, f, f->type, n, dst);
}

/* A list field. Lists of strings-like types are weft_strs, lists of refs
 * weft_refs, lists of objects {items, count} of the nested struct. */
static json_t *decode_list(struct dctx *c, const struct field *f, const weft_node *n, void *dst)
{
	char what[96];
	if (n->kind != WEFT_NODE_SEQ) {
		dctx_error(c, n->line, n->col, NULL, "expected a list, got %s",
		           scalar_describe(n, what, sizeof(what)));
		return NULL;
	}
	if ((f->flags & F_NONEMPTY) && n->count == 0) {
		dctx_error(c, n->line, n->col, NULL, "must not be empty");
		return NULL;
	}
	size_t esz = elem_size(f);
	char *items = weft_arena_alloc(c->arena, (n->count ? n->count : 1) * esz);
	int is_strs = f->type != T_OBJ && f->type != T_REF && f->type != T_MAP;
	weft_pos *pos = NULL;
	if (is_strs)
		pos = weft_arena_alloc(c->arena, (n->count ? n->count : 1) * sizeof(*pos));
	if (!items || (is_strs && !pos)) {
		dctx_error(c, n->line, n->col, NULL, "out of memory");
		return NULL;
	}
	json_t *arr = json_array();
	size_t count = 0;
	for (size_t i = 0; i < n->count; i++) {
		const weft_node *item = n->items[i];
		size_t old = dctx_push_index(c, i);
		char *slot = items + count * esz;
		json_t *j = decode_one(c, f, item, slot, 1);
		if (j) {
			if (f->type == T_OBJ)
				set_pos(slot, 0, item);
			if (pos) {
				pos[count].line = item->line;
				pos[count].col = item->col;
			}
			json_array_append_new(arr, j);
			count++;
		}
		dctx_pop(c, old);
	}
	if (is_strs) {
		weft_strs *s = dst;
		s->items = (const char **)(void *)items;
		s->pos = pos;
		s->count = count;
	} else {
		/* weft_refs and the anonymous {items, count} structs share this
		 * layout. */
		struct {
			void *items;
			size_t count;
		} *l = dst;
		l->items = items;
		l->count = count;
	}
	return arr;
}

static const struct field *find_field(const struct schema *s, const char *name, size_t *idx)
{
	for (size_t i = 0; i < s->nfields; i++)
		if (!strcmp(s->fields[i].name, name)) {
			*idx = i;
			return &s->fields[i];
		}
	return NULL;
}

static void report_unknown(struct dctx *c, const struct schema *s, const weft_node *key)
{
	for (const struct forbid *fb = s->forbid; fb && fb->name; fb++)
		if (!strcmp(fb->name, key->str)) {
			dctx_error(c, key->line, key->col, NULL, "field '%s' is not allowed: %s",
			           key->str, fb->msg);
			return;
		}
	const char *names[32];
	size_t n = s->nfields < 32 ? s->nfields : 32;
	for (size_t i = 0; i < n; i++)
		names[i] = s->fields[i].name;
	const char *best = weft_suggest(key->str, names, n);
	if (best)
		dctx_error(c, key->line, key->col, NULL, "unknown field '%s' (did you mean '%s'?)",
		           key->str, best);
	else
		dctx_error(c, key->line, key->col, NULL, "unknown field '%s'", key->str);
}

static void apply_default(const struct field *f, void *obj)
{
	char *p = (char *)obj + f->off;
	if (f->flags & F_LIST)
		return;
	if ((f->type == T_INT || f->type == T_ENUM || f->type == T_BOOL) && f->def)
		*(int *)p = (int)f->def;
	else if (f->type == T_PERCENT && f->defd != 0)
		*(double *)p = f->defd;
}

/* Exactly-one / at-most-one groups. */
static void check_oneofs(struct dctx *c, const struct schema *s, const weft_node *node)
{
	for (size_t g = 0; g < s->noneofs; g++) {
		const struct oneof *o = &s->oneofs[g];
		const weft_node *first = NULL, *second = NULL;
		const char *fname = NULL, *sname = NULL;
		char list[160] = "";
		size_t ll = 0;
		for (int i = 0; o->names[i]; i++) {
			int w = snprintf(list + ll, sizeof(list) - ll, "%s'%s'", i ? ", " : "",
			                 o->names[i]);
			if (w > 0 && ll + (size_t)w < sizeof(list))
				ll += (size_t)w;
			for (size_t k = 0; k < node->count; k++) {
				const weft_pair *p = &node->pairs[k];
				if (p->value->kind == WEFT_NODE_NULL ||
				    strcmp(p->key->str, o->names[i]))
					continue;
				if (!first) {
					first = p->key;
					fname = o->names[i];
				} else if (!second) {
					second = p->key;
					sname = o->names[i];
				}
			}
		}
		if (second && o->mode != ONE_MIN)
			dctx_error(c, second->line, second->col, NULL,
			           "'%s' and '%s' are mutually exclusive: give only one of %s",
			           fname, sname, list);
		else if (!first && o->mode != ONE_MAX)
			dctx_error(c, node->line, node->col, NULL, "%s of %s is required",
			           o->mode == ONE_EXACT ? "one" : "at least one", list);
	}
}

json_t *schema_decode_object(struct dctx *c, const struct schema *s, const weft_node *node,
                             void *obj)
{
	char what[96];
	if (node->kind != WEFT_NODE_MAP) {
		dctx_error(c, node->line, node->col, NULL, "expected a map, got %s",
		           scalar_describe(node, what, sizeof(what)));
		return NULL;
	}
	set_pos(obj, 0, node);
	unsigned char seen_buf[64] = {0};
	unsigned char *seen =
	        s->nfields <= sizeof(seen_buf) ? seen_buf : weft_arena_alloc(c->arena, s->nfields);
	if (!seen) {
		dctx_error(c, node->line, node->col, NULL, "out of memory");
		return NULL;
	}
	json_t *j = json_object();
	for (size_t i = 0; i < node->count; i++) {
		const weft_node *key = node->pairs[i].key, *val = node->pairs[i].value;
		size_t idx = 0;
		const struct field *f = find_field(s, key->str, &idx);
		if (!f) {
			report_unknown(c, s, key);
			continue;
		}
		if (val->kind == WEFT_NODE_NULL)
			continue; /* `field:` with no value reads as absent */
		seen[idx] = 1;
		size_t old = dctx_push_field(c, f->name);
		void *dst = (char *)obj + f->off;
		json_t *v = (f->flags & F_LIST) ? decode_list(c, f, val, dst)
		                                : decode_one(c, f, val, dst, 0);
		if (v) {
			json_object_set_new(j, f->name, v);
			if (f->flags & F_POS)
				set_pos(obj, f->pos_off, val);
			if (f->flags & F_HAS)
				*(int *)((char *)obj + f->has_off) = 1;
		}
		dctx_pop(c, old);
	}
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		if (seen[i])
			continue;
		if (f->flags & F_REQ) {
			char suffix[80];
			snprintf(suffix, sizeof(suffix), "%s%s", c->plen ? "." : "", f->name);
			dctx_error(c, node->line, node->col, suffix, "field '%s' is required",
			           f->name);
		} else {
			apply_default(f, obj);
		}
	}
	check_oneofs(c, s, node);
	return j;
}

/* ---- did-you-mean ------------------------------------------------------- */

/* Optimal-string-alignment distance: Levenshtein plus adjacent
 * transpositions ("weigth" -> "weight" is 1), so typos rank first. */
int weft_edit_distance(const char *a, const char *b, int cap)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return cap + 1;
	int rows[3][65];
	int *pp = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	int prev_min = 0;
	for (size_t i = 1; i <= la; i++) {
		cur[0] = (int)i;
		int row_min = cur[0];
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
			if (v < row_min)
				row_min = v;
		}
		/* a transposition reaches back two rows */
		if (row_min > cap && prev_min > cap)
			return cap + 1;
		prev_min = row_min;
		int *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb] > cap ? cap + 1 : prev[lb];
}

static size_t common_prefix(const char *a, const char *b)
{
	size_t n = 0;
	while (a[n] && a[n] == b[n])
		n++;
	return n;
}

const char *weft_suggest(const char *word, const char *const *cands, size_t n)
{
	const char *best = NULL;
	int best_d = 3;
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(word, cands[i]))
			return cands[i];
	for (size_t i = 0; i < n; i++) {
		int d = weft_edit_distance(word, cands[i], 2);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	if (best)
		return best;
	size_t best_p = 2;
	for (size_t i = 0; i < n; i++) {
		size_t p = common_prefix(word, cands[i]);
		if (p > best_p) {
			best_p = p;
			best = cands[i];
		}
	}
	return best;
}
