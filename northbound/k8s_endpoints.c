/* discovery.k8s.io/v1 EndpointSlice and v1 Endpoints -> the endpoints and
 * target ports of the weft Service they belong to (docs/northbound.md).
 * They run after the Services (phase 1) and add to the Service's document;
 * a slice whose Service is not in the import is refused, since a weft
 * Service needs its ports. */
#include <string.h>

#include "nb_common.h"

static const weft_field_rule slice_rows[] = {
        NB_META_ROWS,
        {"metadata.labels", T_,
         "kubernetes.io/service-name picks the Service; other labels (not *kubernetes.io/*) "
         "become the labels of every endpoint, for subsets"},
        {"metadata.labels.*", T_, "see metadata.labels"},
        {"addressType", T_, "IPv4 and IPv6; FQDN is refused"},
        {"ports", T_, "the Service's ports[].targetPort, matched by port name"},
        {"ports[].name", T_, "matched with the Service port's name"},
        {"ports[].port", T_, "ports[].targetPort"},
        {"ports[].protocol", T_, "TCP only"},
        {"ports[].appProtocol", I_, "the Service's port decides the protocol"},
        {"endpoints", T_, "endpoints"},
        {"endpoints[].addresses", T_,
         "endpoints[].address (the first: the others are the same pod)"},
        {"endpoints[].conditions", T_, "ready: false leaves the endpoint out"},
        {"endpoints[].conditions.ready", T_, "false leaves the endpoint out"},
        {"endpoints[].conditions.serving", I_, "ready decides"},
        {"endpoints[].conditions.terminating", I_, "ready decides"},
        {"endpoints[].zone", T_, "endpoints[].zone"},
        {"endpoints[].hostname", I_, "weft routes to addresses"},
        {"endpoints[].nodeName", I_, "pod placement, set by Kubernetes"},
        {"endpoints[].targetRef", I_, "the pod behind the address, set by Kubernetes"},
        {"endpoints[].hints", W_, "topology hints: weft routes by zone"},
        {"endpoints[].deprecatedTopology", I_, "superseded by zone"},
};

static const weft_field_rule endpoints_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"subsets", T_, "endpoints of the Service of the same name"},
        {"subsets[].addresses", T_, "endpoints[].address"},
        {"subsets[].addresses[].ip", T_, "endpoints[].address"},
        {"subsets[].addresses[].hostname", I_, "weft routes to addresses"},
        {"subsets[].addresses[].nodeName", I_, "pod placement, set by Kubernetes"},
        {"subsets[].addresses[].targetRef", I_, "the pod behind the address"},
        {"subsets[].notReadyAddresses", T_,
         "left out (kept when the Service publishes "
         "not-ready addresses)"},
        {"subsets[].notReadyAddresses[].ip", T_, "endpoints[].address"},
        {"subsets[].notReadyAddresses[].hostname", I_, "weft routes to addresses"},
        {"subsets[].notReadyAddresses[].nodeName", I_, "pod placement"},
        {"subsets[].notReadyAddresses[].targetRef", I_, "the pod behind the address"},
        {"subsets[].ports", T_, "the Service's ports[].targetPort, matched by name"},
        {"subsets[].ports[].name", T_, "matched with the Service port's name"},
        {"subsets[].ports[].port", T_, "ports[].targetPort"},
        {"subsets[].ports[].protocol", T_, "TCP only"},
        {"subsets[].ports[].appProtocol", I_, "the Service's port decides the protocol"},
};

/* The Service's publishNotReadyAddresses, read from its source document. */
static int publishes_not_ready(weft_xlate *x, const char *ns, const char *name)
{
	const weft_xsrc *s = nb_find_src(x, "", "Service", ns, name);
	const weft_node *v =
	        s ? weft_node_get(weft_node_get(s->root, "spec"), "publishNotReadyAddresses")
	          : NULL;
	return v && v->kind == WEFT_NODE_SCALAR && !strcmp(v->str, "true");
}

/* Sets the targetPort of the Service port named name (or the only port) to
 * number; a different number already set is a conflict. */
