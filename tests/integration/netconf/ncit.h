/* Helpers shared by the netconf adapter's integration tests, its push
 * driver and its benchmarks: ncsim started by pid on free loopback ports,
 * its HTTP control interface (libcurl), policies compiled with the real
 * decoder, and the adapter pipeline run for one device (the same sequence
 * the core's device worker runs: render, observe, diff, prepare, apply,
 * confirm, abort on failure). Every wait is bounded. */
#ifndef WEFT_NCIT_H
#define WEFT_NCIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "adapter.h"
#include "snapshot.h"

struct ncit_sim {
	pid_t pid;
	int n, base, control;
	char fp[128]; /* host key fingerprint "SHA256:..." */
	char *dir;    /* temp dir (log) */
	char log[600];
};

/* Starts ncsim with n devices (SSH on base..base+n-1, user admin:secret)
 * plus extra args (NULL-terminated, may be NULL). 0 or -1 (log printed). */
int ncit_sim_start(struct ncit_sim *s, int n, const char *const *extra);
void ncit_sim_stop(struct ncit_sim *s);

/* One HTTP request to 127.0.0.1:port; returns the body (malloc'd) or NULL
 * when nobody answered; *status gets the HTTP status (may be NULL). */
char *ncit_http(int port, const char *method, const char *path, const char *body, long *status);
/* ncsim's running datastore of device i as XML (malloc'd). */
char *ncit_running(const struct ncit_sim *s, int i);

/* A netconf Device named name for ncsim device i (credentials from env
 * NCIT_PASSWORD, which ncit_sim_start sets), with extra spec lines (e.g.
 * "  options: {commit: running}\n"; may be NULL), appended to buf. */
void ncit_device_yaml(char *buf, size_t len, const char *name, const struct ncit_sim *s, int i,
                      const char *extra);

/* Compiles YAML text into a snapshot; NULL with the diagnostics in err. */
weft_snapshot *ncit_compile(const char *yaml, int64_t rev, char *err, size_t errlen);
const weft_resource *ncit_device(const weft_snapshot *snap, const char *name);

/* Runs render -> observe -> diff and, when the plan is not empty,
 * prepare -> apply -> confirm (abort on failure) for dev, opening
 * *session when NULL. stop_after "apply" returns right after apply
 * (nothing confirmed). *n_ops gets the plan's op count; last_edit (may be
 * NULL) a copy of the edit-config op's detail. 0 or -1 with err. */
/* The netconf adapter instance of the test process (built on first use). */
const weft_adapter_instance *ncit_adapter(void);
int ncit_push(void **session, const weft_snapshot *snap, const weft_resource *dev,
              const char *stop_after, size_t *n_ops, char **last_edit, weft_err *err);

/* yuma123 netconfd loaded with models/yang/weft-lb.yang (target
 * "candidate" or "running"), reached over SSH through a private sshd on a
 * free loopback port: ed25519 host and user keys in dir (user_key is the
 * private key to log in with), fp the host key's SHA256 fingerprint, user
 * the current user (netconfd's superuser). */
struct ncit_yuma {
	char *dir;
	int port;
	pid_t netconfd, sshd;
	char fp[128], user[64];
};
/* Whether netconfd, netconf-subsystem and sshd are installed. */
int ncit_yuma_available(void);
int ncit_yuma_start(struct ncit_yuma *y, const char *target);
void ncit_yuma_stop(struct ncit_yuma *y);

#endif
