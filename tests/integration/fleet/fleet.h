/* Mixed-fleet fixture for the integration tests of network-wide
 * transactions (issue 6, docs/architecture.md "Network-wide
 * transactions"): one weftd in atomic mode driving, all on loopback,
 *
 *   infra/files  file device            pushGroup 0  (under weftd --file-root)
 *   infra/nc-a   ncsim device 0         pushGroup 1  candidate, confirmed commit
 *   infra/nc-b   ncsim device 1         pushGroup 1  writable-running
 *   infra/bigip  f5sim over HTTPS       pushGroup 2  (cert made with openssl,
 *                                                     pinned as tls.caFile)
 *
 * and one Service, shop/web, with two endpoints (10.0.0.1:80, 10.0.0.2:80)
 * whose weights are the value under test: each device renders them its
 * own way (F5 pool member ratio, weft-lb member weight, the Service JSON in
 * a file), and the readers below get them back from the devices
 * themselves -- f5sim's /sim/state, ncsim's running datastore through its
 * control port, the file device's file -- never from weft's status.
 *
 * With opts.proxies, weftd also serves xDS (--xds) and xdsfleet runs that
 * many simulated Envoy proxies against it (fleet_xds.h): proxies of the
 * default feed, which follow the controller's committed intent.
 *
 * Every process is started by pid on free ports and stopped by pid in
 * fleet_stop (also after a failed assertion: call it from the teardown);
 * every wait is bounded. */
#ifndef WEFT_IT_FLEET_H
#define WEFT_IT_FLEET_H

#include <jansson.h>
#include <sys/types.h>

#include "harness.h"

/* Device indexes for fleet_weights_of(). */
enum fleet_dev { FLEET_F5, FLEET_NC_A, FLEET_NC_B, FLEET_FILE, FLEET_NDEV };

typedef struct fleet_opts {
	int reconcile_ms;      /* weftd --reconcile-ms (0: 500) */
	const char *f5_drift;  /* the F5 Device's spec.drift (NULL: alert) */
	int confirm_timeout_s; /* nc-a's options.confirmTimeout (0: 30) */
	int proxies;           /* > 0: weftd --xds and that many xdsfleet proxies
	                        * (fleet_xds.h) on the default feed */
} fleet_opts;

typedef struct fleet {
	wd d;       /* weftd; d.dir is the fixture's temp dir */
	char *root; /* = d.dir */
	fleet_opts opts;
	pid_t f5_pid, nc_pid;
	int f5_port, nc_port, nc_ctl;
	char f5_base[64]; /* https://127.0.0.1:PORT */
	char nc_base[64]; /* http://127.0.0.1:CTL (ncsim control) */
	char hostkey[128];
	char f5_crt[600], f5_key[600], f5_pass[600], nc_pass[600];
	char file_root[600], policy[600];
	const char *extra[16]; /* weftd arguments after the harness's own */
	char reconcile_arg[16];
	/* The proxy fleet (opts.proxies > 0, fleet_xds.c) */
	int xds_port;     /* weftd --xds 127.0.0.1:PORT */
	char xds_arg[32]; /* "127.0.0.1:PORT" */
	pid_t xf_pid;     /* xdsfleet */
	char xf_trace[600];
} fleet;

/* Starts f5sim, ncsim (2 devices) and weftd; 0 or -1 (logs printed). */
int fleet_start(fleet *f, const fleet_opts *opts);
/* Stops every process that is still running (by pid), removes the temp
 * dir (kept, and named on stderr, when WEFT_FLEET_KEEP is set). Safe to
 * call twice. 0, or -1 when a process did not exit 0 on SIGTERM (its log
 * is printed: a crash, a hang, a sanitizer report). */
int fleet_stop(fleet *f);
/* Restarts weftd on the same state dir with the same arguments. */
int fleet_restart_weftd(fleet *f);
/* SIGKILL of weftd (a crash). */
void fleet_kill_weftd(fleet *f);

/* POST /v1/apply of the fleet policy with endpoint weights w1, w2: the new
 * head revision, or -HTTP status. */
long long fleet_apply(fleet *f, int w1, int w2);
/* `weftctl rollback TO`; the new head revision, or -1. */
long long fleet_rollback(fleet *f, long long to);

/* Writes the fleet policy with weights w1, w2 to path (e.g. for `weftctl
 * plan -f`) without applying it. 0 or -1. */
int fleet_write_policy(fleet *f, int w1, int w2, const char *path);

/* The weights device dev holds for 10.0.0.1 and 10.0.0.2 (-1 when the
 * member is missing). 0, or -1 when the device cannot be read. */
int fleet_weights_of(fleet *f, enum fleet_dev dev, int w[2]);
/* 1 when every device holds w1, w2; on 0, what[] tells which did not
 * (may be NULL). */
int fleet_all_hold(fleet *f, int w1, int w2, char *what, size_t len);
/* Polls fleet_all_hold up to timeout_ms; 0 or -1 (then prints what). */
int fleet_wait_hold(fleet *f, int w1, int w2, int timeout_ms);

/* The newest transaction record for revision rev whose outcome is
 * outcome (any when NULL), polled up to timeout_ms; a new reference or
 * NULL. */
json_t *fleet_txn(fleet *f, long long rev, const char *outcome, int timeout_ms);
/* The record's entry for device name ("infra/nc-a"), borrowed, or NULL. */
json_t *fleet_txn_device(json_t *txn, const char *name);
/* Polls /v1/status until the 4 devices are in-sync at revision rev. */
int fleet_wait_in_sync(fleet *f, long long rev, int timeout_ms);

/* f5sim over HTTPS (verified with the fixture's CA file); basic auth when
 * auth is set. The answer in r (free with http_resp_free). 0 or -1. */
int fleet_f5(fleet *f, const char *method, const char *path, const char *body, int auth,
             http_resp *r);
/* f5sim's device-wide generation (every change bumps it), -1 on error. */
long long fleet_f5_generation(fleet *f);
/* ncsim's control interface. 0 or -1. */
int fleet_nc(fleet *f, const char *method, const char *path, const char *body, http_resp *r);
/* ncsim device idx's RPC log entries with op (e.g. "commit") since the
 * last DELETE of the log, counted. */
int fleet_nc_count_op(fleet *f, int idx, const char *op);

#endif
