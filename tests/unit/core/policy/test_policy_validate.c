/* Semantic validation: one test per class of error, each asserting the
 * message, file:line:col and field path of every diagnostic and that
 * nothing else was reported. Line numbers are noted next to each line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_testutil.h"

/* Lines 1-20: two services; tests append documents from line 21 on. */
#define BASE                                                                                       \
	"apiVersion: weft/v1\n"                                                                    \
	"kind: Service\n"                                                                          \
	"metadata: {name: web}\n"                                                                  \
	"spec:\n"                                                                                  \
	"  ports:\n"                                                                               \
	"  - {name: http, port: 80}\n"                                                             \
	"  - {name: admin, port: 9901}\n"                                                          \
	"  endpoints:\n"                                                                           \
	"  - address: 10.0.0.1\n"                                                                  \
	"  subsets:\n"                                                                             \
	"  - {name: v1, labels: {version: v1}}\n"                                                  \
	"---\n"                                                                                    \
	"apiVersion: weft/v1\n"                                                                    \
	"kind: Service\n"                                                                          \
	"metadata: {name: db}\n"                                                                   \
	"spec:\n"                                                                                  \
	"  protocol: tcp\n"                                                                        \
	"  ports: [{port: 5432}]\n"                                                                \
	"  endpoints:\n"                                                                           \
	"  - address: 10.0.0.9\n"                                                                  \
	"---\n"

static void run(struct tp_result *r, const char *text)
{
	tp_load(r, "v.yaml", text);
	if (r->decode_rc)
		tp_dump(&r->diags);
	assert_int_equal(r->decode_rc, 0);
	assert_int_equal(r->validate_rc, -1);
}

static void expect_count(struct tp_result *r, size_t n)
{
	if (r->diags.count != n)
		tp_dump(&r->diags);
	assert_int_equal(r->diags.count, n);
}

static void test_base_is_valid(void **state)
{
	struct tp_result r;
	tp_load(&r, "v.yaml", BASE);
	expect_count(&r, 0);
	assert_int_equal(r.validate_rc, 0);
	tp_free(&r);
}

static void test_dangling_refs(void **state)
{
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: Route\n"
	             "metadata: {name: r}\n"
	             "spec:\n"
	             "  service: wbe\n" /* 26 */
	             "  http:\n"
	             "  - destinations: [{service: web, subset: v3, port: 80}]\n" /* 28 */
	             "  - destinations: [{service: nope}]\n");                    /* 29 */
	tp_expect(&r.diags, "Service 'default/wbe' does not exist (did you mean 'web'?)", "v.yaml",
	          26, 12, "spec.service");
	tp_expect(&r.diags, "service 'default/web' has no subset 'v3'", "v.yaml", 28, 43,
	          "spec.http[0].destinations[0].subset");
	tp_expect(&r.diags, "Service 'default/nope' does not exist", "v.yaml", 29, 30,
	          "spec.http[1].destinations[0].service");
	expect_count(&r, 3);
	tp_free(&r);
}

static void test_destination_ports(void **state)
{
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: Route\n"
	             "metadata: {name: r}\n"
	             "spec:\n"
	             "  service: web\n"                               /* 26 */
	             "  port: 8080\n"                                 /* 27 */
	             "  http:\n"                                      /* 28 */
	             "  - destinations: [{service: web, port: 81}]\n" /* 29 */
	             "  - destinations: [{service: web}]\n");         /* 30 */
	tp_expect(&r.diags, "service 'default/web' has no port 8080", "v.yaml", 27, 9, "spec.port");
	tp_expect(&r.diags, "service 'default/web' has no port 81", "v.yaml", 29, 41,
	          "spec.http[0].destinations[0].port");
	tp_expect(&r.diags, "service 'default/web' has 2 ports: say which one (port)", "v.yaml", 30,
	          20, "spec.http[1].destinations[0].port");
	expect_count(&r, 3);
	tp_free(&r);
}

