/* Registers the compiled-in adapters (see builtin.h). Each family is built
 * when its libraries are available (adapters/CMakeLists.txt). */
#include "builtin.h"

#include "adapter.h"
#include "file_adapter.h"
#ifdef WEFT_HAVE_F5
#include "f5_adapter.h"
#endif
#ifdef WEFT_HAVE_NETCONF
#include "ncdev_adapter.h"
#endif
#ifdef WEFT_HAVE_XDS
#include "xds_server.h"
#endif
#ifdef WEFT_HAVE_HAPROXY
#include "hap_adapter.h"
#endif

int weft_register_builtin_adapters(weft_err *err)
{
	if (weft_adapter_register(file_adapter(), 1, err))
		return -1;
#ifdef WEFT_HAVE_F5
	if (weft_adapter_register(f5_adapter(), 1, err))
		return -1;
#endif
#ifdef WEFT_HAVE_NETCONF
	if (weft_adapter_register(ncdev_adapter(), 1, err))
		return -1;
#endif
#ifdef WEFT_HAVE_XDS
	if (weft_adapter_register(xds_adapter(), 1, err))
		return -1;
#endif
#ifdef WEFT_HAVE_HAPROXY
	if (weft_adapter_register(haproxy_adapter(), 1, err))
		return -1;
#endif
	return 0;
}
