/* consulsim: type checks of register bodies before anything is stored.
 *
 * Consul decodes request bodies into Go structs, so a field of the wrong
 * type fails the whole request with 400 "Request decode failed: ..."; the
 * same happens here, naming the field path (Service.Tags[1]), and the
 * catalog never holds a value its readers do not expect. */
#include "consulsim.h"

#include <stdio.h>

struct vctx {
	char *msg;
	size_t n;
};

static int bad(struct vctx *v, const char *path, const char *want)
{
	snprintf(v->msg, v->n, "Request decode failed: %s: expected %s", path, want);
	return 400;
}

static int want_strings(struct vctx *v, json_t *o, const char *prefix, const char *const *keys)
{
	char path[160];

	for (; *keys; keys++) {
		json_t *f = jget(o, *keys);

		snprintf(path, sizeof(path), "%s%s", prefix, *keys);
		if (f && !json_is_string(f) && !json_is_null(f))
			return bad(v, path, "a string");
	}
	return 0;
}

static int want_str_map(struct vctx *v, json_t *o, const char *prefix, const char *key)
{
	json_t *m = jget(o, key), *e;
	const char *k;
	char path[160];

	snprintf(path, sizeof(path), "%s%s", prefix, key);
	if (!m || json_is_null(m))
		return 0;
	if (!json_is_object(m))
		return bad(v, path, "an object of strings");
	json_object_foreach(m, k, e)
	{
		if (!json_is_string(e))
			return bad(v, path, "an object of strings");
	}
	return 0;
}

static int want_bool(struct vctx *v, json_t *o, const char *path, const char *key)
{
	json_t *f = jget(o, key);

	return f && !json_is_boolean(f) && !json_is_null(f) ? bad(v, path, "true or false") : 0;
}

static int check_fields(struct vctx *v, json_t *ck, const char *path)
{
	static const char *const strs[] = {"CheckID",   "ID",   "Name", "Status", "Notes", "Output",
	                                   "ServiceID", "Node", "TTL",  "Type",   NULL};
	char prefix[64];

	if (!json_is_object(ck))
		return bad(v, path, "an object");
	snprintf(prefix, sizeof(prefix), "%s.", path);
	return want_strings(v, ck, prefix, strs);
}

static int checks_fields(struct vctx *v, json_t *o, const char *prefix)
{
	json_t *one = jget(o, "Check"), *many = jget(o, "Checks"), *ck;
	char path[64];
	size_t i;
	int rc;

	snprintf(path, sizeof(path), "%sCheck", prefix);
	if (one && !json_is_null(one) && (rc = check_fields(v, one, path)))
		return rc;
	snprintf(path, sizeof(path), "%sChecks", prefix);
	if (many && !json_is_null(many) && !json_is_array(many))
		return bad(v, path, "a list");
	json_array_foreach(many, i, ck)
	{
		snprintf(path, sizeof(path), "%sChecks[%zu]", prefix, i);
		if ((rc = check_fields(v, ck, path)))
			return rc;
	}
	return 0;
}

/* The service part: a catalog Service object or an agent body. */
static int service_fields(struct vctx *v, json_t *s, const char *prefix)
{
	static const char *const strs[] = {"ID", "Service", "Name", "Address", "Kind", NULL};
	json_t *tags = jget(s, "Tags"), *port = jget(s, "Port"), *w = jget(s, "Weights"), *e;
	json_t *ta = jget(s, "TaggedAddresses");
	char path[160];
	const char *k;
	size_t i;
	int rc;

	if ((rc = want_strings(v, s, prefix, strs)) || (rc = want_str_map(v, s, prefix, "Meta")))
		return rc;
	snprintf(path, sizeof(path), "%sTags", prefix);
	if (tags && !json_is_null(tags) && !json_is_array(tags))
		return bad(v, path, "a list of strings");
	json_array_foreach(tags, i, e)
	{
		snprintf(path, sizeof(path), "%sTags[%zu]", prefix, i);
		if (!json_is_string(e))
			return bad(v, path, "a string");
	}
	snprintf(path, sizeof(path), "%sPort", prefix);
	if (port && !json_is_null(port) &&
	    (!json_is_integer(port) || json_integer_value(port) < 0 ||
	     json_integer_value(port) > 65535))
		return bad(v, path, "a port number 0..65535");
	snprintf(path, sizeof(path), "%sWeights", prefix);
	if (w && !json_is_null(w) &&
	    (!json_is_object(w) || (jget(w, "Passing") && !json_is_integer(jget(w, "Passing"))) ||
	     (jget(w, "Warning") && !json_is_integer(jget(w, "Warning")))))
		return bad(v, path, "{Passing: integer, Warning: integer}");
	snprintf(path, sizeof(path), "%sTaggedAddresses", prefix);
	if (ta && !json_is_null(ta) && !json_is_object(ta))
		return bad(v, path, "an object of {Address, Port}");
	json_object_foreach(ta, k, e)
	{
		if (!json_is_object(e) ||
		    (jget(e, "Address") && !json_is_string(jget(e, "Address"))) ||
		    (jget(e, "Port") && !json_is_integer(jget(e, "Port"))))
			return bad(v, path, "an object of {Address, Port}");
	}
	snprintf(path, sizeof(path), "%sEnableTagOverride", prefix);
	return want_bool(v, s, path, "EnableTagOverride");
}

int validate_catalog_register(json_t *b, char *msg, size_t n)
{
	static const char *const strs[] = {"ID", "Node", "Address", "Datacenter", NULL};
	struct vctx v = {msg, n};
	json_t *sv = jget(b, "Service");
	int rc;

	if ((rc = want_strings(&v, b, "", strs)) || (rc = want_str_map(&v, b, "", "NodeMeta")) ||
	    (rc = want_str_map(&v, b, "", "TaggedAddresses")) ||
	    (rc = want_bool(&v, b, "SkipNodeUpdate", "SkipNodeUpdate")))
		return rc;
	if (sv && !json_is_null(sv)) {
		if (!json_is_object(sv))
			return bad(&v, "Service", "an object");
		if ((rc = service_fields(&v, sv, "Service.")))
			return rc;
	}
	return checks_fields(&v, b, "");
}

int validate_agent_service(json_t *b, char *msg, size_t n)
{
	struct vctx v = {msg, n};
	int rc = service_fields(&v, b, "");

	return rc ? rc : checks_fields(&v, b, "");
}
