/* ncsim: N simulated NETCONF devices in one process (weft, docs/architecture.md
 * "Simulators"). This file parses the command line and the optional JSON
 * --config, sets up the devices, starts the server (server.c) and the
 * control interface (control.c), and waits for SIGINT/SIGTERM.
 *
 *   ncsim --devices N (--ssh-base-port P | --unix-dir DIR) [--address A]
 *         [--tls-base-port P --tls-cert F --tls-key F --tls-ca F]
 *         [--models DIR] [--state-dir DIR] [--config FILE] [--host-key F]
 *         [--auth-user USER:PASS]... [--authorized-keys FILE]
 *         [--writable-running-devices 3,7] [--control 127.0.0.1:PORT]
 *         [--workers N] [--verbose]
 *
 * docs/ncsim.md is the user documentation.
 */
#include "ncsim.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#ifndef NCSIM_DEFAULT_MODELS
#define NCSIM_DEFAULT_MODELS "models/yang"
#endif

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

long long now_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

long long now_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void ncsim_log(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&log_lock);
	fputs("ncsim: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&log_lock);
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: ncsim --devices N (--ssh-base-port P | --unix-dir DIR) [--address ADDR]\n"
	        "             [--tls-base-port P --tls-cert FILE --tls-key FILE --tls-ca FILE]\n"
	        "             [--models DIR] [--state-dir DIR] [--config FILE] [--host-key FILE]\n"
	        "             [--auth-user USER:PASS]... [--authorized-keys FILE]\n"
	        "             [--writable-running-devices LIST] [--control ADDR:PORT]\n"
	        "             [--workers N] [--verbose]\n");
}

static unsigned caps_from_names(json_t *arr, const char *where)
{
	static const char *const names[] = {
	        "candidate",        "confirmed-commit", "validate", "rollback-on-error",
	        "writable-running", "startup",          "xpath"};
	unsigned caps = 0;
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v)
	{
		unsigned bit = 0;

		for (unsigned k = 0; k < sizeof(names) / sizeof(names[0]); k++)
			if (json_is_string(v) && !strcmp(json_string_value(v), names[k]))
				bit = 1u << k;
		if (!bit)
			ncsim_log("%s: unknown capability ignored", where);
		caps |= bit;
	}
	return caps;
}

/* --config FILE: {"devices": N, "writable_running_devices": [..],
 *   "device": {"3": {"capabilities": [...], "faults": {...}}}} */
static int load_config(struct ncsim *sim, json_t **out)
{
	json_error_t err;
	json_t *root = json_load_file(sim->opts.config_file, 0, &err);

	if (!root || !json_is_object(root)) {
		ncsim_log("%s:%d: %s", sim->opts.config_file, err.line,
		          root ? "top level must be an object" : err.text);
		json_decref(root);
		return -1;
	}
	if (!sim->opts.devices && json_is_integer(json_object_get(root, "devices")))
		sim->opts.devices = (int)json_integer_value(json_object_get(root, "devices"));
	*out = root;
	return 0;
}

static void apply_config(struct ncsim *sim, json_t *root)
{
	json_t *wr = json_object_get(root, "writable_running_devices"), *devs, *v;
	const char *key;
	size_t i;

	json_array_foreach(wr, i, v) if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	                                 json_integer_value(v) < sim->ndev)
	        sim->devs[json_integer_value(v)]
	                .caps = CAPS_RUNNING_PROFILE;
	devs = json_object_get(root, "device");
	json_object_foreach(devs, key, v)
	{
		int idx = atoi(key);
		json_t *caps = json_object_get(v, "capabilities"),
		       *f = json_object_get(v, "faults");
		char where[64];

		if (idx < 0 || idx >= sim->ndev) {
			ncsim_log("%s: device \"%s\" out of range, ignored", sim->opts.config_file,
			          key);
			continue;
		}
		snprintf(where, sizeof(where), "%s: device %d", sim->opts.config_file, idx);
		if (json_is_array(caps))
			sim->devs[idx].caps = caps_from_names(caps, where);
		if (json_is_integer(json_object_get(f, "latency_ms")))
			sim->devs[idx].faults.latency_ms =
			        (int)json_integer_value(json_object_get(f, "latency_ms"));
	}
}

