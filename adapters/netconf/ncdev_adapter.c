/* The netconf adapter's contract table (core/adapter.h) and the commit
 * state machine. How the phases map onto NETCONF (docs/adapter-netconf.md):
 *
 *   mode        prepare                      apply               confirm
 *   confirmed   lock candidate,              commit confirmed    commit (persist-id),
 *   (default)   discard-changes,             confirm-timeout T   unlock candidate
 *               edit-config candidate,       persist P
 *               validate candidate
 *   candidate   (same as confirmed)          commit              unlock candidate
 *   running     lock running, edit-config    edit-config running unlock running
 *               test-only (when :validate)   rollback-on-error
 *
 *   abort: before apply -> discard-changes (candidate) + unlock;
 *          after a confirmed commit -> cancel-commit (persist-id; from a new
 *          session if the old one died), else the device rolls back by
 *          itself when T runs out; running after apply -> edit-config of the
 *          inverse diff, then unlock.
 *
 * The confirmed commit carries <persist>: the device keeps the change
 * until T even if weft's session drops, so a weft that dies between apply
 * and confirm leaves a device that rolls back on its own after T, and a weft
 * that only lost its session can still confirm or cancel from a new one.
 * T is options.confirmTimeout (default 60 s, rounded up to seconds).
 *
 * The persist-id is fixed per device ("weft-" + a hash of its name), so a
 * weft process that starts after another one died between apply and
 * confirm can find the pending commit: the first session an adapter
 * instance opens to a device cancels it (cancel-commit with that id),
 * which puts the device back where it was before the interrupted
 * transaction at once, instead of leaving a change that weft believes
 * applied and that the device drops when T runs out. Later sessions of the
 * same instance never do this, so dry-runs and drift checks cannot cancel
 * a live transaction.
 *
 * An instance (init/fini) holds the pool of session contexts
 * (ncdev_yang.c) and the set of devices it has opened sessions to. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "hmap.h"
#include "ncdev.h"
#include "ncdev_adapter.h"
#include "resource.h"

/* The fixed persist-id of a device's confirmed commits. */
static void persist_id_of(const char *key, char *out, size_t size)
{
	snprintf(out, size, "weft-%016llx", (unsigned long long)weft_hash_str(WEFT_HASH_SEED, key));
}

#define CTX_POOL_MAX 256 /* idle session contexts kept per instance */

/* An instance: its context pool and the devices it has opened a session
 * to (first-open recovery). The set holds a device's name once, so it is
 * bounded by the Devices the instance has served. */
struct ncdev_inst {
	struct ncdev_ctx_pool *pool;
	pthread_mutex_t seen_mu;
	weft_hmap seen; /* key -> the key's copy (freed at fini) */
};

static int ncdev_adapter_init(weft_controller *c, const json_t *config, void **ctx, weft_err *err)
{
	(void)c;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)config, key, v)
	{
		(void)v;
		return weft_err_set(err, "unknown option '%s' (the netconf adapter has none)", key);
	}
	struct ncdev_inst *in = calloc(1, sizeof(*in));
	if (!in || !(in->pool = ncdev_ctx_pool_new(CTX_POOL_MAX))) {
		free(in);
		return weft_err_set(err, "out of memory");
	}
	pthread_mutex_init(&in->seen_mu, NULL);
	weft_hmap_init(&in->seen);
	*ctx = in;
	return 0;
}

static void ncdev_adapter_fini(void *ctx)
{
	struct ncdev_inst *in = ctx;
	if (!in)
		return;
	for (size_t i = 0; i < in->seen.cap; i++)
		free(in->seen.values ? in->seen.values[i] : NULL);
	weft_hmap_free(&in->seen);
	pthread_mutex_destroy(&in->seen_mu);
	ncdev_ctx_pool_free(in->pool);
	free(in);
}

struct ncdev_ctx_pool *ncdev_adapter_pool(void *ctx)
{
	return ctx ? ((struct ncdev_inst *)ctx)->pool : NULL;
}

/* Whether this is the instance's first session to key (no instance: every
 * session is a first one). */
