/* networking.istio.io Gateway -> weft Gateway (docs/northbound.md). Each
 * server is a listener; VirtualServices that name the Gateway add their
 * Route to its listeners (istio_vs.c). Certificates given by credentialName
 * (a Secret) are read from the files a kubelet mounts for it, as for the
 * Gateway API (northbound/gw_gateway.c). */
#include <string.h>

#include "nb_common.h"

#define SECRETS_DIR "/etc/weft/secrets"

static const weft_field_rule gw_rows[] = {
        NB_META_ROWS,
        NB_META_LABELS_WARNED,
        {"spec", T_, "spec"},
        {"spec.selector", W_,
         "the gateway workload: a weft Device's scope.gateways picks the "
         "devices that serve this Gateway"},
        {"spec.servers", T_, "listeners"},
        {"spec.servers[].name", T_, "listeners[].name (else the port's name, else port-N)"},
        {"spec.servers[].port", T_, "listeners[].port and protocol"},
        {"spec.servers[].port.number", T_, "listeners[].port"},
        {"spec.servers[].port.name", T_, "listeners[].name when the server has none"},
        {"spec.servers[].port.protocol", T_,
         "HTTP, HTTP2, GRPC (http), HTTPS (https), TCP, "
         "MONGO (tcp), TLS (tls)"},
        {"spec.servers[].port.targetPort", R_, "weft gateways listen on the port itself"},
        {"spec.servers[].hosts", T_, "listeners[].hosts (a NS/ prefix must be */ or ./)"},
        {"spec.servers[].tls", T_, "listeners[].tls"},
        {"spec.servers[].tls.mode", T_,
         "SIMPLE, MUTUAL; passthrough modes and ISTIO_MUTUAL are "
         "refused"},
        {"spec.servers[].tls.serverCertificate", T_, "tls.certificate.certFile"},
        {"spec.servers[].tls.privateKey", T_, "tls.certificate.keyFile"},
        {"spec.servers[].tls.caCertificates", T_, "tls.caFile"},
        {"spec.servers[].tls.credentialName", T_,
         "tls.certificate: " SECRETS_DIR "/NS/NAME/tls.crt and tls.key (ca.crt for "
         "MUTUAL)"},
        {"spec.servers[].tls.httpsRedirect", R_, "weft has no redirects yet"},
        {"spec.servers[].tls.minProtocolVersion", R_, "weft has no TLS version settings"},
        {"spec.servers[].tls.maxProtocolVersion", R_, "weft has no TLS version settings"},
        {"spec.servers[].tls.cipherSuites", R_, "weft has no cipher settings"},
        {"spec.servers[].tls.subjectAltNames", R_, "weft has no SAN check list"},
        {"spec.servers[].tls.verifyCertificateSpki", R_, "weft has no certificate pinning"},
        {"spec.servers[].tls.verifyCertificateHash", R_, "weft has no certificate pinning"},
        {"spec.servers[].tls.credentialNames", R_, "one certificate per listener"},
        {"spec.servers[].tls.caCrl", R_, "weft has no CRL field"},
        {"spec.servers[].bind", R_, "spec.address is the Gateway's one address"},
        {"spec.servers[].defaultEndpoint", R_, "weft gateways send to routes only"},
};

static void server_tls(weft_xlate *x, const weft_xsrc *src, const weft_node *t, const char *base,
                       json_t *l)
{
	char p[200], crt[400], key[400], ca[400];
	const char *mode = nb_str(x, src, t, "mode", nb_path(p, sizeof(p), "%s.mode", base));
	if (mode && strcmp(mode, "SIMPLE") && strcmp(mode, "MUTUAL")) {
		nb_refuse(x, src, nb_at(t, "mode"), p,
		          "%s: weft listeners terminate TLS (SIMPLE, MUTUAL)", mode);
		return;
	}
	int mutual = mode && !strcmp(mode, "MUTUAL");
	const char *cred = nb_str(x, src, t, "credentialName",
	                          nb_path(p, sizeof(p), "%s.credentialName", base));
	const char *cert = nb_str(x, src, t, "serverCertificate",
	                          nb_path(p, sizeof(p), "%s.serverCertificate", base));
	const char *pk =
	        nb_str(x, src, t, "privateKey", nb_path(p, sizeof(p), "%s.privateKey", base));
	const char *cafile = nb_str(x, src, t, "caCertificates",
	                            nb_path(p, sizeof(p), "%s.caCertificates", base));
	if (cred) {
		snprintf(crt, sizeof(crt), SECRETS_DIR "/%s/%s/tls.crt", src->ns, cred);
		snprintf(key, sizeof(key), SECRETS_DIR "/%s/%s/tls.key", src->ns, cred);
		snprintf(ca, sizeof(ca), SECRETS_DIR "/%s/%s/ca.crt", src->ns, cred);
		cert = crt;
		pk = key;
		if (mutual && !cafile)
			cafile = ca;
	}
	if (!cert || !pk) {
		nb_refuse(x, src, t, base,
		          "a certificate needs credentialName, or serverCertificate "
		          "and privateKey");
		return;
	}
	json_t *o = json_pack("{s:s, s:{s:s, s:s}}", "mode", mutual ? "mutual" : "simple",
	                      "certificate", "certFile", cert, "keyFile", pk);
	if (cafile)
		json_object_set_new(o, "caFile", json_string(cafile));
	json_object_set_new(l, "tls", o);
}

