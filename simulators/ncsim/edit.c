/* ncsim edit-config (RFC 6241, section 7.2).
 *
 * The <config> content is parsed into a libyang tree (parse only: types are
 * checked, must/leafref/mandatory wait for validate or commit, as on real
 * candidate-based gear). Its nodes carry the nc:operation metadata, which
 * libyang 2 declares for ietf-netconf itself. The edit is applied node by
 * node to a copy of the target datastore with the RFC semantics:
 *   merge, replace, create (data-exists), delete (data-missing), remove,
 *   none (data-missing for a leaf that is not there);
 * default-operation, error-option (stop-on-error keeps what was applied
 * before the error, continue-on-error, rollback-on-error keeps nothing) and
 * test-option (test-only validates without applying). Edits of running
 * (writable-running devices) are validated before they take effect, since
 * running must always be valid.
 */
#include "ncsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum eop { EOP_MERGE, EOP_REPLACE, EOP_CREATE, EOP_DELETE, EOP_REMOVE, EOP_NONE };

struct edit_ctx {
	const struct ly_ctx *ctx;
	int continue_on_error;
	struct nc_server_reply *reply; /* errors collected so far */
	int changed;
};

static int parse_eop(const char *v, enum eop def)
{
	static const char *const names[] = {"merge",  "replace", "create",
	                                    "delete", "remove",  "none"};

	for (int i = 0; v && i < 6; i++)
		if (!strcmp(v, names[i]))
			return i;
	return def;
}

static enum eop node_eop(const struct lyd_node *e, enum eop inherited)
{
	for (const struct lyd_meta *m = e->meta; m; m = m->next)
		if (!strcmp(m->name, "operation") &&
		    !strcmp(m->annotation->module->name, "ietf-netconf"))
			return parse_eop(lyd_get_meta_value(m), inherited);
	return inherited;
}

static void add_error(struct edit_ctx *ec, NC_ERR tag, const char *what, const struct lyd_node *e)
{
	char *path = lyd_path(e, LYD_PATH_STD, NULL, 0);
	char msg[1200];
	struct lyd_node *err;

	snprintf(msg, sizeof(msg), "%s: %s", what, path ? path : "?");
	if (!ec->reply) {
		ec->reply = reply_err(ec->ctx, tag, msg, path);
	} else {
		err = nc_err(ec->ctx, tag);
		nc_err_set_msg(err, msg, "en");
		if (path)
			nc_err_set_path(err, path);
		nc_server_reply_add_err(ec->reply, err);
	}
	free(path);
}

static struct lyd_node *find_match(struct lyd_node *parent, struct lyd_node **top,
                                   const struct lyd_node *e)
{
	struct lyd_node *siblings = parent ? lyd_child(parent) : *top, *match = NULL;

	if (!siblings)
		return NULL;
	/* A leaf, container or anydata exists at most once: it is the same
	 * node whatever its value (lyd_find_sibling_first would compare the
	 * leaf's value too, and a changed value would become a second leaf).
	 * List entries and leaf-list values are matched by keys / value. */
	if (e->schema && (e->schema->nodetype & (LYS_LEAF | LYS_CONTAINER | LYS_ANYDATA))) {
		if (lyd_find_sibling_val(siblings, e->schema, NULL, 0, &match))
			return NULL;
		return match;
	}
	if (lyd_find_sibling_first(siblings, e, &match))
		return NULL;
	return match;
}

static void insert_node(struct lyd_node *parent, struct lyd_node **top, struct lyd_node *n)
{
	if (parent)
		lyd_insert_child(parent, n);
	else if (*top)
		lyd_insert_sibling(*top, n, top);
	else
		*top = n;
}

static void free_node(struct lyd_node **top, struct lyd_node *n)
{
	if (*top == n)
		*top = n->next;
	lyd_free_tree(n);
}

static int insert_copy(struct edit_ctx *ec, struct lyd_node *parent, struct lyd_node **top,
                       const struct lyd_node *e)
{
	struct lyd_node *copy = NULL;

	if (lyd_dup_single(e, NULL, LYD_DUP_RECURSIVE | LYD_DUP_NO_META, &copy)) {
		add_error(ec, NC_ERR_OP_FAILED, "cannot copy edit data", e);
		return -1;
	}
	insert_node(parent, top, copy);
	ec->changed = 1;
	return 0;
}

static int apply_siblings(struct edit_ctx *ec, struct lyd_node *parent, struct lyd_node **top,
                          const struct lyd_node *first, enum eop def);

