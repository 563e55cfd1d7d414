/* Decoding: every kind into its typed struct (values, defaults,
 * positions), strict types with exact file:line:col and path, did-you-mean,
 * required fields, one-of groups, refused secrets, and that every problem
 * of a document is reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_testutil.h"
#include "resource.h"

#define HDR(kind, name) "apiVersion: weft/v1\nkind: " kind "\nmetadata:\n  name: " name "\n"

static void test_decode_service(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	const char *y = HDR("Service", "reviews")                                /* lines 1-4 */
	        "  namespace: shop\n"                                            /* 5 */
	        "  labels: {team: b, app: reviews}\n"                            /* 6 */
	        "spec:\n"                                                        /* 7 */
	        "  ports:\n"                                                     /* 8 */
	        "  - name: http\n"                                               /* 9 */
	        "    port: 9080\n"                                               /* 10 */
	        "    targetPort: 8080\n"                                         /* 11 */
	        "  - {name: admin, port: 9901, protocol: tcp}\n"                 /* 12 */
	        "  endpoints:\n"                                                 /* 13 */
	        "  - address: 10.0.0.1\n"                                        /* 14 */
	        "    addresses: {storage: 'fd00::0001', backbone: 172.16.0.1}\n" /* 15 */
	        "    labels: {version: v1}\n"                                    /* 16 */
	        "  - address: 10.0.0.2\n"                                        /* 17 */
	        "    weight: 7\n"                                                /* 18 */
	        "    zone: z1\n"                                                 /* 19 */
	        "  subsets:\n"                                                   /* 20 */
	        "  - name: v1\n"                                                 /* 21 */
	        "    labels: {version: v1}\n";                                   /* 22 */
	weft_resource *r = tp_decode_one("svc.yaml", y, &d);
	if (!r)
		tp_dump(&d);
	assert_non_null(r);
	assert_int_equal(r->kind, WEFT_KIND_SERVICE);
	assert_string_equal(r->ns, "shop");
	assert_string_equal(r->name, "reviews");
	assert_string_equal(r->file, "svc.yaml");
	assert_int_equal(r->labels.count, 2);
	assert_string_equal(r->labels.items[0].key, "app"); /* sorted */
	const weft_service_spec *s = r->spec;
	assert_int_equal(s->protocol, WEFT_PROTO_HTTP); /* default */
	assert_int_equal(s->ports.count, 2);
	assert_string_equal(s->ports.items[0].name, "http");
	assert_int_equal(s->ports.items[0].port, 9080);
	assert_int_equal(s->ports.items[0].target_port, 8080);
	assert_int_equal(s->ports.items[0].protocol, WEFT_PROTO_UNSET);
	assert_int_equal(s->ports.items[0].pos.line, 9);
	assert_int_equal(s->ports.items[0].pos.col, 5);
	assert_int_equal(s->ports.items[0].port_pos.line, 10);
	assert_int_equal(s->ports.items[0].port_pos.col, 11);
	assert_int_equal(s->ports.items[1].protocol, WEFT_PROTO_TCP);
	assert_int_equal(s->endpoints.count, 2);
	const weft_endpoint *e = &s->endpoints.items[0];
	assert_string_equal(e->address, "10.0.0.1");
	assert_int_equal(e->addresses.count, 2);
	assert_string_equal(e->addresses.items[0].key, "backbone");
	assert_string_equal(e->addresses.items[1].value, "fd00::1"); /* normalised */
	assert_int_equal(e->weight, 1);                              /* default */
	assert_string_equal(weft_labels_get(&e->labels, "version"), "v1");
	assert_int_equal(s->endpoints.items[1].weight, 7);
	assert_string_equal(s->endpoints.items[1].zone, "z1");
	assert_null(s->registry);
	assert_int_equal(s->subsets.count, 1);
	assert_string_equal(s->subsets.items[0].name, "v1");
	weft_resource_unref(r);
	weft_diags_free(&d);
}

