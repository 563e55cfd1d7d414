/* Helpers for the netconf adapter's unit tests: YAML policy text ->
 * snapshot (the real decoder, validator and compiler), render for the
 * device default/lb1, and XPath lookups in the rendered weft-lb tree. */
#ifndef WEFT_NCDEV_TESTUTIL_H
#define WEFT_NCDEV_TESTUTIL_H

#include "adapter.h"
#include "snapshot.h"

/* A netconf Device default/lb1 that scopes everything. */
extern const char *NCT_DEVICE_YAML;

/* Compiles yaml + NCT_DEVICE_YAML (asserts it decodes and validates). */
weft_snapshot *nct_compile(const char *yaml, int64_t rev);
/* The device default/lb1 of a snapshot. */
const weft_resource *nct_device(const weft_snapshot *s);
/* Renders for default/lb1 (asserts success); free with free_config. */
void *nct_render(const weft_snapshot *s);
/* Compile + render. */
void *nct_render_yaml(const char *yaml);
/* The value of the node an XPath (weft-lb prefixed, e.g.
 * "/weft-lb:lb/pool[name='x']/method") selects in a rendered config, or
 * NULL; static buffer. */
const char *nct_value(const void *config, const char *xpath);
/* Number of nodes an XPath selects. */
size_t nct_count(const void *config, const char *xpath);

#endif
