/* f5sim: the /sim/ fault and inspection API (documented in docs/f5sim.md).
 *
 * Not part of BIG-IP: tests use it to inject faults (added latency, N
 * answers of 503, N failing transaction commits, expired tokens, a window
 * of restjavad "not registered" 404s or mcpd "connection lost" 500s, a
 * restart) and to inspect what the adapter did (request counters per
 * method and per path pattern, a log of recent requests, a dump of every
 * object), in the way curl's test servers log what they received. Plain
 * JSON, no auth, never counted. */
#include "f5sim.h"

#include <stdio.h>
#include <string.h>

void sim_count(struct sim *s, const char *method, const char *pattern, long long trans_id,
               const char *path, int status, size_t req_bytes, size_t resp_bytes)
{
	struct log_rec *r = &s->log[s->log_seq % F5SIM_LOG_MAX];
	char key[600];
	struct tentry *e;

	s->total++;
	if (trans_id)
		s->in_txn++;
	snprintf(key, sizeof(key), "%s %s", method, pattern);
	e = table_put(&s->counters, key);
	if (e)
		e->num++;
	memset(r, 0, sizeof(*r));
	r->seq = ++s->log_seq;
	r->time_ms = sim_wall_us() / 1000;
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->path, sizeof(r->path), "%s", path);
	r->status = status;
	r->trans_id = trans_id;
	r->req_bytes = req_bytes;
	r->resp_bytes = resp_bytes;
}

static json_t *counters_json(struct sim *s)
{
	json_t *bym = json_object(), *byp = json_object();
	struct tentry *e;

	for (e = s->counters.head; e; e = e->next) {
		const char *sp = strchr(e->key, ' ');
		char m[16];
		json_t *p;

		if (!sp)
			continue;
		snprintf(m, sizeof(m), "%.*s", (int)(sp - e->key), e->key);
		json_object_set_new(
		        bym, m, json_integer(json_integer_value(json_object_get(bym, m)) + e->num));
		p = json_object_get(byp, sp + 1);
		if (!p) {
			p = json_pack("{s:i}", "total", 0);
			json_object_set_new(byp, sp + 1, p);
		}
		json_object_set_new(p, m, json_integer(e->num));
		json_object_set_new(
		        p, "total",
		        json_integer(json_integer_value(json_object_get(p, "total")) + e->num));
	}
	return json_pack("{s:I, s:I, s:o, s:o}", "total", (json_int_t)s->total, "inTransaction",
	                 (json_int_t)s->in_txn, "byMethod", bym, "byPath", byp);
}

static json_t *log_json(struct sim *s)
{
	json_t *arr = json_array();
	long long first = s->log_seq > F5SIM_LOG_MAX ? s->log_seq - F5SIM_LOG_MAX : 0, i;

	for (i = first; i < s->log_seq; i++) {
		const struct log_rec *r = &s->log[i % F5SIM_LOG_MAX];

		json_array_append_new(
		        arr,
		        json_pack("{s:I, s:I, s:s, s:s, s:i, s:b, s:I, s:I, s:I}", "seq",
		                  (json_int_t)r->seq, "timeMs", (json_int_t)r->time_ms, "method",
		                  r->method, "path", r->path, "status", r->status, "inTransaction",
		                  r->trans_id != 0, "transId", (json_int_t)r->trans_id,
		                  "requestBytes", (json_int_t)r->req_bytes, "responseBytes",
		                  (json_int_t)r->resp_bytes));
	}
	return json_pack("{s:o}", "entries", arr);
}

static const char *const outage_names[] = {"none", "unregistered", "mcpd", "restart"};

static json_t *faults_json(struct sim *s)
{
	long long left = s->outage ? s->outage_until_ms - sim_now_ms() : 0;

	return json_pack("{s:i, s:i, s:i, s:i, s:s, s:I}", "latencyMs", s->latency_ms, "failNext",
	                 s->fail_next, "failStatus", s->fail_status, "failCommits", s->fail_commits,
	                 "outage", outage_names[left > 0 ? s->outage : 0], "outageRemainingMs",
	                 (json_int_t)(left > 0 ? left : 0));
}

