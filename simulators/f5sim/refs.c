/* f5sim: references between objects, as mcpd enforces them.
 *
 * A virtual names a pool, iRules, policies and profiles; a pool names
 * monitors; a member names its node; a policy action may name a pool; every
 * object lives in a folder (partition). On create/update the simulator
 * rewrites bare names into full paths (BIG-IP answers "/Common/p1" even when
 * given "p1") and refuses references to missing objects; the store keeps a
 * count per referenced "class|/full/path" so that DELETE of a referenced
 * object is refused in O(1) (the referrer named in the message is found by a
 * scan only on that error path). */
#include "f5sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*ref_cb)(void *ctx, const char *cls, const char *full);

static const char *const builtin_monitors[] = {"http", "https",         "https_443", "http_head_f5",
                                               "tcp",  "tcp_half_open", "tcp_echo",  "udp",
                                               "icmp", "gateway_icmp",  "inband",    "none",
                                               NULL};

int monitor_is_builtin(const char *full)
{
	int i;

	if (strncmp(full, "/Common/", 8))
		return 0;
	for (i = 0; builtin_monitors[i]; i++)
		if (!strcmp(full + 8, builtin_monitors[i]))
			return 1;
	return 0;
}

static int is_monitor_word(const char *w)
{
	return strcmp(w, "and") && strcmp(w, "min") && strcmp(w, "of") && strcmp(w, "{") &&
	       strcmp(w, "}") && strspn(w, "0123456789") != strlen(w) && strcmp(w, "default");
}

/* Calls fn for each monitor name in a pool's "monitor" string. */
static void monitor_words(const char *s, void (*fn)(void *ctx, const char *w), void *ctx)
{
	char w[512];

	while (*s) {
		size_t n = strcspn(s, " \t{}");

		if (n == 0) {
			if (*s == '{' || *s == '}')
				fn(ctx, *s == '{' ? "{" : "}");
			s++;
			continue;
		}
		if (n >= sizeof(w))
			n = sizeof(w) - 1;
		memcpy(w, s, n);
		w[n] = '\0';
		fn(ctx, w);
		s += strcspn(s, " \t{}");
	}
}

struct mon_ctx {
	ref_cb cb;
	void *ctx;
};

static void monitor_ref_word(void *c, const char *w)
{
	struct mon_ctx *m = c;

	if (w[0] == '/')
		m->cb(m->ctx, "monitor", w);
}

static void name_or_obj_refs(json_t *arr, const char *cls, ref_cb cb, void *ctx)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		const char *n = json_string_value(v);

		if (!n)
			n = json_string_value(json_object_get(v, "fullPath"));
		if (!n)
			n = json_string_value(json_object_get(v, "name"));
		if (n && n[0] == '/')
			cb(ctx, cls, n);
	}
}

static void folder_ref(json_t *obj, ref_cb cb, void *ctx)
{
	const char *p = json_string_value(json_object_get(obj, "partition"));
	char buf[512];

	if (p && p[0]) {
		snprintf(buf, sizeof(buf), "/%s", p);
		cb(ctx, "folder", buf);
	}
}

/* Enumerates every reference of a (normalised) object. */
static void refs_each(enum otype t, json_t *obj, ref_cb cb, void *ctx)
{
	json_t *rules, *r, *actions, *a;
	size_t i, j;

	if (t == OT_FOLDER) {
		const char *full = json_string_value(json_object_get(obj, "fullPath"));
		const char *slash = full ? strrchr(full, '/') : NULL;
		char parent[512];

		if (slash && slash != full && (size_t)(slash - full) < sizeof(parent)) {
			memcpy(parent, full, (size_t)(slash - full));
			parent[slash - full] = '\0';
			cb(ctx, "folder", parent);
		}
		return;
	}
	folder_ref(obj, cb, ctx);
	switch (t) {
	case OT_POOL: {
		struct mon_ctx m = {cb, ctx};
		const char *mon = json_string_value(json_object_get(obj, "monitor"));

		if (mon)
			monitor_words(mon, monitor_ref_word, &m);
		break;
	}
	case OT_VIRTUAL: {
		const char *pool = json_string_value(json_object_get(obj, "pool"));

		if (pool && pool[0] == '/')
			cb(ctx, "pool", pool);
		name_or_obj_refs(json_object_get(obj, "rules"), "rule", cb, ctx);
		name_or_obj_refs(json_object_get(obj, "policies"), "policy", cb, ctx);
		name_or_obj_refs(json_object_get(obj, "profiles"), "profile", cb, ctx);
		break;
	}
	case OT_MEMBER: {
		const char *addr = json_string_value(json_object_get(obj, "address"));
		const char *p = json_string_value(json_object_get(obj, "partition"));
		char buf[512];

		if (addr && p) {
			snprintf(buf, sizeof(buf), "/%s/%s", p, addr);
			cb(ctx, "node", buf);
		}
		break;
	}
	case OT_POLICY:
		rules = json_object_get(obj, "rules");
		json_array_foreach(rules, i, r)
		{
			actions = json_object_get(r, "actions");
			json_array_foreach(actions, j, a)
			{
				const char *pool = json_string_value(json_object_get(a, "pool"));

				if (pool && pool[0] == '/')
					cb(ctx, "pool", pool);
			}
		}
		break;
	default:
		break;
	}
}

