/* Translation of the policy into Envoy v3 resources (the adapter's pure
 * render step, docs/architecture.md "Plan"). Input: the resources a feed serves (a
 * Device's slice of the snapshot, or the whole snapshot for the default
 * feed) and the view of the proxy (role, own service, network plane, node
 * IPs). Output: one sealed xds_resset per type. No I/O.
 *
 * Naming (documented in docs/adapter-xds.md):
 *   clusters   outbound|PORT|SUBSET|NAME.NS (SUBSET empty for all endpoints),
 *              inbound|PORT||NAME.NS (static, 127.0.0.1:targetPort);
 *              EDS service_name = cluster name
 *   proxyless  Listeners NAME, NAME.NS, NAME:PORT, NAME.NS:PORT (API
 *              listeners; the bare forms only for a service's first port)
 *              with RDS route config NAME.NS:PORT
 *   sidecar    Listeners outbound|0.0.0.0|PORT (RDS route config PORT, one
 *              virtual host per service on that port) and
 *              inbound|IP|PORT for the proxy's own instances. */
#ifndef WEFT_XDS_RENDER_H
#define WEFT_XDS_RENDER_H

#include "diag.h"
#include "resource-t.h"
#include "model.h"
#include "snapshot.h"
#include "warning.h"
#include "xds_res.h"

typedef enum xds_role {
	XDS_ROLE_PROXYLESS,
	XDS_ROLE_SIDECAR,
	XDS_ROLE_GATEWAY,
} xds_role;

const char *xds_role_name(xds_role r);

typedef struct xds_view_key {
	xds_role role;
	const char *service; /* own service "ns/name" (sidecar); NULL: by IP */
	const char *gateway; /* "ns/name" (gateway role) */
	const char *plane;   /* endpoint plane this proxy reaches; NULL: default */
	const char **ips;    /* node IPs on every plane */
	size_t n_ips;
} xds_view_key;

typedef struct xds_render_input {
	weft_resource *const *res; /* sorted, any kind but Device */
	size_t n;
	/* The resolved model of the snapshot res comes from (core/model.h):
	 * endpoints, weights and policies in effect. NULL: the renderer
	 * compiles one from res (tests, tools). */
	const weft_model *model;
} xds_render_input;

/* Renders CDS and EDS (shared by every view of a feed with the same
 * plane). pred (may be NULL) are the previous sets, for identity reuse and
 * change lists. 0 or -1 with err. */
int xds_render_clusters(const xds_render_input *in, const char *plane, xds_resset *pred_cds,
                        xds_resset *pred_eds, xds_resset **cds, xds_resset **eds, weft_err *err);
/* Renders LDS and RDS of one view. */
int xds_render_listeners(const xds_render_input *in, const xds_view_key *key, xds_resset *pred_lds,
                         xds_resset *pred_rds, xds_resset **lds, xds_resset **rds, weft_err *err);

/* Translation warnings of a feed (xds_render_warn.c): what its gateway
 * views render only approximately. 0, or -1 when out of memory. */
int xds_render_warnings(const xds_render_input *in, weft_warnings *w);

/* SDS: the view's identity ("default", when cert/key are given) and the
 * mesh CA ("ROOTCA"), inline PEM. */
#define XDS_SECRET_IDENTITY "default"
#define XDS_SECRET_ROOTCA   "ROOTCA"
int xds_render_secrets(const char *cert_pem, const char *key_pem, const char *root_pem,
                       xds_resset *pred, xds_resset **out, weft_err *err);
/* The proxy's own service ("ns/name" into buf) for a view: key->service,
 * else the first service with an instance on one of the node's IPs. 0 or
 * -1 when it has none. */
int xds_view_identity(const xds_render_input *in, const xds_view_key *key, char *buf, size_t len);

#endif