static int bad(json_t **out, const char *msg)
{
	*out = json_pack("{s:s}", "error", msg);
	return 400;
}

static int set_outage(struct sim *s, json_t *body, json_t **out)
{
	const char *mode = json_string_value(json_object_get(body, "mode"));
	json_t *secs = json_object_get(body, "seconds");
	int i;

	for (i = 0; mode && i < 4 && strcmp(mode, outage_names[i]); i++)
		;
	if (!mode || i == 4)
		return bad(out, "outage: \"mode\" must be none, unregistered, mcpd or restart");
	if (i && !json_is_number(secs))
		return bad(out, "outage: \"seconds\" (a number) is required");
	s->outage = i;
	s->outage_until_ms = i ? sim_now_ms() + (long long)(json_number_value(secs) * 1000) : 0;
	if (i == 3) { /* a restart forgets tokens and transactions */
		table_clear(&s->tokens, NULL);
		txn_free_all(s);
	}
	*out = faults_json(s);
	return 200;
}

static int sim_post(struct sim *s, const char *what, json_t *body, json_t **out)
{
	if (!strcmp(what, "latency")) {
		json_t *ms = json_object_get(body, "ms");

		if (!json_is_integer(ms) || json_integer_value(ms) < 0 ||
		    json_integer_value(ms) > 600000)
			return bad(out, "latency: \"ms\" must be an integer in 0..600000");
		s->latency_ms = (int)json_integer_value(ms);
	} else if (!strcmp(what, "fail")) {
		json_t *n = json_object_get(body, "count"), *st = json_object_get(body, "status");

		if (!json_is_integer(n) || json_integer_value(n) < 0)
			return bad(out, "fail: \"count\" must be a non-negative integer");
		if (st && (!json_is_integer(st) || json_integer_value(st) < 400 ||
		           json_integer_value(st) > 599))
			return bad(out, "fail: \"status\" must be an HTTP error status");
		s->fail_next = (int)json_integer_value(n);
		s->fail_status = st ? (int)json_integer_value(st) : 503;
	} else if (!strcmp(what, "fail-commits")) {
		json_t *n = json_object_get(body, "count");

		if (!json_is_integer(n) || json_integer_value(n) < 0 ||
		    json_integer_value(n) > 1000000)
			return bad(out, "fail-commits: \"count\" must be an integer in 0..1000000");
		s->fail_commits = (int)json_integer_value(n);
	} else if (!strcmp(what, "expire-tokens")) {
		auth_expire_all(s);
	} else if (!strcmp(what, "outage")) {
		return set_outage(s, body, out);
	} else if (!strcmp(what, "counters/reset")) {
		table_clear(&s->counters, NULL);
		s->total = s->in_txn = 0;
		s->log_seq = 0;
	} else if (!strcmp(what, "reset")) {
		store_reset(&s->store);
		txn_free_all(s);
		s->latency_ms = s->fail_next = s->outage = s->fail_commits = 0;
	} else {
		*out = json_pack("{s:s}", "error", "no such /sim/ endpoint");
		return 404;
	}
	*out = faults_json(s);
	return 200;
}

int simapi_handle(struct sim *s, const char *method, const char *path, json_t *body, json_t **out)
{
	const char *what = path + 5; /* after "/sim/" */

	if (!strcmp(method, "GET")) {
		if (!strcmp(what, "counters"))
			*out = counters_json(s);
		else if (!strcmp(what, "log"))
			*out = log_json(s);
		else if (!strcmp(what, "state"))
			*out = store_dump(&s->store);
		else if (!strcmp(what, "faults"))
			*out = faults_json(s);
		else {
			*out = json_pack("{s:s}", "error", "no such /sim/ endpoint");
			return 404;
		}
		return 200;
	}
	if (!strcmp(method, "POST"))
		return sim_post(s, what, body, out);
	*out = json_pack("{s:s}", "error", "use GET or POST on /sim/");
	return 405;
}
