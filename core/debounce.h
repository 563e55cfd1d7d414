/* Debounce of policy changes before compiling a snapshot: compile once the
 * changes have been quiet for quiet_ms, but never later than max_delay_ms
 * after the first pending change (so a steady trickle of endpoint updates
 * still gets pushed). Pure logic over a caller-supplied clock, so tests
 * drive time by hand; the controller's core thread uses it. */
#ifndef WEFT_DEBOUNCE_H
#define WEFT_DEBOUNCE_H

#include <stdint.h>

typedef struct weft_debounce {
	int64_t quiet_ms, max_delay_ms;
	int64_t first_ms, last_ms; /* times of the first and last pending change */
	int pending;
	int flush; /* fire now, without waiting for quiet */
} weft_debounce;

void weft_debounce_init(weft_debounce *d, int64_t quiet_ms, int64_t max_delay_ms);
/* A change happened at now_ms. */
void weft_debounce_note(weft_debounce *d, int64_t now_ms);
/* -1: nothing pending; 0: fire now; > 0: milliseconds to wait. */
int64_t weft_debounce_wait(const weft_debounce *d, int64_t now_ms);
/* The pending changes form a complete change set (an explicit atomic
 * apply): fire now. No-op when nothing is pending. */
void weft_debounce_flush(weft_debounce *d);
/* The compile started: pending changes are consumed. */
void weft_debounce_fired(weft_debounce *d);

#endif
