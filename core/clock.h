/* Clocks and timed waits, in one place. Durations, deadlines and timeouts
 * use the monotonic clock (a wall-clock step must not shorten or stretch
 * a wait); only timestamps shown to people or stored (event times, store
 * commit times, "last push at") use the wall clock. Condition variables
 * that are waited on with a deadline are made on the monotonic clock
 * (weft_cond_init), and their deadlines come from weft_deadline_ms. */
#ifndef WEFT_CLOCK_H
#define WEFT_CLOCK_H

#include <pthread.h>
#include <stdint.h>
#include <time.h>

/* Monotonic clock, milliseconds / microseconds (arbitrary origin). */
int64_t weft_mono_ms(void);
int64_t weft_mono_us(void);
/* Wall clock, milliseconds since the Unix epoch. */
int64_t weft_unix_ms(void);

/* A condition variable whose timed waits measure CLOCK_MONOTONIC. 0 or
 * the pthread error. */
int weft_cond_init(pthread_cond_t *cond);
/* The absolute CLOCK_MONOTONIC time ms milliseconds from now, for
 * pthread_cond_timedwait on a weft_cond_init condition (ms < 0: now). */
struct timespec weft_deadline_ms(int64_t ms);

#endif
