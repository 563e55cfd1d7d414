/* f5sim: the configuration store of the simulated BIG-IP.
 *
 * One hash table per object type (see otype_info below), pool members in a
 * table per pool, a device-wide generation counter that every change bumps
 * (as mcpd does), reference counts maintained on every put/delete (refs.c),
 * and an undo log: every request and every transaction commit runs between
 * store_undo_begin and commit/rollback, which is what makes a failing
 * transaction leave nothing behind. Objects are immutable once stored (a
 * change stores a new json_t), so the undo log just keeps old references. */
#include "f5sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct otype_info infos[OT_COUNT] = {
        [OT_FOLDER] =
                {"sys/folder", "tm:sys:folder:folderstate", "tm:sys:folder:foldercollectionstate",
                 "folder", "folder",
                 "{\"deviceGroup\":\"none\",\"hidden\":\"false\",\"inheritedDevicegroup\":\"true\","
                 "\"inheritedTrafficGroup\":\"true\",\"noRefCheck\":\"false\","
                 "\"trafficGroup\":\"/Common/traffic-group-1\"}"},
        [OT_NODE] = {"ltm/node", "tm:ltm:node:nodestate", "tm:ltm:node:nodecollectionstate", "Node",
                     "node",
                     "{\"connectionLimit\":0,\"dynamicRatio\":1,\"ephemeral\":\"false\","
                     "\"logging\":\"disabled\",\"monitor\":\"default\",\"rateLimit\":\"disabled\","
                     "\"ratio\":1,\"session\":\"user-enabled\",\"state\":\"unchecked\"}"},
        [OT_MON_HTTP] =
                {"ltm/monitor/http", "tm:ltm:monitor:http:httpstate",
                 "tm:ltm:monitor:http:httpcollectionstate", "Monitor", "monitor",
                 "{\"defaultsFrom\":\"/Common/http\",\"destination\":\"*:*\",\"interval\":5,"
                 "\"ipDscp\":0,\"manualResume\":\"disabled\",\"recv\":\"none\",\"reverse\":"
                 "\"disabled\","
                 "\"send\":\"GET "
                 "/\\\\r\\\\n\",\"timeUntilUp\":0,\"timeout\":16,\"transparent\":\"disabled\","
                 "\"upInterval\":0}"},
        [OT_MON_TCP] =
                {"ltm/monitor/tcp", "tm:ltm:monitor:tcp:tcpstate",
                 "tm:ltm:monitor:tcp:tcpcollectionstate", "Monitor", "monitor",
                 "{\"defaultsFrom\":\"/Common/tcp\",\"destination\":\"*:*\",\"interval\":5,"
                 "\"ipDscp\":0,\"manualResume\":\"disabled\",\"reverse\":\"disabled\","
                 "\"timeUntilUp\":0,\"timeout\":16,\"transparent\":\"disabled\",\"upInterval\":0}"},
        [OT_RULE] = {"ltm/rule", "tm:ltm:rule:rulestate", "tm:ltm:rule:rulecollectionstate",
                     "iRule", "rule", "{\"apiAnonymous\":\"\"}"},
        [OT_DATAGROUP] = {"ltm/data-group/internal", "tm:ltm:data-group:internal:internalstate",
                          "tm:ltm:data-group:internal:internalcollectionstate", "value list",
                          "datagroup", "{\"type\":\"string\"}"},
        [OT_CLIENTSSL] =
                {"ltm/profile/client-ssl", "tm:ltm:profile:client-ssl:client-sslstate",
                 "tm:ltm:profile:client-ssl:client-sslcollectionstate", "ClientSSL Profile",
                 "profile",
                 "{\"defaultsFrom\":\"/Common/clientssl\",\"cert\":\"/Common/default.crt\","
                 "\"key\":\"/Common/default.key\",\"ciphers\":\"DEFAULT\",\"mode\":\"enabled\","
                 "\"sniDefault\":\"false\",\"peerCertMode\":\"ignore\"}"},
        [OT_SERVERSSL] = {"ltm/profile/server-ssl", "tm:ltm:profile:server-ssl:server-sslstate",
                          "tm:ltm:profile:server-ssl:server-sslcollectionstate",
                          "ServerSSL Profile", "profile",
                          "{\"defaultsFrom\":\"/Common/"
                          "serverssl\",\"ciphers\":\"DEFAULT\",\"mode\":\"enabled\","
                          "\"peerCertMode\":\"ignore\",\"sniDefault\":\"false\"}"},
        [OT_POOL] = {"ltm/pool", "tm:ltm:pool:poolstate", "tm:ltm:pool:poolcollectionstate", "Pool",
                     "pool",
                     "{\"allowNat\":\"yes\",\"allowSnat\":\"yes\",\"ignorePersistedWeight\":"
                     "\"disabled\","
                     "\"ipTosToClient\":\"pass-through\",\"ipTosToServer\":\"pass-through\","
                     "\"linkQosToClient\":\"pass-through\",\"linkQosToServer\":\"pass-through\","
                     "\"loadBalancingMode\":\"round-robin\",\"minActiveMembers\":0,"
                     "\"minUpMembers\":0,\"minUpMembersAction\":\"failover\","
                     "\"minUpMembersChecking\":\"disabled\","
                     "\"queueDepthLimit\":0,\"queueOnConnectionLimit\":\"disabled\","
                     "\"queueTimeLimit\":0,"
                     "\"reselectTries\":0,\"serviceDownAction\":\"none\",\"slowRampTime\":10}"},
        [OT_POLICY] = {"ltm/policy", "tm:ltm:policy:policystate",
                       "tm:ltm:policy:policycollectionstate", "Policy", "policy",
                       "{\"controls\":[\"forwarding\"],\"requires\":[\"http\"],"
                       "\"strategy\":\"/Common/first-match\"}"},
        [OT_VIRTUAL] =
                {"ltm/virtual", "tm:ltm:virtual:virtualstate",
                 "tm:ltm:virtual:virtualcollectionstate", "Virtual Server", "virtual",
                 "{\"addressStatus\":\"yes\",\"autoLasthop\":\"default\",\"cmpEnabled\":\"yes\","
                 "\"connectionLimit\":0,\"enabled\":true,\"gtmScore\":0,\"ipProtocol\":\"tcp\","
                 "\"mask\":\"255.255.255.255\",\"mirror\":\"disabled\",\"mobileAppTunnel\":"
                 "\"disabled\","
                 "\"nat64\":\"disabled\",\"rateLimit\":\"disabled\",\"rateLimitDstMask\":0,"
                 "\"rateLimitMode\":\"object\",\"rateLimitSrcMask\":0,"
                 "\"serviceDownImmediateAction\":\"none\","
                 "\"source\":\"0.0.0.0/"
                 "0\",\"sourcePort\":\"preserve\",\"synCookieStatus\":\"not-activated\","
                 "\"translateAddress\":\"enabled\",\"translatePort\":\"enabled\",\"vlansDisabled\":"
                 "true}"},
        [OT_MEMBER] = {"ltm/pool/members", "tm:ltm:pool:members:membersstate",
                       "tm:ltm:pool:members:memberscollectionstate", "Pool Member", "member",
                       "{\"connectionLimit\":0,\"dynamicRatio\":1,\"ephemeral\":\"false\","
                       "\"inheritProfile\":\"enabled\","
                       "\"logging\":\"disabled\",\"monitor\":\"default\",\"priorityGroup\":0,"
                       "\"rateLimit\":\"disabled\","
                       "\"ratio\":1,\"session\":\"user-enabled\",\"state\":\"unchecked\"}"},
};

