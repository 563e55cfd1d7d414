/* The `netconf` adapter: drives NETCONF/YANG devices (RFC 6241 over SSH)
 * that implement weft's own model, models/yang/weft-lb.yang. It renders a
 * device's slice of the snapshot into a weft-lb data tree validated by
 * libyang, reads the device's running config back (get-config filtered to
 * weft-lb), diffs the two with libyang and sends only the difference as an
 * edit-config with nc:operation attributes. Candidate devices get
 * lock -> discard-changes -> edit-config -> validate -> confirmed commit ->
 * confirming commit -> unlock; writable-running devices get lock ->
 * edit-config with rollback-on-error -> unlock. docs/adapter-netconf.md
 * describes the mapping onto the contract's phases, the rendering and the
 * Device fields.
 *
 * Thread safety: every callback may run in any thread, several devices in
 * parallel (the core runs one worker per device); a session is used by one
 * thread at a time. */
#ifndef WEFT_NCDEV_ADAPTER_H
#define WEFT_NCDEV_ADAPTER_H

#include "adapter.h"

/* The adapter table (kind "netconf"). Register it with
 * weft_adapter_register(ncdev_adapter(), 1, &err). */
const weft_adapter *ncdev_adapter(void);
/* The session-context pool of an instance context (tests). */
struct ncdev_ctx_pool *ncdev_adapter_pool(void *ctx);

/* The directory holding weft-lb.yang (and ietf/ with the standard
 * modules): $WEFT_YANG_DIR, else the source tree's models/yang. */
const char *ncdev_yang_dir(void);

/* A config returned by render/observe printed as XML (malloc'd, "" for an
 * empty config, NULL when out of memory). For tests and debugging. */
char *ncdev_config_xml(const void *config);

#endif
