/* weftd's parsed command line (main.c) and its run loop (run.c). */
#ifndef WEFTD_H
#define WEFTD_H

#include <stddef.h>

#include <jansson.h>

#include "controller.h"
#include "log.h"

typedef struct weftd_opts {
	const char *state_dir;
	const char *store_url;
	const char *store_ca, *store_cert, *store_key; /* --store-ca/-cert/-key */
	const char *store_credentials;                 /* --store-credentials FILE */
	const char *replica;                           /* --replica NAME; NULL: host name and pid */
	long lease_ttl_ms;                             /* --lease-ttl, default 5000 */
	const char *policy_dir;
	const char *listen;
	const char *tls_cert, *tls_key;
	const char *tokens_file;
	const char *plugin_dir;
	const char *ready_file;
	const char *file_root; /* file adapter root; NULL: working directory */
	int quiet_ms, max_delay_ms;
	int reconcile_ms;       /* 0: default, -1: disabled */
	int atomic;             /* --txn-mode atomic */
	const char *xds_listen; /* --xds ADDR: serve ADS there; NULL: no xDS */
	const char *xds_tls_cert, *xds_tls_key, *xds_tls_ca;
	long keep_revisions; /* -1: controller default */
	weft_log_format log_format;
	weft_log_level log_level;
} weftd_opts;

/* xds.c: the xDS server, when built in. weftd_xds_config is the xds
 * adapter's configuration from --xds and its TLS flags (NULL with err when
 * the build has no xDS adapter); the adapter instance starts the server
 * when the controller opens and stops it when it closes. weftd_xds_server
 * is that server (NULL with err when there is none). */
json_t *weftd_xds_config(const weftd_opts *o, weft_err *err);
void *weftd_xds_server(weft_controller *c, weft_err *err);
int weftd_xds_port(void *xds);
json_t *weftd_xds_status(void *xds);
char *weftd_xds_metrics(void *xds);
/* The plan_extra hook of the API: {"proxies": xds_server_plan(...)} (or
 * {"proxies": {"error": ...}}). */
json_t *weftd_xds_plan(void *xds, weft_snapshot *planned);

/* config.c: reads --config FILE ("key = value" lines, keys are the long
 * option names in opts) and calls fn(option value, value, "FILE:LINE",
 * ctx) for each entry; fn returns 0 or an exit code. Returns 0, or 2 after
 * printing an error naming FILE:LINE. */
struct option;
typedef int (*weftd_config_fn)(int opt, const char *value, const char *where, void *ctx);
int weftd_config_load(const char *path, const struct option *opts, weftd_config_fn fn, void *ctx);

/* Runs the daemon until SIGTERM/SIGINT. Returns the exit code (0 after a
 * clean stop, 1 on a start failure, 2 on a configuration error). */
int weftd_run(const weftd_opts *opts);

#endif
