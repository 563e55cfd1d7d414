/* The --policy directory watch (see watch.h): inotify watches on the
 * directory and every sub-directory (new ones are added as they appear),
 * a settle timer, and the reload that turns the directory into one SYNC
 * apply through the controller -- the same validate-then-store path as
 * the REST API, so an invalid file never reaches the store.
 *
 * Editors and deploy tools replace directories (`mv pol.new pol`, `rm -rf
 * pol; mkdir pol`), and a watch follows an inode, not a name. So the
 * parent directory is watched too, for the policy directory's name, and
 * the directory's own IN_DELETE_SELF / IN_MOVE_SELF say it went away;
 * either makes the watch look at the name again (rearm): a directory
 * there (a new inode, or back after missing) gets fresh watches and a
 * reload; no directory means "missing": warned about, repeatedly while
 * it lasts, and never applied (docs/weftd.md). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "dirwalk.h"
#include "doc.h"
#include "watch-int.h"

#define WATCH_MAX_REFUSED 64

/* On the parent: the policy directory's name coming and going. */
#define PARENT_MASK (IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_ONLYDIR)

#define WATCH_MASK                                                                                 \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_DELETE_SELF |   \
	 IN_MOVE_SELF | IN_ONLYDIR)

typedef struct watched_dir {
	int wd;
	char *path;
} watched_dir;

struct weft_policy_watch {
	char *dir;
	char *parent, *base; /* where dir's name lives; base NULL: not watched */
	weft_controller *controller;
	weft_log *log;
	int fd;
	int settle_ms;
	long long due_ms; /* monotonic time of the scheduled reload; 0 = none */
	watched_dir *dirs;
	size_t n_dirs, cap_dirs;
	int parent_wd, root_wd; /* -1: none */
	dev_t root_dev;
	ino_t root_ino;
	int missing;       /* dir's name holds no directory now */
	long long warn_ms; /* while missing: when to warn again */
	int need_rearm;    /* set by events, acted on after each batch */
	int force_rearm;   /* ... even when the root is the same directory */
	/* Paths the walker refused (loops, second links, too deep): their
	 * removal is a change, though no watch sees inside them. */
	char *refused[WATCH_MAX_REFUSED];
	size_t n_refused;
	int refused_overflow;
};

