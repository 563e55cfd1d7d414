/* weft_policy_validate_change (core/policy/validate_change.c) against the
 * full weft_policy_validate: thousands of random single-resource changes
 * (field edits, removals of list items and fields, new resources, renames,
 * deletions), valid and invalid, applied to a policy that holds every kind,
 * several namespaces, TCP and HTTP services, gateways and scoped devices.
 * For each change both entry points must return the same code and the very
 * same diagnostics in the same order. Valid changes become the next base,
 * so the walk drifts far from the generated start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "policy.h"
#include "policy_testutil.h"
#include "resource.h"

static const char extra_yaml[] =
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: db, namespace: prod}\n"
        "spec:\n  protocol: tcp\n  ports:\n  - {name: pg, port: 5432}\n"
        "  - {name: admin, port: 8080, protocol: http, targetPort: 9090}\n"
        "  endpoints:\n  - {address: 10.0.0.1}\n"
        "  - address: 10.0.0.2\n    addresses: {storage: 100.64.0.2}\n"
        "  subsets:\n  - {name: v1, labels: {version: v1}}\n"
        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: cache, namespace: prod}\n"
        "spec:\n  protocol: tcp\n  ports:\n  - {port: 6379}\n"
        "  endpoints:\n  - {address: 10.0.0.3}\n  - {address: 10.0.0.4, port: 6380}\n"
        "  upstreams: [db, default/svc-00001]\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: web, namespace: prod}\n"
        "spec:\n  hosts: [www.example.com]\n  http:\n"
        "  - destinations:\n    - {service: default/svc-00001, weight: 50}\n"
        "    - {service: default/svc-00002, weight: 50}\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: pg, namespace: prod}\n"
        "spec:\n  hosts: [db.example.com]\n  tcp:\n  - destinations: [{service: db, port: 5432}]\n"
        "---\napiVersion: weft/v1\nkind: Route\nmetadata: {name: cache, namespace: prod}\n"
        "spec:\n  service: cache\n  tcp:\n  - destinations: [{service: cache}]\n"
        "---\napiVersion: weft/v1\nkind: Gateway\nmetadata: {name: edge, namespace: prod}\n"
        "spec:\n  address: 192.0.2.10\n  listeners:\n"
        "  - {name: web, port: 80, protocol: http, routes: [web]}\n"
        "  - {name: pg, port: 5432, protocol: tcp, routes: [pg]}\n"
        "---\napiVersion: weft/v1\nkind: TrafficPolicy\nmetadata: {name: db-v1, namespace: prod}\n"
        "spec:\n  service: db\n  subset: v1\n  loadBalancer: {algorithm: random}\n"
        "---\napiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: rl1, namespace: default}\n"
        "spec:\n  service: svc-00002\n  limit: {requests: 100}\n  key: {header: x-tenant}\n"
        "  tiers:\n  - {value: gold, requests: 1000}\n  - {value: silver, requests: 500}\n"
        "---\napiVersion: weft/v1\nkind: RateLimit\nmetadata: {name: rl2, namespace: prod}\n"
        "spec:\n  route: web\n  limit: {requests: 10, per: minute}\n"
        "---\napiVersion: weft/v1\nkind: AccessPolicy\nmetadata: {name: ap1, namespace: default}\n"
        "spec:\n  service: svc-00003\n  rules:\n  - action: allow\n"
        "    from: {services: [svc-00004, prod/db]}\n"
        "---\napiVersion: weft/v1\nkind: PeerAuthentication\nmetadata: {name: pa1, namespace: "
        "prod}\n"
        "spec:\n  service: db\n  mode: STRICT\n"
        "---\napiVersion: weft/v1\nkind: Telemetry\nmetadata: {name: tel, namespace: default}\n"
        "spec:\n  service: svc-00005\n  accessLog: {enabled: true}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: edge-file, namespace: infra}\n"
        "spec:\n  type: file\n  scope: {gateways: [prod/edge]}\n"
        "  options: {directory: ./out/edge}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: prod-file, namespace: infra}\n"
        "spec:\n  type: file\n  scope: {namespaces: [prod], services: [prod/db]}\n"
        "  options: {directory: ./out/prod}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: svc-file, namespace: infra}\n"
        "spec:\n  type: file\n  scope: {services: [default/svc-00006]}\n"
        "  options: {directory: ./out/svc}\n";

/* Values a mutation may write, by field name; other fields draw from all. */
static const char *const pool_names[] = {
        "svc-00000", "svc-00001", "svc-00007",         "db",     "cache",   "web", "pg",
        "edge",      "prod/db",   "default/svc-00002", "nosuch", "svc-0000"};
