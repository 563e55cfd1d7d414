/* The file adapter (see file_adapter.h). Phases:
 *   render   selected resources -> sorted list of (relative path, content)
 *   observe  read DIR back (every *.json below the kind directories)
 *   diff     sorted merge -> create / update / delete ops
 *   prepare  write new contents to DIR/.weft-staging (nothing visible yet)
 *   apply    back up what will be replaced into DIR/.weft-backup, then
 *            rename staged files into place and unlink deleted ones
 *   confirm  drop the backup
 *   abort    restore the backup and remove files created by apply */
#include "file_adapter.h"

#pragma GCC diagnostic ignored "-Wformat-truncation" /* see file_tree.c */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_tree.h"
#include "resource.h"

struct file_session {
	char dir[4096];
};

/* An instance: where its relative device directories resolve. */
struct file_ctx {
	char root[FILE_TREE_MAX_DIR];
};

/* config: {"root": DIR} (default "."); any other key is refused. */
static int file_adapter_init(weft_controller *c, const json_t *config, void **ctx, weft_err *err)
{
	(void)c;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)config, key, v)
	{
		if (strcmp(key, "root"))
			return weft_err_set(err, "unknown option '%s' (expected: root)", key);
		if (!json_is_string(v))
			return weft_err_set(err, "root: expected a directory name");
	}
	const char *root = json_string_value(json_object_get(config, "root"));
	if (root && strlen(root) >= FILE_TREE_MAX_DIR)
		return weft_err_set(err, "root: longer than %d bytes", FILE_TREE_MAX_DIR - 1);
	struct file_ctx *fc = calloc(1, sizeof(*fc));
	if (!fc)
		return weft_err_set(err, "out of memory");
	snprintf(fc->root, sizeof(fc->root), "%s", root && *root ? root : ".");
	*ctx = fc;
	return 0;
}

static void file_adapter_fini(void *ctx)
{
	free(ctx);
}

static int device_directory(const struct file_ctx *fc, const weft_resource *dev, char *out,
                            size_t len, weft_err *err)
{
	json_t *doc = json_loadb(dev->json, dev->json_len, 0, NULL);
	json_t *spec = json_object_get(doc, "spec");
	const char *dir =
	        json_string_value(json_object_get(json_object_get(spec, "options"), "directory"));
	int rc = 0;
	if (!dir || !*dir)
		rc = weft_err_set(err,
		                  "device %s/%s: spec.options.directory is required for type file",
		                  dev->ns, dev->name);
	else if (dir[0] == '/')
		snprintf(out, len, "%s", dir);
	else
		snprintf(out, len, "%s/%s", fc->root, dir);
	if (!rc && strlen(out) >= FILE_TREE_MAX_DIR)
		rc = weft_err_set(err, "device %s/%s: directory path longer than %d bytes", dev->ns,
		                  dev->name, FILE_TREE_MAX_DIR);
	json_decref(doc);
	return rc;
}

static int file_adapter_open(void *ctx, const weft_resource *dev, void **session, weft_err *err)
{
	struct file_session *s = calloc(1, sizeof(*s));
	if (!s)
		return weft_err_set(err, "out of memory");
	if (device_directory(ctx, dev, s->dir, sizeof(s->dir), err) ||
	    file_tree_mkdirs(s->dir, err)) {
		free(s);
		return -1;
	}
	*session = s;
	return 0;
}

static void file_adapter_close(void *ctx, void *session)
{
	(void)ctx;
	free(session);
}

static int file_adapter_render(void *ctx, const weft_snapshot *snap, const weft_resource *dev,
                               void **desired, weft_err *err)
{
	(void)ctx;
	size_t n;
	weft_resource *const *sel = weft_snapshot_by_device(snap, dev->ns, dev->name, &n);
	struct file_tree *t = file_tree_new();
	if (!t)
		return weft_err_set(err, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/%s/%s.json", weft_kind_plural(sel[i]->kind),
		         sel[i]->ns, sel[i]->name);
		/* Pretty-printed for review; canonical (sorted keys) so that an
		 * unchanged resource renders byte for byte the same. */
		json_t *doc = json_loadb(sel[i]->json, sel[i]->json_len, 0, NULL);
		char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
		json_decref(doc);
		int rc = text ? file_tree_add(t, path, text) : -1;
		free(text);
		if (rc) {
			file_tree_free(t);
			return weft_err_set(err, "render %s: out of memory", path);
		}
	}
	file_tree_sort(t);
	*desired = t;
	return 0;
}

