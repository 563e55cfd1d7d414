/* Shared helpers of the core/policy unit tests: parse + decode + validate
 * a text in one call, and assert on one diagnostic's exact place (file,
 * line, column, path) and message. */
#ifndef WEFT_POLICY_TESTUTIL_H
#define WEFT_POLICY_TESTUTIL_H

#include <stddef.h>

#include "policy.h"

/* Result of tp_load: the decoded resources, their set and all diagnostics. */
struct tp_result {
	weft_resource **res;
	size_t n;
	weft_policyset *set; /* NULL when decoding failed */
	weft_diags diags;
	int decode_rc, validate_rc;
};

/* Parses text as file `file`, decodes every document and, when that
 * worked, builds a set and validates it. */
void tp_load(struct tp_result *out, const char *file, const char *text);
/* Same over a file or directory on disk. */
void tp_load_path(struct tp_result *out, const char *path);
void tp_free(struct tp_result *r);

/* Decodes a single-document text; the resource or NULL (diags filled). */
weft_resource *tp_decode_one(const char *file, const char *text, weft_diags *diags);

/* The first diagnostic whose message contains substr, or NULL. */
const weft_diag *tp_find(const weft_diags *d, const char *substr);
/* Asserts (cmocka) that a diagnostic with message containing substr exists
 * and has exactly this file, line, col and path. */
#define tp_expect(d, substr, file, line, col, path)                                                \
	tp_expect_at(d, substr, file, line, col, path, __FILE__, __LINE__)
void tp_expect_at(const weft_diags *d, const char *substr, const char *file, int line, int col,
                  const char *path, const char *src, int src_line);
/* Prints all diagnostics (for failing tests). */
void tp_dump(const weft_diags *d);

/* A resource of the set, or NULL. */
const weft_resource *tp_get(const struct tp_result *r, weft_kind kind, const char *ns,
                            const char *name);

#endif
