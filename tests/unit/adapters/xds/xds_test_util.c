/* Helpers of the xDS adapter unit tests (see xds_test_util.h). */
#include "xds_test_util.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "doc.h"
#include "policy.h"
#include "policyset.h"
#include "resource.h"

void xt_policy_load(xt_policy *p, const char *yaml)
{
	weft_docset docs;
	weft_diags diags;
	weft_diags_init(&diags);
	assert_int_equal(weft_docset_init(&docs), 0);
	int rc = weft_docset_parse(&docs, "test.yaml", yaml, strlen(yaml), &diags);
	if (!rc)
		rc = weft_policy_decode_all(&docs, &p->res, &p->n, &diags);
	weft_policyset *set = NULL;
	if (!rc && (set = weft_policyset_new(p->res, p->n, &diags)))
		rc = weft_policy_validate(set, &diags);
	if (rc || diags.count)
		weft_diags_print(stderr, &diags);
	assert_int_equal(rc, 0);
	/* Sorted, as a snapshot hands them out. */
	for (size_t i = 0; i < p->n; i++)
		weft_resource_unref(p->res[i]);
	free(p->res);
	size_t n = weft_policyset_count(set);
	p->res = calloc(n + 1, sizeof(*p->res));
	p->n = 0;
	weft_resource *const *items = weft_policyset_items(set);
	for (size_t i = 0; i < n; i++)
		if (items[i]->kind != WEFT_KIND_DEVICE)
			p->res[p->n++] = weft_resource_ref(items[i]);
	weft_policyset_unref(set);
	weft_diags_free(&diags);
	weft_docset_free(&docs);
}

void xt_policy_free(xt_policy *p)
{
	for (size_t i = 0; i < p->n; i++)
		weft_resource_unref(p->res[i]);
	free(p->res);
	p->res = NULL;
	p->n = 0;
}

const xds_res *xt_find(const xds_resset *s, const char *name)
{
	const xds_res *r = xds_resset_find(s, name);
	if (!r) {
		fprintf(stderr, "no resource '%s' in set of %zu:", name, s->count);
		for (size_t i = 0; i < s->count; i++)
			fprintf(stderr, " %s", s->items[i]->name);
		fprintf(stderr, "\n");
	}
	assert_non_null(r);
	return r;
}
