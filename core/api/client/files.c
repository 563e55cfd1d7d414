/* The files envelope of `weftctl apply/plan -f`: every *.yaml, *.yml and
 * *.json file under the given paths (directories recursively, in name
 * order, hidden entries skipped -- the same rule as weft_docset_load_path
 * on the server side), each sent with the name the user typed
 * ("examples/a.yaml"), so that the server's diagnostics point at the
 * user's own files. "-" reads standard input as the file "stdin". */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wctl-int.h"

static int is_policy_file(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static char *read_stream(FILE *f, size_t *len)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *mem = open_memstream(&buf, &size);
	if (!mem)
		return NULL;
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		fwrite(chunk, 1, n, mem);
	int bad = ferror(f);
	fclose(mem);
	if (bad) {
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}

static int add_file(const wctl_opts *o, json_t *files, const char *name, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		fprintf(o->err, "error: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t len = 0;
	char *data = read_stream(f, &len);
	if (f != stdin)
		fclose(f);
	if (!data) {
		fprintf(o->err, "error: %s: read failed\n", path);
		return -1;
	}
	json_t *content = json_stringn(data, len);
	free(data);
	if (!content) {
		fprintf(o->err, "error: %s: not valid UTF-8 text\n", path);
		return -1;
	}
	json_array_append_new(files, json_pack("{s:s, s:o}", "name", name, "content", content));
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_path(const wctl_opts *o, json_t *files, const char *path, int depth);

static int add_dir(const wctl_opts *o, json_t *files, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(o->err, "error: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof(*nn));
			if (!nn)
				break;
			names = nn;
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	int rc = 0;
	size_t dlen = strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/')
		dlen--;
	for (size_t i = 0; i < n; i++) {
		char sub[PATH_MAX];
		struct stat st;
		snprintf(sub, sizeof(sub), "%.*s/%s", (int)dlen, dir, names[i] ? names[i] : "");
		if (rc == 0 && names[i] && stat(sub, &st) == 0 &&
		    (S_ISDIR(st.st_mode) || is_policy_file(names[i])))
			rc = add_path(o, files, sub, depth + 1);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int add_path(const wctl_opts *o, json_t *files, const char *path, int depth)
{
	struct stat st;
	if (!strcmp(path, "-"))
		return add_file(o, files, "stdin", "-");
	if (stat(path, &st) != 0) {
		fprintf(o->err, "error: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return depth > 32 ? 0 : add_dir(o, files, path, depth);
	return add_file(o, files, path, path);
}

char *wctl_files_envelope(const wctl_opts *o, const char *const *paths, size_t n, size_t *len)
{
	json_t *files = json_array();
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_path(o, files, paths[i], 0);
	if (rc == 0 && json_array_size(files) == 0) {
		fprintf(o->err, "error: no policy files (*.yaml, *.yml, *.json) found\n");
		rc = -1;
	}
	char *text = NULL;
	if (rc == 0) {
		json_t *env = json_pack("{s:O}", "files", files);
		text = env ? json_dumps(env, JSON_COMPACT) : NULL;
		json_decref(env);
	}
	json_decref(files);
	*len = text ? strlen(text) : 0;
	return text;
}
