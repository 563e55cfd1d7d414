/* Internals of the xDS server shared by xds_server.c (gRPC, streams),
 * xds_view.c (feeds, views, rendering) and xds_adapter.c. */
#ifndef WEFT_XDS_SERVER_INT_H
#define WEFT_XDS_SERVER_INT_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>

#include "xds_ca.h"
#include "xds_render.h"
#include "xds_server.h"
#include "xds_stream.h"

/* What one feed serves: a snapshot and the resources selected from it. */
typedef struct xds_feed_data {
	weft_snapshot *snap;   /* referenced */
	weft_resource *device; /* referenced; NULL for the default feed */
	weft_resource **res;   /* referenced each; any kind but Device */
	size_t n;
	int64_t revision;
} xds_feed_data;

void xds_feed_data_free(xds_feed_data *d);
/* The slice of snap a device selects (device NULL: everything). */
xds_feed_data *xds_feed_data_new(weft_snapshot *snap, const weft_resource *device);

/* CDS/EDS of a feed for one network plane: the whole feed (scope NULL),
 * or cut down to a scoped sidecar's closure (scope: its own service
 * "NAME.NS", see xds_scope.h). */
struct xds_scope_index;
struct xds_plane_sets {
	char *plane;
	char *scope;
	xds_resset *cds, *eds;
	/* Whole-feed entries: by-service indexes of cds/eds, built on the
	 * first scoped view of the revision. */
	struct xds_scope_index *cds_idx, *eds_idx;
};

struct xds_feed {
	char *id;                      /* "" default, else device "ns/name" */
	xds_feed_data *data;           /* NULL until published */
	int64_t updated_ms;            /* when the server took this revision */
	struct xds_plane_sets *planes; /* rendered lazily per revision */
	size_t n_planes, cap_planes;
	struct xds_feed *next;
};

struct xds_view {
	char *key;
	struct xds_feed *feed;
	xds_view_key vk; /* strings owned */
	char *strings[3];
	char *identity; /* spiffe URI of the proxy's service, or NULL */
	char *scope;    /* "NAME.NS" when dependency-scoped (xds_scope.h) */
	xds_source src;
	size_t streams;
	int changed; /* src changed; streams not told yet */
	struct xds_view *next;
};

enum { XDS_OP_NEW, XDS_OP_RECV, XDS_OP_SEND, XDS_OP_CLOSE, XDS_NOPS };

struct xds_call;
struct xds_tag {
	struct xds_call *c;
	int op;
};

struct xds_call {
	struct xds_server *srv;
	grpc_call *call;
	grpc_call_details details;
	grpc_metadata_array md;
	struct xds_tag tags[XDS_NOPS];
	grpc_byte_buffer *recv_bb;
	int cancelled, outstanding;
	int started, closed, send_busy, half_closed, status_sent;
	xds_stream st;
	struct xds_view *view;
	int64_t connect_unix_ms;
	struct xds_call *next, *prev;
};

struct xds_pending_feed {
	char *id;
	xds_feed_data *data;
	struct xds_pending_feed *next;
};

struct xds_certcache {
	char *uri;
	xds_cert cert;
	struct xds_certcache *next;
};

#define XDS_HIST_BUCKETS 12

/* How long a proxy may leave its receive window closed before the kernel
 * drops its connection (TCP_USER_TIMEOUT, set through gRPC's keepalive
 * timeout; gRPC's server default is 20 s). */
#define XDS_SLOW_READER_MS 300000

struct xds_server {
	weft_controller *ctl;
	xds_server_opts opts;
	char listen[128];
	int port;
	grpc_server *gs;
	grpc_completion_queue *cq;
	pthread_t thread;
	atomic_int stop;
	/* Waking the server thread (xds_server_wake): the thread blocks on
	 * its completion queue, so a wake is one call on a lame channel whose
	 * immediate failure lands in that queue. One in flight at a time. */
	atomic_int wake_pending;
	atomic_int intent_dirty; /* the controller's intent changed */
	int sub_id;              /* weft_controller_subscribe id, 0: none */
	grpc_channel *waker;
	grpc_call *wake_call;
	grpc_status_code wake_status;
	grpc_slice wake_details;
	grpc_metadata_array wake_md;
	int wake_tag;
	/* Server thread only. */
	struct xds_feed *feeds;
	struct xds_view *views;
	struct xds_call *calls;
	size_t n_calls;
	xds_intern *intern;
	xds_ca *ca;
	struct xds_certcache *certs;
	int64_t last_rotate_ms;
	int status_dirty;
	int views_changed; /* some view's changed flag is set */
	/* Under mu. */
	pthread_mutex_t mu;
	pthread_cond_t status_cond;
	uint64_t status_req, status_done; /* status built on request */
	int status_want_config;           /* a pending request wants config dumps */
	struct xds_pending_feed *pending;
	json_t *status;
	/* What a Device's proxies have not ACKed (xds_server_unacked): one
	 * request at a time (ack_mu), answered by the server thread. */
	pthread_mutex_t ack_mu;
	char *ack_feed; /* the request's feed (device id) */
	uint64_t ack_req, ack_done;
	json_t *ack_result;
	json_t *device_feeds; /* device id -> {"revision", "resources":{type:{name:version}}} */
	uint64_t m_pushes, m_acks, m_nacks, m_streams_total, m_bytes;
	uint64_t m_hist[XDS_HIST_BUCKETS + 1];
	double m_hist_sum;
	uint64_t m_hist_count;
	size_t m_connected;
};

extern const double xds_hist_bounds[XDS_HIST_BUCKETS];

/* xds_view.c (server thread) */
/* Takes the feeds published by the adapter; 1 when a Device feed is new
 * or its Device changed (streams may have to move to another view). */
int xds_views_take_pending(struct xds_server *s);
/* The default feed follows the controller's intent: called when the
 * controller said it changed (weft_controller_subscribe), never polled. */
void xds_views_follow_default(struct xds_server *s);
/* Picks (or creates) the view of a stream that just told its node. */
struct xds_view *xds_view_for_stream(struct xds_server *s, const xds_stream *st);
void xds_view_release(struct xds_server *s, struct xds_view *v);
void xds_views_free(struct xds_server *s);
/* Re-issues certificates that passed 2/3 of their lifetime and pushes the
 * new secrets to the views that use them. */
void xds_views_rotate(struct xds_server *s);
/* Seconds (unix time) when the next certificate is due for rotation, or
 * INT64_MAX when none is held. */
int64_t xds_views_next_rotation(const struct xds_server *s);
json_t *xds_views_status(struct xds_server *s);
/* Called by the view code when a view's source changed; its streams are
 * told before the server thread waits for the next event. */
void xds_server_view_changed(struct xds_server *s, struct xds_view *v);

/* Queues a device's slice for the server thread (takes over data). */
void xds_server_publish(struct xds_server *s, const char *device_id, xds_feed_data *data);
/* {type: {name: why}}: the resources the proxies of feed device_id were
 * sent and have not ACKed (empty: every one ACKed its last responses).
 * From any thread; the server thread builds it (waits at most 2 s). NULL
 * with err on timeout. New reference. */
json_t *xds_server_unacked(struct xds_server *s, const char *device_id, weft_err *err);
/* Wakes the server thread from any thread (coalesced: one wake in flight). */
void xds_server_wake(struct xds_server *s);

/* Renders the summary (type -> {name: version}) of what a feed serves to a
 * canonical proxyless + sidecar view, for plans. */
json_t *xds_feed_summary(const xds_feed_data *d, weft_err *err);

#endif
