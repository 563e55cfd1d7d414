/* The `file` adapter: the simplest reference implementation of the adapter
 * contract (core/adapter.h). It renders each device's slice of the policy
 * as one JSON file per resource under the device's options.directory:
 *   DIR/<kind-plural>/<namespace>/<name>.json
 * Useful for review (diff the directory in git) and as the example to copy
 * when writing a new adapter. Relative directories (the policy validator
 * requires them relative, without "..") resolve against the instance's
 * root: its configuration {"root": DIR} (weftd's --file-root), "." by
 * default. */
#ifndef WEFT_FILE_ADAPTER_H
#define WEFT_FILE_ADAPTER_H

#include "adapter.h"

const weft_adapter *file_adapter(void);

#endif