static void test_decode_route(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	const char *y =
	        HDR("Route",
	            "r") "spec:\n"
	                 "  service: reviews\n"
	                 "  http:\n"
	                 "  - name: canary\n"
	                 "    match:\n"
	                 "    - path: {prefix: /api}\n"
	                 "      method: GET\n"
	                 "      headers: [{name: x-user, regex: '^a.*'}]\n"
	                 "      queryParams: [{name: debug, present: true}]\n"
	                 "    destinations:\n"
	                 "    - {service: other/reviews, subset: v1, weight: 80}\n"
	                 "    - {service: reviews, subset: v2, weight: 20, port: 9080}\n"
	                 "    timeout: 1500ms\n"
	                 "    retries: {attempts: 3, perTryTimeout: 2s, retryOn: [5xx, reset]}\n"
	                 "    fault:\n"
	                 "      delay: {percent: 12.5, duration: 1m}\n"
	                 "      abort: {percent: 1, status: 503}\n"
	                 "    rewrite: {prefix: /v2, host: reviews.internal}\n"
	                 "    headers:\n"
	                 "      request: {add: {x-b: '2', x-a: '1'}, remove: [cookie]}\n";
	weft_resource *r = tp_decode_one("r.yaml", y, &d);
	if (!r)
		tp_dump(&d);
	assert_non_null(r);
	const weft_route_spec *s = r->spec;
	assert_string_equal(s->service.name, "reviews");
	assert_string_equal(s->service.ns, "default");
	assert_int_equal(s->http.count, 1);
	const weft_http_rule *h = &s->http.items[0];
	assert_string_equal(h->name, "canary");
	assert_string_equal(h->match.items[0].path->prefix, "/api");
	assert_string_equal(h->match.items[0].method, "GET");
	assert_string_equal(h->match.items[0].headers.items[0].regex, "^a.*");
	assert_int_equal(h->match.items[0].query_params.items[0].present, 1);
	assert_int_equal(h->destinations.count, 2);
	assert_string_equal(h->destinations.items[0].service.ns, "other");
	assert_int_equal(h->destinations.items[0].weight, 80);
	assert_int_equal(h->destinations.items[0].has_weight, 1);
	assert_int_equal(h->destinations.items[1].port, 9080);
	assert_int_equal(h->timeout_ms, 1500);
	assert_int_equal(h->retries->attempts, 3);
	assert_int_equal(h->retries->per_try_timeout_ms, 2000);
	assert_int_equal(h->retries->retry_on.count, 2);
	assert_string_equal(h->retries->retry_on.items[1], "reset");
	assert_true(h->fault->delay->percent == 12.5);
	assert_int_equal(h->fault->delay->duration_ms, 60000);
	assert_int_equal(h->fault->abort->status, 503);
	assert_string_equal(h->rewrite->host, "reviews.internal");
	assert_string_equal(h->headers->request->add.items[0].key, "x-a");
	assert_string_equal(h->headers->request->remove.items[0], "cookie");
	assert_null(h->headers->response);
	weft_resource_unref(r);
	weft_diags_free(&d);
}

