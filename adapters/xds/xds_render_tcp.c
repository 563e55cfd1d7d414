/* Render: TCP services (DESIGN "TCP services"). On a sidecar's outbound
 * listener for a port, each TCP service gets a filter chain matched by the
 * destination addresses of its endpoints (on the view's plane) with a
 * tcp_proxy to its cluster (or the weighted clusters of its Route's TCP
 * rule); traffic to unknown destinations passes through to its original
 * destination (default filter chain -> PassthroughCluster, ORIGINAL_DST);
 * an HTTP inspector lets HTTP services share the port (their chain matches
 * application protocols http/1.1 and h2c). Ports where a TCP and an HTTP
 * service collide on one address are refused by validation in the core. */
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/extensions/filters/listener/http_inspector/v3/http_inspector.pb-c.h"
#include "envoy/extensions/filters/listener/original_dst/v3/original_dst.pb-c.h"
#include "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.pb-c.h"
#include "xds_render_int.h"

typedef Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy TcpProxy;
typedef Envoy__Config__Listener__V3__FilterChain FilterChain;

int xds_port_is_tcp(const weft_service_spec *s, const weft_service_port *p)
{
	weft_protocol proto = p->protocol ? p->protocol : s->protocol;
	return proto == WEFT_PROTO_TCP;
}

static FilterChain *tcp_chain(xds_ctx *c, TcpProxy *tp)
{
	FilterChain *fc =
	        XB_NEW(c->a, FilterChain, ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN__INIT);
	Envoy__Config__Listener__V3__Filter *f = XB_NEW(c->a, Envoy__Config__Listener__V3__Filter,
	                                                ENVOY__CONFIG__LISTENER__V3__FILTER__INIT);
	f->name = "envoy.filters.network.tcp_proxy";
	f->config_type_case = ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = xb_any(c->a, XDS_URL_TCP_PROXY, &tp->base);
	fc->filters = XB_PTRS(c->a, Envoy__Config__Listener__V3__Filter, 1);
	fc->filters[0] = f;
	fc->n_filters = 1;
	return fc;
}

static TcpProxy *tcp_proxy(xds_ctx *c, const char *stat_prefix)
{
	TcpProxy *tp = XB_NEW(c->a, TcpProxy,
	                      ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__INIT);
	tp->stat_prefix = (char *)stat_prefix;
	tp->cluster_specifier_case =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_CLUSTER;
	return tp;
}

/* The TCP rule of the service's Route for port (first rule), resolved by
 * the model (normalized weights), or NULL. */
static const weft_model_rule *tcp_rule(xds_ctx *c, const weft_resource *svc, int port)
{
	size_t n;
	const weft_resource *const *routes = xds_service_routes(c, svc, &n);
	for (size_t i = 0; i < n; i++) {
		const weft_model_route *mr = weft_model_route_of(c->model, routes[i]);
		if (mr && (!mr->spec->port || mr->spec->port == port) && mr->n_tcp)
			return &mr->tcp[0];
	}
	return NULL;
}

void *xds_tcp_service_chain(xds_ctx *c, const xds_view_key *key, const weft_resource *svc, int port)
{
	TcpProxy *tp = tcp_proxy(c, xb_printf(c->a, "%s.%s:%d", svc->name, svc->ns, port));
	const weft_model_rule *rule = tcp_rule(c, svc, port);
	if (rule && rule->n_dests > 1) {
		Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster *wc = XB_NEW(
		        c->a,
		        Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster,
		        ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__WEIGHTED_CLUSTER__INIT);
		wc->clusters = XB_PTRS(
		        c->a,
		        Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster__ClusterWeight,
		        rule->n_dests);
		for (size_t i = 0; i < rule->n_dests; i++) {
			const weft_destination *d = rule->dests[i].spec;
			const weft_resource *ds =
			        xds_ctx_service(c, d->service.ns, d->service.name);
			if (!ds || rule->dests[i].weight <= 0)
				continue;
			Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster__ClusterWeight
			        *cw = XB_NEW(
			                c->a,
			                Envoy__Extensions__Filters__Network__TcpProxy__V3__TcpProxy__WeightedCluster__ClusterWeight,
			                ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__WEIGHTED_CLUSTER__CLUSTER_WEIGHT__INIT);
			cw->name = xds_cluster_name(c->a, "outbound", xds_dest_port(c, ds, d, port),
			                            NULL, ds->ns, ds->name);
			cw->weight = (uint32_t)rule->dests[i].weight;
			wc->clusters[wc->n_clusters++] = cw;
		}
		tp->cluster_specifier_case =
		        ENVOY__EXTENSIONS__FILTERS__NETWORK__TCP_PROXY__V3__TCP_PROXY__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS;
		tp->weighted_clusters = wc;
	} else {
		const weft_destination *d = rule && rule->n_dests ? rule->dests[0].spec : NULL;
		const weft_resource *ds =
		        d ? xds_ctx_service(c, d->service.ns, d->service.name) : svc;
		if (!ds)
			ds = svc;
		tp->cluster =
		        xds_cluster_name(c->a, "outbound", d ? xds_dest_port(c, ds, d, port) : port,
		                         NULL, ds->ns, ds->name);
	}
	FilterChain *fc = tcp_chain(c, tp);
	fc->name = tp->stat_prefix;
	fc->filter_chain_match = XB_NEW(c->a, Envoy__Config__Listener__V3__FilterChainMatch,
	                                ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN_MATCH__INIT);
	const weft_model_subset *whole =
	        weft_model_find_subset(weft_model_find_port(xds_model_service(c, svc), port), NULL);
	static const weft_model_endpoints none;
	const weft_model_endpoints *eps =
	        whole ? weft_model_endpoints_on(whole, key->plane) : &none;
	fc->filter_chain_match->prefix_ranges =
	        XB_PTRS(c->a, Envoy__Config__Core__V3__CidrRange, eps->count);
	for (size_t i = 0; i < eps->count; i++) {
		const char *ip = eps->items[i].address;
		Envoy__Config__Core__V3__CidrRange *r =
		        XB_NEW(c->a, Envoy__Config__Core__V3__CidrRange,
		               ENVOY__CONFIG__CORE__V3__CIDR_RANGE__INIT);
		r->address_prefix = (char *)ip;
		r->prefix_len = xb_u32(c->a, strchr(ip, ':') ? 128 : 32);
		fc->filter_chain_match->prefix_ranges[fc->filter_chain_match->n_prefix_ranges++] =
		        r;
	}
	return fc;
}

