/* The ADS server: gRPC C core, one completion queue drained by one thread.
 * Per call: RECV_CLOSE_ON_SERVER (client gone), SEND_INITIAL_METADATA, then
 * RECV_MESSAGE re-armed after each request and at most one SEND_MESSAGE in
 * flight (gRPC's rule); when a send completes the stream builds its next
 * response from its view's CURRENT sets (so a slow reader only ever gets
 * the newest). The protocol itself is in xds_stream.c; feeds and views in
 * xds_view.c.
 *
 * The thread sleeps in its completion queue until something happens: a
 * gRPC event, or a wake (xds_server_wake) when the controller's intent
 * changed (weft_controller_subscribe), a Device feed was published, a
 * status was asked for, or the server stops; else only when the next
 * certificate rotation is due. An idle server with thousands of streams
 * thus costs no CPU (docs/adapter-xds.md). */
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "xds_server_int.h"

const double xds_hist_bounds[XDS_HIST_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                  0.5,   1,    2.5,   5,    10,  30};

static int start_batch(struct xds_call *c, grpc_op *ops, size_t n, int op)
{
	if (grpc_call_start_batch(c->call, ops, n, &c->tags[op], NULL) != GRPC_CALL_OK)
		return 0;
	c->outstanding++;
	return 1;
}

static void request_new_call(struct xds_server *s)
{
	struct xds_call *c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->srv = s;
	for (int k = 0; k < XDS_NOPS; k++) {
		c->tags[k].c = c;
		c->tags[k].op = k;
	}
	grpc_call_details_init(&c->details);
	grpc_metadata_array_init(&c->md);
	if (grpc_server_request_call(s->gs, &c->call, &c->details, &c->md, s->cq, s->cq,
	                             &c->tags[XDS_OP_NEW]) != GRPC_CALL_OK) {
		grpc_call_details_destroy(&c->details);
		grpc_metadata_array_destroy(&c->md);
		free(c);
	}
}

static void arm_recv(struct xds_call *c)
{
	grpc_op op = {0};
	op.op = GRPC_OP_RECV_MESSAGE;
	op.data.recv_message.recv_message = &c->recv_bb;
	start_batch(c, &op, 1, XDS_OP_RECV);
}

static void send_status(struct xds_call *c, grpc_status_code code, const char *msg)
{
	grpc_op op = {0};
	grpc_slice details = grpc_slice_from_copied_string(msg);
	op.op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	op.data.send_status_from_server.status = code;
	op.data.send_status_from_server.status_details = &details;
	c->status_sent = 1;
	c->send_busy = start_batch(c, &op, 1, XDS_OP_SEND);
	grpc_slice_unref(details);
}

static void res_slice_unref(void *p)
{
	xds_res_unref(p);
}

static void set_slice_unref(void *p)
{
	xds_resset_unref(p);
}

/* The response as gRPC slices: the header (handed over), then each
 * resource's shared bytes with a reference released by gRPC. */
static grpc_byte_buffer *message_buffer(xds_msg *m)
{
	size_t n = 1 + m->n_res + (m->whole ? 1 : 0), k = 0;
	grpc_slice stack[64], *sl = n <= 64 ? stack : malloc(n * sizeof(*sl));
	if (!sl)
		abort(); /* a few KB; nothing sensible to do without them */
	sl[k++] = grpc_slice_new(m->head, m->head_len, free);
	if (m->whole) /* the message's reference moves to the slice */
		sl[k++] = grpc_slice_new_with_user_data(m->whole->all_sotw, m->whole->bytes,
		                                        set_slice_unref, m->whole);
	for (size_t i = 0; i < m->n_res; i++) {
		xds_res *r = m->res[i]; /* the message's reference moves to the slice */
		sl[k++] = grpc_slice_new_with_user_data(m->delta ? r->delta : r->sotw,
		                                        m->delta ? r->delta_len : r->sotw_len,
		                                        res_slice_unref, r);
	}
	grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(sl, n);
	for (size_t i = 0; i < n; i++)
		grpc_slice_unref(sl[i]);
	if (sl != stack)
		free(sl);
	free(m->res);
	memset(m, 0, sizeof(*m));
	return bb;
}

