/* Table rendering of weftd's JSON answers for weftctl (the -o json mode
 * prints the server's bytes as they are and never comes here). Shapes are
 * those of docs/api.md; a field that is missing prints as "-", so an older
 * or newer server still renders. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wctl-int.h"

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static void fmt_int(char *buf, size_t size, json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else
		snprintf(buf, size, "-");
}

static void fmt_time_ms(char *buf, size_t size, json_t *v)
{
	if (!json_is_integer(v) || json_integer_value(v) <= 0) {
		snprintf(buf, size, "-");
		return;
	}
	time_t t = (time_t)(json_integer_value(v) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

void wctl_render_errors(FILE *f, json_t *errors)
{
	size_t i;
	json_t *e;
	json_array_foreach(errors, i, e)
	{
		const char *file = str(e, "file"), *path = str(e, "path"), *msg = str(e, "message");
		long long line = json_integer_value(json_object_get(e, "line"));
		long long col = json_integer_value(json_object_get(e, "column"));
		fputs(file ? file : "-", f);
		if (line > 0)
			fprintf(f, ":%lld:%lld", line, col);
		fputs(": ", f);
		if (path && *path)
			fprintf(f, "%s: ", path);
		fprintf(f, "%s\n", msg ? msg : "");
	}
}

void wctl_render_write(const wctl_opts *o, json_t *r, const char *verb)
{
	wctl_table *t = wctl_table_new(4, (const char *[]){"ACTION", "KIND", "NAMESPACE", "NAME"});
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(r, "changes"), i, c)
	{
		wctl_table_add(t, (const char *[]){str(c, "action"), str(c, "kind"),
		                                   str(c, "namespace"), str(c, "name")});
	}
	if (wctl_table_rows(t))
		wctl_table_print(t, o->out);
	wctl_table_free(t);
	char rev[32], cr[32], up[32], del[32], same[32];
	fmt_int(rev, sizeof(rev), r, "revision");
	fmt_int(cr, sizeof(cr), r, "created");
	fmt_int(up, sizeof(up), r, "updated");
	fmt_int(del, sizeof(del), r, "deleted");
	fmt_int(same, sizeof(same), r, "unchanged");
	if (json_is_true(json_object_get(r, "dryRun")))
		fprintf(o->out,
		        "dry run, nothing stored: would create %s, update %s, delete %s; "
		        "%s unchanged (head revision %s)\n",
		        cr, up, del, same, rev);
	else
		fprintf(o->out,
		        "%s: revision %s (%s created, %s updated, %s deleted, %s unchanged)\n",
		        verb, rev, cr, up, del, same);
}

/* "a=b,c=d" of metadata.labels. */
static void fmt_labels(char *buf, size_t size, json_t *labels)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	buf[0] = '\0';
	json_object_foreach(labels, k, v)
	{
		if (n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s=%s", n ? "," : "", k,
			                      json_string_value(v) ? json_string_value(v) : "");
	}
}

static void one_line(char *out, size_t size, const char *text);

/* wide (show_kind): the kind and the spec on one line as well. */
void wctl_render_resources(const wctl_opts *o, json_t *list, int show_kind)
{
	json_t *items = json_object_get(list, "items");
	if (json_array_size(items) == 0) {
		fprintf(o->out, "No resources found.\n");
		return;
	}
	wctl_table *t =
	        show_kind ? wctl_table_new(5, (const char *[]){"KIND", "NAMESPACE", "NAME",
	                                                       "LABELS", "SPEC"})
	                  : wctl_table_new(3, (const char *[]){"NAMESPACE", "NAME", "LABELS"});
	size_t i;
	json_t *r;
	json_array_foreach(items, i, r)
	{
		json_t *meta = json_object_get(r, "metadata");
		char labels[512], spec[121];
		fmt_labels(labels, sizeof(labels), json_object_get(meta, "labels"));
		char *text = show_kind ? json_dumps(json_object_get(r, "spec"),
		                                    JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)
		                       : NULL;
		one_line(spec, sizeof(spec), text);
		free(text);
		const char *row[5] = {str(r, "kind"), str(meta, "namespace"), str(meta, "name"),
		                      labels, spec};
		wctl_table_add(t, show_kind ? row : row + 1);
	}
	wctl_table_print(t, o->out);
	wctl_table_free(t);
}

/* One "path: value" line per scalar of a resource, in document order. */
static void flatten(FILE *out, const char *prefix, json_t *v)
{
	char path[1024];
	if (json_is_object(v) && json_object_size(v)) {
		const char *k;
		json_t *child;
		json_object_foreach(v, k, child)
		{
			snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? "." : "", k);
			flatten(out, path, child);
		}
	} else if (json_is_array(v) && json_array_size(v)) {
		size_t i;
		json_t *child;
		json_array_foreach(v, i, child)
		{
			snprintf(path, sizeof(path), "%s[%zu]", prefix, i);
			flatten(out, path, child);
		}
	} else {
		char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY);
		fprintf(out, "%s: %s\n", prefix,
		        json_is_string(v) ? json_string_value(v)
		        : text            ? text
		                          : "?");
		free(text);
	}
}