static int is_policy_file(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static const char *dir_of(const weft_policy_watch *w, int wd)
{
	for (size_t i = 0; i < w->n_dirs; i++)
		if (w->dirs[i].wd == wd)
			return w->dirs[i].path;
	return NULL;
}

struct tree_add {
	weft_policy_watch *w;
	weft_err *err;
};

/* The walker's problem callback: remember the path (see refused[]). */
static void remember_refused(void *ctx, const char *path, const char *msg)
{
	struct tree_add *t = ctx;
	weft_policy_watch *w = t->w;
	(void)msg;
	for (size_t i = 0; i < w->n_refused; i++)
		if (!strcmp(w->refused[i], path))
			return;
	char *copy = w->n_refused < WATCH_MAX_REFUSED ? strdup(path) : NULL;
	if (copy)
		w->refused[w->n_refused++] = copy;
	else
		w->refused_overflow = 1;
}

/* One directory of the walk: watch it. A directory already watched (the
 * kernel hands back the same wd for one inode) is not walked again. */
static int watch_one(void *ctx, const weft_dirwalk_entry *e)
{
	struct tree_add *t = ctx;
	weft_policy_watch *w = t->w;
	int wd = inotify_add_watch(w->fd, e->path, WATCH_MASK);
	if (wd < 0)
		return weft_err_set(t->err, "watch %s: %s", e->path, strerror(errno));
	const char *known = dir_of(w, wd);
	if (known) {
		if (strcmp(known, e->path)) /* a second way in: like a refused one */
			remember_refused(t, e->path, NULL);
		return 1;
	}
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

/* Whether path was refused by a walk (and forgets it). */
static int was_refused(weft_policy_watch *w, const char *path)
{
	for (size_t i = 0; i < w->n_refused; i++)
		if (!strcmp(w->refused[i], path)) {
			free(w->refused[i]);
			w->refused[i] = w->refused[--w->n_refused];
			return 1;
		}
	return w->refused_overflow;
}

static void forget_refused(weft_policy_watch *w)
{
	for (size_t i = 0; i < w->n_refused; i++)
		free(w->refused[i]);
	w->n_refused = 0;
	w->refused_overflow = 0;
}

/* Adds a watch on path and its non-hidden sub-directories, through the
 * one walker (core/dirwalk.h): a symbolic link loop is not followed. The
 * walk's problems (loops, unreadable or too deep directories) are not
 * logged here -- the reload that follows reports each as a policy error --
 * only remembered, so that removing one is seen as a change. */
static int add_tree(weft_policy_watch *w, const char *path, weft_err *err)
{
	struct tree_add t = {w, err};
	weft_dirwalk_ops ops = {
	        .dir = watch_one, .problem = remember_refused, .max_depth = WEFT_DOC_MAX_DIR_DEPTH};
	int rc = weft_dirwalk(path, &ops, &t);
	if (rc == -1 && !err->msg[0])
		weft_err_set(err, "watch %s: out of memory", path);
	return rc < 0 ? -1 : 0;
}

/* Splits dir into the parent that holds its name and that name, so the
 * name can be watched; no base when the name cannot be replaced ("." or
 * "/"). */
static int split_dir(weft_policy_watch *w)
{
	size_t len = strlen(w->dir);
	while (len > 1 && w->dir[len - 1] == '/')
		w->dir[--len] = 0;
	const char *slash = strrchr(w->dir, '/');
	const char *base = slash ? slash + 1 : w->dir;
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return 0;
	w->base = strdup(base);
	if (!slash)
		w->parent = strdup(".");
	else if (slash == w->dir)
		w->parent = strdup("/");
	else
		w->parent = strndup(w->dir, (size_t)(slash - w->dir));
	return w->base && w->parent ? 0 : -1;
}

static void drop_tree(weft_policy_watch *w)
{
	for (size_t i = 0; i < w->n_dirs; i++) {
		if (w->dirs[i].wd != w->parent_wd) /* one inode, one watch */
			inotify_rm_watch(w->fd, w->dirs[i].wd);
		free(w->dirs[i].path);
	}
	w->n_dirs = 0;
	w->root_wd = -1;
}

/* Watches the tree at dir afresh; the root's identity is remembered so a
 * replacement is told from an event on the same directory. */
static int arm_tree(weft_policy_watch *w, const struct stat *st, weft_err *err)
{
	drop_tree(w);
	forget_refused(w);
	if (add_tree(w, w->dir, err) != 0)
		return -1;
	w->root_wd = w->n_dirs ? w->dirs[0].wd : -1; /* the walk watches the root first */
	w->root_dev = st->st_dev;
	w->root_ino = st->st_ino;
	return 0;
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
	w->parent_wd = w->root_wd = -1;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0 || split_dir(w) != 0) {
		weft_err_set(err, w->fd < 0 ? "inotify: %s" : "%s",
		             w->fd < 0 ? strerror(errno) : "out of memory");
		weft_policy_watch_close(w);
		return NULL;
	}
	if (w->base) {
		w->parent_wd = inotify_add_watch(w->fd, w->parent, PARENT_MASK);
		if (w->parent_wd < 0)
			weft_log_event(log, WEFT_LOG_WARN,
			               "cannot watch the policy directory's parent: a replaced "
			               "directory will not be followed",
			               "dir", w->parent, "error", strerror(errno), NULL);
	}
	if (arm_tree(w, &st, err) != 0) {
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
	forget_refused(w);
	free(w->dir);
	free(w->parent);
	free(w->base);
	free(w);
}

int weft_policy_watch_fd(const weft_policy_watch *w)
{
	return w->fd;
}

static void forget_dir(weft_policy_watch *w, int wd)
{
	for (size_t i = 0; i < w->n_dirs; i++) {
		if (w->dirs[i].wd == wd) {
			free(w->dirs[i].path);
			w->dirs[i] = w->dirs[--w->n_dirs];
			if (wd == w->root_wd)
				w->root_wd = -1;
			return;
		}
	}
}

static void warn_missing(weft_policy_watch *w)
{
	weft_log_event(w->log, WEFT_LOG_WARN,
	               "policy directory is missing: keeping the running revision until it is "
	               "back",
	               "dir", w->dir, NULL);
	w->warn_ms = weft_mono_ms() + WEFT_POLICY_WATCH_MISSING_WARN_MS;
}

/* Looks at dir's name again. A directory that is new (another inode) or
 * back gets fresh watches and a reload; no directory is "missing": its old
 * watches are dropped (they follow the old inode wherever it went) and
 * nothing is applied. */
static void rearm(weft_policy_watch *w)
{
	int force = w->force_rearm;
	w->need_rearm = w->force_rearm = 0;
	struct stat st;
	if (stat(w->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		drop_tree(w);
		w->due_ms = 0;
		if (!w->missing) {
			w->missing = 1;
			warn_missing(w);
		}
		return;
	}
	if (!force && !w->missing && w->root_wd >= 0 && st.st_dev == w->root_dev &&
	    st.st_ino == w->root_ino)
		return; /* the same directory, still watched */
	weft_err err = {0};
	if (arm_tree(w, &st, &err) != 0)
		weft_log_event(w->log, WEFT_LOG_WARN, "policy watch", "error", err.msg, NULL);
	if (w->missing)
		weft_log_event(w->log, WEFT_LOG_INFO, "policy directory is back", "dir", w->dir,
		               NULL);
	else if (!force)
		weft_log_event(w->log, WEFT_LOG_INFO,
		               "policy directory replaced, watching the new one", "dir", w->dir,
		               NULL);
	w->missing = 0;
	w->due_ms = weft_mono_ms() + w->settle_ms;
}

/* An event of the parent directory: only dir's own name matters. */
static void parent_event(weft_policy_watch *w, const struct inotify_event *ev)
{
	if (ev->mask & IN_IGNORED) {
		w->parent_wd = -1;
		weft_log_event(
		        w->log, WEFT_LOG_WARN,
		        "the policy directory's parent is gone: a replaced directory will not "
		        "be followed",
		        "dir", w->parent, NULL);
	} else if (ev->len && !strcmp(ev->name, w->base)) {
		w->need_rearm = 1;
	}
}

/* An entry that is neither a directory nor a policy file by name: a new
 * symbolic link to a directory is walked like a new directory; removing a
 * link the walker refused (a loop) or one to a watched directory changes
 * what the policy holds. */
static int other_entry_matters(weft_policy_watch *w, const struct inotify_event *ev)
{
	const char *parent = dir_of(w, ev->wd);
	if (!parent)
		return 0;
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", parent, ev->name);
	if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
		struct stat st;
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			return 0;
		weft_err err = {0};
		if (add_tree(w, path, &err) != 0)
			weft_log_event(w->log, WEFT_LOG_WARN, "policy watch", "error", err.msg,
			               NULL);
		return 1;
	}
	if (!(ev->mask & (IN_DELETE | IN_MOVED_FROM)))
		return 0;
	if (was_refused(w, path))
		return 1;
	for (size_t i = 0; i < w->n_dirs; i++)
		if (!strcmp(w->dirs[i].path, path)) {
			/* its target is still watched under the old name */
			w->need_rearm = w->force_rearm = 1;
			return 1;
		}
	return 0;
}

/* One event: whether it concerns the policy (and new directories get a
 * watch of their own). */
static int event_matters(weft_policy_watch *w, const struct inotify_event *ev)
{
	if (ev->wd == w->parent_wd) {
		parent_event(w, ev);
		if (!dir_of(w, ev->wd)) /* (a link in the tree may lead to the parent) */
			return 0;
	}
	if (ev->mask & IN_IGNORED) {
		forget_dir(w, ev->wd);
		return 0;
	}
	if (ev->mask & IN_Q_OVERFLOW) {
		w->need_rearm = w->force_rearm = 1; /* events were lost: watch afresh */
		return 1;
	}
	if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
		/* the root went away; or a sub-directory moved: its watch would
		 * follow it out of the tree, or keep its old path inside it */
		if (ev->wd == w->root_wd)
			w->need_rearm = 1;
		else if (ev->mask & IN_MOVE_SELF)
			w->need_rearm = w->force_rearm = 1;
		return 1;
	}
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
	return is_policy_file(ev->name) || other_entry_matters(w, ev);
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
		w->due_ms = weft_mono_ms() + w->settle_ms;
	if (w->need_rearm)
		rearm(w); /* after the batch: the name's state is the final one */
}

int weft_policy_watch_timeout(const weft_policy_watch *w)
{
	long long due = w->due_ms;
	if (w->missing && (!due || w->warn_ms < due))
		due = w->warn_ms;
	if (!due)
		return -1;
	long long left = due - weft_mono_ms();
	return left > 0 ? (int)left : 0;
}

void weft_policy_watch_tick(weft_policy_watch *w)
{
	long long now = weft_mono_ms();
	if (w->missing && now >= w->warn_ms) {
		rearm(w); /* also a fallback should the parent's watch be gone */
		if (w->missing)
			warn_missing(w);
	}
	if (w->due_ms && now >= w->due_ms) {
		w->due_ms = 0;
		weft_policy_watch_reload(w);
	}
}

int weft_policy_watch_reload(weft_policy_watch *w)
{
	rearm(w); /* SIGHUP after a replacement restores the watch too */
	if (w->missing)
		return -1; /* warned by rearm; nothing is applied */
	w->due_ms = 0;
	return api_watch_apply_dir(w->dir, w->controller, w->log);
}
