/* Scalar types of the schema engine (see schema.h): YAML 1.2 core-schema
 * classification of plain scalars (so `80` is an integer and `"80"` a
 * string, and only `true`/`false` are booleans), then per-type checks and
 * normalisation: durations, percents, IP addresses, CIDRs, POSIX regexes,
 * DNS names, header names, file paths. Each type returns its canonical JSON
 * value, which is what the content hash is computed over. */
#include "policy.h"
#include "schema.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum sclass { SC_STRING, SC_INT, SC_FLOAT, SC_BOOL };

static int match_int(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

static int match_float(const char *s)
{
	if (!strcmp(s, ".inf") || !strcmp(s, "-.inf") || !strcmp(s, "+.inf") || !strcmp(s, ".nan"))
		return 1;
	if (*s == '-' || *s == '+')
		s++;
	int digits = 0;
	while (isdigit((unsigned char)*s)) {
		s++;
		digits++;
	}
	if (*s == '.') {
		s++;
		while (isdigit((unsigned char)*s)) {
			s++;
			digits++;
		}
	}
	if (!digits)
		return 0;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!isdigit((unsigned char)*s))
			return 0;
		while (isdigit((unsigned char)*s))
			s++;
	}
	return *s == '\0';
}

static enum sclass classify(const weft_node *n)
{
	if (n->quoted)
		return SC_STRING;
	if (!strcmp(n->str, "true") || !strcmp(n->str, "false"))
		return SC_BOOL;
	if (match_int(n->str))
		return SC_INT;
	if (match_float(n->str))
		return SC_FLOAT;
	return SC_STRING;
}

const char *scalar_describe(const weft_node *n, char *buf, size_t len)
{
	if (n->kind != WEFT_NODE_SCALAR) {
		snprintf(buf, len, "%s", weft_node_kind_name(n->kind));
		return buf;
	}
	static const char *const names[] = {"the string", "the integer", "the number",
	                                    "the boolean"};
	enum sclass k = classify(n);
	if (k == SC_STRING)
		snprintf(buf, len, "the string \"%.40s%s\"", n->str, n->len > 40 ? "..." : "");
	else
		snprintf(buf, len, "%s %.40s", names[k], n->str);
	return buf;
}

size_t scalar_size(enum ftype type)
{
	switch (type) {
	case T_INT:
	case T_PORT:
	case T_BOOL:
	case T_ENUM:
		return sizeof(int);
	case T_DURATION:
		return sizeof(long long);
	case T_PERCENT:
		return sizeof(double);
	case T_REF:
		return sizeof(weft_ref);
	case T_MAP:
		return sizeof(weft_labels);
	default:
		return sizeof(const char *);
	}
}

int weft_is_dns_label(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		         (ch == '-' && i > 0 && i < n - 1);
		if (!ok)
			return 0;
	}
	return 1;
}

int weft_is_dns_subdomain(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return 0;
	char buf[254];
	memcpy(buf, s, n + 1);
	char *save = NULL;
	if (buf[0] == '.' || buf[n - 1] == '.' || strstr(buf, ".."))
		return 0;
	for (char *tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save))
		if (!weft_is_dns_label(tok))
			return 0;
	return 1;
}

/* Hostnames as written by people: letters of either case, digits, '-' and
 * '.', labels of 1-63. */
