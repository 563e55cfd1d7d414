/* xdsproto_wire_gen.h: helpers shared by the two files of the wire-format
 * message generator (xdsproto_wire_gen.c, xdsproto_wire_gen_l7.c). */
#ifndef WEFT_XDSPROTO_WIRE_GEN_H
#define WEFT_XDSPROTO_WIRE_GEN_H

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

#define URL(x) "type.googleapis.com/" x
#define ADS_INIT(cs, ads)                                                                          \
	do {                                                                                       \
		(cs).config_source_specifier_case =                                                \
		        ENVOY__CONFIG__CORE__V3__CONFIG_SOURCE__CONFIG_SOURCE_SPECIFIER_ADS;       \
		(cs).ads = &(ads);                                                                 \
		(cs).resource_api_version = ENVOY__CONFIG__CORE__V3__API_VERSION__V3;              \
	} while (0)

/* Remembers p to free at exit; exits on NULL. */
void *keep(void *p);
/* m packed into a new Any with type_url url. */
Google__Protobuf__Any *any_of(const char *url, const ProtobufCMessage *m);
/* Writes m to OUTDIR/name.bin; exits on error. */
void write_msg(const char *name, const ProtobufCMessage *m);
Google__Protobuf__Duration *dur(int64_t s, int32_t ns);
Google__Protobuf__UInt32Value *u32(uint32_t v);

void gen_listener(void);
void gen_route(void);
void gen_secret(void);

#endif
