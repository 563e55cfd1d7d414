/* Typed policy specs: what the schema decoder (core/policy/) produces from a
 * document's `spec`, one struct per kind (weft_<kind>_spec), reachable from
 * weft_resource.spec. Types only; functions are in policy.h.
 *
 * Conventions, shared by every struct below:
 * - Everything lives in the resource's arena; strings are NUL-terminated and
 *   NULL when the field was absent.
 * - Optional nested objects are pointers (NULL when absent).
 * - Lists are {items, count}; every element struct starts with `pos`, the
 *   position of the element in its source file (the resource keeps the file
 *   name), so semantic validation can point at it. Some fields carry their
 *   own `<field>_pos` for the same reason.
 * - Enums: 0 (..._UNSET) means absent; defaults documented in docs/policy.md
 *   ARE applied to the typed struct (but never to the canonical JSON).
 * - Durations are milliseconds (long long); 0 means absent (the schema
 *   refuses zero durations). Ints that may legitimately be 0 have a has_
 *   flag. Percentages are doubles in [0, 100].
 * - A reference to another resource is a weft_ref: `name` or `ns/name` in
 *   the document, resolved against the resource's own namespace. */
#ifndef WEFT_POLICY_T_H
#define WEFT_POLICY_T_H

#include <stddef.h>

#include "resource-t.h"

/* 1-based line and column of a node; {0, 0} when unknown. */
typedef struct weft_pos {
	int line, col;
} weft_pos;

/* A list of strings with the position of each. */
typedef struct weft_strs {
	const char **items;
	weft_pos *pos;
	size_t count;
} weft_strs;

/* A reference to a resource; name == NULL when the field was absent. */
typedef struct weft_ref {
	const char *ns;
	const char *name;
	weft_pos pos;
} weft_ref;

typedef struct weft_refs {
	weft_ref *items;
	size_t count;
} weft_refs;

/* String matcher used by header, query-parameter and path matches: exactly
 * one of exact/prefix/regex/present is set (present: the name must exist). */
typedef struct weft_header_match {
	weft_pos pos;
	const char *name;
	const char *exact, *prefix, *regex;
	int present;
} weft_header_match;

/* ---- Service ---------------------------------------------------------- */

typedef enum weft_protocol {
	WEFT_PROTO_UNSET,
	WEFT_PROTO_HTTP,
	WEFT_PROTO_HTTP2,
	WEFT_PROTO_GRPC,
	WEFT_PROTO_TCP,
} weft_protocol;

typedef struct weft_service_port {
	weft_pos pos;
	const char *name;
	weft_pos name_pos;
	int port; /* 1-65535 */
	weft_pos port_pos;
	weft_protocol protocol; /* UNSET: the service's protocol */
	int target_port;        /* 0: same as port */
} weft_service_port;

typedef struct weft_endpoint {
	weft_pos pos;
	const char *address; /* on plane "default"; may be NULL when addresses is set */
	weft_pos address_pos;
	weft_labels addresses; /* plane -> IP, sorted by plane */
	weft_pos addresses_pos;
	int port; /* 0: each service port's targetPort (or port) */
	weft_pos port_pos;
	weft_labels labels;
	int weight; /* 1-128, default 1 */
	const char *zone;
} weft_endpoint;

typedef enum weft_registry_type {
	WEFT_REGISTRY_UNSET,
	WEFT_REGISTRY_CONSUL,
	WEFT_REGISTRY_ETCD,
} weft_registry_type;

/* Service spec.registry: where a Service's endpoints come from instead of
 * spec.endpoints (docs/registries.md). */
typedef struct weft_service_registry {
	weft_pos pos;
	weft_ref registry;   /* a Registry (required) */
	const char *service; /* consul: service name (default metadata.name) */
	weft_pos service_pos;
	weft_strs tags;  /* consul: an instance must carry every tag */
	const char *key; /* etcd: key prefix (required for etcd) */
	weft_pos key_pos;
	int passing_only; /* consul: only instances whose checks pass; default 1 */
	int has_passing_only;
	weft_pos passing_only_pos;
} weft_service_registry;

typedef struct weft_subset {
	weft_pos pos;
	const char *name;
	weft_pos name_pos;
	weft_labels labels;
} weft_subset;

