/* Internal to the Gateway API translators of northbound/ (gw_*.c). */
#ifndef WEFT_NORTHBOUND_GW_INT_H
#define WEFT_NORTHBOUND_GW_INT_H

#include "nb_common.h"

#define GW_GROUP "gateway.networking.k8s.io"

/* A scalar field's text without reporting, or NULL. */
const char *gw_field(const weft_node *m, const char *key);
/* A ReferenceGrant in ns lets from_kind objects of from_ns refer to the
 * to_kind object name (core group). */
int gw_granted(weft_xlate *x, const char *from_kind, const char *from_ns, const char *ns,
               const char *to_kind, const char *name);
/* backendRefs into weft destinations (weights normalised to 100). */
json_t *gw_backends(weft_xlate *x, const weft_xsrc *src, const weft_node *refs, const char *base);
/* [{type, name, value}] header / query matches into weft matches. */
json_t *gw_typed_list(weft_xlate *x, const weft_xsrc *src, const weft_node *l, const char *base);
/* HTTP filters into the rule's headers / rewrite. */
void gw_filters(weft_xlate *x, const weft_xsrc *src, const weft_node *fl, const char *base,
                json_t *rule);
/* Gateway API match precedence, compared field by field (lower first). */
typedef struct gw_prec {
	long long path; /* exact 0, regex 1, prefix 2 (longer first), then no path */
	int no_method;
	long long headers, queries; /* negated counts */
	size_t order;               /* rule, then match, as written */
} gw_prec;

/* One match into a weft match, with its precedence. */
typedef json_t *(*gw_match_fn)(weft_xlate *x, const weft_xsrc *src, const weft_node *m,
                               const char *base, gw_prec *rank);
/* HTTP-style rules: one weft rule per match, sorted by precedence. */
json_t *gw_http_rules(weft_xlate *x, const weft_xsrc *src, const weft_node *rules,
                      gw_match_fn match_fn);

/* Attaches a route's rules ("http" or "tcp") to its parents: a weft Route
 * per Service parent (GAMMA), one Route with hosts for the Gateway parents,
 * added to the listeners that accept it. 0, or -1 when out of memory. */
typedef json_t *(*gw_service_rules_fn)(weft_xlate *x, const weft_xsrc *src, const weft_node *parent,
                                       const char *route, int *skip);
/* service_rules (may be NULL) gives the rules of one Service parent's Route
 * instead of rules (NULL: rules), or sets *skip when another source
 * carries them. */
int gw_attach(weft_xlate *x, const weft_xsrc *src, const weft_node *spec, json_t *rules,
              const char *rules_key, gw_service_rules_fn service_rules);

#endif
