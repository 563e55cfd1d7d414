/* Encoded resources, resource sets and interned name sets (see xds_res.h).
 * The response framing is written by hand here (protobuf wire format:
 * varint tags and lengths) because it wraps bytes that are already packed:
 *   Any      { type_url = 1; value = 2; }
 *   Resource { version = 1; resource = 2 (Any); name = 3; }
 *   DiscoveryResponse.resources = 2, DeltaDiscoveryResponse.resources = 2
 * (field numbers as in models/proto, checked against Envoy's by the wire
 * test). */
#include "xds_res.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "xds_pb.h"

static const char *const type_urls[XDS_NTYPES] = {
        [XDS_SDS] = XDS_URL_SECRET,   [XDS_CDS] = XDS_URL_CLUSTER, [XDS_EDS] = XDS_URL_CLA,
        [XDS_LDS] = XDS_URL_LISTENER, [XDS_RDS] = XDS_URL_ROUTE,
};
static const char *const type_shorts[XDS_NTYPES] = {
        [XDS_SDS] = "sds", [XDS_CDS] = "cds", [XDS_EDS] = "eds",
        [XDS_LDS] = "lds", [XDS_RDS] = "rds",
};

const char *xds_type_url(xds_type t)
{
	return type_urls[t];
}

const char *xds_type_short(xds_type t)
{
	return type_shorts[t];
}

int xds_type_from_url(const char *url)
{
	for (int t = 0; url && t < XDS_NTYPES; t++)
		if (!strcmp(url, type_urls[t]))
			return t;
	return -1;
}

int xds_type_full_state(xds_type t)
{
	return t == XDS_LDS || t == XDS_CDS;
}

