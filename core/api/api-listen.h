/* Listen address helpers of the REST API server (api_listen.c). Private to
 * core/api/. */
#ifndef WEFT_API_LISTEN_H
#define WEFT_API_LISTEN_H

#include <netdb.h>
#include <stddef.h>

#include "diag.h"

/* Splits "HOST:PORT" or "[V6]:PORT". 0 or -1 when malformed. */
int api_listen_split(const char *spec, char *host, size_t hsize, char *port, size_t psize);
/* Resolves a listen address (numeric port). 0, or -1 with err. Free with freeaddrinfo. */
int api_listen_resolve(const char *spec, struct addrinfo **out, weft_err *err);
/* Binds and listens; returns the socket (and its family, bound address
 * "HOST:PORT" and port), or -1 with err. */
int api_listen_bind(const char *spec, int *family, char *addr, size_t size, int *port,
                    weft_err *err);

#endif