static const char *const pool_ips[] = {"10.0.0.1",   "10.0.0.2",   "10.0.0.3", "10.0.0.4",
                                       "100.64.0.2", "100.64.0.1", "10.0.0.9"};
static const char *const pool_words[] = {
        "v1",   "v2",      "v3",    "http",    "tcp",       "grpc",   "tls",  "https",
        "prod", "default", "infra", "storage", "ring-hash", "random", "gold", "x"};
static const int pool_ints[] = {0, 1, 20, 50, 80, 100, 5432, 6379, 6380, 8080, 9090, 80};

static uint64_t rng_state;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

#define PICK(a) (a[rnd(sizeof(a) / sizeof(a[0]))])

/* A place in a JSON tree: parent object member `key` or array item `index`. */
struct spot {
	json_t *parent;
	const char *key;
	size_t index;
	json_t *value;
};

static void collect(json_t *node, struct spot *spots, size_t *n, size_t max)
{
	if (json_is_object(node)) {
		const char *k;
		json_t *v;
		json_object_foreach(node, k, v)
		{
			if (*n < max)
				spots[(*n)++] = (struct spot){node, k, 0, v};
			collect(v, spots, n, max);
		}
	} else if (json_is_array(node)) {
		size_t i;
		json_t *v;
		json_array_foreach(node, i, v)
		{
			if (*n < max)
				spots[(*n)++] = (struct spot){node, NULL, i, v};
			collect(v, spots, n, max);
		}
	}
}

static json_t *new_value(const struct spot *s)
{
	const char *k = s->key ? s->key : "";
	if (json_is_integer(s->value) || json_is_real(s->value))
		return json_integer(PICK(pool_ints));
	if (json_is_boolean(s->value))
		return json_boolean(rnd(2));
	if (!json_is_string(s->value))
		return NULL;
	if (strstr(k, "ddress") || (!s->key && rnd(2)))
		return json_string(PICK(pool_ips));
	if (!strcmp(k, "service") || !strcmp(k, "route") || !strcmp(k, "name") || !s->key)
		return json_string(rnd(4) ? PICK(pool_names) : PICK(pool_words));
	return json_string(rnd(3) ? PICK(pool_words) : PICK(pool_names));
}

/* One random edit of r's canonical JSON; a new resource, or NULL when the
 * edit did not decode (the schema refused it). */
static weft_resource *mutate(const weft_resource *r, int serial)
{
	json_t *root = json_loads(r->json, 0, NULL);
	assert_non_null(root);
	struct spot spots[512];
	size_t n = 0;
	collect(json_object_get(root, "spec"), spots, &n, 512);
	json_t *meta = json_object_get(root, "metadata");
	if (rnd(8) == 0 && meta)
		spots[n++] = (struct spot){meta, rnd(2) ? "name" : "namespace", 0,
		                           json_object_get(meta, "name")};
	weft_resource *out = NULL;
	if (n) {
		struct spot *s = &spots[rnd((unsigned)n)];
		int removal = rnd(4) == 0;
		json_t *v = removal ? NULL : new_value(s);
		if (removal && s->key)
			json_object_del(s->parent, s->key);
		else if (removal)
			json_array_remove(s->parent, s->index);
		else if (v && s->key)
			json_object_set_new(s->parent, s->key, v);
		else if (v)
			json_array_set_new(s->parent, s->index, v);
		char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
		weft_diags d;
		weft_diags_init(&d);
		if (weft_policy_decode_json(text, strlen(text), "changed.yaml", serial, &out, &d))
			out = NULL;
		weft_diags_free(&d);
		free(text);
	}
	json_decref(root);
	return out;
}

