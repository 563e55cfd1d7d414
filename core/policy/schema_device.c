/* Schema tables of the Gateway and Device kinds (see schema.h for the row
 * format, docs/policy.md for the meaning). Secrets never appear in a policy:
 * TLS material and device credentials are references (file paths or
 * environment variable names), and the obvious inline-secret field names are
 * refused with a message saying so. */
#include <stddef.h>

#include "schema.h"

static const char *const listener_protocols[] = {"http", "https", "tcp", "tls", NULL};
static const char *const server_tls_modes[] = {"simple", "mutual", NULL};
static const char *const device_types[] = {"xds", "f5", "netconf", "file", "haproxy", NULL};
static const char *const commit_modes[] = {"confirmed", "candidate", "running", NULL};
static const char *const drift_modes[] = {"alert", "repair", NULL};
static const char *const on_delete_modes[] = {"remove", "keep", NULL};

/* ---- Gateway -------------------------------------------------------------- */

static const struct forbid pem_forbid[] = {
        {"cert", "give certFile: a path to a PEM file, never inline PEM"},
        {"key", "give keyFile: a path to a PEM file, never inline PEM"},
        {"pem", "give certFile and keyFile: paths to PEM files, never inline PEM"},
        {NULL, NULL},
};

#define T weft_cert_ref
static const struct field cert_fields[] = {
        FIELD(T, "certFile", T_FILEPATH, F_REQ, cert_file),
        FIELD(T, "keyFile", T_FILEPATH, F_REQ, key_file),
};
static const struct schema cert_schema = {.size = sizeof(T),
                                          .fields = cert_fields,
                                          .nfields = NFIELDS(cert_fields),
                                          .forbid = pem_forbid};
#undef T

#define T weft_listener_tls
static const struct field listener_tls_fields[] = {
        FIELD(T, "mode", T_ENUM, 0, mode, .enums = server_tls_modes, .def = WEFT_SERVER_TLS_SIMPLE),
        FIELD(T, "certificate", T_OBJ, F_REQ, certificate, .sub = &cert_schema),
        FIELD(T, "caFile", T_FILEPATH, 0, ca_file),
};
static const struct schema listener_tls_schema = SCHEMA(T, listener_tls_fields);
#undef T

#define T weft_listener
static const struct field listener_fields[] = {
        FIELD(T, "name", T_NAME, F_REQ, name),
        FIELDP(T, "port", T_PORT, F_REQ, port, port_pos),
        FIELD(T, "protocol", T_ENUM, F_REQ, protocol, .enums = listener_protocols),
        FIELD(T, "hosts", T_HOSTPAT, F_LIST, hosts),
        FIELD(T, "tls", T_OBJ, 0, tls, .sub = &listener_tls_schema),
        FIELD(T, "routes", T_REF, F_LIST, routes),
};
static const struct schema listener_schema = SCHEMA(T, listener_fields);
#undef T

#define T weft_gateway_spec
static const struct field gateway_fields[] = {
        FIELD(T, "address", T_IP, 0, address),
        FIELD(T, "listeners", T_OBJ, F_REQ | F_LIST | F_NONEMPTY, listeners,
              .sub = &listener_schema),
};
const struct schema weft_schema_gateway = SCHEMA(T, gateway_fields);
#undef T

/* ---- Device ---------------------------------------------------------------- */

#define SECRET_MSG                                                                                 \
	"inline secrets are not allowed in a policy: credentials must come from a file or an "     \
	"environment variable (connection.credentials.file or connection.credentials.env)"
static const struct forbid secret_forbid[] = {
        {"password", SECRET_MSG}, {"token", SECRET_MSG},      {"secret", SECRET_MSG},
        {"apiKey", SECRET_MSG},   {"privateKey", SECRET_MSG}, {NULL, NULL},
};

#define T weft_credentials
static const struct field credentials_fields[] = {
        FIELD(T, "file", T_FILEPATH, 0, file),
        FIELD(T, "env", T_ENVVAR, 0, env),
};
static const struct oneof credentials_oneofs[] = {{{"file", "env", NULL}, ONE_EXACT}};
static const struct schema credentials_schema = {.size = sizeof(T),
                                                 .fields = credentials_fields,
                                                 .nfields = NFIELDS(credentials_fields),
                                                 .oneofs = credentials_oneofs,
                                                 .noneofs = NFIELDS(credentials_oneofs),
                                                 .forbid = secret_forbid};
