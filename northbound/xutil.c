/* Reading foreign documents for translators (northbound/xlate.h): typed
 * accessors that refuse a wrong type at its place, durations in the Go /
 * Gateway API syntax, relative weights to percentages, and cluster service
 * host names. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nb_common.h"

const weft_node *nb_at(const weft_node *map, const char *key)
{
	const weft_node *v = weft_node_get(map, key);
	return v ? v : map;
}

static const weft_node *get_kind(weft_xlate *x, const weft_xsrc *src, const weft_node *map,
                                 const char *key, const char *path, weft_node_kind kind)
{
	const weft_node *v = weft_node_get(map, key);
	if (!v || v->kind == WEFT_NODE_NULL)
		return NULL;
	if (v->kind != kind) {
		nb_refuse(x, src, v, path, "expected %s, got %s", weft_node_kind_name(kind),
		          weft_node_kind_name(v->kind));
		return NULL;
	}
	return v;
}

const char *nb_str(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
                   const char *path)
{
	const weft_node *v = get_kind(x, src, map, key, path, WEFT_NODE_SCALAR);
	return v ? v->str : NULL;
}

const weft_node *nb_map(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
                        const char *path)
{
	return get_kind(x, src, map, key, path, WEFT_NODE_MAP);
}

const weft_node *nb_seq(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
                        const char *path)
{
	return get_kind(x, src, map, key, path, WEFT_NODE_SEQ);
}

int nb_int(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
           const char *path, long long min, long long max, long long *out)
{
	const weft_node *v = weft_node_get(map, key);
	if (!v || v->kind == WEFT_NODE_NULL)
		return 0;
	char *end;
	errno = 0;
	long long n = v->kind == WEFT_NODE_SCALAR && !v->quoted ? strtoll(v->str, &end, 10) : 0;
	if (v->kind == WEFT_NODE_SCALAR && !v->quoted && *v->str && !*end && errno == ERANGE) {
		nb_refuse(x, src, v, path, "%s is out of range %lld-%lld", v->str, min, max);
		return -1;
	}
	if (v->kind != WEFT_NODE_SCALAR || v->quoted || !*v->str || *end || errno) {
		nb_refuse(x, src, v, path, "expected an integer, got %s",
		          v->kind == WEFT_NODE_SCALAR ? "a string" : weft_node_kind_name(v->kind));
		return -1;
	}
	if (n < min || n > max) {
		nb_refuse(x, src, v, path, "%lld is out of range %lld-%lld", n, min, max);
		return -1;
	}
	*out = n;
	return 1;
}

int nb_bool(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
            const char *path, int *out)
{
	const weft_node *v = weft_node_get(map, key);
	if (!v || v->kind == WEFT_NODE_NULL)
		return 0;
	if (v->kind != WEFT_NODE_SCALAR || v->quoted ||
	    (strcmp(v->str, "true") && strcmp(v->str, "false"))) {
		nb_refuse(x, src, v, path, "expected true or false");
		return -1;
	}
	*out = !strcmp(v->str, "true");
	return 1;
}

int nb_duration_ms(const char *s, long long *ms)
{
	/* Sums "<number><unit>" terms; fractions allowed, as in Go's
	 * time.ParseDuration (Istio) and GEP-2257 (Gateway API). The total is
	 * kept in microseconds so that "1.5ms" is seen as not whole. */
	static const struct {
		const char *unit;
		double us;
	} units[] = {{"ms", 1e3}, {"us", 1}, {"h", 3600e6}, {"m", 60e6}, {"s", 1e6}};
	double total = 0;
	const char *p = s;
	if (!*p)
		return -1;
	while (*p) {
		char *end;
		if (!isdigit((unsigned char)*p) && *p != '.')
			return -1;
		double v = strtod(p, &end);
		if (end == p)
			return -1;
		p = end;
		size_t u;
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (!strncmp(p, units[u].unit, strlen(units[u].unit)))
				break;
		if (u == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[u].us;
		p += strlen(units[u].unit);
		if (total > 86400e6 * 366)
			return -1;
	}
	long long us = (long long)(total + 0.5);
	if (us % 1000)
		return -1;
	*ms = us / 1000;
	return 0;
}