static int parse_args(struct ncsim *sim, int argc, char **argv)
{
	static const struct option lo[] = {
	        {"devices", 1, 0, 'n'},
	        {"ssh-base-port", 1, 0, 'p'},
	        {"unix-dir", 1, 0, 'u'},
	        {"address", 1, 0, 'a'},
	        {"models", 1, 0, 'm'},
	        {"state-dir", 1, 0, 's'},
	        {"config", 1, 0, 'c'},
	        {"host-key", 1, 0, 'k'},
	        {"auth-user", 1, 0, 'U'},
	        {"authorized-keys", 1, 0, 'K'},
	        {"writable-running-devices", 1, 0, 'w'},
	        {"control", 1, 0, 'C'},
	        {"workers", 1, 0, 'W'},
	        {"tls-base-port", 1, 0, 'T'},
	        {"tls-cert", 1, 0, 'E'},
	        {"tls-key", 1, 0, 'Y'},
	        {"tls-ca", 1, 0, 'A'},
	        {"verbose", 0, 0, 'v'},
	        {"help", 0, 0, 'h'},
	        {0, 0, 0, 0},
	};
	struct ncsim_opts *o = &sim->opts;
	int c;

	o->address = "127.0.0.1";
	o->models_dir = NCSIM_DEFAULT_MODELS;
	o->workers = 4;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->devices = atoi(optarg);
			break;
		case 'p':
			o->ssh_base_port = atoi(optarg);
			break;
		case 'u':
			o->unix_dir = optarg;
			break;
		case 'a':
			o->address = optarg;
			break;
		case 'm':
			o->models_dir = optarg;
			break;
		case 's':
			o->state_dir = optarg;
			break;
		case 'c':
			o->config_file = optarg;
			break;
		case 'k':
			o->host_key = optarg;
			break;
		case 'U':
			if (o->n_auth_users < 16 && strchr(optarg, ':'))
				o->auth_users[o->n_auth_users++] = optarg;
			else
				return ncsim_log("--auth-user wants USER:PASS (at most 16)"), -1;
			break;
		case 'K':
			o->authorized_keys = optarg;
			break;
		case 'w':
			o->writable_running = optarg;
			break;
		case 'C':
			o->control = optarg;
			break;
		case 'W':
			o->workers = atoi(optarg);
			break;
		case 'T':
			o->tls_base_port = atoi(optarg);
			break;
		case 'E':
			o->tls_cert = optarg;
			break;
		case 'Y':
			o->tls_key = optarg;
			break;
		case 'A':
			o->tls_ca = optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		default:
			usage();
			return -1;
		}
	}
	return 0;
}

static int check_opts(struct ncsim *sim)
{
	struct ncsim_opts *o = &sim->opts;

	if (o->devices < 1 || o->devices > 10000)
		return ncsim_log("--devices must be 1..10000"), -1;
	if (!!(o->ssh_base_port || o->tls_base_port) == !!o->unix_dir)
		return ncsim_log("give --ssh-base-port and/or --tls-base-port, or --unix-dir"), -1;
	if (o->tls_base_port && (o->tls_base_port < 1 || o->tls_base_port + o->devices > 65536))
		return ncsim_log("--tls-base-port + --devices must stay within 1..65535"), -1;
	if (o->tls_base_port && (!o->tls_cert || !o->tls_key || !o->tls_ca))
		return ncsim_log("--tls-base-port needs --tls-cert, --tls-key and --tls-ca"), -1;
	if (o->ssh_base_port && (o->ssh_base_port < 1 || o->ssh_base_port + o->devices > 65536))
		return ncsim_log("--ssh-base-port + --devices must stay within 1..65535"), -1;
	if (o->workers < 1 || o->workers > 64)
		return ncsim_log("--workers must be 1..64"), -1;
	if (!o->n_auth_users && !o->authorized_keys)
		o->auth_users[o->n_auth_users++] = "admin:admin";
	return 0;
}

