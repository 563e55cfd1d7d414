/* weftctl: the command-line client of weft. Argument parsing only; every
 * command is a function of weft_client (core/api/client/client.h): the
 * REST calls to weftd, the local `validate`, tables and JSON output.
 * Options may come before or after the command. Exit codes: 0 ok,
 * 1 failed/invalid/conflict/unreachable, 2 usage. See docs/weftctl.md. */
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "import.h"

static const char usage_text[] =
        "usage: weftctl [--server URL] [--token T] [--cacert FILE] [-o table|json] COMMAND\n"
        "commands:\n"
        "  validate PATH...                      check policy files locally (no server)\n"
        "  apply -f FILE|DIR... [--dry-run] [--expected-revision N] [--atomic|--independent]\n"
        "  get KIND [NAME] [-n NAMESPACE]        KIND singular or plural, any case\n"
        "  delete KIND NAME [-n NAMESPACE] [--expected-revision N]\n"
        "  plan [-f FILE|DIR...]                 per-device dry run\n"
        "  status                                revision and devices\n"
        "  history [--limit N]                   revisions, newest first\n"
        "  transactions                          atomic pushes and their per-device results\n"
        "  events [--count N] [--timeout S] [--since ID]  follow revisions, devices, transactions\n"
        "  rollback REVISION                     restore a revision as a new one\n"
        "  import -f FILE|DIR|-... [-o yaml|json] [--namespace NS] [--allow-partial]\n"
        "                                        Kubernetes/Gateway API/Istio/SMI to weft/v1\n"
        "environment: WEFT_SERVER (default " WCTL_DEFAULT_SERVER "), WEFT_TOKEN\n";

static int usage(const char *fmt, const char *arg)
{
	if (fmt) {
		fputs("weftctl: ", stderr);
		fprintf(stderr, fmt, arg ? arg : "");
		fputc('\n', stderr);
	}
	fputs(usage_text, stderr);
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

enum {
	OPT_DRY_RUN = 256,
	OPT_EXPECTED,
	OPT_LIMIT,
	OPT_SERVER,
	OPT_TOKEN,
	OPT_CACERT,
	OPT_ATOMIC,
	OPT_INDEPENDENT,
	OPT_COUNT,
	OPT_TIMEOUT,
	OPT_SINCE
};

/* Which command-specific options were given, to reject misplaced ones. */
typedef struct seen {
	int files, dry_run, expected, ns, limit, mode, follow;
	long count, timeout_s;
	long long since;
} seen;

static int parse_options(int argc, char **argv, wctl_opts *o, seen *s, const char **files)
{
	static const struct option longopts[] = {
	        {"server", required_argument, NULL, OPT_SERVER},
	        {"token", required_argument, NULL, OPT_TOKEN},
	        {"cacert", required_argument, NULL, OPT_CACERT},
	        {"output", required_argument, NULL, 'o'},
	        {"filename", required_argument, NULL, 'f'},
	        {"namespace", required_argument, NULL, 'n'},
	        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	        {"expected-revision", required_argument, NULL, OPT_EXPECTED},
	        {"limit", required_argument, NULL, OPT_LIMIT},
	        {"atomic", no_argument, NULL, OPT_ATOMIC},
	        {"independent", no_argument, NULL, OPT_INDEPENDENT},
	        {"count", required_argument, NULL, OPT_COUNT},
	        {"timeout", required_argument, NULL, OPT_TIMEOUT},
	        {"since", required_argument, NULL, OPT_SINCE},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	long long v;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:f:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SERVER:
			o->server = optarg;
			break;
		case OPT_TOKEN:
			o->token = optarg;
			break;
		case OPT_CACERT:
			o->cacert = optarg;
			break;
		case 'o':
			if (strcmp(optarg, "json") && strcmp(optarg, "table"))
				return usage("-o: expected table or json, got '%s'", optarg);
			o->json = !strcmp(optarg, "json");
			break;
		case 'f':
			files[o->n_files++] = optarg;
			s->files = 1;
			break;
		case 'n':
			o->ns = optarg;
			s->ns = 1;
			break;
		case OPT_COUNT:
		case OPT_TIMEOUT:
		case OPT_SINCE:
			if (parse_int(optarg, 0, &v) != 0)
				return usage("expected a number, got '%s'", optarg);
			if (c == OPT_COUNT)
				s->count = (long)v;
			else if (c == OPT_TIMEOUT)
				s->timeout_s = (long)v;
			else
				s->since = v;
			s->follow = 1;
			break;
		case OPT_ATOMIC:
		case OPT_INDEPENDENT:
			o->mode = c == OPT_ATOMIC ? "atomic" : "independent";
			s->mode = 1;
			break;
		case OPT_DRY_RUN:
			o->dry_run = 1;
			s->dry_run = 1;
			break;
		case OPT_EXPECTED:
			if (parse_int(optarg, 0, &v) != 0)
				return usage(
				        "--expected-revision: expected a revision number, got '%s'",
				        optarg);
			o->expected_rev = v;
			s->expected = 1;
			break;
		case OPT_LIMIT:
			if (parse_int(optarg, 0, &v) != 0)
				return usage("--limit: expected a number, got '%s'", optarg);
			o->limit = (long)v;
			s->limit = 1;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			return usage("option %s needs a value", argv[optind - 1]);
		default:
			return usage("unknown option %s", argv[optind - 1]);
		}
	}
	return 0;
}

