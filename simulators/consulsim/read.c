/* consulsim: the answers of the catalog and health read endpoints.
 *
 * Shapes follow Consul's API docs: /v1/catalog/service/NAME answers flat
 * ServiceNode objects (Node fields plus Service* fields), /v1/health/service
 * answers {Node, Service, Checks}. Instances are ordered by node then
 * service ID, as Consul's state store iterates them. Tags are ANDed (every
 * ?tag= must be present); ?filter= runs on the rendered entry, so its
 * selectors are the answer's own field names. docs/consulsim.md. */
#include "consulsim.h"

#include <stdlib.h>
#include <string.h>

static int has_tags(json_t *sv, const char *const *tags)
{
	json_t *have = json_object_get(sv, "Tags"), *t;
	size_t i;

	for (; tags && *tags; tags++) {
		int found = 0;

		json_array_foreach(have, i, t)
		{
			found |= !strcmp(json_string_value(t), *tags);
		}
		if (!found)
			return 0;
	}
	return 1;
}

struct hit {
	const char *key; /* "node\x1fid" */
	json_t *sv;
};

static int cmp_hit(const void *a, const void *b)
{
	return strcmp(((const struct hit *)a)->key, ((const struct hit *)b)->key);
}

/* The instances of name carrying every tag, ordered by node then ID.
 * Returns a malloc'd array (*n entries) of borrowed services. */
static struct hit *instances(struct catalog *c, const char *name, const char *const *tags,
                             size_t *n)
{
	json_t *inst = json_object_get(c->byname, name), *sv;
	struct hit *out;
	const char *key;

	*n = 0;
	out = calloc(json_object_size(inst) + 1, sizeof(*out));
	if (!out)
		return NULL;
	json_object_foreach(inst, key, sv)
	{
		if (has_tags(sv, tags)) {
			out[*n].key = key;
			out[(*n)++].sv = sv;
		}
	}
	qsort(out, *n, sizeof(*out), cmp_hit);
	return out;
}

static void node_name(const struct hit *h, char *buf, size_t n)
{
	const char *sep = strchr(h->key, '\x1f');
	size_t len = sep ? (size_t)(sep - h->key) : strlen(h->key);

	if (len >= n)
		len = n - 1;
	memcpy(buf, h->key, len);
	buf[len] = '\0';
}

