/* weftd's wiring of the xDS server (adapters/xds): configured by --xds
 * ADDR (the xds adapter instance starts it with the controller), and served in
 * /v1/status (key "xds": the streams without their config dumps), /metrics
 * and /v1/plan (key "proxies": the proxies a plan would change). Without
 * the xDS adapter in the build, --xds is refused. */
#include <string.h>

#include "weftd.h"

#ifdef WEFTD_XDS
#include "xds_server.h"

json_t *weftd_xds_config(const weftd_opts *o, weft_err *err)
{
	(void)err;
	json_t *x = json_pack("{s:s}", "listen", o->xds_listen);
	if (o->xds_tls_cert)
		json_object_set_new(x, "tlsCert", json_string(o->xds_tls_cert));
	if (o->xds_tls_key)
		json_object_set_new(x, "tlsKey", json_string(o->xds_tls_key));
	if (o->xds_tls_ca)
		json_object_set_new(x, "tlsClientCa", json_string(o->xds_tls_ca));
	return x;
}

void *weftd_xds_server(weft_controller *c, weft_err *err)
{
	const weft_adapter_instance *ai = weft_controller_adapter(c, "xds");
	xds_server *s = ai ? xds_adapter_server(ai->ctx) : NULL;
	if (!s)
		weft_err_set(err, "the xds adapter has no server");
	return s;
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
json_t *weftd_xds_config(const weftd_opts *o, weft_err *err)
{
	(void)o;
	weft_err_set(err, "--xds: this weftd was built without the xDS adapter (gRPC)");
	return NULL;
}

void *weftd_xds_server(weft_controller *c, weft_err *err)
{
	(void)c;
	weft_err_set(err, "--xds: this weftd was built without the xDS adapter (gRPC)");
	return NULL;
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
