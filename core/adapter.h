/* The adapter contract: what the core calls to drive one device family. The
 * core never knows a device protocol; an adapter is a table of functions,
 * compiled in (adapters/...) or loaded from a plugin directory as a shared
 * object exporting `const weft_adapter *weft_adapter_entry(void)`.
 *
 * Phases (FRRouting northbound + NETCONF confirmed commit):
 *   open/close   a session to one device (credentials, TLS, host keys)
 *   render       snapshot + device -> desired config. Pure: no I/O.
 *   observe      read back what the device holds (actual config)
 *   diff         desired vs actual -> plan: minimal, ordered, printable ops
 *   prepare      stage without effect (F5 transaction queued, NETCONF
 *                candidate edited + validated under lock, xDS encoded)
 *   apply        make it live
 *   confirm      network-wide success (NETCONF confirming commit, unlock)
 *   abort        drop what was staged, or roll back what was applied
 * diff is also called with actual NULL (an adapter without observe, or a
 * dry-run that may not contact the device): it then plans against an empty
 * device.
 * Desired/actual configs are opaque to the core (freed by free_config); the
 * plan's ops are the printable dry-run. Every callback returns 0 or -1 with
 * err naming the device and what failed. */
#ifndef WEFT_ADAPTER_H
#define WEFT_ADAPTER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "resource-t.h"
#include "snapshot.h"
#include "warning.h"

#define WEFT_ADAPTER_ABI 1

/* One printable change of a plan, e.g. {"create", "/Common/pool_a", "..."}. */
typedef struct weft_plan_op {
	char *action; /* create, update, delete, replace, write, publish ... */
	char *target; /* object path on the device */
	char *detail; /* human-readable content (JSON, XML, summary); may be NULL */
} weft_plan_op;

typedef struct weft_plan {
	char *device;     /* "namespace/name" of the Device resource */
	char *kind;       /* adapter kind */
	int64_t revision; /* snapshot revision the plan brings the device to */
	weft_plan_op *ops;
	size_t n_ops, cap;
	/* What the family cannot express of the policy (warning.h); the
	 * adapter's diff fills it from its render. */
	weft_warnings warnings;
	void *priv; /* the adapter's own staged state */
	void (*free_priv)(void *priv);
} weft_plan;

typedef struct weft_adapter {
	const char *kind; /* "file", "xds", "f5", "netconf" */
	int abi;          /* WEFT_ADAPTER_ABI */
	int (*open)(const weft_resource *device, void **session, weft_err *err);
	void (*close)(void *session);
	int (*render)(const weft_snapshot *snap, const weft_resource *device, void **desired,
	              weft_err *err);
	int (*observe)(void *session, const weft_resource *device, void **actual, weft_err *err);
	int (*diff)(const weft_resource *device, const void *desired, const void *actual,
	            weft_plan *plan, weft_err *err);
	int (*prepare)(void *session, weft_plan *plan, weft_err *err);
	int (*apply)(void *session, weft_plan *plan, weft_err *err);
	int (*confirm)(void *session, weft_plan *plan, weft_err *err);
	int (*abort)(void *session, weft_plan *plan, weft_err *err);
	void (*free_config)(void *config);
} weft_adapter;

/* Registry of adapter kinds. Registering a kind twice replaces it only when
 * replace is set; returns -1 otherwise. */
int weft_adapter_register(const weft_adapter *adapter, int replace, weft_err *err);
const weft_adapter *weft_adapter_find(const char *kind);
/* Names of the registered kinds, NULL-terminated static array. */
size_t weft_adapter_kinds(const char **out, size_t max);
/* dlopens every *.so in dir and registers what weft_adapter_entry returns;
 * a bad plugin is skipped and its problem added to err ("a; b"; err->msg
 * stays empty when all loaded). Returns how many loaded, -1 when dir
 * cannot be opened. */
int weft_adapter_load_dir(const char *dir, weft_err *err);

/* Plan helpers. */
void weft_plan_init(weft_plan *plan, const char *device, const char *kind, int64_t revision);
void weft_plan_free(weft_plan *plan);
int weft_plan_add(weft_plan *plan, const char *action, const char *target, const char *detail);
/* {"device":..,"kind":..,"revision":..,"ops":[{"action","target","detail"}],
 *  "warnings":[{"resource","file","line","field","message"}]} */
json_t *weft_plan_to_json(const weft_plan *plan);
/* For a Device with spec.strict: -1 with err naming the device, the number
 * of warnings and the first one when the plan has warnings; else 0. */
int weft_plan_check_strict(const weft_resource *device, const weft_plan *plan, weft_err *err);

#endif
