/* YAML -> snapshot for tests (see testpolicy.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "resource.h"
#include "testpolicy.h"

weft_snapshot *wtp_compile_yaml(const char *file, const char *yaml, int64_t rev)
{
	weft_docset docs;
	weft_diags d;
	weft_docset_init(&docs);
	weft_diags_init(&d);
	weft_resource **res = NULL;
	size_t n = 0;
	assert_int_equal(weft_docset_parse(&docs, file, yaml, strlen(yaml), &d), 0);
	if (weft_policy_decode_all(&docs, &res, &n, &d))
		weft_diags_print(stderr, &d);
	assert_int_equal(d.count, 0);
	weft_policyset *set = weft_policyset_new(res, n, &d);
	assert_non_null(set);
	if (weft_policy_validate(set, &d))
		weft_diags_print(stderr, &d);
	assert_int_equal(d.count, 0);
	weft_err err = {0};
	weft_snapshot *s = weft_snapshot_compile(set, rev, NULL, &err);
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_policyset_unref(set);
	weft_docset_free(&docs);
	weft_diags_free(&d);
	return s;
}
