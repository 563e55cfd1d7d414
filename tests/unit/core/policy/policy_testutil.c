/* Helpers for the core/policy unit tests (see policy_testutil.h). */
#include "policy_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "resource.h"

static void finish(struct tp_result *out, weft_docset *set, int parse_rc)
{
	out->decode_rc =
	        parse_rc ? -1 : weft_policy_decode_all(set, &out->res, &out->n, &out->diags);
	if (out->decode_rc == 0) {
		out->set = weft_policyset_new(out->res, out->n, &out->diags);
		out->validate_rc = out->set ? weft_policy_validate(out->set, &out->diags) : -1;
	} else {
		out->validate_rc = -1;
	}
}

void tp_load(struct tp_result *out, const char *file, const char *text)
{
	memset(out, 0, sizeof(*out));
	weft_diags_init(&out->diags);
	weft_docset set;
	assert_int_equal(weft_docset_init(&set), 0);
	int rc = weft_docset_parse(&set, file, text, strlen(text), &out->diags);
	finish(out, &set, rc);
	weft_docset_free(&set);
}

void tp_load_path(struct tp_result *out, const char *path)
{
	memset(out, 0, sizeof(*out));
	weft_diags_init(&out->diags);
	weft_docset set;
	assert_int_equal(weft_docset_init(&set), 0);
	int rc = weft_docset_load_path(&set, path, &out->diags);
	finish(out, &set, rc);
	weft_docset_free(&set);
}

void tp_free(struct tp_result *r)
{
	for (size_t i = 0; i < r->n; i++)
		weft_resource_unref(r->res[i]);
	free(r->res);
	weft_policyset_unref(r->set);
	weft_diags_free(&r->diags);
	memset(r, 0, sizeof(*r));
}

weft_resource *tp_decode_one(const char *file, const char *text, weft_diags *diags)
{
	weft_docset set;
	if (weft_docset_init(&set))
		return NULL;
	weft_resource *r = NULL;
	if (weft_docset_parse(&set, file, text, strlen(text), diags) == 0 && set.count == 1)
		weft_policy_decode(&set.docs[0], &r, diags);
	weft_docset_free(&set);
	return r;
}

const weft_diag *tp_find(const weft_diags *d, const char *substr)
{
	for (size_t i = 0; i < d->count; i++)
		if (strstr(d->items[i].msg, substr))
			return &d->items[i];
	return NULL;
}

void tp_dump(const weft_diags *d)
{
	for (size_t i = 0; i < d->count; i++) {
		char *s = weft_diag_format(&d->items[i]);
		fprintf(stderr, "  diag: %s\n", s);
		free(s);
	}
}

void tp_expect_at(const weft_diags *d, const char *substr, const char *file, int line, int col,
                  const char *path, const char *src, int src_line)
{
	const weft_diag *g = tp_find(d, substr);
	if (!g || strcmp(g->file, file) || g->line != line || g->col != col ||
	    strcmp(g->path, path)) {
		fprintf(stderr, "%s:%d: expected diagnostic %s:%d:%d: %s: ...%s...\n", src,
		        src_line, file, line, col, path, substr);
		tp_dump(d);
		fail_msg("diagnostic mismatch (see above)");
	}
}

const weft_resource *tp_get(const struct tp_result *r, weft_kind kind, const char *ns,
                            const char *name)
{
	return r->set ? weft_policyset_find(r->set, kind, ns, name) : NULL;
}