static void count_cb(void *ctx, const char *cls, const char *full)
{
	void **c = ctx;
	struct store *st = c[0];
	int delta = *(int *)c[1];
	char key[1024];
	struct tentry *e;

	snprintf(key, sizeof(key), "%s|%s", cls, full);
	e = table_put(&st->refs, key);
	if (!e)
		return;
	e->num += delta;
	if (e->num <= 0)
		table_del(&st->refs, e, NULL);
}

void refs_count(struct store *st, enum otype t, json_t *obj, int delta)
{
	void *c[2] = {st, &delta};

	refs_each(t, obj, count_cb, c);
}

/* ---- normalisation and validation ---- */

static int exists_in(struct store *st, const char *cls, const char *full)
{
	if (!strcmp(cls, "pool"))
		return store_find(st, OT_POOL, NULL, full) != NULL;
	if (!strcmp(cls, "rule"))
		return store_find(st, OT_RULE, NULL, full) || !strncmp(full, "/Common/_sys_", 13);
	if (!strcmp(cls, "policy"))
		return store_find(st, OT_POLICY, NULL, full) != NULL;
	if (!strcmp(cls, "monitor"))
		return monitor_is_builtin(full) || store_find(st, OT_MON_HTTP, NULL, full) ||
		       store_find(st, OT_MON_TCP, NULL, full);
	if (!strcmp(cls, "profile"))
		return store_find(st, OT_CLIENTSSL, NULL, full) ||
		       store_find(st, OT_SERVERSSL, NULL, full);
	return 0;
}

/* Full path of a referenced name, given the referrer's partition. */
static void resolve(struct store *st, const char *cls, const char *part, const char *name,
                    char *out, size_t len)
{
	if (name[0] == '/') {
		snprintf(out, len, "%s", name);
		return;
	}
	snprintf(out, len, "/%s/%s", part, name);
	if (exists_in(st, cls, out))
		return;
	snprintf(out, len, "/Common/%s", name);
	if (exists_in(st, cls, out) || !strcmp(cls, "profile") || !strcmp(cls, "monitor"))
		return;
	snprintf(out, len, "/%s/%s", part, name);
}

struct norm {
	struct store *st;
	const char *part;
	json_t *err;
	int status;
	char mon[2048];
};

static void missing(struct norm *n, const char *what, const char *full)
{
	if (n->err)
		return;
	n->status = 400;
	n->err = f5_error(400, "01020036:3: The requested %s (%s) was not found.", what, full);
}

static void norm_monitor_word(void *c, const char *w)
{
	struct norm *n = c;
	char full[512];
	size_t l = strlen(n->mon);

	if (is_monitor_word(w)) {
		resolve(n->st, "monitor", n->part, w, full, sizeof(full));
		if (!exists_in(n->st, "monitor", full))
			missing(n, "monitor", full);
		w = full;
	}
	snprintf(n->mon + l, sizeof(n->mon) - l, "%s%s", l ? " " : "", w);
}

/* Normalises a string reference (or an array of strings/objects) in place. */
static void norm_names(struct norm *n, json_t *holder, const char *field, const char *cls,
                       const char *what, int check)
{
	json_t *v = json_object_get(holder, field), *it;
	char full[512];
	size_t i;

	if (json_is_string(v)) {
		if (!json_string_length(v) || !strcmp(json_string_value(v), "none"))
			return;
		resolve(n->st, cls, n->part, json_string_value(v), full, sizeof(full));
		if (check && !exists_in(n->st, cls, full))
			missing(n, what, full);
		json_object_set_new(holder, field, json_string(full));
		return;
	}
	json_array_foreach(v, i, it)
	{
		const char *name = json_string_value(it);
		const char *p;

		if (!name)
			name = json_string_value(json_object_get(it, "name"));
		if (!name)
			continue;
		p = json_string_value(json_object_get(it, "partition"));
		if (p && name[0] != '/')
			snprintf(full, sizeof(full), "/%s/%s", p, name);
		else
			resolve(n->st, cls, n->part, name, full, sizeof(full));
		if (check && !exists_in(n->st, cls, full))
			missing(n, what, full);
		if (json_is_string(it))
			json_array_set_new(v, i, json_string(full));
		else
			json_object_set_new(it, "fullPath", json_string(full));
	}
}