static size_t varint_len(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* tag (wire type 2) + length + bytes */
static uint8_t *put_field(uint8_t *p, int field, const void *data, size_t len)
{
	*p++ = (uint8_t)(field << 3 | 2);
	p = put_varint(p, len);
	if (len)
		memcpy(p, data, len);
	return p + len;
}

static size_t field_len(size_t len)
{
	return 1 + varint_len(len) + len;
}

xds_res *xds_res_new(xds_type type, const char *name, const ProtobufCMessage *m)
{
	xds_res *r = calloc(1, sizeof(*r));
	size_t vlen = protobuf_c_message_get_packed_size(m);
	const char *url = type_urls[type];
	size_t any_len = field_len(strlen(url)) + field_len(vlen);
	uint8_t *value = malloc(vlen ? vlen : 1);
	if (!r || !value || !(r->name = strdup(name)))
		goto fail;
	protobuf_c_message_pack(m, value);
	atomic_init(&r->refs, 1);
	r->type = type;
	r->value_len = vlen;
	r->hash = weft_hash_bytes(weft_hash_str(WEFT_HASH_SEED, url), value, vlen);
	snprintf(r->version, sizeof(r->version), "%016llx", (unsigned long long)r->hash);
	r->sotw_len = field_len(any_len);
	size_t res_len = field_len(16) + field_len(any_len) + field_len(strlen(name));
	r->delta_len = field_len(res_len);
	r->sotw = malloc(r->sotw_len);
	r->delta = malloc(r->delta_len);
	if (!r->sotw || !r->delta)
		goto fail;
	/* SotW: field 2 = Any{type_url, value} */
	uint8_t *p = r->sotw;
	*p++ = 2 << 3 | 2;
	p = put_varint(p, any_len);
	p = put_field(p, 1, url, strlen(url));
	put_field(p, 2, value, vlen);
	/* Delta: field 2 = Resource{version, resource = Any, name} */
	p = r->delta;
	*p++ = 2 << 3 | 2;
	p = put_varint(p, res_len);
	p = put_field(p, 1, r->version, 16);
	p = put_field(p, 2, r->sotw + (r->sotw_len - any_len), any_len);
	put_field(p, 3, name, strlen(name));
	free(value);
	return r;
fail:
	free(value);
	if (r) {
		free(r->name);
		free(r->sotw);
		free(r->delta);
		free(r);
	}
	return NULL;
}

xds_res *xds_res_ref(xds_res *r)
{
	if (r)
		atomic_fetch_add(&r->refs, 1);
	return r;
}

void xds_res_unref(xds_res *r)
{
	if (!r || atomic_fetch_sub(&r->refs, 1) != 1)
		return;
	free(r->name);
	free(r->sotw);
	free(r->delta);
	free(r);
}

const uint8_t *xds_res_value(const xds_res *r, size_t *len)
{
	*len = r->value_len;
	return r->sotw + r->sotw_len - r->value_len;
}

/* ---- resource sets ----------------------------------------------------- */

static atomic_ullong next_set_id = 1;

xds_resset *xds_resset_new(void)
{
	xds_resset *s = calloc(1, sizeof(*s));
	if (s) {
		atomic_init(&s->refs, 1);
		s->id = atomic_fetch_add(&next_set_id, 1);
	}
	return s;
}

int xds_resset_add(xds_resset *s, xds_res *r)
{
	if (!r)
		return -1;
	if (s->count == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		xds_res **items = realloc(s->items, cap * sizeof(*items));
		if (!items) {
			xds_res_unref(r);
			return -1;
		}
		s->items = items;
		s->cap = cap;
	}
	s->items[s->count++] = r;
	return 0;
}

static int res_cmp(const void *a, const void *b)
{
	return strcmp((*(xds_res *const *)a)->name, (*(xds_res *const *)b)->name);
}

static int add_changed(xds_resset *s, const char *name, size_t *cap)
{
	if (s->n_changed == *cap) {
		*cap = *cap ? *cap * 2 : 8;
		char **c = realloc(s->changed, *cap * sizeof(*c));
		if (!c)
			return -1;
		s->changed = c;
	}
	if (!(s->changed[s->n_changed] = strdup(name)))
		return -1;
	s->n_changed++;
	return 0;
}

int xds_resset_seal(xds_resset *s, const xds_resset *pred)
{
	if (s->count)
		qsort(s->items, s->count, sizeof(*s->items), res_cmp);
	size_t w = 0;
	for (size_t i = 0; i < s->count; i++) {
		if (w && !strcmp(s->items[w - 1]->name, s->items[i]->name))
			xds_res_unref(s->items[i]);
		else
			s->items[w++] = s->items[i];
	}
	s->count = w;
	size_t cap = 0, i = 0, j = 0;
	s->bytes = 0;
	if (pred)
		s->pred_id = pred->id;
	while (pred && (i < s->count || j < pred->count)) {
		int c = i == s->count      ? 1
		        : j == pred->count ? -1
		                           : strcmp(s->items[i]->name, pred->items[j]->name);
		if (c < 0) {
			if (add_changed(s, s->items[i]->name, &cap))
				return -1;
			i++;
		} else if (c > 0) {
			if (add_changed(s, pred->items[j]->name, &cap))
				return -1;
			j++;
		} else {
			xds_res *old = pred->items[j];
			if (old->hash == s->items[i]->hash &&
			    old->value_len == s->items[i]->value_len) {
				xds_res_unref(s->items[i]);
				s->items[i] = xds_res_ref(old);
			} else if (add_changed(s, s->items[i]->name, &cap)) {
				return -1;
			}
			i++;
			j++;
		}
	}
	for (i = 0; i < s->count; i++)
		s->bytes += s->items[i]->sotw_len;
	return 0;
}

xds_res *xds_resset_find(const xds_resset *s, const char *name)
{
	size_t lo = 0, hi = s ? s->count : 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, s->items[mid]->name);
		if (!c)
			return s->items[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const uint8_t *xds_resset_all_sotw(xds_resset *s)
{
	if (s->all_sotw || !s->bytes)
		return s->all_sotw;
	uint8_t *p = malloc(s->bytes);
	if (!p)
		return NULL;
	size_t off = 0;
	for (size_t i = 0; i < s->count; i++) {
		memcpy(p + off, s->items[i]->sotw, s->items[i]->sotw_len);
		off += s->items[i]->sotw_len;
	}
	s->all_sotw = p;
	return p;
}

xds_resset *xds_resset_ref(xds_resset *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

void xds_resset_unref(xds_resset *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->count; i++)
		xds_res_unref(s->items[i]);
	for (size_t i = 0; i < s->n_changed; i++)
		free(s->changed[i]);
	free(s->changed);
	free(s->items);
	free(s->all_sotw);
	free(s);
}

/* ---- name sets ----------------------------------------------------------- */

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

xds_nameset *xds_nameset_new(char *const *names, size_t n)
{
	xds_nameset *s = calloc(1, sizeof(*s));
	if (!s || !(s->names = calloc(n ? n : 1, sizeof(char *)))) {
		free(s);
		return NULL;
	}
	atomic_init(&s->refs, 1);
	for (size_t i = 0; i < n; i++)
		if (!(s->names[s->count++] = strdup(names[i]))) {
			xds_nameset_unref(s);
			return NULL;
		}
	if (s->count)
		qsort(s->names, s->count, sizeof(char *), str_cmp);
	size_t w = 0;
	for (size_t i = 0; i < s->count; i++) {
		if (w && !strcmp(s->names[w - 1], s->names[i]))
			free(s->names[i]);
		else
			s->names[w++] = s->names[i];
	}
	s->count = w;
	s->hash = WEFT_HASH_SEED;
	for (size_t i = 0; i < s->count; i++)
		s->hash = weft_hash_bytes(s->hash, s->names[i], strlen(s->names[i]) + 1);
	return s;
}

xds_nameset *xds_nameset_ref(xds_nameset *s)
{
	if (s)
		atomic_fetch_add(&s->refs, 1);
	return s;
}

void xds_nameset_unref(xds_nameset *s)
{
	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (size_t i = 0; i < s->count; i++)
		free(s->names[i]);
	free(s->names);
	free(s);
}

int xds_nameset_has(const xds_nameset *s, const char *name)
{
	size_t lo = 0, hi = s ? s->count : 0;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, s->names[mid]);
		if (!c)
			return 1;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return 0;
}

int xds_nameset_equal(const xds_nameset *a, const xds_nameset *b)
{
	if (a == b)
		return 1;
	if (!a || !b || a->hash != b->hash || a->count != b->count)
		return 0;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->names[i], b->names[i]))
			return 0;
	return 1;
}

