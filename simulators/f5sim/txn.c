/* f5sim: iControl REST transactions (/mgmt/tm/transaction).
 *
 * As documented by F5 (iControl REST user guide; DevCentral "Demystifying
 * iControl REST part 7"): POST /mgmt/tm/transaction {} starts one
 * ({transId, state:"STARTED", timeoutSeconds, ...}); requests that carry
 * X-F5-REST-Coordination-Id: transId are queued, not applied, and answered
 * with the queued command ({method, uri, body, evalOrder, commandId, kind:
 * "tm:transaction:commandsstate", selfLink}); GET .../ID/commands lists them;
 * PATCH .../ID {"state":"VALIDATING"} runs them in evalOrder, all or nothing:
 * the first failing command rolls everything back (store undo log), the
 * transaction ends FAILED with failureReason and the answer is that
 * command's error prefixed "transaction failed:". {"validateOnly":true}
 * runs and always rolls back. A transaction idle for timeoutSeconds is
 * silently dropped. Transaction-level objects are the simulator's own. */
#include "f5sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tcmd {
	long long id;
	char method[8];
	char rest[1024];
	char qs[700];
	json_t *body;
};

struct txn {
	long long id;
	const char *state;
	int timeout_s;
	long long last_ms;
	int validate_only;
	long long exec_ms;
	char failure[1024];
	struct tcmd *cmds; /* in evalOrder */
	size_t n, cap;
	long long next_cmd;
};

static void txn_free(void *aux)
{
	struct txn *t = aux;
	size_t i;

	for (i = 0; i < t->n; i++)
		json_decref(t->cmds[i].body);
	free(t->cmds);
	free(t);
}

void txn_free_all(struct sim *s)
{
	table_clear(&s->txns, txn_free);
}

static void purge_expired(struct sim *s)
{
	long long now = sim_now_ms();
	struct tentry *e = s->txns.head, *n;

	for (; e; e = n) {
		struct txn *t = e->aux;

		n = e->next;
		if (now > t->last_ms + (long long)t->timeout_s * 1000)
			table_del(&s->txns, e, txn_free);
	}
}

static struct txn *txn_find(struct sim *s, const char *id)
{
	struct tentry *e;

	purge_expired(s);
	e = table_get(&s->txns, id);
	return e ? e->aux : NULL;
}

static json_t *txn_json(const struct txn *t)
{
	char link[256];

	snprintf(link, sizeof(link), F5SIM_LINK "transaction/%lld?ver=" F5SIM_VER, t->id);
	return json_pack("{s:I, s:s, s:i, s:b, s:b, s:i, s:I, s:s, s:s, s:s}", "transId",
	                 (json_int_t)t->id, "state", t->state, "timeoutSeconds", t->timeout_s,
	                 "asyncExecution", 0, "validateOnly", t->validate_only, "executionTimeout",
	                 300, "executionTime", (json_int_t)t->exec_ms, "failureReason", t->failure,
	                 "kind", "tm:transactionstate", "selfLink", link);
}

static json_t *cmd_json(const struct txn *t, size_t i)
{
	const struct tcmd *c = &t->cmds[i];
	char link[256], uri[1800];
	json_t *o;

	snprintf(link, sizeof(link), F5SIM_LINK "transaction/%lld/commands/%lld?ver=" F5SIM_VER,
	         t->id, c->id);
	snprintf(uri, sizeof(uri), F5SIM_LINK "%s%s%s", c->rest, c->qs[0] ? "?" : "", c->qs);
	o = json_pack("{s:s, s:s, s:i, s:I, s:s, s:s}", "method", c->method, "uri", uri,
	              "evalOrder", (int)i + 1, "commandId", (json_int_t)c->id, "kind",
	              "tm:transaction:commandsstate", "selfLink", link);
	if (c->body)
		json_object_set(o, "body", c->body);
	return o;
}

static int no_txn(const char *id, json_t **out)
{
	*out = f5_error(404, "Transaction with ID %s not found.", id);
	return 404;
}

