/* Schema tables of the kinds that shape traffic to a service:
 * TrafficPolicy, RateLimit, AccessPolicy, PeerAuthentication, Telemetry
 * (see schema.h for the row format, docs/policy.md for the meaning). */
#include <stddef.h>

#include "schema.h"

static const char *const lb_algorithms[] = {"round-robin", "least-request", "random",
                                            "ring-hash",   "maglev",        NULL};
static const char *const check_types[] = {"http", "tcp", NULL};
static const char *const client_tls_modes[] = {"disable", "simple", "mutual", "mesh", NULL};
static const char *const rate_units[] = {"second", "minute", NULL};
static const char *const actions[] = {"allow", "deny", NULL};
static const char *const mtls_modes[] = {"STRICT", "PERMISSIVE", "DISABLE", NULL};

/* ---- TrafficPolicy -------------------------------------------------------- */

#define T weft_hash_cookie
static const struct field cookie_fields[] = {
        FIELD(T, "name", T_STR, F_REQ, name),
        FIELD(T, "ttl", T_DURATION, 0, ttl_ms),
};
static const struct schema cookie_schema = SCHEMA(T, cookie_fields);
#undef T

#define T weft_hash_on
static const struct field hash_on_fields[] = {
        FIELD(T, "header", T_HEADER, 0, header),
        FIELD(T, "cookie", T_OBJ, 0, cookie, .sub = &cookie_schema),
        FIELD(T, "sourceIp", T_BOOL, 0, source_ip),
};
static const struct oneof hash_on_oneofs[] = {{{"header", "cookie", "sourceIp", NULL}, ONE_EXACT}};
static const struct schema hash_on_schema = SCHEMA_ONEOF(T, hash_on_fields, hash_on_oneofs);
#undef T

#define T weft_ring_size
static const struct field ring_size_fields[] = {
        FIELD(T, "min", T_INT, 0, min, .min = 1, .max = 8388608),
        FIELD(T, "max", T_INT, 0, max, .min = 1, .max = 8388608),
};
static const struct schema ring_size_schema = SCHEMA(T, ring_size_fields);
#undef T

#define T weft_load_balancer
static const struct field lb_fields[] = {
        FIELDP(T, "algorithm", T_ENUM, 0, algorithm, algorithm_pos, .enums = lb_algorithms,
               .def = WEFT_LB_ROUND_ROBIN),
        FIELD(T, "hashOn", T_OBJ, 0, hash_on, .sub = &hash_on_schema),
        FIELD(T, "ringSize", T_OBJ, 0, ring_size, .sub = &ring_size_schema),
};
static const struct schema lb_schema = SCHEMA(T, lb_fields);
#undef T

#define T weft_connection_pool
static const struct field pool_fields[] = {
        FIELD(T, "maxConnections", T_INT, 0, max_connections, .min = 1),
        FIELD(T, "maxPendingRequests", T_INT, 0, max_pending_requests, .min = 1),
        FIELD(T, "maxRequests", T_INT, 0, max_requests, .min = 1),
        FIELD(T, "maxRetries", T_INT, 0, max_retries, .min = 1),
        FIELD(T, "connectTimeout", T_DURATION, 0, connect_timeout_ms),
};
static const struct schema pool_schema = SCHEMA(T, pool_fields);
#undef T

#define T weft_outlier_detection
static const struct field outlier_fields[] = {
        FIELD(T, "consecutive5xx", T_INT, 0, consecutive_5xx, .min = 1),
        FIELD(T, "interval", T_DURATION, 0, interval_ms),
        FIELD(T, "baseEjectionTime", T_DURATION, 0, base_ejection_time_ms),
        FIELD(T, "maxEjectionPercent", T_PERCENT, F_HAS, max_ejection_percent,
              .has_off = offsetof(T, has_max_ejection_percent)),
};
static const struct schema outlier_schema = SCHEMA(T, outlier_fields);
#undef T

