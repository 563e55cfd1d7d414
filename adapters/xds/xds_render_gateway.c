/* Render: gateway proxies (node metadata role=gateway, gateway=NS/NAME).
 * Each listener of the Gateway becomes an Envoy listener on the Gateway's
 * address (0.0.0.0 when absent) and the listener's port:
 *   HTTP   HttpConnectionManager, RDS route config gw|NS/NAME|LISTENER with a
 *          virtual host per Route the listener names (domains = the Route's
 *          hosts, rules as for the mesh)
 *   HTTPS  the same behind a DownstreamTlsContext with the certificate files
 *          of the listener (MUTUAL: client certificates checked against
 *          ca_file)
 *   TCP    tcp_proxy to the destinations of the first TCP rule of the first
 *          Route; TLS: the same behind TLS termination. */
#include <string.h>

#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb-c.h"
#include "resource.h"
#include "xds_render_int.h"

typedef Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager Hcm;

static const weft_resource *find(xds_ctx *c, weft_kind k, const char *ns, const char *name)
{
	for (size_t i = 0; i < c->n_kind[k]; i++)
		if (!strcmp(c->by_kind[k][i]->name, name) && !strcmp(c->by_kind[k][i]->ns, ns))
			return c->by_kind[k][i];
	return NULL;
}

static Envoy__Config__Core__V3__DataSource *file_source(xds_ctx *c, const char *path)
{
	Envoy__Config__Core__V3__DataSource *d = XB_NEW(c->a, Envoy__Config__Core__V3__DataSource,
	                                                ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT);
	d->specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_FILENAME;
	d->filename = (char *)path;
	return d;
}

static Envoy__Config__Core__V3__TransportSocket *downstream_tls(xds_ctx *c,
                                                                const weft_listener_tls *t)
{
	Envoy__Extensions__TransportSockets__Tls__V3__CommonTlsContext *ct =
	        XB_NEW(c->a, Envoy__Extensions__TransportSockets__Tls__V3__CommonTlsContext,
	               ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__INIT);
	if (t->certificate) {
		Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate *tc = XB_NEW(
		        c->a, Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate,
		        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__TLS_CERTIFICATE__INIT);
		tc->certificate_chain = file_source(c, t->certificate->cert_file);
		tc->private_key = file_source(c, t->certificate->key_file);
		ct->tls_certificates = XB_PTRS(
		        c->a, Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate, 1);
		ct->tls_certificates[0] = tc;
		ct->n_tls_certificates = 1;
	}
	Envoy__Extensions__TransportSockets__Tls__V3__DownstreamTlsContext *d =
	        XB_NEW(c->a, Envoy__Extensions__TransportSockets__Tls__V3__DownstreamTlsContext,
	               ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__DOWNSTREAM_TLS_CONTEXT__INIT);
	if (t->mode == WEFT_SERVER_TLS_MUTUAL && t->ca_file) {
		Envoy__Extensions__TransportSockets__Tls__V3__CertificateValidationContext *v = XB_NEW(
		        c->a,
		        Envoy__Extensions__TransportSockets__Tls__V3__CertificateValidationContext,
		        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__CERTIFICATE_VALIDATION_CONTEXT__INIT);
		v->trusted_ca = file_source(c, t->ca_file);
		ct->validation_context_type_case =
		        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__VALIDATION_CONTEXT_TYPE_VALIDATION_CONTEXT;
		ct->validation_context = v;
		d->require_client_certificate = xb_bool(c->a, 1);
	}
	d->common_tls_context = ct;
	Envoy__Config__Core__V3__TransportSocket *ts =
	        XB_NEW(c->a, Envoy__Config__Core__V3__TransportSocket,
	               ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__INIT);
	ts->name = "envoy.transport_sockets.tls";
	ts->config_type_case = ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__CONFIG_TYPE_TYPED_CONFIG;
	ts->typed_config = xb_any(c->a, XDS_URL_DOWNSTREAM_TLS, &d->base);
	return ts;
}

