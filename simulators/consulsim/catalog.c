/* consulsim: the catalog and its indexes.
 *
 * A write is one raft entry: every object it changes gets the same new
 * ModifyIndex, and the index advances only when something really changed
 * (an idempotent re-registration leaves blocking queries asleep, as in
 * Consul, where the table indexes do not move either). A health answer for
 * a service includes its node and the node's checks, so a change to either
 * moves the index of every service on that node. docs/consulsim.md. */
#include "consulsim.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

json_t *jget(json_t *o, const char *key)
{
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return NULL;
	v = json_object_get(o, key);
	if (v)
		return v;
	json_object_foreach(o, k, v)
	{
		if (!strcasecmp(k, key))
			return v;
	}
	return NULL;
}

const char *jstr(json_t *o, const char *key)
{
	return json_string_value(jget(o, key));
}

void catalog_init(struct catalog *c)
{
	c->nodes = json_object();
	c->services = json_object();
	c->checks = json_object();
	c->byname = json_object();
	c->svcidx = json_object();
	c->index = 1;
	c->svc_index = 1;
}

void catalog_free(struct catalog *c)
{
	json_decref(c->nodes);
	json_decref(c->services);
	json_decref(c->checks);
	json_decref(c->byname);
	json_decref(c->svcidx);
	memset(c, 0, sizeof(*c));
}

uint64_t catalog_watch_index(struct catalog *c, const char *watch)
{
	json_t *v;

	if (!strncmp(watch, "svc:", 4) && (v = json_object_get(c->svcidx, watch + 4)))
		return (uint64_t)json_integer_value(v);
	return c->svc_index;
}

static void svc_key(char *buf, size_t n, const char *node, const char *id)
{
	snprintf(buf, n, "%s\x1f%s", node, id);
}

static void bump_name(struct catalog *c, const char *name, uint64_t idx)
{
	json_object_set_new(c->svcidx, name, json_integer((json_int_t)idx));
}

/* Every service on node sees the change (its health entry carries the node
 * and the node's checks). */
static void bump_node_services(struct catalog *c, const char *node, uint64_t idx)
{
	json_t *svcs = json_object_get(c->services, node), *sv;
	const char *id;

	json_object_foreach(svcs, id, sv)
	{
		bump_name(c, json_string_value(json_object_get(sv, "Service")), idx);
	}
}

/* Stores obj (no indexes yet) at parent[key] unless equal to what is there.
 * Returns 1 when it changed. Steals obj. */
static int put_versioned(json_t *parent, const char *key, json_t *obj, uint64_t idx)
{
	json_t *old = json_object_get(parent, key), *cmp;
	int same = 0;

	if (old) {
		cmp = json_copy(old);
		json_object_del(cmp, "CreateIndex");
		json_object_del(cmp, "ModifyIndex");
		same = json_equal(cmp, obj);
		json_decref(cmp);
	}
	if (same) {
		json_decref(obj);
		return 0;
	}
	json_object_set_new(obj, "CreateIndex",
	                    old ? json_incref(json_object_get(old, "CreateIndex"))
	                        : json_integer((json_int_t)idx));
	json_object_set_new(obj, "ModifyIndex", json_integer((json_int_t)idx));
	json_object_set_new(parent, key, obj);
	return 1;
}

static json_t *child(json_t *parent, const char *key)
{
	json_t *o = json_object_get(parent, key);

	if (!o) {
		o = json_object();
		json_object_set_new(parent, key, o);
	}
	return o;
}

static json_t *obj_or_empty(json_t *v)
{
	return json_is_object(v) ? json_deep_copy(v) : json_object();
}

static json_t *str_or_empty(json_t *o, const char *key)
{
	const char *v = jstr(o, key);

	return json_string(v ? v : "");
}

static json_t *make_node(json_t *b, const char *node, const char *dc)
{
	return json_pack("{s:o, s:s, s:o, s:s, s:o, s:o}", "ID", str_or_empty(b, "ID"), "Node",
	                 node, "Address", str_or_empty(b, "Address"), "Datacenter", dc,
	                 "TaggedAddresses", obj_or_empty(jget(b, "TaggedAddresses")), "Meta",
	                 obj_or_empty(jget(b, "NodeMeta")));
}