#define T weft_health_check
static const struct field health_fields[] = {
        FIELD(T, "type", T_ENUM, F_REQ, type, .enums = check_types),
        FIELD(T, "path", T_URLPATH, 0, path),
        FIELD(T, "interval", T_DURATION, 0, interval_ms),
        FIELD(T, "timeout", T_DURATION, 0, timeout_ms),
        FIELD(T, "healthyThreshold", T_INT, 0, healthy_threshold, .min = 1, .max = 100),
        FIELD(T, "unhealthyThreshold", T_INT, 0, unhealthy_threshold, .min = 1, .max = 100),
        FIELD(T, "expectedStatus", T_INT, 0, expected_status, .min = 100, .max = 599),
};
static const struct schema health_schema = SCHEMA(T, health_fields);
#undef T

#define T weft_client_tls
static const struct field client_tls_fields[] = {
        FIELD(T, "mode", T_ENUM, F_REQ, mode, .enums = client_tls_modes),
        FIELD(T, "sni", T_HOST, 0, sni),
        FIELD(T, "caFile", T_FILEPATH, 0, ca_file),
        FIELD(T, "certFile", T_FILEPATH, 0, cert_file),
        FIELD(T, "keyFile", T_FILEPATH, 0, key_file),
};
static const struct schema client_tls_schema = SCHEMA(T, client_tls_fields);
#undef T

#define T weft_traffic_policy_spec
static const struct field traffic_fields[] = {
        FIELD(T, "service", T_REF, F_REQ, service),
        FIELDP(T, "subset", T_NAME, 0, subset, subset_pos),
        FIELD(T, "loadBalancer", T_OBJ, 0, load_balancer, .sub = &lb_schema),
        FIELD(T, "connectionPool", T_OBJ, 0, connection_pool, .sub = &pool_schema),
        FIELD(T, "outlierDetection", T_OBJ, 0, outlier_detection, .sub = &outlier_schema),
        FIELD(T, "healthCheck", T_OBJ, 0, health_check, .sub = &health_schema),
        FIELD(T, "tls", T_OBJ, 0, tls, .sub = &client_tls_schema),
};
const struct schema weft_schema_traffic_policy = SCHEMA(T, traffic_fields);
#undef T

/* ---- RateLimit -------------------------------------------------------------- */

#define T weft_rate
static const struct field rate_fields[] = {
        FIELD(T, "requests", T_INT, F_REQ, requests, .min = 1),
        FIELD(T, "per", T_ENUM, 0, per, .enums = rate_units, .def = WEFT_PER_SECOND),
        FIELD(T, "burst", T_INT, 0, burst, .min = 1),
};
static const struct schema rate_schema = SCHEMA(T, rate_fields);
#undef T

#define T weft_rate_key
static const struct field rate_key_fields[] = {
        FIELD(T, "header", T_HEADER, 0, header),
        FIELD(T, "sourceIp", T_BOOL, 0, source_ip),
};
static const struct oneof rate_key_oneofs[] = {{{"header", "sourceIp", NULL}, ONE_EXACT}};
static const struct schema rate_key_schema = SCHEMA_ONEOF(T, rate_key_fields, rate_key_oneofs);
#undef T

#define T weft_rate_tier
static const struct field tier_fields[] = {
        FIELDP(T, "value", T_STR, F_REQ, value, value_pos),
        FIELD(T, "requests", T_INT, F_REQ, requests, .min = 1),
        FIELD(T, "per", T_ENUM, 0, per, .enums = rate_units, .def = WEFT_PER_SECOND),
        FIELD(T, "burst", T_INT, 0, burst, .min = 1),
};
static const struct schema tier_schema = SCHEMA(T, tier_fields);
#undef T

#define T weft_rate_limit_spec
static const struct field rate_limit_fields[] = {
        FIELD(T, "service", T_REF, 0, service),
        FIELD(T, "route", T_REF, 0, route),
        FIELD(T, "limit", T_OBJ, F_REQ, limit, .sub = &rate_schema),
        FIELD(T, "key", T_OBJ, 0, key, .sub = &rate_key_schema),
        FIELDP(T, "tiers", T_OBJ, F_LIST, tiers, tiers_pos, .sub = &tier_schema),
};
static const struct oneof rate_limit_oneofs[] = {{{"service", "route", NULL}, ONE_EXACT}};
const struct schema weft_schema_rate_limit = SCHEMA_ONEOF(T, rate_limit_fields, rate_limit_oneofs);
#undef T

