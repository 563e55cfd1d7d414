/* Internal to the model compiler (core/model.c, core/model_policy.c). */
#ifndef WEFT_MODEL_INT_H
#define WEFT_MODEL_INT_H

#include <stdatomic.h>

#include "arena.h"
#include "hmap.h"
#include "model.h"

/* The endpoint lists of one service, shared (refcounted) between the
 * models of successive snapshots while the Service resource is the same
 * object (model.c, resolve_service). */
struct model_block {
	atomic_int refs;
	weft_arena *a;
};

struct weft_model {
	weft_arena *a;
	struct model_block **blocks;  /* per service; NULL entries while compiling */
	weft_model_service *services; /* sorted by ns/name */
	size_t n_services;
	weft_hmap service_index; /* "ns/name" -> weft_model_service */
	weft_model_route *routes;
	size_t n_routes;
	weft_hmap route_index; /* "ns/name" -> weft_model_route */
};

/* "ns/name" into buf without printf; -1 when it does not fit. */
int model_key(char *buf, size_t len, const char *ns, const char *name);
weft_model_service *model_service_mut(const weft_model *m, const char *ns, const char *name);
/* The policies in effect per service and subset (model_policy.c). */
int model_resolve_policies(weft_model *m, weft_resource *const *res, size_t n);
/* Routes with their destinations and policies (model_policy.c). */
int model_resolve_routes(weft_model *m, weft_resource *const *res, size_t n);

#endif