int txn_queue(struct sim *s, const char *id, const char *method, const char *rest, const char *qs,
              json_t *body, json_t **out)
{
	struct txn *t = txn_find(s, id);
	struct tcmd *c;

	if (!t)
		return no_txn(id, out);
	if (strcmp(t->state, "STARTED")) {
		*out = f5_error(400,
		                "Transaction %s is in state %s; commands can only be added "
		                "while it is STARTED.",
		                id, t->state);
		return 400;
	}
	if (!ltm_known_path(rest)) {
		*out = f5_rest_error(s, 404,
		                     "URI path /mgmt/tm/%s not registered.  Please verify "
		                     "URI is supported and wait for /available suffix to be "
		                     "responsive.",
		                     rest);
		return 404;
	}
	if (strcmp(method, "DELETE") && !json_is_object(body)) {
		*out = f5_error(400, "Found invalid JSON body in the request.");
		return 400;
	}
	if (t->n == t->cap) {
		size_t n = t->cap ? t->cap * 2 : 16;
		struct tcmd *nc = realloc(t->cmds, n * sizeof(*nc));

		if (!nc) {
			*out = f5_error(500, "out of memory queueing a command");
			return 500;
		}
		t->cmds = nc;
		t->cap = n;
	}
	c = &t->cmds[t->n];
	memset(c, 0, sizeof(*c));
	c->id = ++t->next_cmd;
	snprintf(c->method, sizeof(c->method), "%s", method);
	snprintf(c->rest, sizeof(c->rest), "%s", rest);
	snprintf(c->qs, sizeof(c->qs), "%s", qs ? qs : "");
	c->body = body ? json_incref(body) : NULL;
	t->n++;
	t->last_ms = sim_now_ms();
	*out = cmd_json(t, t->n - 1);
	return 200;
}

static int txn_create(struct sim *s, json_t *body, json_t **out)
{
	struct txn *t = calloc(1, sizeof(*t));
	json_t *to = json_object_get(body, "timeoutSeconds");
	long long now = sim_wall_us();
	struct tentry *e;
	char key[32];

	if (!t) {
		*out = f5_error(500, "out of memory");
		return 500;
	}
	t->id = now > s->next_txn ? now : s->next_txn + 1;
	s->next_txn = t->id;
	t->state = "STARTED";
	t->timeout_s =
	        json_is_integer(to) && json_integer_value(to) > 0 && json_integer_value(to) <= 86400
	                ? (int)json_integer_value(to)
	                : 120;
	t->last_ms = sim_now_ms();
	snprintf(key, sizeof(key), "%lld", t->id);
	e = table_put(&s->txns, key);
	if (!e) {
		txn_free(t);
		*out = f5_error(500, "out of memory");
		return 500;
	}
	e->aux = t;
	*out = txn_json(t);
	return 200;
}

/* Ends t as FAILED with reason why, after the store was rolled back; the
 * answer is mcpd's error of status rc, prefixed as BIG-IP does. */
static int txn_fail(struct txn *t, int rc, const char *why, json_t **out)
{
	t->state = "FAILED";
	snprintf(t->failure, sizeof(t->failure), "%s", why);
	*out = f5_error(rc, "transaction failed:%s", t->failure);
	t->last_ms = sim_now_ms();
	return rc;
}

/* Runs every command; all or nothing. A commit that would succeed fails
 * instead while /sim/fail-commits has a count left (not a validateOnly
 * one): every command has run, so the failure rolls back real work, as
 * when the last command fails. */
static int txn_commit(struct sim *s, struct txn *t, int validate_only, json_t **out)
{
	long long t0 = sim_now_ms();
	struct query q;
	json_t *res;
	size_t i;
	int rc;

	if (!t->n) {
		*out = f5_error(400, "Transaction %lld has no commands to commit.", t->id);
		return 400;
	}
	t->validate_only = validate_only;
	store_undo_begin(&s->store);
	for (i = 0; i < t->n; i++) {
		struct tcmd *c = &t->cmds[i];

		query_parse(&q, c->qs);
		rc = ltm_handle(s, c->method, c->rest, &q, c->body, &res);
		if (rc >= 300) {
			const char *msg = json_string_value(json_object_get(res, "message"));
			char why[sizeof(t->failure)];

			store_undo_rollback(&s->store);
			snprintf(why, sizeof(why), "%s", msg ? msg : "command failed");
			json_decref(res);
			return txn_fail(t, rc, why, out);
		}
		json_decref(res);
	}
	if (!validate_only && s->fail_commits > 0) {
		s->fail_commits--;
		store_undo_rollback(&s->store);
		return txn_fail(t, 400, "injected by /sim/fail-commits", out);
	}
	if (validate_only)
		store_undo_rollback(&s->store);
	else
		store_undo_commit(&s->store);
	t->state = "COMPLETED";
	t->exec_ms = sim_now_ms() - t0;
	t->last_ms = sim_now_ms();
	*out = txn_json(t);
	return 200;
}

