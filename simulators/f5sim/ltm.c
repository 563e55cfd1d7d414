/* f5sim: CRUD on /mgmt/tm/ltm/... and /mgmt/tm/sys/folder.
 *
 * iControl REST semantics as BIG-IP documents them: POST to a collection
 * creates (409 with mcpd's 01020066 message on a duplicate), GET reads one
 * object or a collection, PUT replaces (properties left out revert to their
 * defaults), PATCH merges, DELETE removes (400 while referenced, 404 when
 * missing). Objects are addressed as ~Partition~name or
 * ~Partition~subPath~name. Unknown properties are kept as given. Pool
 * members and policy drafts live in ltmpool.c; response shaping in
 * ltmquery.c. The caller (http.c, txn.c) wraps each call in the store's
 * undo log so that a failed request changes nothing. */
#include "f5sim.h"
#include "ltm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const json_keys_identity[] = {
        "name",       "partition", "subPath",          "fullPath", "kind",
        "generation", "selfLink",  "membersReference", NULL};

json_t *ltm_defaults(enum otype t)
{
	json_t *d = json_loads(otype_get(t)->defaults, 0, NULL);

	return d ? d : json_object();
}

/* Copies body into obj, except identity and metadata fields. */
void ltm_merge_body(json_t *obj, json_t *body, int skip_members)
{
	const char *k;
	json_t *v;
	int i, skip;

	json_object_foreach(body, k, v)
	{
		skip = skip_members && !strcmp(k, "members");
		for (i = 0; json_keys_identity[i]; i++)
			if (!strcmp(k, json_keys_identity[i]))
				skip = 1;
		if (!skip)
			json_object_set(obj, k, v);
	}
}

/* Parses "~P~a~b" or "name" of the URL into a full path. */
static void url_name_to_full(enum otype t, const char *seg, size_t n, char *out, size_t len)
{
	size_t i, o = 0;

	if (n && seg[0] == '~') {
		for (i = 0; i < n && o + 1 < len; i++)
			out[o++] = seg[i] == '~' ? '/' : seg[i];
		out[o] = '\0';
		return;
	}
	snprintf(out, len, t == OT_FOLDER ? "/%.*s" : "/Common/%.*s", (int)n, seg);
}

int ltm_parse_target(const char *rest, struct target *tg)
{
	const char *p;
	size_t n;
	int i;

	memset(tg, 0, sizeof(*tg));
	for (i = 0; i < OT_MEMBER; i++) {
		const char *tp = otype_get(i)->path;

		n = strlen(tp);
		if (!strncmp(rest, tp, n) && (rest[n] == '\0' || rest[n] == '/'))
			break;
	}
	if (i == OT_MEMBER)
		return -1;
	tg->t = i;
	p = rest + n;
	if (*p == '/' && p[1] == '\0')
		p++;
	if (!*p)
		return 0;
	p++;
	n = strcspn(p, "/");
	url_name_to_full(tg->t, p, n, tg->full, sizeof(tg->full));
	tg->has_name = 1;
	p += n;
	if (!*p || !strcmp(p, "/"))
		return 0;
	if (tg->t != OT_POOL || strncmp(p, "/members", 8) || (p[8] && p[8] != '/'))
		return -1;
	tg->members = 1;
	p += 8;
	if (!*p || !strcmp(p, "/"))
		return 0;
	p++;
	n = strcspn(p, "/");
	if (p[n])
		return -1;
	snprintf(tg->pool, sizeof(tg->pool), "%s", tg->full);
	url_name_to_full(OT_MEMBER, p, n, tg->full, sizeof(tg->full));
	tg->has_member = 1;
	return 0;
}

int ltm_known_path(const char *rest)
{
	struct target tg;

	return ltm_parse_target(rest, &tg) == 0;
}

