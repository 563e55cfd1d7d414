/* The proxies' part of a dry-run plan (docs/architecture.md "Plan": `weftctl plan`,
 * POST /v1/plan): which connected proxies a planned snapshot would change,
 * and which xDS resources change for them. weftd calls xds_server_plan()
 * through the API's plan_extra hook with the plan's candidate snapshot.
 *
 * How it is computed, per feed (the default feed, and each xds Device's):
 *  1. what the feed serves now -- the default feed: the controller's
 *     intent (weft_controller_intent, which the server follows); a Device
 *     feed: the summary its last apply published -- and what it would
 *     serve from the planned snapshot, both rendered by xds_feed_summary
 *     (CDS/EDS of the whole feed, LDS/RDS for canonical proxyless and
 *     sidecar views: {type: {name: version}}, versions being content
 *     hashes), and their difference: the names added, updated, removed;
 *  2. which proxies are in the feed, and what each holds: the server's
 *     status (xds_server_status: per stream its node, view, subscriptions
 *     and config dump), taken the thread-safe way status is;
 *  3. for each proxy, the changes that concern it: a removed name it was
 *     sent; an added or updated name it was sent, subscribed to by name,
 *     or would get by a wildcard subscription (LDS/CDS wildcard, or EDS/RDS
 *     whose CDS/LDS is wildcard, as Envoy follows the clusters and
 *     listeners it gets).
 * Proxies with the same feed and the same changes are grouped.
 *
 * Limits, documented in docs/api.md: the feed difference is computed on
 * canonical views, so per-proxy LDS/RDS details of sidecars (inbound
 * listeners of the node's own IPs) and plane-specific EDS addresses are not
 * compared one by one, and a dependency-scoped sidecar may be listed for a
 * cluster it would not subscribe to; SDS is not planned (certificates are
 * the server's, not the policy's); proxies that a new or changed nodeMatch
 * would move to another feed are counted in their current feed. The
 * status it reads includes every proxy's config dump: a dry-run cost, not
 * for polling loops. */
#include <stdlib.h>
#include <string.h>

#include "policy-t.h"
#include "resource.h"
#include "xds_server_int.h"

static const char *const PLAN_TYPES[] = {"cds", "eds", "lds", "rds"};
#define N_PLAN_TYPES 4
#define MAX_NODES    100 /* node ids listed per group */

/* The summary a snapshot gives a feed (device NULL: the default feed);
 * an empty object for no snapshot. */
static json_t *summary_of(weft_snapshot *snap, const weft_resource *device, weft_err *err)
{
	if (!snap)
		return json_object();
	xds_feed_data *d = xds_feed_data_new(snap, device);
	if (!d)
		return weft_err_set(err, "xds plan: out of memory"), NULL;
	json_t *sum = xds_feed_summary(d, err);
	xds_feed_data_free(d);
	return sum;
}

/* {type: {"add":[..], "update":[..], "remove":[..]}} from cur to next,
 * only the types and lists that are not empty. */
static json_t *summary_diff(json_t *cur, json_t *next)
{
	json_t *out = json_object();
	for (int t = 0; t < N_PLAN_TYPES; t++) {
		json_t *c = json_object_get(cur, PLAN_TYPES[t]);
		json_t *n = json_object_get(next, PLAN_TYPES[t]);
		json_t *add = json_array(), *upd = json_array(), *rem = json_array();
		const char *name;
		json_t *v;
		json_object_foreach(n, name, v)
		{
			json_t *old = json_object_get(c, name);
			if (!old)
				json_array_append_new(add, json_string(name));
			else if (!json_equal(old, v))
				json_array_append_new(upd, json_string(name));
		}
		json_object_foreach(c, name, v) if (!json_object_get(n, name))
		        json_array_append_new(rem, json_string(name));
		json_t *ty = json_object();
		if (json_array_size(add))
			json_object_set(ty, "add", add);
		if (json_array_size(upd))
			json_object_set(ty, "update", upd);
		if (json_array_size(rem))
			json_object_set(ty, "remove", rem);
		json_decref(add);
		json_decref(upd);
		json_decref(rem);
		if (json_object_size(ty))
			json_object_set_new(out, PLAN_TYPES[t], ty);
		else
			json_decref(ty);
	}
	return out;
}

/* One feed being planned. */
struct plan_feed {
	char *id;            /* "" for the default feed, else "ns/name" */
	json_t *changes;     /* summary_diff */
	json_int_t held_rev; /* revision the feed serves now, -1: none */
	const char *note;    /* static, or NULL */
	json_t *groups;      /* {changes text: {"count","nodes","changes"}} */
	size_t proxies, affected;
};

static int has_name(json_t *arr, const char *name, const char *key)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(key ? json_object_get(v, key) : v);
		if (s && !strcmp(s, name))
			return 1;
	}
	return 0;
}

/* Whether a proxy subscribed to type t (per-type status "types") gets an
 * added or updated resource name by its subscription. */