static void test_decode_policies(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *tp = tp_decode_one(
	        "t.yaml",
	        HDR("TrafficPolicy",
	            "t") "spec:\n  service: a\n  subset: v1\n"
	                 "  loadBalancer: {algorithm: maglev, hashOn: {cookie: {name: "
	                 "sid, ttl: 1h}}}\n"
	                 "  connectionPool: {maxConnections: 10, connectTimeout: 1s}\n"
	                 "  outlierDetection: {consecutive5xx: 3, maxEjectionPercent: 0}\n"
	                 "  healthCheck: {type: http, path: /h, expectedStatus: 204}\n"
	                 "  tls: {mode: mutual, certFile: /c, keyFile: /k, sni: a.b}\n",
	        &d);
	assert_non_null(tp);
	const weft_traffic_policy_spec *t = tp->spec;
	assert_int_equal(t->load_balancer->algorithm, WEFT_LB_MAGLEV);
	assert_int_equal(t->load_balancer->hash_on->cookie->ttl_ms, 3600000);
	assert_int_equal(t->connection_pool->max_connections, 10);
	assert_int_equal(t->outlier_detection->has_max_ejection_percent, 1);
	assert_int_equal(t->health_check->expected_status, 204);
	assert_int_equal(t->tls->mode, WEFT_TLS_MUTUAL);
	weft_resource_unref(tp);

	weft_resource *rl = tp_decode_one(
	        "rl.yaml",
	        HDR("RateLimit", "rl") "spec:\n  route: r\n  limit: {requests: 5}\n"
	                               "  key: {sourceIp: true}\n"
	                               "  tiers: [{value: gold, requests: 50, per: minute}]\n",
	        &d);
	assert_non_null(rl);
	const weft_rate_limit_spec *l = rl->spec;
	assert_string_equal(l->route.name, "r");
	assert_int_equal(l->limit->per, WEFT_PER_SECOND); /* default */
	assert_int_equal(l->key->source_ip, 1);
	assert_int_equal(l->tiers.items[0].per, WEFT_PER_MINUTE);
	weft_resource_unref(rl);

	weft_resource *ap =
	        tp_decode_one("ap.yaml",
	                      HDR("AccessPolicy",
	                          "ap") "spec:\n  rules:\n  - action: deny\n"
	                                "    from: {notCidrs: ['10.0.0.0/8'], services: [ns2/x]}\n"
	                                "    to: {paths: ['/admin/*'], methods: [DELETE]}\n"
	                                "    headers: [{name: x-k, present: true}]\n",
	                      &d);
	assert_non_null(ap);
	const weft_access_policy_spec *a = ap->spec;
	assert_null(a->service.name);
	assert_int_equal(a->default_action, WEFT_ACTION_ALLOW);
	assert_int_equal(a->rules.items[0].action, WEFT_ACTION_DENY);
	assert_string_equal(a->rules.items[0].from->not_cidrs.items[0], "10.0.0.0/8");
	assert_string_equal(a->rules.items[0].from->services.items[0].ns, "ns2");
	assert_string_equal(a->rules.items[0].to->paths.items[0], "/admin/*");
	weft_resource_unref(ap);

	weft_resource *pa = tp_decode_one(
	        "pa.yaml", HDR("PeerAuthentication", "pa") "spec: {mode: PERMISSIVE}\n", &d);
	assert_non_null(pa);
	assert_int_equal(((const weft_peer_authentication_spec *)pa->spec)->mode,
	                 WEFT_MTLS_PERMISSIVE);
	weft_resource_unref(pa);

	weft_resource *te = tp_decode_one(
	        "te.yaml",
	        HDR("Telemetry",
	            "te") "spec:\n  accessLog: {format: x}\n"
	                  "  tracing: {collector: {address: zipkin.local, port: 9411}}\n",
	        &d);
	assert_non_null(te);
	const weft_telemetry_spec *ts = te->spec;
	assert_int_equal(ts->access_log->enabled, 1);      /* default */
	assert_true(ts->tracing->sampling_percent == 1.0); /* default */
	assert_string_equal(ts->tracing->collector->address, "zipkin.local");
	weft_resource_unref(te);
	if (d.count)
		tp_dump(&d);
	assert_int_equal(d.count, 0);
	weft_diags_free(&d);
}

static void test_decode_gateway_device(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *g = tp_decode_one(
	        "g.yaml",
	        HDR("Gateway", "g") "spec:\n  listeners:\n"
	                            "  - name: https\n    port: 443\n    protocol: https\n"
	                            "    hosts: ['*.example.com']\n"
	                            "    tls: {certificate: {certFile: /a.crt, keyFile: /a.key}}\n"
	                            "    routes: [r1, other/r2]\n",
	        &d);
	assert_non_null(g);
	const weft_gateway_spec *gs = g->spec;
	assert_int_equal(gs->listeners.items[0].protocol, WEFT_LISTENER_HTTPS);
	assert_int_equal(gs->listeners.items[0].tls->mode, WEFT_SERVER_TLS_SIMPLE);
	assert_string_equal(gs->listeners.items[0].tls->certificate->key_file, "/a.key");
	assert_int_equal(gs->listeners.items[0].routes.count, 2);
	assert_string_equal(gs->listeners.items[0].routes.items[1].ns, "other");
	weft_resource_unref(g);

	weft_resource *dv = tp_decode_one(
	        "d.yaml",
	        HDR("Device", "nc1") "spec:\n  type: netconf\n"
	                             "  connection:\n    address: 192.0.2.1\n    username: admin\n"
	                             "    credentials: {file: /keys/nc1}\n"
	                             "    hostKey: 'SHA256:abc+/='\n    timeout: 30s\n"
	                             "  scope: {namespaces: [a], services: [a/x], gateways: [gw]}\n"
	                             "  options: {commit: candidate, confirmTimeout: 2m}\n"
	                             "  pushGroup: 2\n",
	        &d);
	if (!dv)
		tp_dump(&d);
	assert_non_null(dv);
	const weft_device_spec *ds = dv->spec;
	assert_int_equal(ds->type, WEFT_DEVICE_NETCONF);
	assert_string_equal(ds->connection->credentials->file, "/keys/nc1");
	assert_int_equal(ds->connection->timeout_ms, 30000);
	assert_int_equal(ds->scope->services.count, 1);
	assert_string_equal(ds->scope->gateways.items[0].ns, "default");
	assert_int_equal(ds->options->commit, WEFT_COMMIT_CANDIDATE);
	assert_int_equal(ds->push_group, 2);
	assert_int_equal(ds->drift, WEFT_DRIFT_ALERT);          /* default */
	assert_int_equal(ds->on_delete, WEFT_ON_DELETE_REMOVE); /* default */
	weft_resource_unref(dv);
	weft_diags_free(&d);
}