void ltm_pattern(const char *rest, char *buf, size_t len)
{
	struct target tg;

	if (ltm_parse_target(rest, &tg)) {
		snprintf(buf, len, "/mgmt/tm/%s", rest);
		return;
	}
	snprintf(buf, len, "/mgmt/tm/%s%s%s%s", otype_get(tg.t)->path, tg.has_name ? "/{name}" : "",
	         tg.members ? "/members" : "", tg.has_member ? "/{name}" : "");
}

static void strip_slashes(const char *in, char *out, size_t len)
{
	while (*in == '/')
		in++;
	snprintf(out, len, "%s", in);
	while (*out && out[strlen(out) - 1] == '/')
		out[strlen(out) - 1] = '\0';
}

/* Sets name/partition/subPath/fullPath of a new object from the POST body. */
int ltm_identity(enum otype t, json_t *obj, json_t *body, char *full, size_t len, json_t **err)
{
	const char *name = json_string_value(json_object_get(body, "name"));
	const char *part = json_string_value(json_object_get(body, "partition"));
	const char *sub = json_string_value(json_object_get(body, "subPath"));
	char p[256], s[256] = "", nm[256];

	if (!name || !name[0] || strchr(name, '~') || strlen(name) > 200) {
		*err = f5_error(400,
		                "01070734:3: Configuration error: a valid name is required "
		                "to create a %s.",
		                otype_get(t)->display);
		return 400;
	}
	if (t == OT_FOLDER) {
		strip_slashes(part ? part : "", p, sizeof(p));
		if (name[0] == '/')
			snprintf(full, len, "%s", name);
		else if (!p[0])
			snprintf(full, len, "/%s", name);
		else
			snprintf(full, len, "/%s/%s", p, name);
		snprintf(nm, sizeof(nm), "%s", strrchr(full, '/') + 1);
		snprintf(p, sizeof(p), "%.*s", (int)(strrchr(full, '/') - full), full);
		if (!nm[0])
			goto bad_name;
		json_object_set_new(obj, "name", json_string(nm));
		json_object_set_new(obj, "subPath", json_string(p[0] ? p : "/"));
		json_object_set_new(obj, "fullPath", json_string(full));
		return 0;
	}
	if (name[0] == '/') {
		const char *a = name + 1, *b = strchr(a, '/'), *c = strrchr(name, '/');

		if (!b) {
			*err = f5_error(400, "01070734:3: Configuration error: invalid name (%s).",
			                name);
			return 400;
		}
		snprintf(p, sizeof(p), "%.*s", (int)(b - a), a);
		if (c > b)
			snprintf(s, sizeof(s), "%.*s", (int)(c - b - 1), b + 1);
		snprintf(nm, sizeof(nm), "%s", c + 1);
	} else {
		strip_slashes(part ? part : "Common", p, sizeof(p));
		strip_slashes(sub ? sub : "", s, sizeof(s));
		snprintf(nm, sizeof(nm), "%s", name);
	}
	if (!nm[0])
		goto bad_name;
	if (!p[0])
		snprintf(p, sizeof(p), "Common");
	if (s[0])
		snprintf(full, len, "/%s/%s/%s", p, s, nm);
	else
		snprintf(full, len, "/%s/%s", p, nm);
	json_object_set_new(obj, "name", json_string(nm));
	json_object_set_new(obj, "partition", json_string(p));
	if (s[0])
		json_object_set_new(obj, "subPath", json_string(s));
	json_object_set_new(obj, "fullPath", json_string(full));
	return 0;
bad_name:
	*err = f5_error(400,
	                "01070734:3: Configuration error: a valid name is required to "
	                "create a %s.",
	                otype_get(t)->display);
	return 400;
}

