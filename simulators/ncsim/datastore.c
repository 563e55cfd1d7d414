/* ncsim datastores: running / candidate / startup of one device.
 *
 * Each device keeps three libyang data trees (no implicit default nodes are
 * stored; defaults are added when a reply asks for them). This file
 * implements the operations that read or move whole datastores: get,
 * get-config, copy-config, delete-config, validate, commit (with RFC 6241
 * 8.4 confirmed commit: confirm-timeout, persist / persist-id, automatic
 * rollback, cancel-commit) and discard-changes, plus optional persistence
 * of running and startup in --state-dir. edit.c does edit-config.
 *
 * Every function that touches a device's trees holds dev->lock.
 */
#include "ncsim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *ds_name(enum ds_id ds)
{
	static const char *const names[] = {"running", "candidate", "startup"};

	return names[ds];
}

int ds_parse_name(const struct lyd_node *parent, const char *container, enum ds_id *ds,
                  struct lyd_node **inline_config)
{
	struct lyd_node *c = NULL, *child;
	const char *n;

	if (inline_config)
		*inline_config = NULL;
	if (lyd_find_path(parent, container, 0, &c) || !(child = lyd_child(c)))
		return -1;
	n = LYD_NAME(child);
	for (int i = 0; i < DS_COUNT; i++) {
		if (!strcmp(n, ds_name(i))) {
			*ds = i;
			return 0;
		}
	}
	if (inline_config && !strcmp(n, "config")) {
		*inline_config = child;
		return 1;
	}
	return -1;
}

/* Parses the content of an anyxml/anydata node (e.g. <config>) as data. */
int ds_any_to_tree(const struct ly_ctx *ctx, const struct lyd_node *any, struct lyd_node **tree,
                   uint32_t parse_opts)
{
	char *xml = NULL;
	LY_ERR rc;

	*tree = NULL;
	if (lyd_any_value_str(any, &xml))
		return -1;
	if (!xml || !xml[0]) {
		free(xml);
		return 0;
	}
	rc = lyd_parse_data_mem(ctx, xml, LYD_XML, parse_opts, 0, tree);
	free(xml);
	return rc ? -1 : 0;
}

/* The first element of <config> (any) in namespace ns: parsed again with
 * LYD_PARSE_OPAQ, an element no module knows is an opaque node that keeps
 * its XML namespace. "" when there is none. */
static void element_of_namespace(const struct ly_ctx *ctx, const struct lyd_node *any,
                                 const char *ns, char *out, size_t len)
{
	struct lyd_node *tree = NULL, *sib, *n;
	char *xml = NULL;

	out[0] = '\0';
	if (lyd_any_value_str(any, &xml) || !xml ||
	    lyd_parse_data_mem(ctx, xml, LYD_XML, LYD_PARSE_ONLY | LYD_PARSE_OPAQ, 0, &tree)) {
		free(xml);
		lyd_free_all(tree);
		return;
	}
	free(xml);
	LY_LIST_FOR(tree, sib)
	{
		LYD_TREE_DFS_BEGIN(sib, n)
		{
			const struct lyd_node_opaq *o = (const struct lyd_node_opaq *)n;

			if (!out[0] && !n->schema && o->format == LY_VALUE_XML &&
			    o->name.module_ns && !strcmp(o->name.module_ns, ns))
				snprintf(out, len, "%s", o->name.name);
			LYD_TREE_DFS_END(sib, n);
		}
	}
	lyd_free_all(tree);
}

/* The rpc-error for a <config> that ds_any_to_tree() refused: an element
 * of a namespace no module of the device has is unknown-namespace with
 * bad-element and bad-namespace (RFC 6241, appendix A); anything else as
 * libyang says (reply_ly_err). */
struct nc_server_reply *ds_config_err(const struct ly_ctx *ctx, const struct lyd_node *any)
{
	static const char prefix[] = "No module with namespace \"";
	struct ly_err_item *ei = ly_err_last(ctx);
	const char *q = ei && ei->msg ? strstr(ei->msg, prefix) : NULL;
	const char *end = q ? strchr(q + sizeof(prefix) - 1, '"') : NULL;
	char ns[512], elem[256], msg[1024];
	struct lyd_node *e;