/* ---- AccessPolicy ---------------------------------------------------------- */

#define T weft_access_from
static const struct field from_fields[] = {
        FIELD(T, "services", T_REF, F_LIST, services),
        FIELD(T, "cidrs", T_CIDR, F_LIST, cidrs),
        FIELD(T, "notCidrs", T_CIDR, F_LIST, not_cidrs),
};
static const struct oneof from_oneofs[] = {{{"services", "cidrs", "notCidrs", NULL}, ONE_MIN}};
static const struct schema from_schema = SCHEMA_ONEOF(T, from_fields, from_oneofs);
#undef T

#define T weft_access_to
static const struct field to_fields[] = {
        FIELD(T, "paths", T_PATHPAT, F_LIST, paths),
        FIELD(T, "methods", T_ENUMSTR, F_LIST, methods, .enums = weft_http_methods),
};
static const struct oneof to_oneofs[] = {{{"paths", "methods", NULL}, ONE_MIN}};
static const struct schema to_schema = SCHEMA_ONEOF(T, to_fields, to_oneofs);
#undef T

#define T weft_access_rule
static const struct field rule_fields[] = {
        FIELD(T, "action", T_ENUM, F_REQ, action, .enums = actions),
        FIELD(T, "from", T_OBJ, 0, from, .sub = &from_schema),
        FIELD(T, "to", T_OBJ, 0, to, .sub = &to_schema),
        FIELD(T, "headers", T_OBJ, F_LIST, headers, .sub = &weft_schema_header_match),
};
static const struct schema rule_schema = SCHEMA(T, rule_fields);
#undef T

#define T weft_access_policy_spec
static const struct field access_fields[] = {
        FIELD(T, "service", T_REF, 0, service),
        FIELD(T, "defaultAction", T_ENUM, 0, default_action, .enums = actions,
              .def = WEFT_ACTION_ALLOW),
        FIELD(T, "rules", T_OBJ, F_LIST, rules, .sub = &rule_schema),
};
const struct schema weft_schema_access_policy = SCHEMA(T, access_fields);
#undef T

/* ---- PeerAuthentication ------------------------------------------------------ */

#define T weft_peer_authentication_spec
static const struct field peer_fields[] = {
        FIELD(T, "service", T_REF, 0, service),
        FIELD(T, "mode", T_ENUM, F_REQ, mode, .enums = mtls_modes),
};
const struct schema weft_schema_peer_authentication = SCHEMA(T, peer_fields);
#undef T

/* ---- Telemetry -------------------------------------------------------------- */

#define T weft_access_log
static const struct field access_log_fields[] = {
        FIELD(T, "enabled", T_BOOL, 0, enabled, .def = 1),
        FIELD(T, "format", T_STR, 0, format),
};
static const struct schema access_log_schema = SCHEMA(T, access_log_fields);
#undef T

#define T weft_collector
static const struct field collector_fields[] = {
        FIELD(T, "address", T_HOST, F_REQ, address),
        FIELD(T, "port", T_PORT, F_REQ, port),
};
static const struct schema collector_schema = SCHEMA(T, collector_fields);
#undef T

#define T weft_tracing
static const struct field tracing_fields[] = {
        FIELD(T, "samplingPercent", T_PERCENT, 0, sampling_percent, .defd = 1.0),
        FIELD(T, "collector", T_OBJ, 0, collector, .sub = &collector_schema),
};
static const struct schema tracing_schema = SCHEMA(T, tracing_fields);
#undef T

#define T weft_telemetry_spec
static const struct field telemetry_fields[] = {
        FIELD(T, "service", T_REF, 0, service),
        FIELD(T, "accessLog", T_OBJ, 0, access_log, .sub = &access_log_schema),
        FIELD(T, "tracing", T_OBJ, 0, tracing, .sub = &tracing_schema),
};
const struct schema weft_schema_telemetry = SCHEMA(T, telemetry_fields);
#undef T
