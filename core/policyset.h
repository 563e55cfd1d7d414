/* Policy set: the complete, immutable set of resources of one revision,
 * sorted by (kind, namespace, name). A new set is derived from an old one by
 * applying upserts and deletes; unchanged resources are shared by reference,
 * so a one-resource change costs O(n) pointer copies, not a re-decode. */
#ifndef WEFT_POLICYSET_H
#define WEFT_POLICYSET_H

#include "diag.h"
#include "resource-t.h"

typedef struct weft_policyset weft_policyset;

/* A set holding refs to the given resources. Duplicate keys are reported
 * into diags (file:line of both) and make it fail (NULL). */
weft_policyset *weft_policyset_new(weft_resource *const *res, size_t n, weft_diags *diags);
/* base + upserts (replace same key or add) - deletes. A delete of a missing
 * key is reported as an error into diags; duplicate keys among the upserts
 * too. NULL on any error. base may be NULL (empty). */
weft_policyset *weft_policyset_derive(const weft_policyset *base, weft_resource *const *upserts,
                                      size_t n_upserts, const weft_key *deletes, size_t n_deletes,
                                      weft_diags *diags);
weft_policyset *weft_policyset_ref(weft_policyset *set);
void weft_policyset_unref(weft_policyset *set);

size_t weft_policyset_count(const weft_policyset *set);
/* All resources, sorted. */
weft_resource *const *weft_policyset_items(const weft_policyset *set);
/* The resources of one kind: a contiguous, sorted slice. */
weft_resource *const *weft_policyset_kind(const weft_policyset *set, weft_kind kind, size_t *n);
/* Binary search; NULL when missing. */
const weft_resource *weft_policyset_find(const weft_policyset *set, weft_kind kind, const char *ns,
                                         const char *name);

#endif