static int proxy_wants(json_t *types, int t, const char *name)
{
	json_t *ts = json_object_get(types, PLAN_TYPES[t]);
	if (!ts)
		return 0;
	if (json_is_true(json_object_get(ts, "wildcard")))
		return 1;
	if (has_name(json_object_get(ts, "names"), name, NULL))
		return 1;
	/* EDS follows CDS, RDS follows LDS */
	const char *src = t == 1 ? "cds" : t == 3 ? "lds" : NULL;
	return src && json_is_true(json_object_get(json_object_get(types, src), "wildcard"));
}

/* The feed's changes that concern one proxy (status entry p). */
static json_t *proxy_changes(const struct plan_feed *f, json_t *p)
{
	json_t *out = json_object();
	json_t *types = json_object_get(p, "types"), *config = json_object_get(p, "config");
	static const char *const ops[] = {"add", "update", "remove"};
	for (int t = 0; t < N_PLAN_TYPES; t++) {
		json_t *held = json_object_get(config, PLAN_TYPES[t]);
		json_t *ty = json_object_get(f->changes, PLAN_TYPES[t]), *mine = json_object();
		for (int o = 0; o < 3; o++) {
			json_t *names = json_object_get(ty, ops[o]), *v, *sel = json_array();
			size_t i;
			json_array_foreach(names, i, v)
			{
				const char *n = json_string_value(v);
				int was_sent = has_name(held, n, "name");
				if (o == 2 ? was_sent : was_sent || proxy_wants(types, t, n))
					json_array_append_new(sel, json_string(n));
			}
			if (json_array_size(sel))
				json_object_set_new(mine, ops[o], sel);
			else
				json_decref(sel);
		}
		if (json_object_size(mine))
			json_object_set_new(out, PLAN_TYPES[t], mine);
		else
			json_decref(mine);
	}
	return out;
}

static void feed_add_proxy(struct plan_feed *f, json_t *p)
{
	f->proxies++;
	json_t *mine = proxy_changes(f, p);
	if (!json_object_size(mine)) {
		json_decref(mine);
		return;
	}
	f->affected++;
	char *key = json_dumps(mine, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *g = key ? json_object_get(f->groups, key) : NULL;
	if (!g && key) {
		g = json_pack("{s:I,s:[],s:O}", "count", (json_int_t)0, "nodes", "changes", mine);
		json_object_set_new(f->groups, key, g);
	}
	if (g) {
		json_t *nodes = json_object_get(g, "nodes");
		json_int_t n = json_integer_value(json_object_get(g, "count")) + 1;
		json_object_set_new(g, "count", json_integer(n));
		if (json_array_size(nodes) < MAX_NODES)
			json_array_append(nodes, json_object_get(p, "node"));
		else
			json_object_set_new(g, "nodes_truncated", json_true());
	}
	free(key);
	json_decref(mine);
}

static struct plan_feed *feed_new(struct plan_feed **feeds, size_t *n, const char *id)
{
	struct plan_feed *a = realloc(*feeds, (*n + 1) * sizeof(*a));
	if (!a)
		return NULL;
	*feeds = a;
	struct plan_feed *f = &a[*n];
	memset(f, 0, sizeof(*f));
	if (!(f->id = strdup(id)))
		return NULL;
	f->groups = json_object();
	f->held_rev = -1;
	(*n)++;
	return f;
}

static const weft_resource *planned_device(weft_snapshot *planned, const char *id)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(planned, &n);
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(devs[i]->ns);
		if (!strncmp(id, devs[i]->ns, l) && id[l] == '/' &&
		    !strcmp(id + l + 1, devs[i]->name))
			return devs[i];
	}
	return NULL;
}

static int is_xds_device(const weft_resource *dev)
{
	const weft_device_spec *ds = dev->spec;
	return ds && ds->type == WEFT_DEVICE_XDS;
}

/* The default feed: the intent the server follows -> planned. */
static int plan_default_feed(struct xds_server *s, weft_snapshot *planned, struct plan_feed *f,
                             weft_err *err)
{
	weft_snapshot *intent = s->ctl ? weft_controller_intent(s->ctl) : NULL;
	json_t *cur = summary_of(intent, NULL, err);
	json_t *next = cur ? summary_of(planned, NULL, err) : NULL;
	if (intent)
		f->held_rev = weft_snapshot_revision(intent);
	weft_snapshot_unref(intent);
	if (next)
		f->changes = summary_diff(cur, next);
	json_decref(cur);
	json_decref(next);
	return f->changes ? 0 : -1;
}

/* A Device feed: what its last apply published -> its planned slice. */
static int plan_device_feed(weft_snapshot *planned, json_t *published, struct plan_feed *f,
                            weft_err *err)
{
	const weft_resource *dev = planned_device(planned, f->id);
	json_t *next;
	if (dev)
		next = summary_of(planned, dev, err);
	else {
		next = json_object();
		f->note = "the Device is not in the planned revision: its proxies keep their "
		          "last configuration";
	}
	if (!next)
		return weft_err_prefix(err, "device %s", f->id), -1;
	f->held_rev = json_integer_value(json_object_get(published, "revision"));
	f->changes = summary_diff(json_object_get(published, "resources"), next);
	json_decref(next);
	return 0;
}

