/* Unit tests of the ADS protocol state machine (adapters/xds/xds_stream.c):
 * requests are encoded with protobuf-c, responses decoded and checked,
 * without gRPC. Each test names the rule it checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/service/discovery/v3/discovery.pb-c.h"
#include "xds_stream.h"

typedef Envoy__Service__Discovery__V3__DiscoveryResponse Resp;
typedef Envoy__Service__Discovery__V3__DeltaDiscoveryResponse DeltaResp;

static xds_intern *intern;

/* A resource of type t named name whose content depends on gen. */
static xds_res *res(xds_type t, const char *name, int gen)
{
	Envoy__Config__Cluster__V3__Cluster c = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__INIT;
	Google__Protobuf__Duration d = GOOGLE__PROTOBUF__DURATION__INIT;
	c.name = (char *)name;
	d.seconds = gen;
	c.connect_timeout = &d;
	return xds_res_new(t, name, &c.base);
}

/* Sets src to names "a,b,c" at gens; pred: previous source (identity). */
static void set_source(xds_source *src, const char *version, const char *cds, const char *eds,
                       int gen_changed_eds, const char *lds)
{
	const char *lists[XDS_NTYPES] = {[XDS_CDS] = cds, [XDS_EDS] = eds, [XDS_LDS] = lds};
	for (int t = 0; t < XDS_NTYPES; t++) {
		xds_resset *s = xds_resset_new();
		char buf[256];
		snprintf(buf, sizeof(buf), "%s", lists[t] ? lists[t] : "");
		for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
			xds_resset_add(
			        s, res(t, tok,
			               t == XDS_EDS && !strcmp(tok, "a") ? gen_changed_eds : 1));
		xds_resset_seal(s, src->sets[t]);
		xds_resset_unref(src->sets[t]);
		src->sets[t] = s;
	}
	snprintf(src->version, sizeof(src->version), "%s", version);
}

static void free_source(xds_source *src)
{
	for (int t = 0; t < XDS_NTYPES; t++)
		xds_resset_unref(src->sets[t]);
}

static void sotw(xds_stream *s, xds_type t, const char *names, const char *version,
                 const char *nonce, const char *error)
{
	Envoy__Service__Discovery__V3__DiscoveryRequest r =
	        ENVOY__SERVICE__DISCOVERY__V3__DISCOVERY_REQUEST__INIT;
	Envoy__Config__Core__V3__Node node = ENVOY__CONFIG__CORE__V3__NODE__INIT;
	Google__Rpc__Status st = GOOGLE__RPC__STATUS__INIT;
	char *list[16], buf[256];
	size_t n = 0;
	snprintf(buf, sizeof(buf), "%s", names ? names : "");
	for (char *tok = strtok(buf, ","); tok && n < 16; tok = strtok(NULL, ","))
		list[n++] = tok;
	node.id = "node-1";
	r.node = &node;
	r.type_url = (char *)xds_type_url(t);
	r.resource_names = list;
	r.n_resource_names = n;
	r.version_info = (char *)(version ? version : "");
	r.response_nonce = (char *)(nonce ? nonce : "");
	if (error) {
		st.code = 3;
		st.message = (char *)error;
		r.error_detail = &st;
	}
	uint8_t out[4096];
	size_t len = protobuf_c_message_pack(&r.base, out);
	int got;
	assert_int_equal(xds_stream_on_request(s, out, len, 1, &got), (int)t);
}

/* The next SotW response (NULL when nothing is to be sent). */
static Resp *next(xds_stream *s, const xds_source *src, int *type)
{
	uint8_t *buf;
	size_t len;
	int rc = xds_stream_next(s, src, &buf, &len, type);
	assert_true(rc >= 0);
	if (!rc)
		return NULL;
	Resp *r = envoy__service__discovery__v3__discovery_response__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(r);
	return r;
}

static const char *res_name(const Google__Protobuf__Any *a)
{
	static char name[64];
	Envoy__Config__Cluster__V3__Cluster *c =
	        envoy__config__cluster__v3__cluster__unpack(NULL, a->value.len, a->value.data);
	snprintf(name, sizeof(name), "%s", c->name);
	protobuf_c_message_free_unpacked(&c->base, NULL);
	return name;
}

