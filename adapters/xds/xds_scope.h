/* Dependency scoping of sidecar views (Service spec.upstreams, see
 * docs/policy.md and docs/adapter-xds.md "Feeds and views").
 *
 * A sidecar whose own service lists upstreams needs only those services:
 * their clusters, endpoints and virtual hosts, the clusters their Routes
 * send to, and its own inbound side. xds_scope_build computes that closure
 * from the feed's snapshot indexes (cost proportional to the closure, not
 * to the policy); xds_scope_filter cuts a feed's shared CDS or EDS set
 * down to it, sharing the encoded resources. Server thread only. */
#ifndef WEFT_XDS_SCOPE_H
#define WEFT_XDS_SCOPE_H

#include "xds_res.h"
#include "xds_server_int.h"

typedef struct xds_scope {
	char *own;       /* "NAME.NS" of the proxy's service */
	char **services; /* "NAME.NS" whose outbound clusters it gets, sorted */
	size_t n_services;
	weft_resource **res; /* the render input for LDS/RDS, sorted by key */
	size_t n_res;
} xds_scope;

/* Fills sc for a sidecar whose own service is own_ns/own_name. Returns 1
 * when the view is scoped (the service is in the feed and lists
 * upstreams), 0 when it gets the whole feed (sc untouched), -1 when out of
 * memory. */
int xds_scope_build(const xds_feed_data *d, const char *own_ns, const char *own_name,
                    xds_scope *sc);
void xds_scope_free(xds_scope *sc);

/* Whether a CDS/EDS resource name belongs to the scope: outbound clusters
 * of its services, the inbound clusters of its own service, and every
 * resource that is not per service (PassthroughCluster, collectors). */
int xds_scope_wants(const xds_scope *sc, const char *name);

/* An index of a whole feed's CDS or EDS set by service, built once per
 * revision and plane, so that cutting the set down to a scope costs the
 * size of the scope, not of the set. Holds a reference to the set. */
typedef struct xds_scope_index xds_scope_index;
xds_scope_index *xds_scope_index_new(xds_resset *full);
void xds_scope_index_free(xds_scope_index *x);

/* A sealed set of the items of the indexed set that the scope wants,
 * diffed against pred (may be NULL). NULL when out of memory. */
xds_resset *xds_scope_filter(const xds_scope *sc, const xds_scope_index *x, const xds_resset *pred);

#endif