static int first_open(struct ncdev_inst *in, const char *key)
{
	if (!in)
		return 1;
	pthread_mutex_lock(&in->seen_mu);
	int first = weft_hmap_get(&in->seen, key) == NULL;
	if (first) {
		char *copy = strdup(key);
		if (!copy || weft_hmap_put(&in->seen, copy, copy))
			free(copy);
	}
	pthread_mutex_unlock(&in->seen_mu);
	return first;
}

/* Cancels a confirmed commit a previous weft process left pending. An
 * error answer is the normal case (nothing pending) and is ignored. */
static void cancel_leftover_commit(struct ncdev_inst *in, struct ncdev_session *s)
{
	if (!(s->caps & NCDEV_CAP_CONFIRMED) || !first_open(in, s->conn.key))
		return;
	char id[40];
	persist_id_of(s->conn.key, id, sizeof(id));
	weft_err ignored = {0};
	ncdev_rpc(s, nc_rpc_cancel(id, NC_PARAMTYPE_DUP_AND_FREE), "cancel-commit", NULL, &ignored);
}

#define DEFAULT_CONFIRM_TIMEOUT_S 60

/* WEFT_NCDEV_TRACE=1 (weftd's environment): one stderr line per plan step
 * of every device (render, session check, get-config round trip, re-parse,
 * diff) with its duration, to find where a slow plan spends its time. */
static int trace_on(void)
{
	static int on = -1;
	if (on < 0) {
		const char *v = getenv("WEFT_NCDEV_TRACE");
		on = v && *v && strcmp(v, "0");
	}
	return on;
}

static int64_t thread_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void trace(const char *ns, const char *name, const char *step, int64_t since_ms)
{
	if (trace_on())
		fprintf(stderr, "ncdev trace %s/%s: %s %lld ms\n", ns, name, step,
		        (long long)(ncdev_now_ms() - since_ms));
}

static int ncdev_adapter_open(void *ctx, const weft_resource *dev, void **session, weft_err *err)
{
	struct ncdev_session *s = calloc(1, sizeof(*s));
	if (!s)
		return weft_err_set(err, "device %s/%s: out of memory", dev->ns, dev->name);
	s->pool = ncdev_adapter_pool(ctx);
	if (ncdev_conn_parse(dev, &s->conn, err) || ncdev_ensure(s, err)) {
		ncdev_disconnect(s);
		free(s);
		return -1;
	}
	cancel_leftover_commit(ctx, s);
	*session = s;
	return 0;
}

static void ncdev_adapter_close(void *ctx, void *session)
{
	(void)ctx;
	struct ncdev_session *s = session;
	if (!s)
		return;
	ncdev_disconnect(s);
	free(s);
}

/* get-config reply data (session context) -> tree in the model context. */
static int reparse(struct ncdev_session *s, struct lyd_node *data, struct lyd_node **out,
                   weft_err *err)
{
	const struct ly_ctx *mctx = ncdev_model_ctx(err);
	char *xml = NULL;
	*out = NULL;
	if (!mctx)
		return -1;
	/* "data" is anydata/anyxml when the session's ietf-netconf knows it,
	 * an opaque node with children otherwise (seen with netconfd). */
	int any = data && data->schema && (data->schema->nodetype & LYD_NODE_ANY);
	LY_ERR lr = LY_SUCCESS;
	if (any)
		lr = lyd_any_value_str(data, &xml);
	else if (data && lyd_child(data))
		lr = lyd_print_mem(&xml, lyd_child(data), LYD_XML, LYD_PRINT_WITHSIBLINGS);
	if (lr)
		return weft_err_set(err, "device %s: get-config: unreadable reply data",
		                    s->conn.key);
	int rc = ncdev_config_parse(s->conn.key, xml, out, err);
	free(xml);
	return rc;
}

int ncdev_config_parse(const char *key, const char *xml, struct lyd_node **out, weft_err *err)
{
	const struct ly_ctx *mctx = ncdev_model_ctx(err);
	*out = NULL;
	if (!mctx)
		return -1;
	if (xml && *xml &&
	    lyd_parse_data_mem(mctx, xml, LYD_XML, LYD_PARSE_ONLY, 0, out) != LY_SUCCESS) {
		char ly[700];
		ncdev_ly_error(mctx, ly, sizeof(ly));
		lyd_free_all(*out);
		*out = NULL;
		return weft_err_set(
		        err, "device %s: get-config: running config does not parse as weft-lb: %s",
		        key, ly);
	}
	if (lyd_new_implicit_module(out, ncdev_model_module(), LYD_IMPLICIT_NO_STATE, NULL)) {
		lyd_free_all(*out);
		*out = NULL;
		return weft_err_set(err, "device %s: get-config: out of memory", key);
	}
	return 0;
}

