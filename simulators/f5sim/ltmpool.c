/* f5sim: pool members (the /members subcollection) and LTM policy drafts.
 *
 * Members: created through POST .../pool/~P~p/members or inline with a
 * pool's "members" array (which then replaces the pool's member set, as
 * BIG-IP does); each member makes sure its node /P/ADDRESS exists, creating
 * it the way mcpd does, and holds a reference to it.
 * Policies (BIG-IP 12.1+): created in /P/Drafts/name, published with
 * POST /mgmt/tm/ltm/policy {"command":"publish","name":"/P/Drafts/name"},
 * which replaces /P/name (virtuals referring to it keep doing so);
 * PATCH .../policy/~P~name?options=create-draft copies a published policy
 * back into Drafts. A virtual may not reference a draft (refs.c). */
#include "f5sim.h"
#include "ltm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "10.0.0.1:80" -> "10.0.0.1", "2001:db8::1.80" -> "2001:db8::1". */
static void member_address(const char *name, char *addr, size_t len, const char **port)
{
	const char *c = strchr(name, ':');
	const char *sep = (c && !strchr(c + 1, ':')) ? c : strrchr(name, '.');

	if (!sep) {
		snprintf(addr, len, "%s", name);
		*port = "";
		return;
	}
	snprintf(addr, len, "%.*s", (int)(sep - name), name);
	*port = sep + 1;
}

/* "(/Common/p1 /Common/10.0.0.1 80)" as mcpd names a member. */
static void member_label(const char *pool, json_t *m, const char *full, char *buf, size_t len)
{
	const char *name = strrchr(full, '/') + 1, *port;
	const char *p = json_string_value(json_object_get(m, "partition"));
	char addr[256];

	member_address(name, addr, sizeof(addr), &port);
	snprintf(buf, len, "%s /%s/%s %s", pool, p ? p : "Common", addr, port);
}

static int ensure_node(struct sim *s, const char *part, const char *addr, json_t **err)
{
	char full[600];
	json_t *n;

	snprintf(full, sizeof(full), "/%s/%s", part, addr);
	if (store_find(&s->store, OT_NODE, NULL, full))
		return 0;
	n = ltm_defaults(OT_NODE);
	json_object_set_new(n, "name", json_string(addr));
	json_object_set_new(n, "partition", json_string(part));
	json_object_set_new(n, "fullPath", json_string(full));
	json_object_set_new(n, "address", json_string(addr));
	if (store_put(&s->store, OT_NODE, NULL, full, n)) {
		*err = f5_error(500, "out of memory creating node %s", full);
		return 500;
	}
	return 0;
}

/* Completes and stores a member object (obj stolen). */
static int member_store(struct sim *s, const char *pool, const char *full, json_t *obj,
                        json_t **out)
{
	const char *part = json_string_value(json_object_get(obj, "partition"));
	const char *addr = json_string_value(json_object_get(obj, "address")), *port;
	char a[256];
	int rc;

	if (!addr) {
		member_address(json_string_value(json_object_get(obj, "name")), a, sizeof(a),
		               &port);
		json_object_set_new(obj, "address", json_string(a));
		addr = json_string_value(json_object_get(obj, "address"));
	}
	rc = ensure_node(s, part ? part : "Common", addr, out);
	if (!rc && store_put(&s->store, OT_MEMBER, pool, full, obj) == 0)
		return 0;
	if (!rc) {
		*out = f5_error(500, "out of memory storing member %s", full);
		rc = 500;
	} else {
		json_decref(obj);
	}
	return rc;
}

static int member_create(struct sim *s, const char *pool, json_t *body, int dup_ok, json_t **out)
{
	json_t *obj = ltm_defaults(OT_MEMBER);
	char full[600], label[1400];
	int rc;

	if (!json_is_object(body)) {
		json_decref(obj);
		*out = f5_error(400, "Found invalid JSON body in the request.");
		return 400;
	}
	rc = ltm_identity(OT_MEMBER, obj, body, full, sizeof(full), out);
	if (!rc)
		rc = ltm_folder_check(&s->store, OT_MEMBER, obj, out);
	if (!rc && !dup_ok && store_find(&s->store, OT_MEMBER, pool, full)) {
		member_label(pool, obj, full, label, sizeof(label));
		*out = f5_error(409,
		                "01020066:3: The requested Pool Member (%s) already exists "
		                "in partition %s.",
		                label, json_string_value(json_object_get(obj, "partition")));
		rc = 409;
	}
	if (rc) {
		json_decref(obj);
		return rc;
	}
	ltm_merge_body(obj, body, 0);
	rc = member_store(s, pool, full, obj, out);
	if (rc)
		return rc;
	*out = json_incref(store_find(&s->store, OT_MEMBER, pool, full));
	return 200;
}

int pool_set_members(struct sim *s, const char *pool, json_t *members, json_t **err)
{
	struct table *m = store_members(&s->store, pool);
	json_t *it, *o = NULL;
	size_t i;
	int rc;

	if (!json_is_array(members)) {
		*err = f5_error(400, "Found invalid JSON body in the request: \"members\" must "
		                     "be an array.");
		return 400;
	}
	while (m && m->tail)
		store_del(&s->store, OT_MEMBER, pool, m->tail->key);
	json_array_foreach(members, i, it)
	{
		json_t *b = json_is_string(it) ? json_pack("{s:O}", "name", it) : json_incref(it);

		rc = member_create(s, pool, b, 1, &o);
		json_decref(b);
		if (rc != 200) {
			*err = o;
			return rc;
		}
		json_decref(o);
	}
	return 0;
}