const struct otype_info *otype_get(enum otype t)
{
	return &infos[t];
}

static void members_free(void *aux)
{
	struct table *m = aux;

	table_clear(m, NULL);
	free(m);
}

static void store_seed(struct store *st)
{
	json_t *c = json_pack("{s:s, s:s, s:s}", "name", "Common", "subPath", "/", "fullPath",
	                      "/Common");

	store_put(st, OT_FOLDER, NULL, "/Common", c);
}

void store_init(struct store *st)
{
	int i;

	memset(st, 0, sizeof(*st));
	for (i = 0; i < OT_COUNT; i++)
		table_init(&st->tables[i]);
	table_init(&st->refs);
	store_seed(st);
}

void store_free(struct store *st)
{
	int i;

	st->undo_on = 0;
	store_undo_commit(st);
	free(st->undo);
	for (i = 0; i < OT_COUNT; i++)
		table_clear(&st->tables[i], i == OT_POOL ? members_free : NULL);
	table_clear(&st->refs, NULL);
}

void store_reset(struct store *st)
{
	long long gen = st->generation;

	store_free(st);
	store_init(st);
	st->generation = gen + 1;
}

void path_to_tilde(const char *full, char *buf, size_t len)
{
	size_t i;

	for (i = 0; full[i] && i + 1 < len; i++)
		buf[i] = full[i] == '/' ? '~' : full[i];
	buf[i] = '\0';
}

