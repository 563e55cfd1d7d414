/* Debounce arithmetic. See debounce.h. */
#include "debounce.h"

void weft_debounce_init(weft_debounce *d, int64_t quiet_ms, int64_t max_delay_ms)
{
	d->quiet_ms = quiet_ms < 0 ? 0 : quiet_ms;
	d->max_delay_ms = max_delay_ms < d->quiet_ms ? d->quiet_ms : max_delay_ms;
	d->first_ms = d->last_ms = 0;
	d->pending = d->flush = 0;
}

void weft_debounce_note(weft_debounce *d, int64_t now_ms)
{
	if (!d->pending) {
		d->pending = 1;
		d->first_ms = now_ms;
	}
	d->last_ms = now_ms;
}

int64_t weft_debounce_wait(const weft_debounce *d, int64_t now_ms)
{
	if (!d->pending)
		return -1;
	if (d->flush)
		return 0;
	int64_t quiet_at = d->last_ms + d->quiet_ms;
	int64_t cap_at = d->first_ms + d->max_delay_ms;
	int64_t at = quiet_at < cap_at ? quiet_at : cap_at;
	return at <= now_ms ? 0 : at - now_ms;
}

void weft_debounce_flush(weft_debounce *d)
{
	d->flush = d->pending;
}

void weft_debounce_fired(weft_debounce *d)
{
	d->pending = d->flush = 0;
}
