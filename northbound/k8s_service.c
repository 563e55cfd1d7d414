/* Kubernetes v1 Service, discovery.k8s.io/v1 EndpointSlice and v1 Endpoints
 * -> weft Service (docs/northbound.md). The Service gives ports and
 * protocols; its EndpointSlices (label kubernetes.io/service-name) or its
 * Endpoints (same name) give the addresses, the port numbers pods listen on
 * (targetPort) and, from the slice's own labels, the labels that subsets
 * select. Endpoints that are not ready are left out, as kube-proxy does. */
#include <stdlib.h>
#include <string.h>

#include "nb_common.h"

static const weft_field_rule service_rows[] = {
        NB_META_ROWS,
        {"metadata.labels", T_, "metadata.labels"},
        {"metadata.labels.*", T_, "metadata.labels"},
        {"spec", T_, "spec"},
        {"spec.ports", T_, "spec.ports"},
        {"spec.ports[].name", T_, "ports[].name"},
        {"spec.ports[].port", T_, "ports[].port"},
        {"spec.ports[].targetPort", T_,
         "ports[].targetPort (a named port through the EndpointSlice's port of the same name)"},
        {"spec.ports[].protocol", T_, "TCP only; UDP and SCTP are refused"},
        {"spec.ports[].appProtocol", T_,
         "ports[].protocol: http, http2 (also kubernetes.io/h2c), grpc, tcp"},
        {"spec.ports[].nodePort", W_, "weft does not open node ports"},
        {"spec.selector", T_,
         "not copied: endpoints come from the EndpointSlices or Endpoints in the import; "
         "used to match Istio workload selectors"},
        {"spec.selector.*", T_, "see spec.selector"},
        {"spec.type", T_,
         "ClusterIP (no field); NodePort and LoadBalancer warned; "
         "ExternalName refused"},
        {"spec.clusterIP", I_, "the virtual IP kube-proxy uses; weft routes by service name"},
        {"spec.clusterIPs", I_, "the virtual IPs kube-proxy uses; weft routes by service name"},
        {"spec.ipFamilies", I_, "follows the cluster IPs"},
        {"spec.ipFamilyPolicy", I_, "follows the cluster IPs"},
        {"spec.sessionAffinity", T_, "None (no field); ClientIP is refused"},
        {"spec.sessionAffinityConfig", R_, "client-IP affinity timeouts have no weft field"},
        {"spec.externalName", R_, "a DNS alias is not a weft endpoint (use a ServiceEntry)"},
        {"spec.externalIPs", R_, "weft does not bind external IPs for a Service"},
        {"spec.loadBalancerIP", W_, "the cloud load balancer is not weft's"},
        {"spec.loadBalancerSourceRanges", R_, "write an AccessPolicy with from.cidrs"},
        {"spec.loadBalancerClass", W_, "the cloud load balancer is not weft's"},
        {"spec.allocateLoadBalancerNodePorts", W_, "the cloud load balancer is not weft's"},
        {"spec.externalTrafficPolicy", W_, "node-local routing of external traffic"},
        {"spec.healthCheckNodePort", W_, "the cloud load balancer is not weft's"},
        {"spec.internalTrafficPolicy", T_, "Cluster (no field); Local is refused"},
        {"spec.publishNotReadyAddresses", T_, "not-ready endpoints are kept when true"},
        {"spec.trafficDistribution", R_, "topology preferences have no weft field"},
};

/* appProtocol, else Istio's port-name convention (http-*, grpc-*, ...). */
static const char *port_protocol(const char *app, const char *name, int *bad)
{
	*bad = 0;
	if (app) {
		if (!strcmp(app, "http") || !strcmp(app, "http2") || !strcmp(app, "grpc") ||
		    !strcmp(app, "tcp"))
			return app;
		if (!strcmp(app, "kubernetes.io/h2c"))
			return "http2";
		*bad = 1;
		return NULL;
	}
	static const struct {
		const char *prefix, *proto;
	} names[] = {{"http2", "http2"}, {"https", "tcp"}, {"http", "http"},
	             {"grpc", "grpc"},   {"tcp", "tcp"},   {"tls", "tcp"},
	             {"mongo", "tcp"},   {"mysql", "tcp"}, {"redis", "tcp"}};
	for (size_t i = 0; name && i < NB_ROWS(names); i++) {
		size_t n = strlen(names[i].prefix);
		if (!strncmp(name, names[i].prefix, n) && (name[n] == '\0' || name[n] == '-'))
			return names[i].proto;
	}
	return NULL;
}

