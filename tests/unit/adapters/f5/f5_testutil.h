/* Helpers for the F5 adapter's unit tests: YAML policy text -> snapshot
 * (the real decoder, validator and compiler), rendering for a device, and
 * lookups in a rendered partition. */
#ifndef WEFT_F5_TESTUTIL_H
#define WEFT_F5_TESTUTIL_H

#include "f5_model.h"
#include "snapshot.h"

/* A Device "bigip" of type f5 in partition "weft" scoping everything. */
extern const char *F5T_DEVICE_YAML;

/* Compiles yaml (asserts it decodes and validates). */
weft_snapshot *f5t_compile(const char *yaml, int64_t rev);
/* Renders the snapshot for device default/bigip (asserts success). */
struct f5_config *f5t_render(const weft_snapshot *s);
/* Renders, expecting failure; returns the error message (static). */
const char *f5t_render_error(const weft_snapshot *s);
/* Compile + render. */
struct f5_config *f5t_render_yaml(const char *yaml);
/* The body of an object, or NULL. */
json_t *f5t_get(const struct f5_config *c, enum f5_type t, const char *path, const char *member);
/* Number of objects of a type. */
size_t f5t_count(const struct f5_config *c, enum f5_type t);

#endif
