/* Comparing a desired body (what weft would send) with an observed one
 * (what the device answered). Only the properties weft sets are compared;
 * defaults the device adds are ignored. BIG-IP answers some properties in
 * other shapes than it takes them, so each is normalised first:
 *   profiles, policies  set of full paths, from the array or from the
 *                       expanded <name>Reference.items subcollection
 *   rules (virtual)     ordered list of iRule paths; absent = []
 *   records             set of record names (data groups)
 *   apiAnonymous        TCL text without its first line (the mark with the
 *                       revision) and surrounding white space
 *   monitor             "", absent, none, /Common/none all mean none
 *   numbers vs strings  compared as text ("100" == 100)
 * LTM policy rules are not compared here: the policy's mark carries a hash
 * of the rules weft wrote (f5_diff.c compares it). */
#include "f5_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int identity_key(enum f5_type t, const char *k)
{
	return !strcmp(k, "name") || !strcmp(k, "partition") || !strcmp(k, "subPath") ||
	       !strcmp(k, "description") || (t == F5T_MEMBER && !strcmp(k, "address")) ||
	       (t == F5T_POLICY && !strcmp(k, "rules")) || !strcmp(k, "members");
}

static int set_key(const char *k)
{
	return !strcmp(k, "profiles") || !strcmp(k, "policies") || !strcmp(k, "records");
}

/* Names of a set-like property: strings, or objects' fullPath/name. */
static json_t *names_of(json_t *arr)
{
	json_t *out = json_array(), *v;
	size_t i;
	json_array_foreach(arr, i, v)
	{
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		if (!s)
			s = json_string_value(json_object_get(v, "fullPath"));
		if (!s)
			s = json_string_value(json_object_get(v, "name"));
		if (s)
			json_array_append_new(out, json_string(s));
	}
	return out;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
	              json_string_value(*(json_t *const *)b));
}

static json_t *sorted_names(json_t *arr)
{
	json_t *n = names_of(arr);
	size_t c = json_array_size(n);
	json_t **v = malloc((c + 1) * sizeof(*v));
	for (size_t i = 0; v && i < c; i++)
		v[i] = json_incref(json_array_get(n, i));
	if (v)
		qsort(v, c, sizeof(*v), cmp_str);
	json_t *out = json_array();
	for (size_t i = 0; v && i < c; i++)
		json_array_append_new(out, v[i]);
	free(v);
	json_decref(n);
	return out;
}

/* The observed value of a property, in the desired shape (new ref). */
static json_t *observed_value(const char *k, json_t *actual)
{
	json_t *v = json_object_get(actual, k);
	if (set_key(k) || !strcmp(k, "rules")) {
		if (!v) {
			char ref[64];
			snprintf(ref, sizeof(ref), "%sReference", k);
			v = json_object_get(json_object_get(actual, ref), "items");
		}
		json_t *names = set_key(k) ? sorted_names(v) : names_of(v);
		return names;
	}
	return v ? json_incref(v) : NULL;
}

static void trim_copy(const char *s, char *buf, size_t len)
{
	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	snprintf(buf, len, "%s", s);
	size_t n = strlen(buf);
	while (n && strchr(" \t\r\n", buf[n - 1]))
		buf[--n] = 0;
}

static const char *skip_first_line(const char *s)
{
	const char *nl = strchr(s, '\n');
	return nl ? nl + 1 : "";
}

static int text_equal(const char *a, const char *b)
{
	size_t la = strlen(a) + 1, lb = strlen(b) + 1;
	char *x = malloc(la), *y = malloc(lb);
	int eq = 0;
	if (x && y) {
		trim_copy(a, x, la);
		trim_copy(b, y, lb);
		eq = !strcmp(x, y);
	}
	free(x);
	free(y);
	return eq;
}

static const char *monitor_norm(json_t *v)
{
	const char *s = json_string_value(v);
	if (!s)
		return "none";
	while (*s == ' ')
		s++;
	if (!*s || !strcmp(s, "none") || !strcmp(s, "/Common/none"))
		return "none";
	return s;
}

