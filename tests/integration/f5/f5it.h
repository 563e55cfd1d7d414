/* Helpers for the F5 adapter's integration tests and benchmark: start and
 * stop f5sim (by pid, free port), talk to its /sim/ API and to its REST API
 * as an operator would (basic auth), compile YAML policies into snapshots,
 * and push a snapshot through the adapter's phases exactly as a core
 * device worker does (open once, render, observe, diff, prepare, apply,
 * confirm; abort on failure). F5IT_TIMING=1 in the environment prints the
 * time of each phase of every push to stderr. */
#ifndef WEFT_F5IT_H
#define WEFT_F5IT_H

#include <jansson.h>
#include <sys/types.h>

#include "adapter.h"
#include "snapshot.h"

struct f5it {
	pid_t pid;
	int port;
	char base[64];                 /* https://127.0.0.1:PORT */
	char *dir;                     /* temp dir (f5sim log) */
	void *session;                 /* the adapter's session, kept across pushes */
	weft_adapter_instance adapter; /* the f5 adapter instance (its memo) */
};

/* Starts f5sim (user admin, password "secret", HTTPS). 0 or -1. */
int f5it_start(struct f5it *t);
void f5it_stop(struct f5it *t);

/* /sim/ call (GET when body and method are NULL); steals body. Returns the
 * answer (caller decrefs). */
json_t *f5it_sim(struct f5it *t, const char *method, const char *path, json_t *body);
/* Operator's REST call with basic auth; *status gets the HTTP status. */
json_t *f5it_rest(struct f5it *t, const char *method, const char *path, json_t *body, long *status);
/* GET /sim/counters "total" (every /mgmt/ request). */
long long f5it_total(struct f5it *t);
/* Requests in the /sim/log that are not logins. */
long long f5it_calls_no_login(struct f5it *t);

/* The device YAML for this simulator (partition weft). */
void f5it_device_yaml(struct f5it *t, char *buf, size_t len);
/* Compiles YAML text; NULL (diagnostics printed) on failure. */
weft_snapshot *f5it_compile(const char *yaml, int64_t rev);
/* Pushes like a device worker. Returns the plan's op count, -1 on failure
 * (err filled). The session is kept in t (closed after a failure). */
int f5it_push(struct f5it *t, const weft_snapshot *snap, weft_err *err);
/* Drops the session (the next push opens a new one and reads in full). */
void f5it_reset_session(struct f5it *t);
/* The objects of one type from /sim/state (borrowed from *state_out). */
json_t *f5it_objects(json_t *state, const char *type);
/* An object by fullPath in an objects array, or NULL. */
json_t *f5it_find(json_t *objects, const char *full);

#endif
