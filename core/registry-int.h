/* Internal to core/registry_*.c: building endpoint sets. See registry.h. */
#ifndef WEFT_REGISTRY_INT_H
#define WEFT_REGISTRY_INT_H

#include "registry.h"

/* The empty set, generation 0. NULL when out of memory. */
weft_endpoint_set *endpoint_set_empty(void);
/* A new set: old with the Service's endpoints replaced by a copy of eps
 * (n may be 0), generation + 1; entries of other Services are shared.
 * NULL when out of memory (old is unchanged). */
weft_endpoint_set *endpoint_set_with(const weft_endpoint_set *old, const char *ns, const char *name,
                                     const weft_endpoint *eps, size_t n);
/* A new set holding only the Services keep(arg, ns, name) says yes to, or a
 * new reference to old when that removes nothing. */
weft_endpoint_set *endpoint_set_filter(weft_endpoint_set *old,
                                       int (*keep)(void *arg, const char *ns, const char *name),
                                       void *arg);

#endif
