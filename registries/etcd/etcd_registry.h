/* The etcd registry backend (type "etcd", core/registry.h): per Service, a
 * range read of its key prefix, then a watch from the next revision,
 * through etcd's HTTP/JSON gateway. docs/registries.md, "etcd". */
#ifndef WEFT_ETCD_REGISTRY_H
#define WEFT_ETCD_REGISTRY_H

#include "registry.h"

const weft_registry_backend *etcd_registry_backend(void);

#endif
