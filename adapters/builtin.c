/* Registers the compiled-in adapters (see builtin.h). */
#include "builtin.h"

#include "adapter.h"
#include "file_adapter.h"

int weft_register_builtin_adapters(weft_err *err)
{
	return weft_adapter_register(weft_file_adapter(), 1, err);
}