static void names_of(Resp *r, char *out, size_t len)
{
	out[0] = 0;
	for (size_t i = 0; i < r->n_resources; i++) {
		if (i)
			strncat(out, ",", len - strlen(out) - 1);
		strncat(out, res_name(r->resources[i]), len - strlen(out) - 1);
	}
}

static void expect(xds_stream *s, const xds_source *src, xds_type t, const char *names,
                   char *nonce_out)
{
	int type;
	char got[256];
	Resp *r = next(s, src, &type);
	assert_non_null(r);
	assert_int_equal(type, (int)t);
	assert_string_equal(r->type_url, xds_type_url(t));
	assert_string_equal(r->version_info, src->version);
	names_of(r, got, sizeof(got));
	assert_string_equal(got, names);
	if (nonce_out)
		strcpy(nonce_out, r->nonce);
	protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void expect_nothing(xds_stream *s, const xds_source *src)
{
	int type;
	Resp *r = next(s, src, &type);
	if (r)
		fprintf(stderr, "unexpected response of type %d\n", type);
	assert_null(r);
}

/* Wildcard CDS: full set; ACK (nonce echoed) recorded; a stale nonce is
 * ignored; a NACK records the error and resends nothing; nothing is sent
 * when nothing changed; deletion by absence. */
static void test_sotw_ack_nack_stale_wildcard(void **state)
{
	(void)state;
	xds_source src = {0};
	set_source(&src, "1", "a,b,c", "a,b,c", 1, NULL);
	xds_stream s;
	xds_stream_init(&s, 0, intern);
	char nonce[16];
	sotw(&s, XDS_CDS, NULL, NULL, NULL, NULL);
	expect(&s, &src, XDS_CDS, "a,b,c", nonce);
	expect_nothing(&s, &src);
	sotw(&s, XDS_CDS, NULL, "1", nonce, NULL); /* ACK */
	assert_int_equal(s.ts[XDS_CDS].acks, 1);
	assert_string_equal(s.ts[XDS_CDS].version_acked, "1");
	expect_nothing(&s, &src);
	sotw(&s, XDS_CDS, NULL, "1", "999", "stale"); /* stale nonce */
	assert_int_equal(s.stale_requests, 1);
	assert_int_equal(s.ts[XDS_CDS].nacks, 0);
	/* Nothing changed for CDS (an EDS-only change): nothing sent. */
	set_source(&src, "2", "a,b,c", "a,b,c", 2, NULL);
	xds_stream_source_changed(&s, &src);
	expect_nothing(&s, &src);
	/* Cluster b removed: full set without it. */
	set_source(&src, "3", "a,c", "a,c", 2, NULL);
	xds_stream_source_changed(&s, &src);
	expect(&s, &src, XDS_CDS, "a,c", nonce);
	sotw(&s, XDS_CDS, NULL, "1", nonce, "bad cluster"); /* NACK */
	assert_int_equal(s.ts[XDS_CDS].nacks, 1);
	assert_string_equal(s.ts[XDS_CDS].last_error, "bad cluster");
	assert_string_equal(s.ts[XDS_CDS].version_acked, "1");
	expect_nothing(&s, &src);
	xds_stream_free(&s);
	free_source(&src);
}

/* EDS by name: only subscribed resources; an endpoint change pushes only
 * the changed ClusterLoadAssignment, and only to streams subscribed to it. */
static void test_sotw_eds_by_name(void **state)
{
	(void)state;
	xds_source src = {0};
	set_source(&src, "1", "a,b,c", "a,b,c", 1, NULL);
	xds_stream s, other;
	xds_stream_init(&s, 0, intern);
	xds_stream_init(&other, 0, intern);
	char nonce[16], nonce2[16];
	sotw(&s, XDS_EDS, "a,b", NULL, NULL, NULL);
	expect(&s, &src, XDS_EDS, "a,b", nonce);
	sotw(&s, XDS_EDS, "a,b", "1", nonce, NULL);
	sotw(&other, XDS_EDS, "b,c", NULL, NULL, NULL);
	expect(&other, &src, XDS_EDS, "b,c", nonce2);
	sotw(&other, XDS_EDS, "b,c", "1", nonce2, NULL);
	/* the subscriptions are interned: "b,c" twice shares one set */
	set_source(&src, "2", "a,b,c", "a,b,c", 2, NULL); /* CLA a changed */
	xds_stream_source_changed(&s, &src);
	xds_stream_source_changed(&other, &src);
	expect(&s, &src, XDS_EDS, "a", nonce);
	expect_nothing(&other, &src);
	/* Subscribing to c: c is sent (new for the stream). */
	sotw(&s, XDS_EDS, "a,b,c", "2", nonce, NULL);
	expect(&s, &src, XDS_EDS, "c", nonce);
	xds_stream_free(&s);
	xds_stream_free(&other);
	free_source(&src);
}

/* Make-before-break: CDS, then EDS, then LDS; a removed cluster stays in
 * CDS until LDS went out, then a last CDS removes it. One pending slot:
 * two changes before the send slot frees yield one response (newest). */
static void test_make_before_break(void **state)
{
	(void)state;
	xds_source src = {0};
	set_source(&src, "1", "a,b", "a,b", 1, "l1");
	xds_stream s;
	xds_stream_init(&s, 0, intern);
	char n1[16], n2[16], n3[16];
	sotw(&s, XDS_LDS, NULL, NULL, NULL, NULL);
	sotw(&s, XDS_EDS, "a,b", NULL, NULL, NULL);
	sotw(&s, XDS_CDS, NULL, NULL, NULL, NULL);
	expect(&s, &src, XDS_CDS, "a,b", n1);
	expect(&s, &src, XDS_EDS, "a,b", n2);
	expect(&s, &src, XDS_LDS, "l1", n3);
	expect_nothing(&s, &src);
	/* Two changes queue up; only the newest goes out. */
	set_source(&src, "2", "a,b,x", "a,b", 1, "l1");
	xds_stream_source_changed(&s, &src);
	set_source(&src, "3", "a,b,y", "a,b", 1, "l1");
	xds_stream_source_changed(&s, &src);
	expect(&s, &src, XDS_CDS, "a,b,y", n1);
	expect_nothing(&s, &src);
	/* b removed while the listener changes: b kept until LDS went. */
	set_source(&src, "4", "a,y", "a", 1, "l2");
	xds_stream_source_changed(&s, &src);
	expect(&s, &src, XDS_CDS, "a,y,b", n1);
	expect(&s, &src, XDS_LDS, "l2", n3);
	expect(&s, &src, XDS_CDS, "a,y", n1);
	expect_nothing(&s, &src);
	xds_stream_free(&s);
	free_source(&src);
}

static DeltaResp *delta_next(xds_stream *s, const xds_source *src)
{
	uint8_t *buf;
	size_t len;
	int type;
	int rc = xds_stream_next(s, src, &buf, &len, &type);
	assert_true(rc >= 0);
	if (!rc)
		return NULL;
	DeltaResp *r =
	        envoy__service__discovery__v3__delta_discovery_response__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(r);
	return r;
}

static void delta(xds_stream *s, xds_type t, const char *sub, const char *unsub, const char *nonce,
                  const char *init_name, const char *init_version)
{
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest r =
	        ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INIT;
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest__InitialResourceVersionsEntry e =
	        ENVOY__SERVICE__DISCOVERY__V3__DELTA_DISCOVERY_REQUEST__INITIAL_RESOURCE_VERSIONS_ENTRY__INIT;
	Envoy__Service__Discovery__V3__DeltaDiscoveryRequest__InitialResourceVersionsEntry *ep = &e;
	char *a = (char *)sub, *b = (char *)unsub;
	r.type_url = (char *)xds_type_url(t);
	r.resource_names_subscribe = &a;
	r.n_resource_names_subscribe = sub ? 1 : 0;
	r.resource_names_unsubscribe = &b;
	r.n_resource_names_unsubscribe = unsub ? 1 : 0;
	r.response_nonce = (char *)(nonce ? nonce : "");
	if (init_name) {
		e.key = (char *)init_name;
		e.value = (char *)init_version;
		r.initial_resource_versions = &ep;
		r.n_initial_resource_versions = 1;
	}
	uint8_t out[4096];
	size_t len = protobuf_c_message_pack(&r.base, out);
	int got;
	assert_int_equal(xds_stream_on_request(s, out, len, 1, &got), (int)t);
}

/* Delta: subscribe, changes only, removed_resources, unsubscribe, and a
 * reconnect with initial_resource_versions that resends only what differs. */
static void test_delta(void **state)
{
	(void)state;
	xds_source src = {0};
	set_source(&src, "1", "a,b,c", "a,b,c", 1, NULL);
	xds_stream s;
	xds_stream_init(&s, 1, intern);
	delta(&s, XDS_EDS, "a", NULL, NULL, NULL, NULL);
	DeltaResp *r = delta_next(&s, &src);
	assert_int_equal(r->n_resources, 1);
	assert_string_equal(r->resources[0]->name, "a");
	assert_string_equal(r->system_version_info, "1");
	char nonce[16], va[32];
	strcpy(nonce, r->nonce);
	strcpy(va, r->resources[0]->version);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	delta(&s, XDS_EDS, "b", NULL, nonce, NULL, NULL); /* ACK + subscribe b */
	assert_int_equal(s.ts[XDS_EDS].acks, 1);
	r = delta_next(&s, &src);
	assert_int_equal(r->n_resources, 1); /* only b: a is held */
	assert_string_equal(r->resources[0]->name, "b");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_null(delta_next(&s, &src));
	/* b removed from the policy: removed_resources. */
	set_source(&src, "2", "a,c", "a,c", 1, NULL);
	xds_stream_source_changed(&s, &src);
	r = delta_next(&s, &src);
	assert_int_equal(r->n_resources, 0);
	assert_int_equal(r->n_removed_resources, 1);
	assert_string_equal(r->removed_resources[0], "b");
	protobuf_c_message_free_unpacked(&r->base, NULL);
	/* Unsubscribe a, then a changes: nothing sent. */
	delta(&s, XDS_EDS, NULL, "a", NULL, NULL, NULL);
	assert_null(delta_next(&s, &src));
	set_source(&src, "3", "a,c", "a,c", 5, NULL);
	xds_stream_source_changed(&s, &src);
	assert_null(delta_next(&s, &src));
	xds_stream_free(&s);

	/* Reconnect holding a at the version of gen 1 and c at the current:
	 * a (changed since, gen 5) is sent, c is not. */
	xds_stream s2;
	xds_stream_init(&s2, 1, intern);
	const xds_res *c = xds_resset_find(src.sets[XDS_EDS], "c");
	delta(&s2, XDS_EDS, "a", NULL, NULL, "a", va);
	delta(&s2, XDS_EDS, "c", NULL, NULL, NULL, NULL);
	s2.ts[XDS_EDS].init_names = realloc(s2.ts[XDS_EDS].init_names, 2 * sizeof(char *));
	s2.ts[XDS_EDS].init_versions = realloc(s2.ts[XDS_EDS].init_versions, 2 * sizeof(char *));
	s2.ts[XDS_EDS].init_names[1] = strdup("c");
	s2.ts[XDS_EDS].init_versions[1] = strdup(c->version);
	s2.ts[XDS_EDS].n_init = 2;
	r = delta_next(&s2, &src);
	assert_int_equal(r->n_resources, 1);
	assert_string_equal(r->resources[0]->name, "a");
	assert_string_not_equal(r->resources[0]->version, va);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	assert_null(delta_next(&s2, &src));
	xds_stream_free(&s2);

	/* Wildcard CDS by an empty first subscribe. */
	xds_stream s3;
	xds_stream_init(&s3, 1, intern);
	delta(&s3, XDS_CDS, NULL, NULL, NULL, NULL, NULL);
	r = delta_next(&s3, &src);
	assert_int_equal(r->n_resources, 2);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	xds_stream_free(&s3);
	free_source(&src);
}

/* Garbage and unknown types are counted and ignored. */
static void test_bad_requests(void **state)
{
	(void)state;
	xds_stream s;
	xds_stream_init(&s, 0, intern);
	uint8_t junk[] = {0xff, 0xff, 0xff, 0x01};
	int got;
	assert_int_equal(xds_stream_on_request(&s, junk, sizeof(junk), 1, &got), -1);
	assert_int_equal(s.bad_requests, 1);
	xds_stream_free(&s);
}

int main(void)
{
	intern = xds_intern_new();
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_sotw_ack_nack_stale_wildcard),
	        cmocka_unit_test(test_sotw_eds_by_name),
	        cmocka_unit_test(test_make_before_break),
	        cmocka_unit_test(test_delta),
	        cmocka_unit_test(test_bad_requests),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xds_intern_free(intern);
	return rc;
}