static Envoy__Config__Listener__V3__ListenerFilter *
listener_filter(xds_ctx *c, const char *name, const char *url, const ProtobufCMessage *m)
{
	Envoy__Config__Listener__V3__ListenerFilter *f =
	        XB_NEW(c->a, Envoy__Config__Listener__V3__ListenerFilter,
	               ENVOY__CONFIG__LISTENER__V3__LISTENER_FILTER__INIT);
	f->name = (char *)name;
	f->config_type_case =
	        ENVOY__CONFIG__LISTENER__V3__LISTENER_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = xb_any(c->a, url, m);
	return f;
}

void xds_tcp_listener_finish(xds_ctx *c, void *listener, void *http_chain)
{
	Envoy__Config__Listener__V3__Listener *l = listener;
	Envoy__Extensions__Filters__Listener__OriginalDst__V3__OriginalDst od =
	        ENVOY__EXTENSIONS__FILTERS__LISTENER__ORIGINAL_DST__V3__ORIGINAL_DST__INIT;
	Envoy__Extensions__Filters__Listener__HttpInspector__V3__HttpInspector hi =
	        ENVOY__EXTENSIONS__FILTERS__LISTENER__HTTP_INSPECTOR__V3__HTTP_INSPECTOR__INIT;
	l->listener_filters = XB_PTRS(c->a, Envoy__Config__Listener__V3__ListenerFilter, 2);
	l->listener_filters[l->n_listener_filters++] = listener_filter(
	        c, "envoy.filters.listener.original_dst", XDS_URL_ORIGINAL_DST, &od.base);
	l->listener_filters[l->n_listener_filters++] = listener_filter(
	        c, "envoy.filters.listener.http_inspector", XDS_URL_HTTP_INSPECTOR, &hi.base);
	if (http_chain) {
		FilterChain *fc = http_chain;
		fc->filter_chain_match =
		        XB_NEW(c->a, Envoy__Config__Listener__V3__FilterChainMatch,
		               ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN_MATCH__INIT);
		fc->filter_chain_match->application_protocols = XB_PTRS(c->a, char, 2);
		fc->filter_chain_match->application_protocols[0] = "http/1.1";
		fc->filter_chain_match->application_protocols[1] = "h2c";
		fc->filter_chain_match->n_application_protocols = 2;
	}
	TcpProxy *tp = tcp_proxy(c, "PassthroughCluster");
	tp->cluster = "PassthroughCluster";
	FilterChain *pass = tcp_chain(c, tp);
	pass->name = "passthrough";
	l->default_filter_chain = pass;
}

void *xds_tcp_chain_to(xds_ctx *c, const char *stat_prefix, const char *cluster)
{
	TcpProxy *tp = tcp_proxy(c, stat_prefix);
	tp->cluster = (char *)cluster;
	return tcp_chain(c, tp);
}

ProtobufCMessage *xds_passthrough_cluster(xds_ctx *c)
{
	Envoy__Config__Cluster__V3__Cluster *cl = XB_NEW(c->a, Envoy__Config__Cluster__V3__Cluster,
	                                                 ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT);
	cl->name = "PassthroughCluster";
	cl->cluster_discovery_type_case =
	        ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	cl->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__ORIGINAL_DST;
	cl->lb_policy = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__LB_POLICY__CLUSTER_PROVIDED;
	cl->connect_timeout = xb_duration_ms(c->a, 5000);
	return &cl->base;
}