static void test_weights(void **state)
{
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: Route\n"
	             "metadata: {name: r}\n"
	             "spec:\n"
	             "  service: web\n"
	             "  port: 80\n"
	             "  http:\n"                                                    /* 28 */
	             "  - destinations:\n"                                          /* 29 */
	             "    - {service: web, port: 80, weight: 70}\n"                 /* 30 */
	             "    - {service: web, port: 80, weight: 20}\n"                 /* 31 */
	             "  - destinations:\n"                                          /* 32 */
	             "    - {service: web, port: 80, weight: 50}\n"                 /* 33 */
	             "    - {service: web, port: 80}\n"                             /* 34 */
	             "  - destinations: [{service: web, port: 80, weight: 99}]\n"); /* 35 */
	tp_expect(&r.diags, "destination weights sum to 90, expected 100", "v.yaml", 30, 5,
	          "spec.http[0].destinations");
	tp_expect(&r.diags, "weight is required when a rule splits traffic", "v.yaml", 34, 7,
	          "spec.http[1].destinations[1].weight");
	tp_expect(&r.diags, "destination weights sum to 99, expected 100", "v.yaml", 35, 19,
	          "spec.http[2].destinations");
	expect_count(&r, 3);
	tp_free(&r);
}

static void test_http_to_tcp(void **state)
{
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: Route\n"
	             "metadata: {name: r}\n"
	             "spec:\n"
	             "  service: db\n" /* 26 */
	             "  http:\n"
	             "  - destinations: [{service: db}]\n"); /* 28 */
	tp_expect(&r.diags, "route has HTTP rules but service 'default/db' speaks TCP only",
	          "v.yaml", 26, 12, "spec.service");
	tp_expect(&r.diags, "HTTP rule routes to service 'default/db' port 5432, which speaks TCP",
	          "v.yaml", 28, 30, "spec.http[0].destinations[0].service");
	expect_count(&r, 2);
	tp_free(&r);
}

static void test_service_duplicates(void **state)
{
	struct tp_result r;
	run(&r, "apiVersion: weft/v1\n"
	        "kind: Service\n"
	        "metadata: {name: s}\n"
	        "spec:\n"
	        "  ports:\n"
	        "  - {name: http, port: 80}\n" /* 6 */
	        "  - {name: http, port: 80}\n" /* 7 */
	        "  - {port: 81}\n"             /* 8 */
	        "  subsets:\n"
	        "  - {name: v1, labels: {v: '1'}}\n" /* 10 */
	        "  - {name: v1, labels: {v: '2'}}\n" /* 11 */
	        "  endpoints:\n"
	        "  - {address: 10.1.1.1, addresses: {default: 10.1.1.2}, port: 8080}\n"); /* 13 */
	tp_expect(&r.diags, "duplicate port 80 (also spec.ports[0], line 6)", "v.yaml", 7, 24,
	          "spec.ports[1].port");
	tp_expect(&r.diags, "duplicate port name 'http' (also spec.ports[0], line 6)", "v.yaml", 7,
	          12, "spec.ports[1].name");
	tp_expect(&r.diags, "a name is required when a service has several ports", "v.yaml", 8, 5,
	          "spec.ports[2].name");
	tp_expect(&r.diags, "duplicate subset name 'v1' (also spec.subsets[0], line 10)", "v.yaml",
	          11, 12, "spec.subsets[1].name");
	tp_expect(&r.diags, "plane 'default' is given twice", "v.yaml", 13, 36,
	          "spec.endpoints[0].addresses.default");
	tp_expect(&r.diags, "endpoint port is ambiguous for a service with 3 ports", "v.yaml", 13,
	          63, "spec.endpoints[0].port");
	expect_count(&r, 6);
	tp_free(&r);
}

/* TCP and HTTP on one address:port of one plane: both places reported;
 * the same IP on another plane is no conflict. */
static void test_tcp_http_conflict(void **state)
{
	struct tp_result r;
	tp_load(&r, "c.yaml",
	        "apiVersion: weft/v1\n"
	        "kind: Service\n"
	        "metadata: {name: api}\n"
	        "spec:\n"
	        "  ports: [{port: 80, targetPort: 8080}]\n"
	        "  endpoints:\n"
	        "  - address: 10.0.0.1\n"
	        "    addresses: {backbone: 172.16.0.1}\n" /* 8 */
	        "---\n"
	        "apiVersion: weft/v1\n"
	        "kind: Service\n"
	        "metadata: {name: sip}\n"
	        "spec:\n"
	        "  protocol: tcp\n"
	        "  ports: [{port: 5060}]\n"
	        "  endpoints:\n"
	        "  - {addresses: {backbone: 172.16.0.1}, port: 8080}\n" /* 17 */
	        "  - {address: 172.16.0.1, port: 8080}\n");             /* 18 */
	assert_int_equal(r.validate_rc, -1);
	tp_expect(&r.diags,
	          "TCP service 'default/sip' uses 172.16.0.1:8080 on plane 'backbone', already "
	          "used by HTTP service 'default/api' (c.yaml:8:16)",
	          "c.yaml", 17, 17, "spec.endpoints[0]");
	tp_expect(&r.diags,
	          "HTTP service 'default/api' uses 172.16.0.1:8080 on plane 'backbone', also used "
	          "by TCP service 'default/sip' (c.yaml:17:17)",
	          "c.yaml", 8, 16, "spec.endpoints[0]");
	expect_count(&r, 2);
	tp_free(&r);
}

