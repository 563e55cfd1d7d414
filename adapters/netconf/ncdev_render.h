/* Rendering a snapshot into weft-lb (the netconf adapter's `render`
 * phase): pure, no I/O. Split over two files:
 *   ncdev_render.c     entry point, selection, Services -> pools and
 *                      members, TrafficPolicy -> health checks and LB
 *                      method, RateLimit -> rate-limit, AccessPolicy -> acl
 *   ncdev_render_vs.c  Gateway listeners -> virtual services with their own
 *                      pool (the route's destinations, weighted), TLS
 *                      profiles, mTLS from PeerAuthentication
 * Object names: weft names are DNS labels, so "_" joins the parts of a
 * weft-lb name unambiguously (NS_NAME[_PORT]); names longer than weft-lb's
 * 64 characters keep 55 and get "-" and 8 hex digits of a hash. */
#ifndef WEFT_NCDEV_RENDER_H
#define WEFT_NCDEV_RENDER_H

#include "ncdev.h"
#include "model.h"
#include "policyset.h"
#include "warning.h"

struct ncdev_render {
	const weft_policyset *set;
	const weft_model *model; /* what the policy means (core/model.h) */
	weft_warnings *warnings; /* what weft-lb cannot express */
	const weft_resource *dev;
	const struct ly_ctx *ctx;
	struct lyd_node *tree;
	weft_err *err;
	weft_resource *const *sel; /* what the device's scope selects */
	size_t n_sel;
};

/* Creates the node at the path printed from fmt (absolute, weft-lb:
 * prefixed) with value (NULL for lists/containers). An existing leaf-list
 * value is not an error. 0 or -1 with err naming the device and path. */
int ncdev_put(struct ncdev_render *r, const char *value, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* A weft-lb object name from parts joined by "_" (NULL-terminated). */
void ncdev_name(char *buf, size_t len, ...) __attribute__((sentinel));
/* A selected resource by reference (ns defaults to from_ns), or NULL. */
const weft_resource *ncdev_find(const struct ncdev_render *r, weft_kind kind, const weft_ref *ref,
                                const char *from_ns);
/* Whether ref (resolved against from_ns) names resource res. */
int ncdev_ref_is(const weft_ref *ref, const char *from_ns, const weft_resource *res);
/* The TrafficPolicy spec in effect for a model subset, or NULL. */
const weft_traffic_policy_spec *ncdev_traffic_policy(const weft_model_subset *sub);
/* Records a warning (render fails only when out of memory). */
int ncdev_warn(struct ncdev_render *r, const weft_resource *res, weft_pos pos, const char *field,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The weft-lb method for a TrafficPolicy (NULL: none) given whether the
 * members carry different weights. Sets *hash_key for ring-hash/maglev. */
const char *ncdev_method(const weft_traffic_policy_spec *tp, int weighted, const char **hash_key);
/* Names of the health check / rate limit / acl rendered for a resource. */
void ncdev_object_name(const weft_resource *res, char *buf, size_t len);

/* ncdev_render_vs.c: every listener of every selected Gateway. */
int ncdev_render_gateways(struct ncdev_render *r);

#endif
