/* Translation warnings: what a device family cannot express of the policy
 * it is asked to render (docs/architecture.md, "Honest translation").
 * Adapters collect them at render (in their desired config) and hand them
 * to the plan in diff; the plan carries them to `weftctl plan`, the
 * device's status and the event stream. A Device with spec.strict refuses
 * a plan with warnings (weft_plan_check_strict, adapter.h). */
#ifndef WEFT_WARNING_H
#define WEFT_WARNING_H

#include <jansson.h>
#include <stddef.h>

#include "policy-t.h"
#include "resource-t.h"

typedef struct weft_warning {
	char *resource; /* "Kind ns/name" */
	char *file;     /* where the resource was defined */
	int line;       /* of the field (else of the document) */
	char *field;    /* field path, e.g. "spec.tiers" */
	char *message;  /* what the family does instead, e.g. "left out: ..." */
} weft_warning;

typedef struct weft_warnings {
	weft_warning *items;
	size_t count, cap;
} weft_warnings;

/* Adds a warning about field (at pos; {0,0}: the document's line) of res.
 * 0, or -1 when out of memory. */
int weft_warn(weft_warnings *w, const weft_resource *res, weft_pos pos, const char *field,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Copies every warning of src to the end of dst. 0 or -1. */
int weft_warnings_append(weft_warnings *dst, const weft_warnings *src);
void weft_warnings_free(weft_warnings *w);
/* [{"resource","file","line","field","message"}, ...] */
json_t *weft_warnings_to_json(const weft_warnings *w);
/* "FILE:LINE: Kind ns/name: FIELD: MESSAGE" into buf. */
void weft_warning_format(const weft_warning *w, char *buf, size_t len);

#endif
