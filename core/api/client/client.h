/* weftctl's library (weft_client): every command of weftctl as a function
 * taking parsed options, so that cmd/weftctl/ is argument parsing only.
 * Remote commands talk to weftd's REST API (docs/api.md) over libcurl;
 * `validate` runs the policy decoder and validator locally, with no server.
 *
 * Output: readable aligned tables by default, the server's raw JSON with
 * -o json. Errors go to the error stream: the server's message and every
 * diagnostic as file:line:col: path: message. Exit codes: WCTL_OK (0),
 * WCTL_FAILED (1: failed, invalid, conflict, unreachable), WCTL_USAGE (2). */
#ifndef WEFT_CLIENT_H
#define WEFT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { WCTL_OK = 0, WCTL_FAILED = 1, WCTL_USAGE = 2 };

/* -o: table (default), wide, json, yaml, name (docs/weftctl.md). */
enum { WCTL_OUT_TABLE, WCTL_OUT_WIDE, WCTL_OUT_JSON, WCTL_OUT_YAML, WCTL_OUT_NAME };

#define WCTL_DEFAULT_SERVER "http://127.0.0.1:7070"

typedef struct wctl_opts {
	const char *server;       /* base URL; NULL = WCTL_DEFAULT_SERVER */
	const char *token;        /* bearer token; may be NULL */
	const char *cacert;       /* CA bundle for https; may be NULL (system CAs) */
	int json;                 /* -o json: print the server's JSON as is */
	int output;               /* WCTL_OUT_*; json is output == WCTL_OUT_JSON */
	const char *const *files; /* -f FILE|DIR (apply, plan); "-" is stdin */
	size_t n_files;
	int dry_run;                  /* apply --dry-run */
	int64_t expected_rev;         /* --expected-revision, -1 when not given */
	const char *ns;               /* -n NAMESPACE, NULL when not given */
	long limit;                   /* history --limit, -1 when not given */
	const char *mode;             /* apply --atomic / --independent, NULL: server default */
	const char *const *selectors; /* -l KEY=VALUE[,...] (get), all must match */
	size_t n_selectors;
	int watch;            /* get/status --watch */
	long watch_timeout_s; /* --timeout with --watch: stop after it (0: never) */
	FILE *out, *err;      /* where results and errors go */
} wctl_opts;

/* Local validation of files/directories: exit code. */
int wctl_validate(const wctl_opts *o, const char *const *paths, size_t n);

int wctl_apply(const wctl_opts *o);
int wctl_plan(const wctl_opts *o);
/* kind: singular, plural or short name, any case ("route", "Routes",
 * "rt"). name may be NULL (a list), or NAMESPACE/NAME. */
int wctl_get(const wctl_opts *o, const char *kind, const char *name);
int wctl_delete(const wctl_opts *o, const char *kind, const char *name);
/* delete -f: every resource the files define. */
int wctl_delete_files(const wctl_opts *o);
/* diff -f: unified diff of stored vs files; 0 same, 1 differ, 2 error. */
int wctl_diff(const wctl_opts *o);
int wctl_status(const wctl_opts *o);
/* explain KIND[.FIELD]: from the schema tables, no server. */
int wctl_explain(const wctl_opts *o, const char *what);
/* describe KIND [NS/]NAME: the resource, the devices that carry it and
 * their state, its warnings and its recent events. */
int wctl_describe(const wctl_opts *o, const char *kind, const char *name);
int wctl_history(const wctl_opts *o);
/* Follows the event stream (GET /v1/events): stops after count events
 * (count > 0), after timeout_s seconds (> 0: exit 0), or when the server
 * ends the stream. since >= 0 resumes after that event id. */
int wctl_events(const wctl_opts *o, long count, long timeout_s, long long since);
/* The last network-wide transactions and their per-device results. */
int wctl_transactions(const wctl_opts *o);
int wctl_rollback(const wctl_opts *o, int64_t revision);

/* The API plural of a kind given singular, plural or short name in any
 * case, or NULL. */
const char *wctl_kind_plural(const char *kind);
/* The kind index (weft_kind) of such a name, or -1. */
int wctl_kind_find(const char *kind);
/* The short name of kind index k ("svc"), "-" when it has none. */
const char *wctl_kind_short_name(int k);
/* Whether a resource's labels match every -l selector. */
#include <jansson.h>
int wctl_selector_match(const wctl_opts *o, json_t *resource);
/* Whether a -l value is well formed: requirements KEY, KEY=V, KEY==V or
 * KEY!=V (KEY non-empty), comma-separated. */
int wctl_selector_valid(const char *selector);

#endif
