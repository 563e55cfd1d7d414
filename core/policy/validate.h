/* Internal to core/policy: semantic validation over a whole policy set
 * (weft_policy_validate). validate.c holds the driver and shared helpers;
 * validate_service.c, validate_route.c and validate_device.c the per-kind
 * rules. Rules run on the typed model (policy-t.h); positions come from the
 * weft_pos fields the decoder recorded and the resource's file. Cross
 * references go through the sorted set (binary search) or hash maps, so a
 * policy of thousands of services validates in linear-ish time. */
#ifndef WEFT_POLICY_VALIDATE_H
#define WEFT_POLICY_VALIDATE_H

#include "policy.h"
#include "strmap.h"

struct vctx {
	const weft_policyset *set;
	weft_diags *diags;
	int errors;
	struct strmap endpoints;   /* "plane|ip|port" -> struct ep_use (validate_service.c) */
	struct strmap namespaces;  /* namespaces that hold at least one resource */
	struct strmap policy_keys; /* "ns/service/subset" -> first TrafficPolicy */
};

/* Reports a problem of resource r at pos with field path. */
void verr(struct vctx *v, const weft_resource *r, weft_pos pos, const char *path,
	  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Resolves ref to a resource of kind, or reports it as dangling at the
 * ref's position with path (and a did-you-mean). NULL when missing. */
const weft_resource *vresolve(struct vctx *v, const weft_resource *r, weft_kind kind,
			      const weft_ref *ref, const char *path);

/* Service helpers (validate_service.c). */
const weft_service_port *service_port(const weft_service_spec *s, int port);
const weft_subset *service_subset(const weft_service_spec *s, const char *name);
weft_protocol port_protocol(const weft_service_spec *s, const weft_service_port *p);
int protocol_is_http(weft_protocol p);

void validate_service(struct vctx *v, const weft_resource *r);
void validate_endpoint_conflicts(struct vctx *v, const weft_resource *r);
void validate_route(struct vctx *v, const weft_resource *r);
void validate_gateway(struct vctx *v, const weft_resource *r);
void validate_traffic_policy(struct vctx *v, const weft_resource *r);
void validate_rate_limit(struct vctx *v, const weft_resource *r);
void validate_device(struct vctx *v, const weft_resource *r);

#endif
