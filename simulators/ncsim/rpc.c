/* ncsim RPC dispatcher.
 *
 * Every RPC of every device arrives here (libnetconf2 calls rpc_dispatch from
 * a worker thread in nc_ps_poll). The dispatcher counts it, logs it (so a
 * test can assert the exact edit-config a change cost, as curl's test
 * servers do), applies the device's fault knobs (latency, dropped session)
 * and hands it to the datastore code. Locks, kill-session, close-session and
 * get-schema are handled here. Error replies follow RFC 6241 Appendix A and
 * RFC 7950 section 15.
 */
#include "ncsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const op_names[OP_COUNT] = {
        [OP_GET] = "get",
        [OP_GET_CONFIG] = "get-config",
        [OP_EDIT_CONFIG] = "edit-config",
        [OP_COPY_CONFIG] = "copy-config",
        [OP_DELETE_CONFIG] = "delete-config",
        [OP_LOCK] = "lock",
        [OP_UNLOCK] = "unlock",
        [OP_CLOSE_SESSION] = "close-session",
        [OP_KILL_SESSION] = "kill-session",
        [OP_COMMIT] = "commit",
        [OP_CANCEL_COMMIT] = "cancel-commit",
        [OP_DISCARD_CHANGES] = "discard-changes",
        [OP_VALIDATE] = "validate",
        [OP_GET_SCHEMA] = "get-schema",
        [OP_OTHER] = "other",
};

const char *op_name(enum op_id op)
{
	return op_names[op];
}

static enum op_id op_lookup(const char *name)
{
	for (int i = 0; i < OP_OTHER; i++)
		if (!strcmp(op_names[i], name))
			return i;
	return OP_OTHER;
}

struct nc_server_reply *reply_err(const struct ly_ctx *ctx, NC_ERR tag, const char *msg,
                                  const char *path)
{
	struct lyd_node *e;

	switch (tag) {
	case NC_ERR_DATA_EXISTS:
	case NC_ERR_DATA_MISSING:
	case NC_ERR_MALFORMED_MSG:
		e = nc_err(ctx, tag);
		break;
	case NC_ERR_LOCK_DENIED:
		e = nc_err(ctx, tag, (uint32_t)0);
		break;
	case NC_ERR_MISSING_ELEM:
	case NC_ERR_BAD_ELEM:
	case NC_ERR_UNKNOWN_ELEM:
		e = nc_err(ctx, tag, NC_ERR_TYPE_PROT, path ? path : "");
		break;
	default:
		e = nc_err(ctx, tag, NC_ERR_TYPE_APP);
		break;
	}
	if (!e)
		return NULL;
	if (msg)
		nc_err_set_msg(e, msg, "en");
	if (path)
		nc_err_set_path(e, path);
	return nc_server_reply_err(e);
}

/* libyang 2.1 keeps 'Data location "/a:b/c", line number 2.' in the error's
 * path; the error-path is the quoted part. */
static void error_path(const char *loc, char *out, size_t len)
{
	const char *q = loc ? strchr(loc, '"') : NULL, *end = q ? strchr(q + 1, '"') : NULL;

	out[0] = '\0';
	if (loc && loc[0] == '/')
		snprintf(out, len, "%s", loc);
	else if (q && end)
		snprintf(out, len, "%.*s", (int)(end - q - 1), q + 1);
}

/* Turns the last libyang error of this thread into an rpc-error. */
struct nc_server_reply *reply_ly_err(const struct ly_ctx *ctx, NC_ERR deftag, const char *what)
{
	struct ly_err_item *ei = ly_err_last(ctx);
	const char *apptag = NULL;
	NC_ERR tag = deftag;
	char msg[1024], path[1024];
	struct nc_server_reply *r;

