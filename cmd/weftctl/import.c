/* weftctl import: foreign resources (Kubernetes, Gateway API, Istio, SMI)
 * in, weft/v1 documents out, locally and without a server. Argument parsing
 * only; the translation is northbound/ (docs/northbound.md, docs/weftctl.md).
 * Exit codes: 0 translated, 1 refused fields or unreadable input, 2 usage. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "xlate.h"

static const char import_usage[] =
        "usage: weftctl import [-f FILE|DIR|-]... [-o yaml|json] [--namespace NS] "
        "[--allow-partial]\n";

static int read_stdin(weft_docset *set, weft_diags *diags)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n, stdin);
		n += r;
		if (r == 0)
			break;
		if (n == cap) {
			char *nb = cap > ((size_t)1 << 30) ? NULL : realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	if (!buf) {
		weft_diags_add(diags, "stdin", 0, 0, NULL, "cannot read standard input");
		return -1;
	}
	int rc = weft_docset_parse(set, "stdin", buf, n, diags);
	free(buf);
	return rc;
}

static int usage_err(const char *msg, const char *arg)
{
	fprintf(stderr, "weftctl import: ");
	fprintf(stderr, msg, arg ? arg : "");
	fprintf(stderr, "\n%s", import_usage);
	return 2;
}

/* Loads every path, translates, prints the output or the refusals. */
static int run_import(const weft_import_opts *o, const char **paths, size_t n_paths)
{
	weft_err err = {0};
	weft_docset set;
	weft_diags errors, warnings;
	if (weft_northbound_register(&err) || weft_docset_init(&set)) {
		fprintf(stderr, "error: %s\n", err.msg[0] ? err.msg : "out of memory");
		return 1;
	}
	weft_diags_init(&errors);
	weft_diags_init(&warnings);
	for (size_t i = 0; i < n_paths; i++) {
		if (!strcmp(paths[i], "-"))
			read_stdin(&set, &errors);
		else
			weft_docset_load_path(&set, paths[i], &errors);
	}
	char *text = NULL;
	int rc = 1;
	if (errors.count == 0 && weft_import(&set, o, &text, &errors, &warnings) == 0) {
		fputs(text, stdout);
		rc = 0;
	}
	weft_diags_sort(&warnings);
	weft_diags_print(stderr, &warnings);
	if (rc) {
		weft_diags_sort(&errors);
		weft_diags_print(stderr, &errors);
		fprintf(stderr,
		        "import refused: %zu problem%s (--allow-partial keeps what "
		        "translates, with warnings)\n",
		        errors.count, errors.count == 1 ? "" : "s");
	}
	free(text);
	weft_diags_free(&errors);
	weft_diags_free(&warnings);
	weft_docset_free(&set);
	return rc;
}

int weftctl_import(int argc, char **argv)
{
	static const struct option longopts[] = {
	        {"filename", required_argument, NULL, 'f'},
	        {"output", required_argument, NULL, 'o'},
	        {"namespace", required_argument, NULL, 'n'},
	        {"allow-partial", no_argument, NULL, 'p'},
	        {"field-tables", no_argument, NULL, 't'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	weft_import_opts o = {0};
	const char **paths = calloc((size_t)argc + 1, sizeof(*paths));
	size_t n_paths = 0;
	int c;
	if (!paths)
		return 1;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:o:n:h", longopts, NULL)) != -1) {
		if (c == 'f') {
			paths[n_paths++] = optarg;
		} else if (c == 'o') {
			if (strcmp(optarg, "yaml") && strcmp(optarg, "json")) {
				free(paths);
				return usage_err("-o: expected yaml or json, got '%s'", optarg);
			}
			o.json = !strcmp(optarg, "json");
		} else if (c == 'n') {
			o.default_ns = optarg;
		} else if (c == 'p') {
			o.allow_partial = 1;
		} else if (c == 't') {
			/* the generated part of docs/northbound.md */
			weft_err e = {0};
			int rc = weft_northbound_register(&e) || weft_northbound_field_doc(stdout);
			free(paths);
			return rc ? 1 : 0;
		} else if (c == 'h') {
			fputs(import_usage, stdout);
			free(paths);
			return 0;
		} else {
			free(paths);
			return usage_err(c == ':' ? "option %s needs a value" : "unknown option %s",
			                 argv[optind - 1]);
		}
	}
	if (optind < argc || n_paths == 0) {
		free(paths);
		return usage_err(optind < argc ? "unexpected argument '%s' (use -f)"
		                               : "needs at least one -f FILE|DIR|-",
		                 optind < argc ? argv[optind] : NULL);
	}
	int rc = run_import(&o, paths, n_paths);
	free(paths);
	return rc;
}
