/* Render: TLS. SDS secrets of a view ("default": the proxy's identity
 * certificate and key from the built-in CA; "ROOTCA": the CA to validate
 * peers), upstream TLS of clusters (mesh mTLS through SDS when the
 * destination's PeerAuthentication is STRICT or PERMISSIVE or its
 * TrafficPolicy says tls.mode mesh; SIMPLE / MUTUAL with files from the
 * TrafficPolicy), and the inbound side's DownstreamTlsContext (STRICT:
 * client certificate required; PERMISSIVE: TLS and plaintext chains told
 * apart by the TLS inspector). */
#include <string.h>

#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/config/listener/v3/listener_components.pb-c.h"
#include "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb-c.h"
#include "xds_render_int.h"

typedef Envoy__Extensions__TransportSockets__Tls__V3__CommonTlsContext CommonTls;
typedef Envoy__Extensions__TransportSockets__Tls__V3__SdsSecretConfig SdsConfig;
typedef Envoy__Extensions__TransportSockets__Tls__V3__Secret Secret;

static Envoy__Config__Core__V3__DataSource *data_source(xds_ctx *c, const char *s, int file)
{
	Envoy__Config__Core__V3__DataSource *d = XB_NEW(c->a, Envoy__Config__Core__V3__DataSource,
	                                                ENVOY__CONFIG__CORE__V3__DATA_SOURCE__INIT);
	if (file) {
		d->specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_FILENAME;
		d->filename = (char *)s;
	} else {
		d->specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
		d->inline_string = (char *)s;
	}
	return d;
}

static SdsConfig *sds(xds_ctx *c, const char *name)
{
	SdsConfig *s =
	        XB_NEW(c->a, SdsConfig,
	               ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SDS_SECRET_CONFIG__INIT);
	s->name = (char *)name;
	s->sds_config = xb_ads_source(c->a);
	return s;
}

static CommonTls *mesh_common(xds_ctx *c)
{
	CommonTls *ct =
	        XB_NEW(c->a, CommonTls,
	               ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__INIT);
	ct->tls_certificate_sds_secret_configs = XB_PTRS(c->a, SdsConfig, 1);
	ct->tls_certificate_sds_secret_configs[0] = sds(c, XDS_SECRET_IDENTITY);
	ct->n_tls_certificate_sds_secret_configs = 1;
	ct->validation_context_type_case =
	        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__VALIDATION_CONTEXT_TYPE_VALIDATION_CONTEXT_SDS_SECRET_CONFIG;
	ct->validation_context_sds_secret_config = sds(c, XDS_SECRET_ROOTCA);
	return ct;
}

static Envoy__Config__Core__V3__TransportSocket *tls_socket(xds_ctx *c, const char *url,
                                                            const ProtobufCMessage *m)
{
	Envoy__Config__Core__V3__TransportSocket *ts =
	        XB_NEW(c->a, Envoy__Config__Core__V3__TransportSocket,
	               ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__INIT);
	ts->name = "envoy.transport_sockets.tls";
	ts->config_type_case = ENVOY__CONFIG__CORE__V3__TRANSPORT_SOCKET__CONFIG_TYPE_TYPED_CONFIG;
	ts->typed_config = xb_any(c->a, url, m);
	return ts;
}

weft_mtls_mode xds_peer_mtls(xds_ctx *c, const weft_resource *svc)
{
	const weft_resource *pa = xds_service_policies(c, svc)->peer_authentication;
	return pa ? ((const weft_peer_authentication_spec *)pa->spec)->mode : WEFT_MTLS_UNSET;
}

void *xds_upstream_tls(xds_ctx *c, const weft_resource *svc, const weft_client_tls *tls)
{
	Envoy__Extensions__TransportSockets__Tls__V3__UpstreamTlsContext *u =
	        XB_NEW(c->a, Envoy__Extensions__TransportSockets__Tls__V3__UpstreamTlsContext,
	               ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__UPSTREAM_TLS_CONTEXT__INIT);
	weft_mtls_mode peer = xds_peer_mtls(c, svc);
	if (tls && tls->mode == WEFT_TLS_DISABLE)
		return NULL;
	if ((tls && tls->mode == WEFT_TLS_MESH) ||
	    (!tls && (peer == WEFT_MTLS_STRICT || peer == WEFT_MTLS_PERMISSIVE))) {
		u->common_tls_context = mesh_common(c);
	} else if (tls) {
		CommonTls *ct = XB_NEW(
		        c->a, CommonTls,
		        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__INIT);
		if (tls->ca_file) {
			Envoy__Extensions__TransportSockets__Tls__V3__CertificateValidationContext *v = XB_NEW(
			        c->a,
			        Envoy__Extensions__TransportSockets__Tls__V3__CertificateValidationContext,
			        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__CERTIFICATE_VALIDATION_CONTEXT__INIT);
			v->trusted_ca = data_source(c, tls->ca_file, 1);
			ct->validation_context_type_case =
			        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__COMMON_TLS_CONTEXT__VALIDATION_CONTEXT_TYPE_VALIDATION_CONTEXT;
			ct->validation_context = v;
		}
		if (tls->mode == WEFT_TLS_MUTUAL && tls->cert_file && tls->key_file) {
			Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate *tc = XB_NEW(
			        c->a, Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate,
			        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__TLS_CERTIFICATE__INIT);
			tc->certificate_chain = data_source(c, tls->cert_file, 1);
			tc->private_key = data_source(c, tls->key_file, 1);
			ct->tls_certificates = XB_PTRS(
			        c->a, Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate,
			        1);
			ct->tls_certificates[0] = tc;
			ct->n_tls_certificates = 1;
		}
		u->common_tls_context = ct;
		if (tls->sni)
			u->sni = (char *)tls->sni;
	} else {
		return NULL;
	}
	return tls_socket(c, XDS_URL_UPSTREAM_TLS, &u->base);
}

