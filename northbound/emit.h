/* Output of the import engine (northbound/emit.c): weft/v1 documents as
 * readable YAML (block style, keys in the order translators wrote them,
 * strings quoted whenever a plain scalar could read as something else) or
 * as JSON documents, each preceded by comments naming its sources and the
 * warnings about them. */
#ifndef WEFT_NORTHBOUND_EMIT_H
#define WEFT_NORTHBOUND_EMIT_H

#include <jansson.h>
#include <stddef.h>

#include "doc.h"
#include "translator.h"

/* One output document and the indexes of the sources that fed it. */
typedef struct nb_out {
	char *kind, *ns, *name;
	json_t *doc;
	size_t *srcs;
	size_t n_srcs, cap_srcs;
} nb_out;

typedef struct nb_emit_src {
	const weft_xsrc *src;
	const char *const *notes;
	size_t n_notes;
	int produced;
} nb_emit_src;

/* The whole output text (malloc'd), or NULL when out of memory. */
char *nb_emit(const nb_out *outs, size_t n_outs, const nb_emit_src *srcs, size_t n_srcs, int json);

/* A document tree as JSON with YAML core-schema typing: unquoted integers,
 * reals, true/false are typed, null is null, everything else a string. */
json_t *nb_node_to_json(const weft_node *n);

#endif
