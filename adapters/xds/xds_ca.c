/* The built-in CA (see xds_ca.h). */
#include "xds_ca.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct xds_ca {
	EVP_PKEY *key;
	X509 *cert;
	char *pem;
};

static char *bio_string(BIO *b)
{
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *s = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (s) {
		memcpy(s, data, (size_t)n);
		s[n] = 0;
	}
	return s;
}

static char *cert_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = b && PEM_write_bio_X509(b, x) ? bio_string(b) : NULL;
	BIO_free(b);
	return s;
}

static char *key_pem(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *s = b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) ? bio_string(b)
	                                                                         : NULL;
	BIO_free(b);
	return s;
}

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -1;
}

/* A certificate for key, signed by (issuer, ikey), or self-signed. */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, int64_t ttl_s,
                       const char *uri)
{
	X509 *x = X509_new();
	unsigned char serial[16];
	if (!x || RAND_bytes(serial, sizeof(serial)) != 1)
		goto fail;
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	ASN1_INTEGER *sn = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	BN_free(bn);
	int ok = sn && X509_set_version(x, 2) && X509_set_serialNumber(x, sn);
	ASN1_INTEGER_free(sn);
	if (!ok || !X509_gmtime_adj(X509_getm_notBefore(x), -60) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), (long)ttl_s) || !X509_set_pubkey(x, key))
		goto fail;
	X509_NAME *name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"weft", -1, -1,
	                           0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	if (!X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name))
		goto fail;
	X509 *iss = issuer ? issuer : x;
	if (!issuer) {
		if (add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE") ||
		    add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign") ||
		    add_ext(x, iss, NID_subject_key_identifier, "hash"))
			goto fail;
	} else {
		char san[1024];
		snprintf(san, sizeof(san), "URI:%s", uri);
		if (add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE") ||
		    add_ext(x, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment") ||
		    add_ext(x, iss, NID_ext_key_usage, "serverAuth,clientAuth") ||
		    add_ext(x, iss, NID_subject_alt_name, san))
			goto fail;
	}
	if (!X509_sign(x, issuer ? ikey : key, EVP_sha256()))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

xds_ca *xds_ca_new(int64_t ca_ttl_s, weft_err *err)
{
	xds_ca *ca = calloc(1, sizeof(*ca));
	if (!ca || !(ca->key = EVP_EC_gen("P-256")) ||
	    !(ca->cert = make_cert(ca->key, "weft mesh CA", NULL, NULL, ca_ttl_s, NULL)) ||
	    !(ca->pem = cert_pem(ca->cert))) {
		xds_ca_free(ca);
		weft_err_set(err, "xds CA: cannot create the CA key and certificate (OpenSSL)");
		return NULL;
	}
	return ca;
}

void xds_ca_free(xds_ca *ca)
{
	if (!ca)
		return;
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
	free(ca->pem);
	free(ca);
}

const char *xds_ca_root_pem(const xds_ca *ca)
{
	return ca->pem;
}

int xds_ca_issue(xds_ca *ca, const char *uri, int64_t ttl_s, xds_cert *out, weft_err *err)
{
	memset(out, 0, sizeof(*out));
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = key ? make_cert(key, uri, ca->cert, ca->key, ttl_s, uri) : NULL;
	if (x) {
		out->cert_pem = cert_pem(x);
		out->key_pem = key_pem(key);
		out->not_after = (int64_t)time(NULL) + ttl_s;
	}
	X509_free(x);
	EVP_PKEY_free(key);
	if (!out->cert_pem || !out->key_pem) {
		xds_cert_free(out);
		return weft_err_set(err, "xds CA: cannot issue a certificate for %s", uri);
	}
	return 0;
}

void xds_cert_free(xds_cert *c)
{
	free(c->cert_pem);
	free(c->key_pem);
	c->cert_pem = c->key_pem = NULL;
}
