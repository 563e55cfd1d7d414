/* diff: observed (actual) vs rendered (desired) weft-lb trees -> the
 * minimal edit-config. libyang's lyd_diff_siblings gives a tree annotated
 * with yang:operation (create, delete, replace, none); it is turned into
 * NETCONF's nc:operation (RFC 6241 7.2):
 *   create   -> nc:operation="create" on the created node, whole subtree
 *   delete   -> nc:operation="delete" on the deleted node, keys only
 *   replace  -> a leaf's new value: nc:operation="merge" (for a leaf the
 *               same as replace in RFC 6241; ncsim duplicates leaves on
 *               replace); a moved user-ordered entry: "replace"
 *   none     -> no attribute: a parent on the way (default-operation merge)
 * Non-presence containers exist implicitly, so a create of one is left to
 * the default operation (merge, no attribute) and a delete becomes a
 * remove (neither can fail on a device that has, or has not, materialised
 * the container). Never a full replace; an empty
 * diff adds no op and nothing is sent.
 *
 * The plan: one op per changed node (action = the operation, target = its
 * libyang path, detail = its XML as sent), then one "edit-config" op whose
 * detail is the whole <config> the edit-config carries. The inverse edit
 * (from lyd_diff_reverse_all) is staged too: abort on a running-only device
 * sends it to undo an applied edit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncdev.h"

#define NC_CONFIG_OPEN "<config xmlns=\"urn:ietf:params:xml:ns:netconf:base:1.0\">"

static const char *op_of(const struct lyd_node *n)
{
	struct lyd_meta *m = lyd_find_meta(n->meta, NULL, "yang:operation");
	return m ? lyd_get_meta_value(m) : NULL;
}

/* Removes every yang: annotation of n (not of its children). */
static void strip_yang_meta(struct lyd_node *n)
{
	struct lyd_meta *m = n->meta, *next;
	for (; m; m = next) {
		next = m->next;
		if (!strcmp(m->annotation->module->name, "yang"))
			lyd_free_meta_single(m);
	}
}

static void strip_subtree(struct lyd_node *n)
{
	struct lyd_node *e;
	LYD_TREE_DFS_BEGIN(n, e)
	{
		strip_yang_meta(e);
		LYD_TREE_DFS_END(n, e);
	}
}

/* Leaves only the keys of a deleted list entry. */
static void keep_keys_only(struct lyd_node *n)
{
	struct lyd_node *c = lyd_child(n), *next;
	for (; c; c = next) {
		next = c->next;
		if (!lysc_is_key(c->schema))
			lyd_free_tree(c);
	}
}

static int is_np_container(const struct lyd_node *n)
{
	return n->schema->nodetype == LYS_CONTAINER && !(n->schema->flags & LYS_PRESENCE);
}

struct conv {
	weft_plan *plan; /* NULL: no ops (the inverse edit) */
	int changes;
};

static int add_op(struct conv *cv, struct lyd_node *n, const char *op)
{
	cv->changes++;
	if (!cv->plan)
		return 0;
	char *path = lyd_path(n, LYD_PATH_STD, NULL, 0);
	char *xml = NULL;
	/* KEEPEMPTYCONT: a removed container (the whole weft-lb tree of a
	 * deleted Device) is empty once its children are dropped. */
	lyd_print_mem(&xml, n, LYD_XML, LYD_PRINT_SHRINK | LYD_PRINT_KEEPEMPTYCONT);
	int rc = path && xml ? weft_plan_add(cv->plan, op, path, xml) : -1;
	free(path);
	free(xml);
	return rc;
}

/* Converts the siblings starting at first (yang:operation -> nc:operation),
 * inheriting op from the parent. */
