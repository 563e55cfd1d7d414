/* networking.istio.io ServiceEntry and Sidecar (docs/northbound.md). A
 * ServiceEntry with static resolution becomes a weft Service named after
 * the entry, with its ports and endpoints; VirtualService destinations
 * that name one of its hosts go to that Service. A Sidecar's egress hosts
 * become the `upstreams` of the Services whose pods it selects. */
#include <stdlib.h>
#include <string.h>

#include "nb_common.h"

int nb_istio_export_to(weft_xlate *x, const weft_xsrc *src, const weft_node *spec);

static const weft_field_rule se_rows[] = {
        NB_META_ROWS,
        {"metadata.labels", T_, "metadata.labels"},
        {"metadata.labels.*", T_, "metadata.labels"},
        {"spec", T_, "spec"},
        {"spec.hosts", T_, "the names VirtualService destinations use for this Service"},
        {"spec.addresses", W_, "virtual IPs: weft routes by service name"},
        {"spec.ports", T_, "ports"},
        {"spec.ports[].number", T_, "ports[].port"},
        {"spec.ports[].protocol", T_,
         "ports[].protocol: HTTP, HTTP2, GRPC, TCP, TLS/HTTPS/MONGO "
         "(tcp)"},
        {"spec.ports[].name", T_, "ports[].name"},
        {"spec.ports[].targetPort", T_, "ports[].targetPort"},
        {"spec.location", T_,
         "MESH_EXTERNAL and MESH_INTERNAL alike (mTLS comes from "
         "TrafficPolicy and PeerAuthentication)"},
        {"spec.resolution", T_, "STATIC only: weft endpoints are IP addresses"},
        {"spec.endpoints", T_, "endpoints"},
        {"spec.endpoints[].address", T_, "endpoints[].address"},
        {"spec.endpoints[].ports", T_, "endpoints[].port (single-port entries)"},
        {"spec.endpoints[].ports.*", T_, "endpoints[].port"},
        {"spec.endpoints[].labels", T_, "endpoints[].labels"},
        {"spec.endpoints[].labels.*", T_, "endpoints[].labels"},
        {"spec.endpoints[].locality", T_, "endpoints[].zone"},
        {"spec.endpoints[].weight", T_, "endpoints[].weight (1-128)"},
        {"spec.endpoints[].network", R_, "use endpoints[].addresses planes in weft"},
        {"spec.endpoints[].serviceAccount", I_, "weft identities are per Service"},
        {"spec.workloadSelector", R_, "weft endpoints are listed, not selected from pods"},
        {"spec.exportTo", T_, "[\"*\"] only"},
        {"spec.subjectAltNames", R_, "weft has no SAN check list"},
};

static const weft_field_rule sidecar_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.workloadSelector", T_,
         "the Services whose selector includes these labels "
         "(absent: every Service of the namespace)"},
        {"spec.workloadSelector.labels", T_, "see spec.workloadSelector"},
        {"spec.workloadSelector.labels.*", T_, "see spec.workloadSelector"},
        {"spec.egress", T_, "upstreams of the selected Services"},
        {"spec.egress[].hosts", T_,
         "upstreams: NS/NAME or NS/NAME.NS.svc.cluster.local of a Service, NS/HOST or NS/NAME "
         "of a ServiceEntry, NS/* (all of NS in the import), ./ (own namespace), */* (no "
         "restriction)"},
        {"spec.egress[].port", R_, "weft upstreams are whole services"},
        {"spec.egress[].bind", R_, "weft sidecars bind their own listeners"},
        {"spec.egress[].captureMode", R_, "weft has no capture modes"},
        {"spec.ingress", R_, "weft sidecars take inbound ports from the Service"},
        {"spec.outboundTrafficPolicy", R_, "weft sidecars only reach known services"},
        {"spec.inboundConnectionPool", R_, "write a TrafficPolicy"},
};

