/* Decoding of one etcd registry value into a weft endpoint, and the
 * per-query table of decoded keys (docs/registries.md, "etcd"). */
#ifndef WEFT_ETCD_REG_VALUE_H
#define WEFT_ETCD_REG_VALUE_H

#include <stddef.h>

#include "policy-t.h"

/* Decodes value (len bytes, JSON) into *ep with malloc'd strings (free
 * with ereg_ep_clear). planes maps the value's "addresses" names to weft
 * planes (a name it does not list is kept as is). -1 with why (a short
 * reason naming the field) on a bad value; *ep is then empty. */
int ereg_decode(const char *value, size_t len, const weft_labels *planes, weft_endpoint *ep,
                char *why, size_t why_len);
void ereg_ep_clear(weft_endpoint *ep);

/* The decoded keys of one query, by key (a small sorted array: a prefix
 * holds a Service's instances). */
typedef struct ereg_table {
	char **keys;
	weft_endpoint *eps;
	size_t count, cap;
} ereg_table;

/* Sets key to ep (taking its strings) or, with ep NULL, removes key. */
int ereg_table_set(ereg_table *t, const char *key, weft_endpoint *ep);
void ereg_table_clear(ereg_table *t);

#endif