void wctl_render_resource(const wctl_opts *o, json_t *res)
{
	flatten(o->out, "", res);
}

/* One line on the proxies weftd serves over xDS (weftd --xds), by state of
 * their last ACK. A proxy is current when every type it subscribes to
 * ACKed the version last sent on it: in state-of-the-world a type whose
 * resources did not change is not resent and keeps an older version, so
 * comparing with the head (or the view's version) would be wrong. The
 * revision shown is what the views serve ("version" in "views"). */
static void render_xds_summary(const wctl_opts *o, json_t *xds)
{
	if (!json_is_object(xds))
		return;
	json_t *proxies = json_object_get(xds, "proxies");
	json_t *views = json_object_get(xds, "views");
	size_t i, current = 0, nacked = 0;
	json_t *p;
	json_array_foreach(proxies, i, p)
	{
		const char *k;
		json_t *ty;
		int ok = json_object_size(json_object_get(p, "types")) > 0, nack = 0;
		json_object_foreach(json_object_get(p, "types"), k, ty)
		{
			const char *acked = str(ty, "version_acked"),
			           *sent = str(ty, "version_sent");
			if (!acked || !sent || !*sent || strcmp(acked, sent))
				ok = 0;
			if (json_is_string(json_object_get(ty, "last_error")))
				nack = 1;
		}
		current += ok;
		nacked += nack;
	}
	if (json_array_size(proxies) == 0) {
		fprintf(o->out, "xds: no proxies connected\n");
		return;
	}
	fprintf(o->out, "xds: %zu proxies connected, %zu ACKed what they were sent",
	        json_array_size(proxies), current);
	/* the served versions, "revision 11" when every view serves one */
	const char *one = NULL;
	int same = 1;
	json_t *v;
	json_array_foreach(views, i, v)
	{
		if (!one)
			one = str(v, "version");
		else if (str(v, "version") && strcmp(one, str(v, "version")))
			same = 0;
	}
	if (one && same)
		fprintf(o->out, " (serving revision %s)", one);
	fprintf(o->out, ", %zu with a NACK\n", nacked);
}

/* One line on a replica of a shared store (weftd on etcd, docs/ha.md). */
static void render_replica(const wctl_opts *o, json_t *r)
{
	if (!json_is_object(r))
		return;
	const char *leader = json_string_value(json_object_get(r, "leader_name"));
	fprintf(o->out, "replica %s: %s", str(r, "name"),
	        json_is_true(json_object_get(r, "leader")) ? "leader" : "follower");
	if (!json_is_true(json_object_get(r, "leader")))
		fprintf(o->out, " (leader: %s)", leader ? leader : "none known");
	fprintf(o->out, ", lease TTL %lld ms\n",
	        (long long)json_integer_value(json_object_get(r, "lease_ttl_ms")));
}

void wctl_render_status(const wctl_opts *o, json_t *st)
{
	char rev[32], snap[32];
	fmt_int(rev, sizeof(rev), st, "revision");
	fmt_int(snap, sizeof(snap), st, "snapshot_revision");
	fprintf(o->out, "revision %s (compiled snapshot %s)\n", rev, snap);
	render_replica(o, json_object_get(st, "replica"));
	json_t *devices = json_object_get(st, "devices");
	if (json_array_size(devices) == 0) {
		fprintf(o->out, "No devices.\n");
		render_xds_summary(o, json_object_get(st, "xds"));
		return;
	}
	wctl_table *t = wctl_table_new(6, (const char *[]){"DEVICE", "KIND", "STATE", "REVISION",
	                                                   "LAST PUSH", "LAST ERROR"});
	size_t i;
	json_t *d;
	json_array_foreach(devices, i, d)
	{
		char drev[32], when[48];
		fmt_int(drev, sizeof(drev), d, "revision");
		fmt_time_ms(when, sizeof(when), json_object_get(d, "last_push_ms"));
		wctl_table_add(t, (const char *[]){str(d, "name"), str(d, "kind"), str(d, "state"),
		                                   drev, when, str(d, "last_error")});
	}
	wctl_table_print(t, o->out);
	wctl_table_free(t);
	render_xds_summary(o, json_object_get(st, "xds"));
}