static void flush(struct xds_call *c)
{
	struct xds_server *s = c->srv;
	if (c->send_busy || c->closed || c->status_sent)
		return;
	if (c->half_closed) {
		send_status(c, GRPC_STATUS_OK, "");
		return;
	}
	if (!c->view)
		return;
	xds_msg m;
	if (xds_stream_next_msg(&c->st, &c->view->src, &m) <= 0)
		return;
	size_t len = xds_msg_len(&m);
	grpc_byte_buffer *bb = message_buffer(&m);
	grpc_op op = {0};
	op.op = GRPC_OP_SEND_MESSAGE;
	op.data.send_message.send_message = bb;
	c->send_busy = start_batch(c, &op, 1, XDS_OP_SEND);
	grpc_byte_buffer_destroy(bb);
	pthread_mutex_lock(&s->mu);
	s->m_pushes++;
	s->m_bytes += len;
	pthread_mutex_unlock(&s->mu);
	s->status_dirty = 1;
}

/* Marks the view; its streams are told once per loop turn by
 * push_changed_views (one pass over the calls however many views
 * changed: a revision re-renders every view of a feed). */
void xds_server_view_changed(struct xds_server *s, struct xds_view *v)
{
	v->changed = 1;
	s->views_changed = 1;
}

static void push_changed_views(struct xds_server *s)
{
	if (!s->views_changed)
		return;
	s->views_changed = 0;
	for (struct xds_call *c = s->calls; c; c = c->next)
		if (c->view && c->view->changed) {
			xds_stream_source_changed(&c->st, &c->view->src);
			flush(c);
		}
	for (struct xds_view *v = s->views; v; v = v->next)
		v->changed = 0;
}

/* Moves streams whose node now belongs to another view (a Device that
 * appeared or changed its nodeMatch): the stream is served from the new
 * view's sets; every subscribed type is re-checked against them. */
static void reassign_views(struct xds_server *s)
{
	for (struct xds_call *c = s->calls; c; c = c->next) {
		if (!c->st.node_id)
			continue;
		struct xds_view *v = xds_view_for_stream(s, &c->st);
		if (v == c->view) {
			xds_view_release(s, v);
			continue;
		}
		xds_view_release(s, c->view);
		c->view = v;
		if (v) {
			xds_stream_source_changed(&c->st, &v->src);
			flush(c);
		}
	}
}

static void on_new(struct xds_call *c, int ok)
{
	struct xds_server *s = c->srv;
	if (!ok)
		return;
	request_new_call(s);
	c->started = 1;
	char *method = grpc_slice_to_c_string(c->details.method);
	int delta = strstr(method, "DeltaAggregatedResources") != NULL;
	int sotw = strstr(method, "StreamAggregatedResources") != NULL;
	gpr_free(method);
	xds_stream_init(&c->st, delta, s->intern);
	c->connect_unix_ms = weft_unix_ms();
	c->next = s->calls;
	if (s->calls)
		s->calls->prev = c;
	s->calls = c;
	s->n_calls++;
	pthread_mutex_lock(&s->mu);
	s->m_streams_total++;
	s->m_connected = s->n_calls;
	pthread_mutex_unlock(&s->mu);
	grpc_op ops[1] = {{0}};
	ops[0].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[0].data.recv_close_on_server.cancelled = &c->cancelled;
	start_batch(c, ops, 1, XDS_OP_CLOSE);
	if (!delta && !sotw) {
		send_status(c, GRPC_STATUS_UNIMPLEMENTED, "weft: unknown method");
		return;
	}
	memset(ops, 0, sizeof(ops));
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	c->send_busy = start_batch(c, ops, 1, XDS_OP_SEND);
	arm_recv(c);
}

/* Seconds from the change being stored (when the controller knows it)
 * or else from the server taking the revision, to now. */
static double convergence_seconds(const struct xds_feed *f)
{
	int64_t stored = f->data ? weft_snapshot_stored_ms(f->data->snap) : 0;
	if (stored > 0) {
		int64_t now = weft_unix_ms();
		return now > stored ? (double)(now - stored) / 1000.0 : 0.0;
	}
	return (double)(weft_mono_ms() - f->updated_ms) / 1000.0;
}

