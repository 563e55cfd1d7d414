/* Message building helpers (see xds_pb.h). */
#include "xds_pb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *xb_alloc(weft_arena *a, size_t size)
{
	void *p = weft_arena_alloc(a, size ? size : 1);
	if (!p) {
		fprintf(stderr, "weft xds: out of memory while rendering\n");
		abort();
	}
	return p;
}

void *xb_dup(weft_arena *a, const void *init, size_t size)
{
	void *p = xb_alloc(a, size);
	memcpy(p, init, size);
	return p;
}

char *xb_str(weft_arena *a, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	char *p = xb_alloc(a, n + 1);
	if (n)
		memcpy(p, s, n);
	return p;
}

char *xb_printf(weft_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *p = xb_alloc(a, (size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);
	return p;
}

Google__Protobuf__Any *xb_any(weft_arena *a, const char *type_url, const ProtobufCMessage *m)
{
	Google__Protobuf__Any *any = XB_NEW(a, Google__Protobuf__Any, GOOGLE__PROTOBUF__ANY__INIT);
	any->type_url = xb_str(a, type_url);
	any->value.len = protobuf_c_message_get_packed_size(m);
	any->value.data = xb_alloc(a, any->value.len);
	protobuf_c_message_pack(m, any->value.data);
	return any;
}

Google__Protobuf__Duration *xb_duration_ms(weft_arena *a, long long ms)
{
	Google__Protobuf__Duration *d =
	        XB_NEW(a, Google__Protobuf__Duration, GOOGLE__PROTOBUF__DURATION__INIT);
	d->seconds = ms / 1000;
	d->nanos = (int32_t)((ms % 1000) * 1000000);
	return d;
}

Google__Protobuf__UInt32Value *xb_u32(weft_arena *a, uint32_t v)
{
	Google__Protobuf__UInt32Value *w =
	        XB_NEW(a, Google__Protobuf__UInt32Value, GOOGLE__PROTOBUF__UINT32_VALUE__INIT);
	w->value = v;
	return w;
}

Google__Protobuf__UInt64Value *xb_u64(weft_arena *a, uint64_t v)
{
	Google__Protobuf__UInt64Value *w =
	        XB_NEW(a, Google__Protobuf__UInt64Value, GOOGLE__PROTOBUF__UINT64_VALUE__INIT);
	w->value = v;
	return w;
}

Google__Protobuf__BoolValue *xb_bool(weft_arena *a, int v)
{
	Google__Protobuf__BoolValue *w =
	        XB_NEW(a, Google__Protobuf__BoolValue, GOOGLE__PROTOBUF__BOOL_VALUE__INIT);
	w->value = v != 0;
	return w;
}

Envoy__Config__Core__V3__ConfigSource *xb_ads_source(weft_arena *a)
{
	Envoy__Config__Core__V3__ConfigSource *cs =
	        XB_NEW(a, Envoy__Config__Core__V3__ConfigSource,
	               ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__INIT);
	cs->config_source_specifier_case =
	        ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;
	cs->ads = XB_NEW(a, Envoy__Config__Core__V3__AggregatedConfigSource,
	                 ENVOY__CONFIG__CORE__V3__AGGREGATED_CONFIG_SOURCE__INIT);
	cs->resource_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;
	return cs;
}

Envoy__Config__Core__V3__Address *xb_address(weft_arena *a, const char *ip, int port)
{
	Envoy__Config__Core__V3__SocketAddress *sa =
	        XB_NEW(a, Envoy__Config__Core__V3__SocketAddress,
	               ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__INIT);
	sa->address = xb_str(a, ip);
	sa->port_specifier_case =
	        ENVOY__CONFIG__CORE__V3__SOCKET_ADDRESS__PORT_SPECIFIER_PORT_VALUE;
	sa->port_value = (uint32_t)port;
	Envoy__Config__Core__V3__Address *addr =
	        XB_NEW(a, Envoy__Config__Core__V3__Address, ENVOY__CONFIG__CORE__V3__ADDRESS__INIT);
	addr->address_case = ENVOY__CONFIG__CORE__V3__ADDRESS__ADDRESS_SOCKET_ADDRESS;
	addr->socket_address = sa;
	return addr;
}

Envoy__Type__V3__FractionalPercent *xb_fraction(weft_arena *a, double percent)
{
	Envoy__Type__V3__FractionalPercent *f = XB_NEW(a, Envoy__Type__V3__FractionalPercent,
	                                               ENVOY__TYPE__V3__FRACTIONAL_PERCENT__INIT);
	f->numerator = (uint32_t)(percent * 10000.0 + 0.5);
	f->denominator = ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__MILLION;
	return f;
}
