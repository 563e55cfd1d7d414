/* xdsfleet: a fleet of simulated Envoy ADS clients (docs/architecture.md, "Simulators",
 * proxy fleet). This header is private to the simulator: the types shared by
 * its files (options, per-client stream state, per-thread statistics) and the
 * functions each file offers the others.
 *
 *   main.c    options, threads, the completion-queue loops, exit code
 *   stream.c  the gRPC C core call of one client: start, send queue, receive,
 *             restart with backoff, cancel (one send in flight per call)
 *   xds.c     the xDS protocol of one client: subscriptions (LDS/CDS wildcard,
 *             RDS/EDS by the names learned from LDS/CDS), ACK/NACK with the
 *             echoed nonce and version, SotW and Delta, --until-version
 *   node.c    the Node each client sends (id, cluster, metadata Struct)
 *   report.c  merging per-thread statistics, percentiles, text/JSON report
 *   trace.c   --trace-file: one JSON line per response a client received
 *
 * The simulator includes neither core/ nor adapters/ (docs/architecture.md, "Walls"):
 * it is written from Envoy's documented xDS protocol and shares only the
 * schema (models/proto, library weft_xdsproto) with weft's xDS adapter. */
#ifndef WEFT_XDSFLEET_H
#define WEFT_XDSFLEET_H

#include <grpc/grpc.h>
#include "envoy/config/core/v3/base.pb-c.h"
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum xf_type { XF_LDS, XF_RDS, XF_CDS, XF_EDS, XF_NTYPES };
enum xf_mode { XF_SOTW, XF_DELTA };

/* Command line options; read-only once the threads run. */
struct xf_options {
	const char *server; /* host:port */
	int clients;        /* streams */
	int channels;       /* HTTP/2 connections the streams share */
	int threads;        /* completion queues, one thread each */
	enum xf_mode mode;
	const char *node_prefix;       /* node ids PREFIX-0 .. PREFIX-(N-1) */
	const char *node_cluster;      /* Node.cluster ("" = none) */
	const char *metadata_json;     /* JSON object text; "{i}" -> client index */
	bool node_always;              /* Node in every request, not only the first */
	enum xf_type order[XF_NTYPES]; /* subscribe order */
	int ntypes;
	bool want[XF_NTYPES];
	double nack_share;         /* 0..1 of clients NACK every response */
	const char *until_version; /* NULL: run for --duration */
	bool until_type[XF_NTYPES];
	double duration_s;
	const char *mark_file;
	const char *trace_file; /* NULL: no trace (trace.c) */
	bool json;
	bool verbose;
};

/* A completion-queue tag: which client, which operation. */
enum xf_op { XF_OP_START, XF_OP_SEND, XF_OP_RECV, XF_OP_STATUS, XF_NOPS };
struct xf_client;
struct xf_tag {
	struct xf_client *client;
	enum xf_op op;
};

/* A growable set of strings (resource names), kept sorted. */
struct xf_names {
	char **v;
	size_t n, cap;
};

/* Delta: what a client holds of one type: name -> version, and the names
 * each resource points to (a Cluster's EDS name, a Listener's RDS names). */
struct xf_held {
	char **name;
	char **version;
	struct xf_names *deps;
	size_t n, cap;
};

/* Per client, per resource type. */
struct xf_typestate {
	bool subscribed;       /* a request for this type was sent */
	bool named;            /* subscription by names (RDS/EDS) vs wildcard */
	struct xf_names names; /* current named subscription */
	char *acked_version;   /* SotW: last accepted version_info */
	char *last_nonce;      /* nonce of the last response of this type */
	struct xf_held held;   /* Delta: resources held */
	bool reached;          /* --until-version reached for this type */
};

struct xf_pending {
	grpc_byte_buffer *bb;
	struct xf_pending *next;
};

struct xf_thread;

/* One simulated proxy: one ADS stream. Touched only by its thread. */
struct xf_client {
	int index;
	char node_id[128];
	bool nacker; /* NACKs every response (--nack-share) */
	struct xf_thread *thread;
	grpc_channel *channel; /* shared, owned by the fleet */
	grpc_call *call;
	struct xf_tag tags[XF_NOPS];
	int outstanding; /* batches started and not yet completed */
	bool send_busy;
	bool half_closed; /* SEND_CLOSE_FROM_CLIENT started */
	struct xf_pending *queue, *queue_tail;
	grpc_byte_buffer *recv_bb;
	grpc_metadata_array initial_md, trailing_md;
	grpc_status_code status;
	grpc_slice status_details;
	bool node_sent;
	bool stream_up; /* call started and not yet ended */
	int restarts;
	int64_t restart_at_us; /* >0: restart the stream at this time */
	struct xf_client *restart_next;
	bool reached; /* counted in fleet->reached */
	struct xf_typestate ts[XF_NTYPES];
};