static void note_acks(struct xds_server *s, struct xds_call *c, const xds_typestate *before,
                      int type)
{
	const xds_typestate *t = &c->st.ts[type];
	if (t->acks == before->acks && t->nacks == before->nacks)
		return;
	pthread_mutex_lock(&s->mu);
	if (t->nacks != before->nacks)
		s->m_nacks++;
	if (t->acks != before->acks) {
		s->m_acks++;
		if (c->view && c->view->feed->updated_ms &&
		    !strcmp(t->version_acked, c->view->src.version)) {
			double sec = convergence_seconds(c->view->feed);
			int b = 0;
			while (b < XDS_HIST_BUCKETS && sec > xds_hist_bounds[b])
				b++;
			s->m_hist[b]++;
			s->m_hist_sum += sec;
			s->m_hist_count++;
		}
	}
	pthread_mutex_unlock(&s->mu);
}

static void on_recv(struct xds_call *c, int ok)
{
	struct xds_server *s = c->srv;
	if (!ok)
		return;
	if (!c->recv_bb) { /* client half-closed */
		c->half_closed = 1;
		flush(c);
		return;
	}
	grpc_byte_buffer_reader rd;
	grpc_byte_buffer_reader_init(&rd, c->recv_bb);
	grpc_slice sl = grpc_byte_buffer_reader_readall(&rd);
	grpc_byte_buffer_reader_destroy(&rd);
	grpc_byte_buffer_destroy(c->recv_bb);
	c->recv_bb = NULL;
	int got_node = 0;
	xds_typestate before[XDS_NTYPES];
	memcpy(before, c->st.ts, sizeof(before));
	int type = xds_stream_on_request(&c->st, GRPC_SLICE_START_PTR(sl), GRPC_SLICE_LENGTH(sl),
	                                 weft_unix_ms(), &got_node);
	grpc_slice_unref(sl);
	if (got_node && !c->view)
		c->view = xds_view_for_stream(s, &c->st);
	if (type >= 0)
		note_acks(s, c, &before[type], type);
	s->status_dirty = 1;
	flush(c);
	if (!c->closed)
		arm_recv(c);
}

static void free_call(struct xds_server *s, struct xds_call *c)
{
	if (c->started) {
		if (c->prev)
			c->prev->next = c->next;
		else
			s->calls = c->next;
		if (c->next)
			c->next->prev = c->prev;
		s->n_calls--;
		xds_view_release(s, c->view);
		xds_stream_free(&c->st);
		pthread_mutex_lock(&s->mu);
		s->m_connected = s->n_calls;
		pthread_mutex_unlock(&s->mu);
		s->status_dirty = 1;
	}
	if (c->recv_bb)
		grpc_byte_buffer_destroy(c->recv_bb);
	if (c->call)
		grpc_call_unref(c->call);
	grpc_call_details_destroy(&c->details);
	grpc_metadata_array_destroy(&c->md);
	free(c);
}

static void on_event(struct xds_server *s, struct xds_tag *tg, int ok)
{
	struct xds_call *c = tg->c;
	if (tg->op != XDS_OP_NEW)
		c->outstanding--;
	switch (tg->op) {
	case XDS_OP_NEW:
		on_new(c, ok);
		if (!ok) {
			free_call(s, c);
			return;
		}
		break;
	case XDS_OP_RECV:
		on_recv(c, ok);
		break;
	case XDS_OP_SEND:
		c->send_busy = 0;
		flush(c);
		break;
	case XDS_OP_CLOSE:
		c->closed = 1;
		break;
	}
	if (c->closed && c->outstanding == 0)
		free_call(s, c);
}

/* with_config: every proxy's config dump too (a dump of 1,000 proxies
 * holding 7,000 resources each is 7 million JSON objects: only when asked). */
static void build_status(struct xds_server *s, int with_config)
{
	json_t *proxies = json_array();
	for (struct xds_call *c = s->calls; c; c = c->next) {
		json_t *p = json_pack(
		        "{s:s,s:s,s:s,s:I,s:o,s:I}", "node", c->st.node_id ? c->st.node_id : "",
		        "view", c->view ? c->view->key : "", "mode", c->st.delta ? "delta" : "sotw",
		        "connected_unix_ms", (json_int_t)c->connect_unix_ms, "types",
		        xds_stream_status(&c->st), "stale_requests",
		        (json_int_t)c->st.stale_requests);
		if (p && with_config)
			json_object_set_new(p, "config", xds_stream_config_dump(&c->st));
		json_array_append_new(proxies, p);
	}
	json_t *st =
	        json_pack("{s:s,s:I,s:o,s:o}", "listen", s->listen, "streams",
	                  (json_int_t)s->n_calls, "views", xds_views_status(s), "proxies", proxies);
	pthread_mutex_lock(&s->mu);
	json_decref(s->status);
	s->status = st;
	pthread_mutex_unlock(&s->mu);
	s->status_dirty = 0;
}

