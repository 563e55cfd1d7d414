/* consulsim: the local agent's endpoints (/v1/agent/...).
 *
 * The agent is one node of the catalog (CS_AGENT_NODE, at the listen
 * address, with a passing serfHealth check). Services registered here go
 * straight into the catalog on that node (a real agent syncs them by
 * anti-entropy; here the sync is immediate). Only TTL checks are run: they
 * start critical unless the definition gives a Status, a pass/warn/fail
 * resets the TTL, and a lapsed TTL turns the check critical with output
 * "TTL expired" (the ticker calls agent_expire_ttls). docs/consulsim.md. */
#include "consulsim.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void agent_init(struct sim *s)
{
	json_t *b =
	        json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s}}", "Node", CS_AGENT_NODE, "Address",
	                  s->host, "Check", "CheckID", "serfHealth", "Name", "Serf Health Status",
	                  "Status", "passing", "Output", "Agent alive and reachable");
	char msg[256];

	if (!json_object_get(s->cat.nodes, CS_AGENT_NODE))
		catalog_register(&s->cat, b, s->dc, msg, sizeof(msg));
	json_decref(b);
}

static struct ttl_check *ttl_find(struct sim *s, const char *id)
{
	struct ttl_check *t;

	for (t = s->ttls; t; t = t->next)
		if (!strcmp(t->id, id))
			return t;
	return NULL;
}

static void ttl_set(struct sim *s, const char *id, long long ttl_ms)
{
	struct ttl_check *t = ttl_find(s, id);

	if (!t) {
		t = calloc(1, sizeof(*t));
		if (!t)
			return;
		snprintf(t->id, sizeof(t->id), "%s", id);
		t->next = s->ttls;
		s->ttls = t;
		t->expires_ms = cs_now_ms() + ttl_ms;
	}
	t->ttl_ms = ttl_ms;
}

/* Drops TTL entries whose check left the catalog. */
static void ttl_sweep(struct sim *s)
{
	json_t *checks = json_object_get(s->cat.checks, CS_AGENT_NODE);
	struct ttl_check **pp = &s->ttls, *t;

	while ((t = *pp)) {
		if (!json_object_get(checks, t->id)) {
			*pp = t->next;
			free(t);
		} else {
			pp = &t->next;
		}
	}
}

void agent_free(struct sim *s)
{
	struct ttl_check *t;

	while ((t = s->ttls)) {
		s->ttls = t->next;
		free(t);
	}
}

int agent_expire_ttls(struct sim *s, long long now_ms)
{
	struct ttl_check *t;
	int n = 0;

	for (t = s->ttls; t; t = t->next) {
		if (t->expires_ms > now_ms)
			continue;
		t->expires_ms = LLONG_MAX; /* until the next pass/warn/fail */
		catalog_check_update(&s->cat, CS_AGENT_NODE, t->id, "critical", "TTL expired");
		n++;
	}
	return n;
}

/* One check definition of a service -> a catalog check; TTL only. */
static int agent_check(struct sim *s, json_t *def, const char *sid, const char *sname, int nth,
                       int many, json_t *out, char *msg, size_t n)
{
	const char *id = jstr(def, "CheckID"), *name = jstr(def, "Name"), *st = jstr(def, "Status");
	json_t *old, *ck;
	long long ttl;
	char idbuf[300], namebuf[300];

	if (!id || !*id)
		id = jstr(def, "ID");
	if (cs_parse_duration(jstr(def, "TTL"), &ttl) || ttl <= 0) {
		snprintf(msg, n,
		         "consulsim runs TTL checks only: check %d of service %s has no valid TTL",
		         nth, sid);
		return 400;
	}
	if (!id || !*id) {
		if (many)
			snprintf(idbuf, sizeof(idbuf), "service:%s:%d", sid, nth);
		else
			snprintf(idbuf, sizeof(idbuf), "service:%s", sid);
		id = idbuf;
	}
	if (!name || !*name) {
		snprintf(namebuf, sizeof(namebuf), "Service '%s' check", sname);
		name = namebuf;
	}
	old = json_object_get(json_object_get(s->cat.checks, CS_AGENT_NODE), id);
	ck = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:{s:s}}", "CheckID", id, "Name", name,
	               "Status", old ? jstr(old, "Status") : (st && *st ? st : "critical"),
	               "Output", old ? jstr(old, "Output") : "", "ServiceID", sid, "Type", "ttl",
	               "Definition", "TTL", jstr(def, "TTL"));
	json_object_set_new(ck, "_ttl", json_integer(ttl));
	json_array_append_new(out, ck);
	return 0;
}

