/* Semantic rules of Services: unique port names/numbers and subset names,
 * unambiguous endpoint ports and planes, and the cross-service rule that a
 * TCP service and an HTTP-family service never share an address:port on
 * the same network plane (a proxy or BIG-IP virtual can only speak one of
 * them there). Endpoint keys go through one flat table (validate_index.c)
 * without formatting or copying them, so the check is linear in the number
 * of endpoints and cheap per endpoint. */
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "resource.h"
#include "validate.h"

const weft_service_port *service_port(const weft_service_spec *s, int port)
{
	for (size_t i = 0; i < s->ports.count; i++)
		if (s->ports.items[i].port == port)
			return &s->ports.items[i];
	return NULL;
}

const weft_subset *service_subset(const weft_service_spec *s, const char *name)
{
	for (size_t i = 0; i < s->subsets.count; i++)
		if (!strcmp(s->subsets.items[i].name, name))
			return &s->subsets.items[i];
	return NULL;
}

weft_protocol port_protocol(const weft_service_spec *s, const weft_service_port *p)
{
	return p && p->protocol != WEFT_PROTO_UNSET ? p->protocol : s->protocol;
}

int protocol_is_http(weft_protocol p)
{
	return p == WEFT_PROTO_HTTP || p == WEFT_PROTO_HTTP2 || p == WEFT_PROTO_GRPC;
}

static void check_ports(struct vctx *v, const weft_resource *r, const weft_service_spec *s)
{
	char path[96];
	for (size_t i = 0; i < s->ports.count; i++) {
		const weft_service_port *p = &s->ports.items[i];
		if (!p->name && s->ports.count > 1) {
			snprintf(path, sizeof(path), "spec.ports[%zu].name", i);
			vctx_err(v, r, p->pos, path,
			         "a name is required when a service has several ports");
		}
		for (size_t j = 0; j < i; j++) {
			const weft_service_port *q = &s->ports.items[j];
			if (q->port == p->port) {
				snprintf(path, sizeof(path), "spec.ports[%zu].port", i);
				vctx_err(v, r, p->port_pos, path,
				         "duplicate port %d (also spec.ports[%zu], line %d)",
				         p->port, j, q->pos.line);
			}
			if (p->name && q->name && !strcmp(p->name, q->name)) {
				snprintf(path, sizeof(path), "spec.ports[%zu].name", i);
				vctx_err(v, r, p->name_pos, path,
				         "duplicate port name '%s' (also spec.ports[%zu], line %d)",
				         p->name, j, q->pos.line);
			}
		}
	}
}

static void check_subsets(struct vctx *v, const weft_resource *r, const weft_service_spec *s)
{
	char path[96];
	for (size_t i = 0; i < s->subsets.count; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->subsets.items[i].name, s->subsets.items[j].name)) {
				snprintf(path, sizeof(path), "spec.subsets[%zu].name", i);
				vctx_err(v, r, s->subsets.items[i].name_pos, path,
				         "duplicate subset name '%s' (also spec.subsets[%zu], line "
				         "%d)",
				         s->subsets.items[i].name, j, s->subsets.items[j].pos.line);
			}
}

/* Every upstream names an existing Service, once. */
static void check_upstreams(struct vctx *v, const weft_resource *r, const weft_service_spec *s)
{
	char path[96];
	for (size_t i = 0; i < s->upstreams.count; i++) {
		const weft_ref *u = &s->upstreams.items[i];
		snprintf(path, sizeof(path), "spec.upstreams[%zu]", i);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(s->upstreams.items[k].name, u->name) &&
			    !strcmp(s->upstreams.items[k].ns, u->ns)) {
				vctx_err(v, r, u->pos, path, "upstream '%s/%s' is listed twice",
				         u->ns, u->name);
				break;
			}
		vresolve(v, r, WEFT_KIND_SERVICE, u, path);
	}
}

void validate_service(struct vctx *v, const weft_resource *r)
{
	const weft_service_spec *s = r->spec;
	char path[96];
	check_ports(v, r, s);
	check_subsets(v, r, s);
	check_upstreams(v, r, s);
	for (size_t i = 0; i < s->endpoints.count; i++) {
		const weft_endpoint *e = &s->endpoints.items[i];
		if (e->address && weft_labels_get(&e->addresses, "default")) {
			snprintf(path, sizeof(path), "spec.endpoints[%zu].addresses.default", i);
			vctx_err(v, r, e->addresses_pos, path,
			         "plane 'default' is given twice: by 'address' and by 'addresses'");
		}
		if (e->port && s->ports.count > 1) {
			snprintf(path, sizeof(path), "spec.endpoints[%zu].port", i);
			vctx_err(v, r, e->port_pos, path,
			         "endpoint port is ambiguous for a service with %zu ports: set "
			         "targetPort on the service ports instead",
			         s->ports.count);
		}
	}
}