static void se_ports(weft_xlate *x, const weft_xsrc *src, const weft_node *ports, json_t *out)
{
	static const char *const protos[][2] = {
	        {"HTTP", "http"}, {"HTTP2", "http2"}, {"GRPC", "grpc"}, {"TCP", "tcp"},
	        {"TLS", "tcp"},   {"HTTPS", "tcp"},   {"MONGO", "tcp"}};
	char p[128];
	json_t *a = json_array();
	for (size_t i = 0; ports && i < ports->count; i++) {
		const weft_node *n = ports->items[i];
		json_t *o = json_object();
		long long num;
		const char *name =
		        nb_str(x, src, n, "name", nb_path(p, sizeof(p), "spec.ports[%zu].name", i));
		if (name)
			json_object_set_new(o, "name", json_string(name));
		if (nb_int(x, src, n, "number", nb_path(p, sizeof(p), "spec.ports[%zu].number", i),
		           1, 65535, &num) == 1)
			json_object_set_new(o, "port", json_integer(num));
		else
			nb_refuse(x, src, n, p, "a port needs its number");
		const char *proto = nb_str(x, src, n, "protocol",
		                           nb_path(p, sizeof(p), "spec.ports[%zu].protocol", i));
		size_t k;
		for (k = 0; proto && k < NB_ROWS(protos) && strcmp(protos[k][0], proto); k++)
			;
		if (proto && k == NB_ROWS(protos))
			nb_refuse(x, src, nb_at(n, "protocol"), p,
			          "protocol %s has no weft protocol", proto);
		else if (proto)
			json_object_set_new(o, "protocol", json_string(protos[k][1]));
		if (nb_int(x, src, n, "targetPort",
		           nb_path(p, sizeof(p), "spec.ports[%zu].targetPort", i), 1, 65535,
		           &num) == 1)
			json_object_set_new(o, "targetPort", json_integer(num));
		json_array_append_new(a, o);
	}
	json_object_set_new(out, "ports", a);
}

static void se_endpoints(weft_xlate *x, const weft_xsrc *src, const weft_node *eps, json_t *out,
                         size_t n_ports)
{
	char p[128];
	for (size_t i = 0; eps && i < eps->count; i++) {
		const weft_node *e = eps->items[i];
		const char *addr = nb_str(x, src, e, "address",
		                          nb_path(p, sizeof(p), "spec.endpoints[%zu].address", i));
		if (!addr) {
			nb_refuse(x, src, e, p, "an endpoint needs an address");
			continue;
		}
		json_t *o = json_pack("{s:s}", "address", addr);
		const weft_node *ports = nb_map(
		        x, src, e, "ports", nb_path(p, sizeof(p), "spec.endpoints[%zu].ports", i));
		if (ports && ports->count && n_ports != 1)
			nb_refuse(x, src, ports, p,
			          "per-endpoint ports need a single-port entry in weft");
		else if (ports && ports->count == 1) {
			long long port;
			if (nb_int(x, src, ports, ports->pairs[0].key->str, p, 1, 65535, &port) ==
			    1)
				json_object_set_new(o, "port", json_integer(port));
		}
		json_t *labels = nb_labels(x, src, weft_node_get(e, "labels"),
		                           nb_path(p, sizeof(p), "spec.endpoints[%zu].labels", i));
		if (labels)
			json_object_set_new(o, "labels", labels);
		long long w;
		if (nb_int(x, src, e, "weight",
		           nb_path(p, sizeof(p), "spec.endpoints[%zu].weight", i), 1, 128, &w) == 1)
			json_object_set_new(o, "weight", json_integer(w));
		const char *loc = nb_str(x, src, e, "locality",
		                         nb_path(p, sizeof(p), "spec.endpoints[%zu].locality", i));
		if (loc)
			json_object_set_new(o, "zone", json_string(loc));
		nb_append(out, "endpoints", o);
	}
}