static int txn_patch(struct sim *s, struct txn *t, json_t *body, json_t **out)
{
	const char *state = json_string_value(json_object_get(body, "state"));
	json_t *to = json_object_get(body, "timeoutSeconds");

	if (json_is_integer(to) && json_integer_value(to) > 0)
		t->timeout_s = (int)json_integer_value(to);
	t->last_ms = sim_now_ms();
	if (!state) {
		*out = txn_json(t);
		return 200;
	}
	if (strcmp(state, "VALIDATING")) {
		*out = f5_error(400, "Invalid transaction state requested: %s.", state);
		return 400;
	}
	if (strcmp(t->state, "STARTED")) {
		*out = f5_error(400, "Transaction %lld is in state %s and cannot be committed.",
		                t->id, t->state);
		return 400;
	}
	return txn_commit(s, t, json_is_true(json_object_get(body, "validateOnly")), out);
}

static int txn_cmd(struct sim *s, struct txn *t, const char *method, const char *cid, json_t *body,
                   json_t **out)
{
	size_t i;
	long long want = atoll(cid);

	for (i = 0; i < t->n && t->cmds[i].id != want; i++)
		;
	if (i == t->n) {
		*out = f5_error(400, "Found invalid command id %s", cid);
		return 400;
	}
	if (!strcmp(method, "GET")) {
		*out = cmd_json(t, i);
		return 200;
	}
	if (!strcmp(method, "DELETE")) {
		json_decref(t->cmds[i].body);
		memmove(&t->cmds[i], &t->cmds[i + 1], (t->n - i - 1) * sizeof(t->cmds[0]));
		t->n--;
		*out = NULL;
		return 200;
	}
	if (!strcmp(method, "PATCH") && json_is_integer(json_object_get(body, "evalOrder"))) {
		long long to = json_integer_value(json_object_get(body, "evalOrder"));
		struct tcmd c = t->cmds[i];
		size_t j = to < 1 ? 0 : (size_t)to - 1 >= t->n ? t->n - 1 : (size_t)to - 1;

		memmove(&t->cmds[i], &t->cmds[i + 1], (t->n - i - 1) * sizeof(c));
		memmove(&t->cmds[j + 1], &t->cmds[j], (t->n - 1 - j) * sizeof(c));
		t->cmds[j] = c;
		*out = cmd_json(t, j);
		return 200;
	}
	*out = f5_error(405, "Method %s is not allowed on a transaction command", method);
	return 405;
}

static int txn_list(struct sim *s, json_t **out)
{
	json_t *items = json_array();
	struct tentry *e;

	purge_expired(s);
	for (e = s->txns.head; e; e = e->next)
		json_array_append_new(items, txn_json(e->aux));
	*out = json_pack("{s:s, s:s, s:o}", "kind", "tm:transactioncollectionstate", "selfLink",
	                 F5SIM_LINK "transaction?ver=" F5SIM_VER, "items", items);
	return 200;
}

static int txn_commands(struct txn *t, json_t **out)
{
	json_t *items = json_array();
	char link[256];
	size_t i;

	for (i = 0; i < t->n; i++)
		json_array_append_new(items, cmd_json(t, i));
	snprintf(link, sizeof(link), F5SIM_LINK "transaction/%lld/commands?ver=" F5SIM_VER, t->id);
	*out = json_pack("{s:s, s:s, s:o}", "kind", "tm:transaction:commandscollectionstate",
	                 "selfLink", link, "items", items);
	return 200;
}

int txn_handle(struct sim *s, const char *method, const char *rest, json_t *body, json_t **out)
{
	char id[64];
	struct txn *t;
	size_t n;

	*out = NULL;
	if (*rest == '/')
		rest++;
	if (!*rest) {
		if (!strcmp(method, "GET"))
			return txn_list(s, out);
		if (!strcmp(method, "POST"))
			return txn_create(s, body, out);
		*out = f5_error(405, "Method %s is not allowed on /mgmt/tm/transaction", method);
		return 405;
	}
	n = strcspn(rest, "/");
	snprintf(id, sizeof(id), "%.*s", (int)(n < sizeof(id) ? n : sizeof(id) - 1), rest);
	rest += n;
	t = txn_find(s, id);
	if (!t)
		return no_txn(id, out);
	if (!*rest) {
		if (!strcmp(method, "GET")) {
			*out = txn_json(t);
			return 200;
		}
		if (!strcmp(method, "DELETE")) {
			table_del(&s->txns, table_get(&s->txns, id), txn_free);
			return 200;
		}
		if (!strcmp(method, "PATCH"))
			return txn_patch(s, t, body, out);
	} else if (!strcmp(rest, "/commands") && !strcmp(method, "GET")) {
		return txn_commands(t, out);
	} else if (!strncmp(rest, "/commands/", 10)) {
		return txn_cmd(s, t, method, rest + 10, body, out);
	}
	*out = f5_error(405, "Method %s is not allowed on /mgmt/tm/transaction/%s%s", method, id,
	                rest);
	return 405;
}
