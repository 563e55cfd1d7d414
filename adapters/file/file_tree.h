/* File trees for the file adapter: an in-memory list of (relative path,
 * content) and the filesystem steps the adapter's phases are built from
 * (staging, backup, promote, restore). Paths are relative to a device
 * directory and come from validated names (no "..", no leading "/"). */
#ifndef WEFT_FILE_TREE_H
#define WEFT_FILE_TREE_H

#include <stddef.h>

#include "diag.h"

#define FILE_TREE_STAGING  ".weft-staging"
#define FILE_TREE_BACKUP   ".weft-backup"
#define FILE_TREE_MANIFEST ".weft-manifest"
#define FILE_TREE_MAX_DIR  2048 /* longest device directory accepted */

struct file_entry {
	char *path;
	char *content;
};

struct file_tree {
	struct file_entry *items;
	size_t count, cap;
};

struct file_tree *file_tree_new(void);
void file_tree_free(struct file_tree *t);
/* Frees the items of t (which may live on the stack) and empties it. */
void file_tree_clear(struct file_tree *t);
int file_tree_add(struct file_tree *t, const char *path, const char *content);
void file_tree_sort(struct file_tree *t);
/* On a sorted tree: drops repeated paths (keeping the first) / one path. */
void file_tree_dedup(struct file_tree *t);
void file_tree_drop(struct file_tree *t, const char *path);
/* A whole file as a NUL-terminated string (malloc'd), or NULL (errno). */
char *file_tree_slurp(const char *path);
/* Index of path in a sorted tree, or -1. */
int file_tree_find(const struct file_tree *t, const char *path);

/* The manifest, DIR/.weft-manifest: one relative path per line of every
 * file the adapter wrote in DIR ('#' lines are comments). It is the
 * adapter's whole claim on DIR: a file not listed is never read, replaced
 * or deleted, and a missing manifest means the adapter owns nothing yet.
 * Reads the manifest's paths into t (contents ""), sorted; a line that is
 * not a plain relative path (absolute, "..", hidden components) is an
 * error naming the manifest's file:line. */
int file_tree_read_manifest(struct file_tree *t, const char *dir, weft_err *err);
/* Writes the manifest listing the paths of owned, atomically. */
int file_tree_write_manifest(const char *dir, const struct file_tree *owned, weft_err *err);
/* Reads the files the manifest lists that exist (a listed file that is
 * missing is left out: the diff creates it again). */
int file_tree_read_owned(struct file_tree *t, const char *dir, weft_err *err);

int file_tree_mkdirs(const char *path, weft_err *err);
/* Writes root/rel durably (temp file, fsync, rename). */
int file_tree_write(const char *root, const char *rel, const char *content, weft_err *err);
/* Records dir/rel's current state under dir/.weft-backup (a hard link, or
 * a marker saying it did not exist). Idempotent within one push. */
int file_tree_backup(const char *dir, const char *rel, weft_err *err);
/* Moves dir/.weft-staging/rel to dir/rel. */
int file_tree_promote(const char *dir, const char *rel, weft_err *err);
int file_tree_remove(const char *dir, const char *rel, weft_err *err);
/* Puts back what file_tree_backup recorded (no-op when nothing was). */
int file_tree_restore(const char *dir, const char *rel, weft_err *err);
void file_tree_rmrf(const char *path);

#endif