static int translate_se(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	if (!spec || !nb_seq(x, src, spec, "hosts", "spec.hosts")) {
		nb_refuse(x, src, spec ? spec : src->root, "spec.hosts",
		          "required field is missing");
		return 0;
	}
	nb_istio_export_to(x, src, spec);
	const char *res = nb_str(x, src, spec, "resolution", "spec.resolution");
	if (!res || strcmp(res, "STATIC")) {
		nb_refuse(x, src, nb_at(spec, "resolution"), "spec.resolution",
		          "%s: weft Services have IP endpoints (resolution STATIC)",
		          res ? res : "NONE");
		return 0;
	}
	const char *loc = nb_str(x, src, spec, "location", "spec.location");
	if (loc && strcmp(loc, "MESH_EXTERNAL") && strcmp(loc, "MESH_INTERNAL"))
		nb_refuse(x, src, nb_at(spec, "location"), "spec.location", "unknown location '%s'",
		          loc);
	json_t *out = nb_out_spec(x, src, "Service", src->ns, src->name);
	if (!out)
		return -1;
	json_t *labels =
	        nb_labels(x, src, weft_node_get(weft_node_get(src->root, "metadata"), "labels"),
	                  "metadata.labels");
	if (labels)
		json_object_set_new(nb_out_meta(x, "Service", src->ns, src->name), "labels",
		                    labels);
	const weft_node *ports = nb_seq(x, src, spec, "ports", "spec.ports");
	se_ports(x, src, ports, out);
	se_endpoints(x, src, nb_seq(x, src, spec, "endpoints", "spec.endpoints"), out,
	             ports ? ports->count : 0);
	return 0;
}

/* The ServiceEntry (in any namespace of the import) that lists host. */
int nb_istio_entry_host(weft_xlate *x, const char *host, char *ns, size_t ns_cap, char *name,
                        size_t name_cap);
int nb_istio_entry_host(weft_xlate *x, const char *host, char *ns, size_t ns_cap, char *name,
                        size_t name_cap)
{
	for (size_t i = 0; i < nb_src_count(x); i++) {
		const weft_xsrc *s = nb_src_at(x, i);
		if (!s->t || strcmp(s->kind, "ServiceEntry"))
			continue;
		const weft_node *hosts = weft_node_get(weft_node_get(s->root, "spec"), "hosts");
		for (size_t k = 0; hosts && hosts->kind == WEFT_NODE_SEQ && k < hosts->count; k++)
			if (!strcmp(hosts->items[k]->str, host) && strlen(s->ns) < ns_cap &&
			    strlen(s->name) < name_cap) {
				strcpy(ns, s->ns);
				strcpy(name, s->name);
				return 0;
			}
	}
	return -1;
}

size_t nb_istio_selected(weft_xlate *x, const weft_xsrc *src, const json_t *match, const char **out,
                         size_t max);

/* Adds ref to the sorted, duplicate-free list. */
static void add_upstream(json_t *list, const char *ref)
{
	size_t i;
	json_t *v;
	json_array_foreach(list, i, v)
	{
		int c = strcmp(json_string_value(v), ref);
		if (c == 0)
			return;
		if (c > 0) {
			json_array_insert_new(list, i, json_string(ref));
			return;
		}
	}
	json_array_append_new(list, json_string(ref));
}

static int entry_lists(const weft_xsrc *s, const char *host)
{
	const weft_node *hosts = weft_node_get(weft_node_get(s->root, "spec"), "hosts");
	for (size_t k = 0; hosts && hosts->kind == WEFT_NODE_SEQ && k < hosts->count; k++)
		if (!strcmp(hosts->items[k]->str, host))
			return 1;
	return 0;
}

