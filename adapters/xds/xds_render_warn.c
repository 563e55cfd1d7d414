/* Honest translation for xDS: what Envoy views of this feed render only
 * approximately (docs/adapter-xds.md, "Translation"), as warnings
 * (core/warning.h) with the resource, its file:line and the field. The
 * mesh side expresses the whole policy; the gaps are on gateway TCP/TLS
 * listeners, which forward to one cluster. */
#include <stdio.h>
#include <string.h>

#include "xds_render.h"

static int warn_listener(const weft_resource *gw, size_t li, const weft_listener *l,
                         weft_resource *const *res, size_t n, weft_warnings *w)
{
	char field[96];
	if (l->protocol != WEFT_LISTENER_TCP && l->protocol != WEFT_LISTENER_TLS)
		return 0;
	for (size_t k = 1; k < l->routes.count; k++) {
		snprintf(field, sizeof(field), "spec.listeners[%zu].routes[%zu]", li, k);
		if (weft_warn(w, gw, l->routes.items[k].pos, field,
		              "left out: a TCP/TLS gateway listener forwards to its first route "
		              "only"))
			return -1;
	}
	const weft_ref *first = l->routes.count ? &l->routes.items[0] : NULL;
	for (size_t i = 0; first && i < n; i++) {
		const weft_resource *r = res[i];
		if (r->kind != WEFT_KIND_ROUTE || strcmp(r->name, first->name) ||
		    strcmp(r->ns, first->ns ? first->ns : gw->ns))
			continue;
		const weft_route_spec *rs = r->spec;
		if (rs->tcp.count && rs->tcp.items[0].destinations.count > 1 &&
		    weft_warn(w, r, rs->tcp.items[0].destinations_pos, "spec.tcp[0].destinations",
		              "approximated: a gateway TCP/TLS listener sends everything to the "
		              "first "
		              "destination (no weighted split)"))
			return -1;
	}
	return 0;
}

int xds_render_warnings(const xds_render_input *in, weft_warnings *w)
{
	for (size_t i = 0; i < in->n; i++) {
		const weft_resource *gw = in->res[i];
		if (gw->kind != WEFT_KIND_GATEWAY)
			continue;
		const weft_gateway_spec *g = gw->spec;
		for (size_t li = 0; li < g->listeners.count; li++)
			if (warn_listener(gw, li, &g->listeners.items[li], in->res, in->n, w))
				return -1;
	}
	return 0;
}