void store_self_link(enum otype t, const char *pool, const char *full, char *buf, size_t len)
{
	char a[600], b[600];

	path_to_tilde(full, a, sizeof(a));
	if (t == OT_MEMBER) {
		path_to_tilde(pool, b, sizeof(b));
		snprintf(buf, len, F5SIM_LINK "ltm/pool/%s/members/%s?ver=" F5SIM_VER, b, a);
	} else {
		snprintf(buf, len, F5SIM_LINK "%s/%s?ver=" F5SIM_VER, infos[t].path, a);
	}
}

struct table *store_members(struct store *st, const char *pool)
{
	struct tentry *e = table_get(&st->tables[OT_POOL], pool);

	return e ? e->aux : NULL;
}

static struct table *store_table(struct store *st, enum otype t, const char *pool)
{
	if (t == OT_MEMBER)
		return store_members(st, pool);
	return &st->tables[t];
}

json_t *store_find(struct store *st, enum otype t, const char *pool, const char *key)
{
	struct table *tb = store_table(st, t, pool);
	struct tentry *e = tb ? table_get(tb, key) : NULL;

	return e ? e->obj : NULL;
}

static void undo_push(struct store *st, enum otype t, const char *pool, const char *key,
                      json_t *old)
{
	struct undo_rec *r;

	if (!st->undo_on)
		return;
	if (st->nundo == st->capundo) {
		size_t n = st->capundo ? st->capundo * 2 : 64;
		struct undo_rec *u = realloc(st->undo, n * sizeof(*u));

		if (!u)
			return; /* out of memory: the change cannot be undone */
		st->undo = u;
		st->capundo = n;
	}
	r = &st->undo[st->nundo++];
	r->type = t;
	r->pool = pool ? strdup(pool) : NULL;
	r->key = strdup(key);
	r->old = old ? json_incref(old) : NULL;
}

/* Stamps the metadata every stored object carries. */
static void stamp(struct store *st, enum otype t, const char *pool, const char *key, json_t *obj)
{
	char link[1400];

	store_self_link(t, pool, key, link, sizeof(link));
	json_object_set_new(obj, "kind", json_string(infos[t].kind));
	json_object_set_new(obj, "generation", json_integer(st->generation));
	json_object_set_new(obj, "selfLink", json_string(link));
	if (t == OT_POOL) {
		char ml[1400], tl[600];

		path_to_tilde(key, tl, sizeof(tl));
		snprintf(ml, sizeof(ml), F5SIM_LINK "ltm/pool/%s/members?ver=" F5SIM_VER, tl);
		json_object_set_new(obj, "membersReference",
		                    json_pack("{s:s, s:b}", "link", ml, "isSubcollection", 1));
	}
}

int store_put(struct store *st, enum otype t, const char *pool, const char *key, json_t *obj)
{
	struct table *tb = store_table(st, t, pool);
	struct tentry *e;

	if (!tb || !obj) {
		json_decref(obj);
		return -1;
	}
	e = table_put(tb, key);
	if (!e) {
		json_decref(obj);
		return -1;
	}
	undo_push(st, t, pool, key, e->obj);
	if (e->obj)
		refs_count(st, t, e->obj, -1);
	st->generation++;
	stamp(st, t, pool, key, obj);
	json_decref(e->obj);
	free(e->text);
	e->text = NULL;
	e->obj = obj;
	entry_text(t, e); /* render now: collection GETs then only copy text */
	refs_count(st, t, obj, +1);
	if (t == OT_POOL && !e->aux) {
		e->aux = calloc(1, sizeof(struct table));
		if (e->aux)
			table_init(e->aux);
	}
	return 0;
}

int store_del(struct store *st, enum otype t, const char *pool, const char *key)
{
	struct table *tb = store_table(st, t, pool);
	struct tentry *e = tb ? table_get(tb, key) : NULL;

	if (!e)
		return -1;
	if (t == OT_POOL && e->aux) {
		struct table *m = e->aux;

		while (m->tail)
			store_del(st, OT_MEMBER, key, m->tail->key);
	}
	undo_push(st, t, pool, key, e->obj);
	refs_count(st, t, e->obj, -1);
	st->generation++;
	table_del(tb, e, t == OT_POOL ? members_free : NULL);
	return 0;
}