/* Every feed to plan: the default one, each published Device feed, and
 * the xds Devices of the plan not published yet. */
static int plan_feeds(struct xds_server *s, weft_snapshot *planned, struct plan_feed **feeds,
                      size_t *n, weft_err *err)
{
	pthread_mutex_lock(&s->mu);
	json_t *published = json_deep_copy(s->device_feeds);
	pthread_mutex_unlock(&s->mu);
	int rc = 0;
	struct plan_feed *f;
	if (s->ctl && !s->opts.no_default_feed) {
		if (!(f = feed_new(feeds, n, "")))
			rc = weft_err_set(err, "xds plan: out of memory");
		else
			rc = plan_default_feed(s, planned, f, err);
	}
	const char *id;
	json_t *pub;
	json_object_foreach(published, id, pub)
	{
		if (rc)
			break;
		if (!(f = feed_new(feeds, n, id)))
			rc = weft_err_set(err, "xds plan: out of memory");
		else
			rc = plan_device_feed(planned, pub, f, err);
	}
	size_t nd;
	weft_resource *const *devs = weft_snapshot_devices(planned, &nd);
	for (size_t i = 0; i < nd && !rc; i++) {
		char did[512];
		snprintf(did, sizeof(did), "%s/%s", devs[i]->ns, devs[i]->name);
		if (!is_xds_device(devs[i]) || json_object_get(published, did))
			continue;
		if (!(f = feed_new(feeds, n, did))) {
			rc = weft_err_set(err, "xds plan: out of memory");
			break;
		}
		json_t *empty = json_object();
		json_t *pubj =
		        json_pack("{s:I,s:O}", "revision", (json_int_t)-1, "resources", empty);
		rc = plan_device_feed(planned, pubj, f, err);
		f->note = "new xds Device, not applied yet: the proxies its nodeMatch selects "
		          "move to it when it is (they are counted in their current feed)";
		json_decref(pubj);
		json_decref(empty);
	}
	json_decref(published);
	return rc;
}

static struct plan_feed *feed_find(struct plan_feed *feeds, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(feeds[i].id, id))
			return &feeds[i];
	return NULL;
}

/* The feed id of a view key, from the status's view list. */
static const char *view_feed(json_t *views, const char *key)
{
	size_t i;
	json_t *v;
	json_array_foreach(views, i, v)
	{
		const char *k = json_string_value(json_object_get(v, "key"));
		if (k && !strcmp(k, key)) {
			const char *f = json_string_value(json_object_get(v, "feed"));
			return !f || !strcmp(f, "(default)") ? "" : f;
		}
	}
	return NULL;
}

static json_t *feed_json(struct plan_feed *f)
{
	json_t *groups = json_array();
	const char *k;
	json_t *g;
	json_object_foreach(f->groups, k, g) json_array_append(groups, g);
	json_t *o = json_pack("{s:s,s:o,s:I,s:I,s:O,s:o}", "feed", *f->id ? f->id : "(default)",
	                      "held_revision",
	                      f->held_rev >= 0 ? json_integer(f->held_rev) : json_null(), "proxies",
	                      (json_int_t)f->proxies, "affected", (json_int_t)f->affected,
	                      "changes", f->changes, "groups", groups);
	if (f->note)
		json_object_set_new(o, "note", json_string(f->note));
	return o;
}

json_t *xds_server_plan(xds_server *s, weft_snapshot *planned, weft_err *err)
{
	if (!s || !planned)
		return weft_err_set(err, "xds plan: no server or no planned snapshot"), NULL;
	struct plan_feed *feeds = NULL;
	size_t n = 0, connected = 0, unassigned = 0, affected = 0;
	json_t *out = NULL, *st = NULL;
	if (plan_feeds(s, planned, &feeds, &n, err))
		goto done;
	st = xds_server_status(s, 1);
	json_t *views = json_object_get(st, "views"), *p;
	size_t i;
	json_array_foreach(json_object_get(st, "proxies"), i, p)
	{
		connected++;
		const char *view = json_string_value(json_object_get(p, "view"));
		const char *fid = view && *view ? view_feed(views, view) : NULL;
		struct plan_feed *f = fid ? feed_find(feeds, n, fid) : NULL;
		if (!f) {
			unassigned++; /* no node yet, or served by nothing */
			continue;
		}
		feed_add_proxy(f, p);
	}
	json_t *fa = json_array();
	for (size_t k = 0; k < n; k++) {
		affected += feeds[k].affected;
		json_array_append_new(fa, feed_json(&feeds[k]));
	}
	out = json_pack("{s:I,s:I,s:I,s:I,s:b,s:o}", "revision",
	                (json_int_t)weft_snapshot_revision(planned), "connected",
	                (json_int_t)connected, "affected", (json_int_t)affected, "unassigned",
	                (json_int_t)unassigned, "stale", json_is_true(json_object_get(st, "stale")),
	                "feeds", fa);
done:
	for (size_t k = 0; k < n; k++) {
		free(feeds[k].id);
		json_decref(feeds[k].changes);
		json_decref(feeds[k].groups);
	}
	free(feeds);
	json_decref(st);
	return out;
}
