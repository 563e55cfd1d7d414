/* Diagnostics and errors. Validation reports ALL problems it finds as a list
 * of diagnostics, each naming file:line:column and the field path (e.g.
 * spec.http[0].destinations[1].weight). Operations that fail once (store,
 * adapters, I/O) fill a weft_err with one message that names the place.
 * Functions that can fail return 0 on success and -1 (or a WEFT_E* code)
 * on failure; nothing aborts the process on bad input. */
#ifndef WEFT_DIAG_H
#define WEFT_DIAG_H

#include <stdio.h>
#include <stddef.h>

/* Status codes beyond plain -1, for callers that must tell them apart. */
enum {
	WEFT_OK = 0,
	WEFT_EFAIL = -1,     /* generic failure, see the message */
	WEFT_EINVALID = -2,  /* input did not validate: see the diagnostics */
	WEFT_ECONFLICT = -3, /* expected revision is not the current one */
	WEFT_ENOTFOUND = -4, /* no such resource / revision / device */
};

typedef struct weft_diag {
	char *file; /* source name ("policy/a.yaml", "request"), never NULL */
	int line;   /* 1-based; 0 when unknown */
	int col;    /* 1-based; 0 when unknown */
	char *path; /* field path ("spec.ports[0].port"), "" for the document */
	char *msg;  /* what is wrong, with a hint where one helps */
} weft_diag;

/* A list keeps at most this many diagnostics; beyond, it only counts them
 * (omitted), so that hostile input (a body of 100,000 broken documents)
 * cannot grow memory or answers without bound. */
#define WEFT_DIAGS_MAX 1000

typedef struct weft_diags {
	weft_diag *items;
	size_t count, cap;
	size_t omitted; /* added beyond WEFT_DIAGS_MAX, not kept */
} weft_diags;

void weft_diags_init(weft_diags *d);
/* Frees every diagnostic; leaves an empty list that can be reused. */
void weft_diags_free(weft_diags *d);
/* Appends one diagnostic (or counts it in omitted once WEFT_DIAGS_MAX are
 * kept). file may be NULL ("-"), path may be NULL (""). */
void weft_diags_add(weft_diags *d, const char *file, int line, int col, const char *path,
                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Moves all items of src to the end of dst; src is left empty. */
void weft_diags_move(weft_diags *dst, weft_diags *src);
/* Every diagnostic added: kept + omitted. */
size_t weft_diags_total(const weft_diags *d);
/* Orders by file, line, column (stable), so output is deterministic. */
void weft_diags_sort(weft_diags *d);
/* "file:line:col: path: msg" (":line:col" omitted when unknown, "path: "
 * omitted when empty). Returns a malloc'd string. */
char *weft_diag_format(const weft_diag *diag);
/* Prints each diagnostic on its own line, then "... and N more errors"
 * when some were omitted. */
void weft_diags_print(FILE *out, const weft_diags *d);

/* One error with a message that names the place. */
typedef struct weft_err {
	int code; /* a WEFT_E* code */
	char msg[1024];
} weft_err;

/* Sets err (when not NULL) and returns WEFT_EFAIL, so that callers can write
 * `return weft_err_set(err, "...")`. */
int weft_err_set(weft_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same with an explicit code; returns code. */
int weft_err_setc(weft_err *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message: "prefix: old message". */
void weft_err_prefix(weft_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
