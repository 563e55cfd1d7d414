/* Per-stream status and config dump (what each proxy was last sent, like
 * Envoy's CSDS), as JSON for /v1/status, and what a proxy has not ACKed
 * (the xds adapter's observe: drift is what proxies ACKed vs the intent).
 * See xds_stream.h. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

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

void xds_stream_unacked(const xds_stream *s, const char *node, json_t *out)
{
	for (int k = 0; k < XDS_NTYPES; k++) {
		const xds_typestate *t = &s->ts[k];
		if (!t->sent || !strcmp(t->version_acked, t->version_sent))
			continue;
		char why[512];
		if (t->nacked_ms > t->acked_ms && t->last_error)
			snprintf(why, sizeof(why), "NACKed by %s: %.300s", node, t->last_error);
		else
			snprintf(why, sizeof(why), "not ACKed by %s (version %s sent)", node,
			         t->version_sent);
		json_t *m = json_object_get(out, xds_type_short(k));
		if (!m) {
			m = json_object();
			json_object_set_new(out, xds_type_short(k), m);
		}
		for (size_t i = 0; i < t->sent->count; i++) {
			const xds_res *r = t->sent->items[i];
			if ((t->sent_wildcard || xds_nameset_has(t->sent_names, r->name)) &&
			    !json_object_get(m, r->name))
				json_object_set_new(m, r->name, json_string(why));
		}
	}
}
