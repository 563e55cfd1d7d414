/* `weftctl explain KIND[.FIELD]`: a kind or a field of it, from the
 * decoder's schema tables (weft_policy_explain), locally, with no server.
 * Text like kubectl explain, or the JSON with -o json / -o yaml. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "wctl-int.h"

static void print_text(const wctl_opts *o, json_t *e)
{
	const char *field = json_string_value(json_object_get(e, "field"));
	fprintf(o->out, "KIND:     %s\n", json_string_value(json_object_get(e, "kind")));
	if (field && *field)
		fprintf(o->out, "FIELD:    %s\n", field);
	fprintf(o->out, "TYPE:     %s%s%s\n",
	        json_is_true(json_object_get(e, "list")) ? "list of " : "",
	        json_string_value(json_object_get(e, "type")),
	        json_is_true(json_object_get(e, "required")) ? ", required" : "");
	json_t *v;
	if ((v = json_object_get(e, "enum"))) {
		size_t i;
		json_t *x;
		fputs("VALUES:  ", o->out);
		json_array_foreach(v, i, x) fprintf(o->out, " %s", json_string_value(x));
		fputc('\n', o->out);
	}
	if ((v = json_object_get(e, "min")))
		fprintf(o->out, "MIN:      %lld\n", (long long)json_integer_value(v));
	if ((v = json_object_get(e, "max")))
		fprintf(o->out, "MAX:      %lld\n", (long long)json_integer_value(v));
	if ((v = json_object_get(e, "default"))) {
		char *t = json_dumps(v, JSON_ENCODE_ANY);
		fprintf(o->out, "DEFAULT:  %s\n", t ? t : "?");
		free(t);
	}
	if ((v = json_object_get(e, "keys")))
		fprintf(o->out, "MAP:      %s -> %s\n", json_string_value(v),
		        json_string_value(json_object_get(e, "values")));
	json_t *fields = json_object_get(e, "fields");
	if (json_array_size(fields)) {
		fputs("FIELDS:\n", o->out);
		wctl_table *t = wctl_table_new(2, (const char *[]){"  NAME", "TYPE"});
		size_t i;
		json_t *f;
		json_array_foreach(fields, i, f)
		{
			char name[160], type[200];
			snprintf(name, sizeof(name), "  %s",
			         json_string_value(json_object_get(f, "name")));
			snprintf(type, sizeof(type), "%s%s%s",
			         json_is_true(json_object_get(f, "list")) ? "list of " : "",
			         json_string_value(json_object_get(f, "type")),
			         json_is_true(json_object_get(f, "required")) ? ", required" : "");
			wctl_table_add(t, (const char *[]){name, type});
		}
		wctl_table_print(t, o->out);
		wctl_table_free(t);
	}
	size_t i;
	json_t *one;
	json_array_foreach(json_object_get(e, "oneOf"), i, one)
	{
		fprintf(o->out, "RULE:     %s of", json_string_value(json_object_get(one, "rule")));
		size_t j;
		json_t *n;
		json_array_foreach(json_object_get(one, "fields"), j, n)
		        fprintf(o->out, "%s %s", j ? "," : "", json_string_value(n));
		fputc('\n', o->out);
	}
}

int wctl_explain(const wctl_opts *o, const char *what)
{
	char kind[64];
	const char *dot = strchr(what, '.');
	snprintf(kind, sizeof(kind), "%.*s", (int)(dot ? (size_t)(dot - what) : strlen(what)),
	         what);
	int k = wctl_kind_find(kind);
	if (k < 0)
		return wctl_unknown_kind(o, kind);
	weft_err err = {0};
	json_t *e = weft_policy_explain((weft_kind)k, dot ? dot + 1 : NULL, &err);
	if (!e) {
		fprintf(o->err, "error: %s\n", err.msg);
		return WCTL_FAILED;
	}
	if (o->output == WCTL_OUT_JSON) {
		char *t = json_dumps(e, JSON_INDENT(2));
		fprintf(o->out, "%s\n", t ? t : "{}");
		free(t);
	} else if (o->output == WCTL_OUT_YAML) {
		wctl_yaml_print(o->out, e);
	} else {
		print_text(o, e);
	}
	json_decref(e);
	return WCTL_OK;
}
