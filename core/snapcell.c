/* Lock-free snapshot publication; see snapcell.h for the scheme. All
 * atomics are sequentially consistent: the order "swap pointer, then flip
 * generation" on the writer side and "count in, then load pointer" on the
 * reader side is what makes reclamation safe. */
#include "snapcell.h"

#include <sched.h>

void weft_snapcell_init(weft_snapcell *cell)
{
	atomic_init(&cell->current, NULL);
	atomic_init(&cell->generation, 0);
	atomic_init(&cell->readers[0], 0);
	atomic_init(&cell->readers[1], 0);
}

weft_snapshot *weft_snapcell_get(weft_snapcell *cell)
{
	unsigned idx = atomic_load(&cell->generation) & 1;
	atomic_fetch_add(&cell->readers[idx], 1);
	weft_snapshot *s = weft_snapshot_ref(atomic_load(&cell->current));
	atomic_fetch_sub(&cell->readers[idx], 1);
	return s;
}

void weft_snapcell_publish(weft_snapcell *cell, weft_snapshot *snap)
{
	weft_snapshot *old = atomic_exchange(&cell->current, snap);
	/* Flip twice, draining the counter each flip leaves behind: after
	 * the first flip new readers count in the other slot, so the drained
	 * slot empties quickly; the second flip catches readers that counted
	 * in with a generation read before the first flip. Any reader that
	 * could have loaded the old pointer has taken its reference once both
	 * slots have been seen empty. */
	for (int round = 0; round < 2; round++) {
		unsigned idx = atomic_fetch_add(&cell->generation, 1) & 1;
		while (atomic_load(&cell->readers[idx]) != 0)
			sched_yield();
	}
	weft_snapshot_unref(old);
}

void weft_snapcell_clear(weft_snapcell *cell)
{
	weft_snapcell_publish(cell, NULL);
}
