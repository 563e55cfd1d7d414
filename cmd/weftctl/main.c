/* weftctl: the command-line client of weft. Argument parsing only; every
 * command is a function of weft_client (core/api/client/client.h): the
 * REST calls to weftd, the local `validate`, tables and JSON/YAML output.
 * Commands are one table (commands[] below): a name, its synopsis, the
 * options it takes and a function; the help text, the usage errors and
 * the shell completion are all made from it. Options may come before or
 * after the command. Settings: flags, then WEFT_* variables, then the
 * context of ~/.config/weft/config (config.c). Exit codes: 0 ok,
 * 1 failed/invalid/conflict/unreachable (diff: 1 = differences),
 * 2 usage. See docs/weftctl.md. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "import.h"
#include "weftctl.h"
#include "weft_version.h"

/* Which options a command takes (cmd.opts), and which were given. */
enum {
	O_FILES = 1 << 0,
	O_DRY_RUN = 1 << 1,
	O_EXPECTED = 1 << 2,
	O_NS = 1 << 3,
	O_LIMIT = 1 << 4,
	O_MODE = 1 << 5,
	O_FOLLOW = 1 << 6, /* --count, --since */
	O_TIMEOUT = 1 << 7,
	O_SELECTOR = 1 << 8,
	O_WATCH = 1 << 9,
};

static const char *const opt_names[] = {"-f",
                                        "--dry-run",
                                        "--expected-revision",
                                        "-n",
                                        "--limit",
                                        "--atomic/--independent",
                                        "--count/--since",
                                        "--timeout",
                                        "-l",
                                        "--watch"};

typedef struct wctl_args wctl_args;
typedef int (*cmd_fn)(const wctl_args *a);

typedef struct wctl_cmd {
	const char *name;
	const char *synopsis; /* after "weftctl NAME " */
	const char *help;     /* one line */
	unsigned opts;
	cmd_fn run;
} wctl_cmd;

struct wctl_args {
	const wctl_cmd *cmd;
	char **argv; /* the command's arguments */
	int argc;
	wctl_opts *o;
	long count, timeout_s;
	long long since;
};

static const wctl_cmd *find_cmd(const char *name);

int weftctl_usage(const wctl_cmd *cmd, const char *fmt, const char *arg)
{
	fputs("weftctl: ", stderr);
	fprintf(stderr, fmt, arg ? arg : "");
	if (cmd)
		fprintf(stderr, " (usage: weftctl %s %s; see weftctl --help)\n", cmd->name,
		        cmd->synopsis);
	else
		fprintf(stderr, " (usage: weftctl [OPTIONS] COMMAND ...; see weftctl --help)\n");
	return WCTL_USAGE;
}

static int parse_int(const char *s, long long min, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min)
		return -1;
	*out = v;
	return 0;
}

static int need_args(const wctl_args *a, int min, int max)
{
	if (a->argc < min || a->argc > max)
		return weftctl_usage(a->cmd, "%s: wrong number of arguments", a->cmd->name);
	return 0;
}

/* ---- the commands ---- */

static int run_validate(const wctl_args *a)
{
	if (a->argc < 1)
		return weftctl_usage(a->cmd, "validate needs at least one PATH (- for stdin)",
		                     NULL);
	return wctl_validate(a->o, (const char *const *)a->argv, (size_t)a->argc);
}

static int run_apply(const wctl_args *a)
{
	if (a->o->n_files == 0 || a->argc)
		return weftctl_usage(a->cmd, "apply takes -f FILE|DIR|- (and no arguments)", NULL);
	return wctl_apply(a->o);
}

static int run_get(const wctl_args *a)
{
	if (a->argc == 2 && a->o->n_selectors)
		return weftctl_usage(a->cmd, "-l selects in a list: give KIND without NAME", NULL);
	for (size_t i = 0; i < a->o->n_selectors; i++)
		if (!wctl_selector_valid(a->o->selectors[i]))
			return weftctl_usage(
			        a->cmd,
			        "-l '%s': expected KEY, KEY=VALUE, KEY==VALUE or KEY!=VALUE",
			        a->o->selectors[i]);
	return need_args(a, 1, 2) ? WCTL_USAGE
	                          : wctl_get(a->o, a->argv[0], a->argc == 2 ? a->argv[1] : NULL);
}

static int run_delete(const wctl_args *a)
{
	if (a->o->n_files && a->o->ns)
		return weftctl_usage(
		        a->cmd, "-n is for one KIND NAME: -f files name their namespaces", NULL);
	if (a->o->n_files && a->o->expected_rev >= 0)
		return weftctl_usage(a->cmd, "--expected-revision is for one KIND NAME, not -f",
		                     NULL);
	if (a->o->n_files)
		return a->argc ? weftctl_usage(a->cmd, "delete -f takes no KIND NAME", NULL)
		               : wctl_delete_files(a->o);
	return a->argc != 2 ? weftctl_usage(a->cmd, "delete takes KIND [NS/]NAME or -f FILE", NULL)
	                    : wctl_delete(a->o, a->argv[0], a->argv[1]);
}

