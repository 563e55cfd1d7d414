/* The files envelope of `weftctl apply/plan -f`: every *.yaml, *.yml and
 * *.json file under the given paths (directories recursively, in name
 * order, hidden entries skipped, symbolic link loops refused -- the same
 * walker as weft_docset_load_path on the server side), each sent with the name the user typed
 * ("examples/a.yaml"), so that the server's diagnostics point at the
 * user's own files. "-" reads standard input as the file "stdin". */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dirwalk.h"
#include "doc.h"
#include "policy.h"
#include "resource.h"
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

struct envelope_walk {
	const wctl_opts *o;
	json_t *files;
	int rc;
};

static int walk_file(void *ctx, const weft_dirwalk_entry *e)
{
	struct envelope_walk *ew = ctx;
	if (is_policy_file(e->name) && add_file(ew->o, ew->files, e->path, e->path))
		return -1;
	return 0;
}

static void walk_problem(void *ctx, const char *path, const char *msg)
{
	struct envelope_walk *ew = ctx;
	fprintf(ew->o->err, "error: %s: %s\n", path, msg);
	ew->rc = -1;
}

/* Every policy file below dir, through the walker the server uses
 * (core/dirwalk.h), so both sides read the same files. */
static int add_dir(const wctl_opts *o, json_t *files, const char *dir)
{
	struct envelope_walk ew = {o, files, 0};
	weft_dirwalk_ops ops = {
	        .file = walk_file, .problem = walk_problem, .max_depth = WEFT_DOC_MAX_DIR_DEPTH};
	int rc = weft_dirwalk(dir, &ops, &ew);
	return rc || ew.rc ? -1 : 0;
}

static int add_path(const wctl_opts *o, json_t *files, const char *path)
{
	struct stat st;
	if (!strcmp(path, "-"))
		return add_file(o, files, "stdin", "-");
	if (stat(path, &st) != 0) {
		fprintf(o->err, "error: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return add_dir(o, files, path);
	return add_file(o, files, path, path);
}

char *wctl_files_envelope(const wctl_opts *o, const char *const *paths, size_t n, size_t *len)
{
	json_t *files = json_array();
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_path(o, files, paths[i]);
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

int wctl_docset_load(weft_docset *set, const char *path, weft_diags *diags)
{
	if (strcmp(path, "-"))
		return weft_docset_load_path(set, path, diags);
	size_t len = 0;
	char *data = read_stream(stdin, &len);
	if (!data) {
		weft_diags_add(diags, "stdin", 0, 0, NULL, "read failed");
		return -1;
	}
	int rc = weft_docset_parse(set, "stdin", data, len, diags);
	free(data);
	return rc;
}

/* Whether path names at least one policy file (a file, stdin, or a
 * directory holding one): apply and validate refuse an empty set alike. */
static int walk_count(void *ctx, const weft_dirwalk_entry *e)
{
	if (is_policy_file(e->name))
		++*(size_t *)ctx;
	return 0;
}

size_t wctl_policy_file_count(const char *const *paths, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		if (!strcmp(paths[i], "-") || stat(paths[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
			count++; /* a missing file is reported by whoever reads it */
			continue;
		}
		weft_dirwalk_ops ops = {.file = walk_count, .max_depth = WEFT_DOC_MAX_DIR_DEPTH};
		weft_dirwalk(paths[i], &ops, &count);
	}
	return count;
}

json_t *wctl_files_resources(const wctl_opts *o, const char *const *paths, size_t n)
{
	weft_docset set;
	weft_diags diags;
	if (weft_docset_init(&set) != 0)
		return NULL;
	weft_diags_init(&diags);
	for (size_t i = 0; i < n; i++)
		wctl_docset_load(&set, paths[i], &diags);
	weft_resource **res = NULL;
	size_t count = 0;
	json_t *out = NULL;
	if (wctl_policy_file_count(paths, n) == 0)
		fprintf(o->err, "error: no policy files (*.yaml, *.yml, *.json) found\n");
	else if (diags.count == 0 && weft_policy_decode_all(&set, &res, &count, &diags) == 0) {
		out = json_array();
		for (size_t i = 0; i < count; i++)
			json_array_append_new(out,
			                      json_loadb(res[i]->json, res[i]->json_len, 0, NULL));
	}
	if (diags.count) {
		weft_diags_sort(&diags);
		weft_diags_print(o->err, &diags);
	}
	for (size_t i = 0; i < count; i++)
		weft_resource_unref(res[i]);
	free(res);
	weft_diags_free(&diags);
	weft_docset_free(&set);
	return out;
}
