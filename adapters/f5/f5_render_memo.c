/* The render memo: what each Service rendered to (its pools and members)
 * the last time a device's partition was rendered, keyed by a hash of
 * everything that rendering read (f5_render.c: the Service, the
 * TrafficPolicies aimed at it, the partition). The next render of the same
 * device takes a group whose hash is unchanged from here (bodies shared,
 * json_incref) instead of building its JSON again, so a one-endpoint change
 * in a 1,000-pool partition renders one Service (issue 6). Reused bodies
 * keep the revision of the render that built them in their mark; the
 * objects say so (stale_mark) and diff writes the current revision into
 * anything it sends (f5_diff.c), so a plan is byte for byte the one a full
 * render gives (tests/unit/adapters/f5/test_f5_incremental.c checks this
 * on random changes).
 *
 * Render is pure in what it returns: the memo only saves work. The memos
 * belong to an adapter instance (struct f5_memos, its context: two
 * instances share nothing), one per device and partition behind a mutex
 * per device; a render that finds it busy (a dry-run plan while the
 * device's worker renders) renders everything itself. Each render replaces
 * the device's memo with its own groups, so a memo holds one partition's
 * worth of groups at most, and the table holds at most max memos: when it
 * is full, the least recently used idle one is emptied and reused, so
 * devices that left the policy do not keep theirs. f5_memos_free frees
 * everything. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f5_render.h"

struct memo_obj {
	enum f5_type type;
	char *path, *member;
	json_t *body;
};

struct f5_memo_group {
	char *name;
	uint64_t hash;
	int64_t rev; /* revision in the bodies' marks */
	struct memo_obj *objs;
	size_t n;
};

struct f5_memo {
	char key[700]; /* "ns/name|partition" */
	pthread_mutex_t mu;
	struct f5_memo_group *groups; /* sorted by name */
	size_t n;
	struct f5_memo_group *next; /* staged by the render in progress */
	size_t n_next, cap_next;
	uint64_t used; /* f5_memos.tick of the last acquire */
};

struct f5_memos {
	pthread_mutex_t mu; /* the table; each memo has its own */
	struct f5_memo **items;
	size_t n, max;
	uint64_t tick; /* acquire counter: the memos' last use */
};

static void group_clear(struct f5_memo_group *g)
{
	for (size_t i = 0; i < g->n; i++) {
		free(g->objs[i].path);
		free(g->objs[i].member);
		json_decref(g->objs[i].body);
	}
	free(g->objs);
	free(g->name);
	memset(g, 0, sizeof(*g));
}

static void groups_free(struct f5_memo_group *gs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		group_clear(&gs[i]);
	free(gs);
}

struct f5_memos *f5_memos_new(size_t max)
{
	struct f5_memos *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->max = max ? max : 1;
	if (!(t->items = calloc(t->max, sizeof(*t->items)))) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	return t;
}

void f5_memos_free(struct f5_memos *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		groups_free(t->items[i]->groups, t->items[i]->n);
		groups_free(t->items[i]->next, t->items[i]->n_next);
		pthread_mutex_destroy(&t->items[i]->mu);
		free(t->items[i]);
	}
	free(t->items);
	pthread_mutex_destroy(&t->mu);
	free(t);
}

size_t f5_memos_count(struct f5_memos *t)
{
	pthread_mutex_lock(&t->mu);
	size_t n = t->n;
	pthread_mutex_unlock(&t->mu);
	return n;
}

/* The least recently used memo no render holds, emptied and locked; NULL
 * when every one is busy. With t->mu. */
static struct f5_memo *evict_locked(struct f5_memos *t)
{
	struct f5_memo *best = NULL;
	for (size_t i = 0; i < t->n; i++) {
		struct f5_memo *m = t->items[i];
		if (best && m->used >= best->used)
			continue;
		if (pthread_mutex_trylock(&m->mu))
			continue; /* a render holds it */
		if (best)
			pthread_mutex_unlock(&best->mu);
		best = m;
	}
	if (best) {
		groups_free(best->groups, best->n);
		best->groups = NULL;
		best->n = 0;
	}
	return best;
}

