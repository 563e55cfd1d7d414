/* Internal to core/policy: the table-driven schema decoder.
 *
 * Each policy kind is described by tables of field descriptors (schema_*.c):
 * the YAML name, a value type, flags, an offset into the typed C struct of
 * policy-t.h, and optional range / enum values / nested schema. One generic
 * engine (decode.c) walks a document node against such a table and, in one
 * pass, (1) checks it strictly, adding a diagnostic with file:line:col and
 * field path for EVERY problem, (2) fills the typed struct in the resource's
 * arena, (3) builds the canonical JSON (only the fields present in the
 * input, values typed and normalised). Adding a field to a kind is adding a
 * row to its table. */
#ifndef WEFT_POLICY_SCHEMA_H
#define WEFT_POLICY_SCHEMA_H

#include <jansson.h>
#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "doc.h"
#include "policy-t.h"

/* Value types. Each scalar type has a fixed C storage (see elem_size() in
 * decode.c): strings `const char *`, ints/enums/bools `int`, durations
 * `long long` (ms), percents `double`, refs `weft_ref`, maps `weft_labels`,
 * objects a pointer to the nested struct (a list: the struct itself). */
enum ftype {
	T_STR,       /* any string */
	T_NAME,      /* DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63 */
	T_SUBDOMAIN, /* DNS-1123 subdomain: labels joined by '.', <= 253 */
	T_REF,       /* "name" or "namespace/name" of a resource */
	T_INT,       /* integer within [min, max] */
	T_PORT,      /* integer 1-65535 */
	T_BOOL,      /* true / false only */
	T_ENUM,      /* one of enums[]; stored as index + 1 (int) */
	T_ENUMSTR,   /* one of enums[]; stored as the string (lists use this) */
	T_DURATION,  /* "250ms", "2s", "1m", "1h"; stored as ms */
	T_PERCENT,   /* number 0-100, fractions allowed */
	T_IP,        /* IPv4 or IPv6 address */
	T_HOST,      /* IP address or DNS hostname */
	T_HOSTPAT,   /* hostname, "*.example.com" or "*" */
	T_CIDR,      /* address/prefix */
	T_REGEX,     /* POSIX ERE (the common subset of RE2) */
	T_URLPATH,   /* "/..." */
	T_PATHPAT,   /* "/...", optionally ending in '*' (prefix) */
	T_HEADER,    /* HTTP header name (token, or :pseudo) */
	T_FILEPATH,  /* a file path: never inline PEM */
	T_RELPATH,   /* a relative directory path without ".." components */
	T_ENVVAR,    /* environment variable name */
	T_HOSTKEY,   /* "SHA256:<base64>" */
	T_LABELKEY,  /* Kubernetes-style label key ([prefix/]name) */
	T_LABELVAL,  /* Kubernetes-style label value */
	T_MAP,       /* map key_type -> val_type, stored as weft_labels */
	T_OBJ,       /* nested object described by sub */
};

enum {
	F_REQ = 1u << 0,      /* must be present */
	F_LIST = 1u << 1,     /* a list of the type */
	F_POS = 1u << 2,      /* store the value's position at pos_off */
	F_HAS = 1u << 3,      /* set the int at has_off to 1 when present */
	F_NONEMPTY = 1u << 4, /* list or map must have at least one entry */
	F_OPEN = 1u << 5,     /* T_ENUM: other lower-case names are accepted as the
	                       * value after the last listed one (adapter plugin
	                       * kinds), unless they look like a typo of one */
};

struct schema;

struct field {
	const char *name; /* YAML/JSON name (camelCase) */
	enum ftype type;
	unsigned flags;
	size_t off;
	size_t pos_off;
	size_t has_off;
	long long min, max;       /* T_INT range (max 0: no upper bound) */
	const char *const *enums; /* T_ENUM values, NULL-terminated */
	const struct schema *sub; /* T_OBJ */
	enum ftype key_type;      /* T_MAP */
	enum ftype val_type;      /* T_MAP */
	long long def;            /* default for T_INT/T_ENUM/T_BOOL when absent */
	double defd;              /* default for T_PERCENT when absent */
};

/* A group of related fields: at most one, exactly one, or at least one of
 * them must be given. */
enum { ONE_MAX, ONE_EXACT, ONE_MIN };
struct oneof {
	const char *names[5]; /* NULL-terminated */
	int mode;             /* ONE_* */
};

/* Field names that are refused with a specific message (e.g. inline secrets). */
struct forbid {
	const char *name;
	const char *msg;
};

