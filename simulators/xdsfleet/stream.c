/* xdsfleet stream.c: the gRPC C core call behind one simulated proxy. Each
 * client has one bidirectional ADS call on a shared channel, driven by its
 * thread's completion queue with four kinds of batches (tags):
 *
 *   START   send initial metadata (wait-for-ready: the call waits for the
 *           connection instead of failing fast); counts as the first send
 *   SEND    one request message; gRPC allows one send in flight per call,
 *           so further requests wait in the client's queue, in order
 *   RECV    receive initial metadata + a message, then a message at a time
 *   STATUS  the call's final status: the stream ended
 *
 * At the end of a run a client half-closes (SEND_CLOSE_FROM_CLIENT) once
 * its last requests are out, so that the server reads every ACK before the
 * stream ends; calls still open after that are cancelled (main.c).
 * When a stream ends and the fleet is not stopping, the client starts a new
 * stream after a backoff, resuming its subscriptions like Envoy (xds.c).
 * The call is released only when none of its batches is outstanding. */
#include "xdsfleet.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADS_SOTW  "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources"
#define ADS_DELTA "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources"

static bool start_batch(struct xf_client *c, const grpc_op *ops, size_t n, enum xf_op op)
{
	grpc_call_error e = grpc_call_start_batch(c->call, ops, n, &c->tags[op], NULL);

	if (e != GRPC_CALL_OK) {
		fprintf(stderr, "xdsfleet %s: grpc_call_start_batch(op %d): error %d\n", c->node_id,
		        (int)op, (int)e);
		return false;
	}
	c->outstanding++;
	return true;
}

static void start_recv(struct xf_client *c, bool with_initial_md)
{
	grpc_op ops[2];
	size_t n = 0;

	memset(ops, 0, sizeof(ops));
	if (with_initial_md) {
		ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
		ops[n].data.recv_initial_metadata.recv_initial_metadata = &c->initial_md;
		n++;
	}
	ops[n].op = GRPC_OP_RECV_MESSAGE;
	ops[n].data.recv_message.recv_message = &c->recv_bb;
	n++;
	start_batch(c, ops, n, XF_OP_RECV);
}

static void send_now(struct xf_client *c, grpc_byte_buffer *bb)
{
	grpc_op op;

	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = bb;
	c->send_busy = true;
	if (!start_batch(c, &op, 1, XF_OP_SEND))
		c->send_busy = false;
	/* gRPC took its own reference to the buffer's slices. */
	grpc_byte_buffer_destroy(bb);
}

int xf_stream_start(struct xf_client *c)
{
	struct xf_thread *th = c->thread;
	grpc_slice method = grpc_slice_from_static_string(
	        th->fleet->opt.mode == XF_SOTW ? ADS_SOTW : ADS_DELTA);
	grpc_op ops[1];

	c->call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, th->cq,
	                                   method, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	if (!c->call) {
		fprintf(stderr, "xdsfleet %s: grpc_channel_create_call failed\n", c->node_id);
		return -1;
	}
	grpc_metadata_array_init(&c->initial_md);
	grpc_metadata_array_init(&c->trailing_md);
	c->status_details = grpc_empty_slice();
	c->stream_up = true;
	th->streams_started++;
	th->live_calls++;

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[0].flags = GRPC_INITIAL_METADATA_WAIT_FOR_READY;
	c->send_busy = true; /* requests queue until the headers are out */
	if (!start_batch(c, ops, 1, XF_OP_START))
		c->send_busy = false;

	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[0].data.recv_status_on_client.trailing_metadata = &c->trailing_md;
	ops[0].data.recv_status_on_client.status = &c->status;
	ops[0].data.recv_status_on_client.status_details = &c->status_details;
	start_batch(c, ops, 1, XF_OP_STATUS);

	start_recv(c, true);
	xf_xds_begin(c);
	return 0;
}

void xf_stream_send(struct xf_client *c, grpc_byte_buffer *bb)
{
	struct xf_pending *p;

	if (!bb)
		return;
	if (!c->call || !c->stream_up) {
		grpc_byte_buffer_destroy(bb);
		return;
	}
	if (!c->send_busy) {
		send_now(c, bb);
		return;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		grpc_byte_buffer_destroy(bb);
		return;
	}
	p->bb = bb;
	if (c->queue_tail)
		c->queue_tail->next = p;
	else
		c->queue = p;
	c->queue_tail = p;
}

