/* Adapter registry (compiled-in kinds and plugins loaded with dlopen) and
 * plan helpers. See adapter.h for the contract. The registry is filled at
 * start-up, before any device worker runs, and is read-only afterwards. */
#include "adapter.h"

#include <dirent.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ADAPTERS 32

static const weft_adapter *registry[MAX_ADAPTERS];
static size_t n_registry;
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;

static int check_adapter(const weft_adapter *a, weft_err *err)
{
	if (!a || !a->kind || !*a->kind)
		return weft_err_set(err, "adapter without a kind");
	if (a->abi != WEFT_ADAPTER_ABI)
		return weft_err_set(err, "adapter '%s': ABI %d, weft expects %d", a->kind, a->abi,
		                    WEFT_ADAPTER_ABI);
	if (!a->render || !a->diff || !a->apply || !a->free_config)
		return weft_err_set(
		        err, "adapter '%s': render, diff, apply and free_config are required",
		        a->kind);
	return 0;
}

int weft_adapter_register(const weft_adapter *a, int replace, weft_err *err)
{
	if (check_adapter(a, err))
		return -1;
	pthread_mutex_lock(&registry_lock);
	int rc = 0;
	size_t i;
	for (i = 0; i < n_registry; i++)
		if (!strcmp(registry[i]->kind, a->kind))
			break;
	if (i < n_registry && !replace)
		rc = weft_err_set(err, "adapter kind '%s' is already registered", a->kind);
	else if (i == MAX_ADAPTERS)
		rc = weft_err_set(err, "too many adapter kinds (max %d)", MAX_ADAPTERS);
	else {
		registry[i] = a;
		if (i == n_registry)
			n_registry++;
	}
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

const weft_adapter *weft_adapter_find(const char *kind)
{
	const weft_adapter *found = NULL;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < n_registry && !found; i++)
		if (!strcmp(registry[i]->kind, kind))
			found = registry[i];
	pthread_mutex_unlock(&registry_lock);
	return found;
}

size_t weft_adapter_kinds(const char **out, size_t max)
{
	pthread_mutex_lock(&registry_lock);
	size_t n = n_registry < max ? n_registry : max;
	for (size_t i = 0; i < n; i++)
		out[i] = registry[i]->kind;
	pthread_mutex_unlock(&registry_lock);
	return n;
}

typedef const weft_adapter *(*entry_fn)(void);

/* Adds one plugin problem to err, keeping earlier ones ("a; b"). */
static void plugin_problem(weft_err *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
static void plugin_problem(weft_err *err, const char *fmt, ...)
{
	if (!err)
		return;
	char one[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(one, sizeof(one), fmt, ap);
	va_end(ap);
	size_t used = strlen(err->msg);
	snprintf(err->msg + used, sizeof(err->msg) - used, "%s%s", used ? "; " : "", one);
	err->code = WEFT_EFAIL;
}

int weft_adapter_load_dir(const char *dir, weft_err *err)
{
	DIR *d = opendir(dir);
	if (!d)
		return weft_err_set(err, "plugin directory %s: cannot open", dir);
	if (err)
		err->msg[0] = 0;
	int loaded = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 3, ".so"))
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			plugin_problem(err, "plugin %s: %s", path, dlerror());
			continue;
		}
		entry_fn entry;
		*(void **)&entry = dlsym(h, "weft_adapter_entry");
		weft_err one = {0};
		if (!entry) {
			plugin_problem(err, "plugin %s: no symbol weft_adapter_entry", path);
			dlclose(h);
		} else if (weft_adapter_register(entry(), 0, &one)) {
			plugin_problem(err, "plugin %s: %s", path, one.msg);
			dlclose(h);
		} else {
			loaded++; /* the handle stays open for the process lifetime */
		}
	}
	closedir(d);
	return loaded;
}

const char *weft_phase_name(weft_phase phase)
{
	switch (phase) {
	case WEFT_PHASE_PREPARE:
		return "prepare";
	case WEFT_PHASE_APPLY:
		return "apply";
	case WEFT_PHASE_CONFIRM:
		return "confirm";
	}
	return "?";
}

int weft_adapter_instance_init(weft_adapter_instance *inst, const weft_adapter *ops,
                               weft_controller *c, const json_t *config, weft_err *err)
{
	memset(inst, 0, sizeof(*inst));
	if (!ops->init) {
		inst->ops = ops;
		return 0;
	}
	json_t *empty = config ? NULL : json_object();
	int rc = ops->init(c, config ? config : empty, &inst->ctx, err);
	json_decref(empty);
	if (rc) {
		inst->ctx = NULL;
		weft_err_prefix(err, "adapter %s", ops->kind);
		return -1;
	}
	inst->ops = ops;
	return 0;
}

void weft_adapter_instance_fini(weft_adapter_instance *inst)
{
	if (!inst || !inst->ops)
		return;
	if (inst->ops->fini)
		inst->ops->fini(inst->ctx);
	inst->ctx = NULL;
	inst->ops = NULL;
}

void weft_plan_init(weft_plan *plan, const char *device, const char *kind, int64_t revision)
{
	memset(plan, 0, sizeof(*plan));
	plan->device = strdup(device ? device : "");
	plan->kind = strdup(kind ? kind : "");
	plan->revision = revision;
}

void weft_plan_free(weft_plan *plan)
{
	for (size_t i = 0; i < plan->n_ops; i++) {
		free(plan->ops[i].action);
		free(plan->ops[i].target);
		free(plan->ops[i].detail);
	}
	free(plan->ops);
	weft_warnings_free(&plan->warnings);
	free(plan->device);
	free(plan->kind);
	if (plan->priv && plan->free_priv)
		plan->free_priv(plan->priv);
	memset(plan, 0, sizeof(*plan));
}

int weft_plan_add(weft_plan *plan, const char *action, const char *target, const char *detail)
{
	if (plan->n_ops == plan->cap) {
		size_t cap = plan->cap ? plan->cap * 2 : 8;
		weft_plan_op *ops = realloc(plan->ops, cap * sizeof(*ops));
		if (!ops)
			return -1;
		plan->ops = ops;
		plan->cap = cap;
	}
	weft_plan_op *op = &plan->ops[plan->n_ops++];
	op->action = strdup(action);
	op->target = strdup(target);
	op->detail = detail ? strdup(detail) : NULL;
	return 0;
}

json_t *weft_plan_to_json(const weft_plan *plan)
{
	json_t *ops = json_array();
	for (size_t i = 0; i < plan->n_ops; i++) {
		json_t *op = json_pack("{s:s, s:s}", "action", plan->ops[i].action, "target",
		                       plan->ops[i].target);
		if (plan->ops[i].detail)
			json_object_set_new(op, "detail", json_string(plan->ops[i].detail));
		json_array_append_new(ops, op);
	}
	return json_pack("{s:s, s:s, s:I, s:o, s:o}", "device", plan->device, "kind", plan->kind,
	                 "revision", (json_int_t)plan->revision, "ops", ops, "warnings",
	                 weft_warnings_to_json(&plan->warnings));
}

int weft_plan_check_strict(const weft_resource *device, const weft_plan *plan, weft_err *err)
{
	const weft_device_spec *ds = device ? device->spec : NULL;
	if (!ds || !ds->strict || !plan->warnings.count)
		return 0;
	char first[1400];
	weft_warning_format(&plan->warnings.items[0], first, sizeof(first));
	return weft_err_set(err,
	                    "device %s/%s: strict: the plan has %zu translation warning(s), "
	                    "refused; first: %s",
	                    device->ns, device->name, plan->warnings.count, first);
}
