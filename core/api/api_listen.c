/* Listen addresses of the REST API: parsing "HOST:PORT" / "[V6]:PORT",
 * the exposure rule (a non-loopback address needs TLS AND tokens, so that
 * policy is never writable in clear text or without a credential from the
 * network), and binding the listening socket ourselves so that port 0 works
 * and the bound port is known before the first request. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api-int.h"
#include "api-listen.h"

int api_listen_split(const char *spec, char *host, size_t hsize, char *port, size_t psize)
{
	const char *colon;
	const char *h = spec;
	size_t hlen;
	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');
		if (!close || close[1] != ':')
			return -1;
		h = spec + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon)
			return -1;
		hlen = (size_t)(colon - spec);
	}
	const char *p = colon + 1;
	if (hlen == 0 || hlen >= hsize || !*p || strlen(p) >= psize ||
	    strspn(p, "0123456789") != strlen(p) || atol(p) > 65535)
		return -1;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	strcpy(port, p);
	return 0;
}

static int is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return 0;
}

int api_listen_resolve(const char *spec, struct addrinfo **out, weft_err *err)
{
	char host[256], port[8];
	if (api_listen_split(spec, host, sizeof(host), port, sizeof(port)) != 0)
		return weft_err_set(err, "listen address '%s': expected HOST:PORT or [IPV6]:PORT",
		                    spec);
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
	int rc = getaddrinfo(host, port, &hints, out);
	if (rc != 0)
		return weft_err_set(err, "listen address '%s': %s", spec, gai_strerror(rc));
	return 0;
}

int weft_api_check_listen(const weft_api_opts *opts, weft_err *err)
{
	const char *spec = opts->listen ? opts->listen : WEFT_API_DEFAULT_LISTEN;
	struct addrinfo *ai;
	if (api_listen_resolve(spec, &ai, err) != 0)
		return -1;
	int loopback = 1;
	for (struct addrinfo *p = ai; p; p = p->ai_next)
		loopback &= is_loopback(p->ai_addr);
	freeaddrinfo(ai);
	if ((opts->tls_cert != NULL) != (opts->tls_key != NULL))
		return weft_err_set(err, "TLS needs both a certificate and a key "
		                         "(--tls-cert and --tls-key)");
	if (loopback)
		return 0;
	if (!opts->tls_cert || !opts->tokens)
		return weft_err_set(err,
		                    "refusing to listen on non-loopback address %s without TLS "
		                    "and a tokens file (give --tls-cert, --tls-key and --tokens, "
		                    "or listen on 127.0.0.1)",
		                    spec);
	return 0;
}

/* "127.0.0.1:PORT" or "[::1]:PORT" of a bound socket. */
static int describe(int fd, char *addr, size_t size, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char host[INET6_ADDRSTRLEN], serv[8];
	if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), serv, sizeof(serv),
	                NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return -1;
	*port = atoi(serv);
	snprintf(addr, size, ss.ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, serv);
	return 0;
}

int api_listen_bind(const char *spec, int *family, char *addr, size_t size, int *port,
                    weft_err *err)
{
	struct addrinfo *ai;
	if (api_listen_resolve(spec, &ai, err) != 0)
		return -1;
	int fd = -1, saved = 0;
	for (struct addrinfo *p = ai; p && fd < 0; p = p->ai_next) {
		fd = socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* a backlog as deep as the connection pool: in a flood of
		 * connects, a client's SYN is queued, not dropped and retried
		 * seconds later (docs/security.md) */
		if (bind(fd, p->ai_addr, p->ai_addrlen) != 0 ||
		    listen(fd, (int)WEFT_API_DEFAULT_MAX_CONNECTIONS) != 0) {
			saved = errno;
			close(fd);
			fd = -1;
			continue;
		}
		*family = p->ai_family;
	}
	freeaddrinfo(ai);
	if (fd < 0)
		return weft_err_set(err, "listen on %s: %s", spec, strerror(saved));
	if (describe(fd, addr, size, port) != 0) {
		close(fd);
		return weft_err_set(err, "listen on %s: cannot read the bound address", spec);
	}
	return fd;
}
