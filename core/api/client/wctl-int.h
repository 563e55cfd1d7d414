/* Internals of weft_client shared by its files: HTTP requests, the files
 * envelope, tables and rendering. Not installed, not used by weftd. */
#ifndef WEFT_WCTL_INT_H
#define WEFT_WCTL_INT_H

#include <jansson.h>
#include <stddef.h>

#include "client.h"

/* ---- kinds and names (commands.c) ---- */
#include "resource.h"
/* The short name of a kind ("svc"), "-" when it has none. */
const char *wctl_kind_short(weft_kind k);
/* Prints the known kinds; returns WCTL_USAGE. */
int wctl_unknown_kind(const wctl_opts *o, const char *kind);
/* name (NAME or NAMESPACE/NAME; may be NULL) and -n into escaped path
 * segments; a namespace given twice must agree. 0, or -1 after printing. */
int wctl_split_name(const wctl_opts *o, const char *name, char *ns, size_t ns_size, char *nm,
                    size_t nm_size);

/* ---- HTTP (http.c) ---- */
typedef struct wctl_resp {
	long status; /* HTTP status */
	char *body;  /* NUL-terminated, malloc'd */
	size_t len;
	json_t *json;       /* body parsed when it is JSON, else NULL */
	long long revision; /* X-Weft-Revision, -1 when absent */
} wctl_resp;

/* Sends one request to o->server + path. 0 when a response arrived (any
 * status), -1 after printing why the server could not be reached. */
int wctl_http(const wctl_opts *o, const char *method, const char *path, const char *content_type,
              const char *body, size_t len, wctl_resp *r);
void wctl_resp_free(wctl_resp *r);
/* Common handling of a response: on 2xx returns WCTL_OK (printing the raw
 * JSON when o->json and print_json); otherwise prints the error (and
 * diagnostics) and returns WCTL_FAILED. */
int wctl_check(const wctl_opts *o, const wctl_resp *r, int print_json);

/* ---- event stream (events.c) ---- */
/* Called per event of the stream with its type and data (NULL when not
 * JSON); returns 1 when the event counts towards count. */
typedef int (*wctl_event_fn)(void *arg, const char *type, json_t *data);
/* wctl_events with fn called instead of printing (fn NULL: print), and
 * on_open (may be NULL) called once when the stream is live: what a
 * watcher fetches there cannot miss an event. */
int wctl_follow(const wctl_opts *o, long count, long timeout_s, long long since, wctl_event_fn fn,
                void (*on_open)(void *arg), void *arg);

/* ---- YAML output (yaml_out.c) ---- */
/* v as block YAML (keys sorted, strings quoted when they would read as
 * something else), ending in a newline; YAML that weft's decoder reads back
 * as the same JSON. */
void wctl_yaml_print(FILE *out, json_t *v);

/* ---- local policy files (files.c) ---- */
/* The decoded resources' canonical documents of every policy file under
 * paths (as the server would read them), as a JSON array; NULL after
 * printing every problem. */
json_t *wctl_files_resources(const wctl_opts *o, const char *const *paths, size_t n);
/* Loads path into set like weft_docset_load_path, "-" being stdin (named
 * "stdin" in diagnostics). */
struct weft_docset;
struct weft_diags;
int wctl_docset_load(struct weft_docset *set, const char *path, struct weft_diags *diags);
/* How many policy files paths name (stdin and plain files count as one). */
size_t wctl_policy_file_count(const char *const *paths, size_t n);

/* ---- files envelope (files.c) ---- */
/* {"files":[{"name","content"}]} of every policy file under paths, named
 * as the user wrote the path. NULL after printing the problem. */
char *wctl_files_envelope(const wctl_opts *o, const char *const *paths, size_t n, size_t *len);

/* ---- tables (table.c) ---- */
typedef struct wctl_table wctl_table;
wctl_table *wctl_table_new(size_t ncols, const char *const *headers);
/* Adds a row of ncols cells (copied; NULL prints as "-"). */
void wctl_table_add(wctl_table *t, const char *const *cells);
size_t wctl_table_rows(const wctl_table *t);
/* Columns padded to their widest cell (UTF-8 aware), 3 spaces apart. */
void wctl_table_print(const wctl_table *t, FILE *out);
void wctl_table_free(wctl_table *t);

/* ---- rendering (render.c) ---- */
void wctl_render_write(const wctl_opts *o, json_t *result, const char *verb);
void wctl_render_resources(const wctl_opts *o, json_t *list, int show_kind);
void wctl_render_resource(const wctl_opts *o, json_t *res);
void wctl_render_status(const wctl_opts *o, json_t *status);
void wctl_render_history(const wctl_opts *o, json_t *history);
void wctl_render_transactions(const wctl_opts *o, json_t *transactions);
void wctl_render_plan(const wctl_opts *o, json_t *plan);
/* "file:line:col: path: message" lines of an error body's "errors". */
void wctl_render_errors(FILE *f, json_t *errors);

#endif
