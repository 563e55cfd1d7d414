/* The ADS protocol state machine of one stream, independent of gRPC (so the
 * protocol rules are unit-tested without a network; xds_server.c feeds it
 * request bytes and sends what it returns). State of the world and Delta.
 *
 * Rules implemented (xDS protocol, envoyproxy.io "xDS REST and gRPC
 * protocol"):
 * - version_info (SotW) / system_version_info (Delta) and a nonce per
 *   response; per type the last nonce sent. A request whose response_nonce
 *   is not the last one sent for its type is stale: SotW ignores it
 *   entirely, Delta still applies its subscription changes.
 * - ACK (nonce echoed, no error_detail) records the version as ACKed; NACK
 *   (error_detail set) records the error and resends nothing.
 * - LDS/CDS: every response carries the complete set the stream subscribed
 *   to (wildcard: everything), so deletion is by absence. EDS/RDS/SDS:
 *   only resources new or changed for the stream.
 * - Delta: subscribe / unsubscribe (wildcard "*" or an empty first request
 *   for LDS/CDS), removed_resources, initial_resource_versions honoured on
 *   reconnect (nothing resent that the client already holds).
 * - Nothing is sent when nothing changed for the stream.
 * - Make-before-break: responses go out in the order SDS, CDS, EDS, LDS,
 *   RDS; clusters that disappear are kept in the CDS response until the
 *   LDS/RDS that stop using them went out, then removed by a last CDS.
 * - One response at a time (the caller sends one, then asks again); the
 *   pending state is a dirty bit per type and the response is built when
 *   the send slot frees, so a slow stream only ever gets the newest. */
#ifndef WEFT_XDS_STREAM_H
#define WEFT_XDS_STREAM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "envoy/config/core/v3/base.pb-c.h"
#include "xds_res.h"

/* What a stream is served from: one set per type and a version string.
 * Owned by the server (xds_view in xds_server.c); the stream only reads. */
typedef struct xds_source {
	xds_resset *sets[XDS_NTYPES];
	char version[32];
} xds_source;

typedef struct xds_typestate {
	int subscribed, wildcard;
	xds_nameset *names;      /* subscription (interned); NULL when wildcard */
	xds_resset *sent;        /* set the last response was built from */
	xds_nameset *sent_names; /* SotW: subscription at the last response */
	int sent_wildcard;
	int dirty;       /* check for something to send */
	int sub_changed; /* subscription changed since the last check */
	int first;       /* a response is owed (first request) */
	unsigned nonce;  /* last nonce sent (0: none) */
	char version_sent[32], version_acked[32];
	int64_t acked_ms, nacked_ms;
	char *last_error; /* last NACK's message */
	uint64_t acks, nacks, responses;
	/* Delta only. */
	xds_nameset *held_names; /* what the client holds (NULL + wildcard: all of sent) */
	char **init_names, **init_versions; /* initial_resource_versions */
	size_t n_init;
} xds_typestate;

typedef struct xds_stream {
	int delta;
	char *node_id;
	json_t *node_meta; /* node metadata as JSON (for views and status) */
	const char *user_agent;
	unsigned nonce_counter;
	int cds_cleanup; /* stale clusters still to remove (make-before-break) */
	xds_typestate ts[XDS_NTYPES];
	uint64_t stale_requests, bad_requests;
	xds_intern *intern;
} xds_stream;

void xds_stream_init(xds_stream *s, int delta, xds_intern *intern);
void xds_stream_free(xds_stream *s);

/* A request decoded and applied. *got_node is set to 1 the first time the
 * stream learns its node (node_id, node_meta filled) so the caller can
 * pick the view. Returns the type of the request, or -1 for bytes that do
 * not decode or an unknown type (counted in bad_requests, ignored). */
int xds_stream_on_request(xds_stream *s, const uint8_t *buf, size_t len, int64_t now_ms,
                          int *got_node);
/* The source changed: mark every subscribed type dirty. */
void xds_stream_source_changed(xds_stream *s, const xds_source *src);
/* A response as the server sends it: a small header (version, type, nonce,
 * removed names) followed by pre-encoded resources, referenced, not copied:
 * the server hands each resource's bytes to gRPC as a refcounted slice. */
typedef struct xds_msg {
	uint8_t *head;
	size_t head_len;
	xds_res **res; /* referenced */
	size_t n_res;
	xds_resset *whole; /* instead of res: every resource of this set (referenced) */
	int delta, type;
} xds_msg;

/* The next response (make-before-break order). 1 with *msg filled (free
 * with xds_msg_free), 0 when nothing is to be sent, -1 out of memory. */
int xds_stream_next_msg(xds_stream *s, const xds_source *src, xds_msg *msg);
void xds_msg_free(xds_msg *m);
size_t xds_msg_len(const xds_msg *m);
/* The same, flattened into one malloc'd buffer (tests, tools). Builds the
 * next response (make-before-break order) into a malloc'd
 * buffer. Returns 1 with *out, *len and *type set, 0 when nothing is to be
 * sent, -1 when out of memory. */
int xds_stream_next(xds_stream *s, const xds_source *src, uint8_t **out, size_t *len, int *type);
/* Per type status: {"lds": {"wildcard", "names", "version_sent",
 * "version_acked","nonce","acks","nacks","last_error"}...}. */
json_t *xds_stream_status(const xds_stream *s);
/* What the stream was last sent: {"cds":[{"name","version"}]...}. */
json_t *xds_stream_config_dump(const xds_stream *s);
/* Adds to out ({type: {name: why}}) every resource of the stream's last
 * response of each type that the proxy has not ACKed (NACKed, or no ACK
 * yet), why naming node and the NACK's message: what the proxy runs is not
 * what it was sent. Types with their last response ACKed add nothing. */
void xds_stream_unacked(const xds_stream *s, const char *node, json_t *out);

#endif
