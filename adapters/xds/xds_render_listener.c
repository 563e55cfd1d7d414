/* Render: listeners (LDS) and their route configurations (RDS) of one view.
 *
 * Proxyless gRPC: an API listener per name a client may dial (NAME.NS:PORT,
 * NAME:PORT, and for the first port NAME.NS and NAME), each an
 * HttpConnectionManager with RDS route config NAME.NS:PORT (one virtual
 * host, domains "*": the listener name already chose the service).
 *
 * Sidecar: an outbound listener per port of the services it can reach
 * (0.0.0.0:PORT, RDS route config "PORT", one virtual host per service with
 * NAME, NAME.NS, NAME:PORT, NAME.NS:PORT domains), and an inbound listener
 * on each local instance of its own service: an instance is local when its
 * address on ANY plane is one of the node's IPs (DESIGN: several network
 * planes), so a proxy whose node IP is 192.168.10.63 still recognises its
 * instance registered as 10.75.8.101. The proxy's own service gets no
 * outbound virtual host when it has a local instance: traffic for it is
 * served by the inbound side and never routed back out to itself.
 * Inbound routes carry the rate_limits action of the service's RateLimit
 * tiers (the buckets are in the inbound HTTP filters, xds_render_filters.c). */
#include <stdlib.h>
#include <string.h>

#include "envoy/config/listener/v3/api_listener.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "xds_render_int.h"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;
typedef Envoy__Config__Listener__V3__Listener Listener;

const char *xds_role_name(xds_role r)
{
	return r == XDS_ROLE_SIDECAR ? "sidecar" : r == XDS_ROLE_GATEWAY ? "gateway" : "proxyless";
}

static Hcm *hcm_rds(xds_ctx *c, const char *stat_prefix, const char *route_name,
                    const weft_resource *svc, int proxyless)
{
	Hcm *h = XB_NEW(
	        c->a, Hcm,
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__INIT);
	h->stat_prefix = (char *)stat_prefix;
	h->route_specifier_case =
	        ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS;
	h->rds =
	        XB_NEW(c->a, Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__Rds,
	               ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__RDS__INIT);
	h->rds->config_source = xb_ads_source(c->a);
	h->rds->route_config_name = (char *)route_name;
	xds_hcm_filters(c, h, svc, proxyless);
	return h;
}

static ProtobufCMessage *route_config(xds_ctx *c, const char *name, ProtobufCMessage **vhosts,
                                      size_t n)
{
	Envoy__Config__Route__V3__RouteConfiguration *rc =
	        XB_NEW(c->a, Envoy__Config__Route__V3__RouteConfiguration,
	               ENVOY__CONFIG__ROUTE__V3__ROUTE_CONFIGURATION__INIT);
	rc->name = (char *)name;
	rc->virtual_hosts = (Envoy__Config__Route__V3__VirtualHost **)vhosts;
	rc->n_virtual_hosts = n;
	return &rc->base;
}

static int add(xds_resset *set, xds_type t, const char *name, ProtobufCMessage *m)
{
	return xds_resset_add(set, xds_res_new(t, name, m));
}

static int api_listener(xds_ctx *c, xds_resset *lds, const char *name, const char *route)
{
	Listener *l = XB_NEW(c->a, Listener, ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT);
	l->name = (char *)name;
	l->api_listener = XB_NEW(c->a, Envoy__Config__Listener__V3__ApiListener,
	                         ENVOY__CONFIG__LISTENER__V3__API_LISTENER__INIT);
	l->api_listener->api_listener =
	        xb_any(c->a, XDS_URL_HCM, &hcm_rds(c, name, route, NULL, 1)->base);
	return add(lds, XDS_LDS, name, &l->base);
}