static void test_traffic_policy(void **state)
{
	struct tp_result r;
	run(&r,
	    BASE "apiVersion: weft/v1\n" /* 22 */
	         "kind: TrafficPolicy\n"
	         "metadata: {name: a}\n"
	         "spec:\n"
	         "  service: web\n"
	         "  subset: v9\n"                                                        /* 27 */
	         "  loadBalancer: {algorithm: ring-hash, ringSize: {min: 10, max: 5}}\n" /* 28 */
	         "---\n"
	         "apiVersion: weft/v1\n" /* 30 */
	         "kind: TrafficPolicy\n"
	         "metadata: {name: b}\n"
	         "spec:\n"
	         "  service: web\n"
	         "  loadBalancer:\n"
	         "    algorithm: round-robin\n"
	         "    hashOn: {sourceIp: true}\n" /* 37 */
	         "  tls: {mode: mutual}\n"        /* 38 */
	         "---\n"
	         "apiVersion: weft/v1\n" /* 40 */
	         "kind: TrafficPolicy\n"
	         "metadata: {name: c}\n"
	         "spec: {service: web}\n"); /* 43 */
	tp_expect(&r.diags, "service 'default/web' has no subset 'v9'", "v.yaml", 27, 11,
	          "spec.subset");
	tp_expect(&r.diags, "ring-hash needs hashOn", "v.yaml", 28, 17, "spec.loadBalancer.hashOn");
	tp_expect(&r.diags, "ringSize.min (10) is larger than ringSize.max (5)", "v.yaml", 28, 50,
	          "spec.loadBalancer.ringSize");
	tp_expect(&r.diags, "hashOn applies to ring-hash and maglev only", "v.yaml", 37, 13,
	          "spec.loadBalancer.hashOn");
	tp_expect(&r.diags, "mutual TLS needs certFile and keyFile", "v.yaml", 38, 8, "spec.tls");
	tp_expect(&r.diags,
	          "service 'default/web' already has TrafficPolicy 'default/b' (v.yaml:30)",
	          "v.yaml", 43, 17, "spec.service");
	expect_count(&r, 6);
	tp_free(&r);
}

static void test_rate_limit(void **state)
{
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: RateLimit\n"
	             "metadata: {name: rl}\n"
	             "spec:\n"
	             "  route: missing\n" /* 26 */
	             "  limit: {requests: 10}\n"
	             "  tiers:\n"
	             "  - {value: gold, requests: 100}\n"   /* 29 */
	             "  - {value: gold, requests: 200}\n"); /* 30 */
	tp_expect(&r.diags, "Route 'default/missing' does not exist", "v.yaml", 26, 10,
	          "spec.route");
	tp_expect(&r.diags, "tiers need a key (header or sourceIp)", "v.yaml", 29, 3, "spec.tiers");
	tp_expect(&r.diags, "duplicate tier value 'gold' (also spec.tiers[0])", "v.yaml", 30, 13,
	          "spec.tiers[1].value");
	expect_count(&r, 3);
	tp_free(&r);
}

static void test_rate_limit_source_ip(void **state)
{
	(void)state;
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: RateLimit\n"
	             "metadata: {name: by-ip}\n"
	             "spec:\n"
	             "  service: web\n" /* 26 */
	             "  limit: {requests: 10}\n"
	             "  key: {sourceIp: true}\n"
	             "  tiers:\n"
	             "  - {value: 10.0.0.1, requests: 100}\n"    /* 30 */
	             "  - {value: 'fd00:0::1', requests: 100}\n" /* 31 */
	             "  - {value: 'fd00::1', requests: 200}\n"   /* 32 */
	             "  - {value: 10.0.0.0/8, requests: 300}\n"  /* 33 */
	             "---\n"
	             "apiVersion: weft/v1\n" /* 35 */
	             "kind: RateLimit\n"
	             "metadata: {name: no-key}\n"
	             "spec:\n"
	             "  service: web\n"
	             "  limit: {requests: 10}\n"
	             "  key: {sourceIp: false}\n"); /* 41 */
	tp_expect(&r.diags, "duplicate tier value 'fd00::1' (also spec.tiers[1])", "v.yaml", 32, 13,
	          "spec.tiers[2].value");
	tp_expect(&r.diags, "'10.0.0.0/8' is not an IP address", "v.yaml", 33, 13,
	          "spec.tiers[3].value");
	tp_expect(&r.diags, "sourceIp: false names no key", "v.yaml", 41, 8, "spec.key.sourceIp");
	expect_count(&r, 3);
	tp_free(&r);
}

