/* Semantic validation driver (weft_policy_validate) and its shared helpers,
 * plus the rules of the small kinds (AccessPolicy, PeerAuthentication,
 * Telemetry). Decoding (policy_decode.c) already checked every document on
 * its own; this pass checks what only the whole set can tell: references,
 * conflicts between resources, and rules that span several fields. The
 * store runs it before accepting a revision (docs/architecture.md: the store never
 * holds a policy that does not compile). */
#include "validate.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "schema.h"

void vctx_err(struct vctx *v, const weft_resource *r, weft_pos pos, const char *path,
              const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	weft_diags_add(v->diags, r->file, pos.line, pos.col, path, "%s", msg);
	v->errors++;
}

/* Did-you-mean among the names of one kind in one namespace. Only runs on
 * the error path. */
static const char *suggest_name(struct vctx *v, weft_kind kind, const char *ns, const char *name)
{
	size_t n = 0;
	weft_resource *const *items = weft_policyset_kind(v->set, kind, &n);
	const char *best = NULL;
	int best_d = 3;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(items[i]->ns, ns))
			continue;
		int d = weft_edit_distance(name, items[i]->name, 2);
		if (d < best_d) {
			best_d = d;
			best = items[i]->name;
		}
	}
	return best;
}

void vdangling(struct vctx *v, const weft_resource *r, weft_kind kind, const weft_ref *ref,
               const char *path)
{
	const char *best = suggest_name(v, kind, ref->ns, ref->name);
	if (best)
		vctx_err(v, r, ref->pos, path, "%s '%s/%s' does not exist (did you mean '%s'?)",
		         weft_kind_name(kind), ref->ns, ref->name, best);
	else
		vctx_err(v, r, ref->pos, path, "%s '%s/%s' does not exist", weft_kind_name(kind),
		         ref->ns, ref->name);
}

const weft_resource *vresolve(struct vctx *v, const weft_resource *r, weft_kind kind,
                              const weft_ref *ref, const char *path)
{
	if (!ref->name)
		return NULL;
	const weft_resource *t = vfind(v, kind, ref->ns, ref->name);
	if (!t)
		vdangling(v, r, kind, ref, path);
	return t;
}

static void validate_access_policy(struct vctx *v, const weft_resource *r)
{
	const weft_access_policy_spec *s = r->spec;
	vresolve(v, r, WEFT_KIND_SERVICE, &s->service, "spec.service");
	char path[160];
	for (size_t i = 0; i < s->rules.count; i++) {
		const weft_access_rule *rule = &s->rules.items[i];
		if (!rule->from)
			continue;
		for (size_t j = 0; j < rule->from->services.count; j++) {
			const weft_ref *ref = &rule->from->services.items[j];
			if (!ref->name || vfind(v, WEFT_KIND_SERVICE, ref->ns, ref->name))
				continue;
			snprintf(path, sizeof(path), "spec.rules[%zu].from.services[%zu]", i, j);
			vdangling(v, r, WEFT_KIND_SERVICE, ref, path);
		}
	}
}

static void validate_service_ref_only(struct vctx *v, const weft_resource *r)
{
	const weft_ref *ref = r->kind == WEFT_KIND_PEER_AUTHENTICATION
	                              ? &((const weft_peer_authentication_spec *)r->spec)->service
	                              : &((const weft_telemetry_spec *)r->spec)->service;
	vresolve(v, r, WEFT_KIND_SERVICE, ref, "spec.service");
}

void validate_one(struct vctx *v, const weft_resource *r)
{
	if (!r->spec)
		return;
	switch (r->kind) {
	case WEFT_KIND_SERVICE:
		validate_service(v, r);
		validate_service_registry(v, r);
		validate_endpoint_conflicts(v, r);
		break;
	case WEFT_KIND_ROUTE:
		validate_route(v, r);
		break;
	case WEFT_KIND_TRAFFIC_POLICY:
		validate_traffic_policy(v, r);
		break;
	case WEFT_KIND_RATE_LIMIT:
		validate_rate_limit(v, r);
		break;
	case WEFT_KIND_ACCESS_POLICY:
		validate_access_policy(v, r);
		break;
	case WEFT_KIND_PEER_AUTHENTICATION:
	case WEFT_KIND_TELEMETRY:
		validate_service_ref_only(v, r);
		break;
	case WEFT_KIND_GATEWAY:
		validate_gateway(v, r);
		break;
	case WEFT_KIND_DEVICE:
		validate_device(v, r);
		break;
	case WEFT_KIND_REGISTRY:
		validate_registry(v, r);
		break;
	default:
		break;
	}
}

int weft_policy_validate(const weft_policyset *set, weft_diags *diags)
{
	struct vctx v;
	vctx_init(&v, set, diags);
	size_t n = weft_policyset_count(set);
	weft_resource *const *items = n ? weft_policyset_items(set) : NULL;
	size_t n_svc = 0, uses = 0;
	weft_resource *const *svcs = weft_policyset_kind(set, WEFT_KIND_SERVICE, &n_svc);
	for (size_t i = 0; i < n_svc; i++)
		if (svcs[i]->spec)
			uses += service_endpoint_uses(svcs[i]->spec);
	ep_table_reserve(&v.endpoints, uses); /* on failure the table grows as it goes */
	for (size_t i = 0; i < n; i++)
		validate_one(&v, items[i]);
	vctx_free(&v);
	return v.errors ? -1 : 0;
}
