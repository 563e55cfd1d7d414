/* Helpers of the fuzz targets: a fixed policy compiled once into a
 * snapshot (the desired side that fuzzed device replies are diffed
 * against), and a device of it by name. */
#ifndef WEFT_FUZZ_UTIL_H
#define WEFT_FUZZ_UTIL_H

#include "resource.h"
#include "snapshot.h"

/* The policy: a TCP/HTTP service with two endpoints, a Route, a Gateway,
 * and one Device of each hardware type (f5 "bigip", netconf "lb1"). The
 * snapshot is compiled on first use and kept; aborts if it does not
 * compile (a broken harness must not pass as "no crash"). */
const weft_snapshot *fuzz_snapshot(void);
const weft_resource *fuzz_device(const char *name);

#endif
