/* Netconf adapter against a real NETCONF server: yuma123's netconfd
 * loaded with models/yang/weft-lb.yang, reached over SSH through a private
 * sshd (own config, host key, authorized_keys, loopback, free port) whose
 * netconf subsystem is netconf-subsystem, as docs/adapter-netconf.md describes.
 * The adapter logs in with a private key (credentials.file), pins the
 * sshd host key, and pushes a policy: get-config afterwards matches the
 * rendered config (the next plan is empty), then an endpoint change is
 * pushed as a minimal edit and read back. A wrong pinned key is refused
 * naming both fingerprints. Exit 77 (skip) when netconfd or sshd is
 * missing. Label integration; every process stopped by its pid. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ncdev_adapter.h"
#include "ncit.h"
#include "testsupport.h"

struct fx {
	struct ncit_yuma y;
};

static const char *POLICY =
        "apiVersion: weft/v1\nkind: Service\nmetadata: {name: web}\n"
        "spec: {protocol: tcp, ports: [{name: p, port: 80}],\n"
        "  endpoints: [{address: 10.0.0.1}, {address: %s, weight: 3}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Route\nmetadata: {name: edge}\n"
        "spec: {hosts: [a.example.com], tcp: [{destinations: [{service: web}]}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Gateway\nmetadata: {name: gw}\n"
        "spec: {address: 192.0.2.10, listeners: [{name: l4, port: 80, protocol: tcp,"
        " hosts: [a.example.com], routes: [edge]}]}\n"
        "---\n"
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: yuma}\n"
        "spec:\n  type: netconf\n"
        "  connection: {address: 127.0.0.1, port: %d, username: %s,"
        " credentials: {file: %s/user_key}, hostKey: \"%s\", timeout: 10s}\n"
        "  options: {commit: confirmed, confirmTimeout: 30s}\n";

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	*state = f;
	return ncit_yuma_start(&f->y, "candidate");
}

static int teardown(void **state)
{
	struct fx *f = *state;
	ncit_yuma_stop(&f->y);
	free(f);
	return 0;
}

static weft_snapshot *compile(struct fx *f, const char *addr, const char *fp, int64_t rev)
{
	char yaml[4096], msg[1024] = "";
	snprintf(yaml, sizeof(yaml), POLICY, addr, f->y.port, f->y.user, f->y.dir, fp);
	weft_snapshot *s = ncit_compile(yaml, rev, msg, sizeof(msg));
	if (!s)
		fail_msg("policy: %s", msg);
	return s;
}

/* get-config through the adapter, as XML (malloc'd). */
static char *observed(void *session, const weft_resource *dev)
{
	void *actual = NULL;
	weft_err err = {0};
	if (ncit_adapter()->ops->observe(ncit_adapter()->ctx, session, dev, &actual, &err))
		fail_msg("observe: %s", err.msg);
	char *xml = ncdev_config_xml(actual);
	ncit_adapter()->ops->free_config(ncit_adapter()->ctx, actual);
	return xml;
}

static void test_push_and_read_back(void **state)
{
	struct fx *f = *state;
	weft_snapshot *s = compile(f, "10.0.0.2", f->y.fp, 1);
	const weft_resource *dev = ncit_device(s, "yuma");
	void *session = NULL;
	weft_err err = {0};
	size_t ops = 0;
	if (ncit_push(&session, s, dev, NULL, &ops, NULL, &err))
		fail_msg("push: %s", err.msg);
	assert_true(ops > 1);
	char *xml = observed(session, dev);
	if (!strstr(xml, "<address>10.0.0.2</address>")) {
		char p[700];
		snprintf(p, sizeof(p), "%s/netconfd.log", f->y.dir);
		char *l = ts_read_file(p, NULL);
		fprintf(stderr, "observed:\n%s\nnetconfd log:\n%s\n", xml, l ? l : "");
		free(l);
	}
	assert_non_null(strstr(xml, "<address>10.0.0.2</address>"));
	assert_non_null(strstr(xml, "<weight>3</weight>"));
	assert_non_null(strstr(xml, "<name>default_gw_l4</name>"));
	free(xml);
	/* get-config matches what was rendered: nothing left to send. */
	assert_int_equal(ncit_push(&session, s, dev, NULL, &ops, NULL, &err), 0);
	assert_int_equal(ops, 0);
	weft_snapshot_unref(s);

	/* An endpoint change: a minimal edit, read back. */
	s = compile(f, "10.0.0.3", f->y.fp, 2);
	dev = ncit_device(s, "yuma");
	char *edit = NULL;
	if (ncit_push(&session, s, dev, NULL, &ops, &edit, &err))
		fail_msg("push 2: %s", err.msg);
	assert_non_null(edit);
	assert_null(strstr(edit, "10.0.0.1"));
	assert_non_null(strstr(edit, "nc:operation=\"delete\""));
	free(edit);
	xml = observed(session, dev);
	assert_null(strstr(xml, "10.0.0.2"));
	assert_non_null(strstr(xml, "<address>10.0.0.3</address>"));
	free(xml);
	assert_int_equal(ncit_push(&session, s, dev, NULL, &ops, NULL, &err), 0);
	assert_int_equal(ops, 0);
	ncit_adapter()->ops->close(ncit_adapter()->ctx, session);
	weft_snapshot_unref(s);
}

static void test_wrong_host_key(void **state)
{
	struct fx *f = *state;
	const char *wrong = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	weft_snapshot *s = compile(f, "10.0.0.2", wrong, 3);
	void *session = NULL;
	weft_err err = {0};
	assert_int_equal(ncit_adapter()->ops->open(ncit_adapter()->ctx, ncit_device(s, "yuma"),
	                                           &session, &err),
	                 -1);
	assert_null(session);
	assert_non_null(strstr(err.msg, "device default/yuma"));
	assert_non_null(strstr(err.msg, "host key mismatch"));
	assert_non_null(strstr(err.msg, f->y.fp));
	assert_non_null(strstr(err.msg, wrong));
	weft_snapshot_unref(s);
}

int main(void)
{
	if (!ncit_yuma_available()) {
		printf("SKIP: netconfd, netconf-subsystem or sshd is not installed\n");
		return 77;
	}
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_push_and_read_back),
	        cmocka_unit_test(test_wrong_host_key),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
