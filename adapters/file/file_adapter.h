/* The `file` adapter: the simplest reference implementation of the adapter
 * contract (core/adapter.h). It renders each device's slice of the policy
 * as one JSON file per resource under the device's options.directory:
 *   DIR/<kind-plural>/<namespace>/<name>.json
 * Useful for review (diff the directory in git) and as the example to copy
 * when writing a new adapter. Relative directories (the policy validator
 * requires them relative, without "..") resolve against the file root:
 * weftd's --file-root, by default its state directory's "files" folder. */
#ifndef WEFT_FILE_ADAPTER_H
#define WEFT_FILE_ADAPTER_H

#include "adapter.h"

const weft_adapter *weft_file_adapter(void);
/* Sets the directory relative device directories resolve against (default
 * "."). Call once at start-up, before any push. */
void weft_file_adapter_set_root(const char *dir);

#endif