json_t *nb_duration_json(long long ms)
{
	char t[32];
	if (ms % 3600000 == 0)
		snprintf(t, sizeof(t), "%lldh", ms / 3600000);
	else if (ms % 60000 == 0)
		snprintf(t, sizeof(t), "%lldm", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(t, sizeof(t), "%llds", ms / 1000);
	else
		snprintf(t, sizeof(t), "%lldms", ms);
	return json_string(t);
}

int nb_weights_percent(const long long *w, size_t n, long long *out)
{
	long long sum = 0, given = 0;
	for (size_t i = 0; i < n; i++)
		sum += w[i];
	if (sum <= 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		out[i] = w[i] * 100 / sum;
		given += out[i];
	}
	/* Hand the rest to the largest remainders, earlier entries first. */
	while (given < 100) {
		size_t best = n;
		long long best_rem = -1;
		for (size_t i = 0; i < n; i++) {
			long long rem = w[i] * 100 % sum;
			if (w[i] > 0 && rem > best_rem && out[i] * sum < w[i] * 100) {
				best = i;
				best_rem = rem;
			}
		}
		if (best == n)
			break;
		out[best]++;
		given++;
	}
	return 0;
}

static int dns_label(const char *s, size_t n)
{
	if (n == 0 || n > 63)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return s[0] != '-' && s[n - 1] != '-';
}

int nb_service_host(const char *host, const char *def_ns, char *name, size_t name_cap, char *ns,
                    size_t ns_cap)
{
	const char *parts[8];
	size_t lens[8], n = 0;
	const char *p = host;
	while (n < 8) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		parts[n] = p;
		lens[n++] = len;
		if (!dot)
			break;
		p = dot + 1;
	}
	for (size_t i = 0; i < n; i++)
		if (!dns_label(parts[i], lens[i]))
			return -1;
	/* name (in the document's namespace) or name.ns.svc.cluster.local: Istio
	 * takes any other dotted host as an external name, and so does weft. */
	int ok = n == 1 || (n == 5 && !strcmp(parts[2], "svc.cluster.local"));
	if (!ok || lens[0] >= name_cap || (n > 1 && lens[1] >= ns_cap) || strlen(def_ns) >= ns_cap)
		return -1;
	memcpy(name, parts[0], lens[0]);
	name[lens[0]] = '\0';
	if (n > 1) {
		memcpy(ns, parts[1], lens[1]);
		ns[lens[1]] = '\0';
	} else {
		strcpy(ns, def_ns);
	}
	return 0;
}

json_t *nb_labels(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *path)
{
	if (!map || map->kind != WEFT_NODE_MAP || map->count == 0)
		return NULL;
	json_t *o = json_object();
	for (size_t i = 0; o && i < map->count; i++) {
		const weft_node *v = map->pairs[i].value;
		if (v->kind != WEFT_NODE_SCALAR) {
			nb_refuse(x, src, v, path, "label '%s': expected a string",
			          map->pairs[i].key->str);
			continue;
		}
		json_object_set_new(o, map->pairs[i].key->str, json_string(v->str));
	}
	if (o && json_object_size(o) == 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

const char *nb_path(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return buf;
}

void nb_append(json_t *obj, const char *key, json_t *v)
{
	json_t *a = json_object_get(obj, key);
	if (!a) {
		a = json_array();
		json_object_set_new(obj, key, a);
	}
	json_array_append_new(a, v);
}

int nb_labels_subset(const json_t *small, const json_t *big)
{
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)small, k, v)
	{
		json_t *o = json_object_get(big, k);
		if (!o || !json_equal(o, v))
			return 0;
	}
	return 1;
}
