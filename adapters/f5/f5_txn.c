/* prepare / apply / abort: ONE iControl REST transaction per plan.
 *
 *   prepare  POST /mgmt/tm/transaction {} -> transId; every request of the
 *            plan is sent with X-F5-REST-Coordination-Id: transId, so
 *            BIG-IP queues it without effect.
 *   apply    PATCH /mgmt/tm/transaction/ID {"state":"VALIDATING"}: BIG-IP
 *            runs the queued commands all-or-nothing. The answer's state is
 *            the verification: COMPLETED means every command succeeded
 *            (mcpd validated the whole set); anything else is polled until
 *            COMPLETED or FAILED within the device timeout. weft trusts a
 *            COMPLETED commit and does not read the objects back; the next
 *            full read (f5_observe.c) catches any difference as drift.
 *            The session's cache becomes the plan's expected partition.
 *   abort    before commit: DELETE the transaction (nothing happened);
 *            after commit: the plan's inverse requests (previous values,
 *            computed by diff from what was observed) in a new transaction.
 * An empty plan is never prepared (the core skips it): nothing is sent. */
#include "f5_adapter_int.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int begin(struct f5_session *s, char *id, size_t len, weft_err *err)
{
	json_t *ans = NULL, *body = json_object();
	int rc = f5_request(s, "POST", "/mgmt/tm/transaction", body, NULL, &ans, NULL, err);
	json_decref(body);
	if (rc)
		return -1;
	json_t *t = json_object_get(ans, "transId");
	if (json_is_integer(t))
		snprintf(id, len, "%lld", (long long)json_integer_value(t));
	else if (json_is_string(t))
		snprintf(id, len, "%s", json_string_value(t));
	else
		id[0] = 0;
	json_decref(ans);
	if (!id[0])
		return weft_err_set(err, "device %s: POST /mgmt/tm/transaction: no transId",
		                    s->device);
	return 0;
}

static int queue(struct f5_session *s, const char *id, const struct f5_reqs *reqs, weft_err *err)
{
	for (size_t i = 0; i < reqs->n; i++) {
		const struct f5_req *q = &reqs->items[i];
		if (f5_request(s, q->method, q->uri, q->body, id, NULL, NULL, err))
			return -1;
	}
	return 0;
}

static int poll_state(struct f5_session *s, const char *id, json_t **ans, weft_err *err)
{
	char uri[128];
	snprintf(uri, sizeof(uri), "/mgmt/tm/transaction/%s", id);
	long long deadline = f5_now_ms() + s->timeout_ms;
	for (;;) {
		const char *st = json_string_value(json_object_get(*ans, "state"));
		if (st && (!strcmp(st, "COMPLETED") || !strcmp(st, "FAILED")))
			return 0;
		if (f5_now_ms() > deadline)
			return weft_err_set(err, "device %s: transaction %s still %s after %lld ms",
			                    s->device, id, st ? st : "?", s->timeout_ms);
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
		json_decref(*ans);
		*ans = NULL;
		if (f5_request(s, "GET", uri, NULL, NULL, ans, NULL, err))
			return -1;
	}
}

static int commit(struct f5_session *s, const char *id, weft_err *err)
{
	char uri[128];
	snprintf(uri, sizeof(uri), "/mgmt/tm/transaction/%s", id);
	json_t *body = json_pack("{s:s}", "state", "VALIDATING"), *ans = NULL;
	int rc = f5_request(s, "PATCH", uri, body, NULL, &ans, NULL, err);
	json_decref(body);
	if (!rc)
		rc = poll_state(s, id, &ans, err);
	if (!rc && strcmp(json_string_value(json_object_get(ans, "state")), "COMPLETED")) {
		const char *why = json_string_value(json_object_get(ans, "failureReason"));
		rc = weft_err_set(err, "device %s: transaction %s failed: %s", s->device, id,
		                  why ? why : "no reason given");
	}
	json_decref(ans);
	return rc;
}

int f5_txn_prepare(struct f5_session *s, weft_plan *plan, weft_err *err)
{
	struct f5_plan_priv *p = plan->priv;
	if (!p || !p->fwd.n)
		return 0;
	if (begin(s, p->trans_id, sizeof(p->trans_id), err))
		return -1;
	return queue(s, p->trans_id, &p->fwd, err);
}

int f5_txn_apply(struct f5_session *s, weft_plan *plan, weft_err *err)
{
	struct f5_plan_priv *p = plan->priv;
	if (!p || !p->fwd.n)
		return 0;
	if (!p->trans_id[0])
		return weft_err_set(err, "device %s: apply without prepare", s->device);
	if (commit(s, p->trans_id, err)) {
		f5_config_free(s->cache); /* state unknown: read in full next time */
		s->cache = NULL;
		return -1;
	}
	p->committed = 1;
	f5_config_free(s->cache);
	s->cache = p->expected;
	p->expected = NULL;
	return 0;
}

int f5_txn_abort(struct f5_session *s, weft_plan *plan, weft_err *err)
{
	struct f5_plan_priv *p = plan->priv;
	f5_config_free(s->cache);
	s->cache = NULL;
	if (!p || !p->trans_id[0])
		return 0;
	if (!p->committed) {
		char uri[128];
		weft_err ignored = {0};
		snprintf(uri, sizeof(uri), "/mgmt/tm/transaction/%s", p->trans_id);
		/* 404 when BIG-IP already dropped it (failed or expired): fine. */
		f5_request(s, "DELETE", uri, NULL, NULL, NULL, NULL, &ignored);
		p->trans_id[0] = 0;
		return 0;
	}
	if (!p->undo.n)
		return 0;
	char id[64];
	if (begin(s, id, sizeof(id), err) || queue(s, id, &p->undo, err) || commit(s, id, err)) {
		weft_err_prefix(err, "rolling back the committed plan");
		return -1;
	}
	p->committed = 0;
	return 0;
}
