/* The import engine and the helpers translators call (northbound/): a set of
 * foreign documents in, weft/v1 documents out, every field translated or
 * refused with file:line:col and field path (docs/northbound.md). Core only
 * holds the registry and the field-table walk (core/translator.h).
 *
 * Translators write output documents as jansson objects through nb_out_*;
 * several sources may feed one output document (a Service, its
 * EndpointSlices and its DestinationRule's subsets), and each output names
 * every source in a comment. */
#ifndef WEFT_NORTHBOUND_XLATE_H
#define WEFT_NORTHBOUND_XLATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "doc.h"
#include "diag.h"
#include "translator.h"

/* One foreign document of the import. */
struct weft_xsrc {
	const weft_doc *doc;
	const weft_node *root;
	const weft_translator *t;
	const char *api_version, *kind; /* as written */
	const char *ns, *name;          /* name may be "" when missing (refused) */
	size_t index;                   /* document order */
};

typedef struct weft_import_opts {
	const char *default_ns; /* for documents without metadata.namespace; NULL: "default" */
	int allow_partial;      /* refusals become warnings left as comments */
	int json;               /* -o json: JSON documents separated by "---" */
} weft_import_opts;

/* Registers the built-in translators (northbound/northbound.c); safe to call
 * more than once. 0 or -1 (err). */
int weft_northbound_register(weft_err *err);

/* Translates every document of set. weft/v1 documents pass through as
 * written. On success (no refusal, or --allow-partial) *text is the output
 * (malloc'd) and 0 is returned; otherwise -1 with the refusals in errors.
 * warnings receive what was accepted with a warning. */
int weft_import(const weft_docset *set, const weft_import_opts *o, char **text, weft_diags *errors,
                weft_diags *warnings);

/* Writes the field tables of every registered translator as Markdown
 * (the generated part of docs/northbound.md). 0 or -1. */
int weft_northbound_field_doc(FILE *out);

/* ---- helpers for translators ---- */

/* The spec object of the output document (kind, ns, name), created when new
 * (apiVersion weft/v1, metadata.name and namespace); src is recorded as one
 * of its sources. NULL when out of memory. */
json_t *nb_out_spec(weft_xlate *x, const weft_xsrc *src, const char *kind, const char *ns,
                    const char *name);
/* The metadata object of an existing output document, or NULL. */
json_t *nb_out_meta(weft_xlate *x, const char *kind, const char *ns, const char *name);
/* The spec of an existing output document, or NULL. */
json_t *nb_out_find(weft_xlate *x, const char *kind, const char *ns, const char *name);

/* A field that cannot be translated: an error, or with --allow-partial a
 * warning and a comment in the output. at gives the position. */
void nb_refuse(weft_xlate *x, const weft_xsrc *src, const weft_node *at, const char *path,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Accepted, but something is not carried over: always a warning + comment. */
void nb_warn(weft_xlate *x, const weft_xsrc *src, const weft_node *at, const char *path,
             const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* While on, problems are not reported (a source read a second time by
 * another translator). Returns the previous setting. */
int nb_quiet(weft_xlate *x, int on);

/* The source document of group+kind (any version) named ns/name, or NULL. */
const weft_xsrc *nb_find_src(weft_xlate *x, const char *group, const char *kind, const char *ns,
                             const char *name);
size_t nb_src_count(const weft_xlate *x);
const weft_xsrc *nb_src_at(const weft_xlate *x, size_t i);
/* The import's default namespace. */
const char *nb_default_ns(const weft_xlate *x);

/* ---- reading nodes (northbound/xutil.c) ---- */

/* The scalar text under key, or NULL when absent/null. A non-scalar value
 * is refused (type) and NULL returned. */
const char *nb_str(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
                   const char *path);
/* An integer under key in [min, max]: 1 read, 0 absent, -1 refused. */
int nb_int(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
           const char *path, long long min, long long max, long long *out);
/* A boolean under key: 1 read, 0 absent, -1 refused. */
int nb_bool(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
            const char *path, int *out);
/* The map / list under key, or NULL when absent; another kind is refused. */
const weft_node *nb_map(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
                        const char *path);
const weft_node *nb_seq(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *key,
                        const char *path);
/* Position helper: the value under key, else the map itself. */
const weft_node *nb_at(const weft_node *map, const char *key);

/* Go / Gateway API durations ("1h30m", "1.5s", "250ms") to milliseconds;
 * 0 or -1. Sub-millisecond remainders are refused by the caller. */
int nb_duration_ms(const char *s, long long *ms);
/* A duration in the largest exact weft unit ("2s", "250ms", "1m"). */
json_t *nb_duration_json(long long ms);
/* Relative weights to integers summing to 100 (largest remainder, ties to the
 * earlier entry). -1 when every weight is 0. */
int nb_weights_percent(const long long *w, size_t n, long long *out);
/* "reviews", "reviews.shop", "reviews.shop.svc", "reviews.shop.svc.cluster.local"
 * -> name and namespace (ns_out gets def when the host has none). 0, or -1
 * when the host is not a cluster service name (an external host). */
int nb_service_host(const char *host, const char *def_ns, char *name, size_t name_cap, char *ns,
                    size_t ns_cap);
/* A label map node copied to a JSON object of strings; refused values are
 * reported. NULL when empty or absent. */
json_t *nb_labels(weft_xlate *x, const weft_xsrc *src, const weft_node *map, const char *path);

#endif
