/* weftd's wiring and main loop: logger, tokens, controller, initial policy
 * load, REST API, ready file; then one poll() loop over a signalfd and the
 * policy watch until SIGTERM/SIGINT (SIGHUP reloads the policy directory).
 * Stop order: no new connections, requests in flight finish, controller
 * closed (it finishes the push in progress; every accepted change is
 * already in the store), exit 0. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "event_log.h"
#include "weft_version.h"
#include "watch.h"
#ifdef WEFTD_BUILTIN_ADAPTERS
#include "builtin.h"
#endif
#ifdef WEFTD_BUILTIN_REGISTRIES
#include "registry_builtin.h"
#endif
#include "weftd.h"

#define DRAIN_MS 10000

typedef struct daemon_state {
	const weftd_opts *opts;
	weft_log *log;
	weft_api_tokens *tokens;
	weft_controller *controller;
	weft_policy_watch *watch;
	weft_api *api;
	void *xds;                 /* the xDS server (--xds), or NULL */
	weft_event_log *event_log; /* what happened, into the log */
	int sigfd;
} daemon_state;

/* Writes "ADDR\n" to path atomically (temp file + rename). */
static int write_ready_file(const char *path, const char *addr)
{
	size_t n = strlen(path) + 8;
	char *tmp = malloc(n);
	if (!tmp)
		return -1;
	snprintf(tmp, n, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	int rc = f && fprintf(f, "%s\n", addr) > 0 ? 0 : -1;
	if (f && fclose(f) != 0)
		rc = -1;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int load_tokens(daemon_state *d)
{
	const char *path = d->opts->tokens_file;
	if (!path)
		return 0;
	weft_err err = {0};
	d->tokens = weft_api_tokens_load(path, &err);
	if (!d->tokens) {
		weft_log_event(d->log, WEFT_LOG_ERROR, "cannot load tokens", "error", err.msg,
		               NULL);
		return -1;
	}
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 077))
		weft_log_event(d->log, WEFT_LOG_WARN, "tokens file is readable by others", "file",
		               path, "hint", "chmod 600", NULL);
	char n[32];
	snprintf(n, sizeof(n), "%zu", weft_api_tokens_count(d->tokens));
	weft_log_event(d->log, WEFT_LOG_INFO, "tokens loaded", "file", path, "count", n, NULL);
	return 0;
}

/* On an etcd store every weftd is a replica (docs/ha.md); --replica on
 * another store is refused by weft_controller_replicate. */
static int replicated(const weftd_opts *o)
{
	return o->replica || (o->store_url && !strncmp(o->store_url, "etcd://", 7));
}

static int start_replica(daemon_state *d)
{
	char name[300];
	if (d->opts->replica) {
		snprintf(name, sizeof(name), "%s", d->opts->replica);
	} else {
		char host[256] = "";
		if (gethostname(host, sizeof(host) - 1) != 0 || !host[0])
			snprintf(host, sizeof(host), "weftd");
		snprintf(name, sizeof(name), "%s:%ld", host, (long)getpid());
	}
	weft_err err = {0};
	if (weft_controller_replicate(d->controller, name, d->opts->lease_ttl_ms, &err) != 0) {
		weft_log_event(d->log, WEFT_LOG_ERROR, "cannot run as a replica", "replica", name,
		               "error", err.msg, NULL);
		return -1;
	}
	char ttl[32];
	snprintf(ttl, sizeof(ttl), "%ld", d->opts->lease_ttl_ms);
	weft_log_event(d->log, WEFT_LOG_INFO, "replica", "name", name, "lease_ttl_ms", ttl, NULL);
	return 0;
}

/* The adapter instances' configuration from the flags (core/adapter.h):
 * --file-root for "file", --xds and its TLS files for "xds". */
static json_t *adapter_config(daemon_state *d)
{
	const weftd_opts *o = d->opts;
	json_t *cfg = json_object();
#ifdef WEFTD_BUILTIN_ADAPTERS
	json_object_set_new(cfg, "file",
	                    json_pack("{s:s}", "root", o->file_root ? o->file_root : "."));
#endif
	if (o->xds_listen) {
		weft_err err = {0};
		json_t *x = weftd_xds_config(o, &err);
		if (!x) {
			weft_log_event(d->log, WEFT_LOG_ERROR, "cannot start the xDS server",
			               "error", err.msg, NULL);
			json_decref(cfg);
			return NULL;
		}
		json_object_set_new(cfg, "xds", x);
	}
	return cfg;
}