xds_nameset *xds_nameset_edit(const xds_nameset *a, char *const *add, size_t n_add,
                              char *const *remove, size_t n_remove)
{
	size_t n = (a ? a->count : 0) + n_add, k = 0;
	char **tmp = calloc(n ? n : 1, sizeof(char *));
	if (!tmp)
		return NULL;
	for (size_t i = 0; a && i < a->count; i++) {
		int drop = 0;
		for (size_t j = 0; j < n_remove && !drop; j++)
			drop = !strcmp(a->names[i], remove[j]);
		if (!drop)
			tmp[k++] = a->names[i];
	}
	for (size_t i = 0; i < n_add; i++)
		tmp[k++] = add[i];
	xds_nameset *s = xds_nameset_new(tmp, k);
	free(tmp);
	return s;
}

/* ---- interning ------------------------------------------------------------- */

struct xds_intern {
	xds_nameset **slots;
	size_t count, cap; /* open addressing, linear probing, cap power of 2 */
};

xds_intern *xds_intern_new(void)
{
	return calloc(1, sizeof(xds_intern));
}

void xds_intern_free(xds_intern *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->cap; i++)
		xds_nameset_unref(t->slots[i]);
	free(t->slots);
	free(t);
}

static int intern_grow(xds_intern *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	xds_nameset **slots = calloc(cap, sizeof(*slots));
	if (!slots)
		return -1;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slots[i])
			continue;
		size_t h = t->slots[i]->hash & (cap - 1);
		while (slots[h])
			h = (h + 1) & (cap - 1);
		slots[h] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

xds_nameset *xds_intern_nameset(xds_intern *t, xds_nameset *s)
{
	if (!s)
		return NULL;
	if ((t->count + 1) * 2 > t->cap && intern_grow(t))
		return s; /* out of memory: not shared, still correct */
	size_t h = s->hash & (t->cap - 1);
	while (t->slots[h]) {
		if (xds_nameset_equal(t->slots[h], s)) {
			xds_nameset_unref(s);
			return xds_nameset_ref(t->slots[h]);
		}
		h = (h + 1) & (t->cap - 1);
	}
	t->slots[h] = xds_nameset_ref(s);
	t->count++;
	return s;
}

void xds_intern_gc(xds_intern *t)
{
	size_t kept = 0;
	xds_nameset **old = t->slots;
	size_t cap = t->cap;
	for (size_t i = 0; i < cap; i++)
		if (old[i] && atomic_load(&old[i]->refs) == 1) {
			xds_nameset_unref(old[i]);
			old[i] = NULL;
		} else if (old[i]) {
			kept++;
		}
	/* Rehash what is left (probing chains may have holes now). */
	t->slots = NULL;
	t->cap = 0;
	t->count = 0;
	while (t->cap < kept * 2 + 64)
		if (intern_grow(t))
			break;
	for (size_t i = 0; i < cap; i++) {
		if (!old[i])
			continue;
		size_t h = old[i]->hash & (t->cap - 1);
		while (t->slots[h])
			h = (h + 1) & (t->cap - 1);
		t->slots[h] = old[i];
		t->count++;
	}
	free(old);
}
