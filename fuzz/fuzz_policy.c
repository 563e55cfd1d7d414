/* libFuzzer target for the northbound's input path: bytes -> documents
 * (YAML or JSON) -> typed resources -> policy set -> semantic validation,
 * and the canonical JSON of every decoded resource back through
 * weft_policy_decode_json (it must decode again to the same hash). Any
 * crash, sanitizer report or broken round trip is a bug: bad input must
 * only ever produce diagnostics. Seeds: fuzz/corpus/policy/. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"
#include "resource.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void round_trip(const weft_resource *r)
{
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *back = NULL;
	if (weft_policy_decode_json(r->json, r->json_len, "fuzz-json", 1, &back, &d) != 0 ||
	    back->hash != r->hash)
		abort();
	weft_resource_unref(back);
	weft_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Text starting with '{' or '[' goes through the JSON checker first. */
	const char *name = "fuzz.yaml";
	weft_docset set;
	if (weft_docset_init(&set))
		return 0;
	weft_diags diags;
	weft_diags_init(&diags);
	weft_docset_parse(&set, name, (const char *)data, size, &diags);
	weft_resource **res = NULL;
	size_t n = 0;
	if (weft_policy_decode_all(&set, &res, &n, &diags) == 0) {
		for (size_t i = 0; i < n; i++)
			round_trip(res[i]);
		weft_policyset *ps = weft_policyset_new(res, n, &diags);
		if (ps) {
			weft_policy_validate(ps, &diags);
			weft_policyset_unref(ps);
		}
		for (size_t i = 0; i < n; i++)
			weft_resource_unref(res[i]);
		free(res);
	}
	for (size_t i = 0; i < diags.count; i++)
		free(weft_diag_format(&diags.items[i]));
	weft_diags_free(&diags);
	weft_docset_free(&set);
	return 0;
}
