/* One NETCONF RPC round trip on a device session, bounded by the device's
 * timeout, and the decoding of <rpc-error> into a message that names the
 * device, the operation, the error-tag, the message, the error-path and,
 * for lock-denied, the session holding the lock (RFC 6241 Appendix A).
 *
 * libnetconf2 2.0.24 returns the rpc-reply envelope as opaque libyang nodes
 * (rpc-error, error-tag, ...) and the reply's data, for get-config, as the
 * anydata/anyxml child "data" of the operation node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ncdev.h"

static const char *opaq_name(const struct lyd_node *n)
{
	return n->schema ? n->schema->name : ((const struct lyd_node_opaq *)n)->name.name;
}

static const char *opaq_value(const struct lyd_node *n)
{
	return n->schema ? lyd_get_value(n) : ((const struct lyd_node_opaq *)n)->value;
}

static const struct lyd_node *child_named(const struct lyd_node *n, const char *name)
{
	for (const struct lyd_node *c = lyd_child(n); c; c = c->next)
		if (!strcmp(opaq_name(c), name))
			return c;
	return NULL;
}

static const char *child_value(const struct lyd_node *n, const char *name)
{
	const struct lyd_node *c = child_named(n, name);
	const char *v = c ? opaq_value(c) : NULL;
	return v && *v ? v : NULL;
}

/* Formats the first rpc-error of an rpc-reply envelope. */
static void format_error(const struct ncdev_session *s, const char *what,
                         const struct lyd_node *envp, weft_err *err)
{
	const struct lyd_node *e = NULL;
	for (const struct lyd_node *c = envp ? lyd_child(envp) : NULL; c && !e; c = c->next)
		if (!strcmp(opaq_name(c), "rpc-error"))
			e = c;
	if (!e) {
		weft_err_set(err, "device %s: %s: unexpected reply", s->conn.key, what);
		return;
	}
	const char *tag = child_value(e, "error-tag");
	const char *msg = child_value(e, "error-message");
	const char *path = child_value(e, "error-path");
	const char *app = child_value(e, "error-app-tag");
	const struct lyd_node *info = child_named(e, "error-info");
	const char *holder = info ? child_value(info, "session-id") : NULL;
	char lock[96] = "";
	if (tag && !strcmp(tag, "lock-denied"))
		snprintf(lock, sizeof(lock), " (lock held by session %s)", holder ? holder : "?");
	weft_err_set(err, "device %s: %s: %s%s%s%s%s%s%s", s->conn.key, what,
	             tag ? tag : "rpc-error", lock, msg ? ": " : "", msg ? msg : "",
	             path ? " (path " : "", path ? path : "", path ? ")" : "");
	if (app) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof(err->msg) - n, " [app-tag %s]", app);
	}
	err->code = WEFT_EFAIL;
}

/* The data of a reply (get-config): the "data" child of the operation. */
static struct lyd_node *reply_data(struct lyd_node *op)
{
	for (struct lyd_node *c = op ? lyd_child(op) : NULL; c; c = c->next)
		if (!strcmp(opaq_name(c), "data"))
			return c;
	return NULL;
}

int ncdev_rpc(struct ncdev_session *s, struct nc_rpc *rpc, const char *what, struct lyd_node **data,
              weft_err *err)
{
	uint64_t msgid;
	struct lyd_node *envp = NULL, *op = NULL;
	int rc = -1;
	if (!s->nc) {
		nc_rpc_free(rpc);
		return weft_err_set(err, "device %s: %s: not connected", s->conn.key, what);
	}
	NC_MSG_TYPE t = nc_send_rpc(s->nc, rpc, s->conn.timeout_ms, &msgid);
	if (t != NC_MSG_RPC) {
		s->broken = 1;
		weft_err_set(err, "device %s: %s: sending failed (%s)", s->conn.key, what,
		             t == NC_MSG_WOULDBLOCK ? "timeout" : "session down");
		goto out;
	}
	int64_t deadline = ncdev_now_ms() + s->conn.timeout_ms;
	do {
		lyd_free_all(envp);
		lyd_free_all(op);
		envp = op = NULL;
		int left = (int)(deadline - ncdev_now_ms());
		t = nc_recv_reply(s->nc, rpc, msgid, left > 0 ? left : 0, &envp, &op);
	} while (t == NC_MSG_NOTIF && ncdev_now_ms() < deadline);
	if (t != NC_MSG_REPLY) {
		/* A late reply would desynchronise the session: drop it. */
		s->broken = 1;
		weft_err_set(err, "device %s: %s: no reply within %d ms (%s)", s->conn.key, what,
		             s->conn.timeout_ms,
		             t == NC_MSG_WOULDBLOCK ? "timeout" : "session down");
		goto out;
	}
	if (envp && child_named(envp, "rpc-error")) {
		format_error(s, what, envp, err);
		goto out;
	}
	if (data) {
		struct lyd_node *d = reply_data(op);
		*data = NULL;
		if (d) {
			lyd_unlink_tree(d);
			*data = d;
		}
	}
	rc = 0;
out:
	lyd_free_all(envp);
	lyd_free_all(op);
	nc_rpc_free(rpc);
	return rc;
}