json_t *make_service(json_t *sv, const char *id, const char *name)
{
	json_t *tags = jget(sv, "Tags"), *w = jget(sv, "Weights");

	if (!json_is_object(w))
		w = NULL;
	return json_pack(
	        "{s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:o, s:b}", "ID", id, "Service", name, "Tags",
	        json_is_array(tags) ? json_deep_copy(tags) : json_array(), "Address",
	        str_or_empty(sv, "Address"), "TaggedAddresses",
	        obj_or_empty(jget(sv, "TaggedAddresses")), "Meta", obj_or_empty(jget(sv, "Meta")),
	        "Port", (json_int_t)json_integer_value(jget(sv, "Port")), "Weights",
	        w ? json_deep_copy(w) : json_pack("{s:i, s:i}", "Passing", 1, "Warning", 1),
	        "EnableTagOverride", json_is_true(jget(sv, "EnableTagOverride")));
}

static int valid_status(const char *st)
{
	return !strcmp(st, "passing") || !strcmp(st, "warning") || !strcmp(st, "critical");
}

/* Checks of a register body: "Check" and every "Checks" entry, validated
 * before anything is applied. */
static int collect_checks(json_t *b, json_t *list, const char *node, const char *new_sid,
                          json_t *node_svcs, char *msg, size_t n)
{
	json_t *one = jget(b, "Check"), *many = jget(b, "Checks"), *ck;
	size_t i;

	if (json_is_object(one))
		json_array_append(list, one);
	json_array_foreach(many, i, ck)
	{
		if (json_is_object(ck))
			json_array_append(list, ck);
	}
	json_array_foreach(list, i, ck)
	{
		const char *id = jstr(ck, "CheckID"), *st = jstr(ck, "Status");
		const char *sid = jstr(ck, "ServiceID"), *cn = jstr(ck, "Node");

		if ((!id || !*id) && !(id = jstr(ck, "Name"))) {
			snprintf(msg, n, "Missing check ID");
			return 500;
		}
		if (cn && *cn && strcmp(cn, node)) {
			snprintf(msg, n, "Mismatched check node: check %s has Node %s", id, cn);
			return 500;
		}
		if (st && *st && !valid_status(st)) {
			snprintf(msg, n, "Invalid check status: \"%s\"", st);
			return 500;
		}
		if (sid && *sid && !(new_sid && !strcmp(sid, new_sid)) &&
		    !json_object_get(node_svcs, sid)) {
			snprintf(msg, n, "Unknown service ID '%s' for check ID '%s'", sid, id);
			return 500;
		}
	}
	return 0;
}

static int apply_check(struct catalog *c, const char *node, json_t *ck, uint64_t idx)
{
	const char *id = jstr(ck, "CheckID"), *st = jstr(ck, "Status");
	const char *sid = jstr(ck, "ServiceID");
	json_t *svc = NULL, *obj;

	if (!id || !*id)
		id = jstr(ck, "Name");
	if (sid && *sid)
		svc = json_object_get(json_object_get(c->services, node), sid);
	obj = json_pack("{s:s, s:s, s:o, s:s, s:o, s:o, s:s, s:o, s:o, s:o, s:o}", "Node", node,
	                "CheckID", id, "Name", str_or_empty(ck, "Name"), "Status",
	                st && *st ? st : "critical", "Notes", str_or_empty(ck, "Notes"), "Output",
	                str_or_empty(ck, "Output"), "ServiceID", svc ? sid : "", "ServiceName",
	                json_string(svc ? jstr(svc, "Service") : ""), "ServiceTags",
	                svc ? json_deep_copy(json_object_get(svc, "Tags")) : json_array(), "Type",
	                str_or_empty(ck, "Type"), "Definition",
	                obj_or_empty(jget(ck, "Definition")));
	if (!put_versioned(child(c->checks, node), id, obj, idx))
		return 0;
	if (svc)
		bump_name(c, jstr(svc, "Service"), idx);
	else
		bump_node_services(c, node, idx);
	return 1;
}

static void remove_service(struct catalog *c, const char *node, const char *sid, uint64_t idx)
{
	json_t *svcs = json_object_get(c->services, node), *sv = json_object_get(svcs, sid);
	json_t *checks = json_object_get(c->checks, node), *ck, *inst;
	const char *name, *cid;
	char key[600];
	void *tmp;

	if (!sv)
		return;
	json_incref(sv);
	name = json_string_value(json_object_get(sv, "Service"));
	svc_key(key, sizeof(key), node, sid);
	inst = json_object_get(c->byname, name);
	json_object_del(inst, key);
	if (!json_object_size(inst)) {
		json_object_del(c->svcidx, name);
		json_object_del(c->byname, name);
	} else {
		bump_name(c, name, idx);
	}
	json_object_foreach_safe(checks, tmp, cid, ck)
	{
		if (!strcmp(json_string_value(json_object_get(ck, "ServiceID")), sid))
			json_object_del(checks, cid);
	}
	json_object_del(svcs, sid);
	json_decref(sv);
	c->svc_index = idx;
}

