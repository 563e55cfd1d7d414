/* Internal to core/policy: semantic validation over a whole policy set
 * (weft_policy_validate) and over a change to a valid set
 * (weft_policy_validate_change). validate.c holds the driver and shared
 * helpers; validate_service.c, validate_route.c and validate_device.c the
 * per-kind rules; validate_index.c the flat hash tables the rules share;
 * validate_change.c the incremental driver. Rules run on the typed model
 * (policy-t.h); positions come from the weft_pos fields the decoder
 * recorded and the resource's file.
 *
 * Speed matters: the controller validates on every write (docs/architecture.md: the
 * store never holds a policy that does not compile), so a one-endpoint
 * change to a 10,000-endpoint policy must stay in the low milliseconds.
 * Hence no per-key malloc or snprintf on the success path: cross
 * references go through per-kind name indexes built once per validation,
 * endpoint addresses through one flat open-addressing table whose keys
 * point into the resources (which outlive the validation), and field
 * paths are formatted only when a problem is reported. */
#ifndef WEFT_POLICY_VALIDATE_H
#define WEFT_POLICY_VALIDATE_H

#include <stdint.h>
#include <string.h>

#include "policy.h"
#include "strmap.h"

/* Hash step over a NUL-terminated string, eight bytes at a time (keys are
 * short names and IP addresses). Chainable: pass the previous hash. */
static inline uint64_t vhash_str(uint64_t h, const char *s)
{
	size_t n = strlen(s);
	uint64_t w;
	for (; n >= 8; n -= 8, s += 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
		h ^= h >> 32;
	}
	w = (uint64_t)n << 56; /* the length tells "ab" + "c" from "a" + "bc" */
	memcpy(&w, s, n);
	h = (h ^ w) * 0x9e3779b97f4a7c15ULL;
	return h ^ (h >> 29);
}

/* One use of (plane, ip, port) by a service endpoint: the first user of
 * each key is kept (validate_service.c). Strings point into resources. */
struct ep_use {
	uint64_t hash;
	const char *plane, *ip;
	int port;
	int is_tcp;
	int reported;
	const weft_resource *r;
	weft_pos pos;
	size_t endpoint;
};

/* A slot of ep_table: index + 1 into uses (0: empty) and the high half of
 * the key's hash, so probing rarely touches the uses themselves. */
struct ep_slot {
	uint32_t use;
	uint32_t tag;
};

/* Open-addressing table of ep_use, capacity a power of two kept at most
 * half full. */
struct ep_table {
	struct ep_use *uses;
	size_t count, uses_cap;
	struct ep_slot *slots;
	size_t cap;
};

uint64_t ep_hash(const char *plane, const char *ip, int port);
/* The first use of the key, or NULL. */
struct ep_use *ep_table_get(const struct ep_table *t, uint64_t hash, const char *plane,
                            const char *ip, int port);
/* The use of the key, adding a zeroed one (*fresh = 1) when missing. NULL
 * only when out of memory. The pointer is valid until the next insert. */
struct ep_use *ep_table_use(struct ep_table *t, uint64_t hash, const char *plane, const char *ip,
                            int port, int *fresh);
/* Makes room for n keys in all (so inserts do not reallocate). 0 or -1. */
int ep_table_reserve(struct ep_table *t, size_t n);
void ep_table_free(struct ep_table *t);

/* Resources of one kind by (namespace, name), built on first use. */
struct name_slot {
	uint64_t hash;
	const weft_resource *r;
};

struct name_index {
	struct name_slot *slots;
	size_t cap;
	int built;
};

/* First TrafficPolicy per (service, subset): the service is the resolved
 * resource, so its pointer stands for its namespace/name. */
struct tp_slot {
	const weft_resource *service;
	const char *subset; /* NULL: the whole service */
	const weft_resource *first;
};

struct tp_table {
	struct tp_slot *slots;
	size_t cap, count;
};

/* The TrafficPolicy slot of (service, subset), adding an empty one (first
 * NULL) when missing. NULL only when out of memory. */
struct tp_slot *tp_table_slot(struct tp_table *t, const weft_resource *service, const char *subset);
void tp_table_free(struct tp_table *t);

struct vctx {
	const weft_policyset *set;
	weft_diags *diags;
	int errors;
	struct ep_table endpoints; /* (plane, ip, port) -> first use */
	struct strmap namespaces;  /* namespaces holding resources, built on first use */
	int namespaces_built;
	struct tp_table policy_keys; /* (service, subset) -> first TrafficPolicy */
	struct name_index names[WEFT_KIND_COUNT];
	struct {
		const weft_resource *r; /* the last vfind hit; NULL: none */
	} last_found;
	/* Incremental mode (validate_change.c): when set, only endpoint keys
	 * found in this table take part in the TCP/HTTP conflict rule. */
	const struct ep_table *ep_filter;
};

void vctx_init(struct vctx *v, const weft_policyset *set, weft_diags *diags);
void vctx_free(struct vctx *v);

/* Reports a problem of resource r at pos with field path. */
void vctx_err(struct vctx *v, const weft_resource *r, weft_pos pos, const char *path,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* The resource of kind named ns/name in the set (name index), or NULL. */
const weft_resource *vfind(struct vctx *v, weft_kind kind, const char *ns, const char *name);

/* Reports ref (to a resource of kind) as dangling at the ref's position
 * with path, with a did-you-mean. */
void vdangling(struct vctx *v, const weft_resource *r, weft_kind kind, const weft_ref *ref,
               const char *path);

/* Resolves ref to a resource of kind, or reports it as dangling at the
 * ref's position with path (and a did-you-mean). NULL when missing. */
const weft_resource *vresolve(struct vctx *v, const weft_resource *r, weft_kind kind,
                              const weft_ref *ref, const char *path);

/* Whether some resource of the set lives in namespace ns. */
int vnamespace_used(struct vctx *v, const char *ns);

/* Service helpers (validate_service.c). */
const weft_service_port *service_port(const weft_service_spec *s, int port);
const weft_subset *service_subset(const weft_service_spec *s, const char *name);
weft_protocol port_protocol(const weft_service_spec *s, const weft_service_port *p);
int protocol_is_http(weft_protocol p);

/* How many (plane, ip, port) uses a service's endpoints make. */
size_t service_endpoint_uses(const weft_service_spec *s);

/* Per-resource checks in set order (validate.c), shared by both drivers. */
void validate_one(struct vctx *v, const weft_resource *r);

void validate_service(struct vctx *v, const weft_resource *r);
void validate_endpoint_conflicts(struct vctx *v, const weft_resource *r);
/* Adds the (plane, ip, port) keys of service r's endpoints to into.
 * 0, or -1 when out of memory. */
int collect_endpoint_keys(const weft_resource *r, struct ep_table *into);
void validate_route(struct vctx *v, const weft_resource *r);
void validate_gateway(struct vctx *v, const weft_resource *r);
void validate_traffic_policy(struct vctx *v, const weft_resource *r);
void validate_rate_limit(struct vctx *v, const weft_resource *r);
void validate_device(struct vctx *v, const weft_resource *r);
/* Registries and Service spec.registry (validate_registry.c). */
void validate_registry(struct vctx *v, const weft_resource *r);
void validate_service_registry(struct vctx *v, const weft_resource *r);
/* Devices of one type that reach the same box (validate_device_overlap.c). */
void validate_device_overlap(struct vctx *v, const weft_resource *r);

#endif