static int is_hostname(const char *s)
{
	size_t n = strlen(s), label = 0;
	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.' || s[0] == '-')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '.') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum(ch) && !(ch == '-' && label > 0))
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

int weft_parse_ip(const char *s, int *family, unsigned char addr[16])
{
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

int weft_parse_cidr(const char *s, int *family, unsigned char addr[16], int *prefix)
{
	const char *slash = strchr(s, '/');
	if (!slash || slash - s >= 64 || !slash[1] || strlen(slash + 1) > 3)
		return -1;
	char ip[64];
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	if (weft_parse_ip(ip, family, addr))
		return -1;
	for (const char *p = slash + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	*prefix = atoi(slash + 1);
	return *prefix <= (*family == AF_INET ? 32 : 128) ? 0 : -1;
}

static int is_header_name(const char *s)
{
	if (*s == ':')
		s++;
	if (!*s || strlen(s) > 256)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("!#$%&'*+.^_`|~-", *s))
			return 0;
	return 1;
}

static int is_label_name(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

static int is_label_key(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return is_label_name(s, strlen(s));
	char prefix[254];
	size_t pl = (size_t)(slash - s);
	if (pl == 0 || pl > 253)
		return 0;
	memcpy(prefix, s, pl);
	prefix[pl] = '\0';
	return weft_is_dns_subdomain(prefix) && is_label_name(slash + 1, strlen(slash + 1));
}

/* "250ms", "2s", "1m", "1h": a positive integer and one unit, at most a
 * day. Returns ms, or -1. */
static long long parse_duration(const char *s)
{
	const char *p = s;
	long long v = 0;
	if (!isdigit((unsigned char)*p))
		return -1;
	while (isdigit((unsigned char)*p)) {
		v = v * 10 + (*p - '0');
		if (v > 86400000LL)
			return -1;
		p++;
	}
	long long mult;
	if (!strcmp(p, "ms"))
		mult = 1;
	else if (!strcmp(p, "s"))
		mult = 1000;
	else if (!strcmp(p, "m"))
		mult = 60000;
	else if (!strcmp(p, "h"))
		mult = 3600000;
	else
		return -1;
	v *= mult;
	return v >= 1 && v <= 86400000LL ? v : -1;
}

/* Canonical text of a duration: the largest unit that divides it. */
static json_t *duration_json(long long ms)
{
	char buf[32];
	if (ms % 3600000 == 0)
		snprintf(buf, sizeof(buf), "%lldh", ms / 3600000);
	else if (ms % 60000 == 0)
		snprintf(buf, sizeof(buf), "%lldm", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, sizeof(buf), "%llds", ms / 1000);
	else
		snprintf(buf, sizeof(buf), "%lldms", ms);
	return json_string(buf);
}

static json_t *decode_number(struct dctx *c, const struct field *f, enum ftype type,
                             const weft_node *n, void *dst, enum sclass k)
{
	char what[96];
	if (type == T_PERCENT) {
		char *pend = NULL;
		double v = strtod(n->str, &pend);
		if ((k != SC_INT && k != SC_FLOAT) || *pend || !isfinite(v) || v < 0 || v > 100) {
			dctx_error(c, n->line, n->col, NULL,
			           "expected a percentage between 0 and 100, got %s",
			           scalar_describe(n, what, sizeof(what)));
			return NULL;
		}
		*(double *)dst = v;
		if (v == floor(v))
			return json_integer((json_int_t)v);
		return json_real(v);
	}
	long long min = type == T_PORT ? 1 : f->min;
	long long max = type == T_PORT ? 65535 : (f->max ? f->max : INT_MAX);
	char *end = NULL;
	long long v = k == SC_INT ? strtoll(n->str, &end, 10) : 0;
	if (k != SC_INT || v < min || v > max) {
		const char *noun = type == T_PORT ? "a port number" : "an integer";
		if (k == SC_INT)
			dctx_error(c, n->line, n->col, NULL,
			           "%s is out of range: must be %lld-%lld", n->str, min, max);
		else
			dctx_error(c, n->line, n->col, NULL, "expected %s (%lld-%lld), got %s%s",
			           noun, min, max, scalar_describe(n, what, sizeof(what)),
			           n->quoted && match_int(n->str) ? " (remove the quotes)" : "");
		return NULL;
	}
	*(int *)dst = (int)v;
	return json_integer(v);
}

static json_t *decode_enum(struct dctx *c, const struct field *f, const weft_node *n, void *dst,
                           int as_string)
{
	size_t count = 0;
	for (; f->enums[count]; count++)
		if (!strcmp(f->enums[count], n->str)) {
			if (as_string)
				*(const char **)dst = f->enums[count];
			else
				*(int *)dst = (int)count + 1;
			return json_string(n->str);
		}
	char list[256] = "";
	size_t ll = 0;
	for (size_t i = 0; i < count; i++) {
		int w = snprintf(list + ll, sizeof(list) - ll, "%s%s", i ? ", " : "", f->enums[i]);
		if (w > 0 && ll + (size_t)w < sizeof(list))
			ll += (size_t)w;
	}
	const char *best = weft_suggest(n->str, f->enums, count);
	if ((f->flags & F_OPEN) && !best && !as_string && weft_is_dns_label(n->str)) {
		*(int *)dst = (int)count + 1;
		return json_string(n->str);
	}
	if (best)
		dctx_error(c, n->line, n->col, NULL,
		           "invalid value '%s' (did you mean '%s'?): must be one of %s", n->str,
		           best, list);
	else
		dctx_error(c, n->line, n->col, NULL, "invalid value '%s': must be one of %s",
		           n->str, list);
	return NULL;
}

static json_t *decode_ref(struct dctx *c, const weft_node *n, weft_ref *ref)
{
	const char *slash = strchr(n->str, '/');
	char ns[64];
	const char *name = n->str;
	if (slash) {
		size_t nl = (size_t)(slash - n->str);
		if (nl >= sizeof(ns))
			nl = sizeof(ns) - 1;
		memcpy(ns, n->str, nl);
		ns[nl] = '\0';
		name = slash + 1;
	}
	if ((slash && !weft_is_dns_label(ns)) || !weft_is_dns_subdomain(name)) {
		dctx_error(c, n->line, n->col, NULL,
		           "invalid reference '%s': expected NAME or NAMESPACE/NAME (lower-case "
		           "DNS names)",
		           n->str);
		return NULL;
	}
	ref->ns = slash ? weft_arena_strdup(c->arena, ns) : c->ns;
	ref->name = weft_arena_strdup(c->arena, name);
	ref->pos.line = n->line;
	ref->pos.col = n->col;
	return json_string(n->str);
}

/* String-valued types: checks the text, returns the canonical form (IPs and
 * CIDRs re-printed) or NULL with *why set. */
static const char *check_string(enum ftype type, const char *s, char *canon, size_t clen,
                                const char **why)
{
	int fam = 0, prefix = 0;
	unsigned char addr[16];
	regex_t re;
	switch (type) {
	case T_NAME:
		*why = "expected a lower-case DNS label ([a-z0-9]([-a-z0-9]*[a-z0-9])?, "
		       "at most 63 characters)";
		return weft_is_dns_label(s) ? s : NULL;
	case T_SUBDOMAIN:
		*why = "expected a lower-case DNS name (labels of [a-z0-9-] joined by '.')";
		return weft_is_dns_subdomain(s) ? s : NULL;
	case T_IP:
		*why = "expected an IPv4 or IPv6 address";
		if (weft_parse_ip(s, &fam, addr))
			return NULL;
		return inet_ntop(fam, addr, canon, (socklen_t)clen);
	case T_HOST:
		*why = "expected an IP address or a hostname";
		if (!weft_parse_ip(s, &fam, addr))
			return inet_ntop(fam, addr, canon, (socklen_t)clen);
		return is_hostname(s) ? s : NULL;
	case T_HOSTPAT:
		*why = "expected a hostname, '*.domain' or '*'";
		return !strcmp(s, "*") || is_hostname(s[0] == '*' && s[1] == '.' ? s + 2 : s)
		               ? s
		               : NULL;
	case T_CIDR:
		*why = "expected a CIDR block like 10.0.0.0/8 or fd00::/8";
		if (weft_parse_cidr(s, &fam, addr, &prefix))
			return NULL;
		inet_ntop(fam, addr, canon, (socklen_t)clen);
		snprintf(canon + strlen(canon), clen - strlen(canon), "/%d", prefix);
		return canon;
	case T_REGEX: {
		*why = "invalid regular expression";
		if (strlen(s) > 1024)
			return NULL;
		int rc = regcomp(&re, s, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			regerror(rc, &re, canon, clen);
			*why = canon;
			return NULL;
		}
		regfree(&re);
		return s;
	}
	case T_URLPATH:
	case T_PATHPAT: {
		*why = type == T_URLPATH ? "expected a path starting with '/'"
		                         : "expected a path starting with '/' (a final '*' makes "
		                           "it a prefix)";
		if (s[0] != '/')
			return NULL;
		for (const char *p = s; *p; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f ||
			    (*p == '*' && (type == T_URLPATH || p[1])))
				return NULL;
		return s;
	}
	case T_HEADER:
		*why = "expected an HTTP header name";
		return is_header_name(s) ? s : NULL;
	case T_FILEPATH:
		*why = "expected a file path (inline PEM or secrets are not allowed: reference "
		       "a file)";
		return *s && !strchr(s, '\n') && strncmp(s, "-----BEGIN", 10) ? s : NULL;
	case T_RELPATH: {
		char clean[PATH_MAX];
		*why = "expected a relative path without '..' naming a sub-directory (not "
		       "'.'): it is resolved under the file adapter's root directory";
		return weft_relpath_clean(s, clean, sizeof(clean)) ? NULL : s;
	}
	case T_ENVVAR:
		*why = "expected an environment variable name ([A-Za-z_][A-Za-z0-9_]*)";
		if (!isalpha((unsigned char)s[0]) && s[0] != '_')
			return NULL;
		for (const char *p = s; *p; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				return NULL;
		return s;
	case T_HOSTKEY:
		*why = "expected an SSH host key fingerprint like SHA256:<base64>";
		if (strncmp(s, "SHA256:", 7) || !s[7])
			return NULL;
		for (const char *p = s + 7; *p; p++)
			if (!isalnum((unsigned char)*p) && !strchr("+/=", *p))
				return NULL;
		return s;
	case T_LABELKEY:
		*why = "expected a label key ([prefix/]name: alphanumerics, '-', '_', '.')";
		return is_label_key(s) ? s : NULL;
	case T_LABELVAL:
		*why = "expected a label value (at most 63 alphanumerics, '-', '_', '.')";
		return !*s || is_label_name(s, strlen(s)) ? s : NULL;
	default:
		*why = "expected a string";
		return strlen(s) <= 4096 ? s : NULL;
	}
}

json_t *scalar_decode(struct dctx *c, const struct field *f, enum ftype type, const weft_node *n,
                      void *dst)
{
	char what[96];
	if (n->kind != WEFT_NODE_SCALAR) {
		dctx_error(c, n->line, n->col, NULL, "expected a scalar, got %s",
		           scalar_describe(n, what, sizeof(what)));
		return NULL;
	}
	enum sclass k = classify(n);
	switch (type) {
	case T_INT:
	case T_PORT:
	case T_PERCENT:
		return decode_number(c, f, type, n, dst, k);
	case T_BOOL:
		if (k != SC_BOOL) {
			dctx_error(c, n->line, n->col, NULL, "expected true or false, got %s",
			           scalar_describe(n, what, sizeof(what)));
			return NULL;
		}
		*(int *)dst = n->str[0] == 't';
		return json_boolean(n->str[0] == 't');
	default:
		break;
	}
	for (const char *p = n->str; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			dctx_error(c, n->line, n->col, NULL, "control characters are not allowed");
			return NULL;
		}
	if (strlen(n->str) != n->len) {
		dctx_error(c, n->line, n->col, NULL, "NUL characters are not allowed");
		return NULL;
	}
	if (k != SC_STRING && type != T_DURATION) {
		dctx_error(c, n->line, n->col, NULL, "expected a string, got %s (quote it)",
		           scalar_describe(n, what, sizeof(what)));
		return NULL;
	}
	if (type == T_ENUM || type == T_ENUMSTR)
		return decode_enum(c, f, n, dst, type == T_ENUMSTR);
	if (type == T_REF)
		return decode_ref(c, n, dst);
	if (type == T_DURATION) {
		long long ms = parse_duration(n->str);
		if (ms < 0) {
			dctx_error(c, n->line, n->col, NULL,
			           "invalid duration '%s': expected a positive integer with a unit "
			           "ms, s, m or h (e.g. 250ms, 2s), at most 24h",
			           n->str);
			return NULL;
		}
		*(long long *)dst = ms;
		return duration_json(ms);
	}
	char canon[256];
	const char *why = "";
	const char *ok = check_string(type, n->str, canon, sizeof(canon), &why);
	if (!ok) {
		dctx_error(c, n->line, n->col, NULL, "invalid value '%.80s': %s", n->str, why);
		return NULL;
	}
	*(const char **)dst = weft_arena_strdup(c->arena, ok);
	return json_string(*(const char **)dst);
}