/* spec.onDelete: remove or keep; anything else is refused at its place. */
static void test_device_on_delete(void **state)
{
	(void)state;
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *dv = tp_decode_one("d.yaml",
	                                  HDR("Device", "f") "spec:\n  type: file\n"
	                                                     "  options: {directory: out}\n"
	                                                     "  onDelete: keep\n",
	                                  &d);
	assert_non_null(dv);
	assert_int_equal(((const weft_device_spec *)dv->spec)->on_delete, WEFT_ON_DELETE_KEEP);
	weft_resource_unref(dv);
	assert_null(tp_decode_one("d.yaml",
	                          HDR("Device", "f") "spec:\n  type: file\n"
	                                             "  options: {directory: out}\n"
	                                             "  onDelete: purge\n", /* line 8 */
	                          &d));
	tp_expect(&d, "invalid value 'purge': must be one of remove, keep", "d.yaml", 8, 13,
	          "spec.onDelete");
	weft_diags_free(&d);
}

/* A quoted "80" is a string, not a port; each type error names its place. */
static void test_type_errors(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	const char *y = HDR("Service", "s") "spec:\n"                     /* 5 */
	                                    "  ports:\n"                  /* 6 */
	                                    "  - port: \"80\"\n"          /* 7 */
	                                    "  - port: 70000\n"           /* 8 */
	                                    "  - port: 81\n"              /* 9 */
	                                    "    protocol: HTTP\n"        /* 10 */
	                                    "  endpoints:\n"              /* 11 */
	                                    "  - address: 10.0.0.300\n"   /* 12 */
	                                    "    weight: 0\n"             /* 13 */
	                                    "    labels: {version: 2}\n"; /* 14 */
	assert_null(tp_decode_one("t.yaml", y, &d));
	tp_expect(&d, "expected a port number (1-65535), got the string \"80\" (remove the quotes)",
	          "t.yaml", 7, 11, "spec.ports[0].port");
	tp_expect(&d, "70000 is out of range: must be 1-65535", "t.yaml", 8, 11,
	          "spec.ports[1].port");
	tp_expect(&d,
	          "invalid value 'HTTP' (did you mean 'http'?): must be one of http, http2, "
	          "grpc, tcp",
	          "t.yaml", 10, 15, "spec.ports[2].protocol");
	tp_expect(&d, "invalid value '10.0.0.300': expected an IPv4 or IPv6 address", "t.yaml", 12,
	          14, "spec.endpoints[0].address");
	tp_expect(&d, "0 is out of range: must be 1-128", "t.yaml", 13, 13,
	          "spec.endpoints[0].weight");
	tp_expect(&d, "expected a string, got the integer 2 (quote it)", "t.yaml", 14, 23,
	          "spec.endpoints[0].labels.version");
	assert_int_equal(d.count, 6); /* all of them, nothing else */
	weft_diags_free(&d);
}

