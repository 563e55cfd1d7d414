/* weftctl's settings: flags, then environment, then a named context of
 * the config file (docs/weftctl.md, "Contexts"):
 *
 *   # ~/.config/weft/config (or $WEFT_CONFIG)
 *   current-context: lab
 *   contexts:
 *     lab:
 *       server: https://127.0.0.1:7443
 *       tokenFile: ~/.config/weft/lab.token
 *       caFile: /etc/weft/ca.pem
 *
 * The file is YAML, read with weft's own positioned parser (core/doc.h), so
 * a mistake is reported as file:line:col. Tokens are read from a file
 * (first line), never written in the config itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "doc.h"
#include "weftctl.h"

/* "~/x" -> "$HOME/x" (malloc'd). */
static char *expand_home(const char *path)
{
	const char *home = getenv("HOME");
	size_t n = strlen(path) + (home ? strlen(home) : 0) + 2;
	char *out = malloc(n);
	if (!out)
		return NULL;
	if (path[0] == '~' && path[1] == '/' && home)
		snprintf(out, n, "%s%s", home, path + 1);
	else
		snprintf(out, n, "%s", path);
	return out;
}

/* The first line of a token file (malloc'd), or NULL after printing why. */
static char *read_token(const char *path)
{
	char *full = expand_home(path);
	FILE *f = full ? fopen(full, "r") : NULL;
	if (!f) {
		fprintf(stderr, "weftctl: token file %s: %s\n", full ? full : path,
		        strerror(errno));
		free(full);
		return NULL;
	}
	char line[4096] = "";
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\r\n")] = '\0';
	if (!line[0]) {
		fprintf(stderr, "weftctl: token file %s is empty\n", full);
		free(full);
		return NULL;
	}
	free(full);
	return strdup(line);
}

static int bad(const char *file, const weft_node *n, const char *msg, const char *arg)
{
	fprintf(stderr, "weftctl: %s:%d:%d: ", file, n ? n->line : 0, n ? n->col : 0);
	fprintf(stderr, msg, arg ? arg : "");
	fputc('\n', stderr);
	return -1;
}

/* Reads one context's keys into st (only those the flags/env left unset). */
static int apply_context(const char *file, const weft_node *ctx, weftctl_settings *st)
{
	if (ctx->kind != WEFT_NODE_MAP)
		return bad(file, ctx, "a context is a map of server, tokenFile, caFile", NULL);
	for (size_t i = 0; i < ctx->count; i++) {
		const char *k = ctx->pairs[i].key->str;
		const weft_node *v = ctx->pairs[i].value;
		if (v->kind != WEFT_NODE_SCALAR)
			return bad(file, v, "%s: expected a string", k);
		if (!strcmp(k, "server")) {
			if (!st->server)
				st->server = v->str;
		} else if (!strcmp(k, "tokenFile")) {
			if (!st->token && !st->token_file)
				st->token_file = v->str;
		} else if (!strcmp(k, "caFile")) {
			if (!st->cacert)
				st->cacert = (st->owned[1] = expand_home(v->str));
		} else {
			return bad(file, ctx->pairs[i].key,
			           "unknown field '%s': a context has server, tokenFile and caFile",
			           k);
		}
	}
	return 0;
}

/* Finds and applies the chosen context. The docset holds the strings st
 * points to: it is kept until weftctl_settings_free. */
static int load_config(weftctl_settings *st, weft_docset *set)
{
	const char *env = getenv("WEFT_CONFIG");
	char *file = expand_home(env && *env ? env : "~/.config/weft/config");
	struct stat sb;
	int rc = 0;
	if (!file)
		return -1;
	if (stat(file, &sb) != 0) {
		if (st->context) {
			fprintf(stderr, "weftctl: --context %s: no config file %s\n", st->context,
			        file);
			rc = -1;
		}
		free(file);
		return rc;
	}
	weft_diags diags;
	weft_diags_init(&diags);
	if (weft_docset_load_path(set, file, &diags) != 0 || set->count != 1 ||
	    !set->docs[0].root || set->docs[0].root->kind != WEFT_NODE_MAP) {
		weft_diags_print(stderr, &diags);
		if (!diags.count)
			fprintf(stderr,
			        "weftctl: %s: expected one map (current-context, contexts)\n",
			        file);
		weft_diags_free(&diags);
		free(file);
		return -1;
	}
	weft_diags_free(&diags);
	const weft_node *root = set->docs[0].root;
	for (size_t i = 0; i < root->count && rc == 0; i++) {
		const char *k = root->pairs[i].key->str;
		if (strcmp(k, "current-context") && strcmp(k, "contexts"))
			rc = bad(file, root->pairs[i].key,
			         "unknown field '%s': the config has current-context and contexts",
			         k);
	}
	const weft_node *cur = weft_node_get(root, "current-context");
	const char *name = st->context                            ? st->context
	                   : cur && cur->kind == WEFT_NODE_SCALAR ? cur->str
	                                                          : NULL;
	const weft_node *ctxs = weft_node_get(root, "contexts");
	if (rc == 0 && name) {
		const weft_node *ctx = weft_node_get(ctxs, name);
		if (!ctx)
			rc = bad(file, ctxs ? ctxs : root, "no context '%s'", name);
		else
			rc = apply_context(file, ctx, st);
	}
	st->owned[2] = file;
	return rc;
}

int weftctl_settings_resolve(weftctl_settings *st, wctl_opts *o)
{
	const char *env;
	if (!st->server && (env = getenv("WEFT_SERVER")) && *env)
		st->server = env;
	if (!st->token && !st->token_file && (env = getenv("WEFT_TOKEN")) && *env)
		st->token = env;
	if (!st->token && !st->token_file && (env = getenv("WEFT_TOKEN_FILE")) && *env)
		st->token_file = env;
	if (!st->context && (env = getenv("WEFT_CONTEXT")) && *env)
		st->context = env;
	weft_docset *set = calloc(1, sizeof(*set));
	if (!set || weft_docset_init(set) != 0) {
		free(set);
		return -1;
	}
	st->docs = set;
	if (load_config(st, set) != 0)
		return -1;
	if (!st->token && st->token_file) {
		st->owned[0] = read_token(st->token_file);
		if (!st->owned[0])
			return -1;
		st->token = st->owned[0];
	}
	o->server = st->server;
	o->token = st->token;
	o->cacert = st->cacert;
	return 0;
}

void weftctl_settings_free(weftctl_settings *st)
{
	if (st->owned[0])
		memset(st->owned[0], 0, strlen(st->owned[0]));
	free(st->owned[0]);
	free(st->owned[1]);
	free(st->owned[2]);
	if (st->docs) {
		weft_docset_free(st->docs);
		free(st->docs);
	}
	memset(st, 0, sizeof(*st));
}