/* The filter chain of one gateway listener, and its route config. */
static Envoy__Config__Listener__V3__FilterChain *listener_chain(xds_ctx *c, const weft_resource *gw,
                                                                const weft_listener *gl,
                                                                const char *name, xds_resset *rds)
{
	if (gl->protocol == WEFT_LISTENER_TCP || gl->protocol == WEFT_LISTENER_TLS) {
		const char *cluster = "";
		const weft_resource *r = gl->routes.count
		                                 ? find(c, WEFT_KIND_ROUTE, gl->routes.items[0].ns,
		                                        gl->routes.items[0].name)
		                                 : NULL;
		const weft_route_spec *rs = r ? r->spec : NULL;
		if (rs && rs->tcp.count && rs->tcp.items[0].destinations.count) {
			const weft_destination *d = &rs->tcp.items[0].destinations.items[0];
			const weft_resource *svc =
			        xds_ctx_service(c, d->service.ns, d->service.name);
			if (svc)
				cluster = xds_cluster_name(c->a, "outbound",
				                           xds_dest_port(c, svc, d, 0), NULL,
				                           svc->ns, svc->name);
		}
		return xds_tcp_chain_to(c, name, cluster);
	}
	char *route = xb_printf(c->a, "gw|%s/%s|%s", gw->ns, gw->name, gl->name ? gl->name : "");
	ProtobufCMessage **vhs = XB_PTRS(c->a, ProtobufCMessage, gl->routes.count);
	size_t nv = 0;
	for (size_t i = 0; i < gl->routes.count; i++) {
		const weft_resource *r =
		        find(c, WEFT_KIND_ROUTE, gl->routes.items[i].ns, gl->routes.items[i].name);
		if (r && ((const weft_route_spec *)r->spec)->hosts.count)
			vhs[nv++] = xds_render_route_vhost(c, r);
	}
	Envoy__Config__Route__V3__RouteConfiguration *rc =
	        XB_NEW(c->a, Envoy__Config__Route__V3__RouteConfiguration,
	               ENVOY__CONFIG__ROUTE__V3__ROUTE_CONFIGURATION__INIT);
	rc->name = route;
	rc->virtual_hosts = (Envoy__Config__Route__V3__VirtualHost **)vhs;
	rc->n_virtual_hosts = nv;
	if (xds_resset_add(rds, xds_res_new(XDS_RDS, route, &rc->base)))
		return NULL;
	return xds_hcm_chain(c, name, route);
}

int xds_render_gateway(xds_ctx *c, const xds_view_key *key, xds_resset *lds, xds_resset *rds)
{
	char ns[256];
	const char *slash = key->gateway ? strchr(key->gateway, '/') : NULL;
	if (!slash || (size_t)(slash - key->gateway) >= sizeof(ns))
		return 0; /* a gateway proxy without a Gateway: no listeners */
	snprintf(ns, sizeof(ns), "%.*s", (int)(slash - key->gateway), key->gateway);
	const weft_resource *gw = find(c, WEFT_KIND_GATEWAY, ns, slash + 1);
	if (!gw)
		return 0;
	const weft_gateway_spec *g = gw->spec;
	for (size_t i = 0; i < g->listeners.count; i++) {
		const weft_listener *gl = &g->listeners.items[i];
		char *name =
		        xb_printf(c->a, "gw|%s/%s|%s", gw->ns, gw->name, gl->name ? gl->name : "");
		Envoy__Config__Listener__V3__FilterChain *fc = listener_chain(c, gw, gl, name, rds);
		if (!fc)
			return -1;
		if (gl->tls &&
		    (gl->protocol == WEFT_LISTENER_HTTPS || gl->protocol == WEFT_LISTENER_TLS))
			fc->transport_socket = downstream_tls(c, gl->tls);
		Envoy__Config__Listener__V3__Listener *l =
		        XB_NEW(c->a, Envoy__Config__Listener__V3__Listener,
		               ENVOY__CONFIG__LISTENER__V3__LISTENER__INIT);
		l->name = name;
		l->address = xb_address(c->a, g->address ? g->address : "0.0.0.0", gl->port);
		l->filter_chains = XB_PTRS(c->a, Envoy__Config__Listener__V3__FilterChain, 1);
		l->filter_chains[0] = fc;
		l->n_filter_chains = 1;
		if (xds_resset_add(lds, xds_res_new(XDS_LDS, name, &l->base)))
			return -1;
	}
	return 0;
}
