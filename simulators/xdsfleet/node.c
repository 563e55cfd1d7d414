/* xdsfleet node.c: the envoy.config.core.v3.Node each simulated proxy sends
 * on its ADS stream. The id is PREFIX-INDEX; Node.metadata is a
 * google.protobuf.Struct built from the --metadata JSON template, in which
 * "{i}" stands for the client index ("{i%N}" modulo N, "{i%N:W}" also
 * zero-padded to W digits) and "{id}" for the node id, so that a
 * fleet can carry per-proxy values (IPs per plane) as weft's views need. */
#include "xdsfleet.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/struct.pb-c.h"

static Google__Protobuf__Value *value_from_json(json_t *j, int depth);

static Google__Protobuf__Struct *struct_from_json(json_t *obj, int depth)
{
	Google__Protobuf__Struct *s = calloc(1, sizeof(*s));
	const char *key;
	json_t *val;
	size_t i = 0;

	if (!s)
		return NULL;
	google__protobuf__struct__init(s);
	s->fields = calloc(json_object_size(obj) + 1, sizeof(*s->fields));
	if (!s->fields) {
		free(s);
		return NULL;
	}
	json_object_foreach(obj, key, val)
	{
		Google__Protobuf__Struct__FieldsEntry *e = calloc(1, sizeof(*e));

		if (!e)
			break;
		google__protobuf__struct__fields_entry__init(e);
		e->key = strdup(key);
		e->value = value_from_json(val, depth + 1);
		s->fields[i++] = e;
		s->n_fields = i;
		if (!e->key || !e->value)
			break;
	}
	return s;
}

static Google__Protobuf__ListValue *list_from_json(json_t *arr, int depth)
{
	Google__Protobuf__ListValue *l = calloc(1, sizeof(*l));
	size_t i;

	if (!l)
		return NULL;
	google__protobuf__list_value__init(l);
	l->values = calloc(json_array_size(arr) + 1, sizeof(*l->values));
	if (!l->values) {
		free(l);
		return NULL;
	}
	for (i = 0; i < json_array_size(arr); i++) {
		l->values[i] = value_from_json(json_array_get(arr, i), depth + 1);
		l->n_values = i + 1;
		if (!l->values[i])
			break;
	}
	return l;
}

/* JSON -> google.protobuf.Value (numbers become doubles, as in proto3 JSON). */
static Google__Protobuf__Value *value_from_json(json_t *j, int depth)
{
	Google__Protobuf__Value *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	google__protobuf__value__init(v);
	if (depth > 32) {
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
		return v;
	}
	switch (json_typeof(j)) {
	case JSON_OBJECT:
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE;
		v->struct_value = struct_from_json(j, depth);
		break;
	case JSON_ARRAY:
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE;
		v->list_value = list_from_json(j, depth);
		break;
	case JSON_STRING:
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE;
		v->string_value = strdup(json_string_value(j));
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
		v->number_value = json_number_value(j);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE;
		v->bool_value = json_is_true(j);
		break;
	default:
		v->kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
		break;
	}
	return v;
}

/* "{i%N}" or "{i%N:W}" at p: the client index modulo N, zero-padded to W
 * digits, into buf; the length of the placeholder, or 0. */
static size_t index_modulo(const char *p, int index, char *buf, size_t len)
{
	unsigned n = 0, w = 0;
	int used = 0;
	if (sscanf(p, "{i%%%u:%u}%n", &n, &w, &used) == 2 && used && n)
		snprintf(buf, len, "%0*u", (int)(w > 12 ? 12 : w), (unsigned)index % n);
	else if ((used = 0, sscanf(p, "{i%%%u}%n", &n, &used) == 1) && used && n)
		snprintf(buf, len, "%u", (unsigned)index % n);
	else
		return 0;
	return (size_t)used;
}

/* Replaces "{i}", "{i%N}", "{i%N:W}" and "{id}" in the template; caller
 * frees. */
static char *expand_template(const char *tpl, const struct xf_client *c)
{
	char idx[16], mod[16];
	size_t cap = strlen(tpl) * 2 + 256, n = 0;
	char *out = malloc(cap);
	const char *p = tpl;

	if (!out)
		return NULL;
	snprintf(idx, sizeof(idx), "%d", c->index);
	while (*p) {
		const char *rep = NULL;
		size_t skip = 1, rl;

		if (strncmp(p, "{i}", 3) == 0) {
			rep = idx;
			skip = 3;
		} else if (strncmp(p, "{id}", 4) == 0) {
			rep = c->node_id;
			skip = 4;
		} else if (strncmp(p, "{i%", 3) == 0 &&
		           (skip = index_modulo(p, c->index, mod, sizeof(mod)))) {
			rep = mod;
		} else {
			skip = 1;
		}
		rl = rep ? strlen(rep) : 1;
		if (n + rl + 1 > cap) {
			char *bigger = realloc(out, cap * 2 + rl);

			if (!bigger) {
				free(out);
				return NULL;
			}
			out = bigger;
			cap = cap * 2 + rl;
		}
		if (rep)
			memcpy(out + n, rep, rl);
		else
			out[n] = *p;
		n += rl;
		p += skip;
	}
	out[n] = '\0';
	return out;
}

int xf_metadata_check(const char *json, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loads(json, 0, &je);

	if (!j) {
		snprintf(err, errlen, "--metadata: JSON error at line %d col %d: %s", je.line,
		         je.column, je.text);
		return -1;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		snprintf(err, errlen, "--metadata: must be a JSON object");
		return -1;
	}
	json_decref(j);
	return 0;
}

Envoy__Config__Core__V3__Node *xf_node_build(const struct xf_client *c, const struct xf_options *o,
                                             char *err, size_t errlen)
{
	Envoy__Config__Core__V3__Node *n = calloc(1, sizeof(*n));

	if (!n) {
		snprintf(err, errlen, "node %s: out of memory", c->node_id);
		return NULL;
	}
	envoy__config__core__v3__node__init(n);
	n->id = strdup(c->node_id);
	n->cluster = strdup(o->node_cluster ? o->node_cluster : "");
	n->user_agent_name = strdup("xdsfleet");
	n->user_agent_version_type_case =
	        ENVOY__CONFIG__CORE__V3__NODE__USER_AGENT_VERSION_TYPE_USER_AGENT_VERSION;
	n->user_agent_version = strdup("1");
	if (o->metadata_json) {
		char *text = expand_template(o->metadata_json, c);
		json_error_t je;
		json_t *j = text ? json_loads(text, 0, &je) : NULL;

		free(text);
		if (!j || !json_is_object(j)) {
			snprintf(err, errlen,
			         "node %s: --metadata does not expand to a JSON object",
			         c->node_id);
			json_decref(j);
			xf_node_free(n);
			return NULL;
		}
		n->metadata = struct_from_json(j, 0);
		json_decref(j);
	}
	return n;
}

/* protobuf_c_message_free_unpacked frees every field with the allocator, the
 * same malloc/free this file used: the whole tree goes in one call. */
void xf_node_free(Envoy__Config__Core__V3__Node *n)
{
	if (n)
		protobuf_c_message_free_unpacked(&n->base, NULL);
}
