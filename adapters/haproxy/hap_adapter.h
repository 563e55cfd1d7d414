/* The haproxy adapter (device type "haproxy"): HAProxy driven like a box
 * over SSH (libssh2). See docs/adapter-haproxy.md. */
#ifndef HAP_ADAPTER_H
#define HAP_ADAPTER_H

#include "adapter.h"

const weft_adapter *haproxy_adapter(void);

#endif