void xds_server_wake(struct xds_server *s)
{
	if (atomic_exchange(&s->wake_pending, 1))
		return; /* a wake is on its way: the thread will see this too */
	s->wake_call = grpc_channel_create_call(s->waker, NULL, GRPC_PROPAGATE_DEFAULTS, s->cq,
	                                        grpc_slice_from_static_string("/weft.Wake/Wake"),
	                                        NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	grpc_op ops[2] = {0};
	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[1].data.recv_status_on_client.status = &s->wake_status;
	ops[1].data.recv_status_on_client.status_details = &s->wake_details;
	ops[1].data.recv_status_on_client.trailing_metadata = &s->wake_md;
	if (!s->wake_call ||
	    grpc_call_start_batch(s->wake_call, ops, 2, &s->wake_tag, NULL) != GRPC_CALL_OK) {
		if (s->wake_call)
			grpc_call_unref(s->wake_call);
		s->wake_call = NULL;
		atomic_store(&s->wake_pending, 0); /* the rotation timer still runs */
	}
}

/* The wake call came back: free it; a later wake starts a new one. */
static void wake_done(struct xds_server *s)
{
	if (s->wake_call)
		grpc_call_unref(s->wake_call);
	s->wake_call = NULL;
	grpc_slice_unref(s->wake_details);
	s->wake_details = grpc_empty_slice();
	grpc_metadata_array_destroy(&s->wake_md);
	grpc_metadata_array_init(&s->wake_md);
	atomic_store(&s->wake_pending, 0);
}

static void on_intent_changed(void *arg)
{
	struct xds_server *s = arg;
	atomic_store(&s->intent_dirty, 1);
	xds_server_wake(s);
}

/* How long the thread may sleep: until the next certificate rotation
 * (checked at least every minute, at most every second). */
static int64_t sleep_ms(const struct xds_server *s, int stopping)
{
	if (stopping)
		return 100;
	int64_t next = xds_views_next_rotation(s), now = (int64_t)time(NULL);
	int64_t ms = next == INT64_MAX ? 60000 : (next - now) * 1000;
	return ms < 1000 ? 1000 : ms > 60000 ? 60000 : ms;
}

/* Answers a pending xds_server_unacked request. Server thread. */
static void answer_unacked(struct xds_server *s)
{
	pthread_mutex_lock(&s->mu);
	uint64_t want = s->ack_req;
	char *feed = s->ack_feed ? strdup(s->ack_feed) : NULL;
	pthread_mutex_unlock(&s->mu);
	if (want == s->ack_done)
		goto out;
	json_t *out = json_object();
	for (struct xds_call *c = s->calls; feed && c; c = c->next)
		if (c->view && c->view->feed && !strcmp(c->view->feed->id, feed))
			xds_stream_unacked(&c->st, c->st.node_id ? c->st.node_id : "?", out);
	pthread_mutex_lock(&s->mu);
	json_decref(s->ack_result);
	s->ack_result = out;
	s->ack_done = want;
	pthread_cond_broadcast(&s->status_cond);
	pthread_mutex_unlock(&s->mu);
out:
	free(feed);
}

json_t *xds_server_unacked(struct xds_server *s, const char *device_id, weft_err *err)
{
	pthread_mutex_lock(&s->ack_mu);
	pthread_mutex_lock(&s->mu);
	free(s->ack_feed);
	s->ack_feed = strdup(device_id);
	uint64_t want = ++s->ack_req;
	xds_server_wake(s);
	struct timespec until = weft_deadline_ms(2000);
	while (s->ack_done < want && !atomic_load(&s->stop))
		if (pthread_cond_timedwait(&s->status_cond, &s->mu, &until))
			break;
	json_t *out = s->ack_done >= want ? json_incref(s->ack_result) : NULL;
	pthread_mutex_unlock(&s->mu);
	pthread_mutex_unlock(&s->ack_mu);
	if (!out)
		weft_err_set(err, "device %s: the xDS server did not say what its proxies ACKed",
		             device_id);
	return out;
}

static void *serve(void *arg)
{
	struct xds_server *s = arg;
	int shutdown_tag, stopping = 0, shut = 0;
	request_new_call(s);
	while (!(stopping && shut && !s->calls)) {
		grpc_event ev = grpc_completion_queue_next(
		        s->cq,
		        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
		                     gpr_time_from_millis(sleep_ms(s, stopping), GPR_TIMESPAN)),
		        NULL);
		if (ev.type == GRPC_OP_COMPLETE) {
			if (ev.tag == &shutdown_tag)
				shut = 1;
			else if (ev.tag == &s->wake_tag)
				wake_done(s);
			else
				on_event(s, ev.tag, ev.success != 0);
		}
		int64_t now = weft_mono_ms();
		if (!stopping) {
			if (xds_views_take_pending(s))
				reassign_views(s);
			if (atomic_exchange(&s->intent_dirty, 0))
				xds_views_follow_default(s);
			if (now - s->last_rotate_ms >= 1000) {
				s->last_rotate_ms = now;
				xds_views_rotate(s);
			}
			push_changed_views(s);
		}
		/* Status (with every proxy's config dump) is built only when
		 * asked for (xds_server_status), by this thread, which owns the
		 * streams. */
		pthread_mutex_lock(&s->mu);
		uint64_t want = s->status_req;
		int with_config = s->status_want_config;
		s->status_want_config = 0;
		pthread_mutex_unlock(&s->mu);
		answer_unacked(s);
		if (want != s->status_done) {
			build_status(s, with_config);
			pthread_mutex_lock(&s->mu);
			s->status_done = want;
			pthread_cond_broadcast(&s->status_cond);
			pthread_mutex_unlock(&s->mu);
		}
		if (atomic_load(&s->stop) && !stopping) {
			stopping = 1;
			grpc_server_shutdown_and_notify(s->gs, s->cq, &shutdown_tag);
			grpc_server_cancel_all_calls(s->gs);
		}
	}
	return NULL;
}

