/* Registration of the adapters compiled into weft (file, and later xds, f5,
 * netconf). Called once at start-up by weftd and by tests. */
#ifndef WEFT_ADAPTERS_BUILTIN_H
#define WEFT_ADAPTERS_BUILTIN_H

#include "diag.h"

/* Registers every compiled-in adapter kind. 0 or -1 with err. Idempotent. */
int weft_register_builtin_adapters(weft_err *err);

#endif
