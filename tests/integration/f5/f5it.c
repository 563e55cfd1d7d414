/* Helpers for the F5 integration tests and benchmark (see f5it.h). */
#include "f5it.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f5_adapter.h"
#include "policy.h"
#include "resource.h"
#include "testsupport.h"

int f5it_start(struct f5it *t)
{
	memset(t, 0, sizeof(*t));
	weft_err ierr = {0};
	if (weft_adapter_instance_init(&t->adapter, f5_adapter(), NULL, NULL, &ierr)) {
		fprintf(stderr, "f5 adapter: %s\n", ierr.msg);
		return -1;
	}
	t->dir = ts_mkdtemp("f5it");
	t->port = ts_free_port();
	char bin[1024], listen[64], log[1200];
	snprintf(bin, sizeof(bin), "%s/f5sim", ts_bin_dir());
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", t->port);
	snprintf(log, sizeof(log), "%s/f5sim.log", t->dir);
	const char *argv[] = {bin, "--listen", listen, "--user", "admin:secret", NULL};
	t->pid = ts_spawn(argv, log);
	snprintf(t->base, sizeof(t->base), "https://127.0.0.1:%d", t->port);
	setenv("F5IT_PASSWORD", "secret", 1);
	if (t->pid <= 0 || ts_wait_port(t->port, t->pid, 10000)) {
		fprintf(stderr, "f5sim did not start (%s)\n", log);
		return -1;
	}
	return 0;
}

void f5it_reset_session(struct f5it *t)
{
	if (t->session)
		t->adapter.ops->close(t->adapter.ctx, t->session);
	t->session = NULL;
}

void f5it_stop(struct f5it *t)
{
	f5it_reset_session(t);
	weft_adapter_instance_fini(&t->adapter);
	if (t->pid > 0)
		ts_stop(t->pid, 5000);
	t->pid = 0;
	if (t->dir) {
		ts_rmtree(t->dir);
		free(t->dir);
		t->dir = NULL;
	}
}

struct buf {
	char *d;
	size_t n;
};

static size_t on_data(char *p, size_t s, size_t n, void *ud)
{
	struct buf *b = ud;
	char *d = realloc(b->d, b->n + s * n + 1);
	if (!d)
		return 0;
	memcpy(d + b->n, p, s * n);
	b->n += s * n;
	d[b->n] = 0;
	b->d = d;
	return s * n;
}

static json_t *call(struct f5it *t, const char *method, const char *path, json_t *body, int auth,
                    long *status)
{
	CURL *c = curl_easy_init();
	char url[1024];
	snprintf(url, sizeof(url), "%s%s", t->base, path);
	struct buf b = {0};
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (text)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (auth)
		curl_easy_setopt(c, CURLOPT_USERPWD, "admin:secret");
	long st = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
	if (status)
		*status = st;
	json_t *j = b.d ? json_loads(b.d, 0, NULL) : NULL;
	free(b.d);
	free(text);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return j;
}

json_t *f5it_sim(struct f5it *t, const char *method, const char *path, json_t *body)
{
	json_t *ans = call(t, method ? method : (body ? "POST" : "GET"), path, body, 0, NULL);
	json_decref(body);
	return ans;
}

json_t *f5it_rest(struct f5it *t, const char *method, const char *path, json_t *body, long *status)
{
	return call(t, method, path, body, 1, status);
}

long long f5it_total(struct f5it *t)
{
	json_t *c = f5it_sim(t, NULL, "/sim/counters", NULL);
	long long n = json_integer_value(json_object_get(c, "total"));
	json_decref(c);
	return n;
}

long long f5it_calls_no_login(struct f5it *t)
{
	json_t *l = f5it_sim(t, NULL, "/sim/log", NULL), *e;
	size_t i;
	long long n = 0;
	json_array_foreach(json_object_get(l, "entries"), i, e) n +=
	        strcmp(json_string_value(json_object_get(e, "path")), "/mgmt/shared/authn/login") !=
	        0;
	json_decref(l);
	return n;
}

