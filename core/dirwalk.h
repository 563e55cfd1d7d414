/* The one directory walker of weft: policy directories (core/doc.c), the
 * policy watch (core/api/watch.c) and weftctl's file envelope
 * (core/api/client/files.c) all walk through it, so they agree on what a
 * directory holds.
 *
 * Rules: entries in byte order of their names; hidden entries (a name
 * starting with '.') skipped; symbolic links followed (stat), so a link to
 * a file or directory counts as that file or directory. Every directory
 * is entered at most once per walk, recognised by (st_dev, st_ino): a link
 * back to a directory that is being walked (a loop) or to one already
 * walked is reported once as a problem naming the link's path and not
 * followed, so the work is linear in the real tree however many links
 * point around it. Nesting deeper than max_depth directories, and
 * directories that cannot be opened, are problems too. A problem never
 * stops the walk; only a callback can. */
#ifndef WEFT_DIRWALK_H
#define WEFT_DIRWALK_H

#include <sys/stat.h>

#define WEFT_DIRWALK_MAX_DEPTH 32

typedef struct weft_dirwalk_entry {
	const char *path;      /* the root joined with rel ("root/a/b.yaml") */
	const char *rel;       /* relative to the root; "" for the root itself */
	const char *name;      /* the last component of rel ("" for the root) */
	const struct stat *st; /* stat() of path: links followed */
	int depth;             /* directories between the root and the entry */
} weft_dirwalk_entry;

typedef struct weft_dirwalk_ops {
	/* A regular file. Nonzero stops the walk and is returned. May be NULL. */
	int (*file)(void *ctx, const weft_dirwalk_entry *e);
	/* A directory (the root included), before its entries: 0 enters it,
	 * 1 skips it, anything else stops the walk and is returned. NULL
	 * enters every directory. */
	int (*dir)(void *ctx, const weft_dirwalk_entry *e);
	/* A problem at path (a loop, a second way into one directory, too deep,
	 * unreadable). msg is a full sentence without the path. May be NULL. */
	void (*problem)(void *ctx, const char *path, const char *msg);
	int max_depth; /* directories below the root; 0 selects WEFT_DIRWALK_MAX_DEPTH */
} weft_dirwalk_ops;

/* Walks the directory root. Returns 0 when the walk was complete without a
 * problem, 1 when problems were reported (root missing or not a directory
 * included), -1 when out of memory, or the nonzero value a callback
 * stopped the walk with. */
int weft_dirwalk(const char *root, const weft_dirwalk_ops *ops, void *ctx);

#endif