void store_undo_begin(struct store *st)
{
	store_undo_commit(st);
	st->undo_on = 1;
	st->undo_gen = st->generation;
}

void store_undo_commit(struct store *st)
{
	size_t i;

	for (i = 0; i < st->nundo; i++) {
		free(st->undo[i].pool);
		free(st->undo[i].key);
		json_decref(st->undo[i].old);
	}
	st->nundo = 0;
	st->undo_on = 0;
}

/* Puts an old object back without stamping a new generation. */
static void restore(struct store *st, struct undo_rec *r)
{
	struct table *tb;
	struct tentry *e;

	if (!r->old) {
		store_del(st, r->type, r->pool, r->key);
		return;
	}
	tb = store_table(st, r->type, r->pool);
	if (!tb)
		return;
	e = table_put(tb, r->key);
	if (!e)
		return;
	if (e->obj)
		refs_count(st, r->type, e->obj, -1);
	json_decref(e->obj);
	free(e->text);
	e->text = NULL;
	e->obj = json_incref(r->old);
	refs_count(st, r->type, e->obj, +1);
	if (r->type == OT_POOL && !e->aux) {
		e->aux = calloc(1, sizeof(struct table));
		if (e->aux)
			table_init(e->aux);
	}
}

void store_undo_rollback(struct store *st)
{
	size_t i;

	st->undo_on = 0;
	for (i = st->nundo; i-- > 0;)
		restore(st, &st->undo[i]);
	st->generation = st->undo_gen;
	store_undo_commit(st);
}

json_t *store_dump(struct store *st)
{
	json_t *d = json_object(), *tabs = json_object();
	struct tentry *e, *m;
	int i;

	json_object_set_new(d, "generation", json_integer(st->generation));
	for (i = 0; i < OT_MEMBER; i++) {
		json_t *arr = json_array();

		for (e = st->tables[i].head; e; e = e->next) {
			json_t *o = json_copy(e->obj);

			if (i == OT_POOL) {
				json_t *ms = json_array();

				for (m = ((struct table *)e->aux)->head; m; m = m->next)
					json_array_append(ms, m->obj);
				json_object_set_new(o, "membersReference",
				                    json_pack("{s:o}", "items", ms));
			}
			json_array_append_new(arr, o);
		}
		json_object_set_new(tabs, infos[i].path, arr);
	}
	json_object_set_new(d, "objects", tabs);
	return d;
}

static int load_one(struct store *st, enum otype t, json_t *o, char *err, size_t errlen)
{
	const char *full = json_string_value(json_object_get(o, "fullPath"));
	json_t *ms, *m;
	size_t j;

	if (!full) {
		snprintf(err, errlen, "state: a %s has no fullPath", infos[t].path);
		return -1;
	}
	ms = json_object_get(json_object_get(o, "membersReference"), "items");
	json_incref(ms);
	if (store_put(st, t, NULL, full, json_copy(o))) {
		json_decref(ms);
		snprintf(err, errlen, "state: cannot store %s %s", infos[t].path, full);
		return -1;
	}
	json_array_foreach(ms, j, m)
	{
		const char *mf = json_string_value(json_object_get(m, "fullPath"));

		if (mf)
			store_put(st, OT_MEMBER, full, mf, json_copy(m));
	}
	json_decref(ms);
	return 0;
}

int store_load(struct store *st, json_t *dump, char *err, size_t errlen)
{
	json_t *tabs = json_object_get(dump, "objects"), *arr, *o;
	size_t j;
	int i;

	if (!json_is_object(tabs)) {
		snprintf(err, errlen, "state: no \"objects\" object");
		return -1;
	}
	store_free(st);
	store_init(st);
	for (i = 0; i < OT_MEMBER; i++) {
		arr = json_object_get(tabs, infos[i].path);
		json_array_foreach(arr, j, o)
		{
			if (!json_is_object(o) || load_one(st, i, o, err, errlen))
				return -1;
		}
	}
	if (json_integer_value(json_object_get(dump, "generation")) > st->generation)
		st->generation = json_integer_value(json_object_get(dump, "generation"));
	return 0;
}