static void service_port(weft_xlate *x, const weft_xsrc *src, const weft_node *p, size_t i,
                         json_t *ports)
{
	char path[128];
	long long port;
	json_t *o = json_object();
	const char *name =
	        nb_str(x, src, p, "name", nb_path(path, sizeof(path), "spec.ports[%zu].name", i));
	if (name && *name)
		json_object_set_new(o, "name", json_string(name));
	if (nb_int(x, src, p, "port", nb_path(path, sizeof(path), "spec.ports[%zu].port", i), 1,
	           65535, &port) == 1)
		json_object_set_new(o, "port", json_integer(port));
	else if (!weft_node_get(p, "port"))
		nb_refuse(x, src, p, path, "required field is missing");
	const char *proto = nb_str(x, src, p, "protocol",
	                           nb_path(path, sizeof(path), "spec.ports[%zu].protocol", i));
	if (proto && strcmp(proto, "TCP"))
		nb_refuse(x, src, nb_at(p, "protocol"), path,
		          "protocol %s: weft serves TCP-based protocols only", proto);
	int bad;
	const char *app = nb_str(x, src, p, "appProtocol",
	                         nb_path(path, sizeof(path), "spec.ports[%zu].appProtocol", i));
	const char *wp = port_protocol(app, name, &bad);
	if (bad)
		nb_refuse(x, src, nb_at(p, "appProtocol"), path,
		          "appProtocol '%s': weft knows http, http2, grpc, tcp", app);
	if (wp)
		json_object_set_new(o, "protocol", json_string(wp));
	const weft_node *tp = weft_node_get(p, "targetPort");
	nb_path(path, sizeof(path), "spec.ports[%zu].targetPort", i);
	if (tp && tp->kind == WEFT_NODE_SCALAR && !tp->quoted && tp->str[0] >= '0' &&
	    tp->str[0] <= '9') {
		if (nb_int(x, src, p, "targetPort", path, 1, 65535, &port) == 1)
			json_object_set_new(o, "targetPort", json_integer(port));
	} else if (tp && tp->kind == WEFT_NODE_SCALAR) {
		/* A named target port: the EndpointSlice carries its number. */
		if (!nb_find_src(x, "discovery.k8s.io", "EndpointSlice", src->ns, src->name) &&
		    !nb_find_src(x, "", "Endpoints", src->ns, src->name)) {
			int found = 0;
			for (size_t k = 0; k < nb_src_count(x) && !found; k++) {
				const weft_xsrc *s = nb_src_at(x, k);
				const weft_node *l =
				        weft_node_get(weft_node_get(s->root, "metadata"), "labels");
				const weft_node *sn =
				        weft_node_get(l, "kubernetes.io/service-name");
				found = s->t && !strcmp(s->kind, "EndpointSlice") &&
				        !strcmp(s->ns, src->ns) && sn &&
				        !strcmp(sn->str, src->name);
			}
			if (!found)
				nb_refuse(x, src, tp, path,
				          "named target port '%s' needs the Service's "
				          "EndpointSlice or "
				          "Endpoints in the import to give its number",
				          tp->str);
		}
	} else if (tp) {
		nb_refuse(x, src, tp, path, "expected a port number or name");
	}
	json_array_append_new(ports, o);
}

static void service_scalars(weft_xlate *x, const weft_xsrc *src, const weft_node *spec)
{
	const char *type = nb_str(x, src, spec, "type", "spec.type");
	if (type && !strcmp(type, "ExternalName"))
		nb_refuse(x, src, nb_at(spec, "type"), "spec.type",
		          "ExternalName is a DNS alias, not endpoints (use an Istio ServiceEntry)");
	else if (type && (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer")))
		nb_warn(x, src, nb_at(spec, "type"), "spec.type",
		        "%s: weft serves the Service inside the mesh only", type);
	else if (type && strcmp(type, "ClusterIP"))
		nb_refuse(x, src, nb_at(spec, "type"), "spec.type", "unknown Service type '%s'",
		          type);
	const char *aff = nb_str(x, src, spec, "sessionAffinity", "spec.sessionAffinity");
	if (aff && strcmp(aff, "None"))
		nb_refuse(x, src, nb_at(spec, "sessionAffinity"), "spec.sessionAffinity",
		          "%s affinity: write a TrafficPolicy with loadBalancer.hashOn.sourceIp",
		          aff);
	const char *itp =
	        nb_str(x, src, spec, "internalTrafficPolicy", "spec.internalTrafficPolicy");
	if (itp && strcmp(itp, "Cluster"))
		nb_refuse(x, src, nb_at(spec, "internalTrafficPolicy"),
		          "spec.internalTrafficPolicy", "%s: weft has no node-local routing", itp);
	int pub;
	nb_bool(x, src, spec, "publishNotReadyAddresses", "spec.publishNotReadyAddresses", &pub);
}

static int translate_service(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	if (!spec) {
		nb_refuse(x, src, src->root, "spec", "required field is missing");
		return 0;
	}
	json_t *out = nb_out_spec(x, src, "Service", src->ns, src->name);
	if (!out)
		return -1;
	json_t *labels =
	        nb_labels(x, src, weft_node_get(weft_node_get(src->root, "metadata"), "labels"),
	                  "metadata.labels");
	if (labels)
		json_object_set_new(nb_out_meta(x, "Service", src->ns, src->name), "labels",
		                    labels);
	service_scalars(x, src, spec);
	const weft_node *ports = nb_seq(x, src, spec, "ports", "spec.ports");
	json_t *jp = json_array();
	for (size_t i = 0; ports && i < ports->count; i++) {
		if (ports->items[i]->kind != WEFT_NODE_MAP) {
			nb_refuse(x, src, ports->items[i], "spec.ports", "a port must be a map");
			continue;
		}
		service_port(x, src, ports->items[i], i, jp);
	}
	if (json_array_size(jp) == 0)
		nb_refuse(x, src, nb_at(spec, "ports"), "spec.ports",
		          "a weft Service needs at least one port");
	json_object_set_new(out, "ports", jp);
	return 0;
}

static const char *const v1[] = {"v1", NULL};

const weft_translator nb_k8s_service = {
        .group = "",
        .versions = v1,
        .kind = "Service",
        .phase = 0,
        .fields = service_rows,
        .n_fields = NB_ROWS(service_rows),
        .translate = translate_service,
};