/* Rejects options that the command does not take. */
static int check_allowed(const char *cmd, const seen *s)
{
	int apply = !strcmp(cmd, "apply"), plan = !strcmp(cmd, "plan");
	int get = !strcmp(cmd, "get"), del = !strcmp(cmd, "delete");
	if (s->files && !apply && !plan)
		return usage("-f is for apply and plan, not %s", cmd);
	if (s->mode && !apply)
		return usage("--atomic/--independent are for apply, not %s", cmd);
	if (s->dry_run && !apply)
		return usage("--dry-run is for apply, not %s (plan is the dry run)", cmd);
	if (s->expected && !apply && !del)
		return usage("--expected-revision is for apply and delete, not %s", cmd);
	if (s->ns && !get && !del)
		return usage("-n is for get and delete, not %s", cmd);
	if (s->follow && strcmp(cmd, "events"))
		return usage("--count, --timeout and --since are for events, not %s", cmd);
	if (s->limit && strcmp(cmd, "history"))
		return usage("--limit is for history, not %s", cmd);
	return 0;
}

static int run(const char *cmd, char **args, int n, const wctl_opts *o, const seen *s)
{
	if (!strcmp(cmd, "events"))
		return n ? usage("events takes no arguments", NULL)
		         : wctl_events(o, s->count, s->timeout_s, s->since);
	long long rev;
	if (!strcmp(cmd, "validate"))
		return n < 1 ? usage("validate needs at least one PATH", NULL)
		             : wctl_validate(o, (const char *const *)args, (size_t)n);
	if (!strcmp(cmd, "apply"))
		return o->n_files == 0 || n
		               ? usage("apply takes -f FILE|DIR (and no arguments)", NULL)
		               : wctl_apply(o);
	if (!strcmp(cmd, "get"))
		return n < 1 || n > 2 ? usage("get takes KIND [NAME]", NULL)
		                      : wctl_get(o, args[0], n == 2 ? args[1] : NULL);
	if (!strcmp(cmd, "delete"))
		return n != 2 ? usage("delete takes KIND NAME", NULL)
		              : wctl_delete(o, args[0], args[1]);
	if (!strcmp(cmd, "plan"))
		return n ? usage("plan takes no arguments (use -f)", NULL) : wctl_plan(o);
	if (!strcmp(cmd, "status"))
		return n ? usage("status takes no arguments", NULL) : wctl_status(o);
	if (!strcmp(cmd, "transactions"))
		return n ? usage("transactions takes no arguments", NULL) : wctl_transactions(o);
	if (!strcmp(cmd, "history"))
		return n ? usage("history takes no arguments", NULL) : wctl_history(o);
	if (!strcmp(cmd, "rollback")) {
		if (n != 1 || parse_int(args[0], 1, &rev) != 0)
			return usage("rollback takes one REVISION number (>= 1)", NULL);
		return wctl_rollback(o, rev);
	}
	return usage("unknown command '%s'", cmd);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "import"))
		return weftctl_import(argc - 1, argv + 1);
	wctl_opts o = {
	        .server = getenv("WEFT_SERVER"),
	        .token = getenv("WEFT_TOKEN"),
	        .expected_rev = -1,
	        .limit = -1,
	        .out = stdout,
	        .err = stderr,
	};
	seen s = {.since = -1};
	const char **files = calloc((size_t)argc + 1, sizeof(*files));
	if (!files)
		return WCTL_FAILED;
	o.files = files;
	int rc = parse_options(argc, argv, &o, &s, files);
	if (rc == 0 && optind >= argc)
		rc = usage("missing COMMAND", NULL);
	if (rc == 0)
		rc = check_allowed(argv[optind], &s);
	if (rc == 0) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		rc = run(argv[optind], argv + optind + 1, argc - optind - 1, &o, &s);
		curl_global_cleanup();
	}
	free(files);
	return rc;
}
