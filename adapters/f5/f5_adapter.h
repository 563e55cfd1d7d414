/* The `f5` adapter: drives an F5 BIG-IP over iControl REST (docs/architecture.md,
 * "Device families"). It renders a Device's slice of the policy into LTM
 * objects in the Device's partition (spec.options.partition, default
 * Common), marks every object it creates as weft's and never touches any
 * other, diffs against what the partition holds, and applies each plan as
 * ONE REST transaction. docs/adapter-f5.md is the user's guide (object
 * mapping, names, ownership mark, limits). */
#ifndef WEFT_F5_ADAPTER_H
#define WEFT_F5_ADAPTER_H

#include "adapter.h"

const weft_adapter *f5_adapter(void);
/* The render memos of an instance context (tests: bounded, freed). */
struct f5_memos *f5_adapter_memos(void *ctx);

#endif