/* r under a new name (sometimes in another namespace): an added resource. */
static weft_resource *copy_renamed(const weft_resource *r, int serial)
{
	json_t *root = json_loads(r->json, 0, NULL);
	assert_non_null(root);
	json_t *meta = json_object_get(root, "metadata");
	char name[32];
	snprintf(name, sizeof(name), "copy-%d", serial);
	json_object_set_new(meta, "name", json_string(name));
	if (rnd(3) == 0)
		json_object_set_new(meta, "namespace", json_string(PICK(pool_words)));
	char *text = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *out = NULL;
	if (weft_policy_decode_json(text, strlen(text), "added.yaml", serial, &out, &d))
		out = NULL;
	weft_diags_free(&d);
	free(text);
	json_decref(root);
	return out;
}

static void assert_same(const weft_diags *full, const weft_diags *inc, int step)
{
	if (full->count != inc->count) {
		fprintf(stderr, "step %d: full validation reports %zu, incremental %zu\n", step,
		        full->count, inc->count);
		fprintf(stderr, "full:\n");
		tp_dump(full);
		fprintf(stderr, "incremental:\n");
		tp_dump(inc);
	}
	assert_int_equal(full->count, inc->count);
	for (size_t i = 0; i < full->count; i++) {
		const weft_diag *a = &full->items[i], *b = &inc->items[i];
		assert_string_equal(a->file, b->file);
		assert_int_equal(a->line, b->line);
		assert_int_equal(a->col, b->col);
		assert_string_equal(a->path, b->path);
		assert_string_equal(a->msg, b->msg);
	}
}

/* One random change of prev: an edited resource (upsert), a deletion, or
 * a copy under a new name. NULL when the change did not apply. */
static weft_policyset *random_change(const weft_policyset *prev, int step)
{
	size_t n = weft_policyset_count(prev);
	const weft_resource *r = weft_policyset_items(prev)[rnd((unsigned)n)];
	weft_diags d;
	weft_diags_init(&d);
	weft_policyset *next = NULL;
	unsigned what = rnd(20);
	if (what == 0 && n > 40) {
		weft_key k = weft_resource_key(r);
		next = weft_policyset_derive(prev, NULL, 0, &k, 1, &d);
	} else if (what <= 2) {
		weft_resource *up = copy_renamed(r, step);
		if (up)
			next = weft_policyset_derive(prev, &up, 1, NULL, 0, &d);
		weft_resource_unref(up);
	} else {
		weft_resource *up = mutate(r, step);
		if (up)
			next = weft_policyset_derive(prev, &up, 1, NULL, 0, &d);
		weft_resource_unref(up);
	}
	weft_diags_free(&d);
	return next;
}

static void run_walk(uint64_t seed, int steps, int *n_valid, int *n_invalid)
{
	rng_state = seed;
	weft_gen_opts go = {
	        .services = 12, .endpoints_per_service = 3, .routes = 16, .upstreams = 2};
	char *gen = weft_policy_generate_opts(&go);
	assert_non_null(gen);
	size_t len = strlen(gen);
	char *text = malloc(len + sizeof(extra_yaml));
	memcpy(text, gen, len);
	memcpy(text + len, extra_yaml, sizeof(extra_yaml));
	free(gen);
	struct tp_result base;
	tp_load(&base, "walk.yaml", text);
	free(text);
	if (base.validate_rc)
		tp_dump(&base.diags);
	assert_int_equal(base.validate_rc, 0);
	weft_policyset *prev = weft_policyset_ref(base.set);
	for (int step = 0; step < steps; step++) {
		weft_policyset *next = random_change(prev, step + 1);
		if (!next)
			continue;
		weft_diags full, inc;
		weft_diags_init(&full);
		weft_diags_init(&inc);
		int rc_full = weft_policy_validate(next, &full);
		int rc_inc = weft_policy_validate_change(prev, next, &inc);
		assert_int_equal(rc_full, rc_inc);
		assert_same(&full, &inc, step);
		weft_diags_free(&full);
		weft_diags_free(&inc);
		if (rc_full == 0) {
			(*n_valid)++;
			weft_policyset_unref(prev);
			prev = next;
		} else {
			(*n_invalid)++;
			weft_policyset_unref(next);
		}
	}
	weft_policyset_unref(prev);
	tp_free(&base);
}

