/* GET /v1/events: the controller's events as server-sent events
 * (text/event-stream), one per revision stored, device status change and
 * transaction:
 *
 *   id: 42
 *   event: device
 *   data: {"name":"infra/lb-a","state":"in-sync",...}
 *
 * A follower resumes with ?since=ID (the last id it saw); without it the
 * stream starts with the next event. Ids are monotonic across restarts;
 * when events after ID are no longer held, the stream says so first:
 *
 *   id: 1000
 *   event: gap
 *   data: {"from":501,"to":1000,"missed":500}
 *
 * and an ID newer than the newest event is refused (400), since nothing
 * would ever follow it. A comment line is sent every 15 s of
 * silence so that proxies and clients keep the connection. The stream ends
 * when weftd stops. The server runs a thread per connection, so the reader
 * below may block (in 1 s slices, to notice shutdown). */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api-int.h"

#define KEEPALIVE_MS 15000

struct sse_state {
	weft_controller *controller;
	atomic_int *stopping;
	uint64_t after;
	char *buf; /* formatted, not yet sent */
	size_t len, off;
	int idle_ms;
};

/* Formats events into st->buf (replacing what was there). */
static void format_events(struct sse_state *st, json_t *events)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e)
	{
		/* The time the event happened goes into its data as time_ms (unix
		 * ms), so a follower replaying with since= shows when, not when it
		 * received it. A gap is a notice, not an event: no time. A copy:
		 * the controller's data is shared. */
		json_t *d = json_object_get(e, "data");
		const char *type = json_string_value(json_object_get(e, "type"));
		int stamp = json_is_object(d) && type && strcmp(type, "gap");
		json_t *timed = stamp ? json_copy(d) : json_incref(d);
		if (stamp && !json_object_get(timed, "time_ms"))
			json_object_set(timed, "time_ms", json_object_get(e, "time"));
		char *data = json_dumps(timed, JSON_COMPACT);
		json_decref(timed);
		fprintf(mem, "id: %lld\nevent: %s\ndata: %s\n\n",
		        (long long)json_integer_value(json_object_get(e, "seq")),
		        json_string_value(json_object_get(e, "type")), data ? data : "null");
		free(data);
		st->after = (uint64_t)json_integer_value(json_object_get(e, "seq"));
	}
	fclose(mem);
	free(st->buf);
	st->buf = out;
	st->len = len;
	st->off = 0;
}

static ssize_t sse_read(void *cls, uint64_t pos, char *dst, size_t max)
{
	struct sse_state *st = cls;
	(void)pos;
	while (st->off == st->len) {
		if (atomic_load(st->stopping))
			return MHD_CONTENT_READER_END_OF_STREAM;
		json_t *r = weft_controller_events(st->controller, st->after, 1000);
		json_t *events = json_object_get(r, "events");
		int closed = json_is_true(json_object_get(r, "closed"));
		if (json_array_size(events) > 0) {
			format_events(st, events);
			st->idle_ms = 0;
		} else if ((st->idle_ms += 1000) >= KEEPALIVE_MS) {
			free(st->buf);
			st->buf = strdup(": keepalive\n\n");
			st->len = st->buf ? strlen(st->buf) : 0;
			st->off = 0;
			st->idle_ms = 0;
		}
		json_decref(r);
		if (closed && st->off == st->len)
			return MHD_CONTENT_READER_END_OF_STREAM;
	}
	size_t n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(dst, st->buf + st->off, n);
	st->off += n;
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	struct sse_state *st = cls;
	free(st->buf);
	free(st);
}

struct MHD_Response *api_events_response(weft_controller *c, atomic_int *stopping, uint64_t after)
{
	struct sse_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->controller = c;
	st->stopping = stopping;
	st->after = after;
	/* A first comment makes the headers go out at once. */
	st->buf = strdup(": weft events\n\n");
	st->len = st->buf ? strlen(st->buf) : 0;
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024,
	                                                           sse_read, st, sse_free);
	if (!r)
		sse_free(st);
	return r;
}

void api_handle_events(api_ctx *ctx, const api_request *req, const api_route *route,
                       const api_caller *who, api_response *resp)
{
	int64_t since;
	int64_t last = (int64_t)weft_controller_events_last(ctx->controller);
	if (api_query_int(req, "since", last, &since) != 0) {
		api_reply_error(resp, 400, "since: expected an event id");
		return;
	}
	if (since > last) {
		api_reply_error(resp, 400,
		                "since: no event %lld yet (the newest is %lld; ids are kept across "
		                "restarts, so this id comes from another weftd or state directory)",
		                (long long)since, (long long)last);
		return;
	}
	resp->status = 200;
	resp->content_type = "text/event-stream";
	resp->events_stream = 1;
	resp->events_after = (uint64_t)since;
}
