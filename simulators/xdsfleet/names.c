/* xdsfleet names.c: the bookkeeping a real Envoy does to follow its
 * configuration: sorted sets of resource names, the resources a Delta client
 * holds (name -> version, plus the names each one points to), and reading
 * those pointers out of resources: a Cluster of type EDS names its
 * ClusterLoadAssignment (eds_cluster_config.service_name, else the cluster
 * name); a Listener names its RouteConfigurations through the
 * HttpConnectionManager's rds.route_config_name (filter chains, default
 * filter chain, api_listener). These names drive the EDS and RDS
 * subscriptions (xds.c). */
#include "names.h"

#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/listener/v3/listener.pb-c.h"
#include "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.pb-c.h"

#define HCM_URL                                                                                    \
	"type.googleapis.com/envoy.extensions.filters.network."                                    \
	"http_connection_manager.v3.HttpConnectionManager"

/* Binary search; returns the index where name is or would be. */
static size_t names_find(const struct xf_names *s, const char *name, bool *found)
{
	size_t lo = 0, hi = s->n;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int cmp = strcmp(s->v[mid], name);

		if (cmp == 0) {
			*found = true;
			return mid;
		}
		if (cmp < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool xf_names_has(const struct xf_names *s, const char *name)
{
	bool found;

	names_find(s, name, &found);
	return found;
}

int xf_names_add(struct xf_names *s, const char *name)
{
	bool found;
	size_t at = names_find(s, name, &found);
	char *copy;

	if (found)
		return 0;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -1;
		s->v = v;
		s->cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -1;
	memmove(s->v + at + 1, s->v + at, (s->n - at) * sizeof(*s->v));
	s->v[at] = copy;
	s->n++;
	return 0;
}

bool xf_names_equal(const struct xf_names *a, const struct xf_names *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

void xf_names_free(struct xf_names *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* Moves src into dst (dst's old content is freed). */
void xf_names_move(struct xf_names *dst, struct xf_names *src)
{
	xf_names_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static size_t held_find(const struct xf_held *h, const char *name, bool *found)
{
	size_t i;

	/* Linear: a simulated proxy holds tens to hundreds of resources. */
	for (i = 0; i < h->n; i++)
		if (strcmp(h->name[i], name) == 0) {
			*found = true;
			return i;
		}
	*found = false;
	return h->n;
}

int xf_held_set(struct xf_held *h, const char *name, const char *version, struct xf_names *deps)
{
	bool found;
	size_t i = held_find(h, name, &found);

	if (!found) {
		if (h->n == h->cap) {
			size_t cap = h->cap ? h->cap * 2 : 4;
			char **nn = realloc(h->name, cap * sizeof(*nn));
			char **vv;
			struct xf_names *dd;

			if (!nn)
				return -1;
			h->name = nn;
			vv = realloc(h->version, cap * sizeof(*vv));
			if (!vv)
				return -1;
			h->version = vv;
			dd = realloc(h->deps, cap * sizeof(*dd));
			if (!dd)
				return -1;
			h->deps = dd;
			h->cap = cap;
		}
		h->name[i] = strdup(name);
		h->version[i] = NULL;
		memset(&h->deps[i], 0, sizeof(h->deps[i]));
		h->n++;
	}
	free(h->version[i]);
	h->version[i] = strdup(version);
	xf_names_move(&h->deps[i], deps);
	return h->name[i] && h->version[i] ? 0 : -1;
}

void xf_held_remove(struct xf_held *h, const char *name)
{
	bool found;
	size_t i = held_find(h, name, &found);

	if (!found)
		return;
	free(h->name[i]);
	free(h->version[i]);
	xf_names_free(&h->deps[i]);
	h->n--;
	h->name[i] = h->name[h->n];
	h->version[i] = h->version[h->n];
	h->deps[i] = h->deps[h->n];
}

void xf_held_free(struct xf_held *h)
{
	while (h->n)
		xf_held_remove(h, h->name[0]);
	free(h->name);
	free(h->version);
	free(h->deps);
	memset(h, 0, sizeof(*h));
}

int xf_held_deps(const struct xf_held *h, struct xf_names *out)
{
	size_t i, j;

	for (i = 0; i < h->n; i++)
		for (j = 0; j < h->deps[i].n; j++)
			if (xf_names_add(out, h->deps[i].v[j]) < 0)
				return -1;
	return 0;
}

/* The RDS name of an HttpConnectionManager packed in an Any, if any. */
static int hcm_rds_name(const Google__Protobuf__Any *any, struct xf_names *out)
{
	Envoy__Extensions__Filters__Network__HttpConnectionManager__V3__HttpConnectionManager *hcm;
	int rc = 0;

	if (!any || strcmp(any->type_url, HCM_URL) != 0)
		return 0;
	hcm = envoy__extensions__filters__network__http_connection_manager__v3__http_connection_manager__unpack(
	        NULL, any->value.len, any->value.data);
	if (!hcm)
		return -1;
	if (hcm->route_specifier_case ==
	            ENVOY__EXTENSIONS__FILTERS__NETWORK__HTTP_CONNECTION_MANAGER__V3__HTTP_CONNECTION_MANAGER__ROUTE_SPECIFIER_RDS &&
	    hcm->rds && hcm->rds->route_config_name[0])
		rc = xf_names_add(out, hcm->rds->route_config_name);
	protobuf_c_message_free_unpacked(&hcm->base, NULL);
	return rc;
}

static int chain_rds_names(const Envoy__Config__Listener__V3__FilterChain *fc, struct xf_names *out)
{
	size_t i;

	for (i = 0; fc && i < fc->n_filters; i++)
		if (fc->filters[i]->config_type_case ==
		            ENVOY__CONFIG__LISTENER__V3__FILTER__CONFIG_TYPE_TYPED_CONFIG &&
		    hcm_rds_name(fc->filters[i]->typed_config, out) < 0)
			return -1;
	return 0;
}

int xf_resource_deps(enum xf_type type, const Google__Protobuf__Any *any, char **name,
                     struct xf_names *deps)
{
	size_t i;

	*name = NULL;
	if (type == XF_CDS) {
		Envoy__Config__Cluster__V3__Cluster *cl =
		        envoy__config__cluster__v3__cluster__unpack(NULL, any->value.len,
		                                                    any->value.data);
		int rc = 0;

		if (!cl)
			return -1;
		*name = strdup(cl->name);
		if (cl->cluster_discovery_type_case ==
		            ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE &&
		    cl->type == ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS) {
			const char *svc =
			        cl->eds_cluster_config && cl->eds_cluster_config->service_name[0]
			                ? cl->eds_cluster_config->service_name
			                : cl->name;
			rc = xf_names_add(deps, svc);
		}
		protobuf_c_message_free_unpacked(&cl->base, NULL);
		return rc;
	}
	if (type == XF_LDS) {
		Envoy__Config__Listener__V3__Listener *l =
		        envoy__config__listener__v3__listener__unpack(NULL, any->value.len,
		                                                      any->value.data);
		int rc = 0;

		if (!l)
			return -1;
		*name = strdup(l->name);
		for (i = 0; rc == 0 && i < l->n_filter_chains; i++)
			rc = chain_rds_names(l->filter_chains[i], deps);
		if (rc == 0)
			rc = chain_rds_names(l->default_filter_chain, deps);
		if (rc == 0 && l->api_listener)
			rc = hcm_rds_name(l->api_listener->api_listener, deps);
		protobuf_c_message_free_unpacked(&l->base, NULL);
		return rc;
	}
	return xf_resource_name(type, any, name);
}

int xf_resource_name(enum xf_type type, const Google__Protobuf__Any *any, char **name)
{
	ProtobufCMessage *m;
	const char *n = "";

	*name = NULL;
	if (type == XF_RDS) {
		Envoy__Config__Route__V3__RouteConfiguration *rc =
		        envoy__config__route__v3__route_configuration__unpack(NULL, any->value.len,
		                                                              any->value.data);

		m = rc ? &rc->base : NULL;
		n = rc ? rc->name : "";
	} else if (type == XF_EDS) {
		Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla =
		        envoy__config__endpoint__v3__cluster_load_assignment__unpack(
		                NULL, any->value.len, any->value.data);

		m = cla ? &cla->base : NULL;
		n = cla ? cla->cluster_name : "";
	} else {
		struct xf_names none = {0};
		int rc = xf_resource_deps(type, any, name, &none);

		xf_names_free(&none);
		return rc;
	}
	if (!m)
		return -1;
	*name = strdup(n);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}