static void report_conflict(struct vctx *v, const weft_resource *r, weft_pos pos, size_t ei,
                            struct ep_use *first, const char *plane, const char *ip, int port,
                            int is_tcp)
{
	char path[96];
	const char *mine = is_tcp ? "TCP" : "HTTP";
	const char *theirs = first->is_tcp ? "TCP" : "HTTP";
	snprintf(path, sizeof(path), "spec.endpoints[%zu]", ei);
	vctx_err(v, r, pos, path,
	         "%s service '%s/%s' uses %s:%d on plane '%s', already used by %s service '%s/%s' "
	         "(%s:%d:%d)",
	         mine, r->ns, r->name, ip, port, plane, theirs, first->r->ns, first->r->name,
	         first->r->file, first->pos.line, first->pos.col);
	if (first->reported)
		return;
	first->reported = 1;
	snprintf(path, sizeof(path), "spec.endpoints[%zu]", first->endpoint);
	vctx_err(v, first->r, first->pos, path,
	         "%s service '%s/%s' uses %s:%d on plane '%s', also used by %s service '%s/%s' "
	         "(%s:%d:%d)",
	         theirs, first->r->ns, first->r->name, ip, port, plane, mine, r->ns, r->name,
	         r->file, pos.line, pos.col);
}

/* Records one use of (plane, ip, port); a use whose TCP-ness differs from
 * the key's first user is a conflict. Only keys of v->ep_filter count in
 * incremental mode: the others cannot conflict (validate_change.c). */
static void use_address(struct vctx *v, const weft_resource *r, size_t ei, weft_pos pos,
                        const char *plane, const char *ip, int port, int is_tcp)
{
	uint64_t h = ep_hash(plane, ip, port);
	if (v->ep_filter && !ep_table_get(v->ep_filter, h, plane, ip, port))
		return;
	int fresh;
	struct ep_use *first = ep_table_use(&v->endpoints, h, plane, ip, port, &fresh);
	if (!first)
		return;
	if (fresh) {
		first->r = r;
		first->pos = pos;
		first->endpoint = ei;
		first->is_tcp = is_tcp;
		return;
	}
	if (first->is_tcp != is_tcp)
		report_conflict(v, r, pos, ei, first, plane, ip, port, is_tcp);
}

size_t service_endpoint_uses(const weft_service_spec *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->endpoints.count; i++)
		n += (s->endpoints.items[i].address ? 1 : 0) +
		     s->endpoints.items[i].addresses.count;
	return n * s->ports.count;
}

void validate_endpoint_conflicts(struct vctx *v, const weft_resource *r)
{
	const weft_service_spec *s = r->spec;
	for (size_t i = 0; i < s->endpoints.count; i++) {
		const weft_endpoint *e = &s->endpoints.items[i];
		for (size_t p = 0; p < s->ports.count; p++) {
			const weft_service_port *sp = &s->ports.items[p];
			int port = weft_endpoint_port_for(e, sp);
			int is_tcp = !protocol_is_http(port_protocol(s, sp));
			if (e->address)
				use_address(v, r, i, e->address_pos, "default", e->address, port,
				            is_tcp);
			for (size_t a = 0; a < e->addresses.count; a++)
				use_address(v, r, i, e->addresses_pos, e->addresses.items[a].key,
				            e->addresses.items[a].value, port, is_tcp);
		}
	}
}

int collect_endpoint_keys(const weft_resource *r, struct ep_table *into)
{
	const weft_service_spec *s = r->spec;
	int fresh;
	for (size_t i = 0; i < s->endpoints.count; i++) {
		const weft_endpoint *e = &s->endpoints.items[i];
		for (size_t p = 0; p < s->ports.count; p++) {
			int port = weft_endpoint_port_for(e, &s->ports.items[p]);
			if (e->address && !ep_table_use(into, ep_hash("default", e->address, port),
			                                "default", e->address, port, &fresh))
				return -1;
			for (size_t a = 0; a < e->addresses.count; a++) {
				const weft_label *l = &e->addresses.items[a];
				if (!ep_table_use(into, ep_hash(l->key, l->value, port), l->key,
				                  l->value, port, &fresh))
					return -1;
			}
		}
	}
	return 0;
}