static int render_proxyless(xds_ctx *c, xds_resset *lds, xds_resset *rds)
{
	static const char *star[] = {"*"};
	for (size_t i = 0; i < c->n_kind[WEFT_KIND_SERVICE]; i++) {
		const weft_resource *svc = c->by_kind[WEFT_KIND_SERVICE][i];
		const weft_service_spec *s = svc_spec(svc);
		for (size_t k = 0; k < s->ports.count; k++) {
			int port = s->ports.items[k].port;
			if (s->ports.items[k].protocol == WEFT_PROTO_TCP ||
			    (!s->ports.items[k].protocol && s->protocol == WEFT_PROTO_TCP))
				continue;
			char *route = xb_printf(c->a, "%s.%s:%d", svc->name, svc->ns, port);
			ProtobufCMessage *vh = xds_render_vhost(c, svc, port, star, 1, 1);
			if (add(rds, XDS_RDS, route, route_config(c, route, &vh, 1)) ||
			    api_listener(c, lds, route, route) ||
			    api_listener(c, lds, xb_printf(c->a, "%s:%d", svc->name, port), route))
				return -1;
			if (k == 0 &&
			    (api_listener(c, lds, xb_printf(c->a, "%s.%s", svc->name, svc->ns),
			                  route) ||
			     api_listener(c, lds, svc->name, route)))
				return -1;
		}
	}
	return 0;
}

static int ip_is_node(const xds_view_key *key, const char *ip)
{
	for (size_t i = 0; ip && i < key->n_ips; i++)
		if (!strcmp(key->ips[i], ip))
			return 1;
	return 0;
}

/* The address of e that is one of the node's IPs (any plane), or NULL. */
static const char *local_address(const xds_view_key *key, const weft_endpoint *e)
{
	if (ip_is_node(key, e->address))
		return e->address;
	for (size_t i = 0; i < e->addresses.count; i++)
		if (ip_is_node(key, e->addresses.items[i].value))
			return e->addresses.items[i].value;
	return NULL;
}

static int is_own_service(const xds_view_key *key, const weft_resource *svc)
{
	char id[512];
	snprintf(id, sizeof(id), "%s/%s", svc->ns, svc->name);
	return key->service && !strcmp(key->service, id);
}

static int has_local_instance(const xds_view_key *key, const weft_resource *svc)
{
	const weft_service_spec *s = svc_spec(svc);
	for (size_t i = 0; i < s->endpoints.count; i++)
		if (local_address(key, &s->endpoints.items[i]))
			return 1;
	return 0;
}

static Envoy__Config__Listener__V3__FilterChain *hcm_chain(xds_ctx *c, Hcm *h)
{
	Envoy__Config__Listener__V3__FilterChain *fc =
	        XB_NEW(c->a, Envoy__Config__Listener__V3__FilterChain,
	               ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN__INIT);
	Envoy__Config__Listener__V3__Filter *f = XB_NEW(c->a, Envoy__Config__Listener__V3__Filter,
	                                                ENVOY__CONFIG__LISTENER__V3__FILTER__INIT);
	f->name = "envoy.filters.network.http_connection_manager";
	f->config_type_case = ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = xb_any(c->a, XDS_URL_HCM, &h->base);
	fc->filters = XB_PTRS(c->a, Envoy__Config__Listener__V3__Filter, 1);
	fc->filters[0] = f;
	fc->n_filters = 1;
	return fc;
}

void *xds_hcm_chain(xds_ctx *c, const char *stat_prefix, const char *route)
{
	return hcm_chain(c, hcm_rds(c, stat_prefix, route, NULL, 0));
}

int xds_view_identity(const xds_render_input *in, const xds_view_key *key, char *buf, size_t len)
{
	if (key->service) {
		snprintf(buf, len, "%s", key->service);
		return 0;
	}
	for (size_t i = 0; i < in->n; i++)
		if (in->res[i]->kind == WEFT_KIND_SERVICE && has_local_instance(key, in->res[i])) {
			snprintf(buf, len, "%s/%s", in->res[i]->ns, in->res[i]->name);
			return 0;
		}
	return -1;
}

static int socket_listener(xds_ctx *c, xds_resset *lds, const char *name, const char *ip, int port,
                           const char *route, const weft_resource *svc)
{
	Listener *l = XB_NEW(c->a, Listener, ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT);
	l->name = (char *)name;
	l->address = xb_address(c->a, ip, port);
	l->traffic_direction = svc ? ENVOY__CONFIG__CORE__V3__TRAFFIC_DIRECTION__INBOUND
	                           : ENVOY__CONFIG__CORE__V3__TRAFFIC_DIRECTION__OUTBOUND;
	l->filter_chains = XB_PTRS(c->a, Envoy__Config__Listener__V3__FilterChain, 1);
	l->filter_chains[0] = hcm_chain(c, hcm_rds(c, name, route, svc, 0));
	l->n_filter_chains = 1;
	if (svc)
		xds_inbound_tls(c, l, svc);
	return add(lds, XDS_LDS, name, &l->base);
}

