/* Schema tables of the Registry kind and of a Service's spec.registry (see
 * schema.h for the row format, docs/registries.md for the meaning). A
 * registry's token is a reference (file or environment variable), never
 * inline, like device credentials. */
#include <stddef.h>

#include "schema.h"

/* Order matches weft_registry_type (index + 1). */
static const char *const registry_types[] = {"consul", "etcd", NULL};

#define TOKEN_MSG                                                                                  \
	"inline secrets are not allowed in a policy: the token must come from a file or an "       \
	"environment variable (spec.token.file or spec.token.env)"
static const struct forbid token_forbid[] = {
        {"password", TOKEN_MSG}, {"value", TOKEN_MSG}, {"secret", TOKEN_MSG}, {NULL, NULL}};

#define T weft_secret_ref
static const struct field secret_fields[] = {
        FIELD(T, "file", T_FILEPATH, 0, file),
        FIELD(T, "env", T_ENVVAR, 0, env),
};
static const struct oneof secret_oneofs[] = {{{"file", "env", NULL}, ONE_EXACT}};
static const struct schema secret_schema = {.size = sizeof(T),
                                            .fields = secret_fields,
                                            .nfields = NFIELDS(secret_fields),
                                            .oneofs = secret_oneofs,
                                            .noneofs = NFIELDS(secret_oneofs),
                                            .forbid = token_forbid};
#undef T

#define T weft_registry_tls
static const struct field registry_tls_fields[] = {
        FIELD(T, "caFile", T_FILEPATH, 0, ca_file),
        FIELD(T, "certFile", T_FILEPATH, 0, cert_file),
        FIELD(T, "keyFile", T_FILEPATH, 0, key_file),
};
static const struct schema registry_tls_schema = SCHEMA(T, registry_tls_fields);
#undef T

#define T weft_registry_spec
static const struct field registry_fields[] = {
        FIELDP(T, "type", T_ENUM, F_REQ, type, type_pos, .enums = registry_types),
        FIELDP(T, "addresses", T_STR, F_REQ | F_LIST | F_NONEMPTY, addresses, addresses_pos),
        FIELDP(T, "datacenter", T_STR, 0, datacenter, datacenter_pos),
        FIELD(T, "token", T_OBJ, 0, token, .sub = &secret_schema),
        FIELD(T, "tls", T_OBJ, 0, tls, .sub = &registry_tls_schema),
        FIELDP(T, "planes", T_MAP, F_NONEMPTY, planes, planes_pos, .key_type = T_STR,
               .val_type = T_NAME),
};
const struct schema weft_schema_registry = {.size = sizeof(T),
                                            .fields = registry_fields,
                                            .nfields = NFIELDS(registry_fields),
                                            .forbid = token_forbid};
#undef T

#define T weft_service_registry
static const struct field service_registry_fields[] = {
        FIELD(T, "registry", T_REF, F_REQ, registry),
        FIELDP(T, "service", T_STR, 0, service, service_pos),
        FIELD(T, "tags", T_STR, F_LIST, tags),
        FIELDP(T, "key", T_STR, 0, key, key_pos),
        FIELDP(T, "passingOnly", T_BOOL, F_HAS, passing_only, passing_only_pos,
               .has_off = offsetof(T, has_passing_only), .def = 1),
};
const struct schema weft_schema_service_registry = SCHEMA(T, service_registry_fields);
#undef T