static char *read_pem(const char *path, weft_err *err)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0;
	if (f) {
		FILE *m = open_memstream(&buf, &len);
		char chunk[4096];
		size_t n;
		while (m && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			fwrite(chunk, 1, n, m);
		if (m)
			fclose(m);
		fclose(f);
	}
	if (!buf || !len) {
		free(buf);
		weft_err_set(err, "xds: cannot read %s", path);
		return NULL;
	}
	return buf;
}

/* Plaintext, TLS, or mTLS (client certificates required and verified). */
static grpc_server_credentials *server_credentials(const xds_server_opts *o, weft_err *err)
{
	if (!o->tls_cert_file && !o->tls_key_file)
		return grpc_insecure_server_credentials_create();
	if (!o->tls_cert_file || !o->tls_key_file) {
		weft_err_set(err, "xds: TLS needs both a certificate and a key file");
		return NULL;
	}
	char *cert = read_pem(o->tls_cert_file, err);
	char *key = cert ? read_pem(o->tls_key_file, err) : NULL;
	char *ca = key && o->tls_client_ca_file ? read_pem(o->tls_client_ca_file, err) : NULL;
	grpc_server_credentials *c = NULL;
	if (cert && key && (ca || !o->tls_client_ca_file)) {
		grpc_ssl_pem_key_cert_pair pair = {key, cert};
		c = grpc_ssl_server_credentials_create_ex(
		        ca, &pair, 1,
		        ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
		           : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
		        NULL);
		if (!c)
			weft_err_set(err, "xds: TLS credentials refused by gRPC (%s)",
			             o->tls_cert_file);
	}
	free(cert);
	free(key);
	free(ca);
	return c;
}

