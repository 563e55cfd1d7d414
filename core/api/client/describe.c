/* `weftctl describe KIND [NS/]NAME`: one resource for a person -- its
 * document, the devices that carry it (for a Device: itself) with their
 * state, what is wrong with them (last error, drift) as warnings, and the
 * recent events that concern them.
 *
 * Which devices carry a resource is decided by the policy's own scope
 * rules (weft_device_selects_in_set, core/policy.h): the stored policy is
 * read with one list request per kind and decoded here, as a List, with
 * the server's decoder. Events are the ones weftd still holds (GET
 * /v1/events?since=0, read for at most 1 s). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "wctl-int.h"

#define RECENT_EVENTS 10

static const char *str(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* GET path as JSON (NULL after printing why). */
static json_t *get_json(const wctl_opts *o, const char *path)
{
	wctl_opts quiet = *o;
	quiet.json = 0;
	wctl_resp r;
	if (wctl_http(&quiet, "GET", path, NULL, NULL, 0, &r) != 0)
		return NULL;
	json_t *j = NULL;
	if (wctl_check(&quiet, &r, 0) == WCTL_OK && r.json)
		j = json_incref(r.json);
	wctl_resp_free(&r);
	return j;
}

/* The stored policy as one weft/v1 List, or NULL. */
static json_t *stored_policy(const wctl_opts *o)
{
	json_t *items = json_array();
	for (int k = 0; k < WEFT_KIND_COUNT; k++) {
		char path[128];
		snprintf(path, sizeof(path), "/v1/%s", weft_kind_plural((weft_kind)k));
		json_t *list = get_json(o, path);
		if (!list) {
			json_decref(items);
			return NULL;
		}
		json_array_extend(items, json_object_get(list, "items"));
		json_decref(list);
	}
	return json_pack("{s:s, s:s, s:o}", "apiVersion", "weft/v1", "kind", "List", "items",
	                 items);
}

/* Device keys ("ns/name") whose scope selects the resource, as JSON
 * strings; for a Device, itself. */
static json_t *carriers(const wctl_opts *o, json_t *res)
{
	json_t *out = json_array();
	json_t *meta = json_object_get(res, "metadata");
	char key[600];
	snprintf(key, sizeof(key), "%s/%s", str(meta, "namespace"), str(meta, "name"));
	if (str(res, "kind") && !strcmp(str(res, "kind"), "Device")) {
		json_array_append_new(out, json_string(key));
		return out;
	}
	json_t *list = stored_policy(o);
	char *text = list ? json_dumps(list, JSON_COMPACT) : NULL;
	json_decref(list);
	if (!text)
		return out;
	weft_docset set;
	weft_diags diags;
	weft_resource **rs = NULL;
	size_t n = 0;
	weft_docset_init(&set);
	weft_diags_init(&diags);
	weft_policyset *ps = NULL;
	if (weft_docset_parse(&set, "stored.json", text, strlen(text), &diags) == 0 &&
	    weft_policy_decode_all(&set, &rs, &n, &diags) == 0)
		ps = weft_policyset_new(rs, n, &diags);
	const weft_resource *self = NULL;
	for (size_t i = 0; ps && i < n; i++)
		if (!strcmp(weft_kind_name(rs[i]->kind), str(res, "kind")) &&
		    !strcmp(rs[i]->ns, str(meta, "namespace")) &&
		    !strcmp(rs[i]->name, str(meta, "name")))
			self = rs[i];
	for (size_t i = 0; self && i < n; i++) {
		if (rs[i]->kind != WEFT_KIND_DEVICE || !weft_device_selects_in_set(ps, rs[i], self))
			continue;
		snprintf(key, sizeof(key), "%s/%s", rs[i]->ns, rs[i]->name);
		json_array_append_new(out, json_string(key));
	}
	if (diags.count)
		fprintf(o->err,
		        "warning: the stored policy did not decode here; devices unknown\n");
	weft_policyset_unref(ps);
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(rs[i]);
	free(rs);
	weft_diags_free(&diags);
	weft_docset_free(&set);
	free(text);
	return out;
}

static int has_string(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) if (s && !strcmp(json_string_value(v), s)) return 1;
	return 0;
}

struct recent {
	json_t *devices; /* carriers */
	json_t *kept;    /* the last RECENT_EVENTS matching events, oldest first */
};

static int keep_event(void *arg, const char *type, json_t *data)
{
	struct recent *r = arg;
	if (!strcmp(type, "device") && !has_string(r->devices, str(data, "name")))
		return 0;
	if (strcmp(type, "device") && strcmp(type, "revision"))
		return 0;
	json_array_append_new(r->kept, json_pack("{s:s, s:O}", "type", type, "data", data));
	while (json_array_size(r->kept) > RECENT_EVENTS)
		json_array_remove(r->kept, 0);
	return 0;
}