static void test_format_errors(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	const char *y =
	        HDR("Route", "r") "spec:\n"                                            /* 5 */
	                          "  service: Reviews\n"                               /* 6 */
	                          "  http:\n"                                          /* 7 */
	                          "  - match:\n"                                       /* 8 */
	                          "    - path: {regex: '(ab'}\n"                       /* 9 */
	                          "    destinations: [{service: a, weight: '50'}]\n"   /* 10 */
	                          "    timeout: 30\n"                                  /* 11 */
	                          "    retries: {attempts: 2, perTryTimeout: 5 sec}\n" /* 12 */
	                          "    fault: {abort: {percent: 150, status: 503}}\n"  /* 13 */
	                          "    rewrite: {prefix: api}\n";                      /* 14 */
	assert_null(tp_decode_one("f.yaml", y, &d));
	tp_expect(&d, "invalid reference 'Reviews'", "f.yaml", 6, 12, "spec.service");
	tp_expect(&d, "invalid value '(ab'", "f.yaml", 9, 21, "spec.http[0].match[0].path.regex");
	tp_expect(&d, "got the string \"50\" (remove the quotes)", "f.yaml", 10, 41,
	          "spec.http[0].destinations[0].weight");
	tp_expect(&d, "invalid duration '30'", "f.yaml", 11, 14, "spec.http[0].timeout");
	tp_expect(&d, "invalid duration '5 sec'", "f.yaml", 12, 43,
	          "spec.http[0].retries.perTryTimeout");
	tp_expect(&d, "expected a percentage between 0 and 100, got the integer 150", "f.yaml", 13,
	          30, "spec.http[0].fault.abort.percent");
	tp_expect(&d, "expected a path starting with '/'", "f.yaml", 14, 23,
	          "spec.http[0].rewrite.prefix");
	assert_int_equal(d.count, 7);
	weft_diags_free(&d);
}

static void test_bool_and_cidr(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	const char *y =
	        HDR("AccessPolicy", "a") "spec:\n"                                      /* 5 */
	                                 "  rules:\n"                                   /* 6 */
	                                 "  - action: allow\n"                          /* 7 */
	                                 "    from: {cidrs: [10.0.0.0/33, 10.1.0.0]}\n" /* 8 */
	                                 "    headers: [{name: x, present: yes}]\n";    /* 9 */
	assert_null(tp_decode_one("b.yaml", y, &d));
	tp_expect(&d, "invalid value '10.0.0.0/33': expected a CIDR block", "b.yaml", 8, 20,
	          "spec.rules[0].from.cidrs[0]");
	tp_expect(&d, "invalid value '10.1.0.0': expected a CIDR block", "b.yaml", 8, 33,
	          "spec.rules[0].from.cidrs[1]");
	tp_expect(&d, "expected true or false, got the string \"yes\"", "b.yaml", 9, 34,
	          "spec.rules[0].headers[0].present");
	assert_int_equal(d.count, 3);
	weft_diags_free(&d);
}

/* A Device type weft does not build in is an adapter plugin's kind; a
 * near miss of a built-in one is a typo. */
static void test_plugin_device_type(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *r =
	        tp_decode_one("p.yaml", HDR("Device", "acme") "spec:\n  type: acme-lb\n", &d);
	assert_non_null(r);
	const weft_device_spec *spec = r->spec;
	assert_int_equal(spec->type, WEFT_DEVICE_PLUGIN);
	assert_non_null(strstr(r->json, "\"type\":\"acme-lb\""));
	weft_resource_unref(r);
	assert_null(tp_decode_one("q.yaml", HDR("Device", "typo") "spec:\n  type: netconff\n", &d));
	assert_non_null(tp_find(&d, "invalid value 'netconff' (did you mean 'netconf'?)"));
	weft_diags_free(&d);
}

static void test_did_you_mean(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	const char *y = HDR("Route", "r") "spec:\n"                    /* 5 */
	                                  "  service: a\n"             /* 6 */
	                                  "  http:\n"                  /* 7 */
	                                  "  - destinations:\n"        /* 8 */
	                                  "    - service: a\n"         /* 9 */
	                                  "      weigth: 100\n"        /* 10 */
	                                  "    retry: {attempts: 1}\n" /* 11 */
	                                  "    colour: blue\n";        /* 12 */
	assert_null(tp_decode_one("m.yaml", y, &d));
	tp_expect(&d, "unknown field 'weigth' (did you mean 'weight'?)", "m.yaml", 10, 7,
	          "spec.http[0].destinations[0]");
	tp_expect(&d, "unknown field 'retry' (did you mean 'retries'?)", "m.yaml", 11, 5,
	          "spec.http[0]");
	const weft_diag *g = tp_find(&d, "unknown field 'colour'");
	assert_non_null(g);
	assert_null(strstr(g->msg, "did you mean"));
	assert_int_equal(d.count, 3);
	weft_diags_free(&d);

	weft_diags_init(&d);
	assert_null(tp_decode_one(
	        "k.yaml", "apiVersion: weft/v1\nkind: Servce\nmetadata: {name: a}\nspec: {}\n",
	        &d));
	tp_expect(&d, "unknown kind 'Servce' (did you mean 'Service'?)", "k.yaml", 2, 7, "kind");
	weft_diags_free(&d);
}