/* observe: get-config of running filtered to weft-lb. A dead session is
 * reconnected, and a transport failure retried once (a read is safe). */
static int ncdev_adapter_observe(void *ctx, void *session, const weft_resource *dev, void **actual,
                                 weft_err *err)
{
	(void)ctx;
	struct ncdev_session *s = session;
	struct lyd_node *data = NULL;
	if (!s)
		return weft_err_set(err, "device %s/%s: no session", dev->ns, dev->name);
	int rc = -1;
	for (int attempt = 0; attempt < 2 && rc; attempt++) {
		int64_t t0 = ncdev_now_ms();
		int connects = s->connects;
		if (ncdev_ensure(s, err))
			return -1;
		trace(dev->ns, dev->name, s->connects > connects ? "reconnect" : "session ok", t0);
		struct nc_rpc *rpc =
		        nc_rpc_getconfig(NC_DATASTORE_RUNNING, "<lb xmlns=\"urn:weft:lb\"/>",
		                         NC_WD_UNKNOWN, NC_PARAMTYPE_CONST);
		t0 = ncdev_now_ms();
		rc = ncdev_rpc(s, rpc, "get-config running", &data, err);
		trace(dev->ns, dev->name, "get-config", t0);
		if (rc && !s->broken)
			return -1; /* an rpc-error: retrying gives the same */
	}
	if (rc)
		return -1;
	int64_t t0 = ncdev_now_ms();
	struct ncdev_config *cfg = calloc(1, sizeof(*cfg));
	rc = cfg ? reparse(s, data, &cfg->tree, err) : weft_err_set(err, "out of memory");
	trace(dev->ns, dev->name, "re-parse", t0);
	lyd_free_tree(data);
	if (rc) {
		free(cfg);
		return -1;
	}
	*actual = cfg;
	return 0;
}

static struct ncdev_plan *plan_priv(const weft_plan *plan)
{
	return plan ? plan->priv : NULL;
}

static int rpc_lock(struct ncdev_session *s, NC_DATASTORE ds, weft_err *err)
{
	const char *what = ds == NC_DATASTORE_CANDIDATE ? "lock candidate" : "lock running";
	if (ncdev_rpc(s, nc_rpc_lock(ds), what, NULL, err)) {
		if (strstr(err->msg, "lock held by session 0)"))
			weft_err_prefix(err,
			                "the candidate has uncommitted changes of another session");
		return -1;
	}
	s->locked = ds;
	return 0;
}

static void rpc_unlock(struct ncdev_session *s)
{
	weft_err ignored = {0};
	if (s->locked && s->nc && !s->broken &&
	    ncdev_rpc(s, nc_rpc_unlock(s->locked), "unlock", NULL, &ignored))
		s->broken = 1; /* dropping the session releases the lock */
	s->locked = 0;
}

static int rpc_edit(struct ncdev_session *s, NC_DATASTORE ds, const char *content,
                    NC_RPC_EDIT_TESTOPT test, weft_err *err)
{
	/* rollback-on-error matters where an edit is live (running); a bad
	 * candidate edit is discarded by abort anyway. */
	NC_RPC_EDIT_ERROPT eo = ds == NC_DATASTORE_RUNNING && (s->caps & NCDEV_CAP_ROLLBACK)
	                                ? NC_RPC_EDIT_ERROPT_ROLLBACK
	                                : NC_RPC_EDIT_ERROPT_UNKNOWN;
	struct nc_rpc *rpc =
	        nc_rpc_edit(ds, NC_RPC_EDIT_DFLTOP_UNKNOWN, test, eo, content, NC_PARAMTYPE_CONST);
	const char *what = ds == NC_DATASTORE_CANDIDATE       ? "edit-config candidate"
	                   : test == NC_RPC_EDIT_TESTOPT_TEST ? "edit-config running (test-only)"
	                                                      : "edit-config running";
	return ncdev_rpc(s, rpc, what, NULL, err);
}

