/* One etcd registry value -> one weft endpoint (see etcd_reg_value.h). The
 * format is CoreDNS/SkyDNS-compatible: {"host", "port", "weight",
 * "priority", "labels", "zone", "addresses"}; anything else is refused, so
 * a typo is reported rather than ignored. */
#include "etcd_reg_value.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int bad(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return -1;
}

static int is_ip(const char *s)
{
	unsigned char b[16];
	return inet_pton(AF_INET, s, b) == 1 || inet_pton(AF_INET6, s, b) == 1;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const weft_label *)a)->key, ((const weft_label *)b)->key);
}

/* A JSON object of strings -> sorted labels; map translates keys. */
static int decode_map(json_t *o, const char *field, int ips, const weft_labels *map,
                      weft_labels *out, char *why, size_t n)
{
	if (!json_is_object(o))
		return bad(why, n, "%s: not an object", field);
	out->items = calloc(json_object_size(o) + 1, sizeof(weft_label));
	if (!out->items)
		return bad(why, n, "out of memory");
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		if (!json_is_string(v))
			return bad(why, n, "%s.%s: not a string", field, k);
		if (ips && !is_ip(json_string_value(v)))
			return bad(why, n, "%s.%s: %s is not an IP address", field, k,
			           json_string_value(v));
		const char *name = k;
		for (size_t i = 0; map && i < map->count; i++)
			if (!strcmp(map->items[i].key, k))
				name = map->items[i].value;
		for (size_t i = 0; i < out->count; i++)
			if (!strcmp(out->items[i].key, name))
				return bad(why, n, "%s.%s: plane %s given twice", field, k, name);
		out->items[out->count].key = strdup(name);
		out->items[out->count++].value = strdup(json_string_value(v));
	}
	qsort(out->items, out->count, sizeof(weft_label), cmp_label);
	return 0;
}

/* An integer field in [lo, hi], or def when absent. */
static int int_field(json_t *o, const char *f, long lo, long hi, long def, long *out, char *why,
                     size_t n)
{
	json_t *v = json_object_get(o, f);
	if (!v) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad(why, n, "%s: not an integer in %ld..%ld", f, lo, hi);
	*out = (long)json_integer_value(v);
	return 0;
}

static int decode_obj(json_t *o, const weft_labels *planes, weft_endpoint *ep, char *why, size_t n)
{
	static const char *const known[] = {"host",   "port", "weight",    "priority",
	                                    "labels", "zone", "addresses", NULL};
	const char *k;
	json_t *v;
	json_object_foreach(o, k, v)
	{
		int i = 0;
		while (known[i] && strcmp(known[i], k))
			i++;
		if (!known[i])
			return bad(why, n, "%s: unknown field", k);
	}
	json_t *host = json_object_get(o, "host");
	if (host && (!json_is_string(host) || !is_ip(json_string_value(host))))
		return bad(why, n, "host: not an IP address");
	if (host)
		ep->address = strdup(json_string_value(host));
	long port, weight, prio;
	if (int_field(o, "port", 1, 65535, 0, &port, why, n) ||
	    int_field(o, "weight", 1, 128, 1, &weight, why, n) ||
	    int_field(o, "priority", 0, 65535, 0, &prio, why, n))
		return -1;
	/* weft endpoints have no priority: one other than 0 would be ignored,
	 * so it is refused. */
	if (prio)
		return bad(why, n, "priority: only 0 is supported");
	ep->port = (int)port;
	ep->weight = (int)weight;
	json_t *zone = json_object_get(o, "zone");
	if (zone && !json_is_string(zone))
		return bad(why, n, "zone: not a string");
	if (zone)
		ep->zone = strdup(json_string_value(zone));
	json_t *l = json_object_get(o, "labels");
	if (l && decode_map(l, "labels", 0, NULL, &ep->labels, why, n))
		return -1;
	json_t *a = json_object_get(o, "addresses");
	if (a && decode_map(a, "addresses", 1, planes, &ep->addresses, why, n))
		return -1;
	if (!ep->address && !ep->addresses.count)
		return bad(why, n, "host: required (or addresses)");
	return 0;
}

int ereg_decode(const char *value, size_t len, const weft_labels *planes, weft_endpoint *ep,
                char *why, size_t why_len)
{
	memset(ep, 0, sizeof(*ep));
	json_error_t je;
	json_t *o = json_loadb(value, len, JSON_REJECT_DUPLICATES, &je);
	int r;
	if (!o)
		r = bad(why, why_len, "not JSON: %s", je.text);
	else if (!json_is_object(o))
		r = bad(why, why_len, "not a JSON object");
	else
		r = decode_obj(o, planes, ep, why, why_len);
	json_decref(o);
	if (r)
		ereg_ep_clear(ep);
	return r;
}

static void labels_clear(weft_labels *l)
{
	for (size_t i = 0; i < l->count; i++) {
		free((char *)l->items[i].key);
		free((char *)l->items[i].value);
	}
	free(l->items);
}

void ereg_ep_clear(weft_endpoint *ep)
{
	free((char *)ep->address);
	free((char *)ep->zone);
	labels_clear(&ep->labels);
	labels_clear(&ep->addresses);
	memset(ep, 0, sizeof(*ep));
}

/* Index of key, or of where it goes (*found 0). */
static size_t find(const ereg_table *t, const char *key, int *found)
{
	size_t lo = 0, hi = t->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(t->keys[mid], key);
		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

int ereg_table_set(ereg_table *t, const char *key, weft_endpoint *ep)
{
	int found;
	size_t i = find(t, key, &found);
	if (found) {
		ereg_ep_clear(&t->eps[i]);
		if (ep) {
			t->eps[i] = *ep;
			return 0;
		}
		free(t->keys[i]);
		memmove(t->keys + i, t->keys + i + 1, (t->count - i - 1) * sizeof(char *));
		memmove(t->eps + i, t->eps + i + 1, (t->count - i - 1) * sizeof(weft_endpoint));
		t->count--;
		return 0;
	}
	if (!ep)
		return 0;
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **k = realloc(t->keys, cap * sizeof(char *));
		if (k)
			t->keys = k;
		weft_endpoint *e = k ? realloc(t->eps, cap * sizeof(weft_endpoint)) : NULL;
		if (!e)
			return -1;
		t->eps = e;
		t->cap = cap;
	}
	memmove(t->keys + i + 1, t->keys + i, (t->count - i) * sizeof(char *));
	memmove(t->eps + i + 1, t->eps + i, (t->count - i) * sizeof(weft_endpoint));
	t->keys[i] = strdup(key);
	t->eps[i] = *ep;
	t->count++;
	return 0;
}

void ereg_table_clear(ereg_table *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->keys[i]);
		ereg_ep_clear(&t->eps[i]);
	}
	free(t->keys);
	free(t->eps);
	memset(t, 0, sizeof(*t));
}
