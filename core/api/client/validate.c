/* `weftctl validate PATH...`: the server's validation, run locally with no
 * server -- parse (weft_docset_load_path), decode every document
 * (weft_policy_decode_all), build the set (weft_policyset_new: duplicate
 * keys) and check it as a whole (weft_policy_validate). Every problem is
 * printed as file:line:col: path: message, sorted by place. Semantic checks
 * run only when every document decoded, so that a syntax error does not
 * also show up as a chain of dangling references. */
#include <stdlib.h>

#include "policy.h"
#include "resource.h"
#include "wctl-int.h"

static int check_set(weft_docset *set, weft_diags *diags, size_t *count)
{
	weft_resource **res = NULL;
	size_t n = 0;
	int clean = diags->count == 0;
	if (weft_policy_decode_all(set, &res, &n, diags) == 0 && clean) {
		weft_policyset *ps = weft_policyset_new(res, n, diags);
		if (ps && weft_policy_validate(ps, diags) == 0)
			*count = weft_policyset_count(ps);
		weft_policyset_unref(ps);
	}
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	return diags->count ? -1 : 0;
}

int wctl_validate(const wctl_opts *o, const char *const *paths, size_t n)
{
	weft_docset set;
	weft_diags diags;
	if (weft_docset_init(&set) != 0) {
		fprintf(o->err, "error: out of memory\n");
		return WCTL_FAILED;
	}
	weft_diags_init(&diags);
	for (size_t i = 0; i < n; i++)
		wctl_docset_load(&set, paths[i], &diags);
	size_t count = 0;
	int rc = check_set(&set, &diags, &count);
	if (wctl_policy_file_count(paths, n) == 0) {
		/* as apply: an empty set is an error, not a valid policy */
		fprintf(o->err, "error: no policy files (*.yaml, *.yml, *.json) found\n");
		weft_diags_free(&diags);
		weft_docset_free(&set);
		return WCTL_FAILED;
	}
	if (rc != 0) {
		weft_diags_sort(&diags);
		weft_diags_print(o->err, &diags);
		fprintf(o->err, "invalid: %zu problem%s\n", weft_diags_total(&diags),
		        weft_diags_total(&diags) == 1 ? "" : "s");
	} else {
		fprintf(o->out, "valid: %zu resource%s\n", count, count == 1 ? "" : "s");
	}
	weft_diags_free(&diags);
	weft_docset_free(&set);
	return rc == 0 ? WCTL_OK : WCTL_FAILED;
}