static int prepare_candidate(struct ncdev_session *s, struct ncdev_plan *np, weft_err *err)
{
	if (rpc_lock(s, NC_DATASTORE_CANDIDATE, err) ||
	    ncdev_rpc(s, nc_rpc_discard(), "discard-changes", NULL, err) ||
	    rpc_edit(s, NC_DATASTORE_CANDIDATE, np->edit, NC_RPC_EDIT_TESTOPT_UNKNOWN, err))
		return -1;
	if ((s->caps & NCDEV_CAP_VALIDATE) && !(s->caps & NCDEV_QUIRK_YUMA) &&
	    ncdev_rpc(s, nc_rpc_validate(NC_DATASTORE_CANDIDATE, NULL, NC_PARAMTYPE_CONST),
	              "validate candidate", NULL, err))
		return -1;
	return 0;
}

static int ncdev_adapter_prepare(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct ncdev_session *s = session;
	struct ncdev_plan *np = plan_priv(plan);
	if (!np)
		return 0; /* nothing to change */
	enum ncdev_mode mode;
	if (ncdev_ensure(s, err) || ncdev_mode(s, &mode, err))
		return -1;
	np->mode = mode;
	np->persist_id[0] = 0;
	if (mode == NCDEV_MODE_RUNNING) {
		if (rpc_lock(s, NC_DATASTORE_RUNNING, err))
			return -1;
		if ((s->caps & NCDEV_CAP_VALIDATE) &&
		    rpc_edit(s, NC_DATASTORE_RUNNING, np->edit, NC_RPC_EDIT_TESTOPT_TEST, err))
			return -1;
	} else if (prepare_candidate(s, np, err)) {
		return -1;
	}
	np->stage = NCDEV_STAGE_PREPARED;
	return 0;
}

static int ncdev_adapter_apply(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct ncdev_session *s = session;
	struct ncdev_plan *np = plan_priv(plan);
	if (!np)
		return 0;
	if (np->stage != NCDEV_STAGE_PREPARED)
		return weft_err_set(err, "device %s: apply without prepare", s->conn.key);
	int rc;
	if (np->mode == NCDEV_MODE_RUNNING) {
		rc = rpc_edit(s, NC_DATASTORE_RUNNING, np->edit, NC_RPC_EDIT_TESTOPT_UNKNOWN, err);
	} else if (np->mode == NCDEV_MODE_CONFIRMED) {
		long long ms = s->conn.confirm_timeout_ms;
		uint32_t t = ms > 0 ? (uint32_t)((ms + 999) / 1000) : DEFAULT_CONFIRM_TIMEOUT_S;
		persist_id_of(s->conn.key, np->persist_id, sizeof(np->persist_id));
		rc = ncdev_rpc(s, nc_rpc_commit(1, t, np->persist_id, NULL, NC_PARAMTYPE_CONST),
		               "commit confirmed", NULL, err);
	} else {
		rc = ncdev_rpc(s, nc_rpc_commit(0, 0, NULL, NULL, NC_PARAMTYPE_CONST), "commit",
		               NULL, err);
	}
	if (!rc)
		np->stage = NCDEV_STAGE_APPLIED;
	return rc;
}

static int ncdev_adapter_confirm(void *ctx, void *session, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	struct ncdev_session *s = session;
	struct ncdev_plan *np = plan_priv(plan);
	if (!np)
		return 0;
	if (np->stage != NCDEV_STAGE_APPLIED)
		return weft_err_set(err, "device %s: confirm without apply", s->conn.key);
	if (np->mode == NCDEV_MODE_CONFIRMED) {
		/* With persist, any session may confirm (RFC 6241 8.4.5.1): a
		 * session that died before or during the confirming commit is
		 * replaced and the confirm sent again from the new one. Only a
		 * transport failure is retried; an rpc-error is the device's
		 * answer. */
		int rc = ncdev_ensure(s, err);
		if (!rc)
			rc = ncdev_rpc(
			        s, nc_rpc_commit(0, 0, NULL, np->persist_id, NC_PARAMTYPE_CONST),
			        "confirming commit", NULL, err);
		if (rc && s->broken) {
			weft_err first = *err;
			rc = ncdev_ensure(s, err);
			if (!rc)
				rc = ncdev_rpc(s,
				               nc_rpc_commit(0, 0, NULL, np->persist_id,
				                             NC_PARAMTYPE_CONST),
				               "confirming commit (retried from a new session)",
				               NULL, err);
			if (rc)
				weft_err_prefix(err, "%s; then", first.msg);
		}
		if (rc)
			return -1;
	}
	rpc_unlock(s);
	np->stage = NCDEV_STAGE_CONFIRMED;
	return 0;
}

