/* gateway.networking.k8s.io Gateway -> weft Gateway (docs/northbound.md).
 * Listeners keep their names, ports and hostnames; HTTPS and TLS listeners
 * that terminate TLS read their certificate from the files a kubelet mounts
 * for a kubernetes.io/tls Secret (SECRETS/NS/NAME/tls.crt and tls.key,
 * SECRETS = /etc/weft/secrets), since weft never holds key material in a
 * policy. Routes are added to the listeners by the route translators. */
#include <string.h>

#include "gw-int.h"

#define SECRETS_DIR "/etc/weft/secrets"

static const weft_field_rule gateway_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.gatewayClassName", W_, "weft is the implementation: the class is not kept"},
        {"spec.addresses", T_, "spec.address (one IPAddress)"},
        {"spec.addresses[].type", T_, "IPAddress only"},
        {"spec.addresses[].value", T_, "spec.address"},
        {"spec.listeners", T_, "listeners"},
        {"spec.listeners[].name", T_, "listeners[].name"},
        {"spec.listeners[].hostname", T_, "listeners[].hosts"},
        {"spec.listeners[].port", T_, "listeners[].port"},
        {"spec.listeners[].protocol", T_, "listeners[].protocol: HTTP, HTTPS, TCP, TLS"},
        {"spec.listeners[].tls", T_, "listeners[].tls"},
        {"spec.listeners[].tls.mode", T_, "Terminate (simple); Passthrough is refused"},
        {"spec.listeners[].tls.certificateRefs", T_,
         "tls.certificate: " SECRETS_DIR "/NS/NAME/tls.crt and tls.key (one Secret; another "
         "namespace needs a ReferenceGrant)"},
        {"spec.listeners[].tls.certificateRefs[].group", T_, "\"\" (core)"},
        {"spec.listeners[].tls.certificateRefs[].kind", T_, "Secret"},
        {"spec.listeners[].tls.certificateRefs[].name", T_, "the Secret's directory"},
        {"spec.listeners[].tls.certificateRefs[].namespace", T_, "the Secret's namespace"},
        {"spec.listeners[].tls.options", R_, "weft has no implementation-specific TLS options"},
        {"spec.listeners[].tls.frontendValidation", R_,
         "client certificate validation needs "
         "tls.caFile: write it by hand"},
        {"spec.listeners[].allowedRoutes", T_, "which routes the route translators attach"},
        {"spec.listeners[].allowedRoutes.namespaces", T_,
         "Same (default), All; Selector is "
         "refused at the route"},
        {"spec.listeners[].allowedRoutes.namespaces.from", T_, "see allowedRoutes.namespaces"},
        {"spec.listeners[].allowedRoutes.namespaces.selector", T_, "see allowedRoutes.namespaces"},
        {"spec.listeners[].allowedRoutes.namespaces.selector.matchLabels", T_,
         "refused at the route"},
        {"spec.listeners[].allowedRoutes.namespaces.selector.matchLabels.*", T_,
         "refused at the route"},
        {"spec.listeners[].allowedRoutes.namespaces.selector.matchExpressions", T_,
         "refused at the route"},
        {"spec.listeners[].allowedRoutes.kinds", T_, "route kinds the listener accepts"},
        {"spec.listeners[].allowedRoutes.kinds[].group", T_, "route group"},
        {"spec.listeners[].allowedRoutes.kinds[].kind", T_, "route kind"},
        {"spec.infrastructure", W_, "weft does not provision gateway infrastructure"},
        {"spec.backendTLS", R_, "write a TrafficPolicy with tls for the backends"},
};

