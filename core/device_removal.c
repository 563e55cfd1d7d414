/* Deleting a Device is a plan like any other (docs/policy.md, Device
 * spec.onDelete). With `remove` (the default) the device's worker stays
 * after its Device is gone, and brings the device to an empty slice: its
 * adapter renders the Device against a snapshot that holds nothing else,
 * so the diff against what the device has removes exactly what weft owns
 * there (the file tree, the F5 partition's marked objects, the NETCONF
 * weft-lb tree), and the plan goes through prepare/apply/confirm, in the
 * transaction in atomic mode. With `keep` the worker just stops. */
#include <stdlib.h>
#include <string.h>

#include "device_worker-int.h"
#include "policy-t.h"
#include "resource.h"

int device_removes_on_delete(const weft_resource *device)
{
	const weft_device_spec *ds = device ? device->spec : NULL;
	return ds && ds->on_delete != WEFT_ON_DELETE_KEEP;
}

weft_snapshot *device_removal_snapshot(weft_resource *device, int64_t rev, weft_err *err)
{
	weft_diags diags;
	weft_diags_init(&diags);
	weft_policyset *set = weft_policyset_new(&device, 1, &diags);
	weft_snapshot *snap = NULL;
	if (!set)
		weft_err_set(err, "device %s/%s: removal: out of memory", device->ns, device->name);
	else
		snap = weft_snapshot_compile(set, rev, NULL, err);
	weft_policyset_unref(set);
	weft_diags_free(&diags);
	return snap;
}

void controller_plan_removals(weft_controller *c, const weft_snapshot *snap, json_t *arr)
{
	pthread_mutex_lock(&c->mu);
	weft_resource **devs = calloc(c->n_workers + 1, sizeof(*devs));
	size_t n = 0;
	for (size_t i = 0; devs && i < c->n_workers; i++) {
		struct device_worker *w = c->workers[i];
		if (!worker_find_device(snap, w->key) && device_removes_on_delete(w->device) &&
		    strcmp(w->state, "removed"))
			devs[n++] = weft_resource_ref(w->device);
	}
	pthread_mutex_unlock(&c->mu);
	for (size_t i = 0; i < n; i++) {
		char key[512], type[64];
		controller_device_key(devs[i], key, sizeof(key));
		const char *kind = controller_device_type(devs[i], type, sizeof(type));
		weft_err err = {0};
		weft_plan plan;
		weft_plan_init(&plan, key, kind, weft_snapshot_revision(snap));
		weft_snapshot *empty =
		        device_removal_snapshot(devs[i], weft_snapshot_revision(snap), &err);
		json_t *pj = NULL;
		if (empty && !controller_plan_device(c, empty, devs[i], &plan, &err))
			pj = weft_plan_to_json(&plan);
		else
			pj = json_pack("{s:s, s:s, s:s}", "device", key, "kind", kind ? kind : "?",
			               "error", err.msg);
		/* Say why a device that is no longer in the policy has a plan. */
		json_object_set_new(pj, "deleted", json_true());
		json_array_append_new(arr, pj);
		weft_plan_free(&plan);
		weft_snapshot_unref(empty);
		weft_resource_unref(devs[i]);
	}
	free(devs);
}
