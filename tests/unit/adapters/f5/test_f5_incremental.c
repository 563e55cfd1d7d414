/* The F5 adapter's incremental plan (issue 6) against the full one, on
 * random changes. Two identical F5 Devices render the same policy: "bigip"
 * with the render memo (services whose hash did not change come from the
 * previous render) and diffs against the session cache with its groups
 * (unchanged groups are not compared); "full" renders everything (no memo)
 * and diffs against the same cache without groups. For
 * 40 random revisions (endpoints added, removed, readdressed, reweighted,
 * subsets and TrafficPolicies toggled, services removed and brought back)
 * the two plans must be the same, op for op and byte for byte, and so must
 * the partitions they leave. Every fifth revision the cache is edited as a
 * hand edit on the device would be and read back without groups (what a
 * resync does): the drift must be repaired by both plans alike. Seeded,
 * so a failure can be replayed (the seed is printed). Label unit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f5_adapter.h"
#include "f5_adapter_int.h"
#include "f5_render.h"
#include "f5_testutil.h"
#include "snapshot.h"

#define N_SVC  24
#define MAX_EP 6

struct ep {
	int id, weight, version; /* address 10.<svc>.<id/250>.<id%250+1> */
};

struct svc {
	int alive, ports, subsets, n_ep;
	struct ep ep[MAX_EP];
	int tp, tp_least, tp_hc, tp_max; /* TrafficPolicy and its parts */
};

struct model {
	struct svc s[N_SVC];
	int next_id;
};

static unsigned rnd(unsigned *seed, unsigned n)
{
	*seed = *seed * 1103515245u + 12345u;
	return (*seed >> 16) % n;
}

static void add_ep(struct model *m, struct svc *s, unsigned *seed)
{
	if (s->n_ep >= MAX_EP)
		return;
	s->ep[s->n_ep++] = (struct ep){m->next_id++, 1 + (int)rnd(seed, 3), (int)rnd(seed, 2)};
}

static void init_model(struct model *m, unsigned *seed)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < N_SVC; i++) {
		struct svc *s = &m->s[i];
		s->alive = 1;
		s->ports = 1 + (int)rnd(seed, 2);
		s->subsets = (int)rnd(seed, 3);
		int n = 1 + (int)rnd(seed, 4);
		for (int k = 0; k < n; k++)
			add_ep(m, s, seed);
		s->tp = rnd(seed, 2);
		s->tp_least = rnd(seed, 2);
		s->tp_hc = (int)rnd(seed, 3);
		s->tp_max = (int)rnd(seed, 2) * 100;
	}
}

static void mutate_one(struct model *m, struct svc *s, unsigned *seed)
{
	switch (rnd(seed, 9)) {
	case 0:
		add_ep(m, s, seed);
		break;
	case 1:
		if (s->n_ep > 1) {
			unsigned k = rnd(seed, (unsigned)s->n_ep);
			s->n_ep--;
			s->ep[k] = s->ep[s->n_ep];
		}
		break;
	case 2:
		s->ep[rnd(seed, (unsigned)s->n_ep)].id = m->next_id++;
		break;
	case 3:
		s->ep[rnd(seed, (unsigned)s->n_ep)].weight = 1 + (int)rnd(seed, 5);
		break;
	case 4:
		s->subsets = (s->subsets + 1) % 3;
		break;
	case 5:
		s->tp = !s->tp;
		break;
	case 6:
		s->tp_least = !s->tp_least;
		s->tp_hc = (s->tp_hc + 1) % 3;
		break;
	case 7:
		s->tp_max = s->tp_max ? 0 : 50;
		break;
	default:
		s->alive = !s->alive;
		break;
	}
}

