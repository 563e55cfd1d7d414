/* The partition as it will be once a plan is committed: the observed
 * objects that are not weft's, plus weft's desired objects (bodies merged
 * over what was observed, so device defaults stay), with the desired's
 * groups (f5_model.h: the next diff skips the groups whose hash did not
 * change, and a merged body reused from an earlier render gets this
 * render's mark, as the plan sent it). It becomes the
 * session's cache after a successful commit (f5_txn.c), which is what lets
 * the next push diff against "last applied" without reading 11,000 objects
 * back (docs/architecture.md, "Plan": observed or last applied). */
#include <stdlib.h>
#include <string.h>

#include "f5_adapter_int.h"

struct f5_config *f5_expected_config(const struct f5_config *des, const struct f5_config *act,
                                     const unsigned char *touched)
{
	struct f5_config *e = f5_config_new(des->partition);
	if (!e)
		return NULL;
	e->partition_exists = 1;
	int rc = 0;
	for (size_t i = 0; !rc && i < act->n; i++) {
		const struct f5_obj *a = &act->objs[i];
		if (!a->owned) /* weft's objects come from desired */
			rc = f5_config_add(e, a->type, a->path, a->member, json_incref(a->body));
	}
	for (size_t i = 0; !rc && i < des->n; i++) {
		const struct f5_obj *o = &des->objs[i];
		const struct f5_obj *a = f5_config_find(act, o->type, o->path, o->member);
		json_t *b;
		if (a && !touched[i]) {
			b = json_incref(a->body); /* unchanged: as observed */
		} else {
			b = a ? json_copy(a->body) : json_object();
			if (b)
				json_object_update(b, o->body);
			if (b && o->stale_mark)
				json_object_set_new(b, "description",
				                    f5_mark(des->rev, f5_mark_hash(o->body)));
		}
		rc = f5_config_add(e, o->type, o->path, o->member, b);
		if (!rc)
			e->objs[e->n - 1].group = o->group;
	}
	if (!rc)
		rc = f5_config_copy_groups(e, des);
	if (rc) {
		f5_config_free(e);
		return NULL;
	}
	f5_config_sort(e);
	for (size_t i = 0; i < e->n; i++)
		e->objs[i].owned = f5_body_owned(e->objs[i].type, e->objs[i].body);
	return e;
}