static int render_inbound(xds_ctx *c, const xds_view_key *key, const weft_resource *svc,
                          xds_resset *lds, xds_resset *rds)
{
	const weft_service_spec *s = svc_spec(svc);
	for (size_t i = 0; i < s->endpoints.count; i++) {
		const char *ip = local_address(key, &s->endpoints.items[i]);
		for (size_t k = 0; ip && k < s->ports.count; k++) {
			const weft_service_port *p = &s->ports.items[k];
			int port = s->endpoints.items[i].port ? s->endpoints.items[i].port
			           : p->target_port           ? p->target_port
			                                      : p->port;
			char *name = xb_printf(c->a, "inbound|%s|%d", ip, port);
			char *local = xds_cluster_name(c->a, "inbound", p->port, NULL, svc->ns,
			                               svc->name);
			if (xds_port_is_tcp(s, p)) {
				Listener *l = XB_NEW(c->a, Listener,
				                     ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT);
				l->name = name;
				l->address = xb_address(c->a, ip, port);
				l->traffic_direction =
				        ENVOY__CONFIG__CORE__V3__TRAFFIC_DIRECTION__INBOUND;
				l->filter_chains =
				        XB_PTRS(c->a, Envoy__Config__Listener__V3__FilterChain, 1);
				l->filter_chains[0] = xds_tcp_chain_to(c, name, local);
				l->n_filter_chains = 1;
				xds_inbound_tls(c, l, svc);
				if (add(lds, XDS_LDS, name, &l->base))
					return -1;
				continue;
			}
			char *route =
			        xb_printf(c->a, "inbound|%d|%s.%s", p->port, svc->name, svc->ns);
			Envoy__Config__Route__V3__VirtualHost *vh =
			        (Envoy__Config__Route__V3__VirtualHost *)xds_render_vhost(
			                c, svc, p->port, (const char *[]){"*"}, 1, 0);
			/* Inbound: everything goes to the local application;
			 * the service's RateLimit tiers are picked by the
			 * routes' action (its buckets sit in the inbound
			 * connection manager's local rate limit filter). */
			vh->domains = XB_PTRS(c->a, char, 1);
			vh->domains[0] = "*";
			const weft_rate_limit_spec *rl = xds_service_rate_limit(c, svc);
			for (size_t r = 0; r < vh->n_routes; r++) {
				vh->routes[r]->route->cluster_specifier_case =
				        ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
				vh->routes[r]->route->cluster = local;
				vh->routes[r]->route->retry_policy = NULL;
				vh->routes[r]->n_typed_per_filter_config = 0;
				xds_ratelimit_actions(c, vh->routes[r]->route, rl);
			}
			ProtobufCMessage *vhm = &vh->base;
			if (socket_listener(c, lds, name, ip, port, route, svc) ||
			    add(rds, XDS_RDS, route, route_config(c, route, &vhm, 1)))
				return -1;
		}
	}
	return 0;
}