static void test_required_and_oneof(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	const char *y = HDR("Route", "r") "spec:\n"                    /* 5 */
	                                  "  service: a\n"             /* 6 */
	                                  "  hosts: [a.example.com]\n" /* 7 */
	                                  "  http:\n"                  /* 8 */
	                                  "  - timeout: 1s\n"          /* 9 */
	                                  "    match: [{path: {}}]\n"; /* 10 */
	assert_null(tp_decode_one("q.yaml", y, &d));
	/* missing required field: the parent map's position, the field's path */
	tp_expect(&d, "field 'destinations' is required", "q.yaml", 9, 5,
	          "spec.http[0].destinations");
	tp_expect(&d, "one of 'exact', 'prefix', 'regex' is required", "q.yaml", 10, 20,
	          "spec.http[0].match[0].path");
	tp_expect(&d, "'service' and 'hosts' are mutually exclusive", "q.yaml", 7, 3, "spec");
	assert_int_equal(d.count, 3);
	weft_diags_free(&d);
}

static void test_envelope(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	const char *y = "apiVersion: weft/v2\n" /* 1 */
	                "kind: Service\n"       /* 2 */
	                "metadata:\n"           /* 3 */
	                "  name: Bad_Name\n"    /* 4 */
	                "  namespce: x\n"       /* 5 */
	                "specs: {}\n";          /* 6 */
	assert_null(tp_decode_one("e.yaml", y, &d));
	tp_expect(&d, "unsupported apiVersion 'weft/v2'", "e.yaml", 1, 13, "apiVersion");
	tp_expect(&d, "invalid value 'Bad_Name'", "e.yaml", 4, 9, "metadata.name");
	tp_expect(&d, "unknown field 'namespce' (did you mean 'namespace'?)", "e.yaml", 5, 3,
	          "metadata");
	tp_expect(&d, "unknown field 'specs' (did you mean 'spec'?)", "e.yaml", 6, 1, "");
	tp_expect(&d, "field 'spec' is required", "e.yaml", 1, 1, "spec");
	assert_int_equal(d.count, 5);
	weft_diags_free(&d);
}

/* Inline secrets and PEM are refused with a message that says why. */
static void test_no_inline_secrets(void **state)
{
	weft_diags d;
	weft_diags_init(&d);
	const char *y = HDR("Device", "f5") "spec:\n"                              /* 5 */
	                                    "  type: f5\n"                         /* 6 */
	                                    "  connection:\n"                      /* 7 */
	                                    "    address: bigip.example.com\n"     /* 8 */
	                                    "    password: hunter2\n"              /* 9 */
	                                    "    credentials: {token: abc}\n"      /* 10 */
	                                    "  options: {directory: ../../etc}\n"; /* 11 */
	assert_null(tp_decode_one("s.yaml", y, &d));
	tp_expect(&d,
	          "field 'password' is not allowed: inline secrets are not allowed in a "
	          "policy: credentials must come from a file or an environment variable",
	          "s.yaml", 9, 5, "spec.connection");
	tp_expect(&d, "field 'token' is not allowed", "s.yaml", 10, 19,
	          "spec.connection.credentials");
	tp_expect(&d, "one of 'file', 'env' is required", "s.yaml", 10, 18,
	          "spec.connection.credentials");
	tp_expect(&d, "expected a relative path without '..'", "s.yaml", 11, 24,
	          "spec.options.directory");
	assert_int_equal(d.count, 4);
	weft_diags_free(&d);

	weft_diags_init(&d);
	y = HDR("Gateway", "g") "spec:\n"                                             /* 5 */
	                        "  listeners:\n"                                      /* 6 */
	                        "  - name: l\n"                                       /* 7 */
	                        "    port: 443\n"                                     /* 8 */
	                        "    protocol: https\n"                               /* 9 */
	                        "    tls:\n"                                          /* 10 */
	                        "      certificate:\n"                                /* 11 */
	                        "        certFile: \"-----BEGIN CERTIFICATE-----\"\n" /* 12 */
	                        "        keyFile: /k\n";                              /* 13 */
	assert_null(tp_decode_one("p.yaml", y, &d));
	tp_expect(&d, "inline PEM or secrets are not allowed", "p.yaml", 12, 19,
	          "spec.listeners[0].tls.certificate.certFile");
	weft_diags_free(&d);
}