static int only_keys(const struct lyd_node *n)
{
	for (const struct lyd_node *c = lyd_child(n); c; c = c->next)
		if (!lysc_is_key(c->schema))
			return 0;
	return 1;
}

/* merge or none on an inner node: descend, creating the node if needed. */
static int apply_inner(struct edit_ctx *ec, struct lyd_node *parent, struct lyd_node **top,
                       const struct lyd_node *e, struct lyd_node *match, enum eop op)
{
	int created = 0, rc;

	if (!match) {
		/* lyd_dup_single always copies a list's keys */
		if (lyd_dup_single(e, NULL, LYD_DUP_NO_META, &match)) {
			add_error(ec, NC_ERR_OP_FAILED, "cannot copy edit data", e);
			return -1;
		}
		insert_node(parent, top, match);
		created = 1;
	}
	rc = apply_siblings(ec, match, top, lyd_child(e), op);
	if (created && op == EOP_NONE && only_keys(match))
		free_node(top, match); /* nothing below needed it */
	else if (created)
		ec->changed = 1;
	return rc;
}

static int apply_node(struct edit_ctx *ec, struct lyd_node *parent, struct lyd_node **top,
                      const struct lyd_node *e, enum eop inherited)
{
	enum eop op = node_eop(e, inherited);
	struct lyd_node *match = find_match(parent, top, e);
	int term = e->schema && (e->schema->nodetype & (LYD_NODE_TERM | LYD_NODE_ANY));

	switch (op) {
	case EOP_CREATE:
		if (match) {
			add_error(ec, NC_ERR_DATA_EXISTS, "data already exists", e);
			return -1;
		}
		return insert_copy(ec, parent, top, e);
	case EOP_DELETE:
	case EOP_REMOVE:
		if (!match && op == EOP_DELETE) {
			add_error(ec, NC_ERR_DATA_MISSING, "data to delete does not exist", e);
			return -1;
		}
		if (match) {
			free_node(top, match);
			ec->changed = 1;
		}
		return 0;
	case EOP_REPLACE:
		if (match)
			free_node(top, match);
		return insert_copy(ec, parent, top, e);
	default:
		break;
	}
	if (!term)
		return apply_inner(ec, parent, top, e, match, op);
	if (op == EOP_NONE) {
		if (match)
			return 0;
		add_error(ec, NC_ERR_DATA_MISSING, "no such data (operation none)", e);
		return -1;
	}
	if (!match)
		return insert_copy(ec, parent, top, e);
	if (e->schema->nodetype == LYS_LEAF) {
		LY_ERR rc = lyd_change_term(match, lyd_get_value(e));

		if (rc == LY_SUCCESS)
			ec->changed = 1;
		else if (rc != LY_EEXIST && rc != LY_ENOT) {
			add_error(ec, NC_ERR_INVALID_VALUE, "cannot set value", e);
			return -1;
		}
	} else if (e->schema->nodetype & LYD_NODE_ANY) {
		free_node(top, match);
		return insert_copy(ec, parent, top, e);
	}
	return 0;
}

static int apply_siblings(struct edit_ctx *ec, struct lyd_node *parent, struct lyd_node **top,
                          const struct lyd_node *first, enum eop def)
{
	int rc = 0;

	for (const struct lyd_node *e = first; e; e = e->next) {
		if (e->schema && lysc_is_key(e->schema))
			continue;
		if (apply_node(ec, parent, top, e, def)) {
			rc = -1;
			if (!ec->continue_on_error)
				break;
		}
	}
	return rc;
}

/* default-operation replace: the <config> replaces the whole datastore. */
static void drop_unlisted_top(struct lyd_node **top, const struct lyd_node *edit)
{
	struct lyd_node *n = *top, *next;

	for (; n; n = next) {
		struct lyd_node *m = NULL;

		next = n->next;
		if (!edit || lyd_find_sibling_first(edit, n, &m))
			free_node(top, n);
	}
}

static const char *opt_str(const struct lyd_node *rpc, const char *name, const char *def)
{
	struct lyd_node *n = NULL;

	return lyd_find_path(rpc, name, 0, &n) ? def : lyd_get_value(n);
}

struct edit_req {
	enum ds_id target;
	enum eop defop;
	int test_only, test_then_set, rollback, cont;
	struct lyd_node *edit;
};

