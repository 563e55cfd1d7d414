/* Schema tables of the Service and Route kinds (see schema.h for the row
 * format and docs/policy.md for what each field means). The shared header
 * matcher used by Route and AccessPolicy is here too. */
#include <stddef.h>

#include "schema.h"

static const char *const protocols[] = {"http", "http2", "grpc", "tcp", NULL};
const char *const weft_http_methods[] = {"GET",     "HEAD",    "POST",  "PUT",   "DELETE",
                                         "CONNECT", "OPTIONS", "TRACE", "PATCH", NULL};
/* Envoy's x-envoy-retry-on / x-envoy-retry-grpc-on conditions. */
static const char *const retry_conditions[] = {"5xx",
                                               "gateway-error",
                                               "reset",
                                               "connect-failure",
                                               "retriable-4xx",
                                               "refused-stream",
                                               "retriable-status-codes",
                                               "envoy-ratelimited",
                                               "cancelled",
                                               "deadline-exceeded",
                                               "internal",
                                               "resource-exhausted",
                                               "unavailable",
                                               NULL};

/* ---- Service ---------------------------------------------------------- */

#define T weft_service_port
static const struct field port_fields[] = {
        FIELDP(T, "name", T_NAME, 0, name, name_pos),
        FIELDP(T, "port", T_PORT, F_REQ, port, port_pos),
        FIELD(T, "protocol", T_ENUM, 0, protocol, .enums = protocols),
        FIELD(T, "targetPort", T_PORT, 0, target_port),
};
static const struct schema port_schema = SCHEMA(T, port_fields);
#undef T

#define T weft_endpoint
static const struct field endpoint_fields[] = {
        FIELDP(T, "address", T_IP, 0, address, address_pos),
        FIELDP(T, "addresses", T_MAP, F_NONEMPTY, addresses, addresses_pos, .key_type = T_NAME,
               .val_type = T_IP),
        FIELDP(T, "port", T_PORT, 0, port, port_pos),
        FIELD(T, "labels", T_MAP, 0, labels, .key_type = T_LABELKEY, .val_type = T_LABELVAL),
        FIELD(T, "weight", T_INT, 0, weight, .min = 1, .max = 128, .def = 1),
        FIELD(T, "zone", T_STR, 0, zone),
};
static const struct oneof endpoint_oneofs[] = {{{"address", "addresses", NULL}, ONE_MIN}};
static const struct schema endpoint_schema = SCHEMA_ONEOF(T, endpoint_fields, endpoint_oneofs);
#undef T

#define T weft_subset
static const struct field subset_fields[] = {
        FIELDP(T, "name", T_NAME, F_REQ, name, name_pos),
        FIELD(T, "labels", T_MAP, F_REQ | F_NONEMPTY, labels, .key_type = T_LABELKEY,
              .val_type = T_LABELVAL),
};
static const struct schema subset_schema = SCHEMA(T, subset_fields);
#undef T

#define T weft_service_spec
static const struct field service_fields[] = {
        FIELD(T, "protocol", T_ENUM, 0, protocol, .enums = protocols, .def = WEFT_PROTO_HTTP),
        FIELD(T, "ports", T_OBJ, F_REQ | F_LIST | F_NONEMPTY, ports, .sub = &port_schema),
        FIELD(T, "endpoints", T_OBJ, F_LIST, endpoints, .sub = &endpoint_schema),
        FIELD(T, "registry", T_OBJ, 0, registry, .sub = &weft_schema_service_registry),
        FIELD(T, "subsets", T_OBJ, F_LIST, subsets, .sub = &subset_schema),
        FIELD(T, "upstreams", T_REF, F_LIST, upstreams),
};
static const struct oneof service_oneofs[] = {{{"endpoints", "registry", NULL}, ONE_MAX}};
const struct schema weft_schema_service = SCHEMA_ONEOF(T, service_fields, service_oneofs);
#undef T

/* ---- matchers ----------------------------------------------------------- */