static int port_listener(xds_ctx *c, const xds_view_key *key, int port, xds_resset *lds,
                         xds_resset *rds)
{
	size_t nsvc = c->n_kind[WEFT_KIND_SERVICE];
	ProtobufCMessage **vhs = XB_PTRS(c->a, ProtobufCMessage, nsvc);
	Envoy__Config__Listener__V3__FilterChain **chains =
	        XB_PTRS(c->a, Envoy__Config__Listener__V3__FilterChain, nsvc + 1);
	size_t nv = 0, nc = 0;
	for (size_t i = 0; i < nsvc; i++) {
		const weft_resource *svc = c->by_kind[WEFT_KIND_SERVICE][i];
		const weft_service_spec *s = svc_spec(svc);
		const weft_service_port *p = NULL;
		for (size_t k = 0; k < s->ports.count; k++)
			if (s->ports.items[k].port == port)
				p = &s->ports.items[k];
		if (!p || has_local_instance(key, svc))
			continue;
		if (xds_port_is_tcp(s, p)) {
			chains[nc++] = xds_tcp_service_chain(c, key, svc, port);
			continue;
		}
		const char **d = xb_alloc(c->a, 4 * sizeof(char *));
		d[0] = svc->name;
		d[1] = xb_printf(c->a, "%s.%s", svc->name, svc->ns);
		d[2] = xb_printf(c->a, "%s:%d", svc->name, port);
		d[3] = xb_printf(c->a, "%s.%s:%d", svc->name, svc->ns, port);
		vhs[nv++] = xds_render_vhost(c, svc, port, d, 4, 0);
	}
	char *route = xb_printf(c->a, "%d", port);
	char *name = xb_printf(c->a, "outbound|0.0.0.0|%d", port);
	Listener *l = XB_NEW(c->a, Listener, ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT);
	l->name = name;
	l->address = xb_address(c->a, "0.0.0.0", port);
	l->traffic_direction = ENVOY__CONFIG__CORE__V3__TRAFFIC_DIRECTION__OUTBOUND;
	Envoy__Config__Listener__V3__FilterChain *http = NULL;
	if (nv) {
		http = hcm_chain(c, hcm_rds(c, name, route, NULL, 0));
		chains[nc++] = http;
		if (add(rds, XDS_RDS, route, route_config(c, route, vhs, nv)))
			return -1;
	}
	l->filter_chains = chains;
	l->n_filter_chains = nc;
	if (nc > (http ? 1u : 0u)) /* TCP services on this port */
		xds_tcp_listener_finish(c, l, http);
	return nc ? add(lds, XDS_LDS, name, &l->base) : 0;
}

static int render_sidecar(xds_ctx *c, const xds_view_key *key, xds_resset *lds, xds_resset *rds)
{
	size_t nsvc = c->n_kind[WEFT_KIND_SERVICE], all = 0;
	for (size_t i = 0; i < nsvc; i++)
		all += svc_spec(c->by_kind[WEFT_KIND_SERVICE][i])->ports.count;
	int *ports = xb_alloc(c->a, (all + 1) * sizeof(*ports));
	size_t nports = 0;
	for (size_t i = 0; i < nsvc; i++) {
		const weft_resource *svc = c->by_kind[WEFT_KIND_SERVICE][i];
		const weft_service_spec *s = svc_spec(svc);
		if ((is_own_service(key, svc) || !key->service) && has_local_instance(key, svc) &&
		    render_inbound(c, key, svc, lds, rds))
			return -1;
		for (size_t k = 0; k < s->ports.count; k++) {
			size_t j = 0;
			while (j < nports && ports[j] != s->ports.items[k].port)
				j++;
			if (j == nports)
				ports[nports++] = s->ports.items[k].port;
		}
	}
	for (size_t j = 0; j < nports; j++)
		if (port_listener(c, key, ports[j], lds, rds))
			return -1;
	return 0;
}

int xds_render_listeners(const xds_render_input *in, const xds_view_key *key, xds_resset *pred_lds,
                         xds_resset *pred_rds, xds_resset **lds, xds_resset **rds, weft_err *err)
{
	xds_ctx c = {0};
	int rc = -1;
	*lds = xds_resset_new();
	*rds = xds_resset_new();
	if (*lds && *rds && !xds_ctx_init(&c, in)) {
		rc = key->role == XDS_ROLE_PROXYLESS ? render_proxyless(&c, *lds, *rds)
		     : key->role == XDS_ROLE_GATEWAY ? xds_render_gateway(&c, key, *lds, *rds)
		                                     : render_sidecar(&c, key, *lds, *rds);
		if (!rc)
			rc = xds_resset_seal(*lds, pred_lds) || xds_resset_seal(*rds, pred_rds) ? -1
			                                                                        : 0;
	}
	xds_ctx_free(&c);
	if (rc) {
		xds_resset_unref(*lds);
		xds_resset_unref(*rds);
		*lds = *rds = NULL;
		return weft_err_set(err, "xds render listeners (%s view): out of memory",
		                    xds_role_name(key->role));
	}
	return 0;
}