typedef struct weft_service_spec {
	weft_pos pos;
	weft_protocol protocol; /* default HTTP */
	struct {
		weft_service_port *items;
		size_t count;
	} ports;
	struct {
		weft_endpoint *items;
		size_t count;
	} endpoints;
	weft_service_registry *registry; /* instead of static endpoints */
	struct {
		weft_subset *items;
		size_t count;
	} subsets;
	/* The services this service's proxies call (like Consul's upstreams):
	 * when given, its sidecars get only these services' clusters,
	 * endpoints and routes. Empty: every service (the mesh default). */
	weft_refs upstreams;
} weft_service_spec;

/* ---- Route ------------------------------------------------------------ */

typedef struct weft_path_match {
	weft_pos pos;
	const char *exact, *prefix, *regex; /* exactly one */
} weft_path_match;

typedef struct weft_query_match {
	weft_pos pos;
	const char *name;
	const char *exact, *regex;
	int present;
} weft_query_match;

typedef struct weft_http_match {
	weft_pos pos;
	weft_path_match *path;
	const char *method;
	struct {
		weft_header_match *items;
		size_t count;
	} headers;
	struct {
		weft_query_match *items;
		size_t count;
	} query_params;
} weft_http_match;

typedef struct weft_destination {
	weft_pos pos;
	weft_ref service;
	const char *subset; /* HTTP only */
	weft_pos subset_pos;
	int port; /* 0: the service's only port */
	weft_pos port_pos;
	int weight; /* 0-100; has_weight says whether it was given */
	int has_weight;
	weft_pos weight_pos;
} weft_destination;

typedef struct weft_destinations {
	weft_destination *items;
	size_t count;
} weft_destinations;

typedef struct weft_retries {
	weft_pos pos;
	int attempts;
	long long per_try_timeout_ms;
	weft_strs retry_on; /* Envoy retry_on conditions */
} weft_retries;

typedef struct weft_fault_delay {
	weft_pos pos;
	double percent;
	long long duration_ms;
} weft_fault_delay;

typedef struct weft_fault_abort {
	weft_pos pos;
	double percent;
	int status; /* 200-599 */
} weft_fault_abort;

typedef struct weft_fault {
	weft_pos pos;
	weft_fault_delay *delay;
	weft_fault_abort *abort;
} weft_fault;

typedef struct weft_rewrite {
	weft_pos pos;
	const char *prefix;
	const char *host;
} weft_rewrite;

typedef struct weft_header_ops {
	weft_pos pos;
	weft_labels add; /* header -> value, sorted */
	weft_strs remove;
} weft_header_ops;

typedef struct weft_header_rules {
	weft_pos pos;
	weft_header_ops *request;
	weft_header_ops *response;
} weft_header_rules;

typedef struct weft_http_rule {
	weft_pos pos;
	const char *name;
	struct {
		weft_http_match *items;
		size_t count;
	} match; /* empty: matches everything */
	weft_destinations destinations;
	weft_pos destinations_pos;
	long long timeout_ms;
	weft_retries *retries;
	weft_fault *fault;
	weft_rewrite *rewrite;
	weft_header_rules *headers;
} weft_http_rule;

typedef struct weft_tcp_rule {
	weft_pos pos;
	weft_destinations destinations;
	weft_pos destinations_pos;
} weft_tcp_rule;

typedef struct weft_route_spec {
	weft_pos pos;
	weft_ref service; /* mesh route for that service ... */
	weft_strs hosts;  /* ... or hostnames, for gateways (exactly one of) */
	int port;         /* 0: every port of the service */
	weft_pos port_pos;
	struct {
		weft_http_rule *items;
		size_t count;
	} http; /* ordered: first match wins */
	struct {
		weft_tcp_rule *items;
		size_t count;
	} tcp;
} weft_route_spec;

/* ---- TrafficPolicy ------------------------------------------------------ */

typedef enum weft_lb_algorithm {
	WEFT_LB_UNSET,
	WEFT_LB_ROUND_ROBIN,
	WEFT_LB_LEAST_REQUEST,
	WEFT_LB_RANDOM,
	WEFT_LB_RING_HASH,
	WEFT_LB_MAGLEV,
} weft_lb_algorithm;