#define T weft_header_match
static const struct field header_match_fields[] = {
        FIELD(T, "name", T_HEADER, F_REQ, name), FIELD(T, "exact", T_STR, 0, exact),
        FIELD(T, "prefix", T_STR, 0, prefix),    FIELD(T, "regex", T_REGEX, 0, regex),
        FIELD(T, "present", T_BOOL, 0, present),
};
static const struct oneof header_match_oneofs[] = {
        {{"exact", "prefix", "regex", "present", NULL}, ONE_EXACT}};
const struct schema weft_schema_header_match =
        SCHEMA_ONEOF(T, header_match_fields, header_match_oneofs);
#undef T

#define T weft_path_match
static const struct field path_match_fields[] = {
        FIELD(T, "exact", T_URLPATH, 0, exact),
        FIELD(T, "prefix", T_URLPATH, 0, prefix),
        FIELD(T, "regex", T_REGEX, 0, regex),
};
static const struct oneof path_match_oneofs[] = {{{"exact", "prefix", "regex", NULL}, ONE_EXACT}};
static const struct schema path_match_schema =
        SCHEMA_ONEOF(T, path_match_fields, path_match_oneofs);
#undef T

#define T weft_query_match
static const struct field query_match_fields[] = {
        FIELD(T, "name", T_STR, F_REQ, name),
        FIELD(T, "exact", T_STR, 0, exact),
        FIELD(T, "regex", T_REGEX, 0, regex),
        FIELD(T, "present", T_BOOL, 0, present),
};
static const struct oneof query_match_oneofs[] = {{{"exact", "regex", "present", NULL}, ONE_EXACT}};
static const struct schema query_match_schema =
        SCHEMA_ONEOF(T, query_match_fields, query_match_oneofs);
#undef T

#define T weft_http_match
static const struct field http_match_fields[] = {
        FIELD(T, "path", T_OBJ, 0, path, .sub = &path_match_schema),
        FIELD(T, "method", T_ENUMSTR, 0, method, .enums = weft_http_methods),
        FIELD(T, "headers", T_OBJ, F_LIST, headers, .sub = &weft_schema_header_match),
        FIELD(T, "queryParams", T_OBJ, F_LIST, query_params, .sub = &query_match_schema),
};
static const struct schema http_match_schema = SCHEMA(T, http_match_fields);
#undef T

/* ---- Route -------------------------------------------------------------- */

#define T weft_destination
static const struct field http_dest_fields[] = {
        FIELD(T, "service", T_REF, F_REQ, service),
        FIELDP(T, "subset", T_NAME, 0, subset, subset_pos),
        FIELDP(T, "port", T_PORT, 0, port, port_pos),
        FIELDP(T, "weight", T_INT, F_HAS, weight, weight_pos, .has_off = offsetof(T, has_weight),
               .max = 100),
};
static const struct schema http_dest_schema = SCHEMA(T, http_dest_fields);
static const struct field tcp_dest_fields[] = {
        FIELD(T, "service", T_REF, F_REQ, service),
        FIELDP(T, "port", T_PORT, 0, port, port_pos),
        FIELDP(T, "weight", T_INT, F_HAS, weight, weight_pos, .has_off = offsetof(T, has_weight),
               .max = 100),
};
static const struct schema tcp_dest_schema = SCHEMA(T, tcp_dest_fields);
#undef T

#define T weft_retries
static const struct field retries_fields[] = {
        FIELD(T, "attempts", T_INT, F_REQ, attempts, .max = 10),
        FIELD(T, "perTryTimeout", T_DURATION, 0, per_try_timeout_ms),
        FIELD(T, "retryOn", T_ENUMSTR, F_LIST, retry_on, .enums = retry_conditions),
};
static const struct schema retries_schema = SCHEMA(T, retries_fields);
#undef T

#define T weft_fault_delay
static const struct field delay_fields[] = {
        FIELD(T, "percent", T_PERCENT, F_REQ, percent),
        FIELD(T, "duration", T_DURATION, F_REQ, duration_ms),
};
static const struct schema delay_schema = SCHEMA(T, delay_fields);
#undef T

