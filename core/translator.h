/* Translators: the northbound's table of functions for foreign schemas
 * (Gateway API, Istio, SMI, Kubernetes), registered at start the way
 * adapters are (core/adapter.h), so core knows no foreign schema. A
 * translator turns one foreign document into weft/v1 documents; the import
 * engine that drives translators and the helpers they call live in
 * northbound/ (northbound/xlate.h). See docs/northbound.md.
 *
 * Every translator carries a field table: each field path of its kind is
 * either translated, warned (accepted, dropped with a warning), ignored
 * (set by the API server: status, uid, ...) or refused with a reason. The
 * same table drives the refusal of unlisted fields here and the generated
 * field reference in docs/northbound.md, so the two cannot disagree. */
#ifndef WEFT_TRANSLATOR_H
#define WEFT_TRANSLATOR_H

#include <stddef.h>

#include "diag.h"
#include "doc.h"

typedef enum weft_field_action {
	WEFT_FIELD_TRANSLATED, /* read by the translator; `what` says into what */
	WEFT_FIELD_WARNED,     /* not carried over; a warning says so (`what`: why) */
	WEFT_FIELD_IGNORED,    /* server-set metadata or status; `what`: why */
	WEFT_FIELD_REFUSED,    /* an error unless --allow-partial (`what`: why) */
} weft_field_action;

/* One row of a field table. path names a field below the document root with
 * "[]" for list items and "*" for any key of a free-form map:
 * "spec.http[].match[].uri.prefix", "metadata.labels.*". A row that is not
 * TRANSLATED covers the whole subtree under its path; a TRANSLATED row of a
 * map leaves its children to their own rows. */
typedef struct weft_field_rule {
	const char *path;
	weft_field_action action;
	const char *what;
} weft_field_rule;

/* The engine's state and one source document, opaque to core. */
typedef struct weft_xlate weft_xlate;
typedef struct weft_xsrc weft_xsrc;

typedef struct weft_translator {
	const char *group;           /* API group: "gateway.networking.k8s.io", "" for core/v1 */
	const char *const *versions; /* NULL-terminated: "v1", "v1beta1", ... */
	const char *kind;            /* "HTTPRoute" */
	/* Translators run in phase order, then in document order: 0 services and
	 * endpoints, 1 what extends services (subsets, grants), 2 routes and
	 * policies that refer to both. */
	int phase;
	const weft_field_rule *fields;
	size_t n_fields;
	/* Translates src into weft documents through the northbound/xlate.h
	 * helpers; problems are reported through them too. 0, or -1 when out
	 * of memory. */
	int (*translate)(weft_xlate *x, const weft_xsrc *src);
} weft_translator;

/* Registers t (kept by pointer, must outlive the process's use). Refuses a
 * second translator for one group+kind unless replace. 0 or -1 (err). */
int weft_translator_register(const weft_translator *t, int replace, weft_err *err);

/* The translator for an apiVersion ("group/version", or "v1" for the core
 * group) and kind, or NULL. *known_kind (may be NULL) is set when the
 * group+kind is registered but not this version. */
const weft_translator *weft_translator_find(const char *api_version, const char *kind,
                                            int *known_kind);

/* Registered translators in registration order, up to max; returns the count. */
size_t weft_translator_list(const weft_translator **out, size_t max);

/* Called for every field of a document under a field table: rule is the row
 * that decides it, or NULL for a field that no row lists (an unknown field).
 * path is the concrete path ("spec.http[0].match[1].uri"). */
typedef void (*weft_field_cb)(void *ctx, const weft_field_rule *rule, const weft_node *key,
                              const weft_node *value, const char *path);

/* Walks every map key of root (lists entered item by item) and calls cb for
 * the rows that are not TRANSLATED and for unknown fields; TRANSLATED rows
 * are left to the translator. The top-level apiVersion and kind are not
 * reported. */
void weft_field_walk(const weft_field_rule *rules, size_t n, const weft_node *root,
                     weft_field_cb cb, void *ctx);

/* The row for an abstract path ("spec.hosts[]" form), or NULL. */
const weft_field_rule *weft_field_rule_find(const weft_field_rule *rules, size_t n,
                                            const char *abstract_path);

#endif