static void norm_virtual(struct norm *n, json_t *obj)
{
	json_t *pols = json_object_get(obj, "policies"), *p;
	size_t i;

	norm_names(n, obj, "pool", "pool", "Pool", 1);
	norm_names(n, obj, "rules", "rule", "iRule", 1);
	norm_names(n, obj, "policies", "policy", "Policy", 1);
	norm_names(n, obj, "profiles", "profile", "profile", 0);
	json_array_foreach(pols, i, p)
	{
		const char *f = json_string_value(json_object_get(p, "fullPath"));

		if (!f)
			f = json_string_value(p);
		if (f && strstr(f, "/Drafts/") && !n->err) {
			n->status = 400;
			n->err = f5_error(400,
			                  "010716d5:3: A virtual server (%s) cannot reference a "
			                  "draft policy (%s).",
			                  json_string_value(json_object_get(obj, "fullPath")), f);
		}
	}
}

int refs_validate(struct store *st, enum otype t, json_t *obj, json_t **err)
{
	struct norm n = {st, json_string_value(json_object_get(obj, "partition")), NULL, 0, ""};
	json_t *rules, *r, *actions, *a;
	size_t i, j;

	if (!n.part)
		n.part = "Common";
	if (t == OT_POOL && json_is_string(json_object_get(obj, "monitor"))) {
		monitor_words(json_string_value(json_object_get(obj, "monitor")), norm_monitor_word,
		              &n);
		json_object_set_new(obj, "monitor", json_string(n.mon));
	} else if (t == OT_VIRTUAL) {
		norm_virtual(&n, obj);
	} else if (t == OT_POLICY) {
		rules = json_object_get(obj, "rules");
		json_array_foreach(rules, i, r)
		{
			actions = json_object_get(r, "actions");
			json_array_foreach(actions, j, a)
			        norm_names(&n, a, "pool", "pool", "Pool", 1);
		}
	}
	if (n.err) {
		*err = n.err;
		return n.status;
	}
	return 0;
}

/* ---- delete checks ---- */

struct finder {
	const char *cls, *full;
	int hit;
};

static void find_cb(void *ctx, const char *cls, const char *full)
{
	struct finder *f = ctx;

	if (!strcmp(cls, f->cls) && !strcmp(full, f->full))
		f->hit = 1;
}

/* Finds one object that references cls|full (error path only). */
static const char *find_referrer(struct store *st, const char *cls, const char *full,
                                 enum otype *rt, const char **rpool)
{
	struct finder f = {cls, full, 0};
	struct tentry *e, *m;
	int t;

	for (t = 0; t < OT_MEMBER; t++) {
		for (e = st->tables[t].head; e; e = e->next) {
			refs_each(t, e->obj, find_cb, &f);
			if (f.hit) {
				*rt = t;
				*rpool = NULL;
				return e->key;
			}
			if (t != OT_POOL || !e->aux)
				continue;
			for (m = ((struct table *)e->aux)->head; m; m = m->next) {
				refs_each(OT_MEMBER, m->obj, find_cb, &f);
				if (f.hit) {
					*rt = OT_MEMBER;
					*rpool = e->key;
					return m->key;
				}
			}
		}
	}
	return NULL;
}

int refs_check_delete(struct store *st, enum otype t, const char *full, json_t **err)
{
	const char *cls = otype_get(t)->refclass, *rpool = NULL, *by;
	char key[1024];
	enum otype rt = OT_VIRTUAL;

	snprintf(key, sizeof(key), "%s|%s", cls, full);
	if (!table_get(&st->refs, key))
		return 0;
	by = find_referrer(st, cls, full, &rt, &rpool);
	if (t == OT_FOLDER)
		*err = f5_error(400,
		                "0107082a:3: All objects must be removed from a partition "
		                "(%s) before the partition may be removed.",
		                full + 1);
	else if (t == OT_MON_HTTP || t == OT_MON_TCP)
		*err = f5_error(400, "01070083:3: Monitor %s is in use.", full);
	else if (t == OT_NODE)
		*err = f5_error(400,
		                "01070110:3: Node address '%s' is referenced by a member "
		                "of pool '%s'.",
		                full, rpool ? rpool : "?");
	else
		*err = f5_error(400,
		                "01070265:3: The %s (%s) cannot be deleted because it is in "
		                "use by a %s (%s).",
		                otype_get(t)->display, full, otype_get(rt)->display, by ? by : "?");
	return 400;
}
