/* See ncdev_testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libyang/libyang.h>

#include "ncdev.h"
#include "ncdev_adapter.h"
#include "ncdev_testutil.h"
#include "policy.h"
#include "resource.h"
#include "testpolicy.h"

const char *NCT_DEVICE_YAML =
        "apiVersion: weft/v1\nkind: Device\nmetadata: {name: lb1}\n"
        "spec:\n  type: netconf\n"
        "  connection: {address: 127.0.0.1, username: admin, credentials: {env: NCT_PW},\n"
        "    hostKey: \"SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}\n";

weft_snapshot *nct_compile(const char *yaml, int64_t rev)
{
	size_t len = strlen(yaml) + strlen(NCT_DEVICE_YAML) + 16;
	char *text = malloc(len);
	snprintf(text, len, "%s\n---\n%s", yaml, NCT_DEVICE_YAML);
	weft_snapshot *s = wtp_compile_yaml("t.yaml", text, rev);
	free(text);
	return s;
}

const weft_resource *nct_device(const weft_snapshot *s)
{
	size_t n;
	weft_resource *const *devs = weft_snapshot_devices(s, &n);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(devs[i]->name, "lb1"))
			return devs[i];
	fail_msg("no device lb1");
	return NULL;
}

void *nct_render(const weft_snapshot *s)
{
	void *cfg = NULL;
	weft_err err = {0};
	int rc = ncdev_adapter()->render(NULL, s, nct_device(s), &cfg, &err);
	if (rc)
		fail_msg("render: %s", err.msg);
	return cfg;
}

void *nct_render_yaml(const char *yaml)
{
	weft_snapshot *s = nct_compile(yaml, 1);
	void *cfg = nct_render(s);
	weft_snapshot_unref(s);
	return cfg;
}

static struct ly_set *find(const void *config, const char *xpath)
{
	const struct ncdev_config *c = config;
	struct ly_set *set = NULL;
	if (!c->tree || lyd_find_xpath(c->tree, xpath, &set))
		return NULL;
	return set;
}

const char *nct_value(const void *config, const char *xpath)
{
	static char buf[1024];
	struct ly_set *set = find(config, xpath);
	const char *v = NULL;
	if (set && set->count == 1)
		v = lyd_get_value(set->dnodes[0]);
	if (v)
		snprintf(buf, sizeof(buf), "%s", v);
	ly_set_free(set, NULL);
	return v ? buf : NULL;
}

size_t nct_count(const void *config, const char *xpath)
{
	struct ly_set *set = find(config, xpath);
	size_t n = set ? set->count : 0;
	ly_set_free(set, NULL);
	return n;
}