void xds_inbound_tls(xds_ctx *c, void *listener_v, const weft_resource *svc)
{
	Envoy__Config__Listener__V3__Listener *l = listener_v;
	weft_mtls_mode mode = xds_peer_mtls(c, svc);
	if (mode != WEFT_MTLS_STRICT && mode != WEFT_MTLS_PERMISSIVE)
		return;
	Envoy__Extensions__TransportSockets__Tls__V3__DownstreamTlsContext *d =
	        XB_NEW(c->a, Envoy__Extensions__TransportSockets__Tls__V3__DownstreamTlsContext,
	               ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__DOWNSTREAM_TLS_CONTEXT__INIT);
	d->common_tls_context = mesh_common(c);
	d->require_client_certificate = xb_bool(c->a, 1);
	Envoy__Config__Listener__V3__FilterChain *plain = l->filter_chains[0];
	Envoy__Config__Listener__V3__FilterChain *tls = xb_dup(c->a, plain, sizeof(*plain));
	tls->transport_socket = tls_socket(c, XDS_URL_DOWNSTREAM_TLS, &d->base);
	tls->name = "mtls";
	if (mode == WEFT_MTLS_STRICT) {
		l->filter_chains[0] = tls;
		return;
	}
	/* PERMISSIVE: TLS when the TLS inspector sees a ClientHello. */
	tls->filter_chain_match = XB_NEW(c->a, Envoy__Config__Listener__V3__FilterChainMatch,
	                                 ENVOY__CONFIG__LISTENER__V3__FILTER_CHAIN_MATCH__INIT);
	tls->filter_chain_match->transport_protocol = "tls";
	plain->name = "plaintext";
	l->filter_chains = XB_PTRS(c->a, Envoy__Config__Listener__V3__FilterChain, 2);
	l->filter_chains[0] = tls;
	l->filter_chains[1] = plain;
	l->n_filter_chains = 2;
	Envoy__Extensions__Filters__Listener__TlsInspector__V3__TlsInspector ti =
	        ENVOY__EXTENSIONS__FILTERS__LISTENER__TLS_INSPECTOR__V3__TLS_INSPECTOR__INIT;
	Envoy__Config__Listener__V3__ListenerFilter *f =
	        XB_NEW(c->a, Envoy__Config__Listener__V3__ListenerFilter,
	               ENVOY__CONFIG__LISTENER__V3__LISTENER_FILTER__INIT);
	f->name = "envoy.filters.listener.tls_inspector";
	f->config_type_case =
	        ENVOY__CONFIG__LISTENER__V3__LISTENER_FILTER__CONFIG_TYPE_TYPED_CONFIG;
	f->typed_config = xb_any(c->a, XDS_URL_TLS_INSPECTOR, &ti.base);
	l->listener_filters = XB_PTRS(c->a, Envoy__Config__Listener__V3__ListenerFilter, 1);
	l->listener_filters[0] = f;
	l->n_listener_filters = 1;
}

int xds_render_secrets(const char *cert_pem, const char *key_pem, const char *root_pem,
                       xds_resset *pred, xds_resset **out, weft_err *err)
{
	weft_arena *a = weft_arena_new();
	*out = xds_resset_new();
	if (!a || !*out)
		goto oom;
	xds_ctx c = {.a = a};
	if (cert_pem && key_pem) {
		Secret *s = XB_NEW(a, Secret,
		                   ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__INIT);
		s->name = XDS_SECRET_IDENTITY;
		s->type_case =
		        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_TLS_CERTIFICATE;
		s->tls_certificate = XB_NEW(
		        a, Envoy__Extensions__TransportSockets__Tls__V3__TlsCertificate,
		        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__TLS_CERTIFICATE__INIT);
		s->tls_certificate->certificate_chain = data_source(&c, cert_pem, 0);
		s->tls_certificate->private_key = data_source(&c, key_pem, 0);
		if (xds_resset_add(*out, xds_res_new(XDS_SDS, s->name, &s->base)))
			goto oom;
	}
	if (root_pem) {
		Secret *s = XB_NEW(a, Secret,
		                   ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__INIT);
		s->name = XDS_SECRET_ROOTCA;
		s->type_case =
		        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__SECRET__TYPE_VALIDATION_CONTEXT;
		s->validation_context = XB_NEW(
		        a,
		        Envoy__Extensions__TransportSockets__Tls__V3__CertificateValidationContext,
		        ENVOY__EXTENSIONS__TRANSPORT_SOCKETS__TLS__V3__CERTIFICATE_VALIDATION_CONTEXT__INIT);
		s->validation_context->trusted_ca = data_source(&c, root_pem, 0);
		if (xds_resset_add(*out, xds_res_new(XDS_SDS, s->name, &s->base)))
			goto oom;
	}
	if (xds_resset_seal(*out, pred))
		goto oom;
	weft_arena_free(a);
	return 0;
oom:
	weft_arena_free(a);
	xds_resset_unref(*out);
	*out = NULL;
	return weft_err_set(err, "xds render secrets: out of memory");
}
