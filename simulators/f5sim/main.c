/* f5sim: command line and life cycle.
 *
 *   f5sim --listen 127.0.0.1:PORT --user admin:PASSWORD [--state FILE]
 *         [--cert CERT.pem --key KEY.pem] [--plain]
 *
 * HTTPS by default (a self-signed certificate is made in memory when no
 * --cert/--key is given); --plain serves HTTP (benchmarks). With --state,
 * the configuration is loaded at start when the file exists and written on
 * SIGTERM/SIGINT (a clean stop). Signals are taken with sigwait in the main
 * thread, so no handler touches state. See docs/f5sim.md. */
#include "f5sim.h"

#include <errno.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct opts {
	const char *listen, *user, *state, *cert, *key;
	int plain;
};

static void usage(void)
{
	fprintf(stderr, "usage: f5sim --listen ADDR:PORT --user USER:PASSWORD [--state FILE]\n"
	                "             [--cert CERT.pem --key KEY.pem] [--plain]\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 1; i < argc; i++) {
		const char **dst = NULL;

		if (!strcmp(argv[i], "--plain")) {
			o->plain = 1;
			continue;
		}
		if (!strcmp(argv[i], "--listen"))
			dst = &o->listen;
		else if (!strcmp(argv[i], "--user"))
			dst = &o->user;
		else if (!strcmp(argv[i], "--state"))
			dst = &o->state;
		else if (!strcmp(argv[i], "--cert"))
			dst = &o->cert;
		else if (!strcmp(argv[i], "--key"))
			dst = &o->key;
		if (!dst || i + 1 >= argc) {
			fprintf(stderr, "f5sim: bad argument %s\n", argv[i]);
			return -1;
		}
		*dst = argv[++i];
	}
	if (!o->listen || !o->user || !strchr(o->user, ':') || (!o->cert != !o->key)) {
		fprintf(stderr, "f5sim: --listen and --user USER:PASSWORD are required; "
		                "--cert and --key go together\n");
		return -1;
	}
	return 0;
}

static char *read_all(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		} else if (buf) {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

static int load_state(struct sim *s, const char *path)
{
	json_error_t je;
	json_t *d;
	char err[512];
	int rc;

	if (access(path, F_OK))
		return 0;
	d = json_load_file(path, 0, &je);
	if (!d) {
		fprintf(stderr, "f5sim: %s:%d: %s\n", path, je.line, je.text);
		return -1;
	}
	rc = store_load(&s->store, d, err, sizeof(err));
	if (rc)
		fprintf(stderr, "f5sim: %s: %s\n", path, err);
	json_decref(d);
	return rc;
}

static int save_state(struct sim *s, const char *path)
{
	char tmp[4096];
	json_t *d = store_dump(&s->store);
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	rc = json_dump_file(d, tmp, JSON_INDENT(1));
	json_decref(d);
	if (rc || rename(tmp, path)) {
		fprintf(stderr, "f5sim: cannot write state %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int tls_material(const struct opts *o, char **cert, char **key)
{
	char err[512];

	*cert = *key = NULL;
	if (o->plain)
		return 0;
	if (o->cert) {
		*cert = read_all(o->cert);
		*key = read_all(o->key);
		if (!*cert || !*key) {
			fprintf(stderr, "f5sim: cannot read %s\n", !*cert ? o->cert : o->key);
			return -1;
		}
		return 0;
	}
	if (tlsgen_self_signed(cert, key, err, sizeof(err))) {
		fprintf(stderr, "f5sim: %s\n", err);
		return -1;
	}
	return 0;
}

static void sim_init(struct sim *s, const char *user)
{
	const char *colon = strchr(user, ':');

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->user, sizeof(s->user), "%.*s", (int)(colon - user), user);
	snprintf(s->password, sizeof(s->password), "%s", colon + 1);
	store_init(&s->store);
	table_init(&s->tokens);
	table_init(&s->txns);
	table_init(&s->counters);
	s->fail_status = 503;
}

static void sim_fini(struct sim *s)
{
	txn_free_all(s);
	table_clear(&s->tokens, NULL);
	table_clear(&s->counters, NULL);
	store_free(&s->store);
	pthread_mutex_destroy(&s->lock);
}

int main(int argc, char **argv)
{
	static struct sim s;
	struct opts o;
	struct MHD_Daemon *d;
	char *cert = NULL, *key = NULL, err[512];
	sigset_t set;
	int sig = 0, rc = 0;

	if (parse_opts(argc, argv, &o)) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* MHD threads inherit the mask */
	sim_init(&s, o.user);
	if ((o.state && load_state(&s, o.state)) || tls_material(&o, &cert, &key)) {
		sim_fini(&s);
		return 1;
	}
	d = http_start(&s, o.listen, cert, key, o.plain, err, sizeof(err));
	if (!d) {
		fprintf(stderr, "f5sim: %s\n", err);
		free(cert);
		free(key);
		sim_fini(&s);
		return 1;
	}
	fprintf(stderr, "f5sim: serving %s://%s\n", o.plain ? "http" : "https", o.listen);
	sigwait(&set, &sig);
	MHD_stop_daemon(d);
	if (o.state)
		rc = save_state(&s, o.state) ? 1 : 0;
	free(cert);
	free(key);
	sim_fini(&s);
	return rc;
}
