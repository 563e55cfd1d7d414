/* The built-in translators, registered at start (core/translator.h) by
 * weftctl import (and any program that accepts foreign kinds). */
#include "xlate.h"

extern const weft_translator nb_k8s_service, nb_k8s_endpointslice, nb_k8s_endpoints;
extern const weft_translator nb_istio_vs, nb_istio_dr, nb_istio_pa, nb_istio_az;
extern const weft_translator nb_istio_se, nb_istio_sidecar, nb_istio_gateway;
extern const weft_translator nb_gw_httproute, nb_gw_referencegrant, nb_gw_gateway;
extern const weft_translator nb_gw_grpcroute, nb_gw_tcproute;
extern const weft_translator nb_smi_split, nb_smi_routegroup, nb_smi_target, nb_smi_tcproute;

int weft_northbound_register(weft_err *err)
{
	/* In the order docs/northbound.md lists them. */
	static const weft_translator *const all[] = {
	        &nb_k8s_service,    &nb_k8s_endpointslice, &nb_k8s_endpoints, &nb_gw_gateway,
	        &nb_gw_httproute,   &nb_gw_grpcroute,      &nb_gw_tcproute,   &nb_gw_referencegrant,
	        &nb_istio_gateway,  &nb_istio_vs,          &nb_istio_dr,      &nb_istio_se,
	        &nb_istio_sidecar,  &nb_istio_pa,          &nb_istio_az,      &nb_smi_split,
	        &nb_smi_routegroup, &nb_smi_target,        &nb_smi_tcproute,
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (weft_translator_register(all[i], 1, err))
			return -1;
	return 0;
}