static size_t svc_yaml(char *buf, size_t len, int i, const struct svc *s)
{
	size_t off = (size_t)snprintf(buf, len,
	                              "---\napiVersion: weft/v1\nkind: Service\n"
	                              "metadata: {name: s%02d}\nspec:\n  ports:\n"
	                              "  - {name: http, port: 80, targetPort: 8080}\n%s"
	                              "  endpoints:\n",
	                              i, s->ports > 1 ? "  - {name: alt, port: 8443}\n" : "");
	for (int k = 0; k < s->n_ep; k++)
		off += (size_t)snprintf(buf + off, len - off,
		                        "  - {address: 10.%d.%d.%d, weight: %d, labels: {version: "
		                        "v%d}}\n",
		                        i, s->ep[k].id / 250, s->ep[k].id % 250 + 1,
		                        s->ep[k].weight, s->ep[k].version + 1);
	if (s->subsets)
		off += (size_t)snprintf(buf + off, len - off, "  subsets:\n%s%s",
		                        "  - {name: v1, labels: {version: v1}}\n",
		                        s->subsets > 1 ? "  - {name: v2, labels: {version: v2}}\n"
		                                       : "");
	if (!s->tp)
		return off;
	off += (size_t)snprintf(buf + off, len - off,
	                        "---\napiVersion: weft/v1\nkind: TrafficPolicy\n"
	                        "metadata: {name: s%02d}\nspec:\n  service: s%02d\n"
	                        "  loadBalancer: {algorithm: %s}\n",
	                        i, i, s->tp_least ? "least-request" : "round-robin");
	if (s->tp_hc)
		off += (size_t)snprintf(buf + off, len - off, "  healthCheck: {type: %s}\n",
		                        s->tp_hc == 1 ? "tcp" : "http, path: /ready");
	if (s->tp_max)
		off += (size_t)snprintf(buf + off, len - off,
		                        "  connectionPool: {maxConnections: %d}\n", s->tp_max);
	return off;
}

static const char *DEVICES =
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: bigip}\n"
        "spec:\n  type: f5\n  connection: {address: 127.0.0.1, port: 8443, username: admin,\n"
        "    credentials: {env: F5_PASSWORD}, tls: {insecure: true}}\n"
        "  options: {partition: weft}\n"
        "---\napiVersion: weft/v1\nkind: Device\nmetadata: {name: full}\n"
        "spec:\n  type: f5\n  connection: {address: 127.0.0.2, port: 8443, username: admin,\n"
        "    credentials: {env: F5_PASSWORD}, tls: {insecure: true}}\n"
        "  options: {partition: weft}\n";

static weft_snapshot *compile_model(const struct model *m, int64_t rev)
{
	size_t cap = 200000, off = (size_t)snprintf(NULL, 0, "%s", DEVICES);
	char *y = malloc(cap);
	snprintf(y, cap, "%s", DEVICES);
	for (int i = 0; i < N_SVC; i++)
		if (m->s[i].alive)
			off += svc_yaml(y + off, cap - off, i, &m->s[i]);
	weft_snapshot *snap = f5t_compile(y, rev);
	free(y);
	return snap;
}

/* Renders device name of snap with memos (NULL: without a memo). */
static struct f5_config *render_for(struct f5_memos *memos, const weft_snapshot *snap,
                                    const char *name)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(snap, &n);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(devs[i]->name, name))
			continue;
		struct f5_config *c = NULL;
		weft_err err = {0};
		if (f5_render_config(memos, snap, devs[i], &c, &err))
			fail_msg("render %s: %s", name, err.msg);
		return c;
	}
	fail_msg("no device %s", name);
	return NULL;
}

static struct f5_config *strip_groups(struct f5_config *c)
{
	struct f5_config none = {0};
	assert_int_equal(f5_config_copy_groups(c, &none), 0);
	for (size_t i = 0; i < c->n; i++)
		c->objs[i].group = -1;
	return c;
}

/* Plans des over act (a copy is diffed); *cache becomes the expected
 * partition when the plan has ops (as a commit makes it). */
static void plan_over(const struct f5_config *des, struct f5_config **cache, int64_t rev,
                      weft_plan *plan)
{
	weft_err err = {0};
	struct f5_config *act = f5_config_copy(*cache);
	weft_plan_init(plan, "default/bigip", "f5", rev);
	if (f5_diff_configs("default/bigip", des, act, plan, &err))
		fail_msg("diff: %s", err.msg);
	f5_config_free(act);
	struct f5_plan_priv *p = plan->priv;
	if (plan->n_ops && p->expected) {
		f5_config_free(*cache);
		*cache = p->expected;
		p->expected = NULL;
	}
}

