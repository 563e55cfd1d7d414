/* Helpers of the xDS adapter unit tests: policy YAML -> resources, and
 * decoding of rendered resources. */
#ifndef XDS_TEST_UTIL_H
#define XDS_TEST_UTIL_H

#include "resource-t.h"
#include "xds_render.h"
#include "xds_res.h"

typedef struct xt_policy {
	weft_resource **res;
	size_t n;
} xt_policy;

/* Decodes and validates YAML (fails the test on any diagnostic). */
void xt_policy_load(xt_policy *p, const char *yaml);
void xt_policy_free(xt_policy *p);
static inline xds_render_input xt_input(const xt_policy *p)
{
	xds_render_input in = {p->res, p->n, NULL};
	return in;
}
/* The resource name in set, or fails the test. */
const xds_res *xt_find(const xds_resset *s, const char *name);

#endif
