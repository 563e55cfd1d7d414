/* Test helper shared by the unit tests of the core and the adapters:
 * YAML policy text -> decoded, validated, compiled snapshot, failing the
 * running cmocka test (with every diagnostic printed) when it does not
 * decode or validate. Library weft_testpolicy (needs weft_core). */
#ifndef WEFT_TESTPOLICY_H
#define WEFT_TESTPOLICY_H

#include <stdint.h>

#include "snapshot.h"

weft_snapshot *wtp_compile_yaml(const char *file, const char *yaml, int64_t rev);

#endif