/* The folder an object is created in must exist (Drafts is implicit). */
int ltm_folder_check(struct store *st, enum otype t, json_t *obj, json_t **err)
{
	const char *full = json_string_value(json_object_get(obj, "fullPath"));
	const char *part = json_string_value(json_object_get(obj, "partition"));
	const char *sub = json_string_value(json_object_get(obj, "subPath"));
	char f[600];

	if (t == OT_FOLDER) {
		snprintf(f, sizeof(f), "%.*s", (int)(strrchr(full, '/') - full), full);
		if (!f[0])
			return 0;
	} else if (sub && strcmp(sub, "Drafts")) {
		snprintf(f, sizeof(f), "/%s/%s", part, sub);
	} else {
		snprintf(f, sizeof(f), "/%s", part);
	}
	if (store_find(st, OT_FOLDER, NULL, f))
		return 0;
	if (sub && !strcmp(sub, "Drafts") && t != OT_POLICY) {
		snprintf(f, sizeof(f), "/%s/%s", part, sub);
		if (store_find(st, OT_FOLDER, NULL, f))
			return 0;
	}
	*err = f5_error(400, "01020036:3: The requested folder (%s) was not found.", f);
	return 400;
}

static int not_found(enum otype t, const char *full, json_t **out)
{
	*out = f5_error(404, "01020036:3: The requested %s (%s) was not found.",
	                otype_get(t)->display, full);
	return 404;
}

static int ltm_create(struct sim *s, enum otype t, json_t *body, json_t **out)
{
	struct store *st = &s->store;
	json_t *obj = ltm_defaults(t), *members = json_object_get(body, "members");
	char full[600];
	int rc;

	if (t == OT_POLICY && json_object_get(body, "command")) {
		json_decref(obj);
		return policy_command(s, body, out);
	}
	rc = ltm_identity(t, obj, body, full, sizeof(full), out);
	if (!rc && store_find(st, t, NULL, full)) {
		const char *p = json_string_value(json_object_get(obj, "partition"));

		*out = f5_error(409, "01020066:3: The requested %s (%s) already exists%s%s.",
		                otype_get(t)->display, full, p ? " in partition " : "", p ? p : "");
		rc = 409;
	}
	if (!rc)
		rc = ltm_folder_check(st, t, obj, out);
	if (rc) {
		json_decref(obj);
		return rc;
	}
	ltm_merge_body(obj, body, t == OT_POOL);
	if (t == OT_POLICY && !json_object_get(obj, "status")) {
		const char *sub = json_string_value(json_object_get(obj, "subPath"));

		json_object_set_new(
		        obj, "status",
		        json_string(sub && !strcmp(sub, "Drafts") ? "draft" : "published"));
	}
	return ltm_store_checked(s, t, full, obj, t == OT_POOL ? members : NULL, out);
}

/* Validates references, stores obj (stolen), applies pool members, answers
 * with the stored object. */
int ltm_store_checked(struct sim *s, enum otype t, const char *full, json_t *obj, json_t *members,
                      json_t **out)
{
	int rc = refs_validate(&s->store, t, obj, out);

	if (rc) {
		json_decref(obj);
		return rc;
	}
	if (store_put(&s->store, t, NULL, full, obj)) {
		*out = f5_error(500, "out of memory storing %s", full);
		return 500;
	}
	if (members) {
		rc = pool_set_members(s, full, members, out);
		if (rc)
			return rc;
	}
	*out = json_incref(store_find(&s->store, t, NULL, full));
	return 200;
}

static int ltm_update(struct sim *s, const struct target *tg, const struct query *q, json_t *body,
                      int replace, json_t **out)
{
	static const char *const ident[] = {"name", "partition", "subPath", "fullPath", NULL};
	json_t *old = store_find(&s->store, tg->t, NULL, tg->full), *obj;
	int i;

	if (!old)
		return not_found(tg->t, tg->full, out);
	if (tg->t == OT_POLICY && !replace && strstr(q->options, "create-draft"))
		return policy_create_draft(s, tg->full, out);
	if (replace) {
		obj = ltm_defaults(tg->t);
		for (i = 0; ident[i]; i++)
			if (json_object_get(old, ident[i]))
				json_object_set(obj, ident[i], json_object_get(old, ident[i]));
		if (tg->t == OT_POLICY)
			json_object_set(obj, "status", json_object_get(old, "status"));
	} else {
		obj = json_deep_copy(old);
	}
	ltm_merge_body(obj, body, tg->t == OT_POOL);
	return ltm_store_checked(s, tg->t, tg->full, obj,
	                         tg->t == OT_POOL ? json_object_get(body, "members") : NULL, out);
}

