/* weft_policy_explain: what a kind or a field of it is, read from the same
 * schema tables the decoder checks documents with (schema_*.c), so that
 * `weftctl explain` can never disagree with what apply accepts. */
#include <string.h>

#include "policy.h"
#include "resource.h"
#include "schema.h"

static const char *type_name(enum ftype t)
{
	switch (t) {
	case T_STR:
		return "string";
	case T_NAME:
		return "name (DNS label, <= 63)";
	case T_SUBDOMAIN:
		return "name (DNS subdomain, <= 253)";
	case T_REF:
		return "reference (NAME or NAMESPACE/NAME)";
	case T_INT:
		return "integer";
	case T_PORT:
		return "port (1-65535)";
	case T_BOOL:
		return "boolean";
	case T_ENUM:
	case T_ENUMSTR:
		return "enum";
	case T_DURATION:
		return "duration (250ms, 2s, 1m, 1h)";
	case T_PERCENT:
		return "percent (0-100)";
	case T_IP:
		return "IP address";
	case T_HOST:
		return "host (IP address or DNS name)";
	case T_HOSTPAT:
		return "host pattern (name, *.domain or *)";
	case T_CIDR:
		return "CIDR (address/prefix)";
	case T_REGEX:
		return "regular expression (POSIX ERE)";
	case T_URLPATH:
		return "URL path (/...)";
	case T_PATHPAT:
		return "path pattern (/..., * suffix for a prefix)";
	case T_HEADER:
		return "HTTP header name";
	case T_FILEPATH:
		return "file path";
	case T_RELPATH:
		return "relative path";
	case T_ENVVAR:
		return "environment variable name";
	case T_HOSTKEY:
		return "host key (SHA256:<base64>)";
	case T_LABELKEY:
		return "label key";
	case T_LABELVAL:
		return "label value";
	case T_MAP:
		return "map";
	case T_OBJ:
		return "object";
	}
	return "?";
}

static json_t *field_summary(const struct field *f)
{
	return json_pack("{s:s, s:s, s:b, s:b}", "name", f->name, "type", type_name(f->type),
	                 "list", (f->flags & F_LIST) != 0, "required", (f->flags & F_REQ) != 0);
}

static void add_fields(json_t *out, const struct schema *s)
{
	json_t *fields = json_array();
	for (size_t i = 0; i < s->nfields; i++)
		json_array_append_new(fields, field_summary(&s->fields[i]));
	json_object_set_new(out, "fields", fields);
	if (!s->noneofs)
		return;
	json_t *ones = json_array();
	for (size_t i = 0; i < s->noneofs; i++) {
		json_t *names = json_array();
		for (int j = 0; j < 5 && s->oneofs[i].names[j]; j++)
			json_array_append_new(names, json_string(s->oneofs[i].names[j]));
		static const char *const modes[] = {"at most one", "exactly one", "at least one"};
		json_array_append_new(ones, json_pack("{s:s, s:o}", "rule",
		                                      modes[s->oneofs[i].mode], "fields", names));
	}
	json_object_set_new(out, "oneOf", ones);
}

static void add_field_detail(json_t *out, const struct field *f)
{
	json_object_set_new(out, "type", json_string(type_name(f->type)));
	json_object_set_new(out, "list", json_boolean(f->flags & F_LIST));
	json_object_set_new(out, "required", json_boolean(f->flags & F_REQ));
	if (f->enums) {
		json_t *e = json_array();
		for (size_t i = 0; f->enums[i]; i++)
			json_array_append_new(e, json_string(f->enums[i]));
		json_object_set_new(out, "enum", e);
		if (f->type == T_ENUM && f->def > 0)
			json_object_set_new(out, "default", json_string(f->enums[f->def - 1]));
	}
	if (f->type == T_INT) {
		json_object_set_new(out, "min", json_integer(f->min));
		if (f->max)
			json_object_set_new(out, "max", json_integer(f->max));
		if (f->def)
			json_object_set_new(out, "default", json_integer(f->def));
	}
	if (f->type == T_BOOL && f->def)
		json_object_set_new(out, "default", json_true());
	if (f->type == T_MAP) {
		json_object_set_new(out, "keys", json_string(type_name(f->key_type)));
		json_object_set_new(out, "values", json_string(type_name(f->val_type)));
	}
	if (f->type == T_OBJ && f->sub)
		add_fields(out, f->sub);
}

/* The root's fields: the document envelope. */
static json_t *explain_kind(weft_kind kind)
{
	json_t *out = json_pack("{s:s, s:s, s:s}", "kind", weft_kind_name(kind), "field", "",
	                        "type", "document");
	json_t *fields = json_array();
	json_array_append_new(fields, json_pack("{s:s, s:s, s:b, s:b}", "name", "apiVersion",
	                                        "type", "weft/v1", "list", 0, "required", 1));
	json_array_append_new(fields, json_pack("{s:s, s:s, s:b, s:b}", "name", "kind", "type",
	                                        weft_kind_name(kind), "list", 0, "required", 1));
	json_array_append_new(fields, json_pack("{s:s, s:s, s:b, s:b}", "name", "metadata", "type",
	                                        "object", "list", 0, "required", 1));
	json_array_append_new(fields, json_pack("{s:s, s:s, s:b, s:b}", "name", "spec", "type",
	                                        "object", "list", 0, "required", 1));
	json_object_set_new(out, "fields", fields);
	return out;
}

json_t *weft_policy_explain(weft_kind kind, const char *path, weft_err *err)
{
	if ((int)kind < 0 || kind >= WEFT_KIND_COUNT) {
		weft_err_set(err, "unknown kind");
		return NULL;
	}
	if (!path || !*path)
		return explain_kind(kind);
	char buf[512];
	snprintf(buf, sizeof(buf), "%s", path);
	char *save = NULL, *seg = strtok_r(buf, ".", &save);
	const struct schema *s = weft_schema_of(kind);
	const char *top = "spec";
	if (seg && (!strcmp(seg, "spec") || !strcmp(seg, "metadata"))) {
		top = seg;
		s = !strcmp(seg, "spec") ? s : weft_schema_of(-1);
		seg = strtok_r(NULL, ".", &save);
	}
	json_t *out = json_pack("{s:s, s:s}", "kind", weft_kind_name(kind), "field", top);
	if (!seg) {
		json_object_set_new(out, "type", json_string("object"));
		json_object_set_new(out, "required", json_true());
		add_fields(out, s);
		return out;
	}
	char field[512];
	snprintf(field, sizeof(field), "%s", top);
	for (; seg; seg = strtok_r(NULL, ".", &save)) {
		const struct field *f = NULL;
		for (size_t i = 0; s && i < s->nfields && !f; i++)
			if (!strcmp(s->fields[i].name, seg))
				f = &s->fields[i];
		if (!f) {
			weft_err_set(err, "%s %s has no field '%s'", weft_kind_name(kind), field,
			             seg);
			json_decref(out);
			return NULL;
		}
		size_t n = strlen(field);
		snprintf(field + n, sizeof(field) - n, ".%s", seg);
		char *next = save && *save ? save : NULL;
		if (next && f->type != T_OBJ) {
			weft_err_set(err, "%s %s is a %s: it has no fields", weft_kind_name(kind),
			             field, type_name(f->type));
			json_decref(out);
			return NULL;
		}
		s = f->sub;
		if (!next) {
			json_object_set_new(out, "field", json_string(field));
			add_field_detail(out, f);
		}
	}
	return out;
}