	if (!end || (size_t)(end - q) >= sizeof(ns) + sizeof(prefix))
		return reply_ly_err(ctx, NC_ERR_INVALID_VALUE, "parsing <config>");
	snprintf(ns, sizeof(ns), "%.*s", (int)(end - q - (sizeof(prefix) - 1)),
	         q + sizeof(prefix) - 1);
	ly_err_clean((struct ly_ctx *)ctx, NULL);
	element_of_namespace(ctx, any, ns, elem, sizeof(elem));
	e = nc_err(ctx, NC_ERR_UNKNOWN_NS, NC_ERR_TYPE_APP, elem, ns);
	if (!e)
		return NULL;
	snprintf(msg, sizeof(msg), "element %s: no module of this device has namespace %s",
	         elem[0] ? elem : "?", ns);
	nc_err_set_msg(e, msg, "en");
	return nc_server_reply_err(e);
}

void ds_set(struct ncdev *dev, enum ds_id ds, struct lyd_node *tree)
{
	lyd_free_all(dev->ds[ds]);
	dev->ds[ds] = tree;
}

static struct lyd_node *dup_tree(const struct lyd_node *t)
{
	struct lyd_node *copy = NULL;

	if (t)
		lyd_dup_siblings(t, NULL, LYD_DUP_RECURSIVE, &copy);
	return copy;
}

/* After running changed: an unmodified candidate follows it; persist. */
static void running_changed(struct ncdev *dev)
{
	if (!dev->candidate_dirty)
		ds_set(dev, DS_CANDIDATE, dup_tree(dev->ds[DS_RUNNING]));
	ds_persist(dev);
}

/* NULL if the tree is valid, else an rpc-error. Caller holds dev->lock. */
struct nc_server_reply *ds_validate_tree(struct ncdev *dev, struct lyd_node **tree)
{
	const struct ly_ctx *ctx = dev->sim->ctx;
	struct lyd_node *copy = dup_tree(*tree);
	struct nc_server_reply *r = NULL;

	if (dev->faults.fail_validation) {
		lyd_free_all(copy);
		return reply_err(ctx, NC_ERR_OP_FAILED,
		                 "validation failed (fault injected by ncsim)", NULL);
	}
	ly_err_clean((struct ly_ctx *)ctx, NULL);
	if (lyd_validate_all(&copy, ctx, LYD_VALIDATE_NO_STATE, NULL))
		r = reply_ly_err(ctx, NC_ERR_OP_FAILED, "validation");
	lyd_free_all(copy);
	return r;
}

static NC_WD_MODE wd_mode(const struct lyd_node *rpc)
{
	struct lyd_node *wd = NULL;
	const char *v;

	if (lyd_find_path(rpc, "ietf-netconf-with-defaults:with-defaults", 0, &wd))
		return NC_WD_EXPLICIT;
	v = lyd_get_value(wd);
	if (!strcmp(v, "report-all"))
		return NC_WD_ALL;
	if (!strcmp(v, "report-all-tagged"))
		return NC_WD_ALL_TAG;
	if (!strcmp(v, "trim"))
		return NC_WD_TRIM;
	return NC_WD_EXPLICIT;
}

struct nc_server_reply *ds_get(struct ncsess *s, struct lyd_node *rpc, int config_only)
{
	struct ncdev *dev = s->dev;
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	enum ds_id src = DS_RUNNING;
	struct lyd_node *data, *out = NULL, *reply = NULL;
	NC_WD_MODE wd = wd_mode(rpc);
	char err[512];

	if (config_only && ds_parse_name(rpc, "source", &src, NULL))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "unsupported source", NULL);
	if ((src == DS_CANDIDATE && !(dev->caps & CAP_CANDIDATE)) ||
	    (src == DS_STARTUP && !(dev->caps & CAP_STARTUP)))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED,
		                 "this device does not have that datastore", NULL);
	pthread_mutex_lock(&dev->lock);
	data = dup_tree(dev->ds[src]);
	pthread_mutex_unlock(&dev->lock);
	if (wd == NC_WD_ALL || wd == NC_WD_ALL_TAG) {
		struct lyd_node *full = dup_tree(data);

		/* validation adds the default nodes (respecting 'when') */
		if (lyd_validate_all(&full, ctx, LYD_VALIDATE_NO_STATE, NULL)) {
			lyd_free_all(full);
			ly_err_clean((struct ly_ctx *)ctx, NULL);
		} else {
			lyd_free_all(data);
			data = full;
		}
	}
	/* filter_apply takes data (frees it or returns it as out) */
	if (filter_apply(ctx, rpc, data, &out, err, sizeof(err))) {
		return reply_err(ctx, NC_ERR_INVALID_VALUE, err, "/ietf-netconf:filter");
	}
	if (lyd_dup_single(rpc, NULL, 0, &reply) ||
	    lyd_new_any(reply, NULL, "data", out, 1, LYD_ANYDATA_DATATREE, 1, NULL)) {
		lyd_free_all(out);
		lyd_free_all(reply);
		return reply_err(ctx, NC_ERR_OP_FAILED, "cannot build the reply", NULL);
	}
	return nc_server_reply_data(reply, wd, NC_PARAMTYPE_FREE);
}

