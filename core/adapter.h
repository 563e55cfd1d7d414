/* The adapter contract: what the core calls to drive one device family. The
 * core never knows a device protocol; an adapter is a table of functions,
 * compiled in (adapters/...) or loaded from a plugin directory as a shared
 * object exporting `const weft_adapter *weft_adapter_entry(void)`. See
 * docs/architecture.md, "The adapter contract".
 *
 * An adapter has instances: init builds one from its configuration (the
 * controller's opts.adapter_config[kind], e.g. the file adapter's root) and
 * returns its context, every other callback gets that context first, and
 * fini frees it. Whatever an adapter keeps between calls (caches, pools, a
 * server) lives in its context, never in process globals, so two instances
 * of one adapter share nothing.
 *
 * Phases (FRRouting northbound + NETCONF confirmed commit):
 *   init/fini    build / free an instance (its context)
 *   open/close   a session to one device (credentials, TLS, host keys)
 *   render       snapshot + device -> desired config. Pure: no I/O.
 *   observe      read back what the device holds (actual config)
 *   diff         desired vs actual -> plan: minimal, ordered, printable ops
 *   prepare      stage without effect (F5 transaction queued, NETCONF
 *                candidate edited + validated under lock, xDS encoded)
 *   apply        make it live
 *   confirm      network-wide success (NETCONF confirming commit, unlock)
 *   abort        told the phase it aborts (weft_phase): PREPARE drops what
 *                was staged (nothing was live); APPLY rolls back what apply
 *                made live (apply may have failed half-way); CONFIRM: the
 *                confirm itself failed, roll back what is still undone.
 * After a successful confirm the device holds plan->revision for good:
 * the plan (and its priv) is freed and abort is never called for it; to
 * undo it the core pushes a new plan (to the previous revision) through
 * the same phases. diff is also called with actual NULL (an adapter
 * without observe, or a dry-run that may not contact the device): it then
 * plans against an empty device. Desired/actual configs are opaque to the
 * core (freed by free_config); the plan's ops are the printable dry-run.
 * Every callback returns 0 or -1 with err naming the device and what
 * failed. */
#ifndef WEFT_ADAPTER_H
#define WEFT_ADAPTER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "resource-t.h"
#include "snapshot.h"
#include "warning.h"

#define WEFT_ADAPTER_ABI 2

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

typedef struct weft_controller weft_controller;

/* The phase abort is asked to undo: the furthest one the device entered. */
typedef enum weft_phase {
	WEFT_PHASE_PREPARE = 1, /* prepared (or prepare failed): nothing is live */
	WEFT_PHASE_APPLY,       /* apply was called: it may have made things live */
	WEFT_PHASE_CONFIRM,     /* confirm was called and failed */
} weft_phase;

/* "prepare", "apply", "confirm" (or "?"). */
const char *weft_phase_name(weft_phase phase);

typedef struct weft_adapter {
	const char *kind; /* "file", "xds", "f5", "netconf" */
	int abi;          /* WEFT_ADAPTER_ABI */
	/* Optional. config is the instance's JSON object (never NULL: {} when
	 * nothing is configured); an option the adapter does not know is an
	 * error naming it. c is the controller the instance serves (NULL in
	 * tests that drive an adapter alone). Without init, ctx is NULL. */
	int (*init)(weft_controller *c, const json_t *config, void **ctx, weft_err *err);
	void (*fini)(void *ctx);
	int (*open)(void *ctx, const weft_resource *device, void **session, weft_err *err);
	void (*close)(void *ctx, void *session);
	int (*render)(void *ctx, const weft_snapshot *snap, const weft_resource *device,
	              void **desired, weft_err *err);
	int (*observe)(void *ctx, void *session, const weft_resource *device, void **actual,
	               weft_err *err);
	int (*diff)(void *ctx, const weft_resource *device, const void *desired, const void *actual,
	            weft_plan *plan, weft_err *err);
	int (*prepare)(void *ctx, void *session, weft_plan *plan, weft_err *err);
	int (*apply)(void *ctx, void *session, weft_plan *plan, weft_err *err);
	int (*confirm)(void *ctx, void *session, weft_plan *plan, weft_err *err);
	int (*abort)(void *ctx, void *session, weft_plan *plan, weft_phase phase, weft_err *err);
	void (*free_config)(void *ctx, void *config);
} weft_adapter;

/* One instance of an adapter: its table and its context. */
typedef struct weft_adapter_instance {
	const weft_adapter *ops;
	void *ctx;
} weft_adapter_instance;

/* Builds an instance (calls ops->init when there is one; config NULL means
 * {}). 0, or -1 with err prefixed by "adapter KIND". The controller does
 * this for every registered kind (weft_controller_adapter); tests and tools
 * that drive an adapter alone call it themselves. */
int weft_adapter_instance_init(weft_adapter_instance *inst, const weft_adapter *ops,
                               weft_controller *c, const json_t *config, weft_err *err);
/* Frees the context (ops->fini); inst may be NULL or never initialised
 * (zeroed). */
void weft_adapter_instance_fini(weft_adapter_instance *inst);

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
