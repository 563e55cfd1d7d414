/* xdsfleet names.h: name sets, held resources and the names a resource
 * points to (see names.c). Private to the simulator. */
#ifndef WEFT_XDSFLEET_NAMES_H
#define WEFT_XDSFLEET_NAMES_H

#include "xdsfleet.h"

#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "google/protobuf/any.pb-c.h"

bool xf_names_has(const struct xf_names *s, const char *name);
/* Adds a copy of name (no-op when present); 0 or -1 (out of memory). */
int xf_names_add(struct xf_names *s, const char *name);
bool xf_names_equal(const struct xf_names *a, const struct xf_names *b);
void xf_names_free(struct xf_names *s);
void xf_names_move(struct xf_names *dst, struct xf_names *src);

/* Delta: records (or replaces) a held resource; takes deps' content. */
int xf_held_set(struct xf_held *h, const char *name, const char *version, struct xf_names *deps);
void xf_held_remove(struct xf_held *h, const char *name);
void xf_held_free(struct xf_held *h);
/* Adds the union of every held resource's deps to out. */
int xf_held_deps(const struct xf_held *h, struct xf_names *out);

/* Decodes a resource of the given type from its Any: sets *name (caller
 * frees) and adds the names it points to (EDS names of a Cluster, RDS names
 * of a Listener) to deps. -1 when the bytes do not decode. */
int xf_resource_deps(enum xf_type type, const Google__Protobuf__Any *any, char **name,
                     struct xf_names *deps);
int xf_resource_name(enum xf_type type, const Google__Protobuf__Any *any, char **name);

#endif
