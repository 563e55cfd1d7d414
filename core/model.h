/* The resolved model (types in model-t.h; design in docs/architecture.md,
 * "The resolved model"; precedence in docs/policy.md, "Precedence").
 *
 * A model is compiled from a sorted list of validated resources (a
 * snapshot compiles one from its policy set, weft_snapshot_model) and is
 * immutable afterwards: any number of threads may read it. Adapters render
 * from it instead of re-deriving what the policy means: the effective
 * endpoints of a service port per subset and plane, the normalized weights
 * of a route rule, the policies in effect. */
#ifndef WEFT_MODEL_H
#define WEFT_MODEL_H

#include <jansson.h>

#include "diag.h"
#include "model-t.h"

/* Compiles res[0..n) (sorted as a policy set holds them; Devices are
 * ignored). endpoints may be NULL (only the policy's static endpoints).
 * prev (may be NULL) is the previous revision's model: the endpoint lists
 * of Services whose resource object it shares are reused, not resolved
 * again (prev may be freed before or after the new model). NULL with err
 * when out of memory; validated input never fails otherwise (what
 * validation refuses is skipped, not guessed). */
weft_model *weft_model_compile(weft_resource *const *res, size_t n,
                               const weft_endpoint_table *endpoints, const weft_model *prev,
                               weft_err *err);
void weft_model_free(weft_model *m);

/* Services, sorted by namespace and name. */
const weft_model_service *weft_model_services(const weft_model *m, size_t *n);
const weft_model_service *weft_model_find_service(const weft_model *m, const char *ns,
                                                  const char *name);
/* A Route (mesh or gateway) by name, or NULL. */
const weft_model_route *weft_model_find_route(const weft_model *m, const char *ns,
                                              const char *name);
/* The resolved Route of a weft_resource of kind Route, or NULL. */
const weft_model_route *weft_model_route_of(const weft_model *m, const weft_resource *route);

/* The service's port `port` (0: its first port), or NULL. */
const weft_model_port *weft_model_find_port(const weft_model_service *s, int port);
/* The subset `name` of a port (NULL: the whole service), or NULL when the
 * service has no such subset. */
const weft_model_subset *weft_model_find_subset(const weft_model_port *p, const char *name);
/* The endpoints on `plane` (NULL: WEFT_PLANE_DEFAULT). A plane no endpoint
 * of the service names has the default addresses. Never NULL. */
const weft_model_endpoints *weft_model_endpoints_on(const weft_model_subset *s, const char *plane);
/* The port a destination sends to: its own port, else hint_port when the
 * destination service has it (the port being rendered), else the service's
 * first port. 0 when the service is not in the model. */
int weft_model_destination_port(const weft_model_destination *d, int hint_port);

/* The model of a service / route as JSON (core/model_json.c): ports ->
 * subsets -> policies in effect and endpoints per plane; rules ->
 * destinations with normalized weights. */
json_t *weft_model_service_to_json(const weft_model_service *s);
json_t *weft_model_route_to_json(const weft_model_route *r);

/* spec.service of a resource of a kind aimed at a service (Route,
 * TrafficPolicy, RateLimit, AccessPolicy, PeerAuthentication, Telemetry),
 * or NULL for other kinds. A NULL name means namespace-wide. */
const weft_ref *weft_model_aimed_service(const weft_resource *r);

/* The address of an endpoint on a plane: the plane's entry, else the
 * default address (spec `address`, else addresses.default), else the first
 * plane's. The one rule; validation and the model both use it. */
const char *weft_endpoint_address_on(const weft_endpoint *e, const char *plane);
/* The port an endpoint listens on for a service port. */
int weft_endpoint_port_for(const weft_endpoint *e, const weft_service_port *p);

#endif
