/* The netconf adapter's TLS transport: NETCONF over TLS (RFC 7589).
 *
 * A netconf Device whose spec.connection has `tls` is reached over TLS
 * instead of SSH (port default 6513). Like SSH (ncdev_conn.c), weft opens
 * the transport itself, here with OpenSSL, and hands the finished TLS
 * session to nc_connect_libssl(): libnetconf2 2.0.24 keeps its TLS client
 * options (certificate paths, CA) per thread and connects with its own
 * timeout, while weft wants per-device settings and timeouts and one clear
 * error per failure.
 *
 * What the policy model carries (core/policy-t.h, weft_device_tls): caFile
 * and insecure only. So:
 *   - connection.tls.caFile (required) verifies the device's certificate,
 *     which must also match connection.address (IP SAN for an address,
 *     DNS name otherwise); tls.insecure is refused: an unverified
 *     management session is never opened;
 *   - connection.credentials.file names ONE PEM file holding the client
 *     certificate (optionally followed by its chain) and its private key;
 *     credentials.env is refused for TLS (a certificate is not a secret
 *     that fits in a variable). The device maps the certificate to a
 *     NETCONF user itself (cert-to-name); connection.username is unused.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ncdev.h"

static const char *ssl_error_text(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_get_error();

	if (!e)
		return "connection closed by the device";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

/* Waits until fd is readable/writable or the deadline passes; 0 when ready. */
static int wait_fd(int fd, short events, int64_t deadline_ms)
{
	int64_t left = deadline_ms - ncdev_now_ms();
	struct pollfd p = {.fd = fd, .events = events};

	if (left <= 0)
		return -1;
	return poll(&p, 1, (int)left) == 1 ? 0 : -1;
}

/* Non-blocking TCP connect within the deadline; the fd stays non-blocking. */
static int tcp_connect(const struct ncdev_conn *c, int64_t deadline_ms, weft_err *err)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
	char port[16];
	int fd = -1, soerr = 0, on = 1, idle = 30, intvl = 10, cnt = 3;
	socklen_t len = sizeof(soerr);

	snprintf(port, sizeof(port), "%d", c->port);
	int gai = getaddrinfo(c->address, port, &hints, &res);
	if (gai)
		return weft_err_set(err, "device %s: TLS: cannot resolve %s: %s", c->key,
		                    c->address, gai_strerror(gai));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) && errno != EINPROGRESS)
		soerr = errno;
	else if (fd >= 0 && wait_fd(fd, POLLOUT, deadline_ms))
		soerr = ETIMEDOUT;
	else if (fd >= 0)
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	freeaddrinfo(res);
	if (fd < 0 || soerr) {
		if (fd >= 0)
			close(fd);
		return weft_err_set(err, "device %s: TLS connect to %s:%d failed: %s", c->key,
		                    c->address, c->port, strerror(fd < 0 ? errno : soerr));
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
	return fd;
}

/* The per-connect SSL_CTX: CA, client certificate chain and key. */
static SSL_CTX *tls_ctx_new(const struct ncdev_conn *c, weft_err *err)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	const char *what = NULL;

	if (!ctx)
		what = "out of memory";
	else if (SSL_CTX_load_verify_locations(ctx, c->ca_file, NULL) != 1)
		what = "cannot load connection.tls.caFile";
	else if (SSL_CTX_use_certificate_chain_file(ctx, c->cred_file) != 1)
		what = "no client certificate in connection.credentials.file";
	else if (SSL_CTX_use_PrivateKey_file(ctx, c->cred_file, SSL_FILETYPE_PEM) != 1)
		what = "no private key in connection.credentials.file";
	else if (SSL_CTX_check_private_key(ctx) != 1)
		what = "the key in connection.credentials.file does not match its certificate";
	if (what) {
		weft_err_set(err, "device %s: TLS: %s (%s, %s): %s", c->key, what, c->ca_file,
		             c->cred_file, ssl_error_text());
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	return ctx;
}

/* The handshake within the deadline; 0 or -1 with err. */
static int handshake(const struct ncdev_conn *c, SSL *ssl, int fd, int64_t deadline_ms,
                     weft_err *err)
{
	for (;;) {
		int r = SSL_connect(ssl), e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);

		if (e == SSL_ERROR_NONE)
			return 0;
		if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) &&
		    !wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms))
			continue;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
			return weft_err_set(err, "device %s: TLS handshake with %s:%d timed out",
			                    c->key, c->address, c->port);
		long v = SSL_get_verify_result(ssl);
		if (v != X509_V_OK)
			return weft_err_set(err,
			                    "device %s: TLS authentication failed: the device's "
			                    "certificate does not verify against %s: %s",
			                    c->key, c->ca_file, X509_verify_cert_error_string(v));
		return weft_err_set(err, "device %s: TLS authentication failed with %s:%d: %s",
		                    c->key, c->address, c->port, ssl_error_text());
	}
}

/* With TLS 1.3 the client's handshake ends before the device has checked
 * our certificate; a refusal arrives as an alert on the first read. The
 * device sends its <hello> at once (RFC 6241, 8.1), so peek at the first
 * byte within the deadline: an alert becomes a clear authentication error
 * here instead of "no hello" later. 0 when data came (or nothing yet). */
static int await_first_byte(const struct ncdev_conn *c, SSL *ssl, int fd, int64_t deadline_ms,
                            weft_err *err)
{
	char b;

	for (;;) {
		int r = SSL_peek(ssl, &b, 1), e = r > 0 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);

		if (e == SSL_ERROR_NONE)
			return 0;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (wait_fd(fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline_ms))
				return 0; /* the hello exchange will time out and say so */
			continue;
		}
		return weft_err_set(err,
		                    "device %s: TLS authentication failed: %s:%d refused the "
		                    "client certificate of %s: %s",
		                    c->key, c->address, c->port, c->cred_file, ssl_error_text());
	}
}

SSL *ncdev_tls_open(const struct ncdev_conn *c, weft_err *err)
{
	int64_t deadline = ncdev_now_ms() + c->timeout_ms;
	unsigned char addr[sizeof(struct in6_addr)];
	int is_ip = inet_pton(AF_INET, c->address, addr) == 1 ||
	            inet_pton(AF_INET6, c->address, addr) == 1;
	SSL_CTX *ctx = tls_ctx_new(c, err);
	SSL *ssl = ctx ? SSL_new(ctx) : NULL;
	int fd = -1;

	SSL_CTX_free(ctx); /* ssl holds its own reference */
	if (!ssl)
		return ctx ? (weft_err_set(err, "device %s: out of memory", c->key), NULL) : NULL;
	if (is_ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->address) != 1
	          : (SSL_set1_host(ssl, c->address) != 1 ||
	             SSL_set_tlsext_host_name(ssl, c->address) != 1)) {
		weft_err_set(err, "device %s: TLS: bad address %s", c->key, c->address);
		goto fail;
	}
	fd = tcp_connect(c, deadline, err);
	if (fd < 0)
		goto fail;
	if (SSL_set_fd(ssl, fd) != 1) {
		weft_err_set(err, "device %s: TLS: %s", c->key, ssl_error_text());
		goto fail;
	}
	if (handshake(c, ssl, fd, deadline, err) || await_first_byte(c, ssl, fd, deadline, err))
		goto fail;
	return ssl;
fail:
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
	return NULL;
}
