/* diff: desired vs observed -> ordered requests, their inverse and the
 * expected partition (see f5_diff.h for the rules). */
#include "f5_adapter_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int f5_reqs_add(struct f5_reqs *r, const char *method, const char *uri, json_t *body)
{
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct f5_req *items = realloc(r->items, cap * sizeof(*items));
		if (!items) {
			json_decref(body);
			return -1;
		}
		r->items = items;
		r->cap = cap;
	}
	struct f5_req *q = &r->items[r->n];
	q->method = strdup(method);
	q->uri = strdup(uri);
	q->body = body;
	if (!q->method || !q->uri) {
		free(q->method);
		free(q->uri);
		json_decref(body);
		return -1;
	}
	r->n++;
	return 0;
}

void f5_reqs_clear(struct f5_reqs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->items[i].method);
		free(r->items[i].uri);
		json_decref(r->items[i].body);
	}
	free(r->items);
	memset(r, 0, sizeof(*r));
}

void f5_plan_priv_free(void *priv)
{
	struct f5_plan_priv *p = priv;
	if (!p)
		return;
	f5_reqs_clear(&p->fwd);
	f5_reqs_clear(&p->undo);
	f5_config_free(p->expected);
	free(p);
}

/* ---- building the plan ---- */

struct diff {
	const char *device;
	const struct f5_config *des, *act;
	weft_plan *plan;
	struct f5_plan_priv *p;
	struct f5_reqs undo_rev; /* inverse requests in forward order */
	weft_err *err;
	int oom;
	/* Groups whose hash is the same in des and act (see f5_model.h):
	 * their objects are equal by construction and are not compared. */
	unsigned char *same_des, *same_act;
};

/* A desired body as it is sent: a body reused from an earlier render
 * (stale_mark) gets the mark of this render's revision, so the plan is the
 * one a full render gives. New reference. */
static json_t *sent_body(const struct diff *d, const struct f5_obj *o)
{
	if (!o->stale_mark)
		return json_incref(o->body);
	json_t *b = json_copy(o->body);
	if (b)
		json_object_set_new(b, "description", f5_mark(d->des->rev, f5_mark_hash(o->body)));
	return b;
}

/* Marks the groups that did not change (both sides need groups). */
static int match_groups(struct diff *d)
{
	const struct f5_config *des = d->des, *act = d->act;
	d->same_des = calloc(des->n_groups + 1, 1);
	d->same_act = calloc(act->n_groups + 1, 1);
	if (!d->same_des || !d->same_act)
		return -1;
	for (size_t g = 0; des->groups && act->groups && g < des->n_groups; g++) {
		int a = f5_config_group(act, des->groups[g].name);
		if (a >= 0 && act->groups[a].hash == des->groups[g].hash)
			d->same_des[g] = d->same_act[a] = 1;
	}
	return 0;
}

/* One forward request, its plan op, and its inverse (method NULL: none). */
static void emit(struct diff *d, const char *action, const char *label, const char *method,
                 const char *uri, json_t *body, const char *umethod, const char *uuri,
                 json_t *ubody)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	size_t len = strlen(method) + strlen(uri) + (text ? strlen(text) : 0) + 4;
	char *detail = malloc(len);
	if (detail)
		snprintf(detail, len, "%s %s%s%s", method, uri, text ? " " : "", text ? text : "");
	if (!detail || weft_plan_add(d->plan, action, label, detail) ||
	    f5_reqs_add(&d->p->fwd, method, uri, body)) {
		d->oom = 1;
		body = NULL;
	}
	if (umethod && f5_reqs_add(&d->undo_rev, umethod, uuri, ubody))
		d->oom = 1;
	else if (!umethod)
		json_decref(ubody);
	free(detail);
	free(text);
}

static json_t *publish_cmd(const char *path)
{
	const char *slash = strrchr(path, '/');
	char draft[600];
	snprintf(draft, sizeof(draft), "%.*s/Drafts/%s", (int)(slash - path), path, slash + 1);
	return json_pack("{s:s, s:s}", "command", "publish", "name", draft);
}

/* Creates an LTM policy as a draft and publishes it (also used to replace
 * one). The inverse is a DELETE (old == NULL) or the old policy recreated
 * as a draft and republished; undo_rev is reversed at the end, so its
 * requests are added here last-first. */
