/* See fuzz_util.h. */
#include "fuzz_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "policy.h"
#include "policyset.h"

static const char policy[] =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {protocol: http, ports: [{name: p, port: 80}],\n"
        "  endpoints: [{address: 10.0.0.1}, {address: 10.0.0.2, weight: 3}]}\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: edge}\n"
        "spec: {hosts: [a.example.com], http: [{match: [{path: {prefix: /api/}}],"
        " destinations: [{service: web}]}]}\n"
        "---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw}\n"
        "spec: {address: 192.0.2.10, listeners: [{name: l7, port: 80, protocol: http,"
        " hosts: [a.example.com], routes: [edge]}]}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: bigip}\n"
        "spec: {type: f5, connection: {address: 192.0.2.200, credentials: {env: X},"
        " tls: {insecure: true}}, options: {partition: weft}}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: lb1}\n"
        "spec: {type: netconf, connection: {address: 192.0.2.150, credentials: {env: X},"
        " hostKey: \"SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8\"}}\n";

static weft_snapshot *snap;

static void fail(const char *what, weft_diags *d)
{
	char *m = d && d->count ? weft_diag_format(&d->items[0]) : NULL;
	fprintf(stderr, "fuzz harness: %s: %s\n", what, m ? m : "?");
	abort();
}

const weft_snapshot *fuzz_snapshot(void)
{
	if (snap)
		return snap;
	weft_docset docs;
	weft_diags d;
	weft_docset_init(&docs);
	weft_diags_init(&d);
	weft_resource **res = NULL;
	size_t n = 0;
	weft_policyset *set = NULL;
	if (weft_docset_parse(&docs, "fuzz-policy.yaml", policy, strlen(policy), &d) ||
	    weft_policy_decode_all(&docs, &res, &n, &d) ||
	    !(set = weft_policyset_new(res, n, &d)) || weft_policy_validate(set, &d))
		fail("the harness policy does not validate", &d);
	weft_err e = {0};
	snap = weft_snapshot_compile(set, 1, NULL, &e);
	if (!snap) {
		fprintf(stderr, "fuzz harness: compile: %s\n", e.msg);
		abort();
	}
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_policyset_unref(set);
	weft_docset_free(&docs);
	weft_diags_free(&d);
	return snap;
}

const weft_resource *fuzz_device(const char *name)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(fuzz_snapshot(), &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(devs[i]->name, name))
			return devs[i];
	fprintf(stderr, "fuzz harness: no device %s\n", name);
	abort();
}