typedef struct weft_hash_cookie {
	weft_pos pos;
	const char *name;
	long long ttl_ms;
} weft_hash_cookie;

typedef struct weft_hash_on {
	weft_pos pos;
	const char *header; /* exactly one of header, cookie, source_ip */
	weft_hash_cookie *cookie;
	int source_ip;
} weft_hash_on;

typedef struct weft_ring_size {
	weft_pos pos;
	int min, max;
} weft_ring_size;

typedef struct weft_load_balancer {
	weft_pos pos;
	weft_lb_algorithm algorithm; /* default ROUND_ROBIN */
	weft_pos algorithm_pos;
	weft_hash_on *hash_on; /* required for RING_HASH and MAGLEV */
	weft_ring_size *ring_size;
} weft_load_balancer;

typedef struct weft_connection_pool {
	weft_pos pos;
	int max_connections, max_pending_requests, max_requests, max_retries; /* 0: unset */
	long long connect_timeout_ms;
} weft_connection_pool;

typedef struct weft_outlier_detection {
	weft_pos pos;
	int consecutive_5xx;
	long long interval_ms, base_ejection_time_ms;
	double max_ejection_percent;
	int has_max_ejection_percent;
} weft_outlier_detection;

typedef enum weft_check_type {
	WEFT_CHECK_UNSET,
	WEFT_CHECK_HTTP,
	WEFT_CHECK_TCP,
} weft_check_type;

typedef struct weft_health_check {
	weft_pos pos;
	weft_check_type type; /* required */
	const char *path;     /* HTTP only */
	long long interval_ms, timeout_ms;
	int healthy_threshold, unhealthy_threshold;
	int expected_status; /* 0: 200 */
} weft_health_check;

typedef enum weft_tls_mode {
	WEFT_TLS_UNSET,
	WEFT_TLS_DISABLE,
	WEFT_TLS_SIMPLE,
	WEFT_TLS_MUTUAL,
	WEFT_TLS_MESH,
} weft_tls_mode;

typedef struct weft_client_tls {
	weft_pos pos;
	weft_tls_mode mode; /* required */
	const char *sni;
	const char *ca_file, *cert_file, *key_file; /* paths, never PEM */
} weft_client_tls;

typedef struct weft_traffic_policy_spec {
	weft_pos pos;
	weft_ref service; /* required */
	const char *subset;
	weft_pos subset_pos;
	weft_load_balancer *load_balancer;
	weft_connection_pool *connection_pool;
	weft_outlier_detection *outlier_detection;
	weft_health_check *health_check;
	weft_client_tls *tls;
} weft_traffic_policy_spec;

/* ---- RateLimit ---------------------------------------------------------- */

typedef enum weft_rate_unit {
	WEFT_PER_UNSET,
	WEFT_PER_SECOND,
	WEFT_PER_MINUTE,
} weft_rate_unit;

typedef struct weft_rate {
	weft_pos pos;
	int requests;       /* >= 1 */
	weft_rate_unit per; /* default SECOND */
	int burst;          /* 0: same as requests */
} weft_rate;

typedef struct weft_rate_key {
	weft_pos pos;
	const char *header; /* exactly one of header, source_ip */
	int source_ip;
} weft_rate_key;

typedef struct weft_rate_tier {
	weft_pos pos;
	const char *value; /* key value (e.g. tenant id) */
	weft_pos value_pos;
	int requests;
	weft_rate_unit per; /* default SECOND */
	int burst;
} weft_rate_tier;

typedef struct weft_rate_limit_spec {
	weft_pos pos;
	weft_ref service; /* exactly one of service, route */
	weft_ref route;
	weft_rate *limit; /* required: applies to keys without a tier */
	weft_rate_key *key;
	struct {
		weft_rate_tier *items;
		size_t count;
	} tiers;
	weft_pos tiers_pos;
} weft_rate_limit_spec;

/* ---- AccessPolicy ----------------------------------------------------- */

typedef enum weft_action {
	WEFT_ACTION_UNSET,
	WEFT_ACTION_ALLOW,
	WEFT_ACTION_DENY,
} weft_action;

