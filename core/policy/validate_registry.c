/* Semantic rules of Registries and of a Service's spec.registry: addresses
 * are HOST:PORT, fields of the other registry type are refused (a field
 * that is accepted must do something), and a Service names a Registry that
 * exists (docs/registries.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "schema.h"
#include "validate.h"

/* "host:port", "[v6]:port"; host an IP or a DNS name. 0 when valid. */
static int check_hostport(const char *s, const char **why)
{
	char host[256];
	const char *colon;
	if (s[0] == '[') {
		const char *end = strchr(s, ']');
		if (!end || end[1] != ':') {
			*why = "an IPv6 address must be written [ADDR]:PORT";
			return -1;
		}
		colon = end + 1;
		if ((size_t)(end - s - 1) >= sizeof(host))
			return *why = "host too long", -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = 0;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon) {
			*why = "expected HOST:PORT";
			return -1;
		}
		if ((size_t)(colon - s) >= sizeof(host))
			return *why = "host too long", -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = 0;
	}
	int family;
	unsigned char addr[16];
	if (weft_parse_ip(host, &family, addr) && !weft_is_dns_subdomain(host)) {
		*why = "the host is neither an IP address nor a DNS name";
		return -1;
	}
	char *end = NULL;
	long port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 1 || port > 65535) {
		*why = "the port must be a number 1-65535";
		return -1;
	}
	return 0;
}

void validate_registry(struct vctx *v, const weft_resource *r)
{
	const weft_registry_spec *s = r->spec;
	char path[64];
	for (size_t i = 0; i < s->addresses.count; i++) {
		const char *why = NULL;
		if (!check_hostport(s->addresses.items[i], &why))
			continue;
		snprintf(path, sizeof(path), "spec.addresses[%zu]", i);
		vctx_err(v, r, s->addresses.pos[i], path, "'%s': %s", s->addresses.items[i], why);
	}
	if (s->type == WEFT_REGISTRY_ETCD && s->datacenter)
		vctx_err(v, r, s->datacenter_pos, "spec.datacenter",
		         "datacenter is a Consul setting; an etcd registry has none");
	if (s->tls && !s->tls->cert_file != !s->tls->key_file)
		vctx_err(v, r, s->tls->pos, "spec.tls",
		         "certFile and keyFile go together (a client certificate needs its key)");
}

void validate_service_registry(struct vctx *v, const weft_resource *r)
{
	const weft_service_spec *svc = r->spec;
	const weft_service_registry *sr = svc->registry;
	if (!sr)
		return;
	const weft_resource *reg =
	        vresolve(v, r, WEFT_KIND_REGISTRY, &sr->registry, "spec.registry.registry");
	if (!reg || !reg->spec)
		return;
	const weft_registry_spec *rs = reg->spec;
	if (rs->type == WEFT_REGISTRY_CONSUL) {
		if (sr->key)
			vctx_err(v, r, sr->key_pos, "spec.registry.key",
			         "key is an etcd setting; Registry '%s/%s' is consul (use service)",
			         reg->ns, reg->name);
		return;
	}
	if (!sr->key)
		vctx_err(v, r, sr->pos, "spec.registry.key",
		         "an etcd registry needs key: the prefix the endpoints are under");
	if (sr->service)
		vctx_err(v, r, sr->service_pos, "spec.registry.service",
		         "service is a Consul setting; Registry '%s/%s' is etcd (use key)", reg->ns,
		         reg->name);
	if (sr->tags.count)
		vctx_err(
		        v, r, sr->tags.pos[0], "spec.registry.tags",
		        "tags are a Consul setting; Registry '%s/%s' is etcd (select with subsets)",
		        reg->ns, reg->name);
	if (sr->has_passing_only)
		vctx_err(v, r, sr->passing_only_pos, "spec.registry.passingOnly",
		         "passingOnly is a Consul setting; Registry '%s/%s' is etcd", reg->ns,
		         reg->name);
}
