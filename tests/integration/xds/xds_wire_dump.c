/* xds_wire_dump: renders wire_policy.yaml with the xDS adapter and writes
 * the exact response bytes the ADS server would send (SotW for every type
 * of a proxyless view and LDS of a sidecar view; Delta EDS) into DIR, for
 * wire_check_xds.js to decode with Envoy's real protos.
 * usage: xds_wire_dump POLICY DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "policy.h"
#include "policyset.h"
#include "resource.h"
#include "xds_render.h"
#include "xds_stream.h"

static int write_file(const char *dir, const char *name, const uint8_t *b, size_t n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.bin", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(b, 1, n, f) != n)
		return -1;
	return fclose(f);
}

static int request(xds_stream *s, int type, const char *const *names, size_t n)
{
	uint8_t buf[4096];
	int got;
	if (s->delta) {
		Envoy__Service__Discovery__V3__DeltaDiscoveryRequest r =
		        ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INIT;
		r.type_url = (char *)xds_type_url(type);
		r.resource_names_subscribe = (char **)names;
		r.n_resource_names_subscribe = n;
		return xds_stream_on_request(s, buf, protobuf_c_message_pack(&r.base, buf), 0,
		                             &got);
	}
	Envoy__Service__Discovery__V3__DiscoveryRequest r =
	        ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	r.type_url = (char *)xds_type_url(type);
	r.resource_names = (char **)names;
	r.n_resource_names = n;
	return xds_stream_on_request(s, buf, protobuf_c_message_pack(&r.base, buf), 0, &got);
}

static int dump_all(xds_stream *s, const xds_source *src, const char *dir, const char *prefix)
{
	uint8_t *b;
	size_t n;
	int type, rc;
	while ((rc = xds_stream_next(s, src, &b, &n, &type)) == 1) {
		char name[64];
		snprintf(name, sizeof(name), "%s-%s", prefix, xds_type_short(type));
		rc = write_file(dir, name, b, n);
		free(b);
		if (rc)
			return -1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: xds_wire_dump POLICY DIR\n");
		return 2;
	}
	weft_docset docs;
	weft_diags diags;
	weft_resource **res;
	size_t n;
	weft_err err = {0};
	weft_diags_init(&diags);
	weft_docset_init(&docs);
	if (weft_docset_load_path(&docs, argv[1], &diags) ||
	    weft_policy_decode_all(&docs, &res, &n, &diags)) {
		weft_diags_print(stderr, &diags);
		return 1;
	}
	weft_policyset *set = weft_policyset_new(res, n, &diags);
	xds_render_input in = {(weft_resource *const *)weft_policyset_items(set),
	                       weft_policyset_count(set), NULL};
	xds_source px = {0}, sc = {0};
	xds_view_key pk = {.role = XDS_ROLE_PROXYLESS};
	const char *ips[] = {"10.75.8.101", "192.168.10.63"};
	xds_view_key sk = {.role = XDS_ROLE_SIDECAR, .ips = ips, .n_ips = 2};
	if (xds_render_clusters(&in, NULL, NULL, NULL, &px.sets[XDS_CDS], &px.sets[XDS_EDS],
	                        &err) ||
	    xds_render_listeners(&in, &pk, NULL, NULL, &px.sets[XDS_LDS], &px.sets[XDS_RDS],
	                         &err) ||
	    xds_render_listeners(&in, &sk, NULL, NULL, &sc.sets[XDS_LDS], &sc.sets[XDS_RDS],
	                         &err)) {
		fprintf(stderr, "xds_wire_dump: %s\n", err.msg);
		return 1;
	}
	strcpy(px.version, "7");
	strcpy(sc.version, "7");
	xds_intern *intern = xds_intern_new();
	xds_stream s;
	xds_stream_init(&s, 0, intern);
	const char *eds[] = {"outbound|9080|v2|reviews.shop"};
	const char *rds[] = {"reviews.shop:9080"};
	request(&s, XDS_CDS, NULL, 0);
	request(&s, XDS_EDS, eds, 1);
	request(&s, XDS_LDS, NULL, 0);
	request(&s, XDS_RDS, rds, 1);
	int rc = dump_all(&s, &px, argv[2], "sotw");
	xds_stream_free(&s);
	xds_stream_init(&s, 0, intern);
	request(&s, XDS_LDS, NULL, 0);
	const char *srds[] = {"inbound|8081|amf.core"}; /* rate-limit actions */
	request(&s, XDS_RDS, srds, 1);
	rc |= dump_all(&s, &sc, argv[2], "sidecar");
	xds_stream_free(&s);
	xds_stream_init(&s, 1, intern);
	request(&s, XDS_EDS, eds, 1);
	rc |= dump_all(&s, &px, argv[2], "delta");
	xds_stream_free(&s);
	xds_intern_free(intern);
	for (int t = 0; t < XDS_NTYPES; t++) {
		xds_resset_unref(px.sets[t]);
		xds_resset_unref(sc.sets[t]);
	}
	weft_policyset_unref(set);
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_docset_free(&docs);
	weft_diags_free(&diags);
	return rc ? 1 : 0;
}
