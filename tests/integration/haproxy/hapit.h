/* The haproxy test rig: a real "box" on loopback, i.e. a private sshd
 * (ed25519 host and user keys in a temp dir) in front of Debian's haproxy
 * in master-worker mode (master CLI on 127.0.0.1:MPORT, config dir with an
 * operator file and weft's weft.cfg), small HTTP backends that say who
 * they are (backend.py) and a load generator (loadgen.py). Every process
 * is started by pid on free ports and stopped by pid; waits are bounded.
 * Also the adapter pipeline for one device, as the core's worker runs it. */
#ifndef HAPIT_H
#define HAPIT_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "adapter.h"
#include "snapshot.h"

#define HAPIT_BACKENDS 3

struct hapit {
	char *dir;
	int ssh_port, master_port, op_port;
	int backend_port[HAPIT_BACKENDS]; /* named a, b, c */
	pid_t sshd, haproxy, backend[HAPIT_BACKENDS];
	char fp[128];
	char cfg[700]; /* weft's file on the box */
};

/* Whether haproxy, sshd and python3 are installed. */
int hapit_available(void);
int hapit_start(struct hapit *h);
void hapit_stop(struct hapit *h);
/* The Device YAML for the box (name "lb", namespace shop), appended to buf. */
void hapit_device_yaml(const struct hapit *h, char *buf, size_t len);
/* One master CLI command straight to the master (from the test). */
char *hapit_master(const struct hapit *h, const char *cmd);
/* The current worker's pid per `show proc`, -1 when none. */
int hapit_worker_pid(const struct hapit *h);

/* render -> observe -> diff and, when the plan is not empty, prepare ->
 * apply (abort on failure). *ops gets the plan's op actions joined by ','
 * (malloc'd, may be NULL). 0 or -1 with err. */
int hapit_push(void **session, const weft_snapshot *snap, char **ops, weft_err *err);
void hapit_close(void *session);

/* Runs loadgen.py on 127.0.0.1:port with count requests (extra args
 * NULL-terminated, may be NULL); its JSON result, or NULL. */
json_t *hapit_load(int port, int count, const char *const *extra);
/* Continuous load until hapit_load_stop. */
pid_t hapit_load_start(const struct hapit *h, int port, const char *name);
json_t *hapit_load_stop(const struct hapit *h, pid_t pid, const char *name);
/* Responses of backend `name` in a loadgen result; failures. */
long long hapit_count(const json_t *r, const char *name);
long long hapit_status(const json_t *r, const char *status);
long long hapit_failures(const json_t *r);

#endif