static int service_register(struct sim *s, json_t *b, char *msg, size_t n)
{
	const char *name = jstr(b, "Name"), *id = jstr(b, "ID");
	json_t *checks = json_array(), *one = jget(b, "Check"), *many = jget(b, "Checks"), *c;
	json_t *reg, *svc;
	size_t i, total = (json_is_object(one) ? 1 : 0) + json_array_size(many);
	int rc = validate_agent_service(b, msg, n), k = 0;

	if (rc) {
		json_decref(checks);
		return rc;
	}
	if (!name || !*name) {
		snprintf(msg, n, "Missing service name");
		json_decref(checks);
		return 400;
	}
	if (!id || !*id)
		id = name;
	if (json_is_object(one))
		rc = agent_check(s, one, id, name, ++k, total > 1, checks, msg, n);
	json_array_foreach(many, i, c)
	{
		if (!rc)
			rc = agent_check(s, c, id, name, ++k, total > 1, checks, msg, n);
	}
	if (rc) {
		json_decref(checks);
		return rc;
	}
	svc = make_service(b, id, name);
	json_object_set_new(svc, "Service", json_string(name));
	reg = json_pack("{s:s, s:b, s:o, s:O}", "Node", CS_AGENT_NODE, "SkipNodeUpdate", 1,
	                "Service", svc, "Checks", checks);
	rc = catalog_register(&s->cat, reg, s->dc, msg, n);
	json_array_foreach(checks, i, c)
	{
		if (!rc)
			ttl_set(s, jstr(c, "CheckID"),
			        json_integer_value(json_object_get(c, "_ttl")));
	}
	json_decref(reg);
	json_decref(checks);
	return rc;
}

static int check_ttl_update(struct sim *s, const char *id, const char *status, const char *note,
                            char *msg, size_t n)
{
	struct ttl_check *t;

	if (!json_object_get(json_object_get(s->cat.checks, CS_AGENT_NODE), id)) {
		snprintf(msg, n,
		         "Unknown check ID \"%s\". Ensure that the check ID is passed, not the "
		         "check "
		         "name.",
		         id);
		return 404;
	}
	t = ttl_find(s, id);
	if (!t) {
		snprintf(msg, n, "CheckID \"%s\" does not have associated TTL", id);
		return 500;
	}
	if (strcmp(status, "passing") && strcmp(status, "warning") && strcmp(status, "critical")) {
		snprintf(msg, n, "Invalid check status: \"%s\"", status);
		return 400;
	}
	t->expires_ms = cs_now_ms() + t->ttl_ms;
	catalog_check_update(&s->cat, CS_AGENT_NODE, id, status, note ? note : "");
	return 200;
}

static json_t *agent_services(struct sim *s)
{
	json_t *out = json_object(), *svcs = json_object_get(s->cat.services, CS_AGENT_NODE), *sv;
	const char *id;

	json_object_foreach(svcs, id, sv)
	{
		json_t *o = json_deep_copy(sv);

		json_object_del(o, "CreateIndex");
		json_object_del(o, "ModifyIndex");
		json_object_set_new(o, "Datacenter", json_string(s->dc));
		json_object_set_new(out, id, o);
	}
	return out;
}

int agent_handle(struct sim *s, const char *method, const char *path, json_t *body,
                 const char *note, json_t **out, char *msg, size_t n)
{
	const char *rest;
	int rc;

	*out = NULL;
	if (!strcmp(path, "/v1/agent/services") || !strcmp(path, "/v1/agent/checks")) {
		if (strcmp(method, "GET"))
			return 405;
		*out = path[10] == 's'
		               ? agent_services(s)
		               : json_deep_copy(json_object_get(s->cat.checks, CS_AGENT_NODE));
		if (!*out)
			*out = json_object();
		return 200;
	}
	if (strcmp(method, "PUT"))
		return 405;
	if (!strcmp(path, "/v1/agent/service/register")) {
		if (!json_is_object(body)) {
			snprintf(msg, n, "Request decode failed: expected a JSON object");
			return 400;
		}
		rc = service_register(s, body, msg, n);
		return rc ? rc : 200;
	}
	if (!strncmp(path, "/v1/agent/service/deregister/", 29)) {
		json_t *d;

		rest = path + 29;
		if (!json_object_get(json_object_get(s->cat.services, CS_AGENT_NODE), rest)) {
			snprintf(msg, n,
			         "Unknown service ID \"%s\". Ensure that the service ID is passed, "
			         "not "
			         "the service name.",
			         rest);
			return 404;
		}
		d = json_pack("{s:s, s:s}", "Node", CS_AGENT_NODE, "ServiceID", rest);
		catalog_deregister(&s->cat, d, msg, n);
		json_decref(d);
		ttl_sweep(s);
		return 200;
	}
	if (!strncmp(path, "/v1/agent/check/", 16)) {
		static const char *const verbs[][2] = {
		        {"pass/", "passing"}, {"warn/", "warning"}, {"fail/", "critical"}};
		size_t i;

		rest = path + 16;
		for (i = 0; i < 3; i++)
			if (!strncmp(rest, verbs[i][0], 5))
				return check_ttl_update(s, rest + 5, verbs[i][1], note, msg, n);
		if (!strncmp(rest, "update/", 7)) {
			const char *st = jstr(body, "Status");

			return check_ttl_update(s, rest + 7, st ? st : "", jstr(body, "Output"),
			                        msg, n);
		}
	}
	return 404;
}

json_t *agent_dump_ttls(struct sim *s)
{
	json_t *a = json_object();
	struct ttl_check *t;

	for (t = s->ttls; t; t = t->next)
		json_object_set_new(a, t->id, json_integer(t->ttl_ms));
	return a;
}

void agent_load_ttls(struct sim *s, json_t *a)
{
	const char *id;
	json_t *v;

	json_object_foreach(a, id, v)
	{
		if (json_integer_value(v) > 0)
			ttl_set(s, id, json_integer_value(v));
	}
	ttl_sweep(s);
}
