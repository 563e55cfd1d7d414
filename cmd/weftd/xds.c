/* weftd's wiring of the xDS server (adapters/xds): started with --xds
 * ADDR after the controller opens, stopped before it closes, and served in
 * /v1/status (key "xds": the streams without their config dumps), /metrics
 * and /v1/plan (key "proxies": the proxies a plan would change). Without
 * the xDS adapter in the build, --xds is refused. */
#include <string.h>

#include "weftd.h"

#ifdef WEFTD_XDS
#include "xds_server.h"

void *weftd_xds_start(weft_controller *c, const weftd_opts *o, weft_err *err)
{
	xds_server_opts xo = {
	        .tls_cert_file = o->xds_tls_cert,
	        .tls_key_file = o->xds_tls_key,
	        .tls_client_ca_file = o->xds_tls_ca,
	};
	return xds_server_start(c, o->xds_listen, &xo, err);
}

void weftd_xds_stop(void *xds)
{
	xds_server_stop(xds);
}

int weftd_xds_port(void *xds)
{
	return xds ? xds_server_port(xds) : 0;
}

/* The status without the per-proxy config dumps (GET /v1/status stays
 * small with thousands of proxies). */
json_t *weftd_xds_status(void *xds)
{
	json_t *st = xds_server_status(xds, 0);
	return json_pack("{s:o}", "xds", st ? st : json_null());
}

char *weftd_xds_metrics(void *xds)
{
	return xds_server_metrics(xds);
}

json_t *weftd_xds_plan(void *xds, weft_snapshot *planned)
{
	weft_err err = {0};
	json_t *p = xds_server_plan(xds, planned, &err);
	if (!p)
		p = json_pack("{s:s}", "error", err.msg[0] ? err.msg : "xds plan failed");
	return json_pack("{s:o}", "proxies", p);
}
#else
void *weftd_xds_start(weft_controller *c, const weftd_opts *o, weft_err *err)
{
	(void)c;
	(void)o;
	weft_err_set(err, "--xds: this weftd was built without the xDS adapter (gRPC)");
	return NULL;
}

void weftd_xds_stop(void *xds)
{
	(void)xds;
}

int weftd_xds_port(void *xds)
{
	(void)xds;
	return 0;
}

json_t *weftd_xds_status(void *xds)
{
	(void)xds;
	return NULL;
}

char *weftd_xds_metrics(void *xds)
{
	(void)xds;
	return NULL;
}

json_t *weftd_xds_plan(void *xds, weft_snapshot *planned)
{
	(void)xds;
	(void)planned;
	return NULL;
}
#endif
