/* File tree helpers for the file adapter. See file_tree.h. */
#include "file_tree.h"

/* Path buffers are sized for the device directory (checked to be under
 * FILE_TREE_MAX_DIR at open) plus a relative path built from validated
 * names (at most ~200 bytes), so the truncations GCC warns about cannot
 * happen with real input. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_tree *file_tree_new(void)
{
	return calloc(1, sizeof(struct file_tree));
}

void file_tree_clear(struct file_tree *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->items[i].path);
		free(t->items[i].content);
	}
	free(t->items);
	memset(t, 0, sizeof(*t));
}

void file_tree_free(struct file_tree *t)
{
	if (!t)
		return;
	file_tree_clear(t);
	free(t);
}

void file_tree_drop(struct file_tree *t, const char *path)
{
	int i = file_tree_find(t, path);
	if (i < 0)
		return;
	free(t->items[i].path);
	free(t->items[i].content);
	memmove(t->items + i, t->items + i + 1, (t->count - (size_t)i - 1) * sizeof(*t->items));
	t->count--;
}

void file_tree_dedup(struct file_tree *t)
{
	size_t out = 0;
	for (size_t i = 0; i < t->count; i++) {
		if (out && !strcmp(t->items[out - 1].path, t->items[i].path)) {
			free(t->items[i].path);
			free(t->items[i].content);
			continue;
		}
		t->items[out++] = t->items[i];
	}
	t->count = out;
}

int file_tree_add(struct file_tree *t, const char *path, const char *content)
{
	if (t->count == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct file_entry *items = realloc(t->items, cap * sizeof(*items));
		if (!items)
			return -1;
		t->items = items;
		t->cap = cap;
	}
	t->items[t->count].path = strdup(path);
	t->items[t->count].content = strdup(content);
	t->count++;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct file_entry *)a)->path, ((const struct file_entry *)b)->path);
}

void file_tree_sort(struct file_tree *t)
{
	if (t->count < 2)
		return;
	qsort(t->items, t->count, sizeof(*t->items), cmp_entry);
}

char *file_tree_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = n >= 0 ? malloc((size_t)n + 1) : NULL;
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = 0;
	fclose(f);
	return buf;
}

int file_tree_find(const struct file_tree *t, const char *path)
{
	size_t lo = 0, hi = t->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->items[mid].path, path);
		if (!c)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* A path the adapter itself writes: relative, every component a plain
 * non-hidden name (so never "..", never the staging or backup area). */
static int is_owned_path(const char *p)
{
	if (!*p || *p == '/')
		return 0;
	for (const char *c = p; *c;) {
		size_t len = strcspn(c, "/");
		if (!len || c[0] == '.')
			return 0;
		c += len;
		if (*c == '/' && !*++c)
			return 0;
	}
	return 1;
}

int file_tree_read_manifest(struct file_tree *t, const char *dir, weft_err *err)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, FILE_TREE_MANIFEST);
	FILE *f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0
		                       : weft_err_set(err, "read %s: %s", path, strerror(errno));
	char line[4096];
	int rc = 0, n = 0;
	while (!rc && fgets(line, sizeof(line), f)) {
		n++;
		line[strcspn(line, "\n")] = 0;
		if (!*line || *line == '#')
			continue;
		if (!is_owned_path(line))
			rc = weft_err_set(err, "%s:%d: '%s' is not a path the file adapter writes",
			                  path, n, line);
		else if (file_tree_add(t, line, ""))
			rc = weft_err_set(err, "out of memory");
	}
	fclose(f);
	file_tree_sort(t);
	return rc;
}

int file_tree_write_manifest(const char *dir, const struct file_tree *owned, weft_err *err)
{
	size_t len = 128;
	for (size_t i = 0; i < owned->count; i++)
		len += strlen(owned->items[i].path) + 1;
	char *text = malloc(len);
	if (!text)
		return weft_err_set(err, "out of memory");
	size_t off = (size_t)snprintf(text, len,
	                              "# files weft wrote in this directory; weft "
	                              "never touches any other\n");
	for (size_t i = 0; i < owned->count; i++)
		off += (size_t)snprintf(text + off, len - off, "%s\n", owned->items[i].path);
	int rc = file_tree_write(dir, FILE_TREE_MANIFEST, text, err);
	free(text);
	return rc;
}

