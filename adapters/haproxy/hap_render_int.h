/* Shared by the haproxy renderer's files (hap_render.c: backends, servers,
 * balance, checks; hap_render_http.c: frontends, routing, policies). */
#ifndef HAP_RENDER_INT_H
#define HAP_RENDER_INT_H

#include <stdio.h>

#include "hap.h"
#include "model.h"
#include "policyset.h"

struct rctx {
	FILE *f; /* the .cfg text being written */
	const weft_model *model;
	const weft_policyset *set;
	weft_warnings *w;
	/* Routes whose backends are written (a route on two listeners gets
	 * its backends once). */
	const weft_resource **done;
	size_t n_done, cap_done;
};

void hap_cfg_name(char *out, size_t cap, const char *a, const char *b, const char *c,
                  const char *d);
const weft_traffic_policy_spec *hap_tpol(const weft_model_subset *s);
void hap_render_balance(struct rctx *r, const weft_model_subset *s);
void hap_render_check(struct rctx *r, const weft_model_subset *s, char *opts, size_t cap);
void hap_render_servers(struct rctx *r, const weft_model_subset *s, int share, const char *prefix,
                        const char *opts);
/* Access policy (403) and rate limit (429) of a backend: route_rl, else
 * the subset's RateLimit in effect. */
void hap_render_policies(struct rctx *r, const weft_model_subset *s, const weft_resource *route_rl);
void hap_render_gateway(struct rctx *r, const weft_resource *gw);

#endif