static void test_access_policy(void **state)
{
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: AccessPolicy\n"
	             "metadata: {name: ap}\n"
	             "spec:\n"
	             "  service: web\n"
	             "  rules:\n"
	             "  - action: allow\n"
	             "    from: {services: [web, other/web]}\n"); /* 29 */
	tp_expect(&r.diags, "Service 'other/web' does not exist", "v.yaml", 29, 28,
	          "spec.rules[0].from.services[1]");
	expect_count(&r, 1);
	tp_free(&r);
}

static void test_gateway(void **state)
{
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: Route\n"
	             "metadata: {name: edge}\n"
	             "spec:\n"
	             "  hosts: [www.example.com]\n"
	             "  http: [{destinations: [{service: web, port: 80}]}]\n"
	             "---\n"
	             "apiVersion: weft/v1\n" /* 29 */
	             "kind: Route\n"
	             "metadata: {name: mesh}\n"
	             "spec:\n"
	             "  service: web\n"
	             "  port: 80\n"
	             "  http: [{destinations: [{service: web, port: 80}]}]\n"
	             "---\n"
	             "apiVersion: weft/v1\n" /* 37 */
	             "kind: Gateway\n"
	             "metadata: {name: gw}\n"
	             "spec:\n"
	             "  listeners:\n"
	             "  - {name: a, port: 443, protocol: https, routes: [edge]}\n"      /* 42 */
	             "  - {name: b, port: 443, protocol: http, routes: [mesh, edgy]}\n" /* 43 */
	             "  - {name: c, port: 9000, protocol: tcp, routes: [edge]}\n");     /* 44 */
	tp_expect(&r.diags, "a https listener needs tls (certificate)", "v.yaml", 42, 5,
	          "spec.listeners[0].tls");
	tp_expect(&r.diags, "duplicate listener port 443 (also spec.listeners[0], line 42)",
	          "v.yaml", 43, 21, "spec.listeners[1].port");
	tp_expect(&r.diags, "route 'default/mesh' is a mesh route (spec.service)", "v.yaml", 43, 51,
	          "spec.listeners[1].routes[0]");
	tp_expect(&r.diags, "Route 'default/edgy' does not exist (did you mean 'edge'?)", "v.yaml",
	          43, 57, "spec.listeners[1].routes[1]");
	tp_expect(&r.diags, "route 'default/edge' has HTTP rules on a tcp listener", "v.yaml", 44,
	          51, "spec.listeners[2].routes[0]");
	expect_count(&r, 5);
	tp_free(&r);
}

static void test_devices(void **state)
{
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: Device\n"
	             "metadata: {name: d1}\n"
	             "spec:\n"
	             "  type: file\n"                                           /* 26 */
	             "  scope: {namespaces: [nowhere], services: [web, dbb]}\n" /* 27 */
	             "---\n"
	             "apiVersion: weft/v1\n" /* 29 */
	             "kind: Device\n"
	             "metadata: {name: d2}\n"
	             "spec:\n"
	             "  type: f5\n"
	             "  connection: {address: 192.0.2.1}\n"        /* 34 */
	             "  options: {partition: p, directory: out}\n" /* 35 */
	             "---\n"
	             "apiVersion: weft/v1\n" /* 37 */
	             "kind: Device\n"
	             "metadata: {name: d3, namespace: lonely}\n"
	             "spec:\n"
	             "  type: xds\n"
	             "  scope: {namespaces: [lonely]}\n"); /* 42 */
	tp_expect(&r.diags, "a file device needs options.directory", "v.yaml", 26, 3,
	          "spec.options.directory");
	tp_expect(&r.diags, "namespace 'nowhere' holds no resources", "v.yaml", 27, 24,
	          "spec.scope.namespaces[0]");
	tp_expect(&r.diags, "Service 'default/dbb' does not exist (did you mean 'db'?)", "v.yaml",
	          27, 50, "spec.scope.services[1]");
	tp_expect(&r.diags, "an f5 device needs credentials (file or env)", "v.yaml", 34, 15,
	          "spec.connection.credentials");
	tp_expect(&r.diags, "directory applies to file devices only", "v.yaml", 35, 38,
	          "spec.options.directory");
	tp_expect(&r.diags, "the scope selects nothing", "v.yaml", 42, 10, "spec.scope");
	expect_count(&r, 6);
	tp_free(&r);
}