static void listener_tls(weft_xlate *x, const weft_xsrc *src, const weft_node *t, const char *base,
                         json_t *l)
{
	char p[200], crt[400], key[400];
	const char *mode = nb_str(x, src, t, "mode", nb_path(p, sizeof(p), "%s.mode", base));
	if (mode && strcmp(mode, "Terminate")) {
		nb_refuse(x, src, nb_at(t, "mode"), p,
		          "%s: weft terminates TLS on its listeners (no passthrough)", mode);
		return;
	}
	const weft_node *refs = nb_seq(x, src, t, "certificateRefs",
	                               nb_path(p, sizeof(p), "%s.certificateRefs", base));
	if (!refs || refs->count != 1) {
		nb_refuse(x, src, refs ? refs : t, p, "exactly one certificate Secret");
		return;
	}
	const weft_node *r = refs->items[0];
	const char *kind = gw_field(r, "kind"), *group = gw_field(r, "group");
	const char *name = gw_field(r, "name"), *ns = gw_field(r, "namespace");
	if ((kind && strcmp(kind, "Secret")) || (group && *group) || !name) {
		nb_refuse(x, src, r, p, "certificateRefs name core Secrets");
		return;
	}
	if (ns && strcmp(ns, src->ns) && !gw_granted(x, "Gateway", src->ns, ns, "Secret", name)) {
		nb_refuse(x, src, nb_at(r, "namespace"), p,
		          "no ReferenceGrant in namespace %s lets Gateways of %s use Secret %s", ns,
		          src->ns, name);
		return;
	}
	snprintf(crt, sizeof(crt), SECRETS_DIR "/%s/%s/tls.crt", ns ? ns : src->ns, name);
	snprintf(key, sizeof(key), SECRETS_DIR "/%s/%s/tls.key", ns ? ns : src->ns, name);
	json_object_set_new(l, "tls",
	                    json_pack("{s:s, s:{s:s, s:s}}", "mode", "simple", "certificate",
	                              "certFile", crt, "keyFile", key));
}

static json_t *listener(weft_xlate *x, const weft_xsrc *src, const weft_node *n, size_t i)
{
	char base[64], p[200];
	nb_path(base, sizeof(base), "spec.listeners[%zu]", i);
	json_t *l = json_object();
	const char *name = nb_str(x, src, n, "name", nb_path(p, sizeof(p), "%s.name", base));
	long long port;
	if (name)
		json_object_set_new(l, "name", json_string(name));
	if (nb_int(x, src, n, "port", nb_path(p, sizeof(p), "%s.port", base), 1, 65535, &port) == 1)
		json_object_set_new(l, "port", json_integer(port));
	const char *proto =
	        nb_str(x, src, n, "protocol", nb_path(p, sizeof(p), "%s.protocol", base));
	static const char *const protos[][2] = {
	        {"HTTP", "http"}, {"HTTPS", "https"}, {"TCP", "tcp"}, {"TLS", "tls"}};
	size_t k;
	for (k = 0; proto && k < NB_ROWS(protos) && strcmp(protos[k][0], proto); k++)
		;
	if (!proto || k == NB_ROWS(protos))
		nb_refuse(x, src, nb_at(n, "protocol"), p, "protocol: HTTP, HTTPS, TCP or TLS");
	else
		json_object_set_new(l, "protocol", json_string(protos[k][1]));
	const char *host =
	        nb_str(x, src, n, "hostname", nb_path(p, sizeof(p), "%s.hostname", base));
	if (host)
		json_object_set_new(l, "hosts", json_pack("[s]", host));
	const weft_node *tls = nb_map(x, src, n, "tls", nb_path(p, sizeof(p), "%s.tls", base));
	if (tls)
		listener_tls(x, src, tls, p, l);
	else if (proto && (!strcmp(proto, "HTTPS") || !strcmp(proto, "TLS")))
		nb_refuse(x, src, n, base, "an %s listener needs tls", proto);
	return l;
}

static int translate_gateway(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const weft_node *ls = spec ? nb_seq(x, src, spec, "listeners", "spec.listeners") : NULL;
	if (!ls || ls->count == 0) {
		nb_refuse(x, src, spec ? spec : src->root, "spec.listeners",
		          "required field is missing");
		return 0;
	}
	json_t *out = nb_out_spec(x, src, "Gateway", src->ns, src->name);
	if (!out)
		return -1;
	const weft_node *addrs = nb_seq(x, src, spec, "addresses", "spec.addresses");
	if (addrs && addrs->count) {
		const char *type = gw_field(addrs->items[0], "type");
		const char *v = gw_field(addrs->items[0], "value");
		if (addrs->count > 1 || (type && strcmp(type, "IPAddress")) || !v)
			nb_refuse(x, src, addrs, "spec.addresses",
			          "weft Gateways have one IP address (type IPAddress)");
		else
			json_object_set_new(out, "address", json_string(v));
	}
	json_t *a = json_array();
	for (size_t i = 0; i < ls->count; i++)
		json_array_append_new(a, listener(x, src, ls->items[i], i));
	json_object_set_new(out, "listeners", a);
	return 0;
}

static const char *const versions[] = {"v1", "v1beta1", NULL};

const weft_translator nb_gw_gateway = {
        .group = GW_GROUP,
        .versions = versions,
        .kind = "Gateway",
        .phase = 1,
        .fields = gateway_rows,
        .n_fields = NB_ROWS(gateway_rows),
        .translate = translate_gateway,
};
