/* Unit tests of mesh mTLS: the built-in CA (OpenSSL verifies what it
 * issues), SDS secrets, and TLS in clusters and inbound listeners from
 * PeerAuthentication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/secret.pb-c.h"
#include "envoy/extensions/transport_sockets/tls/v3/tls.pb-c.h"
#include "xds_ca.h"
#include "xds_test_util.h"

static X509 *pem_cert(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	assert_non_null(x);
	return x;
}

static void test_ca_issues_verifiable_identity(void **state)
{
	(void)state;
	weft_err err = {0};
	xds_ca *ca = xds_ca_new(86400, &err);
	assert_non_null(ca);
	xds_cert cert;
	const char *uri = "spiffe://weft/ns/shop/sa/reviews";
	assert_int_equal(xds_ca_issue(ca, uri, 3600, &cert, &err), 0);
	assert_true(cert.not_after - (int64_t)time(NULL) <= 3600);
	assert_true(cert.not_after - (int64_t)time(NULL) >= 3590);
	assert_non_null(strstr(cert.key_pem, "PRIVATE KEY"));
	X509 *root = pem_cert(xds_ca_root_pem(ca)), *leaf = pem_cert(cert.cert_pem);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_add_cert(store, root);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, leaf, NULL);
	assert_int_equal(X509_verify_cert(ctx), 1);
	GENERAL_NAMES *san = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	assert_non_null(san);
	GENERAL_NAME *gn = sk_GENERAL_NAME_value(san, 0);
	assert_int_equal(gn->type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
	                    uri);
	GENERAL_NAMES_free(san);
	/* a certificate from another CA does not verify */
	xds_ca *other = xds_ca_new(86400, &err);
	xds_cert foreign;
	assert_int_equal(xds_ca_issue(other, uri, 3600, &foreign, &err), 0);
	X509 *bad = pem_cert(foreign.cert_pem);
	X509_STORE_CTX_cleanup(ctx);
	X509_STORE_CTX_init(ctx, store, bad, NULL);
	assert_int_not_equal(X509_verify_cert(ctx), 1);
	X509_free(bad);
	xds_cert_free(&foreign);
	xds_ca_free(other);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	X509_free(root);
	X509_free(leaf);

	/* SDS: the identity and the CA, inline PEM */
	xds_resset *sds;
	assert_int_equal(xds_render_secrets(cert.cert_pem, cert.key_pem, xds_ca_root_pem(ca), NULL,
	                                    &sds, &err),
	                 0);
	assert_int_equal(sds->count, 2);
	size_t len;
	const uint8_t *b = xds_res_value(xt_find(sds, "default"), &len);
	Envoy__Extensions__TransportSockets__Tls__V3__Secret *s =
	        envoy__extensions__transport_sockets__tls__v3__secret__unpack(NULL, len, b);
	assert_string_equal(s->tls_certificate->certificate_chain->inline_string, cert.cert_pem);
	assert_string_equal(s->tls_certificate->private_key->inline_string, cert.key_pem);
	protobuf_c_message_free_unpacked(&s->base, NULL);
	b = xds_res_value(xt_find(sds, "ROOTCA"), &len);
	s = envoy__extensions__transport_sockets__tls__v3__secret__unpack(NULL, len, b);
	assert_string_equal(s->validation_context->trusted_ca->inline_string, xds_ca_root_pem(ca));
	protobuf_c_message_free_unpacked(&s->base, NULL);
	xds_resset_unref(sds);
	xds_cert_free(&cert);
	xds_ca_free(ca);
}

static const char *const mtls =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: pay, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 80}]\n  endpoints:\n  - {address: 10.2.0.1}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: cart, namespace: shop}\n"
        "spec:\n  ports: [{name: http, port: 81}]\n  endpoints:\n  - {address: 10.2.0.2}\n"
        "---\napiVersion: weft/v1\nkind: PeerAuthentication\nmetadata: {name: pay, namespace: "
        "shop}\n"
        "spec:\n  service: pay\n  mode: STRICT\n"
        "---\napiVersion: weft/v1\nkind: PeerAuthentication\nmetadata: {name: cart, namespace: "
        "shop}\n"
        "spec:\n  service: cart\n  mode: PERMISSIVE\n";

