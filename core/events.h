/* The controller's event stream: revisions committed, device state
 * changes, transactions. A bounded ring (the newest WEFT_EVENTS_KEEP
 * events) with sequence numbers, so that followers (GET /v1/events,
 * weftctl events) can wait for what comes after the last event they saw
 * and resume after a reconnect. Internal to core/; the public calls are in
 * controller.h. */
#ifndef WEFT_EVENTS_H
#define WEFT_EVENTS_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#define WEFT_EVENTS_KEEP 1024

struct weft_event {
	uint64_t seq;
	int64_t time_ms; /* unix milliseconds */
	char *type;      /* "revision", "device", "transaction" */
	json_t *data;
};

struct weft_event_bus {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct weft_event ring[WEFT_EVENTS_KEEP];
	uint64_t next_seq; /* sequence number of the next event (first is 1) */
	int closed;
};

int events_init(struct weft_event_bus *bus);
void events_destroy(struct weft_event_bus *bus);
/* Appends an event; takes the reference to data. Safe from any thread,
 * also with the controller's mu held (lock order: mu, then the bus). */
void events_emit(struct weft_event_bus *bus, const char *type, json_t *data);
/* Wakes every waiter for good (at shutdown). */
void events_close(struct weft_event_bus *bus);
/* Events with seq > after, waiting up to timeout_ms for the first one.
 * Returns a JSON array of {"seq","time","type","data"} (maybe empty) and
 * sets *closed when the bus is closed. */
json_t *events_since(struct weft_event_bus *bus, uint64_t after, int timeout_ms, int *closed);
/* The sequence number of the newest event (0 when none). */
uint64_t events_last(struct weft_event_bus *bus);

#endif