	if (!ei) {
		snprintf(msg, sizeof(msg), "%s failed", what);
		return reply_err(ctx, deftag, msg, NULL);
	}
	if (ei->msg && strstr(ei->msg, "not found as a child")) {
		tag = NC_ERR_UNKNOWN_ELEM;
	} else if ((ei->apptag && !strcmp(ei->apptag, "instance-required")) ||
	           ei->vecode == LYVE_REFERENCE) {
		tag = NC_ERR_DATA_MISSING;
		apptag = "instance-required";
	} else if (ei->apptag && !strcmp(ei->apptag, "missing-choice")) {
		tag = NC_ERR_DATA_MISSING;
		apptag = ei->apptag;
	} else if (ei->msg && strstr(ei->msg, "Mandatory node")) {
		tag = NC_ERR_DATA_MISSING;
	} else if (ei->msg && strstr(ei->msg, "Unique data")) {
		tag = NC_ERR_OP_FAILED;
		apptag = "data-not-unique";
	} else if (ei->apptag || (ei->msg && strstr(ei->msg, "Must condition"))) {
		tag = NC_ERR_OP_FAILED;
		apptag = ei->apptag ? ei->apptag : "must-violation";
	}
	error_path(ei->path, path, sizeof(path));
	snprintf(msg, sizeof(msg), "%s", ei->msg ? ei->msg : what);
	r = reply_err(ctx, tag, msg, path[0] ? path : NULL);
	if (r && apptag)
		nc_err_set_app_tag((struct lyd_node *)nc_server_reply_get_last_err(r), apptag);
	ly_err_clean((struct ly_ctx *)ctx, NULL);
	return r;
}

static void log_rpc(struct ncdev *dev, struct ncsess *s, enum op_id op, const char *name,
                    const struct lyd_node *rpc)
{
	struct rpc_log_entry *le;
	char *xml = NULL;

	lyd_print_mem(&xml, rpc, LYD_XML, LYD_PRINT_SHRINK | LYD_PRINT_KEEPEMPTYCONT);
	dev->counters[op]++;
	dev->rpc_total++;
	le = &dev->log[dev->log_seq % NCSIM_LOG_SIZE];
	free(le->xml);
	le->seq = dev->log_seq++;
	le->session_id = s->id;
	snprintf(le->op, sizeof(le->op), "%s", name);
	le->xml = xml;
	le->at_ms = now_wall_ms();
}

/* Releases what a session holds: its locks (a candidate lock takes the
 * uncommitted candidate changes with it, RFC 6241 8.3.5.2) and its
 * non-persistent confirmed commit (rolled back, RFC 6241 8.4.1).
 * Caller holds dev->lock. */
static void discard_candidate(struct ncdev *dev)
{
	struct lyd_node *copy = NULL;

	if (!dev->candidate_dirty)
		return;
	lyd_dup_siblings(dev->ds[DS_RUNNING], NULL, LYD_DUP_RECURSIVE, &copy);
	ds_set(dev, DS_CANDIDATE, copy);
	dev->candidate_dirty = 0;
}

static void release_session(struct ncdev *dev, uint32_t id)
{
	for (int d = 0; d < DS_COUNT; d++) {
		if (dev->locks[d] != id)
			continue;
		dev->locks[d] = 0;
		if (d == DS_CANDIDATE)
			discard_candidate(dev);
	}
	if (dev->cc.pending && !dev->cc.persist && dev->cc.owner == id)
		ds_rollback_confirmed(dev, "the session that issued the confirmed commit ended");
}

void rpc_session_ended(struct ncsess *s)
{
	struct ncdev *dev = s->dev;

	pthread_mutex_lock(&dev->lock);
	for (int i = 0; i < NCSIM_MAX_SESSIONS; i++)
		if (dev->sessions[i] == s)
			dev->sessions[i] = NULL;
	release_session(dev, s->id);
	pthread_mutex_unlock(&dev->lock);
}

