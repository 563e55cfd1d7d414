/* Test helper for the consulsim conformance tests: starts build/bin/consulsim
 * on a free loopback port (stopped by pid) and sends requests with libcurl,
 * returning the exact status, the Consul headers and the parsed body. */
#ifndef CST_H
#define CST_H

#include <jansson.h>
#include <sys/types.h>

struct cst {
	pid_t pid;
	int port;
	char base[64]; /* http://127.0.0.1:PORT */
	char *dir;     /* temp dir (log, state) */
};

struct csr {
	long status;
	int curl_rc;     /* CURLcode: 0, or why the transfer failed */
	char *body;      /* never NULL */
	json_t *json;    /* NULL when the body is not JSON */
	long long index; /* X-Consul-Index, -1 when absent */
	char known_leader[16], last_contact[32], filtered[16], consistency[16];
	double seconds;
};

/* Starts consulsim with --listen plus extra args (NULL-terminated, may be
 * NULL); waits for its ready line. 0, or -1 when it does not come up in 10 s.
 * t->dir is kept when already set (restarts on the same state). */
int cst_start(struct cst *t, const char *const *extra);
/* SIGTERM and reap; the waitpid status. Removes dir unless keep_dir. */
int cst_stop(struct cst *t, int keep_dir);

/* One request. hdr: one extra header line or NULL; timeout in seconds. */
struct csr cst_do(struct cst *t, const char *method, const char *path, const char *body,
                  const char *hdr);
struct csr cst_do_timeout(struct cst *t, const char *method, const char *path, const char *body,
                          const char *hdr, long timeout_s);
void csr_free(struct csr *r);
/* Status only. */
long cst_status(struct cst *t, const char *method, const char *path, const char *body);
/* Registers node/service/port with one service check in status. 0 or -1. */
int cst_register(struct cst *t, const char *node, const char *svc, int port, const char *status,
                 const char *hdr);

#endif