struct f5_memo *f5_memo_acquire(struct f5_memos *t, const char *device, const char *partition)
{
	if (!t)
		return NULL;
	char key[700];
	snprintf(key, sizeof(key), "%s|%s", device, partition);
	struct f5_memo *m = NULL;
	int locked = 0;
	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->n && !m; i++)
		if (!strcmp(t->items[i]->key, key))
			m = t->items[i];
	if (!m && t->n < t->max && (m = calloc(1, sizeof(*m)))) {
		pthread_mutex_init(&m->mu, NULL);
		t->items[t->n++] = m;
	} else if (!m && (m = evict_locked(t))) {
		locked = 1;
	}
	if (m && (locked || !m->key[0])) /* new, or reused for this device */
		snprintf(m->key, sizeof(m->key), "%s", key);
	if (m)
		m->used = ++t->tick;
	pthread_mutex_unlock(&t->mu);
	if (!m || (!locked && pthread_mutex_trylock(&m->mu)))
		return NULL; /* busy: render without it */
	return m;
}

const struct f5_memo_group *f5_memo_find(const struct f5_memo *m, const char *name, uint64_t hash,
                                         int64_t *rev)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(m->groups[mid].name, name);
		if (!r) {
			if (m->groups[mid].hash != hash)
				return NULL;
			*rev = m->groups[mid].rev;
			return &m->groups[mid];
		}
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int f5_memo_add_to(const struct f5_memo_group *g, struct f5_config *out, int group, int stale)
{
	for (size_t i = 0; i < g->n; i++) {
		const struct memo_obj *o = &g->objs[i];
		if (f5_config_add(out, o->type, o->path, o->member, json_incref(o->body)))
			return -1;
		out->objs[out->n - 1].group = group;
		out->objs[out->n - 1].stale_mark = stale;
	}
	return 0;
}

int f5_memo_stage(struct f5_memo *m, const char *name, uint64_t hash, int64_t rev,
                  const struct f5_obj *objs, size_t n)
{
	if (m->n_next == m->cap_next) {
		size_t cap = m->cap_next ? m->cap_next * 2 : 256;
		struct f5_memo_group *g = realloc(m->next, cap * sizeof(*g));
		if (!g)
			return -1;
		m->next = g;
		m->cap_next = cap;
	}
	struct f5_memo_group *g = &m->next[m->n_next];
	memset(g, 0, sizeof(*g));
	g->name = strdup(name);
	g->objs = calloc(n + 1, sizeof(*g->objs));
	g->hash = hash;
	g->rev = rev;
	m->n_next++;
	if (!g->name || !g->objs)
		return -1;
	for (size_t i = 0; i < n; i++, g->n++) {
		struct memo_obj *o = &g->objs[i];
		o->type = objs[i].type;
		o->path = strdup(objs[i].path);
		o->member = objs[i].member ? strdup(objs[i].member) : NULL;
		o->body = json_incref(objs[i].body);
		if (!o->path || (objs[i].member && !o->member)) {
			g->n++;
			return -1;
		}
	}
	return 0;
}

static int cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct f5_memo_group *)a)->name,
	              ((const struct f5_memo_group *)b)->name);
}

void f5_memo_release(struct f5_memo *m, int commit)
{
	if (!m)
		return;
	if (commit) {
		qsort(m->next, m->n_next, sizeof(*m->next), cmp_group);
		groups_free(m->groups, m->n);
		m->groups = m->next;
		m->n = m->n_next;
	} else {
		groups_free(m->next, m->n_next);
	}
	m->next = NULL;
	m->n_next = m->cap_next = 0;
	pthread_mutex_unlock(&m->mu);
}