/* Problems in several documents of one set are all reported. */
static void test_all_errors_reported(void **state)
{
	struct tp_result r;
	tp_load(&r, "multi.yaml",
	        HDR("Service", "a") "spec: {ports: [{port: 0}]}\n"  /* 1-5 */
	                            "---\n"                         /* 6 */
	        HDR("Route", "b") "spec: {service: a, tcp: [{}]}\n" /* 7-11 */
	                          "---\n"                           /* 12 */
	        HDR("Widget", "c") "spec: {}\n");                   /* 13-17 */
	assert_int_equal(r.decode_rc, -1);
	tp_expect(&r.diags, "0 is out of range", "multi.yaml", 5, 23, "spec.ports[0].port");
	tp_expect(&r.diags, "field 'destinations' is required", "multi.yaml", 11, 26,
	          "spec.tcp[0].destinations");
	tp_expect(&r.diags, "unknown kind 'Widget'", "multi.yaml", 14, 7, "kind");
	assert_int_equal(r.diags.count, 3);
	tp_free(&r);
}

/* A List (what `weftctl get -o json` prints) applies as its items, each
 * error placed in the list's own file; other keys of a List are refused. */
static void test_decode_list(void **state)
{
	(void)state;
	struct tp_result r;
	tp_load(&r, "list.json",
	        "{\"apiVersion\": \"weft/v1\", \"kind\": \"List\", \"items\": [\n"
	        " {\"apiVersion\": \"weft/v1\", \"kind\": \"Service\", \"metadata\": {\"name\": "
	        "\"a\"}, \"spec\": {\"ports\": [{\"name\": \"http\", \"port\": 80}]}},\n"
	        " {\"apiVersion\": \"weft/v1\", \"kind\": \"Service\", \"metadata\": {\"name\": "
	        "\"b\"}, \"spec\": {\"ports\": [{\"name\": \"http\", \"port\": 81}]}}]}\n");
	if (r.decode_rc)
		tp_dump(&r.diags);
	assert_int_equal(r.decode_rc, 0);
	assert_int_equal(r.n, 2);
	assert_non_null(tp_get(&r, WEFT_KIND_SERVICE, "default", "b"));
	tp_free(&r);
	tp_load(&r, "list.yaml",
	        "apiVersion: weft/v1\nkind: List\nrevision: 3\nitems:\n"
	        "- apiVersion: weft/v1\n  kind: Service\n  metadata: {name: a}\n"
	        "  spec: {ports: [{name: http, port: 99999}]}\n");
	assert_int_not_equal(r.decode_rc, 0);
	tp_expect(&r.diags, "unknown field 'revision'", "list.yaml", 3, 1, "revision");
	tp_free(&r);
	tp_load(&r, "list.yaml",
	        "apiVersion: weft/v1\nkind: List\nitems:\n"
	        "- apiVersion: weft/v1\n  kind: Service\n  metadata: {name: a}\n"
	        "  spec: {ports: [{name: http, port: 99999}]}\n");
	tp_expect(&r.diags, "out of range", "list.yaml", 7, 37, "spec.ports[0].port");
	tp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_decode_list),
	        cmocka_unit_test(test_decode_service),
	        cmocka_unit_test(test_decode_route),
	        cmocka_unit_test(test_decode_policies),
	        cmocka_unit_test(test_decode_gateway_device),
	        cmocka_unit_test(test_type_errors),
	        cmocka_unit_test(test_device_on_delete),
	        cmocka_unit_test(test_format_errors),
	        cmocka_unit_test(test_bool_and_cidr),
	        cmocka_unit_test(test_did_you_mean),
	        cmocka_unit_test(test_plugin_device_type),
	        cmocka_unit_test(test_required_and_oneof),
	        cmocka_unit_test(test_envelope),
	        cmocka_unit_test(test_no_inline_secrets),
	        cmocka_unit_test(test_all_errors_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