int file_tree_read_owned(struct file_tree *t, const char *dir, weft_err *err)
{
	struct file_tree owned = {0};
	int rc = file_tree_read_manifest(&owned, dir, err);
	for (size_t i = 0; !rc && i < owned.count; i++) {
		char path[6200];
		snprintf(path, sizeof(path), "%s/%s", dir, owned.items[i].path);
		char *content = file_tree_slurp(path);
		if (!content && errno != ENOENT)
			rc = weft_err_set(err, "read %s: %s", path, strerror(errno));
		else if (content && file_tree_add(t, owned.items[i].path, content))
			rc = weft_err_set(err, "out of memory");
		free(content);
	}
	file_tree_clear(&owned);
	return rc;
}

int file_tree_mkdirs(const char *path, weft_err *err)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return weft_err_set(err, "mkdir %s: %s", buf, strerror(errno));
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return weft_err_set(err, "mkdir %s: %s", buf, strerror(errno));
	return 0;
}

static int mkdirs_parent(const char *path, weft_err *err)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	char *slash = strrchr(buf, '/');
	if (!slash || slash == buf)
		return 0;
	*slash = 0;
	return file_tree_mkdirs(buf, err);
}

int file_tree_write(const char *root, const char *rel, const char *content, weft_err *err)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (mkdirs_parent(path, err))
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return weft_err_set(err, "write %s: %s", tmp, strerror(errno));
	size_t len = strlen(content), off = 0;
	while (off < len) {
		ssize_t w = write(fd, content + off, len - off);
		if (w < 0) {
			close(fd);
			unlink(tmp);
			return weft_err_set(err, "write %s: %s", tmp, strerror(errno));
		}
		off += (size_t)w;
	}
	if (fsync(fd) || close(fd)) {
		unlink(tmp);
		return weft_err_set(err, "write %s: %s", tmp, strerror(errno));
	}
	if (rename(tmp, path))
		return weft_err_set(err, "rename %s: %s", path, strerror(errno));
	return 0;
}

int file_tree_backup(const char *dir, const char *rel, weft_err *err)
{
	char target[4096], backup[4200], marker[4300];
	snprintf(target, sizeof(target), "%s/%s", dir, rel);
	snprintf(backup, sizeof(backup), "%s/%s/%s", dir, FILE_TREE_BACKUP, rel);
	snprintf(marker, sizeof(marker), "%s.absent", backup);
	struct stat st;
	if (stat(backup, &st) == 0 || stat(marker, &st) == 0)
		return 0;
	if (mkdirs_parent(backup, err))
		return -1;
	if (stat(target, &st) != 0) {
		int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			return weft_err_set(err, "backup %s: %s", marker, strerror(errno));
		close(fd);
		return 0;
	}
	if (link(target, backup))
		return weft_err_set(err, "backup %s: %s", target, strerror(errno));
	return 0;
}

int file_tree_promote(const char *dir, const char *rel, weft_err *err)
{
	char staged[4200], target[4096];
	snprintf(staged, sizeof(staged), "%s/%s/%s", dir, FILE_TREE_STAGING, rel);
	snprintf(target, sizeof(target), "%s/%s", dir, rel);
	if (mkdirs_parent(target, err))
		return -1;
	if (rename(staged, target))
		return weft_err_set(err, "apply %s: %s", target, strerror(errno));
	return 0;
}

int file_tree_remove(const char *dir, const char *rel, weft_err *err)
{
	char target[4096];
	snprintf(target, sizeof(target), "%s/%s", dir, rel);
	if (unlink(target) && errno != ENOENT)
		return weft_err_set(err, "delete %s: %s", target, strerror(errno));
	return 0;
}

int file_tree_restore(const char *dir, const char *rel, weft_err *err)
{
	char target[4096], backup[4200], marker[4300];
	snprintf(target, sizeof(target), "%s/%s", dir, rel);
	snprintf(backup, sizeof(backup), "%s/%s/%s", dir, FILE_TREE_BACKUP, rel);
	snprintf(marker, sizeof(marker), "%s.absent", backup);
	struct stat st;
	if (stat(backup, &st) == 0) {
		if (rename(backup, target))
			return weft_err_set(err, "restore %s: %s", target, strerror(errno));
	} else if (stat(marker, &st) == 0) {
		if (unlink(target) && errno != ENOENT)
			return weft_err_set(err, "restore %s: %s", target, strerror(errno));
	}
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void file_tree_rmrf(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