static struct nc_server_reply *parse_req(struct ncsess *s, struct lyd_node *rpc,
                                         struct edit_req *rq)
{
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	struct ncdev *dev = s->dev;
	const char *test = opt_str(rpc, "test-option", "test-then-set");
	const char *err = opt_str(rpc, "error-option", "stop-on-error");
	struct lyd_node *cfg = NULL;

	memset(rq, 0, sizeof(*rq));
	if (ds_parse_name(rpc, "target", &rq->target, NULL) ||
	    (rq->target == DS_CANDIDATE && !(dev->caps & CAP_CANDIDATE)) ||
	    (rq->target == DS_RUNNING && !(dev->caps & CAP_WRITABLE_RUNNING)) ||
	    rq->target == DS_STARTUP)
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED,
		                 "edit-config target is not writable on this device", NULL);
	rq->defop = parse_eop(opt_str(rpc, "default-operation", "merge"), EOP_MERGE);
	rq->test_only = !strcmp(test, "test-only");
	rq->test_then_set = !strcmp(test, "test-then-set");
	rq->rollback = !strcmp(err, "rollback-on-error");
	rq->cont = !strcmp(err, "continue-on-error");
	if (rq->rollback && !(dev->caps & CAP_ROLLBACK_ON_ERROR))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "no :rollback-on-error capability",
		                 "/ietf-netconf:edit-config/error-option");
	if (rq->test_only && !(dev->caps & CAP_VALIDATE))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "test-only needs :validate",
		                 "/ietf-netconf:edit-config/test-option");
	if (lyd_find_path(rpc, "config", 0, &cfg))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "only inline <config> (no :url)",
		                 NULL);
	if (ds_any_to_tree(ctx, cfg, &rq->edit,
	                   LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE))
		return ds_config_err(ctx, cfg);
	return NULL;
}

struct nc_server_reply *edit_config(struct ncsess *s, struct lyd_node *rpc)
{
	struct ncdev *dev = s->dev;
	struct edit_ctx ec = {.ctx = LYD_CTX(rpc)};
	struct nc_server_reply *r;
	struct lyd_node *work = NULL;
	struct edit_req rq;
	int failed;

	if ((r = parse_req(s, rpc, &rq)))
		return r;
	ec.continue_on_error = rq.cont;
	pthread_mutex_lock(&dev->lock);
	if (dev->locks[rq.target] && dev->locks[rq.target] != s->id) {
		char msg[128];

		snprintf(msg, sizeof(msg), "%s is locked by session %u", ds_name(rq.target),
		         dev->locks[rq.target]);
		r = reply_err(ec.ctx, NC_ERR_IN_USE, msg, NULL);
		goto out;
	}
	if (dev->ds[rq.target])
		lyd_dup_siblings(dev->ds[rq.target], NULL, LYD_DUP_RECURSIVE, &work);
	if (rq.defop == EOP_REPLACE)
		drop_unlisted_top(&work, rq.edit);
	failed = apply_siblings(&ec, NULL, &work, rq.edit, rq.defop);
	r = ec.reply;
	if (failed && (rq.rollback || rq.test_only))
		goto out;
	if (rq.test_only || rq.target == DS_RUNNING) {
		/* running must stay valid; test-only only reports */
		struct nc_server_reply *vr = ds_validate_tree(dev, &work);

		if (vr) {
			if (r)
				nc_server_reply_free(vr);
			else
				r = vr;
			goto out;
		}
	}
	if (rq.test_only || !ec.changed)
		goto out;
	ds_set(dev, rq.target, work);
	work = NULL;
	if (rq.target == DS_CANDIDATE) {
		const struct lyd_node *c = dev->ds[DS_CANDIDATE], *run = dev->ds[DS_RUNNING];

		dev->candidate_dirty =
		        (c || run) &&
		        (!c || !run ||
		         lyd_compare_siblings(c, run, LYD_COMPARE_FULL_RECURSION) != LY_SUCCESS);
	} else {
		if (!dev->candidate_dirty) {
			lyd_free_all(dev->ds[DS_CANDIDATE]);
			dev->ds[DS_CANDIDATE] = NULL;
			lyd_dup_siblings(dev->ds[DS_RUNNING], NULL, LYD_DUP_RECURSIVE,
			                 &dev->ds[DS_CANDIDATE]);
		}
		ds_persist(dev);
	}
out:
	pthread_mutex_unlock(&dev->lock);
	lyd_free_all(work);
	lyd_free_all(rq.edit);
	return r ? r : nc_server_reply_ok();
}