#undef T

#define T weft_device_tls
static const struct field device_tls_fields[] = {
        FIELD(T, "caFile", T_FILEPATH, 0, ca_file),
        FIELD(T, "insecure", T_BOOL, 0, insecure),
};
static const struct schema device_tls_schema = SCHEMA(T, device_tls_fields);
#undef T

#define T weft_connection
static const struct field connection_fields[] = {
        FIELD(T, "address", T_HOST, F_REQ, address),
        FIELD(T, "port", T_PORT, 0, port),
        FIELD(T, "username", T_STR, 0, username),
        FIELD(T, "credentials", T_OBJ, 0, credentials, .sub = &credentials_schema),
        FIELD(T, "tls", T_OBJ, 0, tls, .sub = &device_tls_schema),
        FIELD(T, "hostKey", T_HOSTKEY, 0, host_key),
        FIELD(T, "timeout", T_DURATION, 0, timeout_ms),
};
static const struct schema connection_schema = {.size = sizeof(T),
                                                .fields = connection_fields,
                                                .nfields = NFIELDS(connection_fields),
                                                .forbid = secret_forbid};
#undef T

#define T weft_device_scope
static const struct field scope_fields[] = {
        FIELD(T, "namespaces", T_NAME, F_LIST, namespaces),
        FIELD(T, "services", T_REF, F_LIST, services),
        FIELD(T, "gateways", T_REF, F_LIST, gateways),
};
static const struct schema scope_schema = SCHEMA(T, scope_fields);
#undef T

#define T weft_node_match
static const struct field node_match_fields[] = {
        FIELD(T, "idPrefix", T_STR, 0, id_prefix),
        FIELD(T, "metadata", T_MAP, 0, metadata, .key_type = T_STR, .val_type = T_STR),
};
static const struct schema node_match_schema = SCHEMA(T, node_match_fields);
#undef T

#define T weft_device_options
static const struct field options_fields[] = {
        FIELDP(T, "partition", T_STR, 0, partition, partition_pos),
        FIELDP(T, "commit", T_ENUM, 0, commit, commit_pos, .enums = commit_modes),
        FIELDP(T, "confirmTimeout", T_DURATION, 0, confirm_timeout_ms, confirm_timeout_pos),
        FIELD(T, "nodeMatch", T_OBJ, 0, node_match, .sub = &node_match_schema),
        FIELDP(T, "directory", T_RELPATH, 0, directory, directory_pos),
        FIELDP(T, "configFile", T_STR, 0, config_file, config_file_pos),
        FIELDP(T, "haproxyBinary", T_STR, 0, haproxy_binary, haproxy_binary_pos),
        FIELDP(T, "masterPort", T_PORT, 0, master_port, master_port_pos),
};
static const struct schema options_schema = SCHEMA(T, options_fields);
#undef T

#define T weft_device_spec
static const struct field device_fields[] = {
        FIELDP(T, "type", T_ENUM, F_REQ | F_OPEN, type, type_pos, .enums = device_types),
        FIELD(T, "connection", T_OBJ, 0, connection, .sub = &connection_schema),
        FIELD(T, "scope", T_OBJ, 0, scope, .sub = &scope_schema),
        FIELD(T, "options", T_OBJ, 0, options, .sub = &options_schema),
        FIELD(T, "pushGroup", T_INT, 0, push_group, .max = 1000),
        FIELD(T, "drift", T_ENUM, 0, drift, .enums = drift_modes, .def = WEFT_DRIFT_ALERT),
        FIELD(T, "onDelete", T_ENUM, 0, on_delete, .enums = on_delete_modes,
              .def = WEFT_ON_DELETE_REMOVE),
        FIELD(T, "strict", T_BOOL, 0, strict),
};
const struct schema weft_schema_device = SCHEMA(T, device_fields);
#undef T