static int ltm_delete(struct sim *s, const struct target *tg, json_t **out)
{
	int rc;

	if (!store_find(&s->store, tg->t, NULL, tg->full))
		return not_found(tg->t, tg->full, out);
	if (tg->t == OT_FOLDER && !strcmp(tg->full, "/Common")) {
		*out = f5_error(400, "01070829:3: The folder (/Common) cannot be deleted.");
		return 400;
	}
	rc = refs_check_delete(&s->store, tg->t, tg->full, out);
	if (rc)
		return rc;
	store_del(&s->store, tg->t, NULL, tg->full);
	*out = NULL;
	return 200;
}

int ltm_handle(struct sim *s, const char *method, const char *rest, const struct query *q,
               json_t *body, json_t **out)
{
	struct target tg;
	int write = strcmp(method, "GET");

	*out = NULL;
	if (ltm_parse_target(rest, &tg)) {
		*out = f5_rest_error(s, 404,
		                     "URI path /mgmt/tm/%s not registered.  Please verify "
		                     "URI is supported and wait for /available suffix to be "
		                     "responsive.",
		                     rest);
		return 404;
	}
	if (write && strcmp(method, "DELETE") && !json_is_object(body)) {
		*out = f5_error(400, "Found invalid JSON body in the request.");
		return 400;
	}
	if (tg.members)
		return members_handle(s, method, &tg, q, body, out);
	if (!tg.has_name) {
		if (!strcmp(method, "GET")) {
			s->raw_out = render_collection(&s->store, tg.t, NULL, q);
			if (!s->raw_out)
				*out = shape_collection(&s->store, tg.t, NULL, q);
			return 200;
		}
		if (!strcmp(method, "POST"))
			return ltm_create(s, tg.t, body, out);
	} else {
		json_t *obj = store_find(&s->store, tg.t, NULL, tg.full);

		if (!strcmp(method, "GET")) {
			if (!obj)
				return not_found(tg.t, tg.full, out);
			*out = shape_object(&s->store, tg.t, obj, q);
			return 200;
		}
		if (!strcmp(method, "PUT") || !strcmp(method, "PATCH"))
			return ltm_update(s, &tg, q, body, !strcmp(method, "PUT"), out);
		if (!strcmp(method, "DELETE"))
			return ltm_delete(s, &tg, out);
	}
	*out = f5_error(405, "Method %s is not allowed on /mgmt/tm/%s", method, rest);
	return 405;
}

static void query_set(struct query *q, const char *k, const char *v)
{
	if (!strcmp(k, "$select"))
		snprintf(q->select, sizeof(q->select), "%s", v);
	else if (!strcmp(k, "expandSubcollections"))
		q->expand = !strcmp(v, "true");
	else if (!strcmp(k, "options"))
		snprintf(q->options, sizeof(q->options), "%s", v);
	else if (!strcmp(k, "$filter") && !strncmp(v, "partition eq ", 13))
		snprintf(q->filter_partition, sizeof(q->filter_partition), "%.*s",
		         (int)sizeof(q->filter_partition) - 1, v + 13);
}

void query_add(struct query *q, const char *k, const char *v)
{
	query_set(q, k, v ? v : "");
}

void query_parse(struct query *q, const char *qs)
{
	char k[128], v[600];

	memset(q, 0, sizeof(*q));
	while (qs && *qs) {
		size_t n = strcspn(qs, "&"), e = strcspn(qs, "=&");

		snprintf(k, sizeof(k), "%.*s", (int)(e < n ? e : n), qs);
		if (e < n)
			snprintf(v, sizeof(v), "%.*s", (int)(n - e - 1), qs + e + 1);
		else
			v[0] = '\0';
		query_set(q, k, v);
		qs += n;
		if (*qs == '&')
			qs++;
	}
}
