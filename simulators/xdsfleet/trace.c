/* xdsfleet trace.c: --trace-file PATH, what every simulated proxy received.
 *
 * One JSON object per line (JSON Lines), written and flushed when a client
 * has processed a response, before its ACK or NACK goes out, so that a test
 * reading the file while the fleet runs sees every response a proxy got --
 * including one it would NACK -- and can assert that a proxy NEVER received
 * some version, not only what it holds at the end:
 *
 *   {"ms":1700000000123,"node":"xdsfleet-3","mode":"sotw","type":"eds",
 *    "version":"7","nonce":"12","ack":true,
 *    "resources":[{"name":"outbound|80||web.shop",
 *      "endpoints":[{"address":"10.0.0.1","port":80,"weight":3}]}],
 *    "removed":[]}
 *
 * "version" is the response's version_info (Delta: system_version_info);
 * "resources" lists each resource's name (Delta: its Resource "version" too);
 * EDS resources also list their endpoints with the load-balancing weight
 * (1 when the server leaves it unset, Envoy's default). "removed" is Delta's
 * removed_resources (always empty in SotW). The clients of all threads share
 * one file under a mutex; the cost is one write per response, so the option
 * is for tests with a few proxies, not for benchmarks. See docs/xdsfleet.md. */
#include "names.h"
#include "xdsfleet.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envoy/service/discovery/v3/discovery.pb-c.h"

int xf_trace_open(struct xf_fleet *f)
{
	if (!f->opt.trace_file)
		return 0;
	f->trace = fopen(f->opt.trace_file, "w");
	if (!f->trace) {
		fprintf(stderr, "xdsfleet: --trace-file %s: cannot open for writing\n",
		        f->opt.trace_file);
		return -1;
	}
	pthread_mutex_init(&f->trace_mu, NULL);
	return 0;
}

void xf_trace_close(struct xf_fleet *f)
{
	if (!f->trace)
		return;
	fclose(f->trace);
	f->trace = NULL;
	pthread_mutex_destroy(&f->trace_mu);
}

/* The endpoints of a ClusterLoadAssignment: [{address, port, weight}]. */
static json_t *cla_endpoints(const Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla)
{
	json_t *out = json_array();
	size_t i, j;

	for (i = 0; i < cla->n_endpoints; i++) {
		const Envoy__Config__Endpoint__V3__LocalityLbEndpoints *loc = cla->endpoints[i];

		for (j = 0; j < loc->n_lb_endpoints; j++) {
			const Envoy__Config__Endpoint__V3__LbEndpoint *lb = loc->lb_endpoints[j];
			const Envoy__Config__Core__V3__SocketAddress *sa = NULL;

			if (lb->host_identifier_case ==
			            ENVOY__CONFIG__ENDPOINT__V3__LB_ENDPOINT__HOST_IDENTIFIER_ENDPOINT &&
			    lb->endpoint && lb->endpoint->address &&
			    lb->endpoint->address->address_case ==
			            ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS)
				sa = lb->endpoint->address->socket_address;
			json_array_append_new(
			        out,
			        json_pack(
			                "{s:s,s:i,s:I}", "address", sa ? sa->address : "", "port",
			                sa && sa->port_specifier_case ==
			                                        ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE
			                        ? (int)sa->port_value
			                        : 0,
			                "weight",
			                (json_int_t)(lb->load_balancing_weight
			                                     ? lb->load_balancing_weight->value
			                                     : 1)));
		}
	}
	return out;
}

/* {"name"[, "version"][, "endpoints"]} of one resource (version: Delta's
 * Resource.version, NULL in SotW); one that does not decode gets "error". */
static json_t *resource_json(enum xf_type t, const Google__Protobuf__Any *any, const char *version)
{
	json_t *o = json_object();
	char *name = NULL;

	if (version)
		json_object_set_new(o, "version", json_string(version));

	if (!any) {
		json_object_set_new(o, "error", json_string("no resource"));
		return o;
	}
	if (t == XF_EDS) {
		Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla =
		        envoy__config__endpoint__v3__cluster_load_assignment__unpack(
		                NULL, any->value.len, any->value.data);

		if (cla) {
			json_object_set_new(o, "name", json_string(cla->cluster_name));
			json_object_set_new(o, "endpoints", cla_endpoints(cla));
			protobuf_c_message_free_unpacked(&cla->base, NULL);
			return o;
		}
	} else if (xf_resource_name(t, any, &name) == 0) {
		json_object_set_new(o, "name", json_string(name ? name : ""));
		free(name);
		return o;
	}
	json_object_set_new(o, "error", json_string("does not decode"));
	return o;
}

static void write_line(struct xf_client *c, json_t *line)
{
	struct xf_fleet *f = c->thread->fleet;
	char *text = json_dumps(line, JSON_COMPACT);

	json_decref(line);
	if (!text)
		return;
	pthread_mutex_lock(&f->trace_mu);
	fputs(text, f->trace);
	fputc('\n', f->trace);
	fflush(f->trace);
	pthread_mutex_unlock(&f->trace_mu);
	free(text);
}

static json_t *line_head(struct xf_client *c, enum xf_type t, const char *version,
                         const char *nonce, bool ack)
{
	return json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:b}", "ms", (json_int_t)(xf_now_us() / 1000),
	                 "node", c->node_id, "mode",
	                 c->thread->fleet->opt.mode == XF_SOTW ? "sotw" : "delta", "type",
	                 xf_type_name(t), "version", version ? version : "", "nonce",
	                 nonce ? nonce : "", "ack", ack);
}

void xf_trace_sotw(struct xf_client *c, enum xf_type t,
                   const Envoy__Service__Discovery__V3__DiscoveryResponse *r, bool ack)
{
	json_t *line, *res;
	size_t i;

	if (!c->thread->fleet->trace)
		return;
	line = line_head(c, t, r->version_info, r->nonce, ack);
	res = json_array();
	for (i = 0; i < r->n_resources; i++)
		json_array_append_new(res, resource_json(t, r->resources[i], NULL));
	json_object_set_new(line, "resources", res);
	json_object_set_new(line, "removed", json_array());
	write_line(c, line);
}

void xf_trace_delta(struct xf_client *c, enum xf_type t,
                    const Envoy__Service__Discovery__V3__DeltaDiscoveryResponse *r, bool ack)
{
	json_t *line, *res, *removed;
	size_t i;

	if (!c->thread->fleet->trace)
		return;
	line = line_head(c, t, r->system_version_info, r->nonce, ack);
	res = json_array();
	for (i = 0; i < r->n_resources; i++) {
		json_t *o = resource_json(t, r->resources[i]->resource, r->resources[i]->version);

		if (r->resources[i]->name[0])
			json_object_set_new(o, "name", json_string(r->resources[i]->name));
		json_array_append_new(res, o);
	}
	removed = json_array();
	for (i = 0; i < r->n_removed_resources; i++)
		json_array_append_new(removed, json_string(r->removed_resources[i]));
	json_object_set_new(line, "resources", res);
	json_object_set_new(line, "removed", removed);
	write_line(c, line);
}
