/* Policy decoding and validation: documents (doc.h) -> typed resources
 * (resource-t.h + policy-t.h), and semantic checks over a whole policy set.
 *
 * Decoding is strict and schema-driven: apiVersion must be weft/v1, kind a
 * known kind, metadata {name, namespace, labels}, and spec is checked field
 * by field (unknown fields rejected with a did-you-mean, types, ranges,
 * enums, formats such as durations, CIDRs, regexes, IP addresses). Every
 * problem is reported (not only the first) as a diagnostic with
 * file:line:col and the field path. The schema of each kind is documented in
 * docs/policy.md. */
#ifndef WEFT_POLICY_H
#define WEFT_POLICY_H

#include "diag.h"
#include "doc.h"
#include "policy-t.h"
#include "policyset.h"
#include "resource-t.h"

/* Decodes one document. On success *out is a new resource (refs = 1) with
 * its canonical JSON and content hash filled in. On failure returns -1 with
 * diagnostics added and *out NULL. */
int weft_policy_decode(const weft_doc *doc, weft_resource **out, weft_diags *diags);

/* Decodes every document of a set; all problems are reported. On success
 * *out is a malloc'd array of n new resources (caller unrefs each and frees
 * the array). On failure returns -1 and nothing is returned. */
int weft_policy_decode_all(const weft_docset *set, weft_resource ***out, size_t *n,
                           weft_diags *diags);

/* Decodes a resource from its canonical JSON (as kept by the store),
 * recording file/line as its origin. */
int weft_policy_decode_json(const char *json, size_t len, const char *file, int line,
                            weft_resource **out, weft_diags *diags);

/* Semantic validation of a complete set: dangling references, weights that
 * do not sum to 100, duplicate port names/numbers, TCP/HTTP port conflicts on
 * one address, routes to a port the service lacks, device scopes that
 * select nothing, ... Returns 0 when valid, -1 with diagnostics otherwise. */
int weft_policy_validate(const weft_policyset *set, weft_diags *diags);

/* Added by core/policy (performance):
 *
 * Validates next, a set derived from prev_valid (weft_policyset_derive),
 * when prev_valid is known to have passed weft_policy_validate with no
 * diagnostic. Returns and reports exactly what weft_policy_validate(next,
 * diags) would (same diagnostics, same order), but re-checks only what the
 * change can affect: the resources added or replaced, those that refer to a
 * changed key, TrafficPolicies of the same services, Devices, and the
 * endpoint addresses the changed Services use. A one-resource change to a
 * 10,000-endpoint policy costs a fraction of a millisecond. With prev_valid
 * NULL, or a change of many resources, it runs the full validation. If
 * prev_valid did NOT validate, the result is unspecified (use
 * weft_policy_validate). */
int weft_policy_validate_change(const weft_policyset *prev_valid, const weft_policyset *next,
                                weft_diags *diags);

/* Calls cb for every resource that r refers to (a Route's services and
 * gateways, a TrafficPolicy's service, a Gateway's routes, ...). */
typedef void (*weft_ref_cb)(void *ctx, weft_kind kind, const char *ns, const char *name);
void weft_policy_refs(const weft_resource *r, weft_ref_cb cb, void *ctx);

/* Whether a Device's scope selects resource r (by namespace, service,
 * gateway; resources tied to a service follow that service). */
int weft_device_selects(const weft_resource *device, const weft_resource *r);

/* Added by core/policy (additions to the lead's header):
 *
 * Like weft_device_selects, but resolves what needs the whole set: a Route
 * with spec.hosts is selected when a Gateway in scope lists it in a
 * listener, the Services those gateway routes send traffic to (and what is
 * tied to them) are selected too, and a RateLimit on a route follows that
 * route. weft_device_selects (no set) cannot see these links and selects by
 * names only. Never selects Devices. */
int weft_device_selects_in_set(const weft_policyset *set, const weft_resource *device,
                               const weft_resource *r);

/* The normal form of a relative path of a policy (a file Device's
 * options.directory): "." components and repeated or trailing slashes
 * dropped ("./a//b/" -> "a/b"). -1 (out untouched or partial) when the
 * path is absolute, has a ".." component or a newline, names the root
 * itself (".", "./", "") or does not fit in cap bytes. */
int weft_relpath_clean(const char *path, char *out, size_t cap);
/* Whether two clean relative paths name the same directory or one lies
 * inside the other ("a" and "a/b" overlap, "a" and "ab" do not). */
int weft_relpath_overlap(const char *a, const char *b);

/* A synthetic policy as YAML text (malloc'd; NULL when out of memory), for
 * benchmarks and tests: `services` HTTP services (each with two subsets and
 * endpoints_per_service endpoints on two network planes), `routes` Routes
 * (an 80/20 canary each, spread over the services), plus a TrafficPolicy
 * per service and one file Device. Addresses are unique, so it validates. */
char *weft_policy_generate(int services, int endpoints_per_service, int routes);

/* The same with more knobs. upstreams > 0: service i lists the next
 * `upstreams` services (i+1, i+2, ... modulo services) in spec.upstreams,
 * the dependency scoping a sidecar mesh declares. */
typedef struct weft_gen_opts {
	int services;
	int endpoints_per_service;
	int routes;
	int upstreams;
} weft_gen_opts;
char *weft_policy_generate_opts(const weft_gen_opts *o);

/* What a kind or one of its fields is, from the decoder's own schema
 * tables (`weftctl explain`): path NULL or "" for the kind, else a field
 * path such as "spec.http.destinations" ("spec." optional; "metadata" and
 * its fields too). JSON {"kind", "field", "type", "list", "required",
 * "enum", "min", "max", "default", "fields": [{"name", "type", "list",
 * "required"}], "oneOf": [[names], ...]} with the keys that apply; NULL
 * with err naming the first unknown path segment. */
#include <jansson.h>
json_t *weft_policy_explain(weft_kind kind, const char *path, weft_err *err);

#endif