/* A scalar as text: "100" and 100, "true" and true compare equal. */
static const char *scalar_text(json_t *v, char *buf, size_t len)
{
	if (json_is_integer(v)) {
		snprintf(buf, len, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	const char *s = json_string_value(v);
	return s; /* NULL: not comparable as text */
}

static int scalar_equal(json_t *d, json_t *a)
{
	if (json_equal(d, a))
		return 1;
	char x[64], y[64];
	const char *p = scalar_text(d, x, sizeof(x)), *q = scalar_text(a, y, sizeof(y));
	return p && q && !strcmp(p, q);
}

/* Whether every property of d is in a with the same value (recursive). */
static int subset_equal(json_t *d, json_t *a)
{
	if (json_is_object(d)) {
		if (!json_is_object(a))
			return 0;
		const char *k;
		json_t *v;
		json_object_foreach(d, k, v)
		{
			if (!subset_equal(v, json_object_get(a, k)))
				return 0;
		}
		return 1;
	}
	if (json_is_array(d)) {
		if (!json_is_array(a) || json_array_size(a) != json_array_size(d))
			return 0;
		for (size_t i = 0; i < json_array_size(d); i++)
			if (!subset_equal(json_array_get(d, i), json_array_get(a, i)))
				return 0;
		return 1;
	}
	return a && scalar_equal(d, a);
}

static int prop_equal(const char *k, json_t *d, json_t *actual)
{
	if (!strcmp(k, "monitor"))
		return !strcmp(monitor_norm(d), monitor_norm(json_object_get(actual, k)));
	if (!strcmp(k, "apiAnonymous")) {
		const char *a = json_string_value(json_object_get(actual, k));
		return a && text_equal(skip_first_line(json_string_value(d)), skip_first_line(a));
	}
	json_t *a = observed_value(k, actual);
	int eq;
	if (set_key(k)) {
		json_t *dn = sorted_names(d);
		eq = json_equal(dn, a);
		json_decref(dn);
	} else if (!strcmp(k, "rules")) {
		json_t *dn = names_of(d);
		eq = json_equal(dn, a);
		json_decref(dn);
	} else if (!a) {
		const char *s = json_string_value(d);
		eq = s && !*s; /* "" means absent */
	} else {
		eq = subset_equal(d, a);
	}
	json_decref(a);
	return eq;
}

json_t *f5_changed_props(enum f5_type t, json_t *desired, json_t *actual)
{
	json_t *patch = NULL, *v;
	const char *k;
	json_object_foreach(desired, k, v)
	{
		if (identity_key(t, k) || prop_equal(k, v, actual))
			continue;
		if (!patch)
			patch = json_object();
		json_object_set(patch, k, v);
	}
	return patch;
}

json_t *f5_old_props(enum f5_type t, json_t *keys, json_t *actual)
{
	(void)t;
	json_t *old = json_object(), *v;
	const char *k;
	json_object_foreach(keys, k, v)
	{
		if (!strcmp(k, "description")) {
			json_t *d = json_object_get(actual, k);
			json_object_set_new(old, k, d ? json_incref(d) : json_string(""));
			continue;
		}
		if (set_key(k) || !strcmp(k, "rules")) {
			json_t *names = observed_value(k, actual), *arr = json_array(), *n;
			size_t i;
			json_array_foreach(names, i, n)
			{
				if (!strcmp(k, "rules"))
					json_array_append(arr, n);
				else
					json_array_append_new(arr, json_pack("{s:O}", "name", n));
			}
			json_decref(names);
			json_object_set_new(old, k, arr);
			continue;
		}
		json_t *a = json_object_get(actual, k);
		if (!strcmp(k, "monitor"))
			json_object_set_new(old, k, json_string(monitor_norm(a)));
		else if (a)
			json_object_set(old, k, a);
	}
	return old;
}

static int readonly_key(const char *k)
{
	return !strcmp(k, "kind") || !strcmp(k, "selfLink") || !strcmp(k, "generation") ||
	       !strcmp(k, "fullPath") || !strcmp(k, "link") || !strcmp(k, "isSubcollection") ||
	       !strcmp(k, "status") || !strcmp(k, "state") || !strcmp(k, "session") ||
	       !strcmp(k, "ephemeral") || !strcmp(k, "lastModified") || !strcmp(k, "references");
}

json_t *f5_sanitize(json_t *observed)
{
	if (json_is_array(observed)) {
		json_t *out = json_array(), *v;
		size_t i;
		json_array_foreach(observed, i, v) json_array_append_new(out, f5_sanitize(v));
		return out;
	}
	if (!json_is_object(observed))
		return json_incref(observed);
	json_t *out = json_object(), *v;
	const char *k;
	json_object_foreach(observed, k, v)
	{
		size_t n = strlen(k);
		if (readonly_key(k))
			continue;
		if (n > 9 && !strcmp(k + n - 9, "Reference")) {
			json_t *items = json_object_get(v, "items");
			if (items) {
				char key[128];
				snprintf(key, sizeof(key), "%.*s", (int)(n - 9), k);
				json_object_set_new(out, key, f5_sanitize(items));
			}
			continue;
		}
		json_object_set_new(out, k, f5_sanitize(v));
	}
	return out;
}
