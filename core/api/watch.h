/* The --policy directory watch of weftd: the directory (recursively) is the
 * whole policy. Any added, edited, moved or removed *.yaml, *.yml or *.json
 * file (hidden names ignored) schedules a reload after a short settle delay
 * (so an editor's save or a `cp -r` is one reload, not twenty); a reload
 * loads the whole directory (weft_docset_load_path) and applies it with
 * WEFT_APPLY_SYNC as author "policy-dir": resources missing from the
 * directory are deleted. Invalid files are logged with file:line:col and
 * the running revision is kept. A directory without any document is not
 * applied (it would delete everything), only warned about.
 *
 * A replaced directory is followed (`mv pol.new pol`, `rm -rf pol; mkdir
 * pol`): the parent is watched for the directory's name, and a new
 * directory under that name is watched afresh and reloaded. While no
 * directory has the name, the running revision stays (a missing directory
 * is not an empty policy) and a warning is logged every
 * WEFT_POLICY_WATCH_MISSING_WARN_MS.
 *
 * Single-threaded and event driven (inotify): the caller polls
 * weft_policy_watch_fd() together with its other descriptors, calls
 * weft_policy_watch_handle() when it is readable and weft_policy_watch_tick()
 * when weft_policy_watch_timeout() expires. */
#ifndef WEFT_WATCH_H
#define WEFT_WATCH_H

#include "controller.h"
#include "log.h"

#define WEFT_POLICY_WATCH_AUTHOR          "policy-dir"
#define WEFT_POLICY_WATCH_SETTLE_MS       200
#define WEFT_POLICY_WATCH_MISSING_WARN_MS 30000

typedef struct weft_policy_watch weft_policy_watch;

/* Watches dir (which must be a directory) on behalf of c. settle_ms <= 0
 * selects the default. NULL with err on failure. Does not load: call
 * weft_policy_watch_reload() for the initial load. */
weft_policy_watch *weft_policy_watch_open(const char *dir, weft_controller *c, weft_log *log,
                                          int settle_ms, weft_err *err);
void weft_policy_watch_close(weft_policy_watch *w);

/* The inotify descriptor to poll for reading. */
int weft_policy_watch_fd(const weft_policy_watch *w);
/* Drains pending events; schedules a reload when a policy file changed. */
void weft_policy_watch_handle(weft_policy_watch *w);
/* Milliseconds until the scheduled reload is due (0: now), -1 if none. */
int weft_policy_watch_timeout(const weft_policy_watch *w);
/* Runs the scheduled reload when it is due. */
void weft_policy_watch_tick(weft_policy_watch *w);

/* Loads and applies the directory now (after watching it afresh if it was
 * replaced). Returns 0 when applied (or nothing changed), WEFT_EINVALID
 * when files are invalid (logged, nothing applied), -1 on other failures
 * and while the directory is missing (logged, nothing applied). */
int weft_policy_watch_reload(weft_policy_watch *w);

#endif
