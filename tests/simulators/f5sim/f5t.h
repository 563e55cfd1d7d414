/* Test helper for the f5sim conformance tests: starts build/bin/f5sim on a
 * free loopback port (stopped by pid), and sends requests with libcurl,
 * returning the exact status and the parsed JSON body. */
#ifndef F5T_H
#define F5T_H

#include <jansson.h>
#include <sys/types.h>

#define F5T_PASSWORD "s3cret"

enum f5t_auth { F5T_NONE, F5T_BASIC, F5T_TOKEN };

struct f5t {
	pid_t pid;
	int port;
	char base[64];      /* https://127.0.0.1:PORT */
	char *dir;          /* temp dir (log, state, certs) */
	char token[64];     /* after f5t_login */
	enum f5t_auth auth; /* how f5t_req authenticates */
	const char *cainfo; /* verify the server against this PEM, else no verify */
	int plain;
};

struct f5r {
	long status;
	json_t *json; /* NULL when the body is not JSON */
	char *body;
	double seconds;
};

/* Starts f5sim with the default args plus extra (NULL-terminated, may be
 * NULL). Returns 0, or -1 when it does not come up within 10 s. */
int f5t_start(struct f5t *t, const char *const *extra);
/* SIGTERM and reap; returns the exit status from waitpid, removes dir when
 * keep_dir is 0. */
int f5t_stop(struct f5t *t, int keep_dir);

/* One request; body may be NULL; hdr is one extra header line or NULL. */
int f5t_req(struct f5t *t, const char *method, const char *path, const char *body, const char *hdr,
            struct f5r *r);
void f5r_free(struct f5r *r);

/* POST /mgmt/shared/authn/login, store the token, switch to token auth. */
int f5t_login(struct f5t *t);

/* Convenience: the string at key (or NULL), and "request + status". */
const char *f5_str(json_t *o, const char *key);
long f5t_status(struct f5t *t, const char *method, const char *path, const char *body);
/* f5t_req returning the result by value (status 0 on transport error). */
struct f5r f5t_do(struct f5t *t, const char *method, const char *path, const char *body,
                  const char *hdr);
/* The integer at key (0 when missing). */
long long f5_int(json_t *o, const char *key);

#endif
