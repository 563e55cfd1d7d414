/* Decodes Consul's /v1/health/service/NAME answer (an array of
 * {Node, Service, Checks}) into weft endpoints, following Consul's rules
 * (docs/registries.md, "Consul"): an empty Service.Address means the
 * node's Address; Service.Meta and key=value tags become labels (Meta wins
 * on the same key); TaggedAddresses (the service's, else the node's) are
 * mapped to planes by the Registry's spec.planes; every tag the Service
 * asks for must be carried (the agent filters with ?tag= too). */
#include "consul_parse.h"

#include <stdlib.h>
#include <string.h>

static int label_cmp(const void *a, const void *b)
{
	return strcmp(((const weft_label *)a)->key, ((const weft_label *)b)->key);
}

/* Sorted, one value per key; Meta entries come first so they win. */
static void labels_of(json_t *svc, json_t *tagstore, weft_labels *out)
{
	json_t *meta = json_object_get(svc, "Meta"), *tags = json_object_get(svc, "Tags");
	size_t cap = json_object_size(meta) + json_array_size(tags), n = 0, i;
	out->items = cap ? calloc(cap, sizeof(*out->items)) : NULL;
	out->count = 0;
	if (cap && !out->items)
		return;
	const char *k;
	json_t *v;
	json_object_foreach(meta, k, v)
	{
		if (json_is_string(v))
			out->items[n++] = (weft_label){k, json_string_value(v)};
	}
	json_array_foreach(tags, i, v)
	{
		const char *t = json_string_value(v), *eq = t ? strchr(t, '=') : NULL;
		if (!eq || eq == t)
			continue;
		/* the key needs its own NUL: keep the copy alive in tagstore */
		json_t *key = json_stringn(t, (size_t)(eq - t));
		json_array_append_new(tagstore, key);
		out->items[n++] = (weft_label){json_string_value(key), eq + 1};
	}
	/* stable order: mergesort is not in libc; insertion keeps Meta first */
	for (i = 1; i < n; i++)
		for (size_t j = i; j > 0 && label_cmp(&out->items[j - 1], &out->items[j]) > 0;
		     j--) {
			weft_label t = out->items[j];
			out->items[j] = out->items[j - 1];
			out->items[j - 1] = t;
		}
	size_t w = 0;
	for (i = 0; i < n; i++)
		if (!w || strcmp(out->items[w - 1].key, out->items[i].key))
			out->items[w++] = out->items[i];
	out->count = w;
}

static const char *tagged_address(json_t *svc, json_t *node, const char *name)
{
	json_t *t = json_object_get(json_object_get(svc, "TaggedAddresses"), name);
	const char *a = json_string_value(json_object_get(t, "Address"));
	if (a && *a)
		return a;
	a = json_string_value(json_object_get(json_object_get(node, "TaggedAddresses"), name));
	return a && *a ? a : NULL;
}

/* Plane "default" replaces the address; the others fill addresses (sorted
 * by plane, as weft_endpoint wants). */
static void planes_of(weft_endpoint *ep, json_t *svc, json_t *node, const weft_labels *planes)
{
	ep->addresses.items =
	        planes && planes->count ? calloc(planes->count, sizeof(weft_label)) : NULL;
	ep->addresses.count = 0;
	for (size_t i = 0; planes && i < planes->count; i++) {
		const char *a = tagged_address(svc, node, planes->items[i].key);
		if (!a)
			continue;
		if (!strcmp(planes->items[i].value, "default"))
			ep->address = a;
		else if (ep->addresses.items)
			ep->addresses.items[ep->addresses.count++] =
			        (weft_label){planes->items[i].value, a};
	}
	if (ep->addresses.count > 1)
		qsort(ep->addresses.items, ep->addresses.count, sizeof(weft_label), label_cmp);
}

static int has_tags(json_t *svc, const weft_strs *want)
{
	json_t *tags = json_object_get(svc, "Tags"), *v;
	for (size_t i = 0; want && i < want->count; i++) {
		size_t j;
		int found = 0;
		json_array_foreach(tags, j, v) found |=
		        json_is_string(v) && !strcmp(json_string_value(v), want->items[i]);
		if (!found)
			return 0;
	}
	return 1;
}

static int decode_one(json_t *entry, const weft_registry_query *q, json_t *tagstore,
                      weft_endpoint *ep)
{
	json_t *node = json_object_get(entry, "Node"), *svc = json_object_get(entry, "Service");
	if (!json_is_object(node) || !json_is_object(svc))
		return -1;
	if (!has_tags(svc, q->tags))
		return 1;
	const char *addr = json_string_value(json_object_get(svc, "Address"));
	if (!addr || !*addr)
		addr = json_string_value(json_object_get(node, "Address"));
	json_int_t port = json_integer_value(json_object_get(svc, "Port"));
	if (!addr || !*addr || port < 1 || port > 65535)
		return 1; /* nothing to send traffic to */
	memset(ep, 0, sizeof(*ep));
	ep->address = addr;
	ep->port = (int)port;
	/* Consul's weights: Warning while any check warns (passingOnly false) */
	json_t *ck;
	size_t i;
	const char *wk = "Passing";
	json_array_foreach(json_object_get(entry, "Checks"), i, ck)
	{
		const char *st = json_string_value(json_object_get(ck, "Status"));
		if (st && !strcmp(st, "warning"))
			wk = "Warning";
	}
	json_int_t w = json_integer_value(json_object_get(json_object_get(svc, "Weights"), wk));
	ep->weight = w < 1 ? 1 : w > 128 ? 128 : (int)w;
	labels_of(svc, tagstore, &ep->labels);
	planes_of(ep, svc, node, q->planes);
	return 0;
}

int consul_parse_health(const char *body, const weft_registry_query *q, struct consul_eps *out,
                        char *why, size_t why_len)
{
	json_error_t je;
	memset(out, 0, sizeof(*out));
	out->doc = json_loads(body, JSON_ALLOW_NUL, &je);
	if (!json_is_array(out->doc)) {
		snprintf(why, why_len, "health answer is not a JSON array: %s",
		         out->doc ? "other JSON" : je.text);
		json_decref(out->doc);
		out->doc = NULL;
		return -1;
	}
	json_t *tagstore = json_array(), *entry;
	json_array_append_new(out->doc, tagstore); /* freed with the document */
	size_t n = json_array_size(out->doc) - 1, i;
	out->items = n ? calloc(n, sizeof(*out->items)) : NULL;
	json_array_foreach(out->doc, i, entry)
	{
		if (i >= n || !out->items)
			break;
		if (decode_one(entry, q, tagstore, &out->items[out->count]) == 0)
			out->count++;
	}
	return 0;
}

void consul_eps_free(struct consul_eps *e)
{
	for (size_t i = 0; i < e->count; i++) {
		free(e->items[i].labels.items);
		free(e->items[i].addresses.items);
	}
	free(e->items);
	json_decref(e->doc);
	memset(e, 0, sizeof(*e));
}