void wctl_render_transactions(const wctl_opts *o, json_t *h)
{
	wctl_table *t = wctl_table_new(
	        6, (const char *[]){"ID", "REVISION", "OUTCOME", "MS", "DEVICES", "CAUSE"});
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(h, "transactions"), i, r)
	{
		char id[32], rev[32], ms[32], devs[512] = "";
		fmt_int(id, sizeof(id), r, "id");
		fmt_int(rev, sizeof(rev), r, "revision");
		fmt_int(ms, sizeof(ms), r, "duration_ms");
		size_t j, used = 0;
		json_t *d;
		json_array_foreach(json_object_get(r, "devices"), j, d)
		{
			int w = snprintf(devs + used, sizeof(devs) - used, "%s%s=%s", j ? " " : "",
			                 str(d, "name"), str(d, "result"));
			if (w < 0 || (size_t)w >= sizeof(devs) - used)
				break;
			used += (size_t)w;
		}
		wctl_table_add(
		        t, (const char *[]){id, rev, str(r, "outcome"), ms, devs, str(r, "cause")});
	}
	if (wctl_table_rows(t))
		wctl_table_print(t, o->out);
	else
		fprintf(o->out,
		        "No transactions yet (independent mode pushes each device on its own).\n");
	wctl_table_free(t);
}

void wctl_render_history(const wctl_opts *o, json_t *h)
{
	wctl_table *t = wctl_table_new(6, (const char *[]){"REVISION", "TIME", "AUTHOR",
	                                                   "RESOURCES", "CHANGED", "MESSAGE"});
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(h, "revisions"), i, r)
	{
		char rev[32], when[48], res[32], changed[32];
		fmt_int(rev, sizeof(rev), r, "revision");
		fmt_time_ms(when, sizeof(when), json_object_get(r, "time"));
		fmt_int(res, sizeof(res), r, "resources");
		fmt_int(changed, sizeof(changed), r, "changed");
		wctl_table_add(t, (const char *[]){rev, when, str(r, "author"), res, changed,
		                                   str(r, "message")});
	}
	if (wctl_table_rows(t))
		wctl_table_print(t, o->out);
	else
		fprintf(o->out, "No revisions yet.\n");
	wctl_table_free(t);
}

/* The start of text on one line: whitespace runs become one space; cut at
 * a UTF-8 character boundary with "..." when too long. */
