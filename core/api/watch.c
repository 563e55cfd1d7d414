/* The --policy directory watch (see watch.h): inotify watches on the
 * directory and every sub-directory (new ones are added as they appear),
 * a settle timer, and the reload that turns the directory into one SYNC
 * apply through the controller -- the same validate-then-store path as
 * the REST API, so an invalid file never reaches the store. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dirwalk.h"
#include "doc.h"
#include "watch-int.h"

#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF |   \
	 IN_MOVE_SELF | IN_ONLYDIR)

typedef struct watched_dir {
	int wd;
	char *path;
} watched_dir;

struct weft_policy_watch {
	char *dir;
	weft_controller *controller;
	weft_log *log;
	int fd;
	int settle_ms;
	long long due_ms; /* monotonic time of the scheduled reload; 0 = none */
	watched_dir *dirs;
	size_t n_dirs, cap_dirs;
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int is_policy_file(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int known_wd(const weft_policy_watch *w, int wd)
{
	for (size_t i = 0; i < w->n_dirs; i++)
		if (w->dirs[i].wd == wd)
			return 1;
	return 0;
}

struct tree_add {
	weft_policy_watch *w;
	weft_err *err;
};

/* One directory of the walk: watch it. A directory already watched (the
 * kernel hands back the same wd for one inode) is not walked again. */
static int watch_one(void *ctx, const weft_dirwalk_entry *e)
{
	struct tree_add *t = ctx;
	weft_policy_watch *w = t->w;
	int wd = inotify_add_watch(w->fd, e->path, WATCH_MASK);
	if (wd < 0)
		return weft_err_set(t->err, "watch %s: %s", e->path, strerror(errno));
	if (known_wd(w, wd))
		return 1;
	if (w->n_dirs == w->cap_dirs) {
		size_t cap = w->cap_dirs ? w->cap_dirs * 2 : 8;
		watched_dir *d = realloc(w->dirs, cap * sizeof(*d));
		if (!d)
			return weft_err_set(t->err, "out of memory");
		w->dirs = d;
		w->cap_dirs = cap;
	}
	char *copy = strdup(e->path);
	if (!copy)
		return weft_err_set(t->err, "out of memory");
	w->dirs[w->n_dirs++] = (watched_dir){wd, copy};
	return 0;
}

/* Adds a watch on path and its non-hidden sub-directories, through the
 * one walker (core/dirwalk.h): a symbolic link loop is not followed. The
 * walk's problems (loops, unreadable or too deep directories) are not
 * logged here: the reload that follows reports each as a policy error. */
static int add_tree(weft_policy_watch *w, const char *path, weft_err *err)
{
	struct tree_add t = {w, err};
	weft_dirwalk_ops ops = {.dir = watch_one, .max_depth = WEFT_DOC_MAX_DIR_DEPTH};
	int rc = weft_dirwalk(path, &ops, &t);
	if (rc == -1 && !err->msg[0])
		weft_err_set(err, "watch %s: out of memory", path);
	return rc < 0 ? -1 : 0;
}

weft_policy_watch *weft_policy_watch_open(const char *dir, weft_controller *c, weft_log *log,
                                          int settle_ms, weft_err *err)
{
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		weft_err_set(err, "policy directory %s: %s", dir,
		             errno ? strerror(errno) : "not a directory");
		return NULL;
	}
	weft_policy_watch *w = calloc(1, sizeof(*w));
	if (!w || !(w->dir = strdup(dir))) {
		free(w);
		weft_err_set(err, "out of memory");
		return NULL;
	}
	w->controller = c;
	w->log = log;
	w->settle_ms = settle_ms > 0 ? settle_ms : WEFT_POLICY_WATCH_SETTLE_MS;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0) {
		weft_err_set(err, "inotify: %s", strerror(errno));
		weft_policy_watch_close(w);
		return NULL;
	}
	if (add_tree(w, dir, err) != 0) {
		weft_policy_watch_close(w);
		return NULL;
	}
	return w;
}

void weft_policy_watch_close(weft_policy_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_dirs; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	if (w->fd >= 0)
		close(w->fd);
	free(w->dir);
	free(w);
}

int weft_policy_watch_fd(const weft_policy_watch *w)
{
	return w->fd;
}

static const char *dir_of(const weft_policy_watch *w, int wd)
{
	for (size_t i = 0; i < w->n_dirs; i++)
		if (w->dirs[i].wd == wd)
			return w->dirs[i].path;
	return NULL;
}

static void forget_dir(weft_policy_watch *w, int wd)
{
	for (size_t i = 0; i < w->n_dirs; i++) {
		if (w->dirs[i].wd == wd) {
			free(w->dirs[i].path);
			w->dirs[i] = w->dirs[--w->n_dirs];
			return;
		}
	}
}

/* One event: whether it concerns the policy (and new directories get a
 * watch of their own). */
static int event_matters(weft_policy_watch *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_IGNORED) {
		forget_dir(w, ev->wd);
		return 0;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW))
		return 1;
	if (!ev->len || ev->name[0] == '.')
		return 0;
	if (ev->mask & IN_ISDIR) {
		const char *parent = dir_of(w, ev->wd);
		if (parent && (ev->mask & (IN_CREATE | IN_MOVED_TO))) {
			char sub[PATH_MAX];
			weft_err err = {0};
			snprintf(sub, sizeof(sub), "%s/%s", parent, ev->name);
			if (add_tree(w, sub, &err) != 0)
				weft_log_event(w->log, WEFT_LOG_WARN, "policy watch", "error",
				               err.msg, NULL);
		}
		return 1;
	}
	return is_policy_file(ev->name);
}

void weft_policy_watch_handle(weft_policy_watch *w)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	int changed = 0;
	for (;;) {
		ssize_t n = read(w->fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			changed |= event_matters(w, ev);
			p += sizeof(*ev) + ev->len;
		}
	}
	if (changed) /* restart the settle window on every change */
		w->due_ms = now_ms() + w->settle_ms;
}

int weft_policy_watch_timeout(const weft_policy_watch *w)
{
	if (!w->due_ms)
		return -1;
	long long left = w->due_ms - now_ms();
	return left > 0 ? (int)left : 0;
}

void weft_policy_watch_tick(weft_policy_watch *w)
{
	if (w->due_ms && now_ms() >= w->due_ms) {
		w->due_ms = 0;
		weft_policy_watch_reload(w);
	}
}

int weft_policy_watch_reload(weft_policy_watch *w)
{
	return api_watch_apply_dir(w->dir, w->controller, w->log);
}