static void test_mesh_mtls(void **state)
{
	(void)state;
	xt_policy p = {0};
	xt_policy_load(&p, mtls);
	xds_render_input in = xt_input(&p);
	xds_resset *cds, *eds, *lds, *rds;
	weft_err err = {0};
	assert_int_equal(xds_render_clusters(&in, NULL, NULL, NULL, &cds, &eds, &err), 0);
	size_t len;
	const uint8_t *b = xds_res_value(xt_find(cds, "outbound|80||pay.shop"), &len);
	Envoy__Config__Cluster__V3__Cluster *c =
	        envoy__config__cluster__v3__cluster__unpack(NULL, len, b);
	assert_non_null(c->transport_socket);
	assert_string_equal(
	        c->transport_socket->typed_config->type_url,
	        "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
	Envoy__Extensions__TransportSockets__Tls__V3__UpstreamTlsContext *u =
	        envoy__extensions__transport_sockets__tls__v3__upstream_tls_context__unpack(
	                NULL, c->transport_socket->typed_config->value.len,
	                c->transport_socket->typed_config->value.data);
	assert_string_equal(u->common_tls_context->tls_certificate_sds_secret_configs[0]->name,
	                    "default");
	assert_non_null(
	        u->common_tls_context->tls_certificate_sds_secret_configs[0]->sds_config->ads);
	assert_string_equal(u->common_tls_context->validation_context_sds_secret_config->name,
	                    "ROOTCA");
	protobuf_c_message_free_unpacked(&u->base, NULL);
	protobuf_c_message_free_unpacked(&c->base, NULL);

	/* The pay sidecar: STRICT inbound requires a client certificate. */
	xds_view_key vk = {
	        .role = XDS_ROLE_SIDECAR, .ips = (const char *[]){"10.2.0.1"}, .n_ips = 1};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, &lds, &rds, &err), 0);
	b = xds_res_value(xt_find(lds, "inbound|10.2.0.1|80"), &len);
	Envoy__Config__Listener__V3__Listener *l =
	        envoy__config__listener__v3__listener__unpack(NULL, len, b);
	assert_int_equal(l->n_filter_chains, 1);
	Envoy__Extensions__TransportSockets__Tls__V3__DownstreamTlsContext *d =
	        envoy__extensions__transport_sockets__tls__v3__downstream_tls_context__unpack(
	                NULL, l->filter_chains[0]->transport_socket->typed_config->value.len,
	                l->filter_chains[0]->transport_socket->typed_config->value.data);
	assert_true(d->require_client_certificate->value);
	protobuf_c_message_free_unpacked(&d->base, NULL);
	protobuf_c_message_free_unpacked(&l->base, NULL);
	char id[256];
	assert_int_equal(xds_view_identity(&in, &vk, id, sizeof(id)), 0);
	assert_string_equal(id, "shop/pay");
	xds_resset_unref(lds);
	xds_resset_unref(rds);

	/* The cart sidecar: PERMISSIVE -> TLS and plaintext chains. */
	vk.ips = (const char *[]){"10.2.0.2"};
	assert_int_equal(xds_render_listeners(&in, &vk, NULL, NULL, &lds, &rds, &err), 0);
	b = xds_res_value(xt_find(lds, "inbound|10.2.0.2|81"), &len);
	l = envoy__config__listener__v3__listener__unpack(NULL, len, b);
	assert_int_equal(l->n_filter_chains, 2);
	assert_string_equal(l->filter_chains[0]->filter_chain_match->transport_protocol, "tls");
	assert_non_null(l->filter_chains[0]->transport_socket);
	assert_null(l->filter_chains[1]->transport_socket);
	assert_string_equal(l->listener_filters[0]->name, "envoy.filters.listener.tls_inspector");
	protobuf_c_message_free_unpacked(&l->base, NULL);
	xds_resset_unref(lds);
	xds_resset_unref(rds);
	xds_resset_unref(cds);
	xds_resset_unref(eds);
	xt_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_ca_issues_verifiable_identity),
	        cmocka_unit_test(test_mesh_mtls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