/* One latency sample: a response's arrival (CLOCK_REALTIME us) and the
 * interned index of its version (per thread). */
struct xf_sample {
	int64_t arrival_us;
	uint32_t version;
};

struct xf_typestats {
	uint64_t responses, resources, bytes, acks, nacks, decode_errors;
	struct xf_sample *samples;
	size_t nsamples, capsamples;
};

struct xf_fleet;

/* One completion queue, its thread, its clients and its statistics. */
struct xf_thread {
	struct xf_fleet *fleet;
	int id;
	grpc_completion_queue *cq;
	struct xf_client **clients;
	int nclients;
	struct xf_client *restart_list;
	struct xf_typestats stats[XF_NTYPES];
	char **versions; /* interned version strings */
	size_t nversions, capversions;
	uint64_t streams_started, stream_errors;
	uint64_t bad_messages; /* undecodable or unknown-type responses */
	int live_calls;        /* calls created and not yet released */
	int64_t last_reach_us; /* when the last of its clients reached V */
};

struct xf_fleet {
	struct xf_options opt;
	grpc_channel **channels;
	struct xf_thread *threads;
	struct xf_client *clients;
	int ncounted; /* clients that must reach V (non-NACKers) */
	atomic_int reached;
	atomic_bool stop;
	int64_t start_us; /* CLOCK_REALTIME at start */
	FILE *trace;      /* --trace-file, or NULL */
	pthread_mutex_t trace_mu;
};

/* ---- main.c ---- */
int64_t xf_now_us(void);  /* CLOCK_REALTIME, microseconds */
int64_t xf_mono_us(void); /* CLOCK_MONOTONIC, microseconds */
const char *xf_type_name(enum xf_type t);
const char *xf_type_url(enum xf_type t);

/* ---- stream.c ---- */
/* Creates the call and starts the receive side and the initial requests. */
int xf_stream_start(struct xf_client *c);
/* Queues an encoded request; sends it when no send is in flight. Takes
 * ownership of bb. */
void xf_stream_send(struct xf_client *c, grpc_byte_buffer *bb);
/* Handles one completion of client c's operation op. */
void xf_stream_event(struct xf_client *c, enum xf_op op, bool ok);
/* Half-closes the call once no send is in flight (end of a run). */
void xf_stream_close(struct xf_client *c);
/* Cancels the call (shutdown). */
void xf_stream_cancel(struct xf_client *c);
/* Restarts streams whose backoff expired. */
void xf_stream_restarts(struct xf_thread *t, int64_t now_us);

/* ---- xds.c ---- */
/* Sends the initial subscriptions of a (re)started stream. */
void xf_xds_begin(struct xf_client *c);
/* Processes one received message (raw bytes). */
void xf_xds_message(struct xf_client *c, const uint8_t *buf, size_t len);
/* True when version v equals or follows version ref (see docs/xdsfleet.md). */
bool xf_version_follows(const char *v, const char *ref);
void xf_client_free(struct xf_client *c);

/* ---- node.c ---- */
/* Builds the Node of client c; free with xf_node_free. NULL on error (err
 * filled). */
Envoy__Config__Core__V3__Node *xf_node_build(const struct xf_client *c, const struct xf_options *o,
                                             char *err, size_t errlen);
void xf_node_free(Envoy__Config__Core__V3__Node *n);
/* Checks that the metadata template is a JSON object; 0 or -1 (err). */
int xf_metadata_check(const char *json, char *err, size_t errlen);

/* ---- report.c ---- */
void xf_stats_sample(struct xf_thread *t, enum xf_type type, const char *version,
                     int64_t arrival_us);
/* Prints the report; returns 0, or 1 when --until-version was not reached. */
int xf_report(struct xf_fleet *f, int64_t end_us);
void xf_thread_stats_free(struct xf_thread *t);

/* ---- trace.c ---- */
struct Envoy__Service__Discovery__V3__DiscoveryResponse;
struct Envoy__Service__Discovery__V3__DeltaDiscoveryResponse;
/* Opens --trace-file (no-op without it); 0, or -1 after printing why. */
int xf_trace_open(struct xf_fleet *f);
void xf_trace_close(struct xf_fleet *f);
/* One line for a response client c processed; ack tells whether it accepts
 * it. No-op without --trace-file. */
void xf_trace_sotw(struct xf_client *c, enum xf_type t,
                   const struct Envoy__Service__Discovery__V3__DiscoveryResponse *r, bool ack);
void xf_trace_delta(struct xf_client *c, enum xf_type t,
                    const struct Envoy__Service__Discovery__V3__DeltaDiscoveryResponse *r,
                    bool ack);

#endif