static int run_describe(const wctl_args *a)
{
	if (a->o->output != WCTL_OUT_TABLE)
		return weftctl_usage(a->cmd,
		                     "describe is for people: use get -o json|yaml for data", NULL);
	return need_args(a, 2, 2) ? WCTL_USAGE : wctl_describe(a->o, a->argv[0], a->argv[1]);
}

static int run_explain(const wctl_args *a)
{
	return need_args(a, 1, 1) ? WCTL_USAGE : wctl_explain(a->o, a->argv[0]);
}

static int run_diff(const wctl_args *a)
{
	if (a->o->n_files == 0 || a->argc)
		return weftctl_usage(a->cmd, "diff takes -f FILE|DIR|- (and no arguments)", NULL);
	return wctl_diff(a->o);
}

static int run_plan(const wctl_args *a)
{
	return a->argc ? weftctl_usage(a->cmd, "plan takes no arguments (use -f)", NULL)
	               : wctl_plan(a->o);
}

static int run_status(const wctl_args *a)
{
	return need_args(a, 0, 0) ? WCTL_USAGE : wctl_status(a->o);
}

static int run_transactions(const wctl_args *a)
{
	return need_args(a, 0, 0) ? WCTL_USAGE : wctl_transactions(a->o);
}

static int run_history(const wctl_args *a)
{
	return need_args(a, 0, 0) ? WCTL_USAGE : wctl_history(a->o);
}

static int run_events(const wctl_args *a)
{
	return need_args(a, 0, 0) ? WCTL_USAGE
	                          : wctl_events(a->o, a->count, a->timeout_s, a->since);
}

static int run_rollback(const wctl_args *a)
{
	long long rev;
	if (a->argc != 1 || parse_int(a->argv[0], 1, &rev) != 0)
		return weftctl_usage(a->cmd, "rollback takes one REVISION number (>= 1)", NULL);
	return wctl_rollback(a->o, rev);
}

static int run_completion(const wctl_args *a)
{
	if (a->argc != 1 || (strcmp(a->argv[0], "bash") && strcmp(a->argv[0], "zsh")))
		return weftctl_usage(a->cmd, "completion takes bash or zsh", NULL);
	return weftctl_completion(a->argv[0], stdout);
}

static int run_version(const wctl_args *a)
{
	(void)a;
	printf("weftctl %s (commit %s)\n", WEFT_VERSION, WEFT_GIT_COMMIT);
	return WCTL_OK;
}

/* One entry per command, in the order of the help text. */
static const wctl_cmd commands[] = {
        {"validate", "PATH...|-", "check policy files locally (no server)", 0, run_validate},
        {"apply", "-f FILE|DIR|-... [--dry-run] [--expected-revision N] [--atomic|--independent]",
         "store the files' resources as a new revision", O_FILES | O_DRY_RUN | O_EXPECTED | O_MODE,
         run_apply},
        {"get", "KIND [[NS/]NAME] [-n NS] [-l KEY=VALUE] [--watch [--timeout S]]",
         "list or show resources (KIND: singular, plural or short name)",
         O_NS | O_SELECTOR | O_WATCH | O_TIMEOUT, run_get},
        {"delete", "KIND [NS/]NAME | -f FILE|DIR|- [--expected-revision N]",
         "delete a resource, or every resource of the files", O_NS | O_EXPECTED | O_FILES,
         run_delete},
        {"describe", "KIND [NS/]NAME [-n NS]",
         "a resource, the devices that carry it, warnings, recent events", O_NS, run_describe},
        {"explain", "KIND[.FIELD[.FIELD...]]", "the fields of a kind (no server)", 0, run_explain},
        {"diff", "-f FILE|DIR|-", "unified diff of the stored resources against the files", O_FILES,
         run_diff},
        {"plan", "[-f FILE|DIR|-...]", "per-device dry run", O_FILES, run_plan},
        {"status", "[--watch [--timeout S]]", "revision, devices and proxies", O_WATCH | O_TIMEOUT,
         run_status},
        {"history", "[--limit N]", "revisions, newest first", O_LIMIT, run_history},
        {"transactions", "", "atomic pushes and their per-device results", 0, run_transactions},
        {"events", "[--count N] [--timeout S] [--since ID]",
         "follow revisions, devices, transactions", O_FOLLOW | O_TIMEOUT, run_events},
        {"rollback", "REVISION", "restore a revision as a new one", 0, run_rollback},
        {"completion", "bash|zsh", "print a shell completion script", 0, run_completion},
        {"version", "", "print weftctl's version and commit", 0, run_version},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const wctl_cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

size_t weftctl_commands(const char **names, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < N_COMMANDS && n < max; i++)
		names[n++] = commands[i].name;
	if (n < max)
		names[n++] = "import"; /* parses its own options (import.c) */
	return n;
}