typedef struct weft_access_from {
	weft_pos pos;
	weft_refs services;
	weft_strs cidrs;
	weft_strs not_cidrs;
} weft_access_from;

typedef struct weft_access_to {
	weft_pos pos;
	weft_strs paths; /* "/x" exact; "/x/" + "*" is the prefix "/x/" */
	weft_strs methods;
} weft_access_to;

typedef struct weft_access_rule {
	weft_pos pos;
	weft_action action; /* required */
	weft_access_from *from;
	weft_access_to *to;
	struct {
		weft_header_match *items;
		size_t count;
	} headers;
} weft_access_rule;

typedef struct weft_access_policy_spec {
	weft_pos pos;
	weft_ref service;           /* NULL name: the whole namespace */
	weft_action default_action; /* default ALLOW */
	struct {
		weft_access_rule *items;
		size_t count;
	} rules; /* first match wins */
} weft_access_policy_spec;

/* ---- PeerAuthentication ------------------------------------------------- */

typedef enum weft_mtls_mode {
	WEFT_MTLS_UNSET,
	WEFT_MTLS_STRICT,
	WEFT_MTLS_PERMISSIVE,
	WEFT_MTLS_DISABLE,
} weft_mtls_mode;

typedef struct weft_peer_authentication_spec {
	weft_pos pos;
	weft_ref service;    /* NULL name: the whole namespace */
	weft_mtls_mode mode; /* required */
} weft_peer_authentication_spec;

/* ---- Telemetry -------------------------------------------------------- */

typedef struct weft_access_log {
	weft_pos pos;
	int enabled; /* default 1 */
	const char *format;
} weft_access_log;

typedef struct weft_collector {
	weft_pos pos;
	const char *address; /* IP or hostname */
	int port;
} weft_collector;

typedef struct weft_tracing {
	weft_pos pos;
	double sampling_percent; /* default 1 */
	weft_collector *collector;
} weft_tracing;

typedef struct weft_telemetry_spec {
	weft_pos pos;
	weft_ref service; /* NULL name: the whole namespace */
	weft_access_log *access_log;
	weft_tracing *tracing;
} weft_telemetry_spec;

/* ---- Gateway ------------------------------------------------------------ */

typedef enum weft_listener_protocol {
	WEFT_LISTENER_UNSET,
	WEFT_LISTENER_HTTP,
	WEFT_LISTENER_HTTPS,
	WEFT_LISTENER_TCP,
	WEFT_LISTENER_TLS,
} weft_listener_protocol;

typedef struct weft_cert_ref {
	weft_pos pos;
	const char *cert_file, *key_file;
} weft_cert_ref;

typedef enum weft_server_tls_mode {
	WEFT_SERVER_TLS_UNSET,
	WEFT_SERVER_TLS_SIMPLE,
	WEFT_SERVER_TLS_MUTUAL,
} weft_server_tls_mode;

typedef struct weft_listener_tls {
	weft_pos pos;
	weft_server_tls_mode mode; /* default SIMPLE */
	weft_cert_ref *certificate;
	const char *ca_file; /* required for MUTUAL */
} weft_listener_tls;

typedef struct weft_listener {
	weft_pos pos;
	const char *name;
	int port;
	weft_pos port_pos;
	weft_listener_protocol protocol; /* required */
	weft_strs hosts;
	weft_listener_tls *tls; /* required for HTTPS and TLS */
	weft_refs routes;
} weft_listener;

typedef struct weft_gateway_spec {
	weft_pos pos;
	const char *address;
	struct {
		weft_listener *items;
		size_t count;
	} listeners;
} weft_gateway_spec;

/* ---- Registry ------------------------------------------------------------ */

/* A secret read at use time: exactly one of a file or an environment
 * variable (never inline). */
typedef struct weft_secret_ref {
	weft_pos pos;
	const char *file;
	const char *env;
} weft_secret_ref;

typedef struct weft_registry_tls {
	weft_pos pos;
	const char *ca_file, *cert_file, *key_file; /* paths, never PEM */
} weft_registry_tls;

/* kind Registry: a Consul agent or an etcd cluster that Services take
 * their endpoints from (docs/registries.md). */
