/* The etcd registry backend (see etcd_registry.h). One thread per query
 * (Service): range read of the prefix -> the complete endpoints, then a
 * streaming /v3/watch from that revision + 1 applying PUT and DELETE events
 * (a lease that expires deletes its keys). Compaction, a cancelled watch
 * or a revision going backwards start over with a full read; a failure
 * reports the registry down (the manager keeps the last endpoints) and
 * retries the next address with a bounded backoff. */
#include "etcd_registry.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "etcd_reg_http.h"
#include "etcd_reg_value.h"
#include "policy-t.h"
#include "resource-t.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000

typedef struct ereg_inst ereg_inst;

typedef struct ereg_watch {
	ereg_inst *in;
	size_t q;
	const weft_registry_query *query;
	char *key_b64, *end_b64; /* the prefix and its range end */
	pthread_t thread;
	int started;
	ereg_http *http;
	ereg_table table;
	int64_t rev;       /* the newest revision seen */
	size_t addr;       /* index of the address in use */
	char restart[256]; /* why the stream was left ("" = failure) */
	weft_err fail;
} ereg_watch;

struct ereg_inst {
	const weft_registry_spec *spec;
	weft_registry_sink *sink;
	volatile int stop;
	size_t n;
	ereg_watch *w;
};

/* Sleeps ms, waking early when the instance stops. */
static void nap(ereg_inst *in, long ms)
{
	for (long t = 0; t < ms && !in->stop; t += 50) {
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* int64 fields come as strings from the gateway (and are left out at 0). */
static int64_t i64(json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	return json_is_string(v) ? strtoll(json_string_value(v), NULL, 10) : 0;
}

static char *b64_key(json_t *kv)
{
	size_t len;
	const char *k = json_string_value(json_object_get(kv, "key"));
	return k ? ereg_unb64(k, &len) : NULL;
}

/* PUT of kv: decode and set, or report the bad value and drop the key. */
static void apply_put(ereg_watch *w, json_t *kv)
{
	char *key = b64_key(kv);
	if (!key)
		return;
	size_t len = 0;
	const char *v = json_string_value(json_object_get(kv, "value"));
	char *val = v ? ereg_unb64(v, &len) : strdup("");
	weft_endpoint ep;
	char why[256];
	if (!val) {
		weft_registry_sink_bad_value(w->in->sink, key, "value is not base64");
		ereg_table_set(&w->table, key, NULL);
	} else if (ereg_decode(val, len, w->query->planes, &ep, why, sizeof(why))) {
		weft_registry_sink_bad_value(w->in->sink, key, why);
		ereg_table_set(&w->table, key, NULL);
	} else if (ereg_table_set(&w->table, key, &ep)) {
		ereg_ep_clear(&ep);
	}
	free(val);
	free(key);
}

static void report(ereg_watch *w)
{
	weft_registry_sink_endpoints(w->in->sink, w->q, w->table.eps, w->table.count);
}

/* The full read: the table becomes the prefix's keys at one revision. */
static int range_read(ereg_watch *w, const char *addr)
{
	json_t *req = json_pack("{s:s,s:s}", "key", w->key_b64, "range_end", w->end_b64);
	json_t *resp = NULL;
	int r = ereg_post(w->http, addr, "/v3/kv/range", req, &resp, &w->fail);
	json_decref(req);
	if (r)
		return -1;
	int64_t rev = i64(json_object_get(json_object_get(resp, "header"), "revision"));
	if (rev < w->rev)
		weft_registry_sink_restart(w->in->sink, "etcd revision went backwards");
	w->rev = rev;
	ereg_table_clear(&w->table);
	size_t i;
	json_t *kv;
	json_array_foreach(json_object_get(resp, "kvs"), i, kv) apply_put(w, kv);
	json_decref(resp);
	report(w);
	return 0;
}

/* One message of the watch stream; non-zero leaves the stream (restart
 * says why, or fail for an error). */
static int on_watch(void *arg, json_t *msg)
{
	ereg_watch *w = arg;
	json_t *err = json_object_get(msg, "error");
	if (err) {
		weft_err_set(&w->fail, "etcd watch: %s",
		             json_string_value(json_object_get(err, "message")) ?: "error");
		return 1;
	}
	json_t *res = json_object_get(msg, "result");
	int64_t compact = i64(json_object_get(res, "compact_revision"));
	int64_t rev = i64(json_object_get(json_object_get(res, "header"), "revision"));
	if (compact) {
		snprintf(w->restart, sizeof(w->restart), "etcd compacted to revision %lld",
		         (long long)compact);
		return 1;
	}
	if (json_is_true(json_object_get(res, "canceled"))) {
		snprintf(w->restart, sizeof(w->restart), "etcd watch canceled: %s",
		         json_string_value(json_object_get(res, "cancel_reason")) ?: "no reason");
		return 1;
	}
	if (rev && rev < w->rev) {
		snprintf(w->restart, sizeof(w->restart),
		         "etcd revision went backwards (%lld < %lld)", (long long)rev,
		         (long long)w->rev);
		return 1;
	}
	json_t *evs = json_object_get(res, "events"), *ev;
	size_t i;
	json_array_foreach(evs, i, ev)
	{
		json_t *kv = json_object_get(ev, "kv");
		const char *type = json_string_value(json_object_get(ev, "type"));
		if (type && !strcmp(type, "DELETE")) {
			char *key = b64_key(kv);
			if (key)
				ereg_table_set(&w->table, key, NULL);
			free(key);
		} else {
			apply_put(w, kv);
		}
	}
	if (rev)
		w->rev = rev;
	if (json_array_size(evs))
		report(w);
	return 0;
}

/* Read then watch on addr until something ends the stream: 0 to start
 * over at once (w->restart says why), -1 on a failure (w->fail). */
static int sync_once(ereg_watch *w, const char *addr, long *backoff)
{
	w->restart[0] = 0;
	w->fail.msg[0] = 0;
	if (range_read(w, addr))
		return -1;
	*backoff = BACKOFF_MIN_MS;
	json_t *req = json_pack("{s:{s:s,s:s,s:I,s:b}}", "create_request", "key", w->key_b64,
	                        "range_end", w->end_b64, "start_revision", (json_int_t)(w->rev + 1),
	                        "progress_notify", 1);
	int r = ereg_stream(w->http, addr, "/v3/watch", req, on_watch, w, &w->in->stop, &w->fail);
	json_decref(req);
	return r || w->fail.msg[0] ? -1 : 0;
}

static void *watch_main(void *arg)
{
	ereg_watch *w = arg;
	ereg_inst *in = w->in;
	long backoff = BACKOFF_MIN_MS;
	const char *again = NULL;
	while (!in->stop) {
		const weft_strs *a = &in->spec->addresses;
		const char *addr = a->items[w->addr % a->count];
		if (again)
			weft_registry_sink_restart(in->sink, again);
		if (!sync_once(w, addr, &backoff)) {
			again = w->restart[0] ? w->restart : NULL;
			continue;
		}
		if (in->stop)
			break;
		weft_registry_sink_down(in->sink, w->fail.msg);
		w->addr++; /* the next address, after a pause */
		nap(in, backoff);
		backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
		again = "etcd reconnect";
	}
	return NULL;
}

/* The first key after every key under prefix (etcd's range_end). */
static char *prefix_end(const char *prefix)
{
	size_t n = strlen(prefix);
	char *e = strdup(prefix);
	while (n && (unsigned char)e[n - 1] == 0xff)
		n--;
	if (!n) { /* all 0xff: every key from prefix on ("\0") */
		free(e);
		return ereg_b64("", 1);
	}
	e[n - 1]++;
	char *b = ereg_b64(e, n);
	free(e);
	return b;
}

static void etcd_stop(void *instance)
{
	ereg_inst *in = instance;
	in->stop = 1;
	for (size_t i = 0; i < in->n; i++) {
		ereg_watch *w = &in->w[i];
		if (w->started)
			pthread_join(w->thread, NULL);
		ereg_http_free(w->http);
		ereg_table_clear(&w->table);
		free(w->key_b64);
		free(w->end_b64);
	}
	free(in->w);
	free(in);
}

static int check_spec(const weft_resource *reg, const weft_registry_spec *rs, weft_err *err)
{
	if (!rs->addresses.count)
		return weft_err_set(err, "Registry %s/%s: spec.addresses: none", reg->ns,
		                    reg->name);
	/* Not implemented in this backend: refused rather than ignored. */
	if (rs->token)
		return weft_err_set(err,
		                    "Registry %s/%s: spec.token: etcd authentication is not "
		                    "supported by the etcd registry backend",
		                    reg->ns, reg->name);
	if (rs->tls)
		return weft_err_set(err,
		                    "Registry %s/%s: spec.tls: not supported by the etcd "
		                    "registry backend",
		                    reg->ns, reg->name);
	return 0;
}

static void *etcd_start(const weft_resource *reg, const weft_registry_query *queries, size_t n,
                        weft_registry_sink *sink, weft_err *err)
{
	const weft_registry_spec *rs = reg->spec;
	if (check_spec(reg, rs, err))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!queries[i].key || !queries[i].key[0]) {
			weft_err_set(err, "Service %s/%s: spec.registry.key: required for etcd",
			             queries[i].ns, queries[i].name);
			return NULL;
		}
	ereg_inst *in = calloc(1, sizeof(*in));
	if (!in || !(in->w = calloc(n ? n : 1, sizeof(ereg_watch)))) {
		free(in);
		weft_err_set(err, "etcd registry: out of memory");
		return NULL;
	}
	in->spec = rs;
	in->sink = sink;
	in->n = n;
	for (size_t i = 0; i < n; i++) {
		ereg_watch *w = &in->w[i];
		w->in = in;
		w->q = i;
		w->query = &queries[i];
		w->key_b64 = ereg_b64(queries[i].key, strlen(queries[i].key));
		w->end_b64 = prefix_end(queries[i].key);
		w->http = ereg_http_new();
		if (!w->key_b64 || !w->end_b64 || !w->http ||
		    pthread_create(&w->thread, NULL, watch_main, w)) {
			weft_err_set(err, "etcd registry: cannot start the watch of %s",
			             queries[i].key);
			etcd_stop(in);
			return NULL;
		}
		w->started = 1;
	}
	return in;
}

static const weft_registry_backend backend = {"etcd", etcd_start, etcd_stop};

const weft_registry_backend *etcd_registry_backend(void)
{
	return &backend;
}