static void resolve_port(weft_xlate *x, const weft_xsrc *src, json_t *svc, const char *name,
                         long long number, const weft_node *at, const char *path)
{
	json_t *ports = json_object_get(svc, "ports"), *p, *match = NULL;
	size_t i;
	json_array_foreach(ports, i, p)
	{
		const char *pn = json_string_value(json_object_get(p, "name"));
		if ((name && *name && pn && !strcmp(pn, name)) ||
		    ((!name || !*name) && json_array_size(ports) == 1))
			match = p;
	}
	if (!match) {
		nb_refuse(x, src, at, path, "the Service has no port named '%s'", name ? name : "");
		return;
	}
	json_t *tp = json_object_get(match, "targetPort");
	if (tp && json_integer_value(tp) != number)
		nb_refuse(x, src, at, path,
		          "port '%s' is %lld here but targetPort %lld in the Service or another "
		          "slice",
		          name ? name : "", number, (long long)json_integer_value(tp));
	else if (!tp)
		json_object_set_new(match, "targetPort", json_integer(number));
}

static void add_endpoint(json_t *svc, const char *addr, json_t *labels, const char *zone)
{
	json_t *eps = json_object_get(svc, "endpoints"), *e;
	size_t i;
	json_array_foreach(eps, i, e) if (!strcmp(json_string_value(json_object_get(e, "address")),
	                                          addr)) return;
	e = json_pack("{s:s}", "address", addr);
	if (labels && json_object_size(labels))
		json_object_set(e, "labels", labels);
	if (zone)
		json_object_set_new(e, "zone", json_string(zone));
	nb_append(svc, "endpoints", e);
}

static void read_ports(weft_xlate *x, const weft_xsrc *src, json_t *svc, const weft_node *ports,
                       const char *base)
{
	char path[160];
	for (size_t i = 0; ports && i < ports->count; i++) {
		const weft_node *p = ports->items[i];
		long long number;
		if (p->kind != WEFT_NODE_MAP)
			continue;
		const char *name = nb_str(x, src, p, "name",
		                          nb_path(path, sizeof(path), "%s[%zu].name", base, i));
		const char *proto =
		        nb_str(x, src, p, "protocol",
		               nb_path(path, sizeof(path), "%s[%zu].protocol", base, i));
		if (proto && strcmp(proto, "TCP")) {
			nb_refuse(x, src, nb_at(p, "protocol"), path, "protocol %s: TCP only",
			          proto);
			continue;
		}
		if (nb_int(x, src, p, "port", nb_path(path, sizeof(path), "%s[%zu].port", base, i),
		           1, 65535, &number) == 1)
			resolve_port(x, src, svc, name, number, nb_at(p, "port"), path);
	}
}

/* The slice's own labels minus Kubernetes' bookkeeping labels. */
static json_t *slice_labels(weft_xlate *x, const weft_xsrc *src, const weft_node *labels)
{
	json_t *all = nb_labels(x, src, labels, "metadata.labels");
	json_t *out = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(all, k, v) if (!strstr(k, "kubernetes.io/")) json_object_set(out, k, v);
	json_decref(all);
	return out;
}