static int apply_service(struct catalog *c, const char *node, json_t *sv, uint64_t idx)
{
	const char *name = jstr(sv, "Service"), *id = jstr(sv, "ID");
	json_t *svcs = child(c->services, node), *old, *obj;
	char key[600];

	if (!id || !*id)
		id = name;
	old = json_object_get(svcs, id);
	if (old && strcmp(jstr(old, "Service"), name))
		remove_service(c, node, id, idx); /* renamed: leaves the old name */
	obj = make_service(sv, id, name);
	if (!put_versioned(svcs, id, obj, idx))
		return 0;
	svc_key(key, sizeof(key), node, id);
	json_object_set(child(c->byname, name), key, json_object_get(svcs, id));
	bump_name(c, name, idx);
	c->svc_index = idx;
	return 1;
}

int catalog_register(struct catalog *c, json_t *b, const char *dc, char *msg, size_t n)
{
	const char *node = jstr(b, "Node"), *bdc = jstr(b, "Datacenter"),
	           *addr = jstr(b, "Address");
	json_t *sv = jget(b, "Service"), *checks, *ck;
	const char *sname = NULL, *sid = NULL;
	uint64_t idx = c->index + 1;
	int changed = 0, rc;
	size_t i;

	rc = validate_catalog_register(b, msg, n);
	if (rc)
		return rc;
	if (bdc && *bdc && strcmp(bdc, dc)) {
		snprintf(msg, n, "No path to datacenter");
		return 500;
	}
	if (!node || !*node) {
		snprintf(msg, n, "Must provide node");
		return 500;
	}
	if ((!addr || !*addr) &&
	    !(json_is_true(jget(b, "SkipNodeUpdate")) && json_object_get(c->nodes, node))) {
		snprintf(msg, n, "Must provide address if SkipNodeUpdate is not set");
		return 500;
	}
	if (json_is_object(sv)) {
		sname = jstr(sv, "Service");
		sid = jstr(sv, "ID");
		if (!sname || !*sname) {
			snprintf(msg, n, "Must provide service name with ID");
			return 500;
		}
		if (!sid || !*sid)
			sid = sname;
	} else {
		sv = NULL;
	}
	checks = json_array();
	rc = collect_checks(b, checks, node, sid, json_object_get(c->services, node), msg, n);
	if (rc) {
		json_decref(checks);
		return rc;
	}
	/* SkipNodeUpdate leaves an existing node as it is */
	if (addr && *addr &&
	    !(json_is_true(jget(b, "SkipNodeUpdate")) && json_object_get(c->nodes, node)) &&
	    put_versioned(c->nodes, node, make_node(b, node, dc), idx)) {
		changed = 1;
		bump_node_services(c, node, idx);
	}
	if (sv)
		changed |= apply_service(c, node, sv, idx);
	json_array_foreach(checks, i, ck)
	{
		changed |= apply_check(c, node, ck, idx);
	}
	json_decref(checks);
	if (changed)
		c->index = idx;
	return 0;
}

static void remove_node(struct catalog *c, const char *node, uint64_t idx)
{
	json_t *svcs = json_object_get(c->services, node), *sv;
	const char *id;
	void *tmp;

	json_object_foreach_safe(svcs, tmp, id, sv)
	{
		remove_service(c, node, id, idx);
	}
	json_object_del(c->services, node);
	json_object_del(c->checks, node);
	json_object_del(c->nodes, node);
}

int catalog_deregister(struct catalog *c, json_t *b, char *msg, size_t n)
{
	const char *node = jstr(b, "Node"), *sid = jstr(b, "ServiceID"), *cid = jstr(b, "CheckID");
	uint64_t idx = c->index + 1;
	json_t *checks, *ck;
	int changed = 0;

	if (!node || !*node) {
		snprintf(msg, n, "Must provide node");
		return 500;
	}
	checks = json_object_get(c->checks, node);
	if (sid && *sid) {
		changed = json_object_get(json_object_get(c->services, node), sid) != NULL;
		remove_service(c, node, sid, idx);
	} else if (cid && *cid) {
		ck = json_object_get(checks, cid);
		if (ck) {
			const char *csid = jstr(ck, "ServiceID");
			json_t *svc = json_object_get(json_object_get(c->services, node), csid);

			if (svc)
				bump_name(c, jstr(svc, "Service"), idx);
			else
				bump_node_services(c, node, idx);
			json_object_del(checks, cid);
			changed = 1;
		}
	} else if (json_object_get(c->nodes, node)) {
		remove_node(c, node, idx);
		changed = 1;
	}
	if (changed)
		c->index = idx;
	return 0;
}

