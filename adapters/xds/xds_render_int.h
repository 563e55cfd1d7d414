/* Internal to the renderer (xds_render_*.c): an index of the input by kind
 * and name, and helpers shared by the cluster, route and listener files. */
#ifndef WEFT_XDS_RENDER_INT_H
#define WEFT_XDS_RENDER_INT_H

#include "hmap.h"
#include "policy-t.h"
#include "xds_pb.h"
#include "xds_render.h"

typedef struct xds_ctx {
	const xds_render_input *in;
	weft_arena *a;
	weft_hmap services; /* "ns/name" -> weft_resource, the input's */
	weft_resource **by_kind[WEFT_KIND_COUNT];
	size_t n_kind[WEFT_KIND_COUNT];
	const weft_model *model; /* in->model, else own_model */
	weft_model *own_model;
} xds_ctx;

int xds_ctx_init(xds_ctx *c, const xds_render_input *in);
void xds_ctx_free(xds_ctx *c);
/* A Service of the input (scoped views hold fewer than the model). */
const weft_resource *xds_ctx_service(const xds_ctx *c, const char *ns, const char *name);
/* The model of a Service, and the whole service's policies in effect
 * (never NULL: empty for a service without ports). */
const weft_model_service *xds_model_service(const xds_ctx *c, const weft_resource *svc);
const weft_model_policies *xds_service_policies(const xds_ctx *c, const weft_resource *svc);
/* The Routes aimed at svc (spec.service), in policy order. */
const weft_resource *const *xds_service_routes(const xds_ctx *c, const weft_resource *svc,
                                               size_t *n);

static inline const weft_service_spec *svc_spec(const weft_resource *r)
{
	return (const weft_service_spec *)r->spec;
}

/* outbound|PORT|SUBSET|NAME.NS in the arena. */
char *xds_cluster_name(weft_arena *a, const char *dir, int port, const char *subset, const char *ns,
                       const char *name);
/* The port a destination resolves to (its port, else hint_port when the
 * service has it, else the service's first): weft_model_destination_port. */
int xds_dest_port(const xds_ctx *c, const weft_resource *svc, const weft_destination *d,
                  int hint_port);

/* RouteConfiguration of one service port (routes of the policy, or a
 * default route to the service); vhost domains given by the caller. */
ProtobufCMessage *xds_render_vhost(xds_ctx *c, const weft_resource *svc, int port,
                                   const char **domains, size_t n_domains, int proxyless);
/* A virtual host from a Route with spec.hosts (gateways): its hosts as
 * domains, its HTTP rules. */
ProtobufCMessage *xds_render_route_vhost(xds_ctx *c, const weft_resource *route_res);
/* The http_filters of an HttpConnectionManager (router last): fault
 * always; for a sidecar's inbound side of svc (NULL: outbound) local rate
 * limit and RBAC from the policy; the access log and tracing of the
 * Telemetry aimed at svc. Proxyless clients get fault + router only. */
void xds_hcm_filters(xds_ctx *c, void *hcm, const weft_resource *svc, int proxyless);
struct Envoy__Config__Route__V3__RouteAction;
/* The RateLimit aimed at service svc (NULL: none; svc may be NULL), and
 * the one aimed at the Route route_res. */
const weft_rate_limit_spec *xds_service_rate_limit(xds_ctx *c, const weft_resource *svc);
const weft_rate_limit_spec *xds_route_rate_limit(xds_ctx *c, const weft_resource *route_res);
/* The LocalRateLimit of rl as an Any (per-route config): the default
 * bucket and a descriptor per tier. */
Google__Protobuf__Any *xds_ratelimit_config(xds_ctx *c, const weft_rate_limit_spec *rl,
                                            const char *stat_prefix);
/* Sets ra->rate_limits to the action that builds rl's descriptor (header
 * or remote address, stage 0); clears it when rl (may be NULL) has no
 * tiers. */
void xds_ratelimit_actions(xds_ctx *c, struct Envoy__Config__Route__V3__RouteAction *ra,
                           const weft_rate_limit_spec *rl);
/* zipkin|ADDRESS|PORT: the CDS cluster of a Telemetry's trace collector
 * (xds_render_cluster.c), named by the HttpConnectionManager's tracer. */
char *xds_zipkin_cluster_name(weft_arena *a, const weft_collector *col);
struct Envoy__Type__Matcher__V3__StringMatcher *
xds_string_matcher(xds_ctx *c, const char *exact, const char *prefix, const char *regex);
struct Envoy__Config__Route__V3__HeaderMatcher *xds_header_matcher(xds_ctx *c, const char *name,
                                                                   const char *exact,
                                                                   const char *prefix,
                                                                   const char *regex, int present);

/* TLS (xds_render_sds.c). */
weft_mtls_mode xds_peer_mtls(xds_ctx *c, const weft_resource *svc);
/* A TransportSocket for clusters of svc (mesh mTLS via SDS, or the
 * TrafficPolicy's client TLS), or NULL for plaintext. */
void *xds_upstream_tls(xds_ctx *c, const weft_resource *svc, const weft_client_tls *tls);
/* Adds the DownstreamTlsContext of svc's PeerAuthentication to an inbound
 * listener (whose single filter chain is the plaintext one). */
void xds_inbound_tls(xds_ctx *c, void *listener, const weft_resource *svc);

/* Gateways (xds_render_gateway.c): LDS/RDS of a gateway view. */
int xds_render_gateway(xds_ctx *c, const xds_view_key *key, xds_resset *lds, xds_resset *rds);
/* A FilterChain with an HttpConnectionManager (sidecar filters, RDS). */
void *xds_hcm_chain(xds_ctx *c, const char *stat_prefix, const char *route);

/* TCP (xds_render_tcp.c). */
int xds_port_is_tcp(const weft_service_spec *s, const weft_service_port *p);
/* A FilterChain: svc's endpoints (on the view's plane) -> tcp_proxy. */
void *xds_tcp_service_chain(xds_ctx *c, const xds_view_key *key, const weft_resource *svc,
                            int port);
/* Listener filters (original_dst, http_inspector), http_chain matched on
 * HTTP application protocols, passthrough default chain. */
void xds_tcp_listener_finish(xds_ctx *c, void *listener, void *http_chain);
ProtobufCMessage *xds_passthrough_cluster(xds_ctx *c);
/* A FilterChain with only a tcp_proxy to cluster. */
void *xds_tcp_chain_to(xds_ctx *c, const char *stat_prefix, const char *cluster);

#endif
