/* The commands that read policy files locally and act per resource, like
 * kubectl's (docs/weftctl.md):
 *
 *   delete -f FILE|DIR   deletes every resource the files define (each a
 *                        DELETE, so each a revision); a resource already
 *                        gone is reported and the others still deleted.
 *   diff -f FILE|DIR     a unified diff (diff -u) of each stored resource
 *                        against the files' version, both as YAML; exit 0
 *                        no difference, 1 differences, 2 an error.
 *
 * The files are decoded here with the server's decoder (core/policy), so
 * what is compared is the canonical document the server would store. */
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wctl-int.h"

static const char *str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* /v1/PLURAL/NS/NAME of a canonical document. */
static int resource_path(json_t *doc, char *path, size_t size)
{
	json_t *meta = json_object_get(doc, "metadata");
	const char *plural = str(doc, "kind") ? wctl_kind_plural(str(doc, "kind")) : NULL;
	if (!plural || !str(meta, "name"))
		return -1;
	char *ns = curl_easy_escape(NULL,
	                            str(meta, "namespace") ? str(meta, "namespace") : "default", 0);
	char *name = curl_easy_escape(NULL, str(meta, "name"), 0);
	snprintf(path, size, "/v1/%s/%s/%s", plural, ns ? ns : "", name ? name : "");
	curl_free(ns);
	curl_free(name);
	return 0;
}

int wctl_delete_files(const wctl_opts *o)
{
	json_t *docs = wctl_files_resources(o, o->files, o->n_files);
	if (!docs)
		return WCTL_FAILED;
	int rc = WCTL_OK;
	size_t i;
	json_t *d;
	json_array_foreach(docs, i, d)
	{
		char path[1100];
		json_t *meta = json_object_get(d, "metadata");
		if (resource_path(d, path, sizeof(path)) != 0)
			continue;
		wctl_resp r;
		if (wctl_http(o, "DELETE", path, NULL, NULL, 0, &r) != 0) {
			rc = WCTL_FAILED;
			break;
		}
		if (r.status == 404) {
			fprintf(o->err, "error: %s %s/%s not found\n", str(d, "kind"),
			        str(meta, "namespace"), str(meta, "name"));
			rc = WCTL_FAILED;
		} else if (wctl_check(o, &r, 1) != WCTL_OK) {
			rc = WCTL_FAILED;
		} else if (!o->json) {
			fprintf(o->out, "%s %s/%s deleted (revision %lld)\n", str(d, "kind"),
			        str(meta, "namespace"), str(meta, "name"),
			        (long long)json_integer_value(json_object_get(r.json, "revision")));
		}
		wctl_resp_free(&r);
	}
	json_decref(docs);
	return rc;
}

static int write_yaml(const char *path, json_t *doc)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	if (doc)
		wctl_yaml_print(f, doc);
	return fclose(f);
}

/* Runs diff -u -N -r on the two trees, output to o->out: diff's exit code
 * (0 same, 1 different, 2 trouble) or 2 when it could not run. */
static int run_diff(const wctl_opts *o, const char *live, const char *merged)
{
	fflush(o->out);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		if (fileno(o->out) != STDOUT_FILENO)
			dup2(fileno(o->out), STDOUT_FILENO);
		execlp("diff", "diff", "-u", "-N", "-r", live, merged, (char *)NULL);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 2;
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1) {
		fprintf(o->err, "error: diff failed (is diffutils installed?)\n");
		return 2;
	}
	return WEXITSTATUS(status);
}

/* Removes what wctl_diff staged: the files of DIR/live and DIR/merged, and DIR. */
static void remove_tree(const char *dir)
{
	const char *parts[] = {"live", "merged"};
	for (int i = 0; i < 2; i++) {
		char sub[600], file[1200];
		snprintf(sub, sizeof(sub), "%s/%s", dir, parts[i]);
		DIR *d = opendir(sub);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			snprintf(file, sizeof(file), "%s/%s", sub, e->d_name);
			unlink(file);
		}
		if (d)
			closedir(d);
		rmdir(sub);
	}
	rmdir(dir);
}

/* Writes DIR/live/X and DIR/merged/X (X = kind.namespace.name.yaml) for
 * one document: 0, or WCTL_FAILED after printing why. */
static int stage_one(const wctl_opts *o, const char *dir, json_t *doc)
{
	char path[1100], file[1400];
	json_t *meta = json_object_get(doc, "metadata");
	if (resource_path(doc, path, sizeof(path)) != 0)
		return WCTL_FAILED;
	wctl_resp r;
	if (wctl_http(o, "GET", path, NULL, NULL, 0, &r) != 0)
		return WCTL_FAILED;
	int rc = WCTL_OK;
	json_t *live = NULL;
	if (r.status == 200 && r.json)
		live = r.json;
	else if (r.status != 404)
		rc = wctl_check(o, &r, 0);
	char base[600];
	snprintf(base, sizeof(base), "%s.%s.%s.yaml", str(doc, "kind"), str(meta, "namespace"),
	         str(meta, "name"));
	for (char *p = base; *p; p++)
		if (*p == '/')
			*p = '_';
	if (rc == WCTL_OK) {
		snprintf(file, sizeof(file), "%s/live/%s", dir, base);
		if (live && write_yaml(file, live) != 0)
			rc = WCTL_FAILED;
		snprintf(file, sizeof(file), "%s/merged/%s", dir, base);
		if (write_yaml(file, doc) != 0)
			rc = WCTL_FAILED;
		if (rc != WCTL_OK)
			fprintf(o->err, "error: %s: %s\n", file, strerror(errno));
	}
	wctl_resp_free(&r);
	return rc;
}

int wctl_diff(const wctl_opts *o)
{
	json_t *docs = wctl_files_resources(o, o->files, o->n_files);
	if (!docs)
		return 2;
	const char *tmp = getenv("TMPDIR");
	char dir[512], live[600], merged[600];
	snprintf(dir, sizeof(dir), "%s/weftctl-diff-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(o->err, "error: %s: %s\n", dir, strerror(errno));
		json_decref(docs);
		return 2;
	}
	snprintf(live, sizeof(live), "%s/live", dir);
	snprintf(merged, sizeof(merged), "%s/merged", dir);
	int rc = mkdir(live, 0700) || mkdir(merged, 0700) ? WCTL_FAILED : WCTL_OK;
	size_t i;
	json_t *d;
	json_array_foreach(docs, i, d)
	{
		if (rc == WCTL_OK)
			rc = stage_one(o, dir, d);
	}
	int result = rc == WCTL_OK ? run_diff(o, live, merged) : 2;
	remove_tree(dir);
	json_decref(docs);
	return result;
}