static void print_event(const wctl_opts *o, json_t *e)
{
	json_t *d = json_object_get(e, "data");
	char when[32] = "-";
	json_t *ms = json_object_get(d, "time_ms");
	if (json_is_integer(ms)) {
		time_t t = (time_t)(json_integer_value(ms) / 1000);
		struct tm tm;
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime_r(&t, &tm));
	}
	if (!strcmp(str(e, "type"), "revision"))
		fprintf(o->out, "  %s  revision %lld by %s\n", when,
		        (long long)json_integer_value(json_object_get(d, "revision")),
		        str(d, "author") ? str(d, "author") : "-");
	else
		fprintf(o->out, "  %s  %s %s at revision %lld%s%s\n", when, str(d, "name"),
		        str(d, "state"),
		        (long long)json_integer_value(json_object_get(d, "revision")),
		        str(d, "last_error") ? ": " : "",
		        str(d, "last_error") ? str(d, "last_error") : "");
}

/* Devices, warnings and events of the describe page. */
static void print_devices(const wctl_opts *o, json_t *devs)
{
	json_t *status = get_json(o, "/v1/status");
	fprintf(o->out, "\nDevices:%s\n", json_array_size(devs) ? "" : " none carry it");
	json_t *warnings = json_array();
	wctl_table *t =
	        wctl_table_new(4, (const char *[]){"  DEVICE", "KIND", "STATE", "REVISION"});
	size_t i, j;
	json_t *name, *d;
	json_array_foreach(devs, i, name)
	{
		json_t *found = NULL;
		json_array_foreach(json_object_get(status, "devices"), j,
		                   d) if (!strcmp(str(d, "name"), json_string_value(name))) found =
		        d;
		char dev[600], rev[32] = "-";
		snprintf(dev, sizeof(dev), "  %s", json_string_value(name));
		if (found && json_is_integer(json_object_get(found, "revision")))
			snprintf(rev, sizeof(rev), "%lld",
			         (long long)json_integer_value(json_object_get(found, "revision")));
		wctl_table_add(t,
		               (const char *[]){dev, found ? str(found, "kind") : "-",
		                                found ? str(found, "state") : "not running", rev});
		if (found && str(found, "last_error"))
			json_array_append_new(warnings,
			                      json_sprintf("%s: %s", json_string_value(name),
			                                   str(found, "last_error")));
		json_t *drift = found ? json_object_get(found, "drift") : NULL;
		if (json_is_object(drift))
			json_array_append_new(
			        warnings,
			        json_sprintf("%s: drift, %lld difference(s), first: %s",
			                     json_string_value(name),
			                     (long long)json_integer_value(
			                             json_object_get(drift, "differences")),
			                     str(drift, "first") ? str(drift, "first") : "-"));
	}
	if (json_array_size(devs))
		wctl_table_print(t, o->out);
	wctl_table_free(t);
	fprintf(o->out, "\nWarnings:%s\n", json_array_size(warnings) ? "" : " none");
	json_array_foreach(warnings, i, d) fprintf(o->out, "  %s\n", json_string_value(d));
	json_decref(warnings);
	json_decref(status);
}

int wctl_describe(const wctl_opts *o, const char *kind, const char *name)
{
	const char *plural = wctl_kind_plural(kind);
	if (!plural)
		return wctl_unknown_kind(o, kind);
	char path[1024], ns[300], nm[300];
	if (wctl_split_name(o, name, ns, sizeof(ns), nm, sizeof(nm)) != 0)
		return WCTL_USAGE;
	snprintf(path, sizeof(path), "/v1/%s/%s/%s", plural, ns, nm);
	json_t *res = get_json(o, path);
	if (!res)
		return WCTL_FAILED;
	json_t *meta = json_object_get(res, "metadata");
	fprintf(o->out, "Name:       %s\nNamespace:  %s\nKind:       %s\n", str(meta, "name"),
	        str(meta, "namespace"), str(res, "kind"));
	fputs("Spec:\n", o->out);
	char *spec = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&spec, &len);
	if (mem) {
		wctl_yaml_print(mem, json_object_get(res, "spec"));
		fclose(mem);
		for (char *line = strtok(spec, "\n"); line; line = strtok(NULL, "\n"))
			fprintf(o->out, "  %s\n", line);
		free(spec);
	}
	json_t *devs = carriers(o, res);
	print_devices(o, devs);
	struct recent rec = {.devices = devs, .kept = json_array()};
	wctl_follow(o, 0, 1, 0, keep_event, NULL, &rec);
	fprintf(o->out, "\nEvents:%s\n", json_array_size(rec.kept) ? "" : " none held");
	size_t i;
	json_t *e;
	json_array_foreach(rec.kept, i, e) print_event(o, e);
	json_decref(rec.kept);
	json_decref(devs);
	json_decref(res);
	return WCTL_OK;
}
