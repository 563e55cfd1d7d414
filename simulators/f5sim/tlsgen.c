/* f5sim: a self-signed certificate made in memory at start.
 *
 * BIG-IP's management interface ships with a self-signed certificate, and
 * clients commonly run with verification off; f5sim does the same when no
 * --cert/--key is given: an EC P-256 key and an X.509 v3 certificate for
 * CN=localhost with subjectAltName DNS:localhost, IP:127.0.0.1, valid for
 * a year, handed to libmicrohttpd (GnuTLS) as PEM strings. */
#include "f5sim.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *bio_to_string(BIO *b)
{
	char *data, *s;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	memcpy(s, data, (size_t)n);
	s[n] = '\0';
	return s;
}

static int add_san(X509 *x)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
	if (!ext)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -1;
}

static X509 *make_cert(EVP_PKEY *pkey)
{
	X509 *x = X509_new();
	X509_NAME *name;
	unsigned char serial[8];

	if (!x)
		return NULL;
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x),
	                 (long)(serial[0] << 16 | serial[1] << 8 | serial[2]) + 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 365L * 24 * 3600);
	X509_set_pubkey(x, pkey);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"f5sim", -1, -1,
	                           0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"localhost", -1,
	                           -1, 0);
	X509_set_issuer_name(x, name);
	if (add_san(x) || !X509_sign(x, pkey, EVP_sha256())) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int tlsgen_self_signed(char **cert_pem, char **key_pem, char *err, size_t errlen)
{
	EVP_PKEY *pkey = EVP_EC_gen("P-256");
	X509 *x = pkey ? make_cert(pkey) : NULL;
	BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
	int rc = -1;

	*cert_pem = *key_pem = NULL;
	if (x && cb && kb && PEM_write_bio_X509(cb, x) &&
	    PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL)) {
		*cert_pem = bio_to_string(cb);
		*key_pem = bio_to_string(kb);
		rc = (*cert_pem && *key_pem) ? 0 : -1;
	}
	if (rc) {
		free(*cert_pem);
		free(*key_pem);
		*cert_pem = *key_pem = NULL;
		snprintf(err, errlen, "tlsgen: cannot make a self-signed certificate: %s",
		         ERR_error_string(ERR_get_error(), NULL));
	}
	BIO_free(cb);
	BIO_free(kb);
	X509_free(x);
	EVP_PKEY_free(pkey);
	return rc;
}