int catalog_check_update(struct catalog *c, const char *node, const char *check_id,
                         const char *status, const char *output)
{
	json_t *ck = json_object_get(json_object_get(c->checks, node), check_id), *svc;
	uint64_t idx;

	if (!ck)
		return -1;
	if (!strcmp(jstr(ck, "Status"), status) && !strcmp(jstr(ck, "Output"), output))
		return 0;
	idx = ++c->index;
	json_object_set_new(ck, "Status", json_string(status));
	json_object_set_new(ck, "Output", json_string(output));
	json_object_set_new(ck, "ModifyIndex", json_integer((json_int_t)idx));
	svc = json_object_get(json_object_get(c->services, node), jstr(ck, "ServiceID"));
	if (svc)
		bump_name(c, jstr(svc, "Service"), idx);
	else
		bump_node_services(c, node, idx);
	return 0;
}

static void reset_level2(json_t *top)
{
	json_t *inner, *o, *one = json_integer(1);
	const char *k, *k2;

	json_object_foreach(top, k, inner)
	{
		json_object_foreach(inner, k2, o)
		{
			json_object_set(o, "CreateIndex", one);
			json_object_set(o, "ModifyIndex", one);
		}
	}
	json_decref(one);
}

/* A snapshot restore replaces the state store: every index the clients
 * hold is now ahead of the server's (docs/consulsim.md, "Index reset"). */
void catalog_index_reset(struct catalog *c)
{
	json_t *o, *one = json_integer(1);
	const char *k;

	json_object_foreach(c->nodes, k, o)
	{
		json_object_set(o, "CreateIndex", one);
		json_object_set(o, "ModifyIndex", one);
	}
	reset_level2(c->services);
	reset_level2(c->checks);
	json_object_foreach(c->svcidx, k, o)
	{
		json_object_set(c->svcidx, k, one);
	}
	json_decref(one);
	c->index = 1;
	c->svc_index = 1;
}

json_t *catalog_dump(struct catalog *c)
{
	return json_pack("{s:I, s:I, s:O, s:O, s:O}", "index", (json_int_t)c->index, "svcIndex",
	                 (json_int_t)c->svc_index, "nodes", c->nodes, "services", c->services,
	                 "checks", c->checks);
}

static uint64_t imax(uint64_t a, json_t *o)
{
	uint64_t v = (uint64_t)json_integer_value(json_object_get(o, "ModifyIndex"));

	return v > a ? v : a;
}

/* Rebuilds byname and svcidx from the loaded services. */
static void rebuild(struct catalog *c)
{
	json_t *svcs, *sv, *cur;
	const char *node, *id;
	char key[600];

	json_object_foreach(c->services, node, svcs)
	{
		json_object_foreach(svcs, id, sv)
		{
			const char *name = jstr(sv, "Service");
			uint64_t m;

			svc_key(key, sizeof(key), node, id);
			json_object_set(child(c->byname, name), key, sv);
			cur = json_object_get(c->svcidx, name);
			m = imax(imax((uint64_t)json_integer_value(cur), sv),
			         json_object_get(c->nodes, node));
			bump_name(c, name, m);
		}
	}
}

int catalog_load(struct catalog *c, json_t *d, char *msg, size_t n)
{
	json_t *nodes = json_object_get(d, "nodes"), *svcs = json_object_get(d, "services");
	json_t *checks = json_object_get(d, "checks");
	json_int_t idx = json_integer_value(json_object_get(d, "index"));

	if (!json_is_object(nodes) || !json_is_object(svcs) || !json_is_object(checks) || idx < 1) {
		snprintf(msg, n, "state: expected {index >= 1, nodes, services, checks}");
		return -1;
	}
	json_object_update(c->nodes, nodes);
	json_object_update(c->services, svcs);
	json_object_update(c->checks, checks);
	c->index = (uint64_t)idx;
	c->svc_index = (uint64_t)json_integer_value(json_object_get(d, "svcIndex"));
	if (c->svc_index < 1 || c->svc_index > c->index)
		c->svc_index = c->index;
	rebuild(c);
	return 0;
}