static void one_line(char *out, size_t size, const char *text)
{
	size_t n = 0;
	int space = 0;
	for (const char *p = text ? text : ""; *p && n + 4 < size; p++) {
		int ws = *p == ' ' || *p == '\n' || *p == '\t' || *p == '\r';
		if (ws && (space || n == 0))
			continue;
		space = ws;
		out[n++] = ws ? ' ' : *p;
		if (p[1] && n + 4 >= size) {
			while (n && ((unsigned char)out[n - 1] & 0xc0) == 0x80)
				n--; /* drop continuation bytes of a cut character */
			if (n && ((unsigned char)out[n - 1] & 0xc0) == 0xc0)
				n--; /* and its lead byte */
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
	}
	out[n] = '\0';
}

/* "eds update a, b; cds add c" of a changes object {type: {op: [names]}}. */
static void changes_text(char *out, size_t size, json_t *changes)
{
	FILE *f = fmemopen(out, size, "w");
	const char *type;
	json_t *ops;
	int first = 1;
	if (!f) {
		snprintf(out, size, "-");
		return;
	}
	json_object_foreach(changes, type, ops)
	{
		const char *op;
		json_t *names;
		json_object_foreach(ops, op, names)
		{
			fprintf(f, "%s%s %s ", first ? "" : "; ", type, op);
			first = 0;
			size_t i;
			json_t *n;
			json_array_foreach(names, i, n)
			        fprintf(f, "%s%s", i ? ", " : "", json_string_value(n));
		}
	}
	fclose(f);
	out[size - 1] = '\0';
}

/* The first node ids of a group, "+N more" for the rest. */
static void nodes_text(char *out, size_t size, json_t *group)
{
	json_t *nodes = json_object_get(group, "nodes");
	long long count = json_integer_value(json_object_get(group, "count"));
	size_t n = 0, shown = 0;
	out[0] = '\0';
	for (; shown < json_array_size(nodes) && shown < 4 && n < size; shown++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", shown ? ", " : "",
		                      json_string_value(json_array_get(nodes, shown)));
	if (count > (long long)shown && n < size)
		snprintf(out + n, size - n, "%s+%lld more", shown ? ", " : "",
		         count - (long long)shown);
}

/* The "proxies" part of a plan (weftd with --xds): per feed, which
 * connected proxies would receive the change, and what changes for them. */
static void render_plan_proxies(const wctl_opts *o, json_t *plan)
{
	json_t *p = json_object_get(plan, "proxies");
	if (!p)
		return;
	if (str(p, "error")) {
		fprintf(o->out, "\nproxies: cannot plan: %s\n", str(p, "error"));
		return;
	}
	char conn[32], aff[32];
	fmt_int(conn, sizeof(conn), p, "connected");
	fmt_int(aff, sizeof(aff), p, "affected");
	fprintf(o->out, "\nproxies: %s connected, %s would receive the change%s\n", conn, aff,
	        json_is_true(json_object_get(p, "stale")) ? " (status stale)" : "");
	size_t i;
	json_t *f;
	json_array_foreach(json_object_get(p, "feeds"), i, f)
	{
		char held[32], np[32], na[32];
		fmt_int(held, sizeof(held), f, "held_revision");
		fmt_int(np, sizeof(np), f, "proxies");
		fmt_int(na, sizeof(na), f, "affected");
		fprintf(o->out, "feed %s (serves revision %s): %s proxies, %s affected\n",
		        str(f, "feed") ? str(f, "feed") : "-", held, np, na);
		if (str(f, "note"))
			fprintf(o->out, "  note: %s\n", str(f, "note"));
		json_t *groups = json_object_get(f, "groups");
		if (!json_array_size(groups))
			continue;
		wctl_table *t = wctl_table_new(3, (const char *[]){"  COUNT", "NODES", "CHANGES"});
		size_t j;
		json_t *g;
		json_array_foreach(groups, j, g)
		{
			char count[32], nodes[160], changes[1024], cut[121];
			fmt_int(count + 2, sizeof(count) - 2, g, "count");
			count[0] = count[1] = ' ';
			nodes_text(nodes, sizeof(nodes), g);
			changes_text(changes, sizeof(changes), json_object_get(g, "changes"));
			one_line(cut, sizeof(cut), changes);
			wctl_table_add(t, (const char *[]){count, nodes, cut});
		}
		wctl_table_print(t, o->out);
		wctl_table_free(t);
	}
}

/* The translation warnings of one device's plan (what its family cannot
 * express), and a strict Device's refusal. */
static void render_plan_warnings(const wctl_opts *o, json_t *d)
{
	json_t *ws = json_object_get(d, "warnings");
	if (json_array_size(ws))
		fprintf(o->out, "  %zu warning(s): what %s cannot express\n", json_array_size(ws),
		        str(d, "kind") ? str(d, "kind") : "the device");
	size_t i;
	json_t *w;
	json_array_foreach(ws, i, w)
	{
		const char *file = str(w, "file"), *res = str(w, "resource");
		const char *field = str(w, "field"), *msg = str(w, "message");
		fprintf(o->out, "  warning: %s:%lld: %s: %s: %s\n", file ? file : "-",
		        (long long)json_integer_value(json_object_get(w, "line")), res ? res : "-",
		        field ? field : "-", msg ? msg : "");
	}
	if (str(d, "refused"))
		fprintf(o->out, "  REFUSED: %s\n", str(d, "refused"));
}

void wctl_render_plan(const wctl_opts *o, json_t *plan)
{
	char rev[32];
	fmt_int(rev, sizeof(rev), plan, "revision");
	json_t *devices = json_object_get(plan, "devices");
	fprintf(o->out, "plan to revision %s for %zu device(s)\n", rev, json_array_size(devices));
	size_t i;
	json_t *d;
	json_array_foreach(devices, i, d)
	{
		json_t *ops = json_object_get(d, "ops");
		fprintf(o->out, "\ndevice %s (%s%s): ", str(d, "device") ? str(d, "device") : "-",
		        str(d, "kind") ? str(d, "kind") : "-",
		        json_is_true(json_object_get(d, "deleted")) ? ", deleted: onDelete remove"
		                                                    : "");
		if (str(d, "error")) {
			fprintf(o->out, "cannot plan: %s\n", str(d, "error"));
			continue;
		}
		/* a Device new or changed in the request is planned offline */
		const char *note =
		        json_is_false(json_object_get(d, "contacted")) ? str(d, "note") : NULL;
		if (json_array_size(ops) == 0) {
			fprintf(o->out, "%s\n", note ? "no changes" : "in sync, no changes");
			if (note)
				fprintf(o->out, "  (%s)\n", note);
			render_plan_warnings(o, d);
			continue;
		}
		fprintf(o->out, "%zu change(s)\n", json_array_size(ops));
		if (note)
			fprintf(o->out, "  (%s)\n", note);
		wctl_table *t = wctl_table_new(3, (const char *[]){"  ACTION", "TARGET", "DETAIL"});
		size_t j;
		json_t *op;
		json_array_foreach(ops, j, op)
		{
			char action[64];
			snprintf(action, sizeof(action), "  %s",
			         str(op, "action") ? str(op, "action") : "-");
			char detail[121];
			one_line(detail, sizeof(detail), str(op, "detail"));
			wctl_table_add(t, (const char *[]){action, str(op, "target"), detail});
		}
		wctl_table_print(t, o->out);
		wctl_table_free(t);
		render_plan_warnings(o, d);
	}
	render_plan_proxies(o, plan);
}
