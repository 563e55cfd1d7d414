/* Registers the compiled-in registry backends (see registry_builtin.h). */
#include "registry_builtin.h"

#include "registry.h"
#ifdef WEFT_HAVE_REGISTRY_CONSUL
#include "consul_registry.h"
#endif
#ifdef WEFT_HAVE_REGISTRY_ETCD
#include "etcd_registry.h"
#endif

int weft_register_builtin_registries(weft_err *err)
{
#ifdef WEFT_HAVE_REGISTRY_CONSUL
	if (weft_registry_backend_register(consul_registry_backend())) {
		weft_err_set(err, "registry backend consul: type already registered");
		return -1;
	}
#endif
#ifdef WEFT_HAVE_REGISTRY_ETCD
	if (weft_registry_backend_register(etcd_registry_backend())) {
		weft_err_set(err, "registry backend etcd: type already registered");
		return -1;
	}
#endif
	(void)err;
	return 0;
}
