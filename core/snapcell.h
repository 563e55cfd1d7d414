/* Snapshot publication: one writer (the core thread) swaps the current
 * snapshot pointer atomically; any number of readers (API threads, device
 * workers, xDS streams) take a reference without ever taking a lock.
 *
 * Safe reclamation uses two reader counters selected by a generation bit
 * (a minimal SRCU): a reader increments the counter of the current
 * generation, loads the pointer, takes a reference, decrements. The writer
 * swaps the pointer, then flips the generation twice, each time waiting for
 * the slot just left to drain (readers hold it for a few instructions), then
 * drops its reference to the old snapshot. Readers never wait; only the writer may. */
#ifndef WEFT_SNAPCELL_H
#define WEFT_SNAPCELL_H

#include <stdatomic.h>

#include "snapshot.h"

typedef struct weft_snapcell {
	_Atomic(weft_snapshot *) current;
	atomic_uint generation;
	atomic_uint readers[2];
} weft_snapcell;

void weft_snapcell_init(weft_snapcell *cell);
/* Publishes snap (the cell takes over the caller's reference) and releases
 * the previous one once no reader can still be taking it. Single writer. */
void weft_snapcell_publish(weft_snapcell *cell, weft_snapshot *snap);
/* A new reference to the current snapshot, or NULL. Lock-free. */
weft_snapshot *weft_snapcell_get(weft_snapcell *cell);
/* Drops the cell's snapshot (at shutdown, when no reader is left). */
void weft_snapcell_clear(weft_snapcell *cell);

#endif
