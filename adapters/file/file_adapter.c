/* The file adapter (see file_adapter.h). Phases:
 *   render   selected resources -> sorted list of (relative path, content)
 *   observe  read back the files DIR/.weft-manifest lists (what weft wrote)
 *   diff     sorted merge -> create / update / delete ops
 *   prepare  refuse to replace a file weft did not write, then write new
 *            contents to DIR/.weft-staging (nothing visible yet)
 *   apply    back up what will be replaced into DIR/.weft-backup, rename
 *            staged files into place, write the new manifest, then unlink
 *            deleted files
 *   confirm  drop the backup
 *   abort    restore the backup (manifest included) and remove files
 *            created by apply
 * Ownership (docs/architecture.md, file adapter): only files listed in the
 * manifest are ever deleted or replaced, so a directory shared with other
 * files loses none of them. The manifest is written after the new files
 * are in place and before old ones are unlinked: a crash in between leaves
 * at worst a file weft wrote but does not list (adopted on the next push
 * when its content is what weft would write) or one it no longer lists
 * (left alone), never a listed file that weft did not write. */
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
#include "policy.h"
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
	char clean[FILE_TREE_MAX_DIR];
	int rc = 0;
	if (!dir || !*dir)
		rc = weft_err_set(err,
		                  "device %s/%s: spec.options.directory is required for type file",
		                  dev->ns, dev->name);
	else if (weft_relpath_clean(dir, clean, sizeof(clean)))
		/* validation refuses these too (docs/policy.md); this adapter
		 * never writes outside its root or into the root itself */
		rc = weft_err_set(err,
		                  "device %s/%s: spec.options.directory '%s' must be a relative "
		                  "path below the file root, without '..' and not '.'",
		                  dev->ns, dev->name, dir);
	else
		snprintf(out, len, "%s/%s", fc->root, clean);
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
	if (file_tree_read_owned(t, s->dir, err)) {
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
	/* no actual (a dry-run that may not touch the device): an empty one */
	static const struct file_tree nothing;
	const struct file_tree *d = desired, *a = actual ? actual : &nothing;
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

/* Whether op may touch its target: deletes and updates only of files the
 * manifest lists; a create over an existing file weft did not write only
 * when that file already holds exactly what weft would write (adopted:
 * e.g. written by a push that crashed before its manifest). */
static int check_owned(const char *dir, const struct file_tree *owned, const weft_plan_op *op,
                       weft_err *err)
{
	if (file_tree_find(owned, op->target) >= 0)
		return 0;
	char path[6200];
	snprintf(path, sizeof(path), "%s/%s", dir, op->target);
	if (strcmp(op->action, "create"))
		return weft_err_set(err, "%s %s: weft did not write it (not in %s/%s)", op->action,
		                    path, dir, FILE_TREE_MANIFEST);
	struct stat st;
	if (lstat(path, &st) != 0)
		return 0;
	char *have = S_ISREG(st.st_mode) ? file_tree_slurp(path) : NULL;
	int same = have && op->detail && !strcmp(have, op->detail);
	free(have);
	if (same)
		return 0;
	return weft_err_set(err,
	                    "create %s: a file weft did not write is in the way (not in %s/%s); "
	                    "move it away or point the Device at another directory",
	                    path, dir, FILE_TREE_MANIFEST);
}

static int file_adapter_prepare(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct file_session *s = session;
	struct file_tree owned = {0};
	int rc = file_tree_read_manifest(&owned, s->dir, err);
	for (size_t i = 0; !rc && i < plan->n_ops; i++)
		rc = check_owned(s->dir, &owned, &plan->ops[i], err);
	file_tree_clear(&owned);
	if (rc)
		return -1;
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

/* The manifest after plan: what it listed and still exists, plus what the
 * plan wrote, minus what it deletes. */
static int next_manifest(const char *dir, const weft_plan *plan, struct file_tree *out,
                         weft_err *err)
{
	struct file_tree old = {0};
	if (file_tree_read_manifest(&old, dir, err))
		return -1;
	int rc = 0;
	for (size_t i = 0; !rc && i < old.count; i++) {
		char path[6200];
		struct stat st;
		snprintf(path, sizeof(path), "%s/%s", dir, old.items[i].path);
		if (lstat(path, &st) == 0 && file_tree_add(out, old.items[i].path, ""))
			rc = weft_err_set(err, "out of memory");
	}
	file_tree_clear(&old);
	for (size_t i = 0; !rc && i < plan->n_ops; i++)
		if (strcmp(plan->ops[i].action, "delete") &&
		    file_tree_add(out, plan->ops[i].target, ""))
			rc = weft_err_set(err, "out of memory");
	file_tree_sort(out);
	file_tree_dedup(out);
	for (size_t i = 0; !rc && i < plan->n_ops; i++)
		if (!strcmp(plan->ops[i].action, "delete"))
			file_tree_drop(out, plan->ops[i].target);
	return rc;
}

static int file_adapter_apply(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct file_session *s = session;
	for (size_t i = 0; i < plan->n_ops; i++) {
		weft_plan_op *op = &plan->ops[i];
		if (file_tree_backup(s->dir, op->target, err))
			return -1;
		if (strcmp(op->action, "delete") && file_tree_promote(s->dir, op->target, err))
			return -1;
	}
	struct file_tree owned = {0};
	int rc = next_manifest(s->dir, plan, &owned, err);
	if (!rc)
		rc = file_tree_backup(s->dir, FILE_TREE_MANIFEST, err);
	if (!rc)
		rc = file_tree_write_manifest(s->dir, &owned, err);
	file_tree_clear(&owned);
	for (size_t i = 0; !rc && i < plan->n_ops; i++)
		if (!strcmp(plan->ops[i].action, "delete"))
			rc = file_tree_remove(s->dir, plan->ops[i].target, err);
	return rc ? -1 : 0;
}

/* Test fault knob: WEFT_FILE_FAULT_CONFIRM in weftd's environment is a
 * comma-separated list of devices ("namespace/name") whose confirm fails,
 * before anything is dropped, so the transaction engine's handling of a
 * confirm failure can be tested end to end (docs/weftd.md). Read at each
 * confirm; never set in production. */
static int confirm_fault(const char *device)
{
	const char *list = getenv("WEFT_FILE_FAULT_CONFIRM");
	size_t len = strlen(device);
	for (const char *p = list; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n == len && !strncmp(p, device, n))
			return 1;
		p = end ? end + 1 : NULL;
	}
	return 0;
}

static void drop_staging_and_backup(struct file_session *s)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", s->dir, FILE_TREE_BACKUP);
	file_tree_rmrf(path);
	snprintf(path, sizeof(path), "%s/%s", s->dir, FILE_TREE_STAGING);
	file_tree_rmrf(path);
}

static int file_adapter_confirm(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct file_session *s = session;
	if (confirm_fault(plan->device))
		return weft_err_set(err, "device %s: confirm failed (WEFT_FILE_FAULT_CONFIRM)",
		                    plan->device);
	drop_staging_and_backup(s);
	return 0;
}

/* Whatever the phase: the backup holds what apply replaced (none before
 * apply), so restoring it and dropping the staging undoes any of them. */
static int file_adapter_abort(void *ctx, void *session, weft_plan *plan, weft_phase phase,
                              weft_err *err)
{
	(void)ctx;
	(void)phase;
	struct file_session *s = session;
	int rc = 0;
	for (size_t i = 0; i < plan->n_ops; i++)
		rc |= file_tree_restore(s->dir, plan->ops[i].target, err);
	rc |= file_tree_restore(s->dir, FILE_TREE_MANIFEST, err);
	drop_staging_and_backup(s);
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
