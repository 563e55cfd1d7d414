/* The F5 partition model: object lists, keys, REST paths and the ownership
 * mark (see f5_model.h). */
#include "f5_model.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct f5_type_info infos[F5T_COUNT] = {
        [F5T_MON_HTTP] = {"/mgmt/tm/ltm/monitor/http", "http monitor"},
        [F5T_MON_TCP] = {"/mgmt/tm/ltm/monitor/tcp", "tcp monitor"},
        [F5T_POOL] = {"/mgmt/tm/ltm/pool", "pool"},
        [F5T_MEMBER] = {"/mgmt/tm/ltm/pool", "pool member"},
        [F5T_DATAGROUP] = {"/mgmt/tm/ltm/data-group/internal", "data group"},
        [F5T_RULE] = {"/mgmt/tm/ltm/rule", "iRule"},
        [F5T_POLICY] = {"/mgmt/tm/ltm/policy", "LTM policy"},
        [F5T_CLIENTSSL] = {"/mgmt/tm/ltm/profile/client-ssl", "client-ssl profile"},
        [F5T_SERVERSSL] = {"/mgmt/tm/ltm/profile/server-ssl", "server-ssl profile"},
        [F5T_VIRTUAL] = {"/mgmt/tm/ltm/virtual", "virtual server"},
};

const struct f5_type_info *f5_type_get(enum f5_type t)
{
	return &infos[t];
}

struct f5_config *f5_config_new(const char *partition)
{
	struct f5_config *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->partition = strdup(partition ? partition : "Common");
	if (!c->partition) {
		free(c);
		return NULL;
	}
	c->sorted = 1;
	return c;
}

static void obj_clear(struct f5_obj *o)
{
	free(o->path);
	free(o->member);
	json_decref(o->body);
}

void f5_config_free(struct f5_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		obj_clear(&c->objs[i]);
	free(c->objs);
	for (size_t i = 0; i < c->n_groups; i++)
		free(c->groups[i].name);
	free(c->groups);
	free(c->partition);
	weft_warnings_free(&c->warnings);
	free(c);
}

int f5_config_add(struct f5_config *c, enum f5_type t, const char *path, const char *member,
                  json_t *body)
{
	if (!body)
		return -1;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct f5_obj *objs = realloc(c->objs, cap * sizeof(*objs));
		if (!objs) {
			json_decref(body);
			return -1;
		}
		c->objs = objs;
		c->cap = cap;
	}
	struct f5_obj *o = &c->objs[c->n];
	o->type = t;
	o->path = strdup(path);
	o->member = member ? strdup(member) : NULL;
	o->body = body;
	o->owned = 0;
	o->group = -1;
	o->stale_mark = 0;
	if (!o->path || (member && !o->member)) {
		obj_clear(o);
		return -1;
	}
	c->n++;
	c->sorted = 0;
	return 0;
}

int f5_obj_cmp(const struct f5_obj *a, const struct f5_obj *b)
{
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	int c = strcmp(a->path, b->path);
	if (c)
		return c;
	if (!a->member || !b->member)
		return !a->member - !b->member;
	return strcmp(a->member, b->member);
}

/* Stable order: qsort is not stable, so ties break on the insertion index
 * kept in `owned` during the sort (owned is recomputed by callers after). */
static int cmp_sort(const void *pa, const void *pb)
{
	const struct f5_obj *a = pa, *b = pb;
	int c = f5_obj_cmp(a, b);
	return c ? c : (a->owned > b->owned) - (a->owned < b->owned);
}

size_t f5_config_sort(struct f5_config *c)
{
	if (c->n < 2) {
		c->sorted = 1;
		return 0;
	}
	int *saved = malloc((c->n + 1) * sizeof(int));
	for (size_t i = 0; i < c->n; i++) {
		if (saved)
			saved[i] = c->objs[i].owned;
		c->objs[i].owned = (int)i;
	}
	qsort(c->objs, c->n, sizeof(*c->objs), cmp_sort);
	size_t out = 0, dropped = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (out && !f5_obj_cmp(&c->objs[out - 1], &c->objs[i])) {
			obj_clear(&c->objs[i]);
			dropped++;
			continue;
		}
		c->objs[out++] = c->objs[i];
	}
	c->n = out;
	for (size_t i = 0; i < c->n; i++) {
		int idx = c->objs[i].owned;
		c->objs[i].owned = saved ? saved[idx] : 0;
	}
	free(saved);
	c->sorted = 1;
	return dropped;
}