/* One egress host "NS/HOST" into upstream references; 1 for "*" + "*". */
static int egress_host(weft_xlate *x, const weft_xsrc *src, const weft_node *h, const char *path,
                       json_t *ups)
{
	const char *slash = h->kind == WEFT_NODE_SCALAR ? strchr(h->str, '/') : NULL;
	char ns[64], name[64];
	if (!slash || (size_t)(slash - h->str) >= sizeof(ns)) {
		nb_refuse(x, src, h, path, "expected NAMESPACE/HOST");
		return 0;
	}
	memcpy(ns, h->str, (size_t)(slash - h->str));
	ns[slash - h->str] = '\0';
	const char *host = slash + 1;
	if (!strcmp(ns, "."))
		strcpy(ns, src->ns);
	if (!strcmp(ns, "*") && !strcmp(host, "*"))
		return 1;
	if (!strcmp(ns, "*") || !strcmp(ns, "~")) {
		nb_refuse(x, src, h, path, "'%s': weft upstreams name a namespace", h->str);
		return 0;
	}
	for (size_t i = 0; i < nb_src_count(x); i++) {
		const weft_xsrc *s = nb_src_at(x, i);
		char ref[160];
		int entry = s->t && !strcmp(s->kind, "ServiceEntry");
		if (!s->t || strcmp(s->ns, ns) ||
		    (!entry && (strcmp(s->kind, "Service") || *s->t->group)))
			continue;
		if (strcmp(host, "*") && !(entry && entry_lists(s, host)) &&
		    (nb_service_host(host, ns, name, sizeof(name), ref, sizeof(ref)) ||
		     strcmp(name, s->name)))
			continue;
		snprintf(ref, sizeof(ref), "%s/%s", s->ns, s->name);
		add_upstream(ups, ref);
		if (strcmp(host, "*"))
			return 0;
	}
	if (strcmp(host, "*"))
		nb_refuse(x, src, h, path, "'%s' is not a Service of the import", h->str);
	return 0;
}

static int translate_sidecar(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const char *svcs[64];
	size_t n = 0;
	char p[128];
	if (!spec) {
		nb_refuse(x, src, src->root, "spec", "required field is missing");
		return 0;
	}
	const weft_node *ws = nb_map(x, src, spec, "workloadSelector", "spec.workloadSelector");
	json_t *match =
	        ws ? nb_labels(x, src, weft_node_get(ws, "labels"), "spec.workloadSelector.labels")
	           : NULL;
	if (match) {
		n = nb_istio_selected(x, src, match, svcs, 64);
	} else {
		for (size_t i = 0; i < nb_src_count(x) && n < 64; i++) {
			const weft_xsrc *s = nb_src_at(x, i);
			if (s->t && !strcmp(s->kind, "Service") && !*s->t->group &&
			    !strcmp(s->ns, src->ns))
				svcs[n++] = s->name;
		}
	}
	json_decref(match);
	if (n == 0) {
		nb_refuse(x, src, ws ? ws : src->root,
		          ws ? "spec.workloadSelector" : "metadata.namespace",
		          "the Sidecar selects no Service of the import");
		return 0;
	}
	json_t *ups = json_array();
	int open = 0;
	const weft_node *eg = nb_seq(x, src, spec, "egress", "spec.egress");
	for (size_t i = 0; eg && i < eg->count; i++) {
		const weft_node *hosts = nb_seq(x, src, eg->items[i], "hosts",
		                                nb_path(p, sizeof(p), "spec.egress[%zu].hosts", i));
		for (size_t k = 0; hosts && k < hosts->count; k++)
			open |= egress_host(
			        x, src, hosts->items[k],
			        nb_path(p, sizeof(p), "spec.egress[%zu].hosts[%zu]", i, k), ups);
	}
	for (size_t i = 0; i < n; i++) {
		json_t *out = nb_out_find(x, "Service", src->ns, svcs[i]);
		if (!out)
			continue; /* the Service's own translation was refused */
		nb_out_spec(x, src, "Service", src->ns, svcs[i]);
		if (!open && json_array_size(ups))
			json_object_set(out, "upstreams", ups);
	}
	json_decref(ups);
	return 0;
}

static const char *const versions[] = {"v1", "v1beta1", "v1alpha3", NULL};

const weft_translator nb_istio_se = {
        .group = "networking.istio.io",
        .versions = versions,
        .kind = "ServiceEntry",
        .phase = 0,
        .fields = se_rows,
        .n_fields = NB_ROWS(se_rows),
        .translate = translate_se,
};

const weft_translator nb_istio_sidecar = {
        .group = "networking.istio.io",
        .versions = versions,
        .kind = "Sidecar",
        .phase = 2,
        .fields = sidecar_rows,
        .n_fields = NB_ROWS(sidecar_rows),
        .translate = translate_sidecar,
};
