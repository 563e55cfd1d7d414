/* The translator registry and the field-table walk (core/translator.h).
 * The registry is filled once at start (like the adapter registry in
 * core/adapter.c) and read afterwards; a mutex keeps late registration
 * (plugins) safe. The walk is what makes "nothing silently dropped" hold:
 * every key of a foreign document meets a row of its kind's table, and a key
 * without one is reported as unknown. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "translator.h"

#define MAX_TRANSLATORS 64
#define PATH_CAP        1024

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static const weft_translator *registry[MAX_TRANSLATORS];
static size_t n_registry;

int weft_translator_register(const weft_translator *t, int replace, weft_err *err)
{
	if (!t || !t->group || !t->kind || !t->versions || !t->versions[0] || !t->translate)
		return weft_err_set(err,
		                    "translator: group, kind, versions and translate are required");
	int rc = 0;
	pthread_mutex_lock(&registry_lock);
	size_t i;
	for (i = 0; i < n_registry; i++)
		if (!strcmp(registry[i]->group, t->group) && !strcmp(registry[i]->kind, t->kind))
			break;
	if (i < n_registry && !replace)
		rc = weft_err_set(err, "translator for %s %s is already registered", t->group,
		                  t->kind);
	else if (i == MAX_TRANSLATORS)
		rc = weft_err_set(err, "too many translators (max %d)", MAX_TRANSLATORS);
	else {
		registry[i] = t;
		if (i == n_registry)
			n_registry++;
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

/* Splits "group/version" (or a bare core-group "v1") without copying. */
static void split_api_version(const char *av, const char **group, size_t *glen,
                              const char **version)
{
	const char *slash = strrchr(av, '/');
	if (!slash) {
		*group = "";
		*glen = 0;
		*version = av;
	} else {
		*group = av;
		*glen = (size_t)(slash - av);
		*version = slash + 1;
	}
}

const weft_translator *weft_translator_find(const char *api_version, const char *kind,
                                            int *known_kind)
{
	const char *group, *version;
	size_t glen;
	const weft_translator *found = NULL;
	if (known_kind)
		*known_kind = 0;
	if (!api_version || !kind)
		return NULL;
	split_api_version(api_version, &group, &glen, &version);
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < n_registry && !found; i++) {
		const weft_translator *t = registry[i];
		if (strcmp(t->kind, kind) || strlen(t->group) != glen ||
		    strncmp(t->group, group, glen))
			continue;
		if (known_kind)
			*known_kind = 1;
		for (const char *const *v = t->versions; *v; v++)
			if (!strcmp(*v, version))
				found = t;
	}
	pthread_mutex_unlock(&registry_lock);
	return found;
}

size_t weft_translator_list(const weft_translator **out, size_t max)
{
	pthread_mutex_lock(&registry_lock);
	size_t n = n_registry < max ? n_registry : max;
	for (size_t i = 0; i < n; i++)
		out[i] = registry[i];
	pthread_mutex_unlock(&registry_lock);
	return n;
}

const weft_field_rule *weft_field_rule_find(const weft_field_rule *rules, size_t n,
                                            const char *abstract_path)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(rules[i].path, abstract_path))
			return &rules[i];
	return NULL;
}

typedef struct walk {
	const weft_field_rule *rules;
	size_t n;
	weft_field_cb cb;
	void *ctx;
} walk;

static void walk_map(const walk *w, const weft_node *map, char *cpath, size_t clen, char *apath,
                     size_t alen);

/* Appends text (or "[i]") at off, bounded; returns the new length. */
static size_t path_fit(size_t off, int k)
{
	if (k < 0)
		return off;
	return off + (size_t)k >= PATH_CAP ? PATH_CAP - 1 : off + (size_t)k;
}

static size_t path_str(char *buf, size_t off, const char *s)
{
	if (off >= PATH_CAP - 1)
		return off;
	return path_fit(off, snprintf(buf + off, PATH_CAP - off, "%s", s));
}

static size_t path_idx(char *buf, size_t off, size_t i)
{
	if (off >= PATH_CAP - 1)
		return off;
	return path_fit(off, snprintf(buf + off, PATH_CAP - off, "[%zu]", i));
}

/* A translated value: maps are walked, lists item by item (nested lists
 * too), scalars need nothing more. */
static void walk_value(const walk *w, const weft_node *v, char *cpath, size_t clen, char *apath,
                       size_t alen)
{
	if (v->kind == WEFT_NODE_MAP) {
		walk_map(w, v, cpath, clen, apath, alen);
	} else if (v->kind == WEFT_NODE_SEQ) {
		size_t a2 = path_str(apath, alen, "[]");
		for (size_t i = 0; i < v->count; i++) {
			size_t c2 = path_idx(cpath, clen, i);
			walk_value(w, v->items[i], cpath, c2, apath, a2);
			cpath[clen] = '\0';
		}
		apath[alen] = '\0';
	}
}

static void walk_map(const walk *w, const weft_node *map, char *cpath, size_t clen, char *apath,
                     size_t alen)
{
	for (size_t i = 0; i < map->count; i++) {
		const weft_node *k = map->pairs[i].key, *v = map->pairs[i].value;
		if (alen == 0 && (!strcmp(k->str, "apiVersion") || !strcmp(k->str, "kind")))
			continue;
		const char *dot = alen ? "." : "";
		size_t c2 = path_str(cpath, clen, dot);
		c2 = path_str(cpath, c2, k->str);
		size_t a1 = path_str(apath, alen, dot);
		/* A row for the key itself wins over the map's "*" row. */
		size_t astar = path_str(apath, a1, "*");
		const weft_field_rule *star = weft_field_rule_find(w->rules, w->n, apath);
		apath[a1] = '\0';
		size_t a2 = path_str(apath, a1, k->str);
		const weft_field_rule *r = weft_field_rule_find(w->rules, w->n, apath);
		if (!r) {
			r = star;
			apath[a1] = '\0';
			path_str(apath, a1, "*");
		}
		if (!r || r->action != WEFT_FIELD_TRANSLATED)
			w->cb(w->ctx, r, k, v, cpath);
		else if (r != star)
			walk_value(w, v, cpath, c2, apath, a2);
		else
			walk_value(w, v, cpath, c2, apath, astar);
		cpath[clen] = '\0';
		apath[alen] = '\0';
	}
}

void weft_field_walk(const weft_field_rule *rules, size_t n, const weft_node *root,
                     weft_field_cb cb, void *ctx)
{
	char cpath[PATH_CAP] = "", apath[PATH_CAP] = "";
	walk w = {.rules = rules, .n = n, .cb = cb, .ctx = ctx};
	if (root && root->kind == WEFT_NODE_MAP)
		walk_map(&w, root, cpath, 0, apath, 0);
}