static json_t *catalog_entry(json_t *node, json_t *sv)
{
	json_t *e = json_pack("{s:O, s:O, s:O, s:O, s:O, s:O, s:s}", "ID",
	                      json_object_get(node, "ID"), "Node", json_object_get(node, "Node"),
	                      "Address", json_object_get(node, "Address"), "Datacenter",
	                      json_object_get(node, "Datacenter"), "TaggedAddresses",
	                      json_object_get(node, "TaggedAddresses"), "NodeMeta",
	                      json_object_get(node, "Meta"), "ServiceKind", "");
	static const char *const map[][2] = {
	        {"ServiceID", "ID"},
	        {"ServiceName", "Service"},
	        {"ServiceTags", "Tags"},
	        {"ServiceAddress", "Address"},
	        {"ServiceTaggedAddresses", "TaggedAddresses"},
	        {"ServiceWeights", "Weights"},
	        {"ServiceMeta", "Meta"},
	        {"ServicePort", "Port"},
	        {"ServiceEnableTagOverride", "EnableTagOverride"},
	        {"CreateIndex", "CreateIndex"},
	        {"ModifyIndex", "ModifyIndex"},
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		json_object_set_new(e, map[i][0], json_deep_copy(json_object_get(sv, map[i][1])));
	json_object_set_new(e, "ServiceProxy", json_object());
	json_object_set_new(e, "ServiceConnect", json_object());
	return e;
}

json_t *read_catalog_service(struct catalog *c, const char *name, const char *const *tags,
                             const struct filter *flt)
{
	json_t *out = json_array(), *node, *e;
	struct hit *hits;
	char nn[512];
	size_t n, i;

	hits = instances(c, name, tags, &n);
	for (i = 0; hits && i < n; i++) {
		node_name(&hits[i], nn, sizeof(nn));
		node = json_object_get(c->nodes, nn);
		if (!node)
			continue;
		e = catalog_entry(node, hits[i].sv);
		if (flt && !filter_match(flt, e))
			json_decref(e);
		else
			json_array_append_new(out, e);
	}
	free(hits);
	return out;
}

/* Node-level checks plus the instance's own, each naming the service as
 * it is now (a re-registration may have changed its tags). */
static json_t *entry_checks(struct catalog *c, const char *node, json_t *sv, int *all_passing)
{
	json_t *checks = json_object_get(c->checks, node), *ck, *out = json_array(), *o;
	const char *id = json_string_value(json_object_get(sv, "ID")), *cid, *sid;

	*all_passing = 1;
	json_object_foreach(checks, cid, ck)
	{
		sid = json_string_value(json_object_get(ck, "ServiceID"));
		if (*sid && strcmp(sid, id))
			continue;
		o = json_deep_copy(ck);
		if (*sid) {
			json_object_set(o, "ServiceName", json_object_get(sv, "Service"));
			json_object_set_new(o, "ServiceTags",
			                    json_deep_copy(json_object_get(sv, "Tags")));
		}
		if (strcmp(json_string_value(json_object_get(ck, "Status")), "passing"))
			*all_passing = 0;
		json_array_append_new(out, o);
	}
	return out;
}

static void add_tags(json_t *tags, json_t *sv)
{
	json_t *tag, *t;
	size_t i, j;

	json_array_foreach(json_object_get(sv, "Tags"), i, tag)
	{
		int seen = 0;

		json_array_foreach(tags, j, t)
		{
			seen |= json_equal(t, tag);
		}
		if (!seen)
			json_array_append(tags, tag);
	}
}

/* {name: [tags]}; with a filter, a service is listed when one of its
 * instances (as a catalog ServiceNode entry) matches, with the tags of the
 * matching instances. */
json_t *read_catalog_services(struct catalog *c, const struct filter *flt)
{
	json_t *out = json_object(), *inst, *sv, *node, *e;
	const char *name, *key;
	char nn[512];

	json_object_foreach(c->byname, name, inst)
	{
		json_t *tags = json_array();
		int any = 0;

		json_object_foreach(inst, key, sv)
		{
			struct hit h = {key, sv};

			if (flt) {
				node_name(&h, nn, sizeof(nn));
				node = json_object_get(c->nodes, nn);
				if (!node)
					continue;
				e = catalog_entry(node, sv);
				if (!filter_match(flt, e)) {
					json_decref(e);
					continue;
				}
				json_decref(e);
			}
			any = 1;
			add_tags(tags, sv);
		}
		if (any)
			json_object_set_new(out, name, tags);
		else
			json_decref(tags);
	}
	return out;
}

json_t *read_health_service(struct catalog *c, const char *name, const char *const *tags,
                            int passing, const struct filter *flt)
{
	json_t *out = json_array(), *node, *e, *checks;
	struct hit *hits;
	char nn[512];
	size_t n, i;
	int ok;

	hits = instances(c, name, tags, &n);
	for (i = 0; hits && i < n; i++) {
		node_name(&hits[i], nn, sizeof(nn));
		node = json_object_get(c->nodes, nn);
		if (!node)
			continue;
		checks = entry_checks(c, nn, hits[i].sv, &ok);
		if (passing && !ok) {
			json_decref(checks);
			continue;
		}
		e = json_pack("{s:o, s:o, s:o}", "Node", json_deep_copy(node), "Service",
		              json_deep_copy(hits[i].sv), "Checks", checks);
		if (flt && !filter_match(flt, e))
			json_decref(e);
		else
			json_array_append_new(out, e);
	}
	free(hits);
	return out;
}
