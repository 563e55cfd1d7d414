/* Registers the compiled-in registry backends (registries/CMakeLists.txt),
 * at start-up before any controller opens. */
#ifndef WEFT_REGISTRIES_BUILTIN_H
#define WEFT_REGISTRIES_BUILTIN_H

#include "diag.h"

/* 0, or -1 with err when a backend's type is already taken. */
int weft_register_builtin_registries(weft_err *err);

#endif