static int file_adapter_observe(void *ctx, void *session, const weft_resource *dev, void **actual,
                                weft_err *err)
{
	(void)ctx;
	struct file_session *s = session;
	struct file_tree *t = file_tree_new();
	if (!t)
		return weft_err_set(err, "out of memory");
	if (file_tree_read(t, s->dir, err)) {
		file_tree_free(t);
		weft_err_prefix(err, "device %s/%s", dev->ns, dev->name);
		return -1;
	}
	file_tree_sort(t);
	*actual = t;
	return 0;
}

static int file_adapter_diff(void *ctx, const weft_resource *dev, const void *desired,
                             const void *actual, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	const struct file_tree *d = desired, *a = actual;
	size_t i = 0, j = 0;
	while (i < d->count || j < a->count) {
		int c = i == d->count   ? 1
		        : j == a->count ? -1
		                        : strcmp(d->items[i].path, a->items[j].path);
		int rc = 0;
		if (c < 0) {
			rc = weft_plan_add(plan, "create", d->items[i].path, d->items[i].content);
			i++;
		} else if (c > 0) {
			rc = weft_plan_add(plan, "delete", a->items[j].path, NULL);
			j++;
		} else {
			if (strcmp(d->items[i].content, a->items[j].content))
				rc = weft_plan_add(plan, "update", d->items[i].path,
				                   d->items[i].content);
			i++;
			j++;
		}
		if (rc)
			return weft_err_set(err, "device %s/%s: out of memory", dev->ns, dev->name);
	}
	return 0;
}

static int file_adapter_prepare(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct file_session *s = session;
	char staging[4200];
	snprintf(staging, sizeof(staging), "%s/%s", s->dir, FILE_TREE_STAGING);
	file_tree_rmrf(staging);
	for (size_t i = 0; i < plan->n_ops; i++) {
		weft_plan_op *op = &plan->ops[i];
		if (strcmp(op->action, "delete") &&
		    file_tree_write(staging, op->target, op->detail, err))
			return -1;
	}
	return 0;
}

static int file_adapter_apply(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct file_session *s = session;
	for (size_t i = 0; i < plan->n_ops; i++) {
		weft_plan_op *op = &plan->ops[i];
		if (file_tree_backup(s->dir, op->target, err))
			return -1;
		if (!strcmp(op->action, "delete")) {
			if (file_tree_remove(s->dir, op->target, err))
				return -1;
		} else if (file_tree_promote(s->dir, op->target, err)) {
			return -1;
		}
	}
	return 0;
}

static int file_adapter_confirm(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct file_session *s = session;
	(void)plan;
	(void)err;
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", s->dir, FILE_TREE_BACKUP);
	file_tree_rmrf(path);
	snprintf(path, sizeof(path), "%s/%s", s->dir, FILE_TREE_STAGING);
	file_tree_rmrf(path);
	return 0;
}

/* Whatever the phase: the backup holds what apply replaced (none before
 * apply), so restoring it and dropping the staging undoes any of them. */
static int file_adapter_abort(void *ctx, void *session, weft_plan *plan, weft_phase phase,
                              weft_err *err)
{
	(void)phase;
	struct file_session *s = session;
	int rc = 0;
	for (size_t i = 0; i < plan->n_ops; i++)
		rc |= file_tree_restore(s->dir, plan->ops[i].target, err);
	file_adapter_confirm(ctx, session, plan, err);
	return rc ? -1 : 0;
}

static void file_adapter_free_config(void *ctx, void *config)
{
	(void)ctx;
	file_tree_free(config);
}

static const weft_adapter file_adapter_table = {
        .kind = "file",
        .abi = WEFT_ADAPTER_ABI,
        .init = file_adapter_init,
        .fini = file_adapter_fini,
        .open = file_adapter_open,
        .close = file_adapter_close,
        .render = file_adapter_render,
        .observe = file_adapter_observe,
        .diff = file_adapter_diff,
        .prepare = file_adapter_prepare,
        .apply = file_adapter_apply,
        .confirm = file_adapter_confirm,
        .abort = file_adapter_abort,
        .free_config = file_adapter_free_config,
};

const weft_adapter *file_adapter(void)
{
	return &file_adapter_table;
}
