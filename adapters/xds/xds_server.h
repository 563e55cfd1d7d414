/* weft's xDS adapter: public API (docs/architecture.md "Device families: xDS").
 *
 * An ADS server (gRPC C core, plaintext HTTP/2 or TLS, on loopback or any
 * address; one per adapter instance, started by its init) serving StreamAggregatedResources (state
 * of the world) and DeltaAggregatedResources to Envoy sidecars, gateways and proxyless gRPC
 * clients. Proxies are grouped into views (feed, role, own service, network
 * plane, node IPs) taken from the node id and metadata; each view's
 * resources are encoded once and the bytes shared by all its streams.
 *
 * Feeds: a Device of type xds (spec.options.nodeMatch: idPrefix and
 * metadata labels) feeds the proxies it matches with ITS slice of the
 * snapshot; the adapter's apply publishes that slice to the server. Proxies
 * that match no xds Device are served from the DEFAULT feed: the
 * controller's intent, which the server follows by notification
 * (weft_controller_subscribe; no Device needed, no polling).
 *
 * Node metadata understood (all optional):
 *   role      "sidecar" | "gateway" | "proxyless" (default: proxyless when
 *             the user agent names gRPC, else sidecar)
 *   service   "ns/name": the proxy's own service (sidecar inbound side)
 *   ips       list of the node's IPs, one per plane, or "ip1,ip2"
 *   plane     network plane whose endpoint addresses this proxy uses
 *   gateway   "ns/name" of the Gateway a gateway proxy implements
 *
 * Threading: the server runs its own thread (one completion queue); the
 * functions below are safe from any thread. */
#ifndef WEFT_XDS_SERVER_H
#define WEFT_XDS_SERVER_H

#include <jansson.h>

#include "adapter.h"
#include "controller.h"
#include "diag.h"

typedef struct xds_server xds_server;

typedef struct xds_server_opts {
	int no_default_feed; /* 1: proxies without a matching Device get nothing */
	int cert_ttl_s;      /* identity certificate lifetime (default 86400);
	                      * re-issued after 2/3 of it */
	/* TLS on the ADS listener (PEM file paths): cert + key enable TLS;
	 * client_ca also requires and verifies client certificates (mTLS).
	 * NULL: plaintext. */
	const char *tls_cert_file, *tls_key_file, *tls_client_ca_file;
} xds_server_opts;

/* Starts an ADS server on listen_addr ("127.0.0.1:18000"). c may be NULL
 * (then only Device feeds published through the adapter are served). opts
 * may be NULL. NULL with err when the address cannot be bound. The xds
 * adapter's init calls this (config "listen"); servers share nothing. */
xds_server *xds_server_start(weft_controller *c, const char *listen_addr,
                             const xds_server_opts *opts, weft_err *err);
/* Cancels every stream, stops the thread, frees everything. NULL is fine. */
void xds_server_stop(xds_server *s);
/* The bound port (useful with port 0). */
int xds_server_port(const xds_server *s);

/* {"listen":..,"streams":N,"revision":R,"views":[{"key","role","feed",
 *   "streams","version","resources":{"cds":N..}}],
 *  "proxies":[{"node","view","mode","connected_ms","types":{..},"config":{..}}]}
 * (config, only with with_config: what the proxy was last sent, every
 * resource name and version -- with thousands of proxies holding
 * thousands of resources that is gigabytes of JSON: for one-off dumps and
 * plans, never for polling). Built on request by the server thread, which
 * owns the streams: the call waits for it (at most 2 s, then returns the
 * previous one with "stale": true). New reference; caller decrefs. */
json_t *xds_server_status(xds_server *s, int with_config);
/* Prometheus text: weft_xds_connected_proxies, weft_xds_pushes_total,
 * weft_xds_acks_total, weft_xds_nacks_total, weft_xds_convergence_seconds
 * (histogram: snapshot seen -> ACKed). malloc'd. */
char *xds_server_metrics(xds_server *s);

/* The dry-run of a plan for the connected proxies (xds_plan.c): which
 * proxies the planned snapshot would change and which xDS resources, per
 * feed (the default feed, each xds Device). planned: the plan's candidate
 * snapshot (its revision is reported). Returns
 * {"revision","connected","affected","unassigned","stale","feeds":[{"feed",
 *   "held_revision","proxies","affected","changes":{TYPE:{"add","update",
 *   "remove"}},"groups":[{"count","nodes","changes"}],"note"?}]}
 * (docs/api.md, "POST /v1/plan"), or NULL with err. Safe from any thread:
 * it reads the streams through xds_server_status (same cost: every
 * proxy's config dump). New reference. */
json_t *xds_server_plan(xds_server *s, weft_snapshot *planned, weft_err *err);

/* The adapter table (kind "xds"): render/diff show the resources a Device
 * serves (names and versions); apply publishes the device's slice to the
 * instance's server (fails when it has none). init's configuration:
 *   {"listen": "HOST:PORT", "tlsCert": F, "tlsKey": F, "tlsClientCa": F}
 * (all optional; without listen the instance serves nothing). fini stops
 * the server. */
const weft_adapter *xds_adapter(void);
/* The server of an instance context (NULL: none configured). */
xds_server *xds_adapter_server(void *ctx);

#endif