static void emit_policy(struct diff *d, const char *action, const struct f5_obj *o, json_t *body,
                        json_t *old)
{
	const char *coll = f5_type_get(F5T_POLICY)->uri;
	char uri[1200];
	f5_obj_uri(o, uri, sizeof(uri));
	if (old) {
		json_object_set_new(old, "subPath", json_string("Drafts"));
		if (f5_reqs_add(&d->undo_rev, "POST", coll, publish_cmd(o->path)) ||
		    f5_reqs_add(&d->undo_rev, "POST", coll, old))
			d->oom = 1;
	} else if (f5_reqs_add(&d->undo_rev, "DELETE", uri, NULL)) {
		d->oom = 1;
	}
	if (body) {
		json_t *draft = json_deep_copy(body);
		json_object_set_new(draft, "subPath", json_string("Drafts"));
		emit(d, action, o->path, "POST", coll, draft, NULL, NULL, NULL);
		emit(d, "publish", o->path, "POST", coll, publish_cmd(o->path), NULL, NULL, NULL);
	} else {
		emit(d, action, o->path, "DELETE", uri, NULL, NULL, NULL, NULL);
	}
}

/* The pool's desired members, folded into a new pool's POST body. */
static json_t *pool_with_members(struct diff *d, const struct f5_obj *pool)
{
	json_t *sent = sent_body(d, pool), *b = json_deep_copy(sent), *members = json_array();
	json_decref(sent);
	const struct f5_obj *m = f5_config_find(d->des, F5T_MEMBER, pool->path, NULL);
	size_t i = m ? (size_t)(m - d->des->objs) : 0;
	/* members sort right after the (type, path) key with member NULL; find
	 * the first member of this pool by scanning from the lower bound. */
	if (!m) {
		size_t lo = 0, hi = d->des->n;
		struct f5_obj key = {.type = F5T_MEMBER, .path = pool->path, .member = ""};
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (f5_obj_cmp(&d->des->objs[mid], &key) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		i = lo;
	}
	for (; i < d->des->n; i++) {
		const struct f5_obj *o = &d->des->objs[i];
		if (o->type != F5T_MEMBER || strcmp(o->path, pool->path))
			break;
		json_array_append_new(members, sent_body(d, o));
	}
	json_object_set_new(b, "members", members);
	return b;
}

static void create_obj(struct diff *d, const struct f5_obj *o)
{
	char label[1200], coll[1200], uri[1200];
	f5_obj_label(o, label, sizeof(label));
	f5_obj_collection_uri(o, coll, sizeof(coll));
	f5_obj_uri(o, uri, sizeof(uri));
	if (o->type == F5T_MEMBER && !f5_config_find(d->act, F5T_POOL, o->path, NULL))
		return; /* carried by its new pool's POST */
	if (o->type == F5T_POLICY) {
		emit_policy(d, "create", o, o->body, NULL);
		return;
	}
	json_t *body = o->type == F5T_POOL ? pool_with_members(d, o) : sent_body(d, o);
	emit(d, "create", label, "POST", coll, body, "DELETE", uri, NULL);
}

/* Returns whether anything was emitted. */
static int update_obj(struct diff *d, const struct f5_obj *o, const struct f5_obj *a)
{
	char label[1200], uri[1200];
	f5_obj_label(o, label, sizeof(label));
	f5_obj_uri(o, uri, sizeof(uri));
	if (o->type == F5T_POLICY) {
		json_t *ch = f5_changed_props(o->type, o->body, a->body);
		if (f5_mark_hash(o->body) == f5_mark_hash(a->body) && !ch)
			return 0;
		json_decref(ch);
		emit_policy(d, "update", o, o->body, f5_sanitize(a->body));
		return 1;
	}
	json_t *patch = f5_changed_props(o->type, o->body, a->body);
	if (!patch)
		return 0;
	json_t *sent = sent_body(d, o);
	json_object_set(patch, "description", json_object_get(sent, "description"));
	json_decref(sent);
	json_t *old = f5_old_props(o->type, patch, a->body);
	emit(d, "update", label, "PATCH", uri, patch, "PATCH", uri, old);
	return 1;
}

static void delete_obj(struct diff *d, const struct f5_obj *a)
{
	char label[1200], uri[1200], coll[1200];
	if (a->type == F5T_MEMBER && !f5_config_find(d->des, F5T_POOL, a->path, NULL))
		return; /* goes with its pool */
	f5_obj_label(a, label, sizeof(label));
	f5_obj_uri(a, uri, sizeof(uri));
	f5_obj_collection_uri(a, coll, sizeof(coll));
	json_t *old = f5_sanitize(a->body);
	if (a->type == F5T_POLICY) {
		emit_policy(d, "delete", a, NULL, old);
		return;
	}
	emit(d, "delete", label, "DELETE", uri, NULL, "POST", coll, old);
}

static int check_owned(struct diff *d)
{
	for (size_t i = 0; i < d->des->n; i++) {
		const struct f5_obj *o = &d->des->objs[i];
		const struct f5_obj *a = f5_config_find(d->act, o->type, o->path, o->member);
		if (a && !a->owned) {
			char label[1200];
			f5_obj_label(o, label, sizeof(label));
			return weft_err_set(
			        d->err,
			        "device %s: %s %s exists on the device and is not managed "
			        "by weft (no '%s' mark); rename or remove it",
			        d->device, f5_type_get(o->type)->display, label, F5_MARK);
		}
	}
	return 0;
}

static void add_folder(struct diff *d)
{
	char uri[600];
	snprintf(uri, sizeof(uri), "/mgmt/tm/sys/folder/~%s", d->des->partition);
	json_t *b = json_pack("{s:s, s:s, s:s}", "name", d->des->partition, "partition", "/",
	                      "description", F5_MARK);
	char label[300];
	snprintf(label, sizeof(label), "/%s", d->des->partition);
	emit(d, "create", label, "POST", "/mgmt/tm/sys/folder", b, "DELETE", uri, NULL);
}

int f5_diff_configs(const char *device, const struct f5_config *desired,
                    const struct f5_config *actual, weft_plan *plan, weft_err *err)
{
	struct f5_plan_priv *p = calloc(1, sizeof(*p));
	if (!p)
		return weft_err_set(err, "device %s: out of memory", device);
	struct diff d = {
	        .device = device, .des = desired, .act = actual, .plan = plan, .p = p, .err = err};
	if (check_owned(&d)) {
		free(p);
		return -1;
	}
	unsigned char *touched = calloc(desired->n + 1, 1);
	if (!touched || match_groups(&d) ||
	    weft_warnings_append(&plan->warnings, &desired->warnings))
		d.oom = 1;
	if (!actual->partition_exists)
		add_folder(&d);
	for (size_t i = 0; !d.oom && i < desired->n; i++) {
		const struct f5_obj *o = &desired->objs[i];
		const struct f5_obj *a = f5_config_find(actual, o->type, o->path, o->member);
		if (a && o->group >= 0 && d.same_des[o->group])
			continue; /* unchanged group: touched[i] stays 0 */
		if (!a)
			create_obj(&d, o);
		touched[i] = !a || update_obj(&d, o, a);
	}
	for (size_t i = actual->n; !d.oom && i-- > 0;) {
		const struct f5_obj *a = &actual->objs[i];
		if (a->group >= 0 && d.same_act[a->group])
			continue; /* every object of an unchanged group is desired */
		if (a->owned && !f5_config_find(desired, a->type, a->path, a->member))
			delete_obj(&d, a);
	}
	free(d.same_des);
	free(d.same_act);
	/* The inverse runs last-first. */
	for (size_t i = d.undo_rev.n; i-- > 0;) {
		struct f5_req *q = &d.undo_rev.items[i];
		if (f5_reqs_add(&p->undo, q->method, q->uri, json_incref(q->body)))
			d.oom = 1;
	}
	f5_reqs_clear(&d.undo_rev);
	if (!d.oom && plan->n_ops)
		p->expected = f5_expected_config(desired, actual, touched);
	free(touched);
	if (d.oom || (plan->n_ops && !p->expected)) {
		f5_plan_priv_free(p);
		return weft_err_set(err, "device %s: diff: out of memory", device);
	}
	plan->priv = p;
	plan->free_priv = f5_plan_priv_free;
	return 0;
}
