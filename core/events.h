/* The controller's event stream: revisions committed, device state
 * changes, transactions. A bounded ring (the newest WEFT_EVENTS_KEEP
 * events) with sequence numbers, so that followers (GET /v1/events,
 * weftctl events) can wait for what comes after the last event they saw
 * and resume after a reconnect.
 *
 * Ids stay monotonic across restarts: the bus keeps a high-water mark in
 * the state directory (events.seq), reserved a block ahead so that a
 * crash skips ids rather than reusing them, and written exactly at a clean
 * shutdown. A follower that asks for events the bus no longer holds
 * (pushed out of the ring, or sent by an earlier process) is told so by a
 * "gap" entry with the missing range, never silently resumed later
 * (docs/api.md). Internal to core/; the public calls are in controller.h. */
#ifndef WEFT_EVENTS_H
#define WEFT_EVENTS_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "diag.h"

#define WEFT_EVENTS_KEEP 1024
/* Ids reserved in events.seq ahead of use (one file write per block). */
#define WEFT_EVENTS_RESERVE 4096

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
	uint64_t next_seq;  /* sequence number of the next event (first is 1) */
	uint64_t first_seq; /* the first id of this process: older ones are gone */
	uint64_t reserved;  /* ids up to this one are reserved in seq_path */
	char *seq_path;     /* NULL: ids are not persisted */
	int closed;
};

int events_init(struct weft_event_bus *bus);
/* Continues the ids kept in path (a file in the state directory; missing:
 * start at 1) and reserves the next block there. 0, or -1 with err set
 * (unreadable or malformed file, cannot write). Call before any emit. */
int events_persist(struct weft_event_bus *bus, const char *path, weft_err *err);
/* Writes the exact last id (when persisted) and frees everything. */
void events_destroy(struct weft_event_bus *bus);
/* Appends an event; takes the reference to data. Safe from any thread,
 * also with the controller's mu held (lock order: mu, then the bus). */
void events_emit(struct weft_event_bus *bus, const char *type, json_t *data);
/* Wakes every waiter for good (at shutdown). */
void events_close(struct weft_event_bus *bus);
/* Events with seq > after, waiting up to timeout_ms for the first one.
 * Returns a JSON array of {"seq","time","type","data"} (maybe empty) and
 * sets *closed when the bus is closed. When events after `after` are no
 * longer held, the array starts with {"seq": TO, "type": "gap", "data":
 * {"from": FROM, "to": TO, "missed": N}}: ids FROM..TO are lost (dropped
 * from the ring, from an earlier run, or skipped after a crash). */
json_t *events_since(struct weft_event_bus *bus, uint64_t after, int timeout_ms, int *closed);
/* The sequence number of the newest event (0 when none). */
uint64_t events_last(struct weft_event_bus *bus);

#endif
