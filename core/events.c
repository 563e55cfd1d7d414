/* The controller's event ring and its waiters. See events.h. */
#include "clock.h"
#include "events.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int events_init(struct weft_event_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	bus->next_seq = 1;
	if (pthread_mutex_init(&bus->mu, NULL))
		return -1;
	return weft_cond_init(&bus->cond) ? -1 : 0;
}

void events_destroy(struct weft_event_bus *bus)
{
	for (size_t i = 0; i < WEFT_EVENTS_KEEP; i++) {
		free(bus->ring[i].type);
		json_decref(bus->ring[i].data);
	}
	pthread_mutex_destroy(&bus->mu);
	pthread_cond_destroy(&bus->cond);
}

void events_emit(struct weft_event_bus *bus, const char *type, json_t *data)
{
	pthread_mutex_lock(&bus->mu);
	struct weft_event *e = &bus->ring[bus->next_seq % WEFT_EVENTS_KEEP];
	free(e->type);
	json_decref(e->data);
	e->seq = bus->next_seq++;
	e->time_ms = weft_unix_ms();
	e->type = strdup(type);
	e->data = data;
	pthread_cond_broadcast(&bus->cond);
	pthread_mutex_unlock(&bus->mu);
}

void events_close(struct weft_event_bus *bus)
{
	pthread_mutex_lock(&bus->mu);
	bus->closed = 1;
	pthread_cond_broadcast(&bus->cond);
	pthread_mutex_unlock(&bus->mu);
}

uint64_t events_last(struct weft_event_bus *bus)
{
	pthread_mutex_lock(&bus->mu);
	uint64_t last = bus->next_seq - 1;
	pthread_mutex_unlock(&bus->mu);
	return last;
}

json_t *events_since(struct weft_event_bus *bus, uint64_t after, int timeout_ms, int *closed)
{
	struct timespec until = weft_deadline_ms(timeout_ms);
	json_t *out = json_array();
	pthread_mutex_lock(&bus->mu);
	while (!bus->closed && bus->next_seq - 1 <= after)
		if (pthread_cond_timedwait(&bus->cond, &bus->mu, &until) == ETIMEDOUT)
			break;
	/* Events older than the ring are gone: start at the oldest kept. */
	uint64_t first = after + 1;
	if (bus->next_seq > WEFT_EVENTS_KEEP && first < bus->next_seq - WEFT_EVENTS_KEEP)
		first = bus->next_seq - WEFT_EVENTS_KEEP;
	for (uint64_t s = first; s < bus->next_seq; s++) {
		struct weft_event *e = &bus->ring[s % WEFT_EVENTS_KEEP];
		json_array_append_new(
		        out, json_pack("{s:I, s:I, s:s, s:O}", "seq", (json_int_t)e->seq, "time",
		                       (json_int_t)e->time_ms, "type", e->type, "data", e->data));
	}
	*closed = bus->closed;
	pthread_mutex_unlock(&bus->mu);
	return out;
}