static int writable(struct ncdev *dev, enum ds_id ds)
{
	return (ds == DS_RUNNING && (dev->caps & CAP_WRITABLE_RUNNING)) ||
	       (ds == DS_CANDIDATE && (dev->caps & CAP_CANDIDATE)) ||
	       (ds == DS_STARTUP && (dev->caps & CAP_STARTUP));
}

static struct nc_server_reply *in_use(const struct ly_ctx *ctx, enum ds_id ds, uint32_t holder)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "%s is locked by session %u", ds_name(ds), holder);
	return reply_err(ctx, NC_ERR_IN_USE, msg, NULL);
}

struct nc_server_reply *ds_copy_config(struct ncsess *s, struct lyd_node *rpc)
{
	struct ncdev *dev = s->dev;
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	struct lyd_node *cfg = NULL, *tree = NULL;
	struct nc_server_reply *r = NULL;
	enum ds_id target, src = DS_RUNNING;
	int k;

	if (ds_parse_name(rpc, "target", &target, NULL) || !writable(dev, target))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED,
		                 "target datastore is not writable here", NULL);
	k = ds_parse_name(rpc, "source", &src, &cfg);
	if (k < 0)
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "unsupported source (no :url)",
		                 NULL);
	if (k == 1 &&
	    ds_any_to_tree(ctx, cfg, &tree, LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE))
		return ds_config_err(ctx, cfg);
	pthread_mutex_lock(&dev->lock);
	if (k == 0)
		tree = dup_tree(dev->ds[src]);
	if (dev->locks[target] && dev->locks[target] != s->id)
		r = in_use(ctx, target, dev->locks[target]);
	else if (target != DS_CANDIDATE)
		r = ds_validate_tree(dev, &tree);
	if (!r) {
		ds_set(dev, target, tree);
		tree = NULL;
		if (target == DS_CANDIDATE)
			dev->candidate_dirty = 1;
		else if (target == DS_RUNNING)
			running_changed(dev);
		else
			ds_persist(dev);
	}
	pthread_mutex_unlock(&dev->lock);
	lyd_free_all(tree);
	return r ? r : nc_server_reply_ok();
}

struct nc_server_reply *ds_delete_config(struct ncsess *s, struct lyd_node *rpc)
{
	struct ncdev *dev = s->dev;
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	struct nc_server_reply *r = NULL;
	enum ds_id target;

	if (ds_parse_name(rpc, "target", &target, NULL) || target != DS_STARTUP ||
	    !(dev->caps & CAP_STARTUP))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "only startup can be deleted", NULL);
	pthread_mutex_lock(&dev->lock);
	if (dev->locks[target] && dev->locks[target] != s->id) {
		r = in_use(ctx, target, dev->locks[target]);
	} else {
		ds_set(dev, target, NULL);
		ds_persist(dev);
	}
	pthread_mutex_unlock(&dev->lock);
	return r ? r : nc_server_reply_ok();
}

struct nc_server_reply *ds_validate(struct ncsess *s, struct lyd_node *rpc)
{
	struct ncdev *dev = s->dev;
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	struct lyd_node *cfg = NULL, *tree = NULL;
	struct nc_server_reply *r;
	enum ds_id src = DS_CANDIDATE;
	int k;

	if (!(dev->caps & CAP_VALIDATE))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "no :validate capability", NULL);
	k = ds_parse_name(rpc, "source", &src, &cfg);
	if (k < 0 || (k == 0 && src == DS_CANDIDATE && !(dev->caps & CAP_CANDIDATE)))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "unsupported source", NULL);
	if (k == 1 &&
	    ds_any_to_tree(ctx, cfg, &tree, LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE))
		return ds_config_err(ctx, cfg);
	pthread_mutex_lock(&dev->lock);
	if (k == 0)
		tree = dup_tree(dev->ds[src]);
	r = ds_validate_tree(dev, &tree);
	pthread_mutex_unlock(&dev->lock);
	lyd_free_all(tree);
	return r ? r : nc_server_reply_ok();
}

static const char *leaf_str(const struct lyd_node *rpc, const char *name)
{
	struct lyd_node *n = NULL;

	return lyd_find_path(rpc, name, 0, &n) ? NULL : lyd_get_value(n);
}