static int open_controller(daemon_state *d)
{
	const weftd_opts *o = d->opts;
#ifdef WEFTD_BUILTIN_ADAPTERS
	weft_err aerr = {0};
	if (weft_register_builtin_adapters(&aerr) != 0) {
		weft_log_event(d->log, WEFT_LOG_ERROR, "cannot register the adapters", "error",
		               aerr.msg, NULL);
		return -1;
	}
#endif
#ifdef WEFTD_BUILTIN_REGISTRIES
	weft_err rerr = {0};
	if (weft_register_builtin_registries(&rerr) != 0) {
		weft_log_event(d->log, WEFT_LOG_ERROR, "cannot register the registry backends",
		               "error", rerr.msg, NULL);
		return -1;
	}
#endif
	weft_store_opts so = {
	        .ca_file = o->store_ca,
	        .cert_file = o->store_cert,
	        .key_file = o->store_key,
	        .credentials_file = o->store_credentials,
	};
	int any_store_opt = so.ca_file || so.cert_file || so.key_file || so.credentials_file;
	json_t *acfg = adapter_config(d);
	if (!acfg)
		return -1;
	weft_controller_opts co = {
	        .state_dir = o->state_dir,
	        .store_url = o->store_url,
	        .store_opts = any_store_opt ? &so : NULL,
	        .quiet_ms = o->quiet_ms,
	        .max_delay_ms = o->max_delay_ms,
	        .keep_revisions = o->keep_revisions >= 0 ? (size_t)o->keep_revisions : 100,
	        .plugin_dir = o->plugin_dir,
	        .reconcile_ms = o->reconcile_ms,
	        .atomic = o->atomic,
	        .replica = replicated(o),
	        .adapter_config = acfg,
	};
	weft_err err = {0};
	d->controller = weft_controller_open(&co, &err);
	json_decref(acfg);
	if (!d->controller) {
		weft_log_event(d->log, WEFT_LOG_ERROR, "cannot open the controller", "state",
		               o->state_dir, "error", err.msg, NULL);
		return -1;
	}
	char rev[32];
	snprintf(rev, sizeof(rev), "%lld", (long long)weft_controller_head(d->controller));
	weft_log_event(d->log, WEFT_LOG_INFO, "controller open", "state", o->state_dir, "revision",
	               rev, "version", WEFT_VERSION, "commit", WEFT_GIT_COMMIT, NULL);
	d->event_log = weft_event_log_start(d->controller, d->log);
	return co.replica ? start_replica(d) : 0;
}

static int start_watch(daemon_state *d)
{
	if (!d->opts->policy_dir)
		return 0;
	weft_err err = {0};
	d->watch = weft_policy_watch_open(d->opts->policy_dir, d->controller, d->log, 0, &err);
	if (!d->watch) {
		weft_log_event(d->log, WEFT_LOG_ERROR, "cannot watch the policy directory", "error",
		               err.msg, NULL);
		return -1;
	}
	weft_log_event(d->log, WEFT_LOG_INFO, "watching policy directory", "dir",
	               d->opts->policy_dir, NULL);
	weft_policy_watch_reload(d->watch); /* outcome logged; invalid keeps the head */
	return 0;
}

static int start_xds(daemon_state *d)
{
	if (!d->opts->xds_listen)
		return 0;
	weft_err err = {0};
	d->xds = weftd_xds_server(d->controller, &err);
	if (!d->xds) {
		weft_log_event(d->log, WEFT_LOG_ERROR, "cannot start the xDS server", "error",
		               err.msg, NULL);
		return -1;
	}
	char port[16];
	snprintf(port, sizeof(port), "%d", weftd_xds_port(d->xds));
	weft_log_event(d->log, WEFT_LOG_INFO, "xds listening", "addr", d->opts->xds_listen, "port",
	               port, "tls", d->opts->xds_tls_cert ? "on" : "off", NULL);
	return 0;
}

