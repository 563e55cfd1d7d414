/* Harness of the weftd integration tests: start weftd by pid on a free
 * port (--api 127.0.0.1:0 + --ready-file) with a temp state directory,
 * talk to it over HTTP (libcurl), run weftctl, stop everything by pid.
 * Every wait is bounded. Used by the test_weftd_*.c programs. */
#ifndef WEFT_IT_HARNESS_H
#define WEFT_IT_HARNESS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct wd {
	char *dir; /* temp dir holding everything below (removed at cleanup) */
	char state[512], ready[512], log[512];
	pid_t pid;     /* 0 when not running */
	char addr[64]; /* "127.0.0.1:PORT" from the ready file */
	char url[96];  /* "http://127.0.0.1:PORT" */
} wd;

/* A new temp dir and paths; 0 or -1. */
int wd_init(wd *d, const char *prefix);
/* Starts weftd with --state, --api 127.0.0.1:0, --ready-file, then extra
 * args (NULL-terminated, may be NULL); waits up to 15 s for readiness.
 * 0 or -1 (the log is printed on failure). */
int wd_start(wd *d, const char *const *extra);
/* SIGTERM and wait (10 s, then SIGKILL). Returns the exit code, -1 when it
 * did not exit normally. */
int wd_stop(wd *d);
/* Stops weftd if running and removes the temp dir. */
void wd_cleanup(wd *d);
/* The daemon's log so far (caller frees). */
char *wd_log(const wd *d);

typedef struct http_resp {
	long status;
	char *body;
	json_t *json;       /* body parsed as JSON, or NULL */
	long long revision; /* X-Weft-Revision, -1 when absent */
} http_resp;

/* One request to base + path. token may be NULL. 0 or -1 (no answer). */
int http_do(const char *base, const char *method, const char *path, const char *token,
            const char *ctype, const char *body, size_t len, http_resp *r);
void http_resp_free(http_resp *r);
/* As http_do with a CA file for https (cafile may be NULL). */
int http_do_tls(const char *base, const char *cafile, const char *method, const char *path,
                http_resp *r);

/* The files envelope {"files":[...]} of every *.yaml under dir (sorted),
 * each named prefix + "/" + file name. */
char *files_envelope_dir(const char *dir, const char *prefix);
/* The envelope of one file given by name and content. */
char *files_envelope_one(const char *name, const char *content);
/* Lines starting with "kind:" in every *.yaml of dir: the document count. */
int count_docs_dir(const char *dir);

/* Head revision from GET /v1/revisions (-1 on error). */
long long wd_head(const wd *d, const char *token);
/* Runs weftctl --server d->url ARGS... (NULL-terminated), output in *out
 * (caller frees; may be NULL to discard). Returns the exit code. */
int wctl_run(const wd *d, char **out, const char *arg, ...) __attribute__((sentinel));
/* Polls until wd_head(d) >= rev, up to timeout_ms. 0 or -1. */
int wd_wait_head(const wd *d, long long rev, int timeout_ms);

#endif