static json_t *server(weft_xlate *x, const weft_xsrc *src, const weft_node *s, size_t i)
{
	static const char *const protos[][2] = {
	        {"HTTP", "http"}, {"HTTP2", "http"}, {"GRPC", "http"}, {"HTTPS", "https"},
	        {"TCP", "tcp"},   {"MONGO", "tcp"},  {"TLS", "tls"}};
	char base[64], p[200], lname[80];
	nb_path(base, sizeof(base), "spec.servers[%zu]", i);
	json_t *l = json_object();
	const weft_node *port = nb_map(x, src, s, "port", nb_path(p, sizeof(p), "%s.port", base));
	long long num = 0;
	if (!port || nb_int(x, src, port, "number", nb_path(p, sizeof(p), "%s.port.number", base),
	                    1, 65535, &num) != 1)
		nb_refuse(x, src, port ? port : s, p, "a server needs port.number");
	const char *name = nb_str(x, src, s, "name", nb_path(p, sizeof(p), "%s.name", base));
	const char *pname =
	        port ? nb_str(x, src, port, "name", nb_path(p, sizeof(p), "%s.port.name", base))
	             : NULL;
	snprintf(lname, sizeof(lname), "port-%lld", num);
	json_object_set_new(l, "name", json_string(name ? name : pname ? pname : lname));
	json_object_set_new(l, "port", json_integer(num));
	const char *proto = port ? nb_str(x, src, port, "protocol",
	                                  nb_path(p, sizeof(p), "%s.port.protocol", base))
	                         : NULL;
	size_t k;
	for (k = 0; proto && k < NB_ROWS(protos) && strcmp(protos[k][0], proto); k++)
		;
	if (!proto || k == NB_ROWS(protos))
		nb_refuse(x, src, port ? nb_at(port, "protocol") : s, p,
		          "protocol '%s' has no weft listener", proto ? proto : "");
	else
		json_object_set_new(l, "protocol", json_string(protos[k][1]));
	const weft_node *hosts =
	        nb_seq(x, src, s, "hosts", nb_path(p, sizeof(p), "%s.hosts", base));
	json_t *h = json_array();
	for (size_t j = 0; hosts && j < hosts->count; j++) {
		const char *v =
		        hosts->items[j]->kind == WEFT_NODE_SCALAR ? hosts->items[j]->str : "";
		const char *slash = strchr(v, '/');
		if (slash && strncmp(v, "*/", 2) && strncmp(v, "./", 2)) {
			nb_refuse(x, src, hosts->items[j], p,
			          "'%s': weft listeners do not limit routes "
			          "by namespace",
			          v);
			continue;
		}
		json_array_append_new(h, json_string(slash ? slash + 1 : v));
	}
	if (json_array_size(h))
		json_object_set_new(l, "hosts", h);
	else
		json_decref(h);
	const weft_node *tls = nb_map(x, src, s, "tls", nb_path(p, sizeof(p), "%s.tls", base));
	if (tls)
		server_tls(x, src, tls, p, l);
	else if (proto && (!strcmp(proto, "HTTPS") || !strcmp(proto, "TLS")))
		nb_refuse(x, src, s, base, "an %s server needs tls", proto);
	return l;
}

static int translate_gw(weft_xlate *x, const weft_xsrc *src)
{
	const weft_node *spec = nb_map(x, src, src->root, "spec", "spec");
	const weft_node *servers = spec ? nb_seq(x, src, spec, "servers", "spec.servers") : NULL;
	if (!servers || servers->count == 0) {
		nb_refuse(x, src, spec ? spec : src->root, "spec.servers",
		          "required field is missing");
		return 0;
	}
	json_t *out = nb_out_spec(x, src, "Gateway", src->ns, src->name);
	if (!out)
		return -1;
	json_t *a = json_array();
	for (size_t i = 0; i < servers->count; i++)
		json_array_append_new(a, server(x, src, servers->items[i], i));
	json_object_set_new(out, "listeners", a);
	return 0;
}

static const char *const versions[] = {"v1", "v1beta1", "v1alpha3", NULL};

const weft_translator nb_istio_gateway = {
        .group = "networking.istio.io",
        .versions = versions,
        .kind = "Gateway",
        .phase = 1,
        .fields = gw_rows,
        .n_fields = NB_ROWS(gw_rows),
        .translate = translate_gw,
};
