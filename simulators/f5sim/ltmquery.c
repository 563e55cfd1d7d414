/* f5sim: shaping GET answers the way iControl REST does.
 *
 * Collections answer {kind, selfLink, items:[...]}; the query options that
 * the F5 adapter relies on are honoured: $filter=partition eq X (only that
 * partition's objects), $select=a,b (only those properties) and
 * expandSubcollections=true (a pool's membersReference gains its items, so
 * 1,000 pools and their members come back in one answer). Stored objects
 * are shared read-only (json_incref / shallow copies), never mutated. */
#include "f5sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *select_keys(json_t *obj, const char *sel)
{
	json_t *o = json_object(), *v;
	char k[128];

	while (*sel) {
		size_t n = strcspn(sel, ",");

		snprintf(k, sizeof(k), "%.*s", (int)n, sel);
		v = json_object_get(obj, k);
		if (v)
			json_object_set(o, k, v);
		sel += n;
		if (*sel == ',')
			sel++;
	}
	return o;
}

static json_t *expand_pool(struct store *st, json_t *pool)
{
	const char *full = json_string_value(json_object_get(pool, "fullPath"));
	struct table *m = full ? store_members(st, full) : NULL;
	json_t *copy = json_copy(pool), *mr, *items = json_array();
	struct tentry *e;

	mr = json_copy(json_object_get(pool, "membersReference"));
	if (!mr)
		mr = json_object();
	for (e = m ? m->head : NULL; e; e = e->next)
		json_array_append(items, e->obj);
	json_object_set_new(mr, "items", items);
	json_object_set_new(copy, "membersReference", mr);
	return copy;
}

json_t *shape_object(struct store *st, enum otype t, json_t *obj, const struct query *q)
{
	json_t *o = (t == OT_POOL && q->expand) ? expand_pool(st, obj) : json_incref(obj);
	json_t *sel;

	if (!q->select[0])
		return o;
	sel = select_keys(o, q->select);
	json_decref(o);
	return sel;
}

static int matches_filter(enum otype t, json_t *obj, const struct query *q)
{
	const char *p = json_string_value(json_object_get(obj, "partition"));
	const char *f = json_string_value(json_object_get(obj, "fullPath"));
	size_t n = strlen(q->filter_partition);

	if (!n)
		return 1;
	if (t == OT_FOLDER) /* folders: the partition itself and what is below it */
		return f && f[0] == '/' && !strncmp(f + 1, q->filter_partition, n) &&
		       (!f[n + 1] || f[n + 1] == '/');
	return p && !strcmp(p, q->filter_partition);
}

static void collection_link(enum otype t, const char *pool, char *link, size_t len)
{
	char tl[600];

	if (t == OT_MEMBER) {
		path_to_tilde(pool, tl, sizeof(tl));
		snprintf(link, len, F5SIM_LINK "ltm/pool/%s/members?ver=" F5SIM_VER, tl);
	} else {
		snprintf(link, len, F5SIM_LINK "%s?ver=" F5SIM_VER, otype_get(t)->path);
	}
}

json_t *shape_collection(struct store *st, enum otype t, const char *pool, const struct query *q)
{
	struct table *tb = t == OT_MEMBER ? store_members(st, pool) : &st->tables[t];
	json_t *items = json_array();
	struct tentry *e;
	char link[1400];

	for (e = tb ? tb->head : NULL; e; e = e->next) {
		if (!matches_filter(t, e->obj, q))
			continue;
		json_array_append_new(items, shape_object(st, t, e->obj, q));
	}
	collection_link(t, pool, link, sizeof(link));
	return json_pack("{s:s, s:s, s:o}", "kind", otype_get(t)->coll_kind, "selfLink", link,
	                 "items", items);
}

/* ---- pre-rendered collections ----
 * A collection of 1,000 pools with 10,000 members is ~6 MB of JSON; building
 * it as a jansson tree and dumping it costs far more than the lookups. Each
 * stored object's compact text is cached in its table entry (dropped when
 * the object changes) and collections are assembled from those pieces. A
 * pool's cached text leaves out membersReference, which is appended here
 * with or without its items. */

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *np = realloc(b->p, cap);

		if (!np) {
			b->oom = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

const char *entry_text(enum otype t, struct tentry *e)
{
	json_t *o;

	if (e->text)
		return e->text;
	if (t == OT_POOL) {
		o = json_copy(e->obj);
		json_object_del(o, "membersReference");
	} else {
		o = json_incref(e->obj);
	}
	e->text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return e->text;
}

static void add_pool(struct sbuf *b, struct store *st, struct tentry *e, int expand)
{
	const char *txt = entry_text(OT_POOL, e);
	json_t *link = json_object_get(json_object_get(e->obj, "membersReference"), "link");
	char *ltxt = json_dumps(link, JSON_ENCODE_ANY);
	struct table *m = e->aux;
	struct tentry *me;

	if (!txt || !ltxt || strlen(txt) < 2) {
		free(ltxt);
		b->oom = 1;
		return;
	}
	sb_add(b, txt, strlen(txt) - 1);
	sb_str(b, ",\"membersReference\":{\"link\":");
	sb_str(b, ltxt);
	sb_str(b, ",\"isSubcollection\":true");
	free(ltxt);
	if (expand) {
		sb_str(b, ",\"items\":[");
		for (me = m ? m->head : NULL; me; me = me->next) {
			const char *mt = entry_text(OT_MEMBER, me);

			if (me != m->head)
				sb_str(b, ",");
			sb_str(b, mt ? mt : "null");
		}
		sb_str(b, "]");
	}
	sb_str(b, "}}");
}

char *render_collection(struct store *st, enum otype t, const char *pool, const struct query *q)
{
	struct table *tb = t == OT_MEMBER ? store_members(st, pool) : &st->tables[t];
	struct sbuf b = {NULL, 0, 0, 0};
	struct tentry *e;
	char link[1400], head[2048];
	int first = 1;

	if (q->select[0])
		return NULL;
	collection_link(t, pool, link, sizeof(link));
	snprintf(head, sizeof(head), "{\"kind\":\"%s\",\"selfLink\":\"%s\",\"items\":[",
	         otype_get(t)->coll_kind, link);
	sb_str(&b, head);
	for (e = tb ? tb->head : NULL; e; e = e->next) {
		if (!matches_filter(t, e->obj, q))
			continue;
		if (!first)
			sb_str(&b, ",");
		first = 0;
		if (t == OT_POOL) {
			add_pool(&b, st, e, q->expand);
		} else {
			const char *txt = entry_text(t, e);

			sb_str(&b, txt ? txt : "null");
		}
	}
	sb_str(&b, "]}");
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