/* Checks who may commit while a confirmed commit is pending. */
static struct nc_server_reply *check_confirming(struct ncsess *s, const struct ly_ctx *ctx,
                                                const char *persist_id)
{
	struct confirmed *cc = &s->dev->cc;
	char msg[160];

	if (!cc->pending)
		return persist_id ? reply_err(ctx, NC_ERR_INVALID_VALUE,
		                              "no persistent confirmed commit is pending",
		                              "/ietf-netconf:commit/persist-id")
		                  : NULL;
	if (cc->persist) {
		if (!persist_id || strcmp(persist_id, cc->persist))
			return reply_err(ctx, NC_ERR_INVALID_VALUE,
			                 "persist-id does not match the pending confirmed commit",
			                 "/ietf-netconf:commit/persist-id");
		return NULL;
	}
	if (persist_id)
		return reply_err(ctx, NC_ERR_INVALID_VALUE,
		                 "the pending confirmed commit has no persist token",
		                 "/ietf-netconf:commit/persist-id");
	if (cc->owner != s->id) {
		snprintf(msg, sizeof(msg), "a confirmed commit of session %u is pending",
		         cc->owner);
		return reply_err(ctx, NC_ERR_IN_USE, msg, NULL);
	}
	return NULL;
}

static struct nc_server_reply *commit_checks(struct ncsess *s, const struct ly_ctx *ctx,
                                             const char *persist_id)
{
	struct ncdev *dev = s->dev;
	struct nc_server_reply *r;

	if (dev->locks[DS_RUNNING] && dev->locks[DS_RUNNING] != s->id)
		return in_use(ctx, DS_RUNNING, dev->locks[DS_RUNNING]);
	if (dev->locks[DS_CANDIDATE] && dev->locks[DS_CANDIDATE] != s->id)
		return in_use(ctx, DS_CANDIDATE, dev->locks[DS_CANDIDATE]);
	if ((r = check_confirming(s, ctx, persist_id)))
		return r;
	if (dev->faults.reject_next_commit) {
		dev->faults.reject_next_commit = 0;
		return reply_err(ctx, NC_ERR_OP_FAILED, "commit rejected (fault injected by ncsim)",
		                 NULL);
	}
	return ds_validate_tree(dev, &dev->ds[DS_CANDIDATE]);
}

struct nc_server_reply *ds_commit(struct ncsess *s, struct lyd_node *rpc)
{
	struct ncdev *dev = s->dev;
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	struct lyd_node *dummy = NULL;
	int confirmed = !lyd_find_path(rpc, "confirmed", 0, &dummy);
	const char *timeout = leaf_str(rpc, "confirm-timeout");
	const char *persist = leaf_str(rpc, "persist"), *persist_id = leaf_str(rpc, "persist-id");
	struct nc_server_reply *r;
	struct confirmed *cc = &dev->cc;

	if (!(dev->caps & CAP_CANDIDATE))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "no :candidate capability", NULL);
	if ((confirmed || persist_id) && !(dev->caps & CAP_CONFIRMED_COMMIT))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "no :confirmed-commit capability",
		                 NULL);
	pthread_mutex_lock(&dev->lock);
	if ((r = commit_checks(s, ctx, persist_id))) {
		pthread_mutex_unlock(&dev->lock);
		return r;
	}
	if (confirmed) {
		if (!cc->pending)
			cc->backup = dev->ds[DS_RUNNING];
		else
			lyd_free_all(dev->ds[DS_RUNNING]);
		dev->ds[DS_RUNNING] = dup_tree(dev->ds[DS_CANDIDATE]);
		cc->pending = 1;
		cc->deadline_ms = now_mono_ms() + (timeout ? atoll(timeout) : 600) * 1000;
		cc->owner = s->id;
		free(cc->persist);
		cc->persist = persist ? strdup(persist) : NULL;
	} else {
		if (cc->pending) {
			lyd_free_all(cc->backup);
			free(cc->persist);
			memset(cc, 0, sizeof(*cc));
		}
		ds_set(dev, DS_RUNNING, dup_tree(dev->ds[DS_CANDIDATE]));
	}
	dev->candidate_dirty = 0;
	ds_persist(dev);
	pthread_mutex_unlock(&dev->lock);
	return nc_server_reply_ok();
}

/* Restores running from before the confirmed commit. Caller holds dev->lock. */
void ds_rollback_confirmed(struct ncdev *dev, const char *why)
{
	struct confirmed *cc = &dev->cc;

	if (!cc->pending)
		return;
	ncsim_log("%s: rolling back the confirmed commit: %s", dev->name, why);
	ds_set(dev, DS_RUNNING, cc->backup);
	free(cc->persist);
	memset(cc, 0, sizeof(*cc));
	dev->candidate_dirty = 0;
	running_changed(dev);
}

