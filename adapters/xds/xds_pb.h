/* Message building helpers for the xDS renderer: Envoy v3 messages are the
 * protoc-c structs of weft_xdsproto (models/proto), allocated in one arena
 * per render pass and packed into bytes once (xds_res.h). Nothing here
 * knows the policy; see xds_render*.c for the translation.
 *
 * Allocation failure inside a render pass is not recoverable in a useful
 * way (a half-built message cannot be packed), so xb_alloc aborts with a
 * message when malloc fails; bad INPUT never reaches this layer unchecked. */
#ifndef WEFT_XDS_PB_H
#define WEFT_XDS_PB_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "arena.h"
#include "envoy/config/core/v3/address.pb-c.h"
#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/core/v3/config_source.pb-c.h"
#include "envoy/type/v3/percent.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

/* Type URLs of the resources and extensions weft emits. */
#define XDS_URL_PREFIX   "type.googleapis.com/"
#define XDS_URL_LISTENER XDS_URL_PREFIX "envoy.config.listener.v3.Listener"
#define XDS_URL_ROUTE    XDS_URL_PREFIX "envoy.config.route.v3.RouteConfiguration"
#define XDS_URL_CLUSTER  XDS_URL_PREFIX "envoy.config.cluster.v3.Cluster"
#define XDS_URL_CLA      XDS_URL_PREFIX "envoy.config.endpoint.v3.ClusterLoadAssignment"
#define XDS_URL_SECRET   XDS_URL_PREFIX "envoy.extensions.transport_sockets.tls.v3.Secret"
#define XDS_URL_HCM                                                                                \
	XDS_URL_PREFIX "envoy.extensions.filters.network.http_connection_manager.v3."              \
	               "HttpConnectionManager"
#define XDS_URL_ROUTER XDS_URL_PREFIX "envoy.extensions.filters.http.router.v3.Router"
#define XDS_URL_FAULT  XDS_URL_PREFIX "envoy.extensions.filters.http.fault.v3.HTTPFault"
#define XDS_URL_LOCAL_RL                                                                           \
	XDS_URL_PREFIX "envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
#define XDS_URL_RBAC      XDS_URL_PREFIX "envoy.extensions.filters.http.rbac.v3.RBAC"
#define XDS_URL_TCP_PROXY XDS_URL_PREFIX "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
#define XDS_URL_FILE_LOG  XDS_URL_PREFIX "envoy.extensions.access_loggers.file.v3.FileAccessLog"
#define XDS_URL_UPSTREAM_TLS                                                                       \
	XDS_URL_PREFIX "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
#define XDS_URL_DOWNSTREAM_TLS                                                                     \
	XDS_URL_PREFIX "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
#define XDS_URL_ORIGINAL_DST                                                                       \
	XDS_URL_PREFIX "envoy.extensions.filters.listener.original_dst.v3.OriginalDst"
#define XDS_URL_HTTP_INSPECTOR                                                                     \
	XDS_URL_PREFIX "envoy.extensions.filters.listener.http_inspector.v3.HttpInspector"
#define XDS_URL_TLS_INSPECTOR                                                                      \
	XDS_URL_PREFIX "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"

/* Zeroed memory from the arena; aborts when out of memory (see above). */
void *xb_alloc(weft_arena *a, size_t size);
/* A copy of an initialised struct (INIT macro) in the arena. */
void *xb_dup(weft_arena *a, const void *init, size_t size);
#define XB_NEW(a, T, INIT) ((T *)xb_dup((a), &(T)INIT, sizeof(T)))
/* An array of n pointers. */
#define XB_PTRS(a, T, n) ((T **)xb_alloc((a), sizeof(T *) * ((n) ? (n) : 1)))
char *xb_str(weft_arena *a, const char *s);
char *xb_printf(weft_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Packs m into an Any with type_url (bytes in the arena). */
Google__Protobuf__Any *xb_any(weft_arena *a, const char *type_url, const ProtobufCMessage *m);
Google__Protobuf__Duration *xb_duration_ms(weft_arena *a, long long ms);
Google__Protobuf__UInt32Value *xb_u32(weft_arena *a, uint32_t v);
Google__Protobuf__UInt64Value *xb_u64(weft_arena *a, uint64_t v);
Google__Protobuf__BoolValue *xb_bool(weft_arena *a, int v);
/* {ads: {}, resource_api_version: V3}. */
Envoy__Config__Core__V3__ConfigSource *xb_ads_source(weft_arena *a);
/* A socket address; ip may be IPv4 or IPv6 (no brackets). */
Envoy__Config__Core__V3__Address *xb_address(weft_arena *a, const char *ip, int port);
/* percent in [0,100] as a FractionalPercent over a million. */
Envoy__Type__V3__FractionalPercent *xb_fraction(weft_arena *a, double percent);

#endif
