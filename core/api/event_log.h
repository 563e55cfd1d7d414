/* weftd's log of what happened: a thread following the controller's
 * events and writing one log line per revision, transaction (start, each
 * device, outcome), failed push, drift found or repaired (event_log.c;
 * docs/weftd.md, "Logs"). */
#ifndef WEFT_EVENT_LOG_H
#define WEFT_EVENT_LOG_H

#include "controller.h"
#include "log.h"

typedef struct weft_event_log weft_event_log;

/* Starts following c's events (from the first of this process), logging to log (neither owned;
 * both must outlive the follower). NULL when out of memory. */
weft_event_log *weft_event_log_start(weft_controller *c, weft_log *log);
/* Stops (within 0.5 s) and frees. NULL is accepted. */
void weft_event_log_stop(weft_event_log *el);

#endif
