/* Decoding of Consul's /v1/health/service/NAME answer into weft endpoints
 * (docs/registries.md, "Consul"). Internal to registries/consul. */
#ifndef WEFT_CONSUL_PARSE_H
#define WEFT_CONSUL_PARSE_H

#include <jansson.h>

#include "registry.h"

/* Endpoints decoded from one answer; their strings point into the JSON the
 * answer was parsed into, so they live until consul_eps_free. */
struct consul_eps {
	weft_endpoint *items;
	size_t count;
	json_t *doc;
};

/* Decodes body for query q (tags all required, planes from the Registry).
 * 0, or -1 with why (the answer is not the documented array). */
int consul_parse_health(const char *body, const weft_registry_query *q, struct consul_eps *out,
                        char *why, size_t why_len);
void consul_eps_free(struct consul_eps *e);

#endif