struct schema {
	size_t size; /* sizeof the C struct */
	const struct field *fields;
	size_t nfields;
	const struct oneof *oneofs;
	size_t noneofs;
	const struct forbid *forbid; /* terminated by {NULL, NULL}; may be NULL */
};

#define NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* Table rows: FIELD(struct, "yamlName", type, flags, member, extras...),
 * FIELDP(...) also records the value's position in member `pm`. */
#define FIELD(T, n, ty, fl, m, ...)                                                                \
	{                                                                                          \
		.name = (n), .type = (ty), .flags = (fl), .off = offsetof(T, m), __VA_ARGS__       \
	}
#define FIELDP(T, n, ty, fl, m, pm, ...)                                                           \
	{                                                                                          \
		.name = (n), .type = (ty), .flags = (fl) | F_POS, .off = offsetof(T, m),           \
		.pos_off = offsetof(T, pm), __VA_ARGS__                                            \
	}
#define SCHEMA(T, flds)                                                                            \
	{                                                                                          \
		.size = sizeof(T), .fields = (flds), .nfields = NFIELDS(flds)                      \
	}
#define SCHEMA_ONEOF(T, flds, ones)                                                                \
	{                                                                                          \
		.size = sizeof(T), .fields = (flds), .nfields = NFIELDS(flds), .oneofs = (ones),   \
		.noneofs = NFIELDS(ones)                                                           \
	}

/* Decoder state for one document. */
struct dctx {
	weft_arena *arena; /* the resource's arena */
	weft_diags *diags;
	const char *file;
	const char *ns; /* namespace used to resolve T_REF without "ns/" */
	char path[1024];
	size_t plen;
	int errors;
};

/* Reports a problem at node (or line/col) with the current path plus an
 * optional suffix (e.g. ".port" for a missing field). */
void dctx_error(struct dctx *c, int line, int col, const char *suffix, const char *fmt, ...)
        __attribute__((format(printf, 5, 6)));
/* Path stack: push returns the length to pop back to. */
size_t dctx_push_field(struct dctx *c, const char *name);
size_t dctx_push_index(struct dctx *c, size_t i);
void dctx_pop(struct dctx *c, size_t len);

/* Decodes map node against schema into obj (sizeof schema->size, zeroed by
 * the caller). Returns the canonical JSON object (new reference), or NULL
 * when node is not a map. Problems are counted in c->errors. */
json_t *schema_decode_object(struct dctx *c, const struct schema *s, const weft_node *node,
                             void *obj);

/* Scalar decoding (scalar.c): checks node against a scalar type, stores the
 * value at dst and returns its canonical JSON, or NULL after reporting. */
json_t *scalar_decode(struct dctx *c, const struct field *f, enum ftype type, const weft_node *node,
                      void *dst);
/* Storage size of one value of a scalar type. */
size_t scalar_size(enum ftype type);
/* Human description of what a node holds, for messages ("the string \"80\""). */
const char *scalar_describe(const weft_node *n, char *buf, size_t len);

/* Name validators shared with validation (1 when valid). */
int weft_is_dns_label(const char *s);
int weft_is_dns_subdomain(const char *s);
/* Parses an IPv4 or IPv6 address (addr zero-padded); 0 on success. */
int weft_parse_ip(const char *s, int *family, unsigned char addr[16]);
/* Parses "a.b.c.d/n" or "v6/n"; 0 on success. */
int weft_parse_cidr(const char *s, int *family, unsigned char addr[16], int *prefix);

/* Did-you-mean: a case-insensitive match, else the closest candidate
 * (Levenshtein <= 2), else one sharing a prefix of at least 3 characters;
 * NULL when nothing is close. */
const char *weft_suggest(const char *word, const char *const *cands, size_t n);
/* Levenshtein distance, capped (returns cap+1 when larger). */
int weft_edit_distance(const char *a, const char *b, int cap);

/* The schema of each kind's spec (schema_*.c). */
/* The spec schema of a kind (weft_kind), or metadata's for kind -1
 * (policy_decode.c: the one table the decoder uses). */
const struct schema *weft_schema_of(int kind);

extern const struct schema weft_schema_service;
extern const struct schema weft_schema_route;
extern const struct schema weft_schema_traffic_policy;
extern const struct schema weft_schema_rate_limit;
extern const struct schema weft_schema_access_policy;
extern const struct schema weft_schema_peer_authentication;
extern const struct schema weft_schema_telemetry;
extern const struct schema weft_schema_gateway;
extern const struct schema weft_schema_device;
/* Shared pieces. */
extern const struct schema weft_schema_header_match;
extern const char *const weft_http_methods[];

#endif
