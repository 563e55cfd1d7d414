/* The resolved model: what a policy MEANS, decided once per revision in
 * core (core/model.c, core/model_policy.c) and rendered by every adapter
 * (docs/architecture.md, "The resolved model"). Types only; functions are
 * in model.h.
 *
 * Everything here is immutable once compiled and lives as long as the
 * model (the snapshot that owns it). Pointers to policy objects (weft_*
 * spec structs, weft_resource) point into the policy set the model was
 * compiled from. */
#ifndef WEFT_MODEL_T_H
#define WEFT_MODEL_T_H

#include <stddef.h>
#include <stdint.h>

#include "policy-t.h"
#include "resource-t.h"

typedef struct weft_model weft_model;

/* The network plane every family without a plane of its own uses. */
#define WEFT_PLANE_DEFAULT "default"

/* One effective endpoint of a (service port, subset, plane). */
typedef struct weft_model_endpoint {
	const char *address; /* on the plane (the default address when the
	                      * endpoint has none on that plane) */
	int port;            /* endpoint port, else targetPort, else port */
	int weight;          /* >= 1 */
	const char *zone;    /* NULL: none */
	/* The Service's spec.endpoints entry; NULL when a registry supplied
	 * it (see weft_endpoint_table). */
	const weft_endpoint *source;
} weft_model_endpoint;

/* The endpoints of one (port, subset) on one plane, in input order. */
typedef struct weft_model_endpoints {
	const char *plane;
	weft_model_endpoint *items;
	size_t count;
	int weighted; /* the weights are not all equal */
	long long weight_sum;
} weft_model_endpoints;

/* The policies in effect for a (service, subset) or a route; NULL: none.
 * Precedence is documented in docs/policy.md, "Precedence". */
typedef struct weft_model_policies {
	const weft_resource *traffic_policy;
	const weft_resource *rate_limit;
	const weft_resource *access_policy;
	const weft_resource *telemetry;
	const weft_resource *peer_authentication;
} weft_model_policies;

typedef struct weft_model_subset {
	const char *name;        /* NULL: every endpoint of the service */
	const weft_subset *spec; /* NULL for the whole service */
	weft_model_policies policies;
	weft_model_endpoints *planes; /* planes[0] is WEFT_PLANE_DEFAULT */
	size_t n_planes;
} weft_model_subset;

typedef struct weft_model_port {
	const weft_service_port *spec;
	int port;
	int target_port;            /* targetPort, else port */
	weft_protocol protocol;     /* the port's, else the service's */
	weft_model_subset *subsets; /* [0]: whole service; then spec.subsets order */
	size_t n_subsets;
} weft_model_port;

typedef struct weft_model_service {
	const weft_resource *res;
	const weft_service_spec *spec;
	weft_model_port *ports; /* spec.ports order */
	size_t n_ports;
	const char **planes; /* WEFT_PLANE_DEFAULT first, then sorted */
	size_t n_planes;
	/* Every resource aimed at the service, by kind, in policy order
	 * (mesh Routes with spec.service = it, TrafficPolicies, ...). The
	 * ones in effect are in the subsets' policies; the others are listed
	 * so that an adapter can say what it does not render. */
	struct {
		const weft_resource **items;
		size_t count;
	} aimed[WEFT_KIND_COUNT];
	/* Over everything the service's rendering depends on: the Service
	 * and each resource aimed at it (in order). Equal hashes, equal
	 * meaning. */
	uint64_t hash;
} weft_model_service;

/* A route rule's destination, resolved. */
typedef struct weft_model_destination {
	const weft_destination *spec;
	const weft_model_service *service; /* NULL: not in the model */
	const weft_model_port *port;       /* NULL: the service has no such port */
	const weft_model_subset *subset;   /* the whole service when no subset */
	/* Normalized: the destinations of one rule sum to 100 (a single
	 * destination without weight gets 100; weight 0 stays 0). */
	int weight;
} weft_model_destination;

typedef struct weft_model_rule {
	const weft_http_rule *http; /* exactly one of http, tcp */
	const weft_tcp_rule *tcp;
	weft_model_destination *dests;
	size_t n_dests;
} weft_model_rule;

typedef struct weft_model_route {
	const weft_resource *res;
	const weft_route_spec *spec;
	const weft_model_service *service; /* mesh route: its service; else NULL */
	weft_model_rule *http;
	size_t n_http;
	weft_model_rule *tcp;
	size_t n_tcp;
	/* rate_limit: the RateLimit aimed at this Route (applies on top of
	 * the service's); the others: those of the route's service. */
	weft_model_policies policies;
} weft_model_route;

/* What one Device's scope selects, and its content hash: two snapshots
 * whose slices of a device hash equal render the same config for it. */
typedef struct weft_model_slice {
	const weft_resource *device;
	weft_resource *const *items; /* selected resources (no Device), sorted */
	size_t n_items;
	const weft_model_service **services; /* the selected Services, sorted */
	size_t n_services;
	uint64_t hash; /* the Device's hash and every selected resource's */
} weft_model_slice;

/* The hook for endpoints that do not come from the policy (registries,
 * docs/architecture.md "The resolved model"): for a Service with
 * spec.registry, lookup returns the endpoints the registry holds (count in
 * *n) or NULL when it has none yet (the Service's static endpoints, if
 * any, are used then). The table outlives the compile call only. */
typedef struct weft_endpoint_table {
	const weft_endpoint *(*lookup)(void *arg, const weft_resource *service, size_t *n);
	void *arg;
} weft_endpoint_table;

#endif