static void flush_queue(struct xf_client *c)
{
	struct xf_pending *p = c->queue;

	if (!p || c->send_busy || !c->stream_up)
		return;
	c->queue = p->next;
	if (!c->queue)
		c->queue_tail = NULL;
	send_now(c, p->bb);
	free(p);
}

/* Drops queued requests (the stream is gone; a new one resubscribes). */
static void drop_queue(struct xf_client *c)
{
	while (c->queue) {
		struct xf_pending *p = c->queue;

		c->queue = p->next;
		grpc_byte_buffer_destroy(p->bb);
		free(p);
	}
	c->queue_tail = NULL;
}

static void on_recv(struct xf_client *c, bool ok)
{
	grpc_byte_buffer_reader reader;
	grpc_slice s;

	if (!ok || !c->recv_bb)
		return; /* the stream is ending; STATUS tells why */
	if (!grpc_byte_buffer_reader_init(&reader, c->recv_bb)) {
		grpc_byte_buffer_destroy(c->recv_bb);
		c->recv_bb = NULL;
		return;
	}
	s = grpc_byte_buffer_reader_readall(&reader);
	grpc_byte_buffer_reader_destroy(&reader);
	grpc_byte_buffer_destroy(c->recv_bb);
	c->recv_bb = NULL;
	xf_xds_message(c, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s));
	grpc_slice_unref(s);
	if (c->stream_up && c->call)
		start_recv(c, false);
}

/* The call is over and none of its batches is outstanding: release it and,
 * unless the fleet stops, schedule a new stream. */
static void release_call(struct xf_client *c)
{
	struct xf_thread *th = c->thread;
	int64_t backoff_us;

	grpc_call_unref(c->call);
	c->call = NULL;
	th->live_calls--;
	grpc_metadata_array_destroy(&c->initial_md);
	grpc_metadata_array_destroy(&c->trailing_md);
	grpc_slice_unref(c->status_details);
	drop_queue(c);
	c->send_busy = false;
	c->half_closed = false;
	if (atomic_load(&th->fleet->stop))
		return;
	/* 100 ms doubling to 5 s, with jitter, as a proxy would back off */
	backoff_us = 100000LL << (c->restarts < 6 ? c->restarts : 6);
	if (backoff_us > 5000000)
		backoff_us = 5000000;
	backoff_us = backoff_us / 2 + rand() % (backoff_us / 2 + 1);
	c->restarts++;
	c->restart_at_us = xf_mono_us() + backoff_us;
	c->restart_next = th->restart_list;
	th->restart_list = c;
}

void xf_stream_event(struct xf_client *c, enum xf_op op, bool ok)
{
	struct xf_thread *th = c->thread;

	c->outstanding--;
	switch (op) {
	case XF_OP_START:
	case XF_OP_SEND:
		c->send_busy = false;
		if (ok)
			flush_queue(c);
		break;
	case XF_OP_RECV:
		on_recv(c, ok);
		break;
	case XF_OP_STATUS:
		c->stream_up = false;
		if (c->status != GRPC_STATUS_OK && !atomic_load(&th->fleet->stop)) {
			char *details = grpc_slice_to_c_string(c->status_details);

			th->stream_errors++;
			if (th->fleet->opt.verbose || th->stream_errors <= 3)
				fprintf(stderr, "xdsfleet %s: stream ended: status %d %s\n",
				        c->node_id, (int)c->status, details);
			gpr_free(details);
		}
		break;
	default:
		break;
	}
	if (!c->stream_up && c->outstanding == 0 && c->call)
		release_call(c);
}

void xf_stream_close(struct xf_client *c)
{
	grpc_op op;

	if (!c->call || !c->stream_up || c->half_closed || c->send_busy)
		return;
	memset(&op, 0, sizeof(op));
	op.op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	c->half_closed = true;
	c->send_busy = start_batch(c, &op, 1, XF_OP_SEND);
}

void xf_stream_cancel(struct xf_client *c)
{
	if (c->call && c->stream_up)
		grpc_call_cancel(c->call, NULL);
}

void xf_stream_restarts(struct xf_thread *t, int64_t now_us)
{
	struct xf_client **pp = &t->restart_list;

	while (*pp) {
		struct xf_client *c = *pp;

		if (c->restart_at_us > now_us) {
			pp = &c->restart_next;
			continue;
		}
		*pp = c->restart_next;
		c->restart_next = NULL;
		c->restart_at_us = 0;
		if (xf_stream_start(c) < 0)
			c->restart_at_us = now_us; /* counted as never restarted */
	}
}