static int ds_supported(struct ncdev *dev, enum ds_id ds)
{
	return ds == DS_RUNNING || (ds == DS_CANDIDATE && (dev->caps & CAP_CANDIDATE)) ||
	       (ds == DS_STARTUP && (dev->caps & CAP_STARTUP));
}

static struct nc_server_reply *do_lock(struct ncsess *s, struct lyd_node *rpc, int lock)
{
	struct ncdev *dev = s->dev;
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	struct nc_server_reply *r = NULL;
	enum ds_id ds;
	char msg[128];

	if (ds_parse_name(rpc, "target", &ds, NULL) || !ds_supported(dev, ds))
		return reply_err(ctx, NC_ERR_OP_NOT_SUPPORTED,
		                 "this device does not support that datastore", NULL);
	pthread_mutex_lock(&dev->lock);
	if (lock && dev->locks[ds]) {
		snprintf(msg, sizeof(msg), "%s is locked by session %u", ds_name(ds),
		         dev->locks[ds]);
		r = reply_err(ctx, NC_ERR_LOCK_DENIED, msg, NULL);
		nc_err_set_sid((struct lyd_node *)nc_server_reply_get_last_err(r), dev->locks[ds]);
	} else if (lock && ds == DS_CANDIDATE && dev->candidate_dirty) {
		r = reply_err(ctx, NC_ERR_LOCK_DENIED,
		              "candidate has uncommitted changes (discard-changes first)", NULL);
	} else if (lock) {
		dev->locks[ds] = s->id;
	} else if (dev->locks[ds] != s->id) {
		snprintf(msg, sizeof(msg), "%s is not locked by this session", ds_name(ds));
		r = reply_err(ctx, NC_ERR_OP_FAILED, msg, NULL);
	} else {
		dev->locks[ds] = 0;
		if (ds == DS_CANDIDATE)
			discard_candidate(dev);
	}
	pthread_mutex_unlock(&dev->lock);
	return r ? r : nc_server_reply_ok();
}

static struct nc_server_reply *do_kill(struct ncsess *s, struct lyd_node *rpc)
{
	struct ncdev *dev = s->dev;
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	struct lyd_node *sid = NULL;
	struct ncsess *t;
	uint32_t id;

	lyd_find_path(rpc, "session-id", 0, &sid);
	id = sid ? (uint32_t)strtoul(lyd_get_value(sid), NULL, 10) : 0;
	if (id == s->id)
		return reply_err(ctx, NC_ERR_INVALID_VALUE, "a session cannot kill itself",
		                 "/ietf-netconf:kill-session/session-id");
	pthread_mutex_lock(&dev->lock);
	t = dev_find_session(dev, id);
	if (t) {
		/* the lock holder goes now; its worker frees the session later */
		release_session(dev, id);
		nc_session_set_term_reason(t->nc, NC_SESSION_TERM_KILLED);
		nc_session_set_killed_by(t->nc, s->id);
		nc_session_set_status(t->nc, NC_STATUS_INVALID);
		sess_drop(t);
	}
	pthread_mutex_unlock(&dev->lock);
	if (!t)
		return reply_err(ctx, NC_ERR_INVALID_VALUE, "no such session on this device",
		                 "/ietf-netconf:kill-session/session-id");
	return nc_server_reply_ok();
}

static struct nc_server_reply *do_get_schema(struct lyd_node *rpc)
{
	const struct ly_ctx *ctx = LYD_CTX(rpc);
	struct lyd_node *id = NULL, *ver = NULL, *fmt = NULL, *out = NULL;
	const struct lys_module *mod;
	LYS_OUTFORMAT f = LYS_OUT_YANG;
	char *text = NULL;