xds_server *xds_server_start(weft_controller *c, const char *listen_addr,
                             const xds_server_opts *opts, weft_err *err)
{
	struct xds_server *s = calloc(1, sizeof(*s));
	if (!s)
		return weft_err_set(err, "xds: out of memory"), NULL;
	s->ctl = c;
	if (opts)
		s->opts = *opts;
	if (s->opts.cert_ttl_s <= 0)
		s->opts.cert_ttl_s = 86400;
	if (!(s->ca = xds_ca_new(365 * 86400LL, err))) {
		free(s);
		return NULL;
	}
	snprintf(s->listen, sizeof(s->listen), "%s", listen_addr);
	pthread_mutex_init(&s->mu, NULL);
	pthread_mutex_init(&s->ack_mu, NULL);
	weft_cond_init(&s->status_cond); /* monotonic deadlines (clock.h) */
	s->intern = xds_intern_new();
	s->device_feeds = json_object();
	grpc_init();
	s->cq = grpc_completion_queue_create_for_next(NULL);
	/* gRPC servers set TCP_USER_TIMEOUT to the keepalive timeout (20 s by
	 * default), and Linux then aborts a connection whose peer has kept a
	 * zero receive window that long: a proxy busy applying a large push
	 * (thousands of streams on one HTTP/2 connection) was reset and
	 * reconnected, starting the push over. A proxy is dropped only after
	 * XDS_SLOW_READER_MS without reading. */
	grpc_arg arg[2] = {
	        {.type = GRPC_ARG_INTEGER,
	         .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
	         .value.integer = 16 << 20},
	        {.type = GRPC_ARG_INTEGER,
	         .key = GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
	         .value.integer = XDS_SLOW_READER_MS},
	};
	grpc_channel_args args = {2, arg};
	s->gs = grpc_server_create(&args, NULL);
	grpc_server_register_completion_queue(s->gs, s->cq, NULL);
	grpc_server_credentials *creds = server_credentials(&s->opts, err);
	if (!creds)
		goto fail;
	s->port = grpc_server_add_http2_port(s->gs, listen_addr, creds);
	grpc_server_credentials_release(creds);
	if (!s->port) {
		weft_err_set(err, "xds: cannot listen on %s", listen_addr);
		goto fail;
	}
	s->wake_details = grpc_empty_slice();
	grpc_metadata_array_init(&s->wake_md);
	s->waker = grpc_lame_client_channel_create("weft-xds-wake", GRPC_STATUS_UNAVAILABLE,
	                                           "xds wake");
	/* The first loop picks up the intent as it is now; later ones when
	 * the controller says it changed. */
	atomic_store(&s->intent_dirty, 1);
	if (c && !s->opts.no_default_feed &&
	    (s->sub_id = weft_controller_subscribe(c, on_intent_changed, s)) < 0) {
		s->sub_id = 0;
		weft_err_set(err, "xds: out of memory");
		goto fail;
	}
	grpc_server_start(s->gs);
	if (pthread_create(&s->thread, NULL, serve, s)) {
		weft_err_set(err, "xds: cannot start the server thread");
		grpc_server_shutdown_and_notify(s->gs, s->cq, NULL);
		goto fail;
	}
	return s;
fail:
	if (s->sub_id)
		weft_controller_unsubscribe(c, s->sub_id);
	if (s->waker)
		grpc_channel_destroy(s->waker);
	grpc_metadata_array_destroy(&s->wake_md);
	grpc_server_destroy(s->gs);
	grpc_completion_queue_shutdown(s->cq);
	while (grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
	       GRPC_QUEUE_SHUTDOWN)
		;
	grpc_completion_queue_destroy(s->cq);
	xds_intern_free(s->intern);
	xds_ca_free(s->ca);
	json_decref(s->device_feeds);
	pthread_cond_destroy(&s->status_cond);
	pthread_mutex_destroy(&s->ack_mu);
	pthread_mutex_destroy(&s->mu);
	free(s);
	grpc_shutdown();
	return NULL;
}

void xds_server_stop(xds_server *s)
{
	if (!s)
		return;
	if (s->sub_id) /* no notification may reach a server being freed */
		weft_controller_unsubscribe(s->ctl, s->sub_id);
	atomic_store(&s->stop, 1);
	xds_server_wake(s);
	pthread_join(s->thread, NULL);
	grpc_server_destroy(s->gs);
	grpc_completion_queue_shutdown(s->cq);
	for (;;) {
		grpc_event ev =
		        grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type == GRPC_OP_COMPLETE && ev.tag == &s->wake_tag) {
			wake_done(s);
		} else if (ev.type == GRPC_OP_COMPLETE && ev.tag) {
			struct xds_tag *tg = ev.tag;
			if (tg->op == XDS_OP_NEW)
				free_call(s, tg->c);
		}
	}
	grpc_completion_queue_destroy(s->cq);
	grpc_channel_destroy(s->waker);
	grpc_slice_unref(s->wake_details);
	grpc_metadata_array_destroy(&s->wake_md);
	xds_views_free(s);
	while (s->pending) {
		struct xds_pending_feed *p = s->pending;
		s->pending = p->next;
		xds_feed_data_free(p->data);
		free(p->id);
		free(p);
	}
	xds_intern_free(s->intern);
	xds_ca_free(s->ca);
	json_decref(s->status);
	json_decref(s->ack_result);
	free(s->ack_feed);
	json_decref(s->device_feeds);
	pthread_cond_destroy(&s->status_cond);
	pthread_mutex_destroy(&s->ack_mu);
	pthread_mutex_destroy(&s->mu);
	free(s);
	grpc_shutdown();
}