#define HK "nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"
static void test_haproxy_devices(void **state)
{
	(void)state;
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: Device\n"
	             "metadata: {name: h1}\n"
	             "spec:\n"
	             "  type: haproxy\n"
	             "  connection: {address: 192.0.2.9, credentials: {file: /k}}\n" /* 27 */
	             "  options: {configFile: weft.cfg}\n"                           /* 28 */
	             "---\n"
	             "apiVersion: weft/v1\n" /* 30 */
	             "kind: Device\n"
	             "metadata: {name: h2}\n"
	             "spec:\n"
	             "  type: haproxy\n"
	             "  connection: {address: 192.0.2.8, hostKey: \"SHA256:" HK "\", credentials: "
	             "{file: /k}}\n"                                                      /* 35 */
	             "  options: {configFile: /etc/haproxy/weft.cfg, masterPort: 9999}\n" /* 36 */
	             "---\n"
	             "apiVersion: weft/v1\n" /* 38 */
	             "kind: Device\n"
	             "metadata: {name: h3}\n"
	             "spec:\n"
	             "  type: haproxy\n"
	             "  connection: {address: 192.0.2.8, port: 22, hostKey: \"SHA256:" HK
	             "\", credentials: {file: /k}}\n"                                     /* 43 */
	             "  options: {configFile: /etc/haproxy/weft.cfg, masterPort: 9998}\n" /* 44 */
	             "---\n"
	             "apiVersion: weft/v1\n" /* 46 */
	             "kind: Device\n"
	             "metadata: {name: f1}\n"
	             "spec:\n"
	             "  type: file\n"
	             "  options: {directory: out, masterPort: 1}\n"); /* 51 */
	tp_expect(&r.diags, "an haproxy device needs hostKey", "v.yaml", 27, 15,
	          "spec.connection.hostKey");
	tp_expect(&r.diags, "configFile must be an absolute path ending in .cfg", "v.yaml", 28, 25,
	          "spec.options.configFile");
	tp_expect(&r.diags, "an haproxy device needs options.masterPort", "v.yaml", 28, 12,
	          "spec.options.masterPort");
	tp_expect(&r.diags,
	          "haproxy config file '/etc/haproxy/weft.cfg' on 192.0.2.8 port 22 is also "
	          "owned by Device 'default/h2'",
	          "v.yaml", 44, 25, "spec.options.configFile");
	tp_expect(&r.diags, "masterPort applies to haproxy devices only", "v.yaml", 51, 41,
	          "spec.options.masterPort");
	expect_count(&r, 5);
	tp_free(&r);
}

static void test_upstreams(void **state)
{
	(void)state;
	struct tp_result r;
	run(&r, BASE "apiVersion: weft/v1\n" /* 22 */
	             "kind: Service\n"
	             "metadata: {name: front}\n"
	             "spec:\n"
	             "  ports: [{port: 8080}]\n" /* 26 */
	             "  endpoints: [{address: 10.0.0.5}]\n"
	             "  upstreams: [web, dbb, web, other/db]\n"); /* 28 */
	tp_expect(&r.diags, "Service 'default/dbb' does not exist (did you mean 'db'?)", "v.yaml",
	          28, 20, "spec.upstreams[1]");
	tp_expect(&r.diags, "upstream 'default/web' is listed twice", "v.yaml", 28, 25,
	          "spec.upstreams[2]");
	tp_expect(&r.diags, "Service 'other/db' does not exist", "v.yaml", 28, 30,
	          "spec.upstreams[3]");
	expect_count(&r, 3);
	tp_free(&r);
}

/* Registries: HOST:PORT addresses, settings of the other registry type
 * refused, a Service's registry must exist. */
