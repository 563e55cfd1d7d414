/* ncsim TLS: NETCONF over TLS endpoints (RFC 7589), one per device.
 *
 * With --tls-base-port P --tls-cert F --tls-key F --tls-ca F, device i
 * also listens for NETCONF over TLS on port P+i (endpoint "dev<i>-tls").
 * Clients must present a certificate that verifies against the CA file;
 * one cert-to-name entry (RFC 7407) keyed on the CA certificate's SHA-256
 * fingerprint maps every such client to the user "admin" (a
 * "specified" mapping), so any certificate the CA signed logs in as admin.
 *
 * libnetconf2 2.0.24 takes the server certificate and key only through a
 * callback (nc_server_tls_set_server_cert_clb) that returns file paths;
 * the endpoint names the certificate ("server"). Which device a TLS
 * session is for is decided in the verify callback, which runs inside
 * nc_accept() after cert-to-name succeeded and before the <hello> is
 * sent: server_session_bind() finds the device from the socket's local
 * port, as for SSH (see server.c).
 */
#include "ncsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* "04:AB:CD:..." (RFC 7407 tls-fingerprint: 0x04 is SHA-256) of the first
 * certificate in a PEM file, or NULL. */
static char *ca_fingerprint(const char *path)
{
	FILE *f = fopen(path, "r");
	X509 *cert = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *out = NULL;

	if (f)
		fclose(f);
	if (cert && X509_digest(cert, EVP_sha256(), md, &len) && (out = malloc(3 + len * 3))) {
		strcpy(out, "04");
		for (unsigned int i = 0; i < len; i++)
			sprintf(out + 2 + i * 3, ":%02X", md[i]);
	}
	X509_free(cert);
	return out;
}

static int server_cert_cb(const char *name, void *ud, char **cert_path, char **cert_data,
                          char **privkey_path, char **privkey_data, NC_SSH_KEY_TYPE *privkey_type)
{
	struct ncsim *sim = ud;

	(void)name;
	(void)cert_data;
	(void)privkey_data;
	(void)privkey_type;
	*cert_path = strdup(sim->opts.tls_cert);
	*privkey_path = strdup(sim->opts.tls_key);
	return *cert_path && *privkey_path ? 0 : -1;
}

/* The trusted certificate list "ca": the CA file. libnetconf2 2.0.24
 * refuses every client when this callback is not set, even with
 * nc_server_tls_endpt_set_trusted_ca_paths(). */
static int trusted_list_cb(const char *name, void *ud, char ***cert_paths, int *cert_path_count,
                           char ***cert_data, int *cert_data_count)
{
	struct ncsim *sim = ud;

	(void)name;
	*cert_data = NULL;
	*cert_data_count = 0;
	*cert_paths = calloc(1, sizeof(char *));
	if (!*cert_paths || !((*cert_paths)[0] = strdup(sim->opts.tls_ca)))
		return -1;
	*cert_path_count = 1;
	return 0;
}

/* After cert-to-name: tie the session to its device (1 accepts). */
static int verify_cb(const struct nc_session *session)
{
	return server_session_bind(session) ? 0 : 1;
}

int tls_setup(struct ncsim *sim)
{
	char *fpr = ca_fingerprint(sim->opts.tls_ca);
	int rc = 0;

	if (!fpr) {
		ncsim_log("--tls-ca %s: cannot read a PEM certificate", sim->opts.tls_ca);
		return -1;
	}
	nc_server_tls_set_server_cert_clb(server_cert_cb, sim, NULL);
	nc_server_tls_set_trusted_cert_list_clb(trusted_list_cb, sim, NULL);
	nc_server_tls_set_verify_clb(verify_cb);
	for (int i = 0; i < sim->ndev && !rc; i++) {
		char name[48];
		int port = sim->opts.tls_base_port + i;

		snprintf(name, sizeof(name), "%s-tls", sim->devs[i].name);
		if (nc_server_add_endpt(name, NC_TI_OPENSSL) ||
		    nc_server_endpt_set_address(name, sim->opts.address) ||
		    nc_server_endpt_set_port(name, port) ||
		    nc_server_tls_endpt_set_server_cert(name, "server") ||
		    nc_server_tls_endpt_add_trusted_cert_list(name, "ca") ||
		    nc_server_tls_endpt_set_trusted_ca_paths(name, sim->opts.tls_ca, NULL) ||
		    nc_server_tls_endpt_add_ctn(name, 1, fpr, NC_TLS_CTN_SPECIFIED, "admin")) {
			ncsim_log("%s: cannot listen for TLS on %s:%d", name, sim->opts.address,
			          port);
			rc = -1;
		}
	}
	free(fpr);
	return rc;
}