int xds_server_port(const xds_server *s)
{
	return s ? s->port : 0;
}

json_t *xds_server_status(xds_server *s, int with_config)
{
	pthread_mutex_lock(&s->mu);
	uint64_t want = ++s->status_req;
	s->status_want_config |= with_config;
	xds_server_wake(s);
	struct timespec until = weft_deadline_ms(2000);
	while (s->status_done < want && !atomic_load(&s->stop))
		if (pthread_cond_timedwait(&s->status_cond, &s->mu, &until))
			break; /* timeout: the previous status, marked stale below */
	json_t *st = s->status ? json_deep_copy(s->status) : json_object();
	json_object_set_new(st, "listen", json_string(s->listen));
	json_object_set_new(st, "connected", json_integer((json_int_t)s->m_connected));
	json_object_set_new(st, "devices", json_deep_copy(s->device_feeds));
	json_object_set_new(st, "stale", json_boolean(s->status_done < want));
	pthread_mutex_unlock(&s->mu);
	return st;
}

char *xds_server_metrics(xds_server *s)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	pthread_mutex_lock(&s->mu);
	fprintf(f, "# TYPE weft_xds_connected_proxies gauge\nweft_xds_connected_proxies %zu\n",
	        s->m_connected);
	fprintf(f, "# TYPE weft_xds_streams_total counter\nweft_xds_streams_total %llu\n",
	        (unsigned long long)s->m_streams_total);
	fprintf(f, "# TYPE weft_xds_pushes_total counter\nweft_xds_pushes_total %llu\n",
	        (unsigned long long)s->m_pushes);
	fprintf(f, "# TYPE weft_xds_push_bytes_total counter\nweft_xds_push_bytes_total %llu\n",
	        (unsigned long long)s->m_bytes);
	fprintf(f, "# TYPE weft_xds_acks_total counter\nweft_xds_acks_total %llu\n",
	        (unsigned long long)s->m_acks);
	fprintf(f, "# TYPE weft_xds_nacks_total counter\nweft_xds_nacks_total %llu\n",
	        (unsigned long long)s->m_nacks);
	fprintf(f, "# TYPE weft_xds_convergence_seconds histogram\n");
	uint64_t cum = 0;
	for (int b = 0; b < XDS_HIST_BUCKETS; b++) {
		cum += s->m_hist[b];
		fprintf(f, "weft_xds_convergence_seconds_bucket{le=\"%g\"} %llu\n",
		        xds_hist_bounds[b], (unsigned long long)cum);
	}
	cum += s->m_hist[XDS_HIST_BUCKETS];
	fprintf(f, "weft_xds_convergence_seconds_bucket{le=\"+Inf\"} %llu\n",
	        (unsigned long long)cum);
	fprintf(f, "weft_xds_convergence_seconds_sum %g\nweft_xds_convergence_seconds_count %llu\n",
	        s->m_hist_sum, (unsigned long long)s->m_hist_count);
	pthread_mutex_unlock(&s->mu);
	fclose(f);
	return out;
}

void xds_server_publish(struct xds_server *s, const char *device_id, xds_feed_data *data)
{
	struct xds_pending_feed *p = calloc(1, sizeof(*p));
	if (!p || !(p->id = strdup(device_id))) {
		free(p);
		xds_feed_data_free(data);
		return;
	}
	p->data = data;
	pthread_mutex_lock(&s->mu);
	struct xds_pending_feed **pp = &s->pending;
	while (*pp)
		pp = &(*pp)->next;
	*pp = p;
	pthread_mutex_unlock(&s->mu);
	xds_server_wake(s);
}
