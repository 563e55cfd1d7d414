/* Route table of the REST API: (method, path) -> route id and the path
 * parameters (kind, namespace, name). Pure string work, no I/O, so that
 * routing is unit-tested on its own. Unknown paths are API_ROUTE_NONE
 * (404); known paths with a wrong method have method_ok = 0 (405 with an
 * Allow header); a path too long (414) or with a control byte in a
 * segment (400) is refused with bad_status set.
 *
 * Percent-decoding: the HTTP layer decodes with api_unescape, which keeps
 * the escapes of control bytes and of '%' as written. A decoded NUL would
 * cut the path short (`pz%00zz` read as `pz`); kept as text, it is seen
 * here and refused, and since '%' itself stays escaped, every '%' in the
 * path starts an escape, so nothing is ambiguous. */
#include <stddef.h>
#include <string.h>

#include "api-int.h"
#include "resource.h"

typedef struct fixed_route {
	const char *path;
	api_route_id id;
	const char *allow; /* comma-separated, as sent in Allow */
} fixed_route;

static const fixed_route fixed_routes[] = {
        {"/healthz", API_ROUTE_HEALTHZ, "GET, HEAD"},
        {"/metrics", API_ROUTE_METRICS, "GET, HEAD"},
        {"/v1/status", API_ROUTE_STATUS, "GET, HEAD"},
        {"/v1/revisions", API_ROUTE_REVISIONS, "GET, HEAD"},
        {"/v1/rollback", API_ROUTE_ROLLBACK, "POST"},
        {"/v1/apply", API_ROUTE_APPLY, "POST"},
        {"/v1/plan", API_ROUTE_PLAN, "GET, POST"},
        {"/v1/transactions", API_ROUTE_TRANSACTIONS, "GET, HEAD"},
        {"/v1/events", API_ROUTE_EVENTS, "GET"},
};

static const char *const templates[API_ROUTE_COUNT] = {
        [API_ROUTE_NONE] = "other",
        [API_ROUTE_HEALTHZ] = "/healthz",
        [API_ROUTE_METRICS] = "/metrics",
        [API_ROUTE_STATUS] = "/v1/status",
        [API_ROUTE_REVISIONS] = "/v1/revisions",
        [API_ROUTE_ROLLBACK] = "/v1/rollback",
        [API_ROUTE_APPLY] = "/v1/apply",
        [API_ROUTE_PLAN] = "/v1/plan",
        [API_ROUTE_TRANSACTIONS] = "/v1/transactions",
        [API_ROUTE_EVENTS] = "/v1/events",
        [API_ROUTE_LIST] = "/v1/{plural}",
        [API_ROUTE_RESOURCE] = "/v1/{plural}/{namespace}/{name}",
};

const char *api_route_template(api_route_id id)
{
	return id < API_ROUTE_COUNT ? templates[id] : "other";
}

int api_method_is_read(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

/* Whether method appears in a comma-separated allow list. */
static int method_allowed(const char *allow, const char *method)
{
	size_t n = strlen(method);
	if (n == 0)
		return 0; /* strstr finds "" everywhere: the loop would not advance */
	for (const char *p = allow; (p = strstr(p, method)); p += n) {
		int starts = p == allow || p[-1] == ' ';
		int ends = p[n] == '\0' || p[n] == ',';
		if (starts && ends)
			return 1;
	}
	return 0;
}

static int hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The byte of the escape "%XX" at p, or -1 when p holds none. */
static int escaped_byte(const char *p)
{
	if (p[0] != '%')
		return -1;
	int hi = hex_value((unsigned char)p[1]);
	int lo = hi < 0 ? -1 : hex_value((unsigned char)p[2]);
	return lo < 0 ? -1 : hi * 16 + lo;
}

static int is_control(int byte)
{
	return byte >= 0 && (byte < 0x20 || byte == 0x7f);
}

size_t api_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	char *w = s;
	for (const char *r = s; *r;) {
		int byte = escaped_byte(r);
		if (byte < 0 || byte == '%' || is_control(byte)) {
			*w++ = *r++; /* as written (the route layer decides) */
			continue;
		}
		*w++ = (char)byte;
		r += 3;
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* The first segment of path holding a control byte (raw, or an escape
 * api_unescape kept) copied into seg; 1 when there is one, else 0. */
static int control_segment(const char *path, char *seg, size_t size)
{
	const char *start = path;
	for (const char *p = path; *p; p++) {
		if (*p == '/') {
			start = p + 1;
			continue;
		}
		if (!is_control((unsigned char)*p) && !is_control(escaped_byte(p)))
			continue;
		size_t len = strcspn(start, "/");
		snprintf(seg, size, "%.*s", (int)(len < size ? len : size - 1), start);
		return 1;
	}
	return 0;
}

/* Decodes the "%25" escapes api_unescape kept, in place. */
static void decode_percent(char *seg)
{
	char *w = seg;
	for (const char *r = seg; *r;) {
		if (escaped_byte(r) == '%') {
			*w++ = '%';
			r += 3;
		} else
			*w++ = *r++;
	}
	*w = '\0';
}

/* Splits "a/b/c" (no leading slash) into at most max segments; returns the
 * count, or -1 for more segments, an empty one, or one that is too long. */
static int split_path(const char *p, char seg[][254], int max)
{
	int n = 0;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len >= 254 || n == max)
			return -1;
		memcpy(seg[n], p, len);
		seg[n][len] = '\0';
		decode_percent(seg[n]);
		n++;
		if (!slash)
			break;
		p = slash + 1;
		if (!*p) /* one trailing slash is tolerated */
			break;
	}
	return n;
}

static void match_resource_path(const char *method, const char *rest, api_route *out)
{
	char seg[3][254];
	int n = split_path(rest, seg, 3);
	weft_kind kind;
	if (n < 1)
		return;
	if (weft_kind_from_plural(seg[0], &kind) != 0) {
		out->unknown = "unknown resource type";
		strcpy(out->name, seg[0]);
		return;
	}
	out->kind = (int)kind;
	if (n == 3) {
		out->id = API_ROUTE_RESOURCE;
		out->allow = "GET, HEAD, PUT, DELETE";
		strcpy(out->name, seg[2]);
	} else {
		out->id = API_ROUTE_LIST;
		out->allow = "GET, HEAD";
	}
	if (n >= 2)
		strcpy(out->ns, seg[1]);
	out->method_ok = method_allowed(out->allow, method);
}

void api_route_match(const char *method, const char *path, api_route *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = -1;
	out->allow = "";
	size_t len = strlen(path);
	if (len > API_MAX_PATH) {
		out->bad_status = 414;
		return;
	}
	if (control_segment(path, out->name, sizeof(out->name))) {
		out->bad_status = 400;
		return;
	}
	for (size_t i = 0; i < sizeof(fixed_routes) / sizeof(fixed_routes[0]); i++) {
		const fixed_route *r = &fixed_routes[i];
		size_t rl = strlen(r->path);
		if (strncmp(path, r->path, rl) != 0 ||
		    (len != rl && !(len == rl + 1 && path[rl] == '/')))
			continue;
		out->id = r->id;
		out->allow = r->allow;
		out->method_ok = method_allowed(r->allow, method);
		return;
	}
	if (strncmp(path, "/v1/", 4) == 0)
		match_resource_path(method, path + 4, out);
}