struct f5_obj *f5_config_find(const struct f5_config *c, enum f5_type t, const char *path,
                              const char *member)
{
	struct f5_obj key = {.type = t, .path = (char *)path, .member = (char *)member};
	size_t lo = 0, hi = c->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = f5_obj_cmp(&c->objs[mid], &key);
		if (!r)
			return &c->objs[mid];
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void f5_tilde(const char *full, char *buf, size_t len)
{
	size_t i = 0;
	for (; *full && i + 1 < len; full++)
		buf[i++] = *full == '/' ? '~' : *full;
	buf[i] = 0;
}

void f5_obj_uri(const struct f5_obj *o, char *buf, size_t len)
{
	char t[600], m[600];
	f5_tilde(o->path, t, sizeof(t));
	if (o->type == F5T_MEMBER) {
		/* The member's own path: ~Partition~name, in the pool's partition. */
		const char *slash = strchr(o->path + 1, '/');
		int plen = slash ? (int)(slash - o->path) : (int)strlen(o->path);
		char mp[600];
		snprintf(mp, sizeof(mp), "%.*s/%s", plen, o->path, o->member);
		f5_tilde(mp, m, sizeof(m));
		snprintf(buf, len, "%s/%s/members/%s", infos[o->type].uri, t, m);
	} else {
		snprintf(buf, len, "%s/%s", infos[o->type].uri, t);
	}
}

void f5_obj_collection_uri(const struct f5_obj *o, char *buf, size_t len)
{
	if (o->type == F5T_MEMBER) {
		char t[600];
		f5_tilde(o->path, t, sizeof(t));
		snprintf(buf, len, "%s/%s/members", infos[o->type].uri, t);
	} else {
		snprintf(buf, len, "%s", infos[o->type].uri);
	}
}

void f5_obj_label(const struct f5_obj *o, char *buf, size_t len)
{
	if (o->member)
		snprintf(buf, len, "%s/members/%s", o->path, o->member);
	else
		snprintf(buf, len, "%s", o->path);
}

int f5_body_owned(enum f5_type t, json_t *body)
{
	if (t == F5T_RULE) {
		const char *text = json_string_value(json_object_get(body, "apiAnonymous"));
		return text && !strncmp(text, F5_RULE_MARK, strlen(F5_RULE_MARK));
	}
	const char *d = json_string_value(json_object_get(body, "description"));
	return d && !strncmp(d, F5_MARK, strlen(F5_MARK));
}

json_t *f5_mark(int64_t rev, uint64_t hash)
{
	char buf[128];
	if (hash)
		snprintf(buf, sizeof(buf), "%s rev=%lld h=%016" PRIx64, F5_MARK, (long long)rev,
		         hash);
	else
		snprintf(buf, sizeof(buf), "%s rev=%lld", F5_MARK, (long long)rev);
	return json_string(buf);
}

uint64_t f5_mark_hash(json_t *body)
{
	const char *d = json_string_value(json_object_get(body, "description"));
	const char *h = d ? strstr(d, " h=") : NULL;
	return h ? strtoull(h + 3, NULL, 16) : 0;
}

void f5_member_name(const char *addr, int port, char *buf, size_t len)
{
	snprintf(buf, len, "%s%c%d", addr, strchr(addr, ':') ? '.' : ':', port);
}

struct f5_config *f5_config_copy(const struct f5_config *c)
{
	struct f5_config *o = f5_config_new(c->partition);
	if (!o)
		return NULL;
	o->partition_exists = c->partition_exists;
	o->objs = malloc((c->n + 1) * sizeof(*o->objs));
	if (!o->objs) {
		f5_config_free(o);
		return NULL;
	}
	o->cap = c->n + 1;
	for (size_t i = 0; i < c->n; i++) {
		const struct f5_obj *s = &c->objs[i];
		struct f5_obj *d = &o->objs[o->n];
		d->type = s->type;
		d->path = strdup(s->path);
		d->member = s->member ? strdup(s->member) : NULL;
		d->body = json_incref(s->body);
		d->owned = s->owned;
		d->group = s->group;
		d->stale_mark = s->stale_mark;
		o->n++;
		if (!d->path || (s->member && !d->member)) {
			f5_config_free(o);
			return NULL;
		}
	}
	o->sorted = c->sorted;
	o->rev = c->rev;
	if (f5_config_copy_groups(o, c)) {
		f5_config_free(o);
		return NULL;
	}
	return o;
}

int f5_config_copy_groups(struct f5_config *c, const struct f5_config *src)
{
	for (size_t i = 0; i < c->n_groups; i++)
		free(c->groups[i].name);
	free(c->groups);
	c->groups = NULL;
	c->n_groups = 0;
	if (!src->groups)
		return 0;
	c->groups = calloc(src->n_groups + 1, sizeof(*c->groups));
	if (!c->groups)
		return -1;
	for (size_t i = 0; i < src->n_groups; i++, c->n_groups++) {
		c->groups[i].hash = src->groups[i].hash;
		c->groups[i].name = strdup(src->groups[i].name);
		if (!c->groups[i].name)
			return -1;
	}
	return 0;
}

int f5_config_group(const struct f5_config *c, const char *name)
{
	size_t lo = 0, hi = c->groups ? c->n_groups : 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(c->groups[mid].name, name);
		if (!r)
			return (int)mid;
		if (r < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}
