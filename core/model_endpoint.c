/* The one rule for an endpoint's address on a network plane and its port
 * for a service port (model.h). In weft_base so that validation
 * (core/policy/validate_service.c) and the resolved model (core/model.c)
 * share it. */
#include <string.h>

#include "model.h"
#include "resource.h"

const char *weft_endpoint_address_on(const weft_endpoint *e, const char *plane)
{
	if (plane && strcmp(plane, WEFT_PLANE_DEFAULT)) {
		const char *a = weft_labels_get(&e->addresses, plane);
		if (a)
			return a;
	}
	if (e->address)
		return e->address;
	const char *a = weft_labels_get(&e->addresses, WEFT_PLANE_DEFAULT);
	if (a)
		return a;
	return e->addresses.count ? e->addresses.items[0].value : NULL;
}

int weft_endpoint_port_for(const weft_endpoint *e, const weft_service_port *p)
{
	return e->port ? e->port : p->target_port ? p->target_port : p->port;
}
