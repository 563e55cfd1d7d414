/* consulsim: the /sim/ API (not Consul): counters and fault knobs for
 * tests and benchmarks. Never counted, never delayed, no ACL. The table of
 * requests is in docs/consulsim.md, "The /sim/ API". */
#include "http.h"

#include <string.h>

static json_t *faults(struct sim *s)
{
	return json_pack("{s:I, s:b, s:I, s:i}", "latencyMs", (json_int_t)s->latency_ms, "noLeader",
	                 s->no_leader, "dropNext", (json_int_t)s->drop_next, "maxConnsPerClient",
	                 s->conn_cap);
}

static json_t *counters(struct sim *s)
{
	return json_pack("{s:I, s:O, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:O}, s:I}", "requests",
	                 (json_int_t)s->ctr.requests, "byEndpoint", s->ctr.by_endpoint,
	                 "blockingTotal", (json_int_t)s->ctr.blocking, "blockingPending",
	                 (json_int_t)s->ctr.blocking_now, "dropped", (json_int_t)s->ctr.dropped,
	                 "connections", "open", (json_int_t)s->ctr.conns_now, "total",
	                 (json_int_t)s->ctr.conns_total, "peak", (json_int_t)s->ctr.conns_peak,
	                 "rejected429", (json_int_t)s->ctr.rejected_429, "perIP", s->per_ip,
	                 "index", (json_int_t)s->cat.index);
}

static int number(json_t *body, const char *key, long long lo, long long hi, long long *out)
{
	json_t *v = json_object_get(body, key);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return -1;
	*out = json_integer_value(v);
	return 0;
}

static int bad(json_t **out, const char *msg)
{
	*out = json_pack("{s:s}", "error", msg);
	return 400;
}

static int post(struct sim *s, const char *path, json_t *body, json_t **out)
{
	long long v;

	if (!strcmp(path, "/sim/latency")) {
		if (number(body, "ms", 0, 600000, &v))
			return bad(out, "expected {\"ms\": 0..600000}");
		s->latency_ms = v;
	} else if (!strcmp(path, "/sim/no-leader")) {
		if (!json_is_boolean(json_object_get(body, "on")))
			return bad(out, "expected {\"on\": true|false}");
		if (json_is_true(json_object_get(body, "on")) && !s->no_leader)
			s->leader_lost_ms = cs_now_ms();
		s->no_leader = json_is_true(json_object_get(body, "on"));
	} else if (!strcmp(path, "/sim/drop")) {
		json_t *pending = json_object_get(body, "pending");

		if (json_object_get(body, "count")) {
			if (number(body, "count", 0, 1000000, &v))
				return bad(out, "expected {\"count\": 0..1000000}");
			s->drop_next = v;
		} else if (!json_is_true(pending)) {
			return bad(out, "expected {\"count\": N} or {\"pending\": true}");
		}
		if (json_is_true(pending))
			http_drop_waiters(s);
	} else if (!strcmp(path, "/sim/max-conns-per-client")) {
		if (number(body, "max", 1, 1000000, &v))
			return bad(out, "expected {\"max\": 1..1000000}");
		s->conn_cap = (int)v;
	} else if (!strcmp(path, "/sim/index-reset")) {
		catalog_index_reset(&s->cat);
		http_wake_waiters(s, 1);
	} else if (!strcmp(path, "/sim/counters/reset")) {
		s->ctr.requests = s->ctr.blocking = s->ctr.rejected_429 = s->ctr.dropped = 0;
		s->ctr.conns_total = s->ctr.conns_peak = s->ctr.conns_now;
		json_object_clear(s->ctr.by_endpoint);
		*out = counters(s);
		return 200;
	} else {
		*out = json_pack("{s:s}", "error", "unknown /sim/ path");
		return 404;
	}
	*out = faults(s);
	return 200;
}

int simapi_handle(struct sim *s, const char *method, const char *path, json_t *body, json_t **out)
{
	if (!strcmp(method, "POST") || !strcmp(method, "PUT"))
		return post(s, path, body, out);
	if (strcmp(method, "GET")) {
		*out = json_pack("{s:s}", "error", "method not allowed");
		return 405;
	}
	if (!strcmp(path, "/sim/counters"))
		*out = counters(s);
	else if (!strcmp(path, "/sim/faults"))
		*out = faults(s);
	else if (!strcmp(path, "/sim/state"))
		*out = catalog_dump(&s->cat);
	else {
		*out = json_pack("{s:s}", "error", "unknown /sim/ path");
		return 404;
	}
	return 200;
}