static void assert_same_plans(const weft_plan *a, const weft_plan *b, int64_t rev)
{
	if (a->n_ops != b->n_ops)
		fail_msg("revision %lld: incremental plan has %zu ops, full plan %zu",
		         (long long)rev, a->n_ops, b->n_ops);
	for (size_t i = 0; i < a->n_ops; i++) {
		assert_string_equal(a->ops[i].action, b->ops[i].action);
		assert_string_equal(a->ops[i].target, b->ops[i].target);
		if (strcmp(a->ops[i].detail, b->ops[i].detail))
			fail_msg("revision %lld op %zu:\n  incremental %s\n  full        %s",
			         (long long)rev, i, a->ops[i].detail, b->ops[i].detail);
	}
}

static void assert_same_partitions(const struct f5_config *a, const struct f5_config *b)
{
	assert_int_equal(a->n, b->n);
	for (size_t i = 0; i < a->n; i++) {
		assert_int_equal(f5_obj_cmp(&a->objs[i], &b->objs[i]), 0);
		assert_true(json_equal(a->objs[i].body, b->objs[i].body));
	}
}

/* A hand edit on the device: one owned member's ratio changed. */
static void hand_edit(struct f5_config *c, unsigned *seed)
{
	size_t members = 0;
	for (size_t i = 0; i < c->n; i++)
		members += c->objs[i].type == F5T_MEMBER;
	if (!members)
		return;
	size_t pick = rnd(seed, (unsigned)members);
	for (size_t i = 0; i < c->n; i++) {
		if (c->objs[i].type != F5T_MEMBER || pick--)
			continue;
		json_t *b = json_copy(c->objs[i].body);
		json_object_set_new(b, "ratio", json_integer(77));
		json_decref(c->objs[i].body);
		c->objs[i].body = b;
		return;
	}
}

static void test_random_changes_plan_like_full_render(void **state)
{
	(void)state;
	unsigned seed = 20240611u, s0 = seed;
	fprintf(stderr, "seed %u\n", s0);
	struct model m;
	init_model(&m, &seed);
	struct f5_memos *memos = f5_memos_new(16);
	struct f5_config *inc = f5_config_new("weft"), *full = f5_config_new("weft");
	inc->partition_exists = full->partition_exists = 1;
	for (int64_t rev = 1; rev <= 40; rev++) {
		if (rev > 1)
			for (unsigned k = 1 + rnd(&seed, 3); k > 0; k--)
				mutate_one(&m, &m.s[rnd(&seed, N_SVC)], &seed);
		if (rev % 5 == 0) { /* drift, seen by a full read (no groups) */
			unsigned s1 = seed;
			hand_edit(strip_groups(inc), &seed);
			hand_edit(full, &s1);
		}
		weft_snapshot *snap = compile_model(&m, rev);
		struct f5_config *des_inc = render_for(memos, snap, "bigip");
		struct f5_config *des_full = render_for(NULL, snap, "full");
		weft_plan a, b;
		plan_over(des_inc, &inc, rev, &a);
		plan_over(des_full, &full, rev, &b);
		strip_groups(full);
		assert_same_plans(&a, &b, rev);
		assert_same_partitions(inc, full);
		weft_plan_free(&a);
		weft_plan_free(&b);
		f5_config_free(des_inc);
		f5_config_free(des_full);
		weft_snapshot_unref(snap);
	}
	f5_config_free(inc);
	f5_config_free(full);
	f5_memos_free(memos);
}

/* The memo is used: an untouched service's pool body is the same object
 * in two renders, a changed one's is new, and a reused body's mark is
 * rewritten in what is sent. */
static void test_unchanged_service_is_not_rendered_again(void **state)
{
	(void)state;
	unsigned seed = 7;
	struct model m;
	init_model(&m, &seed);
	struct f5_memos *memos = f5_memos_new(16);
	weft_snapshot *s1 = compile_model(&m, 1);
	struct f5_config *d1 = render_for(memos, s1, "bigip");
	m.s[0].ep[0].weight = 9;
	weft_snapshot *s2 = compile_model(&m, 2);
	struct f5_config *d2 = render_for(memos, s2, "bigip");
	const struct f5_obj *p0a = f5_config_find(d1, F5T_POOL, "/weft/default_s00_80", NULL);
	const struct f5_obj *p0b = f5_config_find(d2, F5T_POOL, "/weft/default_s00_80", NULL);
	const struct f5_obj *p1a = f5_config_find(d1, F5T_POOL, "/weft/default_s01_80", NULL);
	const struct f5_obj *p1b = f5_config_find(d2, F5T_POOL, "/weft/default_s01_80", NULL);
	assert_non_null(p0a);
	assert_non_null(p1b);
	assert_ptr_not_equal(p0a->body, p0b->body);
	assert_ptr_equal(p1a->body, p1b->body);
	assert_true(p1b->stale_mark);
	assert_false(p0b->stale_mark);
	assert_true(d2->n_groups > 0 && p1b->group >= 0);
	assert_string_equal(d2->groups[p1b->group].name, "default/s01");
	f5_config_free(d1);
	f5_config_free(d2);
	f5_memos_free(memos);
	weft_snapshot_unref(s1);
	weft_snapshot_unref(s2);
}