#define T weft_fault_abort
static const struct field abort_fields[] = {
        FIELD(T, "percent", T_PERCENT, F_REQ, percent),
        FIELD(T, "status", T_INT, F_REQ, status, .min = 200, .max = 599),
};
static const struct schema abort_schema = SCHEMA(T, abort_fields);
#undef T

#define T weft_fault
static const struct field fault_fields[] = {
        FIELD(T, "delay", T_OBJ, 0, delay, .sub = &delay_schema),
        FIELD(T, "abort", T_OBJ, 0, abort, .sub = &abort_schema),
};
static const struct oneof fault_oneofs[] = {{{"delay", "abort", NULL}, ONE_MIN}};
static const struct schema fault_schema = SCHEMA_ONEOF(T, fault_fields, fault_oneofs);
#undef T

#define T weft_rewrite
static const struct field rewrite_fields[] = {
        FIELD(T, "prefix", T_URLPATH, 0, prefix),
        FIELD(T, "host", T_HOST, 0, host),
};
static const struct oneof rewrite_oneofs[] = {{{"prefix", "host", NULL}, ONE_MIN}};
static const struct schema rewrite_schema = SCHEMA_ONEOF(T, rewrite_fields, rewrite_oneofs);
#undef T

#define T weft_header_ops
static const struct field header_ops_fields[] = {
        FIELD(T, "add", T_MAP, 0, add, .key_type = T_HEADER, .val_type = T_STR),
        FIELD(T, "remove", T_HEADER, F_LIST, remove),
};
static const struct schema header_ops_schema = SCHEMA(T, header_ops_fields);
#undef T

#define T weft_header_rules
static const struct field header_rules_fields[] = {
        FIELD(T, "request", T_OBJ, 0, request, .sub = &header_ops_schema),
        FIELD(T, "response", T_OBJ, 0, response, .sub = &header_ops_schema),
};
static const struct schema header_rules_schema = SCHEMA(T, header_rules_fields);
#undef T

#define T weft_http_rule
static const struct field http_rule_fields[] = {
        FIELD(T, "name", T_NAME, 0, name),
        FIELD(T, "match", T_OBJ, F_LIST, match, .sub = &http_match_schema),
        FIELDP(T, "destinations", T_OBJ, F_REQ | F_LIST | F_NONEMPTY, destinations,
               destinations_pos, .sub = &http_dest_schema),
        FIELD(T, "timeout", T_DURATION, 0, timeout_ms),
        FIELD(T, "retries", T_OBJ, 0, retries, .sub = &retries_schema),
        FIELD(T, "fault", T_OBJ, 0, fault, .sub = &fault_schema),
        FIELD(T, "rewrite", T_OBJ, 0, rewrite, .sub = &rewrite_schema),
        FIELD(T, "headers", T_OBJ, 0, headers, .sub = &header_rules_schema),
};
static const struct schema http_rule_schema = SCHEMA(T, http_rule_fields);
#undef T

#define T weft_tcp_rule
static const struct field tcp_rule_fields[] = {
        FIELDP(T, "destinations", T_OBJ, F_REQ | F_LIST | F_NONEMPTY, destinations,
               destinations_pos, .sub = &tcp_dest_schema),
};
static const struct schema tcp_rule_schema = SCHEMA(T, tcp_rule_fields);
#undef T

#define T weft_route_spec
static const struct field route_fields[] = {
        FIELD(T, "service", T_REF, 0, service),
        FIELD(T, "hosts", T_HOSTPAT, F_LIST | F_NONEMPTY, hosts),
        FIELDP(T, "port", T_PORT, 0, port, port_pos),
        FIELD(T, "http", T_OBJ, F_LIST | F_NONEMPTY, http, .sub = &http_rule_schema),
        FIELD(T, "tcp", T_OBJ, F_LIST | F_NONEMPTY, tcp, .sub = &tcp_rule_schema),
};
static const struct oneof route_oneofs[] = {
        {{"service", "hosts", NULL}, ONE_EXACT},
        {{"http", "tcp", NULL}, ONE_EXACT},
};
const struct schema weft_schema_route = SCHEMA_ONEOF(T, route_fields, route_oneofs);
#undef T
