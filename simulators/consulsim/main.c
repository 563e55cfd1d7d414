/* consulsim: command line and life cycle.
 *
 *   consulsim --listen HOST:PORT [--datacenter dc1] [--acl-token TOKEN]
 *             [--state FILE] [--max-conns-per-client N]
 *
 * Prints "consulsim: ready http://HOST:PORT" once it serves. With --state
 * the catalog (with its indexes and the agent's TTLs) is loaded at start
 * when the file exists and written on SIGTERM/SIGINT, which stop it with
 * exit 0. Signals are taken with sigwait in the main thread; a ticker
 * thread (TTLs, wait deadlines, delays) runs every 20 ms. docs/consulsim.md. */
#include "consulsim.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *listen, *dc, *token, *state, *cap;
};

static void usage(void)
{
	fprintf(stderr,
	        "usage: consulsim --listen HOST:PORT [--datacenter dc1] [--acl-token TOKEN]\n"
	        "                 [--state FILE] [--max-conns-per-client N]\n");
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->dc = "dc1";
	for (i = 1; i < argc; i++) {
		const char **dst = NULL;

		if (!strcmp(argv[i], "--listen"))
			dst = &o->listen;
		else if (!strcmp(argv[i], "--datacenter"))
			dst = &o->dc;
		else if (!strcmp(argv[i], "--acl-token"))
			dst = &o->token;
		else if (!strcmp(argv[i], "--state"))
			dst = &o->state;
		else if (!strcmp(argv[i], "--max-conns-per-client"))
			dst = &o->cap;
		if (!dst || i + 1 >= argc) {
			fprintf(stderr, "consulsim: bad argument %s\n", argv[i]);
			return -1;
		}
		*dst = argv[++i];
	}
	if (!o->listen) {
		fprintf(stderr, "consulsim: --listen is required\n");
		return -1;
	}
	if (!*o->dc || strlen(o->dc) >= 64 ||
	    (o->token && (!*o->token || strlen(o->token) >= 256))) {
		fprintf(stderr,
		        "consulsim: --datacenter and --acl-token must be non-empty and short\n");
		return -1;
	}
	if (o->cap && atoi(o->cap) < 1) {
		fprintf(stderr, "consulsim: --max-conns-per-client %s: expected a number >= 1\n",
		        o->cap);
		return -1;
	}
	return 0;
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
		fprintf(stderr, "consulsim: %s:%d: %s\n", path, je.line, je.text);
		return -1;
	}
	rc = catalog_load(&s->cat, json_object_get(d, "catalog"), err, sizeof(err));
	if (rc)
		fprintf(stderr, "consulsim: %s: %s\n", path, err);
	else
		agent_load_ttls(s, json_object_get(d, "ttls"));
	json_decref(d);
	return rc;
}

static int save_state(struct sim *s, const char *path)
{
	char tmp[4096];
	json_t *d = json_pack("{s:o, s:o}", "catalog", catalog_dump(&s->cat), "ttls",
	                      agent_dump_ttls(s));
	int rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	rc = json_dump_file(d, tmp, JSON_INDENT(1));
	json_decref(d);
	if (rc || rename(tmp, path)) {
		fprintf(stderr, "consulsim: cannot write state %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

static volatile int ticker_stop;

static void *ticker(void *arg)
{
	struct sim *s = arg;
	struct timespec ts = {0, 20 * 1000 * 1000};

	while (!ticker_stop) {
		nanosleep(&ts, NULL);
		http_tick(s);
	}
	return NULL;
}

static void sim_init(struct sim *s, const struct opts *o)
{
	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	catalog_init(&s->cat);
	snprintf(s->dc, sizeof(s->dc), "%s", o->dc);
	if (o->token) {
		s->acl_on = 1;
		snprintf(s->acl_token, sizeof(s->acl_token), "%s", o->token);
	}
	s->conn_cap = o->cap ? atoi(o->cap) : 200;
	s->next_due_ms = LLONG_MAX;
	s->per_ip = json_object();
	s->ctr.by_endpoint = json_object();
}

static void sim_fini(struct sim *s)
{
	agent_free(s);
	catalog_free(&s->cat);
	json_decref(s->per_ip);
	json_decref(s->ctr.by_endpoint);
	pthread_mutex_destroy(&s->lock);
}

int main(int argc, char **argv)
{
	static struct sim s;
	struct opts o;
	pthread_t tick;
	char err[512];
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
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* threads inherit the mask */
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	sim_init(&s, &o);
	if (o.state && load_state(&s, o.state)) {
		sim_fini(&s);
		return 1;
	}
	if (!http_start(&s, o.listen, err, sizeof(err))) {
		fprintf(stderr, "consulsim: %s\n", err);
		sim_fini(&s);
		return 1;
	}
	pthread_mutex_lock(&s.lock);
	snprintf(s.leader, sizeof(s.leader), "%s:8300", s.host);
	agent_init(&s);
	pthread_mutex_unlock(&s.lock);
	if (pthread_create(&tick, NULL, ticker, &s)) {
		fprintf(stderr, "consulsim: cannot start the ticker\n");
		http_stop(&s);
		sim_fini(&s);
		return 1;
	}
	printf(strchr(s.host, ':') ? "consulsim: ready http://[%s]:%d\n"
	                           : "consulsim: ready http://%s:%d\n",
	       s.host, s.port);
	fflush(stdout);
	sigwait(&set, &sig);
	ticker_stop = 1;
	pthread_join(tick, NULL);
	http_stop(&s);
	if (o.state && save_state(&s, o.state))
		rc = 1;
	sim_fini(&s);
	return rc;
}