	lyd_find_path(rpc, "identifier", 0, &id);
	lyd_find_path(rpc, "version", 0, &ver);
	lyd_find_path(rpc, "format", 0, &fmt);
	if (ver && lyd_get_value(ver)[0])
		mod = ly_ctx_get_module(ctx, lyd_get_value(id), lyd_get_value(ver));
	else
		mod = ly_ctx_get_module_latest(ctx, lyd_get_value(id));
	if (!mod)
		return reply_err(ctx, NC_ERR_INVALID_VALUE, "no such schema on this device",
		                 "/ietf-netconf-monitoring:get-schema/identifier");
	if (fmt && strstr(lyd_get_value(fmt), "yin"))
		f = LYS_OUT_YIN;
	else if (fmt && !strstr(lyd_get_value(fmt), "yang"))
		return reply_err(ctx, NC_ERR_INVALID_VALUE, "only yang and yin formats are served",
		                 "/ietf-netconf-monitoring:get-schema/format");
	if (lys_print_mem(&text, mod, f, 0) || lyd_dup_single(rpc, NULL, 0, &out) ||
	    lyd_new_any(out, NULL, "data", text, 1, LYD_ANYDATA_STRING, 1, NULL)) {
		free(text);
		lyd_free_all(out);
		return reply_err(ctx, NC_ERR_OP_FAILED, "cannot print the schema", NULL);
	}
	return nc_server_reply_data(out, NC_WD_EXPLICIT, NC_PARAMTYPE_FREE);
}

static struct nc_server_reply *route(struct ncsess *s, enum op_id op, struct lyd_node *rpc,
                                     struct nc_session *session)
{
	switch (op) {
	case OP_GET:
		return ds_get(s, rpc, 0);
	case OP_GET_CONFIG:
		return ds_get(s, rpc, 1);
	case OP_EDIT_CONFIG:
		return edit_config(s, rpc);
	case OP_COPY_CONFIG:
		return ds_copy_config(s, rpc);
	case OP_DELETE_CONFIG:
		return ds_delete_config(s, rpc);
	case OP_LOCK:
		return do_lock(s, rpc, 1);
	case OP_UNLOCK:
		return do_lock(s, rpc, 0);
	case OP_CLOSE_SESSION:
		nc_session_set_term_reason(session, NC_SESSION_TERM_CLOSED);
		return nc_server_reply_ok();
	case OP_KILL_SESSION:
		return do_kill(s, rpc);
	case OP_COMMIT:
		return ds_commit(s, rpc);
	case OP_CANCEL_COMMIT:
		return ds_cancel_commit(s, rpc);
	case OP_DISCARD_CHANGES:
		return ds_discard(s);
	case OP_VALIDATE:
		return ds_validate(s, rpc);
	case OP_GET_SCHEMA:
		return do_get_schema(rpc);
	default:
		return reply_err(LYD_CTX(rpc), NC_ERR_OP_NOT_SUPPORTED,
		                 "operation not supported by ncsim", NULL);
	}
}

struct nc_server_reply *rpc_dispatch(struct lyd_node *rpc, struct nc_session *session)
{
	struct ncsess *s = nc_session_get_data(session);
	const char *name = LYD_NAME(rpc);
	enum op_id op = op_lookup(name);
	struct ncdev *dev;
	int latency, drop;

	if (!s)
		return reply_err(LYD_CTX(rpc), NC_ERR_OP_FAILED, "session not registered", NULL);
	dev = s->dev;
	pthread_mutex_lock(&dev->lock);
	log_rpc(dev, s, op, name, rpc);
	latency = dev->faults.latency_ms;
	drop = dev->faults.drop_next_rpc;
	dev->faults.drop_next_rpc = 0;
	pthread_mutex_unlock(&dev->lock);
	if (drop) {
		ncsim_log("%s: fault: dropping session %u on its %s", dev->name, s->id, name);
		nc_session_set_term_reason(session, NC_SESSION_TERM_DROPPED);
		sess_drop(s);
		return nc_server_reply_ok();
	}
	if (latency > 0)
		usleep((useconds_t)latency * 1000);
	ly_err_clean((struct ly_ctx *)LYD_CTX(rpc), NULL);
	return route(s, op, rpc, session);
}
