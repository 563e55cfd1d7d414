/* Private to the policy directory watch (watch.c, watch_reload.c). */
#ifndef WEFT_WATCH_INT_H
#define WEFT_WATCH_INT_H

#include "watch.h"

/* Loads dir and applies it with WEFT_APPLY_SYNC, logging the outcome. */
int api_watch_apply_dir(const char *dir, weft_controller *c, weft_log *log);

#endif