static int member_not_found(const char *pool, const char *full, json_t **out)
{
	const char *name = strrchr(full, '/') + 1, *port;
	char addr[256];

	member_address(name, addr, sizeof(addr), &port);
	*out = f5_error(404,
	                "01020036:3: The requested Pool Member (%s %.*s/%s %s) was not "
	                "found.",
	                pool, (int)(name - full - 1), full, addr, port);
	return 404;
}

static int member_update(struct sim *s, const struct target *tg, json_t *old, json_t *body,
                         int replace, json_t **out)
{
	static const char *const ident[] = {"name", "partition", "fullPath", "address", NULL};
	json_t *obj;
	int i, rc;

	if (replace) {
		obj = ltm_defaults(OT_MEMBER);
		for (i = 0; ident[i]; i++)
			json_object_set(obj, ident[i], json_object_get(old, ident[i]));
	} else {
		obj = json_deep_copy(old);
	}
	ltm_merge_body(obj, body, 0);
	json_object_set(obj, "address", json_object_get(old, "address"));
	rc = member_store(s, tg->pool, tg->full, obj, out);
	if (rc)
		return rc;
	*out = json_incref(store_find(&s->store, OT_MEMBER, tg->pool, tg->full));
	return 200;
}

int members_handle(struct sim *s, const char *method, const struct target *tg,
                   const struct query *q, json_t *body, json_t **out)
{
	const char *pool = tg->has_member ? tg->pool : tg->full;
	json_t *m;

	if (!store_find(&s->store, OT_POOL, NULL, pool)) {
		*out = f5_error(404, "01020036:3: The requested Pool (%s) was not found.", pool);
		return 404;
	}
	if (!tg->has_member) {
		if (!strcmp(method, "GET")) {
			*out = shape_collection(&s->store, OT_MEMBER, pool, q);
			return 200;
		}
		if (!strcmp(method, "POST"))
			return member_create(s, pool, body, 0, out);
		*out = f5_error(405, "Method %s is not allowed on a members collection", method);
		return 405;
	}
	m = store_find(&s->store, OT_MEMBER, pool, tg->full);
	if (!m)
		return member_not_found(pool, tg->full, out);
	if (!strcmp(method, "GET")) {
		*out = shape_object(&s->store, OT_MEMBER, m, q);
		return 200;
	}
	if (!strcmp(method, "PUT") || !strcmp(method, "PATCH"))
		return member_update(s, tg, m, body, !strcmp(method, "PUT"), out);
	if (!strcmp(method, "DELETE")) {
		store_del(&s->store, OT_MEMBER, pool, tg->full);
		*out = NULL;
		return 200;
	}
	*out = f5_error(405, "Method %s is not allowed on a pool member", method);
	return 405;
}

/* "/P/Drafts/name" -> "/P/name"; 0, or -1 when not a draft path. */
static int published_path(const char *draft, char *out, size_t len)
{
	const char *d = strstr(draft, "/Drafts/");

	if (!d || draft[0] != '/' || strchr(d + 8, '/'))
		return -1;
	snprintf(out, len, "%.*s/%s", (int)(d - draft), draft, d + 8);
	return 0;
}

int policy_command(struct sim *s, json_t *body, json_t **out)
{
	const char *cmd = json_string_value(json_object_get(body, "command"));
	const char *name = json_string_value(json_object_get(body, "name"));
	char pub[600];
	json_t *draft, *obj;
	int rc;

	if (!cmd || strcmp(cmd, "publish")) {
		*out = f5_error(400, "Unsupported command (%s) for ltm policy.", cmd ? cmd : "");
		return 400;
	}
	if (!name || published_path(name, pub, sizeof(pub))) {
		*out = f5_error(400,
		                "01071a1b:3: Policy (%s) is not a draft and cannot be "
		                "published.",
		                name ? name : "");
		return 400;
	}
	draft = store_find(&s->store, OT_POLICY, NULL, name);
	if (!draft) {
		*out = f5_error(404, "01020036:3: The requested Policy (%s) was not found.", name);
		return 404;
	}
	obj = json_deep_copy(draft);
	json_object_set_new(obj, "name", json_string(strrchr(pub, '/') + 1));
	json_object_set_new(obj, "fullPath", json_string(pub));
	json_object_del(obj, "subPath");
	json_object_set_new(obj, "status", json_string("published"));
	rc = ltm_store_checked(s, OT_POLICY, pub, obj, NULL, out);
	if (rc != 200)
		return rc;
	json_decref(*out);
	store_del(&s->store, OT_POLICY, NULL, name);
	*out = json_pack("{s:s, s:s, s:s}", "kind", otype_get(OT_POLICY)->kind, "command",
	                 "publish", "name", name);
	return 200;
}

int policy_create_draft(struct sim *s, const char *full, json_t **out)
{
	json_t *pol = store_find(&s->store, OT_POLICY, NULL, full), *obj;
	const char *part = json_string_value(json_object_get(pol, "partition"));
	const char *name = json_string_value(json_object_get(pol, "name"));
	char draft[600];

	snprintf(draft, sizeof(draft), "/%s/Drafts/%s", part ? part : "Common", name ? name : "");
	if (store_find(&s->store, OT_POLICY, NULL, draft)) {
		*out = f5_error(409,
		                "01020066:3: The requested Policy (%s) already exists in "
		                "partition %s.",
		                draft, part ? part : "Common");
		return 409;
	}
	obj = json_deep_copy(pol);
	json_object_set_new(obj, "subPath", json_string("Drafts"));
	json_object_set_new(obj, "fullPath", json_string(draft));
	json_object_set_new(obj, "status", json_string("draft"));
	return ltm_store_checked(s, OT_POLICY, draft, obj, NULL, out);
}
