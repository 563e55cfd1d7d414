/* Per-stream status and config dump (what each proxy was last sent, like
 * Envoy's CSDS), as JSON for /v1/status (see xds_stream.h). */
#include <jansson.h>

#include "xds_stream.h"

json_t *xds_stream_status(const xds_stream *s)
{
	json_t *o = json_object();
	for (int k = 0; k < XDS_NTYPES; k++) {
		const xds_typestate *t = &s->ts[k];
		if (!t->subscribed)
			continue;
		json_t *names = json_array();
		for (size_t i = 0; t->names && i < t->names->count && i < 50; i++)
			json_array_append_new(names, json_string(t->names->names[i]));
		json_object_set_new(
		        o, xds_type_short(k),
		        json_pack("{s:b,s:o,s:I,s:s,s:s,s:I,s:I,s:I,s:s?}", "wildcard", t->wildcard,
		                  "names", names, "subscribed_count",
		                  (json_int_t)(t->names ? t->names->count : 0), "version_sent",
		                  t->version_sent, "version_acked", t->version_acked, "responses",
		                  (json_int_t)t->responses, "acks", (json_int_t)t->acks, "nacks",
		                  (json_int_t)t->nacks, "last_error", t->last_error));
	}
	return o;
}

json_t *xds_stream_config_dump(const xds_stream *s)
{
	json_t *o = json_object();
	for (int k = 0; k < XDS_NTYPES; k++) {
		const xds_typestate *t = &s->ts[k];
		if (!t->sent)
			continue;
		json_t *a = json_array();
		for (size_t i = 0; i < t->sent->count; i++) {
			const xds_res *r = t->sent->items[i];
			if (t->sent_wildcard || xds_nameset_has(t->sent_names, r->name))
				json_array_append_new(a, json_pack("{s:s,s:s,s:I}", "name", r->name,
				                                   "version", r->version, "bytes",
				                                   (json_int_t)r->value_len));
		}
		json_object_set_new(o, xds_type_short(k), a);
	}
	return o;
}