static int translate_slice(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *labels = weft_node_get(weft_node_get(src->root, "metadata"), "labels");
	const char *svc_name = nb_str(x, src, labels, "kubernetes.io/service-name",
	                              "metadata.labels.kubernetes.io/service-name");
	if (!svc_name) {
		nb_refuse(x, src, labels ? labels : src->root, "metadata.labels",
		          "label kubernetes.io/service-name is missing: which Service is this "
		          "slice for?");
		return 0;
	}
	json_t *svc = nb_out_find(x, "Service", src->ns, svc_name);
	if (!svc) {
		nb_refuse(x, src, weft_node_get(labels, "kubernetes.io/service-name"),
		          "metadata.labels.kubernetes.io/service-name",
		          "Service %s/%s is not in the import (a weft Service needs its ports)",
		          src->ns, svc_name);
		return 0;
	}
	nb_out_spec(x, src, "Service", src->ns, svc_name);
	const char *at = nb_str(x, src, src->root, "addressType", "addressType");
	if (at && strcmp(at, "IPv4") && strcmp(at, "IPv6")) {
		nb_refuse(x, src, nb_at(src->root, "addressType"), "addressType",
		          "%s endpoints: weft endpoints are IP addresses", at);
		return 0;
	}
	read_ports(x, src, svc, nb_seq(x, src, src->root, "ports", "ports"), "ports");
	json_t *elabels = slice_labels(x, src, labels);
	int keep_not_ready = publishes_not_ready(x, src->ns, svc_name);
	const weft_node *eps = nb_seq(x, src, src->root, "endpoints", "endpoints");
	char path[128];
	for (size_t i = 0; eps && i < eps->count; i++) {
		const weft_node *e = eps->items[i];
		if (e->kind != WEFT_NODE_MAP)
			continue;
		int ready = 1;
		const weft_node *cond =
		        nb_map(x, src, e, "conditions",
		               nb_path(path, sizeof(path), "endpoints[%zu].conditions", i));
		if (cond)
			nb_bool(x, src, cond, "ready",
			        nb_path(path, sizeof(path), "endpoints[%zu].conditions.ready", i),
			        &ready);
		const weft_node *addrs =
		        nb_seq(x, src, e, "addresses",
		               nb_path(path, sizeof(path), "endpoints[%zu].addresses", i));
		if (!addrs || addrs->count == 0 || addrs->items[0]->kind != WEFT_NODE_SCALAR) {
			nb_refuse(x, src, e, path, "an endpoint needs addresses");
			continue;
		}
		const char *zone = nb_str(x, src, e, "zone",
		                          nb_path(path, sizeof(path), "endpoints[%zu].zone", i));
		if (ready || keep_not_ready)
			add_endpoint(svc, addrs->items[0]->str, elabels, zone);
	}
	json_decref(elabels);
	return 0;
}

static void endpoints_list(weft_xlate *x, const weft_xsrc *src, json_t *svc, const weft_node *list,
                           const char *base)
{
	char path[160];
	for (size_t j = 0; list && j < list->count; j++) {
		const char *ip = nb_str(x, src, list->items[j], "ip",
		                        nb_path(path, sizeof(path), "%s[%zu].ip", base, j));
		if (ip)
			add_endpoint(svc, ip, NULL, NULL);
		else
			nb_refuse(x, src, list->items[j], path, "required field is missing");
	}
}

static int translate_endpoints(weft_xlate *x, const weft_xsrc *src)
{
	json_t *svc = nb_out_find(x, "Service", src->ns, src->name);
	if (!svc) {
		nb_refuse(x, src, nb_at(src->root, "metadata"), "metadata.name",
		          "Service %s/%s is not in the import (a weft Service needs its ports)",
		          src->ns, src->name);
		return 0;
	}
	nb_out_spec(x, src, "Service", src->ns, src->name);
	int keep_not_ready = publishes_not_ready(x, src->ns, src->name);
	const weft_node *subsets = nb_seq(x, src, src->root, "subsets", "subsets");
	char path[128], base[128];
	for (size_t i = 0; subsets && i < subsets->count; i++) {
		const weft_node *s = subsets->items[i];
		read_ports(x, src, svc,
		           nb_seq(x, src, s, "ports",
		                  nb_path(path, sizeof(path), "subsets[%zu].ports", i)),
		           nb_path(base, sizeof(base), "subsets[%zu].ports", i));
		endpoints_list(x, src, svc,
		               nb_seq(x, src, s, "addresses",
		                      nb_path(path, sizeof(path), "subsets[%zu].addresses", i)),
		               nb_path(base, sizeof(base), "subsets[%zu].addresses", i));
		const weft_node *nr =
		        nb_seq(x, src, s, "notReadyAddresses",
		               nb_path(path, sizeof(path), "subsets[%zu].notReadyAddresses", i));
		if (keep_not_ready)
			endpoints_list(
			        x, src, svc, nr,
			        nb_path(base, sizeof(base), "subsets[%zu].notReadyAddresses", i));
	}
	return 0;
}

static const char *const v1[] = {"v1", NULL};

const weft_translator nb_k8s_endpointslice = {
        .group = "discovery.k8s.io",
        .versions = v1,
        .kind = "EndpointSlice",
        .phase = 1,
        .fields = slice_rows,
        .n_fields = NB_ROWS(slice_rows),
        .translate = translate_slice,
};

const weft_translator nb_k8s_endpoints = {
        .group = "",
        .versions = v1,
        .kind = "Endpoints",
        .phase = 1,
        .fields = endpoints_rows,
        .n_fields = NB_ROWS(endpoints_rows),
        .translate = translate_endpoints,
};