/* The memo belongs to an adapter instance: a second instance renders the
 * same device from scratch (nothing shared), the memos are bounded (the
 * least recently used device's is reused beyond the cap) and fini frees
 * them all (ASan builds check that nothing leaks). */
static void test_memo_per_instance_bounded(void **state)
{
	(void)state;
	unsigned seed = 11;
	struct model m;
	init_model(&m, &seed);
	weft_snapshot *s = compile_model(&m, 1);
	weft_adapter_instance i1, i2, small;
	weft_err err = {0};
	json_t *cap1 = json_pack("{s:i}", "memoDevices", 1);
	assert_int_equal(weft_adapter_instance_init(&i1, f5_adapter(), NULL, NULL, &err), 0);
	assert_int_equal(weft_adapter_instance_init(&i2, f5_adapter(), NULL, NULL, &err), 0);
	assert_int_equal(weft_adapter_instance_init(&small, f5_adapter(), NULL, cap1, &err), 0);
	json_decref(cap1);
	struct f5_memos *m1 = f5_adapter_memos(i1.ctx), *m2 = f5_adapter_memos(i2.ctx);
	assert_ptr_not_equal(m1, m2);

	struct f5_config *a = render_for(m1, s, "bigip"), *b = render_for(m1, s, "bigip");
	struct f5_config *c = render_for(m2, s, "bigip");
	const struct f5_obj *pa = f5_config_find(a, F5T_POOL, "/weft/default_s01_80", NULL);
	const struct f5_obj *pb = f5_config_find(b, F5T_POOL, "/weft/default_s01_80", NULL);
	const struct f5_obj *pc = f5_config_find(c, F5T_POOL, "/weft/default_s01_80", NULL);
	assert_non_null(pa);
	assert_ptr_equal(pa->body, pb->body);     /* same instance: reused */
	assert_ptr_not_equal(pa->body, pc->body); /* other instance: its own */
	assert_int_equal(f5_memos_count(m1), 1);
	assert_int_equal(f5_memos_count(m2), 1);

	/* Cap 1: the second device takes over the only memo. */
	struct f5_memos *ms = f5_adapter_memos(small.ctx);
	struct f5_config *d1 = render_for(ms, s, "bigip"), *d2 = render_for(ms, s, "full");
	struct f5_config *d3 = render_for(ms, s, "bigip");
	assert_int_equal(f5_memos_count(ms), 1);
	const struct f5_obj *p1 = f5_config_find(d1, F5T_POOL, "/weft/default_s01_80", NULL);
	const struct f5_obj *p3 = f5_config_find(d3, F5T_POOL, "/weft/default_s01_80", NULL);
	assert_ptr_not_equal(p1->body, p3->body); /* evicted by "full", rebuilt */

	/* An unknown option is refused. */
	weft_adapter_instance bad;
	json_t *typo = json_pack("{s:i}", "memoDevice", 1);
	assert_int_equal(weft_adapter_instance_init(&bad, f5_adapter(), NULL, typo, &err), -1);
	assert_non_null(strstr(err.msg, "'memoDevice'"));
	json_decref(typo);

	struct f5_config *all[] = {a, b, c, d1, d2, d3};
	for (size_t i = 0; i < 6; i++)
		f5_config_free(all[i]);
	weft_adapter_instance_fini(&i1);
	weft_adapter_instance_fini(&i2);
	weft_adapter_instance_fini(&small);
	weft_snapshot_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_random_changes_plan_like_full_render),
	        cmocka_unit_test(test_unchanged_service_is_not_rendered_again),
	        cmocka_unit_test(test_memo_per_instance_bounded),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