void f5it_device_yaml(struct f5it *t, char *buf, size_t len)
{
	snprintf(
	        buf, len,
	        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: bigip}\n"
	        "spec:\n  type: f5\n  connection: {address: 127.0.0.1, port: %d, username: admin,\n"
	        "    credentials: {env: F5IT_PASSWORD}, tls: {insecure: true}, timeout: 5s}\n"
	        "  options: {partition: weft}\n",
	        t->port);
}

weft_snapshot *f5it_compile(const char *yaml, int64_t rev)
{
	weft_docset docs;
	weft_diags d;
	weft_docset_init(&docs);
	weft_diags_init(&d);
	weft_resource **res = NULL;
	size_t n = 0;
	weft_snapshot *s = NULL;
	weft_policyset *set = NULL;
	if (!weft_docset_parse(&docs, "it.yaml", yaml, strlen(yaml), &d) &&
	    !weft_policy_decode_all(&docs, &res, &n, &d) &&
	    (set = weft_policyset_new(res, n, &d)) && !weft_policy_validate(set, &d)) {
		weft_err err = {0};
		s = weft_snapshot_compile(set, rev, NULL, &err);
	}
	weft_diags_print(stderr, &d);
	for (size_t i = 0; i < n; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_policyset_unref(set);
	weft_docset_free(&docs);
	weft_diags_free(&d);
	return s;
}

static const weft_resource *device(const weft_snapshot *s)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s, &n);
	return n ? devs[0] : NULL;
}

int f5it_push(struct f5it *t, const weft_snapshot *snap, weft_err *err)
{
	const weft_adapter *a = t->adapter.ops;
	void *ctx = t->adapter.ctx;
	const weft_resource *dev = device(snap);
	if (!dev)
		return weft_err_set(err, "no device");
	if (!t->session && a->open(ctx, dev, &t->session, err))
		return -1;
	void *des = NULL, *act = NULL;
	weft_plan plan;
	weft_plan_init(&plan, "default/bigip", "f5", weft_snapshot_revision(snap));
	long long t0 = ts_now_ms();
	int rc = a->render(ctx, snap, dev, &des, err);
	long long t1 = ts_now_ms();
	if (!rc)
		rc = a->observe(ctx, t->session, dev, &act, err);
	long long t2 = ts_now_ms();
	if (!rc)
		rc = a->diff(ctx, dev, des, act, &plan, err);
	long long t3 = ts_now_ms(), t4 = t3;
	int ops = (int)plan.n_ops;
	if (!rc && ops) {
		weft_phase entered = WEFT_PHASE_PREPARE;
		rc = a->prepare(ctx, t->session, &plan, err);
		t4 = ts_now_ms();
		if (!rc) {
			entered = WEFT_PHASE_APPLY;
			rc = a->apply(ctx, t->session, &plan, err);
		}
		if (!rc) {
			entered = WEFT_PHASE_CONFIRM;
			rc = a->confirm(ctx, t->session, &plan, err);
		}
		if (rc) {
			weft_err aerr = {0};
			if (a->abort(ctx, t->session, &plan, entered, &aerr))
				weft_err_prefix(err, "abort also failed (%s)", aerr.msg);
		}
	}
	if (getenv("F5IT_TIMING"))
		fprintf(stderr,
		        "push: render %lld ms, observe %lld, diff %lld, prepare %lld, "
		        "apply %lld\n",
		        t1 - t0, t2 - t1, t3 - t2, t4 - t3, ts_now_ms() - t4);
	if (rc)
		f5it_reset_session(t);
	weft_plan_free(&plan);
	if (des)
		a->free_config(ctx, des);
	if (act)
		a->free_config(ctx, act);
	return rc ? -1 : ops;
}

json_t *f5it_objects(json_t *state, const char *type)
{
	return json_object_get(json_object_get(state, "objects"), type);
}

json_t *f5it_find(json_t *objects, const char *full)
{
	size_t i;
	json_t *o;
	json_array_foreach(objects, i, o)
	{
		const char *f = json_string_value(json_object_get(o, "fullPath"));
		if (f && !strcmp(f, full))
			return o;
	}
	return NULL;
}