typedef struct weft_registry_spec {
	weft_pos pos;
	weft_registry_type type; /* required */
	weft_pos type_pos;
	weft_strs addresses; /* HOST:PORT, tried in order (failover) */
	weft_pos addresses_pos;
	const char *datacenter; /* consul */
	weft_pos datacenter_pos;
	weft_secret_ref *token; /* consul ACL token; etcd user:password */
	weft_registry_tls *tls;
	weft_labels planes; /* registry tagged-address name -> weft plane */
	weft_pos planes_pos;
} weft_registry_spec;

/* ---- Device --------------------------------------------------------------- */

typedef enum weft_device_type {
	WEFT_DEVICE_UNSET,
	WEFT_DEVICE_XDS,
	WEFT_DEVICE_F5,
	WEFT_DEVICE_NETCONF,
	WEFT_DEVICE_FILE,
	WEFT_DEVICE_HAPROXY,
	WEFT_DEVICE_PLUGIN, /* any other kind: provided by an adapter plugin */
} weft_device_type;

typedef struct weft_credentials {
	weft_pos pos;
	const char *file; /* exactly one of file, env */
	const char *env;
} weft_credentials;

typedef struct weft_device_tls {
	weft_pos pos;
	const char *ca_file;
	int insecure;
} weft_device_tls;

typedef struct weft_connection {
	weft_pos pos;
	const char *address; /* IP or hostname */
	int port;            /* 0: the family's default (f5 443, netconf 830, haproxy 22) */
	const char *username;
	weft_credentials *credentials;
	weft_device_tls *tls;
	const char *host_key; /* "SHA256:<base64>" SSH host key fingerprint */
	long long timeout_ms;
} weft_connection;

typedef struct weft_device_scope {
	weft_pos pos;
	weft_strs namespaces;
	weft_refs services;
	weft_refs gateways;
} weft_device_scope;

typedef struct weft_node_match {
	weft_pos pos;
	const char *id_prefix;
	weft_labels metadata;
} weft_node_match;

typedef enum weft_commit_mode {
	WEFT_COMMIT_UNSET,
	WEFT_COMMIT_CONFIRMED,
	WEFT_COMMIT_CANDIDATE,
	WEFT_COMMIT_RUNNING,
} weft_commit_mode;

typedef struct weft_device_options {
	weft_pos pos;
	const char *partition; /* f5 */
	weft_pos partition_pos;
	weft_commit_mode commit; /* netconf */
	weft_pos commit_pos;
	long long confirm_timeout_ms; /* netconf */
	weft_pos confirm_timeout_pos;
	weft_node_match *node_match; /* xds */
	const char *directory;       /* file */
	weft_pos directory_pos;
	const char *config_file; /* haproxy: absolute path of weft's own .cfg on the box */
	weft_pos config_file_pos;
	const char *haproxy_binary; /* haproxy: default /usr/sbin/haproxy */
	weft_pos haproxy_binary_pos;
	int master_port; /* haproxy: the master CLI's TCP port on the box's loopback */
	weft_pos master_port_pos;
} weft_device_options;

typedef enum weft_drift_mode {
	WEFT_DRIFT_UNSET,
	WEFT_DRIFT_ALERT,
	WEFT_DRIFT_REPAIR,
} weft_drift_mode;

/* What weft does to a device's config when its Device is deleted. */
typedef enum weft_on_delete {
	WEFT_ON_DELETE_UNSET,
	WEFT_ON_DELETE_REMOVE, /* remove what weft owns there (a plan like any other) */
	WEFT_ON_DELETE_KEEP,   /* leave the device's config as it is */
} weft_on_delete;

typedef struct weft_device_spec {
	weft_pos pos;
	weft_device_type type; /* required */
	weft_pos type_pos;
	weft_connection *connection;
	weft_device_scope *scope; /* NULL or empty: everything */
	weft_device_options *options;
	int push_group;           /* lower pushes first; default 0 */
	weft_drift_mode drift;    /* default ALERT */
	weft_on_delete on_delete; /* default REMOVE */
	int strict;               /* refuse plans with translation warnings (warning.h) */
} weft_device_spec;

#endif
