/* weftd --config FILE: a file of "key = value" lines whose keys are
 * weftd's long flag names without the dashes (state = /var/lib/weft).
 * Blank lines and lines starting with '#' are skipped; the value is the
 * rest of the line with surrounding blanks removed (no quoting). Each entry
 * is handed to the same option parser as the command line, before the
 * command line, so that a flag given there overrides the file. Unknown,
 * repeated or malformed keys are errors naming FILE:LINE. See
 * docs/weftd.md. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "weftd.h"

/* Longer lines are refused rather than read without bound. */
#define CONFIG_LINE_MAX 4096
/* Keys that make no sense in a file: they are actions, not settings. */
static const char *const refused_keys[] = {"config", "help", "version", NULL};

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static const struct option *find_key(const struct option *opts, const char *key)
{
	for (const struct option *o = opts; o->name; o++)
		if (!strcmp(o->name, key))
			return o;
	return NULL;
}

static int refused(const char *key)
{
	for (int i = 0; refused_keys[i]; i++)
		if (!strcmp(refused_keys[i], key))
			return 1;
	return 0;
}

/* One "key = value" line. seen[] holds the option indexes used so far.
 * Returns 0, or 2 after printing the error. */
static int config_line(const char *path, int lineno, char *line, const struct option *opts,
                       unsigned char *seen, weftd_config_fn fn, void *ctx)
{
	char *eq = strchr(line, '=');
	if (!eq) {
		fprintf(stderr, "weftd: %s:%d: expected 'key = value'\n", path, lineno);
		return 2;
	}
	*eq = '\0';
	char *key = trim(line), *value = trim(eq + 1);
	const struct option *o = find_key(opts, key);
	if (!o || refused(key)) {
		fprintf(stderr,
		        "weftd: %s:%d: unknown key '%s' (keys are weftd's long flag names)\n", path,
		        lineno, key);
		return 2;
	}
	if (seen[o - opts]) {
		fprintf(stderr, "weftd: %s:%d: key '%s' given twice\n", path, lineno, key);
		return 2;
	}
	seen[o - opts] = 1;
	if (!*value) {
		fprintf(stderr, "weftd: %s:%d: key '%s' has no value\n", path, lineno, key);
		return 2;
	}
	char where[64 + CONFIG_LINE_MAX];
	snprintf(where, sizeof where, "%s:%d", path, lineno);
	/* The options keep pointers to their values for the life of the
	 * process, as they do to argv: the copy is never freed. */
	char *copy = strdup(value);
	if (!copy) {
		fprintf(stderr, "weftd: %s: out of memory\n", where);
		return 2;
	}
	return fn(o->val, copy, where, ctx);
}

int weftd_config_load(const char *path, const struct option *opts, weftd_config_fn fn, void *ctx)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "weftd: --config %s: %s\n", path, strerror(errno));
		return 2;
	}
	size_t nopts = 0;
	while (opts[nopts].name)
		nopts++;
	unsigned char *seen = calloc(nopts + 1, 1);
	char buf[CONFIG_LINE_MAX + 2];
	int lineno = 0, rc = seen ? 0 : 2;
	while (rc == 0 && fgets(buf, sizeof buf, f)) {
		lineno++;
		size_t n = strlen(buf);
		if (n && buf[n - 1] == '\n')
			buf[--n] = '\0';
		else if (!feof(f)) {
			fprintf(stderr, "weftd: %s:%d: line longer than %d bytes\n", path, lineno,
			        CONFIG_LINE_MAX);
			rc = 2;
			break;
		}
		char *line = trim(buf);
		if (!*line || *line == '#')
			continue;
		rc = config_line(path, lineno, line, opts, seen, fn, ctx);
	}
	if (rc == 0 && ferror(f)) {
		fprintf(stderr, "weftd: --config %s: read error\n", path);
		rc = 2;
	}
	free(seen);
	fclose(f);
	return rc;
}