static int abort_applied(struct ncdev_session *s, struct ncdev_plan *np, weft_err *err)
{
	if (np->mode == NCDEV_MODE_CONFIRMED) {
		if (ncdev_ensure(s, err) ||
		    ncdev_rpc(s, nc_rpc_cancel(np->persist_id, NC_PARAMTYPE_CONST), "cancel-commit",
		              NULL, err)) {
			weft_err_prefix(err,
			                "the device rolls back by itself when the confirm timeout "
			                "runs out");
			return -1;
		}
		return 0;
	}
	if (np->mode == NCDEV_MODE_RUNNING && np->inverse)
		return rpc_edit(s, NC_DATASTORE_RUNNING, np->inverse, NC_RPC_EDIT_TESTOPT_UNKNOWN,
		                err);
	return weft_err_set(err, "device %s: a plain candidate commit cannot be rolled back",
	                    s->conn.key);
}

/* The plan's own stage says what there is to undo (it is the phase abort
 * is told, as seen from the device: a failed apply leaves it PREPARED,
 * since nothing became live). */
static int ncdev_adapter_abort(void *ctx, void *session, weft_plan *plan, weft_phase phase,
                               weft_err *err)
{
	(void)ctx;
	(void)phase;
	struct ncdev_session *s = session;
	struct ncdev_plan *np = plan_priv(plan);
	if (!np || !s)
		return 0;
	int rc = 0;
	if (np->stage == NCDEV_STAGE_APPLIED)
		rc = abort_applied(s, np, err);
	else if (np->stage == NCDEV_STAGE_PREPARED && s->locked == NC_DATASTORE_CANDIDATE &&
	         s->nc && !s->broken)
		rc = ncdev_rpc(s, nc_rpc_discard(), "discard-changes", NULL, err);
	rpc_unlock(s);
	np->stage = NCDEV_STAGE_NONE;
	return rc;
}

static int ncdev_adapter_render(void *ctx, const weft_snapshot *snap, const weft_resource *dev,
                                void **desired, weft_err *err)
{
	(void)ctx;
	int64_t t0 = ncdev_now_ms(), c0 = thread_cpu_us();
	int rc = ncdev_render(snap, dev, desired, err);
	if (trace_on())
		fprintf(stderr, "ncdev trace %s/%s: render %lld ms (thread CPU %lld us)\n", dev->ns,
		        dev->name, (long long)(ncdev_now_ms() - t0),
		        (long long)(thread_cpu_us() - c0));
	return rc;
}

static int ncdev_adapter_diff(void *ctx, const weft_resource *dev, const void *desired,
                              const void *actual, weft_plan *plan, weft_err *err)
{
	(void)ctx;
	int64_t t0 = ncdev_now_ms();
	int rc = ncdev_diff(dev, desired, actual, plan, err);
	trace(dev->ns, dev->name, "diff", t0);
	return rc;
}

static void ncdev_adapter_free_config(void *ctx, void *config)
{
	(void)ctx;
	ncdev_config_free(config);
}

static const weft_adapter netconf_adapter = {
        .kind = "netconf",
        .abi = WEFT_ADAPTER_ABI,
        .init = ncdev_adapter_init,
        .fini = ncdev_adapter_fini,
        .open = ncdev_adapter_open,
        .close = ncdev_adapter_close,
        .render = ncdev_adapter_render,
        .observe = ncdev_adapter_observe,
        .diff = ncdev_adapter_diff,
        .prepare = ncdev_adapter_prepare,
        .apply = ncdev_adapter_apply,
        .confirm = ncdev_adapter_confirm,
        .abort = ncdev_adapter_abort,
        .free_config = ncdev_adapter_free_config,
};

const weft_adapter *ncdev_adapter(void)
{
	return &netconf_adapter;
}
