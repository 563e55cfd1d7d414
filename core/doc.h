/* Policy documents as positioned trees. The northbound accepts YAML (libyaml)
 * and JSON (checked strictly by jansson) files with many documents each, or a
 * directory of such files. Every node keeps its line and column so that the
 * schema decoder (policy_decode.c) can report file:line:col and field path
 * for every problem. This layer knows nothing of weft's kinds.
 *
 * Rules: map keys are scalars and unique; anchors/aliases are refused (they
 * make errors hard to place and allow exponential expansion), and so is
 * every explicit tag, the core schema's included (types come from the
 * field, see docs/policy.md); nesting depth is bounded. */
#ifndef WEFT_DOC_H
#define WEFT_DOC_H

#include <stddef.h>

#include "arena.h"
#include "diag.h"

#define WEFT_DOC_MAX_DEPTH     64
#define WEFT_DOC_MAX_DIR_DEPTH 16 /* directories below a policy directory */
/* Bounds on one document set (a request body, a policy directory): the
 * memory a parse may take grows with nodes (about 100 bytes each), so a
 * set is refused beyond these (docs/security.md). */
#define WEFT_DOCSET_MAX_DOCS  200000
#define WEFT_DOCSET_MAX_NODES 1000000

typedef enum weft_node_kind {
	WEFT_NODE_NULL,   /* "~", "null", empty value */
	WEFT_NODE_SCALAR, /* any other scalar; typed by the decoder */
	WEFT_NODE_MAP,
	WEFT_NODE_SEQ,
} weft_node_kind;

typedef struct weft_node weft_node;

typedef struct weft_pair {
	weft_node *key; /* always a scalar */
	weft_node *value;
} weft_pair;

struct weft_node {
	weft_node_kind kind;
	int line, col;   /* 1-based position of the node's first character */
	int quoted;      /* scalar was quoted: "80" is a string, 80 may be a number */
	const char *str; /* scalar text, NUL-terminated ("" for NULL nodes) */
	size_t len;
	weft_pair *pairs;  /* MAP: count pairs in document order */
	weft_node **items; /* SEQ: count items */
	size_t count;
};

typedef struct weft_doc {
	const char *file; /* source name as given */
	weft_node *root;  /* NULL for an empty document (skipped by callers) */
} weft_doc;

/* A set of parsed documents; everything lives in one arena. */
typedef struct weft_docset {
	weft_arena *arena;
	weft_doc *docs;
	size_t count, cap;
	size_t nodes; /* parsed so far, bounded by WEFT_DOCSET_MAX_NODES */
} weft_docset;

/* Initialises an empty set (allocates the arena). 0 or -1. */
int weft_docset_init(weft_docset *set);
void weft_docset_free(weft_docset *set);

/* Parses buf (YAML, or JSON when the name ends in .json or the text starts
 * with '{' or '[') and appends its documents. Problems are added to diags
 * with file:line:col; returns 0 when the buffer parsed cleanly, -1 otherwise
 * (documents before a syntax error are kept). */
int weft_docset_parse(weft_docset *set, const char *file, const char *buf, size_t len,
                      weft_diags *diags);

/* Loads a file, or every *.yaml, *.yml and *.json file of a directory
 * (recursively, in name order, hidden entries skipped, symbolic links
 * followed: core/dirwalk.h). A symbolic link loop, a second link into one
 * directory, nesting deeper than WEFT_DOC_MAX_DIR_DEPTH directories and an
 * unreadable directory are diagnostics naming the path (so the load
 * fails), each reported once. */
int weft_docset_load_path(weft_docset *set, const char *path, weft_diags *diags);

/* The value under key in a MAP node, or NULL (also when node is not a map). */
const weft_node *weft_node_get(const weft_node *map, const char *key);
/* Name of the kind for messages ("a map", "a list", "a scalar", "null"). */
const char *weft_node_kind_name(weft_node_kind kind);

#endif