static void help(FILE *out)
{
	fputs("usage: weftctl [--server URL] [--token T|--token-file F] [--cacert FILE]\n"
	      "               [--context NAME] [-o table|wide|json|yaml|name] COMMAND ...\n"
	      "commands:\n",
	      out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-13s %s\n  %-13s   %s\n", commands[i].name, commands[i].synopsis,
		        "", commands[i].help);
	fprintf(out, "  %-13s %s\n  %-13s   %s\n", "import",
	        "-f FILE|DIR|-... [-o yaml|json] [--namespace NS] [--allow-partial]", "",
	        "Kubernetes/Gateway API/Istio/SMI resources to weft/v1 (no server)");
	fputs("kinds (short names): service (svc), route (rt), trafficpolicy (tp), ratelimit "
	      "(rl),\n"
	      "  accesspolicy (ap), peerauthentication (pa), telemetry (tel), gateway (gw),\n"
	      "  device (dev)\n"
	      "environment: WEFT_SERVER (default " WCTL_DEFAULT_SERVER
	      "), WEFT_TOKEN, WEFT_CONTEXT,\n"
	      "  WEFT_CONFIG (default ~/.config/weft/config)\n",
	      out);
}

enum {
	OPT_DRY_RUN = 256,
	OPT_EXPECTED,
	OPT_LIMIT,
	OPT_SERVER,
	OPT_TOKEN,
	OPT_TOKEN_FILE,
	OPT_CACERT,
	OPT_CONTEXT,
	OPT_ATOMIC,
	OPT_INDEPENDENT,
	OPT_COUNT,
	OPT_TIMEOUT,
	OPT_SINCE,
	OPT_WATCH,
	OPT_VERSION,
};

static int parse_output(const char *s, wctl_opts *o)
{
	static const char *const names[] = {"table", "wide", "json", "yaml", "name"};
	for (int i = 0; i < 5; i++) {
		if (!strcmp(s, names[i])) {
			o->output = i;
			o->json = i == WCTL_OUT_JSON;
			return 0;
		}
	}
	return -1;
}

/* Options of one getopt step that take a number. */
static int number_opt(int c, wctl_args *a, unsigned *seen)
{
	long long v;
	const char *what = c == OPT_COUNT     ? "--count"
	                   : c == OPT_TIMEOUT ? "--timeout"
	                   : c == OPT_SINCE   ? "--since"
	                   : c == OPT_LIMIT   ? "--limit"
	                                      : "--expected-revision";
	if (parse_int(optarg, 0, &v) != 0) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s: expected a number, got '%%s'", what);
		weftctl_usage(NULL, msg, optarg);
		return -1;
	}
	switch (c) {
	case OPT_COUNT:
		a->count = (long)v;
		*seen |= O_FOLLOW;
		break;
	case OPT_SINCE:
		a->since = v;
		*seen |= O_FOLLOW;
		break;
	case OPT_TIMEOUT:
		a->timeout_s = (long)v;
		a->o->watch_timeout_s = (long)v;
		*seen |= O_TIMEOUT;
		break;
	case OPT_LIMIT:
		a->o->limit = (long)v;
		*seen |= O_LIMIT;
		break;
	default:
		a->o->expected_rev = v;
		*seen |= O_EXPECTED;
	}
	return 0;
}

static const struct option longopts[] = {
        {"server", required_argument, NULL, OPT_SERVER},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
        {"cacert", required_argument, NULL, OPT_CACERT},
        {"context", required_argument, NULL, OPT_CONTEXT},
        {"output", required_argument, NULL, 'o'},
        {"filename", required_argument, NULL, 'f'},
        {"namespace", required_argument, NULL, 'n'},
        {"selector", required_argument, NULL, 'l'},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"expected-revision", required_argument, NULL, OPT_EXPECTED},
        {"limit", required_argument, NULL, OPT_LIMIT},
        {"atomic", no_argument, NULL, OPT_ATOMIC},
        {"independent", no_argument, NULL, OPT_INDEPENDENT},
        {"count", required_argument, NULL, OPT_COUNT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"since", required_argument, NULL, OPT_SINCE},
        {"watch", no_argument, NULL, OPT_WATCH},
        {"version", no_argument, NULL, OPT_VERSION},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
};

/* The options that say where and how to connect and print (settings and
 * -o): 0, WCTL_USAGE, or -1 when c is not one of them. */
