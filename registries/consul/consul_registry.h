/* The Consul registry backend (docs/registries.md, "Consul"): the table
 * registered for Registry spec.type consul. */
#ifndef WEFT_CONSUL_REGISTRY_H
#define WEFT_CONSUL_REGISTRY_H

#include "registry.h"

const weft_registry_backend *consul_registry_backend(void);

#endif