static int start_api(daemon_state *d)
{
	const weftd_opts *o = d->opts;
	weft_api_opts ao = {
	        .listen = o->listen,
	        .tls_cert = o->tls_cert,
	        .tls_key = o->tls_key,
	        .tokens = d->tokens,
	        .log = d->log,
	        .status_extra = d->xds ? weftd_xds_status : NULL,
	        .metrics_extra = d->xds ? weftd_xds_metrics : NULL,
	        .plan_extra = d->xds ? weftd_xds_plan : NULL,
	        .extra_arg = d->xds,
	        .version = WEFT_VERSION,
	        .commit = WEFT_GIT_COMMIT,
	};
	weft_err err = {0};
	d->api = weft_api_start(d->controller, &ao, &err);
	if (!d->api) {
		weft_log_event(d->log, WEFT_LOG_ERROR, "cannot start the API", "error", err.msg,
		               NULL);
		return -1;
	}
	weft_log_event(d->log, WEFT_LOG_INFO, "api listening", "addr", weft_api_address(d->api),
	               "tls", o->tls_cert ? "on" : "off", "auth", d->tokens ? "tokens" : "none",
	               NULL);
	if (o->ready_file && write_ready_file(o->ready_file, weft_api_address(d->api)) != 0) {
		weft_log_event(d->log, WEFT_LOG_ERROR, "cannot write the ready file", "file",
		               o->ready_file, "error", strerror(errno), NULL);
		return -1;
	}
	return 0;
}

/* Waits for signals and policy changes; returns on SIGTERM/SIGINT. */
static void main_loop(daemon_state *d)
{
	for (;;) {
		struct pollfd fds[2] = {
		        {.fd = d->sigfd, .events = POLLIN},
		        {.fd = d->watch ? weft_policy_watch_fd(d->watch) : -1, .events = POLLIN}};
		int timeout = d->watch ? weft_policy_watch_timeout(d->watch) : -1;
		int n = poll(fds, 2, timeout);
		if (n < 0 && errno != EINTR)
			return;
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(d->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				if (si.ssi_signo == SIGHUP && d->watch) {
					weft_log_event(d->log, WEFT_LOG_INFO,
					               "SIGHUP: reloading policy", NULL);
					weft_policy_watch_reload(d->watch);
				} else if (si.ssi_signo != SIGHUP) {
					weft_log_event(d->log, WEFT_LOG_INFO, "shutting down",
					               "signal", strsignal((int)si.ssi_signo),
					               NULL);
					return;
				}
			}
		}
		if (d->watch && (fds[1].revents & POLLIN))
			weft_policy_watch_handle(d->watch);
		if (d->watch)
			weft_policy_watch_tick(d->watch);
	}
}

static void teardown(daemon_state *d)
{
	weft_api_stop(d->api, DRAIN_MS);
	weft_event_log_stop(d->event_log);
	weft_policy_watch_close(d->watch);
	if (d->controller) /* stops the xDS server too (its adapter's fini) */
		weft_controller_close(d->controller);
	weft_api_tokens_free(d->tokens);
	if (d->sigfd >= 0)
		close(d->sigfd);
	if (d->opts->ready_file && d->api)
		unlink(d->opts->ready_file);
}

int weftd_run(const weftd_opts *opts)
{
	daemon_state d = {.opts = opts, .sigfd = -1};
	d.log = weft_log_new(stderr, opts->log_format, opts->log_level);
	if (!d.log)
		return 1;
	/* Block the signals before any thread starts, so that only the
	 * signalfd sees them. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d.sigfd = signalfd(-1, &set, SFD_CLOEXEC);

	int rc = 1;
	weft_err err = {0};
	if (load_tokens(&d) == 0) {
		weft_api_opts check = {.listen = opts->listen,
		                       .tls_cert = opts->tls_cert,
		                       .tls_key = opts->tls_key,
		                       .tokens = d.tokens};
		if (weft_api_check_listen(&check, &err) != 0) {
			weft_log_event(d.log, WEFT_LOG_ERROR, "refusing to start", "error", err.msg,
			               NULL);
			fprintf(stderr, "weftd: %s\n", err.msg);
			rc = 2;
		} else if (d.sigfd >= 0 && open_controller(&d) == 0 && start_xds(&d) == 0 &&
		           start_watch(&d) == 0 && start_api(&d) == 0) {
			main_loop(&d);
			rc = 0;
		}
	}
	teardown(&d);
	if (rc == 0)
		weft_log_event(d.log, WEFT_LOG_INFO, "stopped", NULL);
	weft_log_free(d.log);
	return rc;
}