static int setup_devices(struct ncsim *sim)
{
	sim->ndev = sim->opts.devices;
	sim->devs = calloc(sim->ndev, sizeof(*sim->devs));
	if (!sim->devs)
		return -1;
	if (sim->opts.state_dir)
		mkdir(sim->opts.state_dir, 0755);
	for (int i = 0; i < sim->ndev; i++) {
		struct ncdev *d = &sim->devs[i];

		d->sim = sim;
		d->index = i;
		d->caps = CAPS_CANDIDATE_PROFILE;
		snprintf(d->name, sizeof(d->name), "dev%d", i);
		pthread_mutex_init(&d->lock, NULL);
		if (sim->opts.state_dir &&
		    asprintf(&d->state_dir, "%s/dev%d", sim->opts.state_dir, i) < 0)
			return -1;
	}
	for (const char *p = sim->opts.writable_running; p && *p;) {
		char *end;
		long idx = strtol(p, &end, 10);

		if (end == p || idx < 0 || idx >= sim->ndev)
			return ncsim_log("--writable-running-devices: bad list \"%s\"",
			                 sim->opts.writable_running),
			       -1;
		sim->devs[idx].caps = CAPS_RUNNING_PROFILE;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

static void free_devices(struct ncsim *sim)
{
	for (int i = 0; sim->devs && i < sim->ndev; i++) {
		struct ncdev *d = &sim->devs[i];

		for (int k = 0; k < DS_COUNT; k++)
			lyd_free_all(d->ds[k]);
		lyd_free_all(d->cc.backup);
		free(d->cc.persist);
		for (int k = 0; k < NCSIM_LOG_SIZE; k++)
			free(d->log[k].xml);
		free(d->state_dir);
		pthread_mutex_destroy(&d->lock);
	}
	free(sim->devs);
}

static void rm_tmp_dir(struct ncsim *sim)
{
	char path[4200];

	if (!sim->tmp_dir)
		return;
	snprintf(path, sizeof(path), "%s/ssh_host_ed25519_key", sim->tmp_dir);
	unlink(path);
	rmdir(sim->tmp_dir);
	free(sim->tmp_dir);
}

static void print_ready(struct ncsim *sim)
{
	printf("ncsim: ready: %d devices on %s", sim->ndev,
	       sim->opts.unix_dir ? sim->opts.unix_dir : sim->opts.address);
	if (sim->opts.ssh_base_port)
		printf(" ports %d-%d hostkey %s", sim->opts.ssh_base_port,
		       sim->opts.ssh_base_port + sim->ndev - 1, sim->host_key_fpr);
	if (sim->opts.tls_base_port)
		printf(" tls-ports %d-%d", sim->opts.tls_base_port,
		       sim->opts.tls_base_port + sim->ndev - 1);
	if (sim->opts.control)
		printf(" control http://%s", sim->opts.control);
	printf("\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct ncsim sim = {0};
	json_t *cfg = NULL;
	sigset_t set;
	int sig, rc = 1;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit this */
	signal(SIGPIPE, SIG_IGN);
	ly_log_options(LY_LOSTORE_LAST);
	nc_verbosity(NC_VERB_ERROR);
	if (parse_args(&sim, argc, argv) || (sim.opts.config_file && load_config(&sim, &cfg)) ||
	    check_opts(&sim) || setup_devices(&sim))
		goto out;
	if (cfg)
		apply_config(&sim, cfg);
	if (sim.opts.verbose)
		ly_log_options(LY_LOLOG | LY_LOSTORE_LAST);
	if (!sim.opts.state_dir) {
		char tmpl[] = "/tmp/ncsim-XXXXXX";

		if (!mkdtemp(tmpl)) {
			ncsim_log("mkdtemp: %s", strerror(errno));
			goto out;
		}
		sim.tmp_dir = strdup(tmpl);
	}
	if (server_start(&sim)) {
		ncsim_log("start-up failed");
		goto stop;
	}
	if (sim.opts.control && control_start(&sim, sim.opts.control)) {
		ncsim_log("--control %s: cannot listen (want 127.0.0.1:PORT)", sim.opts.control);
		goto stop;
	}
	print_ready(&sim);
	sigwait(&set, &sig);
	ncsim_log("signal %d: shutting down", sig);
	rc = 0;
stop:
	control_stop(&sim);
	server_stop(&sim);
out:
	free_devices(&sim);
	if (sim.ctx)
		ly_ctx_destroy(sim.ctx);
	rm_tmp_dir(&sim);
	free(sim.host_key_path);
	free(sim.host_key_fpr);
	free(sim.host_key_pub);
	json_decref(cfg);
	return rc;
}
