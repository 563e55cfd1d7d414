/* The directory walker (see dirwalk.h). Depth-first over sorted names; a
 * table of the directories entered, by (st_dev, st_ino), makes each one be
 * entered once: a second way in is reported (as a loop when the directory
 * is still open on the current path) instead of followed. */
#include "dirwalk.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

struct visit {
	char key[48]; /* "dev:ino" */
	char *path;
	int open; /* on the current path from the root */
};

struct walk {
	const weft_dirwalk_ops *ops;
	void *ctx;
	const char *root;
	size_t root_len;
	int max_depth;
	struct visit **visits; /* each allocated once: keys stay put */
	size_t n_visits, cap_visits;
	weft_hmap seen; /* key -> struct visit */
	int problems;
	int stop;
};

static void problem(struct walk *w, const char *path, const char *fmt, const char *arg)
{
	char msg[1200];
	snprintf(msg, sizeof(msg), fmt, arg);
	w->problems++;
	if (w->ops->problem)
		w->ops->problem(w->ctx, path, msg);
}

/* The visit of the directory st, or a new one (*fresh = 1). NULL: no memory. */
static struct visit *visit_of(struct walk *w, const struct stat *st, const char *path, int *fresh)
{
	char key[48];
	snprintf(key, sizeof(key), "%ju:%ju", (uintmax_t)st->st_dev, (uintmax_t)st->st_ino);
	struct visit *v = weft_hmap_get(&w->seen, key);
	*fresh = !v;
	if (v)
		return v;
	if (w->n_visits == w->cap_visits) {
		size_t cap = w->cap_visits ? w->cap_visits * 2 : 16;
		struct visit **vs = realloc(w->visits, cap * sizeof(*vs));
		if (!vs)
			return NULL;
		w->visits = vs;
		w->cap_visits = cap;
	}
	v = calloc(1, sizeof(*v));
	if (!v || !(v->path = strdup(path))) {
		free(v);
		return NULL;
	}
	memcpy(v->key, key, sizeof(key));
	if (weft_hmap_put(&w->seen, v->key, v)) {
		free(v->path);
		free(v);
		return NULL;
	}
	w->visits[w->n_visits++] = v;
	return v;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The non-hidden names of path, sorted; NULL with *n = 0 when empty. */
static char **read_names(struct walk *w, const char *path, size_t *n, int *failed)
{
	*n = 0;
	*failed = 0;
	DIR *d = opendir(path);
	if (!d) {
		problem(w, path, "cannot open directory: %s", strerror(errno));
		return NULL;
	}
	char **names = NULL;
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *copy = strdup(de->d_name);
		if (copy && *n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (nn)
				names = nn;
			else {
				free(copy);
				copy = NULL;
			}
		}
		if (!copy) {
			*failed = 1;
			break;
		}
		names[(*n)++] = copy;
	}
	closedir(d);
	if (*n)
		qsort(names, *n, sizeof(*names), by_name);
	return names;
}

static void walk_dir(struct walk *w, const char *path, const struct stat *st, int depth);

static void walk_entry(struct walk *w, const char *dir, const char *name, int depth)
{
	char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0) {
		w->stop = -1;
		return;
	}
	struct stat st;
	if (stat(path, &st) == 0) {
		if (S_ISDIR(st.st_mode))
			walk_dir(w, path, &st, depth + 1);
		else if (S_ISREG(st.st_mode) && w->ops->file) {
			weft_dirwalk_entry e = {path, path + w->root_len + 1, name, &st, depth};
			w->stop = w->ops->file(w->ctx, &e);
		}
	}
	/* else: a dangling link or an entry removed meanwhile; nothing to read */
	free(path);
}

static void walk_dir(struct walk *w, const char *path, const struct stat *st, int depth)
{
	int fresh;
	struct visit *v = visit_of(w, st, path, &fresh);
	if (!v) {
		w->stop = -1;
		return;
	}
	if (!fresh) {
		problem(w, path,
		        v->open ? "symbolic link loop: leads back to %s, which is being read; "
		                  "not followed"
		                : "the same directory as %s, already read; not read twice",
		        v->path);
		return;
	}
	if (depth > w->max_depth) {
		char limit[16];
		snprintf(limit, sizeof(limit), "%d", w->max_depth);
		problem(w, path, "nested deeper than %s directories; not read", limit);
		return;
	}
	const char *rel = path[w->root_len] ? path + w->root_len + 1 : "";
	const char *slash = strrchr(rel, '/');
	weft_dirwalk_entry e = {path, rel, slash ? slash + 1 : rel, st, depth};
	int rc = w->ops->dir ? w->ops->dir(w->ctx, &e) : 0;
	if (rc) {
		if (rc != 1)
			w->stop = rc;
		return;
	}
	size_t n;
	int failed;
	char **names = read_names(w, path, &n, &failed);
	if (failed)
		w->stop = -1;
	v->open = 1;
	for (size_t i = 0; i < n; i++) {
		if (!w->stop)
			walk_entry(w, path, names[i], depth);
		free(names[i]);
	}
	v->open = 0;
	free(names);
}

int weft_dirwalk(const char *root, const weft_dirwalk_ops *ops, void *ctx)
{
	struct walk w = {.ops = ops, .ctx = ctx, .root = root};
	w.max_depth = ops->max_depth > 0 ? ops->max_depth : WEFT_DIRWALK_MAX_DEPTH;
	/* rel is what follows "root/"; a trailing slash on root is dropped */
	char *top = strdup(root);
	if (!top)
		return -1;
	size_t len = strlen(top);
	while (len > 1 && top[len - 1] == '/')
		top[--len] = 0;
	w.root_len = len;
	weft_hmap_init(&w.seen);
	struct stat st;
	if (stat(top, &st) != 0)
		problem(&w, top, "cannot read: %s", strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		problem(&w, top, "%s", "not a directory");
	else
		walk_dir(&w, top, &st, 0);
	for (size_t i = 0; i < w.n_visits; i++) {
		free(w.visits[i]->path);
		free(w.visits[i]);
	}
	free(w.visits);
	weft_hmap_free(&w.seen);
	free(top);
	if (w.stop)
		return w.stop;
	return w.problems ? 1 : 0;
}
