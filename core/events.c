/* The controller's event ring, its waiters, and the persisted id
 * high-water mark. See events.h. */
#include "clock.h"
#include "events.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int events_init(struct weft_event_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	bus->next_seq = 1;
	bus->first_seq = 1;
	if (pthread_mutex_init(&bus->mu, NULL))
		return -1;
	return weft_cond_init(&bus->cond) ? -1 : 0;
}

/* Writes "N\n" to path through a temp file and rename, so that a crash
 * leaves the old mark or the new one, never a torn file. 0 or -1. */
static int write_mark(const char *path, uint64_t mark)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -1;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	int bad = fprintf(f, "%" PRIu64 "\n", mark) < 0;
	bad |= fclose(f) != 0;
	if (bad || rename(tmp, path) != 0) {
		remove(tmp);
		return -1;
	}
	return 0;
}

int events_persist(struct weft_event_bus *bus, const char *path, weft_err *err)
{
	uint64_t last = 0;
	FILE *f = fopen(path, "r");
	if (f) {
		char line[64] = "", *end = NULL;
		int ok = fgets(line, sizeof(line), f) != NULL;
		fclose(f);
		errno = 0;
		unsigned long long v = ok ? strtoull(line, &end, 10) : 0;
		if (!ok || errno || end == line || (*end && *end != '\n') || line[0] == '-')
			return weft_err_set(err, "%s: expected the last event id (a number)", path);
		last = v;
	} else if (errno != ENOENT) {
		return weft_err_set(err, "%s: %s", path, strerror(errno));
	}
	bus->seq_path = strdup(path);
	if (!bus->seq_path)
		return weft_err_set(err, "%s: out of memory", path);
	bus->next_seq = bus->first_seq = last + 1;
	bus->reserved = last + WEFT_EVENTS_RESERVE;
	if (write_mark(path, bus->reserved) != 0)
		return weft_err_set(err, "%s: cannot write: %s", path, strerror(errno));
	return 0;
}

void events_destroy(struct weft_event_bus *bus)
{
	/* Exact at a clean stop: the next run continues with the next id. */
	if (bus->seq_path)
		write_mark(bus->seq_path, bus->next_seq - 1);
	free(bus->seq_path);
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
	/* Reserve the next block before using an id beyond this one. On a
	 * failed write the id is used anyway (the stream goes on); the write
	 * is retried at the next event. */
	if (bus->seq_path && bus->next_seq > bus->reserved &&
	    write_mark(bus->seq_path, bus->next_seq + WEFT_EVENTS_RESERVE - 1) == 0)
		bus->reserved = bus->next_seq + WEFT_EVENTS_RESERVE - 1;
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
	/* Events older than the ring, or than this process, are gone: say
	 * which, then start at the oldest kept. */
	uint64_t first = after + 1, oldest = bus->first_seq;
	if (bus->next_seq > WEFT_EVENTS_KEEP && oldest < bus->next_seq - WEFT_EVENTS_KEEP)
		oldest = bus->next_seq - WEFT_EVENTS_KEEP;
	if (first < oldest) {
		json_array_append_new(out, json_pack("{s:I, s:I, s:s, s:{s:I, s:I, s:I}}", "seq",
		                                     (json_int_t)(oldest - 1), "time",
		                                     (json_int_t)weft_unix_ms(), "type", "gap",
		                                     "data", "from", (json_int_t)first, "to",
		                                     (json_int_t)(oldest - 1), "missed",
		                                     (json_int_t)(oldest - first)));
		first = oldest;
	}
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
