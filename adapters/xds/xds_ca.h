/* The built-in certificate authority for mesh mTLS (SDS): an EC P-256 CA
 * created at server start, issuing per-service identities as X.509
 * certificates with a SPIFFE URI SAN (spiffe://weft/ns/NS/sa/NAME).
 * Certificates are short-lived and re-issued by the server before they
 * expire (see xds_server.c). OpenSSL 3. Thread-compatible (one owner). */
#ifndef WEFT_XDS_CA_H
#define WEFT_XDS_CA_H

#include <stdint.h>

#include "diag.h"

typedef struct xds_ca xds_ca;

/* A new CA valid for ca_ttl_s seconds. NULL with err. */
xds_ca *xds_ca_new(int64_t ca_ttl_s, weft_err *err);
void xds_ca_free(xds_ca *ca);
/* The CA certificate, PEM. */
const char *xds_ca_root_pem(const xds_ca *ca);

typedef struct xds_cert {
	char *cert_pem, *key_pem;
	int64_t not_after; /* unix seconds */
} xds_cert;

/* Issues a certificate for uri (SAN URI), valid ttl_s seconds from now
 * (backdated 60 s for clock skew). 0 or -1 with err. */
int xds_ca_issue(xds_ca *ca, const char *uri, int64_t ttl_s, xds_cert *out, weft_err *err);
void xds_cert_free(xds_cert *c);

#endif
