/* Rendering a snapshot into a BIG-IP partition (the adapter's `render`
 * phase): pure, no I/O. Split over three files:
 *   f5_render.c      entry point, selection, services -> pools, members,
 *                    monitors, server-ssl profiles
 *   f5_render_vs.c   gateways -> virtual servers, LTM routing policies,
 *                    split pools for weighted destinations, client-ssl
 *   f5_render_rule.c AccessPolicy -> data groups + iRule, RateLimit with
 *                    keys/tiers -> iRule with a table
 * Object names (docs/adapter-f5.md): weft names are DNS labels, so "_"
 * never occurs in them and joins the parts of a BIG-IP name unambiguously:
 *   pool       NS_SERVICE_PORT[_SUBSET]     monitor  NS_TRAFFICPOLICY_hc
 *   split pool NS_ROUTE_RULEINDEX_split     virtual  NS_GATEWAY_LISTENER
 *   policy     NS_GATEWAY_LISTENER_routes   profiles ..._clientssl/_serverssl
 *   access     NS_POLICY_access (iRule), NS_POLICY_RULEINDEX_src/_nsrc (data groups)
 *   rate limit NS_RATELIMIT_ratelimit (iRule) */
#ifndef WEFT_F5_RENDER_H
#define WEFT_F5_RENDER_H

#include "f5_model.h"
#include "policy-t.h"
#include "model.h"
#include "policyset.h"
#include "resource-t.h"
#include "snapshot.h"
#include "warning.h"

struct f5_memo;
struct f5_memos;

struct f5_render {
	const weft_policyset *set;
	const weft_model *model; /* what the policy means (core/model.h) */
	weft_warnings *warnings; /* what BIG-IP cannot express (out->warnings) */
	const weft_resource *dev;
	const char *part;
	int64_t rev;
	struct f5_config *out;
	weft_err *err;
	struct f5_memo *memo;    /* NULL: render everything */
	struct f5_group *groups; /* one per rendered Service, render order */
	size_t n_groups, cap_groups;
	/* Resources the device's scope selects (the snapshot's by-device
	 * index), by kind. */
	struct {
		const weft_resource **items;
		size_t n;
	} sel[WEFT_KIND_COUNT];
};

/* Renders everything, reusing what memos (the adapter instance's; NULL:
 * none) holds for the device. 0, or -1 with err naming the resource at
 * fault. */
int f5_render_config(struct f5_memos *memos, const weft_snapshot *snap, const weft_resource *dev,
                     struct f5_config **out, weft_err *err);

/* ---- the render memo (f5_render_memo.c) ---- */
struct f5_memo_group;
/* A table of at most max memos (one per device and partition). */
struct f5_memos *f5_memos_new(size_t max);
/* Frees the table and every memo; no render may hold one. t may be NULL. */
void f5_memos_free(struct f5_memos *t);
/* How many memos the table holds. */
size_t f5_memos_count(struct f5_memos *t);
/* The memo of a device's partition, locked for this render; NULL when t is
 * NULL or another render holds it (then render without). */
struct f5_memo *f5_memo_acquire(struct f5_memos *t, const char *device, const char *partition);
/* The memo's group of that name if its hash is hash (*rev: the revision
 * its bodies carry), else NULL. */
const struct f5_memo_group *f5_memo_find(const struct f5_memo *m, const char *name, uint64_t hash,
                                         int64_t *rev);
/* Appends the group's objects to out with the group index and stale flag. */
int f5_memo_add_to(const struct f5_memo_group *g, struct f5_config *out, int group, int stale);
/* Records a group of this render (objects copied, bodies shared). */
int f5_memo_stage(struct f5_memo *m, const char *name, uint64_t hash, int64_t rev,
                  const struct f5_obj *objs, size_t n);
/* Ends the render: commit replaces the memo with the staged groups (else
 * they are dropped); unlocks. m may be NULL. */
void f5_memo_release(struct f5_memo *m, int commit);

/* ---- shared helpers (f5_render.c) ---- */
/* Full path "/P/a_b_c" from parts joined by '_' (NULL-terminated). */
void f5_full(const struct f5_render *r, char *buf, size_t len, ...) __attribute__((sentinel));
/* A selected resource, or any resource of the set when not selected. */
const weft_resource *f5_find(const struct f5_render *r, weft_kind kind, const weft_ref *ref,
                             const char *ns);
/* The service port a destination or route port means (0: the only port). */
const weft_service_port *f5_service_port(const weft_service_spec *svc, int port);
/* The pool of (service, port, subset): its full path. */
void f5_pool_path(const struct f5_render *r, const weft_resource *svc, int port, const char *subset,
                  char *buf, size_t len);
/* The model's endpoints of (service, port, subset NULL: all) on plane
 * "default"; calls cb with the member name and the endpoint's weight. */
typedef int (*f5_member_cb)(void *ctx, const char *addr, const char *member, int weight);
int f5_each_member(const struct f5_render *r, const weft_resource *svc,
                   const weft_service_port *port, const char *subset, f5_member_cb cb, void *ctx);
/* The TrafficPolicy in effect for (service, subset) (core/model.h). */
const weft_traffic_policy_spec *f5_traffic_policy(const struct f5_render *r,
                                                  const weft_resource *svc, const char *subset,
                                                  const weft_resource **tp_out);
/* "/a/b/site.crt" -> "/Common/site.crt" (TLS files are referenced by name). */
void f5_cert_name(const char *file, char *buf, size_t len);
/* Adds with error reporting. */
int f5_add(struct f5_render *r, enum f5_type t, const char *path, const char *member, json_t *body);
/* A body with name, partition and the mark. */
json_t *f5_new_body(const struct f5_render *r, const char *full, uint64_t hash);

/* ---- f5_render_warn.c ---- */
/* Warnings for what the selected resources ask and BIG-IP cannot express
 * (docs/adapter-f5.md, "What is rendered"). */
int f5_render_warnings(struct f5_render *r);

/* ---- f5_render_vs.c ---- */
int f5_render_gateways(struct f5_render *r);

/* ---- f5_render_rule.c ---- */
/* iRules of AccessPolicies / keyed RateLimits applying to traffic that a
 * virtual sends to pools; appends their full paths to rules (a JSON array)
 * and renders each iRule (and data group) once. http: the virtual parses
 * HTTP (else rules act at CLIENT_ACCEPTED on source addresses only). */
int f5_render_vs_rules(struct f5_render *r, const weft_resource *const *services, size_t n_svc,
                       const weft_resource *route, json_t *pools, int http, json_t *rules);
/* The virtual-level rateLimit (connections/s) for plain RateLimits, 0: none. */
int f5_plain_rate_limit(const struct f5_render *r, const weft_resource *const *services,
                        size_t n_svc, const weft_resource *const *routes, size_t n_routes);

#endif