void ds_timer_tick(struct ncsim *sim)
{
	long long now = now_mono_ms();

	for (int i = 0; i < sim->ndev; i++) {
		struct ncdev *dev = &sim->devs[i];

		pthread_mutex_lock(&dev->lock);
		if (dev->cc.pending && now >= dev->cc.deadline_ms)
			ds_rollback_confirmed(dev, "confirm-timeout expired");
		pthread_mutex_unlock(&dev->lock);
	}
}

struct nc_server_reply *ds_cancel_commit(struct ncsess *s, struct lyd_node *rpc)
{
	struct ncdev *dev = s->dev;
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	const char *persist_id = leaf_str(rpc, "persist-id");
	struct nc_server_reply *r = NULL;

	if (!(dev->caps & CAP_CONFIRMED_COMMIT))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "no :confirmed-commit capability",
		                 NULL);
	pthread_mutex_lock(&dev->lock);
	if (!dev->cc.pending)
		r = reply_err(ctx, NC_ERR_OP_FAILED, "no confirmed commit is pending", NULL);
	else if ((r = check_confirming(s, ctx, persist_id)) == NULL)
		ds_rollback_confirmed(dev, "cancel-commit");
	pthread_mutex_unlock(&dev->lock);
	return r ? r : nc_server_reply_ok();
}

struct nc_server_reply *ds_discard(struct ncsess *s)
{
	struct ncdev *dev = s->dev;
	const struct ly_ctx *ctx = dev->sim->ctx;
	struct nc_server_reply *r = NULL;

	if (!(dev->caps & CAP_CANDIDATE))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED, "no :candidate capability", NULL);
	pthread_mutex_lock(&dev->lock);
	if (dev->locks[DS_CANDIDATE] && dev->locks[DS_CANDIDATE] != s->id) {
		r = in_use(ctx, DS_CANDIDATE, dev->locks[DS_CANDIDATE]);
	} else {
		ds_set(dev, DS_CANDIDATE, dup_tree(dev->ds[DS_RUNNING]));
		dev->candidate_dirty = 0;
	}
	pthread_mutex_unlock(&dev->lock);
	return r ? r : nc_server_reply_ok();
}

/* ---- persistence (--state-dir) ---- */

static void write_tree(struct ncdev *dev, const char *file, const struct lyd_node *tree)
{
	char path[4096], tmp[4200];
	char *xml = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dev->state_dir, file);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (tree && lyd_print_mem(&xml, tree, LYD_XML, LYD_PRINT_WITHSIBLINGS))
		return;
	f = fopen(tmp, "w");
	if (!f) {
		ncsim_log("%s: cannot write %s: %s", dev->name, tmp, strerror(errno));
		free(xml);
		return;
	}
	fputs(xml ? xml : "", f);
	if (fclose(f) == 0)
		rename(tmp, path);
	free(xml);
}

void ds_persist(struct ncdev *dev)
{
	if (!dev->state_dir)
		return;
	write_tree(dev, "running.xml", dev->cc.pending ? dev->cc.backup : dev->ds[DS_RUNNING]);
	write_tree(dev, "startup.xml", dev->ds[DS_STARTUP]);
}

static int read_tree(struct ncdev *dev, const char *file, struct lyd_node **tree)
{
	char path[4096];
	struct stat st;

	*tree = NULL;
	snprintf(path, sizeof(path), "%s/%s", dev->state_dir, file);
	if (stat(path, &st))
		return 1;
	if (st.st_size == 0)
		return 0; /* an empty datastore */
	if (lyd_parse_data_path(dev->sim->ctx, path, LYD_XML,
	                        LYD_PARSE_ONLY | LYD_PARSE_STRICT | LYD_PARSE_NO_STATE, 0, tree)) {
		ncsim_log("%s: cannot load %s", dev->name, path);
		return -1;
	}
	return 0;
}

int ds_load(struct ncdev *dev)
{
	struct lyd_node *t = NULL;
	int rc;

	if (!dev->state_dir)
		return 0;
	mkdir(dev->state_dir, 0755);
	if (read_tree(dev, "startup.xml", &t) < 0)
		return -1;
	ds_set(dev, DS_STARTUP, t);
	rc = read_tree(dev, "running.xml", &t);
	if (rc < 0)
		return -1;
	ds_set(dev, DS_RUNNING, rc == 0 ? t : dup_tree(dev->ds[DS_STARTUP]));
	ds_set(dev, DS_CANDIDATE, dup_tree(dev->ds[DS_RUNNING]));
	return 0;
}