static int setting_option(int c, wctl_opts *o, weftctl_settings *st)
{
	switch (c) {
	case OPT_SERVER:
		st->server = optarg;
		return 0;
	case OPT_TOKEN:
		st->token = optarg;
		return 0;
	case OPT_TOKEN_FILE:
		st->token_file = optarg;
		return 0;
	case OPT_CACERT:
		st->cacert = optarg;
		return 0;
	case OPT_CONTEXT:
		st->context = optarg;
		return 0;
	case 'o':
		if (parse_output(optarg, o) != 0)
			return weftctl_usage(
			        NULL, "-o: expected table, wide, json, yaml or name, got '%s'",
			        optarg);
		return 0;
	default:
		return -1;
	}
}

static int parse_options(int argc, char **argv, wctl_args *a, weftctl_settings *st,
                         const char **files, const char **selectors, unsigned *seen)
{
	wctl_opts *o = a->o;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:f:n:l:wh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			files[o->n_files++] = optarg;
			*seen |= O_FILES;
			break;
		case 'n':
			o->ns = optarg;
			*seen |= O_NS;
			break;
		case 'l':
			selectors[o->n_selectors++] = optarg;
			*seen |= O_SELECTOR;
			break;
		case 'w':
		case OPT_WATCH:
			o->watch = 1;
			*seen |= O_WATCH;
			break;
		case OPT_COUNT:
		case OPT_TIMEOUT:
		case OPT_SINCE:
		case OPT_LIMIT:
		case OPT_EXPECTED:
			if (number_opt(c, a, seen) != 0)
				return WCTL_USAGE;
			break;
		case OPT_ATOMIC:
		case OPT_INDEPENDENT:
			o->mode = c == OPT_ATOMIC ? "atomic" : "independent";
			*seen |= O_MODE;
			break;
		case OPT_DRY_RUN:
			o->dry_run = 1;
			*seen |= O_DRY_RUN;
			break;
		case OPT_VERSION:
			exit(run_version(a));
		case 'h':
			help(stdout);
			exit(0);
		case ':':
			return weftctl_usage(NULL, "option %s needs a value", argv[optind - 1]);
		default: {
			int r = setting_option(c, o, st);
			if (r < 0)
				return weftctl_usage(NULL, "unknown option %s", argv[optind - 1]);
			if (r)
				return r;
		}
		}
	}
	return 0;
}

/* Refuses options the command does not take, naming the first one. */
static int check_allowed(const wctl_cmd *cmd, unsigned seen)
{
	unsigned extra = seen & ~cmd->opts;
	for (size_t i = 0; extra && i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if (extra & (1u << i))
			return weftctl_usage(cmd, "%s is not an option of this command",
			                     opt_names[i]);
	return 0;
}

int main(int argc, char **argv)
{
	/* import takes options of its own (import.c), so it comes first */
	if (argc > 1 && !strcmp(argv[1], "import"))
		return weftctl_import(argc - 1, argv + 1);
	wctl_opts o = {.expected_rev = -1, .limit = -1, .out = stdout, .err = stderr};
	wctl_args a = {.o = &o, .since = -1};
	weftctl_settings st = {0};
	unsigned seen = 0;
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	const char **selectors = calloc((size_t)argc + 1, sizeof(*selectors));
	if (!files || !selectors)
		return WCTL_FAILED;
	o.files = files;
	o.selectors = selectors;
	int rc = parse_options(argc, argv, &a, &st, files, selectors, &seen);
	if (rc == 0 && optind >= argc)
		rc = weftctl_usage(NULL, "missing COMMAND", NULL);
	if (rc == 0 && !(a.cmd = find_cmd(argv[optind])))
		rc = weftctl_usage(NULL, "unknown command '%s'", argv[optind]);
	if (rc == 0)
		rc = check_allowed(a.cmd, seen);
	/* wide and name are forms of a list of resources: get only */
	if (rc == 0 && (o.output == WCTL_OUT_WIDE || o.output == WCTL_OUT_NAME) &&
	    a.cmd->run != run_get)
		rc = weftctl_usage(a.cmd, "-o wide and -o name are for get", NULL);
	if (rc == 0 && (seen & O_WATCH) == 0 && (seen & O_TIMEOUT) && !(a.cmd->opts & O_FOLLOW))
		rc = weftctl_usage(a.cmd, "--timeout is for --watch here", NULL);
	if (rc == 0 && weftctl_settings_resolve(&st, &o) != 0)
		rc = WCTL_USAGE;
	if (rc == 0) {
		a.argv = argv + optind + 1;
		a.argc = argc - optind - 1;
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = a.cmd->run(&a);
		curl_global_cleanup();
	}
	weftctl_settings_free(&st);
	free(files);
	free(selectors);
	return rc;
}