static void test_random_changes_match_full(void **state)
{
	(void)state;
	int n_valid = 0, n_invalid = 0;
	for (uint64_t seed = 1; seed <= 6; seed++)
		run_walk(seed * 0x9e3779b97f4a7c15ULL, 1500, &n_valid, &n_invalid);
	fprintf(stderr, "validate_change: %d valid and %d invalid changes compared\n", n_valid,
	        n_invalid);
	/* the walk must exercise both outcomes, not only refused edits */
	assert_true(n_valid > 1000);
	assert_true(n_invalid > 1000);
}

/* The same set, and a NULL base, behave like the full validation. */
static void test_edges(void **state)
{
	(void)state;
	struct tp_result r;
	tp_load(&r, "e.yaml",
	        "apiVersion: weft/v1\nkind: Route\nmetadata: {name: r}\n"
	        "spec:\n  service: missing\n  http:\n  - destinations: [{service: missing}]\n");
	assert_int_equal(r.validate_rc, -1);
	weft_diags d;
	weft_diags_init(&d);
	assert_int_equal(weft_policy_validate_change(NULL, r.set, &d), -1);
	assert_int_equal(d.count, r.diags.count);
	weft_diags_free(&d);
	tp_free(&r);

	tp_load(&r, "ok.yaml",
	        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: s}\n"
	        "spec:\n  ports: [{port: 80}]\n  endpoints: [{address: 10.1.1.1}]\n");
	assert_int_equal(r.validate_rc, 0);
	assert_int_equal(weft_policy_validate_change(r.set, r.set, &d), 0);
	assert_int_equal(d.count, 0);
	tp_free(&r);
}

/* A change that makes an unchanged service conflict: the message lands on
 * both services, as the full validation puts it. */
static void test_conflict_reported_on_unchanged_first_user(void **state)
{
	(void)state;
	struct tp_result r;
	tp_load(&r, "c.yaml",
	        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: a}\n"
	        "spec:\n  ports: [{port: 80}]\n  endpoints: [{address: 10.1.1.1}]\n"
	        "---\napiVersion: weft/v1\nkind: Service\nmetadata: {name: b}\n"
	        "spec:\n  protocol: tcp\n  ports: [{port: 81}]\n  endpoints: [{address: "
	        "10.1.1.1}]\n");
	assert_int_equal(r.validate_rc, 0);
	weft_diags d;
	weft_diags_init(&d);
	weft_resource *b2 =
	        tp_decode_one("c2.yaml",
	                      "apiVersion: weft/v1\nkind: Service\nmetadata: {name: b}\n"
	                      "spec:\n  protocol: tcp\n  ports: [{port: 80}]\n"
	                      "  endpoints: [{address: 10.1.1.1}]\n",
	                      &d);
	assert_non_null(b2);
	weft_policyset *next = weft_policyset_derive(r.set, &b2, 1, NULL, 0, &d);
	assert_non_null(next);
	assert_int_equal(weft_policy_validate_change(r.set, next, &d), -1);
	assert_int_equal(d.count, 2);
	tp_expect(&d, "TCP service 'default/b' uses 10.1.1.1:80 on plane 'default'", "c2.yaml", 7,
	          25, "spec.endpoints[0]");
	tp_expect(&d, "HTTP service 'default/a' uses 10.1.1.1:80 on plane 'default', also used",
	          "c.yaml", 6, 25, "spec.endpoints[0]");
	weft_diags_free(&d);
	weft_policyset_unref(next);
	weft_resource_unref(b2);
	tp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_edges),
	        cmocka_unit_test(test_conflict_reported_on_unchanged_first_user),
	        cmocka_unit_test(test_random_changes_match_full),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