static int convert(struct conv *cv, struct lyd_node *first, const char *inherited)
{
	const struct ly_ctx *ctx = LYD_CTX(first);
	for (struct lyd_node *n = first, *next; n; n = next) {
		next = n->next;
		const char *op = op_of(n);
		if (!op)
			op = inherited;
		strip_yang_meta(n);
		if (!strcmp(op, "none")) {
			if (lyd_child(n) && convert(cv, lyd_child(n), "none"))
				return -1;
			continue;
		}
		const char *nc = op;
		if (!strcmp(op, "create")) {
			strip_subtree(n);
			nc = is_np_container(n) ? "merge" : "create";
		} else if (!strcmp(op, "delete") && is_np_container(n) && lyd_child(n)) {
			/* Delete what an NP container holds rather than the
			 * container (it exists anyway): the whole weft-lb tree
			 * of a deleted Device becomes one delete per entry,
			 * which every server applies (ncsim ignores a remove on
			 * the top container). */
			if (convert(cv, lyd_child(n), "delete"))
				return -1;
			continue;
		} else if (!strcmp(op, "delete")) {
			if (n->schema->nodetype == LYS_LIST)
				keep_keys_only(n);
			else if (n->schema->nodetype == LYS_CONTAINER)
				lyd_free_siblings(lyd_child(n));
			nc = is_np_container(n) ? "remove" : "delete";
		} else {
			strip_subtree(n); /* replace: a leaf value or a moved entry */
			nc = n->schema->nodetype & LYD_NODE_TERM ? "merge" : "replace";
		}
		/* A created NP container carries no attribute at all: the
		 * default operation (merge) creates it. yuma123 netconfd
		 * drops the children of an explicit merge on it silently. */
		int implicit = !strcmp(nc, "merge") && !strcmp(op, "create");
		if ((!implicit &&
		     lyd_new_meta(ctx, n, NULL, "ietf-netconf:operation", nc, 0, NULL)) ||
		    add_op(cv, n, nc))
			return -1;
	}
	return 0;
}

/* diff -> edit XML (malloc'd, NULL when there is no change). */
static int edit_from_diff(const struct lyd_node *diff, weft_plan *plan, char **out, int *changes)
{
	struct lyd_node *edit = NULL;
	*out = NULL;
	*changes = 0;
	if (!diff)
		return 0;
	if (lyd_dup_siblings(diff, NULL, LYD_DUP_RECURSIVE, &edit))
		return -1;
	struct conv cv = {.plan = plan};
	int rc = convert(&cv, edit, "none");
	*changes = cv.changes;
	if (!rc && cv.changes &&
	    lyd_print_mem(out, edit, LYD_XML,
	                  LYD_PRINT_WITHSIBLINGS | LYD_PRINT_SHRINK | LYD_PRINT_KEEPEMPTYCONT))
		rc = -1;
	lyd_free_all(edit);
	return rc;
}

static void plan_priv_free(void *p)
{
	struct ncdev_plan *np = p;
	if (!np)
		return;
	free(np->edit);
	free(np->inverse);
	free(np);
}

static int stage(const struct lyd_node *diff, weft_plan *plan, weft_err *err, const char *dev)
{
	struct ncdev_plan *np = calloc(1, sizeof(*np));
	int changes = 0, rchanges = 0;
	struct lyd_node *rdiff = NULL;
	if (!np || edit_from_diff(diff, plan, &np->edit, &changes))
		goto fail;
	if (!changes) {
		plan_priv_free(np);
		return 0;
	}
	if (lyd_diff_reverse_all(diff, &rdiff) ||
	    edit_from_diff(rdiff, NULL, &np->inverse, &rchanges))
		goto fail;
	lyd_free_all(rdiff);
	size_t len = strlen(NC_CONFIG_OPEN) + strlen(np->edit) + 16;
	char *config = malloc(len);
	if (!config)
		goto fail;
	snprintf(config, len, "%s%s</config>", NC_CONFIG_OPEN, np->edit);
	int rc = weft_plan_add(plan, "edit-config", "/weft-lb:lb", config);
	free(config);
	if (rc)
		goto fail;
	plan->priv = np;
	plan->free_priv = plan_priv_free;
	return 0;
fail:
	lyd_free_all(rdiff);
	plan_priv_free(np);
	return weft_err_set(err, "device %s: diff: out of memory or libyang failure", dev);
}

int ncdev_diff(const weft_resource *dev, const void *desired, const void *actual, weft_plan *plan,
               weft_err *err)
{
	const struct ncdev_config *d = desired, *a = actual;
	char key[300];
	snprintf(key, sizeof(key), "%s/%s", dev->ns, dev->name);
	const struct ly_ctx *ctx = ncdev_model_ctx(err);
	if (!ctx)
		return -1;
	struct lyd_node *diff = NULL;
	if (lyd_diff_siblings(a ? a->tree : NULL, d ? d->tree : NULL, 0, &diff)) {
		char ly[700];
		ncdev_ly_error(ctx, ly, sizeof(ly));
		return weft_err_set(err, "device %s: diff: %s", key, ly);
	}
	int rc = stage(diff, plan, err, key);
	lyd_free_all(diff);
	if (!rc && d && weft_warnings_append(&plan->warnings, &d->warnings))
		rc = weft_err_set(err, "device %s: diff: out of memory", key);
	return rc;
}