static void test_registries(void **state)
{
	(void)state;
	struct tp_result r;
	run(&r,
	    BASE "apiVersion: weft/v1\n" /* 22 */
	         "kind: Registry\n"
	         "metadata: {name: consul}\n"
	         "spec:\n"
	         "  type: consul\n"
	         "  addresses: ['127.0.0.1:8500', 'nohost', '[::1]:x', 'a_b:1']\n" /* 27 */
	         "  tls: {caFile: /ca.pem, certFile: /c.pem}\n"                    /* 28 */
	         "---\n"
	         "apiVersion: weft/v1\n" /* 30 */
	         "kind: Registry\n"
	         "metadata: {name: etcd}\n"
	         "spec:\n"
	         "  type: etcd\n"
	         "  addresses: ['etcd-1.example:2379', '[fd00::1]:2379']\n"
	         "  datacenter: dc1\n" /* 36 */
	         "---\n"
	         "apiVersion: weft/v1\n" /* 38 */
	         "kind: Service\n"
	         "metadata: {name: a}\n"
	         "spec:\n"
	         "  ports: [{port: 81}]\n"
	         "  registry: {registry: consul, key: /a}\n" /* 43 */
	         "---\n"
	         "apiVersion: weft/v1\n" /* 45 */
	         "kind: Service\n"
	         "metadata: {name: b}\n"
	         "spec:\n"
	         "  ports: [{port: 82}]\n"
	         "  registry: {registry: etcd, service: b, tags: [x], passingOnly: true}\n" /* 50 */
	         "---\n"
	         "apiVersion: weft/v1\n" /* 52 */
	         "kind: Service\n"
	         "metadata: {name: c}\n"
	         "spec:\n"
	         "  ports: [{port: 83}]\n"
	         "  registry: {registry: consull}\n"); /* 57 */
	tp_expect(&r.diags,
	          "key is an etcd setting; Registry 'default/consul' is consul (use service)",
	          "v.yaml", 43, 37, "spec.registry.key");
	tp_expect(&r.diags, "an etcd registry needs key: the prefix the endpoints are under",
	          "v.yaml", 50, 13, "spec.registry.key");
	tp_expect(&r.diags,
	          "service is a Consul setting; Registry 'default/etcd' is etcd (use key)",
	          "v.yaml", 50, 39, "spec.registry.service");
	tp_expect(
	        &r.diags,
	        "tags are a Consul setting; Registry 'default/etcd' is etcd (select with subsets)",
	        "v.yaml", 50, 49, "spec.registry.tags");
	tp_expect(&r.diags, "passingOnly is a Consul setting; Registry 'default/etcd' is etcd",
	          "v.yaml", 50, 66, "spec.registry.passingOnly");
	tp_expect(&r.diags, "Registry 'default/consull' does not exist (did you mean 'consul'?)",
	          "v.yaml", 57, 24, "spec.registry.registry");
	tp_expect(&r.diags, "'nohost': expected HOST:PORT", "v.yaml", 27, 33, "spec.addresses[1]");
	tp_expect(&r.diags, "'[::1]:x': the port must be a number 1-65535", "v.yaml", 27, 43,
	          "spec.addresses[2]");
	tp_expect(&r.diags, "'a_b:1': the host is neither an IP address nor a DNS name", "v.yaml",
	          27, 54, "spec.addresses[3]");
	tp_expect(&r.diags, "certFile and keyFile go together (a client certificate needs its key)",
	          "v.yaml", 28, 8, "spec.tls");
	tp_expect(&r.diags, "datacenter is a Consul setting; an etcd registry has none", "v.yaml",
	          36, 15, "spec.datacenter");
	expect_count(&r, 11);
	tp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_base_is_valid),
	        cmocka_unit_test(test_dangling_refs),
	        cmocka_unit_test(test_destination_ports),
	        cmocka_unit_test(test_weights),
	        cmocka_unit_test(test_http_to_tcp),
	        cmocka_unit_test(test_service_duplicates),
	        cmocka_unit_test(test_tcp_http_conflict),
	        cmocka_unit_test(test_traffic_policy),
	        cmocka_unit_test(test_rate_limit),
	        cmocka_unit_test(test_access_policy),
	        cmocka_unit_test(test_gateway),
	        cmocka_unit_test(test_devices),
	        cmocka_unit_test(test_haproxy_devices),
	        cmocka_unit_test(test_upstreams),
	        cmocka_unit_test(test_registries),
	        cmocka_unit_test(test_rate_limit_source_ip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
