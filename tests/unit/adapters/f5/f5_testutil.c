/* Helpers for the F5 adapter's unit tests (see f5_testutil.h). */
#include "f5_testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f5_render.h"
#include "policy.h"
#include "resource.h"
#include "testpolicy.h"

const char *F5T_DEVICE_YAML =
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: bigip}\n"
        "spec:\n  type: f5\n  connection: {address: 127.0.0.1, port: 8443, username: admin,\n"
        "    credentials: {env: F5_PASSWORD}, tls: {insecure: true}}\n"
        "  options: {partition: weft}\n";

weft_snapshot *f5t_compile(const char *yaml, int64_t rev)
{
	return wtp_compile_yaml("t.yaml", yaml, rev);
}

static const weft_resource *device(const weft_snapshot *s)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(devs[i]->name, "bigip"))
			return devs[i];
	fail_msg("no device bigip");
	return NULL;
}

struct f5_config *f5t_render(const weft_snapshot *s)
{
	struct f5_config *c = NULL;
	weft_err err = {0};
	int rc = f5_render_config(NULL, s, device(s), &c, &err);
	if (rc)
		fprintf(stderr, "render: %s\n", err.msg);
	assert_int_equal(rc, 0);
	return c;
}

const char *f5t_render_error(const weft_snapshot *s)
{
	static weft_err err;
	struct f5_config *c = NULL;
	memset(&err, 0, sizeof(err));
	assert_int_equal(f5_render_config(NULL, s, device(s), &c, &err), -1);
	assert_null(c);
	return err.msg;
}

struct f5_config *f5t_render_yaml(const char *yaml)
{
	weft_snapshot *s = f5t_compile(yaml, 7);
	struct f5_config *c = f5t_render(s);
	weft_snapshot_unref(s);
	return c;
}

json_t *f5t_get(const struct f5_config *c, enum f5_type t, const char *path, const char *member)
{
	struct f5_obj *o = f5_config_find(c, t, path, member);
	return o ? o->body : NULL;
}

size_t f5t_count(const struct f5_config *c, enum f5_type t)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->objs[i].type == t;
	return n;
}
